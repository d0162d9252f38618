/*
 * vl_buf.c - growable NUL-terminated buffers with an optional size cap.
 *
 * Invariant: buf is never NULL and buf[len] == '\0'.  An unallocated
 * buffer points at the shared empty string vl_buf_empty (alloc == 0), so
 * it must never be written through before vl_buf_grow().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl.h"

char vl_buf_empty[1];

void
vl_buf_init(struct vl_buf *b, size_t max)
{
	b->buf = vl_buf_empty;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
}

void
vl_buf_release(struct vl_buf *b)
{
	if (b->alloc)
		free(b->buf);
	vl_buf_init(b, b->max);
}

void
vl_buf_reset(struct vl_buf *b)
{
	b->len = 0;
	if (b->alloc)
		b->buf[0] = '\0';
}

int
vl_buf_grow(struct vl_buf *b, size_t extra)
{
	size_t need, n;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return VL_E_NOMEM;
	need = b->len + extra + 1;
	if (b->max && need > b->max + 1)
		return VL_E_NOMEM;
	if (need <= b->alloc)
		return 0;
	n = b->alloc ? b->alloc : 64;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	p = b->alloc ? realloc(b->buf, n) : malloc(n);
	if (!p)
		return VL_E_NOMEM;
	if (!b->alloc)
		p[0] = '\0';
	b->buf = p;
	b->alloc = n;
	return 0;
}

int
vl_buf_add(struct vl_buf *b, const void *data, size_t len)
{
	int rc;

	if ((rc = vl_buf_grow(b, len)) < 0)
		return rc;
	if (len)
		memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return 0;
}

int
vl_buf_adds(struct vl_buf *b, const char *s)
{
	return vl_buf_add(b, s, strlen(s));
}

int
vl_buf_addch(struct vl_buf *b, char c)
{
	return vl_buf_add(b, &c, 1);
}

int
vl_buf_vaddf(struct vl_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return VL_E_INVAL;
	if ((rc = vl_buf_grow(b, (size_t)n)) < 0)
		return rc;
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
vl_buf_addf(struct vl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vl_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *
vl_buf_detach(struct vl_buf *b, size_t *len)
{
	char *s;

	if (len)
		*len = b->len;
	if (!b->alloc) {
		s = calloc(1, 1);
	} else {
		s = b->buf;
	}
	vl_buf_init(b, b->max);
	return s;
}

/* ---- hashing ---- */

#define VL_HASH_BASIS 1469598103934665603ULL
#define VL_HASH_PRIME 1099511628211ULL

uint64_t
vl_hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = VL_HASH_BASIS;

	while (len--)
		h = (h ^ *p++) * VL_HASH_PRIME;
	return h;
}

uint64_t
vl_hash_str(const char *s)
{
	uint64_t h = VL_HASH_BASIS;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * VL_HASH_PRIME;
	return h;
}
