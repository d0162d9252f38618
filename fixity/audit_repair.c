/*
 * audit_repair.c - restoring damaged files of an audited object from a
 * replica (vellum audit --repair-from DIR).
 *
 * A replica is a directory holding the object's bag either as
 * DIR/ID/ (what `vellum export --to DIR` writes) or as DIR/objects/KEY/
 * (a copy of the storage root).  A file is restored only when every one
 * of the catalog's digests (and its size) matches the replica's copy; it
 * is written through repo_store_replace_file() (temporary file, fsync,
 * rename) and read back through the storage interface and verified
 * again.  Files the catalog gives no digest for are never restored: there
 * would be nothing to verify the copy against.  Extra files are never
 * removed and mismatches are never "fixed": both need a person.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_impl.h"

/* Opens base/rel read-only, no component of rel through a symlink. */
static int
open_below(const char *base, const char *rel)
{
	char comp[256];
	const char *p = rel, *slash;
	int fd, next;

	if (vl_path_check(rel, NULL) < 0)
		return -1;
	fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	while (fd >= 0 && (slash = strchr(p, '/'))) {
		if ((size_t)(slash - p) >= sizeof(comp)) {
			close(fd);
			return -1;
		}
		memcpy(comp, p, (size_t)(slash - p));
		comp[slash - p] = '\0';
		next = openat(fd, comp,
			      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		p = slash + 1;
	}
	if (fd < 0)
		return -1;
	next = openat(fd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	close(fd);
	return next;
}

static int
open_replica(const char *dir, const struct aobj *o, const char *rel)
{
	struct vl_buf base = VL_BUF_INIT;
	int fd;

	vl_buf_addf(&base, "%s/%s", dir, o->id);
	fd = open_below(base.buf, rel);
	if (fd < 0) {
		vl_buf_reset(&base);
		vl_buf_addf(&base, "%s/objects/%s", dir, o->key);
		fd = open_below(base.buf, rel);
	}
	vl_buf_release(&base);
	return fd;
}

/* 0 when the bytes at fd match every catalog digest and the size. */
static int
verify_fd(const struct afile *f, int fd, struct vl_err *err)
{
	struct fix_hasher *h = NULL;
	struct fix_digests d;
	char hex[FIX_HEX_MAX];
	uint64_t size = 0;
	unsigned i, algs = 0;
	int rc;

	for (i = 0; i < f->ndigs; i++)
		if (f->digs[i].src == DIG_CATALOG)
			algs |= FIX_ALG_BIT(f->digs[i].alg);
	if (!algs)
		return vl_err_set(err, VL_E_CHECK,
				  "the catalog has no digest to verify it");
	if ((rc = fix_hasher_new(&h, algs, err)) < 0)
		return rc;
	rc = fix_hash_fd(h, algs, fd, -1, f->path, &d, &size, err);
	fix_hasher_free(h);
	if (rc < 0)
		return rc;
	if (size != f->cat_size)
		return vl_err_set(err, VL_E_CHECK,
				  "%llu bytes, the catalog says %llu",
				  (unsigned long long)size,
				  (unsigned long long)f->cat_size);
	for (i = 0; i < f->ndigs; i++) {
		const struct adig *g = &f->digs[i];

		if (g->src != DIG_CATALOG)
			continue;
		fix_hex(hex, d.md[g->alg], fix_alg_size(g->alg));
		if (strcmp(hex, g->hex) != 0)
			return vl_err_set(err, VL_E_CHECK,
					  "its %s differs from the catalog's",
					  fix_alg_name(g->alg));
	}
	return 0;
}

static int
restore_file(struct repo *r, struct aobj *o, struct afile *f, const char *dir,
	     struct vl_err *err)
{
	int fd, sfd, rc;

	if ((fd = open_replica(dir, o, f->path)) < 0)
		return vl_err_set(err, VL_E_NOTFOUND, "no copy in the replica");
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if ((rc = verify_fd(f, fd, err)) < 0) {
		close(fd);
		return rc == VL_E_CHECK ? vl_err_set(err, VL_E_CHECK,
						     "the replica's copy is "
						     "damaged too: %s",
						     err->msg)
					: rc;
	}
	rc = repo_store_replace_file(r, o->key, f->path, fd, err);
	close(fd);
	if (rc < 0)
		return rc;
	/* Read it back the way the audit reads. */
	if ((rc = repo_store_open(r, o->key, f->path, &sfd, err)) < 0)
		return rc;
	rc = verify_fd(f, sfd, err);
	close(sfd);
	return rc;
}

void
audit_repair(struct repo *r, struct aobj *o, const char *dir)
{
	struct vl_buf note = VL_BUF_INIT;
	struct vl_err e = { 0 };
	size_t i;

	for (i = 0; i < o->nfiles; i++) {
		struct afile *f = &o->files[i];

		if (!f->in_catalog || f->intr ||
		    (f->outcome != FIX_ALTERED && f->outcome != FIX_MISSING &&
		     f->outcome != FIX_UNREADABLE))
			continue;
		vl_err_clear(&e);
		if (restore_file(r, o, f, dir, &e) == 0) {
			f->repaired = 1;
			o->repaired++;
			vl_buf_addf(&note, "%srestored %s from %s",
				    note.len ? "; " : "", f->path, dir);
		} else {
			o->repair_failed++;
			vl_buf_addf(&note, "%scould not restore %s: %s",
				    note.len ? "; " : "", f->path, e.msg);
			audit_note(f, f->outcome, "not restored: %s", e.msg);
		}
	}
	if (note.len)
		o->repair_note = vl_buf_detach(&note, NULL);
	vl_buf_release(&note);
}
