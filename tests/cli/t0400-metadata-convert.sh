#!/bin/sh
# t0400-metadata-convert: `vellum metadata convert` between MODS, oai_dc,
# dcterms, CSV and JSON; every XML it writes validates against the shared
# schemas; multilingual values keep their language; bad input is refused
# without leaving output behind.
. "$TOP/tests/cli/lib.sh"

FIX=$TOP/tests/fixtures/metadata
SCH=$SHARED/schemas
xsd() { # SCHEMA FILE: xmllint validates FILE offline
	xmllint --nonet --noout --schema "$SCH/$1" "$2"
}

run metadata convert --to oai_dc "$SCH/samples/mods-sample.xml"
expect_rc "mods -> oai_dc exits 0" 0
expect_out "title keeps its language" '<dc:title xml:lang="mi">Ngā waiata o te kāinga</dc:title>'
expect_out "transliterated title keeps its script" '<dc:title xml:lang="ru-Latn">Pesni doma</dc:title>'
expect_out "creator" '<dc:creator>Parata, Aroha</dc:creator>'
expect_out "typeOfResource becomes a DCMI type" '<dc:type>Sound</dc:type>'
expect_out "the rights URI is kept" '<dc:rights>http://rightsstatements.org/vocab/InC/1.0/</dc:rights>'
expect_out "language as BCP 47" '<dc:language>mi</dc:language>'
expect_err "lost fields are warned about" 'warning: .*mods-sample.xml:73: MODS <recordInfo> has no place'
expect_err "dumbed-down refinements are warned about" 'warning: oai_dc: refinements written as their element: issued, extent, abstract'
cp "$OUT" sample-dc.xml
check "oai_dc output is schema-valid" xsd oai_dc.xsd sample-dc.xml

for f in mods-sample.xml oai_dc-sample.xml qdc-sample.xml; do
	for to in oai_dc dcterms mods; do
		case $to in oai_dc) s=oai_dc.xsd ;; dcterms) s=qualifieddc.xsd ;; mods) s=mods-3-8.xsd ;; esac
		run -q metadata convert --to $to -o "$f.$to.xml" "$SCH/samples/$f"
		expect_rc "$f -> $to" 0
		check "$f -> $to validates against $s" xsd $s "$f.$to.xml"
	done
done

# Multilingual records: nine languages, six scripts, both directions.
for f in multilingual-mods.xml multilingual-dc.xml; do
	for to in oai_dc dcterms mods; do
		case $to in oai_dc) s=oai_dc.xsd ;; dcterms) s=qualifieddc.xsd ;; mods) s=mods-3-8.xsd ;; esac
		run -q metadata convert --to $to -o "$f.$to.xml" "$FIX/$f"
		expect_rc "$f -> $to" 0
		check "$f -> $to validates against $s" xsd $s "$f.$to.xml"
	done
done
for pat in 'xml:lang="ar-Arab">أغاني البيت' 'xml:lang="he-Hebr">שירי הבית' \
	'xml:lang="ja">家の歌' 'xml:lang="zh-Hant">家之歌' \
	'xml:lang="el">Τραγούδια του σπιτιού' 'xml:lang="ru-Cyrl">Песни дома' \
	'xml:lang="cr-Cans">ᑭᑫᐃᐧᐣ ᓂᑲᒧᐃᐧᓇ' 'xml:lang="iu-Cans">ᐃᓪᓗᒥ ᐱᓯᐅᑏᑦ'; do
	check "oai_dc keeps $pat" grep -qF "$pat" multilingual-mods.xml.oai_dc.xml
done
check "MODS @lang is ISO 639-2/B" grep -qF 'lang="mao" xml:lang="mi"' multilingual-dc.xml.mods.xml
check "Cree syllabics in MODS" grep -qF 'lang="cre" xml:lang="cr-Cans" script="Cans"' multilingual-dc.xml.mods.xml

# DC -> MODS -> DC gives the same oai_dc again.
run -q metadata convert --to oai_dc -o back.xml multilingual-dc.xml.mods.xml
run -q metadata convert --to mods -o again.mods.xml back.xml
run -q metadata convert --to oai_dc -o back2.xml again.mods.xml
check "DC -> MODS -> DC is a fixed point" cmp back.xml back2.xml

# Same input, same bytes.
run -q metadata convert --to mods -o det1.xml "$FIX/multilingual-mods.xml"
run -q metadata convert --to mods -o det2.xml "$FIX/multilingual-mods.xml"
check "output is deterministic" cmp det1.xml det2.xml

# Standard input needs or detects the format.
"$VELLUM" metadata convert --from mods --to json - <"$SCH/samples/mods-sample.xml" >"$OUT" 2>"$ERR"
RC=$?
expect_rc "stdin with --from" 0
expect_json "json names the main title" .title "Ngā waiata o te kāinga"
expect_json "json keeps the value's language" '.values[0].lang' mi

# Many records: a collection in, a collection out, in constant memory.
{
	echo '<modsCollection xmlns="http://www.loc.gov/mods/v3">'
	i=0
	while [ $i -lt 50 ]; do
		echo "<mods><titleInfo lang=\"eng\"><title>Record $i</title></titleInfo><typeOfResource>text</typeOfResource></mods>"
		i=$((i + 1))
	done
	echo '</modsCollection>'
} >coll.xml
run -q metadata convert --to mods -o coll.mods.xml coll.xml
expect_rc "collection -> mods" 0
check "modsCollection validates" xsd mods-3-8.xsd coll.mods.xml
check "50 records out" test "$(grep -c '<mods ' coll.mods.xml)" -eq 50
run -q metadata convert --to oai_dc -o coll.dc.xml coll.xml
expect_rc "collection -> oai_dc" 0
check "50 oai_dc records in <records>" test "$(grep -c '<oai_dc:dc ' coll.dc.xml)" -eq 50
check "wrapper is <records>" grep -q '^<records>$' coll.dc.xml
run metadata convert --json --to dcterms -o coll.qdc.xml coll.xml
expect_rc "--json with -o" 0
expect_json "--json counts records" .records 50
expect_json "--json names the formats" .from mods

# CSV rows, with the batch-ingest columns skipped.
run metadata convert --to mods "$FIX/multilingual.csv"
expect_rc "csv -> mods" 0
cp "$OUT" csv.mods.xml
check "csv output validates" xsd mods-3-8.xsd csv.mods.xml
check "two rows, two records" test "$(grep -c '<mods ' csv.mods.xml)" -eq 2
expect_out "a role from the header" '<roleTerm type="code" authority="marcrelator">aut</roleTerm>'
expect_out "an authority from the header" '<subject authority="lcsh" lang="eng" xml:lang="en">'
expect_out "a value URI from the cell" 'valueURI="http://id.loc.gov/authorities/subjects/sh85125237"'
expect_out "an escaped bar" '<title>Pipe \| and backslash \\</title>'
"$VELLUM" metadata convert --to oai_dc - <"$FIX/multilingual.csv" >"$OUT" 2>"$ERR"
RC=$?
expect_rc "CSV on stdin is detected" 0
check "both rows read from stdin" test "$(grep -c '<oai_dc:dc ' "$OUT")" -eq 2
expect_out "the first row's first title" '<dc:title xml:lang="mi">Ngā waiata o te kāinga</dc:title>'
printf 'title,colour\nx,blue\n' >bad.csv
run metadata convert --to mods bad.csv
expect_rc "unknown CSV column fails" 3
expect_err "the column is named" "bad.csv' line 1: unknown column 'colour'"
run metadata convert --keep-unknown --to mods bad.csv
expect_rc "--keep-unknown keeps it" 0
expect_out "as a labelled note" '<note displayLabel="colour">blue</note>'

# Bad input: clear error, non-zero exit, nothing written.
printf '<mods xmlns="http://www.loc.gov/mods/v3"><titleInfo><title>x</title>' >broken.xml
run metadata convert --to oai_dc -o out.xml broken.xml
expect_rc "malformed XML exits 3" 3
expect_err "malformed XML is named" "broken.xml'.*malformed XML"
check "no output file left" test ! -e out.xml
check "no temporary file left" sh -c '! ls -a | grep -q vellum-convert'
cat >xxe.xml <<EOX
<?xml version="1.0"?>
<!DOCTYPE mods [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<mods xmlns="http://www.loc.gov/mods/v3"><titleInfo><title>&xxe;</title></titleInfo></mods>
EOX
run metadata convert --to oai_dc xxe.xml
expect_rc "XXE is refused" 3
expect_err "XXE refusal says why" "refused: the DTD declares the external entity 'xxe'"
expect_no_out "nothing of /etc/passwd leaks" 'root:'

run metadata convert --to marc x.xml
expect_rc "unknown --to is a usage error" 2
expect_err "the bad format is named" "unknown format 'marc'"
run metadata convert coll.xml
expect_rc "missing --to" 2
run metadata convert --to mods no-such-file.xml
expect_rc "missing file" 3
expect_err "the missing file is named" "cannot open 'no-such-file.xml'"
run metadata frobnicate
expect_rc "unknown subcommand" 2
run help metadata
expect_rc "help metadata" 0
expect_out "help lists convert" 'metadata convert'
finish
