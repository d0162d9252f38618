/*
 * bag_archive.c - serialized bags: validating .tar, .tar.gz and .zip
 * files in place with libarchive, packing a bag directory, unpacking.
 *
 * Validation never writes anything: tag files (everything outside
 * data/) are kept in memory, payload entries are hashed as they stream
 * past with the algorithms of the manifests seen so far.  If a manifest
 * turns up after payload entries (archives made by other tools), a
 * second pass computes the missing digests; a stream that cannot be
 * reread is hashed on the first pass with every common algorithm.
 *
 * Hostile entries (absolute names, "..", links, devices, sizes beyond
 * the declared one) are reported and their data never used.  Unpacking
 * applies the same checks before writing anything, and writes only
 * through bag_open_beneath() into a fresh directory (see docs/bagit.md
 * for why not archive_write_disk: it resolves names against the process
 * working directory, which a library must not change).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bag_impl.h"
#include "../repo/vl_arc.h"

#define ARC_TAG_TOTAL_MAX ((uint64_t)2 << 30) /* all tag files together */
#define GUESS_ALGS                                      \
	(FIX_ALG_BIT(FIX_MD5) | FIX_ALG_BIT(FIX_SHA1) | \
	 FIX_ALG_BIT(FIX_SHA256) | FIX_ALG_BIT(FIX_SHA512))

/* ---- locale ----
 *
 * libarchive converts names between UTF-8 and the locale's charset; in
 * the "C" locale it cannot represent non-ASCII names at all.  Bag paths
 * are UTF-8, so archive work runs with a thread-local C.UTF-8 locale
 * (uselocale), leaving the process locale alone. */

static locale_t utf8_loc;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void
make_utf8_locale(void)
{
	utf8_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static locale_t
enter_utf8(void)
{
	pthread_once(&utf8_once, make_utf8_locale);
	return utf8_loc ? uselocale(utf8_loc) : (locale_t)0;
}

static void
leave_utf8(locale_t old)
{
	if (old)
		uselocale(old);
}

/* ---- formats ---- */

int
bag_format_parse(const char *s)
{
	if (!strcmp(s, "tar"))
		return BAG_FMT_TAR;
	if (!strcmp(s, "tgz") || !strcmp(s, "tar.gz"))
		return BAG_FMT_TGZ;
	if (!strcmp(s, "zip"))
		return BAG_FMT_ZIP;
	return -1;
}

const char *
bag_format_ext(enum bag_format f)
{
	switch (f) {
	case BAG_FMT_TAR: return ".tar";
	case BAG_FMT_TGZ: return ".tar.gz";
	case BAG_FMT_ZIP: return ".zip";
	default: return "";
	}
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && !strcmp(s + n - m, suf);
}

enum bag_format
bag_format_of_name(const char *name)
{
	if (has_suffix(name, ".tar.gz") || has_suffix(name, ".tgz"))
		return BAG_FMT_TGZ;
	if (has_suffix(name, ".tar"))
		return BAG_FMT_TAR;
	if (has_suffix(name, ".zip"))
		return BAG_FMT_ZIP;
	return BAG_FMT_NONE;
}

/* The archive's name without directory and extension. */
static char *
stem_of(const char *path)
{
	const char *base = strrchr(path, '/');
	static const char *const exts[] = { ".tar.gz", ".tgz", ".tar", ".zip" };
	size_t n, i;

	base = base ? base + 1 : path;
	n = strlen(base);
	for (i = 0; i < 4; i++)
		if (has_suffix(base, exts[i])) {
			n -= strlen(exts[i]);
			break;
		}
	return strndup(base, n);
}

static struct archive *
open_reader(const char *path, int fd, struct vl_err *err)
{
	struct archive *a = vl_arc_read_new(err);
	int r;

	if (!a)
		return NULL;
	/* Only what we accept: tar (ustar, pax, GNU), zip; gzip or none. */
	vl_arc()->read_support_filter_gzip(a);
	vl_arc()->read_support_filter_none(a);
	vl_arc()->read_support_format_tar(a);
	vl_arc()->read_support_format_gnutar(a);
	vl_arc()->read_support_format_zip(a);
	if (fd >= 0)
		r = vl_arc()->read_open_fd(a, fd, 1 << 17);
	else
		r = vl_arc()->read_open_filename(a, path, 1 << 17);
	if (r != ARCHIVE_OK) {
		vl_err_set(err,
			   vl_arc()->errno_of(a) == ENOENT ? VL_E_NOTFOUND
							   : VL_E_FORMAT,
			   "cannot read '%s' as an archive: %s", path,
			   vl_arc()->error_string(a) ? vl_arc()->error_string(a)
						     : "unknown format");
		vl_arc()->read_free(a);
		return NULL;
	}
	return a;
}

static const char *
entry_name(struct archive_entry *e)
{
	const char *n = vl_arc()->entry_pathname_utf8(e);

	return n ? n : vl_arc()->entry_pathname(e);
}

/* Strips "./" and a trailing "/" into out. */
static int
clean_name(struct vl_buf *out, const char *name)
{
	vl_buf_reset(out);
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	if (vl_buf_adds(out, name) < 0)
		return VL_E_NOMEM;
	while (out->len > 1 && out->buf[out->len - 1] == '/')
		out->buf[--out->len] = '\0';
	return 0;
}

/* Why an entry must not be used (RFC 8493 5.1, 5.3; bsdtar's secure
 * defaults), or NULL. */
static const char *
entry_hostile(struct archive_entry *e, const char *name)
{
	mode_t t = vl_arc()->entry_filetype(e);
	const char *why;

	if (!*name)
		return "has an empty name";
	if ((why = bag_path_unsafe(name)))
		return why;
	if (vl_arc()->entry_hardlink(e))
		return "is a hard link";
	if (t == AE_IFLNK)
		return "is a symbolic link";
	if (t != AE_IFREG && t != AE_IFDIR)
		return "is a device, FIFO or socket";
	return NULL;
}

/* ---- validation ---- */

struct arc_file {
	char *path;
	uint64_t size;
	unsigned got_algs;
	struct fix_digests *d; /* NULL until hashed */
	int bad;               /* unreadable: do not compare */
};

struct arc {
	struct bag *b;
	const char *path;
	int fd;
	enum bag_mode mode;
	int meta_only;
	const struct bag_validate_opts *o;
	char *top; /* top-level directory, "" when none */
	int top_set, top_warned;
	struct arc_file *files;
	size_t nfiles, alloc;
	uint64_t tag_bytes;
	struct fix_hasher *h;
	unsigned char *buf;
	uint64_t hashed;
	enum bag_format format;
};

static struct bag_blob *
find_blob(struct bag *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->nblobs; i++)
		if (!strcmp(b->blobs[i].name, name))
			return &b->blobs[i];
	return NULL;
}

static int
blob_get(void *ctx, const char *name, struct vl_buf *out, struct vl_err *err)
{
	struct bag_blob *bl = find_blob(ctx, name);

	vl_buf_reset(out);
	if (!bl)
		return vl_err_set(err, VL_E_NOTFOUND, "'%s' is missing", name);
	if (vl_buf_add(out, bl->data, bl->len) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	return 0;
}

/* Maps an entry name to its path inside the bag; NULL to skip it. */
static const char *
bag_relative(struct arc *ac, const char *name, int is_dir)
{
	size_t n;

	if (!ac->top_set) {
		const char *slash = strchr(name, '/');

		ac->top_set = 1;
		if (slash || is_dir) {
			ac->top = strndup(name, slash ? (size_t)(slash - name)
						      : strlen(name));
		} else {
			ac->top = strdup("");
			bag_problem(ac->b, BAG_ERROR, "no-top-dir", R_SERIAL,
				    NULL, 0, NULL, name,
				    "the archive holds files at its top level, "
				    "not one directory");
		}
		if (ac->top && *ac->top && !ac->meta_only) {
			char *stem = stem_of(ac->path);

			if (stem && strcmp(stem, ac->top) != 0)
				bag_problem(ac->b, BAG_WARNING, "top-dir-name",
					    R_SERIAL, NULL, 0, stem, ac->top,
					    "the top-level directory '%s' is "
					    "not named after the archive",
					    ac->top);
			free(stem);
		}
	}
	if (!ac->top)
		return NULL;
	n = strlen(ac->top);
	if (n == 0)
		return name;
	if (!strcmp(name, ac->top))
		return "";
	if (!strncmp(name, ac->top, n) && name[n] == '/')
		return name + n + 1;
	if (!ac->top_warned) {
		ac->top_warned = 1;
		bag_problem(ac->b, BAG_ERROR, "several-top-dirs", R_SERIAL,
			    name, 0, ac->top, name,
			    "the archive holds more than one top-level entry");
	}
	return NULL;
}

static int
read_blob(struct arc *ac, struct archive *a, const char *rel, uint64_t declared,
	  int size_set, struct vl_err *err)
{
	struct bag *b = ac->b;
	struct vl_buf data = VL_BUF_INIT;
	struct bag_blob *bl;
	const void *p;
	size_t n;
	la_int64_t off;
	int r;

	if (find_blob(b, rel)) {
		bag_problem(b, BAG_ERROR, "duplicate-archive-entry", R_SERIAL,
			    rel, 0, NULL, NULL,
			    "the archive holds this file twice");
		return 0;
	}
	while ((r = vl_arc()->read_data_block(a, &p, &n, &off)) == ARCHIVE_OK) {
		if (data.len + n > BAG_TAG_MAX ||
		    ac->tag_bytes + data.len + n > ARC_TAG_TOTAL_MAX) {
			bag_problem(b, BAG_ERROR, "too-large", R_SERIAL, rel, 0,
				    NULL, NULL, "tag file too large to check");
			vl_buf_release(&data);
			return 0;
		}
		if (vl_buf_add(&data, p, n) < 0) {
			vl_buf_release(&data);
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		}
	}
	if (r != ARCHIVE_EOF) {
		bag_problem(b, BAG_ERROR, "archive-corrupt", R_SERIAL, rel, 0,
			    NULL, NULL, "cannot read: %s",
			    vl_arc()->error_string(a));
		vl_buf_release(&data);
		return 0;
	}
	if (size_set && data.len != declared) {
		char want[24], got[24];

		snprintf(want, sizeof(want), "%llu",
			 (unsigned long long)declared);
		snprintf(got, sizeof(got), "%zu", data.len);
		bag_problem(b, BAG_ERROR, "entry-size", R_SERIAL, rel, 0, want,
			    got,
			    "entry holds a different number of bytes "
			    "than its header declares");
	}
	if (b->nblobs == b->blobs_alloc) {
		size_t na = b->blobs_alloc ? b->blobs_alloc * 2 : 16;
		struct bag_blob *nv = reallocarray(b->blobs, na, sizeof(*nv));

		if (!nv) {
			vl_buf_release(&data);
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		}
		b->blobs = nv;
		b->blobs_alloc = na;
	}
	bl = &b->blobs[b->nblobs];
	bl->len = data.len;
	ac->tag_bytes += data.len;
	bl->data = vl_buf_detach(&data, NULL);
	if (!(bl->name = strdup(rel))) {
		free(bl->data);
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	}
	b->nblobs++;
	bag_note_root_file(b, rel);
	return 0;
}

/* Streams one payload entry through the hasher (algs may be 0). */
static int
hash_entry(struct arc *ac, struct archive *a, struct arc_file *f, unsigned algs,
	   uint64_t declared, int size_set, struct vl_err *err)
{
	struct vl_err e = { 0 };
	const void *p;
	size_t n;
	la_int64_t off;
	uint64_t total = 0;
	int r;

	if (algs && fix_hasher_reset(ac->h, algs, &e) < 0)
		return vl_err_set(err, e.code, "%s", e.msg);
	while ((r = vl_arc()->read_data_block(a, &p, &n, &off)) == ARCHIVE_OK) {
		if (algs && fix_hasher_update(ac->h, p, n, &e) < 0)
			return vl_err_set(err, e.code, "%s", e.msg);
		total += n;
		if (ac->o && ac->o->progress && algs) {
			ac->hashed += n;
		}
	}
	if (r != ARCHIVE_EOF) {
		bag_problem(ac->b, BAG_ERROR, "archive-corrupt", R_SERIAL,
			    f->path, 0, NULL, NULL, "cannot read: %s",
			    vl_arc()->error_string(a));
		f->bad = 1;
		return 0;
	}
	if (size_set && total != declared) {
		char want[24], got[24];

		snprintf(want, sizeof(want), "%llu",
			 (unsigned long long)declared);
		snprintf(got, sizeof(got), "%llu", (unsigned long long)total);
		bag_problem(ac->b, BAG_ERROR, "entry-size", R_SERIAL, f->path,
			    0, want, got,
			    "entry holds a different number of bytes than its "
			    "header declares");
		f->bad = 1;
	}
	f->size = total;
	if (!algs)
		return 0;
	if (!f->d && !(f->d = calloc(1, sizeof(*f->d))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	{
		struct fix_digests d;
		int a2;

		if (fix_hasher_final(ac->h, &d, &e) < 0)
			return vl_err_set(err, e.code, "%s", e.msg);
		for (a2 = 0; a2 < FIX_ALG_COUNT; a2++)
			if (algs & FIX_ALG_BIT(a2))
				memcpy(f->d->md[a2], d.md[a2], FIX_MD_MAX);
		f->got_algs |= algs;
		f->d->algs = f->got_algs;
	}
	if (ac->o && ac->o->progress)
		ac->o->progress(ac->o->ctx, ac->nfiles, ac->hashed);
	return 0;
}

static struct arc_file *
new_arc_file(struct arc *ac, const char *rel)
{
	struct arc_file *f;

	if (ac->nfiles == ac->alloc) {
		size_t na = ac->alloc ? ac->alloc * 2 : 64;
		struct arc_file *nv = reallocarray(ac->files, na, sizeof(*nv));

		if (!nv)
			return NULL;
		ac->files = nv;
		ac->alloc = na;
	}
	f = &ac->files[ac->nfiles];
	memset(f, 0, sizeof(*f));
	if (!(f->path = strdup(rel)))
		return NULL;
	ac->nfiles++;
	return f;
}

/* Pass 1 (first == 1) reads everything; pass 2 rehashes the payload
 * entries in `todo` (indexes marked by need_algs). */
static int
read_pass(struct arc *ac, int first, const unsigned *need, struct vl_err *err)
{
	struct vl_buf name = VL_BUF_INIT;
	struct archive_entry *e;
	struct archive *a;
	size_t idx = 0;
	int r, rc = 0;

	if (!first && ac->fd >= 0 && lseek(ac->fd, 0, SEEK_SET) < 0)
		return vl_err_sys(err, VL_E_IO, "cannot reread '%s'", ac->path);
	if (!(a = open_reader(ac->path, ac->fd, err)))
		return err->code;
	while ((r = vl_arc()->read_next_header(a, &e)) != ARCHIVE_EOF) {
		const char *rel, *why;
		int is_dir, size_set;
		uint64_t declared;

		if (r == ARCHIVE_FATAL || r == ARCHIVE_FAILED) {
			if (first)
				bag_problem(ac->b, BAG_ERROR, "archive-corrupt",
					    R_SERIAL, NULL, 0, NULL, NULL,
					    "cannot read the archive: %s",
					    vl_arc()->error_string(a));
			if (r == ARCHIVE_FATAL)
				break;
			continue;
		}
		if (first && ac->format == BAG_FMT_NONE) {
			int fc = vl_arc()->format(a) & ARCHIVE_FORMAT_BASE_MASK;

			ac->format = fc == ARCHIVE_FORMAT_ZIP ? BAG_FMT_ZIP
				     : vl_arc()->filter_code(a, 0) ==
						     ARCHIVE_FILTER_GZIP
					     ? BAG_FMT_TGZ
					     : BAG_FMT_TAR;
		}
		if (clean_name(&name, entry_name(e) ? entry_name(e) : "") < 0) {
			rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
			break;
		}
		is_dir = vl_arc()->entry_filetype(e) == AE_IFDIR;
		size_set = vl_arc()->entry_size_is_set(e);
		declared = size_set ? (uint64_t)vl_arc()->entry_size(e) : 0;
		if ((why = entry_hostile(e, name.buf))) {
			if (first)
				bag_problem(ac->b, BAG_ERROR, "hostile-entry",
					    R_PATHS, name.buf, 0, NULL, NULL,
					    "archive entry %s; it is not read",
					    why);
			continue;
		}
		if (!(rel = bag_relative(ac, name.buf, is_dir)) || !*rel)
			continue;
		if (is_dir) {
			if (first && !strcmp(rel, "data"))
				ac->b->has_data_dir = 1;
			continue;
		}
		if (strncmp(rel, "data/", 5) != 0) {
			if (first && (rc = read_blob(ac, a, rel, declared,
						     size_set, err)) < 0)
				break;
			continue;
		}
		if (first) {
			struct arc_file *f = new_arc_file(ac, rel);
			unsigned algs = ac->mode == BAG_FULL
						? ac->b->algs[BK_PAYLOAD]
						: 0;

			if (!f) {
				rc = vl_err_set(err, VL_E_NOMEM,
						"out of memory");
				break;
			}
			ac->b->has_data_dir = 1;
			/* A stream we cannot read twice: guess. */
			if (ac->mode == BAG_FULL && ac->fd >= 0 &&
			    lseek(ac->fd, 0, SEEK_CUR) < 0 && !algs)
				algs = GUESS_ALGS;
			if (ac->meta_only)
				algs = 0;
			rc = hash_entry(ac, a, f, algs, declared, size_set,
					err);
		} else {
			/* Pass 2: entries come in the same order. */
			while (idx < ac->nfiles &&
			       strcmp(ac->files[idx].path, rel) != 0)
				idx++;
			if (idx < ac->nfiles && need[idx])
				rc = hash_entry(ac, a, &ac->files[idx],
						need[idx], declared, size_set,
						err);
			if (idx < ac->nfiles)
				idx++;
		}
		if (rc < 0)
			break;
	}
	vl_arc()->read_free(a);
	vl_buf_release(&name);
	return rc;
}

/* Tag files listed in tag manifests, from memory. */
static void
check_tag_blobs(struct arc *ac)
{
	struct bag *b = ac->b;
	size_t i;

	for (i = 0; i < b->files.cap; i++) {
		struct bag_file *f = b->files.slot[i].val;
		struct bag_blob *bl;
		struct fix_digests d;
		struct vl_err e;
		unsigned algs;

		if (!b->files.slot[i].key || f->kind != BK_TAG || !f->listed ||
		    !(bl = find_blob(b, f->path)))
			continue;
		f->on_disk = 1;
		f->size = bl->len;
		algs = bag_file_algs(b, f);
		if (ac->mode != BAG_FULL || !algs)
			continue;
		if (fix_hasher_reset(ac->h, algs, &e) == 0 &&
		    fix_hasher_update(ac->h, bl->data, bl->len, &e) == 0 &&
		    fix_hasher_final(ac->h, &d, &e) == 0)
			bag_check_digests(b, f, &d);
	}
}

static void
arc_release(struct arc *ac)
{
	size_t i;

	for (i = 0; i < ac->nfiles; i++) {
		free(ac->files[i].path);
		free(ac->files[i].d);
	}
	free(ac->files);
	free(ac->top);
	fix_hasher_free(ac->h);
}

/* Matches the inventory and compares digests (after pass 2). */
static int
match_inventory(struct arc *ac, struct vl_err *err)
{
	struct bag *b = ac->b;
	unsigned *need = NULL;
	size_t i, k, again = 0;
	int rc = 0;

	if (!(need = calloc(ac->nfiles ? ac->nfiles : 1, sizeof(*need))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	for (i = 0; i < ac->nfiles; i++) {
		struct bag_file *m[8];
		size_t n = bag_match_payload(b, ac->files[i].path,
					     ac->files[i].size, m, 8);

		if (n == 0)
			bag_problem(b, BAG_ERROR, "not-in-manifest", R_COMPLETE,
				    ac->files[i].path, 0, NULL, NULL,
				    "payload file is not listed in any "
				    "manifest");
		for (k = 0; k < n; k++)
			need[i] |= bag_file_algs(b, m[k]);
		if (ac->mode != BAG_FULL || ac->files[i].bad)
			need[i] = 0;
		need[i] &= ~ac->files[i].got_algs;
		again += need[i] != 0;
	}
	if (again) {
		if (ac->fd >= 0 && lseek(ac->fd, 0, SEEK_CUR) < 0) {
			bag_problem(
				b, BAG_ERROR, "unsupported-algorithm", R_SERIAL,
				NULL, 0, NULL, NULL,
				"the manifests follow the payload in this "
				"stream and name algorithms not computed on "
				"the way; it cannot be read twice");
		} else if ((rc = read_pass(ac, 0, need, err)) < 0) {
			goto out;
		}
	}
	for (i = 0; i < ac->nfiles; i++) {
		struct bag_file *f = bag_lookup(b, ac->files[i].path);
		struct bag_file *c;

		if (ac->mode != BAG_FULL || ac->files[i].bad || !ac->files[i].d)
			continue;
		if (f && f->kind == BK_PAYLOAD && f->listed)
			bag_check_digests(b, f, ac->files[i].d);
		for (c = bag_lookup_nfc(b, ac->files[i].path); c;
		     c = c->nfc_next)
			if (c != f && c->disk &&
			    !strcmp(c->disk, ac->files[i].path))
				bag_check_digests(b, c, ac->files[i].d);
	}
out:
	free(need);
	return rc;
}

static int
archive_validate(const char *path, int fd, const struct bag_validate_opts *o,
		 struct bag_report *rep, struct bag *meta_out,
		 struct vl_err *err)
{
	struct bag own, *b = &own;
	struct arc ac;
	struct vl_buf decl = VL_BUF_INIT;
	struct vl_err e = { 0 };
	int rc;

	if (meta_out)
		b = meta_out;
	else
		bag_init(&own, path, rep);
	memset(&ac, 0, sizeof(ac));
	ac.b = b;
	ac.path = path;
	ac.fd = fd;
	ac.o = o;
	ac.mode = o ? o->mode : BAG_FULL;
	ac.meta_only = meta_out != NULL;
	b->archive = 1;
	rep->serialized = 1;
	if ((rc = fix_hasher_new(&ac.h, FIX_ALG_BIT(FIX_SHA256), err)) < 0)
		goto out;
	rc = read_pass(&ac, 1, NULL, err);
	if (rc == VL_E_FORMAT && !meta_out) {
		/* Not a readable archive: an invalid bag, not a failure. */
		bag_problem(b, BAG_ERROR, "archive-corrupt", R_SERIAL, NULL, 0,
			    NULL, NULL, "%s", err->msg);
		bag_finish_report(b, ac.mode);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	if (blob_get(b, "bagit.txt", &decl, &e) == 0)
		bag_parse_declaration(b, decl.buf, decl.len);
	else
		bag_parse_declaration(b, NULL, 0);
	if ((rc = bag_parse_tag_files(b, blob_get, b, ac.mode, err)) < 0)
		goto out;
	if (meta_out)
		goto out;
	if (ac.mode == BAG_FAST) {
		size_t i;

		for (i = 0; i < ac.nfiles; i++) {
			b->pay_files++;
			b->pay_bytes += ac.files[i].size;
		}
	} else {
		if ((rc = match_inventory(&ac, err)) < 0)
			goto out;
		check_tag_blobs(&ac);
	}
	rep->hashed_bytes = ac.hashed;
	bag_final_checks(b, ac.mode);
	bag_check_payload_size(b);
	if (o && o->profile)
		bag_profile_check(b, o->profile, ac.format);
	bag_finish_report(b, ac.mode);
out:
	vl_buf_release(&decl);
	arc_release(&ac);
	if (!meta_out)
		bag_release(&own);
	return rc;
}

/* ---- pack ---- */

struct packer {
	struct archive *a;
	int rootfd;
	const char *top;
	char *buf;
	struct vl_err *err;
};

static int
ar_fail(struct packer *p, const char *what)
{
	return vl_err_set(p->err, VL_E_IO, "cannot write %s: %s", what,
			  vl_arc()->error_string(p->a)
				  ? vl_arc()->error_string(p->a)
				  : "failed");
}

static int
pack_entry(struct packer *p, const char *rel, const struct stat *st, int fd)
{
	struct archive_entry *e = vl_arc()->entry_new();
	struct vl_buf name = VL_BUF_INIT;
	int rc = 0;

	if (!e)
		return vl_err_set(p->err, VL_E_NOMEM, "out of memory");
	vl_buf_addf(&name, "%s%s%s%s", p->top, *rel ? "/" : "", rel,
		    S_ISDIR(st->st_mode) ? "/" : "");
	vl_arc()->entry_set_pathname_utf8(e, name.buf);
	vl_arc()->entry_set_filetype(e, S_ISDIR(st->st_mode) ? AE_IFDIR
							     : AE_IFREG);
	vl_arc()->entry_set_perm(e, S_ISDIR(st->st_mode) ? 0755 : 0644);
	vl_arc()->entry_set_mtime(e, st->st_mtime, 0);
	vl_arc()->entry_set_size(e, S_ISDIR(st->st_mode) ? 0 : st->st_size);
	if (vl_arc()->write_header(p->a, e) < ARCHIVE_WARN) {
		rc = ar_fail(p, name.buf);
		goto out;
	}
	if (fd >= 0) {
		uint64_t left = (uint64_t)st->st_size;

		while (left) {
			ssize_t n = read(fd, p->buf, 1 << 17);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				rc = vl_err_sys(p->err, VL_E_IO,
						"cannot read '%s'", rel);
				goto out;
			}
			if ((uint64_t)n > left)
				n = (ssize_t)left; /* grew while packing */
			if (vl_arc()->write_data(p->a, p->buf, (size_t)n) < 0) {
				rc = ar_fail(p, name.buf);
				goto out;
			}
			left -= (uint64_t)n;
		}
	}
out:
	vl_arc()->entry_free(e);
	vl_buf_release(&name);
	return rc;
}

enum pack_what {
	PACK_FILES = 1,      /* regular files */
	PACK_DIRS = 2,       /* directories, recursively (all of them) */
	PACK_SKIP_BAGIT = 4, /* not bagit.txt (written first) */
	PACK_SKIP_DATA = 8,  /* not data/ (written last) */
};

static int
pack_file(struct packer *p, int dfd, const char *name, const char *rel,
	  const struct stat *st)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc;

	if (fd < 0)
		return vl_err_sys(p->err, VL_E_IO, "cannot open '%s'", rel);
	rc = pack_entry(p, rel, st, fd);
	close(fd);
	return rc;
}

/* Packs what of the directory rel (under rootfd), sorted. */
static int
pack_tree(struct packer *p, const char *rel, unsigned what)
{
	char **names;
	size_t n, i;
	int dfd, rc;

	dfd = *rel ? bag_open_beneath(p->rootfd, rel, O_RDONLY | O_DIRECTORY, 0,
				      p->err)
		   : dup(p->rootfd);
	if (dfd < 0)
		return dfd;
	if ((rc = bag_list_dir(dfd, &names, &n, p->err)) < 0) {
		close(dfd);
		return rc;
	}
	for (i = 0; i < n && rc == 0; i++) {
		struct vl_buf sub = VL_BUF_INIT;
		struct stat st;

		vl_buf_addf(&sub, "%s%s%s", rel, *rel ? "/" : "", names[i]);
		if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			rc = vl_err_sys(p->err, VL_E_IO, "cannot stat '%s'",
					sub.buf);
		else if (S_ISREG(st.st_mode)) {
			if ((what & PACK_FILES) &&
			    !((what & PACK_SKIP_BAGIT) &&
			      !strcmp(sub.buf, "bagit.txt")))
				rc = pack_file(p, dfd, names[i], sub.buf, &st);
		} else if (S_ISDIR(st.st_mode)) {
			if ((what & PACK_DIRS) &&
			    !((what & PACK_SKIP_DATA) &&
			      !strcmp(sub.buf, "data")) &&
			    (rc = pack_entry(p, sub.buf, &st, -1)) == 0)
				rc = pack_tree(p, sub.buf,
					       PACK_FILES | PACK_DIRS);
		} else {
			rc = vl_err_set(p->err, VL_E_UNSAFE,
					"cannot pack '%s': not a regular file "
					"or directory",
					sub.buf);
		}
		vl_buf_release(&sub);
	}
	bag_names_free(names, n);
	close(dfd);
	return rc;
}

static int
pack_all(struct packer *p)
{
	struct stat st;
	int fd, rc;

	if (fstat(p->rootfd, &st) < 0)
		return vl_err_sys(p->err, VL_E_IO, "cannot stat the bag");
	if ((rc = pack_entry(p, "", &st, -1)) < 0)
		return rc;
	/* bagit.txt first, so readers learn the version at once; then the
	 * other tag files, so manifests precede the payload and a reader
	 * can verify in one pass; then data/. */
	fd = bag_open_beneath(p->rootfd, "bagit.txt", O_RDONLY, 0, p->err);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		rc = vl_err_sys(p->err, VL_E_IO, "cannot stat 'bagit.txt'");
	else
		rc = pack_entry(p, "bagit.txt", &st, fd);
	close(fd);
	if (rc < 0 ||
	    (rc = pack_tree(p, "", PACK_FILES | PACK_SKIP_BAGIT)) < 0 ||
	    (rc = pack_tree(p, "", PACK_DIRS | PACK_SKIP_DATA)) < 0)
		return rc;
	if (fstatat(p->rootfd, "data", &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(st.st_mode))
		return vl_err_set(p->err, VL_E_INVAL,
				  "not a bag: no data/ directory");
	if ((rc = pack_entry(p, "data", &st, -1)) < 0)
		return rc;
	return pack_tree(p, "data", PACK_FILES | PACK_DIRS);
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static int
pack(const char *path, const char *archive, enum bag_format fmt,
     const char *top, struct vl_err *err)
{
	struct packer p = { 0 };
	struct vl_buf tmp = VL_BUF_INIT;
	char *base = NULL, *parent = NULL;
	int fd = -1, rc = 0;
	struct stat st;

	p.err = err;
	p.rootfd = -1;
	if (stat(archive, &st) == 0)
		return vl_err_set(err, VL_E_EXISTS, "'%s' already exists",
				  archive);
	p.rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p.rootfd < 0)
		return vl_err_sys(err, VL_E_NOTFOUND, "cannot open '%s'", path);
	if (!top) {
		char *copy = strdup(path);

		base = copy ? strdup(basename(copy)) : NULL;
		free(copy);
		if (!base || !*base || !strcmp(base, ".") ||
		    !strcmp(base, "/")) {
			rc = vl_err_set(err, VL_E_INVAL,
					"cannot name the top-level directory "
					"after '%s'",
					path);
			goto out;
		}
		top = base;
	}
	if (!top || bag_path_unsafe(top) || strchr(top, '/')) {
		rc = vl_err_set(err, VL_E_INVAL,
				"'%s' is not a usable directory name",
				top ? top : "");
		goto out;
	}
	p.top = top;
	if (!(p.a = vl_arc_write_new(err))) {
		rc = err->code;
		goto out;
	}
	if (!(p.buf = malloc(1 << 17)) ||
	    vl_buf_addf(&tmp, "%s.tmp-XXXXXX", archive) < 0) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	if (fmt == BAG_FMT_ZIP) {
		vl_arc()->write_set_format_zip(p.a);
		vl_arc()->write_set_format_option(p.a, "zip", "hdrcharset",
						  "UTF-8");
	} else {
		vl_arc()->write_set_format_pax_restricted(p.a);
		if (fmt == BAG_FMT_TGZ)
			vl_arc()->write_add_filter_gzip(p.a);
	}
	if ((fd = mkstemp(tmp.buf)) < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot create '%s'", tmp.buf);
		goto out;
	}
	if (vl_arc()->write_open_fd(p.a, fd) != ARCHIVE_OK) {
		rc = ar_fail(&p, archive);
		goto out;
	}
	if ((rc = pack_all(&p)) < 0)
		goto out;
	if (vl_arc()->write_close(p.a) != ARCHIVE_OK) {
		rc = ar_fail(&p, archive);
		goto out;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		rc = vl_err_sys(err, VL_E_IO, "cannot write '%s'", archive);
		goto out;
	}
	fd = -1;
	if (rename(tmp.buf, archive) < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot rename to '%s'", archive);
		goto out;
	}
	vl_buf_reset(&tmp);
	parent = dir_of(archive);
	rc = parent ? vl_fsync_dir(parent, err)
		    : vl_err_set(err, VL_E_NOMEM, "out of memory");
out:
	if (p.a)
		vl_arc()->write_free(p.a);
	if (fd >= 0)
		close(fd);
	if (tmp.len)
		unlink(tmp.buf);
	if (p.rootfd >= 0)
		close(p.rootfd);
	vl_buf_release(&tmp);
	free(p.buf);
	free(base);
	free(parent);
	return rc;
}

/* ---- unpack ---- */

#define UNPACK_MAX_ENTRIES 10000000
#define UNPACK_MAX_BYTES   ((uint64_t)1 << 42) /* 4 TiB */

static int
unpack_data(struct archive *a, int fd, const char *name, uint64_t declared,
	    int size_set, uint64_t *total, struct vl_err *err)
{
	const void *p;
	size_t n;
	la_int64_t off;
	uint64_t got = 0;
	int r;

	while ((r = vl_arc()->read_data_block(a, &p, &n, &off)) == ARCHIVE_OK) {
		const char *q = p;

		got += n;
		*total += n;
		if ((size_set && got > declared) || *total > UNPACK_MAX_BYTES)
			return vl_err_set(err, VL_E_UNSAFE,
					  "archive entry '%s' holds more bytes "
					  "than declared",
					  name);
		while (n) {
			ssize_t w = write(fd, q, n);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return vl_err_sys(err, VL_E_IO,
						  "cannot write '%s'", name);
			q += w;
			n -= (size_t)w;
		}
	}
	if (r != ARCHIVE_EOF)
		return vl_err_set(err, VL_E_FORMAT, "cannot read '%s': %s",
				  name, vl_arc()->error_string(a));
	if (size_set && got != declared)
		return vl_err_set(err, VL_E_UNSAFE,
				  "archive entry '%s' holds %llu bytes, not "
				  "the %llu declared",
				  name, (unsigned long long)got,
				  (unsigned long long)declared);
	return 0;
}

/* Extracts every entry under tmpfd; the top-level name goes to *top. */
static int
unpack_into(struct archive *a, int tmpfd, char **top, struct vl_err *err)
{
	struct vl_buf name = VL_BUF_INIT;
	struct archive_entry *e;
	uint64_t total = 0, count = 0;
	int r, rc = 0;

	while ((r = vl_arc()->read_next_header(a, &e)) != ARCHIVE_EOF) {
		const char *why;
		char *slash;
		int fd;

		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = vl_err_set(err, VL_E_FORMAT,
					"cannot read the archive: %s",
					vl_arc()->error_string(a));
			break;
		}
		if (++count > UNPACK_MAX_ENTRIES) {
			rc = vl_err_set(err, VL_E_UNSAFE,
					"too many archive entries");
			break;
		}
		if (clean_name(&name, entry_name(e) ? entry_name(e) : "") < 0) {
			rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
			break;
		}
		if ((why = entry_hostile(e, name.buf))) {
			rc = vl_err_set(err, VL_E_UNSAFE,
					"archive entry '%s' %s; nothing was "
					"extracted",
					name.buf, why);
			break;
		}
		slash = strchr(name.buf, '/');
		if (!*top) {
			if (!slash && vl_arc()->entry_filetype(e) != AE_IFDIR) {
				rc = vl_err_set(err, VL_E_FORMAT,
						"'%s' is at the top level; a "
						"serialized bag holds one "
						"directory",
						name.buf);
				break;
			}
			*top = strndup(name.buf,
				       slash ? (size_t)(slash - name.buf)
					     : name.len);
		}
		if (strncmp(name.buf, *top, strlen(*top)) != 0 ||
		    (name.buf[strlen(*top)] != '/' &&
		     name.buf[strlen(*top)] != '\0')) {
			rc = vl_err_set(err, VL_E_FORMAT,
					"the archive holds more than one "
					"top-level entry ('%s', '%s')",
					*top, name.buf);
			break;
		}
		if (vl_arc()->entry_filetype(e) == AE_IFDIR) {
			if ((rc = bag_mkdirs_at(tmpfd, name.buf, err)) < 0)
				break;
			continue;
		}
		if ((slash = strrchr(name.buf, '/'))) {
			*slash = '\0';
			rc = bag_mkdirs_at(tmpfd, name.buf, err);
			*slash = '/';
			if (rc < 0)
				break;
		}
		fd = bag_open_beneath(tmpfd, name.buf,
				      O_WRONLY | O_CREAT | O_EXCL, 0644, err);
		if (fd < 0) {
			rc = fd;
			break;
		}
		rc = unpack_data(a, fd, name.buf,
				 (uint64_t)vl_arc()->entry_size(e),
				 vl_arc()->entry_size_is_set(e), &total, err);
		if (close(fd) < 0 && rc == 0)
			rc = vl_err_sys(err, VL_E_IO, "cannot write '%s'",
					name.buf);
		if (rc < 0)
			break;
	}
	if (rc == 0 && !*top)
		rc = vl_err_set(err, VL_E_FORMAT, "the archive is empty");
	vl_buf_release(&name);
	return rc;
}

static int
unpack(const char *archive, const char *dest, char **made, struct vl_err *err)
{
	struct vl_buf tmpl = VL_BUF_INIT, final = VL_BUF_INIT;
	struct archive *a = NULL;
	char *parent = NULL, *top = NULL, *tmpdir = NULL;
	struct stat st;
	int tmpfd = -1, rc;

	if (made)
		*made = NULL;
	if (dest && lstat(dest, &st) == 0)
		return vl_err_set(err, VL_E_EXISTS, "'%s' already exists",
				  dest);
	parent = dest ? dir_of(dest) : strdup(".");
	if (!parent ||
	    vl_buf_addf(&tmpl, "%s/.vellum-unpack-XXXXXX", parent) < 0) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	if (!(tmpdir = mkdtemp(tmpl.buf))) {
		rc = vl_err_sys(err, VL_E_IO,
				"cannot create a directory in "
				"'%s'",
				parent);
		goto out;
	}
	tmpfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot open '%s'", tmpdir);
		goto out;
	}
	if (!(a = open_reader(archive, -1, err))) {
		rc = err->code;
		goto out;
	}
	if ((rc = unpack_into(a, tmpfd, &top, err)) < 0)
		goto out;
	if (syncfs(tmpfd) < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot sync '%s'", tmpdir);
		goto out;
	}
	if (dest)
		vl_buf_adds(&final, dest);
	else
		vl_buf_addf(&final, "%s", top);
	if (lstat(final.buf, &st) == 0) {
		rc = vl_err_set(err, VL_E_EXISTS, "'%s' already exists",
				final.buf);
		goto out;
	}
	if (renameat(tmpfd, top, AT_FDCWD, final.buf) < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot rename to '%s'",
				final.buf);
		goto out;
	}
	rc = vl_fsync_dir(parent, err);
	if (rc == 0 && made)
		*made = vl_buf_detach(&final, NULL);
out:
	if (a)
		vl_arc()->read_free(a);
	if (tmpfd >= 0)
		close(tmpfd);
	if (tmpdir)
		bag_rmtree_at(AT_FDCWD, tmpdir);
	vl_buf_release(&tmpl);
	vl_buf_release(&final);
	free(parent);
	free(top);
	return rc;
}

int
bag_archive_validate(const char *path, int fd,
		     const struct bag_validate_opts *o, struct bag_report *rep,
		     struct bag *meta_out, struct vl_err *err)
{
	locale_t old = enter_utf8();
	int rc = archive_validate(path, fd, o, rep, meta_out, err);

	leave_utf8(old);
	return rc;
}

int
bag_pack(const char *path, const char *archive, enum bag_format fmt,
	 const char *top, struct vl_err *err)
{
	locale_t old = enter_utf8();
	int rc = pack(path, archive, fmt, top, err);

	leave_utf8(old);
	return rc;
}

int
bag_unpack(const char *archive, const char *dest, char **made,
	   struct vl_err *err)
{
	locale_t old = enter_utf8();
	int rc = unpack(archive, dest, made, err);

	leave_utf8(old);
	return rc;
}
