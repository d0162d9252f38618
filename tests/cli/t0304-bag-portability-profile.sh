#!/bin/sh
# t0304-bag-portability-profile: warnings (not errors) for names Windows
# cannot hold and for a bag inside the payload (RFC 8493 6.1.2), in
# create and validate; bag create --profile (BagIt Profiles 1.3) makes
# only bags that satisfy the profile.
. "$TOP/tests/cli/lib.sh"

mkdir -p src/sub/inner src/dir.
printf 'a' >src/CON.txt
printf 'b' >'src/what?.txt'
printf 'c' >'src/trailing '
printf 'd' >src/sub/lpt9
printf 'e' >src/sub/com10
printf 'f' >src/sub/CONSOLE.txt
printf 'g' >src/ok.txt
printf 'h' >src/dir./x.txt
printf 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n' >src/sub/inner/bagit.txt

run bag create -a sha256 src bag
expect_rc "create with awkward names still succeeds" 0
expect_err "reserved device name warned at create" "'CON.txt': is a name Windows reserves"
expect_err "reserved name without extension warned" "'sub/lpt9': is a name Windows reserves"
expect_err "forbidden character warned" "'what\?.txt': holds a character Windows forbids"
expect_err "trailing space warned" "'trailing ': ends with a dot or space"
expect_err "trailing dot of a directory warned" "'dir\.': ends with a dot or space"
expect_err "nested bag warned at create" "'sub/inner/bagit.txt': a bag inside the payload"
if grep -q "com10\|CONSOLE\|ok.txt" "$ERR"; then
	not_ok "COM10, CONSOLE.txt and ok.txt are fine names"
else ok "COM10, CONSOLE.txt and ok.txt are fine names"; fi

run bag validate bag
expect_rc "the bag is valid: warnings only" 0
expect_out "validate warns about the reserved name" '^warning: data/CON.txt: is a name Windows reserves .*\[RFC 8493 6.1.2\]'
expect_out "validate warns about the character" '^warning: data/what\?.txt: holds a character'
expect_out "validate warns about a component" '^warning: data/dir\./x.txt: ends with a dot or space'
expect_out "validate warns about the nested bag" '^warning: data/sub/inner/bagit.txt: a bag inside the payload'
expect_no_out "no warning for COM10" 'com10'
run bag validate --json bag
expect_json "json: windows-name warnings" '[.problems[] | select(.code=="windows-name")] | length' 5
expect_json "json: one bag-in-bag warning" '[.problems[] | select(.code=="bag-in-bag")] | length' 1
expect_json "json: still valid" .valid true

# --profile on create
mkdir p
printf 'x' >p/a.txt
cat >prof.json <<'JSON'
{ "BagIt-Profile-Info": { "BagIt-Profile-Identifier": "https://example.org/p.json",
    "Source-Organization": "Test", "Version": "1.0" },
  "Bag-Info": { "Source-Organization": { "required": true },
                "Contact-Email": { "values": ["a@example.org"] } },
  "Manifests-Required": ["sha512"], "Tag-Manifests-Required": ["sha512"],
  "Accept-BagIt-Version": ["1.0"], "Serialization": "optional",
  "Accept-Serialization": ["application/zip"] }
JSON
run bag create --profile prof.json -a sha256 p pbag
expect_rc "a bag breaking the profile is refused (exit 1)" 1
expect_err "the missing manifest is named" "profile requires a sha512 manifest"
expect_err "the missing element is named" "bag-info must have Source-Organization"
expect_err "the refusal names the profile" "would not satisfy the profile 'https://example.org/p.json' \(3 problems"
check "nothing made" test ! -e pbag
check "no stage left" sh -c '! ls -d pbag* 2>/dev/null | grep -q .'
run bag create --profile prof.json -a sha512 --info Source-Organization=Me --info Contact-Email=b@example.org p pbag
expect_rc "a value the profile does not allow is refused" 1
expect_err "the bad value is named" "Contact-Email 'b@example.org' is not one of"
run bag create --profile prof.json -a sha512 --info Source-Organization=Me p pbag
expect_rc "a conforming bag is made" 0
check "the profile identifier is in bag-info" grep -q '^BagIt-Profile-Identifier: https://example.org/p.json$' pbag/bag-info.txt
run bag validate --profile prof.json pbag
expect_rc "it validates against the profile" 0
run bag create --profile prof.json -a sha512 --info Source-Organization=Me --serialize tar p parc
expect_rc "a serialization the profile does not accept is refused" 1
expect_err "the serialization is named" "does not accept this serialization"
check "no archive written" test ! -e parc.tar
run bag create --profile prof.json -a sha512 --info Source-Organization=Me --serialize zip p parc
expect_rc "an accepted serialization is made" 0
check "the zip exists" test -f parc.zip
# In place: a refused bag leaves the source as it was.
run bag create --profile prof.json -a sha256 p
expect_rc "in place, refused" 1
check "source restored" test -f p/a.txt
check "no data/ left" test ! -e p/data
check "no tag files left" sh -c '! ls p | grep -q -e bagit.txt -e manifest'
# Payload rules can only be checked on the finished bag: refused after
# hashing, with nothing left behind either way.
cat >payload.json <<'JSON'
{ "BagIt-Profile-Info": { "BagIt-Profile-Identifier": "https://example.org/pl.json" },
  "Payload-Files-Required": ["data/required.txt"],
  "Payload-Files-Allowed": ["data/*.txt"] }
JSON
printf 'y' >p/b.bin
run bag create --profile payload.json -a sha256 p plbag
expect_rc "a payload breaking the profile is refused" 1
expect_err "the missing payload file is named" "'data/required.txt': profile: the profile requires this payload file"
expect_err "the payload file not allowed is named" "'data/b.bin': profile: the profile does not allow this payload file"
check "no bag made" sh -c '! ls -d plbag* 2>/dev/null | grep -q .'
run bag create --profile payload.json -a sha256 p
expect_rc "in place, refused after hashing" 1
check "source restored after hashing" test -f p/b.bin
check "no data/ left after hashing" test ! -e p/data
check "no tag files left after hashing" sh -c '! ls p | grep -q -e bagit.txt -e manifest'
rm p/b.bin
printf 'r' >p/required.txt
run bag create --profile payload.json -a sha256 p plbag
expect_rc "a conforming payload is bagged" 0
run bag create --profile /nonexistent p pbag2
expect_rc "an unreadable profile exits 3" 3

finish
