#!/bin/sh
# t0602-lifecycle: show, list, export and delete on objects placed in the
# catalog and storage the way ingest leaves them; export of catalog-only
# objects (`vellum oai synth`), bagged from the catalog.
. "$TOP/tests/cli/lib.sh"

run init repo
# plant ID TITLE CREATED COLLECTION: a stored bag plus its catalog rows.
plant() {
	h=$(printf %s "$1" | sha256sum | cut -c1-4)
	key=$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-4)/$1
	d=repo/storage/objects/$key
	mkdir -p "$d/data/img"
	printf 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n' >"$d/bagit.txt"
	echo "hello $1" >"$d/data/a.txt"
	printf '\211PNG\r\n\032\n' >"$d/data/img/p.png"
	sqlite3 repo/catalog.db "INSERT INTO collections(spec, name, created) VALUES('$4', '$4', '$3') ON CONFLICT DO NOTHING;
INSERT INTO objects(id, created, datestamp, title, storage_key, payload_files, payload_bytes, md_version) VALUES('$1', '$3', '$3', '$2', '$key', 2, 20, 1);
INSERT INTO object_collections VALUES('$1', '$4');
INSERT INTO files(object_id, path, kind, size, mime) VALUES('$1', 'data/a.txt', 'payload', 12, 'text/plain'), ('$1', 'data/img/p.png', 'payload', 8, 'image/png'), ('$1', 'bagit.txt', 'tag', 55, 'text/plain');
INSERT INTO digests VALUES('$1', 'data/a.txt', 'sha512', 'ab12');
INSERT INTO metadata VALUES('$1', 1, 'oai_dc', '<x/>', '$3', 'tester', NULL), ('$1', 1, 'mods', '<y/>', '$3', 'tester', NULL);"
}
plant ob-1 "Χάρτης της Κρήτης" 2024-01-10T10:00:00Z maps
plant ob-2 "Harbour photographs" 2024-03-05T09:00:00Z photos:harbours
plant ob-3 "Seed catalogue" 2024-06-01T12:00:00Z photos

run -r repo show ob-1
expect_rc "show exits 0" 0
expect_out "show gives the title" '^Title: +Χάρτης της Κρήτης$'
expect_out "show lists files with MIME types" 'data/img/p.png .* image/png'
expect_out "show lists digests" 'sha512:ab12'
expect_out "show lists metadata versions" '^  v1 .*mods,oai_dc'
run -r repo show --json ob-1
expect_json "show --json files" '.files | length' 3
expect_json "a stored bag is not catalog-only" '.catalog_only' false
expect_json "show --json collections" '.collections[0]' maps
run -r repo show nope
expect_rc "show of unknown object exits 3" 3
expect_err "show names the unknown object" "no object 'nope'"

run -r repo list
expect_rc "list exits 0" 0
expect_lines "list shows every object" "$OUT" 3
run -r repo list --collection photos
expect_lines "list --collection includes sub-collections" "$OUT" 2
run -r repo list --collection photos:harbours --json
expect_json "list --collection of a leaf" '.[0].id' ob-2
run -r repo list --format 'image/*' --from 2024-03-01 --until 2024-03-05
expect_out "list combines format and dates" '^ob-2'
expect_lines "until a date includes the whole day" "$OUT" 1
run -r repo list --title 'SEED'
expect_out "list --title ignores case" '^ob-3'
run -r repo list --from yesterday
expect_rc "a bad date is a usage error" 2
expect_err "the bad date is named" "'yesterday'"
run -r repo list --limit 1
expect_lines "list --limit" "$OUT" 1

run -r repo export --to out ob-1
expect_rc "export to a directory exits 0" 0
check "exported payload" cmp out/ob-1/data/a.txt repo/storage/objects/*/*/ob-1/data/a.txt
check "exported tag file" test -f out/ob-1/bagit.txt
run -r repo export --to out ob-1
expect_rc "export refuses to overwrite" 3
expect_err "refusal names the directory" "out/ob-1' already exists"
run -r repo export --to ob-1.tar.gz ob-1
expect_rc "export to tar.gz" 0
check "tar.gz has one top directory" sh -c "tar tzf ob-1.tar.gz | grep -v '^ob-1/' | wc -l | grep -qx 0"
run -r repo export --to ob-1.zip ob-1
expect_rc "export to zip" 0
echo x >afile
run -r repo export --to afile ob-1
expect_rc "a destination that is a file fails" 3
check "the file is untouched" grep -qx x afile
run -r repo export ob-1
expect_rc "export without --to is a usage error" 2

run -r repo delete ob-2
expect_rc "delete without a reason is a usage error" 2
run -r repo delete --reason "donor withdrew consent" --purge ob-2
expect_rc "purge without --yes is a usage error" 2
run -r repo delete --reason "donor withdrew consent" ob-2
expect_rc "delete exits 0" 0
check "stored files removed" sh -c "! ls -d repo/storage/objects/*/*/ob-2 2>/dev/null"
run -r repo show --json ob-2
expect_json "tombstone kept" .status deleted
expect_json "reason kept" .delete_reason "donor withdrew consent"
expect_json "deletion event recorded" '.events[-1].type' deletion
run -r repo list --deleted
expect_out "list --deleted shows the tombstone" '^ob-2'
run -r repo delete --reason again ob-2
expect_rc "deleting twice fails" 3
run -r repo export --to out ob-2
expect_rc "export of a deleted object fails" 3
run -r repo delete --reason "duplicate" --purge --yes ob-3
expect_rc "purge with --yes" 0
run -r repo show --json ob-3
expect_json "purge removes file records" '.files | length' 0
expect_json "purge keeps the tombstone" .status deleted
run -r repo doctor
expect_rc "the repository is consistent after all that" 0

# Catalog-only objects (no bag in storage) are bagged at export.
run init srepo
run -r srepo oai synth 3 --deleted-every 3
expect_rc "synth makes catalog-only objects" 0
run -r srepo export --to sout synth-00000001
expect_rc "export of a catalog-only object to a directory" 0
expect_out "the export says it was bagged from the catalog" \
	'^Exported synth-00000001 to sout/synth-00000001 \(7 files, .*bagged from the catalog\)$'
run bag validate sout/synth-00000001
expect_rc "the exported directory is a valid bag" 0
expect_out "bag validate says valid" ': valid \(BagIt 1.0, 0 payload files'
for f in bagit.txt bag-info.txt manifest-sha512.txt tagmanifest-sha512.txt \
	metadata/mods.xml metadata/dc.xml metadata/premis.xml; do
	check "the bag holds $f" test -f "sout/synth-00000001/$f"
done
check "the payload directory is there and empty" \
	sh -c '[ -d sout/synth-00000001/data ] && [ -z "$(ls -A sout/synth-00000001/data)" ]'
check "bag-info.txt has Payload-Oxum 0.0" grep -qx 'Payload-Oxum: 0.0' sout/synth-00000001/bag-info.txt
check "bag-info.txt names the object" grep -qx 'External-Identifier: synth-00000001' sout/synth-00000001/bag-info.txt
check "bag-info.txt says it is metadata-only" grep -q '^Internal-Sender-Description: A metadata-only object kept in the catalog' sout/synth-00000001/bag-info.txt
dc=$(sqlite3 srepo/catalog.db "SELECT xml FROM metadata WHERE object_id = 'synth-00000001' AND format = 'oai_dc'")
check "dc.xml is the catalog's oai_dc record" test "$dc" = "$(cat sout/synth-00000001/metadata/dc.xml)"
check "the tag manifest verifies with sha512sum" sh -c 'cd sout/synth-00000001 && sha512sum --quiet -c tagmanifest-sha512.txt'
check "nothing partial left beside it" sh -c '[ "$(ls -A sout)" = synth-00000001 ]'
run -r srepo export --json --to synth-00000001.tar.gz synth-00000001
expect_rc "export of a catalog-only object to a .tar.gz" 0
expect_json "export --json says catalog_only" .catalog_only true
expect_json "export --json counts the files" .files 7
check "the .tar.gz has one top directory named after the id" \
	sh -c "tar tzf synth-00000001.tar.gz | grep -v '^synth-00000001/' | wc -l | grep -qx 0"
check "the .tar.gz holds the empty data/" sh -c "tar tzf synth-00000001.tar.gz | grep -qx 'synth-00000001/data/'"
run bag validate synth-00000001.tar.gz
expect_rc "the exported .tar.gz is a valid bag" 0
expect_out "bag validate says the archive is valid" ': valid \(BagIt 1.0'
run -r srepo export --to sout synth-00000001
expect_rc "a second export refuses to overwrite" 3
expect_err "the refusal names the directory" "sout/synth-00000001' already exists"
run -r srepo export --to sout synth-00000003
expect_rc "export of a deleted catalog-only object fails" 3
expect_err "the refusal says it is deleted" "object 'synth-00000003' is deleted"
run -r srepo export --to sout synth-99999999
expect_rc "export of an unknown object fails" 3
expect_err "the refusal names the unknown object" "no object 'synth-99999999'"
check "refusals leave nothing" sh -c '[ "$(ls -A sout)" = synth-00000001 ]'
# Other BagIt tools, when installed (none is required).
if command -v bagit.py >/dev/null 2>&1; then
	check "bagit.py validates the directory" bagit.py --validate sout/synth-00000001
else
	echo "# bagit.py not installed: skipped"
fi
finish
