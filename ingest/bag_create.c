/*
 * bag_create.c - making bags (in place or into a new directory),
 * updating them after their payload changed, adding tag files, and
 * reading their manifest entries back.
 *
 * Bagging into DEST: the bag is assembled in a temporary sibling
 * directory; every payload file is copied and hashed in the same read
 * by the digest engine (ordered delivery, so manifest lines come out in
 * the walk's sorted order and are streamed to disk: memory stays flat);
 * then the tag files are written, the file system is synced and the
 * directory renamed to DEST.  On any failure the temporary directory is
 * removed: DEST appears complete or not at all.
 *
 * Bagging in place: one walk checks the source (no symlinks, special
 * files or ambiguous names) and hashes it where it is; only when all of
 * it passed do its entries move into a temporary directory renamed to
 * data/.  Until then nothing but the manifests' temporary files (not in
 * the listing that is moved, and removed on failure) is written; if
 * anything fails after the move, the entries are moved back.
 *
 * The tag files are written unsynced and made durable together at the
 * end (an fsync per file as written cost more than hashing a small
 * bag): into DEST, the whole new tree with one syncfs(2); in place, only
 * the tag files and the two directories the moves changed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utf8proc.h>

#include "bag_impl.h"

#define FLUSH_AT (1 << 20)

static const char bagit_txt[] =
	"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";

void
bag_human_size(char *out, size_t n, uint64_t bytes)
{
	static const char *const unit[] = { "KB", "MB", "GB", "TB", "PB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1000) {
		snprintf(out, n, "%llu bytes", (unsigned long long)bytes);
		return;
	}
	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(out, n, "%.1f %s", v, unit[u]);
}

/* ---- manifest writers ---- */

struct writer {
	unsigned algs;
	int tag;
	struct bag_atomic f[FIX_ALG_COUNT];
	struct vl_buf buf[FIX_ALG_COUNT];
	unsigned opened;
	/* With digest_algs, each manifest's own digests are computed as
	 * its lines are made (by the threads that deliver the files), so
	 * the tag manifest need not read it again when one core alone is
	 * working: buf[a] is hashed up to hashed[a], digests in dg[a] once
	 * committed. */
	unsigned digest_algs;
	struct fix_hasher *h[FIX_ALG_COUNT];
	size_t hashed[FIX_ALG_COUNT];
	struct fix_digests dg[FIX_ALG_COUNT];
};

/* Lines are hashed in pieces this big, the rest when the file ends. */
#define HASH_AT (64 * 1024)

static void
writer_abort(struct writer *w)
{
	int a;

	for (a = 0; a < FIX_ALG_COUNT; a++) {
		if (w->opened & FIX_ALG_BIT(a))
			bag_atomic_abort(&w->f[a]);
		vl_buf_release(&w->buf[a]);
		fix_hasher_free(w->h[a]);
		w->h[a] = NULL;
	}
	w->opened = 0;
}

/* Opens the manifests for algs; with digest_algs, their own digests are
 * computed too (in dg[] once committed). */
static int
writer_open(struct writer *w, int dirfd, unsigned algs, int tag, int nosync,
	    unsigned digest_algs, struct vl_err *err)
{
	int a, rc;

	memset(w, 0, sizeof(*w));
	w->algs = algs;
	w->tag = tag;
	w->digest_algs = digest_algs;
	for (a = 0; a < FIX_ALG_COUNT; a++) {
		char name[64];

		vl_buf_init(&w->buf[a], 0);
		if (!(algs & FIX_ALG_BIT(a)))
			continue;
		fix_manifest_file(name, sizeof(name), tag, a);
		if ((digest_algs &&
		     (rc = fix_hasher_new(&w->h[a], digest_algs, err)) < 0) ||
		    (rc = bag_atomic_open(&w->f[a], dirfd, name, err)) < 0) {
			writer_abort(w);
			return rc;
		}
		w->f[a].nosync = nosync;
		w->opened |= FIX_ALG_BIT(a);
	}
	return 0;
}

/* Feeds the lines of manifest a not hashed yet to its digests. */
static int
writer_hash(struct writer *w, int a, struct vl_err *err)
{
	int rc = 0;

	if (w->h[a] && w->buf[a].len > w->hashed[a])
		rc = fix_hasher_update(w->h[a], w->buf[a].buf + w->hashed[a],
				       w->buf[a].len - w->hashed[a], err);
	w->hashed[a] = w->buf[a].len;
	return rc;
}

static int
writer_flush(struct writer *w, int a, struct vl_err *err)
{
	int rc = writer_hash(w, a, err);

	if (rc == 0)
		rc = bag_atomic_write(&w->f[a], w->buf[a].buf, w->buf[a].len,
				      err);
	vl_buf_reset(&w->buf[a]);
	w->hashed[a] = 0;
	return rc;
}

static int
writer_hex(struct writer *w, int a, const char *hex, const char *path,
	   struct vl_err *err)
{
	if (fix_manifest_format_line(&w->buf[a], hex, path) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if (w->buf[a].len >= FLUSH_AT)
		return writer_flush(w, a, err);
	return w->buf[a].len - w->hashed[a] >= HASH_AT ? writer_hash(w, a, err)
						       : 0;
}

static int
writer_line(struct writer *w, const char *path, const struct fix_digests *d,
	    struct vl_err *err)
{
	char hex[FIX_HEX_MAX];
	int a, rc;

	for (a = 0; a < FIX_ALG_COUNT; a++) {
		if (!(w->algs & FIX_ALG_BIT(a)))
			continue;
		fix_hex(hex, d->md[a], fix_alg_size(a));
		if ((rc = writer_hex(w, a, hex, path, err)) < 0)
			return rc;
	}
	return 0;
}

static int
writer_commit(struct writer *w, struct vl_err *err)
{
	int a, rc;

	for (a = 0; a < FIX_ALG_COUNT; a++) {
		if (!(w->opened & FIX_ALG_BIT(a)))
			continue;
		/* A file not yet committed is removed by writer_abort; a
		 * failed commit removes its own. */
		if ((rc = writer_flush(w, a, err)) < 0 ||
		    (w->h[a] &&
		     (rc = fix_hasher_final(w->h[a], &w->dg[a], err)) < 0)) {
			writer_abort(w);
			return rc;
		}
		w->opened &= ~FIX_ALG_BIT(a);
		if ((rc = bag_atomic_commit(&w->f[a], err)) < 0) {
			writer_abort(w);
			return rc;
		}
		vl_buf_release(&w->buf[a]);
		fix_hasher_free(w->h[a]);
		w->h[a] = NULL;
	}
	return 0;
}

static int
write_small(int dirfd, const char *name, const char *data, size_t len,
	    int nosync, struct vl_err *err)
{
	struct bag_atomic a;
	int rc;

	if ((rc = bag_atomic_open(&a, dirfd, name, err)) < 0)
		return rc;
	a.nosync = nosync;
	if ((rc = bag_atomic_write(&a, data, len, err)) < 0) {
		bag_atomic_abort(&a);
		return rc;
	}
	return bag_atomic_commit(&a, err);
}

/* ---- tag manifests ---- */

static int
is_tagmanifest(const char *name)
{
	int tag, alg;

	return fix_manifest_name(name, &tag, &alg, NULL) && tag;
}

/* Tag files under rel (recursively), except data/, tag manifests and our
 * own work areas. */
static int
list_tag_files(int rootfd, const char *rel, char ***v, size_t *n, size_t *alloc,
	       struct vl_err *err)
{
	char **names;
	size_t cnt, i;
	int dfd, rc;

	dfd = *rel ? bag_open_beneath(rootfd, rel, O_RDONLY | O_DIRECTORY, 0,
				      err)
		   : dup(rootfd);
	if (dfd < 0)
		return dfd;
	if ((rc = bag_list_dir(dfd, &names, &cnt, err)) < 0) {
		close(dfd);
		return rc;
	}
	for (i = 0; i < cnt && rc == 0; i++) {
		struct vl_buf sub = VL_BUF_INIT;
		struct stat st;

		if ((!*rel &&
		     (!strcmp(names[i], "data") || is_tagmanifest(names[i]))) ||
		    !strncmp(names[i], ".vellum-", 8) ||
		    strstr(names[i], ".tmp-"))
			continue;
		vl_buf_addf(&sub, "%s%s%s", rel, *rel ? "/" : "", names[i]);
		if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = vl_err_sys(err, VL_E_IO, "cannot stat '%s'",
					sub.buf);
		} else if (S_ISDIR(st.st_mode)) {
			rc = list_tag_files(rootfd, sub.buf, v, n, alloc, err);
		} else if (S_ISREG(st.st_mode)) {
			if (*n == *alloc) {
				size_t na = *alloc ? *alloc * 2 : 16;
				char **nv = reallocarray(*v, na, sizeof(*nv));

				if (!nv) {
					vl_buf_release(&sub);
					rc = vl_err_set(err, VL_E_NOMEM,
							"out of memory");
					break;
				}
				*v = nv;
				*alloc = na;
			}
			(*v)[(*n)++] = vl_buf_detach(&sub, NULL);
		}
		vl_buf_release(&sub);
	}
	bag_names_free(names, cnt);
	close(dfd);
	return rc;
}

/* The digests of the payload manifests w wrote, if it computed all of
 * algs; NULL otherwise. */
static const struct fix_digests *
known_digests(const struct writer *w, const char *file, unsigned algs)
{
	int tag, alg;

	if (!w || (w->digest_algs & algs) != algs || strchr(file, '/') ||
	    !fix_manifest_name(file, &tag, &alg, NULL) || tag || alg < 0 ||
	    !(w->algs & FIX_ALG_BIT(alg)))
		return NULL;
	return &w->dg[alg];
}

/* bag_tagmanifests_at(), taking the digests of the payload manifests
 * from their writer (committed with digest_algs) where it has them. */
static int
tagmanifests(int rootfd, unsigned algs, unsigned flags,
	     const struct writer *payload, struct vl_err *err)
{
	struct fix_hasher *h = NULL;
	struct writer w;
	char **files = NULL;
	size_t n = 0, alloc = 0, i;
	int rc, opened = 0;

	if ((rc = list_tag_files(rootfd, "", &files, &n, &alloc, err)) < 0)
		goto out;
	if ((rc = fix_hasher_new(&h, algs, err)) < 0 ||
	    (rc = writer_open(&w, rootfd, algs, 1, (flags & BAG_NO_SYNC) != 0,
			      0, err)) < 0)
		goto out;
	opened = 1;
	for (i = 0; i < n; i++) {
		const struct fix_digests *known =
			known_digests(payload, files[i], algs);
		struct fix_digests d;
		int fd;

		if (known) {
			if ((rc = writer_line(&w, files[i], known, err)) < 0)
				goto out;
			continue;
		}
		fd = bag_open_beneath(rootfd, files[i], O_RDONLY, 0, err);
		if (fd < 0) {
			rc = fd;
			goto out;
		}
		rc = fix_hash_fd(h, algs, fd, -1, files[i], &d, NULL, err);
		close(fd);
		if (rc < 0 || (rc = writer_line(&w, files[i], &d, err)) < 0)
			goto out;
	}
	rc = writer_commit(&w, err);
	opened = 0;
out:
	if (opened)
		writer_abort(&w);
	fix_hasher_free(h);
	bag_names_free(files, n);
	return rc;
}

int
bag_tagmanifests_at(int rootfd, unsigned algs, unsigned flags,
		    struct vl_err *err)
{
	return tagmanifests(rootfd, algs, flags, NULL, err);
}

/* ---- creating ---- */

struct cctx {
	const char *src;
	const struct bag_create_opts *o;
	unsigned algs;
	int srcfd; /* source tree (the bag root when in place) */
	int bagfd; /* the bag being built */
	int in_place;
	const char *root;       /* the bag being built, by path */
	enum bag_format format; /* what it will be serialized as */
	struct fix_engine *eng;
	struct writer w;
	struct vl_buf rel, dest;
	struct vl_buf listed; /* in place: "data/PATH", for the deliverer */
	uint64_t files, bytes, skipped;
	int failed; /* atomic */
	struct vl_err err;
	pthread_mutex_t mu; /* guards err */
	/* directories followed through symlinks, to refuse loops */
	dev_t dev[64];
	ino_t ino[64];
	size_t depth;
};

static void
fail(struct cctx *c, const struct vl_err *e)
{
	pthread_mutex_lock(&c->mu);
	if (!c->failed) {
		c->err = *e;
		__atomic_store_n(&c->failed, 1, __ATOMIC_RELAXED);
		if (c->eng)
			fix_engine_cancel(c->eng);
	}
	pthread_mutex_unlock(&c->mu);
}

static int failf(struct cctx *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
failf(struct cctx *c, int code, const char *fmt, ...)
{
	struct vl_err e;
	va_list ap;

	e.code = code;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	fail(c, &e);
	return code;
}

static int
c_open_src(void *ctx, const char *path, void *udata, struct vl_err *err)
{
	struct cctx *c = ctx;

	(void)udata;
	return bag_open_beneath(c->srcfd, path, BAG_READ_FLAGS, 0, err);
}

static int
c_open_dest(void *ctx, const char *dest, struct vl_err *err)
{
	struct cctx *c = ctx;

	return bag_open_beneath(c->bagfd, dest,
				O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, 0644,
				err);
}

static void
c_done(void *ctx, const struct fix_result *r)
{
	struct cctx *c = ctx;
	struct vl_err e = { 0 };

	if (__atomic_load_n(&c->failed, __ATOMIC_RELAXED))
		return;
	if (r->code) {
		vl_err_set(&e, r->code, "%s", r->msg);
		fail(c, &e);
		return;
	}
	if (c->in_place) {
		vl_buf_reset(&c->listed);
		if (vl_buf_add(&c->listed, "data/", 5) < 0 ||
		    vl_buf_adds(&c->listed, r->path) < 0) {
			vl_err_set(&e, VL_E_NOMEM, "out of memory");
			fail(c, &e);
			return;
		}
	}
	if (writer_line(&c->w, c->in_place ? c->listed.buf : r->dest,
			r->digests, &e) < 0) {
		fail(c, &e);
		return;
	}
	c->files++;
	c->bytes += r->size;
	if (c->o->progress)
		c->o->progress(c->o->ctx, c->files, c->bytes);
}

static int
valid_utf8(const char *s)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;

	while (*s) {
		if ((unsigned char)*s < 0x80) {
			s++;
			continue;
		}
		n = utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &cp);
		if (n <= 0)
			return 0;
		s += n;
	}
	return 1;
}

/* A name and its NFC form (the name itself when it is ASCII). */
struct nfc_name {
	const char *nfc;
	const char *name;
};

static int
cmp_nfc_name(const void *pa, const void *pb)
{
	const struct nfc_name *a = pa, *b = pb;

	return strcmp(a->nfc, b->nfc);
}

/* Names in one directory that differ only by Unicode normalization
 * would become one name on macOS and in many tools: refuse.  The names
 * are sorted by their NFC form, so twins end up side by side; an ASCII
 * name is its own NFC form, and a directory of ASCII names (the usual
 * case) needs no sorting at all. */
static int
check_normalization(struct cctx *c, char **names, size_t n)
{
	struct nfc_name *v;
	size_t i, wide = 0;
	int rc = 0;

	for (i = 0; i < n && !wide; i++)
		wide = !bag_is_ascii(names[i]);
	if (!wide)
		return 0;
	if (!(v = calloc(n, sizeof(*v))))
		return failf(c, VL_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		v[i].name = names[i];
		if (!bag_is_ascii(names[i]))
			v[i].nfc = (char *)utf8proc_NFC(
				(const utf8proc_uint8_t *)names[i]);
		/* Not UTF-8 (refused by check_name) or no memory: it is
		 * compared as it is, and can meet no twin. */
		if (!v[i].nfc)
			v[i].nfc = names[i];
	}
	qsort(v, n, sizeof(*v), cmp_nfc_name);
	for (i = 1; i < n; i++)
		if (!strcmp(v[i - 1].nfc, v[i].nfc)) {
			rc = failf(c, VL_E_EXISTS,
				   "'%s' and '%s' differ only by Unicode "
				   "normalization; rename one",
				   v[i - 1].name, v[i].name);
			break;
		}
	for (i = 0; i < n; i++)
		if (v[i].nfc != v[i].name)
			free((char *)v[i].nfc);
	free(v);
	return rc;
}

/* c->dest = "data/" rel: the path in the bag (the walk's thread only). */
static const char *
in_bag(struct cctx *c, const char *rel)
{
	vl_buf_reset(&c->dest);
	if (vl_buf_add(&c->dest, "data/", 5) < 0 ||
	    vl_buf_adds(&c->dest, rel) < 0)
		return NULL;
	return c->dest.buf;
}

static int
check_name(struct cctx *c, const char *rel)
{
	const char *why, *p;

	if (!valid_utf8(rel)) {
		/* Quote it printable: the message itself must be text. */
		struct vl_buf q = VL_BUF_INIT;
		const unsigned char *u;

		for (u = (const unsigned char *)rel; *u; u++)
			if (*u < 0x80 && *u >= 0x20)
				vl_buf_addch(&q, (char)*u);
			else
				vl_buf_addf(&q, "\\x%02x", *u);
		failf(c, VL_E_INVAL,
		      "'%s' is not valid UTF-8; BagIt manifests are text",
		      q.buf);
		vl_buf_release(&q);
		return VL_E_INVAL;
	}
	if (!(p = in_bag(c, rel)))
		return failf(c, VL_E_NOMEM, "out of memory");
	if ((why = bag_path_unsafe(p)))
		return failf(c, VL_E_INVAL, "cannot bag '%s': its path %s", rel,
			     why);
	return 0;
}

static void
warn(struct cctx *c, const char *rel, const char *msg)
{
	c->skipped++;
	if (c->o->warn)
		c->o->warn(c->o->ctx, rel, msg);
}

/* Warnings that leave the file in the bag (RFC 8493 6.1.2, and a bag
 * bagged again): said once, on the walk that submits. */
static void
warn_portable(struct cctx *c, const char *name, const char *rel, int regular)
{
	const char *why, *p;

	if (!c->o->warn)
		return;
	if ((why = bag_windows_unsafe(name)))
		c->o->warn(c->o->ctx, rel, why);
	if (regular && (p = in_bag(c, rel)) && bag_nested_bag(p))
		c->o->warn(c->o->ctx, rel,
			   "a bag inside the payload; validating this bag "
			   "checks it as payload only");
}

static int walk_src(struct cctx *c, int dirfd);

static int
submit_file(struct cctx *c, const char *rel)
{
	struct vl_err e = { 0 };
	int rc;

	if (c->in_place) {
		/* hashed where it is, listed as where it will be */
		rc = fix_engine_submit(c->eng, rel, NULL, 0, NULL, &e);
	} else if (!in_bag(c, rel)) {
		rc = vl_err_set(&e, VL_E_NOMEM, "out of memory");
	} else {
		rc = fix_engine_submit(c->eng, rel, c->dest.buf, 0, NULL, &e);
	}
	if (rc < 0 && !c->failed)
		fail(c, &e);
	return rc;
}

static int
enter_dir(struct cctx *c, int dirfd, const char *name, const char *rel,
	  int follow)
{
	struct vl_err e = { 0 };
	struct stat st;
	size_t i;
	int sub, rc;

	sub = follow ? bag_open_beneath(c->srcfd, rel, O_RDONLY | O_DIRECTORY,
					0, &e)
		     : openat(dirfd, name,
			      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return failf(c, VL_E_IO, "cannot open '%s'", rel);
	if (fstat(sub, &st) < 0 || c->depth >= 64) {
		close(sub);
		return failf(c, VL_E_INVAL, "'%s' is nested too deeply", rel);
	}
	for (i = 0; i < c->depth; i++)
		if (c->dev[i] == st.st_dev && c->ino[i] == st.st_ino) {
			close(sub);
			return failf(c, VL_E_INVAL,
				     "symbolic link '%s' makes a loop", rel);
		}
	if (!c->in_place) {
		if (!in_bag(c, rel))
			return failf(c, VL_E_NOMEM, "out of memory");
		if ((rc = bag_mkdirs_at(c->bagfd, c->dest.buf, &e)) < 0) {
			close(sub);
			fail(c, &e);
			return rc;
		}
	}
	c->dev[c->depth] = st.st_dev;
	c->ino[c->depth] = st.st_ino;
	c->depth++;
	rc = walk_src(c, sub);
	c->depth--;
	close(sub);
	return rc;
}

static int
src_link(struct cctx *c, int dirfd, const char *name, const char *rel)
{
	struct vl_err e = { 0 };
	struct stat st;
	int fd;

	if (c->in_place)
		return failf(c, VL_E_INVAL,
			     "'%s' is a symbolic link; bagging in place "
			     "refuses links (bag into a new directory to skip "
			     "or follow them)",
			     rel);
	switch (c->o->symlinks) {
	case BAG_SYMLINKS_SKIP: warn(c, rel, "symbolic link skipped"); return 0;
	case BAG_SYMLINKS_ERROR:
		return failf(c, VL_E_INVAL,
			     "'%s' is a symbolic link (use --symlinks skip or "
			     "follow)",
			     rel);
	case BAG_SYMLINKS_FOLLOW: break;
	}
	/* Followed only while it stays inside the source. */
	fd = bag_open_beneath(c->srcfd, rel, O_PATH, 0, &e);
	if (fd < 0)
		return failf(c, fd == VL_E_UNSAFE ? VL_E_UNSAFE : VL_E_IO,
			     "symbolic link '%s' leads outside the source or "
			     "nowhere; it is never followed out",
			     rel);
	if (fstat(fd, &st) < 0) {
		close(fd);
		return failf(c, VL_E_IO, "cannot stat '%s'", rel);
	}
	close(fd);
	if (S_ISDIR(st.st_mode))
		return enter_dir(c, dirfd, name, rel, 1);
	if (S_ISREG(st.st_mode))
		return submit_file(c, rel);
	return failf(c, VL_E_INVAL, "'%s' leads to a special file", rel);
}

/* Checks and submits the entries names of dirfd (the directory at
 * c->rel); types, when not NULL, are their readdir(3) types, which
 * spare a stat of each file. */
static int
walk_names(struct cctx *c, int dirfd, char **names, const unsigned char *types,
	   size_t n)
{
	size_t i, base = c->rel.len;
	int rc;

	if ((rc = check_normalization(c, names, n)) < 0)
		goto out;
	for (i = 0; i < n && !c->failed; i++) {
		struct stat st;
		mode_t mode;

		c->rel.len = base;
		c->rel.buf[base] = '\0';
		if (base)
			vl_buf_addch(&c->rel, '/');
		vl_buf_adds(&c->rel, names[i]);
		if (c->o->exclude_hidden && names[i][0] == '.') {
			c->skipped++;
			continue;
		}
		if ((rc = check_name(c, c->rel.buf)) < 0)
			break;
		if (types && types[i] != DT_UNKNOWN) {
			mode = DTTOIF(types[i]);
		} else if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) <
			   0) {
			rc = failf(c, VL_E_IO, "cannot stat '%s'", c->rel.buf);
			break;
		} else {
			mode = st.st_mode;
		}
		warn_portable(c, names[i], c->rel.buf, S_ISREG(mode));
		if (S_ISDIR(mode))
			rc = enter_dir(c, dirfd, names[i], c->rel.buf, 0);
		else if (S_ISREG(mode))
			rc = submit_file(c, c->rel.buf);
		else if (S_ISLNK(mode))
			rc = src_link(c, dirfd, names[i], c->rel.buf);
		else
			rc = failf(c, VL_E_INVAL,
				   "'%s' is not a regular file or directory "
				   "(device, FIFO or socket)",
				   c->rel.buf);
		if (rc < 0)
			break;
	}
out:
	c->rel.len = base;
	c->rel.buf[base] = '\0';
	return c->failed ? -1 : rc;
}

static int
walk_src(struct cctx *c, int dirfd)
{
	struct vl_err e = { 0 };
	unsigned char *types;
	char **names;
	size_t n;
	int rc;

	if ((rc = bag_list_dir_types(dirfd, &names, &types, &n, &e)) < 0) {
		fail(c, &e);
		return rc;
	}
	rc = walk_names(c, dirfd, names, types, n);
	bag_names_free(names, n);
	free(types);
	return rc;
}

/* The bag-info elements the bag gets: the given ones in order, then
 * what is computed (Payload-Oxum and Bag-Size from the payload hashed
 * so far). */
static int
fill_info(struct cctx *c, struct bag_info *bi, struct vl_err *err)
{
	char date[VL_TIME_LEN], oxum[48], size[32];
	size_t i;
	int rc = 0;

	if (c->o->info)
		for (i = 0; i < c->o->info->n && rc == 0; i++)
			rc = bag_info_add(bi, c->o->info->v[i].label,
					  c->o->info->v[i].value, err);
	vl_time_now(date);
	date[10] = '\0';
	snprintf(oxum, sizeof(oxum), "%llu.%llu", (unsigned long long)c->bytes,
		 (unsigned long long)c->files);
	bag_human_size(size, sizeof(size), c->bytes);
	if (rc == 0 && !bag_info_get(bi, "Bagging-Date"))
		rc = bag_info_add(bi, "Bagging-Date", date, err);
	if (rc == 0 && !bag_info_get(bi, "Bag-Software-Agent"))
		rc = bag_info_add(bi, "Bag-Software-Agent",
				  "vellum " VELLUM_VERSION, err);
	/* BagIt Profiles 1.3: a bag names the profile it conforms to. */
	if (rc == 0 && c->o->profile && bag_profile_id(c->o->profile) &&
	    !bag_info_get(bi, "BagIt-Profile-Identifier"))
		rc = bag_info_add(bi, "BagIt-Profile-Identifier",
				  bag_profile_id(c->o->profile), err);
	/* Computed, whatever was given: they must describe this payload. */
	if (rc == 0)
		rc = bag_info_set(bi, "Payload-Oxum", oxum, err);
	if (rc == 0)
		rc = bag_info_set(bi, "Bag-Size", size, err);
	return rc;
}

static int
write_info(struct cctx *c, struct vl_err *err)
{
	struct bag_info bi;
	struct vl_buf out = VL_BUF_INIT;
	int rc;

	bag_info_init(&bi);
	rc = fill_info(c, &bi, err);
	if (rc == 0 && bag_info_format(&out, &bi) < 0)
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
	if (rc == 0)
		rc = write_small(c->bagfd, "bag-info.txt", out.buf, out.len, 1,
				 err);
	vl_buf_release(&out);
	bag_info_release(&bi);
	return rc;
}

/* Hands each profile error of rep to the warn callback and refuses the
 * bag if there was any (payload rules left out when skip_payload: the
 * payload is not known yet). */
static int
refuse_profile(struct cctx *c, const struct bag_report *rep, int skip_payload,
	       struct vl_err *err)
{
	const struct bag_problem *first = NULL;
	const char *id = bag_profile_id(c->o->profile);
	size_t i, n = 0;

	for (i = 0; i < rep->n; i++) {
		const struct bag_problem *p = &rep->v[i];
		struct vl_buf m = VL_BUF_INIT;

		if (p->severity != BAG_ERROR ||
		    (skip_payload &&
		     (!strncmp(p->code, "profile-payload", 15) ||
		      !strcmp(p->code, "profile-data-empty"))))
			continue;
		if (!first)
			first = p;
		n++;
		if (c->o->warn) {
			vl_buf_addf(&m, "profile: %s [%s]", p->message,
				    p->rule);
			c->o->warn(c->o->ctx, p->path ? p->path : ".", m.buf);
		}
		vl_buf_release(&m);
	}
	if (!n)
		return 0;
	return vl_err_set(err, VL_E_CHECK,
			  "the bag would not satisfy the profile '%s' (%zu "
			  "problem%s; first: %s%s%s); it was not made",
			  id ? id : "without identifier", n, n == 1 ? "" : "s",
			  first->path ? first->path : "",
			  first->path ? ": " : "", first->message);
}

/* --profile, before a byte is read: the tag files, manifests, bag-info,
 * version and serialization about to be written, against the profile,
 * so a bag that cannot conform is refused without hashing anything.
 * The payload rules wait for the finished bag (check_profile). */
static int
preflight_profile(struct cctx *c, struct vl_err *err)
{
	struct bag_report rep;
	struct bag b;
	char name[64];
	int a, rc;

	bag_report_init(&rep);
	bag_init(&b, "bag", &rep);
	snprintf(rep.version_str, sizeof(rep.version_str), "1.0");
	b.have_decl = b.have_info = b.has_data_dir = 1;
	b.info_name = "bag-info.txt";
	rc = fill_info(c, &b.info, err);
	bag_note_root_file(&b, "bagit.txt");
	bag_note_root_file(&b, "bag-info.txt");
	for (a = 0; a < FIX_ALG_COUNT; a++) {
		if (!(c->algs & FIX_ALG_BIT(a)))
			continue;
		fix_manifest_file(name, sizeof(name), 0, a);
		bag_note_root_file(&b, name);
		fix_manifest_file(name, sizeof(name), 1, a);
		bag_note_root_file(&b, name);
	}
	if (rc == 0) {
		bag_profile_check(&b, c->o->profile, c->format);
		rc = refuse_profile(c, &rep, 1, err);
	}
	bag_release(&b);
	bag_report_release(&rep);
	return rc;
}

/* --profile: the finished bag, before it appears, is checked for
 * completeness and against every rule of the profile (the digests were
 * just computed from the bytes written, so they are not read again).
 * Each broken rule is handed to the warn callback; any refuses the bag. */
static int
check_profile(struct cctx *c, struct vl_err *err)
{
	struct bag_validate_opts vo = { 0 };
	struct bag_report rep;
	int rc;

	bag_report_init(&rep);
	vo.mode = BAG_COMPLETE;
	vo.profile = c->o->profile;
	rc = bag_validate_dir_as(c->root, &vo, c->format, &rep, err);
	if (rc == 0)
		rc = refuse_profile(c, &rep, 0, err);
	bag_report_release(&rep);
	return rc;
}

/* Checks and hashes the payload (into DEST: copies it in the same
 * read) from names, the entries of the source root, streaming manifest
 * lines to temporary files in the bag. */
static int
hash_payload(struct cctx *c, char **names, const unsigned char *types, size_t n,
	     struct vl_err *err)
{
	struct fix_engine_opts eo = { 0 };
	int rc;

	if ((rc = writer_open(&c->w, c->bagfd, c->algs, 0, 1, c->algs, err)) <
	    0)
		return rc;
	eo.algs = c->algs;
	eo.threads = c->o->threads;
	eo.ordered = 1;
	eo.open_src = c_open_src;
	eo.open_dest = c_open_dest;
	eo.done = c_done;
	eo.ctx = c;
	if ((rc = fix_engine_new(&c->eng, &eo, err)) < 0)
		goto fail;
	walk_names(c, c->srcfd, names, types, n);
	fix_engine_finish(c->eng, err);
	fix_engine_free(c->eng);
	c->eng = NULL;
	if (c->failed) {
		*err = c->err;
		rc = err->code ? err->code : VL_E_IO;
		goto fail;
	}
	return 0;
fail:
	fix_engine_free(c->eng);
	c->eng = NULL;
	writer_abort(&c->w);
	return rc;
}

/* Writes every tag file, unsynced: the caller syncs the whole bag. */
static int
write_tags(struct cctx *c, struct vl_err *err)
{
	int rc;

	if ((rc = writer_commit(&c->w, err)) < 0 ||
	    (rc = write_small(c->bagfd, "bagit.txt", bagit_txt,
			      sizeof(bagit_txt) - 1, 1, err)) < 0 ||
	    (rc = write_info(c, err)) < 0 ||
	    (rc = tagmanifests(c->bagfd, c->algs, BAG_NO_SYNC, &c->w, err)) < 0)
		return rc;
	return c->o->profile ? check_profile(c, err) : 0;
}

static char *
parent_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	while (slash && slash > path && slash[1] == '\0') {
		/* trailing slashes */
		const char *p = slash;

		while (p > path && *p == '/')
			p--;
		slash = memrchr(path, '/', (size_t)(p - path + 1));
	}
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* 1 when the new path (not yet existing) would lie inside src: bagging
 * would then copy its own output. */
static int
lies_inside(const char *src, const char *path)
{
	char *parent = parent_of(path), *rs = NULL, *rp = NULL;
	int inside = 0;

	if (parent && (rs = realpath(src, NULL)) &&
	    (rp = realpath(parent, NULL))) {
		size_t n = strlen(rs);

		inside = !strncmp(rp, rs, n) &&
			 (rp[n] == '\0' || rp[n] == '/' || n == 1);
	}
	free(parent);
	free(rs);
	free(rp);
	return inside;
}

static int
create_into(struct cctx *c, const char *dest, struct vl_err *err)
{
	struct vl_buf tmpl = VL_BUF_INIT;
	char *parent = parent_of(dest), *stage = NULL, **names = NULL;
	unsigned char *types = NULL;
	size_t n = 0;
	struct stat st;
	int rc;

	if (lstat(dest, &st) == 0) {
		free(parent);
		return vl_err_set(err, VL_E_EXISTS, "'%s' already exists",
				  dest);
	}
	if (lies_inside(c->src, dest)) {
		free(parent);
		return vl_err_set(err, VL_E_INVAL,
				  "'%s' lies inside '%s': the bag would "
				  "contain itself",
				  dest, c->src);
	}
	if (!parent || vl_buf_addf(&tmpl, "%s.vellum-XXXXXX", dest) < 0) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	if (!(stage = mkdtemp(tmpl.buf))) {
		rc = vl_err_sys(err, VL_E_IO,
				"cannot create a directory "
				"beside '%s'",
				dest);
		goto out;
	}
	c->root = stage;
	c->bagfd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->bagfd < 0 || mkdirat(c->bagfd, "data", 0755) < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot create '%s/data'", stage);
		goto out;
	}
	if ((rc = bag_list_dir_types(c->srcfd, &names, &types, &n, err)) < 0 ||
	    (rc = hash_payload(c, names, types, n, err)) < 0 ||
	    (rc = write_tags(c, err)) < 0)
		goto out;
	if (fchmod(c->bagfd, 0755) < 0 ||
	    (!c->o->no_sync && syncfs(c->bagfd) < 0)) {
		rc = vl_err_sys(err, VL_E_IO, "cannot sync '%s'", stage);
		goto out;
	}
	if (rename(stage, dest) < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot rename to '%s'", dest);
		goto out;
	}
	stage = NULL;
	rc = c->o->no_sync ? 0 : vl_fsync_dir(parent, err);
out:
	if (stage)
		bag_rmtree_at(AT_FDCWD, stage);
	bag_names_free(names, n);
	free(types);
	vl_buf_release(&tmpl);
	free(parent);
	return rc;
}

/* Moves names (all of srcfd's entries) into dir, or back. */
static int
move_entries(int fd, char **names, size_t n, const char *from, const char *to,
	     size_t *moved, struct vl_err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct vl_buf a = VL_BUF_INIT, b = VL_BUF_INIT;
		int r;

		if (from)
			vl_buf_addf(&a, "%s/%s", from, names[i]);
		else
			vl_buf_adds(&a, names[i]);
		if (to)
			vl_buf_addf(&b, "%s/%s", to, names[i]);
		else
			vl_buf_adds(&b, names[i]);
		r = renameat(fd, a.buf, fd, b.buf);
		if (r < 0)
			vl_err_sys(err, VL_E_IO, "cannot move '%s'", names[i]);
		vl_buf_release(&a);
		vl_buf_release(&b);
		if (r < 0)
			return VL_E_IO;
		if (moved)
			(*moved)++;
	}
	return 0;
}

/* Makes a bag made in place durable: the files of its root (the tag
 * files just written) and its root and data/ directories (the moves).
 * The payload was only renamed.  Every file's writeback is started
 * before any fsync, so the first fsync's journal commit carries them
 * all and the others find their data written; syncfs(2) would also walk
 * every inode the file system has cached, 5-10 ms on a busy one. */
static int
sync_in_place(int rootfd, const char *src, struct vl_err *err)
{
	char **names = NULL;
	int *fds = NULL;
	size_t n = 0, i;
	int rc, dfd;

	if ((rc = bag_list_dir(rootfd, &names, &n, err)) < 0)
		return rc;
	if (n && !(fds = malloc(n * sizeof(*fds)))) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		/* data/ is synced below, with the root, after the files */
		fds[i] = !strcmp(names[i], "data")
				 ? -1
				 : openat(rootfd, names[i],
					  O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
						  O_NONBLOCK);
		if (fds[i] >= 0)
			(void)sync_file_range(fds[i], 0, 0,
					      SYNC_FILE_RANGE_WRITE);
	}
	for (i = 0; i < n; i++)
		if (fds[i] >= 0 && fsync(fds[i]) < 0 && rc == 0)
			rc = vl_err_sys(err, VL_E_IO, "cannot sync '%s/%s'",
					src, names[i]);
	dfd = openat(rootfd, "data",
		     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rc == 0 && (dfd < 0 || fsync(dfd) < 0 || fsync(rootfd) < 0))
		rc = vl_err_sys(err, VL_E_IO, "cannot sync '%s'", src);
	if (dfd >= 0)
		close(dfd);
out:
	for (i = 0; fds && i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	bag_names_free(names, n);
	return rc;
}

static int
create_in_place(struct cctx *c, const char *src, struct vl_err *err)
{
	struct vl_buf tmpl = VL_BUF_INIT;
	char **names = NULL, *tmp = NULL, *base = NULL;
	unsigned char *types = NULL;
	size_t n = 0, moved = 0;
	struct vl_err e2;
	int rc, in_data = 0;

	if (c->o->exclude_hidden)
		return vl_err_set(err, VL_E_INVAL,
				  "--exclude-hidden needs a destination: in "
				  "place, hidden files would stay in the "
				  "payload unlisted");
	/* 1. Check and hash the source where it is, from a listing taken
	 *    before the manifests' temporary files appear: nothing moves
	 *    unless all of it passed. */
	if ((rc = bag_list_dir_types(c->srcfd, &names, &types, &n, err)) < 0)
		return rc;
	c->bagfd = c->srcfd;
	c->root = src;
	if ((rc = hash_payload(c, names, types, n, err)) < 0)
		goto out;
	/* 2. Move the contents under a temporary name, then to data/. */
	if (vl_buf_addf(&tmpl, "%s/.vellum-bag-XXXXXX", src) < 0 ||
	    !(tmp = mkdtemp(tmpl.buf))) {
		rc = vl_err_sys(err, VL_E_IO,
				"cannot create a directory in "
				"'%s'",
				src);
		writer_abort(&c->w);
		goto out;
	}
	base = strrchr(tmp, '/') + 1;
	if ((rc = move_entries(c->srcfd, names, n, NULL, base, &moved, err)) <
	    0)
		goto undo;
	if (renameat(c->srcfd, base, c->srcfd, "data") < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot rename to '%s/data'",
				src);
		goto undo;
	}
	in_data = 1;
	/* 3. Write the tag files and make the whole bag durable: the
	 *    payload was only renamed, the tag files written unsynced. */
	if ((rc = write_tags(c, err)) < 0)
		goto undo;
	if (!c->o->no_sync)
		rc = sync_in_place(c->srcfd, src, err);
	goto out;
undo:
	/* Put the source back as it was. */
	e2 = *err;
	writer_abort(&c->w);
	{
		static const char *const made[] = { "bagit.txt",
						    "bag-info.txt" };
		int a;

		for (a = 0; a < 2; a++)
			unlinkat(c->srcfd, made[a], 0);
		for (a = 0; a < FIX_ALG_COUNT; a++) {
			char name[64];

			if (!(c->algs & FIX_ALG_BIT(a)))
				continue;
			fix_manifest_file(name, sizeof(name), 0, a);
			unlinkat(c->srcfd, name, 0);
			fix_manifest_file(name, sizeof(name), 1, a);
			unlinkat(c->srcfd, name, 0);
		}
	}
	if (in_data)
		renameat(c->srcfd, "data", c->srcfd, base);
	move_entries(c->srcfd, names, moved, base, NULL, NULL, &e2);
	unlinkat(c->srcfd, base, AT_REMOVEDIR);
	tmp = NULL;
out:
	if (tmp && !in_data)
		unlinkat(c->srcfd, strrchr(tmp, '/') + 1, AT_REMOVEDIR);
	bag_names_free(names, n);
	free(types);
	vl_buf_release(&tmpl);
	return rc;
}

/* bag_create() of a bag that will be serialized as format. */
static int
create(const char *src, const char *dest, const struct bag_create_opts *o,
       enum bag_format format, struct bag_summary *sum, struct vl_err *err)
{
	struct cctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.src = src;
	c.o = o;
	c.format = format;
	c.algs = o->algs ? o->algs : FIX_ALG_BIT(FIX_SHA512);
	c.bagfd = -1;
	c.in_place = dest == NULL;
	pthread_mutex_init(&c.mu, NULL);
	vl_buf_init(&c.rel, 0);
	vl_buf_init(&c.dest, 0);
	vl_buf_init(&c.listed, 0);
	c.srcfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.srcfd < 0) {
		rc = vl_err_sys(err, errno == ENOENT ? VL_E_NOTFOUND : VL_E_IO,
				"cannot open '%s'", src);
		goto out;
	}
	if (o->profile && (rc = preflight_profile(&c, err)) < 0)
		goto out;
	rc = dest ? create_into(&c, dest, err) : create_in_place(&c, src, err);
	if (rc == 0 && sum) {
		sum->files = c.files;
		sum->bytes = c.bytes;
		sum->algs = c.algs;
		sum->skipped = c.skipped;
	}
out:
	if (c.bagfd >= 0 && c.bagfd != c.srcfd)
		close(c.bagfd);
	if (c.srcfd >= 0)
		close(c.srcfd);
	vl_buf_release(&c.rel);
	vl_buf_release(&c.dest);
	vl_buf_release(&c.listed);
	pthread_mutex_destroy(&c.mu);
	return rc;
}

int
bag_create(const char *src, const char *dest, const struct bag_create_opts *o,
	   struct bag_summary *sum, struct vl_err *err)
{
	return create(src, dest, o, BAG_FMT_NONE, sum, err);
}

int
bag_create_archive(const char *src, const char *archive, int format,
		   const struct bag_create_opts *o, struct bag_summary *sum,
		   char **made, struct vl_err *err)
{
	struct vl_buf arc = VL_BUF_INIT, tmpl = VL_BUF_INIT, bag = VL_BUF_INIT;
	const char *base, *ext = bag_format_ext(format);
	char *stem = NULL, *tmp = NULL;
	int rc;

	*made = NULL;
	if (!*ext)
		return vl_err_set(err, VL_E_INVAL, "unknown archive format");
	if (bag_format_of_name(archive) == (enum bag_format)format)
		vl_buf_adds(&arc, archive);
	else
		vl_buf_addf(&arc, "%s%s", archive, ext);
	base = strrchr(arc.buf, '/');
	base = base ? base + 1 : arc.buf;
	if (strlen(base) <= strlen(ext) ||
	    !(stem = strndup(base, strlen(base) - strlen(ext))) ||
	    bag_path_unsafe(stem)) {
		rc = vl_err_set(err, VL_E_INVAL, "cannot name a bag after '%s'",
				arc.buf);
		goto out;
	}
	if (access(arc.buf, F_OK) == 0) {
		rc = vl_err_set(err, VL_E_EXISTS, "'%s' already exists",
				arc.buf);
		goto out;
	}
	if (lies_inside(src, arc.buf)) {
		rc = vl_err_set(err, VL_E_INVAL,
				"'%s' lies inside '%s': the bag would contain "
				"itself",
				arc.buf, src);
		goto out;
	}
	vl_buf_addf(&tmpl, "%.*s.vellum-XXXXXX", (int)(base - arc.buf),
		    arc.buf);
	if (!(tmp = mkdtemp(tmpl.buf))) {
		rc = vl_err_sys(err, VL_E_IO,
				"cannot make a work directory for '%s'",
				arc.buf);
		goto out;
	}
	vl_buf_addf(&bag, "%s/%s", tmp, stem);
	if ((rc = create(src, bag.buf, o, (enum bag_format)format, sum, err)) ==
		    0 &&
	    (rc = bag_pack(bag.buf, arc.buf, format, stem, err)) == 0)
		*made = vl_buf_detach(&arc, NULL);
out:
	if (tmp)
		bag_rmtree_at(AT_FDCWD, tmp);
	free(stem);
	vl_buf_release(&arc);
	vl_buf_release(&tmpl);
	vl_buf_release(&bag);
	return rc;
}
