#!/bin/sh
# bench/audit.sh VELLUM - fixity audit throughput and memory, side by side
# with the `openssl speed` limit (all cores) and hashdeep, in one run:
#   small: 2,000 files of 32 KiB (100 objects x 20 files)
#   big:   8 files of 128 MiB (8 objects)
# each as sha256 bags and as sha512 bags (hashdeep has no sha512, so that
# column is sha256 only).  Also the time to decide which objects to audit
# with 1,000,000 objects in the catalog, and peak RSS of each run.
# Data goes to bench/out/audit (git-ignored).  Files are hot in the page
# cache: this measures hashing and bookkeeping, not the disk.
set -eu
V=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=$TOP/bench/out/audit
. "$TOP/tests/cli/audit-fixture.sh"
NCPU=$(nproc)
command -v hashdeep >/dev/null 2>&1 ||
	{ apt-get install -y hashdeep >/dev/null 2>&1 || echo "(hashdeep unavailable)"; }
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"

mb() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / s / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# The openssl limit in bytes/s on all cores for one algorithm, 64 KiB
# buffers (the engine's read size).
limit() {
	openssl speed -multi "$NCPU" -seconds 3 -bytes 65536 -evp "$1" 2>/dev/null |
		awk -v a="$1" '$1 == a { v = $NF; sub(/k$/, "", v); print v * 1000 }'
}

make_repo() { # NAME ALG N_OBJECTS FILES_PER_OBJECT SIZE
	"$V" init "$1" >/dev/null
	i=0
	while [ "$i" -lt "$3" ]; do
		AUDIT_ALGS=$2 AUDIT_SIZE=$5 audit_plant "$1" "$(printf 'obj%04d' "$i")" "$4"
		i=$((i + 1))
	done
}

printf '%-12s %-7s %9s %9s %7s %9s %7s %9s\n' set alg vellum limit ratio hashdeep ×hd "rss KiB"
for set in small big; do
	for alg in sha256 sha512; do
		if [ $set = small ]; then make_repo "$set-$alg" $alg 100 20 32768; else make_repo "$set-$alg" $alg 8 1 134217728; fi
		# Warm the page cache and write the planted repository out (the
		# audit's commit must not pay for the setup's journal), then
		# measure.
		cat "$set-$alg"/storage/objects/*/*/*/data/* >/dev/null
		sync
		/usr/bin/time -f %M -o rss.txt "$V" -r "$set-$alg" audit --json --no-notify >run.json
		bytes=$(jq .bytes run.json)
		secs=$(jq .seconds run.json)
		[ "$(jq .failed_objects run.json)" = 0 ] || { echo "audit failed on $set-$alg"; exit 1; }
		lim=$(limit $alg)
		v=$(awk -v b="$bytes" -v s="$secs" 'BEGIN { print b / s }')
		hd="n/a" hdr="n/a"
		if [ $alg = sha256 ] && command -v hashdeep >/dev/null 2>&1; then
			hashdeep -c sha256 -r -l "$set-$alg/storage/objects" >known.txt 2>/dev/null
			t0=$(now)
			hashdeep -c sha256 -r -l -a -k known.txt "$set-$alg/storage/objects" >hd.out 2>&1 ||
				{ echo "hashdeep audit failed: $(tail -n 1 hd.out)"; exit 1; }
			t1=$(now)
			hdbytes=$(du -sb "$set-$alg/storage/objects" | cut -f1)
			hdv=$(awk -v b="$hdbytes" -v s="$(elapsed "$t0" "$t1")" 'BEGIN { print b / s }')
			hd=$(mb "$hdv" 1)
			hdr=$(ratio "$v" "$hdv")
		fi
		printf '%-12s %-7s %9s %9s %7s %9s %7s %9s\n' "$set" "$alg" "$(mb "$v" 1)" "$(mb "$lim" 1)" \
			"$(ratio "$v" "$lim")" "$hd" "$hdr" "$(cat rss.txt)"
		[ $set = big ] && rm -rf "$set-$alg"
	done
done
echo "(MiB/s; ratio = vellum / openssl speed on $NCPU cores; ×hd = vellum / hashdeep -j$NCPU;"
echo " targets: >= 0.85 of the limit on big files, >= 0.6 on small ones, >= 3x hashdeep)"

# Deciding what to audit with 1,000,000 objects in the catalog.
"$V" init select >/dev/null
sqlite3 select/catalog.db <<'SQL'
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999999)
INSERT INTO objects(id, created, datestamp, storage_key, last_audit)
SELECT printf('v%07d', i), '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z',
       printf('%02x/%02x/v%07d', i % 256, (i / 256) % 256, i),
       CASE WHEN i % 10 = 0 THEN NULL
            ELSE strftime('%Y-%m-%dT%H:%M:%SZ', '2024-01-01', '+' || (i % 400) || ' days') END
FROM n;
SQL
sel() { # LABEL ARGS...
	label=$1
	shift
	t0=$(now)
	/usr/bin/time -f %M -o rss.txt "$V" -r select audit --dry-run "$@" >sel.out
	t1=$(now)
	printf '  %-44s %6s s  %7s objects  rss %s KiB\n' "$label" "$(elapsed "$t0" "$t1")" "$(wc -l <sel.out)" "$(cat rss.txt)"
}
echo "Selecting among 1,000,000 catalog objects (target < 1 s):"
sel "first 1,000 (oldest-checked first)" --max-objects 1000
sel "--older-than 90d, first 1,000" --older-than 90d --max-objects 1000
sel "--shard 3/7, first 1,000" --shard 3/7 --max-objects 1000
sel "the whole order, all 1,000,000" 
