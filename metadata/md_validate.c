/*
 * md_validate.c - `vellum metadata validate`: schema validity plus the
 * content rules schemas cannot express, record by record.
 *
 * Rules: a record has a title; dates are W3CDTF or EDTF (level 0/1) -
 * a MODS date that declares another encoding (marc, temper) is not
 * checked, and one that declares none is only warned about, since MODS
 * allows free-text dates; language tags are well-formed BCP 47 with real
 * ISO 639 / 15924 / 3166 subtags, MODS @lang holds ISO 639-2/B codes and
 * scripts are ISO 15924 (the readers check these in strict mode, where
 * the raw attribute is still known); relator codes are known MARC codes
 * (warning).
 */
#include <stdio.h>
#include <string.h>

#include "md_private.h"

static void
check_date(const struct md_value *v, const char *text, const char *where,
	   struct md_diag *d, int lenient)
{
	const char *enc = v->scheme;
	unsigned k = md_date_kind(text);

	if (enc && (!strcmp(enc, "marc") || !strcmp(enc, "temper")))
		return;
	if (enc && (!strcmp(enc, "w3cdtf") || !strcmp(enc, "iso8601"))) {
		if (!(k & MD_DATE_W3CDTF))
			md_diag_add(d, MD_ERROR, where, v->line,
				    "date '%s' is declared %s but is not a "
				    "W3CDTF date (YYYY, YYYY-MM, YYYY-MM-DD, "
				    "...)",
				    text, enc);
		return;
	}
	if (enc && !strcmp(enc, "edtf")) {
		if (!(k & MD_DATE_EDTF))
			md_diag_add(d, MD_ERROR, where, v->line,
				    "date '%s' is declared EDTF but is not "
				    "EDTF level 0 or 1",
				    text);
		return;
	}
	if (!(k & (MD_DATE_W3CDTF | MD_DATE_EDTF)))
		md_diag_add(d, lenient ? MD_WARNING : MD_ERROR, where, v->line,
			    "date '%s' is neither W3CDTF nor EDTF%s", text,
			    lenient ? " (and declares no encoding)" : "");
}

static void
check_record(const struct md_record *r, const char *where, struct md_diag *d,
	     int lenient, unsigned long line)
{
	size_t i, j;

	if (!md_record_title(r))
		md_diag_add(d, MD_ERROR, where, line, "record has no title");
	for (i = 0; i < r->nvalues; i++) {
		const struct md_value *v = &r->values[i];
		int date = v->element == MD_E_DATE ||
			   (v->term == MD_T_TEMPORAL && v->scheme);

		if (date && v->nparts == 2) /* a start/end pair */
			for (j = 0; j < v->nparts; j++)
				check_date(v, v->parts[j].text, where, d,
					   lenient);
		else if (date)
			check_date(v, v->text, where, d, lenient);
		for (j = 0; j < v->nroles; j++)
			if (v->roles[j].code &&
			    !md_relator_term(v->roles[j].code))
				md_diag_add(d, MD_WARNING, where, v->line,
					    "'%s' is not a MARC relator code "
					    "Vellum knows",
					    v->roles[j].code);
		if (v->element == MD_E_LANGUAGE && v->scheme &&
		    !strcmp(v->scheme, "RFC5646")) {
			char canon[128];
			struct vl_err e = { 0 };

			if (md_lang_canonical(canon, sizeof(canon), v->text,
					      &e) < 0)
				md_diag_add(d, MD_ERROR, where, v->line,
					    "language '%s': %s", v->text,
					    e.msg);
		}
	}
}

void
md_record_check(const struct md_record *r, const char *where, struct md_diag *d)
{
	check_record(r, where, d, 0, 0);
}

struct vctx {
	struct md_diag *d;
	const char *name;
	enum md_format fmt;
	size_t n;
};

static int
on_record(void *ctx, struct md_record *rec, unsigned long line)
{
	struct vctx *v = ctx;

	v->n++;
	check_record(rec, v->name, v->d, v->fmt == MD_FMT_MODS, line);
	return 0;
}

static int
validate_csv(const char *buf, size_t len, struct vctx *v, struct vl_err *err)
{
	static const char *const batch[] = { "path", "id", "collection", NULL };
	struct md_csv_opts o = { batch, MD_READ_STRICT };
	struct md_csv *csv = NULL;
	struct md_record *rec;
	struct vl_err e = { 0 };
	FILE *f;
	int rc;

	if (!(f = fmemopen((void *)buf, len, "r")))
		return vl_err_sys(err, VL_E_NOMEM, "cannot read '%s'", v->name);
	if (md_csv_open(&csv, f, v->name, &o, &e) < 0) {
		md_diag_add(v->d, MD_ERROR, NULL, 0, "%s", e.msg);
		fclose(f);
		return 0;
	}
	for (;;) {
		rc = md_csv_next(csv, &rec, v->d, &e);
		if (rc == 0)
			break;
		if (rc == 1) {
			on_record(v, rec, md_csv_line(csv));
			continue;
		}
		md_diag_add(v->d, MD_ERROR, NULL, 0, "%s", e.msg);
		if (rc != VL_E_INVAL)
			break;
		v->n++;
	}
	md_csv_close(csv);
	fclose(f);
	return 0;
}

int
md_validate(const char *buf, size_t len, const char *name, enum md_format fmt,
	    struct md_schemas *s, struct md_diag *d, size_t *records,
	    struct vl_err *err)
{
	struct vctx v = { d, name ? name : "input", fmt, 0 };
	struct vl_err e = { 0 };
	FILE *f;
	int rc;

	if (records)
		*records = 0;
	if (len > MD_MAX_INPUT) {
		md_diag_add(d, MD_ERROR, v.name, 0,
			    "larger than %zu MiB; not validated",
			    MD_MAX_INPUT >> 20);
		return 0;
	}
	if (fmt == MD_FMT_UNKNOWN &&
	    md_detect(&fmt, buf, len, v.name, 1, &e) < 0) {
		md_diag_add(d, MD_ERROR, NULL, 0, "%s", e.msg);
		return 0;
	}
	if (fmt == MD_FMT_JSON) {
		md_diag_add(d, MD_ERROR, v.name, 0,
			    "JSON is an output format only");
		return 0;
	}
	v.fmt = fmt;
	if (fmt == MD_FMT_CSV) {
		rc = validate_csv(buf, len, &v, err);
		if (records)
			*records = v.n;
		return rc;
	}
	/* Content rules first: this parse also refuses hostile XML. */
	if (!(f = fmemopen((void *)buf, len, "r")))
		return vl_err_sys(err, VL_E_NOMEM, "cannot read '%s'", v.name);
	rc = md_read_stream(f, v.name, &fmt, MD_READ_STRICT, on_record, &v,
			    NULL, d, &e);
	fclose(f);
	if (records)
		*records = v.n;
	if (rc < 0) {
		/* malformed, hostile or empty input: a finding, not a
		 * failure to run */
		md_diag_add(d, MD_ERROR, NULL, 0, "%s", e.msg);
		return 0;
	}
	if (s)
		return md_schemas_check(s, buf, len, v.name, d, err);
	return 0;
}
