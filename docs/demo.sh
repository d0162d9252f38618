#!/bin/sh
# demo.sh VELLUM - the five-minute tour, run for real by `make demo`:
# creates demo/ (a repository), generates a sample collection, ingests it,
# runs a fixity audit and serves OAI-PMH on 127.0.0.1:8080 until Ctrl-C.
# Every step runs the real vellum; a step whose command this build does not
# have yet is reported as not available, never imitated.
set -eu
V=$1
case "$V" in /*) ;; *) V=$(pwd)/$V ;; esac
DEMO=$(pwd)/demo
SCHEMAS=$(cd "$(dirname "$0")/../../shared/schemas" 2>/dev/null && pwd || true)
has() { "$V" help "$1" >/dev/null 2>&1; }
step() { printf '\n== %s\n' "$*"; }

step "Creating the repository demo/"
rm -rf "$DEMO"
"$V" init --name "Vellum demo repository" --namespace demo.vellum.example \
	--admin-email curator@demo.vellum.example \
	${SCHEMAS:+--schema-dir "$SCHEMAS"} "$DEMO"
export VELLUM_REPO="$DEMO"

step "Generating a sample collection (12 objects, multilingual Dublin Core)"
SAMPLE="$DEMO/sample-collection"
sh "$(dirname "$0")/../tests/fixtures/sample-collection.sh" "$SAMPLE"
ls "$SAMPLE/objects" | sed -n '1,4p;$p'

if has ingest; then
	step "Ingesting the sample collection (one CSV row per object)"
	"$V" ingest --batch "$SAMPLE/collection.csv" --collection sample
	step "Importing a vocabulary and ingesting one more object"
	"$V" vocab import "$(dirname "$0")/../tests/fixtures/vocab/inclusive.ttl"
	"$V" vocab langs en,mi,fr
	mkdir -p "$SAMPLE/harbour"
	echo "Photographs of the harbour, 1903: a list of plates" \
		>"$SAMPLE/harbour/plates.txt"
	# "Eskimos" is a deprecated term there: it is recorded as its
	# replacement, with a PREMIS event; "Maori" matches "Māori".
	"$V" ingest --id sample-13 --title "Photographs of the harbour" \
		--subject "Eskimos" --subject "Maori" --lang en \
		--collection sample "$SAMPLE/harbour"
else
	step "Ingest: not available in this build yet"
fi

if has audit; then
	step "Running a fixity audit"
	"$V" audit || true
	"$V" audit report || true
else
	step "Fixity audit: not available in this build yet"
fi

step "Repository status"
"$V" status

if has serve; then
	step "Serving OAI-PMH on http://127.0.0.1:8080/oai (Ctrl-C stops)"
	cat <<EOT
Try:
  curl 'http://127.0.0.1:8080/oai?verb=Identify'
  curl 'http://127.0.0.1:8080/oai?verb=ListRecords&metadataPrefix=oai_dc'
  curl 'http://127.0.0.1:8080/oai?verb=ListSets'
  curl 'http://127.0.0.1:8080/oai?verb=GetRecord&metadataPrefix=mods&identifier=oai:demo.vellum.example:sample-04'
  curl 'http://127.0.0.1:8080/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:demo.vellum.example:sample-13'
EOT
	exec "$V" serve --listen 127.0.0.1:8080
else
	step "OAI-PMH server: not available in this build yet; the demo ends here"
fi
