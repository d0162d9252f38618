/*
 * token.c - stateless OAI-PMH resumption tokens (§3.5).
 *
 * A token is base64url (RFC 4648 §5, no padding) of
 *     payload || HMAC-SHA256(key, payload)[0..16)
 * where payload = version byte, verb byte, six length-prefixed strings
 * (prefix, set, from, until, position datestamp, position id) and two
 * 64-bit big-endian counters (cursor, complete list size).
 *
 * Invariants: the server keeps no state, so a token works on any server
 * sharing the catalog (the key is the catalog setting `token_key`) and
 * after restarts; nothing in a token is trusted before its MAC has been
 * checked in constant time; only the canonical encoding of a payload is
 * accepted, so a token has exactly one spelling.  Tokens use only
 * [A-Za-z0-9_-], which needs no percent-encoding (checklist F3).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "oai.h"

#define TOKEN_VERSION 1
#define MAC_LEN       16
#define FIELD_MAX     4096
#define TOKEN_MAX     ((6 * (FIELD_MAX + 2) + 18 + MAC_LEN) * 4 / 3 + 8)

static int
put_field(struct vl_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	unsigned char len[2];

	if (n > FIELD_MAX)
		return VL_E_INVAL;
	len[0] = (unsigned char)(n >> 8);
	len[1] = (unsigned char)n;
	if (vl_buf_add(b, len, 2) < 0 || vl_buf_add(b, s ? s : "", n) < 0)
		return VL_E_NOMEM;
	return 0;
}

static int
put_u64(struct vl_buf *b, uint64_t v)
{
	unsigned char x[8];
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		x[i] = (unsigned char)v;
	return vl_buf_add(b, x, 8);
}

static int
mac(unsigned char out[MAC_LEN], const unsigned char *key, size_t keylen,
    const void *data, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (!HMAC(EVP_sha256(), key, (int)keylen, data, n, md, &mdlen) ||
	    mdlen < MAC_LEN)
		return VL_E_INVAL;
	memcpy(out, md, MAC_LEN);
	return 0;
}

static int
b64url_encode(struct vl_buf *out, const unsigned char *data, size_t n)
{
	size_t enc = 4 * ((n + 2) / 3), i, start = out->len;

	if (vl_buf_grow(out, enc + 1) < 0)
		return VL_E_NOMEM;
	EVP_EncodeBlock((unsigned char *)out->buf + start, data, (int)n);
	for (i = start; i < start + enc; i++) {
		if (out->buf[i] == '+')
			out->buf[i] = '-';
		else if (out->buf[i] == '/')
			out->buf[i] = '_';
	}
	while (enc && out->buf[start + enc - 1] == '=')
		enc--;
	out->len = start + enc;
	out->buf[out->len] = '\0';
	return 0;
}

int
oai_token_encode(struct vl_buf *out, const struct oai_token *t,
		 const unsigned char *key, size_t keylen)
{
	struct vl_buf p = VL_BUF_INIT;
	unsigned char m[MAC_LEN];
	unsigned char head[2] = { TOKEN_VERSION, (unsigned char)t->verb };
	int rc;

	if ((rc = vl_buf_add(&p, head, 2)) < 0 ||
	    (rc = put_field(&p, t->prefix)) < 0 ||
	    (rc = put_field(&p, t->set)) < 0 ||
	    (rc = put_field(&p, t->from)) < 0 ||
	    (rc = put_field(&p, t->until)) < 0 ||
	    (rc = put_field(&p, t->pos_ds)) < 0 ||
	    (rc = put_field(&p, t->pos_id)) < 0 ||
	    (rc = put_u64(&p, t->cursor)) < 0 ||
	    (rc = put_u64(&p, t->size)) < 0 ||
	    (rc = mac(m, key, keylen, p.buf, p.len)) < 0 ||
	    (rc = vl_buf_add(&p, m, MAC_LEN)) < 0)
		goto out;
	rc = b64url_encode(out, (unsigned char *)p.buf, p.len);
out:
	vl_buf_release(&p);
	return rc;
}

void
oai_token_release(struct oai_token *t)
{
	free(t->prefix);
	free(t->set);
	free(t->pos_id);
	memset(t, 0, sizeof(*t));
}

struct reader {
	const unsigned char *p;
	size_t n;
};

/* Reads a length-prefixed field: a new string (NULL if empty and
 * !want_empty_string), or into the fixed buffer fixed (VL_TIME_LEN). */
static int
get_field(struct reader *r, char **str, char fixed[VL_TIME_LEN])
{
	size_t len;

	if (r->n < 2)
		return VL_E_FORMAT;
	len = (size_t)r->p[0] << 8 | r->p[1];
	if (r->n - 2 < len || memchr(r->p + 2, '\0', len))
		return VL_E_FORMAT;
	if (fixed) {
		if (len != 0 && len != VL_TIME_LEN - 1)
			return VL_E_FORMAT;
		memcpy(fixed, r->p + 2, len);
		fixed[len] = '\0';
	} else if (len) {
		if (!(*str = strndup((const char *)r->p + 2, len)))
			return VL_E_NOMEM;
	}
	r->p += 2 + len;
	r->n -= 2 + len;
	return 0;
}

static int
get_u64(struct reader *r, uint64_t *v)
{
	int i;

	if (r->n < 8)
		return VL_E_FORMAT;
	for (*v = 0, i = 0; i < 8; i++)
		*v = *v << 8 | r->p[i];
	r->p += 8;
	r->n -= 8;
	return 0;
}

/* A stored instant must be in the seconds form the engine writes. */
static int
instant_ok(const char *s, int may_be_empty)
{
	char norm[VL_TIME_LEN];
	enum oai_gran g;

	if (!*s)
		return may_be_empty;
	return oai_date_parse(s, 0, norm, &g) == 0 && g == OAI_GRAN_SECONDS;
}

static int
b64url_decode(struct vl_buf *out, const char *s)
{
	struct vl_buf tmp = VL_BUF_INIT;
	size_t n = strlen(s), i;
	int len, rc = VL_E_FORMAT;

	if (!n || n > TOKEN_MAX || n % 4 == 1)
		return VL_E_FORMAT;
	if (vl_buf_add(&tmp, s, n) < 0)
		return VL_E_NOMEM;
	for (i = 0; i < n; i++) {
		char c = tmp.buf[i];

		if (c == '-')
			tmp.buf[i] = '+';
		else if (c == '_')
			tmp.buf[i] = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9')))
			goto out;
	}
	while (tmp.len % 4)
		if (vl_buf_addch(&tmp, '=') < 0) {
			rc = VL_E_NOMEM;
			goto out;
		}
	if (vl_buf_grow(out, tmp.len / 4 * 3 + 1) < 0) {
		rc = VL_E_NOMEM;
		goto out;
	}
	len = EVP_DecodeBlock((unsigned char *)out->buf,
			      (unsigned char *)tmp.buf, (int)tmp.len);
	if (len < 0)
		goto out;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	len -= (int)(tmp.len - n);
	out->len = (size_t)len;
	out->buf[out->len] = '\0';
	rc = 0;
out:
	vl_buf_release(&tmp);
	return rc;
}

int
oai_token_decode(struct oai_token *t, const char *s, const unsigned char *key,
		 size_t keylen)
{
	struct vl_buf raw = VL_BUF_INIT, again = VL_BUF_INIT;
	unsigned char m[MAC_LEN];
	struct reader r;
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = b64url_decode(&raw, s)) < 0)
		goto out;
	rc = VL_E_FORMAT;
	if (raw.len < 2 + MAC_LEN)
		goto out;
	/* Canonical spelling only: the unused low bits of the last
	 * character must be zero. */
	if (b64url_encode(&again, (unsigned char *)raw.buf, raw.len) < 0 ||
	    strcmp(again.buf, s) != 0)
		goto out;
	if (mac(m, key, keylen, raw.buf, raw.len - MAC_LEN) < 0 ||
	    CRYPTO_memcmp(m, raw.buf + raw.len - MAC_LEN, MAC_LEN) != 0)
		goto out;
	r.p = (const unsigned char *)raw.buf + 2;
	r.n = raw.len - MAC_LEN - 2;
	if ((unsigned char)raw.buf[0] != TOKEN_VERSION)
		goto out;
	t->verb = (enum oai_verb)(unsigned char)raw.buf[1];
	if ((rc = get_field(&r, &t->prefix, NULL)) < 0 ||
	    (rc = get_field(&r, &t->set, NULL)) < 0 ||
	    (rc = get_field(&r, NULL, t->from)) < 0 ||
	    (rc = get_field(&r, NULL, t->until)) < 0 ||
	    (rc = get_field(&r, NULL, t->pos_ds)) < 0 ||
	    (rc = get_field(&r, &t->pos_id, NULL)) < 0 ||
	    (rc = get_u64(&r, &t->cursor)) < 0 ||
	    (rc = get_u64(&r, &t->size)) < 0)
		goto out;
	rc = VL_E_FORMAT;
	if (r.n != 0 || !t->pos_id || t->cursor > t->size)
		goto out;
	if (t->verb == OAI_LIST_SETS) {
		if (t->prefix || t->set || t->from[0] || t->until[0] ||
		    t->pos_ds[0])
			goto out;
	} else if (t->verb == OAI_LIST_RECORDS ||
		   t->verb == OAI_LIST_IDENTIFIERS) {
		if (!t->prefix || !instant_ok(t->from, 1) ||
		    !instant_ok(t->until, 0) || !instant_ok(t->pos_ds, 0))
			goto out;
	} else {
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		oai_token_release(t);
	vl_buf_release(&raw);
	vl_buf_release(&again);
	return rc;
}
