#!/bin/sh
# t0510-vocab-search: label search and reconciliation across languages and
# scripts, with and without accents; ranking and ambiguity.
. "$TOP/tests/cli/lib.sh"
F=$TOP/tests/fixtures/vocab
IV=https://vocab.example.org/inclusive/
C=http://purl.org/coar/resource_type/

run init repo
export VELLUM_REPO=$T/repo
run vocab import "$SHARED/vocab/coar-resource-types.ttl"
run vocab import "$F/inclusive.ttl"
expect_rc "fixtures import" 0

# search TEXT: first hit's concept for several languages and scripts.
first() { jq -r '.concepts[0].uri' "$OUT"; }
s() { # NAME EXPECTED-URI ARGS...
	name=$1
	want=$2
	shift 2
	run vocab search --json "$@"
	got=$(first)
	if [ "$got" = "$want" ]; then ok "$name"; else
		not_ok "$name" "first hit '$got', expected '$want'"; fi
}
s "Spanish with accents" ${C}c_3248 "capítulo de libro"
s "Spanish without accents (hiddenLabel and folding)" ${C}c_3248 "capitulo de libro"
s "upper case" ${C}c_3248 "CAPÍTULO DE LIBRO"
s "Japanese" ${C}c_0040 "手稿"
s "Russian (Cyrillic)" ${C}c_0040 "рукопись"
s "Arabic with stray space in the file" ${C}c_0857 "رسالة"
s "Chinese" ${C}c_816b "预印本"
s "te reo Maori with macron" ${IV}families "Whānau"
s "te reo Maori without macron" ${IV}families "whanau"
s "te reo Maori in capitals, no macron" ${IV}elders "KAUMATUA"
run vocab search --json "fluesse"
[ "$(first)" = null ] && ok "ue is not folded to u-umlaut (no false hit)" || not_ok "ue is not folded to u-umlaut" "$(first)"
s "German umlaut dropped" ${IV}rivers "Flusse"
s "French elision and accents" ${IV}art "art de l'asie"
s "NFD input matches NFC label" ${IV}families "$(printf 'Wha\314\204nau')"
s "exact accented form ranks above the folded one" ${IV}resume "Résumé"
s "unaccented form prefers the exact unaccented label" ${IV}resume-verb "resume"

run vocab search "Kiwi" --json
expect_json "two concepts share the altLabel Kiwi" '.concepts | length' 2
run vocab search "capítulo de libro" --lang es --json
expect_json "--lang es finds the Spanish label" '.concepts[0].matched_lang' es
expect_json "and shows the Spanish prefLabel" '.concepts[0].label' "capítulo de libro"
run vocab search "capítulo de libro" --lang fr --json
expect_json "--lang fr keeps only French labels" '.concepts | length' 0
run vocab search "Indigenous" --json
expect_json "substring hits after whole-label ones" '.concepts[0].whole_label' false
run vocab search "Natives" --json
expect_json "a hiddenLabel is found" '.concepts[0].kind' hidden
expect_json "and shown with the concept's prefLabel" '.concepts[0].label' "Indigenous peoples"
run vocab search "zzzz-no-such-term"
expect_rc "no hit is not an error" 0
expect_out "no hit says so" "No concept matches"
run vocab search "   "
expect_rc "empty search text is a usage error" 2
run vocab search "x" --lang "not a tag!"
expect_rc "bad --lang is a usage error" 2

# Batch reconciliation: a sample collection's subject strings.
cat >subjects.txt <<'XX'
Illegal aliens
illegal ALIENS
Whanau
Kiwi
Eskimos
Natives
capitulo de libro
No such heading
XX
run vocab search --batch subjects.txt
expect_rc "batch reconciliation runs" 0
expect_lines "one output line per input line" "$OUT" 8
expect_out "deprecated prefLabel matches its concept" "^Illegal aliens	matched	${IV}illegal-aliens	Illegal aliens$"
expect_out "case-insensitive" "^illegal ALIENS	matched	${IV}illegal-aliens"
expect_out "macron-insensitive" "^Whanau	matched	${IV}families	Families$"
expect_out "ambiguity reported, not resolved" "^Kiwi	ambiguous	${IV}kiwi-bird ${IV}kiwifruit"
expect_out "a prefLabel beats another concept's hiddenLabel" "^Eskimos	matched	${IV}eskimos	"
expect_out "hiddenLabel matches" "^Natives	matched	${IV}indigenous-peoples"
expect_out "unmatched listed" "^No such heading	unmatched"
expect_err "summary with a rate" '8 lookups: 6 matched, 1 ambiguous, 1 unmatched in .* s \([0-9]+/s\)'
run vocab search --batch subjects.txt --lang mi
expect_out "label language fallback when none in mi" "^Illegal aliens	matched	${IV}illegal-aliens"
expect_out "prefLabel shown in the asked language" "^Whanau	matched	${IV}families	Whānau$"
run vocab search --batch subjects.txt --scheme http://purl.org/coar/resource_type --json
expect_json "--scheme restricts to one scheme" .matched 1
run vocab search --batch nosuchfile
expect_rc "missing batch file" 3
expect_err "names it" "cannot open 'nosuchfile'"
finish
