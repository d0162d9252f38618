/*
 * describe.c - an object's description at ingest: the curator's record
 * (a metadata file, a CSV row, or command-line values) or, for a bag that
 * brings its own, the bag's metadata/mods.xml or metadata/dc.xml; checked
 * against the content rules and rendered as MODS 3.8, oai_dc and
 * qualified DC.
 *
 * What is stored: metadata/mods.xml and metadata/dc.xml as tag files of
 * the bag (so the bag alone describes the object), all three renderings
 * plus the record as given ("source") in the catalog, where OAI-PMH
 * serves them from.  Values the target formats cannot hold come back as
 * warnings, never silently.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest.h"

/* Keeps the first few distinct messages of a diagnostics list. */
static void
diag_to_warnings(struct ing_description *d, const struct md_diag *dg,
		 const char *what)
{
	char line[1024];
	size_t i;

	for (i = 0; i < dg->n; i++) {
		const char *where = dg->items[i].where;
		int has = where && *where;

		snprintf(line, sizeof(line), "%s: %s%s%s", what,
			 has ? where : "", has ? ": " : "", dg->items[i].msg);
		ing_description_warn(d, line);
	}
}

static int
first_error(const struct md_diag *dg, struct vl_err *err, const char *what)
{
	size_t i;

	for (i = 0; i < dg->n; i++)
		if (dg->items[i].level == MD_ERROR)
			return vl_err_set(
				err, VL_E_INVAL, "%s: %s%s%s", what,
				dg->items[i].where ? dg->items[i].where : "",
				dg->items[i].where ? ": " : "",
				dg->items[i].msg);
	return vl_err_set(err, VL_E_INVAL, "%s is not valid", what);
}

/* A bag that brings its own description (a Vellum export, or another
 * repository's AIP following the same convention). */
static int
read_from_bag(struct md_record **rec, const char *bag, struct md_diag *dg,
	      char *name, size_t n, struct vl_err *err)
{
	static const char *const files[] = { "metadata/mods.xml",
					     "metadata/dc.xml" };
	size_t i;

	for (i = 0; bag && i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(name, n, "%s/%s", bag, files[i]);
		if (access(name, F_OK) == 0)
			return md_read_file(rec, MD_FMT_UNKNOWN, name, 0, dg,
					    err);
	}
	return vl_err_set(err, VL_E_INVAL,
			  "no descriptive metadata: give --metadata FILE or "
			  "--title (or ingest a bag holding metadata/mods.xml "
			  "or metadata/dc.xml)");
}

/* Catalog form -> bag tag file. */
static const char *const tag_files[][2] = {
	{ "mods", "metadata/mods.xml" },
	{ "oai_dc", "metadata/dc.xml" },
	{ "source", "metadata/source.xml" },
	{ "provenance", "metadata/provenance.xml" },
};

const char *
ing_form_tag_file(const char *format)
{
	size_t i;

	for (i = 0; i < sizeof(tag_files) / sizeof(tag_files[0]); i++)
		if (!strcmp(format, tag_files[i][0]))
			return tag_files[i][1];
	return NULL;
}

static int
render(struct ing_description *d, const struct md_record *rec,
       enum md_format fmt, struct md_schemas *schemas, struct md_diag *dg,
       struct vl_err *err)
{
	struct md_diag check;
	char *out = NULL;
	size_t len = 0;
	int rc;

	if ((rc = md_write(&out, &len, rec, fmt, 0, dg, err)) < 0)
		return rc;
	if (schemas) {
		/* Our writers aim at valid output; prove it before storing. */
		md_diag_init(&check);
		rc = md_schemas_check(schemas, out, len, md_format_name(fmt),
				      &check, err);
		if (rc == 0 && check.errors)
			rc = first_error(&check, err,
					 "the rendered record (a Vellum bug)");
		md_diag_release(&check);
		if (rc < 0) {
			free(out);
			return rc;
		}
	}
	return ing_description_add(d, md_format_name(fmt),
				   ing_form_tag_file(md_format_name(fmt)), out,
				   len, err);
}

int
ing_describe(void *ctx, const char *id, const char *bag,
	     struct ing_description *d, struct vl_err *err)
{
	const struct ing_describer *ds = ctx;
	struct md_record *own = NULL;
	struct md_record *rec = ds->record;
	struct md_diag dg, lost;
	struct vl_buf src = VL_BUF_INIT;
	char name[4200];
	const char *title;
	int rc = 0;

	md_diag_init(&dg);
	md_diag_init(&lost);
	snprintf(name, sizeof(name), "%s",
		 ds->metadata_file ? ds->metadata_file : "the record");
	if (!rec && ds->metadata_file) {
		if ((rc = md_read_file(&own, MD_FMT_UNKNOWN, ds->metadata_file,
				       0, &dg, err)) < 0 ||
		    (rc = vl_read_file(&src, ds->metadata_file, MD_MAX_INPUT,
				       err)) < 0)
			goto out;
		rec = own;
	} else if (!rec) {
		if ((rc = read_from_bag(&own, bag, &dg, name, sizeof(name),
					err)) < 0)
			goto out;
		rec = own;
	}
	md_record_check(rec, name, &dg);
	if (dg.errors) {
		rc = first_error(&dg, err, name);
		goto out;
	}
	if (!(title = md_record_title(rec))) {
		rc = vl_err_set(err, VL_E_INVAL, "%s has no title", name);
		goto out;
	}
	if (!(d->title = strdup(title))) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	diag_to_warnings(d, &dg, id);
	if (ds->reconcile &&
	    (rc = ds->reconcile(ds->reconcile_ctx, rec, d, err)) < 0)
		goto out;
	if ((rc = render(d, rec, MD_FMT_MODS, ds->schemas, &lost, err)) < 0 ||
	    /* Simple and qualified DC drop what MODS keeps (authorities,
	     * roles, parts) by design; MODS is the complete form, so only
	     * its losses are worth a warning. */
	    (rc = render(d, rec, MD_FMT_OAI_DC, ds->schemas, NULL, err)) < 0 ||
	    (rc = render(d, rec, MD_FMT_DCTERMS, ds->schemas, NULL, err)) < 0)
		goto out;
	diag_to_warnings(d, &lost, "MODS");
	/* The file given (DC, MODS, a CSV row) stays in the catalog: the
	 * bag holds it as mods.xml and dc.xml. */
	if (src.len) {
		char *copy = vl_buf_detach(&src, NULL);

		rc = ing_description_add(d, "source", NULL, copy, strlen(copy),
					 err);
	}
out:
	md_record_free(own);
	md_diag_release(&dg);
	md_diag_release(&lost);
	vl_buf_release(&src);
	return rc;
}
