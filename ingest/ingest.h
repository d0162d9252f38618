/*
 * ingest.h - the ingest layer: the ingest pipeline and the PREMIS
 * description of stored objects.  (The BagIt engine joins this header in
 * its own section.)
 */
#ifndef INGEST_H
#define INGEST_H

#include "../repo/repo.h"

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
