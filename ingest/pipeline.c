/*
 * pipeline.c - the ingest pipeline: a source becomes a stored, described,
 * catalogued BagIt bag, or nothing at all.
 *
 *   CHECK ──► STAGE ──► BAG ──► INSPECT ──► DESCRIBE ──► COMMIT ──► done
 *   id, source  locked   make /   digests,   metadata/    catalog txn:
 *   kind, id    stage    copy /   formats,   tag files    rows, events,
 *   free        (vacant) unpack   duplicate  (callback)   premis.xml,
 *                        +check   check                   store, COMMIT
 *
 *   any failure ──► ABORT: the stage is removed, the catalog untouched,
 *                   the error names the file; after the store, ROLLBACK
 *                   undoes it (and a crash there is undone by cleaning).
 *
 * Invariants:
 *  - Nothing reaches storage or the catalog before COMMIT, and COMMIT is
 *    one SQLite transaction around the renames of its stages
 *    (repo_stage_commit_many: one object, or a group of them), so an
 *    interrupted ingest leaves nothing or whole objects.
 *  - In a group, objects wait between DESCRIBE and COMMIT; each object's
 *    rows go in under a savepoint, so one that fails drops out alone.
 *  - Per-file facts gathered before COMMIT (size, digests, MIME type) go
 *    to TEMP tables of this connection, so memory stays flat in the
 *    number of files and no write lock is held while files are read.
 *  - The stored bag is a valid BagIt bag on its own: metadata/ tag files
 *    are listed in the tag manifests, premis.xml included.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ingest.h"

struct job {
	struct repo *r;
	const struct ing_opts *o;
	struct ing_result *res;
	struct vl_err *err;
	struct repo_stage *stage;
	struct repo_stage_group *sgroup; /* borrowed; NULL: a stage alone */
	const char *bag;                 /* the staged bag directory */
	unsigned algs;
	char id[ING_ID_MAX + 1];
	char now[VL_TIME_LEN];
	char payload_digest[160];
	int64_t version;  /* the metadata version being written */
	const char *note; /* its note: "ingest", "update" */
	int64_t slot;     /* its rows in the TEMP tables (a group has many) */
	double seconds;   /* spent on it so far */
	int rc;           /* the outcome of its commit */
	/* The payload's last chunk, still being identified while the next
	 * object is prepared (finish_inspect), and what that gave. */
	struct inspect *inspect;
	int inspect_rc;
	/* Its catalog rows, inside the commit's transaction: an ingest's
	 * or an update's. */
	int (*rows)(struct job *j);
	struct ing_description desc;
	/* format identification summary: "image/png 3, text/plain 2" */
	struct vl_buf formats;
};

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
ing_description_release(struct ing_description *d)
{
	size_t i;

	free(d->title);
	for (i = 0; i < d->n; i++)
		free(d->forms[i].data);
	for (i = 0; i < d->nwarnings; i++)
		free(d->warnings[i]);
	free(d->warnings);
	for (i = 0; i < d->nchanges; i++) {
		struct ing_change *c = &d->changes[i];

		free((char *)c->field);
		free((char *)c->original);
		free((char *)c->original_lang);
		free((char *)c->original_uri);
		free((char *)c->concept);
		free((char *)c->replacement);
		free((char *)c->scheme);
		free((char *)c->vocab_version);
	}
	free(d->changes);
	memset(d, 0, sizeof(*d));
}

static const char *
dup_or_null(const char *s, int *failed)
{
	char *p;

	if (!s)
		return NULL;
	if (!(p = strdup(s)))
		*failed = 1;
	return p;
}

int
ing_description_change(struct ing_description *d, const struct ing_change *c,
		       struct vl_err *err)
{
	struct ing_change *v, *n;
	int failed = 0;

	v = realloc(d->changes, (d->nchanges + 1) * sizeof(*v));
	if (!v)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	d->changes = v;
	n = &v[d->nchanges++];
	n->field = dup_or_null(c->field, &failed);
	n->original = dup_or_null(c->original, &failed);
	n->original_lang = dup_or_null(c->original_lang, &failed);
	n->original_uri = dup_or_null(c->original_uri, &failed);
	n->concept = dup_or_null(c->concept, &failed);
	n->replacement = dup_or_null(c->replacement, &failed);
	n->scheme = dup_or_null(c->scheme, &failed);
	n->vocab_version = dup_or_null(c->vocab_version, &failed);
	return failed ? vl_err_set(err, VL_E_NOMEM, "out of memory") : 0;
}

int
ing_description_add(struct ing_description *d, const char *format,
		    const char *tag_file, char *data, size_t len,
		    struct vl_err *err)
{
	if (d->n >= ING_MAX_FORMS) {
		free(data);
		return vl_err_set(err, VL_E_INVAL, "too many metadata forms");
	}
	d->forms[d->n].format = format;
	d->forms[d->n].tag_file = tag_file;
	d->forms[d->n].data = data;
	d->forms[d->n].len = len;
	d->n++;
	return 0;
}

int
ing_description_warn(struct ing_description *d, const char *msg)
{
	char **v;

	v = realloc(d->warnings, (d->nwarnings + 1) * sizeof(*v));
	if (!v)
		return VL_E_NOMEM;
	d->warnings = v;
	if (!(v[d->nwarnings] = strdup(msg)))
		return VL_E_NOMEM;
	d->nwarnings++;
	return 0;
}

void
ing_result_release(struct ing_result *res)
{
	size_t i;

	for (i = 0; i < res->nwarnings; i++)
		free(res->warnings[i]);
	free(res->warnings);
	memset(res, 0, sizeof(*res));
}

static void
result_warn(struct ing_result *res, const char *msg)
{
	char **v = realloc(res->warnings, (res->nwarnings + 1) * sizeof(*v));

	if (!v)
		return;
	res->warnings = v;
	if ((v[res->nwarnings] = strdup(msg)))
		res->nwarnings++;
}

/* ---- CHECK ---- */

static int
classify(const char *src, enum ing_kind *kind, struct vl_err *err)
{
	struct vl_buf p = VL_BUF_INIT;
	struct stat st;

	if (stat(src, &st) < 0)
		return vl_err_sys(err,
				  errno == ENOENT ? VL_E_NOTFOUND : VL_E_IO,
				  "cannot read source '%s'", src);
	if (S_ISDIR(st.st_mode)) {
		vl_buf_addf(&p, "%s/bagit.txt", src);
		*kind = access(p.buf, F_OK) == 0 ? ING_BAG : ING_DIRECTORY;
		vl_buf_release(&p);
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		*kind = ING_ARCHIVE;
		return 0;
	}
	return vl_err_set(err, VL_E_INVAL,
			  "source '%s' is neither a directory nor a file", src);
}

static int
id_taken(struct repo *r, const char *id, struct vl_err *err)
{
	struct ing_object o;
	int rc = ing_object_get(r, id, &o, err);

	if (rc == 0)
		return vl_err_set(err, VL_E_EXISTS,
				  "object '%s' already exists%s", id,
				  o.deleted ? " (deleted; identifiers are "
					      "never reused)"
					    : "");
	if (rc == VL_E_NOTFOUND) {
		vl_err_clear(err);
		return 0;
	}
	return rc;
}

static int
check(struct job *j)
{
	const struct ing_opts *o = j->o;
	size_t i;
	int rc;

	if (o->id) {
		if ((rc = ing_id_check(o->id, j->err)) < 0)
			return rc;
		snprintf(j->id, sizeof(j->id), "%s", o->id);
	} else if ((rc = ing_id_generate(j->id, j->err)) < 0) {
		return rc;
	}
	for (i = 0; i < o->ncollections; i++)
		if ((rc = repo_collection_check(o->collections[i], j->err)) < 0)
			return rc;
	if (!o->source)
		return vl_err_set(j->err, VL_E_INVAL, "no source to ingest");
	if ((rc = classify(o->source, &j->res->kind, j->err)) < 0)
		return rc;
	return id_taken(j->r, j->id, j->err);
}

/* ---- BAG ---- */

/* Copies a bag directory as it is: regular files and directories only
 * (a bag with anything else was refused by validation already). */
static int
copy_tree(const char *from, const char *to, struct vl_err *err)
{
	struct vl_buf a = VL_BUF_INIT, b = VL_BUF_INIT;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0, in, out;

	if (mkdir(to, 0755) < 0)
		return vl_err_sys(err, VL_E_IO, "cannot create '%s'", to);
	if (!(d = opendir(from)))
		return vl_err_sys(err, VL_E_IO, "cannot read '%s'", from);
	while (rc == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		vl_buf_reset(&a);
		vl_buf_reset(&b);
		vl_buf_addf(&a, "%s/%s", from, de->d_name);
		vl_buf_addf(&b, "%s/%s", to, de->d_name);
		if (lstat(a.buf, &st) < 0) {
			rc = vl_err_sys(err, VL_E_IO, "cannot stat '%s'",
					a.buf);
		} else if (S_ISDIR(st.st_mode)) {
			rc = copy_tree(a.buf, b.buf, err);
		} else if (!S_ISREG(st.st_mode)) {
			rc = vl_err_set(err, VL_E_UNSAFE,
					"'%s' is not a regular file", a.buf);
		} else if ((in = open(a.buf,
				      O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
			rc = vl_err_sys(err, VL_E_IO, "cannot read '%s'",
					a.buf);
		} else {
			out = open(b.buf,
				   O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				   0644);
			if (out < 0) {
				rc = vl_err_sys(err, VL_E_IO,
						"cannot create '%s'", b.buf);
			} else {
				rc = vl_copy_fd(in, out, a.buf, err);
				if (close(out) < 0 && rc == 0)
					rc = vl_err_sys(err, VL_E_IO,
							"cannot write '%s'",
							b.buf);
			}
			close(in);
		}
	}
	closedir(d);
	vl_buf_release(&a);
	vl_buf_release(&b);
	return rc;
}

/* A bag that is not valid is refused with its first problems named. */
static int
refuse_invalid(struct job *j, const struct bag_report *rep)
{
	struct vl_buf msg = VL_BUF_INIT;
	size_t i, shown = 0;
	int rc;

	vl_buf_addf(&msg, "bag '%s' is not valid:", j->o->source);
	for (i = 0; i < rep->n && shown < 3; i++) {
		if (rep->v[i].severity != BAG_ERROR)
			continue;
		vl_buf_addf(&msg, "%s %s%s%s (%s)", shown ? ";" : "",
			    rep->v[i].path ? rep->v[i].path : "",
			    rep->v[i].path ? ": " : "", rep->v[i].message,
			    rep->v[i].rule);
		shown++;
	}
	if (rep->errors > shown)
		vl_buf_addf(&msg, "; and %zu more (see `vellum bag validate`)",
			    rep->errors - shown);
	rc = vl_err_set(j->err, VL_E_CHECK, "%s", msg.buf);
	vl_buf_release(&msg);
	return rc;
}

static void
bag_warned(void *ctx, const char *path, const char *msg)
{
	struct job *j = ctx;
	char line[1024];

	snprintf(line, sizeof(line), "%s: %s", path, msg);
	result_warn(j->res, line);
}

static void
bag_progressed(void *ctx, uint64_t files, uint64_t bytes)
{
	struct job *j = ctx;

	if (j->o->progress)
		j->o->progress(j->o->ctx, files, bytes);
}

static int
validate_source(struct job *j)
{
	struct bag_validate_opts vo = { .mode = BAG_FULL,
					.threads = j->o->threads,
					.progress = bag_progressed,
					.ctx = j };
	struct bag_report rep;
	size_t i;
	int rc;

	bag_report_init(&rep);
	if ((rc = bag_validate(j->o->source, &vo, &rep, j->err)) == 0) {
		if (!rep.valid)
			rc = refuse_invalid(j, &rep);
		for (i = 0; rc == 0 && i < rep.n; i++)
			if (rep.v[i].severity == BAG_WARNING)
				bag_warned(j,
					   rep.v[i].path ? rep.v[i].path
							 : j->o->source,
					   rep.v[i].message);
	}
	bag_report_release(&rep);
	return rc;
}

static int
make_bag(struct job *j)
{
	struct bag_create_opts co = { 0 };
	struct bag_summary sum;
	struct bag_info info;
	int rc;

	switch (j->res->kind) {
	case ING_DIRECTORY:
		bag_info_init(&info);
		if ((rc = bag_info_add(&info, "Source-Organization",
				       j->r->cfg.name, j->err)) < 0 ||
		    (rc = bag_info_add(&info, "External-Identifier", j->id,
				       j->err)) < 0) {
			bag_info_release(&info);
			return rc;
		}
		co.algs = j->algs;
		co.info = &info;
		co.threads = j->o->threads;
		co.exclude_hidden = j->o->exclude_hidden;
		co.no_sync = 1; /* repo_stage_commit() syncs the stage */
		co.progress = bag_progressed;
		co.warn = bag_warned;
		co.ctx = j;
		rc = bag_create(j->o->source, j->bag, &co, &sum, j->err);
		bag_info_release(&info);
		return rc;
	case ING_BAG:
		if ((rc = validate_source(j)) < 0)
			return rc;
		return copy_tree(j->o->source, j->bag, j->err);
	case ING_ARCHIVE:
		if ((rc = validate_source(j)) < 0)
			return rc;
		return bag_unpack(j->o->source, j->bag, NULL, j->err);
	}
	return vl_err_set(j->err, VL_E_INVAL, "unknown source kind");
}

/* ---- INSPECT ---- */

static int
exec_sql(struct repo *r, const char *sql, struct vl_err *err)
{
	char *msg = NULL;
	int rc = 0;

	if (sqlite3_exec(r->db, sql, NULL, NULL, &msg) != SQLITE_OK)
		rc = vl_err_set(err, VL_E_DB, "catalog: %s",
				msg ? msg : sqlite3_errmsg(r->db));
	sqlite3_free(msg);
	return rc;
}

/* Payload files wait in chunks for format identification, which runs on
 * a thread per core (libmagic costs as much as hashing on text and
 * unrecognised data); results are recorded in path order. */
#define ID_CHUNK       512
#define ID_THREADS_MAX 8

struct pending {
	char *path;
	uint64_t size;
	unsigned algs;
	char *hex[FIX_ALG_COUNT];
	char mime[128], desc[256];
	int rc;
	char msg[256];
};

struct id_worker {
	struct inspect *in;
	unsigned t;
	pthread_t tid;
	int running;
};

struct inspect {
	struct job *j;
	sqlite3_stmt *file, *digest;
	struct pending *chunk;
	size_t nchunk;
	struct ing_magic *magics[ID_THREADS_MAX];
	unsigned nthreads;
	struct id_worker w[ID_THREADS_MAX]; /* identifying the chunk */
	int identifying;                    /* threads are running */
	EVP_MD_CTX *md; /* the payload digest: duplicate detection */
	int dup_alg;
	int want_tag; /* 1: tag entries, 0: payload entries */
	/* MIME type counts for the format identification event */
	struct {
		char mime[128];
		uint64_t n;
	} types[32];
	size_t ntypes;
};

static void
count_type(struct inspect *in, const char *mime)
{
	size_t i;

	for (i = 0; i < in->ntypes; i++)
		if (!strcmp(in->types[i].mime, mime)) {
			in->types[i].n++;
			return;
		}
	if (in->ntypes < sizeof(in->types) / sizeof(in->types[0])) {
		snprintf(in->types[in->ntypes].mime, sizeof(in->types[0].mime),
			 "%s", mime);
		in->types[in->ntypes++].n = 1;
	}
}

/* Inserts one file's facts into the TEMP tables. */
static int
store_entry(struct inspect *in, const char *path, int tag, uint64_t size,
	    unsigned algs, char *const *hex, const char *mime, const char *desc)
{
	int a;

	sqlite3_reset(in->file);
	sqlite3_bind_text(in->file, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(in->file, 2, tag ? "tag" : "payload", -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(in->file, 3, (sqlite3_int64)size);
	if (mime && *mime)
		sqlite3_bind_text(in->file, 4, mime, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(in->file, 4);
	if (desc && *desc)
		sqlite3_bind_text(in->file, 5, desc, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(in->file, 5);
	if (sqlite3_step(in->file) != SQLITE_DONE)
		return repo_db_err(in->j->r->db, in->j->err, "catalog");
	for (a = 0; a < FIX_ALG_COUNT; a++) {
		if (!(algs & FIX_ALG_BIT(a)))
			continue;
		sqlite3_reset(in->digest);
		sqlite3_bind_text(in->digest, 1, path, -1, SQLITE_STATIC);
		sqlite3_bind_text(in->digest, 2, fix_alg_name(a), -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(in->digest, 3, hex[a], -1, SQLITE_STATIC);
		if (sqlite3_step(in->digest) != SQLITE_DONE)
			return repo_db_err(in->j->r->db, in->j->err, "catalog");
	}
	return 0;
}

static void *
identify_some(void *arg)
{
	struct id_worker *w = arg;
	struct inspect *in = w->in;
	struct vl_buf p = VL_BUF_INIT;
	struct vl_err err;
	size_t i;
	int fd;

	for (i = w->t; i < in->nchunk; i += in->nthreads) {
		struct pending *pe = &in->chunk[i];

		vl_buf_reset(&p);
		vl_buf_addf(&p, "%s/%s", in->j->bag, pe->path);
		fd = open(p.buf, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			pe->rc = vl_err_sys(&err, VL_E_IO, "cannot read '%s'",
					    pe->path);
		} else {
			pe->rc = ing_magic_identify(in->magics[w->t], fd,
						    pe->mime, sizeof(pe->mime),
						    pe->desc, sizeof(pe->desc),
						    &err);
			close(fd);
		}
		if (pe->rc < 0)
			snprintf(pe->msg, sizeof(pe->msg), "%s", err.msg);
	}
	vl_buf_release(&p);
	return NULL;
}

static void
free_pending(struct pending *pe)
{
	int a;

	free(pe->path);
	for (a = 0; a < FIX_ALG_COUNT; a++)
		free(pe->hex[a]);
	memset(pe, 0, sizeof(*pe));
}

static int
start_identifiers(struct inspect *in)
{
	unsigned n = in->j->o->threads ? in->j->o->threads : fix_cpu_count();
	int rc;

	if (in->nthreads)
		return 0;
	if (n > ID_THREADS_MAX)
		n = ID_THREADS_MAX;
	for (in->nthreads = 0; in->nthreads < n; in->nthreads++)
		if ((rc = ing_magic_new(&in->magics[in->nthreads],
					in->j->err)) < 0)
			return rc;
	return 0;
}

/* Starts identifying the chunk's files, a thread per core; they run
 * until identify_wait(). */
static int
identify_start(struct inspect *in)
{
	unsigned t;
	int rc;

	if ((rc = start_identifiers(in)) < 0)
		return rc;
	for (t = 0; t < in->nthreads; t++) {
		in->w[t].in = in;
		in->w[t].t = t;
		in->w[t].running =
			pthread_create(&in->w[t].tid, NULL, identify_some,
				       &in->w[t]) == 0;
	}
	in->identifying = 1;
	return 0;
}

static void
identify_wait(struct inspect *in)
{
	unsigned t;

	if (!in->identifying)
		return;
	for (t = 0; t < in->nthreads; t++)
		if (in->w[t].running)
			pthread_join(in->w[t].tid, NULL);
		else
			identify_some(&in->w[t]); /* no thread: here */
	in->identifying = 0;
}

/* Waits for the chunk's identification, then records its files in
 * order: the MIME counts and the TEMP rows. */
static int
record_chunk(struct inspect *in)
{
	size_t i;
	int rc = 0;

	identify_wait(in);
	/* The chunk's rows in one transaction (nested when one is open):
	 * each autocommitted INSERT would journal the TEMP database on its
	 * own, a thousand writes per hundred files. */
	if (in->nchunk &&
	    (rc = exec_sql(in->j->r, "SAVEPOINT ing_chunk", in->j->err)) == 0) {
		for (i = 0; i < in->nchunk && rc == 0; i++) {
			struct pending *pe = &in->chunk[i];

			if (pe->rc < 0) {
				rc = vl_err_set(in->j->err, pe->rc, "%s",
						pe->msg);
				break;
			}
			count_type(in, pe->mime);
			rc = store_entry(in, pe->path, 0, pe->size, pe->algs,
					 pe->hex, pe->mime, pe->desc);
		}
		if (rc < 0)
			exec_sql(in->j->r, "ROLLBACK TO ing_chunk", NULL);
		exec_sql(in->j->r, "RELEASE ing_chunk", NULL);
	}
	for (i = 0; i < in->nchunk; i++)
		free_pending(&in->chunk[i]);
	in->nchunk = 0;
	return rc;
}

static int
flush_chunk(struct inspect *in)
{
	int rc;

	if (!in->nchunk)
		return 0;
	if ((rc = identify_start(in)) < 0)
		return rc;
	return record_chunk(in);
}

static int
queue_payload(struct inspect *in, const struct bag_file_entry *f)
{
	struct pending *pe;
	int a;

	if (!in->chunk && !(in->chunk = calloc(ID_CHUNK, sizeof(*in->chunk))))
		return vl_err_set(in->j->err, VL_E_NOMEM, "out of memory");
	pe = &in->chunk[in->nchunk++];
	pe->size = f->size;
	pe->algs = f->algs;
	in->j->res->files++;
	in->j->res->bytes += f->size;
	/* Sorted by path, so the digest is the same for the same payload
	 * whatever order it was bagged in. */
	if (in->md && f->hex[in->dup_alg]) {
		EVP_DigestUpdate(in->md, f->hex[in->dup_alg],
				 strlen(f->hex[in->dup_alg]));
		EVP_DigestUpdate(in->md, " ", 1);
		EVP_DigestUpdate(in->md, f->path, strlen(f->path) + 1);
	}
	if (!(pe->path = strdup(f->path)))
		return vl_err_set(in->j->err, VL_E_NOMEM, "out of memory");
	for (a = 0; a < FIX_ALG_COUNT; a++)
		if ((f->algs & FIX_ALG_BIT(a)) &&
		    !(pe->hex[a] = strdup(f->hex[a])))
			return vl_err_set(in->j->err, VL_E_NOMEM,
					  "out of memory");
	return in->nchunk == ID_CHUNK ? flush_chunk(in) : 0;
}

static int
record_entry(void *ctx, const struct bag_file_entry *f)
{
	struct inspect *in = ctx;

	if (f->tag != in->want_tag)
		return 0;
	if (!f->tag)
		return queue_payload(in, f);
	return store_entry(in, f->path, 1, f->size, f->algs,
			   (char *const *)f->hex, NULL, NULL);
}

/* Drops a job's rows from the TEMP tables (they may not exist yet).
 * err may be NULL (cleanup: the job's own error is kept). */
static int
forget_rows(struct job *j, struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc = 0, i;
	static const char *const sql[] = {
		"DELETE FROM temp.ing_files WHERE slot = ?",
		"DELETE FROM temp.ing_digests WHERE slot = ?",
	};

	for (i = 0; i < 2 && rc == 0; i++) {
		if (sqlite3_prepare_v2(j->r->db, sql[i], -1, &st, NULL) !=
		    SQLITE_OK)
			return 0; /* no TEMP table yet: nothing to forget */
		sqlite3_bind_int64(st, 1, j->slot);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = repo_db_err(j->r->db, err, "catalog");
		sqlite3_finalize(st);
	}
	return rc;
}

static int
inspect_open(struct inspect *in, struct job *j)
{
	int rc;

	memset(in, 0, sizeof(*in));
	in->j = j;
	if ((rc = exec_sql(
		     j->r,
		     "CREATE TEMP TABLE IF NOT EXISTS ing_files("
		     "  slot INTEGER, path TEXT, kind TEXT,"
		     "  size INTEGER, mime TEXT, format TEXT,"
		     "  PRIMARY KEY(slot, path));"
		     "CREATE TEMP TABLE IF NOT EXISTS ing_digests("
		     "  slot INTEGER, path TEXT, algorithm TEXT,"
		     "  digest TEXT, PRIMARY KEY(slot, path, algorithm));",
		     j->err)) < 0 ||
	    (rc = forget_rows(j, j->err)) < 0 ||
	    (rc = repo_prepare(j->r, &in->file,
			       "INSERT OR REPLACE INTO temp.ing_files VALUES"
			       "(?6, ?1, ?2, ?3, ?4, ?5)",
			       j->err)) < 0 ||
	    (rc = repo_prepare(j->r, &in->digest,
			       "INSERT OR REPLACE INTO temp.ing_digests"
			       " VALUES(?4, ?1, ?2, ?3)",
			       j->err)) < 0)
		return rc;
	sqlite3_bind_int64(in->file, 6, j->slot);
	sqlite3_bind_int64(in->digest, 4, j->slot);
	return 0;
}

static void
inspect_close(struct inspect *in)
{
	unsigned t;
	size_t i;

	sqlite3_finalize(in->file);
	sqlite3_finalize(in->digest);
	for (t = 0; t < in->nthreads; t++)
		ing_magic_free(in->magics[t]);
	for (i = 0; i < in->nchunk; i++)
		free_pending(&in->chunk[i]);
	free(in->chunk);
	EVP_MD_CTX_free(in->md);
}

static int
payload_algorithm(unsigned algs)
{
	static const int prefer[] = { FIX_SHA512,     FIX_SHA256, FIX_SHA3_512,
				      FIX_BLAKE2B512, FIX_SHA384, FIX_SHA1,
				      FIX_MD5 };
	size_t i;
	int a;

	for (i = 0; i < sizeof(prefer) / sizeof(prefer[0]); i++)
		if (algs & FIX_ALG_BIT(prefer[i]))
			return prefer[i];
	for (a = 0; a < FIX_ALG_COUNT; a++)
		if (algs & FIX_ALG_BIT(a))
			return a;
	return -1;
}

static int
find_duplicate(struct job *j)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(
		     j->r, &st,
		     "SELECT id FROM objects WHERE payload_digest = ?"
		     " AND status = 'active' ORDER BY created LIMIT 1",
		     j->err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, j->payload_digest, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(j->res->duplicate_of, sizeof(j->res->duplicate_of),
			 "%s", sqlite3_column_text(st, 0));
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE)
		     ? 0
		     : repo_db_err(j->r->db, j->err, "catalog");
	sqlite3_finalize(st);
	return rc;
}

/* Frees a job's inspection, its identification threads stopped first
 * (a job dropped before its commit: before the stage they read goes). */
static void
drop_inspect(struct job *j)
{
	if (!j->inspect)
		return;
	identify_wait(j->inspect);
	inspect_close(j->inspect);
	free(j->inspect);
	j->inspect = NULL;
}

/* The end of INSPECT: waits for the last chunk's identification,
 * records it and the MIME summary.  Returns what it returned the first
 * time when called again. */
static int
finish_inspect(struct job *j)
{
	struct inspect *in = j->inspect;
	size_t i;
	int rc;

	if (!in)
		return j->inspect_rc;
	rc = record_chunk(in);
	for (i = 0; rc == 0 && i < in->ntypes; i++)
		vl_buf_addf(&j->formats, "%s%s %llu", i ? ", " : "",
			    in->types[i].mime,
			    (unsigned long long)in->types[i].n);
	drop_inspect(j);
	return j->inspect_rc = rc;
}

/* Records payload facts in the TEMP tables and the payload digest; sets
 * res->duplicate_of when another object has the same payload.  The last
 * chunk of files is left being identified (j->inspect), so that work
 * overlaps describing this object and preparing the next one;
 * finish_inspect() completes it. */
static int
inspect_payload(struct job *j)
{
	struct inspect *in = calloc(1, sizeof(*in));
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dn = 0, i;
	struct bag_meta meta = { 0 };
	struct bag_report rep;
	int rc;

	if (!in)
		return vl_err_set(j->err, VL_E_NOMEM, "out of memory");
	bag_report_init(&rep);
	j->inspect = in;
	if ((rc = inspect_open(in, j)) < 0)
		goto out;
	if ((rc = bag_read_meta(j->bag, &meta, &rep, j->err)) < 0)
		goto out;
	in->dup_alg = payload_algorithm(meta.payload_algs);
	if (in->dup_alg >= 0 && (in->md = EVP_MD_CTX_new()))
		EVP_DigestInit_ex(in->md, EVP_sha256(), NULL);
	if ((rc = bag_manifest_foreach(j->bag, BAG_ENTRIES_PAYLOAD,
				       record_entry, in, j->err)) < 0 ||
	    (in->nchunk && (rc = identify_start(in)) < 0))
		goto out;
	if (in->md) {
		EVP_DigestFinal_ex(in->md, d, &dn);
		snprintf(j->payload_digest, sizeof(j->payload_digest),
			 "%s:", fix_alg_name(in->dup_alg));
		for (i = 0; i < dn; i++)
			snprintf(j->payload_digest + strlen(j->payload_digest),
				 3, "%02x", d[i]);
		rc = find_duplicate(j);
	}
out:
	bag_meta_release(&meta);
	bag_report_release(&rep);
	return rc;
}

/* ---- DESCRIBE ---- */

static int
describe(struct job *j)
{
	size_t i;
	int rc;

	if (!j->o->describe)
		return vl_err_set(j->err, VL_E_INVAL,
				  "no descriptive metadata for '%s'", j->id);
	if ((rc = j->o->describe(j->o->describe_ctx, j->id, j->bag, &j->desc,
				 j->err)) < 0)
		return rc;
	if (!j->desc.title || !*j->desc.title)
		return vl_err_set(j->err, VL_E_INVAL,
				  "the metadata of '%s' has no title", j->id);
	for (i = 0; i < j->desc.nwarnings; i++)
		result_warn(j->res, j->desc.warnings[i]);
	/* A catalog-only object (no bag) keeps its forms in the catalog. */
	for (i = 0; j->bag && i < j->desc.n; i++) {
		if (!j->desc.forms[i].tag_file)
			continue;
		if ((rc = bag_add_tag_file(
			     j->bag, j->desc.forms[i].tag_file,
			     j->desc.forms[i].data, j->desc.forms[i].len,
			     BAG_NO_SYNC | BAG_LATER_TAG_MANIFESTS, j->err)) <
		    0)
			return rc;
	}
	return 0;
}

/* ---- COMMIT ---- */

static int
bind_exec(struct repo *r, const char *sql, const char *const *args, int n,
	  struct vl_err *err)
{
	sqlite3_stmt *st;
	int i, rc;

	if ((rc = repo_prepare(r, &st, sql, err)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		if (args[i])
			sqlite3_bind_text(st, i + 1, args[i], -1,
					  SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE
		     ? 0
		     : repo_db_err(r->db, err, "catalog");
	sqlite3_finalize(st);
	return rc;
}

static int
insert_object(struct job *j, const char *key)
{
	char files[32], bytes[32];
	const char *args[9];

	snprintf(files, sizeof(files), "%llu",
		 (unsigned long long)j->res->files);
	snprintf(bytes, sizeof(bytes), "%llu",
		 (unsigned long long)j->res->bytes);
	args[0] = j->id;
	args[1] = j->now;
	args[2] = j->desc.title;
	args[3] = key;
	args[4] = files;
	args[5] = bytes;
	args[6] = j->payload_digest[0] ? j->payload_digest : NULL;
	args[7] = j->o->source_note;
	return bind_exec(j->r,
			 "INSERT INTO objects(id, created, datestamp, title,"
			 " md_version, storage_key, payload_files,"
			 " payload_bytes, payload_digest, source)"
			 " VALUES(?1, ?2, ?2, ?3, 1, ?4, CAST(?5 AS INTEGER),"
			 " CAST(?6 AS INTEGER), ?7, ?8)",
			 args, 8, j->err);
}

static int
insert_metadata(struct job *j)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = 0;

	if ((rc = repo_prepare(
		     j->r, &st,
		     "INSERT INTO metadata(object_id, version, format,"
		     " xml, created, agent, note) VALUES(?1, ?6, ?2, ?3,"
		     " ?4, ?5, ?7)",
		     j->err)) < 0)
		return rc;
	for (i = 0; i < j->desc.n && rc == 0; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, j->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, j->desc.forms[i].format, -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(st, 3, j->desc.forms[i].data,
				  (int)j->desc.forms[i].len, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, j->now, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, j->o->user, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, j->version);
		sqlite3_bind_text(st, 7, j->note, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = repo_db_err(j->r->db, j->err, "catalog");
	}
	sqlite3_finalize(st);
	return rc;
}

static int
insert_collections(struct job *j)
{
	const char *args[2];
	size_t i;
	int rc;

	for (i = 0; i < j->o->ncollections; i++) {
		if ((rc = repo_collection_ensure(j->r, j->o->collections[i],
						 j->err)) < 0)
			return rc;
		args[0] = j->id;
		args[1] = j->o->collections[i];
		if ((rc = bind_exec(j->r,
				    "INSERT OR IGNORE INTO object_collections"
				    " VALUES(?, ?)",
				    args, 2, j->err)) < 0)
			return rc;
	}
	return 0;
}

/* Moves the TEMP rows of one kind into the catalog. */
static int
insert_files(struct job *j, const char *kind)
{
	char slot[24];
	const char *args[3] = { j->id, kind, slot };
	int rc;

	snprintf(slot, sizeof(slot), "%lld", (long long)j->slot);
	if ((rc = bind_exec(j->r,
			    "INSERT INTO files(object_id, path, kind, size,"
			    " mime, format) SELECT ?1, path, kind, size, mime,"
			    " format FROM temp.ing_files WHERE kind = ?2"
			    " AND slot = CAST(?3 AS INTEGER)",
			    args, 3, j->err)) < 0)
		return rc;
	return bind_exec(j->r,
			 "INSERT INTO digests(object_id, path, algorithm,"
			 " digest) SELECT ?1, d.path, d.algorithm, d.digest"
			 " FROM temp.ing_digests d JOIN temp.ing_files f"
			 " ON f.slot = d.slot AND f.path = d.path"
			 " WHERE f.kind = ?2 AND f.slot = CAST(?3 AS INTEGER)",
			 args, 3, j->err);
}

static int
event(struct job *j, const char *type, const char *detail,
      const char *outcome_detail, enum repo_outcome outcome)
{
	struct repo_event ev = { .object_id = j->id,
				 .type = type,
				 .outcome = outcome,
				 .detail = detail,
				 .outcome_detail = outcome_detail,
				 .datetime = j->now };

	return repo_event_add(j->r, &ev, NULL, j->err);
}

static int
record_events(struct job *j)
{
	struct vl_buf d = VL_BUF_INIT, algs = VL_BUF_INIT;
	static const char *const kinds[] = { "directory", "bag",
					     "serialized bag" };
	int rc;

	fix_algs_format(&algs, j->algs);
	if (j->res->kind != ING_DIRECTORY) {
		vl_buf_addf(&d,
			    "program=\"vellum\"; version=\"%s\"; "
			    "BagIt (RFC 8493) validation of '%s' before "
			    "ingest",
			    VELLUM_VERSION, j->o->source);
		if ((rc = event(j, "val", d.buf, "complete and valid",
				REPO_SUCCESS)) < 0)
			goto out;
		if (j->res->kind == ING_ARCHIVE) {
			vl_buf_reset(&d);
			vl_buf_addf(&d, "unpacked '%s' with libarchive",
				    j->o->source);
			if ((rc = event(j, "unp", d.buf, NULL, REPO_SUCCESS)) <
			    0)
				goto out;
		}
	}
	vl_buf_reset(&d);
	if (j->res->kind == ING_DIRECTORY)
		vl_buf_addf(&d,
			    "program=\"vellum\"; version=\"%s\"; "
			    "algorithms=\"%s\"; payload manifests computed "
			    "while copying",
			    VELLUM_VERSION, algs.buf);
	else
		vl_buf_addf(&d,
			    "program=\"vellum\"; version=\"%s\"; "
			    "payload digests taken from the bag's manifests "
			    "after validating them",
			    VELLUM_VERSION);
	if ((rc = event(j, "mes", d.buf, NULL, REPO_SUCCESS)) < 0)
		goto out;
	vl_buf_reset(&d);
	vl_buf_addf(&d, "program=\"libmagic\"; version=\"%d\"",
		    ing_magic_version());
	if ((rc = event(j, "for", d.buf,
			j->formats.len ? j->formats.buf : "no payload files",
			REPO_SUCCESS)) < 0)
		goto out;
	vl_buf_reset(&d);
	vl_buf_addf(&d, "ingested %s '%s': %llu files, %llu bytes",
		    kinds[j->res->kind], j->o->source,
		    (unsigned long long)j->res->files,
		    (unsigned long long)j->res->bytes);
	rc = event(j, "ing", d.buf, j->res->nwarnings ? "with warnings" : NULL,
		   j->res->nwarnings ? REPO_WARNING : REPO_SUCCESS);
out:
	vl_buf_release(&d);
	vl_buf_release(&algs);
	return rc;
}

/* Terms mapped to their replacements on the way in: a PREMIS metadata
 * modification event with the before/after values and the vocabulary
 * version, and a remediation row that keeps the original wording
 * searchable (`vellum vocab search`). */
int
ing_record_changes(struct repo *r, const char *id, int64_t version,
		   const struct ing_description *desc, const char *now,
		   struct vl_err *err)
{
	struct vl_buf d = VL_BUF_INIT;
	sqlite3_stmt *st = NULL;
	char uuid[37], *fold;
	size_t i;
	int rc = 0;

	if (!desc->nchanges)
		return 0;
	vl_buf_addf(&d, "reconciliation at ingest against the repository's "
			"vocabularies:");
	for (i = 0; i < desc->nchanges; i++) {
		const struct ing_change *c = &desc->changes[i];

		vl_buf_addf(&d, "%s %s '%s' -> '%s' <%s> (%s, version %s)",
			    i ? ";" : "", c->field, c->original, c->replacement,
			    c->concept, c->scheme ? c->scheme : "?",
			    c->vocab_version ? c->vocab_version : "unknown");
	}
	{
		struct repo_event ev = { .object_id = id,
					 .type = "mem",
					 .outcome = REPO_SUCCESS,
					 .detail = d.buf,
					 .datetime = now };

		if ((rc = repo_event_add(r, &ev, uuid, err)) < 0)
			goto out;
	}
	if ((rc = repo_prepare(r, &st,
			       "INSERT INTO vocab_remediations(object_id,"
			       " from_version, to_version, format, field,"
			       " original, original_lang, original_uri, fold,"
			       " concept, replacement, scheme, vocab_version,"
			       " event_uuid, time) VALUES(?1, ?13 - 1, ?13,"
			       " 'source', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
			       " ?11, ?12)",
			       err)) < 0)
		goto out;
	for (i = 0; i < desc->nchanges && rc == 0; i++) {
		const struct ing_change *c = &desc->changes[i];

		fold = NULL;
		if ((rc = md_vocab_normalize(c->original, NULL, &fold, err)) <
		    0)
			break;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, c->field, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, c->original, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, c->original_lang, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, c->original_uri, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, fold, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, c->concept, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, c->replacement, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, c->scheme, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, c->vocab_version, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 11, uuid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 12, now, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 13, version);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = repo_db_err(r->db, err, "catalog");
		free(fold);
	}
out:
	sqlite3_finalize(st);
	vl_buf_release(&d);
	return rc;
}

static int
record_changes(struct job *j)
{
	return ing_record_changes(j->r, j->id, j->version, &j->desc, j->now,
				  j->err);
}

/* The tag manifests are listed in no manifest; record their own size
 * and digests (by the tag manifests' algorithms) so audits check them. */
static int
record_tag_manifests(struct inspect *in, struct job *j)
{
	struct bag_file_entry fe;
	struct fix_digests dg;
	struct fix_hasher *h = NULL;
	struct vl_buf p = VL_BUF_INIT;
	char hex[FIX_ALG_COUNT][FIX_HEX_MAX];
	struct dirent *de;
	uint64_t size;
	int tag, alg, a, fd, rc = 0;
	DIR *d;
	unsigned algs = 0;

	if (!(d = opendir(j->bag)))
		return vl_err_sys(j->err, VL_E_IO, "cannot read '%s'", j->bag);
	while ((de = readdir(d)))
		if (fix_manifest_name(de->d_name, &tag, &alg, NULL) == 1 &&
		    tag && alg >= 0)
			algs |= FIX_ALG_BIT(alg);
	rewinddir(d);
	if (!algs)
		algs = j->algs;
	if ((rc = fix_hasher_new(&h, algs, j->err)) < 0)
		goto out;
	while (rc == 0 && (de = readdir(d))) {
		if (fix_manifest_name(de->d_name, &tag, &alg, NULL) != 1 ||
		    !tag)
			continue;
		vl_buf_reset(&p);
		vl_buf_addf(&p, "%s/%s", j->bag, de->d_name);
		if ((fd = open(p.buf, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
			rc = vl_err_sys(j->err, VL_E_IO, "cannot read '%s'",
					p.buf);
			break;
		}
		rc = fix_hash_fd(h, algs, fd, -1, de->d_name, &dg, &size,
				 j->err);
		close(fd);
		if (rc < 0)
			break;
		memset(&fe, 0, sizeof(fe));
		fe.path = de->d_name;
		fe.tag = 1;
		fe.size = size;
		fe.algs = algs;
		for (a = 0; a < FIX_ALG_COUNT; a++)
			if (algs & FIX_ALG_BIT(a)) {
				fix_hex(hex[a], dg.md[a], fix_alg_size(a));
				fe.hex[a] = hex[a];
			}
		rc = record_entry(in, &fe);
	}
out:
	closedir(d);
	fix_hasher_free(h);
	vl_buf_release(&p);
	return rc;
}

/* The tag files as they end up: metadata/premis.xml is written inside
 * the transaction (it lists the events), then every tag file and the tag
 * manifests themselves are recorded. */
static int
finish_tag_files(struct job *j)
{
	struct inspect in;
	struct vl_buf premis = VL_BUF_INIT;
	int rc;

	if ((rc = ing_premis_xml(j->r, j->id, &premis, j->err)) < 0 ||
	    (rc = bag_add_tag_file(j->bag, "metadata/premis.xml", premis.buf,
				   premis.len, BAG_NO_SYNC, j->err)) < 0)
		goto out;
	if ((rc = inspect_open(&in, j)) < 0) {
		inspect_close(&in);
		goto out;
	}
	in.want_tag = 1;
	rc = bag_manifest_foreach(j->bag, BAG_ENTRIES_TAG, record_entry, &in,
				  j->err);
	if (rc == 0)
		rc = record_tag_manifests(&in, j);
	inspect_close(&in);
	if (rc == 0)
		rc = insert_files(j, "tag");
out:
	vl_buf_release(&premis);
	return rc;
}

/* The id and the payload are checked again under the write lock:
 * another process, or an earlier object of the same group, may have
 * taken them since the job was prepared. */
static int
recheck(struct job *j)
{
	int rc;

	if ((rc = id_taken(j->r, j->id, j->err)) < 0)
		return rc;
	if (!j->payload_digest[0] || j->o->allow_duplicate)
		return 0;
	if ((rc = find_duplicate(j)) == 0 && j->res->duplicate_of[0])
		j->res->skipped = 1;
	return rc;
}

static int
catalog_rows(struct job *j)
{
	char *key = repo_store_key(j->id);
	int rc;

	if (!key)
		return vl_err_set(j->err, VL_E_NOMEM, "out of memory");
	vl_time_now(j->now);
	if ((rc = finish_inspect(j)) == 0 &&
	    (rc = insert_object(j, key)) == 0 &&
	    (rc = insert_files(j, "payload")) == 0 &&
	    (rc = insert_metadata(j)) == 0 &&
	    (rc = insert_collections(j)) == 0 && (rc = record_events(j)) == 0 &&
	    (rc = record_changes(j)) == 0)
		rc = finish_tag_files(j);
	free(key);
	return rc;
}

/* The rows of an ingest, once the id and payload are still free. */
static int
ingest_rows(struct job *j)
{
	int rc = recheck(j);

	return rc == 0 && !j->res->skipped ? catalog_rows(j) : rc;
}

/* One job's rows, inside the group's transaction and under a savepoint:
 * a job that fails (or turns out a duplicate) drops out alone. */
static int
catalog_job(struct job *j)
{
	int rc;

	if ((rc = exec_sql(j->r, "SAVEPOINT ing_job", j->err)) < 0)
		return rc;
	rc = j->rows(j);
	if (rc < 0 || j->res->skipped)
		exec_sql(j->r, "ROLLBACK TO ing_job", NULL);
	exec_sql(j->r, "RELEASE ing_job", NULL);
	return rc;
}

static int
group_failed(struct job *j, const struct vl_err *gerr, size_t n)
{
	if (n == 1)
		return vl_err_set(j->err, gerr->code, "%s", gerr->msg);
	return vl_err_set(j->err, gerr->code,
			  "not stored: the commit of its group of %zu failed: "
			  "%s",
			  n, gerr->msg);
}

/*
 * COMMIT for prepared jobs (one, or a group):
 *
 *   BEGIN ──► rows of each job ──► every stage stored ──► COMMIT ──► stages
 *   IMMEDIATE (savepoint each;     (repo_stage_commit_   finished
 *             a failure drops     many: two syncs for
 *             that job only)      the whole group)
 *
 * If storing or COMMIT fails, the group is undone whole: stores rolled
 * back, catalog untouched, every job in it failed with that error.  A
 * crash in between is undone by repo_store_clean_stages().  Sets each
 * job's rc; its stage is consumed unless the job failed or was skipped
 * before storing (the job's cleanup aborts it).
 */
static void
commit_group(struct repo *r, struct job *const *jobs, size_t n)
{
	struct repo_stage **stages = calloc(n, sizeof(*stages));
	int64_t *versions = calloc(n, sizeof(*versions));
	struct vl_err gerr = { 0 };
	double t0 = now_seconds(), share;
	size_t i, k = 0;
	int rc;

	rc = stages && versions
		     ? repo_begin(r, &gerr)
		     : vl_err_set(&gerr, VL_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		jobs[i]->rc = 0;
	for (i = 0; rc == 0 && i < n; i++) {
		struct job *j = jobs[i];

		if ((j->rc = catalog_job(j)) == 0 && !j->res->skipped &&
		    j->stage) {
			versions[k] = j->version;
			stages[k++] = j->stage;
		}
	}
	if (rc == 0)
		rc = repo_stage_commit_many(stages, versions, k, &gerr);
	if (rc == 0)
		rc = repo_commit(r, &gerr);
	if (rc < 0)
		repo_rollback(r);
	share = (now_seconds() - t0) / (double)n;
	for (i = 0; i < n; i++) {
		struct job *j = jobs[i];

		j->seconds += share;
		if (j->rc < 0 || j->res->skipped)
			continue;
		if (rc < 0) {
			repo_stage_rollback(j->stage, NULL);
			j->rc = group_failed(j, &gerr, n);
		} else {
			repo_stage_finish(j->stage);
			snprintf(j->res->title, sizeof(j->res->title), "%s",
				 j->desc.title);
		}
		j->stage = NULL;
	}
	free(stages);
	free(versions);
}

/* ---- dry run ---- */

static int
count_tree(const char *dir, uint64_t *files, uint64_t *bytes,
	   struct vl_err *err)
{
	struct vl_buf p = VL_BUF_INIT;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (!(d = opendir(dir)))
		return vl_err_sys(err, VL_E_IO, "cannot read '%s'", dir);
	while (rc == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		vl_buf_reset(&p);
		vl_buf_addf(&p, "%s/%s", dir, de->d_name);
		if (lstat(p.buf, &st) < 0)
			rc = vl_err_sys(err, VL_E_IO, "cannot stat '%s'",
					p.buf);
		else if (S_ISDIR(st.st_mode))
			rc = count_tree(p.buf, files, bytes, err);
		else if (S_ISREG(st.st_mode)) {
			(*files)++;
			*bytes += (uint64_t)st.st_size;
		}
	}
	closedir(d);
	vl_buf_release(&p);
	return rc;
}

/* What an ingest would do, without staging anything: the source is read
 * (a bag checked for completeness) and the metadata described. */
static int
dry_run(struct job *j)
{
	struct bag_validate_opts vo = { .mode = BAG_COMPLETE };
	struct bag_report rep;
	size_t i;
	int rc;

	if (j->res->kind == ING_DIRECTORY) {
		rc = count_tree(j->o->source, &j->res->files, &j->res->bytes,
				j->err);
	} else {
		bag_report_init(&rep);
		rc = bag_validate(j->o->source, &vo, &rep, j->err);
		if (rc == 0 && !rep.complete)
			rc = refuse_invalid(j, &rep);
		j->res->files = rep.payload_files;
		j->res->bytes = rep.payload_bytes;
		bag_report_release(&rep);
	}
	if (rc < 0)
		return rc;
	if (!j->o->describe)
		return vl_err_set(j->err, VL_E_INVAL,
				  "no descriptive metadata for '%s'", j->id);
	rc = j->o->describe(j->o->describe_ctx, j->id,
			    j->res->kind == ING_BAG ? j->o->source : NULL,
			    &j->desc, j->err);
	if (rc == 0 && (!j->desc.title || !*j->desc.title))
		rc = vl_err_set(j->err, VL_E_INVAL,
				"the metadata of '%s' has no title", j->id);
	for (i = 0; rc == 0 && i < j->desc.nwarnings; i++)
		result_warn(j->res, j->desc.warnings[i]);
	if (rc == 0)
		snprintf(j->res->title, sizeof(j->res->title), "%s",
			 j->desc.title);
	return rc;
}

/* ---- the whole ---- */

/* CHECK, STAGE, BAG, INSPECT, DESCRIBE: everything before the catalog.
 * A duplicate payload sets res->skipped (unless allowed). */
static int
prepare(struct job *j)
{
	const struct ing_opts *o = j->o;
	int rc;

	vl_buf_init(&j->formats, 0);
	j->version = 1;
	j->note = "ingest";
	j->rows = ingest_rows;
	if ((rc = fix_algs_parse(o->algorithms ? o->algorithms
					       : j->r->cfg.digests,
				 &j->algs, j->err)) < 0 ||
	    (rc = check(j)) < 0)
		return rc;
	snprintf(j->res->id, sizeof(j->res->id), "%s", j->id);
	if (o->dry_run)
		return dry_run(j);
	rc = j->sgroup ? repo_stage_new_in(j->sgroup, j->id, REPO_STAGE_VACANT,
					   &j->stage, j->err)
		       : repo_stage_new(j->r, j->id, REPO_STAGE_VACANT,
					&j->stage, j->err);
	if (rc < 0)
		return rc;
	j->bag = repo_stage_dir(j->stage);
	if ((rc = make_bag(j)) < 0 || (rc = inspect_payload(j)) < 0)
		return rc;
	if (j->res->duplicate_of[0] && !o->allow_duplicate) {
		j->res->skipped = 1;
		return 0;
	}
	return describe(j);
}

static void
job_release(struct job *j)
{
	drop_inspect(j);
	forget_rows(j, NULL);
	repo_stage_abort(j->stage);
	j->stage = NULL;
	ing_description_release(&j->desc);
	vl_buf_release(&j->formats);
}

int
ing_ingest(struct repo *r, const struct ing_opts *o, struct ing_result *res,
	   struct vl_err *err)
{
	struct job j = { .r = r, .o = o, .res = res, .err = err };
	struct job *one = &j;
	double t0 = now_seconds();
	int rc;

	memset(res, 0, sizeof(*res));
	rc = prepare(&j);
	j.seconds = now_seconds() - t0;
	if (rc == 0 && !o->dry_run && !res->skipped) {
		commit_group(r, &one, 1);
		rc = j.rc;
	}
	res->seconds = j.seconds;
	job_release(&j);
	return rc;
}

/* ---- a group: many objects, one commit ---- */

/* A group commits when it holds this many objects or bytes, or when its
 * oldest object has waited this long (what a crash can cost). */
#define GROUP_OBJECTS 64
#define GROUP_BYTES   (512ULL << 20)
#define GROUP_SECONDS 2.0

struct queued {
	struct job j;
	struct ing_opts o; /* a copy whose strings the job owns */
	struct ing_result res;
	struct vl_err err;
	char *label, *source, *source_note, *user, **collections;
};

struct ing_group {
	struct repo *r;
	ing_done_fn *done;
	void *ctx;
	struct queued *q[GROUP_OBJECTS];
	size_t n;
	struct repo_stage_group *sg; /* the stages of the queued objects */
	uint64_t bytes;
	double oldest;
	int64_t slots;
};

static void
queued_free(struct queued *q)
{
	size_t i;

	if (!q)
		return;
	job_release(&q->j);
	ing_result_release(&q->res);
	for (i = 0; q->collections && i < q->o.ncollections; i++)
		free(q->collections[i]);
	free(q->collections);
	free(q->label);
	free(q->source);
	free(q->source_note);
	free(q->user);
	free(q);
}

static int
dup_str(char **out, const char *s)
{
	*out = NULL;
	return !s || (*out = strdup(s)) ? 0 : -1;
}

/* The options outlive the caller's: the strings a commit reads later
 * are copied. */
static struct queued *
queued_new(struct ing_group *g, const struct ing_opts *o, const char *label)
{
	struct queued *q = calloc(1, sizeof(*q));
	size_t i;

	if (!q)
		return NULL;
	q->o = *o;
	q->j.r = g->r;
	q->j.o = &q->o;
	q->j.res = &q->res;
	q->j.err = &q->err;
	q->j.slot = ++g->slots;
	q->j.sgroup = g->sg;
	vl_buf_init(&q->j.formats, 0);
	if (dup_str(&q->label, label) < 0 ||
	    dup_str(&q->source, o->source) < 0 ||
	    dup_str(&q->source_note, o->source_note) < 0 ||
	    dup_str(&q->user, o->user) < 0 ||
	    !(q->collections = calloc(o->ncollections + 1, sizeof(char *))))
		goto fail;
	for (i = 0; i < o->ncollections; i++)
		if (dup_str(&q->collections[i], o->collections[i]) < 0)
			goto fail;
	q->o.source = q->source;
	q->o.source_note = q->source_note;
	q->o.user = q->user;
	q->o.collections = (const char *const *)q->collections;
	return q;
fail:
	queued_free(q);
	return NULL;
}

int
ing_group_new(struct ing_group **out, struct repo *r, ing_done_fn *done,
	      void *ctx, struct vl_err *err)
{
	struct ing_group *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (!g)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	g->r = r;
	g->done = done;
	g->ctx = ctx;
	*out = g;
	return 0;
}

static void
report(struct ing_group *g, struct queued *q, int rc)
{
	q->res.seconds = q->j.seconds;
	g->done(g->ctx, q->label, &q->res, rc, &q->err);
	queued_free(q);
}

void
ing_group_flush(struct ing_group *g)
{
	struct job *jobs[GROUP_OBJECTS];
	size_t i;

	if (!g || !g->n)
		return;
	for (i = 0; i < g->n; i++)
		jobs[i] = &g->q[i]->j;
	commit_group(g->r, jobs, g->n);
	for (i = 0; i < g->n; i++)
		report(g, g->q[i], g->q[i]->j.rc);
	g->n = 0;
	g->bytes = 0;
	repo_stage_group_free(g->sg);
	g->sg = NULL;
}

void
ing_group_add(struct ing_group *g, const struct ing_opts *o, const char *label)
{
	struct ing_result none = { 0 };
	struct vl_err err = { 0 };
	struct queued *q = NULL;
	double t0 = now_seconds();
	int rc;

	/* Objects already waiting too long are not kept waiting for this
	 * one's preparation, however long that takes. */
	if (g->n && t0 - g->oldest >= GROUP_SECONDS)
		ing_group_flush(g);
	if ((!g->sg && repo_stage_group_new(g->r, &g->sg, &err) < 0) ||
	    (!(q = queued_new(g, o, label)) &&
	     vl_err_set(&err, VL_E_NOMEM, "out of memory"))) {
		g->done(g->ctx, label, &none, err.code, &err);
		return;
	}
	rc = prepare(&q->j);
	q->j.seconds = now_seconds() - t0;
	if (rc < 0 || o->dry_run || q->res.skipped) {
		report(g, q, rc);
		return;
	}
	if (!g->n)
		g->oldest = now_seconds();
	g->q[g->n++] = q;
	/* The previous object's identification ran while this one was
	 * prepared; at most two run at once. */
	if (g->n >= 2)
		finish_inspect(&g->q[g->n - 2]->j);
	g->bytes += q->res.bytes;
	if (g->n == GROUP_OBJECTS || g->bytes >= GROUP_BYTES ||
	    now_seconds() - g->oldest >= GROUP_SECONDS)
		ing_group_flush(g);
}

void
ing_group_free(struct ing_group *g)
{
	if (!g)
		return;
	ing_group_flush(g);
	repo_stage_group_free(g->sg);
	free(g);
}

/* ---- update: a new metadata version ---- */

static int
update_catalog(struct job *j, const char *detail)
{
	const char *args[4];
	char v[24];
	int rc;

	snprintf(v, sizeof(v), "%lld", (long long)j->version);
	args[0] = j->id;
	args[1] = j->now;
	args[2] = j->desc.title;
	args[3] = v;
	/* The datestamp moves so OAI-PMH harvesters pick the change up. */
	if ((rc = bind_exec(j->r,
			    "UPDATE objects SET md_version = CAST(?4 AS"
			    " INTEGER), datestamp = ?2, title = ?3 WHERE"
			    " id = ?1",
			    args, 4, j->err)) < 0 ||
	    (rc = insert_metadata(j)) < 0 ||
	    (rc = event(j, "mem", detail, NULL, REPO_SUCCESS)) < 0 ||
	    (rc = record_changes(j)) < 0)
		return rc;
	/* The tag files are recorded again as they now are. */
	args[1] = NULL;
	return bind_exec(j->r,
			 "DELETE FROM files WHERE object_id = ? AND kind = "
			 "'tag'",
			 args, 1, j->err);
}

static int
current_version(struct job *j, int64_t *v)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(j->r, &st,
			       "SELECT md_version FROM objects WHERE id = ?",
			       j->err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, j->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_ROW
		     ? 0
		     : repo_db_err(j->r->db, j->err, "catalog");
	if (rc == 0)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* The rows of an update: the next metadata version, then the tag files
 * as they now are. */
static int
update_rows(struct job *j)
{
	struct vl_buf detail = VL_BUF_INIT;
	int rc;

	vl_time_now(j->now);
	if ((rc = current_version(j, &j->version)) < 0)
		return rc;
	j->version++;
	vl_buf_addf(&detail, "metadata version %lld from %s",
		    (long long)j->version,
		    j->o->source ? j->o->source : "the command line");
	if ((rc = update_catalog(j, detail.buf)) == 0 && j->bag)
		rc = finish_tag_files(j);
	vl_buf_release(&detail);
	return rc;
}

/* Where an object came from does not change with its description: a
 * new version that brings no provenance form of its own (a curator's
 * edit of a harvested record) keeps the current version's, in the
 * catalog and, for a stored bag, as its tag file. */
static int
keep_provenance(struct job *j)
{
	const char *tag = ing_form_tag_file("provenance");
	sqlite3_stmt *st;
	const char *xml;
	char *copy = NULL;
	size_t i, len = 0;
	int rc;

	for (i = 0; i < j->desc.n; i++)
		if (!strcmp(j->desc.forms[i].format, "provenance"))
			return 0;
	if ((rc = repo_prepare(j->r, &st,
			       "SELECT m.xml FROM metadata m JOIN objects o ON"
			       " o.id = m.object_id AND m.version ="
			       " o.md_version WHERE o.id = ?1 AND m.format ="
			       " 'provenance'",
			       j->err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, j->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW &&
	    (xml = (const char *)sqlite3_column_text(st, 0))) {
		len = (size_t)sqlite3_column_bytes(st, 0);
		rc = (copy = strndup(xml, len))
			     ? 0
			     : vl_err_set(j->err, VL_E_NOMEM, "out of memory");
	} else {
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE
			     ? 0
			     : repo_db_err(j->r->db, j->err, "catalog");
	}
	sqlite3_finalize(st);
	if (rc < 0 || !copy)
		return rc;
	if (j->bag &&
	    (rc = bag_add_tag_file(j->bag, tag, copy, len,
				   BAG_NO_SYNC | BAG_LATER_TAG_MANIFESTS,
				   j->err)) < 0) {
		free(copy);
		return rc;
	}
	return ing_description_add(&j->desc, "provenance", tag, copy, len,
				   j->err);
}

int
ing_update(struct repo *r, const char *id, const struct ing_opts *o,
	   struct ing_result *res, struct vl_err *err)
{
	struct job j = { .r = r, .o = o, .res = res, .err = err };
	struct job *one = &j;
	struct ing_object obj;
	double t0 = now_seconds();
	int rc;

	memset(res, 0, sizeof(*res));
	vl_buf_init(&j.formats, 0);
	j.note = "update";
	j.rows = update_rows;
	snprintf(j.id, sizeof(j.id), "%s", id);
	snprintf(res->id, sizeof(res->id), "%s", id);
	if ((rc = ing_object_get(r, id, &obj, err)) < 0)
		goto out;
	if (obj.deleted) {
		rc = vl_err_set(err, VL_E_NOTFOUND,
				"object '%s' is deleted; it cannot be updated",
				id);
		goto out;
	}
	/* An object kept in the catalog alone (a harvested record, say)
	 * gets its new version there; a stored bag is replaced whole. */
	if (obj.storage_key[0]) {
		if ((rc = repo_stage_new(r, id, REPO_STAGE_REPLACE, &j.stage,
					 err)) < 0)
			goto out;
		j.bag = repo_stage_dir(j.stage);
	}
	if ((rc = describe(&j)) < 0 || (rc = keep_provenance(&j)) < 0)
		goto out;
	if (o->dry_run) {
		snprintf(res->title, sizeof(res->title), "%s", j.desc.title);
		goto out;
	}
	commit_group(r, &one, 1);
	rc = j.rc;
out:
	job_release(&j);
	res->seconds = now_seconds() - t0;
	return rc;
}
