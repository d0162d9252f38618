/*
 * bag_update.c - changing an existing bag directory: regenerating its
 * manifests after the payload changed (optionally adding algorithms,
 * verified in the same read), adding tag files with fresh tag
 * manifests, and reading manifest entries back for the catalog.
 *
 * Invariant: every file is replaced through a temporary name, fsync and
 * rename; when verification fails nothing is replaced at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bag_impl.h"

struct uctx {
	struct bag *b;
	const struct bag_update_opts *o;
	unsigned algs;     /* all algorithms of the new manifests */
	unsigned old_algs; /* algorithms verified (add mode) */
	int verify;
	struct bag_atomic f[FIX_ALG_COUNT];
	struct vl_buf buf[FIX_ALG_COUNT];
	unsigned opened;
	struct fix_engine *eng;
	struct vl_buf rel;
	struct bag_update_result *res;
	int failed;
	struct vl_err err;
};

static void
u_fail(struct uctx *u, const struct vl_err *e)
{
	if (!u->failed) {
		u->err = *e;
		u->failed = 1;
		if (u->eng)
			fix_engine_cancel(u->eng);
	}
}

static int
u_line(struct uctx *u, int a, const char *hex, const char *path,
       struct vl_err *err)
{
	int rc = 0;

	if (fix_manifest_format_line(&u->buf[a], hex, path) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if (u->buf[a].len >= (1 << 20)) {
		rc = bag_atomic_write(&u->f[a], u->buf[a].buf, u->buf[a].len,
				      err);
		vl_buf_reset(&u->buf[a]);
	}
	return rc;
}

static int
u_open(void *ctx, const char *path, void *udata, struct vl_err *err)
{
	struct uctx *u = ctx;

	(void)udata;
	return bag_open_beneath(u->b->rootfd, path, BAG_READ_FLAGS, 0, err);
}

/* Compares with the old manifests (what changed), then writes. */
static void
u_done(void *ctx, const struct fix_result *r)
{
	struct uctx *u = ctx;
	struct bag_file *f = r->udata;
	struct vl_err e = { 0 };
	char hex[FIX_HEX_MAX];
	int a;

	if (u->failed)
		return;
	if (r->code) {
		vl_err_set(&e, r->code, "%s", r->msg);
		u_fail(u, &e);
		return;
	}
	if (!f || !f->listed) {
		u->res->added++;
		if (u->verify)
			bag_problem(u->b, BAG_ERROR, "not-in-manifest",
				    R_COMPLETE, r->path, 0, NULL, NULL,
				    "payload file is not listed in any "
				    "manifest");
	} else {
		if (!bag_digests_match(u->b, f, r->digests))
			u->res->changed++;
		if (u->verify)
			bag_check_digests(u->b, f, r->digests);
	}
	for (a = 0; a < FIX_ALG_COUNT; a++) {
		if (!(u->algs & FIX_ALG_BIT(a)))
			continue;
		fix_hex(hex, r->digests->md[a], fix_alg_size(a));
		if (u_line(u, a, hex, r->path, &e) < 0) {
			u_fail(u, &e);
			return;
		}
	}
	u->res->files++;
	u->res->bytes += r->size;
	if (u->o && u->o->progress)
		u->o->progress(u->o->ctx, u->res->files, u->res->bytes);
}

static int
u_walk(struct uctx *u, int dirfd)
{
	struct vl_err e = { 0 };
	char **names;
	size_t n, i, base = u->rel.len;
	int rc;

	if ((rc = bag_list_dir(dirfd, &names, &n, &e)) < 0) {
		u_fail(u, &e);
		return rc;
	}
	for (i = 0; i < n && !u->failed; i++) {
		struct stat st;
		struct bag_file *f;

		u->rel.len = base;
		u->rel.buf[base] = '\0';
		vl_buf_addf(&u->rel, "/%s", names[i]);
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			vl_err_sys(&e, VL_E_IO, "cannot stat '%s'", u->rel.buf);
			u_fail(u, &e);
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, names[i],
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						 O_CLOEXEC);

			if (sub < 0) {
				vl_err_sys(&e, VL_E_IO, "cannot open '%s'",
					   u->rel.buf);
				u_fail(u, &e);
			} else {
				u_walk(u, sub);
				close(sub);
			}
		} else if (S_ISREG(st.st_mode)) {
			if (bag_path_unsafe(u->rel.buf)) {
				vl_err_set(&e, VL_E_UNSAFE,
					   "'%s' cannot be listed in a "
					   "manifest",
					   u->rel.buf);
				u_fail(u, &e);
				break;
			}
			f = bag_lookup(u->b, u->rel.buf);
			if (f && f->kind == BK_PAYLOAD)
				f->on_disk = 1;
			else
				f = NULL;
			u->b->pay_files++;
			u->b->pay_bytes += (uint64_t)st.st_size;
			if (fix_engine_submit(u->eng, u->rel.buf, NULL, 0, f,
					      &e) < 0)
				u_fail(u, &e);
		} else {
			vl_err_set(&e, VL_E_UNSAFE,
				   "'%s' is not a regular file or directory; "
				   "update does not follow links",
				   u->rel.buf);
			u_fail(u, &e);
		}
	}
	u->rel.len = base;
	u->rel.buf[base] = '\0';
	bag_names_free(names, n);
	return u->failed ? -1 : 0;
}

/* Entries still to be fetched keep their old lines (2.2.3). */
static int
keep_fetch_lines(struct uctx *u, struct vl_err *err)
{
	struct bag *b = u->b;
	size_t i;
	unsigned m;
	int rc;

	for (i = 0; i < b->nfetch; i++) {
		struct bag_file *f = bag_lookup(b, b->fetch[i].path);

		if (!f || f->on_disk || !f->listed)
			continue;
		f->on_disk = 1; /* not removed */
		if (u->algs & ~bag_file_algs(b, f)) {
			bag_problem(b, BAG_ERROR, "not-fetched", R_FETCH,
				    f->path, 0, NULL, NULL,
				    "not fetched yet: its new digests cannot "
				    "be computed (run vellum bag fetch first)");
			continue;
		}
		for (m = 0; m < b->nman[BK_PAYLOAD]; m++) {
			const struct bag_manifest *man = &b->man[BK_PAYLOAD][m];
			char hex[FIX_HEX_MAX];

			if (!(f->listed & (1u << m)) || man->alg < 0)
				continue;
			fix_hex(hex, f->md + man->off, fix_alg_size(man->alg));
			if ((rc = u_line(u, man->alg, hex, f->path, err)) < 0)
				return rc;
		}
	}
	return 0;
}

static void
count_removed(struct uctx *u)
{
	struct bag *b = u->b;
	size_t i;

	for (i = 0; i < b->files.cap; i++) {
		struct bag_file *f = b->files.slot[i].val;

		if (!b->files.slot[i].key || f->kind != BK_PAYLOAD ||
		    !f->listed || f->on_disk)
			continue;
		u->res->removed++;
		if (u->verify)
			bag_problem(b, BAG_ERROR, "missing-file", R_COMPLETE,
				    f->path, 0, NULL, NULL,
				    "listed in a manifest but not in the bag");
	}
}

static int
write_info(struct bag *b, struct vl_err *err)
{
	struct bag_atomic a;
	struct vl_buf out = VL_BUF_INIT;
	char oxum[48], size[32];
	int rc;

	snprintf(oxum, sizeof(oxum), "%llu.%llu",
		 (unsigned long long)b->pay_bytes,
		 (unsigned long long)b->pay_files);
	bag_human_size(size, sizeof(size), b->pay_bytes);
	if ((rc = bag_info_set(&b->info, "Payload-Oxum", oxum, err)) < 0 ||
	    (rc = bag_info_set(&b->info, "Bag-Size", size, err)) < 0)
		return rc;
	if (bag_info_format(&out, &b->info) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if ((rc = bag_atomic_open(&a, b->rootfd, "bag-info.txt", err)) == 0) {
		if ((rc = bag_atomic_write(&a, out.buf, out.len, err)) < 0)
			bag_atomic_abort(&a);
		else
			rc = bag_atomic_commit(&a, err);
	}
	vl_buf_release(&out);
	if (rc == 0 && b->info_name && strcmp(b->info_name, "bag-info.txt"))
		unlinkat(b->rootfd, b->info_name, 0); /* was package-info */
	return rc;
}

static int
commit_all(struct uctx *u, struct vl_err *err)
{
	static const char decl[] =
		"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
	struct bag *b = u->b;
	unsigned tag_algs = b->algs[BK_TAG] | (u->algs & ~b->algs[BK_PAYLOAD]);
	int a, rc;

	for (a = 0; a < FIX_ALG_COUNT; a++) {
		if (!(u->opened & FIX_ALG_BIT(a)))
			continue;
		rc = bag_atomic_write(&u->f[a], u->buf[a].buf, u->buf[a].len,
				      err);
		if (rc == 0)
			rc = bag_atomic_commit(&u->f[a], err);
		else
			bag_atomic_abort(&u->f[a]);
		u->opened &= ~FIX_ALG_BIT(a);
		if (rc < 0)
			return rc;
	}
	/* Written as 1.0 (percent-encoded paths): say so. */
	if (b->version != FIX_BAGIT_1_0) {
		struct bag_atomic d;

		if ((rc = bag_atomic_open(&d, b->rootfd, "bagit.txt", err)) < 0)
			return rc;
		if ((rc = bag_atomic_write(&d, decl, sizeof(decl) - 1, err)) <
		    0) {
			bag_atomic_abort(&d);
			return rc;
		}
		if ((rc = bag_atomic_commit(&d, err)) < 0)
			return rc;
	}
	if ((rc = write_info(b, err)) < 0)
		return rc;
	if (!tag_algs)
		tag_algs = u->algs;
	u->res->algs = u->algs;
	return bag_tagmanifests_at(b->rootfd, tag_algs, 0, err);
}

static int
open_manifests(struct uctx *u, struct vl_err *err)
{
	int a, rc;

	for (a = 0; a < FIX_ALG_COUNT; a++) {
		char name[64];

		vl_buf_init(&u->buf[a], 0);
		if (!(u->algs & FIX_ALG_BIT(a)))
			continue;
		fix_manifest_file(name, sizeof(name), 0, a);
		if ((rc = bag_atomic_open(&u->f[a], u->b->rootfd, name, err)) <
		    0)
			return rc;
		u->opened |= FIX_ALG_BIT(a);
	}
	return 0;
}

static int
check_updatable(struct bag *b, const char *path, struct vl_err *err)
{
	unsigned m;

	if (!b->have_decl)
		return vl_err_set(err, VL_E_INVAL,
				  "'%s' is not a bag (no bagit.txt)", path);
	if (b->encoding)
		return vl_err_set(err, VL_E_INVAL,
				  "'%s' declares tag files in %s; update "
				  "rewrites them in UTF-8 only",
				  path, b->encoding);
	if (!b->has_data_dir)
		return vl_err_set(err, VL_E_INVAL,
				  "'%s' has no data/ directory", path);
	for (m = 0; m < b->nman[BK_PAYLOAD]; m++)
		if (b->man[BK_PAYLOAD][m].alg < 0)
			return vl_err_set(err, VL_E_INVAL,
					  "cannot regenerate '%s': its "
					  "algorithm is not supported",
					  b->man[BK_PAYLOAD][m].name);
	return 0;
}

int
bag_update(const char *path, const struct bag_update_opts *o,
	   struct bag_report *rep, struct bag_update_result *res,
	   struct vl_err *err)
{
	struct fix_engine_opts eo = { 0 };
	struct bag b;
	struct uctx u;
	int rc, datafd = -1, a;

	memset(res, 0, sizeof(*res));
	memset(&u, 0, sizeof(u));
	bag_init(&b, path, rep);
	u.b = &b;
	u.o = o;
	u.res = res;
	vl_buf_init(&u.rel, 0);
	if ((rc = bag_load_dir(&b, path, BAG_COMPLETE, err)) < 0 ||
	    (rc = check_updatable(&b, path, err)) < 0)
		goto out;
	u.verify = o && o->add_algs;
	u.algs = b.algs[BK_PAYLOAD] | (o ? o->add_algs : 0);
	if (!u.algs)
		u.algs = FIX_ALG_BIT(FIX_SHA512);
	/* Problems found while loading are not this command's business
	 * unless we verify; start the report afresh either way. */
	bag_report_release(rep);
	bag_report_init(rep);
	if ((rc = open_manifests(&u, err)) < 0)
		goto out;
	eo.algs = u.algs;
	eo.threads = o ? o->threads : 0;
	eo.ordered = 1;
	eo.open_src = u_open;
	eo.done = u_done;
	eo.ctx = &u;
	if ((rc = fix_engine_new(&u.eng, &eo, err)) < 0)
		goto out;
	datafd = openat(b.rootfd, "data",
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (datafd < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot open '%s/data'", path);
		goto out;
	}
	vl_buf_adds(&u.rel, "data");
	u_walk(&u, datafd);
	fix_engine_finish(u.eng, err);
	if (u.failed) {
		*err = u.err;
		rc = err->code ? err->code : VL_E_IO;
		goto out;
	}
	if ((rc = keep_fetch_lines(&u, err)) < 0)
		goto out;
	count_removed(&u);
	if (rep->errors) {
		bag_report_sort(rep);
		rc = vl_err_set(err, VL_E_CHECK,
				"'%s' does not match its manifests; nothing "
				"was changed",
				path);
		goto out;
	}
	rc = commit_all(&u, err);
out:
	fix_engine_free(u.eng);
	for (a = 0; a < FIX_ALG_COUNT; a++) {
		if (u.opened & FIX_ALG_BIT(a))
			bag_atomic_abort(&u.f[a]);
		vl_buf_release(&u.buf[a]);
	}
	if (datafd >= 0)
		close(datafd);
	vl_buf_release(&u.rel);
	bag_release(&b);
	return rc;
}

/* ---- tag files ---- */

static int
tag_algs_present(int rootfd, unsigned *tag, unsigned *payload,
		 struct vl_err *err)
{
	char **names;
	size_t n, i;
	int rc;

	*tag = *payload = 0;
	if ((rc = bag_list_dir(rootfd, &names, &n, err)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		int t, alg;

		if (fix_manifest_name(names[i], &t, &alg, NULL) && alg >= 0)
			*(t ? tag : payload) |= FIX_ALG_BIT(alg);
	}
	bag_names_free(names, n);
	return 0;
}

int
bag_write_tag_manifests(const char *path, unsigned algs, unsigned flags,
			struct vl_err *err)
{
	unsigned tag, payload;
	int fd, rc;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vl_err_sys(err, VL_E_NOTFOUND, "cannot open '%s'", path);
	rc = tag_algs_present(fd, &tag, &payload, err);
	if (rc == 0) {
		algs |= tag;
		if (!algs)
			algs = payload ? payload : FIX_ALG_BIT(FIX_SHA512);
		rc = bag_tagmanifests_at(fd, algs, flags, err);
	}
	close(fd);
	return rc;
}

int
bag_add_tag_file(const char *path, const char *rel, const void *data,
		 size_t len, unsigned flags, struct vl_err *err)
{
	struct bag_atomic a;
	const char *why = bag_path_unsafe(rel), *slash;
	int fd, rc, tag, alg;

	if (why)
		return vl_err_set(err, VL_E_UNSAFE, "tag file '%s' %s", rel,
				  why);
	if (!strncmp(rel, "data/", 5) || !strcmp(rel, "data") ||
	    !strcmp(rel, "bagit.txt") || !strcmp(rel, "fetch.txt") ||
	    fix_manifest_name(rel, &tag, &alg, NULL))
		return vl_err_set(err, VL_E_INVAL,
				  "'%s' cannot be added as a tag file", rel);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vl_err_sys(err, VL_E_NOTFOUND, "cannot open '%s'", path);
	if ((slash = strrchr(rel, '/'))) {
		char *dir = strndup(rel, (size_t)(slash - rel));

		rc = dir ? bag_mkdirs_at(fd, dir, err)
			 : vl_err_set(err, VL_E_NOMEM, "out of memory");
		free(dir);
		if (rc < 0)
			goto out;
	}
	if ((rc = bag_atomic_open(&a, fd, rel, err)) < 0)
		goto out;
	a.nosync = (flags & BAG_NO_SYNC) != 0;
	if ((rc = bag_atomic_write(&a, data, len, err)) < 0) {
		bag_atomic_abort(&a);
		goto out;
	}
	if ((rc = bag_atomic_commit(&a, err)) < 0)
		goto out;
	close(fd);
	if (flags & BAG_LATER_TAG_MANIFESTS)
		return 0;
	return bag_write_tag_manifests(path, 0, flags, err);
out:
	close(fd);
	return rc;
}

/* ---- reading entries back ---- */

static int
cmp_files(const void *pa, const void *pb)
{
	const struct bag_file *a = *(struct bag_file *const *)pa;
	const struct bag_file *b = *(struct bag_file *const *)pb;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return strcmp(a->path, b->path);
}

/* Whether an entry of this kind is wanted. */
static int
wanted(enum bag_entries which, enum bag_kind kind)
{
	return which == BAG_ENTRIES_ALL ||
	       (which == BAG_ENTRIES_TAG) == (kind == BK_TAG);
}

int
bag_manifest_foreach(const char *path, enum bag_entries which,
		     int (*cb)(void *ctx, const struct bag_file_entry *f),
		     void *ctx, struct vl_err *err)
{
	struct bag_report rep;
	struct bag b;
	struct bag_file **v = NULL;
	size_t i, n = 0;
	int rc;

	bag_report_init(&rep);
	bag_init(&b, path, &rep);
	if ((rc = bag_load_dir(&b, path, BAG_COMPLETE, err)) < 0)
		goto out;
	if (!(v = calloc(b.files.n ? b.files.n : 1, sizeof(*v)))) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < b.files.cap; i++)
		if (b.files.slot[i].key &&
		    ((struct bag_file *)b.files.slot[i].val)->listed &&
		    wanted(which,
			   ((struct bag_file *)b.files.slot[i].val)->kind))
			v[n++] = b.files.slot[i].val;
	qsort(v, n, sizeof(*v), cmp_files);
	for (i = 0; i < n && rc == 0; i++) {
		struct bag_file_entry fe;
		char hex[FIX_ALG_COUNT][FIX_HEX_MAX];
		struct stat st;
		unsigned m;
		int fd;

		memset(&fe, 0, sizeof(fe));
		fe.path = v[i]->path;
		fe.tag = v[i]->kind == BK_TAG;
		fd = bag_open_beneath(b.rootfd, fe.path, O_PATH, 0, err);
		if (fd < 0) {
			rc = fd;
			break;
		}
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			rc = vl_err_set(err, VL_E_INVAL,
					"'%s' is not a regular file", fe.path);
			break;
		}
		close(fd);
		fe.size = (uint64_t)st.st_size;
		for (m = 0; m < b.nman[v[i]->kind]; m++) {
			const struct bag_manifest *man = &b.man[v[i]->kind][m];

			if (!(v[i]->listed & (1u << m)) || man->alg < 0)
				continue;
			fix_hex(hex[man->alg], v[i]->md + man->off,
				fix_alg_size(man->alg));
			fe.hex[man->alg] = hex[man->alg];
			fe.algs |= FIX_ALG_BIT(man->alg);
		}
		rc = cb(ctx, &fe);
	}
out:
	free(v);
	bag_release(&b);
	bag_report_release(&rep);
	return rc;
}
