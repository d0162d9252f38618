#!/bin/sh
# t0402-metadata-show: `vellum metadata show ID` reads the catalog's
# metadata rows of objects.md_version (ingest does not exist yet, so the
# rows are put there with sqlite3, as ingest will write them).
. "$TOP/tests/cli/lib.sh"

FIX=$TOP/tests/fixtures/metadata
SCH=$SHARED/schemas

run init --name "Show" repo
expect_rc "init" 0
run -q metadata convert --to mods -o v1.mods.xml "$SCH/samples/oai_dc-sample.xml"
run -q metadata convert --to oai_dc -o v1.dc.xml "$SCH/samples/oai_dc-sample.xml"
run -q metadata convert --to mods -o v2.mods.xml "$FIX/multilingual-mods.xml"
run -q metadata convert --to oai_dc -o v2.dc.xml "$FIX/multilingual-mods.xml"
sqlite3 repo/catalog.db "
INSERT INTO objects(id, created, datestamp, title, md_version)
  VALUES('wai-7', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', 'x', 2),
        ('bare', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', 'y', 0);
INSERT INTO metadata(object_id, version, format, xml, created) VALUES
  ('wai-7', 1, 'mods', CAST(readfile('v1.mods.xml') AS TEXT), '2024-01-01T00:00:00Z'),
  ('wai-7', 1, 'oai_dc', CAST(readfile('v1.dc.xml') AS TEXT), '2024-01-01T00:00:00Z'),
  ('wai-7', 2, 'mods', CAST(readfile('v2.mods.xml') AS TEXT), '2024-01-02T00:00:00Z'),
  ('wai-7', 2, 'oai_dc', CAST(readfile('v2.dc.xml') AS TEXT), '2024-01-02T00:00:00Z'),
  ('wai-7', 2, 'source', CAST(readfile('$FIX/multilingual-mods.xml') AS TEXT), '2024-01-02T00:00:00Z');"
check "rows inserted" test "$(sqlite3 repo/catalog.db 'SELECT count(*) FROM metadata')" -eq 5

run -r repo metadata show wai-7
expect_rc "show exits 0" 0
expect_out "the object" '^Object: +wai-7$'
expect_out "the current version and stored formats" '^Version: +2 \(stored: mods, oai_dc, source\)$'
expect_out "the main title" '^Title: +Ngā waiata o te kāinga: he kohinga$'
expect_out "a value with its language" 'title \[ar\] +أغاني البيت'
expect_out "a name with its role" 'creator \(aut\) \{orcid\} +Parata, Aroha <https://orcid.org/0000-0002-1825-0097>'
expect_out "a subject with its authority" 'subject \{lcsh\} \[en\] +Songs, Maori--History'

run -r repo metadata show --format oai_dc wai-7
expect_rc "--format oai_dc" 0
check "prints the stored bytes" cmp "$OUT" v2.dc.xml
run -r repo metadata show --format source wai-7
check "--format source prints the curator's record" cmp "$OUT" "$FIX/multilingual-mods.xml"
run -r repo metadata show --format dcterms wai-7
expect_rc "an unstored format is rendered" 0
cp "$OUT" rendered.xml
check "the rendering validates" xmllint --nonet --noout --schema "$SCH/qualifieddc.xsd" rendered.xml
run -r repo metadata show --version 1 --format mods wai-7
check "--version 1" cmp "$OUT" v1.mods.xml
run -r repo metadata show --json wai-7
expect_rc "--json" 0
expect_json "--json id" .id wai-7
expect_json "--json version" .version 2
expect_json "--json stored formats" ".formats | join(\",\")" "mods,oai_dc,source"
expect_json "--json title" .record.title "Ngā waiata o te kāinga: he kohinga"
expect_json "--json value language" '.record.values[1].lang' ar

run -r repo metadata show nope
expect_rc "unknown object" 3
expect_err "is named" "no object 'nope'"
run -r repo metadata show bare
expect_rc "object without metadata" 3
expect_err "says so" "object 'bare' has no metadata"
run -r repo metadata show --version 9 wai-7
expect_rc "unknown version" 3
expect_err "names the version" "no metadata version 9"
run -r repo metadata show --format marc wai-7
expect_rc "bad --format" 2
run metadata show wai-7
expect_rc "no repository" 2
expect_err "says where it looked" 'is not a Vellum repository'
run -r repo metadata show
expect_rc "no ID" 2
finish
