#!/bin/sh
# t0301-bag-conformance: `vellum bag validate` over every bag of the
# Library of Congress conformance suite in ../shared, enumerated from the
# folders: valid and warning bags exit 0 (warning bags print a warning),
# invalid, linux-only and windows-only bags exit 1.
. "$TOP/tests/cli/lib.sh"

SUITE=$SHARED/conformance/bagit
if [ ! -d "$SUITE" ]; then
	echo "no conformance suite at $SUITE"
	finish
fi

# Where the suite's folder is not the verdict on Linux, and why:
#  duplicate-file-with-different-case: the manifest lists data/hello.txt
#    and data/HELLO.txt, only hello.txt exists; on the case-insensitive
#    file system the suite was made on both names reach it, on Linux
#    data/HELLO.txt is missing, so the bag is incomplete (RFC 8493 3).
#  special-system-files: this copy of the suite lacks the hidden file
#    data/.DS_Store that the manifest lists (dropped when it was copied):
#    incomplete.  If the file is there, the folder's verdict is expected.
exception() {
	case "$1" in
	v0.97/warning/duplicate-file-with-different-case)
		echo "1 data/HELLO.txt" ;;
	v0.97/warning/special-system-files)
		[ -e "$SUITE/$1/data/.DS_Store" ] || echo "1 data/.DS_Store" ;;
	esac
}

n=0
for bag in "$SUITE"/v*/*/*/; do
	bag=${bag%/}
	id=${bag#"$SUITE"/}
	cat=$(basename "$(dirname "$bag")")
	case $cat in
	valid | warning) want=0 ;;
	*) want=1 ;;
	esac
	exc=$(exception "$id")
	run bag validate "$bag"
	n=$((n + 1))
	if [ -n "$exc" ]; then
		expect_rc "$id (Linux: see the comment above)" "${exc%% *}"
		expect_out "$id names ${exc#* }" "^error: ${exc#* }: listed in a manifest but not in the bag"
		continue
	fi
	expect_rc "$id" "$want"
	if [ "$cat" = warning ]; then
		# a warning beyond "md5 is weak" / "not UTF-8"
		if grep '^warning: ' "$OUT" | grep -qv 'weak algorithm\|recommended'; then
			ok "$id warns"
		else
			not_ok "$id warns" "no specific warning"
		fi
	fi
done
if [ "$n" -ge 54 ]; then ok "all $n bags enumerated"; else
	not_ok "all bags enumerated" "only $n"; fi

# The reasons are in the output, with their sections.
run bag validate "$SUITE/v0.97/invalid/bom-in-bagit.txt"
expect_out "BOM rule cited" 'bagit.txt:1: bagit.txt must not begin with a byte order mark \[RFC 8493 2.1.1\]'
run bag validate "$SUITE/v1.0/invalid/bagit-with-invalid-whitespace"
expect_out "1.0 whitespace rule" 'BagIt 1.0 requires .label: value.'
run bag validate "$SUITE/v0.97/linux-only/out-of-scope-file-paths-using-absolute-path"
expect_out "absolute path refused, never read" "path '/tmp/foo' is absolute; it is never read \[RFC 8493 5.1\]"
run bag validate "$SUITE/v0.97/linux-only/out-of-scope-file-paths-using-shortcut-username-for-fetch"
expect_out "~user in fetch.txt refused" "path '~root/foo' starts with '~'"
run bag validate "$SUITE/v0.97/warning/made-with-md5sum-tools"
expect_out "md5sum marker warned" "'\*' before 'data/hello.txt'"
run bag validate "$SUITE/v0.97/valid/UTF-16-encoded-tag-files"
expect_rc "UTF-16 tag files read" 0
run bag validate "$SUITE/v0.97/warning/same-filename-listed-twice-with-different-normalization"
expect_out "normalization matched with a warning" 'different Unicode normalization'

finish
