/*
 * ingest.h - the ingest layer: the ingest pipeline and the PREMIS
 * description of stored objects.  (The BagIt engine joins this header in
 * its own section.)
 */
#ifndef INGEST_H
#define INGEST_H

#include "../repo/repo.h"

/* ---- identifiers ---- */

/* 0 if id is a valid object identifier (ids.c says which). */
int ing_id_check(const char *id, struct vl_err *err);
/* Writes a new identifier: "v" + a lower-case ULID (27 characters). */
#define ING_ID_GEN_LEN 28
int ing_id_generate(char out[ING_ID_GEN_LEN], struct vl_err *err);

/* ---- format identification (libmagic; one handle per thread) ---- */

struct ing_magic;
int ing_magic_new(struct ing_magic **out, struct vl_err *err);
void ing_magic_free(struct ing_magic *m);
/* Identifies the file open at fd (offset 0): MIME type and description. */
int ing_magic_identify(struct ing_magic *m, int fd, char *mime, size_t mime_n,
		       char *desc, size_t desc_n, struct vl_err *err);

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
	uint64_t files, bytes;
	char path[4096];
};
/* Exports the stored bag, as stored: to DIR/ID when `to` is a directory,
 * else to a .tar, .tar.gz/.tgz or .zip file whose top directory is ID.
 * Written under a temporary name and renamed, so a failed export leaves
 * nothing; refuses to overwrite. */
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
	int problems, repaired;
};

/* Checks the repository (see doctor.c for what and what is repaired).
 * Findings are not errors: the return is negative only when the checks
 * themselves could not run. */
int ing_doctor(struct repo *r, const struct ing_doctor_opts *o,
	       struct ing_doctor_report *rep, struct vl_err *err);

#endif
