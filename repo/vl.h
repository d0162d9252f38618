/*
 * vl.h - the common kit every Vellum module uses: error values, growable
 * buffers, logging, safe path joining and time stamps.
 *
 * Conventions (see ../shared/STYLE.md):
 *  - functions return 0 or a negative VL_E_* code and fill a struct vl_err;
 *  - a returned `char *` belongs to the caller, a `const char *` is borrowed;
 *  - a struct vl_buf's `buf` is never NULL and always NUL-terminated.
 */
#ifndef VL_H
#define VL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define VELLUM_VERSION "0.1.0"

/* Result codes.  0 is success; every failure is negative. */
enum vl_code {
	VL_OK = 0,
	VL_E_IO = -1,       /* file system or other I/O failure */
	VL_E_DB = -2,       /* catalog (SQLite) failure */
	VL_E_NOMEM = -3,    /* allocation failed or a size cap was hit */
	VL_E_INVAL = -4,    /* bad argument or bad input data */
	VL_E_NOTFOUND = -5, /* no such object, file, repository */
	VL_E_EXISTS = -6,   /* refusing to overwrite */
	VL_E_FORMAT = -7,   /* input file is malformed (names file/line) */
	VL_E_VERSION = -8,  /* catalog or file from a newer Vellum */
	VL_E_CHECK = -9,    /* a check found a problem (invalid, altered) */
	VL_E_NET = -10,     /* network failure */
	VL_E_UNSAFE = -11,  /* path or archive entry escapes its root */
	VL_E_BUSY = -12,    /* locked by another process */
	VL_E_INTR = -13,    /* interrupted by a signal */
};

struct vl_err {
	int code;
	char msg[256];
};

/* Sets err (if not NULL) and returns code, so callers can write
 * `return vl_err_set(err, VL_E_IO, "cannot open '%s'", path);` */
int vl_err_set(struct vl_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like vl_err_set but appends ": strerror(errno)". */
int vl_err_sys(struct vl_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vl_err_clear(struct vl_err *err);
/* Short name of a code, e.g. "io", for JSON output. */
const char *vl_code_name(int code);

/* Growable, NUL-terminated buffer.  max (0 = unlimited) caps growth on
 * untrusted input: growing past it fails with VL_E_NOMEM. */
struct vl_buf {
	char *buf;
	size_t len, alloc, max;
};
#define VL_BUF_INIT                   \
	{                             \
		vl_buf_empty, 0, 0, 0 \
	}
extern char vl_buf_empty[];

void vl_buf_init(struct vl_buf *b, size_t max);
void vl_buf_release(struct vl_buf *b);
void vl_buf_reset(struct vl_buf *b);
int vl_buf_grow(struct vl_buf *b, size_t extra);
int vl_buf_add(struct vl_buf *b, const void *data, size_t len);
int vl_buf_adds(struct vl_buf *b, const char *s);
int vl_buf_addch(struct vl_buf *b, char c);
int vl_buf_addf(struct vl_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int vl_buf_vaddf(struct vl_buf *b, const char *fmt, va_list ap);
/* Hands the string to the caller (free() it) and resets b. */
char *vl_buf_detach(struct vl_buf *b, size_t *len);

/* FNV-1a over len bytes (vl_hash) or a string (vl_hash_str), for hash
 * tables and audit shards.  The offset basis is the one Vellum has
 * always used (1469598103934665603): `vellum audit --shard` depends on
 * these values, so they never change. */
uint64_t vl_hash(const void *data, size_t len);
uint64_t vl_hash_str(const char *s);

/* Logging to stderr.  The level is configuration: set once at start. */
enum vl_log_level {
	VL_LOG_QUIET = 0,
	VL_LOG_WARN = 1,
	VL_LOG_INFO = 2,
	VL_LOG_DEBUG = 3
};
void vl_log_set_level(enum vl_log_level level);
enum vl_log_level vl_log_get_level(void);
void vl_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vl_log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vl_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vl_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Safe relative paths.  vl_path_check() accepts a relative path made of
 * non-empty components separated by '/', with no "." or ".." component,
 * no leading '/', '~', drive letter, backslash or control character NUL.
 * vl_path_join() checks rel and writes root "/" rel into out.
 */
int vl_path_check(const char *rel, struct vl_err *err);
int vl_path_join(struct vl_buf *out, const char *root, const char *rel,
		 struct vl_err *err);
/* mkdir -p; mode for new directories. */
int vl_mkdirs(const char *path, unsigned mode, struct vl_err *err);
/* Opens rel below dirfd without resolving outside it ("..", an absolute
 * or magic symlink) and, with no_symlinks, through no symlink at all:
 * openat2(2) RESOLVE_BENEATH, or where the kernel lacks it component by
 * component refusing every symlink.  flags and mode as openat(2),
 * O_CLOEXEC added; O_NOATIME is dropped where the kernel refuses it (not
 * the file's owner), and after one refusal no longer asked for.  The
 * descriptor, or -1 with errno (EXDEV or ELOOP for a path refused). */
int vl_open_beneath(int dirfd, const char *rel, int flags, unsigned mode,
		    int no_symlinks);
/* Removes a file or a whole tree, never following symlinks; 0 or -1
 * (errno set).  A missing path is not an error. */
int vl_rmtree(const char *path);
/* Copies in (from its offset) to out until the end; errors name name. */
int vl_copy_fd(int in, int out, const char *name, struct vl_err *err);
/* fsync a directory (after a rename or create inside it). */
int vl_fsync_dir(const char *path, struct vl_err *err);
/* fsync every directory of the tree at path (not following symlinks),
 * deepest first: the entries made in each become durable (the files'
 * own data is their writer's to sync). */
int vl_fsync_dirs(const char *path, struct vl_err *err);
/* Write data to path atomically: temp file, fsync, rename, fsync dir. */
/* Writes all len bytes to fd (again after EINTR and short writes);
 * -1 with errno on failure. */
int vl_write_all(int fd, const void *buf, size_t len);
int vl_write_file_atomic(const char *path, const void *data, size_t len,
			 struct vl_err *err);
/* Read a whole file, refusing more than max bytes (0 = no cap). */
int vl_read_file(struct vl_buf *out, const char *path, size_t max,
		 struct vl_err *err);

/* UTC time stamps "YYYY-MM-DDThh:mm:ssZ" (OAI-PMH and PREMIS form). */
#define VL_TIME_LEN 21
void vl_time_format(char out[VL_TIME_LEN], time_t t);
void vl_time_now(char out[VL_TIME_LEN]);
/* Parses "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ssZ"; 0 or VL_E_INVAL. */
int vl_time_parse(const char *s, time_t *out);

/* Parse "10k", "500M", "2G" (powers of 1024) and "90d", "2h", "30m", "45s". */
int vl_parse_size(const char *s, uint64_t *out);
int vl_parse_duration(const char *s, uint64_t *seconds);

/* ---- libraries loaded on first use (vl_dl.c) ---- */

/* Loads the shared library soname (it stays loaded) and resolves
 * names[0..n) into table, a struct of exactly n function pointers in the
 * same order: a library only some commands need is not linked by every
 * start.  VL_E_NOTFOUND naming the library or the symbol. */
int vl_dl_table(const char *soname, const char *const *names, size_t n,
		void *table, struct vl_err *err);

/* A table of function pointers for vl_dl_table(): FUNCS(X) lists
 * X(member, library_function) pairs; the members get the functions'
 * own types. */
#define VL_DL_MEMBER(m, f) __typeof__(f) *m;
#define VL_DL_NAME(m, f)   #f,

/* A library loaded once, on first use, into its table; init (or NULL)
 * runs once after loading and returns 0, or -1 when the library failed
 * to initialize.  Made by VL_DL_LIBRARY, loaded by vl_dl_load(). */
struct vl_dl {
	const char *soname;
	const char *const *names;
	size_t n;
	void *table;
	int (*init)(void);
	int state; /* 0 not tried yet, 1 loaded, -1 failed (err says why) */
	struct vl_err err;
};
/* Defines var, the struct vl_dl of the library soname whose functions
 * FUNCS lists, filling table (checked to hold one pointer per name). */
#define VL_DL_LIBRARY(var, soname, FUNCS, table, init)                   \
	static const char *const var##_names[] = { FUNCS(VL_DL_NAME) };  \
	_Static_assert(sizeof(table) == sizeof(var##_names) /            \
						sizeof(var##_names[0]) * \
						sizeof(void (*)(void)),  \
		       "a table holds one function pointer per name");   \
	static struct vl_dl var = {                                      \
		soname,                                                  \
		var##_names,                                             \
		sizeof(var##_names) / sizeof(var##_names[0]),            \
		&(table),                                                \
		init,                                                    \
		0,                                                       \
		{ 0 }                                                    \
	}
/* Loads d the first time (thread safe), then says what that gave: 0, or
 * the error, again on every call. */
int vl_dl_load(struct vl_dl *d, struct vl_err *err);

#endif
