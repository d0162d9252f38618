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
	step "Ingesting the sample collection"
	for d in "$SAMPLE"/objects/[0-9][0-9]; do
		id=sample-$(basename "$d")
		"$V" ingest --id "$id" --metadata "$d.dc.xml" \
			--collection "sample" "$d"
	done
else
	step "Ingest: not available in this build yet"
fi

if has audit; then
	step "Running a fixity audit"
	"$V" audit || true
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
EOT
	exec "$V" serve --listen 127.0.0.1:8080
else
	step "OAI-PMH server: not available in this build yet; the demo ends here"
fi
