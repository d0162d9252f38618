#!/bin/sh
# bench/harvest.sh VELLUM - the OAI-PMH harvester against curl fetching
# the same pages, both from a Vellum provider of 100,000 synthetic
# records on 127.0.0.1, in the same run.
#
#   1. the source: 100,000 records (`vellum oai synth`, every 50th a
#      tombstone; reused from bench/out/harvest when already there),
#      served by `vellum serve --threads 2`, page_size 100;
#   2. curl: the whole list, one curl per page in a shell loop, the next
#      token cut out with sed, gzip asked for like the harvester does
#      (transfer only);
#   3. `vellum harvest run` into a fresh repository: fetch, parse,
#      describe, and store (metadata-only objects kept in the catalog,
#      a page per transaction, on a storing thread);
#   4. the same list again with --full: every record fetched, parsed and
#      found unchanged (the harvester without storing);
#   5. one record per transaction (--batch 1) for HARVEST_BENCH_SLOW
#      seconds (10), stopped with SIGINT, its rate taken from what it
#      stored;
#   6. the harvested repository is removed (about 0.7 GB); the source
#      is kept for the next run.
# Target (issue 9): harvest >= 0.7 x the curl rate, parsing and storing
# included.  Records/s count every list entry (tombstones included) for
# both sides.
set -u
VELLUM=${1:-./vellum}
case "$VELLUM" in /*) ;; *) VELLUM=$(pwd)/$VELLUM ;; esac
N=${HARVEST_BENCH_RECORDS:-100000}
SLOW=${HARVEST_BENCH_SLOW:-10}
OUT=$(pwd)/bench/out/harvest
SRC=$OUT/source
HUB=$OUT/hub
mkdir -p "$OUT"
SRV=""
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b > 0 ? a / b : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }

# ---- 1. the source ----
have=$(sqlite3 "$SRC/catalog.db" 'SELECT count(*) FROM objects' 2>/dev/null || echo 0)
if [ "$have" != "$N" ]; then
	rm -rf "$SRC"
	"$VELLUM" init --name "Harvest benchmark source" \
		--namespace src.example.org --admin-email bench@example.org \
		"$SRC" >/dev/null || exit 1
	t0=$(now)
	"$VELLUM" -q -r "$SRC" oai synth "$N" --collections 20 \
		--deleted-every 50 || exit 1
	echo "source: $N records in $(since "$t0") s"
else
	echo "source: reusing $N records in $SRC"
fi
sed -i "s/^page_size = .*/page_size = 100/" "$SRC/vellum.conf"
PORT=$(free_port)
B=http://127.0.0.1:$PORT/oai
"$VELLUM" -r "$SRC" serve --listen "127.0.0.1:$PORT" --base-url "$B" \
	--threads 2 --no-access-log >"$OUT/serve.out" 2>"$OUT/serve.log" &
SRV=$!
i=0
while [ $i -lt 100 ] && ! grep -q listening "$OUT/serve.out" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
# Records datestamped in the second a list starts wait for the next one.
sleep 1

# ---- 2. curl ----
t0=$(now)
url="$B?verb=ListRecords&metadataPrefix=oai_dc"
pages=0
while :; do
	curl -s --compressed -o "$OUT/page.xml" "$url" || { echo "curl failed" >&2; exit 1; }
	pages=$((pages + 1))
	tok=$(sed -n 's/.*<resumptionToken[^>]*>\([^<][^<]*\)<\/resumptionToken>.*/\1/p' "$OUT/page.xml")
	[ -z "$tok" ] && break
	url="$B?verb=ListRecords&resumptionToken=$tok"
done
curl_s=$(since "$t0")
echo "curl: $pages pages in $curl_s s"

# ---- 3. the harvest ----
rm -rf "$HUB"
"$VELLUM" init --name "Harvest benchmark hub" --namespace hub.example.org \
	--admin-email bench@example.org "$HUB" >/dev/null || exit 1
"$VELLUM" -q -r "$HUB" harvest add src "$B" --delay 0 || exit 1
t0=$(now)
"$VELLUM" -r "$HUB" harvest run src --json >"$OUT/run.json" || {
	echo "harvest failed" >&2
	cat "$OUT/run.json" >&2
	exit 1
}
hv_s=$(since "$t0")
records=$(jq '.sources[0].records' "$OUT/run.json")
added=$(jq '.sources[0].added' "$OUT/run.json")
hv_pages=$(jq '.sources[0].pages' "$OUT/run.json")
[ "$hv_pages" = "$pages" ] || echo "warning: curl read $pages pages, the harvest $hv_pages" >&2
curl_rate=$(div "$records" "$curl_s")
hv_rate=$(div "$records" "$hv_s")
echo "harvest: $records records ($added objects stored) in $hv_s s"
du -sh "$HUB/storage" "$HUB/catalog.db" 2>/dev/null | sed 's/^/  size: /'

# ---- 4. again, nothing to store ----
t0=$(now)
"$VELLUM" -r "$HUB" harvest run src --full --json >"$OUT/full.json" || exit 1
full_s=$(since "$t0")
full_rate=$(div "$(jq '.sources[0].records' "$OUT/full.json")" "$full_s")
echo "harvest --full, all unchanged: $full_s s"

# ---- 5. the per-record path, a sample ----
"$VELLUM" -q -r "$HUB" harvest add slow "$B" --delay 0 || exit 1
t0=$(now)
"$VELLUM" -r "$HUB" harvest run slow --batch 1 --json >"$OUT/slow.json" \
	2>/dev/null &
pid=$!
sleep "$SLOW"
kill -INT "$pid" # stops after the record being stored
wait "$pid"
slow_s=$(since "$t0")
slow_added=$(jq '.sources[0].added + .sources[0].unchanged' "$OUT/slow.json")
slow_rate=$(div "$slow_added" "$slow_s")
echo "harvest --batch 1 (a transaction per record): $slow_added records in $slow_s s (stopped)"

kill "$SRV" 2>/dev/null
wait "$SRV" 2>/dev/null
SRV=""

echo
echo "records/s              rate     x curl"
printf "curl (transfer only)   %-8s 1.000\n" "$curl_rate"
printf "harvest                %-8s %s   target >= 0.7\n" "$hv_rate" "$(ratio "$hv_rate" "$curl_rate")"
printf "harvest, unchanged     %-8s %s\n" "$full_rate" "$(ratio "$full_rate" "$curl_rate")"
printf "harvest, --batch 1     %-8s %s\n" "$slow_rate" "$(ratio "$slow_rate" "$curl_rate")"
# ~100,000 catalog-only objects (~0.7 GB): not kept on a shared disk.
rm -rf "$HUB"
