/*
 * fix_manifest.c - RFC 8493 manifest text: lines, tag-file encodings,
 * "checksum filepath" lines with their percent-encoding, file names.
 *
 * Everything here works on bytes already in memory and never touches
 * the file system, so the fuzzer can drive it directly.  Decoded paths
 * never contain NUL (a NUL byte in input is a format error).
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fixity.h"
#include "fix_impl.h"

void
fix_lines_init(struct fix_lines *it, const char *data, size_t len)
{
	it->p = data;
	it->end = data + len;
	it->lineno = 0;
}

int
fix_lines_next(struct fix_lines *it, const char **line, size_t *len)
{
	const char *q, *cr;

	if (it->p >= it->end)
		return 0;
	/* memchr is vectorized: find LF, then any CR before it. */
	q = memchr(it->p, '\n', (size_t)(it->end - it->p));
	if (!q)
		q = it->end;
	if ((cr = memchr(it->p, '\r', (size_t)(q - it->p))))
		q = cr;
	*line = it->p;
	*len = (size_t)(q - it->p);
	it->lineno++;
	/* RFC 8493 2.3: a line ends with LF, CR or CRLF. */
	if (q < it->end && *q == '\r' && q + 1 < it->end && q[1] == '\n')
		q += 2;
	else if (q < it->end)
		q++;
	it->p = q;
	return 1;
}

/* How many bytes at p (n > 0, p[0] ASCII) are ASCII: eight at a time
 * while whole words are. */
static size_t
ascii_run(const unsigned char *p, size_t n)
{
	size_t i = 0;
	uint64_t w;

	while (i + 8 <= n) {
		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080u)
			break;
		i += 8;
	}
	while (i < n && p[i] < 0x80)
		i++;
	return i;
}

/* Length of a valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t need, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 4, cp = c & 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* overlong, surrogates, beyond U+10FFFF */
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need;
}

static int
is_utf8_name(const char *enc)
{
	return !strcasecmp(enc, "UTF-8") || !strcasecmp(enc, "UTF8");
}

static int
decode_utf8(struct vl_buf *out, const char *data, size_t len, int *had_bom,
	    struct vl_err *err)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t i = 0, n, start;

	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		*had_bom = 1;
		i = 3;
	}
	/* Checked whole, then copied in one piece. */
	for (start = i; i < len; i += n) {
		if (p[i] < 0x80) {
			n = ascii_run(p + i, len - i);
			continue;
		}
		n = utf8_seq(p + i, len - i);
		if (!n)
			return vl_err_set(err, VL_E_FORMAT,
					  "invalid UTF-8 at byte %zu", i);
	}
	if (vl_buf_add(out, p + start, len - start) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	return 0;
}

int
fix_text_decode(struct vl_buf *out, const char *data, size_t len,
		const char *encoding, int *had_bom, struct vl_err *err)
{
	const unsigned char *u = (const unsigned char *)data;
	char chunk[4096];
	iconv_t cd;
	char *in = (char *)data; /* iconv's prototype is not const */
	size_t inleft = len;
	int rc = 0;

	*had_bom = 0;
	vl_buf_reset(out);
	if (!encoding || !*encoding || is_utf8_name(encoding))
		return decode_utf8(out, data, len, had_bom, err);
	if (len >= 2 &&
	    ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff)))
		*had_bom = 1;
	cd = iconv_open("UTF-8", encoding);
	if (cd == (iconv_t)-1)
		return vl_err_set(err, VL_E_INVAL,
				  "unknown character encoding '%s'", encoding);
	while (inleft > 0) {
		char *o = chunk;
		size_t oleft = sizeof(chunk);
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);

		if (vl_buf_add(out, chunk, sizeof(chunk) - oleft) < 0) {
			rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
			goto out;
		}
		if (r == (size_t)-1 && errno != E2BIG) {
			rc = vl_err_set(err, VL_E_FORMAT,
					"invalid %s at byte %zu", encoding,
					len - inleft);
			goto out;
		}
	}
	/* A BOM that iconv passed through (e.g. UTF-16LE input). */
	if (out->len >= 3 && (unsigned char)out->buf[0] == 0xef &&
	    (unsigned char)out->buf[1] == 0xbb &&
	    (unsigned char)out->buf[2] == 0xbf) {
		memmove(out->buf, out->buf + 3, out->len - 3);
		out->len -= 3;
		out->buf[out->len] = '\0';
		*had_bom = 1;
	}
out:
	iconv_close(cd);
	return rc;
}

int
fix_path_decode(struct vl_buf *out, const char *s, size_t len, int version,
		unsigned *flags, struct vl_err *err)
{
	const char *end = s + len, *pct;
	char *w;

	if (memchr(s, '\0', len))
		return vl_err_set(err, VL_E_FORMAT,
				  "file path contains a NUL byte");
	/* Decoding never lengthens: room for all of s, written in place. */
	if (vl_buf_grow(out, len) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	w = out->buf + out->len;
	/* Runs without '%' are copied whole. */
	while ((pct = memchr(s, '%', (size_t)(end - s)))) {
		int v = -1;

		memcpy(w, s, (size_t)(pct - s));
		w += pct - s;
		s = pct + 1;
		if (end - pct > 2) {
			int a = fix_hexval(pct[1]), b = fix_hexval(pct[2]);

			if (a >= 0 && b >= 0)
				v = a << 4 | b;
		}
		/* RFC 8493 2.1.3: CR, LF and (1.0) '%' are the only characters
		 * encoded; %25 means '%' only in 1.0, older bags wrote '%' as
		 * is. */
		if (v == 0x0a || v == 0x0d ||
		    (v == 0x25 && version >= FIX_BAGIT_1_0)) {
			*w++ = (char)v;
			s += 2;
			continue;
		}
		if (version >= FIX_BAGIT_1_0 && flags)
			*flags |= FIX_LINE_RAW_PCT;
		*w++ = '%';
	}
	memcpy(w, s, (size_t)(end - s));
	w += end - s;
	out->len = (size_t)(w - out->buf);
	out->buf[out->len] = '\0';
	return 0;
}

int
fix_path_encode(struct vl_buf *out, const char *path)
{
	while (*path) {
		size_t run = strcspn(path, "%\r\n");
		const char *code;
		int rc;

		if ((rc = vl_buf_add(out, path, run)) < 0)
			return rc;
		path += run;
		if (!*path)
			break;
		code = *path == '%' ? "%25" : *path == '\r' ? "%0D" : "%0A";
		if ((rc = vl_buf_add(out, code, 3)) < 0)
			return rc;
		path++;
	}
	return 0;
}

int
fix_manifest_format_line(struct vl_buf *out, const char *hex, const char *path)
{
	if (vl_buf_adds(out, hex) < 0 || vl_buf_adds(out, "  ") < 0 ||
	    fix_path_encode(out, path) < 0 || vl_buf_addch(out, '\n') < 0)
		return VL_E_NOMEM;
	return 0;
}

static int
is_lws(char c)
{
	return c == ' ' || c == '\t';
}

int
fix_manifest_parse_line(struct fix_manifest_line *out, struct vl_buf *buf,
			const char *line, size_t len, int version,
			struct vl_err *err)
{
	size_t i = 0, ck, path_at;
	unsigned flags = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	vl_buf_reset(buf);
	if (len && is_lws(line[0]))
		return vl_err_set(err, VL_E_FORMAT,
				  "line starts with whitespace, not a "
				  "checksum");
	/* The checksum: hex digits up to the first space or tab. */
	while (i < len && fix_hexval(line[i]) >= 0)
		i++;
	if (i < len && !is_lws(line[i])) {
		while (i < len && !is_lws(line[i]))
			i++;
		return vl_err_set(err, VL_E_FORMAT,
				  "checksum '%.*s' is not hexadecimal",
				  (int)(i > 80 ? 80 : i), line);
	}
	ck = i;
	if (ck == 0)
		return vl_err_set(err, VL_E_FORMAT, "empty line");
	while (i < len && is_lws(line[i]))
		i++;
	if (i == ck)
		return vl_err_set(err, VL_E_FORMAT,
				  "no file path after the checksum");
	if (i == len)
		return vl_err_set(err, VL_E_FORMAT,
				  "no file path after the checksum");
	/* Checksum, lowercased, then NUL, then the decoded path. */
	if (vl_buf_grow(buf, len + 1) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	for (size_t k = 0; k < ck; k++) {
		char c = line[k];

		buf->buf[k] = c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
	}
	buf->buf[ck] = '\0';
	buf->len = path_at = ck + 1;
	/* md5sum and sha*sum write "*" before the name in binary mode. */
	if (line[i] == '*' && i + 1 < len) {
		flags |= FIX_LINE_STAR;
		i++;
	}
	if ((rc = fix_path_decode(buf, line + i, len - i, version, &flags,
				  err)) < 0)
		return rc;
	while (buf->len - path_at >= 2 && buf->buf[path_at] == '.' &&
	       buf->buf[path_at + 1] == '/') {
		flags |= FIX_LINE_DOTSLASH;
		memmove(buf->buf + path_at, buf->buf + path_at + 2,
			buf->len - path_at - 2);
		buf->len -= 2;
		buf->buf[buf->len] = '\0';
	}
	if (buf->len == path_at)
		return vl_err_set(err, VL_E_FORMAT,
				  "no file path after the checksum");
	out->checksum = buf->buf;
	out->checksum_len = ck;
	out->path = buf->buf + path_at;
	out->path_len = buf->len - path_at;
	out->flags = flags;
	return 0;
}

void
fix_manifest_file(char *out, size_t n, int tag, int alg)
{
	snprintf(out, n, "%smanifest-%s.txt", tag ? "tag" : "",
		 fix_alg_name(alg));
}

int
fix_manifest_name(const char *name, int *tag, int *alg, struct vl_buf *alg_name)
{
	static const char suffix[] = ".txt";
	const char *mid;
	size_t n = strlen(name), m;
	char word[64];

	if (!strncmp(name, "manifest-", 9)) {
		*tag = 0;
		mid = name + 9;
	} else if (!strncmp(name, "tagmanifest-", 12)) {
		*tag = 1;
		mid = name + 12;
	} else {
		return 0;
	}
	if (n < (size_t)(mid - name) + 4 || strcmp(name + n - 4, suffix) != 0)
		return 0;
	m = (size_t)(name + n - 4 - mid);
	if (m == 0 || memchr(mid, '/', m))
		return 0;
	if (alg_name) {
		vl_buf_reset(alg_name);
		vl_buf_add(alg_name, mid, m);
	}
	*alg = -1;
	if (m < sizeof(word)) {
		memcpy(word, mid, m);
		word[m] = '\0';
		*alg = fix_alg_parse(word);
	}
	return 1;
}
