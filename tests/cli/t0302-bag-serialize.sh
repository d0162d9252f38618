#!/bin/sh
# t0302-bag-serialize: pack, unpack, create --serialize, validating
# archives without extracting, and hostile archives (made with GNU tar)
# that must write nothing.
. "$TOP/tests/cli/lib.sh"

mkdir -p src/sub
printf 'alpha\n' >src/a.txt
printf 'beta\n' >src/sub/b.txt
printf 'caf\303\251\n' >"src/caf$(printf '\303\251').txt"
"$VELLUM" bag create -a sha256 src mybag >/dev/null 2>&1 ||
	not_ok "setup: create" "bag create failed"

for fmt in tar tgz zip; do
	run bag pack --format "$fmt" mybag "out.$fmt"
	expect_rc "pack $fmt" 0
	run bag validate "out.$fmt"
	expect_rc "$fmt validates without extracting" 0
	expect_out "$fmt verdict" "^out.$fmt: valid"
	check "$fmt: nothing extracted" test ! -e mybag/.vellum-unpack
	run bag unpack "out.$fmt" "un-$fmt"
	expect_rc "unpack $fmt" 0
	run bag validate "un-$fmt"
	expect_rc "unpacked $fmt is valid" 0
	check "$fmt: non-ASCII name survives" test -f "un-$fmt/data/caf$(printf '\303\251').txt"
done
check "tar has one top-level directory named after the bag" \
	sh -c 'tar -tf out.tar | grep -v "^mybag/" | grep -q . && exit 1 || exit 0'
check "bagit.txt comes first in the archive" \
	sh -c 'tar -tf out.tar | sed -n 2p | grep -qx mybag/bagit.txt'
run bag pack mybag
expect_rc "pack defaults to BAG.tar" 0
check "mybag.tar written" test -f mybag.tar
run bag pack mybag
expect_rc "pack refuses to overwrite" 3
run bag unpack out.tar un-tar
expect_rc "unpack refuses an existing directory" 3
run bag unpack mybag.tar
expect_rc "unpack without DIR" 3
expect_err "default DIR is the top-level name, which exists" "'mybag' already exists"

run bag create --serialize tgz -a sha512 src packed
expect_rc "create --serialize exits 0" 0
expect_out "the archive is named" "into 'packed.tar.gz'"
check "archive written" test -f packed.tar.gz
check "no work directory left" sh -c '! ls -a | grep -q "vellum-"'
run bag validate --json packed.tar.gz
expect_json "serialized bag valid" .valid true
run bag create --serialize zip src
expect_rc "--serialize needs DEST" 2

# A bag tampered inside an archive: the file is named.
cp -r mybag tampered
printf 'ALPHA\n' >tampered/data/a.txt
tar -cf tampered.tar tampered
run bag validate tampered.tar
expect_rc "tampered archive exits 1" 1
expect_out "tampered file named" '^error: data/a.txt: sha256 checksum differs'

# Hostile archives: reported, and unpack writes nothing anywhere.
mkdir -p h/b/data
cp mybag/bagit.txt mybag/manifest-sha256.txt h/b/
cp -r mybag/data/* h/b/data/
echo evil >h/evil.txt
(cd h && tar -cPf ../dotdot.tar b evil.txt --transform 's,^evil.txt,b/../../evil.txt,')
(cd h && tar -cPf ../absolute.tar b evil.txt --transform "s,^evil.txt,$T/abs-evil.txt,")
ln -s /etc/passwd h/b/data/link
(cd h && tar -cf ../symlink.tar b)
rm h/b/data/link
for a in dotdot absolute symlink; do
	run bag validate "$a.tar"
	expect_rc "$a archive is invalid" 1
	expect_out "$a entry refused" 'archive entry .*; it is not read \[RFC 8493 5.1\]'
	run bag unpack "$a.tar" "out-$a"
	expect_rc "$a archive: unpack refused" 3
	expect_err "$a: nothing was extracted" 'nothing was extracted'
	check "$a: no output directory" test ! -e "out-$a"
	check "$a: no work directory left" sh -c '! ls -a | grep -q "vellum-unpack"'
done
check "nothing written above" test ! -e ../evil.txt
check "nothing written at the absolute name" test ! -e "$T/abs-evil.txt"
(cd h && tar -cf ../twotops.tar b evil.txt)
run bag unpack twotops.tar out-two
expect_rc "two top-level entries refused" 3
check "nothing extracted from two tops" test ! -e out-two

printf 'not an archive' >junk.zip
run bag validate junk.zip
expect_rc "garbage archive is an invalid bag" 1
run bag validate missing.zip
expect_rc "a missing file is a runtime failure" 3

finish
