/*
 * storage.c - the POSIX storage backend behind repo.h's storage interface.
 *
 * Invariants:
 *  - A stored object directory is complete: it appears by one rename of a
 *    fully fsync'd stage (RENAME_NOREPLACE), is replaced by one
 *    RENAME_EXCHANGE, and disappears by one rename into the trash.
 *  - Every stage lives in a group: a directory NAME with a lock file
 *    NAME.lock held (flock) by the process building it, and one commit
 *    marker.  A stage of its own is the only stage of its own group; a
 *    batch's stages share one.  The lock file is made under a temporary
 *    name, locked, then renamed into place, so a visible lock is always
 *    held while its owner lives; a group whose lock can be taken is
 *    abandoned.
 *  - A stored file is opened without following any symlink inside its
 *    object, nor the object directory itself if it is one
 *    (vl_open_beneath() with no symlinks), so a symlink planted in
 *    storage is never followed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "repo.h"

struct repo_stage_group {
	struct repo *repo;
	char *root; /* .staging/group.RANDOM, covered by the lock */
	char *lock; /* ROOT.lock */
	int lock_fd;
	unsigned next; /* the name of the next stage's directory */
};

struct repo_stage {
	struct repo *repo;
	struct repo_stage_group *group;
	int own_group; /* a stage of its own: the group goes with it */
	char *key;     /* destination key */
	char *dir;     /* GROUP/object (own group) or GROUP/N: what becomes
			  the stored object */
	enum repo_stage_mode mode;
	int stored; /* the object directory is in place (commit ran) */
};

/* ---- keys and paths ---- */

static int
is_safe_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

static void
sha256_hex(char out[65], const char *s)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	EVP_Digest(s, strlen(s), d, &n, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

char *
repo_store_key(const char *object_id)
{
	struct vl_buf b = VL_BUF_INIT;
	char hex[65];
	const unsigned char *p;
	size_t start;

	sha256_hex(hex, object_id);
	vl_buf_addf(&b, "%.2s/%.2s/", hex, hex + 2);
	start = b.len;
	/* Percent-encode so any identifier is one safe directory name. */
	for (p = (const unsigned char *)object_id; *p; p++) {
		if (is_safe_char(*p) &&
		    !(p == (const unsigned char *)object_id && *p == '.'))
			vl_buf_addch(&b, (char)*p);
		else
			vl_buf_addf(&b, "%%%02X", *p);
	}
	if (b.len - start > 200 || b.len == start) {
		b.len = start;
		vl_buf_adds(&b, hex);
	}
	return vl_buf_detach(&b, NULL);
}

static int
key_path(struct vl_buf *out, struct repo *r, const char *key,
	 struct vl_err *err)
{
	int rc;

	vl_buf_reset(out);
	if ((rc = vl_path_check(key, err)) < 0)
		return rc;
	if (vl_buf_addf(out, "%s/objects/%s", r->cfg.storage_root, key) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	return 0;
}

/* ---- durability ---- */

/* Makes everything below path durable.  syncfs() flushes the whole file
 * system in one call, which for a tree of many small files is far
 * cheaper than an fsync per file and directory (and, on the dedicated
 * file system a repository's storage should be, costs the same). */
static int
sync_tree(const char *path, struct vl_err *err)
{
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vl_err_sys(err, VL_E_IO, "cannot open '%s'", path);
	if (syncfs(fd) < 0)
		rc = vl_err_sys(err, VL_E_IO, "cannot sync '%s'", path);
	close(fd);
	return rc;
}

static int
parent_dir(struct vl_buf *out, const char *path)
{
	const char *slash = strrchr(path, '/');

	vl_buf_reset(out);
	return slash ? vl_buf_add(out, path, (size_t)(slash - path))
		     : vl_buf_adds(out, ".");
}

/* ---- stages ---- */

static int
random_hex(char *out, size_t nbytes)
{
	unsigned char b[16];
	size_t i;

	if (nbytes > sizeof(b) || RAND_bytes(b, (int)nbytes) != 1)
		return -1;
	for (i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

/*
 * A new locked directory under .staging: ROOT = .staging/PREFIX.RANDOM,
 * created after its lock ROOT.lock, which is made under a temporary name
 * ROOT.lock.tmp.PID, locked, then renamed into place (so a visible lock
 * is always held; a temporary one left by a killed process is removed
 * by cleaning once PID is gone).
 * Sets *root, *lock (malloc'd) and *lock_fd even on failure, for the
 * caller's cleanup.
 */
static int
locked_dir(struct repo *r, const char *prefix, char **root, char **lock,
	   int *lock_fd, struct vl_err *err)
{
	struct vl_buf staging = VL_BUF_INIT, tmp = VL_BUF_INIT;
	char rnd[33];
	int rc;

	*root = *lock = NULL;
	*lock_fd = -1;
	vl_buf_addf(&staging, "%s/.staging", r->cfg.storage_root);
	if ((rc = vl_mkdirs(staging.buf, 0755, err)) < 0)
		goto out;
	if (random_hex(rnd, 8) < 0) {
		rc = vl_err_set(err, VL_E_IO, "no random bytes");
		goto out;
	}
	vl_buf_addf(&tmp, "%s/%s.%s", staging.buf, prefix, rnd);
	*root = strdup(tmp.buf);
	vl_buf_adds(&tmp, ".lock");
	*lock = strdup(tmp.buf);
	vl_buf_addf(&tmp, ".tmp.%ld", (long)getpid());
	if (!*root || !*lock) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	*lock_fd = open(tmp.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (*lock_fd < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot create '%s'", tmp.buf);
		goto out;
	}
	if (flock(*lock_fd, LOCK_EX) < 0 || rename(tmp.buf, *lock) < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot lock stage '%s'", *lock);
		unlink(tmp.buf);
		goto out;
	}
	if (mkdir(*root, 0755) < 0)
		rc = vl_err_sys(err, VL_E_IO, "cannot create stage '%s'",
				*root);
out:
	vl_buf_release(&staging);
	vl_buf_release(&tmp);
	return rc;
}

/* Populates a stage with the stored object: directories copied, files
 * hard-linked (same file system), so an update costs no payload copy. */
static int
link_tree(const char *from, const char *to, struct vl_err *err)
{
	struct vl_buf a = VL_BUF_INIT, b = VL_BUF_INIT;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (!(d = opendir(from)))
		return vl_err_sys(err, VL_E_IO, "cannot read '%s'", from);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		vl_buf_reset(&a);
		vl_buf_reset(&b);
		vl_buf_addf(&a, "%s/%s", from, de->d_name);
		vl_buf_addf(&b, "%s/%s", to, de->d_name);
		if (lstat(a.buf, &st) < 0) {
			rc = vl_err_sys(err, VL_E_IO, "cannot stat '%s'",
					a.buf);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (mkdir(b.buf, 0755) < 0) {
				rc = vl_err_sys(err, VL_E_IO,
						"cannot create '%s'", b.buf);
				break;
			}
			if ((rc = link_tree(a.buf, b.buf, err)) < 0)
				break;
		} else if (S_ISREG(st.st_mode)) {
			if (link(a.buf, b.buf) < 0) {
				rc = vl_err_sys(err, VL_E_IO,
						"cannot link '%s'", a.buf);
				break;
			}
		}
		/* Anything else (a planted symlink) is not carried over. */
	}
	closedir(d);
	vl_buf_release(&a);
	vl_buf_release(&b);
	return rc;
}

/* The directory of a new object in a stage: created (CREATE), left to
 * the caller (VACANT), or the stored object hard-linked (REPLACE). */
static int
populate(struct repo_stage *s, const char *object_id, struct vl_err *err)
{
	struct vl_buf cur = VL_BUF_INIT;
	int rc = 0;

	if (s->mode != REPO_STAGE_VACANT && mkdir(s->dir, 0755) < 0)
		return vl_err_sys(err, VL_E_IO, "cannot create stage '%s'",
				  s->dir);
	if (s->mode != REPO_STAGE_REPLACE)
		return 0;
	if ((rc = key_path(&cur, s->repo, s->key, err)) == 0) {
		if (!repo_store_exists(s->repo, s->key))
			rc = vl_err_set(err, VL_E_NOTFOUND,
					"object '%s' is not in storage",
					object_id);
		else
			rc = link_tree(cur.buf, s->dir, err);
	}
	vl_buf_release(&cur);
	return rc;
}

static int
group_new(struct repo *r, const char *prefix, struct repo_stage_group **out,
	  struct vl_err *err)
{
	struct repo_stage_group *g;
	int rc;

	*out = NULL;
	if (!(g = calloc(1, sizeof(*g))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	g->repo = r;
	if ((rc = locked_dir(r, prefix, &g->root, &g->lock, &g->lock_fd, err)) <
	    0) {
		repo_stage_group_free(g);
		return rc;
	}
	*out = g;
	return 0;
}

int
repo_stage_group_new(struct repo *r, struct repo_stage_group **out,
		     struct vl_err *err)
{
	return group_new(r, "group", out, err);
}

void
repo_stage_group_free(struct repo_stage_group *g)
{
	if (!g)
		return;
	if (g->root)
		vl_rmtree(g->root);
	if (g->lock)
		unlink(g->lock);
	if (g->lock_fd >= 0)
		close(g->lock_fd);
	free(g->root);
	free(g->lock);
	free(g);
}

/* A stage in g, its object built in GROUP/name (NULL: the next number). */
static int
stage_in(struct repo_stage_group *g, const char *object_id,
	 enum repo_stage_mode mode, const char *name, struct repo_stage **out,
	 struct vl_err *err)
{
	struct vl_buf path = VL_BUF_INIT;
	struct repo_stage *s;
	int rc;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	s->repo = g->repo;
	s->group = g;
	s->mode = mode;
	if (name)
		vl_buf_addf(&path, "%s/%s", g->root, name);
	else /* stages of one group may be made by several threads */
		vl_buf_addf(&path, "%s/%u", g->root,
			    __atomic_fetch_add(&g->next, 1, __ATOMIC_RELAXED));
	s->key = repo_store_key(object_id);
	s->dir = vl_buf_detach(&path, NULL);
	if (!s->key || !s->dir) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto fail;
	}
	if ((rc = populate(s, object_id, err)) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	repo_stage_abort(s);
	return rc;
}

int
repo_stage_new_in(struct repo_stage_group *g, const char *object_id,
		  enum repo_stage_mode mode, struct repo_stage **out,
		  struct vl_err *err)
{
	return stage_in(g, object_id, mode, NULL, out, err);
}

/* A stage of its own: the only stage of a group named after the object
 * (so a leftover stage says whose it was). */
int
repo_stage_new(struct repo *r, const char *object_id, enum repo_stage_mode mode,
	       struct repo_stage **out, struct vl_err *err)
{
	struct repo_stage_group *g;
	char *key = repo_store_key(object_id);
	int rc;

	*out = NULL;
	if (!key)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	rc = group_new(r, strrchr(key, '/') + 1, &g, err);
	free(key);
	if (rc < 0)
		return rc;
	if ((rc = stage_in(g, object_id, mode, "object", out, err)) < 0) {
		repo_stage_group_free(g);
		return rc;
	}
	(*out)->own_group = 1;
	return 0;
}

const char *
repo_stage_dir(const struct repo_stage *s)
{
	return s->dir;
}

const char *
repo_stage_scratch(const struct repo_stage *s)
{
	return s->own_group ? s->group->root : NULL;
}

void
repo_stage_abort(struct repo_stage *s)
{
	if (!s)
		return;
	if (s->own_group)
		repo_stage_group_free(s->group);
	else if (s->dir && !(s->stored && s->mode != REPO_STAGE_REPLACE))
		vl_rmtree(s->dir); /* a stored new object's has moved away */
	free(s->dir);
	free(s->key);
	free(s);
}

/*
 * The commit marker, ROOT/committed: a line "new KEY INODE VERSION DIR" or
 * "replace KEY INODE VERSION DIR" per stage, INODE being the directory
 * that is being put in place and DIR its name in ROOT (the stages of a
 * group append to one marker).  It is written before the file system is
 * synced and the stage renamed, so it is durable whenever the rename is.
 * If the process dies before the stage is finished,
 * repo_store_clean_stages() reads it to undo a store the catalog never
 * recorded (see recover_stage()).
 */
static int
write_marker(struct repo_stage *s, int64_t version, struct vl_err *err)
{
	struct vl_buf m = VL_BUF_INIT, path = VL_BUF_INIT;
	struct stat st;
	int fd, rc = 0;

	if (lstat(s->dir, &st) < 0)
		return vl_err_sys(err, VL_E_IO, "cannot stat '%s'", s->dir);
	vl_buf_addf(&m, "%s %s %llu %lld %s\n",
		    s->mode == REPO_STAGE_REPLACE ? "replace" : "new", s->key,
		    (unsigned long long)st.st_ino, (long long)version,
		    strrchr(s->dir, '/') + 1);
	vl_buf_addf(&path, "%s/committed", s->group->root);
	/* One write with O_APPEND: lines of a group never interleave. */
	fd = open(path.buf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, m.buf, m.len) != (ssize_t)m.len)
		rc = vl_err_sys(err, VL_E_IO, "cannot write '%s'", path.buf);
	if (fd >= 0 && close(fd) < 0 && rc == 0)
		rc = vl_err_sys(err, VL_E_IO, "cannot write '%s'", path.buf);
	vl_buf_release(&m);
	vl_buf_release(&path);
	return rc;
}

/* Puts one synced stage in place with one rename. */
static int
rename_into_place(struct repo_stage *s, struct vl_err *err)
{
	struct vl_buf dst = VL_BUF_INIT;
	int rc;

	if ((rc = key_path(&dst, s->repo, s->key, err)) < 0)
		goto out;
	if (s->mode == REPO_STAGE_REPLACE) {
		/* Old and new change places in one step; the stage then
		 * holds the old version until repo_stage_finish(). */
		if (renameat2(AT_FDCWD, s->dir, AT_FDCWD, dst.buf,
			      RENAME_EXCHANGE) < 0)
			rc = vl_err_sys(err, VL_E_IO, "cannot replace '%s'",
					dst.buf);
	} else if (renameat2(AT_FDCWD, s->dir, AT_FDCWD, dst.buf,
			     RENAME_NOREPLACE) < 0) {
		rc = vl_err_sys(err,
				errno == EEXIST || errno == ENOTEMPTY
					? VL_E_EXISTS
					: VL_E_IO,
				"cannot store object at '%s'", dst.buf);
	}
	if (rc == 0)
		s->stored = 1;
out:
	vl_buf_release(&dst);
	return rc;
}

/* Writes the marker of a stage and creates the parent of its place. */
static int
prepare_store(struct repo_stage *s, int64_t version, struct vl_err *err)
{
	struct vl_buf dst = VL_BUF_INIT, parent = VL_BUF_INIT;
	int rc;

	if ((rc = key_path(&dst, s->repo, s->key, err)) == 0) {
		parent_dir(&parent, dst.buf);
		if ((rc = vl_mkdirs(parent.buf, 0755, err)) == 0)
			rc = write_marker(s, version, err);
	}
	vl_buf_release(&dst);
	vl_buf_release(&parent);
	return rc;
}

/*
 * Group commit: every stage's files, directories and marker reach the
 * disk with one syncfs(), then each stage is renamed into place, then a
 * second syncfs() makes the renames durable before the caller commits
 * the catalog - two flushes for the whole group instead of four per
 * object.  All stages live under one storage root, one file system.
 */
int
repo_stage_commit_many(struct repo_stage *const *s, const int64_t *versions,
		       size_t n, struct vl_err *err)
{
	size_t i;
	int rc = 0;

	if (!n)
		return 0;
	for (i = 0; i < n && rc == 0; i++)
		rc = prepare_store(s[i], versions ? versions[i] : 1, err);
	if (rc == 0)
		rc = sync_tree(s[0]->repo->cfg.storage_root, err);
	for (i = 0; i < n && rc == 0; i++)
		rc = rename_into_place(s[i], err);
	if (rc == 0)
		rc = sync_tree(s[0]->repo->cfg.storage_root, err);
	return rc;
}

int
repo_stage_commit(struct repo_stage *s, int64_t version, struct vl_err *err)
{
	return repo_stage_commit_many(&s, &version, 1, err);
}

void
repo_stage_finish(struct repo_stage *s)
{
	repo_stage_abort(s);
}

/* Puts the stored object back as it was before the commit. */
static int
undo_store(struct repo *r, const char *key, int replace, const char *old,
	   struct vl_err *err)
{
	struct vl_buf dst = VL_BUF_INIT;
	int rc;

	if (!replace)
		return repo_store_delete(r, key, err);
	if ((rc = key_path(&dst, r, key, err)) == 0 &&
	    renameat2(AT_FDCWD, old, AT_FDCWD, dst.buf, RENAME_EXCHANGE) < 0)
		rc = vl_err_sys(err, VL_E_IO, "cannot restore '%s'", dst.buf);
	vl_buf_release(&dst);
	return rc;
}

int
repo_stage_rollback(struct repo_stage *s, struct vl_err *err)
{
	int rc = 0;

	if (!s)
		return 0;
	if (s->stored)
		rc = undo_store(s->repo, s->key, s->mode == REPO_STAGE_REPLACE,
				s->dir, err);
	repo_stage_abort(s);
	return rc;
}

/* What the catalog says of a stored key: -1 unknown, else md_version. */
static int64_t
catalog_version(struct repo *r, const char *key)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(r->db,
			       "SELECT md_version FROM objects WHERE"
			       " storage_key = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -2;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * A dead stage that had committed to storage: undo that store unless the
 * catalog recorded it.  A new object is removed when the catalog has no
 * row for its key; a replaced one is swapped back when the catalog's
 * md_version is below the version the update was writing.  The inode in
 * the marker proves the stored directory is the one this stage put there.
 */
static void
recover_line(struct repo *r, const char *root, const char *line,
	     void (*cb)(void *ctx, const char *what), void *ctx)
{
	struct vl_buf msg = VL_BUF_INIT, p = VL_BUF_INIT, dst = VL_BUF_INIT;
	char kind[16], key[300], dir[64] = "object";
	unsigned long long ino;
	long long version;
	struct stat st;
	int64_t have;

	/* DIR is absent from markers written before groups existed. */
	if (sscanf(line, "%15s %299s %llu %lld %63s", kind, key, &ino, &version,
		   dir) < 4 ||
	    strchr(dir, '/') || !strcmp(dir, "..") ||
	    key_path(&dst, r, key, NULL) < 0)
		goto out;
	if (lstat(dst.buf, &st) < 0 || st.st_ino != ino)
		goto out; /* the store never happened */
	have = catalog_version(r, key);
	if (have < -1)
		goto out;
	vl_buf_addf(&p, "%s/%s", root, dir);
	if (!strcmp(kind, "new") && have == -1) {
		if (repo_store_delete(r, key, NULL) == 0 && cb) {
			vl_buf_addf(&msg,
				    "removed '%s': stored by an ingest "
				    "that died before its catalog commit",
				    key);
			cb(ctx, msg.buf);
		}
	} else if (!strcmp(kind, "replace") && have >= 0 && have < version) {
		if (undo_store(r, key, 1, p.buf, NULL) == 0 && cb) {
			vl_buf_addf(&msg,
				    "restored '%s': its update died "
				    "before its catalog commit",
				    key);
			cb(ctx, msg.buf);
		}
	}
out:
	vl_buf_release(&msg);
	vl_buf_release(&p);
	vl_buf_release(&dst);
}

/* Each line of a dead stage's (or group's) marker, in turn. */
static void
recover_stage(struct repo *r, const char *root,
	      void (*cb)(void *ctx, const char *what), void *ctx)
{
	struct vl_buf text = VL_BUF_INIT, p = VL_BUF_INIT;
	char *line, *save = NULL;

	vl_buf_addf(&p, "%s/committed", root);
	/* A group of GROUP_OBJECTS stages writes a few dozen KiB. */
	if (vl_read_file(&text, p.buf, 1 << 22, NULL) == 0)
		for (line = strtok_r(text.buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			recover_line(r, root, line, cb, ctx);
	vl_buf_release(&text);
	vl_buf_release(&p);
}

/* Removes what an interrupted repo_store_delete() left in the trash.  An
 * entry younger than an hour may still be being removed by its process. */
static int
clean_trash(struct repo *r, void (*cb)(void *ctx, const char *what), void *ctx)
{
	struct vl_buf trash = VL_BUF_INIT, p = VL_BUF_INIT;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int n = 0;

	vl_buf_addf(&trash, "%s/.trash", r->cfg.storage_root);
	if ((d = opendir(trash.buf))) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			vl_buf_reset(&p);
			vl_buf_addf(&p, "%s/%s", trash.buf, de->d_name);
			if (lstat(p.buf, &st) == 0 &&
			    st.st_mtime < time(NULL) - 3600 &&
			    vl_rmtree(p.buf) == 0) {
				if (cb)
					cb(ctx, p.buf);
				n++;
			}
		}
		closedir(d);
	}
	vl_buf_release(&trash);
	vl_buf_release(&p);
	return n;
}

/* A temporary lock name (NAME.lock.tmp.PID) whose process is gone: a
 * kill between its creation and its rename into NAME.lock.  An older
 * NAME.lock.tmp without a pid counts when nobody holds it for a minute. */
static int
dead_lock_tmp(const char *dir, const char *name)
{
	const char *t = strstr(name, ".lock.tmp");
	struct vl_buf p = VL_BUF_INIT;
	struct stat st;
	char *end;
	long pid;
	int fd, dead = 0;

	if (!t)
		return 0;
	if (t[9] == '.') {
		pid = strtol(t + 10, &end, 10);
		return pid > 0 && !*end && kill((pid_t)pid, 0) < 0 &&
		       errno == ESRCH;
	}
	if (t[9] != '\0')
		return 0;
	vl_buf_addf(&p, "%s/%s", dir, name);
	if ((fd = open(p.buf, O_RDONLY | O_CLOEXEC)) >= 0) {
		dead = fstat(fd, &st) == 0 && st.st_mtime < time(NULL) - 60 &&
		       flock(fd, LOCK_EX | LOCK_NB) == 0;
		close(fd);
	}
	vl_buf_release(&p);
	return dead;
}

int
repo_store_clean_stages(struct repo *r, void (*cb)(void *ctx, const char *what),
			void *ctx, struct vl_err *err)
{
	struct vl_buf staging = VL_BUF_INIT, p = VL_BUF_INIT;
	struct dirent *de;
	DIR *d;
	int n = 0, fd;
	size_t len;

	vl_buf_addf(&staging, "%s/.staging", r->cfg.storage_root);
	if (!(d = opendir(staging.buf))) {
		n = errno == ENOENT
			    ? 0
			    : vl_err_sys(err, VL_E_IO, "cannot read '%s'",
					 staging.buf);
		goto out;
	}
	while ((de = readdir(d))) {
		len = strlen(de->d_name);
		if (dead_lock_tmp(staging.buf, de->d_name)) {
			vl_buf_reset(&p);
			vl_buf_addf(&p, "%s/%s", staging.buf, de->d_name);
			if (unlink(p.buf) == 0 && cb)
				cb(ctx, p.buf);
			continue;
		}
		if (len < 6 || strcmp(de->d_name + len - 5, ".lock") != 0)
			continue;
		vl_buf_reset(&p);
		vl_buf_addf(&p, "%s/%s", staging.buf, de->d_name);
		fd = open(p.buf, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			/* Nobody holds it: the stage's process is gone. */
			p.buf[p.len - 5] = '\0';
			recover_stage(r, p.buf, cb, ctx);
			if (vl_rmtree(p.buf) == 0) {
				if (cb)
					cb(ctx, p.buf);
				n++;
			}
			p.buf[p.len - 5] = '.';
			unlink(p.buf);
		}
		close(fd);
	}
	closedir(d);
	n += clean_trash(r, cb, ctx);
out:
	vl_buf_release(&staging);
	vl_buf_release(&p);
	return n;
}

/* ---- reading stored objects ---- */

/* Opens the directories of relpath below base one component at a time,
 * never through a symlink, creating missing ones when create is set;
 * returns the parent directory's fd and sets *leaf to the last
 * component. */
static int
walk_parent(const char *base, const char *relpath, int create,
	    const char **leaf, struct vl_err *err)
{
	char comp[256];
	const char *p = relpath, *slash;
	int fd, next;

	if (create && (fd = vl_mkdirs(base, 0755, err)) < 0)
		return fd;
	fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vl_err_sys(err,
				  errno == ENOENT ? VL_E_NOTFOUND : VL_E_IO,
				  "cannot open '%s'", base);
	while ((slash = strchr(p, '/'))) {
		if ((size_t)(slash - p) >= sizeof(comp)) {
			close(fd);
			return vl_err_set(err, VL_E_INVAL,
					  "name too long in '%s'", relpath);
		}
		memcpy(comp, p, (size_t)(slash - p));
		comp[slash - p] = '\0';
		if (create && mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
			close(fd);
			return vl_err_sys(err, VL_E_IO, "cannot create '%s'",
					  relpath);
		}
		next = openat(fd, comp,
			      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0)
			return vl_err_sys(err,
					  errno == ENOENT ? VL_E_NOTFOUND
					  : errno == ELOOP || errno == ENOTDIR
						  ? VL_E_UNSAFE
						  : VL_E_IO,
					  "cannot open '%s'", relpath);
		fd = next;
		p = slash + 1;
	}
	*leaf = p;
	return fd;
}

static int
open_error(struct vl_err *err, const char *relpath, int e)
{
	errno = e;
	return vl_err_sys(err,
			  e == ENOENT ? VL_E_NOTFOUND
			  : e == ELOOP || e == EXDEV || e == ENOTDIR
				  ? VL_E_UNSAFE
				  : VL_E_IO,
			  "cannot open '%s'", relpath);
}

struct repo_object {
	int dirfd;
	char *key;
};

int
repo_object_open(struct repo *r, const char *key, struct repo_object **out,
		 struct vl_err *err)
{
	struct vl_buf base = VL_BUF_INIT;
	struct repo_object *o;
	int rc;

	*out = NULL;
	if ((rc = key_path(&base, r, key, err)) < 0)
		goto out;
	if (!(o = calloc(1, sizeof(*o))) || !(o->key = strdup(key))) {
		free(o);
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	/* O_NOFOLLOW: an object directory that is a symlink puts the
	 * object's files somewhere else; it is refused like one inside. */
	o->dirfd =
		open(base.buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (o->dirfd < 0) {
		rc = vl_err_sys(err, errno == ENOENT ? VL_E_NOTFOUND : VL_E_IO,
				"cannot open stored object '%s'", key);
		repo_object_close(o);
		goto out;
	}
	*out = o;
out:
	vl_buf_release(&base);
	return rc;
}

void
repo_object_close(struct repo_object *o)
{
	if (!o)
		return;
	if (o->dirfd >= 0)
		close(o->dirfd);
	free(o->key);
	free(o);
}

int
repo_object_file(struct repo_object *o, const char *relpath, int *fdp,
		 struct vl_err *err)
{
	struct stat st;
	int fd, rc;

	*fdp = -1;
	if ((rc = vl_path_check(relpath, err)) < 0)
		return rc;
	/* O_NONBLOCK: a FIFO planted in storage must not hang the open; it
	 * is refused below, and on a regular file the flag does nothing
	 * (open(2)), so the descriptor is handed on as it is.  O_NOATIME:
	 * an audit reading every file must not rewrite every inode (the
	 * kernel allows it to the owner; vl_open_beneath() drops it
	 * otherwise). */
	fd = vl_open_beneath(o->dirfd, relpath,
			     O_RDONLY | O_NOCTTY | O_NONBLOCK | O_NOATIME, 0,
			     1);
	if (fd < 0)
		return open_error(err, relpath, errno);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return vl_err_set(err, VL_E_UNSAFE,
				  "'%s' is not a regular file", relpath);
	}
	*fdp = fd;
	return 0;
}

int
repo_store_open(struct repo *r, const char *key, const char *relpath, int *fdp,
		struct vl_err *err)
{
	struct repo_object *o;
	int rc;

	*fdp = -1;
	if ((rc = repo_object_open(r, key, &o, err)) < 0)
		return rc;
	rc = repo_object_file(o, relpath, fdp, err);
	repo_object_close(o);
	return rc;
}

static void
fill_stat(struct repo_stat *out, const struct stat *st)
{
	out->size = (uint64_t)st->st_size;
	out->regular = S_ISREG(st->st_mode);
	out->mtime = st->st_mtime;
}

int
repo_store_stat(struct repo *r, const char *key, const char *relpath,
		struct repo_stat *out, struct vl_err *err)
{
	struct vl_buf base = VL_BUF_INIT;
	const char *leaf;
	struct stat st;
	int dfd, rc = 0;

	if ((rc = vl_path_check(relpath, err)) < 0 ||
	    (rc = key_path(&base, r, key, err)) < 0)
		goto out;
	if ((dfd = walk_parent(base.buf, relpath, 0, &leaf, err)) < 0) {
		rc = dfd;
		goto out;
	}
	if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		rc = vl_err_sys(err, errno == ENOENT ? VL_E_NOTFOUND : VL_E_IO,
				"cannot stat '%s'", relpath);
	else
		fill_stat(out, &st);
	close(dfd);
out:
	vl_buf_release(&base);
	return rc;
}

struct entry {
	char *name;
	int is_dir;
	int is_file; /* a regular file, said by readdir */
};

/* Directories sort as "name/" so a walk yields whole paths in byte
 * order. */
static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	const unsigned char *p = (const unsigned char *)x->name;
	const unsigned char *q = (const unsigned char *)y->name;
	int cp, cq;

	for (;; p++, q++) {
		cp = *p ? *p : (x->is_dir ? '/' : 0);
		cq = *q ? *q : (y->is_dir ? '/' : 0);
		if (cp != cq || !*p || !*q)
			return cp - cq;
	}
}

/* Lists the tree below dfd (closed) into cb; with sizes clear, a
 * regular file readdir(3) names as such is not stat'ed and comes with
 * REPO_SIZE_UNKNOWN. */
static int
walk(int dfd, struct vl_buf *rel, int sizes,
     int (*cb)(void *, const char *, const struct repo_stat *), void *ctx,
     struct vl_err *err)
{
	struct entry *ents = NULL, *tmp;
	size_t n = 0, cap = 0, i, mark;
	struct dirent *de;
	struct repo_stat rs;
	struct stat st;
	DIR *d;
	int fd, is_dir, is_file, rc = 0;

	if (!(d = fdopendir(dfd))) {
		close(dfd);
		return vl_err_sys(err, VL_E_IO, "cannot read '%s'", rel->buf);
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		/* The entry's type from the directory itself where the file
		 * system gives it: files are stat'ed once, below. */
		if (de->d_type == DT_UNKNOWN) {
			if (fstatat(dirfd(d), de->d_name, &st,
				    AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			is_dir = S_ISDIR(st.st_mode);
			is_file = 0; /* stat'ed again below, with the size */
		} else {
			is_dir = de->d_type == DT_DIR;
			is_file = de->d_type == DT_REG;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			tmp = reallocarray(ents, cap, sizeof(*ents));
			if (!tmp) {
				rc = vl_err_set(err, VL_E_NOMEM,
						"out of memory");
				goto out;
			}
			ents = tmp;
		}
		ents[n].is_dir = is_dir;
		ents[n].is_file = is_file;
		if (!(ents[n].name = strdup(de->d_name))) {
			rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	if (n)
		qsort(ents, n, sizeof(*ents), entry_cmp);
	for (i = 0; i < n && rc == 0; i++) {
		mark = rel->len;
		if (rel->len)
			vl_buf_addch(rel, '/');
		vl_buf_adds(rel, ents[i].name);
		if (ents[i].is_dir) {
			fd = openat(dirfd(d), ents[i].name,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					    O_CLOEXEC);
			if (fd < 0)
				rc = vl_err_sys(err, VL_E_IO,
						"cannot open '%s'", rel->buf);
			else
				rc = walk(fd, rel, sizes, cb, ctx, err);
		} else if (!sizes && ents[i].is_file) {
			rs.size = REPO_SIZE_UNKNOWN;
			rs.regular = 1;
			rs.mtime = 0;
			rc = cb(ctx, rel->buf, &rs);
		} else if (fstatat(dirfd(d), ents[i].name, &st,
				   AT_SYMLINK_NOFOLLOW) == 0) {
			fill_stat(&rs, &st);
			rc = cb(ctx, rel->buf, &rs);
		}
		rel->len = mark;
		rel->buf[mark] = '\0';
	}
out:
	for (i = 0; i < n; i++)
		free(ents[i].name);
	free(ents);
	closedir(d);
	return rc;
}

int
repo_object_list(struct repo_object *o, unsigned flags,
		 int (*cb)(void *ctx, const char *relpath,
			   const struct repo_stat *st),
		 void *ctx, struct vl_err *err)
{
	struct vl_buf rel = VL_BUF_INIT;
	int fd, rc;

	/* A directory stream of its own: a dup would share (and leave at
	 * the end) the handle's reading position. */
	fd = openat(o->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vl_err_sys(err, VL_E_IO,
				  "cannot open stored object '%s'", o->key);
	rc = walk(fd, &rel, (flags & REPO_LIST_NO_SIZES) == 0, cb, ctx, err);
	vl_buf_release(&rel);
	return rc;
}

int
repo_store_list(struct repo *r, const char *key,
		int (*cb)(void *ctx, const char *relpath,
			  const struct repo_stat *st),
		void *ctx, struct vl_err *err)
{
	struct repo_object *o;
	int rc;

	if ((rc = repo_object_open(r, key, &o, err)) < 0)
		return rc;
	rc = repo_object_list(o, 0, cb, ctx, err);
	repo_object_close(o);
	return rc;
}

int
repo_store_exists(struct repo *r, const char *key)
{
	struct vl_buf p = VL_BUF_INIT;
	struct stat st;
	int yes;

	yes = key_path(&p, r, key, NULL) == 0 && lstat(p.buf, &st) == 0 &&
	      S_ISDIR(st.st_mode);
	vl_buf_release(&p);
	return yes;
}

static int
list_level(const char *dir, const char *prefix, int depth,
	   int (*cb)(void *, const char *), void *ctx, struct vl_err *err)
{
	struct vl_buf sub = VL_BUF_INIT, key = VL_BUF_INIT;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0
				       : vl_err_sys(err, VL_E_IO,
						    "cannot read '%s'", dir);
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		vl_buf_reset(&sub);
		vl_buf_reset(&key);
		vl_buf_addf(&sub, "%s/%s", dir, de->d_name);
		vl_buf_addf(&key, "%s%s%s", prefix, *prefix ? "/" : "",
			    de->d_name);
		if (depth < 2)
			rc = list_level(sub.buf, key.buf, depth + 1, cb, ctx,
					err);
		else
			rc = cb(ctx, key.buf);
	}
	closedir(d);
	vl_buf_release(&sub);
	vl_buf_release(&key);
	return rc;
}

int
repo_store_list_objects(struct repo *r, int (*cb)(void *ctx, const char *key),
			void *ctx, struct vl_err *err)
{
	struct vl_buf dir = VL_BUF_INIT;
	int rc;

	vl_buf_addf(&dir, "%s/objects", r->cfg.storage_root);
	rc = list_level(dir.buf, "", 0, cb, ctx, err);
	vl_buf_release(&dir);
	return rc;
}

/* ---- restoring one file ---- */

int
repo_store_replace_file(struct repo *r, const char *key, const char *relpath,
			int src_fd, struct vl_err *err)
{
	struct vl_buf base = VL_BUF_INIT;
	char tmp[64], rnd[17];
	const char *leaf = NULL;
	int dfd = -1, fd = -1, rc;

	if ((rc = vl_path_check(relpath, err)) < 0 ||
	    (rc = key_path(&base, r, key, err)) < 0)
		goto out;
	if ((dfd = walk_parent(base.buf, relpath, 1, &leaf, err)) < 0) {
		rc = dfd;
		goto out;
	}
	if (random_hex(rnd, 8) < 0) {
		rc = vl_err_set(err, VL_E_IO, "no random bytes");
		goto out;
	}
	snprintf(tmp, sizeof(tmp), ".vellum-restore.%s", rnd);
	fd = openat(dfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = vl_err_sys(err, VL_E_IO,
				"cannot create a file beside '%s'", relpath);
		goto out;
	}
	if (lseek(src_fd, 0, SEEK_SET) < 0 ||
	    (rc = vl_copy_fd(src_fd, fd, relpath, err)) < 0 || fsync(fd) < 0) {
		if (rc == 0)
			rc = vl_err_sys(err, VL_E_IO, "cannot write '%s'",
					relpath);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = vl_err_sys(err, VL_E_IO, "cannot write '%s'", relpath);
		goto fail;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, leaf) < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot replace '%s'", relpath);
		goto fail;
	}
	if (fsync(dfd) < 0)
		rc = vl_err_sys(err, VL_E_IO,
				"cannot sync the directory of '%s'", relpath);
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	fd = -1;
	unlinkat(dfd, tmp, 0);
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	vl_buf_release(&base);
	return rc;
}

int
repo_store_delete(struct repo *r, const char *key, struct vl_err *err)
{
	struct vl_buf src = VL_BUF_INIT, trash = VL_BUF_INIT;
	char rnd[17];
	int rc;

	if ((rc = key_path(&src, r, key, err)) < 0)
		goto out;
	vl_buf_addf(&trash, "%s/.trash", r->cfg.storage_root);
	if ((rc = vl_mkdirs(trash.buf, 0755, err)) < 0)
		goto out;
	if (random_hex(rnd, 8) < 0) {
		rc = vl_err_set(err, VL_E_IO, "no random bytes");
		goto out;
	}
	vl_buf_addf(&trash, "/%s.%s", strrchr(key, '/') + 1, rnd);
	if (rename(src.buf, trash.buf) < 0) {
		rc = vl_err_sys(err, errno == ENOENT ? VL_E_NOTFOUND : VL_E_IO,
				"cannot remove stored object '%s'", key);
		goto out;
	}
	if (vl_rmtree(trash.buf) < 0)
		rc = vl_err_sys(err, VL_E_IO, "cannot remove '%s'", trash.buf);
out:
	vl_buf_release(&src);
	vl_buf_release(&trash);
	return rc;
}
