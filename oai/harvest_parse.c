/*
 * harvest_parse.c - reading OAI-PMH responses from other repositories,
 * which are untrusted input: libxml2's xmlReader with XML_PARSE_NONET
 * and nothing that loads or substitutes (no NOENT, DTDLOAD, HUGE), after
 * hv_prolog_check() has refused any DOCTYPE, so no entity can ever be
 * declared.  Records are streamed: each <record> is expanded alone,
 * handed to the caller and freed before the next is read, so memory
 * stays flat whatever the page size.
 *
 * Also here: the provenance description of a harvested record
 * (provenance.xsd; OAI-PMH 2.0 §2.5 and the provenance guidelines),
 * including the source's own originDescription nested inside ours.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "harvest_impl.h"

#define MAX_SETS 256

/* ---- before the parser: the prolog ---- */

static int
starts(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(end - p) >= n && !memcmp(p, s, n);
}

static int
starts_ci(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(end - p) >= n && !strncasecmp(p, s, n);
}

/* A readable excerpt of untrusted bytes for a message. */
static void
excerpt(char *out, size_t n, const char *p, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < n && o < 40; i++)
		out[o++] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '.';
	out[o] = '\0';
}

int
hv_prolog_check(const char *buf, size_t len, int at_eof, struct vl_err *err)
{
	const char *p = buf, *end = buf + len, *q;
	char ex[48];

	if (len >= 2 &&
	    (((unsigned char)buf[0] == 0xFE && (unsigned char)buf[1] == 0xFF) ||
	     ((unsigned char)buf[0] == 0xFF && (unsigned char)buf[1] == 0xFE)))
		return vl_err_set(err, VL_E_FORMAT,
				  "the response is UTF-16; OAI-PMH responses "
				  "are UTF-8 (section 3.2)");
	if (starts(p, end, "\xEF\xBB\xBF"))
		p += 3;
	for (;;) {
		while (p < end &&
		       (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			p++;
		if (p >= end)
			break;
		if (*p != '<') {
			excerpt(ex, sizeof(ex), p, (size_t)(end - p));
			return vl_err_set(err, VL_E_FORMAT,
					  "not XML: the response starts with "
					  "'%s'",
					  ex);
		}
		if (end - p < 2 && !at_eof)
			break;
		if (starts(p, end, "<?")) {
			if (!(q = memmem(p, (size_t)(end - p), "?>", 2)))
				break;
			p = q + 2;
			continue;
		}
		if (starts(p, end, "<!--")) {
			if (!(q = memmem(p, (size_t)(end - p), "-->", 3)))
				break;
			p = q + 3;
			continue;
		}
		if (p + 1 < end && p[1] == '!') {
			/* Enough bytes to tell "<!--" and "<!DOCTYPE html". */
			if (end - p < 14 && !at_eof)
				break;
			if (starts_ci(p, end, "<!DOCTYPE html"))
				return vl_err_set(err, VL_E_FORMAT,
						  "an HTML page, not an "
						  "OAI-PMH response");
			if (starts(p, end, "<!DOCTYPE"))
				return vl_err_set(
					err, VL_E_UNSAFE,
					"the response declares a DTD "
					"(<!DOCTYPE); OAI-PMH responses need "
					"none (section 3.2) and entity "
					"declarations are refused");
		} else if (p + 1 < end &&
			   (isalpha((unsigned char)p[1]) || p[1] == '_' ||
			    (unsigned char)p[1] >= 0x80)) {
			if (end - p < 5 && !at_eof &&
			    (p[1] == 'h' || p[1] == 'H'))
				break;
			if (starts_ci(p, end, "<html"))
				return vl_err_set(err, VL_E_FORMAT,
						  "an HTML page, not an "
						  "OAI-PMH response");
			return 1;
		}
		excerpt(ex, sizeof(ex), p, (size_t)(end - p));
		return vl_err_set(err, VL_E_FORMAT,
				  "not XML: the response starts with '%s'", ex);
	}
	if (at_eof)
		return vl_err_set(err, VL_E_FORMAT,
				  len ? "not XML: the response has no root "
					"element"
				      : "the response is empty");
	if (len > HV_PROLOG_MAX)
		return vl_err_set(err, VL_E_FORMAT,
				  "not XML: no root element in the first %d "
				  "bytes",
				  HV_PROLOG_MAX);
	return 0;
}

/* ---- the reader ---- */

int
hv_parse_options(void)
{
	int o = XML_PARSE_NONET | XML_PARSE_COMPACT | XML_PARSE_NOCDATA;

#if LIBXML_VERSION >= 21300
	o |= XML_PARSE_NO_XXE;
#endif
	return o;
}

void
hv_response_release(struct hv_response *r)
{
	free(r->token);
	free(r->base_url);
	free(r->prefix_ns);
	memset(r, 0, sizeof(*r));
}

struct pctx {
	xmlTextReaderPtr rd;
	struct hv_response *resp;
	const char *want_prefix;
	hv_record_fn *fn;
	void *ctx;
	int have_err;
	int errline;
	char errmsg[200];
	struct vl_buf xml, origin;
};

static void
on_error(void *arg, xmlErrorPtr e)
{
	struct pctx *p = arg;
	size_t n;

	if (!e || e->level < XML_ERR_ERROR || p->have_err)
		return;
	p->have_err = 1;
	p->errline = e->line;
	snprintf(p->errmsg, sizeof(p->errmsg), "%s",
		 e->message ? e->message : "parse error");
	n = strlen(p->errmsg);
	while (n && (p->errmsg[n - 1] == '\n' || p->errmsg[n - 1] == ' '))
		p->errmsg[--n] = '\0';
}

static int
is_oai(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       !strcmp((const char *)n->ns->href, HV_OAI_NS) &&
	       !strcmp((const char *)n->name, name);
}

static xmlNodePtr
first_elem(xmlNodePtr n)
{
	for (n = n ? n->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

static xmlNodePtr
next_elem(xmlNodePtr n)
{
	for (n = n ? n->next : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

/* t without leading and trailing white space, malloc'd ("" for NULL);
 * frees t.  NULL: no memory. */
static char *
trimmed(xmlChar *t)
{
	const char *s = t ? (const char *)t : "";
	size_t len;
	char *out;

	while (*s && isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if ((out = malloc(len + 1))) {
		memcpy(out, s, len);
		out[len] = '\0';
	}
	xmlFree(t);
	return out;
}

/* The trimmed text of n, malloc'd ("" when empty); NULL: no memory. */
static char *
text_of(xmlNodePtr n)
{
	return trimmed(xmlNodeGetContent(n));
}

/* Copies text_of(n) into a fixed buffer (truncated). */
static void
text_into(char *out, size_t n, xmlNodePtr node)
{
	char *t = text_of(node);

	snprintf(out, n, "%s", t ? t : "");
	free(t);
}

/* n as a standalone document element: every namespace it uses, even one
 * declared on an ancestor (xsi on the OAI-PMH root, typically), is
 * declared on the copy (xmlDocCopyNode reconciles them).  The copy is
 * kept in *copy (the caller frees it), so the record can be read from it
 * without parsing the text again. */
static int
serialize(xmlNodePtr n, struct vl_buf *out, xmlDocPtr *copy)
{
	xmlDocPtr d = xmlNewDoc(BAD_CAST "1.0");
	xmlBufferPtr b = NULL;
	xmlNodePtr c;
	int rc = VL_E_NOMEM;

	*copy = NULL;
	vl_buf_reset(out);
	if (!d || !(c = xmlDocCopyNode(n, d, 1)))
		goto out;
	xmlDocSetRootElement(d, c);
	if (!(b = xmlBufferCreate()) || xmlNodeDump(b, d, c, 0, 0) < 0)
		goto out;
	if ((size_t)xmlBufferLength(b) > MD_MAX_RECORD) {
		rc = VL_E_INVAL;
		goto out;
	}
	rc = vl_buf_add(out, xmlBufferContent(b), (size_t)xmlBufferLength(b));
out:
	xmlBufferFree(b);
	if (rc == 0)
		*copy = d;
	else
		xmlFreeDoc(d);
	return rc;
}

static int
is_prov(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       !strcmp((const char *)n->ns->href, HV_PROV_NS) &&
	       !strcmp((const char *)n->name, name);
}

/* Is n an originDescription as provenance.xsd wants it (the attributes
 * and the four children in order, nesting included)?  Only then is it
 * carried into our own provenance, which must stay valid. */
static int
origin_ok(xmlNodePtr n, int depth)
{
	static const char *const kids[] = { "baseURL", "identifier",
					    "datestamp", "metadataNamespace" };
	xmlChar *a, *b;
	xmlNodePtr c;
	size_t i;
	int ok;

	if (depth > 16 || !is_prov(n, "originDescription"))
		return 0;
	a = xmlGetNoNsProp(n, BAD_CAST "harvestDate");
	b = xmlGetNoNsProp(n, BAD_CAST "altered");
	ok = a && b;
	xmlFree(a);
	xmlFree(b);
	c = first_elem(n);
	for (i = 0; ok && i < 4; i++, c = next_elem(c))
		ok = is_prov(c, kids[i]);
	if (ok && c)
		ok = origin_ok(c, depth + 1) && !next_elem(c);
	return ok;
}

static int
record(struct pctx *p, xmlNodePtr n, struct vl_err *err)
{
	struct hv_record rec = { 0 };
	xmlDocPtr copy = NULL, origin;
	xmlNodePtr h = NULL, m = NULL, c, inner;
	char *id = NULL, *ds = NULL, *sets[MAX_SETS];
	xmlChar *status = NULL;
	size_t i, nsets = 0;
	int rc = 0;

	for (c = first_elem(n); c; c = next_elem(c)) {
		if (is_oai(c, "header") && !h) {
			h = c;
		} else if (is_oai(c, "metadata") && !m) {
			m = c;
		} else if (is_oai(c, "about") && !rec.origin) {
			inner = first_elem(c);
			if (is_prov(inner, "provenance") &&
			    origin_ok(first_elem(inner), 0) &&
			    serialize(first_elem(inner), &p->origin, &origin) ==
				    0) {
				rec.origin = p->origin.buf;
				rec.origin_len = p->origin.len;
				xmlFreeDoc(origin);
			}
		}
	}
	if (h) {
		status = xmlGetNoNsProp(h, BAD_CAST "status");
		rec.deleted =
			status && !strcmp((const char *)status, "deleted");
		for (c = first_elem(h); c; c = next_elem(c)) {
			if (is_oai(c, "identifier") && !id)
				id = text_of(c);
			else if (is_oai(c, "datestamp") && !ds)
				ds = text_of(c);
			else if (is_oai(c, "setSpec") && nsets < MAX_SETS &&
				 (sets[nsets] = text_of(c)))
				nsets++;
		}
	}
	rec.identifier = id ? id : "";
	rec.datestamp = ds ? ds : "";
	rec.sets = (const char *const *)sets;
	rec.nsets = nsets;
	rec.ns = "";
	if (!h)
		rec.problem = "a record without a header";
	else if (!*rec.identifier)
		rec.problem = "a record without an identifier";
	else if (!*rec.datestamp)
		rec.problem = "a record without a datestamp";
	else if (!rec.deleted) {
		inner = first_elem(m);
		if (!inner) {
			rec.problem = "a record without metadata";
		} else if (next_elem(inner)) {
			rec.problem = "metadata holding more than one element "
				      "(section 2.5)";
		} else if ((rc = serialize(inner, &p->xml, &copy)) ==
			   VL_E_INVAL) {
			rec.problem = "metadata larger than 16 MiB";
			rc = 0;
		} else if (rc == 0) {
			rec.xml = p->xml.buf;
			rec.len = p->xml.len;
			rec.node = xmlDocGetRootElement(copy);
			if (inner->ns && inner->ns->href)
				rec.ns = (const char *)inner->ns->href;
		}
	}
	if (rc < 0) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	p->resp->records++;
	rc = p->fn ? p->fn(p->ctx, &rec, err) : 0;
out:
	free(id);
	free(ds);
	for (i = 0; i < nsets; i++)
		free(sets[i]);
	xmlFree(status);
	xmlFreeDoc(copy);
	return rc;
}

static void
identify(struct pctx *p, xmlNodePtr n)
{
	struct hv_response *r = p->resp;
	xmlNodePtr c;

	for (c = first_elem(n); c; c = next_elem(c)) {
		if (is_oai(c, "granularity"))
			text_into(r->granularity, sizeof(r->granularity), c);
		else if (is_oai(c, "protocolVersion"))
			text_into(r->protocol, sizeof(r->protocol), c);
		else if (is_oai(c, "deletedRecord"))
			text_into(r->deleted_record, sizeof(r->deleted_record),
				  c);
		else if (is_oai(c, "earliestDatestamp"))
			text_into(r->earliest, sizeof(r->earliest), c);
		else if (is_oai(c, "baseURL") && !r->base_url)
			r->base_url = text_of(c);
	}
}

static void
formats(struct pctx *p, xmlNodePtr n)
{
	struct hv_response *r = p->resp;
	xmlNodePtr c, f;
	char *prefix, *ns;

	for (f = first_elem(n); f; f = next_elem(f)) {
		if (!is_oai(f, "metadataFormat"))
			continue;
		prefix = ns = NULL;
		for (c = first_elem(f); c; c = next_elem(c)) {
			if (is_oai(c, "metadataPrefix") && !prefix)
				prefix = text_of(c);
			else if (is_oai(c, "metadataNamespace") && !ns)
				ns = text_of(c);
		}
		if (prefix && p->want_prefix &&
		    !strcmp(prefix, p->want_prefix) && !r->prefix_found) {
			r->prefix_found = 1;
			r->prefix_ns = ns;
			ns = NULL;
		}
		free(prefix);
		free(ns);
	}
}

static int64_t
attr_int(xmlTextReaderPtr rd, const char *name)
{
	xmlChar *v = xmlTextReaderGetAttribute(rd, BAD_CAST name);
	char *end;
	long long x = -1;

	if (v) {
		x = strtoll((const char *)v, &end, 10);
		if (end == (char *)v || *end || x < 0)
			x = -1;
	}
	xmlFree(v);
	return x;
}

static char *
reader_text(xmlTextReaderPtr rd)
{
	return trimmed(xmlTextReaderReadString(rd));
}

static int
parse_failed(struct pctx *p, struct vl_err *err)
{
	if (p->have_err)
		return vl_err_set(err, VL_E_FORMAT,
				  "not well-formed XML at line %d: %s",
				  p->errline, p->errmsg);
	return vl_err_set(err, VL_E_FORMAT, "not well-formed XML");
}

/* The element the reader is on, at depth 1 (children of OAI-PMH). */
static int
top_level(struct pctx *p, const char *name, int *descend, struct vl_err *err)
{
	struct hv_response *r = p->resp;
	xmlNodePtr n;
	char *t;

	*descend = 0;
	if (!strcmp(name, "responseDate")) {
		enum oai_gran g;
		char norm[VL_TIME_LEN];

		if (!(t = reader_text(p->rd)))
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		if (oai_date_parse(t, 0, norm, &g) == 0 &&
		    g == OAI_GRAN_SECONDS)
			snprintf(r->response_date, sizeof(r->response_date),
				 "%s", norm);
		free(t);
		return 0;
	}
	if (!strcmp(name, "error")) {
		xmlChar *code =
			xmlTextReaderGetAttribute(p->rd, BAD_CAST "code");

		if (!r->nerrors++) {
			snprintf(r->error_code, sizeof(r->error_code), "%s",
				 code ? (const char *)code : "?");
			t = reader_text(p->rd);
			snprintf(r->error_msg, sizeof(r->error_msg), "%s",
				 t ? t : "");
			free(t);
		}
		xmlFree(code);
		return 0;
	}
	if (!strcmp(name, "request"))
		return 0;
	snprintf(r->verb, sizeof(r->verb), "%s", name);
	if (!strcmp(name, "ListRecords") || !strcmp(name, "GetRecord")) {
		*descend = 1;
		return 0;
	}
	if (!strcmp(name, "Identify") || !strcmp(name, "ListMetadataFormats")) {
		if (!(n = xmlTextReaderExpand(p->rd)))
			return parse_failed(p, err);
		if (name[0] == 'I')
			identify(p, n);
		else
			formats(p, n);
	}
	return 0;
}

static int
list_child(struct pctx *p, const char *name, int *skipped, struct vl_err *err)
{
	struct hv_response *r = p->resp;
	xmlNodePtr n;
	char *t;
	int rc;

	*skipped = 0;
	if (!strcmp(name, "record")) {
		if (!(n = xmlTextReaderExpand(p->rd)))
			return parse_failed(p, err);
		if ((rc = record(p, n, err)) < 0)
			return rc;
		*skipped = 1;
		return 0;
	}
	if (!strcmp(name, "resumptionToken")) {
		r->has_token = 1;
		r->cursor = attr_int(p->rd, "cursor");
		r->size = attr_int(p->rd, "completeListSize");
		if (!(t = reader_text(p->rd)))
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		free(r->token);
		r->token = NULL;
		if (*t)
			r->token = t;
		else
			free(t);
	}
	return 0;
}

int
hv_parse(xmlTextReaderPtr rd, const char *want_prefix, hv_record_fn *fn,
	 void *ctx, struct hv_response *resp, struct vl_err *err)
{
	struct pctx p = { .rd = rd,
			  .resp = resp,
			  .want_prefix = want_prefix,
			  .fn = fn,
			  .ctx = ctx };
	const char *name, *ns;
	int ret, rc = 0, depth, in_list = 0, seen_root = 0, descend, skipped;

	memset(resp, 0, sizeof(*resp));
	resp->cursor = resp->size = -1;
	vl_buf_init(&p.xml, 0);
	vl_buf_init(&p.origin, 0);
	xmlTextReaderSetStructuredErrorHandler(rd, on_error, &p);
	ret = xmlTextReaderRead(rd);
	while (ret == 1) {
		skipped = 0;
		if (xmlTextReaderNodeType(rd) != XML_READER_TYPE_ELEMENT)
			goto next;
		depth = xmlTextReaderDepth(rd);
		name = (const char *)xmlTextReaderConstLocalName(rd);
		ns = (const char *)xmlTextReaderConstNamespaceUri(rd);
		if (!name)
			goto next;
		if (depth == 0) {
			if (!ns || strcmp(ns, HV_OAI_NS) ||
			    strcmp(name, "OAI-PMH")) {
				rc = vl_err_set(err, VL_E_FORMAT,
						"not an OAI-PMH response: the "
						"root element is '%.60s'%s",
						name,
						!strcasecmp(name, "html")
							? " (an HTML page)"
							: "");
				goto out;
			}
			seen_root = 1;
		} else if (depth == 1) {
			in_list = 0;
			if (!ns || strcmp(ns, HV_OAI_NS)) {
				ret = xmlTextReaderNext(rd);
				continue;
			}
			if ((rc = top_level(&p, name, &descend, err)) < 0)
				goto out;
			in_list = descend;
			if (!descend && strcmp(name, "responseDate") &&
			    strcmp(name, "error") && strcmp(name, "request")) {
				ret = xmlTextReaderNext(rd);
				continue;
			}
		} else if (depth == 2 && in_list && ns &&
			   !strcmp(ns, HV_OAI_NS)) {
			if ((rc = list_child(&p, name, &skipped, err)) < 0)
				goto out;
			if (skipped) {
				ret = xmlTextReaderNext(rd);
				continue;
			}
		}
	next:
		ret = xmlTextReaderRead(rd);
	}
	if (ret < 0 || p.have_err) {
		rc = parse_failed(&p, err);
		goto out;
	}
	if (!seen_root)
		rc = vl_err_set(err, VL_E_FORMAT, "the response is empty");
out:
	vl_buf_release(&p.xml);
	vl_buf_release(&p.origin);
	return rc;
}

/* ---- provenance ---- */

static int
add_elem(struct vl_buf *out, const char *name, const char *text)
{
	if (vl_buf_addf(out, "<%s>", name) < 0 ||
	    oai_xml_escape(out, text, strlen(text)) < 0 ||
	    vl_buf_addf(out, "</%s>", name) < 0)
		return VL_E_NOMEM;
	return 0;
}

int
oai_provenance_xml(struct vl_buf *out, const struct oai_provenance *p)
{
	if (vl_buf_adds(out,
			"<provenance xmlns=\"" HV_PROV_NS
			"\" xmlns:xsi=\"http://www.w3.org/2001/"
			"XMLSchema-instance\" xsi:schemaLocation=\"" HV_PROV_NS
			" " HV_PROV_SCHEMA "\"><originDescription "
			"harvestDate=\"") < 0 ||
	    oai_xml_escape(out, p->harvest_date, strlen(p->harvest_date)) < 0 ||
	    vl_buf_addf(out, "\" altered=\"%s\">",
			p->altered ? "true" : "false") < 0 ||
	    add_elem(out, "baseURL", p->base_url) < 0 ||
	    add_elem(out, "identifier", p->identifier) < 0 ||
	    add_elem(out, "datestamp", p->datestamp) < 0 ||
	    add_elem(out, "metadataNamespace", p->ns) < 0)
		return VL_E_NOMEM;
	/* The guidelines: an earlier harvest's originDescription goes
	 * inside ours, so the chain back to the first source is kept. */
	if (p->origin && p->origin_len &&
	    vl_buf_add(out, p->origin, p->origin_len) < 0)
		return VL_E_NOMEM;
	return vl_buf_adds(out, "</originDescription></provenance>");
}
