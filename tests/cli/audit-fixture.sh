# audit-fixture.sh - sourced by the t07NN audit tests and bench/audit.sh:
# plants stored objects the way ingest leaves them (a BagIt bag under
# storage/objects/XX/YY/ID with real manifests and tag manifests, and the
# catalog's objects, files, digests and collection rows), so the audit
# can be tested before `vellum ingest` exists.  Replace audit_plant's body
# with a `vellum ingest` call once it does; the tests only use these
# functions.
#
#   audit_dir REPO ID            prints the object's storage directory
#   audit_plant REPO ID [N]      an object with N payload files (default
#                                2: data/a.txt and data/sub/b.txt, else
#                                data/fNNNN.bin); $AUDIT_ALGS (default
#                                sha512) names the digest algorithms,
#                                $AUDIT_COLLECTION a collection to join,
#                                $AUDIT_SIZE the size of each generated
#                                payload file (default: small text)

audit_dir() {
	_h=$(printf %s "$2" | sha256sum | cut -c1-4)
	echo "$1/storage/objects/$(echo "$_h" | cut -c1-2)/$(echo "$_h" | cut -c3-4)/$2"
}

_audit_sql_str() { printf "'%s'" "$(printf %s "$1" | sed "s/'/''/g")"; }

audit_plant() {
	_repo=$1 _id=$2 _n=${3:-2}
	_d=$(audit_dir "$_repo" "$_id")
	_key=${_d#"$_repo"/storage/objects/}
	mkdir -p "$_d/data" "$_d/metadata"
	if [ "$_n" -eq 2 ] && [ -z "${AUDIT_SIZE:-}" ]; then
		mkdir -p "$_d/data/sub"
		printf 'hello %s\n' "$_id" >"$_d/data/a.txt"
		printf 'second file of %s\n' "$_id" >"$_d/data/sub/b.txt"
	else
		_i=0
		while [ "$_i" -lt "$_n" ]; do
			_f=$(printf '%s/data/f%04d.bin' "$_d" "$_i")
			if [ -n "${AUDIT_SIZE:-}" ]; then
				head -c "$AUDIT_SIZE" /dev/urandom >"$_f"
			else
				printf 'file %d of %s\n' "$_i" "$_id" >"$_f"
			fi
			_i=$((_i + 1))
		done
	fi
	printf 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n' >"$_d/bagit.txt"
	printf '<mods xmlns="http://www.loc.gov/mods/v3"><titleInfo><title>%s</title></titleInfo></mods>\n' "$_id" >"$_d/metadata/mods.xml"
	printf '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"/>\n' >"$_d/metadata/dc.xml"
	printf '<premis xmlns="http://www.loc.gov/premis/v3" version="3.0"/>\n' >"$_d/metadata/premis.xml"
	_bytes=$(cat "$_d"/data/* "$_d"/data/*/* 2>/dev/null | wc -c)
	_files=$(cd "$_d" && find data -type f | wc -l)
	printf 'Bagging-Date: 2024-01-01\nPayload-Oxum: %s.%s\n' "$_bytes" "$_files" >"$_d/bag-info.txt"
	for _a in ${AUDIT_ALGS:-sha512}; do
		(cd "$_d" && find data -type f | LC_ALL=C sort | xargs "${_a}sum") >"$_d/manifest-$_a.txt"
	done
	for _a in ${AUDIT_ALGS:-sha512}; do
		(cd "$_d" && ls bagit.txt bag-info.txt manifest-*.txt metadata/* | xargs "${_a}sum") >"$_d/tagmanifest-$_a.txt"
	done
	{
		echo "BEGIN;"
		if [ -n "${AUDIT_COLLECTION:-}" ]; then
			echo "INSERT INTO collections(spec, name, created) VALUES($(_audit_sql_str "$AUDIT_COLLECTION"), 'c', '2024-01-01T00:00:00Z') ON CONFLICT DO NOTHING;"
			echo "INSERT INTO object_collections VALUES($(_audit_sql_str "$_id"), $(_audit_sql_str "$AUDIT_COLLECTION"));"
		fi
		echo "INSERT INTO objects(id, created, datestamp, title, storage_key, payload_files, payload_bytes, md_version) VALUES($(_audit_sql_str "$_id"), '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', 'Object $_id', $(_audit_sql_str "$_key"), $_files, $_bytes, 1);"
		(cd "$_d" && find . -type f | sed 's|^\./||' | LC_ALL=C sort) | while read -r _p; do
			case $_p in data/*) _kind=payload ;; *) _kind=tag ;; esac
			echo "INSERT INTO files(object_id, path, kind, size) VALUES($(_audit_sql_str "$_id"), $(_audit_sql_str "$_p"), '$_kind', $(stat -c %s "$_d/$_p"));"
			for _a in ${AUDIT_ALGS:-sha512}; do
				echo "INSERT INTO digests VALUES($(_audit_sql_str "$_id"), $(_audit_sql_str "$_p"), '$_a', '$("${_a}sum" <"$_d/$_p" | cut -d' ' -f1)');"
			done
		done
		echo "COMMIT;"
	} | sqlite3 "$_repo/catalog.db"
}
