/*
 * ingest.h - the ingest layer: the BagIt engine, the ingest pipeline,
 * stored objects after ingest (lookup, deletion, export), the PREMIS
 * description of objects and the repository doctor.
 *
 * Conventions: functions return 0 or a negative VL_E_* code and fill
 * err; a returned `char *` or filled struct belongs to the caller (free
 * with the matching _release/_free); nothing here prints or exits.
 * Threads: each call may use worker threads internally (fixity.h's
 * engine); callbacks are never called concurrently with themselves.
 */
#ifndef INGEST_H
#define INGEST_H

#include <stdint.h>

#include "../fixity/fixity.h"
#include "../metadata/metadata.h"
#include "../repo/repo.h"

/* ======================================================================
 * BagIt (RFC 8493)
 *
 * A bag is a directory with bagit.txt, a data/ payload directory and
 * payload manifests, plus optional tag files (bag-info.txt, tag
 * manifests, fetch.txt, anything else).  Vellum reads every version
 * from 0.93 to 1.0 with the rules of that version and writes 1.0.
 * Bags are validated as directories or read directly from .tar,
 * .tar.gz/.tgz and .zip archives (libarchive, nothing extracted).
 * ==================================================================== */

/* ---- bag-info.txt (RFC 8493 2.2.2) ---- */

struct bag_info_field {
	char *label;
	char *value; /* continuation lines joined with "\n" */
};

/* Metadata elements in file order; labels may repeat. */
struct bag_info {
	struct bag_info_field *v;
	size_t n, alloc;
};

void bag_info_init(struct bag_info *bi);
void bag_info_release(struct bag_info *bi);
/* Appends label: value.  The label must be non-empty, without ':', CR
 * or LF, and must not start or end with whitespace (2.2.2).  The value
 * may hold newlines (written as continuation lines). */
int bag_info_add(struct bag_info *bi, const char *label, const char *value,
		 struct vl_err *err);
/* Replaces the first element with this label (case-insensitive) and
 * drops later ones, or appends when there is none. */
int bag_info_set(struct bag_info *bi, const char *label, const char *value,
		 struct vl_err *err);
/* The first value for label (case-insensitive), or NULL (borrowed). */
const char *bag_info_get(const struct bag_info *bi, const char *label);
/* Parses "LABEL=VALUE" (a command-line --info) and appends it. */
int bag_info_add_arg(struct bag_info *bi, const char *arg, struct vl_err *err);
/* Reads a file in bag-info.txt form (UTF-8) and appends its elements;
 * errors name the file and line. */
int bag_info_add_file(struct bag_info *bi, const char *path,
		      struct vl_err *err);
/* Writes the elements in bag-info.txt form (LF line ends, continuation
 * lines indented by two spaces). */
int bag_info_format(struct vl_buf *out, const struct bag_info *bi);

/* ---- problems and verdicts ---- */

enum bag_severity { BAG_WARNING = 1, BAG_ERROR = 2 };

struct bag_problem {
	enum bag_severity severity;
	int fixity;       /* 1: a digest mismatch (the bag may be complete) */
	const char *code; /* stable short name, e.g. "checksum-mismatch" */
	const char *rule; /* e.g. "RFC 8493 2.1.3" */
	char *path;       /* bag-relative file the problem is about, or NULL */
	unsigned line;    /* line within path, or 0 */
	char *message;
	char *expected, *actual; /* or NULL */
};

/*
 * Everything a check found.  `complete` and `valid` are the verdicts of
 * RFC 8493 section 3: valid implies complete; a fixity mismatch makes a
 * bag invalid but leaves it complete; every other error makes it
 * neither.  Warnings never change a verdict.  Problems are kept sorted
 * by path once a check ends; beyond BAG_REPORT_MAX only counts are kept.
 */
#define BAG_REPORT_MAX 100000
struct bag_report {
	struct bag_problem *v;
	size_t n, alloc;
	size_t errors, warnings, dropped;
	int complete, valid;
	int fixity_checked;     /* digests were computed and compared */
	int version;            /* M * 100 + N, 0 if unknown */
	char version_str[16];   /* as declared */
	char encoding[48];      /* Tag-File-Character-Encoding */
	unsigned payload_algs;  /* algorithms of the payload manifests */
	unsigned tag_algs;      /* algorithms of the tag manifests */
	uint64_t payload_files; /* payload files present */
	uint64_t payload_bytes; /* their total size */
	uint64_t hashed_bytes;  /* bytes read to compute digests */
	uint64_t fetch_entries; /* lines of fetch.txt */
	int serialized;         /* read from an archive */
};

void bag_report_init(struct bag_report *r);
void bag_report_release(struct bag_report *r);
/* Adds a problem; fmt makes the message.  Never fails (on allocation
 * failure the problem is only counted). */
void bag_report_add(struct bag_report *r, enum bag_severity sev,
		    const char *code, const char *rule, const char *path,
		    unsigned line, const char *expected, const char *actual,
		    const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));
/* Number of problems with this code (for tests and callers). */
size_t bag_report_count(const struct bag_report *r, const char *code);

/* Progress, called serialized from worker threads. */
typedef void bag_progress_fn(void *ctx, uint64_t files, uint64_t bytes);

/* ---- BagIt Profiles 1.3 (https://bagit-profiles.github.io) ---- */

struct bag_profile;
/* Loads a profile (JSON); errors name the file and the bad key. */
int bag_profile_load(struct bag_profile **out, const char *path,
		     struct vl_err *err);
void bag_profile_free(struct bag_profile *p);
/* BagIt-Profile-Identifier of the profile (borrowed). */
const char *bag_profile_id(const struct bag_profile *p);

/* ---- validate ---- */

enum bag_mode {
	BAG_FULL,     /* completeness and every digest: "valid" (3) */
	BAG_COMPLETE, /* completeness only, no digests */
	BAG_FAST,     /* Payload-Oxum against the payload; never "valid" */
};

struct bag_validate_opts {
	enum bag_mode mode;
	unsigned threads;                  /* 0 = online CPUs */
	const struct bag_profile *profile; /* also check this profile */
	bag_progress_fn *progress;
	void *ctx;
};

/*
 * Validates the bag at path: a directory, or a .tar, .tar.gz/.tgz or
 * .zip file (recognized by content) read without extracting.  Every
 * problem goes into rep (initialized by the caller) and the verdicts are
 * set.  Returns 0 when the check ran to the end, whatever the verdict;
 * a negative code only when it could not run (path unreadable, out of
 * memory).  Nothing is ever read outside the bag (RFC 8493 5.1).
 */
int bag_validate(const char *path, const struct bag_validate_opts *o,
		 struct bag_report *rep, struct vl_err *err);
/* The same for an archive read from fd (name for messages). */
int bag_validate_archive_fd(int fd, const char *name,
			    const struct bag_validate_opts *o,
			    struct bag_report *rep, struct vl_err *err);

/* ---- create, update, tag files ---- */

enum bag_symlinks {
	BAG_SYMLINKS_SKIP,   /* leave them out, with a warning (default) */
	BAG_SYMLINKS_FOLLOW, /* copy the target when it lies inside SRC */
	BAG_SYMLINKS_ERROR,  /* refuse to bag */
};

/* Warnings while bagging (a skipped file and why). */
typedef void bag_warn_fn(void *ctx, const char *path, const char *msg);

struct bag_create_opts {
	unsigned algs;               /* manifests and tag manifests;
					0 = sha512 (RFC 8493 2.4) */
	const struct bag_info *info; /* bag-info elements, in order */
	int exclude_hidden;          /* leave out names starting with '.' */
	enum bag_symlinks symlinks;
	unsigned threads; /* 0 = online CPUs */
	int no_sync;      /* the caller makes DEST durable itself (the
			     ingest pipeline syncs its whole stage) */
	bag_progress_fn *progress;
	bag_warn_fn *warn;
	void *ctx;
	/* The bag must satisfy this BagIt Profile (1.3): bag-info gets its
	 * BagIt-Profile-Identifier unless given, and the finished bag is
	 * checked (completeness and every profile rule) before it appears;
	 * each broken rule goes to warn ("profile: ..."), and the bag is
	 * refused with VL_E_CHECK.  NULL = none. */
	const struct bag_profile *profile;
};

struct bag_summary {
	uint64_t files, bytes; /* payload */
	unsigned algs;
	uint64_t skipped; /* files left out (hidden, symlinks) */
};

/*
 * Makes a bag of the contents of src.  With dest == NULL the bag is made
 * in place: src's contents move under src/data/ and the tag files are
 * written beside it.  Otherwise dest (which must not exist) receives a
 * copy, hashed in the same read as it is copied; it is built in a
 * temporary sibling directory, synced and renamed, so dest appears
 * complete or not at all.  Writes bagit.txt (1.0), the payload
 * manifests, bag-info.txt (the given elements, then Bagging-Date,
 * Bag-Software-Agent, Payload-Oxum and Bag-Size unless given) and a tag
 * manifest per algorithm.  Refuses (VL_E_EXISTS) names in one directory
 * that differ only by Unicode normalization, and special files.
 */
int bag_create(const char *src, const char *dest,
	       const struct bag_create_opts *o, struct bag_summary *sum,
	       struct vl_err *err);

/*
 * bag_create() into a serialized bag: the bag is built in a temporary
 * directory beside archive, packed as one top-level directory named
 * after the archive (without extension) and removed.  When archive
 * lacks the format's extension it is appended; *made (free it) gets the
 * archive path written.
 */
int bag_create_archive(const char *src, const char *archive, int format,
		       const struct bag_create_opts *o, struct bag_summary *sum,
		       char **made, struct vl_err *err);

struct bag_update_opts {
	unsigned add_algs; /* new manifests to add */
	unsigned threads;
	bag_progress_fn *progress;
	void *ctx;
};

struct bag_update_result {
	uint64_t files, bytes; /* payload after the update */
	uint64_t added, removed, changed;
	unsigned algs; /* manifests now present */
};

/*
 * Regenerates the payload manifests (existing algorithms plus
 * add_algs), Payload-Oxum, Bag-Size and the tag manifests of the bag at
 * path after its payload changed, keeping every other bag-info element
 * in order.  Each file is read once for all algorithms.  With add_algs
 * the existing digests are verified in that same read, and any mismatch,
 * missing or unlisted file is reported in rep and fails the update with
 * VL_E_CHECK before anything is written.  Every file is replaced
 * atomically.
 */
int bag_update(const char *path, const struct bag_update_opts *o,
	       struct bag_report *rep, struct bag_update_result *res,
	       struct vl_err *err);

/* flags of the two below.  BAG_NO_SYNC: the files are written (through
 * a temporary name, renamed) but not synced - the caller makes the whole
 * bag durable itself, as the ingest pipeline does with its stage.
 * BAG_LATER_TAG_MANIFESTS (bag_add_tag_file): the tag manifests are not
 * rewritten now; the caller adds more tag files and rewrites them once
 * at the end (each rewrite replaces a file, and churns inodes). */
#define BAG_NO_SYNC             1u
#define BAG_LATER_TAG_MANIFESTS 2u
/*
 * Writes (or replaces) the tag file rel (e.g. "metadata/dc.xml") in the
 * bag at path, then rewrites the tag manifests.  rel must be a safe
 * relative path outside data/ and not a manifest, bagit.txt or fetch.txt.
 */
int bag_add_tag_file(const char *path, const char *rel, const void *data,
		     size_t len, unsigned flags, struct vl_err *err);
/* Rewrites every tag manifest of the bag (algorithms as present, or
 * algs when there is none yet) over every tag file. */
int bag_write_tag_manifests(const char *path, unsigned algs, unsigned flags,
			    struct vl_err *err);

/* One payload or tag file as listed in the bag's manifests. */
struct bag_file_entry {
	const char *path;               /* decoded path, e.g. "data/a.txt" */
	int tag;                        /* 1 for a tag manifest entry */
	uint64_t size;                  /* from the file system */
	unsigned algs;                  /* digests present */
	const char *hex[FIX_ALG_COUNT]; /* lowercase hex for each alg */
};

/* Which entries bag_manifest_foreach() reports. */
enum bag_entries { BAG_ENTRIES_ALL, BAG_ENTRIES_PAYLOAD, BAG_ENTRIES_TAG };
/*
 * Calls cb for every file listed in the manifests of the bag directory
 * at path (payload first, then tag files; or only those of `which`),
 * sorted by path; each file once, with the digests of every manifest
 * listing it.  For recording a bag in the catalog.  A non-zero return
 * from cb stops and is returned.
 */
int bag_manifest_foreach(const char *path, enum bag_entries which,
			 int (*cb)(void *ctx, const struct bag_file_entry *f),
			 void *ctx, struct vl_err *err);

/* ---- information ---- */

struct bag_meta {
	int version;
	char version_str[16];
	char encoding[48];
	struct bag_info info; /* bag-info.txt (package-info.txt before 0.96) */
	unsigned payload_algs, tag_algs;
	uint64_t manifest_entries; /* entries in the first payload manifest */
	uint64_t fetch_entries, fetch_bytes; /* bytes: declared lengths */
	char **tag_files;                    /* root-level and nested */
	size_t n_tag_files;
	int serialized;
};

void bag_meta_release(struct bag_meta *m);
/* Reads the tag files of a bag (directory or archive); problems met on
 * the way go to rep.  Payload files are not read. */
int bag_read_meta(const char *path, struct bag_meta *m, struct bag_report *rep,
		  struct vl_err *err);

/* ---- fetch.txt (RFC 8493 2.2.3) ---- */

struct bag_fetch_opts {
	unsigned parallel;   /* transfers at once; 0 = 4 */
	unsigned retries;    /* attempts after the first; default 3 */
	unsigned backoff_ms; /* first retry delay, doubled each time;
				0 = 1000 */
	long timeout_s;      /* per transfer without progress; 0 = 60 */
	int allow_file_urls; /* also accept file:// URLs */
	bag_progress_fn *progress;
	void *ctx;
};

struct bag_fetch_result {
	uint64_t fetched, present, failed, bytes;
};

/*
 * Downloads every fetch.txt entry of the bag at path that is not yet
 * present (http and https; file with allow_file_urls), in parallel,
 * resuming partial downloads kept under .vellum-fetch/, retrying with
 * backoff, aborting any transfer that exceeds its declared length
 * (RFC 8493 5.3), and verifying each file against every payload
 * manifest before moving it into place.  Problems go to rep; VL_E_CHECK
 * when any entry failed.
 */
int bag_fetch(const char *path, const struct bag_fetch_opts *o,
	      struct bag_report *rep, struct bag_fetch_result *res,
	      struct vl_err *err);

/* ---- serialization ---- */

enum bag_format { BAG_FMT_NONE = 0, BAG_FMT_TAR, BAG_FMT_TGZ, BAG_FMT_ZIP };

/* "tar", "tgz" or "tar.gz", "zip"; -1 otherwise. */
int bag_format_parse(const char *s);
/* ".tar", ".tar.gz", ".zip" */
const char *bag_format_ext(enum bag_format f);
/* The format an archive file name suggests, or BAG_FMT_NONE. */
enum bag_format bag_format_of_name(const char *name);

/*
 * Writes the bag directory at path into archive (which must not exist)
 * as one top-level directory named top (NULL = the bag directory's
 * name): bagit.txt first, then the other tag files, then the payload,
 * sorted.  Only regular files and directories.  Temp file, fsync, rename.
 */
int bag_pack(const char *path, const char *archive, enum bag_format fmt,
	     const char *top, struct vl_err *err);
/*
 * Extracts archive (tar, tar.gz, zip), which must hold exactly one
 * top-level directory, as the new directory dest.  Extraction goes into
 * a fresh temporary directory beside dest with libarchive's secure
 * flags; any absolute name, "..", link, device or other special entry,
 * or an entry larger than declared aborts with VL_E_UNSAFE and leaves
 * nothing behind.  When dest is NULL the directory is created in the
 * current directory under the archive's top-level name; *made (if not
 * NULL) receives the path created (free it).
 */
int bag_unpack(const char *archive, const char *dest, char **made,
	       struct vl_err *err);

/* ---- identifiers ---- */

/* 0 if id is a valid object identifier (ids.c says which). */
int ing_id_check(const char *id, struct vl_err *err);
/* Writes a new identifier: "v" + a lower-case ULID (27 characters). */
#define ING_ID_GEN_LEN 28
int ing_id_generate(char out[ING_ID_GEN_LEN], struct vl_err *err);

/* ---- the ingest pipeline (pipeline.c draws it) ---- */

#define ING_ID_MAX    128
#define ING_MAX_FORMS 8

enum ing_kind {
	ING_DIRECTORY, /* a folder of files: bagged into storage */
	ING_BAG,       /* a bag directory: validated, stored as it is */
	ING_ARCHIVE,   /* a .tar/.tgz/.zip bag: validated, unpacked, stored */
};

/* One rendering of an object's description. */
struct ing_form {
	const char *format;   /* catalog format: "mods", "oai_dc", ...
				 (static string) */
	const char *tag_file; /* bag tag file ("metadata/mods.xml"), or
				 NULL to keep it in the catalog only */
	char *data;           /* owned */
	size_t len;
};

/* A value changed on the way in: a deprecated or retired term mapped to
 * its replacement.  All strings are copied by ing_description_change. */
struct ing_change {
	const char *field;         /* "subject", "type" */
	const char *original;      /* the wording as given */
	const char *original_lang; /* may be NULL */
	const char *original_uri;  /* the concept it matched, may be NULL */
	const char *concept;       /* the replacement concept URI */
	const char *replacement;   /* its label as recorded */
	const char *scheme, *vocab_version;
};

/* What a describe callback produces. */
struct ing_description {
	char *title; /* the main title, for listings (owned) */
	struct ing_form forms[ING_MAX_FORMS];
	size_t n;
	char **warnings; /* e.g. unreconciled subjects (owned) */
	size_t nwarnings;
	struct ing_change *changes; /* owned copies */
	size_t nchanges;
};
/* The bag tag file a catalog form is kept as: "mods" ->
 * "metadata/mods.xml", "oai_dc" -> "metadata/dc.xml", and a harvested
 * record's "source" and "provenance"; NULL for a form kept in the catalog
 * only (dcterms).  Ingest, the harvester and export name them alike. */
const char *ing_form_tag_file(const char *format);
/* Adds a form; takes data (freed on error too). */
int ing_description_add(struct ing_description *d, const char *format,
			const char *tag_file, char *data, size_t len,
			struct vl_err *err);
int ing_description_warn(struct ing_description *d, const char *msg);
int ing_description_change(struct ing_description *d,
			   const struct ing_change *c, struct vl_err *err);
void ing_description_release(struct ing_description *d);

/*
 * Describes object id.  bag is the staged bag directory (its payload and
 * tag files readable; NULL in a dry run of a directory or archive), so a
 * bag's own metadata/ files can be the description.  Fills d.
 */
typedef int ing_describe_fn(void *ctx, const char *id, const char *bag,
			    struct ing_description *d, struct vl_err *err);

struct ing_opts {
	const char *source; /* directory, bag directory or archive */
	const char *id;     /* NULL: generate one */
	const char *const *collections;
	size_t ncollections;
	const char *algorithms;  /* "sha256,sha512"; NULL: configuration */
	const char *source_note; /* objects.source (e.g. harvested id) */
	const char *user;        /* agent of the metadata version */
	int allow_duplicate;     /* store even when the payload is known */
	int dry_run;             /* check and describe, store nothing */
	int exclude_hidden;      /* leave out dot files of a directory */
	unsigned threads;        /* hashing threads; 0 = online CPUs */
	ing_describe_fn *describe;
	void *describe_ctx;
	void (*progress)(void *ctx, uint64_t files, uint64_t bytes);
	void *ctx;
};

struct ing_result {
	char id[ING_ID_MAX + 1];
	char title[512];
	enum ing_kind kind;
	uint64_t files, bytes; /* payload */
	double seconds;
	int skipped;                       /* a duplicate, not stored */
	char duplicate_of[ING_ID_MAX + 1]; /* "" when the payload is new */
	char **warnings;
	size_t nwarnings;
};
void ing_result_release(struct ing_result *res);

/*
 * Ingests one object: checks, stages, bags (or validates and copies a
 * bag), identifies formats, detects a duplicate payload (skipped unless
 * allow_duplicate), describes it through o->describe, and commits the
 * catalog and storage together.  On any error nothing is stored and the
 * catalog is unchanged; the message names the file or argument.
 * VL_E_CHECK: the source bag is not valid.  res is filled as far as the
 * ingest got (release it).
 */
int ing_ingest(struct repo *r, const struct ing_opts *o, struct ing_result *res,
	       struct vl_err *err);

/*
 * Group commit, for many objects in a row (`vellum ingest --batch`):
 * each object is prepared as by ing_ingest() - checked, staged, bagged,
 * identified, described - and waits; the group is then committed
 * together, one catalog transaction and two file-system syncs for up to
 * 64 objects, instead of a transaction and two syncs each.  Each object
 * is still all-or-nothing: one that fails is left out alone; if storing
 * or the COMMIT itself fails, the whole group is undone and each of its
 * objects reported failed.  A group commits when it is full, after 512
 * MiB or when its oldest object has waited two seconds; at
 * ing_group_flush() and ing_group_free().
 *
 * done() receives each object's outcome exactly once - at once when it
 * fails before the commit, is a duplicate or a dry run, else when its
 * group commits - with the label given to ing_group_add() (e.g. the
 * batch file's line).  res and err are borrowed for the call.  The
 * options given to ing_group_add() are needed only during the call.
 */
struct ing_group;
typedef void ing_done_fn(void *ctx, const char *label,
			 const struct ing_result *res, int rc,
			 const struct vl_err *err);
int ing_group_new(struct ing_group **out, struct repo *r, ing_done_fn *done,
		  void *ctx, struct vl_err *err);
void ing_group_add(struct ing_group *g, const struct ing_opts *o,
		   const char *label);
void ing_group_flush(struct ing_group *g);
/* Commits what is waiting, then frees g.  NULL is fine. */
void ing_group_free(struct ing_group *g);
/* The standard describe callback (describe.c): ctx is a struct
 * ing_describer.  The record comes from `record`, else `metadata_file`,
 * else the staged bag's metadata/mods.xml or metadata/dc.xml; it must
 * pass the content rules (md_record_check) and have a title; it is
 * rendered as MODS (metadata/mods.xml), oai_dc (metadata/dc.xml) and
 * dcterms, each checked against its XSD when schemas is set. */
struct ing_describer {
	const char *metadata_file;
	struct md_record *record;   /* borrowed; may be changed by reconcile */
	struct md_schemas *schemas; /* may be NULL */
	/* Subject reconciliation against vocabularies (may be NULL). */
	int (*reconcile)(void *ctx, struct md_record *rec,
			 struct ing_description *d, struct vl_err *err);
	void *reconcile_ctx;
};
int ing_describe(void *ctx, const char *id, const char *bag,
		 struct ing_description *d, struct vl_err *err);

/* Subject and type reconciliation against the imported vocabularies
 * (reconcile.c): the `reconcile` hook of struct ing_describer, with a
 * struct ing_reconciler as its context.  Output languages come from the
 * vocab_output_langs setting (`vellum vocab langs`). */
struct ing_reconciler;
int ing_reconciler_open(struct ing_reconciler **out, struct repo *r,
			struct vl_err *err);
void ing_reconciler_free(struct ing_reconciler *rc);
int ing_reconcile(void *ctx, struct md_record *rec, struct ing_description *d,
		  struct vl_err *err);

/*
 * A new metadata version of stored object id, described through
 * o->describe (o->source, if set, is named in the event).  The stored
 * bag's metadata/ tag files, premis.xml and tag manifests are replaced
 * together (the payload is untouched), the catalog gains the version
 * (old ones kept), md_version and the OAI-PMH datestamp move, and a
 * PREMIS metadata modification event is recorded; all or nothing.
 * An object kept in the catalog alone (no storage key: a harvested
 * record) gets the new version in the catalog only; describe is then
 * called with no bag.
 */
int ing_update(struct repo *r, const char *id, const struct ing_opts *o,
	       struct ing_result *res, struct vl_err *err);

/* Inside the caller's transaction: the PREMIS metadata modification
 * event and the vocab_remediations rows for the values d changed through
 * a vocabulary (nothing when it changed none), for metadata version
 * `version` of object id. */
int ing_record_changes(struct repo *r, const char *id, int64_t version,
		       const struct ing_description *d, const char *now,
		       struct vl_err *err);

/* ---- format identification (libmagic; one handle per thread) ---- */

struct ing_magic;
int ing_magic_new(struct ing_magic **out, struct vl_err *err);
void ing_magic_free(struct ing_magic *m);
/* Identifies the file open at fd (offset 0): MIME type and description. */
int ing_magic_identify(struct ing_magic *m, int fd, char *mime, size_t mime_n,
		       char *desc, size_t desc_n, struct vl_err *err);
/* libmagic's version number (for PREMIS event details). */
int ing_magic_version(void);

/* ---- stored objects: lookup, deletion, export ---- */

struct ing_object {
	int deleted;
	char storage_key[300];
	char datestamp[VL_TIME_LEN];
};
/* VL_E_NOTFOUND ("no object 'ID'") when the catalog has no such id. */
int ing_object_get(struct repo *r, const char *id, struct ing_object *o,
		   struct vl_err *err);

/* Deletes an object: the catalog keeps a tombstone (status deleted, the
 * reason, datestamp = deletion time, so OAI-PMH reports it deleted) and a
 * PREMIS deletion event; the stored files are removed.  purge also
 * removes the object's file and metadata rows from the catalog (the
 * tombstone and events stay). */
int ing_delete(struct repo *r, const char *id, const char *reason, int purge,
	       struct vl_err *err);

struct ing_export_report {
	uint64_t files, bytes; /* every file written, tag files included */
	int catalog_only;      /* the bag was made from the catalog */
	char path[4096];
};
/* Exports the stored bag, as stored: to DIR/ID when `to` is a directory,
 * else to a .tar, .tar.gz/.tgz or .zip file whose top directory is ID.
 * An object with no bag in storage (catalog-only: objects.storage_key
 * IS NULL, e.g. a harvested or synthetic record) gets a complete and
 * valid bag made from one snapshot of its catalog rows: an empty
 * payload, its current metadata as tag files, metadata/premis.xml, and
 * a payload and a tag manifest per configured algorithm.  Written under
 * a temporary name and renamed, so a failed export leaves nothing;
 * refuses to overwrite.  VL_E_NOTFOUND for an unknown or deleted id. */
int ing_export(struct repo *r, const char *id, const char *to,
	       struct ing_export_report *rep, struct vl_err *err);

/* ---- PREMIS ---- */

/* Appends to out the PREMIS 3 document (premis.xsd-valid) describing the
 * object as the catalog knows it, including rows of an uncommitted
 * transaction on r: the intellectual entity, one file object per payload
 * file with fixity, size and format, every event and the agents. */
int ing_premis_xml(struct repo *r, const char *object_id, struct vl_buf *out,
		   struct vl_err *err);

/* ---- doctor ---- */

enum ing_doctor_kind {
	ING_DOCTOR_INFO,
	ING_DOCTOR_STAGE,    /* a stage left by a dead process */
	ING_DOCTOR_CATALOG,  /* catalog integrity */
	ING_DOCTOR_EVENTS,   /* the event hash chain is broken */
	ING_DOCTOR_MISSING,  /* in the catalog, not in storage */
	ING_DOCTOR_ORPHAN,   /* in storage, not in the catalog */
	ING_DOCTOR_LEFTOVER, /* storage of a deleted object */
};

struct ing_doctor_opts {
	int repair; /* fix what is safe to fix */
	/* Called for every finding; repaired says it was fixed. */
	void (*cb)(void *ctx, enum ing_doctor_kind kind, int repaired,
		   const char *msg);
	void *ctx;
};

struct ing_doctor_report {
	int64_t objects, events;
	int64_t catalog_only; /* active objects with no bag, also checked */
	int problems, repaired;
};

/* Checks the repository (see doctor.c for what and what is repaired).
 * Findings are not errors: the return is negative only when the checks
 * themselves could not run. */
int ing_doctor(struct repo *r, const struct ing_doctor_opts *o,
	       struct ing_doctor_report *rep, struct vl_err *err);

#endif
