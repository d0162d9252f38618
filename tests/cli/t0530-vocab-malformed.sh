#!/bin/sh
# t0530-vocab-malformed: bad SKOS files give a clear error naming the file
# (and line) and change nothing; Raptor reads no other file and no URL.
. "$TOP/tests/cli/lib.sh"
F=$TOP/tests/fixtures/vocab
DB=repo/catalog.db

run init repo
export VELLUM_REPO=$T/repo
run vocab import "$F/inclusive.ttl"
snapshot() {
	sqlite3 $DB "SELECT 'S', * FROM vocab_schemes; SELECT 'C', * FROM vocab_concepts;
	SELECT 'M', * FROM vocab_members; SELECT 'L', * FROM vocab_labels;
	SELECT 'K', * FROM vocab_links; SELECT 'N', * FROM vocab_notes;
	SELECT 'X', * FROM vocab_changes" | sha256sum
}
before=$(snapshot)
unchanged() {
	if [ "$(snapshot)" = "$before" ]; then ok "$1: catalog unchanged"; else
		not_ok "$1: catalog unchanged"; fi
}
P='@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <https://ex.example/> .
ex: a skos:ConceptScheme .'

# bad FILE NAME STDERR-REGEX: import fails with exit 3, says why, changes
# nothing.
bad() {
	run vocab import "$1"
	expect_rc "$2: exit 3" 3
	expect_err "$2: message" "$3"
	unchanged "$2"
}

printf '%s\nex:a a skos:Concept ;\n  skos:prefLabel "A"@en ;\n  nope:x "y" .\n' "$P" >undeclared.ttl
bad undeclared.ttl "undeclared prefix" "'undeclared.ttl' line 6.*nope"

printf '%s\nex:a a skos:Concept ;\n  skos:prefLabel "unterminated@en .\n' "$P" >broken.ttl
bad broken.ttl "broken Turtle" "'broken.ttl' line [0-9]+"

cat >broken.rdf <<'XX'
<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:skos="http://www.w3.org/2004/02/skos/core#">
  <skos:Concept rdf:about="https://ex.example/a">
    <skos:prefLabel xml:lang="en">A</skos:prefLabel>
  </skos:Concpt>
</rdf:RDF>
XX
bad broken.rdf "broken XML" "'broken.rdf' line 6"

printf '<https://ex.example/a> <http://www.w3.org/2004/02/skos/core#prefLabel> "A\n' >broken.nt
bad broken.nt "broken N-Triples" "'broken.nt' line 1"

printf '%s\nex:a a skos:Concept ; skos:inScheme ex: ; skos:broader ex:b .\nex:b a skos:Concept ; skos:inScheme ex: ; skos:broader ex:c .\nex:c a skos:Concept ; skos:inScheme ex: ; skos:broader ex:a .\n' "$P" >cycle.ttl
bad cycle.ttl "cycle in broader" "'cycle.ttl': cycle in skos:broader: <https://ex.example/"

printf '%s\nex:a a skos:Concept ; skos:inScheme ex: ; skos:narrower ex:b .\nex:b a skos:Concept ; skos:inScheme ex: ; skos:narrower ex:a .\n' "$P" >cycle2.ttl
bad cycle2.ttl "cycle through narrower" "cycle in skos:broader"

printf '%s\n@prefix dct: <http://purl.org/dc/terms/> .\nex:a a skos:Concept ; skos:inScheme ex: ; dct:isReplacedBy ex:b .\nex:b a skos:Concept ; skos:inScheme ex: ; dct:isReplacedBy ex:a .\n' "$P" >cycle3.ttl
bad cycle3.ttl "cycle in replacements" "cycle in dct:isReplacedBy"

printf '%s\n' "$P" >empty.ttl
bad empty.ttl "no concepts" "'empty.ttl' has no skos:Concept in scheme <https://ex.example/>"

printf '%s\nex:s2 a skos:ConceptScheme .\nex:a a skos:Concept .\n' "$P" >two.ttl
bad two.ttl "two schemes, none chosen" "'two.ttl' declares 2 concept schemes; choose one with --scheme"
run vocab import two.ttl --scheme https://ex.example/s2
expect_rc "--scheme picks one" 0
run vocab import "$F/inclusive.ttl" --json
before=$(snapshot)

printf '@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n<https://ex.example/x> a skos:Concept .\n' >noscheme.ttl
bad noscheme.ttl "no scheme declared" "'noscheme.ttl' declares no skos:ConceptScheme; name the scheme with --scheme"

cat >badlang.rdf <<'XX'
<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:skos="http://www.w3.org/2004/02/skos/core#">
  <skos:ConceptScheme rdf:about="https://ex.example/l"/>
  <skos:Concept rdf:about="https://ex.example/l/a">
    <skos:prefLabel xml:lang="en-toolongsubtag">A</skos:prefLabel>
  </skos:Concept>
</rdf:RDF>
XX
bad badlang.rdf "malformed language tag" "'badlang.rdf' line [0-9]+: malformed language tag 'en-toolongsubtag'"
sed 's/en-toolongsubtag/en_GB/' badlang.rdf >underscore.rdf
run vocab import underscore.rdf
expect_rc "an underscore in a language tag is repaired" 0
run vocab show https://ex.example/l/a --json
expect_json "stored canonically" '.labels[0].lang' en-GB
before=$(snapshot)

printf '@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n<https://ex.example/local> a skos:ConceptScheme .\n<https://nowhere.example/c1> skos:hiddenLabel "x"@en .\n' >override.ttl
run vocab import --local override.ttl
expect_rc "override of an unknown concept fails" 3
expect_err "names file, line and concept" "'override.ttl' line 3: <https://nowhere.example/c1> is not a concept of any imported vocabulary"
unchanged "override of an unknown concept"

printf 'just some text\n' >what.txt
bad what.txt "unknown syntax" "cannot tell the RDF syntax of 'what.txt'"
bad nosuch.ttl "missing file" "cannot open 'nosuch.ttl'"

# No other file, no network: an external entity in RDF/XML is not read.
cat >xxe.rdf <<XX
<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY secret SYSTEM "file://$T/secret.txt"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:skos="http://www.w3.org/2004/02/skos/core#">
  <skos:ConceptScheme rdf:about="https://ex.example/xxe"/>
  <skos:Concept rdf:about="https://ex.example/xxe/a">
    <skos:inScheme rdf:resource="https://ex.example/xxe"/>
    <skos:prefLabel xml:lang="en">leak:&secret;</skos:prefLabel>
  </skos:Concept>
</rdf:RDF>
XX
echo TOPSECRET >secret.txt
run vocab import xxe.rdf
run vocab search "leak" --json
check "external entity not loaded" test "$(grep -c TOPSECRET "$OUT")" = 0

# A catalog that is read-only makes the import fail cleanly too.
chmod a-w repo/catalog.db
run vocab import "$F/inclusive-v2.rdf"
if [ "$(id -u)" -ne 0 ]; then
	expect_rc "read-only catalog fails" 3
fi
chmod u+w repo/catalog.db
finish
