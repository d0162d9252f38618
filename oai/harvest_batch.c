/*
 * harvest_batch.c - the fast path for new harvested records: a batch of
 * them stored in one catalog transaction, each still its own valid
 * BagIt bag in storage.
 *
 * ing_ingest() stores one object per transaction and makes every step
 * durable on its own (the bag's files, each tag file it adds, the stage,
 * the catalog): some twenty fsyncs for a metadata-only object, which
 * bounds a harvest at a few dozen records a second.  Here a batch is:
 *
 *   describe ─► BEGIN ─► rows, events, premis.xml, tag files and their
 *   (caller)   IMMEDIATE  digests, map rows (all in memory and the txn)
 *                      ─► bags written into the stages of one stage group
 *                         (a worker thread per core)
 *                      ─► all stages stored together: two syncfs calls
 *                         and a rename each (repo_stage_commit_many)
 *                      ─► COMMIT ─► stages finished
 *
 *   any failure before COMMIT ─► ROLLBACK, every stored bag undone
 *   (repo_stage_rollback); a crash ─► the markers of committed stages
 *   let repo_store_clean_stages() remove objects the catalog never got.
 *
 * The result is what the ingest pipeline would have stored for an empty
 * payload: bagit.txt, bag-info.txt, an empty payload manifest per
 * algorithm, data/, the metadata tag files, metadata/premis.xml, a tag
 * manifest per algorithm; the catalog holds the object, its files and
 * digests (tag manifests included), metadata version 1, the collection,
 * PREMIS events (message digest calculation, ingestion) and the map row,
 * all committed together.  Records whose description changed a value
 * through a vocabulary (remediation rows, a metadata modification event)
 * are not batched: the caller ingests them one by one.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harvest_impl.h"

#define MAX_WORKERS 8
#define MAX_FILES   (ING_MAX_FORMS + 4 + 2 * FIX_ALG_COUNT)

struct bag_file {
	const char *path; /* static or owned by the item */
	char *data;       /* owned */
	size_t len;
	struct fix_digests dg;
};

struct item {
	char id[ING_ID_MAX + 1];
	char *identifier, *datestamp;
	char digest[65];
	struct ing_description d;
	struct bag_file files[MAX_FILES];
	size_t nfiles;
	struct repo_stage *stage;
	int rc;
	struct vl_err err;
};

enum sql { S_OBJECT, S_COLL, S_FILE, S_DIGEST, S_META, N_SQL };

static const char *const sql_text[N_SQL] = {
	[S_OBJECT] = "INSERT INTO objects(id, created, datestamp, title,"
		     " md_version, storage_key, payload_files, payload_bytes,"
		     " payload_digest, source) VALUES(?1, ?2, ?2, ?3, 1, ?4,"
		     " 0, 0, ?5, ?6)",
	[S_COLL] = "INSERT OR IGNORE INTO object_collections VALUES(?1, ?2)",
	[S_FILE] = "INSERT INTO files(object_id, path, kind, size)"
		   " VALUES(?1, ?2, 'tag', ?3)",
	[S_DIGEST] = "INSERT INTO digests(object_id, path, algorithm, digest)"
		     " VALUES(?1, ?2, ?3, ?4)",
	[S_META] = "INSERT INTO metadata(object_id, version, format, xml,"
		   " created, agent, note) VALUES(?1, 1, ?2, ?3, ?4, ?5,"
		   " 'ingest')",
};

struct hv_batch {
	struct repo *r;
	unsigned nworkers;
	unsigned algs;
	size_t max;
	struct item *items;
	size_t n;
	const char *collection;
	char payload_digest[80];
	/* the items built and not yet taken by a storing thread */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t ready, next;
	int closed;
	/* the stages of the batch: one directory, lock and marker */
	struct repo_stage_group *sg;
	/* manifest-ALG.txt and tagmanifest-ALG.txt */
	char manifest[FIX_ALG_COUNT][2][48];
	sqlite3_stmt *st[N_SQL]; /* prepared once per run */
};

int
hv_batch_open(struct hv_batch **out, struct repo *r, size_t max,
	      const char *collection, struct vl_err *err)
{
	static const int prefer[] = { FIX_SHA512,     FIX_SHA256, FIX_SHA3_512,
				      FIX_BLAKE2B512, FIX_SHA384, FIX_SHA1,
				      FIX_MD5 };
	struct hv_batch *b;
	unsigned char md[32];
	unsigned int mdn = 0;
	size_t i;
	int rc, a;

	*out = NULL;
	if (!(b = calloc(1, sizeof(*b))) ||
	    !(b->items = calloc(max, sizeof(*b->items)))) {
		free(b);
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	}
	b->r = r;
	b->max = max;
	b->collection = collection;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	if ((rc = fix_algs_parse(r->cfg.digests, &b->algs, err)) < 0) {
		hv_batch_free(b);
		return rc;
	}
	/* The duplicate key the pipeline gives an empty payload: its
	 * preferred algorithm's name and SHA-256 of no manifest lines. */
	for (i = 0; i < sizeof(prefer) / sizeof(prefer[0]); i++)
		if (b->algs & FIX_ALG_BIT(prefer[i]))
			break;
	if (i < sizeof(prefer) / sizeof(prefer[0]))
		a = prefer[i];
	else
		for (a = 0; a < FIX_ALG_COUNT; a++)
			if (b->algs & FIX_ALG_BIT(a))
				break;
	EVP_Digest("", 0, md, &mdn, EVP_sha256(), NULL);
	snprintf(b->payload_digest, sizeof(b->payload_digest),
		 "%s:", fix_alg_name(a));
	fix_hex(b->payload_digest + strlen(b->payload_digest), md, 32);
	for (a = 0; a < FIX_ALG_COUNT; a++)
		if (b->algs & FIX_ALG_BIT(a)) {
			snprintf(b->manifest[a][0], sizeof(b->manifest[a][0]),
				 "manifest-%s.txt", fix_alg_name(a));
			snprintf(b->manifest[a][1], sizeof(b->manifest[a][1]),
				 "tagmanifest-%s.txt", fix_alg_name(a));
		}
	/* Writing bags is kernel work (creating files): a thread per core;
	 * the syncs are made once for the batch (store_all). */
	b->nworkers = fix_cpu_count();
	if (b->nworkers > MAX_WORKERS)
		b->nworkers = MAX_WORKERS;
	if (max < b->nworkers)
		b->nworkers = max ? (unsigned)max : 1;
	*out = b;
	return 0;
}

static void
item_release(struct item *it)
{
	size_t i;

	free(it->identifier);
	free(it->datestamp);
	ing_description_release(&it->d);
	for (i = 0; i < it->nfiles; i++)
		free(it->files[i].data);
	repo_stage_abort(it->stage);
	memset(it, 0, sizeof(*it));
}

static void
drop_all(struct hv_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		item_release(&b->items[i]);
	b->n = 0;
}

void
hv_batch_free(struct hv_batch *b)
{
	unsigned i;

	if (!b)
		return;
	drop_all(b);
	for (i = 0; i < N_SQL; i++)
		sqlite3_finalize(b->st[i]);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
	free(b->items);
	free(b);
}

size_t
hv_batch_count(const struct hv_batch *b)
{
	return b->n;
}

int
hv_batch_full(const struct hv_batch *b)
{
	return b->n >= b->max;
}

int
hv_batch_has(const struct hv_batch *b, const char *id, const char *identifier)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if ((id && !strcmp(b->items[i].id, id)) ||
		    (identifier && !strcmp(b->items[i].identifier, identifier)))
			return 1;
	return 0;
}

int
hv_batch_add(struct hv_batch *b, const char *id, const char *identifier,
	     const char *datestamp, const char *digest,
	     struct ing_description *d, struct vl_err *err)
{
	struct item *it;

	if (b->n >= b->max)
		return vl_err_set(err, VL_E_INVAL, "harvest batch is full");
	it = &b->items[b->n];
	memset(it, 0, sizeof(*it));
	snprintf(it->id, sizeof(it->id), "%s", id);
	snprintf(it->digest, sizeof(it->digest), "%s", digest);
	it->identifier = strdup(identifier);
	it->datestamp = strdup(datestamp);
	it->d = *d;
	memset(d, 0, sizeof(*d));
	b->n++;
	if (!it->identifier || !it->datestamp)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	return 0;
}

/* ---- the catalog side (main thread, inside the transaction) ---- */

/* The statement, reset and unbound, prepared on first use. */
static sqlite3_stmt *
stmt(struct hv_batch *b, enum sql id, struct vl_err *err)
{
	if (!b->st[id] && sqlite3_prepare_v3(b->r->db, sql_text[id], -1,
					     SQLITE_PREPARE_PERSISTENT,
					     &b->st[id], NULL) != SQLITE_OK) {
		b->st[id] = NULL;
		repo_db_err(b->r->db, err, "catalog");
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
		       : repo_db_err(b->r->db, err, "catalog");
}

static int
add_file(struct item *it, const char *path, char *data, size_t len,
	 struct vl_err *err)
{
	if (!data)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if (it->nfiles >= MAX_FILES) {
		free(data);
		return vl_err_set(err, VL_E_INVAL, "too many tag files");
	}
	it->files[it->nfiles].path = path;
	it->files[it->nfiles].data = data;
	/* 0: a NUL-terminated text made here. */
	it->files[it->nfiles].len = len ? len : strlen(data);
	it->nfiles++;
	return 0;
}

static char *
dup_bytes(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

static int
by_path(const void *a, const void *b)
{
	return strcmp(((const struct bag_file *)a)->path,
		      ((const struct bag_file *)b)->path);
}

static int
hash_file(struct fix_hasher *h, unsigned algs, struct bag_file *f,
	  struct vl_err *err)
{
	int rc;

	if ((rc = fix_hasher_reset(h, algs, err)) < 0 ||
	    (rc = fix_hasher_update(h, f->data, f->len, err)) < 0)
		return rc;
	return fix_hasher_final(h, &f->dg, err);
}

/* Every tag file of the bag, in memory, with its digests: what
 * bag_create and bag_add_tag_file would have written. */
static int
build_bag(struct hv_batch *b, struct item *it, struct fix_hasher *h,
	  const char *org, const char *now, struct vl_err *err)
{
	struct bag_info info;
	struct vl_buf buf = VL_BUF_INIT, tm = VL_BUF_INIT;
	char day[11], hex[FIX_HEX_MAX];
	size_t i, nbase;
	int a, rc;

	snprintf(day, sizeof(day), "%.10s", now);
	bag_info_init(&info);
	if ((rc = bag_info_add(&info, "Source-Organization", org, err)) < 0 ||
	    (rc = bag_info_add(&info, "External-Identifier", it->id, err)) <
		    0 ||
	    (rc = bag_info_add(&info, "Bagging-Date", day, err)) < 0 ||
	    (rc = bag_info_add(&info, "Bag-Software-Agent",
			       "vellum " VELLUM_VERSION, err)) < 0 ||
	    (rc = bag_info_add(&info, "Payload-Oxum", "0.0", err)) < 0 ||
	    (rc = bag_info_add(&info, "Bag-Size", "0 bytes", err)) < 0 ||
	    (rc = bag_info_format(&buf, &info)) < 0)
		goto out;
	/* RFC 8493 2.1.1, 2.2.2, 2.1.3 (an empty payload: empty
	 * manifests). */
	if ((rc = add_file(it, "bagit.txt",
			   strdup("BagIt-Version: 1.0\n"
				  "Tag-File-Character-Encoding: UTF-8\n"),
			   0, err)) < 0 ||
	    (rc = add_file(it, "bag-info.txt", vl_buf_detach(&buf, NULL), 0,
			   err)) < 0)
		goto out;
	for (a = 0; a < FIX_ALG_COUNT; a++)
		if ((b->algs & FIX_ALG_BIT(a)) &&
		    (rc = add_file(it, b->manifest[a][0], strdup(""), 0, err)) <
			    0)
			goto out;
	for (i = 0; i < it->d.n; i++)
		if (it->d.forms[i].tag_file &&
		    (rc = add_file(
			     it, it->d.forms[i].tag_file,
			     dup_bytes(it->d.forms[i].data, it->d.forms[i].len),
			     it->d.forms[i].len, err)) < 0)
			goto out;
	/* premis.xml lists the events just added in this transaction. */
	if ((rc = ing_premis_xml(b->r, it->id, &buf, err)) < 0 ||
	    (rc = add_file(it, "metadata/premis.xml", vl_buf_detach(&buf, NULL),
			   0, err)) < 0)
		goto out;
	qsort(it->files, it->nfiles, sizeof(it->files[0]), by_path);
	nbase = it->nfiles;
	for (i = 0; i < nbase; i++)
		if ((rc = hash_file(h, b->algs, &it->files[i], err)) < 0)
			goto out;
	/* RFC 8493 2.2.1: a tag manifest per algorithm over every other
	 * tag file (never over tag manifests). */
	for (a = 0; a < FIX_ALG_COUNT; a++) {
		if (!(b->algs & FIX_ALG_BIT(a)))
			continue;
		vl_buf_reset(&tm);
		for (i = 0; i < nbase; i++) {
			fix_hex(hex, it->files[i].dg.md[a], fix_alg_size(a));
			if (fix_manifest_format_line(&tm, hex,
						     it->files[i].path) < 0) {
				rc = vl_err_set(err, VL_E_NOMEM,
						"out of memory");
				goto out;
			}
		}
		if ((rc = add_file(it, b->manifest[a][1],
				   vl_buf_detach(&tm, NULL), 0, err)) < 0 ||
		    (rc = hash_file(h, b->algs, &it->files[it->nfiles - 1],
				    err)) < 0)
			goto out;
	}
out:
	bag_info_release(&info);
	vl_buf_release(&buf);
	vl_buf_release(&tm);
	return rc;
}

static int
insert_files(struct hv_batch *b, struct item *it, struct vl_err *err)
{
	sqlite3_stmt *f, *d;
	char hex[FIX_HEX_MAX];
	size_t i;
	int a;

	for (i = 0; i < it->nfiles; i++) {
		if (!(f = stmt(b, S_FILE, err)))
			return VL_E_DB;
		sqlite3_bind_text(f, 1, it->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(f, 2, it->files[i].path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(f, 3, (sqlite3_int64)it->files[i].len);
		if (sqlite3_step(f) != SQLITE_DONE)
			return repo_db_err(b->r->db, err, "catalog");
		for (a = 0; a < FIX_ALG_COUNT; a++) {
			if (!(b->algs & FIX_ALG_BIT(a)))
				continue;
			if (!(d = stmt(b, S_DIGEST, err)))
				return VL_E_DB;
			fix_hex(hex, it->files[i].dg.md[a], fix_alg_size(a));
			sqlite3_bind_text(d, 1, it->id, -1, SQLITE_STATIC);
			sqlite3_bind_text(d, 2, it->files[i].path, -1,
					  SQLITE_STATIC);
			sqlite3_bind_text(d, 3, fix_alg_name(a), -1,
					  SQLITE_STATIC);
			sqlite3_bind_text(d, 4, hex, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(d) != SQLITE_DONE)
				return repo_db_err(b->r->db, err, "catalog");
		}
	}
	return 0;
}

static int
insert_metadata(struct hv_batch *b, struct item *it, const char *now,
		const char *user, struct vl_err *err)
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
		sqlite3_bind_text(st, 5, user, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			return repo_db_err(b->r->db, err, "catalog");
	}
	return 0;
}

static int
insert_item(struct hv_batch *b, struct item *it, const char *now,
	    const struct hv_batch_ctx *c, struct fix_hasher *h,
	    struct vl_err *err)
{
	struct repo_event ev = { .object_id = it->id,
				 .outcome = REPO_SUCCESS,
				 .datetime = now };
	struct vl_buf detail = VL_BUF_INIT, algs = VL_BUF_INIT;
	char *key = repo_store_key(it->id);
	const char *a[6];
	int rc;

	if (!key)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	a[0] = it->id;
	a[1] = now;
	a[2] = it->d.title;
	a[3] = key;
	a[4] = b->payload_digest;
	a[5] = it->identifier;
	fix_algs_format(&algs, b->algs);
	if ((rc = exec_args(b, S_OBJECT, a, 6, err)) < 0 ||
	    (rc = insert_metadata(b, it, now, c->user, err)) < 0)
		goto out;
	if (b->collection) {
		a[1] = b->collection;
		if ((rc = exec_args(b, S_COLL, a, 2, err)) < 0)
			goto out;
	}
	vl_buf_addf(&detail,
		    "program=\"vellum\"; version=\"%s\"; algorithms=\"%s\"; "
		    "tag manifests of a metadata-only bag (empty payload)",
		    VELLUM_VERSION, algs.buf);
	ev.type = "mes";
	ev.detail = detail.buf;
	if ((rc = repo_event_add(b->r, &ev, NULL, err)) < 0)
		goto out;
	vl_buf_reset(&detail);
	vl_buf_addf(&detail,
		    "harvested %s (datestamp %s) from harvest source '%s' "
		    "(%s): a metadata-only bag, 0 files, 0 bytes",
		    it->identifier, it->datestamp, c->source, c->base_url);
	ev.type = "ing";
	ev.detail = detail.buf;
	ev.outcome = it->d.nwarnings ? REPO_WARNING : REPO_SUCCESS;
	ev.outcome_detail = it->d.nwarnings ? "with warnings" : NULL;
	if ((rc = repo_event_add(b->r, &ev, NULL, err)) < 0 ||
	    (rc = build_bag(b, it, h, b->r->cfg.name, now, err)) < 0 ||
	    (rc = insert_files(b, it, err)) < 0)
		goto out;
	rc = c->each ? c->each(c->ctx, it->id, it->identifier, it->datestamp,
			       it->digest, err)
		     : 0;
out:
	free(key);
	vl_buf_release(&detail);
	vl_buf_release(&algs);
	return rc;
}

/* ---- the storage side (worker threads) ---- */

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
store_bag(struct repo_stage_group *sg, struct item *it, struct vl_err *err)
{
	struct vl_buf p = VL_BUF_INIT;
	const char *dir;
	size_t i;
	int rc = 0, fd;

	if ((rc = repo_stage_new_in(sg, it->id, REPO_STAGE_CREATE, &it->stage,
				    err)) < 0)
		return rc;
	dir = repo_stage_dir(it->stage);
	vl_buf_addf(&p, "%s/data", dir);
	if (mkdir(p.buf, 0755) < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot create '%s'", p.buf);
		goto out;
	}
	vl_buf_reset(&p);
	vl_buf_addf(&p, "%s/metadata", dir);
	if (mkdir(p.buf, 0755) < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot create '%s'", p.buf);
		goto out;
	}
	for (i = 0; i < it->nfiles; i++) {
		vl_buf_reset(&p);
		if ((rc = vl_path_join(&p, dir, it->files[i].path, err)) < 0)
			goto out;
		fd = open(p.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			rc = vl_err_sys(err, VL_E_IO, "cannot create '%s'",
					p.buf);
			goto out;
		}
		if (write_all(fd, it->files[i].data, it->files[i].len) < 0) {
			rc = vl_err_sys(err, VL_E_IO, "cannot write '%s'",
					p.buf);
			close(fd);
			goto out;
		}
		if (close(fd) < 0) {
			rc = vl_err_sys(err, VL_E_IO, "cannot write '%s'",
					p.buf);
			goto out;
		}
	}
	/* Stored later with the whole batch (store_all). */
out:
	vl_buf_release(&p);
	return rc;
}

struct worker {
	pthread_t t;
	struct hv_batch *b;
	unsigned k;
	int running;
};

/* Writes the bags of the items the main thread has built, as they come. */
static void *
work(void *arg)
{
	struct worker *w = arg;
	struct hv_batch *b = w->b;
	struct item *it;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&b->mu);
		while (b->next >= b->ready && !b->closed)
			pthread_cond_wait(&b->cv, &b->mu);
		if (b->next >= b->ready) {
			pthread_mutex_unlock(&b->mu);
			return NULL;
		}
		i = b->next++;
		pthread_mutex_unlock(&b->mu);
		it = &b->items[i];
		it->rc = store_bag(b->sg, it, &it->err);
	}
}

/* Every bag written: all stages are put in place together, two syncs
 * for the batch (repo_stage_commit_many), before the catalog commits. */
static int
store_all(struct hv_batch *b, struct vl_err *err)
{
	struct repo_stage **stages = calloc(b->n, sizeof(*stages));
	size_t i;
	int rc;

	if (!stages)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	for (i = 0; i < b->n; i++)
		stages[i] = b->items[i].stage;
	rc = repo_stage_commit_many(stages, NULL, b->n, err);
	free(stages);
	return rc;
}

/* Starts n workers; returns how many run (0: do it here). */
static unsigned
start(struct hv_batch *b, struct worker *w, unsigned n)
{
	unsigned k, running = 0;

	for (k = 0; k < n; k++) {
		w[k].b = b;
		w[k].k = k;
		w[k].running = pthread_create(&w[k].t, NULL, work, &w[k]) == 0;
		running += (unsigned)w[k].running;
	}
	return running;
}

static void
join(struct worker *w, unsigned n)
{
	unsigned k;

	for (k = 0; k < n; k++)
		if (w[k].running)
			pthread_join(w[k].t, NULL);
}

/* After the catalog's COMMIT (finish) or ROLLBACK (undo the stores). */
static void
end_stages(struct hv_batch *b, int committed)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (committed)
			repo_stage_finish(b->items[i].stage);
		else
			repo_stage_rollback(b->items[i].stage, NULL);
		b->items[i].stage = NULL;
	}
}

/* The item just built may be stored; close: no more will be. */
static void
publish(struct hv_batch *b, int close)
{
	pthread_mutex_lock(&b->mu);
	if (close)
		b->closed = 1;
	else
		b->ready++;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

int
hv_batch_flush(struct hv_batch *b, const struct hv_batch_ctx *c,
	       struct vl_err *err)
{
	struct worker w[MAX_WORKERS];
	struct fix_hasher *h = NULL;
	char now[VL_TIME_LEN];
	unsigned nw = 0, running;
	size_t i;
	int rc;

	if (!b->n)
		return 0;
	if ((rc = fix_hasher_new(&h, b->algs, err)) < 0 ||
	    (rc = repo_stage_group_new(b->r, &b->sg, err)) < 0)
		goto out;
	if ((rc = repo_begin(b->r, err)) < 0)
		goto out;
	/* The datestamp is set late, inside the transaction (docs/oai.md:
	 * a list freezes `until` before it starts). */
	vl_time_now(now);
	if (b->collection &&
	    (rc = repo_collection_ensure(b->r, b->collection, err)) < 0)
		goto fail;
	/* Bags are written as soon as their rows and tag files are ready,
	 * while the next ones are built; store_all puts them in place. */
	b->ready = b->next = 0;
	b->closed = 0;
	nw = b->n < b->nworkers ? (unsigned)b->n : b->nworkers;
	running = start(b, w, nw);
	for (i = 0; i < b->n && rc == 0; i++)
		if ((rc = insert_item(b, &b->items[i], now, c, h, err)) == 0)
			publish(b, 0);
	publish(b, 1);
	if (!running) {
		w[0].k = 0; /* no thread: store them here */
		work(&w[0]);
	}
	join(w, nw);
	if (rc < 0)
		goto undo;
	for (i = 0; i < b->n; i++)
		if (b->items[i].rc < 0) {
			*err = b->items[i].err;
			rc = err->code;
			goto undo;
		}
	if ((rc = store_all(b, err)) < 0 || (rc = repo_commit(b->r, err)) < 0)
		goto undo;
	end_stages(b, 1);
	drop_all(b);
	goto out;
undo:
	repo_rollback(b->r);
	end_stages(b, 0);
	drop_all(b);
	goto out;
fail:
	repo_rollback(b->r);
	drop_all(b);
out:
	repo_stage_group_free(b->sg);
	b->sg = NULL;
	fix_hasher_free(h);
	return rc;
}
