#!/bin/sh
# t0002-init-status: creating a repository, finding it, and its counts.
. "$TOP/tests/cli/lib.sh"

run init --name "Test Archive" --namespace test.example.org repo
expect_rc "init creates a repository" 0
expect_out "init says where" 'Initialized Vellum repository in repo'
check "config written" test -f repo/vellum.conf
check "catalog written" test -f repo/catalog.db
check "storage root made" test -d repo/storage
check "config has the name" grep -q '^name = Test Archive$' repo/vellum.conf

run init repo
expect_rc "init refuses an existing repository" 3
expect_err "refusal names the directory" "'repo' is already a Vellum repository"
check "config untouched after refusal" grep -q '^name = Test Archive$' repo/vellum.conf

run init --name "$(printf 'two\nlines')" other
expect_rc "a value with a newline is a usage error" 2
check "nothing created for a bad value" test ! -e other

run -r repo status
expect_rc "status exits 0" 0
expect_out "status names the repository" '^Repository: +Test Archive$'
expect_out "status counts objects" '^Objects: +0 \(0 deleted\)$'
expect_out "status says never audited" '^Last audit: +never$'

run -r repo status --json
expect_rc "status --json exits 0" 0
expect_json "status --json objects" .objects 0
expect_json "status --json name" .name "Test Archive"
expect_json "status --json last audit" .last_audit null

VELLUM_REPO=repo run status
expect_rc "VELLUM_REPO finds the repository" 0
(cd repo && "$VELLUM" status >/dev/null 2>&1) && ok "current directory is found" || not_ok "current directory is found"

# Real numbers: put rows in the catalog as ingest would, and see them.
sqlite3 repo/catalog.db "INSERT INTO objects(id, created, datestamp) VALUES('a','2024-01-01T00:00:00Z','2024-01-01T00:00:00Z');
INSERT INTO files(object_id, path, kind, size) VALUES('a','data/x',  'payload', 1000), ('a','data/y','payload', 24);
INSERT INTO audits(started, finished, outcome) VALUES('2024-02-01T00:00:00Z','2024-02-01T01:00:00Z','success');"
run -r repo status --json
expect_json "status counts real objects" .objects 1
expect_json "status counts real files" .files 2
expect_json "status sums bytes" .bytes 1024
expect_json "status shows the last audit" .last_audit.outcome success

# A catalog from a newer vellum is refused and left alone.
sqlite3 repo/catalog.db "PRAGMA user_version = 999"
run -r repo status
expect_rc "newer catalog exits 3" 3
expect_err "newer catalog is explained" 'schema version 999, newer than this vellum'
[ "$(wc -l <"$ERR")" -eq 1 ] && ok "newer catalog error is one line" || not_ok "newer catalog error is one line"
[ "$(sqlite3 repo/catalog.db 'PRAGMA user_version')" = 999 ] && ok "newer catalog untouched" || not_ok "newer catalog untouched"

# A bad config line names the file and line.
run init repo2
printf 'name = X\ncolour = red\n' >>repo2/vellum.conf
run -r repo2 status
expect_rc "bad config exits 3" 3
expect_err "bad config names file and line" "vellum.conf:[0-9]+: unknown key 'colour'"

finish
