/*
 * bag_validate.c - validating a bag directory, and reading a bag's
 * metadata (`vellum bag info`).
 *
 * One pass over the payload: the walk (main thread, sorted) matches each
 * file against the manifests and hands it to the digest engine, whose
 * workers hash it with exactly the algorithms of the manifests listing
 * it; the completion callback compares.  Entry types come from readdir,
 * and a file that is hashed is not stat'ed: its size (for the
 * Payload-Oxum, checked once the engine is done) is what its read gave.
 * Nothing outside the bag root is ever opened: the walk never follows a
 * directory symlink, and files are opened with bag_open_beneath().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bag_impl.h"

#define MATCH_MAX 8

struct vctx {
	struct bag *b;
	enum bag_mode mode;
	struct fix_engine *eng;
	const struct bag_validate_opts *o;
	struct vl_buf rel;
	int failed; /* a runtime failure (not a bag problem) */
	struct vl_err err;
	/* Payload bytes of files whose size comes with their digests (the
	 * callback's alone until the engine is finished). */
	uint64_t late_bytes;
};

static int
dir_get(void *ctx, const char *name, struct vl_buf *out, struct vl_err *err)
{
	struct bag *b = ctx;

	return bag_read_beneath(b->rootfd, name, BAG_TAG_MAX, out, err);
}

static int
open_src(void *ctx, const char *path, void *udata, struct vl_err *err)
{
	struct vctx *v = ctx;

	(void)udata;
	return bag_open_beneath(v->b->rootfd, path, BAG_READ_FLAGS, 0, err);
}

/* The size of a payload file the walk did not stat: what was read, or
 * where reading failed, what the file system says. */
static void
late_size(struct vctx *v, struct bag_file *f, const struct fix_result *r)
{
	struct stat st;

	f->size_late = 0;
	if (r->code == 0)
		f->size = r->size;
	else if (fstatat(v->b->rootfd, r->path, &st, AT_SYMLINK_NOFOLLOW) == 0)
		f->size = (uint64_t)st.st_size;
	v->late_bytes += f->size;
}

static void
on_hashed(void *ctx, const struct fix_result *r)
{
	struct vctx *v = ctx;
	struct bag_file *f = r->udata;

	if (f->size_late)
		late_size(v, f, r);
	if (r->code == 0) {
		bag_check_digests(v->b, f, r->digests);
	} else if (r->code == VL_E_UNSAFE) {
		f->hashed = 1;
		bag_problem(v->b, BAG_ERROR, "unsafe-path", R_PATHS, f->path, 0,
			    NULL, NULL, "%s; it is not read", r->msg);
	} else {
		f->hashed = 1;
		bag_problem(v->b, BAG_ERROR, "unreadable", R_COMPLETE, f->path,
			    0, NULL, NULL, "%s", r->msg);
	}
	if (v->o && v->o->progress) {
		struct fix_progress p;

		fix_engine_progress(v->eng, &p);
		v->o->progress(v->o->ctx, p.done + p.failed + 1, p.bytes);
	}
}

static void
submit(struct vctx *v, struct bag_file *f, const char *disk)
{
	unsigned algs = bag_file_algs(v->b, f);
	struct vl_err err = { 0 };

	if (!algs || !v->eng || v->failed)
		return;
	f->submitted = 1;
	if (fix_engine_submit(v->eng, disk, NULL, algs, f, &err) < 0) {
		v->failed = 1;
		v->err = err;
	}
}

static void
payload_file(struct vctx *v, const char *rel, uint64_t size)
{
	struct bag_file *m[MATCH_MAX];
	size_t n, i;

	if (v->mode == BAG_FAST) {
		v->b->pay_files++;
		v->b->pay_bytes += size;
		return;
	}
	n = bag_match_payload(v->b, rel, size, m, MATCH_MAX);
	if (n == 0)
		bag_problem(v->b, BAG_ERROR, "not-in-manifest", R_COMPLETE, rel,
			    0, NULL, NULL,
			    "payload file is not listed in any manifest");
	for (i = 0; i < n; i++)
		if (v->mode == BAG_FULL)
			submit(v, m[i], rel);
}

/* Whether a regular file's size can wait for its digests: only when it
 * will be hashed (it is listed, and the engine runs). */
static int
hashed_anyway(struct vctx *v, const char *rel)
{
	struct bag_file *f;

	if (v->mode != BAG_FULL || !v->eng || v->failed)
		return 0;
	f = bag_lookup(v->b, rel);
	return f && f->kind == BK_PAYLOAD && bag_file_algs(v->b, f) != 0;
}

/* A regular file found by the walk: the stat(2) a file costs (a tenth
 * of the walk's time on small files) is saved when it is hashed anyway,
 * whose read gives its size. */
static void
payload_regular(struct vctx *v, int dirfd, const char *name, const char *rel)
{
	struct bag_file *m[MATCH_MAX];
	struct stat st;
	size_t n, i;

	if (!hashed_anyway(v, rel)) {
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			bag_problem(v->b, BAG_ERROR, "unreadable", R_COMPLETE,
				    rel, 0, NULL, NULL, "cannot stat: %s",
				    strerror(errno));
			return;
		}
		payload_file(v, rel, (uint64_t)st.st_size);
		return;
	}
	n = bag_match_payload(v->b, rel, 0, m, MATCH_MAX);
	/* One job carries the size, however many entries name the file. */
	m[0]->size_late = 1;
	for (i = 0; i < n; i++)
		submit(v, m[i], rel);
}

/* A symbolic link in the payload: never followed out of the bag. */
static void
payload_link(struct vctx *v, const char *rel)
{
	struct vl_err err = { 0 };
	struct stat st;
	int fd;

	fd = bag_open_beneath(v->b->rootfd, rel, O_PATH, 0, &err);
	if (fd < 0) {
		if (fd == VL_E_UNSAFE)
			bag_problem(v->b, BAG_ERROR, "symlink-escape", R_PATHS,
				    rel, 0, NULL, NULL,
				    "symbolic link resolves outside the bag; "
				    "it is not read");
		else
			bag_problem(v->b, BAG_ERROR, "unreadable", R_COMPLETE,
				    rel, 0, NULL, NULL, "%s", err.msg);
		return;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		bag_problem(v->b, BAG_WARNING, "symlink", R_PAYLOAD, rel, 0,
			    NULL, NULL,
			    "symbolic link to a file inside the bag; its "
			    "target is read");
		payload_file(v, rel, (uint64_t)st.st_size);
	} else {
		bag_problem(v->b, BAG_WARNING, "symlink", R_PAYLOAD, rel, 0,
			    NULL, NULL,
			    "symbolic link to a directory is not followed");
	}
	close(fd);
}

static int
walk(struct vctx *v, int dirfd, size_t depth)
{
	char **names;
	unsigned char *types;
	size_t n, i, base = v->rel.len;
	int rc;

	if (depth > 512) {
		bag_problem(v->b, BAG_ERROR, "too-deep", R_PAYLOAD, v->rel.buf,
			    0, NULL, NULL, "directories nested too deeply");
		return 0;
	}
	if ((rc = bag_list_dir_types(dirfd, &names, &types, &n, &v->err)) < 0)
		return rc;
	for (i = 0; i < n && !v->failed; i++) {
		struct stat st;

		v->rel.len = base;
		v->rel.buf[base] = '\0';
		if (vl_buf_addf(&v->rel, "/%s", names[i]) < 0) {
			rc = vl_err_set(&v->err, VL_E_NOMEM, "out of memory");
			break;
		}
		/* The type comes from readdir; stat only where the file
		 * system does not give it. */
		if (types[i] != DT_UNKNOWN) {
			st.st_mode = DTTOIF(types[i]);
		} else if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) <
			   0) {
			bag_problem(v->b, BAG_ERROR, "unreadable", R_COMPLETE,
				    v->rel.buf, 0, NULL, NULL,
				    "cannot stat: %s", strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, names[i],
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						 O_CLOEXEC);

			if (sub < 0) {
				bag_problem(v->b, BAG_ERROR, "unreadable",
					    R_COMPLETE, v->rel.buf, 0, NULL,
					    NULL, "cannot open: %s",
					    strerror(errno));
				continue;
			}
			rc = walk(v, sub, depth + 1);
			close(sub);
			if (rc < 0)
				break;
		} else if (S_ISREG(st.st_mode)) {
			payload_regular(v, dirfd, names[i], v->rel.buf);
		} else if (S_ISLNK(st.st_mode)) {
			payload_link(v, v->rel.buf);
		} else {
			bag_problem(v->b, BAG_ERROR, "special-file", R_PAYLOAD,
				    v->rel.buf, 0, NULL, NULL,
				    "not a regular file (device, FIFO or "
				    "socket); it is not read");
		}
	}
	v->rel.len = base;
	v->rel.buf[base] = '\0';
	bag_names_free(names, n);
	free(types);
	return rc;
}

/* Tag files below the root (e.g. metadata/dc.xml), for the list. */
static void
note_tag_dir(struct bag *b, int dirfd, const char *prefix, size_t depth)
{
	struct vl_err err;
	char **names;
	size_t n, i;

	if (depth > 64 || bag_list_dir(dirfd, &names, &n, &err) < 0)
		return;
	for (i = 0; i < n; i++) {
		struct vl_buf rel = VL_BUF_INIT;
		struct stat st;

		vl_buf_addf(&rel, "%s/%s", prefix, names[i]);
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (S_ISDIR(st.st_mode)) {
				int sub =
					openat(dirfd, names[i],
					       O_RDONLY | O_DIRECTORY |
						       O_NOFOLLOW | O_CLOEXEC);

				if (sub >= 0) {
					note_tag_dir(b, sub, rel.buf,
						     depth + 1);
					close(sub);
				}
			} else {
				bag_note_root_file(b, rel.buf);
			}
		}
		vl_buf_release(&rel);
	}
	bag_names_free(names, n);
}

/* Opens the bag directory, reads bagit.txt and the root listing. */
static int
load_root(struct bag *b, const char *path, struct vl_err *err)
{
	struct vl_buf decl = VL_BUF_INIT;
	struct vl_err e = { 0 };
	char **names = NULL;
	size_t n = 0, i;
	int rc;

	b->rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->rootfd < 0)
		return vl_err_sys(err,
				  errno == ENOENT ? VL_E_NOTFOUND : VL_E_IO,
				  "cannot open '%s'", path);
	rc = bag_read_beneath(b->rootfd, "bagit.txt", 1 << 16, &decl, &e);
	if (rc == 0)
		bag_parse_declaration(b, decl.buf, decl.len);
	else if (rc == VL_E_NOTFOUND)
		bag_parse_declaration(b, NULL, 0);
	else
		bag_problem(b, BAG_ERROR, "missing-bagit", R_DECL, "bagit.txt",
			    0, NULL, NULL, "%s", e.msg);
	vl_buf_release(&decl);
	if ((rc = bag_list_dir(b->rootfd, &names, &n, err)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		struct stat st;

		if (fstatat(b->rootfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!strcmp(names[i], "data")) {
			if (S_ISDIR(st.st_mode))
				b->has_data_dir = 1;
			else
				bag_problem(b, BAG_ERROR, "payload-not-dir",
					    S_ISLNK(st.st_mode) ? R_PATHS
								: R_PAYLOAD,
					    "data", 0, NULL, NULL,
					    "data is not a directory%s",
					    S_ISLNK(st.st_mode)
						    ? " (a symbolic link)"
						    : "");
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(b->rootfd, names[i],
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						 O_CLOEXEC);

			if (sub >= 0) {
				note_tag_dir(b, sub, names[i], 1);
				close(sub);
			}
		} else {
			bag_note_root_file(b, names[i]);
		}
	}
	bag_names_free(names, n);
	return 0;
}

/* Checks the tag files listed in tag manifests and queues them. */
static void
tag_files(struct vctx *v)
{
	struct bag *b = v->b;
	size_t i;

	for (i = 0; i < b->files.cap; i++) {
		struct bag_file *f = b->files.slot[i].val;
		struct vl_err err = { 0 };
		struct stat st;
		int fd;

		if (!b->files.slot[i].key || f->kind != BK_TAG || !f->listed)
			continue;
		fd = bag_open_beneath(b->rootfd, f->path, BAG_READ_FLAGS, 0,
				      &err);
		if (fd == VL_E_NOTFOUND)
			continue; /* reported as missing */
		if (fd < 0) {
			f->unsafe = fd == VL_E_UNSAFE;
			f->on_disk = 1;
			bag_problem(b, BAG_ERROR,
				    fd == VL_E_UNSAFE ? "unsafe-path"
						      : "unreadable",
				    fd == VL_E_UNSAFE ? R_PATHS : R_COMPLETE,
				    f->path, 0, NULL, NULL, "%s", err.msg);
			continue;
		}
		f->on_disk = 1;
		if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
			bag_problem(b, BAG_ERROR, "not-a-file", R_TAGMAN,
				    f->path, 0, NULL, NULL,
				    "listed in a tag manifest but not a "
				    "regular file");
		else if (v->mode == BAG_FULL)
			submit(v, f, f->path);
		close(fd);
	}
}

int
bag_load_dir(struct bag *b, const char *path, enum bag_mode mode,
	     struct vl_err *err)
{
	struct fix_prefetch *pf;
	int rc = load_root(b, path, err);

	if (rc < 0)
		return rc;
	/* OpenSSL's first fetch (1 ms) overlaps the parsing of manifests,
	 * before which nothing can be hashed. */
	pf = mode == BAG_FULL
		     ? fix_prefetch_start(b->algs[BK_PAYLOAD] | b->algs[BK_TAG])
		     : NULL;
	rc = bag_parse_tag_files(b, dir_get, b, mode, err);
	fix_prefetch_join(pf);
	return rc;
}

int
bag_validate_dir_as(const char *path, const struct bag_validate_opts *o,
		    enum bag_format as, struct bag_report *rep,
		    struct vl_err *err)
{
	struct bag b;
	struct vctx v;
	int rc, datafd = -1;

	bag_init(&b, path, rep);
	memset(&v, 0, sizeof(v));
	v.b = &b;
	v.o = o;
	v.mode = o ? o->mode : BAG_FULL;
	vl_buf_init(&v.rel, 0);
	if ((rc = bag_load_dir(&b, path, v.mode, err)) < 0)
		goto out;
	if (v.mode == BAG_FULL && (b.algs[0] | b.algs[1])) {
		struct fix_engine_opts eo = { 0 };

		eo.algs = b.algs[0] | b.algs[1];
		eo.threads = o ? o->threads : 0;
		eo.open_src = open_src;
		eo.done = on_hashed;
		eo.ctx = &v;
		if ((rc = fix_engine_new(&v.eng, &eo, err)) < 0)
			goto out;
	}
	if (b.has_data_dir) {
		datafd =
			openat(b.rootfd, "data",
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (datafd < 0) {
			rc = vl_err_sys(err, VL_E_IO, "cannot open '%s/data'",
					path);
			goto out;
		}
		vl_buf_adds(&v.rel, "data");
		rc = walk(&v, datafd, 0);
		if (rc < 0) {
			*err = v.err;
			goto out;
		}
	}
	if (v.mode != BAG_FAST)
		tag_files(&v);
	/* Everything but the digests is known once the walk is done: the
	 * checks run while the workers still hash (they only add problems,
	 * under the report's lock, and read no field a worker writes). */
	bag_final_checks(&b, v.mode);
	if (v.eng) {
		struct fix_progress p;

		fix_engine_finish(v.eng, err);
		fix_engine_progress(v.eng, &p);
		rep->hashed_bytes = p.bytes;
		b.pay_bytes += v.late_bytes;
	}
	bag_check_payload_size(&b);
	if (v.failed) {
		*err = v.err;
		rc = v.err.code ? v.err.code : VL_E_IO;
		goto out;
	}
	if (o && o->profile)
		bag_profile_check(&b, o->profile, as);
	bag_finish_report(&b, v.mode);
	rc = 0;
out:
	fix_engine_free(v.eng);
	if (datafd >= 0)
		close(datafd);
	vl_buf_release(&v.rel);
	bag_release(&b);
	return rc;
}

int
bag_validate(const char *path, const struct bag_validate_opts *o,
	     struct bag_report *rep, struct vl_err *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return vl_err_sys(err,
				  errno == ENOENT ? VL_E_NOTFOUND : VL_E_IO,
				  "cannot open '%s'", path);
	if (S_ISDIR(st.st_mode))
		return bag_validate_dir_as(path, o, BAG_FMT_NONE, rep, err);
	if (S_ISREG(st.st_mode))
		return bag_archive_validate(path, -1, o, rep, NULL, err);
	return vl_err_set(err, VL_E_INVAL,
			  "'%s' is neither a directory nor an archive", path);
}

int
bag_validate_archive_fd(int fd, const char *name,
			const struct bag_validate_opts *o,
			struct bag_report *rep, struct vl_err *err)
{
	return bag_archive_validate(name, fd, o, rep, NULL, err);
}

/* ---- bag info ---- */

void
bag_meta_release(struct bag_meta *m)
{
	bag_info_release(&m->info);
	bag_names_free(m->tag_files, m->n_tag_files);
	memset(m, 0, sizeof(*m));
}

static void
meta_from_bag(struct bag_meta *m, struct bag *b)
{
	size_t i;

	m->version = b->rep->version;
	memcpy(m->version_str, b->rep->version_str, sizeof(m->version_str));
	memcpy(m->encoding, b->rep->encoding, sizeof(m->encoding));
	m->info = b->info;
	bag_info_init(&b->info);
	m->payload_algs = b->rep->payload_algs;
	m->tag_algs = b->rep->tag_algs;
	m->manifest_entries = b->nman[0] ? b->man[0][0].entries : 0;
	m->fetch_entries = b->nfetch;
	for (i = 0; i < b->nfetch; i++)
		if (b->fetch[i].length > 0)
			m->fetch_bytes += (uint64_t)b->fetch[i].length;
	m->tag_files = b->tags;
	m->n_tag_files = b->ntags;
	b->tags = NULL;
	b->ntags = 0;
}

int
bag_read_meta(const char *path, struct bag_meta *m, struct bag_report *rep,
	      struct vl_err *err)
{
	struct stat st;
	struct bag b;
	int rc;

	memset(m, 0, sizeof(*m));
	bag_info_init(&m->info);
	if (stat(path, &st) < 0)
		return vl_err_sys(err,
				  errno == ENOENT ? VL_E_NOTFOUND : VL_E_IO,
				  "cannot open '%s'", path);
	bag_init(&b, path, rep);
	if (S_ISREG(st.st_mode)) {
		struct bag_validate_opts o = { 0 };

		o.mode = BAG_COMPLETE;
		rc = bag_archive_validate(path, -1, &o, rep, &b, err);
		m->serialized = 1;
	} else {
		rc = bag_load_dir(&b, path, BAG_COMPLETE, err);
	}
	if (rc == 0)
		meta_from_bag(m, &b);
	bag_release(&b);
	if (rc == 0)
		bag_report_sort(rep);
	return rc;
}
