/*
 * harvest_store.c - a harvested record becomes part of the repository.
 *
 * Each record of a source is keyed by (source name, its OAI identifier)
 * in harvest_records, which maps it to the object holding it:
 *
 *   header says   map says           what happens
 *   live          nothing            a new object (harvest_batch.c)
 *   live          active, same bytes nothing (unchanged)
 *   live          active, changed    ing_update: a new metadata version
 *   live          deleted/rejected   a new object (ids are never reused)
 *   deleted       active             ing_delete: a tombstone
 *   deleted       anything else      nothing
 *
 * "Same bytes" compares SHA-256 of the metadata element as harvested.
 * A harvested object is metadata-only and kept in the catalog alone (no
 * bag in storage): its forms are MODS, oai_dc and qualified DC rendered
 * from the record, `source` (the record as harvested) and `provenance`
 * (provenance.xsd: where it came from), so OAI-PMH serves the record
 * and, in its about container, the provenance; `vellum export` bags it
 * on demand.
 *
 * New records commit a batch at a time with their map rows.  An update
 * or a deletion commits on its own, then its map row is written; a
 * crash in between leaves the map behind, and the next harvest finds
 * the object by its derived id and objects.source and adopts it, never
 * duplicating.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "harvest_impl.h"

struct hv_store {
	struct repo *r;
	struct hv_store_opts o;
	struct hv_counts n;
	struct md_schemas *schemas;
	struct ing_reconciler *rcl;
	struct hv_batch *batch; /* new records waiting for their commit */
	int cache_pages;        /* the connection's cache_size before */
	int cache_set;
	int relaxed; /* synchronous = NORMAL until hv_store_settle() */
	/* the position after the last page read, until it is handed over
	 * with the records before it, and how many pages it waited */
	struct hv_then kept;
	unsigned pages_kept;
	sqlite3_stmt *get, *put; /* the map's statements, kept for the run */
	sqlite3_stmt *cand;      /* what holds a candidate id */
	sqlite3_stmt *seen;      /* sweep: identifiers the list held */
	uint64_t nseen;
};

struct mapping {
	int found;
	char object_id[ING_ID_MAX + 1]; /* "" when none */
	char status[16];
	char digest[65];
};

static int
id_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static void
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	fix_hex(out, md, 32);
}

void
oai_harvest_object_id(char out[129], const char *source, const char *identifier,
		      int hashed)
{
	const char *local = identifier, *p;
	char hex[65], clean[129];
	size_t i, sl = strlen(source), ll, room;
	int safe;

	/* oai:NAMESPACE:LOCAL (oai-identifier guidelines 2.1): the
	 * namespace is the same for a whole source, the local part is
	 * what tells records apart. */
	if (!strncmp(identifier, "oai:", 4) &&
	    (p = strchr(identifier + 4, ':')) && p[1])
		local = p + 1;
	ll = strlen(local);
	safe = ll > 0;
	for (i = 0; safe && i < ll; i++)
		safe = id_char((unsigned char)local[i]);
	if (!hashed && safe && sl + 1 + ll <= 128) {
		memcpy(out, source, sl);
		out[sl] = '-';
		memcpy(out + sl + 1, local, ll + 1);
		return;
	}
	/* Unsafe characters become '_' and a hash of the whole identifier
	 * keeps the id unique; 4 characters stay free for a ".N" suffix. */
	sha256_hex(identifier, strlen(identifier), hex);
	room = 124 - sl - 1 - 1 - 16;
	for (i = 0; i < ll && i < room && i < sizeof(clean) - 1; i++)
		clean[i] = id_char((unsigned char)local[i]) ? local[i] : '_';
	clean[i] = '\0';
	hex[16] = '\0';
	/* Fits: sl <= 124 - 18 - i by the choice of room. */
	if (snprintf(out, 129, "%s-%s%s%s", source, clean, i ? "-" : "", hex) >=
	    129)
		out[128] = '\0';
}

/* Every record is looked up in the map and among the objects, pages
 * spread over the whole catalog; with SQLite's default 2 MiB cache most
 * lookups read pages back.  64 MiB for the run, the old size restored at
 * the end.  (The storing thread's connection has its own.) */
static void
cache_grow(struct hv_store *s)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->r->db, "PRAGMA cache_size", -1, &st, NULL) !=
	    SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW) {
		s->cache_pages = sqlite3_column_int(st, 0);
		s->cache_set =
			sqlite3_exec(s->r->db, "PRAGMA cache_size = -65536",
				     NULL, NULL, NULL) == SQLITE_OK;
	}
	sqlite3_finalize(st);
}

static void
cache_restore(struct hv_store *s)
{
	char sql[64];

	if (!s->cache_set)
		return;
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = %d", s->cache_pages);
	sqlite3_exec(s->r->db, sql, NULL, NULL, NULL);
}

/*
 * While records are stored, commits do not wait for the disk
 * (synchronous = NORMAL: in WAL mode the catalog stays consistent, and a
 * power cut can lose only the last transactions, whole and in order).
 * A page's records commit with the position after it, so what such a
 * cut loses is a few pages the next run asks the source for again.  The
 * run's final transaction, after hv_store_settle(), is synchronous
 * again and makes everything before it durable (one fsync of the WAL).
 */
static void
relax(struct hv_store *s)
{
	s->relaxed = sqlite3_exec(s->r->db, "PRAGMA synchronous = NORMAL", NULL,
				  NULL, NULL) == SQLITE_OK;
}

/* The storing thread is idle: the main thread may write.  A batch that
 * failed is reported once, its records no longer counted as added. */
static int
quiet(struct hv_store *s, struct vl_err *err)
{
	uint64_t failed = 0;
	int rc = s->batch ? hv_batch_wait(s->batch, &failed, err) : 0;

	s->n.added -= failed;
	return rc;
}

static void
sync_full(struct hv_store *s)
{
	if (s->relaxed && sqlite3_exec(s->r->db, "PRAGMA synchronous = FULL",
				       NULL, NULL, NULL) == SQLITE_OK)
		s->relaxed = 0;
}

int
hv_store_settle(struct hv_store *s, struct vl_err *err)
{
	int rc;

	if (!s)
		return 0;
	/* What was read is kept, a stopped run's records included; the
	 * position stays after the last page stored whole. */
	rc = hv_store_flush(s, err);
	sync_full(s);
	return rc;
}

int
hv_store_open(struct hv_store **out, struct repo *r,
	      const struct hv_store_opts *o, struct vl_err *err)
{
	struct hv_batch_opts bo = { 0 };
	struct hv_store *s;
	int rc = 0;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	s->r = r;
	s->o = *o;
	if (r->cfg.schema_dir[0] &&
	    (rc = md_schemas_open(&s->schemas, r->cfg.schema_dir, err)) < 0)
		goto fail;
	if ((rc = ing_reconciler_open(&s->rcl, r, err)) < 0)
		goto fail;
	bo.max = o->batch;
	bo.source = o->source;
	bo.base_url = o->base_url;
	bo.collection = o->collection;
	bo.user = o->user;
	if ((rc = hv_batch_open(&s->batch, r, &bo, err)) < 0)
		goto fail;
	if (o->sweep &&
	    (sqlite3_exec(r->db,
			  "CREATE TEMP TABLE IF NOT EXISTS hv_seen("
			  " identifier TEXT PRIMARY KEY) WITHOUT ROWID;"
			  "DELETE FROM temp.hv_seen;",
			  NULL, NULL, NULL) != SQLITE_OK ||
	     (rc = repo_prepare(r, &s->seen,
				"INSERT OR IGNORE INTO temp.hv_seen"
				" VALUES(?)",
				err)) < 0)) {
		rc = rc < 0 ? rc : repo_db_err(r->db, err, "catalog");
		goto fail;
	}
	cache_grow(s);
	relax(s);
	*out = s;
	return 0;
fail:
	hv_store_free(s);
	return rc;
}

void
hv_store_free(struct hv_store *s)
{
	if (!s)
		return;
	hv_batch_free(s->batch); /* waits for a batch in flight */
	s->batch = NULL;
	hv_then_release(&s->kept);
	sync_full(s);
	sqlite3_finalize(s->get);
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->cand);
	sqlite3_finalize(s->seen);
	cache_restore(s);
	md_schemas_free(s->schemas);
	ing_reconciler_free(s->rcl);
	free(s);
}

const struct hv_counts *
hv_store_counts(const struct hv_store *s)
{
	return &s->n;
}

static void say(struct hv_store *s, enum oai_harvest_note kind, const char *fmt,
		...) __attribute__((format(printf, 3, 4)));

static void
say(struct hv_store *s, enum oai_harvest_note kind, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!s->o.warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->o.warn(s->o.ctx, kind, msg);
}

/* ---- the map: harvest_records ---- */

const char hv_map_put_sql[] =
	"INSERT INTO harvest_records(source, identifier, object_id,"
	" datestamp, digest, status, problem, harvested)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
	" ON CONFLICT(source, identifier) DO UPDATE SET"
	" object_id = excluded.object_id, datestamp = excluded.datestamp,"
	" digest = excluded.digest, status = excluded.status,"
	" problem = excluded.problem, harvested = excluded.harvested";

/* A statement kept for the run, reset and unbound; NULL with err set. */
static sqlite3_stmt *
kept(struct hv_store *s, sqlite3_stmt **st, const char *sql, struct vl_err *err)
{
	if (!*st &&
	    sqlite3_prepare_v3(s->r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
			       NULL) != SQLITE_OK) {
		*st = NULL;
		repo_db_err(s->r->db, err, "catalog");
		return NULL;
	}
	sqlite3_reset(*st);
	sqlite3_clear_bindings(*st);
	return *st;
}

static int
map_get(struct hv_store *s, const char *identifier, struct mapping *m,
	struct vl_err *err)
{
	sqlite3_stmt *st;
	const char *v;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!(st = kept(s, &s->get,
			"SELECT object_id, status, digest FROM"
			" harvest_records WHERE source = ?1 AND"
			" identifier = ?2",
			err)))
		return VL_E_DB;
	sqlite3_bind_text(st, 1, s->o.source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, identifier, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		m->found = 1;
		v = (const char *)sqlite3_column_text(st, 0);
		snprintf(m->object_id, sizeof(m->object_id), "%s", v ? v : "");
		v = (const char *)sqlite3_column_text(st, 1);
		snprintf(m->status, sizeof(m->status), "%s", v ? v : "");
		v = (const char *)sqlite3_column_text(st, 2);
		snprintf(m->digest, sizeof(m->digest), "%s", v ? v : "");
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = repo_db_err(s->r->db, err, "catalog");
	}
	sqlite3_reset(st);
	return rc;
}

/* Writes the map row of identifier.  NULL object_id or digest keep
 * nothing; problem NULL clears an earlier one. */
static int
map_put(struct hv_store *s, const char *identifier, const char *object_id,
	const char *datestamp, const char *digest, const char *status,
	const char *problem, struct vl_err *err)
{
	char now[VL_TIME_LEN];
	sqlite3_stmt *st;
	int rc;

	if ((rc = quiet(s, err)) < 0)
		return rc;
	vl_time_now(now);
	if (!(st = kept(s, &s->put, hv_map_put_sql, err)))
		return VL_E_DB;
	sqlite3_bind_text(st, 1, s->o.source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, identifier, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, object_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, datestamp, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, problem, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE
		     ? 0
		     : repo_db_err(s->r->db, err, "catalog");
	sqlite3_reset(st);
	return rc;
}

/* An object keeps its last good version; the map notes why the newer
 * one was refused. */
static int
map_problem(struct hv_store *s, const char *identifier, const char *problem,
	    struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = quiet(s, err)) < 0)
		return rc;
	if ((rc = repo_prepare(s->r, &st,
			       "UPDATE harvest_records SET problem = ?3"
			       " WHERE source = ?1 AND identifier = ?2",
			       err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, s->o.source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, identifier, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, problem, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE
		     ? 0
		     : repo_db_err(s->r->db, err, "catalog");
	sqlite3_finalize(st);
	return rc;
}

/* Errors that are the record's fault, not the repository's. */
static int
record_fault(int rc)
{
	return rc == VL_E_INVAL || rc == VL_E_FORMAT || rc == VL_E_UNSAFE ||
	       rc == VL_E_CHECK;
}

/* Refuses a record: counted, reported, remembered in the map (an object
 * that exists keeps its previous version). */
static int
reject(struct hv_store *s, const struct hv_record *rec, const struct mapping *m,
       const char *why, struct vl_err *err)
{
	s->n.rejected++;
	say(s, OAI_HARVEST_REJECTED, "%s: record '%s' refused: %s", s->o.source,
	    *rec->identifier ? rec->identifier : "(none)", why);
	if (!*rec->identifier)
		return 0;
	if (m->found && m->object_id[0] && !strcmp(m->status, "active"))
		return map_problem(s, rec->identifier, why, err);
	return map_put(s, rec->identifier, NULL,
		       *rec->datestamp ? rec->datestamp : "", NULL, "rejected",
		       why, err);
}

/* ---- describing a harvested record ---- */

struct desc {
	struct hv_store *s;
	const struct hv_record *rec;
	struct md_record *md;
};

static int
describe(void *ctx, const char *id, const char *bag, struct ing_description *d,
	 struct vl_err *err)
{
	struct desc *x = ctx;
	struct ing_describer ds = { .record = x->md, .schemas = x->s->schemas };
	struct oai_provenance p = { 0 };
	struct vl_buf b = VL_BUF_INIT;
	char now[VL_TIME_LEN], *copy;
	size_t len;
	int rc;

	if (x->s->rcl) {
		ds.reconcile = ing_reconcile;
		ds.reconcile_ctx = x->s->rcl;
	}
	if ((rc = ing_describe(&ds, id, bag, d, err)) < 0)
		return rc;
	/* The record exactly as harvested: the most authentic form. */
	if (!(copy = malloc(x->rec->len + 1)))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	memcpy(copy, x->rec->xml, x->rec->len);
	copy[x->rec->len] = '\0';
	if ((rc = ing_description_add(d, "source", ing_form_tag_file("source"),
				      copy, x->rec->len, err)) < 0)
		return rc;
	vl_time_now(now);
	p.base_url = x->s->o.base_url;
	p.identifier = x->rec->identifier;
	p.datestamp = x->rec->datestamp;
	p.ns = *x->rec->ns ? x->rec->ns : (x->s->o.ns ? x->s->o.ns : "");
	p.harvest_date = now;
	/* What is served is rendered from the record model (normalized,
	 * crosswalked), never the harvested bytes: altered. */
	p.altered = 1;
	p.origin = x->rec->origin;
	p.origin_len = x->rec->origin_len;
	if (oai_provenance_xml(&b, &p) < 0) {
		vl_buf_release(&b);
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	}
	copy = vl_buf_detach(&b, &len);
	return ing_description_add(d, "provenance",
				   ing_form_tag_file("provenance"), copy, len,
				   err);
}

/* The format of a record's metadata element: from its namespace, known
 * from the response already, else by looking at it. */
static enum md_format
format_of(const struct hv_record *rec)
{
	if (!strcmp(rec->ns, "http://www.openarchives.org/OAI/2.0/oai_dc/"))
		return MD_FMT_OAI_DC;
	if (!strcmp(rec->ns, "http://www.loc.gov/mods/v3"))
		return MD_FMT_MODS;
	return md_format_detect(rec->xml, rec->len, NULL);
}

/* Reads the harvested metadata into the record model; content problems
 * are the record's fault (VL_E_INVAL with the first one named). */
static int
read_record(struct md_record **out, const struct hv_record *rec,
	    struct vl_err *err)
{
	struct md_diag dg;
	enum md_format f;
	size_t i;
	int rc;

	*out = NULL;
	f = format_of(rec);
	if (f != MD_FMT_OAI_DC && f != MD_FMT_MODS && f != MD_FMT_DCTERMS)
		return vl_err_set(err, VL_E_INVAL,
				  "metadata in namespace '%s' is neither "
				  "oai_dc nor MODS",
				  *rec->ns ? rec->ns : "(none)");
	md_diag_init(&dg);
	/* The tree the response parser built, when there is one: the
	 * text is not parsed a second time. */
	rc = rec->node ? md_read_node(out, f, rec->node, rec->identifier, 0,
				      &dg, err)
		       : md_read(out, f, rec->xml, rec->len, rec->identifier, 0,
				 &dg, err);
	/* The content rules ingest applies (a title, dates, languages),
	 * checked here so the refusal names the record. */
	if (rc == 0)
		md_record_check(*out, rec->identifier, &dg);
	if (rc == 0 && dg.errors) {
		for (i = 0; i < dg.n; i++)
			if (dg.items[i].level == MD_ERROR)
				break;
		rc = vl_err_set(err, VL_E_INVAL, "%s",
				i < dg.n ? dg.items[i].msg
					 : "invalid metadata");
	} else if (rc == 0 && !md_record_title(*out)) {
		rc = vl_err_set(err, VL_E_INVAL, "the record has no title");
	}
	if (rc < 0) {
		md_record_free(*out);
		*out = NULL;
	}
	md_diag_release(&dg);
	return rc;
}

static void
report_warnings(struct hv_store *s, const struct ing_result *res)
{
	size_t i;

	for (i = 0; i < res->nwarnings; i++)
		say(s, OAI_HARVEST_INFO, "%s: %s: %s", s->o.source, res->id,
		    res->warnings[i]);
}

/* ---- the three changes ---- */

/* Hands what is held to the storing thread with the newest position:
 * then, else the one kept from an earlier page (whose records are all
 * held or stored by now). */
static int
hand_over(struct hv_store *s, struct hv_then *then, struct vl_err *err)
{
	struct hv_then t = s->kept;
	uint64_t failed = 0;
	int rc;

	memset(&s->kept, 0, sizeof(s->kept));
	if (then && then->fn) {
		hv_then_release(&t);
		t = *then;
		memset(then, 0, sizeof(*then));
	}
	s->pages_kept = 0;
	rc = hv_batch_flush(s->batch, &t, &failed, err);
	s->n.added -= failed;
	return rc;
}

int
hv_store_page_done(struct hv_store *s, struct hv_then *then, int last,
		   struct vl_err *err)
{
	/* A page's new records usually wait for the next ones: fewer,
	 * larger transactions write the catalog's index pages less often.
	 * The position waits with them, so it never runs ahead. */
	if (!last && !hv_batch_full(s->batch) &&
	    ++s->pages_kept < HV_PAGES_PER_COMMIT) {
		hv_then_release(&s->kept);
		s->kept = *then;
		memset(then, 0, sizeof(*then));
		return 0;
	}
	return hand_over(s, then, err);
}

int
hv_store_flush(struct hv_store *s, struct vl_err *err)
{
	int rc = hand_over(s, NULL, err);

	return rc < 0 ? rc : quiet(s, err);
}

/* Describes a new record and holds it for the next batch transaction;
 * a record its description refuses is rejected. */
static int
store_new(struct hv_store *s, const struct hv_record *rec, const char *id,
	  const char *digest, struct vl_err *err)
{
	struct ing_description d = { 0 };
	struct desc x = { .s = s, .rec = rec };
	struct mapping none = { 0 };
	size_t i;
	int rc;

	if ((rc = read_record(&x.md, rec, err)) == 0)
		rc = describe(&x, id, NULL, &d, err);
	md_record_free(x.md);
	if (rc < 0) {
		ing_description_release(&d);
		return record_fault(rc) ? reject(s, rec, &none, err->msg, err)
					: rc;
	}
	for (i = 0; i < d.nwarnings; i++)
		say(s, OAI_HARVEST_INFO, "%s: %s: %s", s->o.source, id,
		    d.warnings[i]);
	if ((rc = hv_batch_add(s->batch, id, rec->identifier, rec->datestamp,
			       digest, &d, err)) < 0) {
		ing_description_release(&d);
		return rc;
	}
	ing_description_release(&d);
	s->n.added++;
	return hv_batch_full(s->batch) ? hand_over(s, NULL, err) : 0;
}

static int
store_update(struct hv_store *s, const struct hv_record *rec,
	     const struct mapping *m, const char *digest, struct vl_err *err)
{
	struct ing_opts io = { 0 };
	struct ing_result res;
	struct desc x = { .s = s, .rec = rec };
	struct vl_buf note = VL_BUF_INIT;
	int rc;

	if ((rc = read_record(&x.md, rec, err)) < 0)
		return record_fault(rc) ? reject(s, rec, m, err->msg, err) : rc;
	if ((rc = quiet(s, err)) < 0) {
		md_record_free(x.md);
		return rc;
	}
	vl_buf_addf(&note, "harvest source '%s': %s (datestamp %s)",
		    s->o.source, rec->identifier, rec->datestamp);
	io.source = note.buf;
	io.user = s->o.user;
	io.describe = describe;
	io.describe_ctx = &x;
	rc = ing_update(s->r, m->object_id, &io, &res, err);
	md_record_free(x.md);
	vl_buf_release(&note);
	if (rc == VL_E_NOTFOUND) {
		/* A curator deleted it here: the source's change is not
		 * taken (ids are never reused, nothing is resurrected). */
		ing_result_release(&res);
		return reject(s, rec, m,
			      "its object was deleted in this repository", err);
	}
	if (rc < 0) {
		ing_result_release(&res);
		return record_fault(rc) ? reject(s, rec, m, err->msg, err) : rc;
	}
	report_warnings(s, &res);
	ing_result_release(&res);
	s->n.updated++;
	return map_put(s, rec->identifier, m->object_id, rec->datestamp, digest,
		       "active", NULL, err);
}

/* The object of identifier becomes a tombstone (the reason recorded),
 * and its map row says so. */
static int
delete_mapped(struct hv_store *s, const char *identifier, const char *datestamp,
	      const struct mapping *m, const char *reason, struct vl_err *err)
{
	int rc;

	if ((rc = quiet(s, err)) < 0)
		return rc;
	rc = ing_delete(s->r, m->object_id, reason, 0, err);
	if (rc == VL_E_NOTFOUND) /* already a tombstone here */
		vl_err_clear(err);
	else if (rc < 0)
		return rc;
	else
		s->n.deleted++;
	return map_put(s, identifier, m->object_id, datestamp,
		       m->digest[0] ? m->digest : NULL, "deleted", NULL, err);
}

static int
store_delete(struct hv_store *s, const struct hv_record *rec,
	     const struct mapping *m, struct vl_err *err)
{
	char reason[1024];

	snprintf(reason, sizeof(reason),
		 "deleted at harvest source '%s' (%s): %s, datestamp %s",
		 s->o.source, s->o.base_url, rec->identifier, rec->datestamp);
	return delete_mapped(s, rec->identifier, rec->datestamp, m, reason,
			     err);
}

/* What the catalog holds under a candidate id: 0 nothing, 1 this very
 * record (a store the map missed: adopt it), 2 something else. */
static int
candidate(struct hv_store *s, const char *id, const char *identifier,
	  char **source_xml, struct vl_err *err)
{
	sqlite3_stmt *st;
	const char *status, *src, *xml;
	int rc;

	*source_xml = NULL;
	if (!(st = kept(s, &s->cand,
			"SELECT o.status, o.source, m.xml FROM objects o"
			" LEFT JOIN metadata m ON m.object_id = o.id"
			" AND m.version = o.md_version"
			" AND m.format = 'source' WHERE o.id = ?1",
			err)))
		return VL_E_DB;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = 0;
	} else if (rc == SQLITE_ROW) {
		status = (const char *)sqlite3_column_text(st, 0);
		src = (const char *)sqlite3_column_text(st, 1);
		xml = (const char *)sqlite3_column_text(st, 2);
		rc = 2;
		if (status && !strcmp(status, "active") && src &&
		    !strcmp(src, identifier)) {
			rc = 1;
			if (xml && !(*source_xml = strdup(xml)))
				rc = vl_err_set(err, VL_E_NOMEM,
						"out of memory");
		}
	} else {
		rc = repo_db_err(s->r->db, err, "catalog");
	}
	sqlite3_reset(st);
	return rc;
}

/* A live record the map holds no live object for. */
static int
store_fresh(struct hv_store *s, const struct hv_record *rec,
	    const struct mapping *m, const char *digest, struct vl_err *err)
{
	char base[129], id[ING_ID_MAX + 1], *xml = NULL;
	struct mapping adopt = { 0 };
	int k, rc;

	for (k = 0; k < 10; k++) {
		if (k < 2) {
			oai_harvest_object_id(base, s->o.source,
					      rec->identifier, k);
			snprintf(id, sizeof(id), "%s", base);
		} else {
			if (snprintf(id, sizeof(id), "%s.%d", base, k) >=
			    (int)sizeof(id)) {
				k = 10; /* cannot happen: room was kept */
				break;
			}
		}
		if ((rc = candidate(s, id, rec->identifier, &xml, err)) < 0)
			return rc;
		if (rc == 0 && hv_batch_has(s->batch, id, NULL))
			continue; /* held for another record */
		if (rc == 0)
			return store_new(s, rec, id, digest, err);
		if (rc == 1)
			break;
	}
	if (k == 10)
		return reject(s, rec, m, "no free object identifier", err);
	/* Stored before, but the map never learned it (interrupted). */
	adopt.found = 1;
	snprintf(adopt.object_id, sizeof(adopt.object_id), "%s", id);
	snprintf(adopt.status, sizeof(adopt.status), "active");
	if (xml && strlen(xml) == rec->len &&
	    !memcmp(xml, rec->xml, rec->len)) {
		free(xml);
		s->n.unchanged++;
		return map_put(s, rec->identifier, id, rec->datestamp, digest,
			       "active", NULL, err);
	}
	free(xml);
	return store_update(s, rec, &adopt, digest, err);
}

int
hv_store_record(struct hv_store *s, const struct hv_record *rec,
		struct vl_err *err)
{
	struct mapping m = { 0 };
	char digest[65], norm[VL_TIME_LEN], why[300];
	enum oai_gran g;
	int rc;

	if (s->seen && *rec->identifier) {
		sqlite3_bind_text(s->seen, 1, rec->identifier, -1,
				  SQLITE_STATIC);
		rc = sqlite3_step(s->seen);
		sqlite3_reset(s->seen);
		if (rc != SQLITE_DONE)
			return repo_db_err(s->r->db, err, "catalog");
		s->nseen++;
	}
	/* The same record twice before a batch was stored: store it. */
	if (*rec->identifier && hv_batch_has(s->batch, NULL, rec->identifier) &&
	    (rc = hv_store_flush(s, err)) < 0)
		return rc;
	if (*rec->identifier && (rc = map_get(s, rec->identifier, &m, err)) < 0)
		return rc;
	if (rec->problem)
		return reject(s, rec, &m, rec->problem, err);
	/* §3.3.1: a datestamp is a UTC date or date and time.  The
	 * provenance we keep needs one (provenance.xsd). */
	if (oai_date_parse(rec->datestamp, 0, norm, &g) < 0) {
		snprintf(why, sizeof(why),
			 "datestamp '%.60s' is not a UTC datestamp (OAI-PMH "
			 "section 3.3)",
			 rec->datestamp);
		return reject(s, rec, &m, why, err);
	}
	if (rec->deleted) {
		if (m.found && m.object_id[0] && !strcmp(m.status, "active"))
			return store_delete(s, rec, &m, err);
		s->n.unchanged++;
		if (m.found && strcmp(m.status, "deleted"))
			return map_put(s, rec->identifier,
				       m.object_id[0] ? m.object_id : NULL,
				       rec->datestamp, NULL, "deleted", NULL,
				       err);
		return 0;
	}
	sha256_hex(rec->xml, rec->len, digest);
	if (m.found && m.object_id[0] && !strcmp(m.status, "active")) {
		if (!strcmp(m.digest, digest)) {
			s->n.unchanged++;
			return 0;
		}
		return store_update(s, rec, &m, digest, err);
	}
	return store_fresh(s, rec, &m, digest, err);
}

/* ---- sweeping what a whole list no longer holds ---- */

struct gone {
	char *identifier, *datestamp;
};

static void
gone_free(struct gone *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].identifier);
		free(v[i].datestamp);
	}
	free(v);
}

static char *
col_strdup(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	return strdup(v ? v : "");
}

/* The active records of the source the list did not hold; read whole
 * before any is deleted (deleting changes the table being read). */
static int
find_gone(struct hv_store *s, struct gone **out, size_t *n, struct vl_err *err)
{
	struct gone *v = NULL, *nv;
	size_t alloc = 0;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = repo_prepare(s->r, &st,
			       "SELECT identifier, datestamp"
			       " FROM harvest_records WHERE"
			       " source = ?1 AND status = 'active' AND"
			       " object_id IS NOT NULL AND identifier NOT IN"
			       " (SELECT identifier FROM temp.hv_seen)",
			       err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, s->o.source, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct gone *g;

		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			if (!(nv = reallocarray(v, alloc, sizeof(*v))))
				break;
			v = nv;
		}
		g = &v[(*n)++];
		memset(g, 0, sizeof(*g));
		g->identifier = col_strdup(st, 0);
		g->datestamp = col_strdup(st, 1);
		if (!g->identifier || !g->datestamp)
			break;
	}
	rc = rc == SQLITE_DONE  ? 0
	     : rc == SQLITE_ROW ? vl_err_set(err, VL_E_NOMEM, "out of memory")
				: repo_db_err(s->r->db, err, "catalog");
	sqlite3_finalize(st);
	if (rc < 0) {
		gone_free(v, *n);
		*n = 0;
		return rc;
	}
	*out = v;
	return 0;
}

int
hv_store_sweep(struct hv_store *s, uint64_t *swept, struct vl_err *err)
{
	char reason[1024], now[VL_TIME_LEN];
	uint64_t before = s->n.deleted;
	struct mapping m;
	struct gone *v;
	size_t n, i;
	int rc;

	*swept = 0;
	if ((rc = hv_store_flush(s, err)) < 0)
		return rc;
	if (!s->nseen) {
		say(s, OAI_HARVEST_WARNING,
		    "%s: the whole list held no record; nothing swept",
		    s->o.source);
		return 0;
	}
	if ((rc = find_gone(s, &v, &n, err)) < 0)
		return rc;
	vl_time_now(now);
	for (i = 0; i < n && rc == 0; i++) {
		snprintf(reason, sizeof(reason),
			 "no longer in the whole list of harvest source '%s'"
			 " (%s) on %s: %s",
			 s->o.source, s->o.base_url, now, v[i].identifier);
		if ((rc = map_get(s, v[i].identifier, &m, err)) == 0)
			rc = delete_mapped(s, v[i].identifier, v[i].datestamp,
					   &m, reason, err);
	}
	*swept = s->n.deleted - before;
	gone_free(v, n);
	return rc;
}
