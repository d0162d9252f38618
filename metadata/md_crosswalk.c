/*
 * md_crosswalk.c - the tables shared by the MODS and DC readers and
 * writers: typeOfResource <-> DCMI Type (metadata-notes 2.3, every row
 * implemented as written there, not as LoC's MODS3-22simpleDC.xsl, which
 * compares against strings MODS 3 does not use), relatedItem @type <->
 * DCMI relation terms, MODS date elements <-> DCMI date terms, and the
 * sniffing of identifiers, URIs and media types.  docs/crosswalk.md is
 * the prose version of these tables; keep them in step.
 */
#include <string.h>

#include <libxml/uri.h>

#include "md_private.h"

static const char *const tor_dcmi[][2] = {
	{ "text", "Text" },
	{ "cartographic", "Image" },
	{ "notated music", "Text" },
	{ "sound recording", "Sound" },
	{ "sound recording-musical", "Sound" },
	{ "sound recording-nonmusical", "Sound" },
	{ "still image", "StillImage" },
	{ "moving image", "MovingImage" },
	{ "three dimensional object", "PhysicalObject" },
	{ "software, multimedia", "Software" },
	{ "mixed material", NULL },
	{ NULL, NULL },
};

static const char *const dcmi_tor[][2] = {
	{ "Text", "text" },
	{ "Image", "still image" },
	{ "StillImage", "still image" },
	{ "Sound", "sound recording" },
	{ "MovingImage", "moving image" },
	{ "PhysicalObject", "three dimensional object" },
	{ "Software", "software, multimedia" },
	{ "InteractiveResource", "software, multimedia" },
	{ "Service", "software, multimedia" },
	{ "Dataset", "software, multimedia" },
	{ "Collection", NULL },
	{ "Event", NULL },
	{ NULL, NULL },
};

const char *
md_tor_to_dcmi(const char *tor)
{
	size_t i;

	for (i = 0; tor && tor_dcmi[i][0]; i++)
		if (md_ieq(tor, tor_dcmi[i][0]))
			return tor_dcmi[i][1];
	return NULL;
}

const char *
md_dcmi_to_tor(const char *dcmi)
{
	size_t i;

	for (i = 0; dcmi && dcmi_tor[i][0]; i++)
		if (!strcmp(dcmi, dcmi_tor[i][0]))
			return dcmi_tor[i][1];
	return NULL;
}

int
md_is_dcmi_type(const char *s)
{
	size_t i;

	for (i = 0; s && dcmi_tor[i][0]; i++)
		if (!strcmp(s, dcmi_tor[i][0]))
			return 1;
	return 0;
}

static const struct {
	const char *type;
	enum md_term term;
} related[] = {
	{ "host", MD_T_IS_PART_OF },
	{ "series", MD_T_IS_PART_OF },
	{ "constituent", MD_T_HAS_PART },
	{ "otherVersion", MD_T_HAS_VERSION },
	{ "otherFormat", MD_T_HAS_FORMAT },
	{ "isReferencedBy", MD_T_IS_REFERENCED_BY },
	{ "references", MD_T_REFERENCES },
	{ "preceding", MD_T_REPLACES },
	{ "succeeding", MD_T_IS_REPLACED_BY },
	{ NULL, MD_T_NONE },
};

enum md_term
md_related_type_to_term(const char *type)
{
	size_t i;

	for (i = 0; type && related[i].type; i++)
		if (!strcmp(type, related[i].type))
			return related[i].term;
	return MD_T_NONE;
}

const char *
md_term_to_related_type(enum md_term t)
{
	switch (t) {
	case MD_T_IS_PART_OF: return "host";
	case MD_T_HAS_PART: return "constituent";
	case MD_T_HAS_VERSION:
	case MD_T_IS_VERSION_OF: return "otherVersion";
	case MD_T_HAS_FORMAT:
	case MD_T_IS_FORMAT_OF: return "otherFormat";
	case MD_T_REFERENCES: return "references";
	case MD_T_IS_REFERENCED_BY: return "isReferencedBy";
	case MD_T_REPLACES: return "preceding";
	case MD_T_IS_REPLACED_BY: return "succeeding";
	default: return NULL;
	}
}

static const struct {
	const char *elem;
	enum md_term term;
	const char *type; /* dateOther @type for terms with no element */
} dates[] = {
	{ "dateIssued", MD_T_ISSUED, NULL },
	{ "dateCreated", MD_T_CREATED, NULL },
	{ "dateValid", MD_T_VALID, NULL },
	{ "dateModified", MD_T_MODIFIED, NULL },
	{ "copyrightDate", MD_T_DATE_COPYRIGHTED, NULL },
	{ "dateCaptured", MD_T_NONE, "captured" },
	{ "dateOther", MD_T_AVAILABLE, "available" },
	{ "dateOther", MD_T_DATE_ACCEPTED, "accepted" },
	{ "dateOther", MD_T_DATE_SUBMITTED, "submitted" },
	{ NULL, MD_T_NONE, NULL },
};

enum md_term
md_mods_date_term(const char *elem, const char **type_out)
{
	size_t i;

	for (i = 0; dates[i].elem; i++) {
		if (strcmp(elem, dates[i].elem) != 0)
			continue;
		if (!strcmp(elem, "dateOther")) {
			if (*type_out && !strcmp(*type_out, dates[i].type)) {
				*type_out = NULL;
				return dates[i].term;
			}
			continue;
		}
		if (dates[i].type)
			*type_out = dates[i].type;
		return dates[i].term;
	}
	return MD_T_NONE; /* dateOther keeps its @type */
}

const char *
md_term_mods_date(enum md_term t, const char **type_out)
{
	size_t i;

	if (t == MD_T_NONE) {
		if (*type_out && !strcmp(*type_out, "captured")) {
			*type_out = NULL;
			return "dateCaptured";
		}
		return "dateOther";
	}
	for (i = 0; dates[i].elem; i++)
		if (dates[i].term == t) {
			if (dates[i].type)
				*type_out = dates[i].type;
			return dates[i].elem;
		}
	return "dateOther";
}

/* ---- sniffing ---- */

int
md_is_uri(const char *s)
{
	const char *p = s;

	if (!s || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return 0;
	for (p++; *p && *p != ':'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' ||
		      *p == '.'))
			return 0;
	if (*p != ':' || !p[1])
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' ||
		    *p == '"')
			return 0;
	return 1;
}

int
md_is_any_uri(const char *s)
{
	char buf[2048], *p;
	xmlURIPtr uri;
	size_t n;

	/* What libxml2 2.9's xs:anyURI check does (xmlschemastypes.c):
	 * collapse white space, map characters a URI cannot hold to '_',
	 * then require xmlParseURI to succeed. */
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
		     s[n - 1] == '\r'))
		n--;
	if (!n || n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	for (p = buf; *p; p++)
		if ((unsigned char)*p < 32 || (unsigned char)*p >= 127 ||
		    strchr(" <>\"{}|\\^`'", *p))
			*p = '_';
	if (!(uri = xmlParseURI(buf)))
		return 0;
	xmlFreeURI(uri);
	return 1;
}

int
md_is_mime(const char *s)
{
	static const char *const top[] = {
		"application/", "audio/",     "font/", "image/", "message/",
		"model/",       "multipart/", "text/", "video/", NULL,
	};
	const char *p;
	size_t i;

	for (i = 0; top[i]; i++)
		if (!strncmp(s, top[i], strlen(top[i])))
			break;
	if (!top[i])
		return 0;
	p = s + strlen(top[i]);
	if (!*p)
		return 0;
	for (; *p && *p != ';'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("!#$&-^_.+", *p)))
			return 0;
	return 1;
}

/* Digits of an ISBN/ISSN candidate (hyphens and spaces dropped). */
static size_t
code_digits(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s == '-' || *s == ' ')
			continue;
		if (!((*s >= '0' && *s <= '9') || *s == 'X' || *s == 'x') ||
		    n + 1 >= size)
			return 0;
		out[n++] = *s == 'x' ? 'X' : *s;
	}
	out[n] = '\0';
	return n;
}

static int
isbn_ok(const char *d, size_t n)
{
	int sum = 0;
	size_t i;

	if (n == 10) {
		for (i = 0; i < 10; i++) {
			int v = d[i] == 'X' ? 10 : d[i] - '0';

			if (d[i] == 'X' && i != 9)
				return 0;
			sum += v * (int)(10 - i);
		}
		return sum % 11 == 0;
	}
	if (n == 13 && (!strncmp(d, "978", 3) || !strncmp(d, "979", 3))) {
		for (i = 0; i < 13; i++) {
			if (d[i] == 'X')
				return 0;
			sum += (d[i] - '0') * (i % 2 ? 3 : 1);
		}
		return sum % 10 == 0;
	}
	return 0;
}

static int
issn_ok(const char *s)
{
	int sum = 0, i;

	if (strlen(s) != 9 || s[4] != '-')
		return 0;
	for (i = 0; i < 9; i++) {
		int c = s[i], v;

		if (i == 4)
			continue;
		if (c == 'X' && i == 8)
			v = 10;
		else if (c >= '0' && c <= '9')
			v = c - '0';
		else
			return 0;
		sum += v * (8 - (i > 4 ? i - 1 : i));
	}
	return sum % 11 == 0;
}

const char *
md_identifier_sniff(const char *s)
{
	char d[32];
	size_t n;

	if (!strncmp(s, "https://doi.org/10.", 19) ||
	    !strncmp(s, "http://doi.org/10.", 18) ||
	    !strncmp(s, "http://dx.doi.org/10.", 21) ||
	    !strncmp(s, "https://dx.doi.org/10.", 22) ||
	    !strncmp(s, "doi:10.", 7) ||
	    (!strncmp(s, "10.", 3) && strchr(s, '/') && !strchr(s, ' ')))
		return "doi";
	if (!strncmp(s, "hdl:", 4) ||
	    !strncmp(s, "http://hdl.handle.net/", 22) ||
	    !strncmp(s, "https://hdl.handle.net/", 23))
		return "hdl";
	if (!strncmp(s, "ark:/", 5))
		return "ark";
	if (!strncmp(s, "urn:", 4) && md_is_uri(s))
		return "urn";
	if (md_is_uri(s))
		return "uri";
	if (issn_ok(s))
		return "issn";
	if ((n = code_digits(s, d, sizeof(d))) && isbn_ok(d, n))
		return "isbn";
	return NULL;
}

/* Identifier types whose non-URI values oai_dc prefixes ("isbn: ...") as
 * LoC's MODS3-22simpleDC.xsl does; the DC reader strips them again. */
static const char *const prefixed[] = { "isbn", "issn", "lccn",
					"doi",  "hdl",  NULL };

static int
is_prefixed_type(const char *type)
{
	size_t i;

	for (i = 0; type && prefixed[i]; i++)
		if (!strcmp(type, prefixed[i]))
			return 1;
	return 0;
}

int
md_dc_text(struct vl_buf *b, const struct md_value *v)
{
	size_t i, shown = 0;
	int rc;

	if (v->element == MD_E_IDENTIFIER && v->term == MD_T_NONE &&
	    is_prefixed_type(v->type) && !md_is_uri(v->text)) {
		if ((rc = vl_buf_addf(b, "%s: ", v->type)) < 0)
			return rc;
		return vl_buf_adds(b, v->text);
	}
	if ((rc = vl_buf_adds(b, v->text)) < 0)
		return rc;
	if (v->element != MD_E_CONTRIBUTOR || v->term != MD_T_NONE)
		return 0;
	/* LoC appends a contributor's role in parentheses. */
	for (i = 0; i < v->nroles; i++) {
		const char *code = v->roles[i].code, *text = v->roles[i].text;

		if (!code)
			code = md_relator_code(text);
		if (code && !strcmp(code, "ctb"))
			continue;
		if (!text)
			text = md_relator_term(code);
		if (!text)
			continue;
		if ((rc = vl_buf_adds(b, shown ? ", " : " (")) < 0 ||
		    (rc = vl_buf_adds(b, text)) < 0)
			return rc;
		shown++;
	}
	return shown ? vl_buf_addch(b, ')') : 0;
}
