/*
 * md_dc_write.c - the record as oai_dc (OAI-PMH 2.0 section 6.2 and
 * metadata-notes 1.2) and as qualified DC (<qualifieddc>, DCMI 2008
 * schemas): the DC side of the MODS -> DC crosswalk.
 *
 * oai_dc holds only the 15 dc:* elements with xml:lang; refinements dumb
 * down to their element, typeOfResource becomes a DCMI Type term (table
 * 2.3), identifiers that are URIs come first, identical values (same
 * element, text and language) are written once.  Output is grouped by
 * element in DCMES order, values in input order inside a group, so the
 * bytes depend only on the record.  xml:lang is written on every value
 * that has a language, except identifiers, dates and language codes
 * (notes 3.2); a script the tag lacks is added as its script subtag.
 */
#include <stdlib.h>
#include <string.h>

#include "md_private.h"

struct dcw {
	struct vl_buf *b;
	struct md_diag *d;
	const struct md_record *r;
	const char *fmt; /* "oai_dc" or "dcterms" for messages */
	struct vl_buf text, lang;
	/* elements already written in the current group (offsets in b) */
	struct seen {
		size_t off, len;
	} * seen;
	size_t nseen, aseen;
	int rc;
};

/* BCP 47 tag for xml:lang: the value's language, with its script
 * inserted when the tag has none ("ru" + Latn -> "ru-Latn"). */
static const char *
dc_lang(struct dcw *w, const struct md_value *v)
{
	const char *dash;
	size_t n;

	if (!v->lang)
		return NULL;
	if (!v->script)
		return v->lang;
	dash = strchr(v->lang, '-');
	if (dash && strlen(dash + 1) >= 4 &&
	    (dash[5] == '\0' || dash[5] == '-') &&
	    !(dash[1] >= '0' && dash[1] <= '9'))
		return v->lang; /* has a script subtag already */
	n = dash ? (size_t)(dash - v->lang) : strlen(v->lang);
	if (n < 2 || n > 3) /* private use or grandfathered: leave it */
		return v->lang;
	vl_buf_reset(&w->lang);
	if (vl_buf_add(&w->lang, v->lang, n) < 0 ||
	    vl_buf_addch(&w->lang, '-') < 0 ||
	    vl_buf_adds(&w->lang, v->script) < 0 ||
	    (dash && vl_buf_adds(&w->lang, dash) < 0))
		return v->lang;
	{
		char canon[128];

		/* e.g. en-GB-oed + Latn would not be well-formed */
		if (md_lang_canonical(canon, sizeof(canon), w->lang.buf,
				      NULL) == VL_E_INVAL)
			return v->lang;
	}
	return w->lang.buf;
}

/*
 * Writes <name [xml:lang] [xsi:type]>text</name> unless the same element
 * was written already in this group: the bytes just written are compared
 * with the group's earlier elements and dropped again if they repeat.
 */
static void
emit(struct dcw *w, const char *name, const char *text, const char *lang,
     const char *xsi)
{
	size_t start = w->b->len, len, i;

	if (w->rc || !*text)
		return;
	if (xsi)
		lang = NULL; /* encoding schemes prohibit xml:lang */
	w->rc = md_xw_elem(w->b, 1, name, text, "xml:lang", lang, "xsi:type",
			   xsi, (const char *)NULL);
	if (w->rc)
		return;
	len = w->b->len - start;
	for (i = 0; i < w->nseen; i++)
		if (w->seen[i].len == len && !memcmp(w->b->buf + w->seen[i].off,
						     w->b->buf + start, len)) {
			w->b->len = start;
			w->b->buf[start] = '\0';
			return;
		}
	if (w->nseen == w->aseen) {
		size_t n = w->aseen ? w->aseen * 2 : 16;
		struct seen *p = reallocarray(w->seen, n, sizeof(*p));

		if (!p) {
			w->rc = VL_E_NOMEM;
			return;
		}
		w->seen = p;
		w->aseen = n;
	}
	w->seen[w->nseen].off = start;
	w->seen[w->nseen].len = len;
	w->nseen++;
}

static int
no_lang(enum md_element e)
{
	return e == MD_E_IDENTIFIER || e == MD_E_DATE || e == MD_E_LANGUAGE;
}

static const char *
value_text(struct dcw *w, const struct md_value *v)
{
	vl_buf_reset(&w->text);
	if (md_dc_text(&w->text, v) < 0) {
		w->rc = VL_E_NOMEM;
		return "";
	}
	return w->text.buf;
}

/* 1 when a DCMIType value of r maps back to typeOfResource tor, so the
 * DCMI term derived from tor would only repeat a less precise one. */
static int
dcmi_covers(const struct md_record *r, const char *tor)
{
	size_t i;

	for (i = 0; i < r->nvalues; i++) {
		const struct md_value *v = &r->values[i];
		const char *back;

		if (v->element == MD_E_TYPE && md_is_dcmi_type(v->text) &&
		    (back = md_dcmi_to_tor(v->text)) && md_ieq(back, tor))
			return 1;
	}
	return 0;
}

/* dc:type: DCMI terms first (from typeOfResource or given), then the
 * other genre terms (metadata-notes 1.2 rule 4). */
static void
write_types(struct dcw *w, const char *name, int qualified)
{
	const struct md_record *r = w->r;
	const char *xsi = qualified ? "dcterms:DCMIType" : NULL;
	size_t i;
	int pass, collection = 0;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < r->nvalues; i++) {
			const struct md_value *v = &r->values[i];
			int tor = v->scheme &&
				  !strcmp(v->scheme, "typeOfResource");

			if (v->element != MD_E_TYPE || v->term != MD_T_NONE)
				continue;
			if (tor) {
				const char *dcmi = md_tor_to_dcmi(v->text);

				if (pass)
					continue;
				if (dcmi && !dcmi_covers(r, v->text))
					emit(w, name, dcmi, NULL, xsi);
				else if (!dcmi && *v->text &&
					 !(v->flags & MD_V_COLLECTION))
					md_diag_add(w->d, MD_WARNING, NULL, 0,
						    "%s: typeOfResource '%s' "
						    "has no DCMI Type term; "
						    "dropped",
						    w->fmt, v->text);
				if (v->flags & MD_V_COLLECTION)
					collection = 1;
			} else if (md_is_dcmi_type(v->text) == !pass) {
				emit(w, name, v->text, dc_lang(w, v),
				     pass ? NULL : xsi);
			}
		}
		/* "Collection" from typeOfResource @collection comes last
		 * among the DCMI terms, so a trip through MODS keeps the
		 * order. */
		if (!pass && collection)
			emit(w, name, "Collection", NULL, xsi);
	}
}

static void
lost_summary(struct dcw *w)
{
	const struct md_record *r = w->r;
	int auth = 0, translit = 0, invalid = 0;
	size_t i;

	for (i = 0; i < r->nvalues; i++) {
		const struct md_value *v = &r->values[i];

		if (v->value_uri || v->authority_uri ||
		    (v->authority && strcmp(v->authority, "marcrelator") != 0))
			auth++;
		if (v->translit)
			translit++;
		if (v->flags & MD_V_INVALID)
			invalid++;
	}
	if (auth)
		md_diag_add(w->d, MD_WARNING, NULL, 0,
			    "%s: authorities and value URIs dropped", w->fmt);
	if (translit)
		md_diag_add(w->d, MD_WARNING, NULL, 0,
			    "%s: transliteration schemes dropped", w->fmt);
	if (invalid)
		md_diag_add(w->d, MD_WARNING, NULL, 0,
			    "%s: identifiers marked invalid dropped", w->fmt);
}

/* One warning per record naming the refinements written as their
 * element, and one per term oai_dc has no place for. */
static void
refinement_summary(struct dcw *w)
{
	char seen[MD_T_COUNT] = { 0 };
	struct vl_buf msg = VL_BUF_INIT;
	size_t i;

	for (i = 0; i < w->r->nvalues; i++) {
		const struct md_value *v = &w->r->values[i];

		if (v->term == MD_T_NONE || seen[v->term])
			continue;
		seen[v->term] = 1;
		if (v->element == MD_E_NONE) {
			md_diag_add(
				w->d, MD_WARNING, NULL, 0,
				"oai_dc: dcterms:%s has no place in oai_dc; "
				"dropped",
				md_term_name(v->term));
			continue;
		}
		if (vl_buf_adds(&msg, msg.len ? ", "
					      : "oai_dc: refinements "
						"written as their "
						"element: ") < 0 ||
		    vl_buf_adds(&msg, md_term_name(v->term)) < 0)
			break;
	}
	if (msg.len)
		md_diag_add(w->d, MD_WARNING, NULL, 0, "%s", msg.buf);
	vl_buf_release(&msg);
}

static int
dcw_begin(struct dcw *w, struct vl_buf *b, const struct md_record *r,
	  struct md_diag *d, const char *fmt)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->r = r;
	w->d = d;
	w->fmt = fmt;
	vl_buf_init(&w->text, 0);
	vl_buf_init(&w->lang, 0);
	return 0;
}

static int
dcw_end(struct dcw *w)
{
	vl_buf_release(&w->text);
	vl_buf_release(&w->lang);
	free(w->seen);
	return w->rc;
}

static void
group_reset(struct dcw *w)
{
	w->nseen = 0;
}

static int
is_location_uri(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8) ||
	       !strncmp(s, "urn:", 4) || !strncmp(s, "doi:", 4) ||
	       !strncmp(s, "hdl:", 4) || !strncmp(s, "ark:", 4) ||
	       !strncmp(s, "info:", 5);
}

int
md_oai_dc_write(struct vl_buf *b, const struct md_record *r, unsigned flags,
		struct md_diag *d)
{
	struct dcw w;
	char name[32];
	size_t i;
	int e, pass, rc;

	if ((rc = dcw_begin(&w, b, r, d, "oai_dc")) < 0)
		return rc;
	if (!(flags & MD_WRITE_FRAGMENT))
		w.rc = vl_buf_adds(b, "<?xml version=\"1.0\" "
				      "encoding=\"UTF-8\"?>\n");
	if (!w.rc)
		w.rc = vl_buf_adds(
			b,
			"<oai_dc:dc xmlns:oai_dc=\"" MD_URI_OAI_DC
			"\" xmlns:dc=\"" MD_URI_DC "\" xmlns:xsi=\"" MD_URI_XSI
			"\" xsi:schemaLocation=\"" MD_URI_OAI_DC
			" http://www.openarchives.org/OAI/2.0/oai_dc.xsd\">"
			"\n");
	for (e = MD_E_TITLE; e < MD_E_COUNT && !w.rc; e++) {
		snprintf(name, sizeof(name), "dc:%s", md_element_name(e));
		group_reset(&w);
		if (e == MD_E_TYPE) {
			write_types(&w, name, 0);
			continue;
		}
		for (pass = 0; pass < 2; pass++)
			for (i = 0; i < r->nvalues && !w.rc; i++) {
				const struct md_value *v = &r->values[i];
				const char *t;

				if ((int)v->element != e ||
				    (v->flags & MD_V_INVALID))
					continue;
				t = value_text(&w, v);
				/* Identifiers: resolvable URIs first (notes
				 * 1.2 rule 3); other elements in one pass. */
				if (e == MD_E_IDENTIFIER &&
				    is_location_uri(t) == pass)
					continue;
				if (e != MD_E_IDENTIFIER && pass)
					continue;
				if (e == MD_E_RIGHTS && v->href &&
				    strcmp(v->href, t) != 0)
					emit(&w, name, v->href, NULL, NULL);
				emit(&w, name, t,
				     no_lang((enum md_element)e)
					     ? NULL
					     : dc_lang(&w, v),
				     NULL);
			}
	}
	refinement_summary(&w);
	lost_summary(&w);
	if (!w.rc)
		w.rc = vl_buf_adds(b, "</oai_dc:dc>\n");
	return dcw_end(&w);
}

/* ---- qualified DC ---- */

static const char *const subject_schemes[][2] = {
	{ "lcsh", "dcterms:LCSH" }, { "mesh", "dcterms:MESH" },
	{ "ddc", "dcterms:DDC" },   { "lcc", "dcterms:LCC" },
	{ "udc", "dcterms:UDC" },   { NULL, NULL },
};

/* The encoding scheme to declare with xsi:type, only when the value
 * satisfies its XML Schema type (dcterms.xsd 2008-02-11). */
static const char *
scheme_of(const struct md_value *v, const char *text)
{
	size_t i;

	switch (v->element) {
	case MD_E_DATE:
		return md_date_kind(text) & MD_DATE_XSD ? "dcterms:W3CDTF"
							: NULL;
	case MD_E_FORMAT:
		return v->term == MD_T_NONE && md_is_mime(text) ? "dcterms:IMT"
								: NULL;
	case MD_E_IDENTIFIER:
	case MD_E_RELATION:
	case MD_E_SOURCE:
	case MD_E_RIGHTS:
		if (v->element == MD_E_IDENTIFIER && v->term != MD_T_NONE)
			return NULL;
		return md_is_uri(text) && is_location_uri(text) &&
				       md_is_any_uri(text)
			       ? "dcterms:URI"
			       : NULL;
	case MD_E_LANGUAGE:
		return v->scheme && !strcmp(v->scheme, "RFC5646")
			       ? "dcterms:RFC4646"
			       : NULL;
	case MD_E_SUBJECT:
		for (i = 0; v->authority && subject_schemes[i][0]; i++)
			if (!strcmp(v->authority, subject_schemes[i][0]))
				return subject_schemes[i][1];
		return NULL;
	case MD_E_COVERAGE:
		if (v->authority && !strcmp(v->authority, "tgn"))
			return "dcterms:TGN";
		if (v->authority && !strcmp(v->authority, "iso3166"))
			return "dcterms:ISO3166";
		if (v->scheme &&
		    (!strcmp(v->scheme, "Point") || !strcmp(v->scheme, "Box") ||
		     !strcmp(v->scheme, "Period")))
			return !strcmp(v->scheme, "Point") ? "dcterms:Point"
			       : !strcmp(v->scheme, "Box") ? "dcterms:Box"
							   : "dcterms:Period";
		return NULL;
	default: return NULL;
	}
}

/* A contributor whose only role is cph is a rights holder. */
static int
is_rights_holder(const struct md_value *v)
{
	return v->element == MD_E_CONTRIBUTOR && v->term == MD_T_NONE &&
	       v->nroles == 1 && v->roles[0].code &&
	       !strcmp(v->roles[0].code, "cph");
}

static void
write_qdc_value(struct dcw *w, const char *name, const struct md_value *v)
{
	const char *t = value_text(w, v), *xsi, *lang;

	if (w->rc)
		return;
	if (is_rights_holder(v))
		t = v->text;
	xsi = scheme_of(v, t);
	lang = no_lang(v->element) ? NULL : dc_lang(w, v);
	if (xsi && lang && v->element != MD_E_DATE)
		xsi = NULL; /* keep the language; the scheme cannot have it */
	if (v->element == MD_E_RIGHTS && v->href && strcmp(v->href, t) != 0)
		emit(w, name, v->href, NULL,
		     md_is_uri(v->href) && is_location_uri(v->href) &&
				     md_is_any_uri(v->href)
			     ? "dcterms:URI"
			     : NULL);
	emit(w, name, t, lang, xsi);
}

int
md_dcterms_write(struct vl_buf *b, const struct md_record *r, unsigned flags,
		 struct md_diag *d)
{
	struct dcw w;
	char name[48];
	size_t i;
	int e, t, rc;

	if ((rc = dcw_begin(&w, b, r, d, "dcterms")) < 0)
		return rc;
	if (!(flags & MD_WRITE_FRAGMENT))
		w.rc = vl_buf_adds(b, "<?xml version=\"1.0\" "
				      "encoding=\"UTF-8\"?>\n");
	if (!w.rc)
		w.rc = vl_buf_adds(b,
				   "<qualifieddc xmlns:dc=\"" MD_URI_DC
				   "\" xmlns:dcterms=\"" MD_URI_DCTERMS
				   "\" xmlns:xsi=\"" MD_URI_XSI
				   "\" xsi:noNamespaceSchemaLocation=\"http://"
				   "dublincore.org/schemas/xmls/qdc/2008/02/11/"
				   "qualifieddc.xsd\">\n");
	for (e = MD_E_TITLE; e <= MD_E_COUNT && !w.rc; e++) {
		int elem = e == MD_E_COUNT ? MD_E_NONE : e;

		for (t = 0; t < MD_T_COUNT && !w.rc; t++) {
			if (t == MD_T_NONE && elem == MD_E_NONE)
				continue;
			if (t != MD_T_NONE &&
			    (int)md_term_element((enum md_term)t) != elem)
				continue;
			if (t == MD_T_NONE)
				snprintf(name, sizeof(name), "dc:%s",
					 md_element_name(elem));
			else
				snprintf(name, sizeof(name), "dcterms:%s",
					 md_term_name((enum md_term)t));
			group_reset(&w);
			if (elem == MD_E_TYPE && t == MD_T_NONE) {
				write_types(&w, name, 1);
				continue;
			}
			for (i = 0; i < r->nvalues && !w.rc; i++) {
				const struct md_value *v = &r->values[i];

				if ((int)v->term != t ||
				    (t == MD_T_NONE &&
				     (int)v->element != elem) ||
				    (v->flags & MD_V_INVALID))
					continue;
				if (t == MD_T_RIGHTS_HOLDER ||
				    (t == MD_T_NONE && is_rights_holder(v)))
					continue; /* below */
				write_qdc_value(&w, name, v);
			}
			if (t == MD_T_RIGHTS_HOLDER)
				for (i = 0; i < r->nvalues && !w.rc; i++)
					if (r->values[i].term ==
						    MD_T_RIGHTS_HOLDER ||
					    is_rights_holder(&r->values[i]))
						write_qdc_value(&w, name,
								&r->values[i]);
		}
	}
	lost_summary(&w);
	if (!w.rc)
		w.rc = vl_buf_adds(b, "</qualifieddc>\n");
	return dcw_end(&w);
}
