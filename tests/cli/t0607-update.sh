#!/bin/sh
# t0607-update: a new metadata version, old ones kept, the bag rewritten
# whole, the datestamp moved; bad updates change nothing.
. "$TOP/tests/cli/lib.sh"

S="$SHARED/schemas"
run init --schema-dir "$S" repo
sh "$TOP/tests/fixtures/sample-collection.sh" sample
run -r repo ingest --id s4 --metadata sample/objects/04.dc.xml sample/objects/04
DS1=$(sqlite3 repo/catalog.db "SELECT datestamp FROM objects WHERE id = 's4'")
sed 's|<dc:title xml:lang="mi">[^<]*</dc:title>|<dc:title xml:lang="mi">Ngā waiata hou</dc:title>|' sample/objects/04.dc.xml >new.xml
sleep 1
run -r repo update --metadata new.xml s4
expect_rc "update exits 0" 0
expect_out "update reports the new title" 'updated s4: "Ngā waiata hou"'
run -r repo show --json s4
expect_json "version 2 is current" .metadata_version 2
expect_json "both versions are kept" '.metadata | length' 2
expect_json "the title follows" .title "Ngā waiata hou"
DS2=$(jqv .datestamp)
[ "$DS2" \> "$DS1" ] && ok "the datestamp moved ($DS1 -> $DS2)" || not_ok "the datestamp moved" "$DS1 -> $DS2"
expect_json "a metadata modification event" '.events[-1].type' "metadata modification"
run -r repo metadata show --version 1 --format oai_dc s4
expect_out "version 1 is still readable" 'Ngā waiata o te kāinga'
run -r repo export --to out s4
run bag validate out/s4
expect_rc "the updated bag is valid" 0
check "the bag holds the new record" grep -q 'Ngā waiata hou' out/s4/metadata/dc.xml
check "premis.xml lists the modification" grep -q 'eventType/mem' out/s4/metadata/premis.xml
check "premis.xml is schema-valid" xmllint --noout --nonet --schema "$S/premis.xsd" out/s4/metadata/premis.xml
run -r repo doctor
expect_rc "doctor is clean after an update" 0

echo '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:date>not a date</dc:date></oai_dc:dc>' >bad.xml
run -r repo update --metadata bad.xml s4
expect_rc "a bad record fails" 3
run -r repo show --json s4
expect_json "nothing changed" .metadata_version 2
run -r repo update --metadata new.xml nope
expect_rc "an unknown object fails" 3
expect_err "it is named" "no object 'nope'"
run -r repo update s4
expect_rc "--metadata is required" 2
run -r repo delete --reason test s4
run -r repo update --metadata new.xml s4
expect_rc "a deleted object cannot be updated" 3
finish
