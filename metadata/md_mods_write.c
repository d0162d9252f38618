/*
 * md_mods_write.c - the record as MODS 3.8: the MODS side of the DC ->
 * MODS crosswalk (metadata-notes 2.2 and 2.3, docs/crosswalk.md).
 *
 * Languages: every value with a language gets xml:lang (BCP 47) and, when
 * ISO 639-2 has the language, @lang with its B code (MODS @lang is ISO
 * 639-2/B, notes 3.3); a script goes in @script (from the value, else
 * from the tag's script subtag).  Only attributes the 3.8 schema allows
 * on each element are written, and enumerated attributes are written
 * only with a value the schema lists, so the output always validates
 * against mods-3-8.xsd.  Elements come in a fixed order (titleInfo, name,
 * typeOfResource, genre, originInfo, ...), values in input order.
 */
#include <string.h>

#include "md_private.h"

#define MAX_ATTRS 24

struct at {
	const char *k[MAX_ATTRS], *v[MAX_ATTRS];
	int n;
};

struct mw {
	struct vl_buf *b;
	struct md_diag *d;
	const struct md_record *r;
	char script[8];
	int rc;
};

/* Adds k="v" unless v is NULL or empty.  URI-typed attributes (xs:anyURI
 * in MODS 3.8) are written only when libxml2's schema check would accept
 * them, so the output stays valid. */
static void
at_add(struct mw *w, struct at *a, const char *k, const char *v)
{
	size_t n;

	if (!v || !*v || a->n >= MAX_ATTRS)
		return;
	n = strlen(k);
	if ((n > 3 && !strcmp(k + n - 3, "URI")) || !strcmp(k, "xlink:href")) {
		if (!md_is_any_uri(v)) {
			md_diag_add(w->d, MD_WARNING, NULL, 0,
				    "mods: @%s '%s' is not a URI; dropped", k,
				    v);
			return;
		}
	}
	a->k[a->n] = k;
	a->v[a->n] = v;
	a->n++;
}

static int
one_of(const char *v, const char *const *set)
{
	for (; v && *set; set++)
		if (!strcmp(v, *set))
			return 1;
	return 0;
}

static const char *const title_types[] = { "abbreviated", "translated",
					   "alternative", "uniform", NULL };
static const char *const name_types[] = { "personal", "corporate", "conference",
					  "family", NULL };
static const char *const name_part_types[] = { "date", "family", "given",
					       "termsOfAddress", NULL };
static const char *const encodings[] = { "w3cdtf", "iso8601", "marc",
					 "temper", "edtf",    NULL };
static const char *const qualifiers[] = { "approximate", "inferred",
					  "questionable", NULL };
static const char *const points[] = { "start", "end", NULL };
static const char *const related_types[] = {
	"preceding",      "succeeding", "original",     "host",
	"constituent",    "series",     "otherVersion", "otherFormat",
	"isReferencedBy", "references", "reviewOf",     NULL,
};
static const char *const url_access[] = { "preview", "raw object",
					  "object in context", NULL };

/* The script of a value: its own, else its tag's script subtag. */
static const char *
script_of(struct mw *w, const char *lang, const char *script)
{
	const char *p;

	if (script)
		return script;
	if (!lang || !(p = strchr(lang, '-')))
		return NULL;
	p++;
	if (strlen(p) >= 4 && (p[4] == '\0' || p[4] == '-') && p[0] >= 'A' &&
	    p[0] <= 'Z') {
		memcpy(w->script, p, 4);
		w->script[4] = '\0';
		return w->script;
	}
	return NULL;
}

static void
at_lang(struct mw *w, struct at *a, const char *lang, const char *script,
	const char *translit)
{
	if (lang) {
		at_add(w, a, "lang", md_lang_to_639b(lang));
		at_add(w, a, "xml:lang", lang);
	}
	at_add(w, a, "script", script_of(w, lang, script));
	at_add(w, a, "transliteration", translit);
}

static void
at_value_lang(struct mw *w, struct at *a, const struct md_value *v)
{
	at_lang(w, a, v->lang, v->script, v->translit);
}

static void
at_auth(struct mw *w, struct at *a, const struct md_value *v)
{
	at_add(w, a, "authority", v->authority);
	at_add(w, a, "authorityURI", v->authority_uri);
	at_add(w, a, "valueURI", v->value_uri);
}

static void
indent(struct mw *w, int level)
{
	int i;

	for (i = 0; i < level && !w->rc; i++)
		w->rc = vl_buf_add(w->b, "  ", 2);
}

static void
start(struct mw *w, int level, const char *name, const struct at *a)
{
	int i;

	indent(w, level);
	if (!w->rc)
		w->rc = vl_buf_addch(w->b, '<');
	if (!w->rc)
		w->rc = vl_buf_adds(w->b, name);
	for (i = 0; a && i < a->n && !w->rc; i++)
		w->rc = md_xw_attr(w->b, a->k[i], a->v[i]);
}

/* <name attrs>text</name>, or <name attrs/> when text is empty. */
static void
leaf(struct mw *w, int level, const char *name, const struct at *a,
     const char *text)
{
	start(w, level, name, a);
	if (w->rc)
		return;
	if (!text || !*text) {
		w->rc = vl_buf_add(w->b, "/>\n", 3);
		return;
	}
	if (!(w->rc = vl_buf_addch(w->b, '>')) &&
	    !(w->rc = md_xw_text(w->b, text)) &&
	    !(w->rc = vl_buf_add(w->b, "</", 2)) &&
	    !(w->rc = vl_buf_adds(w->b, name)))
		w->rc = vl_buf_add(w->b, ">\n", 2);
}

static void
open_el(struct mw *w, int level, const char *name, const struct at *a)
{
	start(w, level, name, a);
	if (!w->rc)
		w->rc = vl_buf_add(w->b, ">\n", 2);
}

static void
close_el(struct mw *w, int level, const char *name)
{
	indent(w, level);
	if (!w->rc)
		w->rc = vl_buf_add(w->b, "</", 2);
	if (!w->rc)
		w->rc = vl_buf_adds(w->b, name);
	if (!w->rc)
		w->rc = vl_buf_add(w->b, ">\n", 2);
}

static void
lost(struct mw *w, const char *what)
{
	md_diag_add(w->d, MD_WARNING, NULL, 0, "mods: %s", what);
}

static int
has_part(const struct md_value *v, const char *kind)
{
	size_t i;

	for (i = 0; i < v->nparts; i++)
		if (!strcmp(v->parts[i].kind, kind))
			return 1;
	return 0;
}

/* ---- titleInfo ---- */

static void
write_title(struct mw *w, const struct md_value *v)
{
	static const char *const kinds[] = { "nonSort",  "title",
					     "subTitle", "partNumber",
					     "partName", NULL };
	struct at a = { 0 };
	const char *type = v->type;
	size_t i;

	if (!type && v->term == MD_T_ALTERNATIVE)
		type = "alternative";
	if (type && !one_of(type, title_types)) {
		lost(w, "titleInfo @type outside the MODS list dropped");
		type = NULL;
	}
	at_add(w, &a, "type", type);
	at_add(w, &a, "supplied", v->flags & MD_V_SUPPLIED ? "yes" : NULL);
	at_add(w, &a, "usage", v->flags & MD_V_PRIMARY ? "primary" : NULL);
	at_add(w, &a, "altRepGroup", v->group);
	at_add(w, &a, "displayLabel", v->label);
	at_auth(w, &a, v);
	at_value_lang(w, &a, v);
	open_el(w, 1, "titleInfo", &a);
	if (has_part(v, "title")) {
		for (i = 0; i < v->nparts; i++)
			if (one_of(v->parts[i].kind, kinds))
				leaf(w, 2, v->parts[i].kind, NULL,
				     v->parts[i].text);
	} else {
		leaf(w, 2, "title", NULL, v->text);
	}
	close_el(w, 1, "titleInfo");
}

/* ---- name ---- */

static void
write_role(struct mw *w, const char *code, const char *text)
{
	struct at a = { 0 };
	int marc = code && md_relator_term(code);

	open_el(w, 2, "role", NULL);
	if (code) {
		at_add(w, &a, "type", "code");
		at_add(w, &a, "authority", marc ? "marcrelator" : NULL);
		leaf(w, 3, "roleTerm", &a, code);
	}
	if (!text && marc)
		text = md_relator_term(code);
	if (text) {
		a.n = 0;
		at_add(w, &a, "type", "text");
		at_add(w, &a, "authority",
		       marc || md_relator_code(text) ? "marcrelator" : NULL);
		leaf(w, 3, "roleTerm", &a, text);
	}
	close_el(w, 2, "role");
}

static int
has_role(const struct md_value *v, const char *code)
{
	size_t i;

	for (i = 0; i < v->nroles; i++)
		if (v->roles[i].code && !strcmp(v->roles[i].code, code))
			return 1;
	return 0;
}

static int
has_creator_role(const struct md_value *v)
{
	size_t i;

	for (i = 0; i < v->nroles; i++)
		if (md_relator_is_creator(v->roles[i].code) ||
		    (v->roles[i].text && md_ieq(v->roles[i].text, "creator")))
			return 1;
	return 0;
}

static void
write_name(struct mw *w, const struct md_value *v)
{
	struct at a = { 0 };
	size_t i;

	if (v->type && !one_of(v->type, name_types))
		lost(w, "name @type outside the MODS list dropped");
	at_add(w, &a, "type", one_of(v->type, name_types) ? v->type : NULL);
	at_add(w, &a, "usage", v->flags & MD_V_PRIMARY ? "primary" : NULL);
	at_add(w, &a, "altRepGroup", v->group);
	at_add(w, &a, "displayLabel", v->label);
	at_auth(w, &a, v);
	at_value_lang(w, &a, v);
	open_el(w, 1, "name", &a);
	if (!has_part(v, "namePart") && !has_part(v, "displayForm"))
		leaf(w, 2, "namePart", NULL, v->text);
	for (i = 0; i < v->nparts; i++) {
		const struct md_part *p = &v->parts[i];

		a.n = 0;
		if (!strcmp(p->kind, "namePart")) {
			at_add(w, &a, "type",
			       one_of(p->type, name_part_types) ? p->type
								: NULL);
		} else if (!strcmp(p->kind, "nameIdentifier")) {
			at_add(w, &a, "type", p->type);
		} else if (!strcmp(p->kind, "affiliation")) {
			at_add(w, &a, "authority", p->authority);
			at_add(w, &a, "valueURI", p->value_uri);
		} else if (strcmp(p->kind, "displayForm") != 0 &&
			   strcmp(p->kind, "description") != 0) {
			continue;
		}
		leaf(w, 2, p->kind, &a, p->text);
	}
	for (i = 0; i < v->nroles; i++)
		write_role(w, v->roles[i].code, v->roles[i].text);
	/* DC gives no role: a creator is "cre" (notes 2.2), a rights holder
	 * "cph", a contributor none. */
	if (v->element == MD_E_CREATOR && !has_creator_role(v))
		write_role(w, "cre", NULL);
	if (v->term == MD_T_RIGHTS_HOLDER && !has_role(v, "cph"))
		write_role(w, "cph", NULL);
	close_el(w, 1, "name");
}

/* ---- typeOfResource and genre ---- */

static void
write_types(struct mw *w)
{
	const struct md_record *r = w->r;
	const char *tors[16];
	size_t ntor = 0, i, j;
	int have_tor = 0, collection = 0;
	struct at a = { 0 };

	for (i = 0; i < r->nvalues; i++) {
		const struct md_value *v = &r->values[i];

		if (v->element != MD_E_TYPE || !v->scheme ||
		    strcmp(v->scheme, "typeOfResource") != 0)
			continue;
		have_tor = 1;
		a.n = 0;
		at_add(w, &a, "collection",
		       v->flags & MD_V_COLLECTION ? "yes" : NULL);
		at_add(w, &a, "manuscript",
		       v->flags & MD_V_MANUSCRIPT ? "yes" : NULL);
		at_add(w, &a, "usage",
		       v->flags & MD_V_PRIMARY ? "primary" : NULL);
		at_add(w, &a, "displayLabel", v->label);
		at_add(w, &a, "altRepGroup", v->group);
		at_auth(w, &a, v);
		leaf(w, 1, "typeOfResource", &a, v->text);
	}
	if (have_tor)
		return;
	/* From DCMI Type terms (table 2.3, reverse column). */
	for (i = 0; i < r->nvalues; i++) {
		const struct md_value *v = &r->values[i];
		const char *tor;

		if (v->element != MD_E_TYPE || !md_is_dcmi_type(v->text))
			continue;
		if (!strcmp(v->text, "Collection"))
			collection = 1;
		if (!(tor = md_dcmi_to_tor(v->text)))
			continue;
		for (j = 0; j < ntor; j++)
			if (!strcmp(tors[j], tor))
				break;
		if (j == ntor && ntor < sizeof(tors) / sizeof(tors[0]))
			tors[ntor++] = tor;
	}
	for (i = 0; i < ntor; i++) {
		a.n = 0;
		at_add(w, &a, "collection", collection && !i ? "yes" : NULL);
		leaf(w, 1, "typeOfResource", &a, tors[i]);
	}
	if (!ntor && collection) {
		a.n = 0;
		at_add(w, &a, "collection", "yes");
		leaf(w, 1, "typeOfResource", &a, "");
	}
}

static void
write_genre(struct mw *w, const struct md_value *v)
{
	struct at a = { 0 };

	if (md_is_dcmi_type(v->text) && !v->authority) {
		at_add(w, &a, "authority", "dct");
	} else {
		at_auth(w, &a, v);
	}
	at_add(w, &a, "type", v->type);
	at_add(w, &a, "usage", v->flags & MD_V_PRIMARY ? "primary" : NULL);
	at_add(w, &a, "displayLabel", v->label);
	at_add(w, &a, "altRepGroup", v->group);
	at_value_lang(w, &a, v);
	leaf(w, 1, "genre", &a, v->text);
}

/* ---- originInfo ---- */

static const char *
encoding_of(const char *scheme, const char *text)
{
	unsigned k;

	if (scheme && one_of(scheme, encodings))
		return scheme;
	k = md_date_kind(text);
	return k & MD_DATE_W3CDTF ? "w3cdtf" : k & MD_DATE_EDTF ? "edtf" : NULL;
}

static void
write_date_el(struct mw *w, const char *el, const char *type,
	      const struct md_value *v, const char *text, const char *point,
	      int key)
{
	struct at a = { 0 };

	at_add(w, &a, "encoding", encoding_of(v->scheme, text));
	at_add(w, &a, "point", one_of(point, points) ? point : NULL);
	at_add(w, &a, "qualifier",
	       one_of(v->qualifier, qualifiers) ? v->qualifier : NULL);
	at_add(w, &a, "keyDate", key ? "yes" : NULL);
	if (!strcmp(el, "dateOther"))
		at_add(w, &a, "type", type);
	leaf(w, 2, el, &a, text);
}

/* Splits "a/b" when both ends are W3CDTF (a DC interval) into start and
 * end; returns 0 when it is not such an interval. */
static int
split_interval(const char *text, char *a, char *b, size_t size)
{
	const char *slash = strchr(text, '/');
	size_t n;

	if (!slash || strchr(slash + 1, '/') ||
	    (size_t)(slash - text) >= size || strlen(slash + 1) >= size)
		return 0;
	n = (size_t)(slash - text);
	memcpy(a, text, n);
	a[n] = '\0';
	memcpy(b, slash + 1, strlen(slash + 1) + 1);
	return (md_date_kind(a) & MD_DATE_W3CDTF) &&
	       (md_date_kind(b) & MD_DATE_W3CDTF);
}

static void
write_date(struct mw *w, const struct md_value *v)
{
	const char *type = v->type, *el = md_term_mods_date(v->term, &type);
	int key = (v->flags & MD_V_KEY_DATE) != 0;
	char a[64], b[64];
	size_t i;

	if (v->nparts == 2 && v->parts[0].type && v->parts[1].type &&
	    !strcmp(v->parts[0].type, "start") &&
	    !strcmp(v->parts[1].type, "end")) {
		for (i = 0; i < 2; i++)
			write_date_el(w, el, type, v, v->parts[i].text,
				      v->parts[i].type, key && !i);
		return;
	}
	if (!v->scheme && split_interval(v->text, a, b, sizeof(a))) {
		struct md_value tmp = *v;

		tmp.scheme = "w3cdtf";
		write_date_el(w, el, type, &tmp, a, "start", key);
		write_date_el(w, el, type, &tmp, b, "end", 0);
		return;
	}
	write_date_el(w, el, type, v, v->text, v->point, key);
}

static void
write_origin(struct mw *w)
{
	const struct md_record *r = w->r;
	size_t i, j;
	int any = 0;

	for (i = 0; i < r->nvalues; i++)
		if (r->values[i].element == MD_E_PUBLISHER ||
		    r->values[i].element == MD_E_DATE)
			any = 1;
	if (!any)
		return;
	open_el(w, 1, "originInfo", NULL);
	for (i = 0; i < r->nvalues; i++) {
		const struct md_value *v = &r->values[i];
		struct at a = { 0 };

		if (v->element != MD_E_PUBLISHER)
			continue;
		for (j = 0; j < v->nparts; j++) {
			const struct md_part *p = &v->parts[j];

			if (strcmp(p->kind, "placeTerm") != 0)
				continue;
			a.n = 0;
			at_add(w, &a, "type", "text");
			at_add(w, &a, "authority", p->authority);
			at_add(w, &a, "valueURI", p->value_uri);
			open_el(w, 2, "place", NULL);
			leaf(w, 3, "placeTerm", &a, p->text);
			close_el(w, 2, "place");
		}
		a.n = 0;
		at_auth(w, &a, v);
		at_value_lang(w, &a, v);
		leaf(w, 2, "publisher", &a, v->text);
	}
	for (i = 0; i < r->nvalues; i++)
		if (r->values[i].element == MD_E_DATE)
			write_date(w, &r->values[i]);
	close_el(w, 1, "originInfo");
}

/* ---- language, physicalDescription ---- */

static void
write_language(struct mw *w, const struct md_value *v)
{
	struct at a = { 0 };
	const char *b, *script;

	open_el(w, 1, "language", NULL);
	if (v->type && !strcmp(v->type, "text")) {
		at_add(w, &a, "type", "text");
		at_value_lang(w, &a, v);
		leaf(w, 2, "languageTerm", &a, v->text);
	} else {
		if ((b = md_lang_to_639b(v->text))) {
			at_add(w, &a, "type", "code");
			at_add(w, &a, "authority", "iso639-2b");
			leaf(w, 2, "languageTerm", &a, b);
		}
		a.n = 0;
		at_add(w, &a, "type", "code");
		at_add(w, &a, "authority", "rfc5646");
		leaf(w, 2, "languageTerm", &a, v->text);
	}
	if ((script = script_of(w, v->type ? NULL : v->text, v->script))) {
		a.n = 0;
		at_add(w, &a, "type", "code");
		at_add(w, &a, "authority", "iso15924");
		leaf(w, 2, "scriptTerm", &a, script);
	}
	close_el(w, 1, "language");
}

static void
write_physical(struct mw *w)
{
	const struct md_record *r = w->r;
	size_t i;
	int any = 0;

	for (i = 0; i < r->nvalues; i++)
		if (r->values[i].element == MD_E_FORMAT)
			any = 1;
	if (!any)
		return;
	open_el(w, 1, "physicalDescription", NULL);
	for (i = 0; i < r->nvalues; i++) {
		const struct md_value *v = &r->values[i];
		struct at a = { 0 };

		if (v->element != MD_E_FORMAT)
			continue;
		if (v->term == MD_T_EXTENT) {
			at_value_lang(w, &a, v);
			leaf(w, 2, "extent", &a, v->text);
		} else if (v->term == MD_T_NONE &&
			   ((v->scheme && !strcmp(v->scheme, "IMT")) ||
			    md_is_mime(v->text))) {
			leaf(w, 2, "internetMediaType", NULL, v->text);
		} else {
			at_add(w, &a, "type", v->type);
			at_auth(w, &a, v);
			at_value_lang(w, &a, v);
			leaf(w, 2, "form", &a, v->text);
		}
	}
	close_el(w, 1, "physicalDescription");
}

/* ---- notes ---- */

static void
write_note(struct mw *w, const char *el, const struct md_value *v,
	   const char *type)
{
	struct at a = { 0 };

	at_add(w, &a, "type", v->type ? v->type : type);
	at_add(w, &a, "displayLabel", v->label);
	at_add(w, &a, "altRepGroup", v->group);
	at_add(w, &a, "xlink:href", v->href);
	at_value_lang(w, &a, v);
	leaf(w, 1, el, &a, v->text);
}

static void
write_audience(struct mw *w, const struct md_value *v)
{
	struct at a = { 0 };

	at_auth(w, &a, v);
	at_add(w, &a, "displayLabel",
	       v->label                          ? v->label
	       : v->term == MD_T_EDUCATION_LEVEL ? "educationLevel"
	       : v->term == MD_T_MEDIATOR        ? "mediator"
						 : NULL);
	at_add(w, &a, "altRepGroup", v->group);
	at_value_lang(w, &a, v);
	leaf(w, 1, "targetAudience", &a, v->text);
}

/* ---- subject and classification ---- */

static void
subject_open(struct mw *w, const struct md_value *v, int uri_on_subject)
{
	struct at a = { 0 };

	at_add(w, &a, "authority", v->authority);
	at_add(w, &a, "authorityURI", v->authority_uri);
	at_add(w, &a, "valueURI", uri_on_subject ? v->value_uri : NULL);
	at_add(w, &a, "usage", v->flags & MD_V_PRIMARY ? "primary" : NULL);
	at_add(w, &a, "displayLabel", v->label);
	at_add(w, &a, "altRepGroup", v->group);
	at_value_lang(w, &a, v);
	open_el(w, 1, "subject", &a);
}

static void
write_component(struct mw *w, const struct md_part *p)
{
	struct at a = { 0 };

	if (!strcmp(p->kind, "name")) {
		open_el(w, 2, "name", NULL);
		leaf(w, 3, "namePart", NULL, p->text);
		close_el(w, 2, "name");
		return;
	}
	if (!strcmp(p->kind, "titleInfo")) {
		open_el(w, 2, "titleInfo", NULL);
		leaf(w, 3, "title", NULL, p->text);
		close_el(w, 2, "titleInfo");
		return;
	}
	if (strcmp(p->kind, "topic") != 0 && strcmp(p->kind, "occupation") != 0)
		return;
	at_add(w, &a, "authority", p->authority);
	at_add(w, &a, "valueURI", p->value_uri);
	at_lang(w, &a, p->lang, NULL, NULL);
	leaf(w, 2, p->kind, &a, p->text);
}

static void
write_subject(struct mw *w, const struct md_value *v)
{
	struct at a = { 0 };
	size_t i;
	int topical = 0;

	for (i = 0; i < v->nparts; i++)
		if (!strcmp(v->parts[i].kind, "topic") ||
		    !strcmp(v->parts[i].kind, "occupation") ||
		    !strcmp(v->parts[i].kind, "name") ||
		    !strcmp(v->parts[i].kind, "titleInfo"))
			topical++;
	subject_open(w, v, topical > 0);
	if (topical) {
		for (i = 0; i < v->nparts; i++)
			write_component(w, &v->parts[i]);
	} else {
		at_add(w, &a, "valueURI", v->value_uri);
		leaf(w, 2, "topic", &a, v->text);
	}
	close_el(w, 1, "subject");
}

/* 1 when a coverage value reads as a date or period (notes 2.2). */
static int
date_like(const char *s)
{
	return md_date_kind(s) != 0;
}

static void
write_temporal(struct mw *w, const struct md_value *v, const char *text,
	       const char *point)
{
	struct at a = { 0 };

	at_add(w, &a, "encoding", encoding_of(v->scheme, text));
	at_add(w, &a, "point", one_of(point, points) ? point : NULL);
	at_add(w, &a, "qualifier",
	       one_of(v->qualifier, qualifiers) ? v->qualifier : NULL);
	leaf(w, 2, "temporal", &a, text);
}

static void
write_coverage(struct mw *w, const struct md_value *v)
{
	struct at a = { 0 };
	char s[64], e[64];
	size_t i;
	int temporal = v->term == MD_T_TEMPORAL ||
		       (v->term == MD_T_NONE && date_like(v->text));

	subject_open(w, v, 0);
	if (temporal) {
		if (v->nparts == 2 && has_part(v, "temporal")) {
			for (i = 0; i < 2; i++)
				write_temporal(w, v, v->parts[i].text,
					       v->parts[i].type);
		} else if (split_interval(v->text, s, e, sizeof(s))) {
			write_temporal(w, v, s, "start");
			write_temporal(w, v, e, "end");
		} else {
			write_temporal(w, v, v->text, v->point);
		}
	} else if (has_part(v, "hierarchicalGeographic")) {
		open_el(w, 2, "hierarchicalGeographic", NULL);
		for (i = 0; i < v->nparts; i++) {
			const struct md_part *p = &v->parts[i];

			if (!strcmp(p->kind, "hierarchicalGeographic"))
				continue;
			a.n = 0;
			at_add(w, &a, "level", p->type);
			leaf(w, 3, p->kind, &a, p->text);
		}
		close_el(w, 2, "hierarchicalGeographic");
	} else if (has_part(v, "coordinates")) {
		open_el(w, 2, "cartographics", NULL);
		leaf(w, 3, "coordinates", NULL, v->text);
		close_el(w, 2, "cartographics");
	} else {
		at_add(w, &a, "valueURI", v->value_uri);
		leaf(w, 2, "geographic", &a, v->text);
	}
	close_el(w, 1, "subject");
}

static void
write_classification(struct mw *w, const struct md_value *v)
{
	struct at a = { 0 };

	at_auth(w, &a, v);
	at_add(w, &a, "usage", v->flags & MD_V_PRIMARY ? "primary" : NULL);
	at_add(w, &a, "displayLabel", v->label);
	at_add(w, &a, "altRepGroup", v->group);
	at_value_lang(w, &a, v);
	leaf(w, 1, "classification", &a, v->text);
}

/* ---- relatedItem ---- */

static void
write_related(struct mw *w, const struct md_value *v)
{
	struct at a = { 0 };
	const char *type = v->type;
	size_t i;

	if (v->element == MD_E_SOURCE)
		type = "original";
	else if (!one_of(type, related_types))
		type = md_term_to_related_type(v->term);
	if (v->term == MD_T_IS_VERSION_OF || v->term == MD_T_IS_FORMAT_OF)
		lost(w, "isVersionOf/isFormatOf lose their direction "
			"(relatedItem otherVersion/otherFormat)");
	else if (v->element == MD_E_RELATION && v->term != MD_T_NONE && !type)
		lost(w, "conformsTo/requires/isRequiredBy written as a plain "
			"relatedItem");
	at_add(w, &a, "type", type);
	at_add(w, &a, "displayLabel", v->label);
	at_add(w, &a, "xlink:href", v->href);
	open_el(w, 1, "relatedItem", &a);
	if (v->nparts) {
		for (i = 0; i < v->nparts; i++) {
			const struct md_part *p = &v->parts[i];

			a.n = 0;
			if (!strcmp(p->kind, "titleInfo")) {
				at_value_lang(w, &a, v);
				open_el(w, 2, "titleInfo", &a);
				leaf(w, 3, "title", NULL, p->text);
				close_el(w, 2, "titleInfo");
			} else if (!strcmp(p->kind, "identifier")) {
				at_add(w, &a, "type", p->type);
				leaf(w, 2, "identifier", &a, p->text);
			} else if (!strcmp(p->kind, "url") &&
				   md_is_any_uri(p->text)) {
				open_el(w, 2, "location", NULL);
				leaf(w, 3, "url", NULL, p->text);
				close_el(w, 2, "location");
			} else if (!strcmp(p->kind, "url")) {
				leaf(w, 2, "identifier", NULL, p->text);
			}
		}
	} else if (md_is_uri(v->text) && md_is_any_uri(v->text)) {
		open_el(w, 2, "location", NULL);
		leaf(w, 3, "url", NULL, v->text);
		close_el(w, 2, "location");
	} else {
		a.n = 0;
		at_value_lang(w, &a, v);
		open_el(w, 2, "titleInfo", &a);
		leaf(w, 3, "title", NULL, v->text);
		close_el(w, 2, "titleInfo");
	}
	close_el(w, 1, "relatedItem");
}

/* ---- identifiers and location ---- */

static int
is_http(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

/* Whether an identifier goes in location/url: the URLs read from MODS;
 * for a record without any (from DC), its http(s) identifiers too (notes
 * 2.2).  Only values the schema accepts as xs:anyURI. */
static int
as_url(const struct md_value *v, int located)
{
	if (!(v->flags & MD_V_LOCATION) && (located || !is_http(v->text)))
		return 0;
	return md_is_any_uri(v->text);
}

static void
write_identifiers(struct mw *w)
{
	const struct md_record *r = w->r;
	size_t i;
	int urls = 0, located = 0;

	for (i = 0; i < r->nvalues; i++)
		if (r->values[i].flags & MD_V_LOCATION)
			located = 1;
	for (i = 0; i < r->nvalues; i++) {
		const struct md_value *v = &r->values[i];
		struct at a = { 0 };

		if (v->element != MD_E_IDENTIFIER || v->term != MD_T_NONE)
			continue;
		if (as_url(v, located)) {
			urls++;
			if (v->flags & MD_V_LOCATION)
				continue;
		} else if (v->flags & MD_V_LOCATION) {
			lost(w, "a location URL that is not a URI is written "
				"as an identifier");
		}
		at_add(w, &a, "type",
		       v->flags & MD_V_LOCATION ? NULL
		       : v->type                ? v->type
						: md_identifier_sniff(v->text));
		at_add(w, &a, "displayLabel", v->label);
		at_add(w, &a, "invalid",
		       v->flags & MD_V_INVALID ? "yes" : NULL);
		leaf(w, 1, "identifier", &a, v->text);
	}
	if (!urls)
		return;
	open_el(w, 1, "location", NULL);
	for (i = 0; i < r->nvalues; i++) {
		const struct md_value *v = &r->values[i];
		struct at a = { 0 };

		if (v->element != MD_E_IDENTIFIER || v->term != MD_T_NONE ||
		    !as_url(v, located))
			continue;
		if (v->flags & MD_V_LOCATION) {
			at_add(w, &a, "usage",
			       v->flags & MD_V_PRIMARY ? "primary" : NULL);
			at_add(w, &a, "access",
			       one_of(v->type, url_access) ? v->type : NULL);
			at_add(w, &a, "displayLabel", v->label);
		}
		leaf(w, 2, "url", &a, v->text);
	}
	close_el(w, 1, "location");
}

static void
write_access(struct mw *w, const struct md_value *v)
{
	struct at a = { 0 };
	const char *type = v->type, *label = v->label, *href = v->href;

	if (!type && v->term == MD_T_ACCESS_RIGHTS)
		type = "restriction on access";
	if (!type && v->term == MD_T_LICENSE)
		type = "use and reproduction";
	if (!label && v->term == MD_T_LICENSE)
		label = "License";
	if (!href && is_http(v->text))
		href = v->text;
	at_add(w, &a, "type", type);
	at_add(w, &a, "displayLabel", label);
	at_add(w, &a, "altRepGroup", v->group);
	at_add(w, &a, "xlink:href", href);
	at_auth(w, &a, v);
	at_value_lang(w, &a, v);
	leaf(w, 1, "accessCondition", &a, v->text);
}

int
md_mods_write(struct vl_buf *b, const struct md_record *r, unsigned flags,
	      struct md_diag *d)
{
	struct mw w = { b, d, r, { 0 }, 0 };
	size_t i, start = 0;
	int pass;

	if (!(flags & MD_WRITE_FRAGMENT))
		w.rc = vl_buf_adds(b, "<?xml version=\"1.0\" "
				      "encoding=\"UTF-8\"?>\n");
	if (!w.rc)
		w.rc = vl_buf_adds(b, "<mods xmlns=\"" MD_URI_MODS
				      "\" xmlns:xlink=\"" MD_URI_XLINK
				      "\" xmlns:xsi=\"" MD_URI_XSI
				      "\" version=\"3.8\" "
				      "xsi:schemaLocation=\"" MD_URI_MODS
				      " http://www.loc.gov/standards/mods/v3/"
				      "mods-3-8.xsd\">\n");
	start = b->len;
	for (i = 0; i < r->nvalues && !w.rc; i++)
		if (r->values[i].element == MD_E_TITLE)
			write_title(&w, &r->values[i]);
	for (i = 0; i < r->nvalues && !w.rc; i++)
		if (r->values[i].element == MD_E_CREATOR ||
		    r->values[i].element == MD_E_CONTRIBUTOR)
			write_name(&w, &r->values[i]);
	write_types(&w);
	for (i = 0; i < r->nvalues && !w.rc; i++) {
		const struct md_value *v = &r->values[i];

		if (v->element == MD_E_TYPE &&
		    !(v->scheme && !strcmp(v->scheme, "typeOfResource")))
			write_genre(&w, v);
	}
	write_origin(&w);
	for (i = 0; i < r->nvalues && !w.rc; i++)
		if (r->values[i].element == MD_E_LANGUAGE)
			write_language(&w, &r->values[i]);
	write_physical(&w);
	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < r->nvalues && !w.rc; i++) {
			const struct md_value *v = &r->values[i];

			if (pass == 0 && v->term == MD_T_ABSTRACT)
				write_note(&w, "abstract", v, NULL);
			else if (pass == 1 && v->term == MD_T_TABLE_OF_CONTENTS)
				write_note(&w, "tableOfContents", v, NULL);
			else if (pass == 2 &&
				 (v->term == MD_T_AUDIENCE ||
				  v->term == MD_T_EDUCATION_LEVEL ||
				  v->term == MD_T_MEDIATOR))
				write_audience(&w, v);
		}
	for (i = 0; i < r->nvalues && !w.rc; i++) {
		const struct md_value *v = &r->values[i];

		if (v->element == MD_E_DESCRIPTION && v->term == MD_T_NONE)
			write_note(&w, "note", v, NULL);
		else if (v->term == MD_T_PROVENANCE)
			write_note(&w, "note", v, "ownership");
		else if (v->term == MD_T_BIBLIOGRAPHIC_CITATION)
			write_note(&w, "note", v, "preferred citation");
	}
	for (i = 0; i < r->nvalues && !w.rc; i++) {
		const struct md_value *v = &r->values[i];

		if (v->element == MD_E_SUBJECT &&
		    !has_part(v, "classification"))
			write_subject(&w, v);
		else if (v->element == MD_E_COVERAGE)
			write_coverage(&w, v);
	}
	for (i = 0; i < r->nvalues && !w.rc; i++)
		if (r->values[i].element == MD_E_SUBJECT &&
		    has_part(&r->values[i], "classification"))
			write_classification(&w, &r->values[i]);
	for (i = 0; i < r->nvalues && !w.rc; i++)
		if (r->values[i].element == MD_E_RELATION ||
		    r->values[i].element == MD_E_SOURCE)
			write_related(&w, &r->values[i]);
	write_identifiers(&w);
	for (i = 0; i < r->nvalues && !w.rc; i++)
		if (r->values[i].element == MD_E_RIGHTS)
			write_access(&w, &r->values[i]);
	for (i = 0; i < r->nvalues; i++) {
		enum md_term t = r->values[i].term;

		if (r->values[i].element == MD_E_NONE && t != MD_T_AUDIENCE &&
		    t != MD_T_EDUCATION_LEVEL && t != MD_T_MEDIATOR)
			md_diag_add(d, MD_WARNING, NULL, 0,
				    "mods: dcterms:%s has no MODS equivalent; "
				    "dropped",
				    md_term_name(t));
	}
	/* MODS requires at least one element (modsDefinition). */
	if (!w.rc && b->len == start)
		w.rc = VL_E_INVAL;
	if (!w.rc)
		w.rc = vl_buf_adds(b, "</mods>\n");
	return w.rc;
}
