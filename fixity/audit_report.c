/*
 * audit_report.c - the audit tables and what is read back from them: an
 * object's check history, the repository's fixity health, notification
 * records, and compaction of the success history (prune).
 *
 * The tables (docs/catalog.md, "Audit tables") are created here with
 * CREATE ... IF NOT EXISTS on first use, beside the catalog's numbered
 * migrations, so the audit needs no migration slot.  Invariants:
 *  - one audit_results row per object per audit that recorded it, linked
 *    to its PREMIS event by event_uuid;
 *  - one audit_findings row per problem file of such a check; findings
 *    exist only for failed checks, and a prune never removes a failed
 *    check, so no finding is ever lost;
 *  - objects.last_audit_outcome is 'ok', 'failed' or 'repaired' for the
 *    latest check; 'failed' is an open failure.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit_impl.h"

int
fix_audit_notice(struct repo *r, int64_t audit_id, const char *channel,
		 const char *target, int ok, const char *message,
		 struct vl_err *err)
{
	char now[VL_TIME_LEN];
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(r, &st,
			       "INSERT INTO audit_notices(audit_id, at,"
			       " channel, target, outcome, message)"
			       " VALUES(?,?,?,?,?,?)",
			       err)) < 0)
		return rc;
	vl_time_now(now);
	sqlite3_bind_int64(st, 1, audit_id);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ok ? "sent" : "failed", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, message ? message : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE
		     ? 0
		     : repo_db_err(r->db, err, "catalog");
	sqlite3_finalize(st);
	return rc;
}

/* ---- JSON from rows ---- */

/* Column i as a JSON value: text, integer or null. */
static json_t *
jcol(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL: return json_null();
	case SQLITE_INTEGER: return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT: return json_real(sqlite3_column_double(st, i));
	default: return json_string((const char *)sqlite3_column_text(st, i));
	}
}

/* Runs sql (parameters: text a, text b or integer n) and appends one
 * object per row, named by the columns, to arr.  At most max rows
 * (0 = all). */
static int
rows_json(struct repo *r, json_t *arr, const char *sql, const char *a,
	  const char *b, int64_t n, size_t max, struct vl_err *err)
{
	sqlite3_stmt *st;
	size_t count = 0;
	int rc, i, nc;

	if ((rc = repo_prepare(r, &st, sql, err)) < 0)
		return rc;
	if (a)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	else if (n >= 0)
		sqlite3_bind_int64(st, 2, n);
	nc = sqlite3_column_count(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	       (!max || count++ < max)) {
		json_t *o = json_object();

		for (i = 0; i < nc; i++)
			json_object_set_new(o, sqlite3_column_name(st, i),
					    jcol(st, i));
		json_array_append_new(arr, o);
	}
	rc = rc == SQLITE_DONE || rc == SQLITE_ROW
		     ? 0
		     : repo_db_err(r->db, err, "catalog");
	sqlite3_finalize(st);
	return rc;
}

static int
int_query(struct repo *r, const char *sql, const char *a, int64_t *out,
	  struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(r, &st, sql, err)) < 0)
		return rc;
	if (a)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = repo_db_err(r->db, err, "catalog");
	}
	sqlite3_finalize(st);
	return rc;
}

static const char findings_sql[] =
	"SELECT path, outcome, algorithm, expected, found, detail,"
	" repaired FROM audit_findings WHERE object_id = ?1 AND"
	" audit_id = ?2 ORDER BY path";

/* ---- history ---- */

int
fix_audit_history(struct repo *r, const char *id, json_t **out,
		  struct vl_err *err)
{
	json_t *h = NULL, *checks, *files;
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = repo_prepare(r, &st,
			       "SELECT id, status, last_audit,"
			       " last_audit_outcome FROM objects WHERE id = ?",
			       err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = vl_err_set(err, VL_E_NOTFOUND, "no object '%s'", id);
		goto out;
	}
	h = json_pack("{s:o, s:o, s:o, s:o}", "id", jcol(st, 0), "status",
		      jcol(st, 1), "last_audit", jcol(st, 2),
		      "last_audit_outcome", jcol(st, 3));
	checks = json_array();
	files = json_array();
	json_object_set_new(h, "checks", checks);
	json_object_set_new(h, "problem_files", files);
	if ((rc = rows_json(r, checks,
			    "SELECT audit_id AS audit, checked, outcome,"
			    " complete, files, bytes, problems, repaired,"
			    " event_uuid AS event FROM audit_results WHERE"
			    " object_id = ?1 ORDER BY audit_id DESC",
			    id, NULL, -1, 0, err)) < 0)
		goto out;
	for (i = 0; i < json_array_size(checks); i++) {
		json_t *c = json_array_get(checks, i), *fs = json_array();

		json_object_set_new(c, "findings", fs);
		if ((rc = rows_json(
			     r, fs, findings_sql, id, NULL,
			     json_integer_value(json_object_get(c, "audit")), 0,
			     err)) < 0)
			goto out;
	}
	/* The files' current state: every file not known to be intact. */
	rc = rows_json(r, files,
		       "SELECT path, kind, last_checked, last_outcome FROM"
		       " files WHERE object_id = ?1 AND (last_outcome IS NULL"
		       " OR last_outcome NOT IN ('ok', 'repaired'))"
		       " ORDER BY path",
		       id, NULL, -1, 0, err);
out:
	sqlite3_finalize(st);
	if (rc < 0)
		json_decref(h);
	else
		*out = h;
	return rc;
}

/* ---- health ---- */

#define OPEN_FAILURES_MAX 1000

int
fix_audit_health(struct repo *r, uint64_t since, json_t **out,
		 struct vl_err *err)
{
	char now[VL_TIME_LEN], cut[VL_TIME_LEN];
	int64_t objects = 0, recent = 0, never = 0, bytes = 0, rbytes = 0;
	int64_t nfail = 0;
	json_t *h = NULL, *oldest, *fails, *runs, *notes;
	size_t i;
	int rc;

	*out = NULL;
	vl_time_now(now);
	vl_time_format(cut, time(NULL) - (time_t)since);
	if ((rc = int_query(r,
			    "SELECT count(*) FROM objects WHERE status ="
			    " 'active' AND storage_key IS NOT NULL",
			    NULL, &objects, err)) < 0 ||
	    (rc = int_query(r,
			    "SELECT count(*) FROM objects WHERE status ="
			    " 'active' AND storage_key IS NOT NULL AND"
			    " last_audit >= ?1",
			    cut, &recent, err)) < 0 ||
	    (rc = int_query(r,
			    "SELECT count(*) FROM objects WHERE status ="
			    " 'active' AND storage_key IS NOT NULL AND"
			    " last_audit IS NULL",
			    NULL, &never, err)) < 0 ||
	    (rc = int_query(r,
			    "SELECT coalesce(sum(f.size), 0) FROM files f"
			    " JOIN objects o ON o.id = f.object_id WHERE"
			    " o.status = 'active'",
			    NULL, &bytes, err)) < 0 ||
	    (rc = int_query(r,
			    "SELECT coalesce(sum(f.size), 0) FROM files f"
			    " JOIN objects o ON o.id = f.object_id WHERE"
			    " o.status = 'active' AND o.last_audit >= ?1",
			    cut, &rbytes, err)) < 0 ||
	    (rc = int_query(r,
			    "SELECT count(*) FROM objects WHERE status ="
			    " 'active' AND last_audit_outcome = 'failed'",
			    NULL, &nfail, err)) < 0)
		return rc;
	h = json_pack("{s:s, s:I, s:s, s:I, s:I, s:{s:I, s:f, s:I, s:f}, s:I}",
		      "now", now, "since_seconds", (json_int_t)since, "since",
		      cut, "objects", (json_int_t)objects, "bytes",
		      (json_int_t)bytes, "checked_since", "objects",
		      (json_int_t)recent, "share",
		      objects ? (double)recent / (double)objects : 1.0, "bytes",
		      (json_int_t)rbytes, "bytes_share",
		      bytes ? (double)rbytes / (double)bytes : 1.0,
		      "never_checked", (json_int_t)never);
	oldest = json_array();
	fails = json_array();
	runs = json_array();
	notes = json_array();
	if ((rc = rows_json(r, oldest,
			    "SELECT id, last_audit AS checked FROM objects"
			    " WHERE status = 'active' AND storage_key IS NOT"
			    " NULL AND last_audit IS NOT NULL ORDER BY"
			    " last_audit, id LIMIT 1",
			    NULL, NULL, -1, 0, err)) < 0 ||
	    (rc = rows_json(r, fails,
			    "SELECT o.id, o.last_audit AS checked,"
			    " (SELECT max(audit_id) FROM audit_results a"
			    "  WHERE a.object_id = o.id) AS audit"
			    " FROM objects o WHERE o.status = 'active' AND"
			    " o.last_audit_outcome = 'failed' ORDER BY o.id",
			    NULL, NULL, -1, OPEN_FAILURES_MAX, err)) < 0 ||
	    (rc = rows_json(r, runs,
			    "SELECT id, started, finished, scope, objects,"
			    " files, bytes, failures, outcome, stopped_by"
			    " FROM audits ORDER BY id DESC LIMIT 5",
			    NULL, NULL, -1, 0, err)) < 0 ||
	    (rc = rows_json(r, notes,
			    "SELECT audit_id AS audit, at, channel, target,"
			    " message FROM audit_notices WHERE outcome ="
			    " 'failed' AND at >= ?1 ORDER BY at DESC",
			    cut, NULL, -1, 0, err)) < 0)
		goto out;
	json_object_set_new(h, "oldest_check",
			    json_array_size(oldest)
				    ? json_incref(json_array_get(oldest, 0))
				    : json_null());
	json_decref(oldest);
	for (i = 0; i < json_array_size(fails); i++) {
		json_t *f = json_array_get(fails, i), *fs = json_array();
		json_t *aid = json_object_get(f, "audit");

		json_object_set_new(f, "findings", fs);
		if (json_is_integer(aid) &&
		    (rc = rows_json(r, fs, findings_sql,
				    json_string_value(json_object_get(f, "id")),
				    NULL, json_integer_value(aid), 0, err)) < 0)
			goto out;
	}
	json_object_set_new(h, "open_failures_count", json_integer(nfail));
	json_object_set_new(h, "open_failures", fails);
	json_object_set_new(h, "last_runs", runs);
	json_object_set_new(h, "failed_notifications", notes);
	json_object_set_new(h, "ok", json_boolean(nfail == 0));
	*out = h;
	return 0;
out:
	json_decref(h);
	return rc;
}

/* ---- prune ---- */

struct victim {
	int64_t audit_id;
	char *object_id, *uuid;
};

struct prune {
	struct victim *v;
	size_t n, cap;
};

struct check {
	int64_t audit_id;
	int failed;
	char *uuid;
};

static int
add_victim(struct prune *p, const char *object_id, const struct check *c)
{
	struct victim *v;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;

		if (!(v = reallocarray(p->v, cap, sizeof(*v))))
			return -1;
		p->v = v;
		p->cap = cap;
	}
	v = &p->v[p->n];
	v->audit_id = c->audit_id;
	v->object_id = strdup(object_id);
	v->uuid = c->uuid ? strdup(c->uuid) : NULL;
	if (!v->object_id || (c->uuid && !v->uuid)) {
		free(v->object_id);
		free(v->uuid);
		return -1;
	}
	p->n++;
	return 0;
}

/* Decides for one object's checks, oldest first. */
static int
judge_checks(struct prune *p, struct fix_prune_report *rep, const char *id,
	     const struct check *c, size_t n, unsigned keep)
{
	size_t i, oks = 0, seen = 0;

	for (i = 0; i < n; i++)
		oks += !c[i].failed;
	rep->objects++;
	for (i = 0; i < n; i++) {
		int k = i == 0 || c[i].failed || c[i - 1].failed;

		if (!c[i].failed && seen++ >= oks - (oks < keep ? oks : keep))
			k = 1; /* among the `keep` latest successes */
		if (k) {
			rep->kept++;
		} else {
			if (add_victim(p, id, &c[i]) < 0)
				return -1;
			rep->pruned++;
		}
	}
	return 0;
}

static int
collect(struct repo *r, unsigned keep, struct prune *p,
	struct fix_prune_report *rep, struct vl_err *err)
{
	struct check *c = NULL, *nc;
	size_t n = 0, cap = 0, i;
	char *cur = NULL;
	sqlite3_stmt *st;
	int rc, step;

	if ((rc = repo_prepare(r, &st,
			       "SELECT object_id, audit_id, outcome,"
			       " event_uuid FROM audit_results ORDER BY"
			       " object_id, audit_id",
			       err)) < 0)
		return rc;
	do {
		const char *id = NULL;

		step = sqlite3_step(st);
		if (step == SQLITE_ROW)
			id = (const char *)sqlite3_column_text(st, 0);
		if (cur && (!id || strcmp(id, cur) != 0)) {
			if (judge_checks(p, rep, cur, c, n, keep) < 0) {
				rc = vl_err_set(err, VL_E_NOMEM,
						"out of memory");
				break;
			}
			for (i = 0; i < n; i++)
				free(c[i].uuid);
			n = 0;
			free(cur);
			cur = NULL;
		}
		if (!id)
			break;
		if (!cur && !(cur = strdup(id))) {
			rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(nc = reallocarray(c, cap, sizeof(*c)))) {
				rc = vl_err_set(err, VL_E_NOMEM,
						"out of memory");
				break;
			}
			c = nc;
		}
		c[n].audit_id = sqlite3_column_int64(st, 1);
		c[n].failed = !strcmp((const char *)sqlite3_column_text(st, 2),
				      "failed");
		c[n].uuid = sqlite3_column_type(st, 3) == SQLITE_NULL
				    ? NULL
				    : strdup((const char *)sqlite3_column_text(
					      st, 3));
		n++;
	} while (1);
	if (rc == 0 && step != SQLITE_DONE)
		rc = repo_db_err(r->db, err, "catalog");
	for (i = 0; i < n; i++)
		free(c[i].uuid);
	free(c);
	free(cur);
	sqlite3_finalize(st);
	return rc;
}

static int
remove_victims(struct repo *r, const struct prune *p,
	       struct fix_prune_report *rep, struct vl_err *err)
{
	sqlite3_stmt *del = NULL, *seq = NULL;
	int64_t *seqs = NULL;
	size_t i, ns = 0;
	int rc;

	if (p->n && !(seqs = calloc(p->n, sizeof(*seqs))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if ((rc = repo_prepare(r, &del,
			       "DELETE FROM audit_results WHERE object_id = ?"
			       " AND audit_id = ? AND outcome = 'ok'",
			       err)) < 0 ||
	    (rc = repo_prepare(r, &seq,
			       "SELECT seq FROM events WHERE uuid = ? AND"
			       " type = 'fix' AND outcome = 'success'",
			       err)) < 0)
		goto out;
	for (i = 0; i < p->n; i++) {
		sqlite3_bind_text(del, 1, p->v[i].object_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(del, 2, p->v[i].audit_id);
		if (sqlite3_step(del) != SQLITE_DONE) {
			rc = repo_db_err(r->db, err, "catalog");
			goto out;
		}
		sqlite3_reset(del);
		if (!p->v[i].uuid)
			continue;
		sqlite3_bind_text(seq, 1, p->v[i].uuid, -1, SQLITE_STATIC);
		if (sqlite3_step(seq) == SQLITE_ROW)
			seqs[ns++] = sqlite3_column_int64(seq, 0);
		sqlite3_reset(seq);
	}
	rep->events = ns;
	rc = repo_event_prune(r, seqs, ns, err);
out:
	sqlite3_finalize(del);
	sqlite3_finalize(seq);
	free(seqs);
	return rc;
}

int
fix_audit_prune(struct repo *r, unsigned keep, int dry_run,
		struct fix_prune_report *rep, struct vl_err *err)
{
	struct prune p = { 0 };
	size_t i;
	int rc;

	memset(rep, 0, sizeof(*rep));
	if ((rc = repo_begin(r, err)) < 0)
		return rc;
	if ((rc = collect(r, keep, &p, rep, err)) < 0)
		goto out;
	if (dry_run) {
		rep->events = p.n;
		goto out;
	}
	if ((rc = remove_victims(r, &p, rep, err)) < 0)
		goto out;
	rc = repo_commit(r, err);
out:
	if (rc < 0 || dry_run)
		repo_rollback(r);
	for (i = 0; i < p.n; i++) {
		free(p.v[i].object_id);
		free(p.v[i].uuid);
	}
	free(p.v);
	return rc;
}
