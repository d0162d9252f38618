/*
 * xml.c - XML output hygiene for OAI-PMH responses.
 *
 * Invariant: whatever bytes the catalog or a request holds, what these
 * functions append is well-formed XML 1.0 character data (§2.2 Char:
 * #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF])
 * encoded as UTF-8.  Anything else - C0 controls, U+FFFE/U+FFFF,
 * surrogates, overlong or truncated UTF-8 - becomes U+FFFD, and the
 * caller learns how many characters were repaired (OAI-PMH §3.2; the
 * checklist's B3).
 *
 * oai_xml_copy() runs over every stored record of every list page, so its
 * common case (printable ASCII) is checked eight bytes at a time.
 */
#include <stdint.h>
#include <string.h>

#include "oai.h"

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/*
 * Decodes one UTF-8 sequence at s (n > 0 bytes available).  Returns its
 * length and sets *cp, or 0 when the sequence is malformed (RFC 3629 §4:
 * no overlongs, no surrogates, nothing above U+10FFFF).
 */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0];
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		c &= 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		c &= 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		c &= 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

/* XML 1.0 §2.2 Char. */
static int
xml_char_ok(uint32_t c)
{
	if (c < 0x20)
		return c == 0x9 || c == 0xA || c == 0xD;
	if (c >= 0xD800 && c <= 0xDFFF)
		return 0;
	return c != 0xFFFE && c != 0xFFFF && c <= 0x10FFFF;
}

int
oai_xml_escape(struct vl_buf *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, n;
	uint32_t cp;
	int repairs = 0;
	const char *rep;

	while (i < len) {
		unsigned char c = s[i];

		rep = NULL;
		n = 1;
		if (c >= 0x20 && c < 0x80) {
			if (c == '&')
				rep = "&amp;";
			else if (c == '<')
				rep = "&lt;";
			else if (c == '>')
				rep = "&gt;";
			else if (c == '"')
				rep = "&quot;";
		} else {
			n = utf8_decode(s + i, len - i, &cp);
			if (!n || !xml_char_ok(cp)) {
				rep = replacement;
				repairs++;
				if (!n)
					n = 1;
			}
		}
		if (rep) {
			if (vl_buf_add(out, s + run, i - run) < 0 ||
			    vl_buf_adds(out, rep) < 0)
				return VL_E_NOMEM;
			run = i + n;
		}
		i += n;
	}
	if (vl_buf_add(out, s + run, i - run) < 0)
		return VL_E_NOMEM;
	return repairs;
}

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Non-zero when one of the 8 bytes in w is < 0x20, >= 0x80 or '&'. */
static inline uint64_t
word_needs_care(uint64_t w)
{
	uint64_t amp = w ^ (ONES * '&');

	return ((w - ONES * 0x20) & ~w & HIGHS) | (w & HIGHS) |
	       ((amp - ONES) & ~amp & HIGHS);
}

/* Length of a character or entity reference at s ("&...;"), 0 if none. */
static size_t
ref_length(const char *s, size_t n)
{
	size_t i;

	for (i = 1; i < n && i < 16; i++)
		if (s[i] == ';')
			return i + 1;
	return 0;
}

/* Is the reference &...; (len bytes) allowed in the output? */
static int
ref_ok(const char *s, size_t len)
{
	static const char *const predefined[] = { "&amp;", "&lt;", "&gt;",
						  "&quot;", "&apos;" };
	uint32_t c = 0;
	size_t i, k;
	int hex;

	for (k = 0; k < sizeof(predefined) / sizeof(predefined[0]); k++)
		if (strlen(predefined[k]) == len &&
		    !memcmp(s, predefined[k], len))
			return 1;
	if (len < 4 || s[1] != '#')
		return 0;
	hex = s[2] == 'x';
	i = hex ? 3 : 2;
	if (i >= len - 1)
		return 0;
	for (; i < len - 1; i++) {
		unsigned d;
		char ch = s[i];

		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (hex && ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else if (hex && ch >= 'A' && ch <= 'F')
			d = (unsigned)(ch - 'A' + 10);
		else
			return 0;
		c = c * (hex ? 16 : 10) + d;
		if (c > 0x10FFFF)
			return 0;
	}
	return xml_char_ok(c);
}

/*
 * Copies n bytes of markup, repairing characters; entity references are
 * checked only when `entities` (outside CDATA sections and comments,
 * where '&' is literal).
 */
static int
copy_chars(struct vl_buf *out, const char *str, size_t n, int entities)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, k;
	int repairs = 0;
	uint32_t cp;

	while (i < n) {
		uint64_t w;
		const char *rep = NULL;
		size_t skip = 1;

		if (i + 8 <= n) {
			memcpy(&w, s + i, 8);
			if (!word_needs_care(w)) {
				i += 8;
				continue;
			}
		}
		if (s[i] >= 0x20 && s[i] < 0x80) {
			if (s[i] == '&' && entities) {
				k = ref_length(str + i, n - i);
				if (k && ref_ok(str + i, k)) {
					skip = k;
				} else if (k && str[i + 1] == '#') {
					rep = replacement;
					skip = k;
				} else {
					rep = "&amp;";
				}
			}
		} else if (s[i] < 0x20) {
			if (!xml_char_ok(s[i]))
				rep = replacement;
		} else {
			skip = utf8_decode(s + i, n - i, &cp);
			if (!skip || !xml_char_ok(cp)) {
				rep = replacement;
				if (!skip)
					skip = 1;
			}
		}
		if (rep) {
			repairs++;
			if (vl_buf_add(out, s + run, i - run) < 0 ||
			    vl_buf_adds(out, rep) < 0)
				return VL_E_NOMEM;
			run = i + skip;
		}
		i += skip;
	}
	if (vl_buf_add(out, s + run, n - run) < 0)
		return VL_E_NOMEM;
	return repairs;
}

/* Where a section opened by open ends (after close), or n. */
static size_t
section_end(const char *s, size_t n, size_t i, const char *open,
	    const char *close)
{
	const char *e;
	size_t ol = strlen(open), cl = strlen(close);

	if (n - i < ol || memcmp(s + i, open, ol) != 0)
		return 0;
	e = memmem(s + i + ol, n - i - ol, close, cl);
	return e ? (size_t)(e - s) + cl : n;
}

/* Does "<" c occur in s[0..n)? */
static int
has_pair(const char *s, size_t n, char c)
{
	const char *p = s, *e = s + n;

	while ((p = memchr(p, c, (size_t)(e - p))) != NULL) {
		if (p > s && p[-1] == '<')
			return 1;
		p++;
	}
	return 0;
}

int
oai_xml_copy(struct vl_buf *out, const char *s, size_t n)
{
	size_t i = 0, start, end;
	int rc, repairs = 0;
	const char *lt;

	/* A stored document may start with its declaration, which must not
	 * appear inside the response (XML 1.0 §2.8). */
	while (i < n &&
	       (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
		i++;
	if (n - i >= 5 && !memcmp(s + i, "<?xml", 5)) {
		const char *e = memmem(s + i, n - i, "?>", 2);

		i = e ? (size_t)(e - s) + 2 : n;
		while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' ||
				 s[i] == '\t'))
			i++;
	}
	/* Common case: no comment, CDATA section or PI ("<!", "<?"), so
	 * every '&' starts a reference.  '!' and '?' are rare in records:
	 * two vectorised memchr calls usually settle it. */
	if (!has_pair(s + i, n - i, '!') && !has_pair(s + i, n - i, '?'))
		return copy_chars(out, s + i, n - i, 1);
	start = i;
	while (i < n) {
		lt = memchr(s + i, '<', n - i);
		if (!lt)
			break;
		i = (size_t)(lt - s);
		if (!(end = section_end(s, n, i, "<![CDATA[", "]]>")) &&
		    !(end = section_end(s, n, i, "<!--", "-->")) &&
		    !(end = section_end(s, n, i, "<?", "?>"))) {
			i++;
			continue;
		}
		if ((rc = copy_chars(out, s + start, i - start, 1)) < 0)
			return rc;
		repairs += rc;
		if ((rc = copy_chars(out, s + i, end - i, 0)) < 0)
			return rc;
		repairs += rc;
		start = i = end;
	}
	if ((rc = copy_chars(out, s + start, n - start, 1)) < 0)
		return rc;
	return repairs + rc;
}
