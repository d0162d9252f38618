#!/bin/sh
# t0300-bag-create-validate: vellum bag create and validate, exit codes,
# every problem named, JSON, the repository's default algorithms.
. "$TOP/tests/cli/lib.sh"

mkdir -p src/sub
printf 'hello\n' >src/a.txt
printf 'world\n' >src/sub/b.txt
printf 'pct' >'src/100%.txt'
printf 'nl' >"src/$(printf 'new\nline')"
printf 'hidden' >src/.hidden
ln -s a.txt src/link

run bag --help
expect_rc "bag --help exits 0" 0
expect_out "help lists every subcommand" 'unpack ARCHIVE \[DIR\]'
run help bag
expect_out "help bag documents exit codes" '^Exit codes: 0 ok; 1 the bag'
run bag
expect_rc "bag without a subcommand is a usage error" 2
run bag frob
expect_rc "unknown bag subcommand exits 2" 2
expect_err "unknown subcommand is named" "unknown bag command 'frob'"
run bag create
expect_rc "create without SRC exits 2" 2
run bag create -a md4 src out
expect_rc "unknown algorithm exits 2" 2
expect_err "unknown algorithm is named" "'md4'"
run bag validate --fast src
expect_rc "validate of a non-bag exits 1" 1
run bag create --fast src out
expect_rc "an option of another subcommand exits 2" 2
expect_err "the misplaced option is named" '--fast is not an option of bag create'
run bag create --symlinks sometimes src out
expect_rc "bad --symlinks value exits 2" 2
run bag create --info novalue src out
expect_rc "bad --info exits 2" 2
expect_err "bad --info is named" "'novalue' is not LABEL=VALUE"
check "no output for usage errors" test ! -e out

run bag create -a sha256 -a sha512 --info 'Source-Organization=Test Org' \
	--info 'Contact-Name=Ann' src bag1
expect_rc "create into DEST exits 0" 0
expect_out "create reports files and algorithms" \
	"^Bagged 5 files \(23 B\) into 'bag1' with sha256,sha512; 1 left out$"
expect_err "skipped symlink is warned about" "'link': symbolic link skipped"
check "bagit.txt is 1.0" grep -qx 'BagIt-Version: 1.0' bag1/bagit.txt
check "source left in place" test -f src/a.txt
check "payload copied" cmp src/sub/b.txt bag1/data/sub/b.txt
check "percent encoded (2.1.3)" grep -q '  data/100%25.txt$' bag1/manifest-sha256.txt
check "newline encoded (2.1.3)" grep -q '  data/new%0Aline$' bag1/manifest-sha256.txt
check "bag-info keeps the order given" \
	sh -c 'head -2 bag1/bag-info.txt | tr "\n" "|" | grep -qx "Source-Organization: Test Org|Contact-Name: Ann|"'
check "Payload-Oxum written" grep -qx 'Payload-Oxum: 23.5' bag1/bag-info.txt
check "tag manifest per algorithm" test -f bag1/tagmanifest-sha512.txt
check "hidden files kept by default" test -f bag1/data/.hidden

run bag validate bag1
expect_rc "fresh bag is valid" 0
expect_out "verdict printed" "^bag1: valid \(BagIt 1.0, 5 payload files"

run bag validate --json bag1
expect_rc "validate --json exits 0" 0
expect_json "json valid" .valid true
expect_json "json version" .version 1.0
expect_json "json payload files" .payload.files 5
expect_json "json algorithms" '.algorithms.payload | join(",")' sha256,sha512

run bag create src bag1
expect_rc "existing DEST is refused" 3
expect_err "refusal names DEST" "'bag1' already exists"

# Tamper, delete, add: each named, every problem listed, exit 1.
cp -r bag1 t
printf 'X' >>t/data/a.txt
rm t/data/sub/b.txt
echo new >t/data/new.txt
run bag validate t
expect_rc "tampered bag exits 1" 1
expect_out "changed file named" '^error: data/a.txt: sha256 checksum differs'
expect_out "expected and found shown" 'expected 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03, found'
expect_out "deleted file named" '^error: data/sub/b.txt: listed in a manifest but not in the bag \[RFC 8493 3\]'
expect_out "added file named" '^error: data/new.txt: payload file is not listed in any manifest'
expect_out "Oxum mismatch reported" 'Payload-Oxum does not match'
expect_out "verdict NOT valid" '^t: NOT valid'
run bag validate --json t
expect_json "json lists every problem" '[.problems[] | select(.severity=="error")] | length' 5
expect_json "json problem has the rule" '[.problems[] | select(.path=="data/a.txt")][0].rule' "RFC 8493 3"
expect_json "json expected digest" '[.problems[] | select(.code=="checksum-mismatch")][0].expected' \
	5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03
run bag validate --completeness-only t
expect_rc "completeness-only still fails on missing files" 1
expect_no_out "completeness-only computes no digests" 'checksum differs'
run bag validate --fast t
expect_rc "fast sees the Oxum" 1
expect_out "fast says so" 'Payload-Oxum does NOT match'

# Only content changed, same size: complete but not valid.
cp -r bag1 c
printf 'HELLO\n' >c/data/a.txt
run bag validate --completeness-only c
expect_rc "same-size change is still complete" 0
run bag validate --fast c
expect_rc "fast cannot see it (and never says valid)" 0
expect_out "fast verdict wording" 'Payload-Oxum matches'
run bag validate c
expect_rc "full validation catches it" 1
expect_out "complete but not valid" '^c: complete but NOT valid'

run bag create src src/inner
expect_rc "DEST inside SRC is refused" 3
expect_err "and explained" "'src/inner' lies inside 'src'"
check "nothing created inside SRC" sh -c '! ls -a src | grep -q inner'
run bag create --serialize tar src src/x
expect_rc "an archive inside SRC is refused" 3

# In place.
mkdir inplace
printf 'one' >inplace/one.txt
mkdir inplace/data
printf 'nested' >inplace/data/x
run bag create inplace
expect_rc "create in place exits 0" 0
check "payload moved under data/" test -f inplace/data/one.txt
check "existing data/ becomes data/data/" test -f inplace/data/data/x
run bag validate inplace
expect_rc "in-place bag is valid" 0
mkdir withlink
printf 'x' >withlink/x
ln -s x withlink/l
run bag create withlink
expect_rc "in place refuses symlinks" 3
check "nothing moved after refusal" test -f withlink/x
# a refusal found after other files were hashed leaves the listing as it
# was: no manifest's temporary file, no temporary directory
mkdir late
for f in a b c d e f g h; do printf '%s' "$f" >late/$f.txt; done
printf 'bag' >late/bagit.txt
ln -s a.txt late/zz
before=$(ls -A late | tr '\n' ' ')
run bag create late
expect_rc "a late symlink is refused" 3
check "the source lists exactly as before" test "$(ls -A late | tr '\n' ' ')" = "$before"
rm late/zz
run bag create late
expect_rc "then it bags" 0
check "a bagit.txt of the source becomes payload" test "$(cat late/data/bagit.txt)" = bag
run bag validate late
expect_rc "and validates" 0
run bag create --exclude-hidden withlink
expect_rc "--exclude-hidden in place is a usage error" 2

# Policies into DEST.
run bag create --exclude-hidden --symlinks follow src bag2
expect_rc "follow + exclude-hidden exits 0" 0
check "link followed into a file" test -f bag2/data/link
check "hidden left out" test ! -e bag2/data/.hidden
run bag create --symlinks error src bag3
expect_rc "symlinks error refuses" 3
check "refused DEST not created" test ! -e bag3
ln -s /etc/hostname src/escape
run bag create --symlinks follow src bag4
expect_rc "a link leaving SRC is never followed" 3
expect_err "escaping link named" "'escape'"
check "nothing left behind" sh -c '! ls -d bag4* 2>/dev/null | grep -q .'
rm src/escape

# Default algorithms from the repository configuration.
"$VELLUM" init --digests sha256 repo >/dev/null 2>&1
run -r repo bag create src bag5
expect_rc "create inside a repository" 0
check "repository digests used" test -f bag5/manifest-sha256.txt
check "not the built-in default" test ! -e bag5/manifest-sha512.txt
run bag create src bag6
check "outside a repository sha512 (RFC 8493 2.4)" test -f bag6/manifest-sha512.txt

run bag create --json -a sha256 --info-file /nonexistent src bag7
expect_rc "missing --info-file exits 3" 3
printf 'External-Description: a long\n  description\nBag-Group-Identifier: g\n' >info.txt
run bag create --json -a sha256 --info-file info.txt src bag7
expect_rc "create --json exits 0" 0
expect_json "create json files" .files 5
expect_json "create json warnings" '.warnings[0].path' link
check "info-file continuation kept" grep -q '^  description$' bag7/bag-info.txt

# An OpenSSL without the manifests' algorithm (here: configured with no
# digest provider at all) cannot verify them: an error per manifest, not
# a crash and not "valid".
printf 'openssl_conf = init\n[init]\nproviders = prov\n[prov]\nnull = null_sect\n[null_sect]\nactivate = 1\n' >nodigest.cnf
OPENSSL_CONF=$T/nodigest.cnf run bag validate bag7
expect_rc "validate without the algorithm exits 1" 1
expect_out "manifest algorithm unsupported" "error: manifest-sha256.txt: algorithm 'sha256' is not supported"
expect_out "tag manifest algorithm unsupported" "error: tagmanifest-sha256.txt: algorithm 'sha256' is not supported"

finish
