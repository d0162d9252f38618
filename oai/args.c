/*
 * args.c - what arrives in an OAI-PMH request: form-encoded arguments,
 * datestamps, oai-identifiers, and the Accept-Encoding header.
 *
 * Invariants: every argument value is decoded exactly once (OAI-PMH
 * §3.1.1.3); a date is accepted only in the two lexical forms of §3.3.1
 * and only if it is a real calendar date; an identifier maps to a catalog
 * id only in its canonical escaped form (oai-identifier guidelines §2.4),
 * so two different strings never name the same record.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oai.h"

void
oai_args_release(struct oai_args *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].key);
		free(a->v[i].value);
	}
	free(a->v);
	memset(a, 0, sizeof(*a));
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes one form-encoded component into a new string; *bad is set for
 * a malformed escape (kept literally). */
static char *
form_decode(const char *s, size_t n, size_t *out_len, int *bad)
{
	char *d = malloc(n + 1);
	size_t i, j = 0;

	if (!d)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			d[j++] = ' ';
		} else if (s[i] == '%') {
			int a = i + 1 < n ? hexval(s[i + 1]) : -1;
			int b = i + 2 < n ? hexval(s[i + 2]) : -1;

			if (a < 0 || b < 0) {
				*bad = 1;
				d[j++] = '%';
			} else {
				d[j++] = (char)(a * 16 + b);
				i += 2;
			}
		} else {
			d[j++] = s[i];
		}
	}
	d[j] = '\0';
	*out_len = j;
	return d;
}

int
oai_args_parse(struct oai_args *a, const char *q, size_t len, size_t max_args)
{
	size_t i = 0, alloc = 0;

	memset(a, 0, sizeof(*a));
	while (i < len) {
		const char *p = q + i, *amp, *eq;
		size_t plen, klen;
		struct oai_arg *arg;

		amp = memchr(p, '&', len - i);
		plen = amp ? (size_t)(amp - p) : len - i;
		i += plen + 1;
		if (!plen)
			continue; /* "a=1&&b=2": an empty pair is no pair */
		if (a->n == max_args)
			return VL_E_INVAL;
		if (a->n == alloc) {
			size_t na = alloc ? alloc * 2 : 8;
			struct oai_arg *nv =
				reallocarray(a->v, na, sizeof(*nv));

			if (!nv)
				return VL_E_NOMEM;
			a->v = nv;
			alloc = na;
		}
		arg = &a->v[a->n];
		eq = memchr(p, '=', plen);
		klen = eq ? (size_t)(eq - p) : plen;
		arg->key =
			form_decode(p, klen, &arg->key_len, &a->bad_encoding);
		arg->value = eq ? form_decode(eq + 1, plen - klen - 1,
					      &arg->value_len, &a->bad_encoding)
				: strdup("");
		if (!eq)
			arg->value_len = 0;
		a->n++;
		if (!arg->key || !arg->value)
			return VL_E_NOMEM;
	}
	return 0;
}

static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
oai_date_parse(const char *s, int is_until, char out[VL_TIME_LEN],
	       enum oai_gran *gran)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31 };
	int y, mo, d, h = 0, mi = 0, sec = 0;
	size_t n = strlen(s);

	if (n != 10 && n != 20)
		return VL_E_INVAL;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return VL_E_INVAL;
	if (n == 20 && (s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' ||
			digits(s + 14, 2, &mi) || s[16] != ':' ||
			digits(s + 17, 2, &sec) || s[19] != 'Z'))
		return VL_E_INVAL;
	/* Year 0000 is no xs:date (XML Schema 1.0 §3.2.9). */
	if (y < 1 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)) || h > 23 || mi > 59 ||
	    sec > 59)
		return VL_E_INVAL;
	if (n == 10) {
		*gran = OAI_GRAN_DAY;
		memcpy(out, s, 10);
		memcpy(out + 10, is_until ? "T23:59:59Z" : "T00:00:00Z", 11);
	} else {
		*gran = OAI_GRAN_SECONDS;
		memcpy(out, s, VL_TIME_LEN);
	}
	return 0;
}

/* Characters an oai-identifier's local part holds as they are
 * (guidelines §2.1: reserved and unreserved URI characters). */
static int
id_char(unsigned char c)
{
	return isalnum(c) || (c && strchr("-_.!~*'();/?:@&=+$,", c));
}

int
oai_id_encode(struct vl_buf *out, const char *ns, const char *local)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	if (vl_buf_adds(out, "oai:") < 0 || vl_buf_adds(out, ns) < 0 ||
	    vl_buf_addch(out, ':') < 0)
		return VL_E_NOMEM;
	for (p = (const unsigned char *)local; id_char(*p); p++)
		;
	if (!*p) /* nothing to escape, the common case */
		return vl_buf_adds(out, local);
	for (p = (const unsigned char *)local; *p; p++) {
		char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };

		if (id_char(*p) ? vl_buf_addch(out, (char)*p)
				: vl_buf_add(out, e, 3))
			return VL_E_NOMEM;
	}
	return 0;
}

int
oai_id_decode(struct vl_buf *out, const char *ns, const char *id)
{
	size_t nl = strlen(ns);
	const char *p;

	vl_buf_reset(out);
	if (strncmp(id, "oai:", 4) || strncmp(id + 4, ns, nl) ||
	    id[4 + nl] != ':' || !id[5 + nl])
		return VL_E_NOTFOUND;
	for (p = id + 5 + nl; *p; p++) {
		if (*p == '%') {
			int a = hexval(p[1]), b = a < 0 ? -1 : hexval(p[2]);
			unsigned char c;

			/* Canonical form: uppercase hex, only for bytes that
			 * must be escaped (guidelines §2.3). */
			if (a < 0 || b < 0 || islower((unsigned char)p[1]) ||
			    islower((unsigned char)p[2]))
				return VL_E_NOTFOUND;
			c = (unsigned char)(a * 16 + b);
			if (!c || id_char(c))
				return VL_E_NOTFOUND;
			if (vl_buf_addch(out, (char)c) < 0)
				return VL_E_NOMEM;
			p += 2;
		} else if (id_char((unsigned char)*p)) {
			if (vl_buf_addch(out, *p) < 0)
				return VL_E_NOMEM;
		} else {
			return VL_E_NOTFOUND;
		}
	}
	return 0;
}

int
oai_namespace_valid(const char *ns)
{
	int labels = 0;
	const char *p = ns;

	/* repositoryIdentifierType in oai-identifier.xsd:
	 * [a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+ */
	for (;;) {
		if (!isalpha((unsigned char)*p))
			return 0;
		while (isalnum((unsigned char)*p) || *p == '-')
			p++;
		labels++;
		if (!*p)
			return labels >= 2;
		if (*p != '.')
			return 0;
		p++;
	}
}

/* Parses "q=..." in one Accept-Encoding element; 1 when above zero. */
static int
qvalue_positive(const char *params, size_t n)
{
	const char *q = NULL;
	size_t i;

	for (i = 0; i + 1 < n; i++)
		if ((params[i] == 'q' || params[i] == 'Q') &&
		    params[i + 1] == '=' &&
		    (i == 0 || params[i - 1] == ';' || params[i - 1] == ' '))
			q = params + i + 2;
	if (!q)
		return 1;
	for (; q < params + n && (*q == '0' || *q == '.' || *q == ' '); q++)
		;
	return q < params + n && *q >= '1' && *q <= '9';
}

int
oai_accepts_gzip(const char *ae)
{
	int gzip = -1, star = -1;
	const char *p = ae;

	if (!ae)
		return 0;
	while (*p) {
		const char *end = strchr(p, ','), *semi;
		size_t n, tn, pn;

		n = end ? (size_t)(end - p) : strlen(p);
		while (n && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		semi = memchr(p, ';', n);
		tn = semi ? (size_t)(semi - p) : n;
		while (tn && (p[tn - 1] == ' ' || p[tn - 1] == '\t'))
			tn--;
		pn = semi ? n - (size_t)(semi - p) - 1 : 0;
		if ((tn == 4 && !strncasecmp(p, "gzip", 4)) ||
		    (tn == 6 && !strncasecmp(p, "x-gzip", 6)))
			gzip = semi ? qvalue_positive(semi + 1, pn) : 1;
		else if (tn == 1 && *p == '*')
			star = semi ? qvalue_positive(semi + 1, pn) : 1;
		if (!end)
			break;
		p = end + 1;
	}
	return gzip >= 0 ? gzip : star > 0;
}
