/*
 * format.c - format identification with libmagic: a MIME type and a
 * human description per file, recorded in the catalog and as a PREMIS
 * "format identification" event.
 *
 * A libmagic handle is not thread-safe: each thread opens its own
 * struct ing_magic.
 */
#include <magic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest.h"

struct ing_magic {
	magic_t mime, desc;
};

int
ing_magic_new(struct ing_magic **out, struct vl_err *err)
{
	struct ing_magic *m = calloc(1, sizeof(*m));
	const char *why;

	*out = NULL;
	if (!m)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	m->mime = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS);
	m->desc = magic_open(MAGIC_NONE | MAGIC_NO_CHECK_COMPRESS);
	if (!m->mime || !m->desc || magic_load(m->mime, NULL) != 0 ||
	    magic_load(m->desc, NULL) != 0) {
		why = m->mime ? magic_error(m->mime) : NULL;
		vl_err_set(err, VL_E_IO,
			   "cannot load the libmagic database: %s",
			   why ? why : "out of memory");
		ing_magic_free(m);
		return VL_E_IO;
	}
	*out = m;
	return 0;
}

void
ing_magic_free(struct ing_magic *m)
{
	if (!m)
		return;
	if (m->mime)
		magic_close(m->mime);
	if (m->desc)
		magic_close(m->desc);
	free(m);
}

static int
copy(char *out, size_t n, const char *s)
{
	size_t len;

	if (!s)
		return -1;
	len = strlen(s);
	if (len >= n)
		len = n - 1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

int
ing_magic_identify(struct ing_magic *m, int fd, char *mime, size_t mime_n,
		   char *desc, size_t desc_n, struct vl_err *err)
{
	/* magic_descriptor() reads from the current offset and may move
	 * it; callers pass a freshly opened descriptor. */
	if (copy(mime, mime_n, magic_descriptor(m->mime, fd)) < 0)
		return vl_err_set(err, VL_E_IO, "format identification: %s",
				  magic_error(m->mime) ? magic_error(m->mime)
						       : "unknown error");
	/* Unrecognised bytes are "data" by definition; asking again costs
	 * as much as the first pass (libmagic tries every test) and says
	 * nothing more. */
	if (!strcmp(mime, "application/octet-stream")) {
		copy(desc, desc_n, "data");
		return 0;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 ||
	    copy(desc, desc_n, magic_descriptor(m->desc, fd)) < 0)
		copy(desc, desc_n, "");
	return 0;
}

int
ing_magic_version(void)
{
	return magic_version();
}
