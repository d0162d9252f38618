/*
 * bag_fs.c - file system helpers for bags: opening a path without ever
 * leaving the bag (RFC 8493 5.1), sorted directory listings, files
 * replaced atomically, and removing what we created.
 *
 * Invariant: every open of a path named by bag content goes through
 * bag_open_beneath(), which refuses to resolve outside rootfd, through
 * an absolute symlink, "..", or a magic /proc link.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bag_impl.h"

static int
err_for_errno(struct vl_err *err, const char *rel, int e)
{
	errno = e;
	switch (e) {
	case ENOENT:
		return vl_err_sys(err, VL_E_NOTFOUND, "cannot open '%s'", rel);
	case EXDEV:
		return vl_err_set(err, VL_E_UNSAFE,
				  "'%s' resolves outside the bag", rel);
	case EEXIST: return vl_err_set(err, VL_E_EXISTS, "'%s' exists", rel);
	case ELOOP:
		return vl_err_set(err, VL_E_UNSAFE,
				  "'%s' goes through a symbolic link", rel);
	default: return vl_err_sys(err, VL_E_IO, "cannot open '%s'", rel);
	}
}

int
bag_open_beneath(int rootfd, const char *rel, int flags, unsigned mode,
		 struct vl_err *err)
{
	const char *why = bag_path_unsafe(rel);
	int fd;

	if (why)
		return vl_err_set(err, VL_E_UNSAFE, "path '%s' %s", rel, why);
	fd = vl_open_beneath(rootfd, rel, flags, mode, 0);
	return fd >= 0 ? fd : err_for_errno(err, rel, errno);
}

int
bag_read_beneath(int rootfd, const char *rel, size_t max, struct vl_buf *out,
		 struct vl_err *err)
{
	char chunk[65536];
	struct stat st;
	int fd, rc = 0;

	vl_buf_reset(out);
	fd = bag_open_beneath(rootfd, rel, BAG_READ_FLAGS, 0, err);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = vl_err_set(err, VL_E_INVAL, "'%s' is not a regular file",
				rel);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		rc = vl_err_set(err, VL_E_NOMEM,
				"'%s' is larger than %zu bytes", rel, max);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = vl_err_sys(err, VL_E_IO, "cannot read '%s'", rel);
			break;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > max) {
			rc = vl_err_set(err, VL_E_NOMEM,
					"'%s' is larger than %zu bytes", rel,
					max);
			break;
		}
		if (vl_buf_add(out, chunk, (size_t)n) < 0) {
			rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
			break;
		}
	}
out:
	close(fd);
	return rc;
}

struct listed {
	char *name;
	unsigned char type;
};

static int
cmp_listed(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->name,
		      ((const struct listed *)b)->name);
}

void
bag_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Reads dirfd's entries (without . and ..) into *out, unsorted. */
static int
read_entries(int dirfd, struct listed **out, size_t *n, struct vl_err *err)
{
	struct listed *v = NULL;
	size_t cnt = 0, alloc = 0;
	struct dirent *de;
	DIR *d;
	int fd = dup(dirfd), rc = 0;

	*out = NULL;
	*n = 0;
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return vl_err_sys(err, VL_E_IO, "cannot read a directory");
	}
	rewinddir(d);
	for (;;) {
		errno = 0;
		if (!(de = readdir(d))) {
			if (errno)
				rc = vl_err_sys(err, VL_E_IO,
						"cannot read a directory");
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (cnt == alloc) {
			size_t na = alloc ? alloc * 2 : 32;
			struct listed *nv = reallocarray(v, na, sizeof(*nv));

			if (!nv) {
				rc = vl_err_set(err, VL_E_NOMEM,
						"out of memory");
				break;
			}
			v = nv;
			alloc = na;
		}
		if (!(v[cnt].name = strdup(de->d_name))) {
			rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
			break;
		}
		v[cnt++].type = de->d_type;
	}
	closedir(d);
	*out = v;
	*n = cnt;
	return rc;
}

int
bag_list_dir_types(int dirfd, char ***names, unsigned char **types, size_t *n,
		   struct vl_err *err)
{
	struct listed *v;
	char **nv = NULL;
	unsigned char *tv = NULL;
	size_t cnt, i;
	int rc;

	*names = NULL;
	*n = 0;
	if (types)
		*types = NULL;
	rc = read_entries(dirfd, &v, &cnt, err);
	if (rc == 0 && cnt &&
	    (!(nv = malloc(cnt * sizeof(*nv))) ||
	     (types && !(tv = malloc(cnt))))) {
		free(nv);
		nv = NULL;
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
	}
	if (rc < 0) {
		for (i = 0; i < cnt; i++)
			free(v[i].name);
		free(v);
		return rc;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_listed);
	for (i = 0; i < cnt; i++) {
		nv[i] = v[i].name;
		if (tv)
			tv[i] = v[i].type;
	}
	free(v);
	*names = nv;
	*n = cnt;
	if (types)
		*types = tv;
	return 0;
}

int
bag_list_dir(int dirfd, char ***names, size_t *n, struct vl_err *err)
{
	return bag_list_dir_types(dirfd, names, NULL, n, err);
}

/* ---- atomic replacement ---- */

int
bag_atomic_open(struct bag_atomic *a, int dirfd, const char *name,
		struct vl_err *err)
{
	int tries;

	memset(a, 0, sizeof(*a));
	a->dirfd = dirfd;
	a->fd = -1;
	if (!(a->name = strdup(name)))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	for (tries = 0; tries < 100; tries++) {
		unsigned r = 0;
		struct vl_buf t = VL_BUF_INIT;

		if (getrandom(&r, sizeof(r), 0) < 0)
			r = (unsigned)getpid() * 2654435761u + (unsigned)tries;
		if (vl_buf_addf(&t, "%s.tmp-%08x", name, r) < 0) {
			vl_buf_release(&t);
			break;
		}
		a->fd = bag_open_beneath(
			dirfd, t.buf, O_WRONLY | O_CREAT | O_EXCL, 0644, err);
		if (a->fd >= 0) {
			a->tmp = vl_buf_detach(&t, NULL);
			return 0;
		}
		vl_buf_release(&t);
		if (a->fd != VL_E_EXISTS)
			break;
	}
	free(a->name);
	a->name = NULL;
	return a->fd < 0 ? a->fd : vl_err_set(err, VL_E_IO, "cannot create");
}

int
bag_atomic_write(struct bag_atomic *a, const void *data, size_t len,
		 struct vl_err *err)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(a->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vl_err_sys(err, VL_E_IO, "cannot write '%s'",
					  a->name);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fsync_parent(int dirfd, const char *name, struct vl_err *err)
{
	const char *slash = strrchr(name, '/');
	int fd, rc = 0;

	if (slash) {
		char *dir = strndup(name, (size_t)(slash - name));

		if (!dir)
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		fd = bag_open_beneath(dirfd, dir, O_RDONLY | O_DIRECTORY, 0,
				      err);
		free(dir);
	} else {
		fd = dup(dirfd);
	}
	if (fd < 0)
		return fd;
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = vl_err_sys(err, VL_E_IO,
				"cannot sync the directory of "
				"'%s'",
				name);
	close(fd);
	return rc;
}

int
bag_atomic_commit(struct bag_atomic *a, struct vl_err *err)
{
	int rc = 0;

	if (!a->nosync && fsync(a->fd) < 0)
		rc = vl_err_sys(err, VL_E_IO, "cannot write '%s'", a->name);
	if (close(a->fd) < 0 && rc == 0)
		rc = vl_err_sys(err, VL_E_IO, "cannot write '%s'", a->name);
	a->fd = -1;
	if (rc == 0 && renameat(a->dirfd, a->tmp, a->dirfd, a->name) < 0)
		rc = vl_err_sys(err, VL_E_IO, "cannot rename to '%s'", a->name);
	if (rc == 0 && !a->nosync)
		rc = fsync_parent(a->dirfd, a->name, err);
	if (rc < 0)
		unlinkat(a->dirfd, a->tmp, 0);
	free(a->tmp);
	free(a->name);
	a->tmp = a->name = NULL;
	return rc;
}

void
bag_atomic_abort(struct bag_atomic *a)
{
	if (a->fd >= 0)
		close(a->fd);
	if (a->tmp)
		unlinkat(a->dirfd, a->tmp, 0);
	free(a->tmp);
	free(a->name);
	a->tmp = a->name = NULL;
	a->fd = -1;
}

int
bag_rmtree_at(int dirfd, const char *name)
{
	struct stat st;
	struct vl_err err;
	char **names;
	size_t n, i;
	int fd, rc = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0);
	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (bag_list_dir(fd, &names, &n, &err) < 0) {
		close(fd);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (bag_rmtree_at(fd, names[i]) < 0)
			rc = -1;
	bag_names_free(names, n);
	close(fd);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		rc = -1;
	return rc;
}

int
bag_mkdirs_at(int rootfd, const char *rel, struct vl_err *err)
{
	char *p = strdup(rel), *s;
	int rc = 0;

	if (!p)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	for (s = p;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdirat(rootfd, p, 0755) < 0 && errno != EEXIST) {
			rc = vl_err_sys(err, VL_E_IO, "cannot create '%s'", p);
			break;
		}
		{
			struct stat st;

			if (fstatat(rootfd, p, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISDIR(st.st_mode)) {
				rc = vl_err_set(err, VL_E_UNSAFE,
						"'%s' is not a directory", p);
				break;
			}
		}
		if (c == '\0')
			break;
		*s = '/';
	}
	free(p);
	return rc;
}
