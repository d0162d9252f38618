/*
 * catalog.c - the SQLite catalog: opening it safely, versioned migrations,
 * transactions and small helpers.
 *
 * Invariants:
 *  - PRAGMA user_version is the number of migrations applied; a catalog
 *    with a higher number than this binary knows is refused, never touched.
 *  - Every migration runs in its own transaction together with the
 *    user_version bump, so a crash leaves the catalog at a whole version.
 *  - SQL is never formatted with data: every value is bound.
 * The schema is documented in docs/catalog.md; keep the two in step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo.h"

/* Migration N (1-based) brings the catalog from version N-1 to N.  Append
 * only: never edit a migration that has shipped. */
static const char *const migrations[] = {
	/* 1: the initial schema */
	"CREATE TABLE settings("
	"  key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE objects("
	"  id TEXT PRIMARY KEY,"
	"  created TEXT NOT NULL,"
	"  datestamp TEXT NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'active'"
	"    CHECK(status IN ('active','deleted')),"
	"  deleted_at TEXT, delete_reason TEXT,"
	"  title TEXT,"
	"  md_version INTEGER NOT NULL DEFAULT 0,"
	"  storage_key TEXT,"
	"  payload_files INTEGER NOT NULL DEFAULT 0,"
	"  payload_bytes INTEGER NOT NULL DEFAULT 0,"
	"  payload_digest TEXT,"
	"  source TEXT,"
	"  last_audit TEXT, last_audit_outcome TEXT);"
	"CREATE INDEX objects_oai ON objects(datestamp, id);"
	"CREATE INDEX objects_payload ON objects(payload_digest);"
	"CREATE INDEX objects_audit ON objects(last_audit, id);"
	"CREATE TABLE files("
	"  object_id TEXT NOT NULL REFERENCES objects(id) ON DELETE CASCADE,"
	"  path TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK(kind IN ('payload','tag')),"
	"  size INTEGER NOT NULL,"
	"  mime TEXT, format TEXT,"
	"  last_checked TEXT, last_outcome TEXT,"
	"  PRIMARY KEY(object_id, path)) WITHOUT ROWID;"
	"CREATE INDEX files_mime ON files(mime);"
	"CREATE TABLE digests("
	"  object_id TEXT NOT NULL, path TEXT NOT NULL,"
	"  algorithm TEXT NOT NULL, digest TEXT NOT NULL,"
	"  PRIMARY KEY(object_id, path, algorithm),"
	"  FOREIGN KEY(object_id, path) REFERENCES files(object_id, path)"
	"    ON DELETE CASCADE) WITHOUT ROWID;"
	"CREATE TABLE metadata("
	"  object_id TEXT NOT NULL REFERENCES objects(id) ON DELETE CASCADE,"
	"  version INTEGER NOT NULL,"
	"  format TEXT NOT NULL,"
	"  xml TEXT NOT NULL,"
	"  created TEXT NOT NULL,"
	"  agent TEXT, note TEXT,"
	"  PRIMARY KEY(object_id, version, format)) WITHOUT ROWID;"
	"CREATE TABLE collections("
	"  spec TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  description TEXT,"
	"  parent TEXT REFERENCES collections(spec),"
	"  created TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE object_collections("
	"  object_id TEXT NOT NULL REFERENCES objects(id) ON DELETE CASCADE,"
	"  spec TEXT NOT NULL REFERENCES collections(spec),"
	"  PRIMARY KEY(object_id, spec)) WITHOUT ROWID;"
	"CREATE INDEX object_collections_spec ON object_collections(spec,"
	"  object_id);"
	"CREATE TABLE events("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  uuid TEXT NOT NULL UNIQUE,"
	"  object_id TEXT,"
	"  file_path TEXT,"
	"  type TEXT NOT NULL,"
	"  datetime TEXT NOT NULL,"
	"  outcome TEXT NOT NULL"
	"    CHECK(outcome IN ('success','failure','warning')),"
	"  detail TEXT, outcome_detail TEXT,"
	"  agent TEXT NOT NULL, agent_user TEXT,"
	"  prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
	"CREATE INDEX events_object ON events(object_id, seq);"
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN"
	"  SELECT RAISE(ABORT, 'events are append-only'); END;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
	"  WHEN (SELECT value FROM settings WHERE key = 'allow_event_prune')"
	"       IS NOT 'yes' BEGIN"
	"  SELECT RAISE(ABORT, 'events are append-only'); END;"
	"CREATE TABLE audits("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  started TEXT NOT NULL, finished TEXT,"
	"  scope TEXT,"
	"  objects INTEGER NOT NULL DEFAULT 0,"
	"  files INTEGER NOT NULL DEFAULT 0,"
	"  bytes INTEGER NOT NULL DEFAULT 0,"
	"  failures INTEGER NOT NULL DEFAULT 0,"
	"  outcome TEXT, stopped_by TEXT);",
	/* 2: controlled vocabularies (SKOS), see docs/vocabularies.md */
	"CREATE TABLE vocab_schemes("
	"  id INTEGER PRIMARY KEY,"
	"  uri TEXT NOT NULL UNIQUE,"
	"  title TEXT,"
	"  code TEXT,"
	"  local INTEGER NOT NULL DEFAULT 0 CHECK(local IN (0,1)),"
	"  version TEXT,"
	"  source TEXT,"
	"  sha256 TEXT,"
	"  revision INTEGER NOT NULL DEFAULT 0,"
	"  imported TEXT NOT NULL,"
	"  triples INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE vocab_concepts("
	"  id INTEGER PRIMARY KEY,"
	"  uri TEXT NOT NULL UNIQUE,"
	"  scheme_id INTEGER REFERENCES vocab_schemes(id),"
	"  deprecated INTEGER NOT NULL DEFAULT 0,"
	"  status TEXT);"
	"CREATE TABLE vocab_members("
	"  scheme_id INTEGER NOT NULL REFERENCES vocab_schemes(id),"
	"  concept_id INTEGER NOT NULL REFERENCES vocab_concepts(id),"
	"  top INTEGER NOT NULL DEFAULT 0,"
	"  deprecated INTEGER,"
	"  status TEXT,"
	"  notation TEXT,"
	"  present INTEGER NOT NULL DEFAULT 1,"
	"  PRIMARY KEY(scheme_id, concept_id)) WITHOUT ROWID;"
	"CREATE INDEX vocab_members_concept ON vocab_members(concept_id);"
	"CREATE TABLE vocab_labels("
	"  id INTEGER PRIMARY KEY,"
	"  concept_id INTEGER NOT NULL REFERENCES vocab_concepts(id),"
	"  origin INTEGER NOT NULL REFERENCES vocab_schemes(id),"
	"  kind TEXT NOT NULL CHECK(kind IN ('pref','alt','hidden')),"
	"  lang TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  norm TEXT NOT NULL,"
	"  fold TEXT NOT NULL,"
	"  shadowed INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX vocab_labels_fold ON vocab_labels(fold);"
	"CREATE INDEX vocab_labels_concept ON vocab_labels(concept_id, origin);"
	"CREATE INDEX vocab_labels_pref ON vocab_labels(concept_id, lang, text)"
	"  WHERE kind = 'pref' AND shadowed = 0;"
	"CREATE TABLE vocab_links("
	"  concept_id INTEGER NOT NULL REFERENCES vocab_concepts(id),"
	"  origin INTEGER NOT NULL REFERENCES vocab_schemes(id),"
	"  kind TEXT NOT NULL,"
	"  target TEXT NOT NULL);"
	"CREATE INDEX vocab_links_concept ON vocab_links(concept_id, kind);"
	"CREATE INDEX vocab_links_target ON vocab_links(target, kind);"
	"CREATE TABLE vocab_notes("
	"  concept_id INTEGER NOT NULL REFERENCES vocab_concepts(id),"
	"  origin INTEGER NOT NULL REFERENCES vocab_schemes(id),"
	"  kind TEXT NOT NULL,"
	"  lang TEXT NOT NULL,"
	"  text TEXT NOT NULL);"
	"CREATE INDEX vocab_notes_concept ON vocab_notes(concept_id);"
	"CREATE TABLE vocab_changes("
	"  id INTEGER PRIMARY KEY,"
	"  scheme_id INTEGER NOT NULL REFERENCES vocab_schemes(id),"
	"  revision INTEGER NOT NULL,"
	"  time TEXT NOT NULL,"
	"  concept TEXT,"
	"  change TEXT NOT NULL,"
	"  detail TEXT);"
	"CREATE INDEX vocab_changes_scheme ON vocab_changes(scheme_id,"
	"  revision);"
	"CREATE TABLE vocab_remediations("
	"  id INTEGER PRIMARY KEY,"
	"  object_id TEXT NOT NULL REFERENCES objects(id),"
	"  from_version INTEGER NOT NULL,"
	"  to_version INTEGER NOT NULL,"
	"  format TEXT NOT NULL,"
	"  field TEXT NOT NULL,"
	"  original TEXT NOT NULL,"
	"  original_lang TEXT,"
	"  original_uri TEXT,"
	"  fold TEXT NOT NULL,"
	"  concept TEXT,"
	"  replacement TEXT NOT NULL,"
	"  scheme TEXT,"
	"  vocab_version TEXT,"
	"  event_uuid TEXT,"
	"  time TEXT NOT NULL);"
	"CREATE INDEX vocab_remediations_fold ON vocab_remediations(fold);"
	"CREATE INDEX vocab_remediations_object ON vocab_remediations("
	"  object_id, to_version);",
	/* 3: audit records and event prunes (formerly created on first
	 * use); metadata as a rowid table, since WITHOUT ROWID wastes most
	 * of a page on rows of a kilobyte or more (rendered records are);
	 * and an audit-order index that covers what audit selection reads. */
	"CREATE TABLE IF NOT EXISTS audit_results("
	"  audit_id INTEGER NOT NULL REFERENCES audits(id),"
	"  object_id TEXT NOT NULL REFERENCES objects(id) ON DELETE CASCADE,"
	"  checked TEXT NOT NULL,"
	"  outcome TEXT NOT NULL CHECK(outcome IN ('ok','failed')),"
	"  complete INTEGER NOT NULL,"
	"  files INTEGER NOT NULL, bytes INTEGER NOT NULL,"
	"  problems INTEGER NOT NULL, repaired INTEGER NOT NULL,"
	"  event_uuid TEXT,"
	"  PRIMARY KEY(object_id, audit_id)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS audit_findings("
	"  audit_id INTEGER NOT NULL, object_id TEXT NOT NULL,"
	"  path TEXT NOT NULL, outcome TEXT NOT NULL,"
	"  algorithm TEXT, expected TEXT, found TEXT, detail TEXT,"
	"  repaired INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY(object_id, audit_id, path),"
	"  FOREIGN KEY(object_id, audit_id) REFERENCES"
	"    audit_results(object_id, audit_id) ON DELETE CASCADE)"
	"  WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS audit_notices("
	"  audit_id INTEGER NOT NULL REFERENCES audits(id),"
	"  at TEXT NOT NULL, channel TEXT NOT NULL, target TEXT NOT NULL,"
	"  outcome TEXT NOT NULL CHECK(outcome IN ('sent','failed')),"
	"  message TEXT);"
	"CREATE INDEX IF NOT EXISTS audit_notices_audit ON"
	"  audit_notices(audit_id);"
	"CREATE TABLE IF NOT EXISTS event_prunes("
	"  seq INTEGER PRIMARY KEY, prev_hash TEXT NOT NULL,"
	"  hash TEXT NOT NULL, pruned TEXT NOT NULL);"
	"CREATE TABLE metadata_v3("
	"  object_id TEXT NOT NULL REFERENCES objects(id) ON DELETE CASCADE,"
	"  version INTEGER NOT NULL,"
	"  format TEXT NOT NULL,"
	"  xml TEXT NOT NULL,"
	"  created TEXT NOT NULL,"
	"  agent TEXT, note TEXT,"
	"  UNIQUE(object_id, version, format));"
	"INSERT INTO metadata_v3(object_id, version, format, xml, created,"
	"  agent, note) SELECT object_id, version, format, xml, created,"
	"  agent, note FROM metadata;"
	"DROP TABLE metadata;"
	"ALTER TABLE metadata_v3 RENAME TO metadata;"
	"DROP INDEX objects_audit;"
	"CREATE INDEX objects_audit ON objects(last_audit, id, status,"
	"  storage_key);",
	/* 4: the OAI-PMH harvester, see docs/harvest.md */
	"CREATE TABLE harvest_sources("
	"  name TEXT PRIMARY KEY,"
	"  url TEXT NOT NULL,"
	"  prefix TEXT NOT NULL,"
	"  set_spec TEXT,"
	"  collection TEXT,"
	"  delay_ms INTEGER NOT NULL DEFAULT 500,"
	"  created TEXT NOT NULL,"
	"  granularity TEXT,"
	"  metadata_ns TEXT,"
	"  harvested_until TEXT,"
	"  resume_token TEXT,"
	"  resume_from TEXT,"
	"  resume_date TEXT) WITHOUT ROWID;"
	"CREATE TABLE harvest_records("
	"  source TEXT NOT NULL,"
	"  identifier TEXT NOT NULL,"
	"  object_id TEXT REFERENCES objects(id),"
	"  datestamp TEXT NOT NULL,"
	"  digest TEXT,"
	"  status TEXT NOT NULL"
	"    CHECK(status IN ('active','deleted','rejected')),"
	"  problem TEXT,"
	"  harvested TEXT NOT NULL,"
	"  PRIMARY KEY(source, identifier)) WITHOUT ROWID;"
	"CREATE INDEX harvest_records_object ON harvest_records(object_id);"
	"CREATE TABLE harvest_runs("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  source TEXT NOT NULL,"
	"  started TEXT NOT NULL,"
	"  finished TEXT,"
	"  from_date TEXT,"
	"  resumed INTEGER NOT NULL DEFAULT 0,"
	"  outcome TEXT CHECK(outcome IN ('ok','failed')),"
	"  pages INTEGER NOT NULL DEFAULT 0,"
	"  records INTEGER NOT NULL DEFAULT 0,"
	"  added INTEGER NOT NULL DEFAULT 0,"
	"  updated INTEGER NOT NULL DEFAULT 0,"
	"  unchanged INTEGER NOT NULL DEFAULT 0,"
	"  deleted INTEGER NOT NULL DEFAULT 0,"
	"  rejected INTEGER NOT NULL DEFAULT 0,"
	"  response_date TEXT,"
	"  stopped_at TEXT,"
	"  error TEXT);"
	"CREATE INDEX harvest_runs_source ON harvest_runs(source, id);",
	/* 5: vocabulary lookups read a concept's prefLabels from this
	 * index alone.  SQLite counts a partial index as covering only if
	 * it holds every column the query names, those of its WHERE too,
	 * so kind and shadowed are carried (see docs/catalog.md). */
	"DROP INDEX vocab_labels_pref;"
	"CREATE INDEX vocab_labels_pref ON vocab_labels(concept_id, lang, text,"
	"  kind, shadowed) WHERE kind = 'pref' AND shadowed = 0;",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
repo_catalog_version(void)
{
	return N_MIGRATIONS;
}

int
repo_db_err(sqlite3 *db, struct vl_err *err, const char *what)
{
	return vl_err_set(err, VL_E_DB, "%s: %s", what,
			  db ? sqlite3_errmsg(db) : "no database");
}

static int
exec(sqlite3 *db, const char *sql, struct vl_err *err)
{
	char *msg = NULL;
	int rc;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	rc = vl_err_set(err, VL_E_DB, "catalog: %s",
			msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return rc;
}

static int
user_version(sqlite3 *db, int *out, struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL))
		return repo_db_err(db, err, "catalog");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return repo_db_err(db, err, "catalog");
	}
	*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int
migrate(sqlite3 *db, const char *path, struct vl_err *err)
{
	char sql[64];
	int v, rc;

	if ((rc = user_version(db, &v, err)) < 0)
		return rc;
	if (v > N_MIGRATIONS)
		return vl_err_set(err, VL_E_VERSION,
				  "catalog '%s' has schema version %d, newer "
				  "than this vellum (%d); upgrade vellum",
				  path, v, N_MIGRATIONS);
	for (; v < N_MIGRATIONS; v++) {
		if ((rc = exec(db, "BEGIN IMMEDIATE", err)) < 0)
			return rc;
		/* Re-read inside the lock: another process may have migrated.
		 */
		if ((rc = user_version(db, &v, err)) < 0)
			goto fail;
		if (v >= N_MIGRATIONS) {
			exec(db, "COMMIT", err);
			break;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if ((rc = exec(db, migrations[v], err)) < 0 ||
		    (rc = exec(db, sql, err)) < 0 ||
		    (rc = exec(db, "COMMIT", err)) < 0)
			goto fail;
	}
	return 0;
fail:
	exec(db, "ROLLBACK", NULL);
	return rc;
}

int
repo_catalog_open(sqlite3 **out, const char *path, int create,
		  struct vl_err *err)
{
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW |
		    SQLITE_OPEN_FULLMUTEX;
	int rc;

	*out = NULL;
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		rc = vl_err_set(err, create ? VL_E_DB : VL_E_NOTFOUND,
				"cannot open catalog '%s': %s", path,
				db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return rc;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, 30000);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	/* A damaged or foreign file is reported here, before any write. */
	if ((rc = exec(db, "PRAGMA journal_mode = WAL", err)) < 0 ||
	    (rc = exec(db, "PRAGMA synchronous = FULL", err)) < 0 ||
	    (rc = exec(db, "PRAGMA foreign_keys = ON", err)) < 0)
		goto fail;
	if ((rc = migrate(db, path, err)) < 0)
		goto fail;
	*out = db;
	return 0;
fail:
	if (rc == VL_E_DB) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
		vl_err_set(err, VL_E_DB, "catalog '%s' is unusable (%s)", path,
			   msg);
	}
	sqlite3_close(db);
	return rc;
}

int
repo_begin(struct repo *r, struct vl_err *err)
{
	return exec(r->db, "BEGIN IMMEDIATE", err);
}

int
repo_commit(struct repo *r, struct vl_err *err)
{
	return exec(r->db, "COMMIT", err);
}

void
repo_rollback(struct repo *r)
{
	if (!sqlite3_get_autocommit(r->db))
		exec(r->db, "ROLLBACK", NULL);
}

int
repo_prepare(struct repo *r, sqlite3_stmt **st, const char *sql,
	     struct vl_err *err)
{
	if (sqlite3_prepare_v2(r->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return repo_db_err(r->db, err, "catalog");
	}
	return 0;
}

int
repo_setting_get(struct repo *r, const char *key, char **out,
		 struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	if ((rc = repo_prepare(r, &st,
			       "SELECT value FROM settings WHERE key = ?",
			       err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = strdup((const char *)sqlite3_column_text(st, 0));
		rc = *out ? 0 : vl_err_set(err, VL_E_NOMEM, "out of memory");
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = repo_db_err(r->db, err, "catalog");
	}
	sqlite3_finalize(st);
	return rc;
}

int
repo_setting_set(struct repo *r, const char *key, const char *value,
		 struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(r, &st,
			       "INSERT INTO settings(key, value) VALUES(?, ?)"
			       " ON CONFLICT(key) DO UPDATE SET value ="
			       " excluded.value",
			       err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE
		     ? 0
		     : repo_db_err(r->db, err, "catalog");
	sqlite3_finalize(st);
	return rc;
}

static int
count(struct repo *r, const char *sql, int64_t *out, struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(r, &st, sql, err)) < 0)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = repo_db_err(r->db, err, "catalog");
	}
	sqlite3_finalize(st);
	return rc;
}

int
repo_stats(struct repo *r, struct repo_stats *s, struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = count(r,
			"SELECT count(*) FROM objects WHERE status ="
			" 'active'",
			&s->objects, err)) < 0 ||
	    (rc = count(r,
			"SELECT count(*) FROM objects WHERE status ="
			" 'deleted'",
			&s->deleted, err)) < 0 ||
	    (rc = count(r,
			"SELECT count(*) FROM files f JOIN objects o ON"
			" o.id = f.object_id WHERE o.status = 'active'"
			" AND f.kind = 'payload'",
			&s->files, err)) < 0 ||
	    (rc = count(r,
			"SELECT coalesce(sum(f.size), 0) FROM files f"
			" JOIN objects o ON o.id = f.object_id"
			" WHERE o.status = 'active' AND f.kind = 'payload'",
			&s->bytes, err)) < 0 ||
	    (rc = count(r, "SELECT count(*) FROM collections", &s->collections,
			err)) < 0 ||
	    (rc = count(r, "SELECT count(*) FROM events", &s->events, err)) <
		    0 ||
	    (rc = count(r,
			"SELECT count(*) FROM (SELECT DISTINCT object_id,"
			" version FROM metadata)",
			&s->metadata_versions, err)) < 0)
		return rc;
	if ((rc = repo_prepare(r, &st,
			       "SELECT coalesce(finished, started), outcome"
			       " FROM audits ORDER BY id DESC LIMIT 1",
			       err)) < 0)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		const char *o = (const char *)sqlite3_column_text(st, 1);

		snprintf(s->last_audit, sizeof(s->last_audit), "%s",
			 t ? t : "");
		snprintf(s->last_audit_outcome, sizeof(s->last_audit_outcome),
			 "%s", o ? o : "running");
	}
	sqlite3_finalize(st);
	return 0;
}
