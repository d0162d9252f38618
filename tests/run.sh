#!/bin/sh
# run.sh BUILD_DIR VELLUM - run every unit test binary and every CLI test
# script, then print the total as the last line: "N passed, N failed".
#
# Unit tests are cmocka binaries (BUILD_DIR/tests/test_*); CLI tests are
# tests/cli/t*.sh scripts that print their own "N passed, N failed".
set -u
B=$1
VELLUM=$2
case "$VELLUM" in /*) ;; *) VELLUM=$(pwd)/$VELLUM ;; esac
export VELLUM
TOP=$(pwd)
export TOP
# ../shared beside the project holds schemas, conformance bags, the probe.
SHARED=$(cd "$TOP/../shared" 2>/dev/null && pwd || echo "")
export SHARED
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
LOGDIR=$B/test-logs
mkdir -p "$LOGDIR"
passed=0
failed=0

count() { # file -> adds its "N passed, N failed" or cmocka summary
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -n 1)
	if [ -z "$p$f" ]; then
		line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
		p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
		f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	fi
	echo "${p:-0} ${f:-0}"
}

run_one() { # name command...
	name=$1
	shift
	log=$LOGDIR/$name.log
	"$@" >"$log" 2>&1
	rc=$?
	set -- $(count "$log")
	p=$1
	f=$2
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed, or failed without saying how
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		echo "FAIL $name ($p passed, $f failed, exit $rc) - log:"
		sed 's/^/    /' "$log" | tail -n 60
	else
		echo "ok   $name ($p passed)"
	fi
}

for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done
for t in tests/cli/t*.sh; do
	[ -f "$t" ] || continue
	run_one "$(basename "$t" .sh)" sh "$t"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
