/*
 * bag_impl.h - private to ingest/bag_*.c: the in-memory model of a bag
 * being checked, and helpers shared by the directory, archive, create
 * and fetch code.  Nothing here is part of the ingest API.
 *
 * The model: every path a manifest, fetch.txt or the bag's contents
 * mention is one struct bag_file in a hash table keyed by the decoded
 * path.  Manifests of one kind (payload, tag) are numbered; a file's
 * `listed` bit i says manifest i lists it, and its expected digest for
 * manifest i is md[man[i].off ...].  Fields written by hashing
 * callbacks (worker threads) are separate bytes from fields written by
 * the main thread, and problems are added under `mu`.
 */
#ifndef BAG_IMPL_H
#define BAG_IMPL_H

#include <pthread.h>
#include <stdint.h>

#include "ingest.h"

#define BAG_MAX_MANIFESTS 16
#define BAG_TAG_MAX       ((size_t)1 << 30) /* largest tag file read */
#define BAG_KINDS         2
enum bag_kind { BK_PAYLOAD = 0, BK_TAG = 1 };

/* Rule citations used in problems. */
#define R_DECL     "RFC 8493 2.1.1"
#define R_PAYLOAD  "RFC 8493 2.1.2"
#define R_MANIFEST "RFC 8493 2.1.3"
#define R_TAGMAN   "RFC 8493 2.2.1"
#define R_INFO     "RFC 8493 2.2.2"
#define R_FETCH    "RFC 8493 2.2.3"
#define R_TAGFILE  "RFC 8493 2.2.4"
#define R_TEXT     "RFC 8493 2.3"
#define R_ALG      "RFC 8493 2.4"
#define R_COMPLETE "RFC 8493 3"
#define R_NORM     "RFC 8493 6.1.1"
#define R_WINNAMES "RFC 8493 6.1.2"
#define R_LEGACY   "RFC 8493 6.1.3"
#define R_PATHS    "RFC 8493 5.1"
#define R_URLS     "RFC 8493 5.2"
#define R_SIZES    "RFC 8493 5.3"
#define R_SERIAL   "BagIt 0.97 4 (serialization)"
#define R_PROFILE  "BagIt Profiles 1.3"

struct bag_manifest {
	char *name; /* file name, e.g. "manifest-sha256.txt" */
	int alg;    /* -1 when unknown or unavailable */
	size_t off; /* of its digests within bag_file.md */
	uint64_t entries;
};

struct bag_file {
	char *path; /* decoded bag-relative path (the key) */
	char *disk; /* name found on disk when it differs */
	struct bag_file *nfc_next;
	unsigned char *md;  /* expected digests, see bag_impl.h header */
	unsigned char *got; /* archive mode: computed digests by alg */
	uint64_t size;      /* on disk / in the archive */
	uint32_t listed;    /* manifests (of its kind) listing it */
	unsigned got_algs;  /* algorithms in got */
	uint8_t kind;       /* enum bag_kind */
	uint8_t on_disk;    /* main thread */
	uint8_t in_fetch;   /* listed in fetch.txt */
	uint8_t unsafe;     /* path refused (5.1): never opened */
	uint8_t hashed;     /* callback: digests compared */
	uint8_t submitted;  /* main thread: sent to the engine */
	uint8_t size_late;  /* its size comes with its digests (callback) */
};

/* Open-addressing hash table from a string key to a pointer. */
struct bag_slot {
	uint64_t h;
	char *key; /* NULL = empty */
	void *val;
};
struct bag_table {
	struct bag_slot *slot;
	size_t cap, n;
	int own_keys; /* free keys on release */
};

struct bag_fetch_item {
	char *url;
	int64_t length; /* -1 for "-" */
	char *path;
	unsigned line;
};

/* Where tag-file bytes come from: the directory or archive memory. */
struct bag_blob {
	char *name;
	char *data;
	size_t len;
};

struct bag {
	const char *display; /* path for messages */
	int rootfd;          /* directory mode, else -1 */
	int archive;         /* archive mode */
	struct bag_report *rep;
	pthread_mutex_t mu; /* guards rep while hashing */
	int version;
	int have_decl;
	char *encoding; /* NULL = UTF-8 */
	struct bag_info info;
	int have_info;
	const char *info_name; /* "bag-info.txt" or "package-info.txt" */
	struct bag_manifest man[BAG_KINDS][BAG_MAX_MANIFESTS];
	unsigned nman[BAG_KINDS];
	size_t mdlen[BAG_KINDS];
	unsigned algs[BAG_KINDS]; /* usable algorithms per kind */
	struct bag_table files;
	struct bag_table nfc; /* NFC form -> chain, built on demand */
	int nfc_built;
	struct bag_fetch_item *fetch;
	size_t nfetch, fetch_alloc;
	char **tags; /* root tag file names, sorted */
	size_t ntags, tags_alloc;
	struct bag_blob *blobs; /* archive mode: tag file contents */
	size_t nblobs, blobs_alloc;
	uint64_t pay_files, pay_bytes; /* payload found */
	int has_data_dir;
};

/* ---- bag_report.c ---- */
typedef void info_problem_fn(void *ctx, enum bag_severity sev, const char *code,
			     unsigned line, const char *msg);
/* Parses bag-info text (UTF-8) with the whitespace rules of version,
 * appending to bi; problems go to pf.  VL_E_NOMEM only. */
int bag_info_parse_text(struct bag_info *bi, const char *text, size_t len,
			int version, info_problem_fn *pf, void *ctx);
int bag_info_append_raw(struct bag_info *bi, const char *label, size_t llen,
			const char *value, size_t vlen);

/* ---- bag_model.c ---- */
void bag_init(struct bag *b, const char *display, struct bag_report *rep);
void bag_release(struct bag *b);
/* Thread-safe problem report (takes b->mu). */
void bag_problem(struct bag *b, enum bag_severity sev, const char *code,
		 const char *rule, const char *path, unsigned line,
		 const char *expected, const char *actual, const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));
struct bag_file *bag_lookup(struct bag *b, const char *path);
struct bag_file *bag_intern(struct bag *b, const char *path, int kind);
/* All entries whose NFC form equals that of path (chain via nfc_next). */
struct bag_file *bag_lookup_nfc(struct bag *b, const char *path);
/* RFC 8493 5.1 path check, kinder than vl_path_check() to CR and LF
 * (legal, percent-encoded, in 2.1.3).  Returns NULL if safe, else why. */
const char *bag_path_unsafe(const char *path);
/* Reads bagit.txt bytes (NULL if absent) into the declaration. */
void bag_parse_declaration(struct bag *b, const char *data, size_t len);
/* 1 when s (NUL-terminated) is all ASCII: its own NFC and case-free of
 * Unicode rules. */
int bag_is_ascii(const char *s);
/* Records root-level names: manifests are recognized and numbered. */
void bag_note_root_file(struct bag *b, const char *name);
/* Drops (as unsupported) the manifests whose algorithm this OpenSSL
 * lacks; bag_parse_tag_files() calls it once the manifests are read. */
void bag_check_algs(struct bag *b);
/* Parses, in this order, bag-info, every manifest, fetch.txt.  get
 * returns a tag file's bytes (0), VL_E_NOTFOUND, or another error. */
typedef int bag_get_fn(void *ctx, const char *name, struct vl_buf *out,
		       struct vl_err *err);
int bag_parse_tag_files(struct bag *b, bag_get_fn *get, void *ctx,
			enum bag_mode mode, struct vl_err *err);
/* The algorithms of the manifests listing f. */
unsigned bag_file_algs(const struct bag *b, const struct bag_file *f);
/* 1 if every digest in d equals the manifests listing f. */
int bag_digests_match(const struct bag *b, const struct bag_file *f,
		      const struct fix_digests *d);
/* Compares computed digests with every manifest listing f; reports. */
void bag_check_digests(struct bag *b, struct bag_file *f,
		       const struct fix_digests *d);
/* A payload file present in the bag (counted for Payload-Oxum): marks
 * the entries it matches, exactly or by Unicode normalization (with a
 * warning), storing up to max in out.  0 = listed nowhere. */
size_t bag_match_payload(struct bag *b, const char *path, uint64_t size,
			 struct bag_file **out, size_t max);
/* Checks after the inventory: missing and unlisted files, the
 * every-manifest rule, case and normalization clashes. */
void bag_final_checks(struct bag *b, enum bag_mode mode);
/* Payload-Oxum against the payload counted, and the counts into the
 * report: once every payload size is known. */
void bag_check_payload_size(struct bag *b);
/* Sorts problems by path, line, severity. */
void bag_report_sort(struct bag_report *r);
/* Sets verdicts, sorts problems. */
void bag_finish_report(struct bag *b, enum bag_mode mode);
/* OS junk names (.DS_Store, Thumbs.db, ...). */
int bag_is_junk(const char *name);
/* Why Windows cannot hold a path (RFC 8493 6.1.2: reserved device names
 * with or without extension, <>:"|?*, control characters, a final dot
 * or space), or NULL. */
const char *bag_windows_unsafe(const char *path);
/* 1 for data/bagit.txt or data/.../bagit.txt: a bag in the payload. */
int bag_nested_bag(const char *path);
/* Verifies the bag against a profile (after the inventory). */
void bag_profile_check(struct bag *b, const struct bag_profile *p,
		       enum bag_format serialized);

/* ---- bag_validate.c ---- */
/* Opens the bag directory (b->rootfd, closed by bag_release), reads
 * bagit.txt, lists the root and parses the tag files for mode. */
int bag_load_dir(struct bag *b, const char *path, enum bag_mode mode,
		 struct vl_err *err);
/* bag_validate() of the directory path, checking o->profile as if the
 * bag were serialized as `as` (BAG_FMT_NONE: a directory). */
int bag_validate_dir_as(const char *path, const struct bag_validate_opts *o,
			enum bag_format as, struct bag_report *rep,
			struct vl_err *err);

/* ---- bag_create.c ---- */
/* Rewrites the tag manifests of the bag at rootfd for algs. */
int bag_tagmanifests_at(int rootfd, unsigned algs, unsigned flags,
			struct vl_err *err);
/* "12.3 MB" (decimal units, as RFC 8493's "260 GB"). */
void bag_human_size(char *out, size_t n, uint64_t bytes);

/* ---- bag_archive.c ---- */
/* Validates an archive given by path (fd < 0) or fd.  With meta_out (a
 * bag the caller initialized) only the tag files are loaded into it, for
 * bag_read_meta(). */
int bag_archive_validate(const char *path, int fd,
			 const struct bag_validate_opts *o,
			 struct bag_report *rep, struct bag *meta_out,
			 struct vl_err *err);

/* ---- bag_fs.c ---- */
/* How a bag's files are opened for reading.  O_NONBLOCK: a FIFO must not
 * hang the open (regular files ignore it).  O_NOATIME: reading a file to
 * hash it is not an access worth an inode write (the owner's wish only;
 * vl_open_beneath() drops it where the kernel refuses it). */
#define BAG_READ_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOATIME)

/* Opens rel under rootfd without leaving it (openat2 RESOLVE_BENEATH,
 * or component by component refusing symlinks where that is missing).
 * flags as for open(2).  Returns fd or negative VL_E_* (VL_E_UNSAFE when
 * the path escapes). */
int bag_open_beneath(int rootfd, const char *rel, int flags, unsigned mode,
		     struct vl_err *err);
/* Reads a whole file under rootfd (at most max bytes). */
int bag_read_beneath(int rootfd, const char *rel, size_t max,
		     struct vl_buf *out, struct vl_err *err);
/* Sorted names of a directory (without . and ..); free with
 * bag_names_free. */
int bag_list_dir(int dirfd, char ***names, size_t *n, struct vl_err *err);
/* The same, and each entry's type as readdir(3) gives it (DT_REG,
 * DT_DIR, ... or DT_UNKNOWN) in *types (free it). */
int bag_list_dir_types(int dirfd, char ***names, unsigned char **types,
		       size_t *n, struct vl_err *err);
void bag_names_free(char **names, size_t n);
/* A file written through a temporary name, fsync'd and renamed.  With
 * nosync set (after open) neither the file nor its directory is synced:
 * the caller makes the whole tree durable itself (an ingest stage). */
struct bag_atomic {
	int dirfd;
	char *name, *tmp;
	int fd;
	int nosync;
};
int bag_atomic_open(struct bag_atomic *a, int dirfd, const char *name,
		    struct vl_err *err);
int bag_atomic_write(struct bag_atomic *a, const void *data, size_t len,
		     struct vl_err *err);
int bag_atomic_commit(struct bag_atomic *a, struct vl_err *err);
void bag_atomic_abort(struct bag_atomic *a);
/* Removes a tree under dirfd/name (only what it created: no symlink is
 * followed). */
int bag_rmtree_at(int dirfd, const char *name);
/* mkdir -p of rel under rootfd. */
int bag_mkdirs_at(int rootfd, const char *rel, struct vl_err *err);

#endif
