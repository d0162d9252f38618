/*
 * fixity.h - the digest engine and the RFC 8493 manifest format.
 *
 * Three parts, all usable without a repository:
 *
 *  1. Algorithms and one-stream hashing.  Algorithms are OpenSSL EVP
 *     digests named as RFC 8493 section 2.4 asks (the common name,
 *     lowercased, non-alphanumerics removed: "sha512", "sha3256",
 *     "blake2b512").
 *     A set of algorithms is a bit mask (FIX_ALG_BIT).  A file is read
 *     once and every requested digest is fed from the same buffer.
 *
 *  2. The engine: a bounded pool of worker threads hashing many files
 *     at once.  The caller streams jobs in with fix_engine_submit(),
 *     which blocks while the queue is full, so memory stays flat however
 *     many files there are.  Files are opened through a caller-supplied
 *     callback (a bag root, a storage backend); a job may also copy the
 *     file to a destination in the same read.  Results come back through
 *     a completion callback, optionally in submission order.
 *
 *  3. Manifest text (RFC 8493 sections 2.1.3, 2.2.1, 2.3): line
 *     splitting on LF, CR or CRLF, tag-file character decoding, the
 *     "checksum filepath" line with percent-encoding of %, CR and LF,
 *     and the manifest file names.  Both ingest (BagIt) and the fixity
 *     audit read manifests with these functions.
 *
 * Errors: functions return 0 or a negative VL_E_* code and fill err.
 * Threads: everything here is thread-safe except that one fix_hasher or
 * one fix_engine must not be used from two threads at once (engine
 * callbacks run on worker threads, see below).
 */
#ifndef FIXITY_H
#define FIXITY_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "../repo/vl.h"

/* ---- algorithms ---- */

enum fix_alg {
	FIX_MD5,
	FIX_SHA1,
	FIX_SHA224,
	FIX_SHA256,
	FIX_SHA384,
	FIX_SHA512,
	FIX_SHA3_224,
	FIX_SHA3_256,
	FIX_SHA3_384,
	FIX_SHA3_512,
	FIX_BLAKE2B512,
	FIX_BLAKE2S256,
	FIX_ALG_COUNT
};
#define FIX_ALG_BIT(a) (1u << (unsigned)(a))
#define FIX_ALL_ALGS   (FIX_ALG_BIT(FIX_ALG_COUNT) - 1u)
#define FIX_MD_MAX     64                   /* largest digest, bytes */
#define FIX_HEX_MAX    (2 * FIX_MD_MAX + 1) /* hex plus NUL */

/* The RFC 8493 section 2.4 name ("sha512"), or NULL for a bad value. */
const char *fix_alg_name(int alg);
/* Accepts any spelling that normalizes to a known name: case and the
 * characters '-' '_' are ignored ("SHA-512", "sha3_256", "blake2b" is
 * blake2b512).  Returns the algorithm or -1. */
int fix_alg_parse(const char *name);
/* Digest size in bytes (0 for a bad value). */
size_t fix_alg_size(int alg);
/* 1 for algorithms RFC 8493 section 2.4 advises against (md5, sha1). */
int fix_alg_weak(int alg);
/* 1 if the linked OpenSSL provides the algorithm. */
int fix_alg_available(int alg);
/* Fetches algs from OpenSSL on a thread of its own while the caller
 * goes on (the first fetch of a process loads OpenSSL's configuration
 * and provider, about 1 ms); later fix_alg_available() and hasher
 * calls find them ready, or wait for them.  NULL when no thread could
 * start (nothing is lost: the fetch happens when first needed).  Must
 * be joined. */
struct fix_prefetch;
struct fix_prefetch *fix_prefetch_start(unsigned algs);
void fix_prefetch_join(struct fix_prefetch *p);
/* Parses "sha256,sha512" (commas and/or spaces) into a mask; errors name
 * the unknown or unavailable algorithm. */
int fix_algs_parse(const char *list, unsigned *mask, struct vl_err *err);
/* Appends the names of mask's algorithms, comma-separated. */
int fix_algs_format(struct vl_buf *out, unsigned mask);

/* Digests of one stream: md[alg] is valid for every alg in algs. */
struct fix_digests {
	unsigned algs;
	unsigned char md[FIX_ALG_COUNT][FIX_MD_MAX];
};

/* Lowercase hex of len bytes into out (2 * len + 1 bytes). */
void fix_hex(char *out, const unsigned char *md, size_t len);
/* Case-insensitive hex of exactly 2 * len digits into out; 0 or -1. */
int fix_unhex(unsigned char *out, size_t len, const char *hex, size_t hexlen);

/* ---- one stream ---- */

struct fix_hasher;
/* A hasher for the algorithms in algs (at least one). */
int fix_hasher_new(struct fix_hasher **out, unsigned algs, struct vl_err *err);
void fix_hasher_free(struct fix_hasher *h);
/* Starts a new stream with the algorithms in algs (0 = the last set). */
int fix_hasher_reset(struct fix_hasher *h, unsigned algs, struct vl_err *err);
int fix_hasher_update(struct fix_hasher *h, const void *data, size_t len,
		      struct vl_err *err);
/* Finishes the stream into out; the hasher must be reset to be reused. */
int fix_hasher_final(struct fix_hasher *h, struct fix_digests *out,
		     struct vl_err *err);
/*
 * Resets h to algs, reads fd to its end in large reads feeding every
 * digest, and when copy_fd >= 0 writes every byte read to copy_fd as
 * well.  name is used in error messages.  *size gets the byte count.
 */
int fix_hash_fd(struct fix_hasher *h, unsigned algs, int fd, int copy_fd,
		const char *name, struct fix_digests *out, uint64_t *size,
		struct vl_err *err);

/* ---- the engine ---- */

/* What the completion callback receives.  Everything is borrowed and
 * valid only during the call. */
struct fix_result {
	const char *path; /* as submitted */
	const char *dest; /* as submitted, or NULL */
	void *udata;      /* as submitted */
	int code;         /* 0, or VL_E_* for this file */
	const char *msg;  /* error message when code != 0, else "" */
	uint64_t size;    /* bytes read */
	const struct fix_digests *digests; /* valid when code == 0 */
};

struct fix_engine_opts {
	unsigned algs;    /* default algorithms for a job that asks none */
	unsigned threads; /* worker threads; 0 = online CPUs */
	unsigned queue;   /* jobs in flight (queued, running, undelivered);
			     0 = 256, or 16 per thread where more */
	int ordered;      /* deliver results in submission order */
	size_t bufsize;   /* read size; 0 = 64 KiB */
	/* Opens path for reading: returns an fd or a negative VL_E_* code
	 * with err set.  NULL = open(2) of path itself, not following a
	 * final symlink.  Called on worker threads, concurrently, with the
	 * job's udata. */
	int (*open_src)(void *ctx, const char *path, void *udata,
			struct vl_err *err);
	/* Opens dest for writing the copy (same contract).  NULL =
	 * open(dest, O_WRONLY|O_CREAT|O_EXCL, 0644). */
	int (*open_dest)(void *ctx, const char *dest, struct vl_err *err);
	/* Called on a worker thread after every read of a job's file with
	 * the bytes just read (at most bufsize); may sleep, e.g. to hold a
	 * rate.  A negative VL_E_* return (err set) stops reading that file,
	 * whose job then completes with that code.  NULL = none.  Called
	 * concurrently. */
	int (*on_read)(void *ctx, size_t n, struct vl_err *err);
	/* Completion: called on a worker thread, never concurrently with
	 * itself, once per submitted job. */
	void (*done)(void *ctx, const struct fix_result *r);
	void *ctx;
};

struct fix_progress {
	uint64_t submitted, done, failed, bytes;
};

struct fix_engine;
/* Starts the worker threads.  The opts are copied. */
int fix_engine_new(struct fix_engine **out, const struct fix_engine_opts *o,
		   struct vl_err *err);
/*
 * Queues one file: path goes to open_src; dest (or NULL) to open_dest
 * and receives a copy; algs (0 = the default set) are computed; udata
 * comes back in the result.  Strings are copied.  Blocks while the queue
 * is full.  VL_E_INTR after fix_engine_cancel().
 */
int fix_engine_submit(struct fix_engine *e, const char *path, const char *dest,
		      unsigned algs, void *udata, struct vl_err *err);
/* Waits until every job has been delivered and stops the threads. */
int fix_engine_finish(struct fix_engine *e, struct vl_err *err);
/* Jobs not yet started complete with VL_E_INTR without being read;
 * jobs being read stop at their next read and complete with VL_E_INTR
 * too.  Safe to call from the done callback or another thread. */
void fix_engine_cancel(struct fix_engine *e);
/* Counters so far (safe from any thread). */
void fix_engine_progress(struct fix_engine *e, struct fix_progress *p);
/* Finishes if needed and frees; NULL is fine. */
void fix_engine_free(struct fix_engine *e);
/* Number of online CPUs (at least 1). */
unsigned fix_cpu_count(void);

/* ---- manifest text (RFC 8493) ---- */

/* BagIt versions as M * 100 + N: 1.0 is 100, 0.97 is 97. */
#define FIX_BAGIT_1_0 100

/* Splits text into lines ended by LF, CR or CRLF (RFC 8493 2.3); the
 * last line may lack an ending. */
struct fix_lines {
	const char *p, *end;
	unsigned lineno; /* of the line just returned, from 1 */
};
void fix_lines_init(struct fix_lines *it, const char *data, size_t len);
/* 1 with *line and *len set (no terminator), 0 at the end. */
int fix_lines_next(struct fix_lines *it, const char **line, size_t *len);

/*
 * Converts a tag file from its declared encoding (bagit.txt's
 * Tag-File-Character-Encoding, e.g. "UTF-8", "ISO-8859-1", "UTF-16") to
 * UTF-8 with iconv, dropping a leading byte order mark (*had_bom = 1).
 * UTF-8 input is checked for validity.  VL_E_FORMAT names the encoding
 * and byte offset of bad input; VL_E_INVAL an unknown encoding.
 */
int fix_text_decode(struct vl_buf *out, const char *data, size_t len,
		    const char *encoding, int *had_bom, struct vl_err *err);

/* Warnings a parsed manifest line may carry. */
enum fix_line_flags {
	FIX_LINE_STAR = 1,     /* md5sum "*" binary marker before the path */
	FIX_LINE_DOTSLASH = 2, /* "./" before the path */
	FIX_LINE_RAW_PCT = 4,  /* 1.0: '%' not starting %25, %0A or %0D */
};

struct fix_manifest_line {
	const char *checksum; /* lowercase hex, NUL-terminated */
	size_t checksum_len;
	const char *path; /* decoded file path, NUL-terminated */
	size_t path_len;
	unsigned flags; /* enum fix_line_flags */
};

/*
 * Parses one manifest line "checksum<spaces or tabs>filepath" (RFC 8493
 * 2.1.3): the checksum is hex in either case (returned lowercase); the
 * path is percent-decoded for version (fix_path_decode); a "*" marker
 * and "./" prefix are removed and flagged.  The strings live in buf
 * (reset by each call).  VL_E_FORMAT with a message for a bad line.
 */
int fix_manifest_parse_line(struct fix_manifest_line *out, struct vl_buf *buf,
			    const char *line, size_t len, int version,
			    struct vl_err *err);
/*
 * Percent-decoding of a file path (RFC 8493 2.1.3): %0A and %0D (any
 * case) always; %25 only from version 1.0, where '%' itself had to be
 * encoded.  Any other '%' stays literal (FIX_LINE_RAW_PCT in 1.0).  A
 * decoded NUL is refused (VL_E_FORMAT).
 */
int fix_path_decode(struct vl_buf *out, const char *s, size_t len, int version,
		    unsigned *flags, struct vl_err *err);
/* Percent-encodes '%', CR and LF for writing (version 1.0). */
int fix_path_encode(struct vl_buf *out, const char *path);
/* Appends "checksum  encoded-path\n". */
int fix_manifest_format_line(struct vl_buf *out, const char *hex,
			     const char *path);
/*
 * Recognizes "manifest-ALG.txt" (*tag = 0) and "tagmanifest-ALG.txt"
 * (*tag = 1).  Returns 1 if the name has that form, with *alg the
 * algorithm or -1 when ALG is unknown (alg_name, if not NULL, gets the
 * raw ALG); 0 for any other name.
 */
int fix_manifest_name(const char *name, int *tag, int *alg,
		      struct vl_buf *alg_name);
/* The other way: "manifest-ALG.txt" or, with tag, "tagmanifest-ALG.txt"
 * (RFC 8493 2.1.3, 2.2.1) into out (64 bytes are always enough). */
void fix_manifest_file(char *out, size_t n, int tag, int alg);

/* ---- audits ----
 *
 * A fixity audit (fixity/audit*.c) re-reads stored objects through the
 * storage interface of repo/ and compares every file with the catalog
 * (files, digests) and with the bag's own manifests and tag manifests
 * (RFC 8493 sections 2.1.3, 2.2.1 and 3).  Objects are taken oldest-
 * checked first, within budgets; each finished object is recorded at
 * once (files.last_checked/last_outcome, objects.last_audit, one PREMIS
 * "fix" event, a row in audit_results, one row in audit_findings per
 * problem), so a run stopped by a budget or a signal loses nothing and
 * the next run continues where it stopped.  docs/audit.md has the rules.
 *
 * Threads: fix_audit_run() uses the digest engine's workers internally;
 * every callback below runs on the calling thread.
 */

struct repo;   /* repo/repo.h */
struct json_t; /* jansson's json_t */

/* What one file (or, for extra, one stored entry) was found to be. */
enum fix_outcome {
	FIX_OK,
	FIX_MISMATCH,   /* the catalog and the bag's manifests disagree */
	FIX_EXTRA,      /* stored, but unknown to the catalog */
	FIX_UNREADABLE, /* stored, but reading it failed */
	FIX_ALTERED,    /* content, size or file type changed */
	FIX_MISSING,    /* in the catalog, not in storage */
};
/* "ok", "mismatch", "extra", "unreadable", "altered", "missing". */
const char *fix_outcome_name(enum fix_outcome o);

/* One problem with one file.  Strings are borrowed. */
struct fix_finding {
	const char *path;
	enum fix_outcome outcome;
	const char *algorithm; /* the digest that differs, or NULL */
	const char *expected;  /* its reference value (catalog/manifest) */
	const char *found;     /* the digest of the stored bytes */
	const char *detail;    /* what differs, in words */
	int repaired;          /* restored from the replica (--repair-from) */
};

/* One object's check, as recorded.  Strings are borrowed. */
struct fix_object_result {
	const char *object_id;
	const char *checked; /* time of the check */
	int failed;          /* at least one finding */
	int complete;        /* 0: a stop cut the check short */
	uint64_t files, bytes;
	size_t n_findings;
	const struct fix_finding *findings;
	const char *event_uuid; /* the PREMIS fixity check event */
};

enum fix_stop {
	FIX_STOP_NONE,
	FIX_STOP_TIME,    /* --max-time */
	FIX_STOP_BYTES,   /* --max-bytes */
	FIX_STOP_OBJECTS, /* --max-objects */
	FIX_STOP_SIGNAL,  /* *stop was set (SIGINT, SIGTERM) */
};
/* "", "max-time", "max-bytes", "max-objects", "signal". */
const char *fix_stop_name(enum fix_stop s);

struct fix_audit_opts {
	/* Selection (all active stored objects when none is given). */
	const char *const *ids; /* n_ids identifiers */
	size_t n_ids;
	const char *collection; /* this collection and those below it */
	uint64_t older_than;    /* not checked for this many seconds */
	unsigned shard, shards; /* shard 1..shards of a deterministic split;
				   shards = 0: no split */
	/* Budgets (0 = none). */
	uint64_t max_time;       /* seconds */
	uint64_t max_bytes;      /* objects taken while their total fits */
	uint64_t max_objects;    /* objects */
	uint64_t rate;           /* bytes per second, averaged */
	unsigned threads;        /* hashing threads; 0 = online CPUs */
	const char *repair_from; /* replica directory, or NULL */
	/* Set (by a signal handler) to stop: finished objects are kept. */
	volatile sig_atomic_t *stop;
	/* Called for each recorded object (after its commit). */
	void (*on_object)(void *ctx, const struct fix_object_result *r);
	/* Called now and then with the bytes read so far. */
	void (*on_progress)(void *ctx, uint64_t objects, uint64_t bytes);
	void *ctx;
};

struct fix_audit_summary {
	int64_t audit_id;
	char started[VL_TIME_LEN], finished[VL_TIME_LEN];
	char scope[512];
	uint64_t objects, files, bytes;
	uint64_t failed_objects, failed_files, repaired_files;
	uint64_t skipped; /* changed by an ingest while being read */
	/* active objects with no bag (kept in the catalog alone: harvested
	 * or synthetic records), which have no files to audit; counted
	 * when the whole repository is audited */
	uint64_t catalog_only;
	double seconds;
	enum fix_stop stopped_by;
};

/*
 * Runs an audit: records an audit-run row (table audits), checks the
 * selected objects and records each as it finishes.  Findings are not
 * errors: the return is 0 when the audit ran (look at
 * s->failed_objects), negative when it could not (no such --id, the
 * catalog failing).  VL_E_NOTFOUND names an unknown or deleted --id.
 */
int fix_audit_run(struct repo *r, const struct fix_audit_opts *o,
		  struct fix_audit_summary *s, struct vl_err *err);

/* The selection in order, without reading anything: cb gets each object
 * with its last check (NULL: never) and catalog payload bytes; returning
 * non-zero stops.  Applies --shard and --max-objects. */
int fix_audit_select(struct repo *r, const struct fix_audit_opts *o,
		     int (*cb)(void *ctx, const char *id,
			       const char *last_audit, uint64_t bytes),
		     void *ctx, struct vl_err *err);

/* 1-based shard of id among n (FNV-1a 64 of the id's bytes mod n, + 1). */
unsigned fix_audit_shard_of(const char *id, unsigned n);

/*
 * Reports as JSON (*out, caller json_decref()s):
 *  history: the object's recorded checks, newest first, with their
 *  findings, and its files' current state;
 *  health: share of objects/bytes checked in the last `since` seconds,
 *  the oldest check, never-checked objects, open failures (objects whose
 *  last check failed, with their files), the last audit runs and failed
 *  notifications.
 */
int fix_audit_history(struct repo *r, const char *id, struct json_t **out,
		      struct vl_err *err);
int fix_audit_health(struct repo *r, uint64_t since, struct json_t **out,
		     struct vl_err *err);

struct fix_prune_report {
	uint64_t objects, kept, pruned, events;
};
/*
 * Compacts the success history: per object keeps every failed check,
 * the first check, the first success after a failure and the `keep`
 * most recent successes; removes the other audit_results rows and their
 * PREMIS events (repo_event_prune(), so the event chain still verifies).
 * dry_run counts without removing.
 */
int fix_audit_prune(struct repo *r, unsigned keep, int dry_run,
		    struct fix_prune_report *rep, struct vl_err *err);

/* ---- audit alerts and locking ---- */

/* POSTs body (JSON) to url (http or https only) with timeouts, retrying
 * network errors, 429 and 5xx up to `attempts` times in all.  0 on a 2xx
 * answer; VL_E_NET with the reason otherwise. */
int fix_notify_webhook(const char *url, const char *body, unsigned attempts,
		       struct vl_err *err);
/* Mails subject/body to the comma-separated addresses through the local
 * sendmail ($VELLUM_SENDMAIL, else /usr/sbin/sendmail or
 * /usr/lib/sendmail), run with fork/execve.  VL_E_NOTFOUND when there is
 * none; VL_E_NET when it fails. */
int fix_notify_mail(const char *to, const char *subject, const char *body,
		    struct vl_err *err);
/* Records a notification attempt of an audit (table audit_notices). */
int fix_audit_notice(struct repo *r, int64_t audit_id, const char *channel,
		     const char *target, int ok, const char *message,
		     struct vl_err *err);

/* Takes the repository's audit lock (REPO/audit.lock, flock) without
 * waiting: *fd holds it until closed.  VL_E_BUSY names the holder. */
int fix_audit_lock(struct repo *r, int *fd, struct vl_err *err);

#endif
