#!/bin/sh
# bench/metadata.sh VELLUM - converts N MODS records (default 100,000, in
# one modsCollection) to oai_dc with `vellum metadata convert` and, in the
# same run, with xsltproc running bench/mods2dc.xsl (the same mapping in
# XSLT 1.0).  Prints records/s (wall clock and CPU), peak RSS (from
# /usr/bin/time), the ratios, and checks that both wrote the same dc:*
# values.  Memory flatness: vellum also converts N/10 records; its peak
# RSS should not grow with N.  Target: vellum >= 5x xsltproc.
#
#   sh bench/metadata.sh ./vellum          N=20000 sh bench/metadata.sh ./vellum
set -eu
VELLUM=${1:-./vellum}
case $VELLUM in /*) ;; *) VELLUM=$(pwd)/$VELLUM ;; esac
cd "$(dirname "$0")/.."
N=${N:-100000}
SMALL=$((N / 10))
OUT=bench/out
mkdir -p "$OUT"
for t in xsltproc awk /usr/bin/time; do
	command -v "$t" >/dev/null 2>&1 || { echo "bench/metadata.sh: needs $t" >&2; exit 2; }
done

gen() { # N FILE
	if [ ! -s "$2" ]; then
		awk -v n="$1" -f bench/gen-mods.awk >"$2.tmp" && mv "$2.tmp" "$2"
	fi
}
IN=$OUT/mods-$N.xml
IN_SMALL=$OUT/mods-$SMALL.xml
gen "$N" "$IN"
gen "$SMALL" "$IN_SMALL"

# measure NAME CMD...: runs CMD under /usr/bin/time; sets WALL CPU RSS.
measure() {
	name=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$OUT/time.$name" "$@"
	set -- $(tail -n 1 "$OUT/time.$name")
	WALL=$1
	CPU=$(echo "$2 $3" | awk '{ printf "%.2f", $1 + $2 }')
	RSS=$4
}

rate() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.0f", $1 / $2; else print "inf" }'; }
ratio() { echo "$1 $2" | awk '{ if ($1 > 0) printf "%.1f", $2 / $1; else print "inf" }'; }

echo "MODS -> oai_dc, $N records ($(du -m "$IN" | cut -f1) MiB of MODS)"
measure vellum "$VELLUM" -q metadata convert --from mods --to oai_dc \
	-o "$OUT/vellum-$N.xml" "$IN"
V_WALL=$WALL V_CPU=$CPU V_RSS=$RSS
measure vellum-small "$VELLUM" -q metadata convert --from mods --to oai_dc \
	-o "$OUT/vellum-$SMALL.xml" "$IN_SMALL"
VS_RSS=$RSS
measure xsltproc xsltproc --nonet -o "$OUT/xsltproc-$N.xml" bench/mods2dc.xsl "$IN"
X_WALL=$WALL X_CPU=$CPU X_RSS=$RSS

printf '%-10s %10s %10s %14s %14s %12s\n' tool wall_s cpu_s rec/s_wall \
	rec/s_cpu peak_RSS_KiB
printf '%-10s %10s %10s %14s %14s %12s\n' vellum "$V_WALL" "$V_CPU" \
	"$(rate "$N" "$V_WALL")" "$(rate "$N" "$V_CPU")" "$V_RSS"
printf '%-10s %10s %10s %14s %14s %12s\n' xsltproc "$X_WALL" "$X_CPU" \
	"$(rate "$N" "$X_WALL")" "$(rate "$N" "$X_CPU")" "$X_RSS"
echo "vellum speed-up: $(ratio "$V_WALL" "$X_WALL")x wall clock," \
	"$(ratio "$V_CPU" "$X_CPU")x CPU (target >= 5x)"
echo "peak RSS: vellum $V_RSS KiB for $N records, $VS_RSS KiB for $SMALL" \
	"(flat); xsltproc $X_RSS KiB"

# Same records, same values: compare the dc:* lines of both outputs.
vc=$(grep -c '<oai_dc:dc ' "$OUT/vellum-$N.xml" || true)
xc=$(grep -c '<oai_dc:dc ' "$OUT/xsltproc-$N.xml" || true)
sed -n 's/^ *\(<dc:.*\)$/\1/p' "$OUT/vellum-$N.xml" >"$OUT/v.lines"
sed -n 's/^ *\(<dc:.*\)$/\1/p' "$OUT/xsltproc-$N.xml" >"$OUT/x.lines"
if [ "$vc" -eq "$N" ] && [ "$xc" -eq "$N" ] && cmp -s "$OUT/v.lines" "$OUT/x.lines"; then
	echo "outputs agree: $N records, $(wc -l <"$OUT/v.lines") dc values each"
else
	echo "outputs differ: vellum $vc records, xsltproc $xc;" \
		"$(diff "$OUT/v.lines" "$OUT/x.lines" | grep -c '^[<>]') differing lines" >&2
	exit 1
fi
