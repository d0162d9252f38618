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
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "metadata.h"

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

static int
map(const char *s, utf8proc_option_t opts, char **out, struct vl_err *err)
{
	utf8proc_uint8_t *dst = NULL;
	utf8proc_ssize_t n;

	n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &dst,
			 opts | UTF8PROC_NULLTERM);
	if (n < 0) {
		if (n == UTF8PROC_ERROR_NOMEM)
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		return vl_err_set(err, VL_E_INVAL, "invalid UTF-8 in '%.60s'",
				  s);
	}
	squeeze((char *)dst);
	*out = (char *)dst;
	return 0;
}

int
md_vocab_normalize(const char *s, char **norm, char **fold, struct vl_err *err)
{
	const utf8proc_option_t base = UTF8PROC_STABLE | UTF8PROC_COMPOSE |
				       UTF8PROC_CASEFOLD | UTF8PROC_IGNORE |
				       UTF8PROC_LUMP | UTF8PROC_NLF2LS;
	int rc;

	if (norm)
		*norm = NULL;
	if (fold)
		*fold = NULL;
	if (norm && (rc = map(s, base, norm, err)) < 0)
		return rc;
	if (fold && (rc = map(s, base | UTF8PROC_STRIPMARK, fold, err)) < 0) {
		if (norm) {
			free(*norm);
			*norm = NULL;
		}
		return rc;
	}
	return 0;
}
