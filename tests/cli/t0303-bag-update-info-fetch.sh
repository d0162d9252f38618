#!/bin/sh
# t0303-bag-update-info-fetch: vellum bag update, info, fetch (file://
# URLs; the HTTP path is tested in tests/unit/test_bag.c against a
# libmicrohttpd server) and BagIt Profiles.
. "$TOP/tests/cli/lib.sh"

mkdir -p src
printf 'one\n' >src/one.txt
printf 'two\n' >src/two.txt
"$VELLUM" bag create -a sha256 --info 'Custom-Field=kept' src bag >/dev/null 2>&1 ||
	not_ok "setup: create" "bag create failed"

run bag info bag
expect_rc "info exits 0" 0
expect_out "info shows the version" '^BagIt: +1.0, tag files in UTF-8$'
expect_out "info shows manifests" '^Manifests: +sha256 \(2 entries\)$'
expect_out "info shows bag-info" '^Custom-Field: kept$'
run bag info --json bag
expect_json "info json oxum" '.info[] | select(.label=="Payload-Oxum") | .value' 8.2
expect_json "info json manifests" '.algorithms.payload[0]' sha256
"$VELLUM" bag pack bag bag.tgz >/dev/null 2>&1
run bag info --json bag.tgz
expect_json "info reads archives" .serialized true
expect_json "info from an archive" '.info[0].label' Custom-Field

# update after the payload changed
printf 'ONE\n' >bag/data/one.txt
printf 'three\n' >bag/data/three.txt
rm bag/data/two.txt
run bag update --add-algorithm sha512 bag
expect_rc "adding an algorithm to a changed bag is refused" 1
expect_out "the changed file is named" '^error: data/one.txt: sha256 checksum differs'
expect_out "the removed file is named" '^error: data/two.txt: listed in a manifest'
expect_out "the new file is named" '^error: data/three.txt: payload file is not listed'
expect_err "nothing changed" 'nothing was changed'
check "no sha512 manifest written" test ! -e bag/manifest-sha512.txt
run bag update bag
expect_rc "update exits 0" 0
expect_out "update counts changes" '1 added, 1 removed, 1 changed; manifests sha256$'
run bag validate bag
expect_rc "updated bag is valid" 0
check "custom field kept" grep -qx 'Custom-Field: kept' bag/bag-info.txt
check "oxum updated" grep -qx 'Payload-Oxum: 10.2' bag/bag-info.txt
run bag update --json --add-algorithm sha512 bag
expect_rc "add algorithm to an intact bag" 0
expect_json "both manifests now" '.algorithms | join(",")' sha256,sha512
check "sha512 tag manifest too" test -f bag/tagmanifest-sha512.txt
run bag validate bag
expect_rc "bag with the added algorithm is valid" 0
run bag update src
expect_rc "update of a non-bag" 3
expect_err "says why" 'is not a bag'

# fetch: a holey bag completed from file:// URLs
mkdir -p remote
printf 'first\n' >remote/a.txt
printf 'second\n' >remote/b.txt
mkdir -p holey/data
printf 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n' >holey/bagit.txt
for f in a b; do
	sum=$(sha256sum "remote/$f.txt" | cut -d' ' -f1)
	size=$(wc -c <"remote/$f.txt")
	echo "$sum  data/$f.txt" >>holey/manifest-sha256.txt
	echo "file://$T/remote/$f.txt $size data/$f.txt" >>holey/fetch.txt
done
run bag validate holey
expect_rc "a holey bag is not complete" 1
expect_out "not fetched yet" '^error: data/a.txt: listed in fetch.txt and not fetched yet'
run bag fetch holey
expect_rc "file:// needs --allow-file" 1
expect_out "scheme refused" 'only http and https URLs are fetched'
run bag fetch --allow-file holey
expect_rc "fetch completes and validates" 0
expect_out "fetch counts" '^Fetched 2 files \(0 already present, 0 failed\)$'
expect_out "then validated" '^holey: valid'
check "fetched into data/" cmp remote/b.txt holey/data/b.txt
check "no partial files left" test ! -e holey/.vellum-fetch
run bag fetch --allow-file --no-validate holey
expect_out "second run finds them present" '2 already present'
# A source that sends more than fetch.txt declares (RFC 8493 5.3).
rm holey/data/a.txt
printf 'first and a lot more\n' >remote/a.txt
run bag fetch --allow-file --retries 0 holey
expect_rc "oversized download fails" 1
expect_out "oversize reported" 'sent more bytes than fetch.txt declares; download aborted and deleted'
check "nothing kept" test ! -e holey/data/a.txt

# BagIt Profiles 1.3
cat >profile.json <<'EOF'
{
  "BagIt-Profile-Info": {
    "BagIt-Profile-Identifier": "https://example.org/profile.json",
    "Source-Organization": "Example", "Version": "1.0"
  },
  "Bag-Info": { "Source-Organization": { "required": true } },
  "Manifests-Required": ["sha512"],
  "Accept-BagIt-Version": ["1.0"],
  "Serialization": "optional"
}
EOF
run bag validate --profile profile.json bag
expect_rc "profile violations make the bag invalid" 1
expect_out "required bag-info element named" 'bag-info must have Source-Organization \[BagIt Profiles 1.3\]'
"$VELLUM" bag create -a sha512 --info 'Source-Organization=Example' src ok >/dev/null 2>&1
run bag validate --profile profile.json ok
expect_rc "a conforming bag passes" 0
printf '{"BagIt-Profile-Info": {}}' >bad.json
run bag validate --profile bad.json ok
expect_rc "a malformed profile is a failure" 3
expect_err "the missing key is named" 'BagIt-Profile-Identifier'

finish
