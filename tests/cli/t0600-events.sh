#!/bin/sh
# t0600-events: `vellum events` on a repository without that object.
. "$TOP/tests/cli/lib.sh"

run init repo
run -r repo events
expect_rc "events without ID exits 2" 2
expect_err "events without ID says so" 'missing the object ID'
run -r repo events nope
expect_rc "events of an unknown object exits 3" 3
expect_err "unknown object is named" "no object 'nope'"
run -r repo events --premis --json x
expect_rc "--premis with --json exits 2" 2
finish
