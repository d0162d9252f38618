#!/bin/sh
# bench/vocab.sh VELLUM - vocabulary import and label lookup at scale.
#
# Generates a SKOS vocabulary of N concepts (default 200,000) with a
# prefLabel in 5 languages each (en, fr, de, mi, ru: accents, macrons and
# Cyrillic) and a broader tree, then measures in one run:
#   - `vellum vocab import`: wall time and peak RSS;
#   - `vellum vocab search --batch` (text output, to a file): lookups per
#     second for Q random labels (default 100,000) with accents stripped,
#     30 % of them misses, and peak RSS;
#   - the reference: the same queries as SQLite FTS5 phrase queries
#     (unicode61 tokenizer, remove_diacritics 2) over the same labels, via
#     the sqlite3 shell;
# and prints the ratio.  Targets (issue 5): import < 30 s, >= 100,000
# lookups/s.  N=20000 Q=20000 sh bench/vocab.sh ./vellum for a quick run.
set -eu
VELLUM=${1:-./vellum}
case "$VELLUM" in /*) ;; *) VELLUM=$(pwd)/$VELLUM ;; esac
N=${N:-200000}
Q=${Q:-100000}
OUT=${BENCH_OUT:-$(pwd)/bench/out/vocab}
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"

now() { date +%s.%N; }
secs() { echo "$1 $2" | awk '{ printf "%.2f", $2 - $1 }'; }

echo "generating $N concepts x 5 languages and $Q queries in $OUT"
awk -v N="$N" -v Q="$Q" '
function label(i, lang,    s, k, d) {
	s = ""
	for (k = 0; k < 5; k++) {
		d = int(i / (16 ^ k)) % 16
		s = s syl[lang, d]
	}
	return toupper(substr(s, 1, 1)) substr(s, 2) " " suffix[lang]
}
function fold(s) {
	gsub(/é|è|ê/, "e", s); gsub(/à|â/, "a", s); gsub(/ç/, "c", s)
	gsub(/ô/, "o", s); gsub(/ù|û/, "u", s); gsub(/ä/, "a", s)
	gsub(/ö/, "o", s); gsub(/ü/, "u", s); gsub(/ā/, "a", s)
	gsub(/ē/, "e", s); gsub(/ī/, "i", s); gsub(/ō/, "o", s)
	gsub(/ū/, "u", s); gsub(/É/, "E", s); gsub(/Ā/, "A", s)
	return s
}
BEGIN {
	split("en fr de mi ru", langs, " ")
	split("ka lo mi ne ru sa ti vo we xu ya zo bri cla dre fro", a, " ")
	for (d = 0; d < 16; d++) syl["en", d] = a[d + 1]
	split("é ça où rê lè mô tû vin pré bâ chè dû fê gô jé nè", a, " ")
	for (d = 0; d < 16; d++) syl["fr", d] = a[d + 1]
	split("bä kö lü mä nö pü rä schö tü wä zö grü flä kno spü drä", a, " ")
	for (d = 0; d < 16; d++) syl["de", d] = a[d + 1]
	split("whā ngō pū tī rā mā hē kō wai tā nū rē hī ō ū ā", a, " ")
	for (d = 0; d < 16; d++) syl["mi", d] = a[d + 1]
	split("да ко ли мо ну пе ро са ти ву жа за бе гу до фи", a, " ")
	for (d = 0; d < 16; d++) syl["ru", d] = a[d + 1]
	suffix["en"] = "topic"; suffix["fr"] = "sujet"; suffix["de"] = "thema"
	suffix["mi"] = "kaupapa"; suffix["ru"] = "тема"
	B = "https://bench.example/"
	print "@prefix skos: <http://www.w3.org/2004/02/skos/core#> ." > "vocab.ttl"
	print "<" B "> a skos:ConceptScheme ." > "vocab.ttl"
	for (i = 0; i < N; i++) {
		printf "<%sc/%d> a skos:Concept ; skos:inScheme <%s> ;\n  skos:prefLabel", B, i, B > "vocab.ttl"
		for (l = 1; l <= 5; l++) {
			t = label(i, langs[l])
			printf "%s \"%s\"@%s", (l > 1 ? " ," : ""), t, langs[l] > "vocab.ttl"
			print t > "labels.txt"
		}
		if (i > 0)
			printf " ;\n  skos:broader <%sc/%d>", B, int(i / 10) > "vocab.ttl"
		print " ." > "vocab.ttl"
	}
	srand(42)
	for (q = 0; q < Q; q++) {
		i = int(rand() * N)
		t = fold(label(i, langs[1 + int(rand() * 5)]))
		if (rand() < 0.3)
			t = t " zq"      # a miss
		print t > "queries.txt"
	}
}'
ls -l vocab.ttl | awk '{ printf "vocab.ttl: %.1f MB\n", $5 / 1048576 }'

"$VELLUM" init repo >/dev/null
# Peak RSS and CPU seconds: GNU time if installed, else VmHWM polled
# from /proc (and no CPU figure).  CPU time is printed beside wall time
# because this machine is shared: under load the wall clock says little.
CPU_S=?
peak_rss_run() {
	if [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; then
		/usr/bin/time -f '%M %U %S' -o rss.txt "$@"
		RSS_KB=$(tail -n 1 rss.txt | awk '{ print $1 }')
		CPU_S=$(tail -n 1 rss.txt | awk '{ printf "%.2f", $2 + $3 }')
	else
		"$@" &
		pid=$!
		RSS_KB=0
		while kill -0 $pid 2>/dev/null; do
			v=$(awk '/VmHWM/ { print $2 }' /proc/$pid/status 2>/dev/null || true)
			[ -n "$v" ] && RSS_KB=$v
			sleep 0.2
		done
		wait $pid
	fi
}
t0=$(now)
peak_rss_run "$VELLUM" -q -r repo vocab import vocab.ttl
t1=$(now)
IMPORT_S=$(secs "$t0" "$t1")
echo "vellum import: $IMPORT_S s wall, $CPU_S s CPU, peak RSS $((RSS_KB / 1024)) MiB (target < 30 s)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null) on $(nproc 2>/dev/null) cores"
ls -l repo/catalog.db | awk '{ printf "catalog: %.1f MB\n", $5 / 1048576 }'

# The text output, as a user gets it: a line per query with the concept
# URI and its prefLabel, so every hit also fetches the labels it prints.
# The rate is the one the command reports (the loop over the file, not
# opening the repository); CPU seconds are for the whole process.
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null) on $(nproc 2>/dev/null) cores"
peak_rss_run "$VELLUM" -r repo vocab search --batch queries.txt >lookup.tsv 2>lookup.err
SUMMARY=$(tail -n 1 lookup.err)
RATE=$(echo "$SUMMARY" | sed -n 's|.*(\([0-9]*\)/s)$|\1|p')
MATCHED=$(echo "$SUMMARY" | sed -n 's/.*: \([0-9]*\) matched.*/\1/p')
UNMATCHED=$(echo "$SUMMARY" | sed -n 's/.* \([0-9]*\) unmatched.*/\1/p')
LINES=$(wc -l <lookup.tsv | tr -d ' ')
if [ "$LINES" != "$Q" ] || [ -z "$RATE" ]; then
	echo "vocab search --batch printed $LINES lines for $Q queries: $SUMMARY" >&2
	exit 1
fi
echo "vellum lookups: $RATE/s wall ($MATCHED matched, $UNMATCHED unmatched of $Q; target >= 100000/s); whole run $CPU_S s CPU incl. open, peak RSS $((RSS_KB / 1024)) MiB"

# Reference: SQLite FTS5 over the same labels, in this same run.
t0=$(now)
{
	echo "CREATE VIRTUAL TABLE labels USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');"
	echo "BEGIN;"
	sed "s/'/''/g; s/.*/INSERT INTO labels(text) VALUES('&');/" labels.txt
	echo "COMMIT;"
} | sqlite3 fts.db
t1=$(now)
FTS_BUILD=$(secs "$t0" "$t1")
sed "s/\"/\"\"/g; s/.*/SELECT rowid FROM labels WHERE labels MATCH '\"&\"' LIMIT 5;/" queries.txt >queries.sql
t0=$(now)
peak_rss_run sqlite3 fts.db <queries.sql >fts.out
t1=$(now)
FTS_S=$(secs "$t0" "$t1")
FTS_RATE=$(echo "$Q $FTS_S" | awk '{ printf "%.0f", ($2 > 0 ? $1 / $2 : 0) }')
echo "sqlite3 FTS5: index built in $FTS_BUILD s; $FTS_RATE lookups/s wall ($Q phrase queries in $FTS_S s, $CPU_S s CPU)"
echo "$RATE $FTS_RATE $IMPORT_S" | awk '{ printf "ratio: vellum lookups / FTS5 = %.2f; import %s\n", ($2 > 0 ? $1 / $2 : 0), ($3 < 30 ? "within target" : "OVER target") }'
