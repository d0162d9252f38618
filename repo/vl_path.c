/*
 * vl_path.c - safe relative paths and durable file writes.
 *
 * Every path that comes from outside (a manifest, an archive, a URL, a
 * command line naming something inside the repository) goes through
 * vl_path_check() before it is joined to a root, so nothing is ever read
 * or written outside that root (RFC 8493 section 5 asks the same of bags).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vl.h"

/* Whether the kernel has openat2(2): 0 unknown, 1 yes, -1 no (or a
 * seccomp filter refuses it).  Found out once, like a configuration. */
static int openat2_state;
/* Whether O_NOATIME was refused once (EPERM: only the owner may ask). */
static int noatime_refused;

/* vl_open_beneath() without openat2: component by component, refusing
 * every symbolic link (stricter than RESOLVE_BENEATH, never looser); a
 * component that is not a directory counts as one (ELOOP). */
static int
open_by_components(int dirfd, const char *rel, int flags, unsigned mode)
{
	char comp[256];
	const char *p = rel, *slash;
	int cur = dirfd, next, e;

	while ((slash = strchr(p, '/'))) {
		if ((size_t)(slash - p) >= sizeof(comp)) {
			e = ENAMETOOLONG;
			goto fail;
		}
		memcpy(comp, p, (size_t)(slash - p));
		comp[slash - p] = '\0';
		next = openat(cur, comp,
			      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		e = errno;
		if (cur != dirfd)
			close(cur);
		cur = -1;
		if (next < 0)
			goto fail;
		cur = next;
		p = slash + 1;
	}
	next = openat(cur, p, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	e = errno;
	if (cur != dirfd)
		close(cur);
	if (next >= 0)
		return next;
	cur = -1;
fail:
	if (cur >= 0 && cur != dirfd)
		close(cur);
	errno = e == ENOTDIR ? ELOOP : e;
	return -1;
}

static int
open_beneath_once(int dirfd, const char *rel, int flags, unsigned mode,
		  int no_symlinks)
{
	int state = __atomic_load_n(&openat2_state, __ATOMIC_RELAXED);

	if (state >= 0) {
		struct open_how how;
		long fd;

		memset(&how, 0, sizeof(how));
		how.flags = (uint64_t)(flags | O_CLOEXEC);
		how.mode = (flags & O_CREAT) ? mode : 0;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
			      (no_symlinks ? RESOLVE_NO_SYMLINKS : 0);
		fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
		if (fd >= 0) {
			__atomic_store_n(&openat2_state, 1, __ATOMIC_RELAXED);
			return (int)fd;
		}
		if (errno != ENOSYS && errno != EPERM)
			return -1;
		/* EPERM from a known-good openat2 is the file's answer (say,
		 * to O_NOATIME), not a seccomp filter's. */
		if (errno == EPERM && state > 0)
			return -1;
		if (errno == EPERM && (flags & O_NOATIME))
			return -1; /* the caller asks again without it */
		__atomic_store_n(&openat2_state, -1, __ATOMIC_RELAXED);
	}
	return open_by_components(dirfd, rel, flags, mode);
}

int
vl_open_beneath(int dirfd, const char *rel, int flags, unsigned mode,
		int no_symlinks)
{
	int fd;

	if ((flags & O_NOATIME) &&
	    __atomic_load_n(&noatime_refused, __ATOMIC_RELAXED))
		flags &= ~O_NOATIME;
	fd = open_beneath_once(dirfd, rel, flags, mode, no_symlinks);
	if (fd < 0 && errno == EPERM && (flags & O_NOATIME)) {
		/* Not the file's owner: read it the ordinary way, and stop
		 * asking (a tree usually has one owner). */
		__atomic_store_n(&noatime_refused, 1, __ATOMIC_RELAXED);
		fd = open_beneath_once(dirfd, rel, flags & ~O_NOATIME, mode,
				       no_symlinks);
	}
	return fd;
}

int
vl_path_check(const char *rel, struct vl_err *err)
{
	const char *p, *comp;
	size_t n;

	if (!rel || !*rel)
		return vl_err_set(err, VL_E_UNSAFE, "empty path");
	if (rel[0] == '/')
		return vl_err_set(err, VL_E_UNSAFE, "absolute path '%s'", rel);
	if (rel[0] == '~')
		return vl_err_set(err, VL_E_UNSAFE, "path '%s' starts with '~'",
				  rel);
	if (((rel[0] >= 'a' && rel[0] <= 'z') ||
	     (rel[0] >= 'A' && rel[0] <= 'Z')) &&
	    rel[1] == ':')
		return vl_err_set(err, VL_E_UNSAFE,
				  "path '%s' starts with a drive letter", rel);
	for (p = rel; *p; p++) {
		if (*p == '\\')
			return vl_err_set(err, VL_E_UNSAFE,
					  "path '%s' contains a backslash",
					  rel);
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return vl_err_set(err, VL_E_UNSAFE,
					  "path '%s' contains a control "
					  "character",
					  rel);
	}
	for (comp = rel;; comp = p + 1) {
		p = strchr(comp, '/');
		n = p ? (size_t)(p - comp) : strlen(comp);
		if (n == 0)
			return vl_err_set(err, VL_E_UNSAFE,
					  "path '%s' has an empty component",
					  rel);
		if ((n == 1 && comp[0] == '.') ||
		    (n == 2 && comp[0] == '.' && comp[1] == '.'))
			return vl_err_set(err, VL_E_UNSAFE,
					  "path '%s' contains '%.*s'", rel,
					  (int)n, comp);
		if (!p)
			break;
	}
	return 0;
}

int
vl_path_join(struct vl_buf *out, const char *root, const char *rel,
	     struct vl_err *err)
{
	int rc;

	if ((rc = vl_path_check(rel, err)) < 0)
		return rc;
	vl_buf_reset(out);
	if (vl_buf_adds(out, root) < 0 ||
	    (out->len && out->buf[out->len - 1] != '/' &&
	     vl_buf_addch(out, '/') < 0) ||
	    vl_buf_adds(out, rel) < 0)
		return vl_err_set(err, VL_E_NOMEM, "path too long");
	return 0;
}

int
vl_mkdirs(const char *path, unsigned mode, struct vl_err *err)
{
	struct vl_buf b = VL_BUF_INIT;
	struct stat st;
	size_t i;
	int rc = 0;

	if (vl_buf_adds(&b, path) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	for (i = 1; i <= b.len; i++) {
		if (b.buf[i] != '/' && b.buf[i] != '\0')
			continue;
		b.buf[i] = '\0';
		if (mkdir(b.buf, mode) < 0 && errno != EEXIST) {
			rc = vl_err_sys(err, VL_E_IO, "cannot create '%s'",
					b.buf);
			goto out;
		}
		if (stat(b.buf, &st) < 0 || !S_ISDIR(st.st_mode)) {
			rc = vl_err_set(err, VL_E_IO, "'%s' is not a directory",
					b.buf);
			goto out;
		}
		if (i < b.len)
			b.buf[i] = '/';
	}
out:
	vl_buf_release(&b);
	return rc;
}

int
vl_fsync_dir(const char *path, struct vl_err *err)
{
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vl_err_sys(err, VL_E_IO, "cannot open '%s'", path);
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = vl_err_sys(err, VL_E_IO, "cannot sync '%s'", path);
	close(fd);
	return rc;
}

/* fsyncs the directories below dfd (depth first), then dfd itself. */
static int
fsync_dirs_at(int dfd, const char *path, unsigned depth, struct vl_err *err)
{
	DIR *d;
	struct dirent *de;
	int fd, rc = 0;

	if (depth > 256)
		return vl_err_set(err, VL_E_INVAL, "'%s' is nested too deeply",
				  path);
	if ((fd = dup(dfd)) < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return vl_err_sys(err, VL_E_IO, "cannot read '%s'", path);
	}
	while (rc == 0 && (de = readdir(d))) {
		struct vl_buf sub = VL_BUF_INIT;
		struct stat st;
		int sfd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type != DT_DIR &&
		    (de->d_type != DT_UNKNOWN ||
		     fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		     !S_ISDIR(st.st_mode)))
			continue;
		vl_buf_addf(&sub, "%s/%s", path, de->d_name);
		sfd = openat(dfd, de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0) {
			rc = vl_err_sys(err, VL_E_IO, "cannot open '%s'",
					sub.buf);
		} else {
			rc = fsync_dirs_at(sfd, sub.buf, depth + 1, err);
			close(sfd);
		}
		vl_buf_release(&sub);
	}
	closedir(d);
	if (rc == 0 && fsync(dfd) < 0 && errno != EINVAL)
		rc = vl_err_sys(err, VL_E_IO, "cannot sync '%s'", path);
	return rc;
}

int
vl_fsync_dirs(const char *path, struct vl_err *err)
{
	int fd, rc;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vl_err_sys(err, VL_E_IO, "cannot open '%s'", path);
	rc = fsync_dirs_at(fd, path, 0, err);
	close(fd);
	return rc;
}

int
vl_write_all(int fd, const void *buf, size_t len)
{
	const char *data = buf;
	ssize_t n;

	while (len) {
		n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int
vl_write_file_atomic(const char *path, const void *data, size_t len,
		     struct vl_err *err)
{
	struct vl_buf tmp = VL_BUF_INIT, dir = VL_BUF_INIT;
	const char *slash;
	int fd = -1, rc = 0;

	if (vl_buf_addf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	fd = mkstemp(tmp.buf);
	if (fd < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot create '%s'", tmp.buf);
		goto out;
	}
	if (vl_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot write '%s'", path);
		goto out;
	}
	if (fchmod(fd, 0644) < 0 || close(fd) < 0) {
		fd = -1;
		rc = vl_err_sys(err, VL_E_IO, "cannot write '%s'", path);
		goto out;
	}
	fd = -1;
	if (rename(tmp.buf, path) < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot rename to '%s'", path);
		goto out;
	}
	slash = strrchr(path, '/');
	if (slash)
		vl_buf_add(&dir, path,
			   slash == path ? 1 : (size_t)(slash - path));
	else
		vl_buf_adds(&dir, ".");
	rc = vl_fsync_dir(dir.buf, err);
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp.len)
		unlink(tmp.buf);
	vl_buf_release(&tmp);
	vl_buf_release(&dir);
	return rc;
}

int
vl_read_file(struct vl_buf *out, const char *path, size_t max,
	     struct vl_err *err)
{
	char chunk[65536];
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vl_err_sys(err,
				  errno == ENOENT ? VL_E_NOTFOUND : VL_E_IO,
				  "cannot open '%s'", path);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = vl_err_sys(err, VL_E_IO, "cannot read '%s'", path);
			break;
		}
		if (n == 0)
			break;
		if (max && out->len + (size_t)n > max) {
			rc = vl_err_set(err, VL_E_NOMEM,
					"'%s' is larger than %zu bytes", path,
					max);
			break;
		}
		if (vl_buf_add(out, chunk, (size_t)n) < 0) {
			rc = vl_err_set(err, VL_E_NOMEM,
					"out of memory "
					"reading '%s'",
					path);
			break;
		}
	}
	close(fd);
	return rc;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int
vl_rmtree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int
vl_copy_fd(int in, int out, const char *name, struct vl_err *err)
{
	char buf[1 << 16];
	ssize_t n, w;
	size_t off;

	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vl_err_sys(err, VL_E_IO, "cannot read '%s'",
					  name);
		if (n == 0)
			return 0;
		for (off = 0; off < (size_t)n; off += (size_t)w) {
			w = write(out, buf + off, (size_t)n - off);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w < 0)
				return vl_err_sys(err, VL_E_IO,
						  "cannot write a copy of '%s'",
						  name);
		}
	}
}
