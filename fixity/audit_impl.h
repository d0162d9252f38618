/*
 * audit_impl.h - private to the audit files of the fixity module: one
 * object under audit, as the catalog, storage and the bag's manifests
 * describe it, and the verdict on each of its files.
 *
 * Life of a struct aobj (main thread unless said otherwise):
 *
 *   audit_obj_load()      catalog rows, storage listing, bagit.txt and
 *        |                the manifests (read and hashed in memory)
 *   submit to the engine  every other stored file; pending counts them
 *        |
 *   audit_classify()      on a worker thread, one file at a time (the
 *        |                engine never runs two callbacks at once)
 *   pending reaches 0     the object moves to the audit's done list
 *        |
 *   repair, record        main thread: audit_repair(), then one
 *                         transaction records a batch of objects
 *
 * After load, files[] never moves (no file is added), so workers may hold
 * pointers into it.
 */
#ifndef AUDIT_IMPL_H
#define AUDIT_IMPL_H

#include "../repo/repo.h"
#include "fixity.h"

/* Where a reference digest comes from. */
enum { DIG_CATALOG, DIG_MANIFEST };

struct adig {
	int alg;
	int src;      /* DIG_CATALOG or DIG_MANIFEST */
	unsigned man; /* index in aobj.man when DIG_MANIFEST */
	char *hex;    /* lowercase */
};

struct aobj;

struct afile {
	char *path;
	struct aobj *owner;
	unsigned in_catalog : 1, payload : 1, stored : 1, regular : 1,
		in_memory : 1, intr : 1, read : 1, repaired : 1;
	uint64_t cat_size, st_size, size; /* catalog, stat, bytes read */
	struct adig *digs;
	unsigned ndigs;
	uint32_t listed; /* bit m: listed in manifest m */
	enum fix_outcome outcome;
	int alg;              /* the finding's algorithm, or -1 */
	const char *expected; /* borrowed from digs */
	char *found;          /* hex of the stored bytes, or NULL */
	char *detail;         /* "; "-separated notes, or NULL */
};

#define AUDIT_MAX_MANIFESTS 32

struct amanifest {
	char *name; /* "manifest-sha512.txt" */
	int tag;    /* a tag manifest */
	int alg;    /* -1: unknown algorithm */
	int parsed; /* read and parsed without error */
};

struct aobj {
	struct aobj *next;
	char *id, *key, *datestamp;
	/* the stored object, held open while its files are read; closed
	 * once it is judged.  NULL when it could not be opened: obj_code
	 * and list_error say why (VL_E_NOTFOUND: storage has no such
	 * object). */
	struct repo_object *obj;
	int obj_code;
	struct afile *files;
	size_t nfiles, cap;
	size_t *slots; /* open addressing: file index + 1, 0 = empty */
	size_t nslots;
	struct amanifest man[AUDIT_MAX_MANIFESTS];
	unsigned nman;
	int version;          /* BagIt version, M * 100 + N */
	char list_error[256]; /* storage could not be listed */
	unsigned pending;     /* jobs not yet delivered (audit mutex) */
	int incomplete;       /* some file was not read: a stop */
	uint64_t bytes;       /* bytes to read */
	uint64_t in_memory_bytes;
	unsigned algs; /* every algorithm computed */
	char checked[VL_TIME_LEN];
	char *repair_note; /* the replication event's detail, or NULL */
	unsigned repaired, repair_failed;
};

/* audit_check.c */
struct aobj *audit_obj_new(const char *id, const char *key,
			   const char *datestamp);
void audit_obj_free(struct aobj *o);
/* What loading reuses from one object to the next (main thread): the
 * catalog query, prepared once per run, and the hasher of the tag files
 * read into memory. */
struct audit_loader {
	struct repo *r;
	sqlite3_stmt *files;
	struct fix_hasher *h;
};
/* Finalizes and frees what l holds; l->r stays. */
void audit_loader_release(struct audit_loader *l);
/* Fills o from the catalog, storage and the bag's tag files; the tag
 * files read here are classified at once.  Negative only when the
 * catalog fails; storage trouble becomes findings. */
int audit_obj_load(struct audit_loader *l, struct aobj *o, struct vl_err *err);
/* Opens one of the object's stored files (any thread). */
int audit_open_file(struct aobj *o, const char *path, int *fd,
		    struct vl_err *err);
/* 1 if f must be read by the engine; *algs the algorithms to compute. */
int audit_file_wanted(const struct afile *f, unsigned *algs);
/* Judges a file from its read: code 0 with digests, or the error. */
void audit_classify(struct aobj *o, struct afile *f, int code, const char *msg,
		    uint64_t size, const struct fix_digests *d);
/* Judges every file that is not read (missing, extra, not regular). */
void audit_classify_unread(struct aobj *o);
/* Raises f's outcome to at least oc and appends a note. */
void audit_note(struct afile *f, enum fix_outcome oc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
size_t audit_obj_findings(const struct aobj *o);

/* audit_repair.c: restores altered and missing files from dir. */
void audit_repair(struct repo *r, struct aobj *o, const char *dir);

#endif
