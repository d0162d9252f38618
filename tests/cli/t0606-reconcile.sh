#!/bin/sh
# t0606-reconcile: subjects reconciled against vocabularies at ingest.
. "$TOP/tests/cli/lib.sh"

S="$SHARED/schemas"
run init --schema-dir "$S" repo
mkdir src && echo hi >src/a.txt
run -r repo ingest --id before --title "No vocabulary yet" --subject Widgets --lang en src
expect_no_out "without vocabularies nothing is reported" 'matched no vocabulary'

run -r repo vocab import "$TOP/tests/fixtures/vocab/inclusive.ttl"
run -r repo vocab langs en,mi,fr
echo two >src/b.txt
run -r repo ingest --id r1 --title "Photographs" --subject Eskimos --subject "Maori" --subject Widgets --lang en src
expect_rc "ingest with reconciliation" 0
expect_out "a deprecated term is mapped and reported" "subject 'Eskimos' is a deprecated term .* recorded as 'Inuit'"
expect_out "an unmatched subject is listed" "subject 'Widgets' matched no vocabulary \\(kept as given\\)"
run -r repo metadata show --format mods r1
expect_out "MODS carries the concept URI" 'valueURI="https://vocab.example.org/inclusive/inuit">Inuit<'
expect_out "MODS names the scheme" 'authorityURI="https://vocab.example.org/inclusive/"'
expect_out "labels in the output languages (Māori, accent-insensitive match)" 'lang="fre" xml:lang="fr">'
expect_out "the unmatched value is kept verbatim" '<topic>Widgets</topic>'
run -r repo metadata show --format oai_dc r1
expect_out "oai_dc has the French label" '<dc:subject xml:lang="fr">Maoris</dc:subject>'
run -r repo metadata show --format source r1
run -r repo events --json r1
expect_json "a metadata modification event records before and after" '[.[] | select(.type == "metadata modification")][0].detail | test("Eskimos.*Inuit")' true
run -r repo vocab search Eskimos
expect_out "the original wording stays searchable" "r1 .*'Eskimos'"
run -r repo export --to out r1
check "the reconciled MODS is schema-valid" xmllint --noout --nonet --schema "$S/mods-3-8.xsd" out/r1/metadata/mods.xml
check "the reconciled oai_dc is schema-valid" xmllint --noout --nonet --schema "$S/oai_dc.xsd" out/r1/metadata/dc.xml
run -r repo vocab audit
expect_rc "the audit finds nothing left to fix in r1" 0
finish
