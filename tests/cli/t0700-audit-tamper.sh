#!/bin/sh
# t0700-audit-tamper: every kind of damage to a stored object is found by
# `vellum audit` and reported with the right outcome, per file and per
# object, in the summary, the catalog, the PREMIS events and the history.
. "$TOP/tests/cli/lib.sh"
. "$TOP/tests/cli/audit-fixture.sh"

run init repo
for o in ok flip trunc del add tag cat link fifo man; do audit_plant repo "ob-$o"; done
run -r repo audit
expect_rc "a clean repository passes" 0
expect_out "the summary counts objects" '^audit 1: 10 objects, 90 files'
expect_out "the summary says all is well" 'all objects intact'
run -r repo doctor
expect_rc "doctor agrees" 0

d() { audit_dir repo "ob-$1"; }
# flip one byte (same size), truncate, delete, add, edit a tag file
printf 'j' | dd of="$(d flip)/data/a.txt" bs=1 seek=0 conv=notrunc 2>/dev/null
: >"$(d trunc)/data/sub/b.txt"
rm "$(d del)/data/a.txt"
echo surprise >"$(d add)/data/new.txt"
echo 'Contact-Name: Mallory' >>"$(d tag)/bag-info.txt"
# edit the catalog's digest; replace a file by a symlink and by a FIFO
sqlite3 repo/catalog.db "UPDATE digests SET digest = '$(printf x | sha512sum | cut -d' ' -f1)' WHERE object_id = 'ob-cat' AND path = 'data/a.txt'"
rm "$(d link)/data/a.txt" && ln -s /etc/passwd "$(d link)/data/a.txt"
rm "$(d fifo)/data/a.txt" && mkfifo "$(d fifo)/data/a.txt"
# edit a manifest line (the file itself is intact)
sed -i "1s/^[0-9a-f]*/$(printf y | sha512sum | cut -d' ' -f1)/" "$(d man)/manifest-sha512.txt"

# Make them due: the clean run checked everything a moment ago.
sqlite3 repo/catalog.db "UPDATE objects SET last_audit = '2020-01-01T00:00:00Z'"
run -r repo audit --json
expect_rc "damage exits 1" 1
expect_json "nine objects failed" .failed_objects 9
expect_json "all ten checked" .objects 10
f() { jq -r ".failures[] | select(.object == \"ob-$1\") | \"\(.outcome) \(.path)\"" "$OUT" | sort | tr '\n' ' '; }
chk() { v=$(f "$1"); if [ "$v" = "$2" ]; then ok "$3"; else not_ok "$3" "got '$v', expected '$2'"; fi; }
chk flip "altered data/a.txt " "a flipped byte is altered"
chk trunc "altered data/sub/b.txt " "a truncated file is altered"
chk del "missing data/a.txt " "a deleted file is missing"
chk add "extra data/new.txt " "an added file is extra"
chk tag "altered bag-info.txt " "an edited tag file is altered"
chk cat "mismatch data/a.txt " "an edited catalog digest is a mismatch"
chk link "altered data/a.txt " "a symlink in place of a file is altered"
chk fifo "altered data/a.txt " "a FIFO in place of a file is altered"
chk man "altered manifest-sha512.txt mismatch data/a.txt " "an edited manifest: the manifest altered, its entry a mismatch"
chk ok "" "the untouched object has no finding"
expect_json "the flipped file's digests are given" \
	'.failures[] | select(.object == "ob-flip") | (.expected != .found and (.found | length) == 128)' true
expect_json "a symlink is named as such" \
	'.failures[] | select(.object == "ob-link") | .detail | test("symlink")' true
expect_json "a catalog mismatch says the manifest agrees with the file" \
	'.failures[] | select(.object == "ob-cat") | .detail | test("matches manifest-sha512.txt")' true

q() { sqlite3 repo/catalog.db "$1"; }
v=$(q "SELECT last_outcome FROM files WHERE object_id = 'ob-del' AND path = 'data/a.txt'")
[ "$v" = missing ] && ok "files.last_outcome records the file's outcome" || not_ok "files.last_outcome" "got '$v'"
v=$(q "SELECT count(*) FROM files WHERE object_id = 'ob-del' AND last_checked IS NULL")
[ "$v" = 0 ] && ok "every file of a checked object has last_checked" || not_ok "last_checked" "$v unchecked"
v=$(q "SELECT group_concat(id || '=' || last_audit_outcome, ' ') FROM (SELECT id, last_audit_outcome FROM objects WHERE id IN ('ob-ok', 'ob-add') ORDER BY id)")
[ "$v" = "ob-add=failed ob-ok=ok" ] && ok "objects.last_audit_outcome per object" || not_ok "last_audit_outcome" "got '$v'"
v=$(q "SELECT count(*) FROM events WHERE type = 'fix'")
[ "$v" = 20 ] && ok "one fixity event per object per audit" || not_ok "fixity events" "got $v"

run -r repo events --json ob-flip
expect_json "the failure event is a fixity check" '.[-1].type' "fixity check"
expect_json "the failure event failed" '.[-1].outcome' failure
expect_json "the event names the file and both digests" \
	'.[-1].outcome_detail | test("altered data/a.txt \\(sha512 expected [0-9a-f]{128}, found [0-9a-f]{128}\\)")' true
run -r repo events --json ob-ok
expect_json "the success event" '.[-1].outcome' success

run -r repo audit history ob-trunc
expect_rc "history exits 0" 0
expect_out "history lists both checks" 'audit 2 +failed'
expect_out "history lists the finding" 'altered +data/sub/b.txt'
run -r repo audit history --json ob-trunc
expect_json "history --json has two checks, newest first" '[.checks[].outcome] | join(",")' "failed,ok"
run -r repo audit history nope
expect_rc "history of an unknown object" 3
expect_err "names it" "no object 'nope'"

run -r repo audit report
expect_rc "report exits 1 while failures are open" 1
expect_out "report counts open failures" '^Open failures: +9'
run -r repo audit report --json --since 7d
expect_json "report share" '.checked_since.share' 1
expect_json "report open failures" '.open_failures | length' 9
expect_json "report names the failed files" '.open_failures[] | select(.id == "ob-del") | .findings[0].path' data/a.txt

sqlite3 repo/catalog.db "UPDATE objects SET last_audit = '2020-01-01T00:00:00Z'"
run -r repo audit --csv --id ob-add --id ob-ok
expect_rc "csv run exits 1" 1
expect_lines "csv: a header, one row per ok object, one per problem file" "$OUT" 3
expect_out "csv header" '^object,outcome,files,bytes,checked,path,file_outcome,algorithm,expected,found,detail,repaired$'
expect_out "csv problem row" '^ob-add,failed,.*,data/new.txt,extra,'
run -r repo audit -q --id ob-ok
expect_rc "-q on success" 0
[ -s "$OUT" ] && not_ok "-q prints nothing when all is well" || ok "-q prints nothing when all is well"
run -r repo doctor
expect_rc "the event chain and catalog stay consistent" 0

# A whole stored object gone: every file it should hold is missing, and
# the audit goes on to the next object.
run init repo2
audit_plant repo2 ob-gone
audit_plant repo2 ob-here
mv "$(audit_dir repo2 ob-gone)" gone.bak
run -r repo2 audit --json
expect_rc "a vanished object exits 1" 1
expect_json "it alone failed" .failed_objects 1
expect_json "both were checked" .objects 2
expect_json "every file of it is missing" \
	'[.failures[] | select(.object == "ob-gone") | .outcome] | length > 8 and all(. == "missing")' true
expect_json "the other has no finding" \
	'[.failures[] | select(.object == "ob-here")] | length' 0
finish
