/*
 * vocab_norm.c - the matching keys of labels and queries, with utf8proc.
 *
 * norm: NFC (UAX #15), full case folding (Unicode section 3.13), default
 * ignorable code points dropped, spaces/dashes/quotes lumped to ASCII,
 * whitespace collapsed and trimmed.  fold: the same with combining marks
 * stripped, so "Māori", "MAORI" and "maori" share a key.  Both sides of a
 * comparison go through the same function, so the keys only have to be
 * consistent, not linguistically perfect; an exact (norm) match always
 * ranks above a folded one, which keeps folding from hiding a real
 * distinction (Japanese dakuten, for one, are marks too).
 *
 * Every key, at import and at lookup, is made by key_into(): one code
 * path, so a label and a query can never disagree on how it was built.
 * Lookups are hot, so it works in a caller's reusable buffer (no malloc
 * per key), and printable ASCII takes a shortcut whose equivalence with
 * utf8proc is argued at ascii_key() and tested in test_vocab.c.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "metadata.h"

static const utf8proc_option_t key_opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE |
					  UTF8PROC_CASEFOLD | UTF8PROC_IGNORE |
					  UTF8PROC_LUMP | UTF8PROC_NLF2LS;

/* Collapses ASCII whitespace runs to one space and trims, in place. */
static void
squeeze(char *s)
{
	char *w = s;
	const char *p;
	int space = 1; /* drop leading spaces */

	for (p = s; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '\f' || *p == '\v') {
			if (!space)
				*w++ = ' ';
			space = 1;
		} else {
			*w++ = *p;
			space = 0;
		}
	}
	if (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
}

/* Grows kb to hold n code points and the UTF-8 re-encoding in place
 * (utf8proc_reencode() needs one byte more than the UTF-32 data). */
static int
reserve(struct md_vocab_keybuf *kb, size_t n, struct vl_err *err)
{
	utf8proc_int32_t *nu;

	if (n < kb->cap)
		return 0;
	nu = reallocarray(kb->u, n + 1, sizeof(*nu));
	if (!nu)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	kb->u = nu;
	kb->cap = n + 1;
	return 0;
}

/*
 * Printable ASCII (0x20-0x7e) needs none of utf8proc's work: no
 * character there decomposes, composes, is default-ignorable or a mark,
 * LUMP maps each ASCII space, dash, quote and connector to itself, and
 * full case folding of ASCII is A-Z -> a-z (CaseFolding.txt).  Control
 * characters are left to utf8proc (NLF2LS turns line ends into LS).
 * Returns 1 when s was such a string and the key is in kb.
 */
static int
ascii_key(struct md_vocab_keybuf *kb, const char *s, struct vl_err *err,
	  int *rc)
{
	size_t n = 0;
	char *d;

	while (s[n] >= 0x20 && s[n] <= 0x7e)
		n++;
	if (s[n])
		return 0;
	if ((*rc = reserve(kb, n / sizeof(*kb->u) + 1, err)) < 0)
		return 1;
	d = (char *)kb->u;
	for (n = 0; s[n]; n++)
		d[n] = s[n] >= 'A' && s[n] <= 'Z' ? (char)(s[n] - 'A' + 'a')
						  : s[n];
	d[n] = '\0';
	squeeze(d);
	*rc = 0;
	return 1;
}

int
md_vocab_key(struct md_vocab_keybuf *kb, const char *s, int fold,
	     const char **out, struct vl_err *err)
{
	utf8proc_option_t opts =
		key_opts | UTF8PROC_NULLTERM | (fold ? UTF8PROC_STRIPMARK : 0);
	utf8proc_ssize_t n;
	int rc;

	*out = NULL;
	if (ascii_key(kb, s, err, &rc)) {
		if (rc == 0)
			*out = (const char *)kb->u;
		return rc;
	}
	/* As utf8proc_map_custom(), with the buffer kept between calls:
	 * decompose (sizing the buffer on the first try), then compose and
	 * re-encode to UTF-8 in place. */
	for (;;) {
		n = utf8proc_decompose_custom((const utf8proc_uint8_t *)s, 0,
					      kb->u, (utf8proc_ssize_t)kb->cap,
					      opts, NULL, NULL);
		if (n < 0)
			break;
		if ((size_t)n < kb->cap) {
			n = utf8proc_reencode(kb->u, n, opts);
			break;
		}
		if ((rc = reserve(kb, (size_t)n, err)) < 0)
			return rc;
	}
	if (n < 0) {
		if (n == UTF8PROC_ERROR_NOMEM)
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		return vl_err_set(err, VL_E_INVAL, "invalid UTF-8 in '%.60s'",
				  s);
	}
	squeeze((char *)kb->u);
	*out = (const char *)kb->u;
	return 0;
}

void
md_vocab_keybuf_release(struct md_vocab_keybuf *kb)
{
	if (!kb)
		return;
	free(kb->u);
	kb->u = NULL;
	kb->cap = 0;
}

static int
key_dup(struct md_vocab_keybuf *kb, const char *s, int fold, char **out,
	struct vl_err *err)
{
	const char *k;
	int rc;

	if ((rc = md_vocab_key(kb, s, fold, &k, err)) < 0)
		return rc;
	if (!(*out = strdup(k)))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	return 0;
}

int
md_vocab_normalize(const char *s, char **norm, char **fold, struct vl_err *err)
{
	struct md_vocab_keybuf kb = { 0 };
	int rc = 0;

	if (norm)
		*norm = NULL;
	if (fold)
		*fold = NULL;
	if (norm && (rc = key_dup(&kb, s, 0, norm, err)) < 0)
		goto out;
	if (fold && (rc = key_dup(&kb, s, 1, fold, err)) < 0 && norm) {
		free(*norm);
		*norm = NULL;
	}
out:
	md_vocab_keybuf_release(&kb);
	return rc;
}
