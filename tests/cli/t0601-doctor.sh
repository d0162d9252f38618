#!/bin/sh
# t0601-doctor: what `vellum doctor` finds and what --repair fixes.
. "$TOP/tests/cli/lib.sh"

run init repo
run -r repo doctor
expect_rc "a fresh repository is healthy" 0
expect_out "doctor summarises" '0 problems, 0 repaired'

# A stage left by a process that died: its lock file is held by nobody.
mkdir -p repo/storage/.staging/x.0011223344556677/data
echo partial >repo/storage/.staging/x.0011223344556677/data/f
: >repo/storage/.staging/x.0011223344556677.lock
# An object in storage the catalog never heard of.
mkdir -p repo/storage/objects/ab/cd/orphan/data
echo lost >repo/storage/objects/ab/cd/orphan/data/f
# An active object the catalog has but storage lacks.
sqlite3 repo/catalog.db "INSERT INTO objects(id, created, datestamp, storage_key) VALUES('gone', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', '12/34/gone')"

run -r repo doctor
expect_rc "problems found exit 1" 1
expect_out "dead stage removed" "repaired: removed the leftover stage '.*x.0011223344556677'"
check "dead stage is gone" test ! -e repo/storage/.staging/x.0011223344556677
expect_out "orphan reported" "'ab/cd/orphan' is in storage but not in the catalog"
check "orphan kept without --repair" test -d repo/storage/objects/ab/cd/orphan
expect_out "missing object reported" "object 'gone' is in the catalog but not in storage"

run -r repo doctor --repair --json
expect_rc "missing object still a problem after repair" 1
expect_json "json lists the orphan as repaired" '[.findings[] | select(.kind == "orphan")][0].repaired' true
check "orphan removed by --repair" test ! -e repo/storage/objects/ab/cd/orphan
expect_json "json: missing not repaired" '[.findings[] | select(.kind == "missing")][0].repaired' false

sqlite3 repo/catalog.db "DELETE FROM objects WHERE id = 'gone'"
# Objects kept in the catalog alone (no bag, like harvested records):
# counted, and each must hold its current metadata version.
"$VELLUM" -q -r repo oai synth 2 || not_ok "oai synth"
run -r repo doctor
expect_rc "catalog-only objects are fine" 0
expect_out "and counted" ', 2 kept in the catalog alone and'
cid=$(sqlite3 repo/catalog.db "SELECT id FROM objects WHERE storage_key IS NULL ORDER BY id LIMIT 1")
sqlite3 repo/catalog.db "DELETE FROM metadata WHERE object_id = '$cid'"
run -r repo doctor
expect_rc "one whose description is gone is a problem" 1
expect_out "it is named" "object '$cid' is kept in the catalog alone, but its metadata version 1 is not there"
sqlite3 repo/catalog.db "DELETE FROM objects WHERE storage_key IS NULL"
# An event row forged behind vellum's back breaks the chain.
sqlite3 repo/catalog.db "INSERT INTO events(uuid, type, datetime, outcome, agent, prev_hash, hash) VALUES('u1', 'ing', '2024-01-01T00:00:00Z', 'success', 'me', 'x', 'y')"
run -r repo doctor
expect_rc "a forged event is a problem" 1
expect_out "the forged event is named" 'event log broken at event 1 \(u1\)'

finish
