#!/bin/sh
# bag.sh VELLUM - `vellum bag create` and `vellum bag validate` against
# the speed of the hash itself, sha256sum+sha512sum and hashdeep.
#
# Two generated trees (warm cache): 2,000 files of 1-64 KiB and 8 files
# of 128 MiB, under bench/out/bag (kept between runs; BENCH_OUT moves it).
# The limit is what OpenSSL hashes on every core, for the same work:
#   sha256+sha512: cores / (1/s256 + 1/s512)   sha256 alone: cores * s256
# with s256, s512 from `openssl speed -evp` (16 KiB blocks).  Each timing
# is the best of BENCH_RUNS (default 7 on the small tree, whose runs take
# a tenth of a second and whose best of 3 could still land in one of this
# VM's slow spells, and 3 on the big one), the commands compared taking
# turns, one run each per round; max RSS comes from /usr/bin/time.
# Prints ratios; asserts nothing (timing on a shared machine is noisy).
set -eu

V=${1:-./vellum}
case "$V" in /*) ;; *) V=$(pwd)/$V ;; esac
OUT=${BENCH_OUT:-$(pwd)/bench/out/bag}
SMALL_RUNS=${BENCH_RUNS:-7}
BIG_RUNS=${BENCH_RUNS:-3}
RUNS=$BIG_RUNS
CORES=$(nproc)
mkdir -p "$OUT"

if ! command -v hashdeep >/dev/null 2>&1; then
	if [ "$(id -u)" -eq 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hashdeep >/dev/null
	else
		echo "bag.sh: hashdeep missing (apt-get install hashdeep); skipping that comparison" >&2
	fi
fi
if [ ! -x /usr/bin/time ] && [ "$(id -u)" -eq 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi

# ---- data ----
gen_small() {
	d=$OUT/small/src
	[ -f "$OUT/small/.done" ] && return 0
	rm -rf "$OUT/small"
	mkdir -p "$d"
	head -c 67108864 /dev/urandom >"$OUT/pool"
	# sizes 1..64 KiB, spread over 20 directories, deterministic
	# (Park-Miller: exact in awk's doubles)
	awk 'BEGIN { s = 12345; for (i = 0; i < 2000; i++) {
		s = (s * 16807) % 2147483647;
		printf "%d %d %d\n", i, s % 64 + 1, i % 20 } }' |
		while read -r i kib dir; do
			mkdir -p "$d/d$dir"
			dd if="$OUT/pool" of="$d/d$dir/f$i.bin" bs=1024 \
				count="$kib" skip="$i" status=none
		done
	rm -f "$OUT/pool"
	touch "$OUT/small/.done"
}

gen_big() {
	d=$OUT/big/src
	[ -f "$OUT/big/.done" ] && return 0
	rm -rf "$OUT/big"
	mkdir -p "$d"
	for i in 1 2 3 4 5 6 7 8; do
		head -c 134217728 /dev/urandom >"$d/big$i.bin"
	done
	touch "$OUT/big/.done"
}

# ---- measuring ----
now() { date +%s.%N; }

# timed CMD...: runs CMD RUNS times; sets BEST (wall seconds, less the
# harness's own OVERHEAD), CPU (its user+system seconds) and RSS (KiB,
# the largest seen).  The command's output is discarded.
OVERHEAD=0
timed() {
	BEST=
	CPU=0
	RSS=0
	r=0
	while [ "$r" -lt "$RUNS" ]; do
		[ -n "${BEFORE:-}" ] && eval "$BEFORE"
		t0=$(now)
		if [ -x /usr/bin/time ]; then
			/usr/bin/time -f "%M %U %S" -o "$OUT/rss" "$@" \
				>/dev/null 2>&1 || echo "bag.sh: '$*' failed" >&2
			m=$(tail -n 1 "$OUT/rss" | cut -d' ' -f1)
			c=$(tail -n 1 "$OUT/rss" | awk '{ print $2 + $3 }')
		else
			"$@" >/dev/null 2>&1 || echo "bag.sh: '$*' failed" >&2
			m=0
		fi
		t1=$(now)
		t=$(echo "$t1 $t0 $OVERHEAD" | awk '{ printf "%.4f", $1 - $2 - $3 }')
		if [ -z "$BEST" ] || awk "BEGIN { exit !($t < $BEST) }"; then
			BEST=$t
			CPU=${c:-0}
		fi
		[ "$m" -gt "$RSS" ] && RSS=$m
		r=$((r + 1))
	done
}

# openssl speed for ALG, bytes per second per core: the best of three, as
# for every timing here (a neighbour's burst only ever slows a run, and
# one slowed measure of the limit flattered every ratio of a run to 1.1)
speed() {
	for _ in 1 2 3; do
		openssl speed -mr -evp "$1" -bytes 16384 -seconds 2 2>/dev/null |
			awk -F: '/^\+F:/ { print $4 }' | tail -n 1
	done | sort -g | awk -v alg="$1" '
		NR == 1 { lo = $1 } { hi = $1 }
		END {
			if (lo > 0 && hi / lo > 1.1)
				printf "note: openssl speed %s varied by %.0f%% across three runs: the machine is not steady, and the ratios below may be off by as much\n", alg, (hi / lo - 1) * 100 > "/dev/stderr"
			print hi
		}'
}

bytes_of() { du -sb "$1" | cut -f1; }
mbps() { awk "BEGIN { printf \"%.0f\", $1 / $2 / 1e6 }"; }
ratio() { awk "BEGIN { printf \"%.2f\", ($1) / ($2) }"; }

# sha256sum then sha512sum over every file of a tree (a command line, so
# /usr/bin/time can run it)
SUMSUMS='find "$0" -type f -print0 | xargs -0 sha256sum >/dev/null &&
	find "$0" -type f -print0 | xargs -0 sha512sum >/dev/null'

# keep NAME: after a `timed` of one run, keeps the faster run's time and
# CPU in NAME_t and NAME_cpu, the largest RSS in NAME_rss.
keep() {
	eval "_t=\${${1}_t:-}; _r=\${${1}_rss:-0}"
	if [ -z "$_t" ] || awk "BEGIN { exit !($BEST < $_t) }"; then
		eval "${1}_t=$BEST; ${1}_cpu=$CPU"
	fi
	[ "$RSS" -gt "$_r" ] && eval "${1}_rss=$RSS"
	return 0
}

bench_tree() { # NAME DIR
	name=$1
	src=$2/src
	bytes=$(bytes_of "$src")
	files=$(find "$src" -type f | wc -l)
	cat "$src"/*/* "$src"/* >/dev/null 2>&1 || true # warm the cache
	c_t= c_rss=0 d_t= d_rss=0 v_t= v_rss=0 s_t= s_rss=0 v256_t= v256_rss=0 h_t= h_rss=0
	rm -rf "$2/bag" "$2/bag256"
	"$V" bag create -q -a sha256 -a sha512 "$src" "$2/bag"
	"$V" bag create -q -a sha256 "$src" "$2/bag256"
	sync
	have_hd=
	command -v hashdeep >/dev/null 2>&1 && have_hd=1

	# The commands compared take turns, one run each per round: a slow
	# spell of the VM then costs each of them a run, not one of them all
	# its runs.
	reps=$RUNS
	RUNS=1
	rep=0
	while [ "$rep" -lt "$reps" ]; do
		# in place, on a hard-linked copy (no data copied): hashing
		# only.  The copy's metadata is synced before the clock
		# starts: the sync a bag create ends with must not pay for the
		# journal of the harness's own cp -al (6 ms of a 110 ms run),
		# which a real source never has.
		BEFORE="rm -rf '$2/work'; cp -al '$src' '$2/work'; sync"
		timed "$V" bag create -q -a sha256 -a sha512 "$2/work"
		keep c
		BEFORE=
		timed "$V" bag validate -q "$2/bag"
		keep v
		timed sh -c "$SUMSUMS" "$src"
		keep s
		timed "$V" bag validate -q "$2/bag256"
		keep v256
		if [ -n "$have_hd" ]; then
			timed hashdeep -c sha256 -r "$2/bag256/data"
			keep h
		fi
		rep=$((rep + 1))
	done
	RUNS=$reps
	rm -rf "$2/work" "$2/bag256"
	# into DEST: copied in the same read, then synced to disk.  Timed
	# apart: its writes would slow whatever ran after them.
	BEFORE="rm -rf '$2/bag'; sync"
	timed "$V" bag create -q -a sha256 -a sha512 "$src" "$2/bag"
	d_t=$BEST
	d_rss=$RSS
	BEFORE=

	echo "== $name: $files files, $(mbps "$bytes" 1) MB, $CORES cores"
	echo "limit (openssl, sha256+sha512, all cores): $(mbps "$LIMIT2" 1) MB/s; sha256 alone: $(mbps "$LIMIT1" 1) MB/s"
	echo "create -a sha256 -a sha512 (in place): $(mbps "$bytes" "$c_t") MB/s = $(ratio "$bytes / $c_t" "$LIMIT2") of the limit," \
		"$(ratio "$s_t" "$c_t")x sha256sum+sha512sum; max RSS $((c_rss / 1024)) MB"
	ideal=$(awk "BEGIN { print $bytes / $S256 + $bytes / $S512 }")
	echo "  CPU time: create $c_cpu s, validate $v_cpu s, the hash alone $(awk "BEGIN { printf \"%.2f\", $ideal }") s:" \
		"CPU efficiency $(ratio "$ideal" "$c_cpu") and $(ratio "$ideal" "$v_cpu")" \
		"(the wall-clock ratios suffer when other processes hold the cores)"
	echo "create ... SRC DEST (copy + sync): $(mbps "$bytes" "$d_t") MB/s = $(ratio "$bytes / $d_t" "$LIMIT2") of the limit," \
		"$(ratio "$s_t" "$d_t")x sha256sum+sha512sum; max RSS $((d_rss / 1024)) MB"
	echo "validate (sha256+sha512):            $(mbps "$bytes" "$v_t") MB/s = $(ratio "$bytes / $v_t" "$LIMIT2") of the limit," \
		"$(ratio "$s_t" "$v_t")x sha256sum+sha512sum; max RSS $((v_rss / 1024)) MB"
	if [ -n "$h_t" ]; then
		echo "validate (sha256 bag):               $(mbps "$bytes" "$v256_t") MB/s = $(ratio "$bytes / $v256_t" "$LIMIT1") of the sha256 limit," \
			"$(ratio "$h_t" "$v256_t")x hashdeep -c sha256 -r ($(mbps "$bytes" "$h_t") MB/s)"
	fi
}

echo "generating trees in $OUT (first run only) ..."
gen_small
gen_big
# What timing itself costs: the two date(1) and the time(1) around every
# command (fork and exec each), measured on true(1) and taken off every
# timing below, the references' as well as vellum's: about 5 ms, which
# is 5% of a 0.1 s run.  (true's own exec, some 0.4 ms, goes with it:
# the bias is that much in favour of every command timed.)
RUNS=$SMALL_RUNS
timed true
OVERHEAD=$BEST
echo "harness overhead (date + time(1) around true): $(awk "BEGIN { printf \"%.1f\", $OVERHEAD * 1000 }") ms, subtracted from every timing"
# The limit is measured again just before each tree: the speed of this
# VM's cores drifts by 10-20% over minutes, and a limit taken a minute
# earlier measured the drift, not vellum.
measure_limit() {
	S256=$(speed sha256)
	S512=$(speed sha512)
	LIMIT1=$(awk "BEGIN { print $CORES * $S256 }")
	LIMIT2=$(awk "BEGIN { print $CORES / (1 / $S256 + 1 / $S512) }")
	echo "openssl speed -evp per core: sha256 $(mbps "$S256" 1) MB/s, sha512 $(mbps "$S512" 1) MB/s"
}
measure_limit
RUNS=$SMALL_RUNS
bench_tree "small (2,000 files of 1-64 KiB)" "$OUT/small"
measure_limit
RUNS=$BIG_RUNS
bench_tree "big (8 files of 128 MiB)" "$OUT/big"
echo "targets: >= 0.9 of the limit on big files, >= 0.7 on small ones; max RSS < 64 MB"
