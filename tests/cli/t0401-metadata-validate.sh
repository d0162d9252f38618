#!/bin/sh
# t0401-metadata-validate: `vellum metadata validate` - XSD validity from a
# schema directory (flag, repository config, environment) plus the content
# rules; hostile XML (XXE, billion laughs, external DTD) is refused.
. "$TOP/tests/cli/lib.sh"

FIX=$TOP/tests/fixtures/metadata
SCH=$SHARED/schemas

run metadata validate --schema-dir "$SCH" "$SCH/samples/mods-sample.xml" \
	"$SCH/samples/oai_dc-sample.xml" "$SCH/samples/qdc-sample.xml" \
	"$FIX/multilingual-mods.xml" "$FIX/multilingual-dc.xml" "$FIX/multilingual.csv"
expect_rc "valid records exit 0" 0
expect_out "each file is reported" 'mods-sample.xml: valid \(1 record, 0 errors'
expect_out "CSV rows are counted" 'multilingual.csv: valid \(2 records'
expect_no_out "no file is invalid" ': invalid'

run metadata validate --schema-dir "$SCH" "$SCH/samples/mods-invalid.xml"
expect_rc "an invalid record exits 1" 1
expect_out "it is called invalid" 'mods-invalid.xml: invalid'
expect_err "the schema error names the line" "mods-invalid.xml:3: schema: .*attribute 'version'"

# Where the schemas come from.
run metadata validate "$SCH/samples/mods-sample.xml"
expect_rc "no schema directory is a usage error" 2
expect_err "it says how to give one" 'no schema directory: give --schema-dir'
run metadata validate --no-schema "$SCH/samples/mods-sample.xml"
expect_rc "--no-schema checks content only" 0
VELLUM_SCHEMA_DIR=$SCH run metadata validate "$SCH/samples/mods-invalid.xml"
expect_rc "VELLUM_SCHEMA_DIR is used" 1
run init --schema-dir "$SCH" repo
run -r repo metadata validate "$SCH/samples/mods-invalid.xml"
expect_rc "the repository's schema_dir is used" 1
run metadata validate --schema-dir /nonexistent "$SCH/samples/mods-sample.xml"
expect_rc "a missing schema directory fails" 3
expect_err "it is named" "'/nonexistent'"
mkdir empty
run metadata validate --schema-dir empty "$SCH/samples/mods-sample.xml"
expect_rc "a directory without the schema fails" 3
expect_err "the schema file is named" "cannot open schema '.*empty/mods-3-8.xsd'"

# Content rules.
cat >rules.xml <<'EOX'
<mods xmlns="http://www.loc.gov/mods/v3" version="3.8">
  <titleInfo lang="mri" xml:lang="mao"><title>Ngā waiata</title></titleInfo>
  <originInfo><dateIssued encoding="w3cdtf">2021-02-30</dateIssued></originInfo>
  <language><languageTerm type="code" authority="iso639-2b">xxx</languageTerm></language>
</mods>
EOX
run metadata validate --schema-dir "$SCH" rules.xml
expect_rc "content rules fail the file" 1
expect_err "a B code in xml:lang" "rules.xml:2: xml:lang 'mao': 'mao' is an ISO 639-2/B code; BCP 47 uses 'mi'"
expect_err "a T code in @lang" "rules.xml:2: @lang 'mri' is the ISO 639-2/T code; MODS @lang takes the B code 'mao'"
expect_err "an impossible date" "rules.xml:3: date '2021-02-30' is declared w3cdtf but is not a W3CDTF date"
expect_err "an unknown language code" "rules.xml:4: @lang 'xxx' is not an ISO 639-2/B code"
printf 'title,date\n,2021\nok,next year\n' >rows.csv
run metadata validate --no-schema rows.csv
expect_rc "CSV content rules" 1
expect_err "a row without a title" 'rows.csv:2: record has no title'
expect_err "a row with a bad date" "rows.csv:3: date 'next year' is neither W3CDTF nor EDTF"

# Hostile XML.
cat >xxe.xml <<'EOX'
<?xml version="1.0"?>
<!DOCTYPE mods [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<mods xmlns="http://www.loc.gov/mods/v3"><titleInfo><title>&xxe;</title></titleInfo></mods>
EOX
cat >lol.xml <<'EOX'
<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>&lol9;</dc:title></oai_dc:dc>
EOX
cat >dtd.xml <<'EOX'
<?xml version="1.0"?>
<!DOCTYPE mods SYSTEM "http://127.0.0.1:9/evil.dtd">
<mods xmlns="http://www.loc.gov/mods/v3"><titleInfo><title>t</title></titleInfo></mods>
EOX
for f in xxe lol dtd; do
	run metadata validate --schema-dir "$SCH" $f.xml
	expect_rc "$f.xml is refused (exit 1)" 1
	expect_out "$f.xml is invalid" "$f.xml: invalid"
	expect_err "$f.xml refusal says why" "$f.xml' line [0-9]+: refused"
done
expect_no_out "nothing of /etc/passwd" 'root:'

run metadata validate --json --schema-dir "$SCH" "$SCH/samples/mods-invalid.xml" xxe.xml
expect_rc "--json: exit 1" 1
expect_json "--json: overall" .valid false
expect_json "--json: per file" '.files[1].valid' false
expect_json "--json: the refusal" '.files[1].errors[0].message | test("refused")' true
expect_json "--json: schema errors" '[.files[0].errors[] | select(.message | startswith("schema:"))] | length' 2

# Every record convert writes validates.
for to in oai_dc dcterms mods; do
	run -q metadata convert --to $to -o gen.$to.xml "$FIX/multilingual.csv"
	run -q metadata validate --schema-dir "$SCH" gen.$to.xml
	expect_rc "generated $to is valid" 0
done
finish
