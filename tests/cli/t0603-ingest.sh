#!/bin/sh
# t0603-ingest: every kind of source, the stored result, duplicates, dry
# runs, batches, and bad input that must leave nothing behind.
. "$TOP/tests/cli/lib.sh"

S="$SHARED/schemas"
run init --schema-dir "$S" repo
sh "$TOP/tests/fixtures/sample-collection.sh" sample
OBJ=sample/objects

# nothing_stored NAME: the catalog has only the objects listed so far and
# doctor finds nothing wrong.
consistent() {
	run -r repo doctor
	expect_rc "$1: doctor finds the repository consistent" 0
	check "$1: no stage left" sh -c "! ls repo/storage/.staging/* 2>/dev/null | grep -q ."
}
count_objects() { sqlite3 repo/catalog.db "SELECT count(*) FROM objects"; }

run -r repo ingest --id sample-04 --metadata "$OBJ/04.dc.xml" --collection sample:mi "$OBJ/04"
expect_rc "a directory with a DC record is ingested" 0
expect_out "the report names the object" '^ingested sample-04: 4 files'
run -r repo show --json sample-04
expect_json "title in te reo Māori" .title "Ngā waiata o te kāinga"
expect_json "payload files" .payload_files 4
expect_json "metadata version 1" .metadata_version 1
expect_json "collection" '.collections[0]' sample:mi
expect_json "MIME type identified" '[.files[] | select(.path == "data/images/thumbnail.png")][0].mime' image/png
run -r repo export --to out sample-04
run bag validate out/sample-04
expect_rc "the stored bag validates with vellum bag validate" 0
check "PREMIS valid against premis.xsd" xmllint --noout --nonet --schema "$S/premis.xsd" out/sample-04/metadata/premis.xml
check "MODS valid against mods-3-8.xsd" xmllint --noout --nonet --schema "$S/mods-3-8.xsd" out/sample-04/metadata/mods.xml
check "oai_dc valid against oai_dc.xsd" xmllint --noout --nonet --schema "$S/oai_dc.xsd" out/sample-04/metadata/dc.xml
check "the language survives" grep -q 'xml:lang="mi"' out/sample-04/metadata/dc.xml
run -r repo events --json sample-04
expect_json "events: digests, formats, ingestion" '[.[].type] | join(",")' "message digest calculation,format identification,ingestion"
run -r repo metadata show --format mods sample-04
expect_rc "metadata show reads the stored record" 0
expect_out "MODS from the catalog" '<mods'

run -r repo ingest --title "Seed catalogue" --creator "Greenfield Nursery" --lang en --date 1923 --subject Horticulture --json "$OBJ/12"
expect_rc "values from flags" 0
expect_json "a generated id" '.objects[0].id | test("^v[0-9a-z]{26}$")' true
GEN=$(jqv '.objects[0].id')
run -r repo show --json "$GEN"
expect_json "the flag title" .title "Seed catalogue"

run -r repo ingest --id again --metadata "$OBJ/04.dc.xml" "$OBJ/04"
expect_rc "a duplicate payload is not an error" 0
expect_out "the duplicate is named" 'skipped .*same payload as sample-04'
[ "$(count_objects)" = 2 ] && ok "the duplicate is not stored" || not_ok "the duplicate is not stored"
run -r repo ingest --id again --allow-duplicate --metadata "$OBJ/04.dc.xml" "$OBJ/04"
expect_rc "--allow-duplicate stores it" 0

run -r repo ingest --dry-run --id dry --metadata "$OBJ/01.dc.xml" "$OBJ/01"
expect_rc "a dry run" 0
expect_out "a dry run says what it would do" '^would ingest .* as dry: 4 files'
[ "$(count_objects)" = 3 ] && ok "a dry run stores nothing" || not_ok "a dry run stores nothing"

# A bag and a serialized bag are validated and kept as they are.
run bag create -a sha256 "$OBJ/02" bag02
run -r repo ingest --id bag-02 --metadata "$OBJ/02.dc.xml" bag02
expect_rc "a bag directory" 0
run -r repo show --json bag-02
expect_json "its sha256 manifest kept" '[.files[] | select(.path == "manifest-sha256.txt")] | length' 1
run bag pack bag02 bag02.tar.gz
run -r repo ingest --id tgz-02 --allow-duplicate --metadata "$OBJ/02.dc.xml" bag02.tar.gz
expect_rc "a serialized bag" 0
run -r repo events --json tgz-02
expect_json "validation and unpacking recorded" '[.[].type] | .[0:2] | join(",")' "validation,unpacking"
# A Vellum export carries its own description.
run -r repo export --to again-export again
run -r repo ingest --id re-ingest --allow-duplicate again-export/again
expect_rc "a bag with metadata/mods.xml needs no --metadata" 0
run -r repo show --json re-ingest
expect_json "its title came from the bag" .title "Ngā waiata o te kāinga"

N=$(count_objects)
printf 'x' >>bag02/data/transcript-ja.txt
run -r repo ingest --id bad-bag --metadata "$OBJ/02.dc.xml" bag02
expect_rc "an invalid bag exits 1" 1
expect_err "the altered file is named" 'data/transcript-ja.txt'
run -r repo ingest --id no-md "$OBJ/03"
expect_rc "no metadata at all fails" 3
expect_err "says what to give" 'give --metadata FILE or --title'
cat >xxe.xml <<'EOX'
<?xml version="1.0"?>
<!DOCTYPE r [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>&x;</dc:title></oai_dc:dc>
EOX
run -r repo ingest --id xxe --metadata xxe.xml "$OBJ/03"
expect_rc "an XXE record is refused" 3
check "nothing of /etc/passwd stored" sh -c "! grep -rq 'root:' repo/storage repo/catalog.db"
cat >notitle.xml <<'EOX'
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Someone</dc:creator></oai_dc:dc>
EOX
run -r repo ingest --id notitle --metadata notitle.xml "$OBJ/03"
expect_rc "a record without a title is refused" 3
expect_err "it says so" 'title'
run -r repo ingest --id "bad id" --title T "$OBJ/03"
expect_rc "a bad id fails" 3
expect_err "the id is named" "'bad id'"
run -r repo ingest --title T --collection "a b" "$OBJ/03"
expect_rc "a bad collection fails" 3
run -r repo ingest --title T nowhere
expect_rc "a missing source fails" 3
expect_err "the source is named" "'nowhere'"
run -r repo ingest --title T --metadata x.xml "$OBJ/03"
expect_rc "--metadata with --title is a usage error" 2
run -r repo ingest --title T
expect_rc "no SOURCE is a usage error" 2
run -r repo ingest --id sample-04 --allow-duplicate --title T "$OBJ/03"
expect_rc "an id in use fails" 3
expect_err "the id is named" "'sample-04' already exists"
[ "$(count_objects)" = "$N" ] && ok "failures stored nothing" || not_ok "failures stored nothing"
consistent "after failures"

# Disk full: the write fails cleanly (SIGXFSZ ignored, EFBIG returned).
dd if=/dev/zero of=big/data.bin bs=1k count=600 2>/dev/null || { mkdir -p big && dd if=/dev/zero of=big/data.bin bs=1k count=600 2>/dev/null; }
(trap '' XFSZ; ulimit -f 256; "$VELLUM" -r repo ingest --id full --title "Too big" big >"$OUT" 2>"$ERR"); RC=$?
expect_rc "a full disk fails the ingest" 3
expect_err "the error names the problem" 'File too large|No space|cannot'
[ "$(count_objects)" = "$N" ] && ok "nothing stored when the disk is full" || not_ok "nothing stored when the disk is full"
consistent "after a full disk"

# An unreadable file (as a user who may not read it).
mkdir -p locked && echo secret >locked/secret.txt && echo open >locked/open.txt
chmod 000 locked/secret.txt
chmod -R a+rwX repo && chmod a+rwx . "$T"
setpriv --reuid=65534 --regid=65534 --clear-groups "$VELLUM" -r repo ingest --id locked --title Locked locked >"$OUT" 2>"$ERR" </dev/null
RC=$?
expect_rc "an unreadable file fails the ingest" 3
expect_err "the unreadable file is named" 'secret.txt'
[ "$(count_objects)" = "$N" ] && ok "nothing stored for an unreadable file" || not_ok "nothing stored for an unreadable file"

# A batch from a CSV file; rows that fail do not stop the others.
cp sample/collection.csv batch.csv
# a row naming a folder that does not exist (as many fields as the header)
printf 'bad-row,objects/nope,Missing folder%s\n' "$(printf ',%.0s' $(seq 23))" >>batch.csv
cp batch.csv sample/batch.csv
run -r repo ingest --batch sample/batch.csv --collection batch --allow-duplicate
expect_rc "a batch with a failing row exits 3" 3
# sample-04 is already stored: its row fails, as does the missing folder.
expect_out "the batch totals" '^11 ingested, 0 skipped, 2 failed'
expect_err "a row with a taken id is named" "batch.csv:5: object 'sample-04' already exists"
expect_err "the failing row is named by file and line" 'batch.csv:14: .*objects/nope'
run -r repo list --collection batch
expect_lines "the batch's objects are in its collection" "$OUT" 11
run -r repo list --collection sample:el --json
expect_json "the row's own collection" '.[0].id' sample-03
run -r repo ingest --batch nothing.csv
expect_rc "a missing CSV fails" 3
printf 'path,title\nobjects/01,One,extra\n' >sample/short.csv
run -r repo ingest --batch sample/short.csv
expect_rc "a malformed CSV row fails" 3
expect_err "the row's line and field count are named" 'short.csv:2: .*3 fields, but the header has 2'
consistent "after the batch"
finish
