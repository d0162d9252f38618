#!/bin/sh
# ingest.sh VELLUM - batch ingest against the hash limit and against
# `cp -r` followed by `sha512sum`, in the same run.
#
#   small: BENCH_OBJECTS (1000) objects of BENCH_FILES (100) files of 1-64
#          KiB, ingested with one `vellum ingest --batch`;
#   big:   BENCH_BIG_FILES (4) files of BENCH_BIG_MIB (1024) MiB in one
#          object.
# Data lives under bench/out/ingest (kept between runs; BENCH_OUT moves
# it).  The hash limit is what OpenSSL's sha512 does on every core
# (`openssl speed -evp sha512`, 16 KiB blocks) - ingest hashes with the
# repository's default, sha512.  Peak RSS comes from /usr/bin/time; the
# small set is also ingested at a quarter of its size, so the two RSS
# figures show whether memory grows with the number of files.
# Prints ratios; asserts nothing (timing on a shared machine is noisy).
set -eu

V=${1:-./vellum}
case "$V" in /*) ;; *) V=$(pwd)/$V ;; esac
OUT=${BENCH_OUT:-$(pwd)/bench/out/ingest}
OBJECTS=${BENCH_OBJECTS:-1000}
FILES=${BENCH_FILES:-100}
BIG_FILES=${BENCH_BIG_FILES:-4}
BIG_MIB=${BENCH_BIG_MIB:-1024}
CORES=$(nproc)
mkdir -p "$OUT"
for pkg in time file; do
	if [ ! -x /usr/bin/$pkg ] && [ "$(id -u)" -eq 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkg >/dev/null
	fi
done

# ---- data ----
gen_small() { # N objects
	d=$OUT/small-$1
	[ -f "$d/.done" ] && return 0
	rm -rf "$d"
	mkdir -p "$d"
	# Deterministic sizes 1..64 KiB (Park-Miller), content from urandom.
	python3 - "$d" "$1" "$FILES" <<'EOP'
import os, sys
d, n, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = 12345
pool = os.urandom(1 << 20)
with open(os.path.join(d, "batch.csv"), "w") as csv:
    csv.write("id,path,title\n")
    for o in range(n):
        od = os.path.join(d, "o%05d" % o)
        os.makedirs(od)
        for f in range(per):
            s = (s * 16807) % 2147483647
            size = (s % 64 + 1) * 1024
            off = s % (len(pool) - size)
            with open(os.path.join(od, "f%03d.bin" % f), "wb") as fh:
                fh.write(pool[off:off + size])
                fh.write(os.urandom(16))  # every file distinct
        csv.write("b%05d,o%05d,Object %d\n" % (o, o, o))
EOP
	touch "$d/.done"
}

gen_big() {
	d=$OUT/big
	[ -f "$d/.done" ] && return 0
	rm -rf "$d"
	mkdir -p "$d/src"
	i=1
	while [ $i -le "$BIG_FILES" ]; do
		head -c $((BIG_MIB * 1048576)) /dev/urandom >"$d/src/big$i.bin"
		i=$((i + 1))
	done
	touch "$d/.done"
}

QUARTER=$((OBJECTS / 4))
[ "$QUARTER" -ge 1 ] || QUARTER=1
echo "generating data under $OUT (first run only)..."
gen_small "$OBJECTS"
gen_small "$QUARTER"
gen_big

# ---- helpers ----
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
bytes_of() { du -sb --apparent-size "$1" | cut -f1; }
# timed_rss OUTVAR CMD...: runs CMD, sets SECS and RSS (KiB)
timed() {
	t0=$(now)
	/usr/bin/time -f '%M' -o "$OUT/rss" "$@" >/dev/null 2>"$OUT/err" || {
		cat "$OUT/err" >&2
		return 1
	}
	t1=$(now)
	SECS=$(elapsed "$t0" "$t1")
	RSS=$(tail -n 1 "$OUT/rss")
}
ratio() { echo "scale=2; $1 / $2" | bc -l; }
mbs() { echo "scale=1; $1 / 1048576 / $2" | bc -l; }

# ---- the hash limit ----
S512=$(openssl speed -evp sha512 -bytes 16384 -seconds 2 2>/dev/null |
	awk '/^sha512/ { v = $NF; sub(/k$/, "", v); print v * 1000 }')
LIMIT=$(echo "$S512 * $CORES" | bc -l)
echo "openssl sha512: $(echo "scale=0; $S512 / 1048576" | bc) MiB/s per core;" \
	"limit on $CORES cores: $(echo "scale=0; $LIMIT / 1048576" | bc) MiB/s"

# Both sides start from the same file-system state.  Right after a mass
# deletion (the last copy, the last repository: 100,000 files) ext4's
# inode allocator skips every recently freed inode one by one
# (recently_deleted(); seen here to last longer than
# dirty_expire_centisecs), which makes creating files several times
# slower for whoever runs next.  So the copy and the repository of a
# set are removed together, before it, and both sides run after the
# same pause.
clear_out() {
	rm -rf "$OUT/copy" "$OUT/repo"
	sync
	sleep "${BENCH_SETTLE:-60}"
}

reference() { # SRC: cp -r then sha512sum over the copy
	t0=$(now)
	cp -r "$1" "$OUT/copy"
	find "$OUT/copy" -type f -print0 | xargs -0 -P "$CORES" -n 64 sha512sum >/dev/null
	sync
	t1=$(now)
	REF=$(elapsed "$t0" "$t1")
}

fresh_repo() {
	"$V" init "$OUT/repo" >/dev/null
}

# ---- small files ----
for n in "$QUARTER" "$OBJECTS"; do
	src=$OUT/small-$n
	bytes=$(bytes_of "$src")
	clear_out
	reference "$src"
	fresh_repo
	timed "$V" -q -r "$OUT/repo" ingest --batch "$src/batch.csv"
	rss_small_n=$RSS
	echo "small, $n objects x $FILES files ($(echo "$bytes / 1048576" | bc) MiB):"
	echo "  vellum ingest --batch: $SECS s, $(echo "scale=1; $n / $SECS" | bc -l) objects/s," \
		"$(mbs "$bytes" "$SECS") MiB/s, peak RSS $((RSS / 1024)) MiB"
	echo "  ratio to the hash limit: $(ratio "$bytes / $SECS" "$LIMIT")"
	echo "  cp -r + sha512sum: $REF s; vellum is $(ratio "$REF" "$SECS")x its speed"
	# Format identification is part of every ingest (libmagic, one
	# call per file); what it costs alone, on every core, says how much
	# of the time is neither hashing nor copying.
	if [ -x /usr/bin/file ]; then
		t0=$(now)
		find "$src" -type f -name '*.bin' -print0 |
			xargs -0 -P "$CORES" -n 256 file -b --mime-type >/dev/null
		t1=$(now)
		echo "  libmagic alone (file --mime-type, $CORES processes): $(elapsed "$t0" "$t1") s"
	fi
	eval "rss_$n=$rss_small_n"
done
eval "r1=\$rss_$QUARTER; r2=\$rss_$OBJECTS"
echo "  peak RSS at $QUARTER and $OBJECTS objects: $((r1 / 1024)) and" \
	"$((r2 / 1024)) MiB (ratio $(ratio "$r2" "$r1") for $(ratio "$OBJECTS" "$QUARTER")x the files)"

# ---- big files ----
bytes=$(bytes_of "$OUT/big/src")
clear_out
reference "$OUT/big/src"
fresh_repo
timed "$V" -q -r "$OUT/repo" ingest --title "Big files" "$OUT/big/src"
echo "big, $BIG_FILES x $BIG_MIB MiB in one object:"
echo "  vellum ingest: $SECS s, $(mbs "$bytes" "$SECS") MiB/s, peak RSS $((RSS / 1024)) MiB"
echo "  ratio to the hash limit: $(ratio "$bytes / $SECS" "$LIMIT")"
echo "  cp -r + sha512sum: $REF s; vellum is $(ratio "$REF" "$SECS")x its speed"
rm -rf "$OUT/repo" "$OUT/copy"
