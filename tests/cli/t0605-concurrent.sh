#!/bin/sh
# t0605-concurrent: ingests running at the same time all succeed.
. "$TOP/tests/cli/lib.sh"

run init repo
sh "$TOP/tests/fixtures/sample-collection.sh" sample
pids=""
for n in 01 02 03 04; do
	"$VELLUM" -r repo ingest --id "c-$n" --metadata "sample/objects/$n.dc.xml" \
		--collection shared "sample/objects/$n" >"out-$n" 2>&1 &
	pids="$pids $!"
done
failed=0
for p in $pids; do wait "$p" || failed=$((failed + 1)); done
[ $failed -eq 0 ] && ok "four concurrent ingests all succeed" || {
	not_ok "four concurrent ingests all succeed" "$failed failed"
	cat out-*
}
run -r repo list --collection shared
expect_lines "all four are listed" "$OUT" 4
run -r repo doctor
expect_rc "the catalog and event chain are consistent" 0
finish
