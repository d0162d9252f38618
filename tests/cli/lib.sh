# lib.sh - sourced by every tests/cli/tNNNN-*.sh script.
#
# Runs the real binary ($VELLUM) in a fresh temporary directory.  Each
# check prints "ok - NAME" or "not ok - NAME" with what differed; finish
# prints "N passed, N failed" and sets the exit status.
set -u
: "${VELLUM:?VELLUM must name the vellum binary}"
: "${TOP:=$(pwd)}"
: "${SHARED:=}"
T=$(mktemp -d "${TMPDIR:-/tmp}/vellum-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 3
unset VELLUM_REPO
export VELLUM_USER=tester
_pass=0
_fail=0
OUT=$T/.out
ERR=$T/.err

# run ARGS...: runs vellum, keeping stdout in $OUT, stderr in $ERR, the
# exit code in $RC.
run() {
	"$VELLUM" "$@" >"$OUT" 2>"$ERR" </dev/null
	RC=$?
}

ok() { _pass=$((_pass + 1)); echo "ok - $1"; }
not_ok() {
	_fail=$((_fail + 1))
	echo "not ok - $1"
	shift
	for l in "$@"; do echo "    $l"; done
	echo "    stdout: $(head -c 800 "$OUT" 2>/dev/null)"
	echo "    stderr: $(head -c 800 "$ERR" 2>/dev/null)"
}

# expect_rc NAME CODE: the last run exited with CODE.
expect_rc() {
	if [ "$RC" -eq "$2" ]; then ok "$1"; else
		not_ok "$1" "exit $RC, expected $2"; fi
}
# expect_out NAME REGEX / expect_err NAME REGEX: grep -E on the output.
expect_out() {
	if grep -Eq -- "$2" "$OUT"; then ok "$1"; else
		not_ok "$1" "stdout lacks /$2/"; fi
}
expect_err() {
	if grep -Eq -- "$2" "$ERR"; then ok "$1"; else
		not_ok "$1" "stderr lacks /$2/"; fi
}
expect_no_out() {
	if grep -Eq -- "$2" "$OUT"; then not_ok "$1" "stdout has /$2/"; else
		ok "$1"; fi
}
# expect_lines NAME FILE N: FILE has exactly N lines.
expect_lines() {
	n=$(wc -l <"$2")
	if [ "$n" -eq "$3" ]; then ok "$1"; else
		not_ok "$1" "$2 has $n lines, expected $3"; fi
}
# check NAME CMD...: passes when CMD succeeds.
check() {
	name=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else
		not_ok "$name" "command failed: $*"; fi
}
# jqv EXPR: prints a value from the last run's JSON output.
jqv() { jq -r "$1" "$OUT"; }
# expect_json NAME EXPR VALUE: jq EXPR on stdout prints VALUE.
expect_json() {
	v=$(jq -r "$2" "$OUT" 2>&1)
	if [ "$v" = "$3" ]; then ok "$1"; else
		not_ok "$1" "jq '$2' gave '$v', expected '$3'"; fi
}

finish() {
	echo "$_pass passed, $_fail failed"
	[ "$_fail" -eq 0 ]
	exit $?
}
