/*
 * lifecycle.c - what happens to a stored object after ingest: deletion
 * (a tombstone that OAI-PMH reports as deleted, never lost) and export of
 * the bag as stored (a directory, a tar or a zip), streamed file by file
 * through the storage interface - or, for a catalog-only object (no bag
 * in storage), of a bag made from its catalog rows (catalog_bag.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "export_impl.h"
#include "../repo/vl_arc.h"

/* ---- looking objects up ---- */

int
ing_object_get(struct repo *r, const char *id, struct ing_object *o,
	       struct vl_err *err)
{
	sqlite3_stmt *st;
	const char *s;
	int rc;

	memset(o, 0, sizeof(*o));
	if ((rc = repo_prepare(r, &st,
			       "SELECT status, storage_key, datestamp FROM"
			       " objects WHERE id = ?",
			       err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		o->deleted = !strcmp((const char *)sqlite3_column_text(st, 0),
				     "deleted");
		s = (const char *)sqlite3_column_text(st, 1);
		snprintf(o->storage_key, sizeof(o->storage_key), "%s",
			 s ? s : "");
		snprintf(o->datestamp, sizeof(o->datestamp), "%s",
			 sqlite3_column_text(st, 2));
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = vl_err_set(err, VL_E_NOTFOUND, "no object '%s'", id);
	} else {
		rc = repo_db_err(r->db, err, "catalog");
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- deletion ---- */

static int
exec_bound(struct repo *r, const char *sql, const char *a, const char *b,
	   const char *c, struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(r, &st, sql, err)) < 0)
		return rc;
	if (a)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	if (c)
		sqlite3_bind_text(st, 3, c, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE
		     ? 0
		     : repo_db_err(r->db, err, "catalog");
	sqlite3_finalize(st);
	return rc;
}

int
ing_delete(struct repo *r, const char *id, const char *reason, int purge,
	   struct vl_err *err)
{
	struct repo_event ev = { 0 };
	struct ing_object o;
	char now[VL_TIME_LEN], detail[512];
	int rc;

	if (!reason || !*reason)
		return vl_err_set(err, VL_E_INVAL,
				  "a reason is required to delete '%s'", id);
	if ((rc = repo_begin(r, err)) < 0)
		return rc;
	if ((rc = ing_object_get(r, id, &o, err)) < 0)
		goto fail;
	if (o.deleted && !purge) {
		rc = vl_err_set(err, VL_E_NOTFOUND,
				"object '%s' is already deleted", id);
		goto fail;
	}
	vl_time_now(now);
	/* The datestamp moves to the deletion so incremental harvests see
	 * it (OAI-PMH 2.0 section 2.5.1, deletedRecord=persistent). */
	if (!o.deleted &&
	    (rc = exec_bound(r,
			     "UPDATE objects SET status = 'deleted',"
			     " deleted_at = ?2, datestamp = ?2,"
			     " delete_reason = ?3 WHERE id = ?1",
			     id, now, reason, err)) < 0)
		goto fail;
	if (purge &&
	    ((rc = exec_bound(r, "DELETE FROM files WHERE object_id = ?", id,
			      NULL, NULL, err)) < 0 ||
	     (rc = exec_bound(r, "DELETE FROM metadata WHERE object_id = ?", id,
			      NULL, NULL, err)) < 0 ||
	     (rc = exec_bound(r,
			      "UPDATE objects SET md_version = 0 WHERE"
			      " id = ?",
			      id, NULL, NULL, err)) < 0))
		goto fail;
	snprintf(detail, sizeof(detail), "%s; reason: %s",
		 purge ? "deleted and purged from the catalog" : "deleted",
		 reason);
	ev.object_id = id;
	ev.type = "del";
	ev.outcome = REPO_SUCCESS;
	ev.detail = detail;
	ev.datetime = now;
	if ((rc = repo_event_add(r, &ev, NULL, err)) < 0 ||
	    (rc = repo_commit(r, err)) < 0)
		goto fail;
	/* After the tombstone is durable; if this is interrupted, `vellum
	 * doctor --repair` removes what is left. */
	if (o.storage_key[0] && repo_store_exists(r, o.storage_key))
		return repo_store_delete(r, o.storage_key, err);
	return 0;
fail:
	repo_rollback(r);
	return rc;
}

/* ---- export ---- */

/*
 * Two sources, one writer.  A stored bag is streamed file by file from
 * storage (export_one); the bag of a catalog-only object (no bag in
 * storage) is made in memory from the catalog (catalog_bag.c) and
 * written file by file (export_mem).  Either goes through entry_begin /
 * entry_end into a temporary directory or archive beside the
 * destination, renamed into place when complete (export_open,
 * export_close).
 */
struct exp {
	struct repo *r;
	const char *key, *id;
	struct archive *a;  /* NULL when exporting to a directory */
	const char *dir;    /* the directory's temporary root */
	struct vl_buf path; /* the file being written */
	struct vl_err *err;
	uint64_t files, bytes;
};

/* Streams a stored file into the archive entry just started. */
static int
copy_to_archive(int in, struct archive *a, uint64_t *bytes, struct vl_err *err,
		const char *rel)
{
	char buf[1 << 16];
	ssize_t n;

	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vl_err_sys(err, VL_E_IO, "cannot read '%s'",
					  rel);
		if (n == 0)
			return 0;
		*bytes += (uint64_t)n;
		if (vl_arc()->write_data(a, buf, (size_t)n) != n)
			return vl_err_set(err, VL_E_IO, "cannot write '%s': %s",
					  rel, vl_arc()->error_string(a));
	}
}

/* Starts the bag's file rel: the header of an archive entry of size
 * bytes, or a new file in the directory, open for writing in *out. */
static int
entry_begin(struct exp *x, const char *rel, uint64_t size, time_t mtime,
	    int *out)
{
	struct vl_buf parent = VL_BUF_INIT;
	struct archive_entry *e = NULL;
	int rc = 0;

	*out = -1;
	vl_buf_reset(&x->path);
	vl_buf_addf(&x->path, "%s/%s", x->a ? x->id : x->dir, rel);
	if (x->a) {
		e = vl_arc()->entry_new();
		vl_arc()->entry_set_pathname_utf8(e, x->path.buf);
		vl_arc()->entry_set_size(e, (la_int64_t)size);
		vl_arc()->entry_set_filetype(e, AE_IFREG);
		vl_arc()->entry_set_perm(e, 0644);
		vl_arc()->entry_set_mtime(e, mtime, 0);
		if (vl_arc()->write_header(x->a, e) != ARCHIVE_OK)
			rc = vl_err_set(x->err, VL_E_IO,
					"cannot write '%s': %s", rel,
					vl_arc()->error_string(x->a));
		vl_arc()->entry_free(e);
		return rc;
	}
	vl_buf_add(&parent, x->path.buf,
		   (size_t)(strrchr(x->path.buf, '/') - x->path.buf));
	if ((rc = vl_mkdirs(parent.buf, 0755, x->err)) == 0) {
		*out = open(x->path.buf,
			    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (*out < 0)
			rc = vl_err_sys(x->err, VL_E_IO, "cannot create '%s'",
					x->path.buf);
	}
	vl_buf_release(&parent);
	return rc;
}

/* Ends the file entry_begin started: in a directory, synced and closed. */
static int
entry_end(struct exp *x, int *out)
{
	int fd = *out, failed, saved;

	*out = -1;
	if (fd >= 0) {
		failed = fsync(fd) < 0;
		saved = errno;
		/* close() releases fd even when it fails: never twice. */
		if (close(fd) < 0 && !failed) {
			failed = 1;
			saved = errno;
		}
		if (failed) {
			errno = saved;
			return vl_err_sys(x->err, VL_E_IO, "cannot write '%s'",
					  x->path.buf);
		}
	}
	x->files++;
	return 0;
}

static int
export_one(void *ctx, const char *rel, const struct repo_stat *st)
{
	struct exp *x = ctx;
	int in = -1, out = -1, rc;

	if (!st->regular)
		return vl_err_set(x->err, VL_E_UNSAFE,
				  "stored object '%s' holds '%s', which is "
				  "not a regular file; run `vellum audit`",
				  x->id, rel);
	if ((rc = repo_store_open(x->r, x->key, rel, &in, x->err)) < 0 ||
	    (rc = entry_begin(x, rel, st->size, st->mtime, &out)) < 0)
		goto out;
	if (x->a)
		rc = copy_to_archive(in, x->a, &x->bytes, x->err, rel);
	else if ((rc = vl_copy_fd(in, out, rel, x->err)) == 0)
		x->bytes += st->size;
	if (rc == 0)
		rc = entry_end(x, &out);
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

/* One file of a bag made in memory. */
static int
export_mem(struct exp *x, const struct ing_mem_file *f, time_t mtime)
{
	int out = -1, rc;

	if ((rc = entry_begin(x, f->path, f->len, mtime, &out)) < 0)
		goto out;
	if (x->a) {
		if (vl_arc()->write_data(x->a, f->data, f->len) !=
		    (la_ssize_t)f->len)
			rc = vl_err_set(x->err, VL_E_IO,
					"cannot write '%s': %s", f->path,
					vl_arc()->error_string(x->a));
	} else if (vl_write_all(out, f->data, f->len) < 0) {
		rc = vl_err_sys(x->err, VL_E_IO, "cannot write '%s'",
				x->path.buf);
	}
	if (rc == 0 && (rc = entry_end(x, &out)) == 0)
		x->bytes += f->len;
out:
	if (out >= 0)
		close(out);
	return rc;
}

/* RFC 8493 2.1.2: the payload directory is there even when it is empty
 * (a metadata-only object, e.g. a harvested record); the files listed
 * after it do not bring it along then. */
static int
export_payload_dir(struct exp *x)
{
	struct archive_entry *e;
	struct vl_buf p = VL_BUF_INIT;
	int rc = 0;

	if (!x->a) {
		vl_buf_addf(&p, "%s/data", x->dir);
		if (mkdir(p.buf, 0755) < 0 && errno != EEXIST)
			rc = vl_err_sys(x->err, VL_E_IO, "cannot create '%s'",
					p.buf);
		vl_buf_release(&p);
		return rc;
	}
	if (!(e = vl_arc()->entry_new()))
		return vl_err_set(x->err, VL_E_NOMEM, "out of memory");
	vl_buf_addf(&p, "%s/data/", x->id);
	vl_arc()->entry_set_pathname_utf8(e, p.buf);
	vl_arc()->entry_set_filetype(e, AE_IFDIR);
	vl_arc()->entry_set_perm(e, 0755);
	vl_arc()->entry_set_mtime(e, time(NULL), 0);
	if (vl_arc()->write_header(x->a, e) != ARCHIVE_OK)
		rc = vl_err_set(x->err, VL_E_IO, "cannot write '%s': %s", p.buf,
				vl_arc()->error_string(x->a));
	vl_arc()->entry_free(e);
	vl_buf_release(&p);
	return rc;
}

static int
open_archive(struct exp *x, const char *file, const char *tmp,
	     struct vl_err *err)
{
	size_t n = strlen(file);

	if (!(x->a = vl_arc_write_new(err)))
		return err->code;
	if (n > 4 && !strcmp(file + n - 4, ".zip")) {
		vl_arc()->write_set_format_zip(x->a);
	} else if ((n > 4 && !strcmp(file + n - 4, ".tgz")) ||
		   (n > 7 && !strcmp(file + n - 7, ".tar.gz"))) {
		vl_arc()->write_set_format_pax_restricted(x->a);
		vl_arc()->write_add_filter_gzip(x->a);
	} else if (n > 4 && !strcmp(file + n - 4, ".tar")) {
		vl_arc()->write_set_format_pax_restricted(x->a);
	} else {
		return vl_err_set(err, VL_E_INVAL,
				  "'%s': export to a directory, or to a file "
				  "ending in .tar, .tar.gz, .tgz or .zip",
				  file);
	}
	if (vl_arc()->write_open_filename(x->a, tmp) != ARCHIVE_OK)
		return vl_err_set(err, VL_E_IO, "cannot create '%s': %s", tmp,
				  vl_arc()->error_string(x->a));
	return 0;
}

static int
is_archive_name(const char *to)
{
	size_t n = strlen(to);

	return (n > 4 &&
		(!strcmp(to + n - 4, ".zip") || !strcmp(to + n - 4, ".tar") ||
		 !strcmp(to + n - 4, ".tgz"))) ||
	       (n > 7 && !strcmp(to + n - 7, ".tar.gz"));
}

/* Where the bag goes: *final, built first as *tmp (an archive file or a
 * directory beside it).  On error the caller removes tmp if set. */
static int
export_open(struct exp *x, const char *to, struct vl_buf *tmp,
	    struct vl_buf *final)
{
	struct stat st;
	int fd, rc;

	if (is_archive_name(to)) {
		if (stat(to, &st) == 0)
			return vl_err_set(x->err, VL_E_EXISTS,
					  "'%s' already exists", to);
		vl_buf_addf(final, "%s", to);
		vl_buf_addf(tmp, "%s.partial-XXXXXX", to);
		if ((fd = mkstemp(tmp->buf)) < 0)
			return vl_err_sys(x->err, VL_E_IO, "cannot create '%s'",
					  tmp->buf);
		/* mkstemp makes it 0600; an exported bag is for others to
		 * read too. */
		rc = fchmod(fd, 0644);
		close(fd);
		if (rc < 0)
			return vl_err_sys(x->err, VL_E_IO, "cannot create '%s'",
					  tmp->buf);
		return open_archive(x, to, tmp->buf, x->err);
	}
	/* DIR/ID, built as DIR/.ID.partial-XXXXXX then renamed. */
	if ((rc = vl_mkdirs(to, 0755, x->err)) < 0)
		return rc;
	vl_buf_addf(final, "%s/%s", to, x->id);
	if (stat(final->buf, &st) == 0)
		return vl_err_set(x->err, VL_E_EXISTS, "'%s' already exists",
				  final->buf);
	vl_buf_addf(tmp, "%s/.%s.partial-XXXXXX", to, x->id);
	if (!mkdtemp(tmp->buf))
		return vl_err_sys(x->err, VL_E_IO, "cannot create '%s'",
				  tmp->buf);
	/* mkdtemp makes it 0700; the bag is for others to read too (the
	 * mode `vellum bag create` gives a bag). */
	if (chmod(tmp->buf, 0755) < 0)
		return vl_err_sys(x->err, VL_E_IO, "cannot create '%s'",
				  tmp->buf);
	x->dir = tmp->buf;
	return 0;
}

/* Renames tmp to final unless final exists (renameat2 RENAME_NOREPLACE:
 * checked and done in one step, so nothing that appears meanwhile is
 * replaced).  Where the file system cannot, a check and rename(2). */
static int
rename_new(const char *tmp, const char *final, struct vl_err *err)
{
	struct stat st;

	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EEXIST)
		return vl_err_set(err, VL_E_EXISTS, "'%s' already exists",
				  final);
	if (errno != EINVAL && errno != ENOSYS)
		return vl_err_sys(err, VL_E_IO, "cannot rename to '%s'", final);
	if (lstat(final, &st) == 0)
		return vl_err_set(err, VL_E_EXISTS, "'%s' already exists",
				  final);
	if (rename(tmp, final) < 0)
		return vl_err_sys(err, VL_E_IO, "cannot rename to '%s'", final);
	return 0;
}

/* The directory final was renamed into, synced so the rename lasts. */
static int
sync_parent(const char *final, struct vl_err *err)
{
	const char *slash = strrchr(final, '/');
	char *dir;
	int rc;

	if (!slash)
		return vl_fsync_dir(".", err);
	if (slash == final)
		return vl_fsync_dir("/", err);
	if (!(dir = strndup(final, (size_t)(slash - final))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	rc = vl_fsync_dir(dir, err);
	free(dir);
	return rc;
}

/* Syncs the finished archive file. */
static int
sync_file(const char *path, struct vl_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return vl_err_sys(err, VL_E_IO, "cannot open '%s'", path);
	if (fsync(fd) < 0)
		rc = vl_err_sys(err, VL_E_IO, "cannot write '%s'", path);
	close(fd);
	return rc;
}

/* The bag is complete in tmp: made durable (every file was synced as it
 * was written; here the archive, or every directory of the tree), then
 * renamed to final, never over anything, and the rename made durable.
 * *renamed says whether final now holds it. */
static int
export_close(struct exp *x, const char *to, const char *tmp, const char *final,
	     int *renamed)
{
	int rc;

	*renamed = 0;
	if (x->a && vl_arc()->write_close(x->a) != ARCHIVE_OK)
		return vl_err_set(x->err, VL_E_IO, "cannot write '%s': %s", to,
				  vl_arc()->error_string(x->a));
	if ((rc = x->a ? sync_file(tmp, x->err) : vl_fsync_dirs(tmp, x->err)) <
		    0 ||
	    (rc = rename_new(tmp, final, x->err)) < 0)
		return rc;
	*renamed = 1;
	return sync_parent(final, x->err);
}

/* The object as one snapshot of the catalog: its row and, when it has
 * no bag in storage, the bag made from its rows.  A savepoint is a read
 * transaction of its own, or nests in the caller's. */
static int
export_source(struct repo *r, const char *id, struct ing_object *o,
	      struct ing_mem_bag *mem, struct vl_err *err)
{
	int rc, end;

	if ((rc = exec_bound(r, "SAVEPOINT ing_export", NULL, NULL, NULL,
			     err)) < 0)
		return rc;
	if ((rc = ing_object_get(r, id, o, err)) == 0) {
		if (o->deleted)
			rc = vl_err_set(err, VL_E_NOTFOUND,
					"object '%s' is deleted; nothing to "
					"export",
					id);
		else if (!o->storage_key[0])
			rc = ing_catalog_bag(r, id, mem, err);
	}
	/* Nothing was written: releasing only ends the read. */
	end = exec_bound(r, "RELEASE ing_export", NULL, NULL, NULL,
			 rc < 0 ? NULL : err);
	return rc < 0 ? rc : end;
}

int
ing_export(struct repo *r, const char *id, const char *to,
	   struct ing_export_report *rep, struct vl_err *err)
{
	struct exp x = { .r = r, .id = id, .err = err, .path = VL_BUF_INIT };
	struct vl_buf tmp = VL_BUF_INIT, final = VL_BUF_INIT;
	struct ing_mem_bag mem = { 0 };
	struct ing_object o;
	time_t now = time(NULL);
	size_t i;
	int rc, renamed = 0;

	memset(rep, 0, sizeof(*rep));
	if ((rc = export_source(r, id, &o, &mem, err)) < 0)
		goto out;
	x.key = o.storage_key[0] ? o.storage_key : NULL;
	if ((rc = export_open(&x, to, &tmp, &final)) < 0 ||
	    (rc = export_payload_dir(&x)) < 0)
		goto out;
	if (x.key)
		rc = repo_store_list(r, x.key, export_one, &x, err);
	else
		for (i = 0; i < mem.n && rc == 0; i++)
			rc = export_mem(&x, &mem.v[i], now);
	if (rc < 0 ||
	    (rc = export_close(&x, to, tmp.buf, final.buf, &renamed)) < 0)
		goto out;
	rep->files = x.files;
	rep->bytes = x.bytes;
	rep->catalog_only = !x.key;
	snprintf(rep->path, sizeof(rep->path), "%s", final.buf);
out:
	if (x.a)
		vl_arc()->write_free(x.a);
	/* All or nothing: a bag whose rename could not be made durable is
	 * taken back too. */
	if (rc < 0 && (renamed ? final.len : tmp.len))
		vl_rmtree(renamed ? final.buf : tmp.buf);
	ing_mem_bag_release(&mem);
	vl_buf_release(&x.path);
	vl_buf_release(&tmp);
	vl_buf_release(&final);
	return rc;
}
