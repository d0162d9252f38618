#!/bin/sh
# t0604-crash: `kill -9` of `vellum ingest` at random moments, each
# followed by `vellum doctor`: never a half object, never an inconsistent
# catalog.  CRASH_ROUNDS (default 30) sets how many; `make stress` runs
# more.
. "$TOP/tests/cli/lib.sh"

ROUNDS=${CRASH_ROUNDS:-30}
run init repo
# Enough work that a kill can land in every phase: many small files to
# bag, hash and identify, one larger file, then the catalog commit.
mkdir -p src/many
i=0
while [ $i -lt 150 ]; do echo "file $i" >src/many/f$i.txt; i=$((i + 1)); done
dd if=/dev/urandom of=src/big.bin bs=64k count=32 2>/dev/null

rand() { od -An -N2 -tu2 /dev/urandom | tr -d ' '; }
stored=0
lost=0
bad=0
r=1
while [ $r -le "$ROUNDS" ]; do
	echo "round $r" >src/round.txt # a new payload each round
	"$VELLUM" -r repo ingest --id "crash-$r" --title "Round $r" src \
		>/dev/null 2>&1 &
	pid=$!
	# 0 to 0.8 s: an ingest here takes about half a second, so kills
	# land before, during and after the commit.
	sleep "0.$(printf '%03d' $(($(rand) % 800)))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	if ! "$VELLUM" -r repo doctor >doctor.out 2>&1; then
		bad=$((bad + 1))
		echo "    round $r: doctor found problems:"
		sed 's/^/      /' doctor.out
	fi
	n=$(sqlite3 repo/catalog.db "SELECT count(*) FROM objects WHERE id = 'crash-$r'")
	if [ "$n" = 1 ]; then stored=$((stored + 1)); else lost=$((lost + 1)); fi
	r=$((r + 1))
done
echo "# $ROUNDS kills: $stored objects complete, $lost never stored"
[ $bad -eq 0 ] && ok "doctor is clean after each of $ROUNDS kills" || not_ok "doctor is clean after each kill" "$bad rounds left problems"
check "no stage is left" sh -c "! ls repo/storage/.staging/ 2>/dev/null | grep -q ."
# Every object the catalog has is whole: its bag validates.
half=0
for id in $(sqlite3 repo/catalog.db "SELECT id FROM objects"); do
	rm -rf x
	if ! "$VELLUM" -r repo export --to x "$id" >/dev/null 2>&1 ||
		! "$VELLUM" bag validate "x/$id" >/dev/null 2>&1; then
		half=$((half + 1))
		echo "    $id is not a whole, valid bag"
	fi
done
[ $half -eq 0 ] && ok "every stored object is a whole, valid bag ($stored)" || not_ok "every stored object is whole" "$half are not"
# Updates killed at random moments: the stored bag always holds the
# version the catalog says is current.
"$VELLUM" -r repo ingest --allow-duplicate --id upd --title "Version 0" src >/dev/null 2>&1
mismatch=0
r=1
while [ $r -le $((ROUNDS / 3 + 1)) ]; do
	cat >rec.xml <<EOX
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Version $r</dc:title></oai_dc:dc>
EOX
	"$VELLUM" -r repo update --metadata rec.xml upd >/dev/null 2>&1 &
	pid=$!
	sleep "0.$(printf '%03d' $(($(rand) % 300)))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	"$VELLUM" -r repo doctor >doctor.out 2>&1 || { bad=$((bad + 1)); cat doctor.out; }
	want=$(sqlite3 repo/catalog.db "SELECT title FROM objects WHERE id = 'upd'")
	rm -rf x
	"$VELLUM" -r repo export --to x upd >/dev/null 2>&1
	if ! grep -q ">$want<" x/upd/metadata/dc.xml 2>/dev/null ||
		! "$VELLUM" bag validate x/upd >/dev/null 2>&1; then
		mismatch=$((mismatch + 1))
		echo "    update round $r: the bag does not hold '$want'"
	fi
	r=$((r + 1))
done
[ $mismatch -eq 0 ] && [ $bad -eq 0 ] && ok "killed updates leave the bag and catalog agreeing" || not_ok "killed updates leave the bag and catalog agreeing" "$mismatch mismatches, $bad doctor problems"
# Batches killed at random moments: objects are committed in groups, and
# a kill before, during or after a group's commit still leaves each
# object whole or absent.
mkdir -p batch
i=0
echo "id,path,title" >batch/rows.csv
while [ $i -lt 12 ]; do
	mkdir -p batch/o$i
	j=0
	while [ $j -lt 20 ]; do echo "object $i file $j" >batch/o$i/f$j.txt; j=$((j + 1)); done
	echo "BATCH-$i,o$i,Batch object $i" >>batch/rows.csv
	i=$((i + 1))
done
r=1
batch_bad=0
while [ $r -le $((ROUNDS / 3 + 1)) ]; do
	sed "s/^BATCH-/b$r-/" batch/rows.csv >batch/round.csv
	"$VELLUM" -r repo ingest --allow-duplicate --batch batch/round.csv >/dev/null 2>&1 &
	pid=$!
	sleep "0.$(printf '%03d' $(($(rand) % 900)))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	"$VELLUM" -r repo doctor >doctor.out 2>&1 || { batch_bad=$((batch_bad + 1)); cat doctor.out; }
	for id in $(sqlite3 repo/catalog.db "SELECT id FROM objects WHERE id LIKE 'b$r-%'"); do
		rm -rf x
		if ! "$VELLUM" -r repo export --to x "$id" >/dev/null 2>&1 ||
			! "$VELLUM" bag validate "x/$id" >/dev/null 2>&1 ||
			[ "$(ls x/$id/data | wc -l)" != 20 ]; then
			batch_bad=$((batch_bad + 1))
			echo "    $id is not a whole, valid bag"
		fi
	done
	r=$((r + 1))
done
echo "# batch kills: $(sqlite3 repo/catalog.db "SELECT count(*) FROM objects WHERE id LIKE 'b%-%'") objects stored in $((ROUNDS / 3 + 1)) rounds"
[ $batch_bad -eq 0 ] && ok "killed batches leave only whole objects and a clean doctor" || not_ok "killed batches leave only whole objects" "$batch_bad problems"
check "no stage is left after killed batches" sh -c "! ls repo/storage/.staging/ 2>/dev/null | grep -q ."
run -r repo doctor --json
expect_json "the event chain holds" .ok true
finish
