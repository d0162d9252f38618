/*
 * audit.c - running a fixity audit: selection, budgets, the digest engine,
 * stopping, and recording what finished.
 *
 * Selection.  Active stored objects, oldest-checked first: never-checked
 * objects (last_audit NULL) by id, then by (last_audit, id), read in
 * pages by keyset on the index objects(last_audit, id), so deciding what
 * to audit costs the same with a million objects as with ten.  An object
 * checked during this run gets last_audit >= the run's start and falls
 * out of the page query, so a page can never return it twice.
 *
 * Pipeline.  The main thread loads an object (catalog, storage listing,
 * manifests) and submits its files to one engine shared by the whole run
 * (unordered delivery: small objects overlap).  The engine's callback
 * judges each file on a worker thread; the last file of an object moves
 * it to the done list.  Between submissions the main thread takes done
 * objects, repairs them if asked, and records them in batches: one
 * transaction at most every second, so small objects do not pay an fsync
 * each, and no transaction stays open while the main thread waits.
 *
 * Stopping.  A watcher thread notices the stop flag (signals) and the
 * --max-time deadline and cancels the engine; jobs not started come back
 * as VL_E_INTR, and so do files being read, at their next read (the
 * engine's per-read hook), so a stop never waits for a long file; such a
 * file is not judged.  --rate is held in that hook too, read by read.
 * Budgets on objects and bytes stop submitting.  An object
 * all of whose files were judged is recorded; an object cut short is
 * recorded only if it already failed (a failure is never dropped), and
 * then without moving its last_audit, so the next run takes it first.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit_impl.h"

#define PAGE           256
#define FLUSH_SECONDS  1.0
#define FLUSH_FILES    20000
#define EVENT_FINDINGS 50 /* findings named in one event */

struct audit {
	struct repo *r;
	const struct fix_audit_opts *o;
	struct fix_audit_summary *s;
	struct fix_engine *eng;
	struct audit_loader load;
	pthread_mutex_t mu;
	struct aobj *done, **done_tail; /* judged, not yet taken (mu) */
	struct aobj *batch, **batch_tail;
	size_t batch_files;
	double t0, deadline, last_flush;
	int stop; /* enum fix_stop, atomic */
	/* --rate: the virtual time at which the next read may start */
	pthread_mutex_t tmu;
	double next_read;
	/* the watcher thread */
	pthread_t watcher;
	pthread_mutex_t wmu;
	pthread_cond_t wcv;
	int watcher_up, watcher_quit;
	uint64_t started, started_bytes;
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *
fix_outcome_name(enum fix_outcome o)
{
	static const char *const names[] = {
		"ok", "mismatch", "extra", "unreadable", "altered", "missing",
	};

	return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "?";
}

const char *
fix_stop_name(enum fix_stop s)
{
	static const char *const names[] = {
		"", "max-time", "max-bytes", "max-objects", "signal",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

unsigned
fix_audit_shard_of(const char *id, unsigned n)
{
	return n ? (unsigned)(vl_hash_str(id) % n) + 1 : 1;
}

static void
set_stop(struct audit *a, enum fix_stop why)
{
	int none = FIX_STOP_NONE;

	__atomic_compare_exchange_n(&a->stop, &none, (int)why, 0,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static int
stopping(struct audit *a)
{
	return __atomic_load_n(&a->stop, __ATOMIC_SEQ_CST);
}

/* ---- selection ---- */

struct row {
	char *id, *key, *last_audit, *datestamp;
	uint64_t bytes;
};

struct sel {
	struct repo *r;
	const struct fix_audit_opts *o;
	sqlite3_stmt *q[2]; /* never checked; checked before */
	char *ids_json;
	char bound[VL_TIME_LEN]; /* "" = none */
	int64_t audit_id;        /* the run, or 0 (a dry run) */
	int phase;
	char *cur_id, *cur_la;
	struct row rows[PAGE];
	size_t n, i;
};

static const char sel_filters[] =
	" AND status = 'active' AND storage_key IS NOT NULL"
	" AND (?3 IS NULL OR EXISTS (SELECT 1 FROM object_collections c"
	"  WHERE c.object_id = objects.id AND (c.spec = ?3 OR"
	"  substr(c.spec, 1, length(?3) + 1) = ?3 || ':')))"
	" AND (?4 IS NULL OR id IN (SELECT value FROM json_each(?4)))";

static void
rows_free(struct sel *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->rows[i].id);
		free(s->rows[i].key);
		free(s->rows[i].last_audit);
		free(s->rows[i].datestamp);
	}
	s->n = s->i = 0;
}

static void
sel_release(struct sel *s)
{
	rows_free(s);
	sqlite3_finalize(s->q[0]);
	sqlite3_finalize(s->q[1]);
	free(s->ids_json);
	free(s->cur_id);
	free(s->cur_la);
}

static char *
dup_col(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	return v ? strdup(v) : NULL;
}

/* Checks that every --id and the --collection exist. */
static int
check_selection(struct repo *r, const struct fix_audit_opts *o,
		struct vl_err *err)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if (o->collection) {
		if ((rc = repo_prepare(
			     r, &st, "SELECT 1 FROM collections WHERE spec = ?",
			     err)) < 0)
			return rc;
		sqlite3_bind_text(st, 1, o->collection, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW)
			return vl_err_set(err, VL_E_NOTFOUND,
					  "no collection '%s'", o->collection);
	}
	if ((rc = repo_prepare(r, &st,
			       "SELECT status, storage_key FROM objects"
			       " WHERE id = ?",
			       err)) < 0)
		return rc;
	for (i = 0, rc = 0; i < o->n_ids && rc == 0; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, o->ids[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW)
			rc = vl_err_set(err, VL_E_NOTFOUND, "no object '%s'",
					o->ids[i]);
		else if (strcmp((const char *)sqlite3_column_text(st, 0),
				"active") != 0)
			rc = vl_err_set(err, VL_E_NOTFOUND,
					"object '%s' is deleted", o->ids[i]);
		else if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			rc = vl_err_set(err, VL_E_NOTFOUND,
					"object '%s' is not stored", o->ids[i]);
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * The second phase takes objects checked before the --older-than cutoff
 * if there is one; else every object this run has not recorded yet.
 * Objects recorded by this run have moved to the end of the (last_audit,
 * id) order, so without that condition the keyset would meet them again.
 */
static int
sel_init(struct sel *s, struct repo *r, const struct fix_audit_opts *o,
	 int64_t audit_id, struct vl_err *err)
{
	char sql[1200];
	json_t *arr;
	size_t i;
	int rc;

	memset(s, 0, sizeof(*s));
	s->r = r;
	s->o = o;
	s->audit_id = audit_id;
	if (o->older_than)
		vl_time_format(s->bound, time(NULL) - (time_t)o->older_than);
	if (o->n_ids) {
		if (!(arr = json_array()))
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		for (i = 0; i < o->n_ids; i++)
			json_array_append_new(arr, json_string(o->ids[i]));
		s->ids_json = json_dumps(arr, JSON_COMPACT);
		json_decref(arr);
		if (!s->ids_json)
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
	}
	snprintf(sql, sizeof(sql),
		 "SELECT id, storage_key, last_audit, datestamp,"
		 " payload_bytes FROM objects WHERE last_audit IS NULL"
		 " AND id > ?1 %s ORDER BY id LIMIT %d",
		 sel_filters, PAGE);
	if ((rc = repo_prepare(r, &s->q[0], sql, err)) < 0)
		return rc;
	snprintf(sql, sizeof(sql),
		 "SELECT id, storage_key, last_audit, datestamp,"
		 " payload_bytes FROM objects WHERE last_audit IS NOT NULL"
		 " AND (last_audit, id) > (?2, ?1) %s"
		 " AND (?5 IS NOT NULL AND last_audit < ?5 OR ?5 IS NULL AND"
		 "  (?6 IS NULL OR NOT EXISTS (SELECT 1 FROM audit_results a"
		 "  WHERE a.object_id = objects.id AND a.audit_id = ?6)))"
		 " ORDER BY last_audit, id LIMIT %d",
		 sel_filters, PAGE);
	if ((rc = repo_prepare(r, &s->q[1], sql, err)) < 0)
		return rc;
	s->cur_id = strdup("");
	s->cur_la = strdup("");
	if (!s->cur_id || !s->cur_la)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	return 0;
}

static int
sel_fill(struct sel *s, struct vl_err *err)
{
	sqlite3_stmt *q = s->q[s->phase];
	int rc;

	rows_free(s);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	sqlite3_bind_text(q, 1, s->cur_id, -1, SQLITE_STATIC);
	if (s->phase)
		sqlite3_bind_text(q, 2, s->cur_la, -1, SQLITE_STATIC);
	if (s->o->collection)
		sqlite3_bind_text(q, 3, s->o->collection, -1, SQLITE_STATIC);
	if (s->ids_json)
		sqlite3_bind_text(q, 4, s->ids_json, -1, SQLITE_STATIC);
	if (s->phase && s->bound[0])
		sqlite3_bind_text(q, 5, s->bound, -1, SQLITE_STATIC);
	if (s->phase && s->audit_id)
		sqlite3_bind_int64(q, 6, s->audit_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct row *w = &s->rows[s->n++];

		w->id = dup_col(q, 0);
		w->key = dup_col(q, 1);
		w->last_audit = dup_col(q, 2);
		w->datestamp = dup_col(q, 3);
		w->bytes = (uint64_t)sqlite3_column_int64(q, 4);
		if (!w->id || !w->key || !w->datestamp) {
			sqlite3_reset(q);
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		}
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return repo_db_err(s->r->db, err, "catalog");
	if (s->n) {
		struct row *last = &s->rows[s->n - 1];

		free(s->cur_id);
		free(s->cur_la);
		s->cur_id = strdup(last->id);
		s->cur_la = strdup(last->last_audit ? last->last_audit : "");
		if (!s->cur_id || !s->cur_la)
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
	}
	return 0;
}

/* 1 with *row set, 0 at the end, or a negative code.  The row stays
 * valid until the next call. */
static int
sel_next(struct sel *s, const struct row **row, struct vl_err *err)
{
	int rc;

	for (;;) {
		while (s->i < s->n) {
			const struct row *w = &s->rows[s->i++];

			if (s->o->shards &&
			    fix_audit_shard_of(w->id, s->o->shards) !=
				    s->o->shard)
				continue;
			*row = w;
			return 1;
		}
		if (s->phase == 2)
			return 0;
		if ((rc = sel_fill(s, err)) < 0)
			return rc;
		if (s->n == 0) {
			/* This phase is done; the next starts afresh. */
			if (++s->phase == 2)
				return 0;
			free(s->cur_id);
			s->cur_id = strdup("");
			if (!s->cur_id)
				return vl_err_set(err, VL_E_NOMEM,
						  "out of memory");
		}
	}
}

int
fix_audit_select(struct repo *r, const struct fix_audit_opts *o,
		 int (*cb)(void *ctx, const char *id, const char *last_audit,
			   uint64_t bytes),
		 void *ctx, struct vl_err *err)
{
	const struct row *w;
	struct sel s;
	uint64_t n = 0;
	int rc;

	if ((rc = check_selection(r, o, err)) < 0)
		return rc;
	if ((rc = sel_init(&s, r, o, 0, err)) < 0)
		goto out;
	while ((rc = sel_next(&s, &w, err)) > 0) {
		if (o->max_objects && n >= o->max_objects)
			break;
		n++;
		if ((rc = cb(ctx, w->id, w->last_audit, w->bytes)) != 0)
			break;
	}
	if (rc > 0)
		rc = 0;
out:
	sel_release(&s);
	return rc;
}

/* ---- reading: the engine's callbacks ---- */

/* A stop by signal or --max-time cuts reading short; the other budgets
 * only stop taking objects, and what was taken is finished. */
static int
cut_short(struct audit *a)
{
	int why = stopping(a);

	return why == FIX_STOP_SIGNAL || why == FIX_STOP_TIME;
}

/* --rate: n bytes were just read.  Each read reserves n / rate seconds
 * of a virtual clock shared by every thread, and the reader waits until
 * its slot ends, so no stretch of the run reads faster than the rate.
 * Sleeps in slices so a stop is noticed; VL_E_INTR then. */
static int
throttle(struct audit *a, uint64_t n)
{
	double start, end, now;

	pthread_mutex_lock(&a->tmu);
	now = mono();
	start = a->next_read > now ? a->next_read : now;
	end = a->next_read = start + (double)n / (double)a->o->rate;
	pthread_mutex_unlock(&a->tmu);
	while ((now = mono()) < end) {
		double left = end - now;
		struct timespec ts;

		if (cut_short(a))
			return VL_E_INTR;
		if (left > 0.05)
			left = 0.05;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* The engine's per-read hook: the rate, and a stop noticed between two
 * reads of a long file rather than after it. */
static int
on_read(void *ctx, size_t n, struct vl_err *err)
{
	struct audit *a = ctx;

	if (cut_short(a) || (a->o->rate && throttle(a, n) < 0))
		return vl_err_set(err, VL_E_INTR, "stopped");
	return 0;
}

/* A job's path is the file's path in its object, the job's udata the
 * file. */
static int
open_src(void *ctx, const char *path, void *udata, struct vl_err *err)
{
	struct afile *f = udata;
	int fd, rc;

	(void)ctx;
	if ((rc = audit_open_file(f->owner, path, &fd, err)) < 0)
		return rc;
	return fd;
}

/* Called with a->mu held once the object's last file was delivered: its
 * storage handle is no longer needed. */
static void
object_judged(struct audit *a, struct aobj *o)
{
	repo_object_close(o->obj);
	o->obj = NULL;
	o->next = NULL;
	*a->done_tail = o;
	a->done_tail = &o->next;
}

static void
file_done(void *ctx, const struct fix_result *res)
{
	struct audit *a = ctx;
	struct afile *f = res->udata;
	struct aobj *o = f->owner;

	audit_classify(o, f, res->code, res->msg, res->size, res->digests);
	pthread_mutex_lock(&a->mu);
	if (--o->pending == 0)
		object_judged(a, o);
	pthread_mutex_unlock(&a->mu);
}

static int
submit_object(struct audit *a, struct aobj *o, struct vl_err *err)
{
	size_t i, left = 0;
	unsigned algs;
	int rc = 0;

	for (i = 0; i < o->nfiles; i++)
		left += (size_t)audit_file_wanted(&o->files[i], &algs);
	pthread_mutex_lock(&a->mu);
	o->pending = (unsigned)left + 1; /* + 1 until all are submitted */
	pthread_mutex_unlock(&a->mu);
	for (i = 0; i < o->nfiles; i++) {
		struct afile *f = &o->files[i];

		if (!audit_file_wanted(f, &algs))
			continue;
		if (rc == 0) {
			rc = fix_engine_submit(a->eng, f->path, NULL, algs, f,
					       err);
			if (rc == 0) {
				left--;
				continue;
			}
		}
		f->intr = 1; /* never submitted */
	}
	pthread_mutex_lock(&a->mu);
	o->pending -= (unsigned)left + 1;
	if (o->pending == 0)
		object_judged(a, o);
	pthread_mutex_unlock(&a->mu);
	return rc == VL_E_INTR ? 0 : rc;
}

/* ---- the watcher ---- */

static void *
watch(void *arg)
{
	struct audit *a = arg;
	struct timespec ts;

	pthread_mutex_lock(&a->wmu);
	while (!a->watcher_quit) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&a->wcv, &a->wmu, &ts);
		if (a->o->stop && *a->o->stop)
			set_stop(a, FIX_STOP_SIGNAL);
		if (a->deadline > 0 && mono() >= a->deadline)
			set_stop(a, FIX_STOP_TIME);
		if (stopping(a) == FIX_STOP_SIGNAL ||
		    stopping(a) == FIX_STOP_TIME)
			fix_engine_cancel(a->eng);
	}
	pthread_mutex_unlock(&a->wmu);
	return NULL;
}

/* ---- recording ---- */

struct rec {
	struct repo *r;
	struct audit *a;
	sqlite3_stmt *ds, *file, *all_ok, *result, *finding, *obj;
	struct vl_buf detail, outcome;
	int64_t run_objects;
};

static int
rec_prepare(struct rec *c, struct vl_err *err)
{
	int rc;

	if ((rc = repo_prepare(c->r, &c->ds,
			       "SELECT datestamp FROM objects WHERE id = ?"
			       " AND status = 'active'",
			       err)) < 0 ||
	    (rc = repo_prepare(c->r, &c->file,
			       "UPDATE files SET last_checked = ?3,"
			       " last_outcome = ?4 WHERE object_id = ?1 AND"
			       " path = ?2",
			       err)) < 0 ||
	    (rc = repo_prepare(c->r, &c->all_ok,
			       "UPDATE files SET last_checked = ?2,"
			       " last_outcome = 'ok' WHERE object_id = ?1",
			       err)) < 0 ||
	    (rc = repo_prepare(c->r, &c->result,
			       "INSERT INTO audit_results(audit_id, object_id,"
			       " checked, outcome, complete, files, bytes,"
			       " problems, repaired, event_uuid)"
			       " VALUES(?,?,?,?,?,?,?,?,?,?)",
			       err)) < 0 ||
	    (rc = repo_prepare(c->r, &c->finding,
			       "INSERT INTO audit_findings(audit_id,"
			       " object_id, path, outcome, algorithm,"
			       " expected, found, detail, repaired)"
			       " VALUES(?,?,?,?,?,?,?,?,?)",
			       err)) < 0)
		return rc;
	return repo_prepare(c->r, &c->obj,
			    "UPDATE objects SET last_audit = CASE WHEN ?2"
			    " THEN ?3 ELSE last_audit END,"
			    " last_audit_outcome = ?4 WHERE id = ?1",
			    err);
}

static void
rec_release(struct rec *c)
{
	sqlite3_finalize(c->ds);
	sqlite3_finalize(c->file);
	sqlite3_finalize(c->all_ok);
	sqlite3_finalize(c->result);
	sqlite3_finalize(c->finding);
	sqlite3_finalize(c->obj);
	vl_buf_release(&c->detail);
	vl_buf_release(&c->outcome);
}

static int
step_done(struct rec *c, sqlite3_stmt *st, struct vl_err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : repo_db_err(c->r->db, err, "catalog");
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Files judged (read, or known missing/extra/...) and bytes read. */
static void
obj_counts(const struct aobj *o, uint64_t *files, uint64_t *bytes)
{
	size_t i;

	*files = *bytes = 0;
	for (i = 0; i < o->nfiles; i++) {
		const struct afile *f = &o->files[i];

		if (f->intr)
			continue;
		(*files)++;
		*bytes += f->size;
	}
}

/* PREMIS eventDetail and eventOutcomeDetailNote of the fixity check. */
static void
event_text(struct rec *c, const struct aobj *o, uint64_t files, uint64_t bytes,
	   size_t problems)
{
	struct vl_buf algs = VL_BUF_INIT;
	size_t i, named = 0, total = 0;

	vl_buf_reset(&c->detail);
	vl_buf_reset(&c->outcome);
	fix_algs_format(&algs, o->algs);
	vl_buf_addf(&c->detail,
		    "fixity check of %llu files (%llu bytes) against the"
		    " catalog and the bag's manifests (%s); audit %lld",
		    (unsigned long long)files, (unsigned long long)bytes,
		    algs.buf, (long long)c->a->s->audit_id);
	vl_buf_release(&algs);
	for (i = 0; i < o->nfiles; i++)
		total += !o->files[i].intr;
	if (o->incomplete)
		vl_buf_addf(&c->outcome,
			    "stopped before every file was read (%zu of %zu"
			    " judged); ",
			    total, o->nfiles);
	if (!problems) {
		vl_buf_addf(&c->outcome, "all %llu files intact",
			    (unsigned long long)files);
		return;
	}
	for (i = 0; i < o->nfiles; i++) {
		const struct afile *f = &o->files[i];

		if (f->outcome == FIX_OK)
			continue;
		if (named++ == EVENT_FINDINGS)
			break;
		vl_buf_addf(&c->outcome, "%s%s %s", named > 1 ? "; " : "",
			    fix_outcome_name(f->outcome), f->path);
		if (f->alg >= 0)
			vl_buf_addf(&c->outcome, " (%s expected %s, found %s)",
				    fix_alg_name(f->alg), f->expected,
				    f->found);
		if (f->detail)
			vl_buf_addf(&c->outcome, ": %s", f->detail);
		if (f->repaired)
			vl_buf_adds(&c->outcome, " [restored from replica]");
	}
	if (named > EVENT_FINDINGS)
		vl_buf_addf(&c->outcome,
			    "; and %zu more (vellum audit history %s)",
			    problems - EVENT_FINDINGS, o->id);
}

static const char *
file_state(const struct afile *f)
{
	return f->repaired ? "repaired" : fix_outcome_name(f->outcome);
}

static int
record_files(struct rec *c, const struct aobj *o, struct vl_err *err)
{
	int64_t id = c->a->s->audit_id;
	size_t i;
	int rc, each = o->incomplete;

	/* A complete check judged every file: one statement marks them all
	 * ok, and only the others are written one by one (a statement per
	 * file was most of the cost of recording small objects). */
	if (!each) {
		sqlite3_bind_text(c->all_ok, 1, o->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->all_ok, 2, o->checked, -1, SQLITE_STATIC);
		if ((rc = step_done(c, c->all_ok, err)) < 0)
			return rc;
	}
	for (i = 0; i < o->nfiles; i++) {
		const struct afile *f = &o->files[i];

		if (f->intr)
			continue;
		if (f->in_catalog &&
		    (each || f->outcome != FIX_OK || f->repaired)) {
			sqlite3_bind_text(c->file, 1, o->id, -1, SQLITE_STATIC);
			sqlite3_bind_text(c->file, 2, f->path, -1,
					  SQLITE_STATIC);
			sqlite3_bind_text(c->file, 3, o->checked, -1,
					  SQLITE_STATIC);
			sqlite3_bind_text(c->file, 4, file_state(f), -1,
					  SQLITE_STATIC);
			if ((rc = step_done(c, c->file, err)) < 0)
				return rc;
		}
		if (f->outcome == FIX_OK)
			continue;
		sqlite3_bind_int64(c->finding, 1, id);
		sqlite3_bind_text(c->finding, 2, o->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->finding, 3, f->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->finding, 4, fix_outcome_name(f->outcome),
				  -1, SQLITE_STATIC);
		bind_opt(c->finding, 5,
			 f->alg >= 0 ? fix_alg_name(f->alg) : NULL);
		bind_opt(c->finding, 6, f->expected);
		bind_opt(c->finding, 7, f->found);
		bind_opt(c->finding, 8, f->detail);
		sqlite3_bind_int(c->finding, 9, f->repaired);
		if ((rc = step_done(c, c->finding, err)) < 0)
			return rc;
	}
	return 0;
}

/* Records one judged object.  *recorded = 0 when there is nothing to
 * record (cut short without a failure, or changed under us). */
static int
record_object(struct rec *c, struct aobj *o, char *uuid, int *recorded,
	      struct vl_err *err)
{
	struct repo_event ev = { 0 };
	struct fix_audit_summary *s = c->a->s;
	uint64_t files, bytes;
	size_t problems = audit_obj_findings(o);
	const char *ds, *state;
	int rc, failed = problems > 0;

	*recorded = 0;
	/* An ingest that changed the object while we read it makes the
	 * comparison meaningless: leave it to the next run. */
	sqlite3_bind_text(c->ds, 1, o->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(c->ds);
	ds = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(c->ds, 0)
			      : NULL;
	if (rc != SQLITE_ROW || !ds || strcmp(ds, o->datestamp) != 0) {
		sqlite3_reset(c->ds);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return repo_db_err(c->r->db, err, "catalog");
		s->skipped++;
		return 0;
	}
	sqlite3_reset(c->ds);
	if (o->incomplete && !failed)
		return 0;
	obj_counts(o, &files, &bytes);
	event_text(c, o, files, bytes, problems);
	ev.object_id = o->id;
	ev.type = "fix";
	ev.outcome = failed ? REPO_FAILURE : REPO_SUCCESS;
	ev.detail = c->detail.buf;
	ev.outcome_detail = c->outcome.buf;
	ev.datetime = o->checked;
	if ((rc = repo_event_add(c->r, &ev, uuid, err)) < 0)
		return rc;
	if (o->repair_note) {
		struct repo_event rep = { 0 };

		rep.object_id = o->id;
		rep.type = "rep";
		rep.outcome = o->repair_failed ? REPO_FAILURE : REPO_SUCCESS;
		rep.detail = "restore of damaged files from a replica, each"
			     " verified against the catalog's digests before"
			     " and after";
		rep.outcome_detail = o->repair_note;
		if ((rc = repo_event_add(c->r, &rep, NULL, err)) < 0)
			return rc;
	}
	sqlite3_bind_int64(c->result, 1, s->audit_id);
	sqlite3_bind_text(c->result, 2, o->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->result, 3, o->checked, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->result, 4, failed ? "failed" : "ok", -1,
			  SQLITE_STATIC);
	sqlite3_bind_int(c->result, 5, !o->incomplete);
	sqlite3_bind_int64(c->result, 6, (sqlite3_int64)files);
	sqlite3_bind_int64(c->result, 7, (sqlite3_int64)bytes);
	sqlite3_bind_int64(c->result, 8, (sqlite3_int64)problems);
	sqlite3_bind_int64(c->result, 9, o->repaired);
	sqlite3_bind_text(c->result, 10, uuid, -1, SQLITE_STATIC);
	if ((rc = step_done(c, c->result, err)) < 0 ||
	    (rc = record_files(c, o, err)) < 0)
		return rc;
	state = !failed                   ? "ok"
		: o->repaired == problems ? "repaired"
					  : "failed";
	sqlite3_bind_text(c->obj, 1, o->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(c->obj, 2, !o->incomplete);
	sqlite3_bind_text(c->obj, 3, o->checked, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->obj, 4, state, -1, SQLITE_STATIC);
	if ((rc = step_done(c, c->obj, err)) < 0)
		return rc;
	s->objects++;
	s->files += files;
	s->bytes += bytes;
	if (failed) {
		s->failed_objects++;
		s->failed_files += problems;
		s->repaired_files += o->repaired;
	}
	*recorded = 1;
	return 0;
}

static int
update_run(struct repo *r, const struct fix_audit_summary *s, int final,
	   struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(r, &st,
			       "UPDATE audits SET objects = ?2, files = ?3,"
			       " bytes = ?4, failures = ?5,"
			       " finished = CASE WHEN ?6 THEN ?7 END,"
			       " outcome = CASE WHEN ?6 THEN ?8 END,"
			       " stopped_by = ?9 WHERE id = ?1",
			       err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, s->audit_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)s->objects);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)s->files);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)s->bytes);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)s->failed_objects);
	sqlite3_bind_int(st, 6, final);
	sqlite3_bind_text(st, 7, s->finished, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, s->failed_objects ? "failed" : "ok", -1,
			  SQLITE_STATIC);
	bind_opt(st, 9, s->stopped_by ? fix_stop_name(s->stopped_by) : NULL);
	rc = sqlite3_step(st) == SQLITE_DONE
		     ? 0
		     : repo_db_err(r->db, err, "catalog");
	sqlite3_finalize(st);
	return rc;
}

/* Fills a result for the caller's callback (findings array malloc'd). */
static void
report_object(struct audit *a, const struct aobj *o, const char *uuid)
{
	struct fix_object_result res = { 0 };
	struct fix_finding *fs = NULL;
	size_t i, n = audit_obj_findings(o);

	if (!a->o->on_object)
		return;
	if (n && !(fs = calloc(n, sizeof(*fs))))
		n = 0;
	for (i = 0, n = 0; fs && i < o->nfiles; i++) {
		const struct afile *f = &o->files[i];

		if (f->outcome == FIX_OK)
			continue;
		fs[n].path = f->path;
		fs[n].outcome = f->outcome;
		fs[n].algorithm = f->alg >= 0 ? fix_alg_name(f->alg) : NULL;
		fs[n].expected = f->expected;
		fs[n].found = f->found;
		fs[n].detail = f->detail;
		fs[n].repaired = f->repaired;
		n++;
	}
	res.object_id = o->id;
	res.checked = o->checked;
	res.failed = n > 0;
	res.complete = !o->incomplete;
	obj_counts(o, &res.files, &res.bytes);
	res.n_findings = n;
	res.findings = fs;
	res.event_uuid = uuid;
	a->o->on_object(a->o->ctx, &res);
	free(fs);
}

/* Records the batch in one transaction, then reports it. */
static int
flush(struct audit *a, int final, struct vl_err *err)
{
	struct rec c = { 0 };
	struct aobj *o, *next;
	char(*uuids)[37] = NULL;
	int *rec = NULL;
	size_t n = 0, i;
	int rc;

	for (o = a->batch; o; o = o->next)
		n++;
	if (!n && !final)
		return 0;
	c.r = a->r;
	c.a = a;
	if ((n && (!(uuids = calloc(n, sizeof(*uuids))) ||
		   !(rec = calloc(n, sizeof(*rec)))))) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = repo_begin(a->r, err)) < 0)
		goto out;
	if ((rc = rec_prepare(&c, err)) < 0)
		goto fail;
	for (o = a->batch, i = 0; o; o = o->next, i++)
		if ((rc = record_object(&c, o, uuids[i], &rec[i], err)) < 0)
			goto fail;
	if (final)
		vl_time_now(a->s->finished);
	if ((rc = update_run(a->r, a->s, final, err)) < 0)
		goto fail;
	rec_release(&c);
	if ((rc = repo_commit(a->r, err)) < 0)
		goto fail;
	for (o = a->batch, i = 0; o; o = o->next, i++)
		if (rec[i])
			report_object(a, o, uuids[i]);
	goto out;
fail:
	rec_release(&c);
	repo_rollback(a->r);
out:
	for (o = a->batch; o; o = next) {
		next = o->next;
		audit_obj_free(o);
	}
	a->batch = NULL;
	a->batch_tail = &a->batch;
	a->batch_files = 0;
	a->last_flush = mono();
	free(uuids);
	free(rec);
	return rc;
}

/* Takes judged objects into the batch (repairing them first when
 * asked) and records the batch when it is due. */
static int
service(struct audit *a, int final, struct vl_err *err)
{
	struct aobj *o, *next;
	struct fix_progress p;
	size_t i;

	pthread_mutex_lock(&a->mu);
	o = a->done;
	a->done = NULL;
	a->done_tail = &a->done;
	pthread_mutex_unlock(&a->mu);
	for (; o; o = next) {
		next = o->next;
		o->next = NULL;
		vl_time_now(o->checked);
		for (i = 0; i < o->nfiles; i++)
			o->incomplete |= o->files[i].intr;
		if (a->o->repair_from && audit_obj_findings(o))
			audit_repair(a->r, o, a->o->repair_from);
		*a->batch_tail = o;
		a->batch_tail = &o->next;
		a->batch_files += o->nfiles;
	}
	if (a->o->on_progress && a->eng) {
		fix_engine_progress(a->eng, &p);
		a->o->on_progress(a->o->ctx, a->s->objects, p.bytes);
	}
	if (final || a->batch_files >= FLUSH_FILES ||
	    (a->batch && mono() - a->last_flush >= FLUSH_SECONDS))
		return flush(a, final, err);
	return 0;
}

/* ---- the run ---- */

static void
describe_scope(char *out, size_t n, const struct fix_audit_opts *o)
{
	struct vl_buf b = VL_BUF_INIT;
	size_t i;

	if (o->n_ids) {
		vl_buf_adds(&b, "id");
		for (i = 0; i < o->n_ids; i++)
			vl_buf_addf(&b, "%s%s", i ? "," : " ", o->ids[i]);
	} else if (o->collection) {
		vl_buf_addf(&b, "collection %s", o->collection);
	} else {
		vl_buf_adds(&b, "all");
	}
	if (o->older_than)
		vl_buf_addf(&b, "; older than %llus",
			    (unsigned long long)o->older_than);
	if (o->shards)
		vl_buf_addf(&b, "; shard %u/%u", o->shard, o->shards);
	if (o->max_time)
		vl_buf_addf(&b, "; max-time %llus",
			    (unsigned long long)o->max_time);
	if (o->max_bytes)
		vl_buf_addf(&b, "; max-bytes %llu",
			    (unsigned long long)o->max_bytes);
	if (o->max_objects)
		vl_buf_addf(&b, "; max-objects %llu",
			    (unsigned long long)o->max_objects);
	if (o->rate)
		vl_buf_addf(&b, "; rate %llu B/s", (unsigned long long)o->rate);
	if (o->repair_from)
		vl_buf_addf(&b, "; repair from %s", o->repair_from);
	snprintf(out, n, "%s", b.buf);
	vl_buf_release(&b);
}

static int
start_run(struct repo *r, struct fix_audit_summary *s, struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(r, &st,
			       "INSERT INTO audits(started, scope)"
			       " VALUES(?, ?)",
			       err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, s->started, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->scope, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE
		     ? 0
		     : repo_db_err(r->db, err, "catalog");
	sqlite3_finalize(st);
	s->audit_id = sqlite3_last_insert_rowid(r->db);
	return rc;
}

/* Loads and submits the selected objects until the selection, a budget
 * or a stop ends it. */
static int
feed(struct audit *a, struct sel *sel, struct vl_err *err)
{
	const struct fix_audit_opts *o = a->o;
	const struct row *w;
	struct aobj *obj;
	int rc;

	while ((rc = sel_next(sel, &w, err)) > 0) {
		if (o->stop && *o->stop)
			set_stop(a, FIX_STOP_SIGNAL);
		if (a->deadline > 0 && mono() >= a->deadline)
			set_stop(a, FIX_STOP_TIME);
		if (stopping(a))
			return 0;
		if (o->max_objects && a->started >= o->max_objects) {
			set_stop(a, FIX_STOP_OBJECTS);
			return 0;
		}
		if (!(obj = audit_obj_new(w->id, w->key, w->datestamp)))
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		if ((rc = audit_obj_load(&a->load, obj, err)) < 0) {
			audit_obj_free(obj);
			return rc;
		}
		/* Objects are taken while their total fits the budget; the
		 * first is taken whatever its size, so runs progress. */
		if (o->max_bytes && a->started &&
		    a->started_bytes + obj->bytes > o->max_bytes) {
			audit_obj_free(obj);
			set_stop(a, FIX_STOP_BYTES);
			return 0;
		}
		a->started++;
		a->started_bytes += obj->bytes;
		/* The tag files were read during the load: they count
		 * against --rate too. */
		if (o->rate)
			throttle(a, obj->in_memory_bytes);
		if ((rc = submit_object(a, obj, err)) < 0 ||
		    (rc = service(a, 0, err)) < 0)
			return rc;
	}
	return rc;
}

static int
engine_start(struct audit *a, struct vl_err *err)
{
	struct fix_engine_opts eo = { 0 };
	unsigned threads = a->o->threads ? a->o->threads : fix_cpu_count();
	unsigned queue;

	eo.algs = FIX_ALG_BIT(FIX_SHA256);
	eo.threads = threads;
	/* Throttled reads queue little, so a stop or the budget bites.
	 * Otherwise 256 jobs (at least 4 per thread) keep every thread
	 * busy, and bound the objects in flight, each holding its stored
	 * directory open, well below the usual limit of 1,024 open files
	 * even when every object has one file. */
	queue = 4 * threads;
	eo.queue = a->o->rate    ? 2 * threads
		   : queue < 256 ? 256
		   : queue > 512 ? 512
				 : queue;
	eo.open_src = open_src;
	eo.on_read = on_read;
	eo.done = file_done;
	eo.ctx = a;
	return fix_engine_new(&a->eng, &eo, err);
}

/* Objects an audit has nothing to read for: no bag in storage. */
static int
count_catalog_only(struct repo *r, uint64_t *n, struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(r, &st,
			       "SELECT count(*) FROM objects WHERE status ="
			       " 'active' AND storage_key IS NULL",
			       err)) < 0)
		return rc;
	rc = sqlite3_step(st) == SQLITE_ROW
		     ? 0
		     : repo_db_err(r->db, err, "catalog");
	if (rc == 0)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

int
fix_audit_run(struct repo *r, const struct fix_audit_opts *o,
	      struct fix_audit_summary *s, struct vl_err *err)
{
	struct audit a;
	struct sel sel;
	struct vl_err e2 = { 0 };
	int rc, rc2;

	memset(s, 0, sizeof(*s));
	memset(&a, 0, sizeof(a));
	memset(&sel, 0, sizeof(sel));
	a.r = r;
	a.load.r = r;
	a.o = o;
	a.s = s;
	a.done_tail = &a.done;
	a.batch_tail = &a.batch;
	pthread_mutex_init(&a.mu, NULL);
	pthread_mutex_init(&a.tmu, NULL);
	pthread_mutex_init(&a.wmu, NULL);
	pthread_cond_init(&a.wcv, NULL);
	if ((rc = check_selection(r, o, err)) < 0)
		goto out;
	a.t0 = a.last_flush = mono();
	if (o->max_time)
		a.deadline = a.t0 + (double)o->max_time;
	vl_time_now(s->started);
	describe_scope(s->scope, sizeof(s->scope), o);
	if (!o->n_ids && !o->collection &&
	    (rc = count_catalog_only(r, &s->catalog_only, err)) < 0)
		goto out;
	if ((rc = start_run(r, s, err)) < 0 ||
	    (rc = sel_init(&sel, r, o, s->audit_id, err)) < 0 ||
	    (rc = engine_start(&a, err)) < 0)
		goto out;
	if (pthread_create(&a.watcher, NULL, watch, &a) != 0) {
		rc = vl_err_set(err, VL_E_IO, "cannot start a thread");
		goto out;
	}
	a.watcher_up = 1;
	rc = feed(&a, &sel, err);
	/* Time and signals cut reading short; the other budgets only stop
	 * taking objects, and what was taken is finished. */
	if (rc < 0 || stopping(&a) == FIX_STOP_SIGNAL ||
	    stopping(&a) == FIX_STOP_TIME)
		fix_engine_cancel(a.eng);
	fix_engine_finish(a.eng, NULL);
	s->stopped_by = (enum fix_stop)stopping(&a);
	/* Whatever happened, record what finished. */
	rc2 = service(&a, 1, rc < 0 ? &e2 : err);
	if (rc == 0)
		rc = rc2;
out:
	if (a.watcher_up) {
		pthread_mutex_lock(&a.wmu);
		a.watcher_quit = 1;
		pthread_cond_signal(&a.wcv);
		pthread_mutex_unlock(&a.wmu);
		pthread_join(a.watcher, NULL);
	}
	fix_engine_free(a.eng);
	while (a.done) {
		struct aobj *next = a.done->next;

		audit_obj_free(a.done);
		a.done = next;
	}
	sel_release(&sel);
	audit_loader_release(&a.load);
	s->seconds = a.t0 > 0 ? mono() - a.t0 : 0;
	pthread_mutex_destroy(&a.mu);
	pthread_mutex_destroy(&a.tmu);
	pthread_mutex_destroy(&a.wmu);
	pthread_cond_destroy(&a.wcv);
	return rc;
}
