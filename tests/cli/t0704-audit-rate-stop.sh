#!/bin/sh
# t0704-audit-rate-stop: --rate holds read by read, not file by file (a
# single large file is throttled too), and a stop (SIGINT, --max-time)
# interrupts a file while it is being read: that file is not counted as
# checked, and the next run covers it.
. "$TOP/tests/cli/lib.sh"
. "$TOP/tests/cli/audit-fixture.sh"

run init repo
AUDIT_ALGS=sha256 AUDIT_SIZE=4194304 audit_plant repo big 1
AUDIT_ALGS=sha256 AUDIT_SIZE=33554432 audit_plant repo huge 1
q() { sqlite3 repo/catalog.db "$1"; }
same() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got '$2', expected '$3'"; fi; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
atleast() { awk -v v="$1" -v m="$2" 'BEGIN { exit !(v >= m) }'; }

# One 4 MiB file at 2 MiB/s takes about 2 s: the throttle holds inside
# the file (it used to let the first file through at full speed).
t0=$(now)
run -r repo audit --id big --rate 2M --json
t1=$(now)
expect_rc "the throttled audit succeeds" 0
expect_json "every file is checked" .files 8
el=$(secs "$t0" "$t1")
atleast "$el" 1.5 && ok "one large file is throttled ($el s >= 1.5 s)" ||
	not_ok "one large file is throttled" "took $el s"
atleast 15 "$el" && ok "and not absurdly slow ($el s)" || not_ok "not slow" "took $el s"

# SIGINT while a 32 MiB file is read at 1 MiB/s: the run stops at once,
# not after the file (about 32 s).
before=$(q 'SELECT count(*) FROM audit_results')
"$VELLUM" -r repo audit --id huge --rate 1M >sig.out 2>sig.err &
pid=$!
sleep 1
# Read by read: after 1 s at 1 MiB/s only a few MiB were read, not the
# whole file (rchar counts every byte read(2) returned).
rchar=$(awk '$1 == "rchar:" { print $2 }' /proc/$pid/io 2>/dev/null)
if [ -z "$rchar" ]; then ok "# skip: /proc/PID/io unreadable"
elif [ "$rchar" -lt 16777216 ]; then ok "the file is read at the rate ($rchar bytes after 1 s)"
else not_ok "the file is read at the rate" "$rchar bytes read after 1 s"; fi
t0=$(now)
kill -INT "$pid"
wait "$pid"
rc=$?
t1=$(now)
el=$(secs "$t0" "$t1")
same "the interrupted audit exits 0" "$rc" 0
atleast 3 "$el" && ok "the stop did not wait for the file ($el s)" ||
	not_ok "stop is prompt" "took $el s after the signal"
same "the run says it stopped on a signal" "$(q 'SELECT stopped_by FROM audits ORDER BY id DESC LIMIT 1')" signal
same "the interrupted object is not recorded" "$(q 'SELECT count(*) FROM audit_results')" "$before"
same "its file is not marked checked" "$(q "SELECT count(last_checked) FROM files WHERE object_id = 'huge' AND path = 'data/f0000.bin'")" 0
same "nor the object" "$(q "SELECT last_audit IS NULL FROM objects WHERE id = 'huge'")" 1

# --max-time cuts the same file short.
t0=$(now)
run -r repo audit --id huge --rate 1M --max-time 1s --json
t1=$(now)
el=$(secs "$t0" "$t1")
expect_json "max-time stops it" .stopped_by max-time
expect_json "nothing counted as checked" .objects 0
atleast 5 "$el" && ok "max-time does not wait for the file ($el s)" ||
	not_ok "max-time is prompt" "took $el s"

# The next run, unthrottled, covers it.
run -r repo audit --json
expect_rc "the next run succeeds" 0
same "huge is checked now" "$(q "SELECT last_audit_outcome FROM objects WHERE id = 'huge'")" ok
same "its file too" "$(q "SELECT last_outcome FROM files WHERE object_id = 'huge' AND path = 'data/f0000.bin'")" ok

finish
