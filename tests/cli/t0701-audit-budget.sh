#!/bin/sh
# t0701-audit-budget: selection (oldest-checked first, --id, --collection,
# --older-than, --shard), budgets (--max-objects, --max-bytes, --max-time,
# --rate), stopping on SIGINT/SIGTERM with resumption, and --lock.
. "$TOP/tests/cli/lib.sh"
. "$TOP/tests/cli/audit-fixture.sh"

run init repo
for i in 1 2 3 4 5 6; do AUDIT_COLLECTION=c$((i % 2)) audit_plant repo "ob-$i"; done
q() { sqlite3 repo/catalog.db "$1"; }
checked_by() { q "SELECT group_concat(object_id, ' ') FROM (SELECT object_id FROM audit_results WHERE audit_id = $1 ORDER BY object_id)"; }
same() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got '$2', expected '$3'"; fi; }

run -r repo audit --dry-run
expect_rc "dry run exits 0" 0
expect_lines "dry run lists every object" "$OUT" 6
expect_out "never-checked objects are listed as such" '^ob-1	never	'
same "a dry run records nothing" "$(q 'SELECT count(*) FROM audits')" 0

run -r repo audit --max-objects 2 --json
expect_rc "max-objects run" 0
expect_json "max-objects checks 2" .objects 2
expect_json "and says why it stopped" .stopped_by max-objects
same "never-checked first, by id" "$(checked_by 1)" "ob-1 ob-2"
run -r repo audit --max-objects 2
same "the next run continues" "$(checked_by 2)" "ob-3 ob-4"
same "the run record says why it stopped" "$(q 'SELECT stopped_by FROM audits WHERE id = 2')" max-objects
q "UPDATE objects SET last_audit = '2020-01-0' || substr(id, 4) || 'T00:00:00Z' WHERE id IN ('ob-3', 'ob-1')"
run -r repo audit --dry-run --max-objects 4
same "then oldest-checked first" "$(cut -f1 "$OUT" | tr '\n' ' ')" "ob-5 ob-6 ob-1 ob-3 "
run -r repo audit --max-bytes 2K --json
expect_json "max-bytes takes what fits (the first whatever its size)" .objects 1
expect_json "max-bytes stop" .stopped_by max-bytes
run -r repo audit --older-than 1d --dry-run
same "older-than: the never-checked and the two backdated objects" "$(cut -f1 "$OUT" | tr '\n' ' ')" "ob-6 ob-1 ob-3 "
run -r repo audit --older-than 1d --collection c1 --json
expect_json "older-than and collection combine" '.objects' 2
run -r repo audit --older-than 1d --dry-run
same "only the never-checked object is still due" "$(cut -f1 "$OUT")" ob-6
run -r repo audit --id ob-6 --id ob-2 --json
expect_json "--id checks exactly those" .objects 2

# Shards: all together are everything, with no overlap.
all=""
for i in 1 2 3; do
	run -r repo audit --shard "$i/3" --dry-run
	all="$all $(cut -f1 "$OUT")"
done
same "shards cover every object once" "$(echo $all | tr ' ' '\n' | sort | tr '\n' ' ')" "ob-1 ob-2 ob-3 ob-4 ob-5 ob-6 "
q "UPDATE objects SET last_audit = NULL"
for i in 1 2 3; do run -r repo audit --shard "$i/3"; done
same "shard audits record every object once" "$(q "SELECT count(*) || '/' || count(DISTINCT object_id) FROM audit_results WHERE audit_id > (SELECT max(id) - 3 FROM audits)")" "6/6"

# --max-time and --rate: a slow audit stops on time; the next run starts
# with the objects it did not reach.
q "UPDATE objects SET last_audit = NULL"
start=$(date +%s)
run -r repo audit --rate 4K --max-time 2s --json
end=$(date +%s)
expect_json "max-time stops the run" .stopped_by max-time
n1=$(jq .objects "$OUT")
[ "$n1" -lt 6 ] && ok "a throttled run checks only part ($n1)" || not_ok "throttled run" "checked $n1"
[ $((end - start)) -le 6 ] && ok "and stops about on time" || not_ok "on time" "$((end - start)) s"
a1=$(q 'SELECT max(id) FROM audits')
run -r repo audit --max-objects $((6 - n1))
same "the next run takes the objects not reached" \
	"$(q "SELECT count(DISTINCT object_id) FROM audit_results WHERE audit_id >= $a1")" 6

# SIGINT keeps what finished; the next run continues.
q "UPDATE objects SET last_audit = NULL"
before=$(q 'SELECT max(id) FROM audits')
"$VELLUM" -r repo audit --rate 2K >sig.out 2>sig.err &
pid=$!
# Interrupt once the run has recorded its first object (at most 10 s).
i=0
while [ "$(q "SELECT count(*) FROM audit_results WHERE audit_id > $before")" = 0 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -INT "$pid"
wait "$pid"
rc=$?
same "an interrupted audit with no failure exits 0" "$rc" 0
same "its record says it stopped on a signal" "$(q 'SELECT stopped_by FROM audits WHERE finished IS NOT NULL ORDER BY id DESC LIMIT 1')" signal
a1=$(q 'SELECT max(id) FROM audits')
n1=$(q "SELECT objects FROM audits WHERE id = $a1")
[ "$n1" -ge 1 ] && [ "$n1" -lt 6 ] && ok "it kept the objects it finished ($n1)" || not_ok "kept" "$n1"
grep -q "stopped by signal" sig.out && ok "the summary says so" || not_ok "summary" "$(cat sig.out)"
run -r repo audit --max-objects $((6 - n1))
same "the next run takes the objects not reached" \
	"$(q "SELECT count(DISTINCT object_id) FROM audit_results WHERE audit_id >= $a1")" 6

# --lock: a second audit exits with a clear message while one runs.
q "UPDATE objects SET last_audit = NULL"
"$VELLUM" -r repo audit --lock --rate 1K >lock.out 2>&1 &
pid=$!
i=0
while ! grep -q "pid $pid," repo/audit.lock 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
run -r repo audit --lock
expect_rc "a second locked audit refuses" 3
expect_err "and says why" "another audit is running on this repository \\(pid $pid"
kill -TERM "$pid"
wait "$pid"
run -r repo audit --lock --max-objects 1
expect_rc "once it is gone the lock is free" 0

run -r repo audit --shard 0/3
expect_rc "shard 0 is a usage error" 2
run -r repo audit --shard 4/3
expect_rc "shard beyond N is a usage error" 2
run -r repo audit --max-bytes lots
expect_rc "a bad size is a usage error" 2
expect_err "naming it" "'lots'"
run -r repo audit --id ob-1 --collection c1
expect_rc "--id with --collection is a usage error" 2
run -r repo audit --id nope
expect_rc "an unknown --id fails" 3
expect_err "naming it" "no object 'nope'"
run -r repo audit --collection nope
expect_rc "an unknown collection fails" 3
run -r repo doctor
expect_rc "doctor passes after all that" 0
finish
