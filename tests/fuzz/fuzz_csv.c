/*
 * fuzz_csv.c - libFuzzer target for the CSV reader (RFC 4180 parser,
 * header syntax, cell values) and the writers on the rows it accepts.
 * `make fuzz`, then build-fuzz/fuzz_csv -max_total_time=120
 * DIR tests/fuzz/corpus/csv (DIR: a scratch corpus directory).  With
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const extras[] = { "path", "id", "collection",
					      NULL };
	static const enum md_format outs[] = { MD_FMT_OAI_DC, MD_FMT_DCTERMS,
					       MD_FMT_MODS, MD_FMT_JSON };
	struct md_csv_opts o = { extras, MD_READ_KEEP_UNKNOWN };
	struct md_csv *c = NULL;
	struct md_record *rec;
	struct vl_err err = { 0 };
	FILE *in;
	int rc, rows = 0;
	size_t i;

	if (!size || !(in = fmemopen((void *)data, size, "r")))
		return 0;
	if (md_csv_open(&c, in, "fuzz.csv", &o, &err) == 0) {
		while ((rc = md_csv_next(c, &rec, NULL, &err)) != 0 &&
		       rows++ < 1000) {
			if (rc == VL_E_INVAL)
				continue;
			if (rc < 0)
				break;
			(void)md_csv_extra(c, "path");
			md_record_check(rec, "fuzz", NULL);
			for (i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
				char *out = NULL;

				if (md_write(&out, NULL, rec, outs[i], 0, NULL,
					     &err) < 0 &&
				    !(outs[i] == MD_FMT_MODS &&
				      err.code == VL_E_INVAL))
					abort();
				check_valid(out, outs[i]);
				free(out);
			}
		}
		md_csv_close(c);
	}
	fclose(in);
	return 0;
}
