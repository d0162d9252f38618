/*
 * fuzz_xml_reader.c - libFuzzer target for the MODS and DC readers: the
 * safe SAX parser, the tree walkers, and every writer on what they read
 * (a record that was read must always be writable).  `make fuzz`, then
 * build-fuzz/fuzz_xml_reader -max_total_time=120 -dict=tests/fuzz/xml.dict
 * DIR tests/fuzz/corpus/xml (DIR: a scratch corpus directory).  With
 * FUZZ_SCHEMA_DIR=../shared/schemas every output must also be schema-valid.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include "../../metadata/metadata.h"

/* With FUZZ_SCHEMA_DIR set (e.g. ../shared/schemas), every document
 * written must also be valid against its schema. */
static void
check_valid(const char *out, enum md_format fmt)
{
	static struct md_schemas *schemas;
	static int tried;
	struct md_diag d;
	struct vl_err err = { 0 };
	const char *dir = getenv("FUZZ_SCHEMA_DIR");

	if (!out || fmt == MD_FMT_JSON || !dir)
		return;
	if (!tried++ && md_schemas_open(&schemas, dir, &err) < 0)
		abort();
	md_diag_init(&d);
	if (md_schemas_check(schemas, out, strlen(out), "out", &d, &err) < 0 ||
	    d.errors) {
		fprintf(stderr, "invalid output:\n%s\n%s\n", out,
			d.n ? d.items[0].msg : "");
		abort();
	}
	md_diag_release(&d);
}

static int
on_record(void *ctx, struct md_record *rec, unsigned long line)
{
	static const enum md_format outs[] = { MD_FMT_OAI_DC, MD_FMT_DCTERMS,
					       MD_FMT_MODS, MD_FMT_JSON };
	struct vl_err err = { 0 };
	size_t i;

	(void)ctx;
	(void)line;
	md_record_check(rec, "fuzz", NULL);
	(void)md_record_title(rec);
	for (i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		char *out = NULL;

		/* A record read must be writable (MODS needs one element). */
		if (md_write(&out, NULL, rec, outs[i], 0, NULL, &err) < 0 &&
		    !(outs[i] == MD_FMT_MODS && err.code == VL_E_INVAL))
			abort();
		check_valid(out, outs[i]);
		free(out);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum md_format fmts[] = { MD_FMT_MODS, MD_FMT_OAI_DC,
					       MD_FMT_UNKNOWN };
	struct md_record *r = NULL;
	struct md_diag d;
	struct vl_err err = { 0 };
	size_t i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		enum md_format f = fmts[i];
		FILE *in;

		md_diag_init(&d);
		if (md_read(&r, f, (const char *)data, size, "fuzz",
			    MD_READ_STRICT, &d, &err) == 0) {
			on_record(NULL, r, 0);
			md_record_free(r);
		}
		md_diag_release(&d);
		if (!size || !(in = fmemopen((void *)data, size, "r")))
			continue;
		md_diag_init(&d);
		md_read_stream(in, "fuzz", &f, 0, on_record, NULL, NULL, &d,
			       &err);
		md_diag_release(&d);
		fclose(in);
	}
	return 0;
}
