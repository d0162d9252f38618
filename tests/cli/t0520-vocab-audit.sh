#!/bin/sh
# t0520-vocab-audit: the reparative audit and the remediation round trip
# (new metadata version, old kept, datestamp moved, PREMIS event,
# original wording searchable), on records stored as ingest would.
. "$TOP/tests/cli/lib.sh"
F=$TOP/tests/fixtures/vocab
R=$F/records
IV=https://vocab.example.org/inclusive/
DB=repo/catalog.db

run init repo
export VELLUM_REPO=$T/repo
run vocab import "$SHARED/vocab/coar-resource-types.ttl"
run vocab import "$F/inclusive.ttl"

run vocab audit
expect_rc "audit with no records finds nothing" 0
expect_out "and says so" '^0 findings in 0 records'

T0=2024-01-01T00:00:00Z
sqlite3 $DB "INSERT INTO objects(id, created, datestamp, md_version) VALUES
 ('obj1','$T0','$T0',1), ('obj2','$T0','$T0',1), ('obj3','$T0','$T0',1),
 ('gone','$T0','$T0',1);
UPDATE objects SET status = 'deleted' WHERE id = 'gone';
INSERT INTO metadata(object_id, version, format, xml, created) VALUES
 ('obj1',1,'mods',readfile('$R/obj1-mods.xml'),'$T0'),
 ('obj1',1,'oai_dc',readfile('$R/obj1-oai_dc.xml'),'$T0'),
 ('obj1',1,'source','<record>Illegal aliens</record>','$T0'),
 ('obj2',1,'mods',readfile('$R/obj2-mods.xml'),'$T0'),
 ('obj3',1,'mods',readfile('$R/obj3-mods.xml'),'$T0'),
 ('gone',1,'mods',readfile('$R/obj1-mods.xml'),'$T0');"

run vocab audit --json
expect_rc "findings make audit exit 1" 1
expect_json "active records examined" .records 3
expect_json "findings counted" .count 10
expect_json "deleted object ignored" '[.findings[] | select(.object_id == "gone")] | length' 0
expect_json "clean record has none" '[.findings[] | select(.object_id == "obj2")] | length' 0
expect_json "deprecated prefLabel with two replacements" \
	'[.findings[] | select(.value == "Illegal aliens" and .format == "mods")][0].replacements | map(.label) | join("+")' \
	"Immigration+Undocumented people"
expect_json "retired hiddenLabel proposes its own concept" \
	'[.findings[] | select(.value == "Cripples")][0] | .reason + " " + .replacements[0].label' \
	"retired label Disabled people"
expect_json "valueURI wins over an unknown label" \
	'[.findings[] | select(.object_id == "obj3" and .field == "subject/topic")][0].concept' \
	"${IV}primitive-peoples"
expect_json "replacement chain followed to a current concept" \
	'[.findings[] | select(.object_id == "obj3" and .field == "genre")][0].replacements[0].uri' \
	"${IV}art"
expect_json "COAR deprecation without replacement is listed" \
	'[.findings[] | select(.value == "preprint")][0].replacements | length' 0
expect_json "scheme and vocabulary version given" \
	'[.findings[] | select(.value == "Eskimos")][0] | .scheme + " " + .vocab_version' \
	"$IV 1.0"

run vocab audit --scheme http://purl.org/coar/resource_type --json
expect_json "--scheme keeps one scheme's findings" .count 2
run vocab audit --scheme http://nowhere.example/
expect_rc "unknown --scheme fails" 3
expect_err "and names it" 'no vocabulary <http://nowhere.example/>'

run vocab audit --csv
expect_rc "csv exits 1 too" 1
expect_lines "csv: header + one line per finding" "$OUT" 11
expect_out "csv header" '^object_id,version,format,field,value,lang,value_uri,reason,concept,scheme,vocab_version,replacements,replacement_labels'
expect_out "csv joins several replacements" 'Immigration \| Undocumented people'
run vocab audit --csv --json
expect_rc "--csv with --json is a usage error" 2

# Dry run changes nothing.
before=$(sqlite3 $DB "SELECT count(*) FROM metadata; SELECT count(*) FROM events; SELECT group_concat(md_version || datestamp) FROM objects")
run vocab remediate --dry-run --langs en,mi
expect_rc "dry run" 0
expect_out "dry run reports" 'Would replace 8 values in 2 records; 2 left alone'
after=$(sqlite3 $DB "SELECT count(*) FROM metadata; SELECT count(*) FROM events; SELECT group_concat(md_version || datestamp) FROM objects")
[ "$before" = "$after" ] && ok "dry run wrote nothing" || not_ok "dry run wrote nothing" "$before / $after"

run vocab remediate --langs "en,n0t!"
expect_rc "bad --langs is a usage error" 2

run vocab langs en,MI
expect_out "langs stored canonically" '^Output languages: en,mi$'
run vocab langs
expect_out "langs shown" '^en,mi$'

run vocab remediate --json
expect_rc "remediate" 0
expect_json "two records changed" .objects 2
expect_json "eight values replaced" .values 8
expect_json "two left alone" .skipped 2
expect_json "left-alone ones say why" '[.changes[] | select(.action == "skipped")][0].value' preprint

check "obj1 now at metadata version 2" test "$(sqlite3 $DB "SELECT md_version FROM objects WHERE id='obj1'")" = 2
check "old version kept" test "$(sqlite3 $DB "SELECT count(*) FROM metadata WHERE object_id='obj1' AND version=1")" = 3
check "new version has every format" test "$(sqlite3 $DB "SELECT count(*) FROM metadata WHERE object_id='obj1' AND version=2")" = 3
check "source format copied unchanged" test "$(sqlite3 $DB "SELECT xml FROM metadata WHERE object_id='obj1' AND version=2 AND format='source'")" = "<record>Illegal aliens</record>"
check "datestamp moved" test "$(sqlite3 $DB "SELECT datestamp > '$T0' FROM objects WHERE id='obj1'")" = 1
check "untouched record keeps its datestamp" test "$(sqlite3 $DB "SELECT datestamp FROM objects WHERE id='obj2'")" = $T0
check "untouched record keeps its version" test "$(sqlite3 $DB "SELECT md_version FROM objects WHERE id='obj2'")" = 1

sqlite3 $DB "SELECT xml FROM metadata WHERE object_id='obj1' AND version=2 AND format='mods'" >mods2.xml
sqlite3 $DB "SELECT xml FROM metadata WHERE object_id='obj1' AND version=2 AND format='oai_dc'" >dc2.xml
check "MODS got the preferred label and value URI" grep -q "valueURI=\"${IV}inuit\" xml:lang=\"en\" lang=\"eng\">Inuit</topic>" mods2.xml
check "MODS got authority and authorityURI" grep -q "authority=\"vlit\" authorityURI=\"$IV\"" mods2.xml
check "MODS parallel te reo form with @lang mao" grep -q 'xml:lang="mi" lang="mao">Tāngata whaikaha</topic>' mods2.xml
check "MODS one-to-many replacement" grep -q '>Undocumented people</topic>' mods2.xml
check "MODS harmful string gone" test "$(grep -c 'Illegal aliens\|Cripples\|Eskimos' mods2.xml)" = 0
check "MODS ambiguous value left" grep -q '<topic>Kiwi</topic>' mods2.xml
check "oai_dc label in each output language" grep -q '<dc:subject xml:lang="mi">Hekenga mai</dc:subject>' dc2.xml
check "oai_dc English label" grep -q '<dc:subject xml:lang="en">Immigration</dc:subject>' dc2.xml
check "oai_dc harmful string gone" test "$(grep -c 'Illegal aliens\|Eskimos' dc2.xml)" = 0
if [ -d "$SHARED/schemas" ] && command -v xmllint >/dev/null; then
	cat="$SHARED/schemas/oai-catalog.xml $SHARED/schemas/metadata-catalog.xml"
	XML_CATALOG_FILES=$cat xmllint --nonet --noout --schema "$SHARED/schemas/mods-3-8.xsd" mods2.xml >/dev/null 2>&1 &&
		ok "remediated MODS validates against MODS 3.8" || not_ok "remediated MODS validates against MODS 3.8"
	XML_CATALOG_FILES=$cat xmllint --nonet --noout --schema "$SHARED/schemas/oai_dc.xsd" dc2.xml >/dev/null 2>&1 &&
		ok "remediated oai_dc validates" || not_ok "remediated oai_dc validates"
fi

ev=$(sqlite3 $DB "SELECT count(*) FROM events WHERE type='mem' AND object_id='obj1'")
check "one PREMIS metadata modification event for obj1" test "$ev" = 1
sqlite3 $DB "SELECT detail FROM events WHERE type='mem' AND object_id='obj1'" >detail.txt
check "event detail has before and after" grep -q "'Illegal aliens'@en <${IV}illegal-aliens> -> 'Immigration'@en <${IV}immigration>" detail.txt
check "event detail has the vocabulary version" grep -q "version 1.0" detail.txt
check "event detail names the versions" grep -q "metadata version 1 -> 2" detail.txt
check "provenance rows link the event" test "$(sqlite3 $DB "SELECT count(DISTINCT r.event_uuid) FROM vocab_remediations r JOIN events e ON e.uuid = r.event_uuid WHERE r.object_id='obj1'")" = 1

run vocab audit --json
expect_rc "audit after remediation still lists what has no replacement" 1
expect_json "only the unresolvable findings remain" .count 2
expect_json "they are at version 2" '.findings[0].version' 2

run vocab search "Illegal aliens" --json
expect_json "original wording stays searchable" '.remediated_records[0].object_id' obj1
run vocab show "${IV}illegal-aliens" --json
expect_json "concept lists the records remediated from it" '.remediated_records | map(.object_id) | unique | join(",")' obj1
run vocab show "${IV}illegal-aliens"
expect_out "text: remediated values listed" "^  obj1 v1->v2 subject/topic: 'Illegal aliens' -> ${IV}immigration$"
check "text: one heading per section, none for an empty one" test "$(grep -E '^[A-Z][a-z ]+:$' "$OUT" | tr '\n' ,)" = "Replaced by:,Use instead:,Labels:,Relations:,Remediated records:,"

run vocab remediate
expect_rc "a second remediation has nothing to do" 0
expect_out "nothing replaced" 'Replaced 0 values in 0 records; 2 left alone'
check "no extra version" test "$(sqlite3 $DB "SELECT md_version FROM objects WHERE id='obj1'")" = 2

# A local override adds a replacement: the next audit proposes it.
run vocab import --local "$F/local-overrides.nt"
run vocab audit --json
expect_json "COAR preprint un-deprecated locally: no longer a finding" '[.findings[] | select(.value == "preprint")] | length' 0
finish
