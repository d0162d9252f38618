#!/bin/sh
# t0800-oai-serve: `vellum serve` as harvesters see it: the shared
# OAI-PMH probe, full harvests validated against the schemas, tokens
# across a restart and from elsewhere, gzip, POST, HTTP limits, random
# requests, the access log and a clean shutdown.  Servers listen on
# 127.0.0.1 only and are killed when the script exits.
. "$TOP/tests/cli/lib.sh"

SRV=""
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	rm -rf "$T"
}
# Also on signals (a closed output pipe included): no server outlives us.
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM PIPE HUP
S=$SHARED/schemas

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server REPO: serves REPO on a free port; sets SRV, PORT, B.
start_server() {
	PORT=$(free_port)
	B=http://127.0.0.1:$PORT/oai
	# Emptied here, not by the child's redirection: that may come after
	# the wait below has seen the last server's "listening".
	: >"$T/serve.out"
	"$VELLUM" -r "$1" serve --listen "127.0.0.1:$PORT" --base-url "$B" \
		--threads 2 >"$T/serve.out" 2>"$T/serve.log" </dev/null &
	SRV=$!
	i=0
	while [ $i -lt 300 ] && ! grep -q listening "$T/serve.out" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
}

stop_server() {
	kill -"${1:-TERM}" "$SRV" 2>/dev/null
	wait "$SRV"
	SRC=$?
	SRV=""
}

# Validation: the bundle for oai_dc responses; a driver for MODS too.
cat >"$T/drv.xsd" <<EOF
<schema xmlns="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x-vellum-t0800">
  <import namespace="http://www.openarchives.org/OAI/2.0/" schemaLocation="$S/OAI-PMH.xsd"/>
  <import namespace="http://www.openarchives.org/OAI/2.0/oai_dc/" schemaLocation="$S/oai_dc.xsd"/>
  <import namespace="http://www.openarchives.org/OAI/2.0/oai-identifier" schemaLocation="$S/oai-identifier.xsd"/>
  <import namespace="http://www.loc.gov/mods/v3" schemaLocation="$S/mods-3-8.xsd"/>
</schema>
EOF
valid() { xmllint --noout --nonet --schema "${2:-$S/oai-pmh-bundle.xsd}" "$1" >/dev/null 2>&1; }
xp() { xmllint --xpath "$1" "$2" 2>/dev/null; }
token_of() { xp 'string(//*[local-name()="resumptionToken"])' "$1"; }

run init --name "Harvest Test" --namespace test.example.org \
	--admin-email curator@example.org repo
sed -i 's/^page_size = .*/page_size = 25/' repo/vellum.conf

# ---- the synthetic loader ----
run -r repo oai synth 260 --collections 6 --deleted-every 9 --json
expect_rc "oai synth loads records" 0
expect_json "oai synth reports the count" .added 260
check "synthetic objects are in the catalog" \
	test "$(sqlite3 repo/catalog.db 'SELECT count(*) FROM objects')" = 260
check "every 9th is a tombstone" \
	test "$(sqlite3 repo/catalog.db "SELECT count(*) FROM objects WHERE status='deleted'")" = 28
run -r repo oai synth 3 --id-prefix synth-
expect_rc "a second load continues the numbering" 0
check "ids continue after the existing ones" \
	test "$(sqlite3 repo/catalog.db "SELECT max(id) FROM objects")" = synth-00000263
run -r repo oai synth
expect_rc "oai synth without N is a usage error" 2
run -r repo oai synth lots
expect_rc "oai synth with a bad N is a usage error" 2
expect_err "the bad N is named" "'lots'"
run -r repo oai frobnicate
expect_rc "an unknown oai subcommand is a usage error" 2
run -r repo oai request 'verb=Identify'
expect_rc "oai request answers" 0
expect_out "oai request prints Identify" '<repositoryName>Harvest Test</repositoryName>'
run -r repo serve --listen nowhere
expect_rc "a bad listen address is a usage error" 2
expect_err "the bad address is named" "'nowhere'"
run -r repo serve --threads 0
expect_rc "--threads 0 is a usage error" 2
run help serve
expect_out "help serve describes --listen" '--listen HOST:PORT'

# ---- the probe ----
start_server repo
check "server started" grep -q "listening on http://127.0.0.1:$PORT/oai" "$T/serve.out"
sh "$SHARED/oai-pmh-probe.sh" "$B" oai:test.example.org:synth-00000001 \
	oai:test.example.org:synth-00000009 >"$T/probe.out" 2>&1
if tail -n 1 "$T/probe.out" | grep -q ' 0 failed'; then ok "every probe check passes ($(tail -n 1 "$T/probe.out"))"; else
	not_ok "every probe check passes" "$(grep FAIL "$T/probe.out")"; fi

# ---- HTTP ----
curl -s -D "$T/h" -o "$T/b" "$B?verb=Identify"
check "Content-Type is text/xml; charset=utf-8" grep -qi '^content-type: text/xml; charset=utf-8' "$T/h"
check "Identify validates (oai-identifier description)" valid "$T/b"
check "baseURL is the URL called" test "$(xp 'string(//*[local-name()="baseURL"])' "$T/b")" = "$B"
check "earliestDatestamp is the oldest datestamp" test "$(xp 'string(//*[local-name()="earliestDatestamp"])' "$T/b")" = "$(sqlite3 repo/catalog.db 'SELECT min(datestamp) FROM objects')"
check "no Content-Encoding without Accept-Encoding" sh -c "! grep -qi '^content-encoding' '$T/h'"
curl -s -H 'Accept-Encoding: gzip' -D "$T/h" -o "$T/b.gz" "$B?verb=ListRecords&metadataPrefix=oai_dc"
check "gzip when accepted" grep -qi '^content-encoding: gzip' "$T/h"
gzip -dc "$T/b.gz" >"$T/b" 2>/dev/null
check "the gzip body is a valid response" valid "$T/b"
check "a gzip page is sent whole, with a Content-Length" grep -qi "^content-length: $(wc -c <"$T/b.gz")" "$T/h"
curl -s -D "$T/h" -o "$T/b" "$B?verb=ListRecords&metadataPrefix=oai_dc"
check "a page is sent whole, with a Content-Length" grep -qi "^content-length: $(wc -c <"$T/b")" "$T/h"
check "a page is not chunked" sh -c "! grep -qi '^transfer-encoding' '$T/h'"
curl -sv -o /dev/null -o /dev/null "$B?verb=Identify" "$B?verb=ListRecords&metadataPrefix=oai_dc" 2>"$T/v"
check "connections are kept alive between requests" grep -q 'Re-using existing connection' "$T/v"
curl -s -I -o "$T/hh" "$B?verb=ListRecords&metadataPrefix=oai_dc"
check "HEAD answers 200 with the same Content-Length" sh -c "head -n 1 '$T/hh' | grep -q ' 200' && grep -qi '^content-length: $(wc -c <"$T/b")' '$T/hh'"
curl -s -H 'Accept-Encoding: gzip;q=0' -D "$T/h" -o /dev/null "$B?verb=Identify"
check "no gzip for q=0" sh -c "! grep -qi '^content-encoding' '$T/h'"
check "POST with another type gets 415" test "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' --data 'verb=Identify' "$B")" = 415
check "POST form-encoded answers" test "$(curl -s --data 'verb=ListSets' "$B" | xp 'count(//*[local-name()="set"])' -)" = 6
check "another path gets 404" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/other")" = 404
check "PUT gets 405" test "$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$B")" = 405
long=$(head -c 20000 /dev/zero | tr '\0' a)
check "an over-long URI gets 414" test "$(curl -s -o /dev/null -w '%{http_code}' "$B?verb=Identify&x=$long")" = 414
check "an over-long body gets 413" test "$(curl -s -o /dev/null -w '%{http_code}' --data "verb=Identify&x=$long" "$B")" = 413
check "the access log has a line per request" grep -q '"GET /oai?verb=Identify HTTP/1.1" 200 ' "$T/serve.log"
check "the access log names OAI errors" grep -q 'badVerb\|error=' "$T/serve.log"

# ---- full harvests, every page validated ----
harvest() { # harvest ARGS SCHEMA OUT: ids, one per line, in OUT
	: >"$3"
	url="$B?$1"
	pages=0
	bad=0
	while :; do
		curl -s -o "$T/page.xml" "$url" || return 1
		valid "$T/page.xml" "$2" || bad=$((bad + 1))
		xp '//*[local-name()="header"]/*[local-name()="identifier"]/text()' "$T/page.xml" |
			tr ' ' '\n' >>"$3"
		echo >>"$3"
		pages=$((pages + 1))
		tok=$(token_of "$T/page.xml")
		[ -z "$tok" ] && break
		verb=${1%%&*}
		url="$B?$verb&resumptionToken=$tok"
		[ $pages -gt 100 ] && return 1
	done
	sed -i '/^$/d' "$3"
	return $bad
}
harvest "verb=ListRecords&metadataPrefix=oai_dc" "$S/oai-pmh-bundle.xsd" "$T/dc.ids"
expect_rc_h=$?
check "every oai_dc page validates against the bundle" test "$expect_rc_h" -eq 0
check "the oai_dc harvest has every record once" test "$(sort -u "$T/dc.ids" | wc -l)" -eq 263 -a "$(wc -l <"$T/dc.ids")" -eq 263
check "it took 11 pages of 25" test "$pages" -eq 11
harvest "verb=ListRecords&metadataPrefix=mods" "$T/drv.xsd" "$T/mods.ids"
check "every MODS page validates (MODS 3.8)" test $? -eq 0
check "the MODS harvest has the same records" cmp -s "$T/dc.ids" "$T/mods.ids"
harvest "verb=ListIdentifiers&metadataPrefix=oai_dc&set=coll-1" "$S/oai-pmh-bundle.xsd" "$T/set.ids"
check "a set harvest validates" test $? -eq 0
check "set=coll-1 includes its child set coll-1:sub-2" test "$(wc -l <"$T/set.ids")" -eq "$(sqlite3 repo/catalog.db "SELECT count(DISTINCT object_id) FROM object_collections WHERE spec = 'coll-1' OR spec LIKE 'coll-1:%'")"
# Ask for exactly the datestamp of a tombstone, so the answer must hold
# it whatever the (time-dependent) synthetic datestamps are.
dds=$(sqlite3 repo/catalog.db "SELECT datestamp FROM objects WHERE status = 'deleted' ORDER BY datestamp LIMIT 1")
curl -s -o "$T/del.xml" "$B?verb=ListIdentifiers&metadataPrefix=oai_dc&from=$dds&until=$dds"
ndel=$(xp 'count(//*[@status="deleted"])' "$T/del.xml")
check "deleted records are listed with status" test "${ndel:-0}" -gt 0

# ---- tokens: tampered, truncated, foreign; then a restart ----
curl -s -o "$T/p1.xml" "$B?verb=ListRecords&metadataPrefix=oai_dc"
tok=$(token_of "$T/p1.xml")
first=$(printf %s "$tok" | cut -c1)
[ "$first" = A ] && other=B || other=A
for t in "$other$(printf %s "$tok" | cut -c2-)" "$(printf %s "$tok" | cut -c1-40)" "${tok}A"; do
	curl -s -o "$T/b" "$B?verb=ListRecords&resumptionToken=$t"
	check "a damaged token is badResumptionToken" test "$(xp 'string(//*[local-name()="error"]/@code)' "$T/b")" = badResumptionToken
done
curl -s -o "$T/b" "$B?verb=ListIdentifiers&resumptionToken=$tok"
check "a ListRecords token used for ListIdentifiers is refused" test "$(xp 'string(//*[local-name()="error"]/@code)' "$T/b")" = badResumptionToken
run init --namespace other.example.org --admin-email a@example.org other
sed -i 's/^page_size = .*/page_size = 25/' other/vellum.conf
run -r other oai synth 60
run -r other oai request 'verb=ListRecords&metadataPrefix=oai_dc'
ftok=$(token_of "$OUT")
check "the other repository issues tokens" test -n "$ftok"
curl -s -o "$T/b" "$B?verb=ListRecords&resumptionToken=$ftok"
check "a token from another repository is refused" test "$(xp 'string(//*[local-name()="error"]/@code)' "$T/b")" = badResumptionToken

curl -s -o "$T/p2.xml" "$B?verb=ListRecords&resumptionToken=$tok"
tok2=$(token_of "$T/p2.xml")
stop_server TERM
check "SIGTERM stops the server with exit 0" test "$SRC" -eq 0
check "the stop is logged" grep -q 'terminated, stopping' "$T/serve.log"
start_server repo
curl -s -o "$T/p3.xml" "$B?verb=ListRecords&resumptionToken=$tok2"
check "a token survives a restart" test "$(xp 'count(//*[local-name()="record"])' "$T/p3.xml")" -eq 25
check "the cursor continues" test "$(xp 'string(//*[local-name()="resumptionToken"]/@cursor)' "$T/p3.xml")" = 50

# ---- a page too big to be made whole first is streamed ----
stop_server TERM
run init --namespace big.example.org --admin-email a@example.org big
sed -i 's/^page_size = .*/page_size = 1000/' big/vellum.conf
run -r big oai synth 400
start_server big
curl -s -D "$T/h" -o "$T/big.xml" "$B?verb=ListRecords&metadataPrefix=mods"
check "a page over 256 KiB is streamed (chunked)" grep -qi '^transfer-encoding: chunked' "$T/h"
check "the streamed page validates (MODS 3.8)" valid "$T/big.xml" "$T/drv.xsd"
check "the streamed page holds every record" test "$(xp 'count(//*[local-name()="record"])' "$T/big.xml")" -eq 400
curl -s -H 'Accept-Encoding: gzip' -o "$T/big.gz" "$B?verb=ListRecords&metadataPrefix=mods"
sed 's/<responseDate>.*<.responseDate>//' "$T/big.xml" >"$T/big.a"
gzip -dc "$T/big.gz" | sed 's/<responseDate>.*<.responseDate>//' >"$T/big.b"
check "a streamed gzip page is the same page" cmp -s "$T/big.a" "$T/big.b"
stop_server TERM
start_server repo

# ---- random requests: always 200, text/xml, schema-valid ----
mkdir -p "$T/rand"
python3 - "$B" "$T/rand" <<'EOF' >"$T/rand.log" 2>&1
import http.client, random, sys, urllib.parse
base, out = sys.argv[1], sys.argv[2]
u = urllib.parse.urlsplit(base)
keys = ["verb", "identifier", "metadataPrefix", "from", "until", "set",
        "resumptionToken", "Verb", "x", ""]
vals = ["Identify", "ListRecords", "ListIdentifiers", "GetRecord", "ListSets",
        "ListMetadataFormats", "oai_dc", "mods", "", "2019-01-01",
        "2019-01-01T00:00:00Z", "2019-02-30", "coll-1", "coll-1:sub-2",
        "oai:test.example.org:synth-00000002", "\x01\x0b", "<&>\"", "%zz",
        "\u00e9\u6771", "AQUAB", "a b", "+", "%"]
rng = random.Random(8)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
bad = 0
for i in range(400):
    parts = []
    if rng.random() < 0.85:
        parts.append("verb=" + urllib.parse.quote(rng.choice(vals[:6])))
    for _ in range(rng.randint(0, 3)):
        k, v = rng.choice(keys), rng.choice(vals)
        raw = rng.random() < 0.2  # sometimes unencoded, as sloppy clients send
        parts.append(k + "=" + (v.replace(" ", "+") if raw and v.isascii() and v.isprintable() else urllib.parse.quote(v, safe="")))
    q = "&".join(parts)
    if rng.random() < 0.3:
        c.request("POST", u.path, body=q, headers={"Content-Type": "application/x-www-form-urlencoded"})
    else:
        c.request("GET", u.path + "?" + q)
    r = c.getresponse()
    body = r.read()
    if r.status != 200 or not r.getheader("Content-Type", "").startswith("text/xml"):
        bad += 1
        print("HTTP", r.status, q)
    with open("%s/r%03d.xml" % (out, i), "wb") as f:
        f.write(body)
print("bad", bad)
EOF
check "400 random requests: all 200 text/xml" grep -q '^bad 0$' "$T/rand.log"
check "400 random responses validate" xmllint --noout --nonet --schema "$T/drv.xsd" "$T"/rand/*.xml
check "the server survived them" kill -0 "$SRV"

stop_server INT
check "SIGINT stops the server with exit 0" test "$SRC" -eq 0
check "the interrupt is logged" grep -q 'interrupted, stopping' "$T/serve.log"

finish
