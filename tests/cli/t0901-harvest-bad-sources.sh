#!/bin/sh
# t0901-harvest-bad-sources: sources that misbehave, served by a small
# libmicrohttpd server built here (tests/cli/harvest-server.c, 127.0.0.1
# only, killed by this script): invalid XML, HTML 500 pages, HTML sent
# as 200 or as text/xml, 503 with Retry-After, a transient 500, broken
# and expired tokens, a response slower than the timeout, a DTD with
# entities, an oversized response, connection refused.  Each gives a
# clear per-source error, keeps what was stored, records the run as
# failed with where it stopped, and the next run resumes.  A harvester
# killed in the middle of a list leaves whole records with their map
# rows, and the next run stores nothing twice.
. "$TOP/tests/cli/lib.sh"

if ! cc -o srv "$TOP/tests/cli/harvest-server.c" \
	$(pkg-config --cflags --libs libmicrohttpd) 2>cc.err; then
	not_ok "build the test server" "$(cat cc.err)"
	finish
fi
./srv port reqs &
SRV=$!
cleanup() {
	kill "$SRV" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM PIPE HUP
i=0
while [ ! -s port ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
P=$(cat port)
q() { sqlite3 hub/catalog.db "$1"; }

run init --name Hub --namespace hub.example.org --admin-email hub@example.org hub
for m in ok nodel badxml token loop expire html500 html200 xmlhtml busy busylong \
	flaky slow dtd huge; do
	"$VELLUM" -r hub harvest add -q "$m" "http://127.0.0.1:$P/$m/oai" --delay 0 ||
		not_ok "add source $m"
done
P2=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$VELLUM" -r hub harvest add -q refused "http://127.0.0.1:$P2/oai" --delay 0
# harvest NAME [OPTIONS]: a run with quick retries, JSON out.
harvest() {
	n=$1
	shift
	run -r hub harvest run "$n" --json --backoff 0.05 "$@"
}
last() { q "SELECT $1 FROM harvest_runs WHERE source = '$2' ORDER BY id DESC LIMIT 1"; }

# ---- a well-behaved source with odd records ----
harvest ok
expect_rc "a refused record makes the exit 1" 1
expect_json "the list was read to its end" '.sources[0].complete' true
expect_json "four records stored" '.sources[0].added' 4
expect_json "one refused" '.sources[0].rejected' 1
expect_err "the refusal names the record and why" "record 'oai:bad.example.org:r4' refused: .*title"
check "the reason is kept" \
	test -n "$(q "SELECT problem FROM harvest_records WHERE identifier = 'oai:bad.example.org:r4' AND status = 'rejected'")"
check "a deletion of a record never seen stores nothing" \
	test "$(q "SELECT count(*) FROM objects WHERE id = 'ok-r6'")" = 0
"$VELLUM" -r hub metadata show --format source ok-r1 >r1-source.xml 2>/dev/null
check "a namespace declared on the response root is carried" \
	grep -q 'xmlns:xsi=' r1-source.xml
"$VELLUM" -r hub oai request 'verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:hub.example.org:ok-r2' >r2.xml 2>/dev/null
check "the source's own provenance is nested in ours" \
	test "$(xmllint --xpath 'count(//*[local-name()="originDescription"])' r2.xml)" = 2
check "and the whole stays valid" \
	xmllint --noout --nonet --schema "$SHARED/schemas/oai-pmh-bundle.xsd" r2.xml
harvest ok
check "day granularity from Identify gives a day from=" \
	grep -Eq '^ok verb=ListRecords prefix=oai_dc from=[0-9]{4}-[0-9]{2}-[0-9]{2} ' reqs
expect_json "noRecordsMatch is an empty harvest" '.sources[0].records' 0

harvest nodel
expect_err "a source keeping no deletions is pointed out" "deletedRecord 'no'"
harvest nodel --full
check "once" test "$(grep -c "deletedRecord 'no'" "$ERR")" = 0
# A record gone from the source without a trace: only a whole list can
# tell, and --sweep acts on it.
touch shrunk
harvest nodel
expect_json "an incremental run cannot see a vanished record" '.sources[0].deleted' 0
harvest nodel --sweep
expect_rc "a sweep of the whole list succeeds" 1
expect_json "it tombstones the record no longer listed" '.sources[0].swept' 1
expect_json "counted as deleted" '.sources[0].deleted' 1
check "r5 is a tombstone with the reason" test "$(q "SELECT status || ' ' || (delete_reason LIKE '%no longer in the whole list%') FROM objects WHERE id = 'nodel-r5'")" = "deleted 1"
check "the others stay" test "$(q "SELECT count(*) FROM objects WHERE id LIKE 'nodel-%' AND status = 'active'")" = 3
touch emptied
harvest nodel --sweep
expect_json "an empty whole list sweeps nothing" '.sources[0].swept' 0
expect_err "and says so" "held no record; nothing swept"
check "nothing more was deleted" test "$(q "SELECT count(*) FROM objects WHERE id LIKE 'nodel-%' AND status = 'active'")" = 3
rm -f shrunk emptied

# ---- invalid XML on page 2, then fixed ----
harvest badxml
expect_rc "invalid XML fails the source" 3
expect_json "with a clear error" '.sources[0].error | test("not well-formed XML at line [0-9]+")' true
expect_json "saying where it stopped" '.sources[0].stopped_at' 'page 2: verb=ListRecords&resumptionToken=p2'
expect_json "the first page's records are kept" '.sources[0].added' 3
check "the run is recorded as failed" test "$(last outcome badxml)" = failed
check "with its error" test -n "$(last error badxml)"
check "the position is saved" \
	test "$(q "SELECT resume_token FROM harvest_sources WHERE name = 'badxml'")" = p2
touch fixed
harvest badxml
expect_rc "the next run succeeds once fixed" 0
expect_json "it resumed at the saved token" '.sources[0].resumed' true
expect_json "and read only the rest" '.sources[0].records' 2
check "asking for page 2 directly" \
	test "$(grep -c '^badxml verb=ListRecords prefix=oai_dc' reqs)" = 1
check "the position is cleared" \
	test -z "$(q "SELECT resume_token FROM harvest_sources WHERE name = 'badxml'")"
rm -f fixed

# ---- a broken token: the list once more, then a clear error ----
harvest token
expect_rc "a token the source refuses fails the source" 3
expect_json "after asking for the list again" '.sources[0].restarted' true
expect_json "naming the OAI-PMH error" '.sources[0].error | test("badResumptionToken")' true
expect_json "nothing stored twice" '.sources[0].added' 3

# ---- a token handed out again and again ----
harvest loop
expect_rc "a source that repeats its token" 3
expect_json "is stopped, not harvested for ever" '.sources[0].error | test("same resumption token")' true

# ---- an expired token on resume ----
harvest expire --retries 0
expect_rc "HTTP 500 on page 2" 3
expect_json "stopped at the token" '.sources[0].stopped_at' 'page 2: verb=ListRecords&resumptionToken=e1'
touch fixed
harvest expire
expect_rc "the saved token has expired: the list again" 1
expect_json "resumed, then restarted" '.sources[0].resumed and .sources[0].restarted' true
expect_json "read to its end" '.sources[0].complete' true
expect_json "only the missing record added" '.sources[0].added' 1
rm -f fixed

# ---- HTTP errors and wrong content ----
harvest html500 --retries 2
expect_rc "HTTP 500 pages fail the source" 3
expect_json "naming the status and the page title" '.sources[0].error | test("HTTP 500 .*Internal Server Error.*gave up after 3 attempts")' true
check "after retrying" test "$(grep -c '^html500 ' reqs)" = 3
harvest html200
expect_rc "an HTML page sent as 200" 3
expect_json "is a content type error" '.sources[0].error | test("content type .text/html. is not XML")' true
harvest xmlhtml
expect_rc "an HTML page sent as text/xml" 3
expect_json "is named" '.sources[0].error | test("HTML page")' true
harvest dtd
expect_rc "a response with a DTD" 3
expect_json "is refused before parsing" '.sources[0].error | test("DTD")' true
harvest huge --max-response 1M
expect_rc "an oversized response" 3
expect_json "is refused" '.sources[0].error | test("larger than 1048576 bytes")' true
harvest refused --retries 1
expect_rc "connection refused" 3
expect_json "is a network error" '.sources[0].error | test("(?i)connect")' true

# ---- transient failures are retried ----
harvest busy
expect_rc "503 then success" 1
expect_json "the list was read" '.sources[0].complete' true
check "after waiting as Retry-After asked" \
	test "$(jqv '.sources[0].seconds | . >= 1')" = true
harvest flaky
expect_rc "a transient 500 is retried" 1
expect_json "and the list read" '.sources[0].complete' true

# ---- a response slower than the timeout ----
harvest slow --timeout 1 --retries 0
expect_rc "a slow source times out" 3
expect_json "saying so" '.sources[0].error | test("timed out")' true
check "within the timeout, not the server's delay" test "$(jqv '.sources[0].seconds | . < 2.9')" = true

# ---- a Retry-After longer than allowed ----
harvest busylong --max-wait 600
expect_rc "a source asking to wait an hour" 3
expect_json "fails at once, saying so" '.sources[0].error | test("retry after 3600 s")' true
check "without waiting" test "$(jqv '.sources[0].seconds | . < 5')" = true

# ---- what list says ----
run -r hub harvest list --json
expect_json "list shows the failed run's error" '.[] | select(.name == "slow") | .last_run.outcome' failed
expect_json "and where the next run starts" '.[] | select(.name == "badxml") | .resume' null
run -r hub harvest list badxml
expect_out "the text form names the last run" 'last run: .*ok'

# ---- --all goes on after a failure ----
run -r hub harvest run --all --retries 0 --backoff 0.05 --timeout 1 --json
expect_rc "--all reports the worst" 3
expect_json "every source was tried" '.sources | length' 16
expect_json "good ones completed" '[.sources[] | select(.complete)] | length | . >= 5' true

# ---- killed in the middle of a list: nothing half-stored, nothing twice ----
# (slow: each page takes 3 s; the kill lands while page 2 is awaited,
# after page 1's records were handed to the storing thread one by one)
"$VELLUM" -r hub harvest add -q killed "http://127.0.0.1:$P/slow/oai" --delay 0
"$VELLUM" -r hub harvest run killed --batch 1 --timeout 10 >/dev/null 2>&1 &
hp=$!
sleep 4.5
kill -9 "$hp" 2>/dev/null
wait "$hp" 2>/dev/null
got=$(q "SELECT count(*) FROM objects WHERE id LIKE 'killed-%'")
check "page 1's records were stored before the kill" test "$got" -gt 0
check "each with its map row" \
	test "$(q "SELECT count(*) FROM harvest_records WHERE source = 'killed' AND status = 'active'")" = "$got"
run -r hub doctor
expect_rc "the doctor finds nothing wrong after the kill" 0
harvest killed --timeout 10
expect_json "the next run reads the list to its end" '.sources[0].complete' true
check "and stored nothing twice: the same four objects as the ok source" \
	test "$(q "SELECT count(*) FROM objects WHERE id LIKE 'killed-%'")" = 4
check "one map row each" \
	test "$(q "SELECT count(*) FROM harvest_records WHERE source = 'killed' AND status = 'active'")" = 4

kill "$SRV" 2>/dev/null
wait "$SRV" 2>/dev/null
finish
