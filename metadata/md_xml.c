/*
 * md_xml.c - safe XML input and plain XML output for the metadata module.
 *
 * Input: libxml2's push parser with our own SAX2 handlers that build a
 * light tree (struct md_xnode) one record at a time, so a file of 100,000
 * MODS records is read in constant memory.  Safety (STYLE.md, libxml2
 * README on untrusted input): the only option is XML_PARSE_NONET (plus
 * NO_XXE where libxml2 has it); never NOENT, DTDLOAD, DTDVALID, XINCLUDE
 * or HUGE, so libxml2's default limits stay on.  No handler ever loads or
 * substitutes an entity: a DOCTYPE naming an external subset, and any
 * entity declaration, stop the parse with VL_E_UNSAFE before anything
 * can expand (XXE, billion laughs, external DTD).
 *
 * Memory: nodes inside a record come from one arena reset after each
 * record; nodes outside records (wrappers) own a small arena each and are
 * freed when they end, unless they are direct dc:/dcterms: children of
 * the document element, kept for a simple-DC document whose root is the
 * record.
 *
 * Output: escaping helpers; writers build documents in a struct vl_buf.
 */
#include <stdarg.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "md_private.h"

#define MAX_DEPTH 300
#define CHUNK     65536

/* Namespace URIs come from the parser's dictionary, so the same URI is
 * the same pointer: a few cached pointers spare the string compares. */
struct ns_cache {
	const xmlChar *uri[8];
	unsigned char id[8];
	unsigned next;
};

struct builder {
	struct md_xparse *p;
	struct ns_cache nsc;
	xmlParserCtxtPtr ctxt;
	struct md_arena *rec_arena;
	struct md_xnode *stack[MAX_DEPTH];
	struct vl_buf text[MAX_DEPTH];
	size_t depth;
	struct md_xnode *root, *rec;
	int rc;
	int stopped; /* detection finished */
	struct vl_err err;
	char first_error[200];
	unsigned long first_error_line;
	unsigned long line; /* replaying a tree: the node's line */
};

/* ---- small tree API ---- */

const char *
md_x_attr(const struct md_xnode *n, int ns, const char *name)
{
	unsigned i;

	for (i = 0; i < n->nattrs; i++)
		if (n->attrs[i].ns == ns && n->attrs[i].name[0] == name[0] &&
		    !strcmp(n->attrs[i].name, name))
			return n->attrs[i].value;
	return NULL;
}

int
md_x_is(const struct md_xnode *n, int ns, const char *name)
{
	return n->ns == ns && n->name[0] == name[0] && !strcmp(n->name, name);
}

const char *
md_x_xml_lang(const struct md_xnode *n)
{
	const char *v;

	for (; n; n = n->parent)
		if ((v = md_x_attr(n, MD_NS_XML, "lang")))
			return v;
	return NULL;
}

const char *
md_x_ns_lookup(const struct md_xnode *n, const char *prefix)
{
	unsigned i;

	for (; n; n = n->parent)
		for (i = 0; i < n->nnsdecls; i++)
			if (!strcmp(n->nsdecls[i].prefix, prefix))
				return n->nsdecls[i].uri;
	if (!strcmp(prefix, "xml"))
		return MD_URI_XML;
	return NULL;
}

size_t
md_x_count(const struct md_xnode *n)
{
	size_t c = 0;

	for (n = n->child; n; n = n->next)
		c++;
	return c;
}

static unsigned char ns_lookup(const xmlChar *uri);

static unsigned char
ns_id_cached(struct ns_cache *c, const xmlChar *uri)
{
	unsigned i;

	for (i = 0; i < 8; i++)
		if (c->uri[i] == uri && uri)
			return c->id[i];
	i = c->next++ % 8;
	c->uri[i] = uri;
	c->id[i] = ns_lookup(uri);
	return c->id[i];
}

static unsigned char
ns_lookup(const xmlChar *uri)
{
	const char *u = (const char *)uri;

	if (!u || !*u)
		return MD_NS_NONE;
	if (!strcmp(u, MD_URI_MODS))
		return MD_NS_MODS;
	if (!strcmp(u, MD_URI_DC))
		return MD_NS_DC;
	if (!strcmp(u, MD_URI_DCTERMS))
		return MD_NS_DCTERMS;
	if (!strcmp(u, MD_URI_OAI_DC))
		return MD_NS_OAI_DC;
	if (!strcmp(u, MD_URI_XSI))
		return MD_NS_XSI;
	if (!strcmp(u, MD_URI_XLINK))
		return MD_NS_XLINK;
	if (!strcmp(u, MD_URI_XML))
		return MD_NS_XML;
	if (!strcmp(u, MD_URI_OAI_PMH))
		return MD_NS_OAI_PMH;
	return MD_NS_OTHER;
}

/* ---- SAX handlers ---- */

static void fail(struct builder *b, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
fail(struct builder *b, int code, const char *fmt, ...)
{
	va_list ap;

	if (b->rc)
		return;
	b->rc = code;
	b->err.code = code;
	va_start(ap, fmt);
	vsnprintf(b->err.msg, sizeof(b->err.msg), fmt, ap);
	va_end(ap);
	xmlStopParser(b->ctxt);
}

static unsigned long
cur_line(struct builder *b)
{
	return b->ctxt && b->ctxt->input ? (unsigned long)b->ctxt->input->line
					 : b->line;
}

static void
on_internal_subset(void *ud, const xmlChar *name, const xmlChar *ext_id,
		   const xmlChar *sys_id)
{
	struct builder *b = ud;

	(void)name;
	if (ext_id || sys_id)
		fail(b, VL_E_UNSAFE,
		     "'%s' line %lu: refused: the document type declaration "
		     "names an external DTD ('%s'); external DTDs are never "
		     "loaded",
		     b->p->name, cur_line(b),
		     (const char *)(sys_id ? sys_id : ext_id));
}

static void
on_entity_decl(void *ud, const xmlChar *name, int type,
	       const xmlChar *public_id, const xmlChar *system_id,
	       xmlChar *content)
{
	struct builder *b = ud;

	(void)type;
	(void)public_id;
	(void)content;
	fail(b, VL_E_UNSAFE,
	     "'%s' line %lu: refused: the DTD declares %s entity '%s'; "
	     "documents declaring entities are rejected (XXE, entity "
	     "expansion)",
	     b->p->name, cur_line(b), system_id ? "the external" : "the",
	     (const char *)name);
}

static void
on_unparsed_entity(void *ud, const xmlChar *name, const xmlChar *public_id,
		   const xmlChar *system_id, const xmlChar *notation)
{
	(void)notation;
	on_entity_decl(ud, name, 0, public_id, system_id, NULL);
}

static void
on_external_subset(void *ud, const xmlChar *name, const xmlChar *ext_id,
		   const xmlChar *sys_id)
{
	if (ext_id || sys_id)
		on_internal_subset(ud, name, ext_id, sys_id);
}

static xmlEntityPtr
on_get_entity(void *ud, const xmlChar *name)
{
	(void)ud;
	(void)name;
	return NULL;
}

static xmlParserInputPtr
on_resolve_entity(void *ud, const xmlChar *public_id, const xmlChar *sys_id)
{
	struct builder *b = ud;

	(void)public_id;
	fail(b, VL_E_UNSAFE, "'%s' line %lu: refused to load '%s'", b->p->name,
	     cur_line(b), sys_id ? (const char *)sys_id : "?");
	return NULL;
}

static void
on_reference(void *ud, const xmlChar *name)
{
	struct builder *b = ud;

	fail(b, VL_E_UNSAFE, "'%s' line %lu: refused entity reference '&%s;'",
	     b->p->name, cur_line(b), (const char *)name);
}

static void
on_serror(void *ud, xmlErrorPtr e)
{
	struct builder *b = ud;
	size_t n;

	if (!e || e->level < XML_ERR_ERROR || b->first_error[0])
		return;
	snprintf(b->first_error, sizeof(b->first_error), "%s",
		 e->message ? e->message : "malformed XML");
	n = strlen(b->first_error);
	while (n &&
	       (b->first_error[n - 1] == '\n' || b->first_error[n - 1] == ' '))
		b->first_error[--n] = '\0';
	b->first_error_line = (unsigned long)e->line;
}

static int
is_record_root(struct builder *b, unsigned char ns, const char *name)
{
	switch (b->p->records) {
	case MD_XREC_MODS: return ns == MD_NS_MODS && !strcmp(name, "mods");
	case MD_XREC_DC:
	case MD_XREC_ANY_DC:
		return (ns == MD_NS_OAI_DC && !strcmp(name, "dc")) ||
		       (ns == MD_NS_NONE && !strcmp(name, "qualifieddc"));
	case MD_XREC_ROOT: return b->depth == 0;
	}
	return 0;
}

static void
free_outer(struct md_xnode *n)
{
	struct md_xnode *c, *next;

	if (!n || !n->own)
		return;
	for (c = n->child; c; c = next) {
		next = c->next;
		free_outer(c);
	}
	md_arena_free(n->own);
}

/* Copies an attribute value, turning the "&#38;" libxml2 leaves for the
 * tree builder (when entities are not substituted) back into "&". */
static char *
copy_attr_value(struct md_arena *a, const xmlChar *v, const xmlChar *end)
{
	size_t n = (size_t)(end - v), i, j;
	char *s = md_arena_strndup(a, (const char *)v, n);

	if (!s || !memchr(s, '&', n))
		return s;
	for (i = j = 0; i < n; j++) {
		if (!strncmp(s + i, "&#38;", 5)) {
			s[j] = '&';
			i += 5;
		} else {
			s[j] = s[i++];
		}
	}
	s[j] = '\0';
	return s;
}

static void
detect_stop(struct builder *b, unsigned char ns, const char *name)
{
	b->p->found_ns = ns;
	snprintf(b->p->found_name, sizeof(b->p->found_name), "%s", name);
	b->stopped = 1;
	xmlStopParser(b->ctxt);
}

static void
on_start(void *ud, const xmlChar *localname, const xmlChar *prefix,
	 const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
	 int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	struct builder *b = ud;
	struct md_xnode *n, *parent = b->depth ? b->stack[b->depth - 1] : NULL;
	struct md_arena *a;
	unsigned char ns = ns_id_cached(&b->nsc, uri);
	const char *name = (const char *)localname;
	int starts_record = 0, i;

	(void)prefix;
	(void)nb_defaulted;
	if (b->rc || b->stopped)
		return;
	if (b->depth >= MAX_DEPTH) {
		fail(b, VL_E_FORMAT, "'%s' line %lu: elements nested too deep",
		     b->p->name, cur_line(b));
		return;
	}
	if (b->depth == 0) {
		snprintf(b->p->root_name, sizeof(b->p->root_name), "%s", name);
		b->p->root_ns = ns;
	}
	if (!b->rec)
		starts_record = is_record_root(b, ns, name);
	if (b->p->detect &&
	    ((ns == MD_NS_MODS &&
	      (!strcmp(name, "mods") || !strcmp(name, "modsCollection"))) ||
	     (ns == MD_NS_OAI_DC && !strcmp(name, "dc")) ||
	     (ns == MD_NS_NONE && !strcmp(name, "qualifieddc")) ||
	     (b->depth == 1 && (ns == MD_NS_DC || ns == MD_NS_DCTERMS)))) {
		detect_stop(b, ns, name);
		return;
	}
	if (b->rec || starts_record) {
		a = b->rec_arena;
	} else {
		if (!(a = md_arena_new(0))) {
			fail(b, VL_E_NOMEM, "out of memory");
			return;
		}
	}
	if (!(n = md_arena_alloc(a, sizeof(*n)))) {
		fail(b, VL_E_NOMEM,
		     "'%s' line %lu: record larger than %zu bytes", b->p->name,
		     cur_line(b), b->p->max_record);
		if (!b->rec && !starts_record)
			md_arena_free(a);
		return;
	}
	memset(n, 0, sizeof(*n));
	n->own = (b->rec || starts_record) ? NULL : a;
	n->ns = ns;
	n->line = cur_line(b);
	n->parent = parent;
	n->text = "";
	/* Names and namespace URIs live in the parser's dictionary until
	 * the parse ends: no copy. */
	n->name = name;
	n->uri = uri ? (const char *)uri : "";
	if (nb_attributes > 0) {
		n->attrs = md_arena_alloc(a, (size_t)nb_attributes *
						     sizeof(*n->attrs));
		if (!n->attrs)
			goto nomem;
		for (i = 0; i < nb_attributes; i++) {
			const xmlChar **at = attributes + 5 * i;
			struct md_xattr *x = &n->attrs[n->nattrs];

			x->ns = ns_id_cached(&b->nsc, at[2]);
			x->name = (const char *)at[0];
			x->value = copy_attr_value(a, at[3], at[4]);
			if (!x->value)
				goto nomem;
			if ((x->ns == MD_NS_XML && !strcmp(x->name, "lang")) ||
			    (x->ns == MD_NS_NONE &&
			     (!strcmp(x->name, "lang") ||
			      !strcmp(x->name, "script") ||
			      !strcmp(x->name, "transliteration"))))
				n->langish = 1;
			n->nattrs++;
		}
	}
	if (nb_namespaces > 0) {
		n->nsdecls = md_arena_alloc(a, (size_t)nb_namespaces *
						       sizeof(*n->nsdecls));
		if (!n->nsdecls)
			goto nomem;
		for (i = 0; i < nb_namespaces; i++) {
			const xmlChar *pfx = namespaces[2 * i];
			const xmlChar *u = namespaces[2 * i + 1];
			struct md_xnsdecl *x = &n->nsdecls[n->nnsdecls];

			x->prefix = pfx ? (const char *)pfx : "";
			x->uri = u ? (const char *)u : "";
			n->nnsdecls++;
		}
	}
	if (starts_record) {
		b->rec = n;
	} else if (b->rec) {
		/* inside a record: link into the tree */
		if (parent->last)
			parent->last->next = n;
		else
			parent->child = n;
		parent->last = n;
	} else if (parent && ((parent == b->root &&
			       (ns == MD_NS_DC || ns == MD_NS_DCTERMS)) ||
			      parent->kept)) {
		n->kept = 1;
		if (parent->last)
			parent->last->next = n;
		else
			parent->child = n;
		parent->last = n;
	}
	if (b->depth == 0)
		b->root = n;
	vl_buf_reset(&b->text[b->depth]);
	b->text[b->depth].max = b->p->max_record;
	b->stack[b->depth++] = n;
	return;
nomem:
	if (n->own)
		md_arena_free(n->own);
	fail(b, VL_E_NOMEM, "'%s' line %lu: record larger than %zu bytes",
	     b->p->name, cur_line(b), b->p->max_record);
}

static void
on_chars(void *ud, const xmlChar *ch, int len)
{
	struct builder *b = ud;
	struct md_xnode *n;

	if (b->rc || b->stopped || !b->depth)
		return;
	n = b->stack[b->depth - 1];
	if (!b->rec && !n->kept)
		return; /* text outside records is not needed */
	if (vl_buf_add(&b->text[b->depth - 1], ch, (size_t)len) < 0)
		fail(b, VL_E_NOMEM, "'%s' line %lu: text larger than %zu bytes",
		     b->p->name, cur_line(b), b->p->max_record);
}

static void
on_end(void *ud, const xmlChar *localname, const xmlChar *prefix,
       const xmlChar *uri)
{
	struct builder *b = ud;
	struct md_xnode *n;
	struct vl_buf *t;
	int rc;

	(void)localname;
	(void)prefix;
	(void)uri;
	if (b->rc || b->stopped || !b->depth)
		return;
	n = b->stack[--b->depth];
	t = &b->text[b->depth];
	if (t->len) {
		/* Stored trimmed of XML white space: every reader wants it so,
		 * and container elements then hold no text. */
		const char *start = t->buf;
		size_t len = t->len;
		char *s = NULL;

		md_trim(&start, &len);
		if (len &&
		    !(s = md_arena_strndup(n->own ? n->own : b->rec_arena,
					   start, len))) {
			fail(b, VL_E_NOMEM,
			     "'%s' line %lu: record larger than %zu bytes",
			     b->p->name, cur_line(b), b->p->max_record);
			return;
		}
		n->text = s ? s : "";
		n->text_len = len;
		vl_buf_reset(t);
	}
	if (n == b->rec) {
		b->rec = NULL;
		b->p->count++;
		rc = b->p->on_record ? b->p->on_record(b->p->ctx, n) : 0;
		md_arena_reset(b->rec_arena);
		if (n == b->root)
			b->root = NULL;
		if (rc < 0)
			fail(b, rc, "stopped");
		return;
	}
	if (n == b->root) {
		/* A simple-DC document whose root holds dc:* elements. */
		if ((b->p->records == MD_XREC_DC ||
		     b->p->records == MD_XREC_ANY_DC) &&
		    !b->p->count && n->child) {
			b->p->count++;
			rc = b->p->on_record ? b->p->on_record(b->p->ctx, n)
					     : 0;
			if (rc < 0)
				fail(b, rc, "stopped");
		}
		free_outer(n);
		b->root = NULL;
		return;
	}
	if (!b->rec && n->own && !n->kept)
		md_arena_free(n->own);
}

static void
init_sax(xmlSAXHandler *sax)
{
	memset(sax, 0, sizeof(*sax));
	sax->initialized = XML_SAX2_MAGIC;
	sax->internalSubset = on_internal_subset;
	sax->externalSubset = on_external_subset;
	sax->entityDecl = on_entity_decl;
	sax->unparsedEntityDecl = on_unparsed_entity;
	sax->getEntity = on_get_entity;
	sax->getParameterEntity = on_get_entity;
	sax->resolveEntity = on_resolve_entity;
	sax->reference = on_reference;
	sax->startElementNs = on_start;
	sax->endElementNs = on_end;
	sax->characters = on_chars;
	sax->ignorableWhitespace = on_chars;
	sax->cdataBlock = on_chars;
	sax->serror = on_serror;
}

static int
parse_options(void)
{
	int o = XML_PARSE_NONET;

#if LIBXML_VERSION >= 21300
	o |= XML_PARSE_NO_XXE;
#endif
	return o;
}

/* The builder without a parser (md_xml_parse_node), or before one. */
static int
builder_init(struct builder *b, struct md_xparse *p)
{
	size_t i;

	memset(b, 0, sizeof(*b));
	b->p = p;
	p->count = 0;
	p->root_name[0] = '\0';
	p->root_ns = 0;
	p->found_ns = 0;
	p->found_name[0] = '\0';
	if (!p->max_record)
		p->max_record = MD_MAX_RECORD;
	for (i = 0; i < MAX_DEPTH; i++)
		vl_buf_init(&b->text[i], p->max_record);
	if (!(b->rec_arena = md_arena_new(p->max_record)))
		return b->rc = vl_err_set(&b->err, VL_E_NOMEM, "out of memory");
	return 0;
}

static int
builder_begin(struct builder *b, struct md_xparse *p, const char *first,
	      size_t n)
{
	xmlSAXHandler sax;
	int rc;

	if ((rc = builder_init(b, p)) < 0)
		return rc;
	init_sax(&sax);
	b->ctxt = xmlCreatePushParserCtxt(&sax, b, first, (int)n, p->name);
	if (!b->ctxt)
		return b->rc = vl_err_set(&b->err, VL_E_NOMEM,
					  "cannot create an XML parser");
	xmlCtxtUseOptions(b->ctxt, parse_options());
	return 0;
}

static int
builder_end(struct builder *b, struct vl_err *err)
{
	int rc = b->rc;
	size_t i;

	if (!rc && !b->stopped && b->ctxt && !b->ctxt->wellFormed) {
		rc = VL_E_FORMAT;
		vl_err_set(&b->err, rc, "'%s' line %lu: malformed XML: %s",
			   b->p->name,
			   b->first_error_line ? b->first_error_line
					       : cur_line(b),
			   b->first_error[0] ? b->first_error : "parse error");
	}
	if (!rc && !b->stopped && b->depth)
		rc = vl_err_set(&b->err, VL_E_FORMAT,
				"'%s': malformed XML: document ends early",
				b->p->name);
	if (rc && err)
		*err = b->err;
	/* Outer nodes still open after an error. */
	while (b->depth) {
		struct md_xnode *n = b->stack[--b->depth];

		if (n->own && !n->kept && n != b->root)
			md_arena_free(n->own);
	}
	if (b->root)
		free_outer(b->root); /* with the kept nodes under it */
	if (b->ctxt) {
		/* libxml2 builds a document of its own for entity
		 * declarations even in SAX mode ("expat compatibility"). */
		if (b->ctxt->myDoc)
			xmlFreeDoc(b->ctxt->myDoc);
		xmlFreeParserCtxt(b->ctxt);
	}
	md_arena_free(b->rec_arena);
	for (i = 0; i < MAX_DEPTH; i++)
		vl_buf_release(&b->text[i]);
	return rc;
}

/* Feeds one chunk; 0 to go on, 1 when stopped (detection), <0 error. */
static int
feed(struct builder *b, const char *buf, size_t n, int last)
{
	xmlParseChunk(b->ctxt, buf, (int)n, last);
	if (b->rc)
		return b->rc;
	if (b->stopped)
		return 1;
	if (!b->ctxt->wellFormed || b->ctxt->disableSAX)
		return VL_E_FORMAT;
	return 0;
}

int
md_xml_parse_mem(struct md_xparse *p, const char *buf, size_t len,
		 struct vl_err *err)
{
	struct builder *b;
	size_t first = len < 4 ? len : 4, off;
	int rc;

	if (len > MD_MAX_INPUT)
		return vl_err_set(err, VL_E_NOMEM,
				  "'%s' is larger than %zu MiB", p->name,
				  MD_MAX_INPUT >> 20);
	if (!(b = malloc(sizeof(*b))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if ((rc = builder_begin(b, p, buf, first)) < 0)
		goto out;
	rc = 0;
	for (off = first; off < len && !rc; off += CHUNK) {
		size_t n = len - off < CHUNK ? len - off : CHUNK;

		rc = feed(b, buf + off, n, 0);
	}
	if (!rc)
		rc = feed(b, NULL, 0, 1);
out:
	rc = builder_end(b, err);
	free(b);
	return rc;
}

/* ---- a tree libxml2 already built ---- */

/* One element given to the handlers as SAX2 would: its namespace
 * declarations as (prefix, URI) pairs and its attributes as (local name,
 * prefix, URI, value, end) quintuples. */
static void
replay_start(struct builder *b, xmlNodePtr n)
{
	const xmlChar **ns = NULL, **attrs = NULL;
	xmlChar **values = NULL;
	int nns = 0, na = 0, i;
	xmlAttrPtr a;
	xmlNsPtr d;

	for (d = n->nsDef; d; d = d->next)
		nns++;
	for (a = n->properties; a; a = a->next)
		na++;
	if ((nns && !(ns = calloc((size_t)nns * 2, sizeof(*ns)))) ||
	    (na && (!(attrs = calloc((size_t)na * 5, sizeof(*attrs))) ||
		    !(values = calloc((size_t)na, sizeof(*values)))))) {
		fail(b, VL_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0, d = n->nsDef; d; d = d->next, i++) {
		ns[2 * i] = d->prefix;
		ns[2 * i + 1] = d->href;
	}
	for (i = 0, a = n->properties; a; a = a->next, i++) {
		values[i] = xmlNodeListGetString(n->doc, a->children, 1);
		if (!values[i] && !(values[i] = xmlStrdup(BAD_CAST ""))) {
			fail(b, VL_E_NOMEM, "out of memory");
			goto out;
		}
		attrs[5 * i] = a->name;
		attrs[5 * i + 1] = a->ns ? a->ns->prefix : NULL;
		attrs[5 * i + 2] = a->ns ? a->ns->href : NULL;
		attrs[5 * i + 3] = values[i];
		attrs[5 * i + 4] = values[i] + xmlStrlen(values[i]);
	}
	b->line = (unsigned long)xmlGetLineNo(n);
	on_start(b, n->name, n->ns ? n->ns->prefix : NULL,
		 n->ns ? n->ns->href : NULL, nns, ns, na, 0, attrs);
out:
	for (i = 0; values && i < na; i++)
		xmlFree(values[i]);
	free(values);
	free(attrs);
	free(ns);
}

/* Depth is bounded by the tree libxml2 built (its own nesting limit)
 * and by on_start, which refuses more than MAX_DEPTH. */
static void
replay(struct builder *b, xmlNodePtr n)
{
	xmlNodePtr c;

	replay_start(b, n);
	for (c = n->children; c && !b->rc && !b->stopped; c = c->next) {
		if (c->type == XML_ELEMENT_NODE)
			replay(b, c);
		else if ((c->type == XML_TEXT_NODE ||
			  c->type == XML_CDATA_SECTION_NODE) &&
			 c->content)
			on_chars(b, c->content, xmlStrlen(c->content));
	}
	if (!b->rc && !b->stopped)
		on_end(b, n->name, n->ns ? n->ns->prefix : NULL,
		       n->ns ? n->ns->href : NULL);
}

int
md_xml_parse_node(struct md_xparse *p, xmlNodePtr root, struct vl_err *err)
{
	struct builder *b;
	int rc;

	if (!(b = malloc(sizeof(*b))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if (builder_init(b, p) == 0)
		replay(b, root);
	rc = builder_end(b, err);
	free(b);
	return rc;
}

int
md_xml_parse_file(struct md_xparse *p, const char *pre, size_t prelen, FILE *in,
		  struct vl_err *err)
{
	struct builder *b;
	char *buf;
	size_t n, first;
	int rc;

	if (!(buf = malloc(CHUNK)))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if (!(b = malloc(sizeof(*b)))) {
		free(buf);
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	}
	if (prelen) {
		first = prelen < 4 ? prelen : 4;
		rc = builder_begin(b, p, pre, first);
		if (!rc && prelen > first)
			rc = feed(b, pre + first, prelen - first, 0);
	} else {
		n = fread(buf, 1, 4, in);
		rc = builder_begin(b, p, buf, n);
	}
	if (rc < 0)
		goto out;
	while (!rc && (n = fread(buf, 1, CHUNK, in)) > 0)
		rc = feed(b, buf, n, 0);
	if (!rc && ferror(in))
		rc = b->rc = vl_err_sys(&b->err, VL_E_IO, "cannot read '%s'",
					p->name);
	if (!rc)
		rc = feed(b, NULL, 0, 1);
out:
	rc = builder_end(b, err);
	free(b);
	free(buf);
	return rc;
}

/* ---- output ---- */

static int
escape(struct vl_buf *b, const char *s, int attr)
{
	const char *stop = attr ? "<>&\r\"\n\t" : "<>&\r";
	int rc;

	for (;;) {
		size_t run = strcspn(s, stop); /* the common case: all */
		const char *rep;

		if (run && (rc = vl_buf_add(b, s, run)) < 0)
			return rc;
		s += run;
		switch (*s) {
		case '\0': return 0;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '&': rep = "&amp;"; break;
		case '\r': rep = "&#13;"; break;
		case '"': rep = "&quot;"; break;
		case '\n': rep = "&#10;"; break;
		default: rep = "&#9;"; break;
		}
		if ((rc = vl_buf_adds(b, rep)) < 0)
			return rc;
		s++;
	}
}

int
md_xw_text(struct vl_buf *b, const char *s)
{
	return escape(b, s, 0);
}

int
md_xw_attr(struct vl_buf *b, const char *name, const char *value)
{
	int rc;

	if (!value)
		return 0;
	if ((rc = vl_buf_addch(b, ' ')) < 0 ||
	    (rc = vl_buf_adds(b, name)) < 0 ||
	    (rc = vl_buf_add(b, "=\"", 2)) < 0 ||
	    (rc = escape(b, value, 1)) < 0)
		return rc;
	return vl_buf_addch(b, '"');
}

int
md_xw_elem(struct vl_buf *b, int indent, const char *name, const char *text,
	   ...)
{
	va_list ap;
	const char *an, *av;
	int rc = 0, i;

	for (i = 0; i < indent && !rc; i++)
		rc = vl_buf_add(b, "  ", 2);
	if (rc || (rc = vl_buf_addch(b, '<')) < 0 ||
	    (rc = vl_buf_adds(b, name)) < 0)
		return rc;
	va_start(ap, text);
	while ((an = va_arg(ap, const char *))) {
		av = va_arg(ap, const char *);
		if ((rc = md_xw_attr(b, an, av)) < 0)
			break;
	}
	va_end(ap);
	if (rc < 0)
		return rc;
	if (!text || !*text)
		return vl_buf_add(b, "/>\n", 3);
	if ((rc = vl_buf_addch(b, '>')) < 0 || (rc = md_xw_text(b, text)) < 0 ||
	    (rc = vl_buf_add(b, "</", 2)) < 0 ||
	    (rc = vl_buf_adds(b, name)) < 0)
		return rc;
	return vl_buf_add(b, ">\n", 2);
}
