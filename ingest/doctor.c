/*
 * doctor.c - consistency checks of a repository: leftover stages, the
 * catalog's own integrity, the event chain, and agreement between the
 * catalog and storage.  With repair, fixes what is safe to fix:
 *  - stages of dead processes are removed (always: they are never data);
 *  - a stored object the catalog does not know is what an ingest
 *    interrupted between its storage commit and its catalog commit left;
 *    it was never reported as ingested, so it is removed;
 *  - storage left behind by a deleted object is removed.
 * An active object missing from storage is reported, never "fixed": only
 * a replica can restore it (`vellum audit --repair-from`).  An object kept
 * in the catalog alone (no storage key: a harvested record) must hold its
 * current metadata version there, since that is all it is.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

struct doc {
	struct repo *r;
	const struct ing_doctor_opts *o;
	struct ing_doctor_report *rep;
	struct vl_err *err;
};

static void say(struct doc *d, enum ing_doctor_kind kind, int repaired,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
say(struct doc *d, enum ing_doctor_kind kind, int repaired, const char *fmt,
    ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (kind != ING_DOCTOR_INFO) {
		d->rep->problems++;
		if (repaired)
			d->rep->repaired++;
	}
	if (d->o->cb)
		d->o->cb(d->o->ctx, kind, repaired, msg);
}

static void
stage_cleaned(void *ctx, const char *what)
{
	say(ctx, ING_DOCTOR_STAGE, 1, "removed the leftover stage '%s'", what);
}

static int
integrity(struct doc *d)
{
	sqlite3_stmt *st;
	const char *msg;
	int rc;

	if ((rc = repo_prepare(d->r, &st, "PRAGMA quick_check", d->err)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		msg = (const char *)sqlite3_column_text(st, 0);
		if (msg && strcmp(msg, "ok") != 0)
			say(d, ING_DOCTOR_CATALOG, 0, "catalog: %s", msg);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return repo_db_err(d->r->db, d->err, "catalog");
	if ((rc = repo_prepare(d->r, &st, "PRAGMA foreign_key_check", d->err)) <
	    0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		say(d, ING_DOCTOR_CATALOG, 0,
		    "catalog: row %lld of '%s' points at a missing '%s' row",
		    (long long)sqlite3_column_int64(st, 1),
		    (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : repo_db_err(d->r->db, d->err, "catalog");
}

static int
chain(struct doc *d)
{
	struct vl_err e = { 0 };
	int64_t n = 0;
	int rc;

	rc = repo_event_verify_chain(d->r, &n, &e);
	d->rep->events = n;
	if (rc == VL_E_CHECK) {
		say(d, ING_DOCTOR_EVENTS, 0, "%s", e.msg);
		return 0;
	}
	if (rc < 0) {
		*d->err = e;
		return rc;
	}
	return 0;
}

/* Objects the catalog says are stored: each must be in storage. */
static int
catalog_side(struct doc *d)
{
	sqlite3_stmt *st;
	const char *id, *key, *status;
	int rc;

	if ((rc = repo_prepare(d->r, &st,
			       "SELECT id, storage_key, status FROM objects"
			       " WHERE storage_key IS NOT NULL ORDER BY id",
			       d->err)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(st, 0);
		key = (const char *)sqlite3_column_text(st, 1);
		status = (const char *)sqlite3_column_text(st, 2);
		d->rep->objects++;
		if (!strcmp(status, "active")) {
			if (!repo_store_exists(d->r, key))
				say(d, ING_DOCTOR_MISSING, 0,
				    "object '%s' is in the catalog but not in "
				    "storage ('%s'); restore it from a replica",
				    id, key);
			continue;
		}
		if (!repo_store_exists(d->r, key))
			continue;
		if (d->o->repair && repo_store_delete(d->r, key, NULL) == 0)
			say(d, ING_DOCTOR_LEFTOVER, 1,
			    "removed the storage of deleted object '%s'", id);
		else
			say(d, ING_DOCTOR_LEFTOVER, 0,
			    "deleted object '%s' is still in storage ('%s')",
			    id, key);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : repo_db_err(d->r->db, d->err, "catalog");
}

struct orphan_ctx {
	struct doc *d;
	sqlite3_stmt *known;
};

static int
check_stored(void *ctx, const char *key)
{
	struct orphan_ctx *o = ctx;
	struct doc *d = o->d;
	int known;

	sqlite3_reset(o->known);
	sqlite3_bind_text(o->known, 1, key, -1, SQLITE_TRANSIENT);
	known = sqlite3_step(o->known) == SQLITE_ROW;
	if (known)
		return 0;
	if (d->o->repair && repo_store_delete(d->r, key, NULL) == 0)
		say(d, ING_DOCTOR_ORPHAN, 1,
		    "removed '%s': stored, but no ingest of it completed", key);
	else
		say(d, ING_DOCTOR_ORPHAN, 0,
		    "'%s' is in storage but not in the catalog (an interrupted "
		    "ingest; --repair removes it)",
		    key);
	return 0;
}

/* Objects in storage: each must be known to the catalog. */
static int
storage_side(struct doc *d)
{
	struct orphan_ctx o = { d, NULL };
	int rc;

	if ((rc = repo_prepare(d->r, &o.known,
			       "SELECT 1 FROM objects WHERE storage_key = ?",
			       d->err)) < 0)
		return rc;
	rc = repo_store_list_objects(d->r, check_stored, &o, d->err);
	sqlite3_finalize(o.known);
	return rc;
}

/* Objects with no bag: counted, and each must hold its current
 * metadata version. */
static int
catalog_only(struct doc *d)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(d->r, &st,
			       "SELECT o.id, o.md_version, EXISTS(SELECT 1"
			       " FROM metadata m WHERE m.object_id = o.id AND"
			       " m.version = o.md_version) FROM objects o"
			       " WHERE o.storage_key IS NULL AND o.status ="
			       " 'active' ORDER BY o.id",
			       d->err)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		d->rep->catalog_only++;
		if (!sqlite3_column_int(st, 2))
			say(d, ING_DOCTOR_CATALOG, 0,
			    "object '%s' is kept in the catalog alone, but its "
			    "metadata version %lld is not there: nothing "
			    "describes it",
			    (const char *)sqlite3_column_text(st, 0),
			    (long long)sqlite3_column_int64(st, 1));
	}
	rc = rc == SQLITE_DONE ? 0 : repo_db_err(d->r->db, d->err, "catalog");
	sqlite3_finalize(st);
	return rc;
}

int
ing_doctor(struct repo *r, const struct ing_doctor_opts *o,
	   struct ing_doctor_report *rep, struct vl_err *err)
{
	struct doc d = { r, o, rep, err };
	int rc;

	memset(rep, 0, sizeof(*rep));
	rc = repo_store_clean_stages(r, stage_cleaned, &d, err);
	if (rc < 0)
		return rc;
	if ((rc = integrity(&d)) < 0 || (rc = chain(&d)) < 0 ||
	    (rc = catalog_side(&d)) < 0 || (rc = catalog_only(&d)) < 0 ||
	    (rc = storage_side(&d)) < 0)
		return rc;
	return 0;
}
