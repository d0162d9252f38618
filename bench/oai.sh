#!/bin/sh
# bench/oai.sh VELLUM - the OAI-PMH provider against nginx serving the
# same bytes from a file, on a catalog of 1,000,000 synthetic records.
#
#   1. load 1,000,000 records (`vellum oai synth`; reused from
#      bench/out/oai when already there);
#   2. a full harvest with curl, one process per page, page_size 1000
#      (with 100 records a page, starting 10,000 curl processes alone
#      takes longer than the target); it also yields the resumption token
#      at depth 900,000, and checks that the first page's
#      completeListSize is the number of records harvested;
#   3. with page_size 100: wrk -t2 -c16 on ListRecords oai_dc page 1, on
#      the page at depth 900,000 (its token) and on GetRecord, then nginx
#      (127.0.0.1, a config of its own) serving page 1 and the deep page
#      as static files;
#   4. ratios, and the server's peak RSS.
# Targets (issue 8): ListRecords >= 0.3 x nginx req/s; deep page within
# 1.2x of page 1; full harvest < 60 s; RSS < 100 MB.
# Needs wrk and nginx: installed with apt-get when missing (as root).
set -u
VELLUM=${1:-./vellum}
case "$VELLUM" in /*) ;; *) VELLUM=$(pwd)/$VELLUM ;; esac
N=${OAI_BENCH_RECORDS:-1000000}
DUR=${OAI_BENCH_SECONDS:-10}
OUT=$(pwd)/bench/out/oai
REPO=$OUT/repo
mkdir -p "$OUT"
SRV=""
NGX=""
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	[ -n "$NGX" ] && kill "$NGX" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT INT TERM

need() { # need COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "oai bench: needs $1: apt-get install $2" >&2
		exit 1
	fi
	echo "oai bench: installing $2"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq "$2" >/dev/null; } ||
		{ echo "oai bench: cannot install $2" >&2; exit 1; }
}
need wrk wrk
need nginx nginx-light
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

LOAD0=$(uptime | sed 's/.*load average: //')

# ---- 1. the catalog ----
have=$(sqlite3 "$REPO/catalog.db" 'SELECT count(*) FROM objects' 2>/dev/null || echo 0)
if [ "$have" != "$N" ]; then
	rm -rf "$REPO"
	"$VELLUM" init --name "OAI benchmark" --namespace bench.example.org \
		--admin-email bench@example.org "$REPO" >/dev/null || exit 1
	t0=$(now)
	"$VELLUM" -q -r "$REPO" oai synth "$N" --collections 20 \
		--deleted-every 50 || exit 1
	echo "load: $N records in $(since "$t0") s"
else
	echo "load: reusing $N records in $REPO"
fi

start_server() { # PAGE_SIZE [OPTION]
	sed -i "s/^page_size = .*/page_size = $1/" "$REPO/vellum.conf"
	PORT=$(free_port)
	B=http://127.0.0.1:$PORT/oai
	"$VELLUM" -r "$REPO" serve --listen "127.0.0.1:$PORT" --base-url "$B" \
		--threads 2 --no-access-log ${2:-} >"$OUT/serve.out" \
		2>"$OUT/serve.log" &
	SRV=$!
	i=0
	while [ $i -lt 300 ] && ! grep -q listening "$OUT/serve.out"; do
		sleep 0.1
		i=$((i + 1))
	done
}
stop_server() {
	kill "$SRV"
	wait "$SRV"
	SRV=""
}

# ---- 2. the full harvest ----
start_server 1000
token_of() { sed -n 's/.*<resumptionToken[^>]*>\([^<]*\)<.*/\1/p' "$1"; }
t0=$(now)
url="$B?verb=ListRecords&metadataPrefix=oai_dc"
pages=0
records=0
DEEP_TOKEN=""
size=""
while :; do
	curl -s -o "$OUT/h.xml" "$url" || { echo "harvest: curl failed" >&2; exit 1; }
	[ -z "$size" ] && size=$(sed -n 's/.*completeListSize="\([0-9]*\)".*/\1/p' "$OUT/h.xml")
	pages=$((pages + 1))
	records=$((records + $(grep -c '<record>' "$OUT/h.xml")))
	tok=$(token_of "$OUT/h.xml")
	[ -z "$tok" ] && break
	# The page at cursor 899000 points to the one at depth 900,000.
	grep -q 'cursor="899000"' "$OUT/h.xml" && DEEP_TOKEN=$tok
	url="$B?verb=ListRecords&resumptionToken=$tok"
done
harvest=$(since "$t0")
echo "harvest: $records records in $pages pages (1000 a page) in $harvest s"
# The first page's completeListSize must be exact (issue 8).
[ "$size" = "$records" ] || { echo "harvest: completeListSize $size, $records records" >&2; exit 1; }
[ -z "$DEEP_TOKEN" ] && { echo "harvest: no token at depth 900000" >&2; exit 1; }
stop_server

# ---- 3. throughput ----
start_server 100
P1="$B?verb=ListRecords&metadataPrefix=oai_dc"
PD="$B?verb=ListRecords&resumptionToken=$DEEP_TOKEN"
GR="$B?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai%3Abench.example.org%3Asynth-00500001"
curl -s -o "$OUT/p1.xml" "$P1"
curl -s -o "$OUT/pd.xml" "$PD"
grep -q 'cursor="900000"' "$OUT/pd.xml" || { echo "deep page is not at 900000" >&2; exit 1; }
rate() { wrk -t2 -c16 -d"${DUR}s" "$1" | awk '/^Requests\/sec/ {print $2}'; }
r_p1=$(rate "$P1")
r_pd=$(rate "$PD")
r_gr=$(rate "$GR")
rss=$(awk '/VmHWM/ {print $2}' "/proc/$SRV/status")
stop_server
# The same without the page cache: every page read from the catalog.
start_server 100 --no-page-cache
u_p1=$(rate "$B?verb=ListRecords&metadataPrefix=oai_dc")
u_pd=$(rate "$B?verb=ListRecords&resumptionToken=$DEEP_TOKEN")
rss2=$(awk '/VmHWM/ {print $2}' "/proc/$SRV/status")
[ "$rss2" -gt "$rss" ] && rss=$rss2
stop_server

mkdir -p "$OUT/ngx/html" "$OUT/ngx/tmp"
cp "$OUT/p1.xml" "$OUT/ngx/html/p1.xml"
cp "$OUT/pd.xml" "$OUT/ngx/html/pd.xml"
NPORT=$(free_port)
cat >"$OUT/ngx/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $OUT/ngx/nginx.pid;
error_log $OUT/ngx/error.log;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path $OUT/ngx/tmp; proxy_temp_path $OUT/ngx/tmp;
  fastcgi_temp_path $OUT/ngx/tmp; uwsgi_temp_path $OUT/ngx/tmp;
  scgi_temp_path $OUT/ngx/tmp;
  types { text/xml xml; }
  server { listen 127.0.0.1:$NPORT; root $OUT/ngx/html; }
}
EOF
"$NGINX" -c "$OUT/ngx/nginx.conf" -p "$OUT/ngx" &
NGX=$!
sleep 0.5
n_p1=$(rate "http://127.0.0.1:$NPORT/p1.xml")
n_pd=$(rate "http://127.0.0.1:$NPORT/pd.xml")
kill "$NGX"
wait "$NGX" 2>/dev/null
NGX=""

# ---- 4. the report ----
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
verdict() { awk "BEGIN { exit !($1) }" && echo "ok" || echo "MISSED"; }
size1=$(wc -c <"$OUT/p1.xml")
cat <<EOF

OAI-PMH benchmark: $N records, wrk -t2 -c16 ${DUR}s, page_size 100 ($size1 bytes a page)
  load at the start       $LOAD0
  load at the end         $(uptime | sed 's/.*load average: //')
  ListRecords page 1      vellum $r_p1 req/s   nginx (same bytes) $n_p1 req/s
  ListRecords depth 900k  vellum $r_pd req/s   nginx (same bytes) $n_pd req/s
  GetRecord               vellum $r_gr req/s
  without the page cache  page 1 $u_p1 req/s, depth 900k $u_pd req/s
                          (ratio to nginx $(ratio "$u_p1" "$n_p1"), deep / page 1 $(ratio "$u_p1" "$u_pd") x slower)
  ratio page 1 / nginx    $(ratio "$r_p1" "$n_p1")   (target >= 0.3: $(verdict "$r_p1 >= 0.3 * $n_p1"))
  ratio deep / page 1     $(ratio "$r_p1" "$r_pd") x slower   (target <= 1.2: $(verdict "$r_p1 <= 1.2 * $r_pd"))
  full curl harvest       $harvest s for $records records   (target < 60 s: $(verdict "$harvest < 60"))
  server peak RSS         $((rss / 1024)) MB   (target < 100 MB: $(verdict "$rss < 102400"))
EOF
