#!/bin/sh
# t0900-harvest: `vellum harvest` against Vellum's own provider: a second
# repository served by `vellum serve` on 127.0.0.1 is harvested fully,
# then incrementally after records were added, changed and deleted at
# the source (only the changes come over; deletions become tombstones);
# the re-exposed records carry their provenance in `about` and validate
# against the schemas; harvested objects are metadata-only, kept in the
# catalog alone, exported as valid bags, and audit and doctor accept the
# repository; sets, MODS, one record per transaction, adoption after a
# lost map row, the lock, and the command's usage errors.  The server is
# killed by this script.
. "$TOP/tests/cli/lib.sh"

SRV=""
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM PIPE HUP
S=$SHARED/schemas
q() { sqlite3 "$1"/catalog.db "$2"; }
valid() { xmllint --noout --nonet --schema "$S/${2:-oai-pmh-bundle.xsd}" "$1" >/dev/null 2>&1; }
xp() { xmllint --xpath "$1" "$2" 2>/dev/null; }
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- the source: ingested objects (updatable) and synthetic ones ----
run init --name Source --namespace src.example.org \
	--admin-email curator@example.org src
sed -i 's/^page_size = .*/page_size = 7/' src/vellum.conf
mkdir empty
for i in 1 2 3 4 5; do
	"$VELLUM" -r src ingest -q --allow-duplicate --id "item-$i" \
		--title "Item $i" --creator "Maker, $i" --collection local empty || not_ok "ingest item-$i"
done
run -r src oai synth 20 --collections 3 --deleted-every 5
expect_rc "synthetic records at the source" 0
PORT=$(free_port)
URL=http://127.0.0.1:$PORT/oai
"$VELLUM" -r src serve --listen "127.0.0.1:$PORT" --base-url "$URL" \
	--threads 2 >serve.out 2>serve.log </dev/null &
SRV=$!
i=0
while [ $i -lt 100 ] && ! grep -q listening serve.out 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
active=$(q src "SELECT count(*) FROM objects WHERE status = 'active'")
# A list freezes `until` at the second before it starts (docs/oai.md):
# what changed in that second waits for the next list.
sleep 1.1

# ---- the hub ----
run init --name Hub --namespace hub.example.org --admin-email hub@example.org hub
run -r hub harvest add src "$URL" --delay 0
expect_rc "harvest add" 0
expect_out "add says how to run" 'vellum harvest run src'
run -r hub harvest add src "$URL"
expect_rc "a name is added once" 3
expect_err "the taken name is named" "harvest source 'src' already exists"
run -r hub harvest list --json
expect_json "a source never run harvests everything next" '.[0].next_from' null
expect_json "the default collection is the name" '.[0].collection' src

run -r hub harvest run src --json
expect_rc "the first harvest succeeds" 0
expect_json "it read the whole list" '.sources[0].complete' true
expect_json "every live record was added" '.sources[0].added' "$active"
expect_json "tombstones never seen are not stored" '.sources[0].deleted' 0
expect_json "the first harvest is a whole list" '.sources[0].from' null
pages=$(jqv '.sources[0].pages')
check "it followed resumption tokens" test "$pages" -ge 3
check "as many objects as live records" \
	test "$(q hub "SELECT count(*) FROM objects WHERE status = 'active'")" = "$active"
check "keyed by source identifier" \
	test "$(q hub "SELECT source FROM objects WHERE id = 'src-item-1'")" = oai:src.example.org:item-1
check "in the source's collection" \
	test "$(q hub "SELECT count(*) FROM object_collections WHERE spec = 'src'")" = "$active"
check "the harvester asked for gzip" grep -q 'ListRecords.* gzip$' serve.log

# ---- the harvested objects ----
run -r hub show --json src-item-2
expect_json "the payload is empty" '.payload_files' 0
expect_json "show says it is kept in the catalog alone" '.catalog_only' true
run -r hub show src-item-2
expect_out "in words too" 'Storage: *none, kept in the catalog alone'
check "kept in the catalog alone: no bag in storage" \
	test "$(q hub "SELECT count(*) FROM objects WHERE storage_key IS NOT NULL")" = 0
check "nor files" test "$(q hub "SELECT count(*) FROM files")" = 0
check "storage holds nothing" test -z "$(find hub/storage -type f)"
run -r hub export --to exp src-item-2
expect_rc "a harvested object exports" 0
run bag validate exp/src-item-2
expect_rc "as a valid bag with an empty payload" 0
check "holding the record as harvested" grep -q 'Item 2' exp/src-item-2/metadata/source.xml
check "and its provenance" grep -q 'oai:src.example.org:item-2' exp/src-item-2/metadata/provenance.xml
check "the provenance tag file is schema-valid" valid exp/src-item-2/metadata/provenance.xml provenance.xsd
run -r hub audit
expect_rc "an audit of a hub passes" 0
expect_out "and counts what it has no bag to read for" "$active objects kept in the catalog alone .* not audited"
run -r hub doctor
expect_rc "and the doctor" 0

# ---- re-exposed with provenance ----
"$VELLUM" -r hub oai request 'verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:hub.example.org:src-item-1' >gr.xml 2>/dev/null
check "GetRecord of a harvested record validates" valid gr.xml
check "it has an about container" test -n "$(xp '//*[local-name()="about"]' gr.xml)"
check "naming the source's base URL" \
	test "$(xp 'string(//*[local-name()="originDescription"]/*[local-name()="baseURL"])' gr.xml)" = "$URL"
check "the source identifier" \
	test "$(xp 'string(//*[local-name()="originDescription"]/*[local-name()="identifier"])' gr.xml)" = oai:src.example.org:item-1
src_ds=$(q src "SELECT datestamp FROM objects WHERE id = 'item-1'")
check "its datestamp at the source" \
	test "$(xp 'string(//*[local-name()="originDescription"]/*[local-name()="datestamp"])' gr.xml)" = "$src_ds"
check "the harvested namespace" \
	test "$(xp 'string(//*[local-name()="metadataNamespace"])' gr.xml)" = http://www.openarchives.org/OAI/2.0/oai_dc/
check "and when it was harvested" \
	test -n "$(xp 'string(//*[local-name()="originDescription"]/@harvestDate)' gr.xml)"
xmllint --xpath '//*[local-name()="provenance"]' gr.xml >prov.xml 2>/dev/null
check "the about content validates against provenance.xsd alone" valid prov.xml provenance.xsd
sleep 1.1 # (lists leave out what changed in the second they start)
"$VELLUM" -r hub oai request 'verb=ListRecords&metadataPrefix=oai_dc&set=src' >lr.xml 2>/dev/null
check "ListRecords of the harvested set validates" valid lr.xml
check "each record has its provenance" \
	test "$(xp 'count(//*[local-name()="record"]/*[local-name()="about"])' lr.xml)" = "$active"
cat >mods-drv.xsd <<EOF
<schema xmlns="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x-vellum-t0900">
  <import namespace="http://www.openarchives.org/OAI/2.0/" schemaLocation="$S/OAI-PMH.xsd"/>
  <import namespace="http://www.loc.gov/mods/v3" schemaLocation="$S/mods-3-8.xsd"/>
  <import namespace="http://www.openarchives.org/OAI/2.0/provenance" schemaLocation="$S/provenance.xsd"/>
</schema>
EOF
"$VELLUM" -r hub oai request 'verb=ListRecords&metadataPrefix=mods' >lrm.xml 2>/dev/null
check "re-exposed as MODS with provenance, valid" \
	xmllint --noout --nonet --schema mods-drv.xsd lrm.xml

# ---- incremental: only the changes come over ----
run -r hub harvest run src --json
expect_rc "a second run at once" 0
expect_json "changes nothing" '.sources[0].added + .sources[0].updated + .sources[0].deleted' 0
check "and asks from the last responseDate" grep -q 'ListRecords&metadataPrefix=oai_dc&from=20' serve.log
sleep 1.1 # a change in the second a list starts waits for the next list
cat >changed.xml <<'EOF'
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Item 3, revised</dc:title><dc:creator>Maker, 3</dc:creator></oai_dc:dc>
EOF
"$VELLUM" -r src update -q --metadata changed.xml item-3 || not_ok "update at the source"
"$VELLUM" -r src delete -q --reason "withdrawn" item-4 || not_ok "delete at the source"
"$VELLUM" -r src ingest -q --allow-duplicate --id item-6 --title "Item 6" \
	--collection local empty || not_ok "new at the source"
sleep 1.1
run -r hub harvest run src --json
expect_rc "the incremental run" 0
expect_json "one record added" '.sources[0].added' 1
expect_json "one updated" '.sources[0].updated' 1
expect_json "one deleted" '.sources[0].deleted' 1
expect_json "nothing else came over" '.sources[0].records' 3
expect_json "it was incremental" '.sources[0].from | test("^20")' true
check "the change is a new metadata version" \
	test "$(q hub "SELECT md_version FROM objects WHERE id = 'src-item-3'")" = 2
check "with the new title" \
	test "$(q hub "SELECT title FROM objects WHERE id = 'src-item-3'")" = "Item 3, revised"
check "the deletion is a tombstone" \
	test "$(q hub "SELECT status FROM objects WHERE id = 'src-item-4'")" = deleted
check "whose reason names the source" \
	q hub "SELECT delete_reason FROM objects WHERE id = 'src-item-4'" | grep -q "harvest source 'src'"
"$VELLUM" -r hub oai request 'verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:hub.example.org:src-item-4' >del.xml 2>/dev/null
check "served as a deleted record" test "$(xp 'string(//*[local-name()="header"]/@status)' del.xml)" = deleted
check "without metadata or about" test -z "$(xp '//*[local-name()="about"]|//*[local-name()="metadata"]' del.xml)"
"$VELLUM" -r hub oai request 'verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:hub.example.org:src-item-3' >upd.xml 2>/dev/null
check "the updated record's provenance has the new datestamp" \
	test "$(xp 'string(//*[local-name()="originDescription"]/*[local-name()="datestamp"])' upd.xml)" = \
	"$(q src "SELECT datestamp FROM objects WHERE id = 'item-3'")"
run -r hub harvest list src
expect_out "list counts the records" "records: $active active, 1 deleted, 0 refused"
expect_out "and shows the last run" 'last run: .*ok: .*1 added, 1 updated'

# ---- a set, MODS ----
run -r hub harvest add sets "$URL" --set coll-1 --prefix mods --collection hub:set1 --delay 0
# --batch 1: each record its own transaction (the other runs batch).
run -r hub harvest run sets --batch 1 --json
expect_rc "a set harvested as MODS, record by record" 0
in_set=$(q src "SELECT count(DISTINCT o.id) FROM object_collections c JOIN objects o ON o.id = c.object_id WHERE (c.spec = 'coll-1' OR c.spec LIKE 'coll-1:%') AND o.status = 'active'")
expect_json "only the set's records" '.sources[0].added' "$in_set"
check "they joined the nested collection" \
	test "$(q hub "SELECT count(*) FROM object_collections WHERE spec = 'hub:set1'")" = "$in_set"
sid=$(q hub "SELECT object_id FROM harvest_records WHERE source = 'sets' LIMIT 1")
run -r hub metadata show --format source "$sid"
expect_out "MODS was what came over" 'mods'
check "the record-by-record run keeps the same forms" test \
	"$(q hub "SELECT group_concat(format) FROM (SELECT format FROM metadata WHERE object_id = '$sid' ORDER BY format)")" = \
	"$(q hub "SELECT group_concat(format) FROM (SELECT format FROM metadata WHERE object_id = 'src-item-5' ORDER BY format)")"
check "and the same events" test \
	"$(q hub "SELECT group_concat(type) FROM events WHERE object_id = '$sid'")" = \
	"$(q hub "SELECT group_concat(type) FROM events WHERE object_id = 'src-item-5'")"

run -r hub audit
expect_rc "the audit still passes" 0
run -r hub doctor
expect_rc "and the doctor" 0

# ---- a lost map row: adopted, never duplicated ----
q hub "DELETE FROM harvest_records WHERE source = 'src' AND identifier = 'oai:src.example.org:item-1'"
before=$(q hub "SELECT count(*) FROM objects")
run -r hub harvest run src --full --json
expect_rc "a full run after the map lost a row" 0
expect_json "adds nothing" '.sources[0].added' 0
check "no object was duplicated" test "$(q hub "SELECT count(*) FROM objects")" = "$before"
check "the row is back" \
	test "$(q hub "SELECT object_id FROM harvest_records WHERE identifier = 'oai:src.example.org:item-1'")" = src-item-1

# ---- remove and add again ----
run -r hub harvest remove sets
expect_rc "remove" 0
run -r hub harvest list --json
expect_json "the source is gone" 'map(.name) | join(",")' src
check "its objects stay" test "$(q hub "SELECT count(*) FROM objects WHERE id = '$sid'")" = 1
run -r hub harvest add sets "$URL" --set coll-1 --prefix mods --collection hub:set1 --delay 0
run -r hub harvest run sets --json
expect_json "added again, it finds its objects" '.sources[0].added' 0

# ---- a curator's own edit keeps where the record came from ----
cat >edit.xml <<'EOF'
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Edited at the hub</dc:title></oai_dc:dc>
EOF
run -r hub update --metadata edit.xml src-item-2
expect_rc "a harvested record is updated here" 0
"$VELLUM" -r hub oai request 'verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:hub.example.org:src-item-2' >ed.xml 2>/dev/null
check "served with the new title" grep -q 'Edited at the hub' ed.xml
check "and still with its provenance" \
	test "$(xp 'string(//*[local-name()="originDescription"]/*[local-name()="identifier"])' ed.xml)" = oai:src.example.org:item-2
check "valid" valid ed.xml

# ---- the lock ----
python3 -c '
import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); open(sys.argv[2], "w").close(); time.sleep(5)
' hub/harvest.lock locked &
lk=$!
i=0
while [ ! -e locked ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
run -r hub harvest run src
expect_rc "a second harvest at the same time fails" 3
expect_err "and says why" 'another harvest is running'
kill $lk 2>/dev/null
wait $lk 2>/dev/null

# ---- usage ----
run -r hub harvest
expect_rc "harvest needs a subcommand" 2
run -r hub harvest frob
expect_rc "an unknown subcommand" 2
run -r hub harvest add 'bad name' "$URL"
expect_rc "a bad source name" 2
expect_err "names the rule" "may use only letters"
run -r hub harvest add x ftp://example.org/oai
expect_rc "an ftp URL is refused" 3
expect_err "and named" "must start with http:// or https://"
run -r hub harvest add y "$URL" --prefix marc
expect_rc "an unknown prefix" 2
run -r hub harvest run nosuch
expect_rc "an unknown source" 3
expect_err "is named" "no harvest source 'nosuch'"
run -r hub harvest run src --all
expect_rc "NAME and --all together" 2
run -r hub harvest run src --batch 0
expect_rc "a batch of no records" 2
expect_err "names the option" "--batch needs a number from 1 to 10000"
run -r hub harvest run --timeout 0
expect_rc "a zero timeout" 2
run -r hub harvest remove nosuch
expect_rc "removing an unknown source" 3
run -r hub help harvest
expect_out "help describes provenance" 'about container'

kill "$SRV" 2>/dev/null
wait "$SRV" 2>/dev/null
SRV=""
finish
