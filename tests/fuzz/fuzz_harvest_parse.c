/*
 * fuzz_harvest_parse.c - libFuzzer target for what a harvested source
 * controls: a whole OAI-PMH response body.  It goes through the prolog
 * check, then (when that lets it through) the streaming reader with a
 * record callback, as the harvester reads it, and each record's
 * provenance is built from what came out.  Invariants checked: every
 * record handed over has its strings set, a usable record carries a
 * metadata element, and the provenance built from it is well-formed.
 */
#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../oai/harvest_impl.h"

/* The record read from the tree the parser built must be the record
 * read from its text (md_read_node against md_read). */
static void
same_record(const struct hv_record *r)
{
	struct md_record *a = NULL, *b = NULL;
	struct vl_err e1 = { 0 }, e2 = { 0 };
	enum md_format f;
	char *ja = NULL, *jb = NULL;
	int r1, r2;

	if (!strcmp(r->ns, "http://www.openarchives.org/OAI/2.0/oai_dc/"))
		f = MD_FMT_OAI_DC;
	else if (!strcmp(r->ns, "http://www.loc.gov/mods/v3"))
		f = MD_FMT_MODS;
	else
		return;
	r1 = md_read(&a, f, r->xml, r->len, "text", 0, NULL, &e1);
	r2 = md_read_node(&b, f, r->node, "tree", 0, NULL, &e2);
	if ((r1 == 0) != (r2 == 0))
		abort();
	if (r1 == 0 &&
	    (md_write(&ja, NULL, a, MD_FMT_JSON, 0, NULL, &e1) != 0 ||
	     md_write(&jb, NULL, b, MD_FMT_JSON, 0, NULL, &e2) != 0 ||
	     strcmp(ja, jb)))
		abort();
	free(ja);
	free(jb);
	md_record_free(a);
	md_record_free(b);
}

static int
on_record(void *ctx, const struct hv_record *r, struct vl_err *err)
{
	struct oai_provenance p = { 0 };
	struct vl_buf b = VL_BUF_INIT;
	xmlDocPtr d;
	char id[129];

	(void)ctx;
	(void)err;
	if (!r->identifier || !r->datestamp || !r->ns)
		abort();
	if (!r->problem && !r->deleted && (!r->xml || !r->len))
		abort();
	if (!r->problem && !r->deleted && r->node)
		same_record(r);
	oai_harvest_object_id(id, "fuzz", r->identifier, 0);
	if (ing_id_check(id, NULL) < 0)
		abort();
	p.base_url = "http://fuzz.example.org/oai";
	p.identifier = r->identifier;
	p.datestamp = r->datestamp;
	p.ns = r->ns;
	p.harvest_date = "2024-01-01T00:00:00Z";
	p.altered = 1;
	p.origin = r->origin;
	p.origin_len = r->origin_len;
	if (oai_provenance_xml(&b, &p) == 0) {
		d = xmlReadMemory(b.buf, (int)b.len, "p.xml", NULL,
				  XML_PARSE_NONET);
		if (!d)
			abort();
		xmlFreeDoc(d);
	}
	vl_buf_release(&b);
	return 0;
}

static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_response resp;
	struct vl_err err;
	xmlTextReaderPtr rd;

	xmlSetGenericErrorFunc(NULL, quiet);
	if (size > (1u << 20) ||
	    hv_prolog_check((const char *)data, size, 1, &err) != 1)
		return 0;
	rd = xmlReaderForMemory((const char *)data, (int)size, "fuzz.xml", NULL,
				hv_parse_options());
	if (!rd)
		return 0;
	hv_parse(rd, "oai_dc", on_record, NULL, &resp, &err);
	hv_response_release(&resp);
	xmlFreeTextReader(rd);
	return 0;
}
