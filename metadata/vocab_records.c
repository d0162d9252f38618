/*
 * vocab_records.c - the reparative audit and remediation of stored
 * records: subject, genre and type values (MODS 3.8, oai_dc, dcterms) of
 * each object's current metadata version that use a deprecated or
 * retired term are listed, and on request replaced by their preferred
 * concepts in a new metadata version, with provenance.
 *
 * Invariants:
 *  - Old metadata versions are never touched: a remediation inserts
 *    version N+1 (every format; unchanged formats copied byte for byte),
 *    then moves objects.md_version and objects.datestamp, appends a PREMIS
 *    "mem" event and the vocab_remediations rows, in one transaction per
 *    object.
 *  - The "source" format (the record as the curator gave it) is copied,
 *    never rewritten.
 *  - An ambiguous value, or a deprecated concept without a usable
 *    replacement, is reported and left alone: never guessed.
 *  - Records are parsed with XML_PARSE_NONET and without entity
 *    substitution or DTD loading (STYLE.md, libxml2 rules).
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

#define NS_MODS    "http://www.loc.gov/mods/v3"
#define NS_DC      "http://purl.org/dc/elements/1.1/"
#define NS_DCTERMS "http://purl.org/dc/terms/"
#define MAX_RECORD (64u << 20) /* bytes of one stored record we parse */
#define MAX_LANGS  16

/* A subject/genre/type value found in a record. */
struct term {
	xmlNodePtr node;   /* element holding the text */
	xmlNodePtr holder; /* the MODS subject of a subject child, else node */
	const char *field;
	int dc; /* a DC element (oai_dc, dcterms) */
	char *value, *lang, *uri, *authority_uri;
};

struct terms {
	struct term *t;
	size_t n;
};

/* What the vocabularies say about one value. */
struct assessment {
	int finding;
	enum md_finding_reason reason;
	struct md_concept concept;
	char **repl;
	size_t nrepl;
	char **cands;
	size_t ncands;
};

const char *
md_finding_reason_name(enum md_finding_reason r)
{
	switch (r) {
	case MD_FIND_DEPRECATED: return "deprecated";
	case MD_FIND_HIDDEN: return "retired label";
	case MD_FIND_AMBIGUOUS: return "ambiguous";
	}
	return "?";
}

/* ---- reading records ---- */

static xmlDocPtr
parse_record(const char *xml, size_t len)
{
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

#if LIBXML_VERSION >= 21300
	opts |= XML_PARSE_NO_XXE;
#endif
	if (len > MAX_RECORD)
		return NULL;
	return xmlReadMemory(xml, (int)len, "record.xml", "UTF-8", opts);
}

static int
in_ns(xmlNodePtr n, const char *ns)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       !strcmp((const char *)n->ns->href, ns);
}

static int
named(xmlNodePtr n, const char *ns, const char *name)
{
	return in_ns(n, ns) && !strcmp((const char *)n->name, name);
}

static char *
attr(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *s;

	if (!v)
		return NULL;
	s = strdup((const char *)v);
	xmlFree(v);
	return s;
}

static char *
text_of(xmlNodePtr n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *s;

	if (!v)
		return NULL;
	s = strdup((const char *)v);
	xmlFree(v);
	return s;
}

/* Number of element children. */
static size_t
n_elements(xmlNodePtr n)
{
	xmlNodePtr c;
	size_t k = 0;

	for (c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			k++;
	return k;
}

/* The BCP 47 language of a value: xml:lang (inherited), else MODS @lang
 * (ISO 639-2/B) on the element or its holder. */
static char *
lang_of(xmlNodePtr node, xmlNodePtr holder)
{
	xmlChar *l = xmlNodeGetLang(node);
	char tag[64], from[16];
	const char *code;
	char *b = NULL;

	if (l && md_vocab_lang_tag(tag, sizeof(tag), (const char *)l) == 0 &&
	    *tag) {
		xmlFree(l);
		return strdup(tag);
	}
	xmlFree(l);
	if (!(b = attr(node, "lang")) && holder != node)
		b = attr(holder, "lang");
	code = b ? md_vocab_lang_from_639(from, sizeof(from), b) : NULL;
	free(b);
	return code ? strdup(code) : NULL;
}

static void
terms_release(struct terms *ts)
{
	size_t i;

	for (i = 0; i < ts->n; i++) {
		free(ts->t[i].value);
		free(ts->t[i].lang);
		free(ts->t[i].uri);
		free(ts->t[i].authority_uri);
	}
	free(ts->t);
	memset(ts, 0, sizeof(*ts));
}

static int
add_term(struct terms *ts, xmlNodePtr node, xmlNodePtr holder,
	 const char *field, int dc)
{
	struct term *nt = reallocarray(ts->t, ts->n + 1, sizeof(*nt));
	struct term *t;

	if (!nt)
		return VL_E_NOMEM;
	ts->t = nt;
	t = &nt[ts->n];
	memset(t, 0, sizeof(*t));
	t->node = node;
	t->holder = holder;
	t->field = field;
	t->dc = dc;
	if (!(t->value = text_of(node)))
		return VL_E_NOMEM;
	t->lang = lang_of(node, holder);
	if (!dc) {
		if (!(t->uri = attr(node, "valueURI")) && holder != node &&
		    n_elements(holder) == 1)
			t->uri = attr(holder, "valueURI");
		if (!(t->authority_uri = attr(node, "authorityURI")) &&
		    holder != node)
			t->authority_uri = attr(holder, "authorityURI");
	}
	ts->n++;
	return 0;
}

/* Collects the values to check: MODS subject/topic, subject/genre,
 * genre, typeOfResource; DC and dcterms subject and type. */
static int
collect(xmlNodePtr n, struct terms *ts)
{
	int rc;

	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (named(n, NS_MODS, "subject")) {
			xmlNodePtr c;

			for (c = n->children; c; c = c->next) {
				if (named(c, NS_MODS, "topic"))
					rc = add_term(ts, c, n, "subject/topic",
						      0);
				else if (named(c, NS_MODS, "genre"))
					rc = add_term(ts, c, n, "subject/genre",
						      0);
				else
					continue;
				if (rc < 0)
					return rc;
			}
			continue;
		}
		if (named(n, NS_MODS, "genre"))
			rc = add_term(ts, n, n, "genre", 0);
		else if (named(n, NS_MODS, "typeOfResource"))
			rc = add_term(ts, n, n, "typeOfResource", 0);
		else if (named(n, NS_DC, "subject"))
			rc = add_term(ts, n, n, "dc:subject", 1);
		else if (named(n, NS_DC, "type"))
			rc = add_term(ts, n, n, "dc:type", 1);
		else if (named(n, NS_DCTERMS, "subject"))
			rc = add_term(ts, n, n, "dcterms:subject", 1);
		else if (named(n, NS_DCTERMS, "type"))
			rc = add_term(ts, n, n, "dcterms:type", 1);
		else
			rc = collect(n->children, ts);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- judging a value ---- */

static void
assessment_release(struct assessment *a)
{
	md_concept_release(&a->concept);
	md_strv_free(a->repl, a->nrepl);
	md_strv_free(a->cands, a->ncands);
	memset(a, 0, sizeof(*a));
}

static int
is_uri(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

static int
assess(struct md_vocab *v, const struct term *t, const char *scheme_filter,
       struct assessment *a, struct vl_err *err)
{
	struct md_match m;
	const char *uri = t->uri ? t->uri : is_uri(t->value) ? t->value : NULL;
	const char *restrict_to = NULL;
	int rc, hidden = 0;
	size_t i;

	memset(a, 0, sizeof(*a));
	if (uri) {
		rc = md_vocab_concept(v, uri, &a->concept, err);
		if (rc < 0 && rc != VL_E_NOTFOUND)
			return rc;
		if (rc == 0)
			goto judged;
	}
	/* A value whose authorityURI names an imported scheme is looked up
	 * in that scheme only. */
	restrict_to = t->authority_uri;
	rc = md_vocab_reconcile(v, t->value, t->lang, restrict_to, &m, err);
	if (rc == VL_E_NOTFOUND && restrict_to) /* not an imported scheme */
		rc = md_vocab_reconcile(v, t->value, t->lang, NULL, &m, err);
	if (rc == VL_E_INVAL)
		return 0; /* not UTF-8: the record's problem, not ours */
	if (rc < 0)
		return rc;
	if (m.status == MD_MATCH_NONE) {
		md_match_release(&m);
		return 0;
	}
	if (m.status == MD_MATCH_AMBIGUOUS) {
		int flag = m.kind == MD_LABEL_HIDDEN, in_scheme = 0;

		for (i = 0; i < m.ncandidates; i++) {
			struct md_concept c;

			if (md_vocab_concept(v, m.candidates[i], &c, err) < 0)
				continue;
			if (c.deprecated)
				flag = 1;
			if (!scheme_filter ||
			    (c.scheme_uri &&
			     !strcmp(c.scheme_uri, scheme_filter)))
				in_scheme = 1;
			md_concept_release(&c);
		}
		if (flag && in_scheme) {
			a->finding = 1;
			a->reason = MD_FIND_AMBIGUOUS;
			a->cands = m.candidates;
			a->ncands = m.ncandidates;
			m.candidates = NULL;
			m.ncandidates = 0;
		}
		md_match_release(&m);
		return 0;
	}
	a->concept = m.concept;
	memset(&m.concept, 0, sizeof(m.concept));
	hidden = m.kind == MD_LABEL_HIDDEN;
	md_match_release(&m);
judged:
	if (scheme_filter && (!a->concept.scheme_uri ||
			      strcmp(a->concept.scheme_uri, scheme_filter))) {
		assessment_release(a);
		return 0;
	}
	if (a->concept.deprecated) {
		a->finding = 1;
		a->reason = MD_FIND_DEPRECATED;
		return md_vocab_replacements(v, a->concept.uri, &a->repl,
					     &a->nrepl, err);
	}
	if (hidden) {
		a->finding = 1;
		a->reason = MD_FIND_HIDDEN;
		a->repl = calloc(1, sizeof(char *));
		if (!a->repl || !(a->repl[0] = strdup(a->concept.uri)))
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		a->nrepl = 1;
		return 0;
	}
	assessment_release(a);
	return 0;
}

/* ---- audit ---- */

void
md_vocab_audit_release(struct md_vocab_audit *au)
{
	size_t i;

	if (!au)
		return;
	for (i = 0; i < au->n; i++) {
		struct md_vocab_finding *f = &au->f[i];

		free(f->object_id);
		free(f->format);
		free(f->field);
		free(f->value);
		free(f->lang);
		free(f->value_uri);
		free(f->concept_uri);
		free(f->scheme_uri);
		free(f->vocab_version);
		md_strv_free(f->replacements, f->nreplacements);
		md_strv_free(f->replacement_labels, f->nreplacements);
		md_strv_free(f->candidates, f->ncandidates);
	}
	free(au->f);
	memset(au, 0, sizeof(*au));
}

static char *
sdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int
add_finding(struct md_vocab_audit *au, struct md_vocab *v, const char *oid,
	    int64_t version, const char *format, const struct term *t,
	    struct assessment *a, struct vl_err *err)
{
	struct md_vocab_finding *f;
	size_t i;

	if (!au)
		return 0;
	if (au->n == au->alloc) {
		size_t na = au->alloc ? 2 * au->alloc : 16;
		struct md_vocab_finding *nf =
			reallocarray(au->f, na, sizeof(*nf));

		if (!nf)
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		au->f = nf;
		au->alloc = na;
	}
	f = &au->f[au->n++];
	memset(f, 0, sizeof(*f));
	f->object_id = sdup(oid);
	f->version = version;
	f->format = sdup(format);
	f->field = sdup(t->field);
	f->value = sdup(t->value);
	f->lang = sdup(t->lang);
	f->value_uri = sdup(t->uri);
	f->reason = a->reason;
	f->concept_uri = sdup(a->concept.uri);
	f->scheme_uri = sdup(a->concept.scheme_uri);
	f->vocab_version = sdup(a->concept.scheme_version);
	f->candidates = a->cands;
	f->ncandidates = a->ncands;
	a->cands = NULL;
	a->ncands = 0;
	if (a->nrepl) {
		f->replacements = calloc(a->nrepl, sizeof(char *));
		f->replacement_labels = calloc(a->nrepl, sizeof(char *));
		if (!f->replacements || !f->replacement_labels)
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		f->nreplacements = a->nrepl;
		for (i = 0; i < a->nrepl; i++) {
			struct md_concept c;
			const struct md_label *l;

			f->replacements[i] = sdup(a->repl[i]);
			if (md_vocab_concept(v, a->repl[i], &c, NULL) == 0) {
				l = md_concept_label(&c, t->lang);
				f->replacement_labels[i] =
					sdup(l ? l->text : a->repl[i]);
				md_concept_release(&c);
			} else {
				f->replacement_labels[i] = sdup(a->repl[i]);
			}
		}
	}
	if (!f->object_id || !f->format || !f->field || !f->value)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	return 0;
}

int
md_vocab_audit(struct repo *r, const char *scheme_uri,
	       struct md_vocab_audit *out, struct vl_err *err)
{
	struct md_vocab *v = NULL;
	sqlite3_stmt *st = NULL;
	char *prev = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = md_vocab_open(&v, r, err)) < 0)
		return rc;
	if (scheme_uri) {
		if ((rc = repo_prepare(r, &st,
				       "SELECT 1 FROM vocab_schemes WHERE uri"
				       " = ?",
				       err)) < 0)
			goto out;
		sqlite3_bind_text(st, 1, scheme_uri, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		st = NULL;
		if (rc != SQLITE_ROW) {
			rc = vl_err_set(err, VL_E_NOTFOUND,
					"no vocabulary <%s> has been imported",
					scheme_uri);
			goto out;
		}
	}
	if ((rc = repo_prepare(r, &st,
			       "SELECT o.id, o.md_version, m.format, m.xml FROM"
			       " objects o JOIN metadata m ON m.object_id ="
			       " o.id AND m.version = o.md_version WHERE"
			       " o.status = 'active' AND m.format IN ('mods',"
			       " 'oai_dc', 'dcterms') ORDER BY o.id, m.format",
			       err)) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *oid = (const char *)sqlite3_column_text(st, 0);
		int64_t ver = sqlite3_column_int64(st, 1);
		const char *fmt = (const char *)sqlite3_column_text(st, 2);
		const char *xml = (const char *)sqlite3_column_text(st, 3);
		struct terms ts = { 0 };
		xmlDocPtr doc;
		size_t i;

		if (!prev || strcmp(prev, oid)) {
			free(prev);
			prev = strdup(oid);
			out->records++;
		}
		doc = parse_record(xml, (size_t)sqlite3_column_bytes(st, 3));
		if (!doc) {
			out->unreadable++;
			continue;
		}
		rc = collect(xmlDocGetRootElement(doc), &ts);
		for (i = 0; rc == 0 && i < ts.n; i++) {
			struct assessment a;

			out->values++;
			if ((rc = assess(v, &ts.t[i], scheme_uri, &a, err)) ==
				    0 &&
			    a.finding)
				rc = add_finding(out, v, oid, ver, fmt,
						 &ts.t[i], &a, err);
			assessment_release(&a);
		}
		if (rc == VL_E_NOMEM)
			vl_err_set(err, VL_E_NOMEM, "out of memory");
		terms_release(&ts);
		xmlFreeDoc(doc);
		if (rc < 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : repo_db_err(r->db, err, "audit");
out:
	free(prev);
	sqlite3_finalize(st);
	md_vocab_close(v);
	if (rc < 0)
		md_vocab_audit_release(out);
	return rc;
}

/* ---- remediation: editing the DOM ---- */

struct langs {
	char tag[MAX_LANGS][64];
	size_t n;
};

static int
parse_langs(struct langs *ls, const char *list, struct vl_err *err)
{
	const char *p = list;

	ls->n = 0;
	while (*p) {
		size_t n = strcspn(p, ", ");
		char one[64];

		if (n == 0) {
			p++;
			continue;
		}
		if (n >= sizeof(one) || ls->n >= MAX_LANGS)
			return vl_err_set(err, VL_E_INVAL,
					  "too many or too long output "
					  "languages in '%s'",
					  list);
		memcpy(one, p, n);
		one[n] = '\0';
		if (md_vocab_lang_tag(ls->tag[ls->n], sizeof(ls->tag[0]), one) <
		    0)
			return vl_err_set(err, VL_E_INVAL,
					  "bad language tag '%s' in output "
					  "languages",
					  one);
		ls->n++;
		p += n;
	}
	if (ls->n == 0)
		return vl_err_set(err, VL_E_INVAL, "no output language given");
	return 0;
}

/* Replaces the text of an element with raw (unescaped) text. */
static void
set_text(xmlNodePtr n, const char *text)
{
	while (n->children) {
		xmlNodePtr c = n->children;

		xmlUnlinkNode(c);
		xmlFreeNode(c);
	}
	xmlNodeAddContent(n, (const xmlChar *)text);
}

static void
set_or_unset(xmlNodePtr n, const char *name, const char *value)
{
	if (value)
		xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)value);
	else
		xmlUnsetProp(n, (const xmlChar *)name);
}

static void
set_lang(xmlNodePtr n, const char *bcp47)
{
	const char *b;

	if (!bcp47 || !*bcp47)
		return;
	b = md_lang_to_639b(bcp47);
	xmlNodeSetLang(n, (const xmlChar *)bcp47);
	set_or_unset(n, "lang", b);
}

/* Sets the MODS authority attributes of the concept on element n. */
static void
mods_authority(xmlNodePtr n, const struct md_concept *c)
{
	set_or_unset(n, "authority", c->scheme_code);
	set_or_unset(n, "authorityURI", c->scheme_uri);
	xmlSetProp(n, (const xmlChar *)"valueURI", (const xmlChar *)c->uri);
}

/* A new element like src (same namespace, name and attributes, no
 * children).  Created in place so it reuses the namespaces in scope
 * instead of redeclaring them: as the next sibling of after, or (after
 * NULL) as the last child of parent. */
static xmlNodePtr
new_like(xmlNodePtr src, xmlNodePtr after, xmlNodePtr parent)
{
	xmlNodePtr n = xmlNewDocNode(src->doc, src->ns, src->name, NULL);

	if (!n)
		return NULL;
	if (after) {
		/* Keep the record's layout: repeat the indentation. */
		xmlNodePtr ws = src->prev;

		if (ws && ws->type == XML_TEXT_NODE && xmlIsBlankNode(ws)) {
			xmlNodePtr t = xmlNewDocText(src->doc, ws->content);

			if (t && !xmlAddNextSibling(after, t))
				xmlFreeNode(t);
			else if (t)
				after = t;
		}
		if (!xmlAddNextSibling(after, n)) {
			xmlFreeNode(n);
			return NULL;
		}
	} else if (!xmlAddChild(parent, n)) {
		xmlFreeNode(n);
		return NULL;
	}
	n->properties = xmlCopyPropList(n, src->properties);
	return n;
}

/* A new holder (and node) after `after`, for an extra replacement or a
 * parallel language form.  Returns the node to fill. */
static xmlNodePtr
mods_clone(const struct term *t, xmlNodePtr after)
{
	xmlNodePtr h = new_like(t->holder, after, NULL), n;

	if (!h)
		return NULL;
	xmlUnsetProp(h, (const xmlChar *)"valueURI");
	xmlUnsetProp(h, (const xmlChar *)"altRepGroup");
	if (t->holder == t->node)
		return h;
	{
		/* The term element carries language and authority. */
		xmlNsPtr xml = xmlSearchNsByHref(t->node->doc, t->holder,
						 XML_XML_NAMESPACE);

		if (xml)
			xmlUnsetNsProp(h, xml, (const xmlChar *)"lang");
		xmlUnsetProp(h, (const xmlChar *)"lang");
		xmlUnsetProp(h, (const xmlChar *)"authority");
		xmlUnsetProp(h, (const xmlChar *)"authorityURI");
	}
	if (!(n = new_like(t->node, NULL, h)))
		return NULL;
	return n;
}

/* Is altRepGroup value g used anywhere under n? */
static int
group_used(xmlNodePtr n, const char *g)
{
	for (; n; n = n->next) {
		xmlChar *v;
		int used;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		v = xmlGetNoNsProp(n, (const xmlChar *)"altRepGroup");
		used = v && !strcmp((const char *)v, g);
		xmlFree(v);
		if (used || group_used(n->children, g))
			return 1;
	}
	return 0;
}

/* The first "vocabN" altRepGroup value not used in doc. */
static int
next_group(xmlDocPtr doc)
{
	char want[32];
	int k;

	for (k = 1;; k++) {
		snprintf(want, sizeof(want), "vocab%d", k);
		if (!group_used(xmlDocGetRootElement(doc), want))
			return k;
	}
}

struct change {
	const char *before, *before_lang;
	char *after, *after_lang;
};

/* MODS: the element takes the first replacement's preferred label in the
 * value's language (else the first output language) with authority,
 * authorityURI and valueURI (MODS 3.8 authorityAttributeGroup); further
 * replacements become sibling elements; when the holder is not already
 * part of a parallel group, the other output languages are added as
 * parallel forms sharing an altRepGroup (MODS User Guidelines,
 * "altRepGroup"). */
static int
edit_mods(struct md_vocab *v, xmlDocPtr doc, const struct term *t,
	  const struct assessment *a, const struct langs *ls, struct change *ch,
	  struct vl_err *err)
{
	const char *lang = t->lang ? t->lang : ls->tag[0];
	xmlNodePtr after = t->holder;
	xmlChar *grp =
		xmlGetNoNsProp(t->holder, (const xmlChar *)"altRepGroup");
	/* Parallel forms translate the whole holder: only for a holder
	 * that holds just this term and is not in a group already. */
	int parallel = grp == NULL &&
		       (t->holder == t->node || n_elements(t->holder) == 1),
	    group = 0;
	size_t i, k;
	int rc = 0;

	xmlFree(grp);
	for (i = 0; i < a->nrepl && rc == 0; i++) {
		struct md_concept c;
		const struct md_label *l;
		xmlNodePtr n, first_holder;

		if ((rc = md_vocab_concept(v, a->repl[i], &c, err)) < 0)
			break;
		l = md_concept_label(&c, lang);
		n = i == 0 ? t->node : mods_clone(t, after);
		if (!n || !l) {
			md_concept_release(&c);
			rc = l ? vl_err_set(err, VL_E_NOMEM, "out of memory")
			       : vl_err_set(err, VL_E_CHECK,
					    "<%s> has no prefLabel", c.uri);
			break;
		}
		first_holder = t->holder == t->node ? n : n->parent;
		set_text(n, l->text);
		mods_authority(n, &c);
		set_lang(n, l->lang);
		if (i == 0 && t->holder != t->node) {
			/* The subject's own attributes now describe a
			 * different term: keep them only if it has one. */
			xmlUnsetProp(t->holder, (const xmlChar *)"valueURI");
			if (n_elements(t->holder) == 1) {
				set_or_unset(t->holder, "authority",
					     c.scheme_code);
				set_or_unset(t->holder, "authorityURI",
					     c.scheme_uri);
			}
		}
		after = first_holder;
		if (!ch[i].after) {
			ch[i].after = strdup(l->text);
			ch[i].after_lang = strdup(l->lang);
		}
		for (k = 0; parallel && k < ls->n; k++) {
			const struct md_label *pl = NULL;
			size_t j;
			xmlNodePtr pn;
			char g[32];

			for (j = 0; j < c.npref; j++)
				if (!strcasecmp(c.pref[j].lang, ls->tag[k]))
					pl = &c.pref[j];
			if (!pl || pl == l)
				continue;
			if (!(pn = mods_clone(t, after))) {
				rc = vl_err_set(err, VL_E_NOMEM,
						"out of memory");
				break;
			}
			if (!group)
				group = next_group(doc);
			snprintf(g, sizeof(g), "vocab%d", group);
			xmlSetProp(first_holder, (const xmlChar *)"altRepGroup",
				   (const xmlChar *)g);
			set_text(pn, pl->text);
			mods_authority(pn, &c);
			set_lang(pn, pl->lang);
			after = t->holder == t->node ? pn : pn->parent;
			xmlSetProp(after, (const xmlChar *)"altRepGroup",
				   (const xmlChar *)g);
		}
		group = 0;
		md_concept_release(&c);
	}
	return rc;
}

/* Is there already a sibling element like n with this text and lang? */
static int
dc_has(xmlNodePtr n, const char *text, const char *lang)
{
	xmlNodePtr s;

	for (s = n->parent ? n->parent->children : NULL; s; s = s->next) {
		xmlChar *c, *l;
		int same;

		if (s == n || s->type != XML_ELEMENT_NODE ||
		    strcmp((const char *)s->name, (const char *)n->name) ||
		    s->ns != n->ns)
			continue;
		c = xmlNodeGetContent(s);
		l = xmlNodeGetLang(s);
		same = c && !strcmp((const char *)c, text) &&
		       !strcmp(l ? (const char *)l : "", lang ? lang : "");
		xmlFree(c);
		xmlFree(l);
		if (same)
			return 1;
	}
	return 0;
}

/* oai_dc / dcterms: the element becomes the replacements' preferred
 * labels in every output language, each with xml:lang (DCMES: one value
 * per element, xml:lang on natural-language values). */
static int
edit_dc(struct md_vocab *v, const struct term *t, const struct assessment *a,
	const struct langs *ls, struct change *ch, struct vl_err *err)
{
	xmlNodePtr after = t->node;
	int used_node = 0;
	size_t i, k;
	int rc = 0;

	for (i = 0; i < a->nrepl && rc == 0; i++) {
		struct md_concept c;
		const struct md_label *labels[MAX_LANGS + 1];
		size_t nl = 0, j;

		if ((rc = md_vocab_concept(v, a->repl[i], &c, err)) < 0)
			break;
		for (k = 0; k < ls->n; k++)
			for (j = 0; j < c.npref && nl < MAX_LANGS; j++)
				if (!strcasecmp(c.pref[j].lang, ls->tag[k]))
					labels[nl++] = &c.pref[j];
		if (nl == 0 && c.npref)
			labels[nl++] = md_concept_label(
				&c, t->lang ? t->lang : ls->tag[0]);
		for (j = 0; j < nl; j++) {
			xmlNodePtr n;

			if (!ch[i].after) {
				ch[i].after = strdup(labels[j]->text);
				ch[i].after_lang = strdup(labels[j]->lang);
			}
			if (dc_has(t->node, labels[j]->text, labels[j]->lang))
				continue;
			if (!used_node) {
				n = t->node;
				used_node = 1;
			} else if (!(n = new_like(t->node, after, NULL))) {
				rc = vl_err_set(err, VL_E_NOMEM,
						"out of memory");
				break;
			}
			set_text(n, labels[j]->text);
			if (*labels[j]->lang)
				xmlNodeSetLang(
					n, (const xmlChar *)labels[j]->lang);
			after = n;
		}
		md_concept_release(&c);
	}
	if (rc == 0 && !used_node) {
		/* Every replacement label is already there: drop the old
		 * value. */
		xmlUnlinkNode(t->node);
		xmlFreeNode(t->node);
	}
	return rc;
}

/* ---- remediation: one object ---- */

struct rrow {
	char *format, *xml;
	int changed;
};

struct remed {
	struct repo *r;
	struct md_vocab *v;
	const struct md_vocab_remediate_opts *o;
	struct langs langs;
	struct md_vocab_audit *audit;
	struct md_vocab_remediate_result *res;
	struct vl_buf detail; /* PREMIS eventDetail */
	struct vl_buf prov;   /* pending vocab_remediations rows */
	struct vl_err *err;
};

struct pending {
	char *format, *field, *original, *lang, *uri, *concept, *repl, *scheme,
		*version;
};

static void
pending_free(struct pending *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(p[i].format);
		free(p[i].field);
		free(p[i].original);
		free(p[i].lang);
		free(p[i].uri);
		free(p[i].concept);
		free(p[i].repl);
		free(p[i].scheme);
		free(p[i].version);
	}
	free(p);
}

static int
remediate_doc(struct remed *rm, const char *oid, int64_t ver, struct rrow *row,
	      struct pending **pend, size_t *npend, int *nchanged)
{
	xmlDocPtr doc = parse_record(row->xml, strlen(row->xml));
	struct terms ts = { 0 };
	size_t i, j;
	int rc;

	if (!doc)
		return 0; /* counted by the audit as unreadable */
	if ((rc = collect(xmlDocGetRootElement(doc), &ts)) < 0) {
		rc = vl_err_set(rm->err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < ts.n; i++) {
		struct assessment a;
		struct change ch[16] = { 0 };
		size_t nrepl;

		if ((rc = assess(rm->v, &ts.t[i], rm->o->scheme_uri, &a,
				 rm->err)) < 0)
			goto out;
		if (!a.finding) {
			assessment_release(&a);
			continue;
		}
		if ((rc = add_finding(rm->audit, rm->v, oid, ver, row->format,
				      &ts.t[i], &a, rm->err)) < 0) {
			assessment_release(&a);
			goto out;
		}
		if (a.reason == MD_FIND_AMBIGUOUS || a.nrepl == 0 ||
		    a.nrepl > 16) {
			rm->res->skipped++;
			assessment_release(&a);
			continue;
		}
		nrepl = a.nrepl;
		rc = ts.t[i].dc ? edit_dc(rm->v, &ts.t[i], &a, &rm->langs, ch,
					  rm->err)
				: edit_mods(rm->v, doc, &ts.t[i], &a,
					    &rm->langs, ch, rm->err);
		for (j = 0; rc == 0 && j < nrepl; j++) {
			struct pending *np =
				reallocarray(*pend, *npend + 1, sizeof(**pend));

			if (!np) {
				rc = vl_err_set(rm->err, VL_E_NOMEM,
						"out of memory");
				break;
			}
			*pend = np;
			np = &np[(*npend)++];
			np->format = sdup(row->format);
			np->field = sdup(ts.t[i].field);
			np->original = sdup(ts.t[i].value);
			np->lang = sdup(ts.t[i].lang);
			np->uri = sdup(ts.t[i].uri);
			np->concept = sdup(a.concept.uri);
			np->repl = sdup(a.repl[j]);
			np->scheme = sdup(a.concept.scheme_uri);
			np->version = sdup(a.concept.scheme_version);
			vl_buf_addf(&rm->detail,
				    "%s %s '%s'%s%s <%s> -> '%s'%s%s <%s> "
				    "(scheme <%s> version %s, %s)\n",
				    row->format, ts.t[i].field, ts.t[i].value,
				    ts.t[i].lang ? "@" : "",
				    ts.t[i].lang ? ts.t[i].lang : "",
				    a.concept.uri,
				    ch[j].after ? ch[j].after : "",
				    ch[j].after_lang && *ch[j].after_lang ? "@"
									  : "",
				    ch[j].after_lang ? ch[j].after_lang : "",
				    a.repl[j],
				    a.concept.scheme_uri ? a.concept.scheme_uri
							 : "?",
				    a.concept.scheme_version
					    ? a.concept.scheme_version
					    : "?",
				    md_finding_reason_name(a.reason));
		}
		for (j = 0; j < 16; j++) {
			free(ch[j].after);
			free(ch[j].after_lang);
		}
		assessment_release(&a);
		if (rc < 0)
			goto out;
		(*nchanged)++;
		row->changed = 1;
	}
	if (row->changed) {
		xmlChar *buf = NULL;
		int len = 0;

		xmlDocDumpMemoryEnc(doc, &buf, &len, "UTF-8");
		if (!buf) {
			rc = vl_err_set(rm->err, VL_E_NOMEM, "out of memory");
			goto out;
		}
		free(row->xml);
		row->xml = strdup((const char *)buf);
		xmlFree(buf);
		if (!row->xml)
			rc = vl_err_set(rm->err, VL_E_NOMEM, "out of memory");
	}
out:
	terms_release(&ts);
	xmlFreeDoc(doc);
	return rc;
}

static int
write_version(struct remed *rm, const char *oid, int64_t ver, struct rrow *rows,
	      size_t nrows, struct pending *pend, size_t npend, int nchanged)
{
	struct repo *r = rm->r;
	sqlite3_stmt *st = NULL;
	char now[VL_TIME_LEN], uuid[37];
	struct repo_event ev = { 0 };
	struct vl_buf od = VL_BUF_INIT, note = VL_BUF_INIT;
	int64_t newv = 0;
	size_t i;
	int rc;

	vl_time_now(now);
	if ((rc = repo_begin(r, rm->err)) < 0)
		return rc;
	/* Re-check inside the lock: another writer may have moved on. */
	if ((rc = repo_prepare(r, &st,
			       "SELECT md_version, (SELECT max(version) FROM"
			       " metadata WHERE object_id = ?1) FROM objects"
			       " WHERE id = ?1",
			       rm->err)) < 0)
		goto fail;
	sqlite3_bind_text(st, 1, oid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW ||
	    sqlite3_column_int64(st, 0) != ver) {
		rc = vl_err_set(rm->err, VL_E_BUSY,
				"object '%s' changed while it was remediated; "
				"run again",
				oid);
		goto fail;
	}
	newv = sqlite3_column_int64(st, 1) + 1;
	sqlite3_finalize(st);
	vl_buf_addf(&note, "vocabulary remediation: %d values", nchanged);
	if ((rc = repo_prepare(
		     r, &st,
		     "INSERT INTO metadata(object_id, version, format,"
		     " xml, created, agent, note) VALUES(?, ?, ?, ?,"
		     " ?, ?, ?)",
		     rm->err)) < 0)
		goto fail;
	for (i = 0; i < nrows; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, oid, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, newv);
		sqlite3_bind_text(st, 3, rows[i].format, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, rows[i].xml, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, "vellum/" VELLUM_VERSION " vocab", -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(st, 7, note.buf, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = repo_db_err(r->db, rm->err, "remediation");
			goto fail;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	/* OAI-PMH 2.0 section 2.7.1: the datestamp is the date of the last
	 * change of the record, so harvesters pick the new version up. */
	if ((rc = repo_prepare(r, &st,
			       "UPDATE objects SET md_version = ?, datestamp ="
			       " max(?, datestamp) WHERE id = ?",
			       rm->err)) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, newv);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, oid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = repo_db_err(r->db, rm->err, "remediation");
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	vl_buf_addf(&od, "metadata version %lld -> %lld; %d values replaced",
		    (long long)ver, (long long)newv, nchanged);
	{
		struct vl_buf d = VL_BUF_INIT;

		vl_buf_addf(&d,
			    "vocabulary remediation (vellum vocab remediate),"
			    " metadata version %lld -> %lld:\n%s",
			    (long long)ver, (long long)newv, rm->detail.buf);
		ev.object_id = oid;
		ev.type = "mem";
		ev.outcome = REPO_SUCCESS;
		ev.detail = d.buf;
		ev.outcome_detail = od.buf;
		rc = repo_event_add(r, &ev, uuid, rm->err);
		vl_buf_release(&d);
		if (rc < 0)
			goto fail;
	}
	if ((rc = repo_prepare(
		     r, &st,
		     "INSERT INTO vocab_remediations(object_id, from_version,"
		     " to_version, format, field, original, original_lang,"
		     " original_uri, fold, concept, replacement, scheme,"
		     " vocab_version, event_uuid, time) VALUES(?, ?, ?, ?, ?,"
		     " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		     rm->err)) < 0)
		goto fail;
	for (i = 0; i < npend; i++) {
		char *fold = NULL;

		if ((rc = md_vocab_normalize(pend[i].original, NULL, &fold,
					     rm->err)) < 0)
			goto fail;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, oid, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, ver);
		sqlite3_bind_int64(st, 3, newv);
		sqlite3_bind_text(st, 4, pend[i].format, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, pend[i].field, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, pend[i].original, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, pend[i].lang, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, pend[i].uri, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, fold, -1, free);
		sqlite3_bind_text(st, 10, pend[i].concept, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 11, pend[i].repl, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 12, pend[i].scheme, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 13, pend[i].version, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 14, uuid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 15, now, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = repo_db_err(r->db, rm->err, "remediation");
			goto fail;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = repo_commit(r, rm->err)) < 0)
		goto fail;
	vl_buf_release(&od);
	vl_buf_release(&note);
	return 0;
fail:
	sqlite3_finalize(st);
	repo_rollback(r);
	vl_buf_release(&od);
	vl_buf_release(&note);
	return rc;
}

static int
remediate_object(struct remed *rm, const char *oid, int64_t ver)
{
	sqlite3_stmt *st = NULL;
	struct rrow *rows = NULL;
	struct pending *pend = NULL;
	size_t nrows = 0, npend = 0, i;
	int rc, nchanged = 0, any = 0;

	vl_buf_reset(&rm->detail);
	if ((rc = repo_prepare(rm->r, &st,
			       "SELECT format, xml FROM metadata WHERE"
			       " object_id = ? AND version = ? ORDER BY format",
			       rm->err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, oid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ver);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rrow *nr = reallocarray(rows, nrows + 1, sizeof(*nr));

		if (!nr) {
			rc = vl_err_set(rm->err, VL_E_NOMEM, "out of memory");
			goto out;
		}
		rows = nr;
		nr[nrows].format =
			sdup((const char *)sqlite3_column_text(st, 0));
		nr[nrows].xml = sdup((const char *)sqlite3_column_text(st, 1));
		nr[nrows].changed = 0;
		nrows++;
		if (!nr[nrows - 1].format || !nr[nrows - 1].xml) {
			rc = vl_err_set(rm->err, VL_E_NOMEM, "out of memory");
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		rc = repo_db_err(rm->r->db, rm->err, "remediation");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (i = 0; i < nrows; i++) {
		if (strcmp(rows[i].format, "mods") &&
		    strcmp(rows[i].format, "oai_dc") &&
		    strcmp(rows[i].format, "dcterms"))
			continue;
		if ((rc = remediate_doc(rm, oid, ver, &rows[i], &pend, &npend,
					&nchanged)) < 0)
			goto out;
		any |= rows[i].changed;
	}
	rc = 0;
	if (!any)
		goto out;
	rm->res->values += nchanged;
	rm->res->objects++;
	if (!rm->o->dry_run)
		rc = write_version(rm, oid, ver, rows, nrows, pend, npend,
				   nchanged);
out:
	sqlite3_finalize(st);
	for (i = 0; i < nrows; i++) {
		free(rows[i].format);
		free(rows[i].xml);
	}
	free(rows);
	pending_free(pend, npend);
	return rc;
}

int
md_vocab_remediate(struct repo *r, const struct md_vocab_remediate_opts *o,
		   struct md_vocab_audit *audit,
		   struct md_vocab_remediate_result *res, struct vl_err *err)
{
	struct remed rm = { 0 };
	struct md_vocab_audit scan;
	char *setting = NULL;
	char **ids = NULL;
	int64_t *vers = NULL;
	size_t nids = 0, i;
	int rc;

	memset(res, 0, sizeof(*res));
	if (audit)
		memset(audit, 0, sizeof(*audit));
	rm.r = r;
	rm.o = o;
	rm.res = res;
	rm.err = err;
	rm.audit = audit;
	vl_buf_init(&rm.detail, 0);
	if (!o->langs && (rc = repo_setting_get(r, MD_VOCAB_LANGS_SETTING,
						&setting, err)) < 0)
		return rc;
	rc = parse_langs(&rm.langs,
			 o->langs  ? o->langs
			 : setting ? setting
				   : "en",
			 err);
	free(setting);
	if (rc < 0)
		return rc;
	/* Which objects have findings: a read-only audit first, so each
	 * object is then rewritten in its own short transaction. */
	if ((rc = md_vocab_audit(r, o->scheme_uri, &scan, err)) < 0)
		return rc;
	for (i = 0; i < scan.n; i++) {
		if (nids && !strcmp(ids[nids - 1], scan.f[i].object_id))
			continue;
		{
			char **ni = reallocarray(ids, nids + 1, sizeof(*ni));
			int64_t *nv =
				ni ? reallocarray(vers, nids + 1, sizeof(*nv))
				   : NULL;

			if (ni)
				ids = ni;
			if (!nv) {
				rc = vl_err_set(err, VL_E_NOMEM,
						"out of memory");
				goto out;
			}
			vers = nv;
			ids[nids] = strdup(scan.f[i].object_id);
			vers[nids] = scan.f[i].version;
			nids++;
		}
	}
	if ((rc = md_vocab_open(&rm.v, r, err)) < 0)
		goto out;
	for (i = 0; i < nids; i++)
		if ((rc = remediate_object(&rm, ids[i], vers[i])) < 0)
			goto out;
	rc = 0;
out:
	md_vocab_close(rm.v);
	md_vocab_audit_release(&scan);
	md_strv_free(ids, nids);
	free(vers);
	vl_buf_release(&rm.detail);
	return rc;
}
