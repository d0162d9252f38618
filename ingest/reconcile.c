/*
 * reconcile.c - subjects and types of an incoming record matched against
 * the repository's SKOS vocabularies at ingest (issue: inclusive,
 * multilingual vocabularies).
 *
 * For each subject or type value without a value URI:
 *  - one concept matches: the value gains the scheme (authority,
 *    authorityURI) and the concept URI, and the concept's preferred
 *    labels in every configured output language are added beside it, so
 *    oai_dc carries them with xml:lang and MODS with lang/xml:lang;
 *  - the concept is deprecated (or the value is a retired hidden label)
 *    and has one replacement: the value is mapped to the replacement and
 *    the change is recorded - a PREMIS metadata modification event and a
 *    vocab_remediations row keep the original wording searchable;
 *  - several concepts match: kept verbatim, reported as ambiguous;
 *  - nothing matches: kept verbatim, listed in the ingest report.
 * With no vocabulary imported, nothing is reconciled or reported.
 */
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

#define MAX_LANGS 16

struct ing_reconciler {
	struct md_vocab *v;
	char langs[MAX_LANGS][36];
	size_t nlangs;
	int active; /* at least one vocabulary is imported */
};

static int
count_schemes(struct repo *r, int64_t *n, struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(r, &st, "SELECT count(*) FROM vocab_schemes",
			       err)) < 0)
		return rc;
	rc = sqlite3_step(st) == SQLITE_ROW
		     ? 0
		     : repo_db_err(r->db, err, "catalog");
	*n = rc == 0 ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc;
}

static void
parse_langs(struct ing_reconciler *rc, const char *list)
{
	char buf[512], *p, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list && *list ? list : "en");
	for (p = strtok_r(buf, ", ", &save); p && rc->nlangs < MAX_LANGS;
	     p = strtok_r(NULL, ", ", &save))
		if (md_vocab_lang_tag(rc->langs[rc->nlangs],
				      sizeof(rc->langs[0]), p) == 0 &&
		    rc->langs[rc->nlangs][0])
			rc->nlangs++;
}

int
ing_reconciler_open(struct ing_reconciler **out, struct repo *r,
		    struct vl_err *err)
{
	struct ing_reconciler *rc;
	char *langs = NULL;
	int64_t n;
	int st;

	*out = NULL;
	if (!(rc = calloc(1, sizeof(*rc))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if ((st = count_schemes(r, &n, err)) < 0 ||
	    (st = repo_setting_get(r, MD_VOCAB_LANGS_SETTING, &langs, err)) < 0)
		goto fail;
	parse_langs(rc, langs);
	free(langs);
	rc->active = n > 0;
	if (rc->active && (st = md_vocab_open(&rc->v, r, err)) < 0)
		goto fail;
	*out = rc;
	return 0;
fail:
	ing_reconciler_free(rc);
	return st;
}

void
ing_reconciler_free(struct ing_reconciler *rc)
{
	if (!rc)
		return;
	md_vocab_close(rc->v);
	free(rc);
}

static void warnf(struct ing_description *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
warnf(struct ing_description *d, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ing_description_warn(d, line);
}

/* Sets the concept on value i and adds its labels in the other output
 * languages as parallel values. */
static int
apply_concept(struct ing_reconciler *rc, struct md_record *rec, size_t i,
	      const struct md_concept *c, struct vl_err *err)
{
	struct md_value *v = &rec->values[i], *nv;
	enum md_element el = v->element;
	enum md_term term = v->term;
	const char *have_lang = v->lang;
	const struct md_label *lb;
	size_t k;
	int rc2;

	v->authority = md_record_str(rec, c->scheme_code ? c->scheme_code
							 : c->scheme_uri);
	v->authority_uri = md_record_str(rec, c->scheme_uri);
	v->value_uri = md_record_str(rec, c->uri);
	if ((lb = md_concept_label(c, have_lang ? have_lang : rc->langs[0])))
		v->text = md_record_str(rec, lb->text);
	for (k = 0; k < rc->nlangs; k++) {
		if (have_lang && md_lang_match(rc->langs[k], have_lang))
			continue;
		lb = md_concept_label(c, rc->langs[k]);
		if (!lb || !lb->lang || !md_lang_match(rc->langs[k], lb->lang))
			continue; /* no label in that language */
		if ((rc2 = md_record_add(&nv, rec, el, term, lb->text, lb->lang,
					 err)) < 0)
			return rc2;
		v = &rec->values[i]; /* the array may have moved */
		nv->authority = v->authority;
		nv->authority_uri = v->authority_uri;
		nv->value_uri = v->value_uri;
		nv->type = v->type;
	}
	return 0;
}

/* A deprecated concept with exactly one replacement: returns it in *out
 * (1), or 0 when there is none or several. */
static int
replacement(struct ing_reconciler *rc, const char *uri, struct md_concept *out,
	    struct vl_err *err)
{
	char **v = NULL;
	size_t n = 0;
	int st;

	if ((st = md_vocab_replacements(rc->v, uri, &v, &n, err)) < 0)
		return st;
	st = n == 1 ? (md_vocab_concept(rc->v, v[0], out, err) == 0) : 0;
	md_strv_free(v, n);
	return st;
}

static int
one_value(struct ing_reconciler *rc, struct md_record *rec, size_t i,
	  struct ing_description *d, struct vl_err *err)
{
	struct md_value *v = &rec->values[i];
	const char *field = v->element == MD_E_TYPE ? "type" : "subject";
	struct md_concept repl = { 0 };
	struct ing_change ch = { 0 };
	struct md_match m;
	char *original = strdup(v->text);
	char *olang = v->lang ? strdup(v->lang) : NULL;
	int st, retired;

	if (!original)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if ((st = md_vocab_reconcile(rc->v, v->text, v->lang, NULL, &m, err)) <
	    0)
		goto out;
	if (m.status == MD_MATCH_NONE) {
		if (v->element == MD_E_SUBJECT)
			warnf(d,
			      "%s '%s' matched no vocabulary (kept as given)",
			      field, original);
		goto out;
	}
	if (m.status == MD_MATCH_AMBIGUOUS) {
		warnf(d,
		      "%s '%s' is ambiguous (%zu concepts, e.g. %s); kept as "
		      "given",
		      field, original, m.ncandidates,
		      m.ncandidates ? m.candidates[0] : "?");
		goto out;
	}
	retired = m.concept.deprecated || m.kind == MD_LABEL_HIDDEN;
	if (!retired) {
		st = apply_concept(rc, rec, i, &m.concept, err);
		goto out;
	}
	if ((st = m.concept.deprecated
			  ? replacement(rc, m.concept.uri, &repl, err)
			  : (md_vocab_concept(rc->v, m.concept.uri, &repl,
					      err) == 0)) < 0)
		goto out;
	if (st == 0) {
		warnf(d,
		      "%s '%s' is a deprecated term of %s with no single "
		      "replacement; kept as given",
		      field, original, m.concept.scheme_uri);
		goto out;
	}
	if ((st = apply_concept(rc, rec, i, &repl, err)) < 0)
		goto out;
	v = &rec->values[i];
	ch.field = field;
	ch.original = original;
	ch.original_lang = olang;
	ch.original_uri = m.concept.uri;
	ch.concept = repl.uri;
	ch.replacement = v->text;
	ch.scheme = repl.scheme_uri;
	ch.vocab_version = repl.scheme_version;
	warnf(d, "%s '%s' is %s in %s; recorded as '%s' (%s)", field, original,
	      m.concept.deprecated ? "a deprecated term" : "a retired label",
	      m.concept.scheme_uri, v->text, repl.uri);
	st = ing_description_change(d, &ch, err);
out:
	md_concept_release(&repl);
	md_match_release(&m);
	free(original);
	free(olang);
	return st < 0 ? st : 0;
}

int
ing_reconcile(void *ctx, struct md_record *rec, struct ing_description *d,
	      struct vl_err *err)
{
	struct ing_reconciler *rc = ctx;
	size_t i, n = rec->nvalues;
	int st;

	if (!rc || !rc->active)
		return 0;
	for (i = 0; i < n; i++) {
		const struct md_value *v = &rec->values[i];

		if ((v->element != MD_E_SUBJECT && v->element != MD_E_TYPE) ||
		    v->value_uri || !v->text || !*v->text)
			continue;
		if ((st = one_value(rc, rec, i, d, err)) < 0)
			return st;
	}
	return 0;
}
