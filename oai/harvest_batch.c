/*
 * harvest_batch.c - new harvested records, stored a batch per catalog
 * transaction by a thread of their own.
 *
 * A harvested record becomes a metadata-only object kept in the catalog
 * alone: no bag in storage (docs/harvest.md says why).  Its description
 * (every rendering, the record as harvested, its provenance) is metadata
 * version 1, and `vellum export` bags it on demand.
 *
 *   main thread:    fetch, parse, describe ─► held ─► flush ─┐
 *                   (the next page meanwhile)                │ hand over
 *   storing thread: BEGIN IMMEDIATE ─► per record: the objects row (no
 *                   storage key), metadata version 1 (every form), the
 *                   collection, the PREMIS ingestion event, for values
 *                   changed through a vocabulary the metadata
 *                   modification event and remediation rows, the
 *                   harvest_records row ─► then (the page position)
 *                   ─► COMMIT, or ROLLBACK on any failure
 *
 * Two sets of items: the one being filled and the one being stored.  A
 * flush waits for the batch before it, so at most one is in flight; the
 * thread has its own connection (SQLite: one thread per connection at a
 * time), and the main thread writes nothing to the catalog while a
 * batch is in flight (harvest_store.c waits first).  Storing overlaps
 * the next page's transfer and description, which is what lets a
 * harvest keep up with the network.
 *
 * Checkpoints (the WAL copied into the database file, and its fsyncs)
 * would stall the storing thread for tens of milliseconds every few
 * batches; a third thread with a connection of its own runs them
 * instead (PASSIVE: never in a writer's way), started once the WAL holds
 * CKPT_FRAMES pages.  Should it fall behind, the storing thread waits
 * for a full one at CKPT_WAIT_FRAMES, so the WAL stays bounded.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "harvest_impl.h"

struct item {
	char id[ING_ID_MAX + 1];
	char *identifier, *datestamp;
	uint64_t id_hash, identifier_hash; /* looked at before the strings */
	char digest[65];
	struct ing_description d;
};

/* Items, and an index of them by id and by identifier (open addressing:
 * index + 1, 0 for an empty slot). */
struct items {
	struct item *v;
	size_t n;
	uint32_t *by_id, *by_identifier;
	size_t mask; /* slots - 1, slots a power of two >= 2 * max */
};

enum sql { S_OBJECT, S_COLL, S_META, S_MAP, N_SQL };

static const char *const sql_text[N_SQL] = {
	[S_OBJECT] = "INSERT INTO objects(id, created, datestamp, title,"
		     " md_version, storage_key, payload_files, payload_bytes,"
		     " payload_digest, source) VALUES(?1, ?2, ?2, ?3, 1, NULL,"
		     " 0, 0, NULL, ?4)",
	[S_COLL] = "INSERT OR IGNORE INTO object_collections VALUES(?1, ?2)",
	[S_META] = "INSERT INTO metadata(object_id, version, format, xml,"
		   " created, agent, note) VALUES(?1, 1, ?2, ?3, ?4, ?5,"
		   " 'ingest')",
	[S_MAP] = hv_map_put_sql,
};

#define CKPT_FRAMES      4096  /* 16 MiB of WAL (4 KiB pages) */
#define CKPT_WAIT_FRAMES 65536 /* 256 MiB */

struct hv_batch {
	struct repo *w; /* the storing thread's connection */
	sqlite3 *ck;    /* the checkpointing thread's */
	pthread_t ck_thread;
	int ck_started;
	pthread_cond_t ck_cv;
	int ck_want; /* under mu */
	struct hv_batch_opts o;
	struct items held, stored; /* being filled; handed over */
	sqlite3_stmt *st[N_SQL];   /* on w, prepared once per run */
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu */
	int busy;      /* `stored` and `then` are the thread's */
	int quit;      /* no more batches: the thread ends */
	int rc;        /* the last batch's outcome, until reported */
	uint64_t lost; /* how many records it did not store */
	struct vl_err err;
	struct hv_then then;
};

static void *store_thread(void *arg);
static void *ckpt_thread(void *arg);

/* After each commit on the storing thread's connection (sqlite3_wal_hook,
 * which replaces the automatic checkpoint). */
static int
on_wal(void *ctx, sqlite3 *db, const char *name, int frames)
{
	struct hv_batch *b = ctx;

	if (frames >= CKPT_WAIT_FRAMES) {
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_RESTART,
					  NULL, NULL);
	} else if (frames >= CKPT_FRAMES) {
		pthread_mutex_lock(&b->mu);
		b->ck_want = 1;
		pthread_cond_signal(&b->ck_cv);
		pthread_mutex_unlock(&b->mu);
	}
	return SQLITE_OK;
}

static int
items_new(struct items *it, size_t max)
{
	size_t slots = 16;

	while (slots < 2 * max)
		slots *= 2;
	it->n = 0;
	it->mask = slots - 1;
	it->v = calloc(max, sizeof(*it->v));
	it->by_id = calloc(slots, sizeof(*it->by_id));
	it->by_identifier = calloc(slots, sizeof(*it->by_identifier));
	return it->v && it->by_id && it->by_identifier ? 0 : -1;
}

static void
items_free(struct items *it)
{
	free(it->v);
	free(it->by_id);
	free(it->by_identifier);
}

static void
items_drop(struct items *it)
{
	size_t i;

	for (i = 0; i < it->n; i++) {
		free(it->v[i].identifier);
		free(it->v[i].datestamp);
		ing_description_release(&it->v[i].d);
		memset(&it->v[i], 0, sizeof(it->v[i]));
	}
	if (it->n) {
		memset(it->by_id, 0, (it->mask + 1) * sizeof(*it->by_id));
		memset(it->by_identifier, 0,
		       (it->mask + 1) * sizeof(*it->by_identifier));
	}
	it->n = 0;
}

void
hv_then_release(struct hv_then *t)
{
	if (t->free_ctx)
		t->free_ctx(t->ctx);
	memset(t, 0, sizeof(*t));
}

int
hv_batch_open(struct hv_batch **out, struct repo *r,
	      const struct hv_batch_opts *o, struct vl_err *err)
{
	struct hv_batch *b;
	int rc;

	*out = NULL;
	if (!(b = calloc(1, sizeof(*b))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	b->o = *o;
	if (!b->o.max)
		b->o.max = 1;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	pthread_cond_init(&b->ck_cv, NULL);
	if (items_new(&b->held, b->o.max) < 0 ||
	    items_new(&b->stored, b->o.max) < 0) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto fail;
	}
	if ((rc = repo_open(&b->w, r->path, err)) < 0)
		goto fail;
	/* A batch touches a few thousand catalog pages; with SQLite's
	 * default 2 MiB cache each commit reads many of them back.  Its
	 * commits need not wait for the disk: harvest_store.c relax(). */
	sqlite3_exec(b->w->db,
		     "PRAGMA cache_size = -65536; PRAGMA synchronous = NORMAL",
		     NULL, NULL, NULL);
	if ((rc = repo_catalog_open(&b->ck, sqlite3_db_filename(b->w->db, NULL),
				    0, err)) < 0)
		goto fail;
	if (pthread_create(&b->ck_thread, NULL, ckpt_thread, b) != 0) {
		rc = vl_err_set(err, VL_E_IO, "cannot start a thread");
		goto fail;
	}
	b->ck_started = 1;
	sqlite3_wal_hook(b->w->db, on_wal, b);
	if (pthread_create(&b->thread, NULL, store_thread, b) != 0) {
		rc = vl_err_set(err, VL_E_IO, "cannot start a thread");
		goto fail;
	}
	b->started = 1;
	*out = b;
	return 0;
fail:
	hv_batch_free(b);
	return rc;
}

void
hv_batch_free(struct hv_batch *b)
{
	unsigned i;

	if (!b)
		return;
	pthread_mutex_lock(&b->mu);
	b->quit = 1;
	pthread_cond_broadcast(&b->cv);
	pthread_cond_broadcast(&b->ck_cv);
	pthread_mutex_unlock(&b->mu);
	if (b->started)
		pthread_join(b->thread, NULL);
	if (b->ck_started)
		pthread_join(b->ck_thread, NULL);
	if (b->w)
		sqlite3_wal_hook(b->w->db, NULL, NULL);
	sqlite3_close(b->ck);
	items_drop(&b->held);
	items_drop(&b->stored);
	hv_then_release(&b->then);
	items_free(&b->held);
	items_free(&b->stored);
	for (i = 0; i < N_SQL; i++)
		sqlite3_finalize(b->st[i]);
	repo_close(b->w);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
	pthread_cond_destroy(&b->ck_cv);
	free(b);
}

int
hv_batch_full(const struct hv_batch *b)
{
	return b->held.n >= b->o.max;
}

static void
index_put(uint32_t *slots, size_t mask, uint64_t h, size_t i)
{
	size_t k = (size_t)h & mask;

	while (slots[k])
		k = (k + 1) & mask;
	slots[k] = (uint32_t)i + 1;
}

/* Is an item with this id (by_id) or identifier there? */
static int
index_has(const struct items *it, const uint32_t *slots, uint64_t h,
	  const char *key, int by_id)
{
	const struct item *x;
	size_t k = (size_t)h & it->mask;

	for (; slots[k]; k = (k + 1) & it->mask) {
		x = &it->v[slots[k] - 1];
		if (by_id ? x->id_hash == h && !strcmp(x->id, key)
			  : x->identifier_hash == h &&
				    !strcmp(x->identifier, key))
			return 1;
	}
	return 0;
}

static int
items_have(const struct items *it, const char *id, uint64_t hid,
	   const char *identifier, uint64_t hident)
{
	return (id && index_has(it, it->by_id, hid, id, 1)) ||
	       (identifier &&
		index_has(it, it->by_identifier, hident, identifier, 0));
}

int
hv_batch_has(const struct hv_batch *b, const char *id, const char *identifier)
{
	uint64_t hid = id ? vl_hash_str(id) : 0;
	uint64_t hident = identifier ? vl_hash_str(identifier) : 0;

	/* `stored` only changes while no batch is in flight, and the
	 * thread only reads it: looking at it here is safe. */
	return items_have(&b->held, id, hid, identifier, hident) ||
	       items_have(&b->stored, id, hid, identifier, hident);
}

int
hv_batch_add(struct hv_batch *b, const char *id, const char *identifier,
	     const char *datestamp, const char *digest,
	     struct ing_description *d, struct vl_err *err)
{
	struct item *it;

	if (b->held.n >= b->o.max)
		return vl_err_set(err, VL_E_INVAL, "harvest batch is full");
	it = &b->held.v[b->held.n];
	memset(it, 0, sizeof(*it));
	snprintf(it->id, sizeof(it->id), "%s", id);
	snprintf(it->digest, sizeof(it->digest), "%s", digest);
	it->identifier = strdup(identifier);
	it->datestamp = strdup(datestamp);
	it->d = *d;
	memset(d, 0, sizeof(*d));
	b->held.n++;
	if (!it->identifier || !it->datestamp)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	it->id_hash = vl_hash_str(it->id);
	it->identifier_hash = vl_hash_str(identifier);
	index_put(b->held.by_id, b->held.mask, it->id_hash, b->held.n - 1);
	index_put(b->held.by_identifier, b->held.mask, it->identifier_hash,
		  b->held.n - 1);
	return 0;
}

/* ---- the storing thread ---- */

/* The statement, reset and unbound, prepared on first use. */
static sqlite3_stmt *
stmt(struct hv_batch *b, enum sql id, struct vl_err *err)
{
	if (!b->st[id] && sqlite3_prepare_v3(b->w->db, sql_text[id], -1,
					     SQLITE_PREPARE_PERSISTENT,
					     &b->st[id], NULL) != SQLITE_OK) {
		b->st[id] = NULL;
		repo_db_err(b->w->db, err, "catalog");
		return NULL;
	}
	sqlite3_reset(b->st[id]);
	sqlite3_clear_bindings(b->st[id]);
	return b->st[id];
}

static int
exec_args(struct hv_batch *b, enum sql id, const char *const *a, int n,
	  struct vl_err *err)
{
	sqlite3_stmt *st = stmt(b, id, err);
	int i;

	if (!st)
		return VL_E_DB;
	for (i = 0; i < n; i++)
		sqlite3_bind_text(st, i + 1, a[i], -1, SQLITE_STATIC);
	return sqlite3_step(st) == SQLITE_DONE
		       ? 0
		       : repo_db_err(b->w->db, err, "catalog");
}

static int
insert_metadata(struct hv_batch *b, struct item *it, const char *now,
		struct vl_err *err)
{
	sqlite3_stmt *st;
	size_t i;

	for (i = 0; i < it->d.n; i++) {
		if (!(st = stmt(b, S_META, err)))
			return VL_E_DB;
		sqlite3_bind_text(st, 1, it->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, it->d.forms[i].format, -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(st, 3, it->d.forms[i].data,
				  (int)it->d.forms[i].len, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, b->o.user, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			return repo_db_err(b->w->db, err, "catalog");
	}
	return 0;
}

/* PREMIS 3: the object came into the repository (ingestion), from
 * where; values changed through a vocabulary are their own event. */
static int
record_events(struct hv_batch *b, struct item *it, const char *now,
	      struct vl_err *err)
{
	struct repo_event ev = { .object_id = it->id,
				 .type = "ing",
				 .datetime = now };
	struct vl_buf detail = VL_BUF_INIT;
	int rc;

	vl_buf_addf(&detail,
		    "harvested %s (datestamp %s) from harvest source '%s' "
		    "(%s): a metadata-only object kept in the catalog, no "
		    "bag in storage",
		    it->identifier, it->datestamp, b->o.source, b->o.base_url);
	ev.detail = detail.buf;
	ev.outcome = it->d.nwarnings ? REPO_WARNING : REPO_SUCCESS;
	ev.outcome_detail = it->d.nwarnings ? "with warnings" : NULL;
	if ((rc = repo_event_add(b->w, &ev, NULL, err)) == 0)
		rc = ing_record_changes(b->w, it->id, 1, &it->d, now, err);
	vl_buf_release(&detail);
	return rc;
}

static int
insert_item(struct hv_batch *b, struct item *it, const char *now,
	    struct vl_err *err)
{
	const char *a[8];
	int rc;

	a[0] = it->id;
	a[1] = now;
	a[2] = it->d.title;
	a[3] = it->identifier;
	if ((rc = exec_args(b, S_OBJECT, a, 4, err)) < 0 ||
	    (rc = insert_metadata(b, it, now, err)) < 0)
		return rc;
	if (b->o.collection) {
		a[1] = b->o.collection;
		if ((rc = exec_args(b, S_COLL, a, 2, err)) < 0)
			return rc;
	}
	if ((rc = record_events(b, it, now, err)) < 0)
		return rc;
	a[0] = b->o.source;
	a[1] = it->identifier;
	a[2] = it->id;
	a[3] = it->datestamp;
	a[4] = it->digest;
	a[5] = "active";
	a[6] = NULL;
	a[7] = now;
	return exec_args(b, S_MAP, a, 8, err);
}

/* One batch: all of it and then, or nothing. */
static int
store_batch(struct hv_batch *b, struct vl_err *err)
{
	char now[VL_TIME_LEN];
	size_t i;
	int rc;

	if ((rc = repo_begin(b->w, err)) < 0)
		return rc;
	/* The datestamp is set late, inside the transaction (docs/oai.md:
	 * a list freezes `until` before it starts). */
	vl_time_now(now);
	if (b->o.collection && b->stored.n)
		rc = repo_collection_ensure(b->w, b->o.collection, err);
	for (i = 0; i < b->stored.n && rc == 0; i++)
		rc = insert_item(b, &b->stored.v[i], now, err);
	if (rc == 0 && b->then.fn)
		rc = b->then.fn(b->then.ctx, b->w, err);
	if (rc == 0)
		rc = repo_commit(b->w, err);
	if (rc < 0)
		repo_rollback(b->w);
	return rc;
}

static void *
store_thread(void *arg)
{
	struct hv_batch *b = arg;
	struct vl_err err;
	int rc;

	pthread_setname_np(pthread_self(), "vellum-store");
	pthread_mutex_lock(&b->mu);
	for (;;) {
		while (!b->busy && !b->quit)
			pthread_cond_wait(&b->cv, &b->mu);
		if (!b->busy)
			break;
		pthread_mutex_unlock(&b->mu);
		vl_err_clear(&err);
		rc = store_batch(b, &err);
		pthread_mutex_lock(&b->mu);
		if (rc < 0 && b->rc == 0) {
			b->rc = rc;
			b->err = err;
			b->lost = b->stored.n;
		}
		b->busy = 0;
		pthread_cond_broadcast(&b->cv);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/* Checkpoints, whenever the storing thread asks for one. */
static void *
ckpt_thread(void *arg)
{
	struct hv_batch *b = arg;

	pthread_setname_np(pthread_self(), "vellum-ckpt");
	pthread_mutex_lock(&b->mu);
	for (;;) {
		while (!b->ck_want && !b->quit)
			pthread_cond_wait(&b->ck_cv, &b->mu);
		if (b->quit)
			break;
		b->ck_want = 0;
		pthread_mutex_unlock(&b->mu);
		/* A failure leaves the WAL longer; the storing thread's
		 * own checkpoint at CKPT_WAIT_FRAMES still bounds it. */
		sqlite3_wal_checkpoint_v2(
			b->ck, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&b->mu);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/* ---- the main thread's side ---- */

int
hv_batch_wait(struct hv_batch *b, uint64_t *failed, struct vl_err *err)
{
	int rc;

	pthread_mutex_lock(&b->mu);
	while (b->busy)
		pthread_cond_wait(&b->cv, &b->mu);
	rc = b->rc;
	if (rc < 0) {
		*err = b->err;
		if (failed)
			*failed = b->lost;
	}
	b->rc = 0;
	b->lost = 0;
	pthread_mutex_unlock(&b->mu);
	/* Idle: what was stored (or not) is the main thread's again. */
	items_drop(&b->stored);
	hv_then_release(&b->then);
	return rc;
}

int
hv_batch_flush(struct hv_batch *b, struct hv_then *then, uint64_t *failed,
	       struct vl_err *err)
{
	struct items t;
	int rc;

	if ((rc = hv_batch_wait(b, failed, err)) < 0) {
		if (failed)
			*failed += b->held.n;
		items_drop(&b->held);
		if (then)
			hv_then_release(then);
		return rc;
	}
	if (!b->held.n && !(then && then->fn)) {
		if (then)
			hv_then_release(then);
		return 0;
	}
	t = b->stored;
	b->stored = b->held;
	b->held = t;
	if (then) {
		b->then = *then;
		memset(then, 0, sizeof(*then));
	}
	pthread_mutex_lock(&b->mu);
	b->busy = 1;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	return 0;
}
