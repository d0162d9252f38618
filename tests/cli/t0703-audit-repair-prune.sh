#!/bin/sh
# t0703-audit-repair-prune: --repair-from restores damaged files from a
# replica only after verifying the copy, and records a replication event;
# `audit prune` compacts the success history, keeping every failure and
# the first check, and the event chain still verifies afterwards.
. "$TOP/tests/cli/lib.sh"
. "$TOP/tests/cli/audit-fixture.sh"
q() { sqlite3 repo/catalog.db "$1"; }
due() { q "UPDATE objects SET last_audit = NULL"; }
same() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got '$2', expected '$3'"; fi; }

run init repo
audit_plant repo ob-1
audit_plant repo ob-2
audit_plant repo ob-3
run -r repo export --to replica ob-1
run -r repo export --to replica ob-3
cp -a repo/storage copy
d1=$(audit_dir repo ob-1)
d2=$(audit_dir repo ob-2)
d3=$(audit_dir repo ob-3)
printf 'J' | dd of="$d1/data/a.txt" bs=1 seek=0 conv=notrunc 2>/dev/null
rm "$d1/data/sub/b.txt"
rm "$d1/metadata/mods.xml" && ln -s /etc/passwd "$d1/metadata/mods.xml"
echo extra >"$d1/data/extra.txt"
rm -r "$d2/data"
echo broken >"$d3/data/a.txt"
echo "broken too" >"replica/ob-3/data/a.txt"

run -r repo audit --repair-from replica --json
expect_rc "damage found exits 1 even when repaired" 1
r() { jq -r ".failures[] | select(.object == \"ob-$1\") | \"\(.path)=\(.repaired)\"" "$OUT" | sort | tr '\n' ' '; }
same "altered, missing and symlinked files restored; extra left" "$(r 1)" "data/a.txt=true data/extra.txt=false data/sub/b.txt=true metadata/mods.xml=true "
same "an object missing from the replica is not restored" "$(r 2)" "data/a.txt=false data/sub/b.txt=false "
expect_json "a damaged replica copy is refused" \
	'.failures[] | select(.object == "ob-3") | (.repaired == false and (.detail | test("damaged too")))' true
check "the restored payload is the original" cmp "$d1/data/a.txt" replica/ob-1/data/a.txt
check "the deleted file is back" cmp "$d1/data/sub/b.txt" replica/ob-1/data/sub/b.txt
check "the symlink is a file again" test -f "$d1/metadata/mods.xml" -a ! -L "$d1/metadata/mods.xml"
check "the extra file is never removed" test -f "$d1/data/extra.txt"
run -r repo events --json ob-1
expect_json "a replication event records the restore" '.[-1].type' replication
expect_json "naming each file" '.[-1].outcome_detail | test("restored data/a.txt from replica")' true
same "the file's state is repaired" "$(q "SELECT last_outcome FROM files WHERE object_id = 'ob-1' AND path = 'data/a.txt'")" repaired

# The storage copy serves as a replica too (DIR/objects/KEY).
due
run -r repo audit --repair-from copy --id ob-2 --json
expect_json "restored from a storage copy" '[.failures[] | select(.repaired)] | length' 2
check "the payload is back" test -f "$d2/data/a.txt"
due
run -r repo audit --json
expect_json "after repair only the extra file and ob-3 remain" '[.failures[] | "\(.object) \(.path)"] | join(",")' "ob-1 data/extra.txt,ob-3 data/a.txt"
rm "$d1/data/extra.txt"
run -r repo audit --repair-from nowhere
expect_rc "a missing replica directory is a usage error" 2

# Prune: checks 1,2 ok; 3 fails; 4 ok (the recovery); 5,6,7 ok.
run init prepo
audit_plant prepo ob-p
n=1
while [ $n -le 7 ]; do
	sqlite3 prepo/catalog.db "UPDATE objects SET last_audit = NULL"
	[ $n -eq 3 ] && echo x >>"$(audit_dir prepo ob-p)/data/a.txt"
	[ $n -eq 4 ] && printf 'hello ob-p\n' >"$(audit_dir prepo ob-p)/data/a.txt"
	run -r prepo audit -q
	n=$((n + 1))
done
pq() { sqlite3 prepo/catalog.db "$1"; }
run -r prepo audit prune --keep 2 --dry-run
expect_out "a dry run says what would go" '^would prune 2 checks of 1 objects'
same "and removes nothing" "$(pq "SELECT count(*) FROM audit_results")" 7
run -r prepo audit prune --keep 2 --json
expect_rc "prune exits 0" 0
expect_json "two checks pruned" .pruned 2
same "kept: the first, the failure, the recovery, the 2 latest" \
	"$(pq "SELECT group_concat(audit_id, ' ') FROM (SELECT audit_id FROM audit_results ORDER BY audit_id)")" "1 3 4 6 7"
same "the failure's findings stay" "$(pq "SELECT count(*) FROM audit_findings WHERE audit_id = 3")" 1
same "their events went with them" "$(pq "SELECT count(*) FROM events WHERE type = 'fix'")" 5
same "the failure event stays" "$(pq "SELECT count(*) FROM events WHERE type = 'fix' AND outcome = 'failure'")" 1
run -r prepo doctor
expect_rc "the event chain still verifies after a prune" 0
run -r prepo audit prune --keep 2
expect_out "pruning again removes nothing" '^pruned 0 checks'
run -r prepo audit prune
expect_rc "prune without --keep is a usage error" 2
# A row removed behind the prune's back still breaks the chain.
pq "INSERT INTO settings VALUES('allow_event_prune', 'yes') ON CONFLICT(key) DO UPDATE SET value = 'yes'; DELETE FROM events WHERE seq = (SELECT min(seq) FROM events WHERE type = 'fix' AND outcome = 'failure'); UPDATE settings SET value = 'no' WHERE key = 'allow_event_prune';"
run -r prepo doctor
expect_rc "an unrecorded removal is still found" 1
expect_out "doctor names the break" "event log broken at event"
finish
