#!/bin/sh
# t0608-ingest-audit: objects made by `vellum ingest` (and updated) audit
# clean; damage to one of them is found and named.
. "$TOP/tests/cli/lib.sh"

run init repo
sh "$TOP/tests/fixtures/sample-collection.sh" sample
run -r repo ingest --batch sample/collection.csv
run -r repo update --metadata sample/objects/02.dc.xml sample-01
run -r repo audit
expect_rc "ingested and updated objects audit clean" 0
expect_out "every stored file is known" 'all objects intact'
d=$(ls -d repo/storage/objects/*/*/sample-05)
printf 'X' | dd of="$d/data/images/page-001.txt" bs=1 seek=3 conv=notrunc 2>/dev/null
run -r repo audit --json
expect_rc "damage is found" 1
expect_json "the damaged file is named" '[.failures[] | select(.object == "sample-05" and .path == "data/images/page-001.txt") | .outcome][0]' altered
finish
