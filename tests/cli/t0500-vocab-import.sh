#!/bin/sh
# t0500-vocab-import: importing SKOS (Turtle, RDF/XML, N-Triples), listing,
# showing, re-importing a newer version, and a local override file.
. "$TOP/tests/cli/lib.sh"
F=$TOP/tests/fixtures/vocab
COAR=$SHARED/vocab/coar-resource-types.ttl
IV=https://vocab.example.org/inclusive/
C=http://purl.org/coar/resource_type/

run init repo
export VELLUM_REPO=$T/repo

run vocab list
expect_rc "list on an empty catalog" 0
expect_out "list says none" 'No vocabularies imported'

run vocab import "$COAR" --json
expect_rc "COAR imports" 0
expect_json "COAR scheme" .scheme http://purl.org/coar/resource_type
expect_json "COAR concepts" .concepts 71
expect_json "COAR triples (rapper -c says 2658)" .triples 2658
expect_json "COAR deprecated through editorial notes" .deprecated 6
expect_json "COAR first revision" .revision 1

run vocab show ${C}c_816b --json
expect_rc "show a COAR concept" 0
expect_json "editorial note Deprecated marks it" .status deprecated
expect_json "no replacement for it" '.use_instead | length' 0
expect_json "15-language concept shows 12 prefLabels + alt + hidden" \
	'[.labels[] | select(.kind == "pref")] | length' 12
run vocab show ${C}c_18co --json
expect_json "'Proposed deprecated' is a status, not a deprecation" \
	'.status + " " + (.deprecated | tostring)' "proposed deprecated false"
run vocab show ${C}c_0040 --lang ja --json
expect_json "display label in the asked language" .label 手稿
run vocab show ${C}c_0040 --lang ar --json
expect_json "missing language falls back to English" .label manuscript
expect_json "broader link with its label" \
	'[.links[] | select(.kind == "broader")][0].label' text

run vocab import "$F/inclusive.ttl"
expect_rc "the inclusive test vocabulary imports" 0
expect_out "text report" 'Imported <https://vocab.example.org/inclusive/> revision 1 \(version 1.0\)'
expect_out "35 concepts, 8 deprecated" '35 concepts, 0 overrides, 210 labels, 8 deprecated'

run vocab import "$F/inclusive.ttl" --json
expect_rc "same file again" 0
expect_json "same file is a no-op" .unchanged true

run vocab list --json
expect_json "two schemes" 'length' 2
expect_json "MODS authority code from vann:preferredNamespacePrefix" \
	'.[] | select(.uri == "'$IV'") | .code' vlit
expect_json "seven label languages" \
	'.[] | select(.uri == "'$IV'") | .languages' "de en es fr ja mi ru"

# A newer version in RDF/XML updates in place and records what changed.
run vocab import "$F/inclusive-v2.rdf" --json
expect_rc "version 1.1 (RDF/XML) imports" 0
expect_json "revision 2" .revision 2
expect_json "one concept added" .added 1
expect_json "one concept removed" .removed 1
expect_json "version recorded" .version 1.1
run vocab show "$IV" --json
expect_json "added concept in the change list" \
	'[.changes[] | select(.change == "added")][0].concept' "${IV}youth"
expect_json "removed concept in the change list" \
	'[.changes[] | select(.change == "removed")][0].concept' "${IV}resume-verb"
expect_json "new deprecation recorded" \
	'[.changes[] | select(.change == "deprecated")][0].concept' "${IV}tribes"
expect_json "new label recorded" \
	'[.changes[] | select(.change == "label added")][0].detail' "alt en: Older people"
run vocab show "${IV}resume-verb" --json
expect_json "a concept the new version lacks is kept, withdrawn" .status withdrawn
run vocab show "${IV}tribes" --json
expect_json "tribes now replaced" '.use_instead[0]' "${IV}indigenous-peoples"
run vocab show "${IV}tribes"
expect_out "history shows the change" 'rev 2 deprecated'

# Local override file (N-Triples).  Imported as a plain scheme (in
# another repository), its statements about others' concepts are ignored,
# and it says so.
run init repo2
run -r repo2 vocab import "$F/inclusive.ttl"
run -r repo2 vocab import "$F/local-overrides.nt"
expect_rc "an override file without --local imports its own concept" 0
expect_err "and warns that overrides were ignored" \
	'statements about concepts of other schemes ignored; import the file with --local'
run -r repo2 vocab show "${IV}exotic-peoples" --json
expect_json "nothing overridden" '.use_instead | length' 0
run vocab import --local "$F/local-overrides.nt" --json
expect_rc "local overrides import" 0
expect_json "four overridden concepts" .overrides 4
expect_json "one concept of its own" .concepts 1
run vocab show "${IV}exotic-peoples" --json
expect_json "local replacement link applies" '.use_instead[0]' "${IV}indigenous-peoples"
run vocab show "${IV}maori" --json
expect_json "local prefLabel overrides the English one" .label "Māori people"
expect_json "the vocabulary's is kept as overridden" \
	'[.labels[] | select(.kind == "pref (overridden)")][0].text' "Māori"
run vocab show ${C}c_816b --json
expect_json "local owl:deprecated false un-deprecates" .deprecated false

# Local facts survive a re-import of the vocabulary they override.
run vocab import "$F/inclusive.ttl" --json
expect_json "back to 1.0 is revision 3" .revision 3
run vocab show "${IV}exotic-peoples" --json
expect_json "override survives the re-import" '.use_instead[0]' "${IV}indigenous-peoples"
run vocab show "${IV}resume-verb" --json
expect_json "a returning concept is current again" .status null

run vocab import --local "$F/inclusive.ttl"
expect_rc "a scheme keeps its local flag" 3
expect_err "flag mismatch explained" 'was imported without --local'

run vocab import
expect_rc "import without FILE is a usage error" 2
run vocab import "$F/inclusive.ttl" --csv
expect_rc "an option of another subcommand is refused" 2
expect_err "and named" "'--csv' does not apply"
run vocab frobnicate
expect_rc "unknown subcommand" 2
run help vocab
expect_rc "help vocab" 0
expect_out "help names remediate" 'remediate'
finish
