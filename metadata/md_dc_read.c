/*
 * md_dc_read.c - simple DC (oai_dc, or any element holding dc:* children)
 * and qualified DC (<qualifieddc> with dc: and dcterms: elements) into the
 * record model: the DC side of the DC -> MODS crosswalk (metadata-notes
 * 2.2).  Both flavours share this reader: a dcterms: element is read as
 * its term wherever it appears.
 *
 * DC carries less than the model can hold, so the reader recovers what
 * the writers encode in plain text: the "isbn: " style identifier prefix
 * LoC's crosswalk adds, a contributor's "(Role)" suffix when it names a
 * MARC relator term, DCMI Type terms (any case), language codes, media
 * types; and xsi:type encoding schemes (DCMI 2008 dcterms.xsd).
 */
#include <string.h>

#include "md_private.h"

static const char *
text_of(struct md_rctx *c, const struct md_xnode *n)
{
	const char *s = n->text;
	size_t len = n->text_len;

	md_trim(&s, &len);
	return md_nfc(c->rec->arena, s, len);
}

/* The local name of an xsi:type in the dcterms namespace, or NULL. */
static const char *
xsi_type(struct md_rctx *c, const struct md_xnode *n)
{
	const char *t = md_x_attr(n, MD_NS_XSI, "type"), *colon, *uri;
	char prefix[64];
	size_t len;

	if (!t)
		return NULL;
	colon = strchr(t, ':');
	len = colon ? (size_t)(colon - t) : 0;
	if (len >= sizeof(prefix)) {
		md_rctx_warn(c, n->line, "xsi:type '%s' dropped", t);
		return NULL;
	}
	memcpy(prefix, t, len);
	prefix[len] = '\0';
	uri = md_x_ns_lookup(n, prefix);
	if (!uri || strcmp(uri, MD_URI_DCTERMS) != 0) {
		md_rctx_warn(c, n->line,
			     "xsi:type '%s' is not a DCMI encoding scheme; "
			     "dropped",
			     t);
		return NULL;
	}
	return colon ? colon + 1 : t;
}

/* Applies an encoding scheme (xsi:type) to v. */
static int
apply_scheme(struct md_rctx *c, struct md_value *v, const char *scheme,
	     unsigned long line)
{
	static const char *const auth[][2] = {
		{ "LCSH", "lcsh" },       { "MESH", "mesh" }, { "DDC", "ddc" },
		{ "LCC", "lcc" },         { "UDC", "udc" },   { "TGN", "tgn" },
		{ "ISO3166", "iso3166" }, { NULL, NULL },
	};
	size_t i;

	if (!strcmp(scheme, "W3CDTF")) {
		v->scheme = "w3cdtf";
		return 0;
	}
	if (!strcmp(scheme, "DCMIType") || !strcmp(scheme, "IMT") ||
	    !strcmp(scheme, "URI") || !strcmp(scheme, "Point") ||
	    !strcmp(scheme, "Box") || !strcmp(scheme, "Period"))
		return md_rec_set(c->rec, &v->scheme, scheme);
	if (!strcmp(scheme, "RFC4646") || !strcmp(scheme, "RFC3066") ||
	    !strcmp(scheme, "RFC1766") || !strcmp(scheme, "RFC5646") ||
	    !strcmp(scheme, "ISO639-2") || !strcmp(scheme, "ISO639-3"))
		return 0; /* language codes: handled with the value */
	for (i = 0; auth[i][0]; i++)
		if (!strcmp(scheme, auth[i][0])) {
			v->authority = auth[i][1];
			if (i >= 2 && i <= 4 && v->element == MD_E_SUBJECT &&
			    !md_rec_part(c->rec, v, "classification", NULL,
					 v->text))
				return VL_E_NOMEM;
			return 0;
		}
	md_rctx_warn(c, line, "encoding scheme dcterms:%s dropped", scheme);
	return 0;
}

/* "Name (Illustrator, Translator)": roles when every term in the final
 * parentheses is a MARC relator term (LoC's crosswalk appends them). */
static int
split_roles(struct md_rctx *c, struct md_value *v)
{
	const char *t = v->text, *open;
	size_t len = strlen(t);
	char buf[256], *p, *save = NULL, *tok;
	const char *codes[8];
	size_t n = 0, i;

	if (len < 4 || t[len - 1] != ')' || !(open = strrchr(t, '(')) ||
	    open == t || open[-1] != ' ' ||
	    (size_t)(t + len - 1 - open) >= sizeof(buf))
		return 0;
	memcpy(buf, open + 1, (size_t)(t + len - 2 - open));
	buf[t + len - 2 - open] = '\0';
	for (p = buf; (tok = strtok_r(p, ",", &save)); p = NULL) {
		while (*tok == ' ')
			tok++;
		if (n == 8 || !(codes[n] = md_relator_code(tok)))
			return 0;
		n++;
	}
	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if (md_value_add_role(c->rec, v, codes[i],
				      md_relator_term(codes[i])) < 0)
			return VL_E_NOMEM;
	v->text = md_arena_strndup(c->rec->arena, t, (size_t)(open - 1 - t));
	return v->text ? 0 : VL_E_NOMEM;
}

static int
read_identifier(struct md_rctx *c, struct md_value *v)
{
	static const char *const prefixes[] = { "isbn", "issn", "lccn",
						"doi",  "hdl",  NULL };
	const char *t = v->text;
	size_t i, n;

	(void)c;
	for (i = 0; prefixes[i]; i++) {
		n = strlen(prefixes[i]);
		if (!strncmp(t, prefixes[i], n) && t[n] == ':' &&
		    t[n + 1] == ' ' && t[n + 2]) {
			v->type = prefixes[i];
			v->text = t + n + 2;
			return 0;
		}
	}
	if (v->scheme && !strcmp(v->scheme, "URI"))
		v->type = "uri";
	else
		v->type = md_identifier_sniff(t);
	return 0;
}

static int
primary_known(const char *tag)
{
	char p[4];
	size_t n = strcspn(tag, "-");

	if (n < 2 || n > 3)
		return n == 1; /* x-..., i-... */
	memcpy(p, tag, n);
	p[n] = '\0';
	return n == 2 ? md_iso639_exists(MD_639_1, p)
		      : md_iso639_exists(MD_639_3, p) ||
				md_iso639_exists(MD_639_5, p) ||
				md_iso639_exists(MD_639_2T, p);
}

/* dc:language holds a code (ISO 639-1/2/3 or BCP 47; DCMI recommends
 * either) or a name.  Codes are stored as canonical BCP 47 tags. */
static void
read_language(struct md_rctx *c, struct md_value *v)
{
	char canon[128], again[128];
	struct vl_err err = { 0 };
	size_t first = strcspn(v->text, "-");
	int rc;

	if ((first < 2 || first > 3) &&
	    !(first == 1 && (v->text[0] == 'x' || v->text[0] == 'i'))) {
		v->type = "text";
		return;
	}
	rc = md_lang_canonical(canon, sizeof(canon), v->text, &err);
	if (rc == VL_E_INVAL) {
		v->type = "text";
		return;
	}
	/* An ISO 639-2 B/T or 639-3 code is fine here; only what is still
	 * unknown after canonicalization is a problem. */
	if (rc == VL_E_NOTFOUND &&
	    md_lang_canonical(again, sizeof(again), canon, &err) < 0) {
		md_rctx_problem(c, v->line, "dc:language '%s': %s", v->text,
				err.msg);
		if (!primary_known(canon)) {
			v->type = "text";
			return;
		}
	}
	v->text = md_record_str(c->rec, canon);
	v->scheme = "RFC5646";
}

int
md_dc_normalize(struct md_rctx *c, struct md_value *v, int from_text)
{
	static const char *const dcmi[] = {
		"Collection",
		"Dataset",
		"Event",
		"Image",
		"InteractiveResource",
		"MovingImage",
		"PhysicalObject",
		"Service",
		"Software",
		"Sound",
		"StillImage",
		"Text",
		NULL,
	};
	size_t i;

	switch (v->element) {
	case MD_E_CREATOR:
	case MD_E_CONTRIBUTOR:
		if (from_text && v->term == MD_T_NONE)
			return split_roles(c, v);
		return 0;
	case MD_E_IDENTIFIER:
		if (v->term != MD_T_NONE)
			return 0;
		if (from_text)
			return read_identifier(c, v);
		if (!v->type)
			v->type = md_identifier_sniff(v->text);
		return 0;
	case MD_E_LANGUAGE:
		read_language(c, v);
		return v->text ? 0 : VL_E_NOMEM;
	case MD_E_TYPE:
		for (i = 0; dcmi[i]; i++)
			if (md_ieq(v->text, dcmi[i])) {
				v->text = dcmi[i];
				v->scheme = "DCMIType";
			}
		return 0;
	case MD_E_FORMAT:
		if (v->term == MD_T_NONE && md_is_mime(v->text))
			v->scheme = "IMT";
		return 0;
	default: return 0;
	}
}

static int
read_element(struct md_rctx *c, const struct md_xnode *n)
{
	enum md_element e = MD_E_NONE;
	enum md_term t = MD_T_NONE;
	const char *text, *lang, *scheme;
	struct md_value *v;

	if (n->ns == MD_NS_DC) {
		e = md_element_parse(n->name);
	} else if (n->ns == MD_NS_DCTERMS) {
		if ((t = md_term_parse(n->name)) == MD_T_NONE)
			e = md_element_parse(n->name);
	} else {
		md_rctx_warn(c, n->line,
			     "element <%s> (namespace '%s') is not Dublin "
			     "Core; dropped",
			     n->name, n->uri);
		return 0;
	}
	if (e == MD_E_NONE && t == MD_T_NONE) {
		md_rctx_problem(c, n->line, "unknown element %s:%s; dropped",
				n->ns == MD_NS_DC ? "dc" : "dcterms", n->name);
		return 0;
	}
	if (n->child)
		md_rctx_warn(c, n->line, "child elements of %s dropped",
			     n->name);
	if (!(text = text_of(c, n)))
		return VL_E_NOMEM;
	if (!*text)
		return 0;
	if (!(v = md_rec_push(c->rec, e, t, text, strlen(text))))
		return VL_E_NOMEM;
	v->line = n->line;
	if ((lang = md_x_xml_lang(n)) && *lang)
		v->lang = md_rctx_lang(c, lang, n->line, "xml:lang");
	scheme = xsi_type(c, n);
	if (scheme && apply_scheme(c, v, scheme, n->line) < 0)
		return VL_E_NOMEM;
	return md_dc_normalize(c, v, 1);
}

int
md_dc_read(struct md_rctx *c, const struct md_xnode *root)
{
	const struct md_xnode *n;
	int rc;

	for (n = root->child; n; n = n->next)
		if ((rc = read_element(c, n)) < 0)
			return rc;
	return 0;
}
