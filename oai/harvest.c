/*
 * harvest.c - harvest sources and runs: OAI-PMH 2.0 from the client's
 * side.  A run:
 *
 *   lock ─► Identify ─► ListMetadataFormats ─► ListRecords ─┬─► done
 *           granularity  the prefix is offered,  from= the   │  harvested_until
 *                        its namespace           last list's │  = first page's
 *                                                responseDate│  responseDate
 *              ┌── resumptionToken ◄── page stored, position ◄┘
 *              └─► next page         saved (token, from, date)
 *
 *   a saved token (an interrupted run) ─► asked first; refused as
 *   badResumptionToken (expired) ─► the list again from the same from=,
 *   once per run (unchanged records are skipped, so nothing is stored
 *   twice).
 *
 * Requests that fail for transport reasons (connection refused, timeout,
 * HTTP 5xx, 429, 503) are retried with exponential backoff, or after the
 * Retry-After the source asks for (up to max_wait_s); every other
 * failure (not XML, not OAI-PMH, HTML, wrong content type, an OAI-PMH
 * error, a 4xx) stops the run at once.  Either way the run is recorded
 * with where it stopped, the records already stored stay (each committed
 * on its own), and the next run continues from the last page finished.
 *
 * Invariants:
 *  - harvested_until moves only when a list was read to its end, to the
 *    responseDate of its first page: anything changed at the source
 *    after that instant is inside the next run's from= (inclusive).
 *  - resume_token is written only after every record of the page before
 *    it was stored.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "harvest_impl.h"

#define DEFAULT_DELAY_MS 500
#define MAX_DELAY_MS     60000

/* ---- sources ---- */

int
oai_source_name_check(const char *name, struct vl_err *err)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0 || n > OAI_SOURCE_NAME_MAX)
		return vl_err_set(err, VL_E_INVAL,
				  "source name '%s' must be 1 to %d characters",
				  name ? name : "", OAI_SOURCE_NAME_MAX);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || !strchr("._-", c)))
			return vl_err_set(err, VL_E_INVAL,
					  "source name '%s' may use only "
					  "letters, digits, '.', '_' and '-', "
					  "and must start with a letter or "
					  "digit",
					  name);
	}
	return 0;
}

/* http(s)://host[:port]/path[?query]: no fragment, no spaces or
 * control characters (a base URL is used as given, §3.1.1). */
static int
url_check(const char *url, struct vl_err *err)
{
	const char *p, *host;
	size_t i;

	if (!strncasecmp(url, "http://", 7))
		host = url + 7;
	else if (!strncasecmp(url, "https://", 8))
		host = url + 8;
	else
		return vl_err_set(err, VL_E_INVAL,
				  "base URL '%s' must start with http:// or "
				  "https://",
				  url);
	for (i = 0; url[i]; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f ||
		    url[i] == '#')
			return vl_err_set(err, VL_E_INVAL,
					  "base URL '%s' may not hold spaces, "
					  "control characters or a fragment",
					  url);
	if (i > 2000)
		return vl_err_set(err, VL_E_INVAL, "base URL is too long");
	p = host + strcspn(host, "/?");
	if (p == host || *host == ':' || *host == '@')
		return vl_err_set(err, VL_E_INVAL, "base URL '%s' has no host",
				  url);
	return 0;
}

int
oai_source_add(struct repo *r, const struct oai_source_spec *s,
	       struct vl_err *err)
{
	const char *prefix = s->prefix ? s->prefix : "oai_dc";
	const char *coll = s->collection ? s->collection : s->name;
	int delay = s->delay_ms < 0 ? DEFAULT_DELAY_MS : s->delay_ms;
	char now[VL_TIME_LEN];
	sqlite3_stmt *st;
	int rc;

	if ((rc = oai_source_name_check(s->name, err)) < 0 ||
	    (rc = url_check(s->url ? s->url : "", err)) < 0)
		return rc;
	if (strcmp(prefix, "oai_dc") && strcmp(prefix, "mods"))
		return vl_err_set(err, VL_E_INVAL,
				  "metadataPrefix '%s' is not one Vellum "
				  "reads: oai_dc or mods",
				  prefix);
	if (s->set && (rc = repo_collection_check(s->set, err)) < 0)
		return vl_err_set(err, VL_E_INVAL, "set '%s' is no setSpec",
				  s->set);
	if ((rc = repo_collection_check(coll, err)) < 0)
		return rc;
	if (delay > MAX_DELAY_MS)
		return vl_err_set(err, VL_E_INVAL,
				  "a delay of more than %d s between requests",
				  MAX_DELAY_MS / 1000);
	vl_time_now(now);
	if ((rc = repo_prepare(r, &st,
			       "INSERT INTO harvest_sources(name, url, prefix,"
			       " set_spec, collection, delay_ms, created)"
			       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			       err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, s->set, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, coll, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, delay);
	sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (sqlite3_extended_errcode(r->db) ==
		 SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = vl_err_set(err, VL_E_EXISTS,
				"harvest source '%s' already exists", s->name);
	else
		rc = repo_db_err(r->db, err, "catalog");
	sqlite3_finalize(st);
	return rc;
}

static int
exec1(struct repo *r, const char *sql, const char *arg, int *changes,
      struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(r, &st, sql, err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE
		     ? 0
		     : repo_db_err(r->db, err, "catalog");
	if (changes)
		*changes = sqlite3_changes(r->db);
	sqlite3_finalize(st);
	return rc;
}

int
oai_source_remove(struct repo *r, const char *name, struct vl_err *err)
{
	int rc, n = 0;

	if ((rc = repo_begin(r, err)) < 0)
		return rc;
	if ((rc = exec1(r, "DELETE FROM harvest_runs WHERE source = ?1", name,
			NULL, err)) < 0 ||
	    (rc = exec1(r, "DELETE FROM harvest_sources WHERE name = ?1", name,
			&n, err)) < 0)
		goto fail;
	if (!n) {
		rc = vl_err_set(err, VL_E_NOTFOUND, "no harvest source '%s'",
				name);
		goto fail;
	}
	return repo_commit(r, err);
fail:
	repo_rollback(r);
	return rc;
}

int
oai_source_names(struct repo *r, char ***names, size_t *n, struct vl_err *err)
{
	sqlite3_stmt *st;
	char **v = NULL, **nv;
	size_t k = 0;
	int rc, step;

	*names = NULL;
	*n = 0;
	if ((rc = repo_prepare(r, &st,
			       "SELECT name FROM harvest_sources ORDER BY name",
			       err)) < 0)
		return rc;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (!(nv = realloc(v, (k + 1) * sizeof(*v))) ||
		    !(nv[k] = strdup(
			      (const char *)sqlite3_column_text(st, 0)))) {
			if (nv)
				v = nv;
			rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
			goto out;
		}
		v = nv;
		k++;
	}
	if (step != SQLITE_DONE)
		rc = repo_db_err(r->db, err, "catalog");
out:
	sqlite3_finalize(st);
	if (rc < 0) {
		while (k)
			free(v[--k]);
		free(v);
		return rc;
	}
	*names = v;
	*n = k;
	return 0;
}

static json_t *
col_json(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL: return json_null();
	case SQLITE_INTEGER:
		return json_integer((json_int_t)sqlite3_column_int64(st, i));
	default: return json_string((const char *)sqlite3_column_text(st, i));
	}
}

/* The row as an object, column names as keys (jansson copies). */
static json_t *
row_json(sqlite3_stmt *st, int from)
{
	json_t *o = json_object();
	int i;

	for (i = from; o && i < sqlite3_column_count(st); i++)
		json_object_set_new(o, sqlite3_column_name(st, i),
				    col_json(st, i));
	return o;
}

static int
last_run(struct repo *r, const char *name, json_t **out, struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*out = json_null();
	if ((rc = repo_prepare(
		     r, &st,
		     "SELECT id, started, finished, outcome, from_date AS"
		     " \"from\", resumed, pages, records, added, updated,"
		     " unchanged, deleted, rejected, response_date, stopped_at,"
		     " error FROM harvest_runs WHERE source = ?1"
		     " ORDER BY id DESC LIMIT 1",
		     err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = row_json(st, 0);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : repo_db_err(r->db, err, "catalog");
	}
	sqlite3_finalize(st);
	return rc;
}

int
oai_source_list(struct repo *r, const char *name, json_t **out,
		struct vl_err *err)
{
	sqlite3_stmt *st;
	json_t *arr = json_array(), *o, *run, *res;
	int rc, step;

	*out = NULL;
	if ((rc = repo_prepare(
		     r, &st,
		     "SELECT s.name, s.url, s.prefix, s.set_spec AS \"set\","
		     " s.collection, s.delay_ms, s.created, s.granularity,"
		     " s.metadata_ns AS metadata_namespace, s.harvested_until"
		     " AS next_from, s.resume_token, s.resume_from,"
		     " s.resume_date,"
		     " (SELECT count(*) FROM harvest_records h WHERE h.source ="
		     "  s.name AND h.status = 'active') AS active,"
		     " (SELECT count(*) FROM harvest_records h WHERE h.source ="
		     "  s.name AND h.status = 'deleted') AS deleted,"
		     " (SELECT count(*) FROM harvest_records h WHERE h.source ="
		     "  s.name AND (h.status = 'rejected' OR h.problem IS NOT"
		     "  NULL)) AS rejected,"
		     " (SELECT count(*) FROM harvest_runs x WHERE x.source ="
		     "  s.name) AS runs"
		     " FROM harvest_sources s WHERE ?1 IS NULL OR s.name = ?1"
		     " ORDER BY s.name",
		     err)) < 0) {
		json_decref(arr);
		return rc;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		o = json_object();
		json_object_set_new(o, "name", col_json(st, 0));
		json_object_set_new(o, "url", col_json(st, 1));
		json_object_set_new(o, "prefix", col_json(st, 2));
		json_object_set_new(o, "set", col_json(st, 3));
		json_object_set_new(o, "collection", col_json(st, 4));
		json_object_set_new(
			o, "delay",
			json_real((double)sqlite3_column_int(st, 5) / 1000.0));
		json_object_set_new(o, "created", col_json(st, 6));
		json_object_set_new(o, "granularity", col_json(st, 7));
		json_object_set_new(o, "metadata_namespace", col_json(st, 8));
		json_object_set_new(o, "next_from", col_json(st, 9));
		if (sqlite3_column_type(st, 10) != SQLITE_NULL) {
			res = json_object();
			json_object_set_new(res, "token", col_json(st, 10));
			json_object_set_new(res, "from", col_json(st, 11));
			json_object_set_new(res, "response_date",
					    col_json(st, 12));
			json_object_set_new(o, "resume", res);
		} else {
			json_object_set_new(o, "resume", json_null());
		}
		json_object_set_new(o, "records",
				    json_pack("{s:o, s:o, s:o}", "active",
					      col_json(st, 13), "deleted",
					      col_json(st, 14), "rejected",
					      col_json(st, 15)));
		json_object_set_new(o, "runs", col_json(st, 16));
		if ((rc = last_run(r, (const char *)sqlite3_column_text(st, 0),
				   &run, err)) < 0) {
			json_decref(o);
			break;
		}
		json_object_set_new(o, "last_run", run);
		json_array_append_new(arr, o);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = repo_db_err(r->db, err, "catalog");
	sqlite3_finalize(st);
	if (rc == 0 && name && json_array_size(arr) == 0)
		rc = vl_err_set(err, VL_E_NOTFOUND, "no harvest source '%s'",
				name);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

/* ---- a run ---- */

void
oai_harvest_opts_init(struct oai_harvest_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_s = 60;
	o->retries = 4;
	o->backoff_ms = 2000;
	o->max_wait_s = 600;
	o->delay_ms = -1;
	o->max_response = (uint64_t)64 << 20;
	o->batch = 2000;
}

struct source {
	char *name, *url, *prefix, *set, *collection;
	int delay_ms;
	char *harvested_until, *resume_token, *resume_from, *resume_date;
};

static void
source_release(struct source *s)
{
	free(s->name);
	free(s->url);
	free(s->prefix);
	free(s->set);
	free(s->collection);
	free(s->harvested_until);
	free(s->resume_token);
	free(s->resume_from);
	free(s->resume_date);
	memset(s, 0, sizeof(*s));
}

static char *
col_dup(sqlite3_stmt *st, int i, int *failed)
{
	const char *v = (const char *)sqlite3_column_text(st, i);
	char *d;

	if (!v)
		return NULL;
	if (!(d = strdup(v)))
		*failed = 1;
	return d;
}

static int
source_load(struct repo *r, const char *name, struct source *s,
	    struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc, failed = 0;

	memset(s, 0, sizeof(*s));
	if ((rc = repo_prepare(r, &st,
			       "SELECT name, url, prefix, set_spec, collection,"
			       " delay_ms, harvested_until, resume_token,"
			       " resume_from, resume_date FROM harvest_sources"
			       " WHERE name = ?1",
			       err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s->name = col_dup(st, 0, &failed);
		s->url = col_dup(st, 1, &failed);
		s->prefix = col_dup(st, 2, &failed);
		s->set = col_dup(st, 3, &failed);
		s->collection = col_dup(st, 4, &failed);
		s->delay_ms = sqlite3_column_int(st, 5);
		s->harvested_until = col_dup(st, 6, &failed);
		s->resume_token = col_dup(st, 7, &failed);
		s->resume_from = col_dup(st, 8, &failed);
		s->resume_date = col_dup(st, 9, &failed);
		rc = failed ? vl_err_set(err, VL_E_NOMEM, "out of memory") : 0;
	} else if (rc == SQLITE_DONE) {
		rc = vl_err_set(err, VL_E_NOTFOUND, "no harvest source '%s'",
				name);
	} else {
		rc = repo_db_err(r->db, err, "catalog");
	}
	sqlite3_finalize(st);
	if (rc < 0)
		source_release(s);
	return rc;
}

struct run {
	struct repo *r;
	const struct oai_harvest_opts *o;
	struct oai_harvest_result *res;
	struct source src;
	struct hv_http *http;
	struct hv_store *store;
	int delay_ms;
	unsigned requests;
	int gran_day; /* the source's granularity is days */
	char *ns;     /* metadataNamespace of the prefix */
	/* the list being read */
	char list_from[VL_TIME_LEN]; /* "" = whole list */
	char list_date[VL_TIME_LEN]; /* responseDate of its first page */
	/* reading a body */
	struct vl_buf prolog;
	size_t prolog_off;
	int body_failed; /* the transfer broke inside the body */
	struct vl_err body_err;
};

static void note(struct run *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
note(struct run *x, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!x->o->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	x->o->warn(x->o->ctx, OAI_HARVEST_WARNING, msg);
}

/* Sleeps ms milliseconds, waking every 100 ms to look at the stop flag. */
static int
nap(struct run *x, uint64_t ms, struct vl_err *err)
{
	struct timespec ts;
	uint64_t step;

	while (ms > 0) {
		if (x->o->stop && *x->o->stop)
			return vl_err_set(err, VL_E_INTR, "interrupted");
		step = ms < 100 ? ms : 100;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)step * 1000000L;
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return 0;
}

/* Appends key=value, the value percent-encoded (§3.1.1.3; resumption
 * tokens too, §3.5): everything but RFC 3986 unreserved characters. */
static int
add_arg(struct vl_buf *b, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	int rc = 0;

	if (b->len)
		rc |= vl_buf_addch(b, '&');
	rc |= vl_buf_adds(b, key);
	rc |= vl_buf_addch(b, '=');
	for (p = (const unsigned char *)value; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			rc |= vl_buf_addch(b, (char)*p);
		} else {
			rc |= vl_buf_addch(b, '%');
			rc |= vl_buf_addch(b, hex[*p >> 4]);
			rc |= vl_buf_addch(b, hex[*p & 15]);
		}
	}
	return rc ? VL_E_NOMEM : 0;
}

/* xmlReader's input: the prolog already read, then the transfer. */
static int
body_read(void *ctx, char *buf, int len)
{
	struct run *x = ctx;
	size_t left = x->prolog.len - x->prolog_off, k;
	ssize_t n;

	if (len <= 0)
		return 0;
	if (left) {
		k = left < (size_t)len ? left : (size_t)len;
		memcpy(buf, x->prolog.buf + x->prolog_off, k);
		x->prolog_off += k;
		return (int)k;
	}
	n = hv_http_read(x->http, buf, (size_t)len, &x->body_err);
	if (n < 0) {
		x->body_failed = 1;
		return -1;
	}
	return (int)n;
}

static int
body_close(void *ctx)
{
	(void)ctx;
	return 0;
}

/* §3.1.2.1: responses are text/xml.  application/xml and +xml types
 * are accepted too; a missing type is tolerated. */
static int
xml_type(const char *ctype)
{
	char t[128];
	size_t n = strcspn(ctype, ";");

	while (n && ctype[n - 1] == ' ')
		n--;
	if (!n)
		return 1;
	snprintf(t, sizeof(t), "%.*s", (int)n, ctype);
	return !strcasecmp(t, "text/xml") ||
	       !strcasecmp(t, "application/xml") ||
	       (n > 4 && !strcasecmp(t + n - 4, "+xml"));
}

static int
on_record(void *ctx, const struct hv_record *rec, struct vl_err *err)
{
	struct run *x = ctx;

	if (x->o->stop && *x->o->stop)
		return vl_err_set(err, VL_E_INTR, "interrupted");
	return hv_store_record(x->store, rec, err);
}

/* Parses a 200 response's body: the content type, the prolog, then the
 * stream.  A failure of the transfer itself sets *transport. */
static int
parse_body(struct run *x, const struct hv_head *head, int records,
	   struct hv_response *resp, int *transport, struct vl_err *err)
{
	xmlTextReaderPtr rd;
	char buf[4096], ex[128];
	ssize_t n;
	int rc;

	*transport = 0;
	if (!xml_type(head->ctype)) {
		hv_http_excerpt(x->http, ex, sizeof(ex));
		return vl_err_set(err, VL_E_FORMAT,
				  "content type '%s' is not XML (OAI-PMH "
				  "responses are text/xml, section 3.1.2.1)"
				  "%s%s%s",
				  head->ctype, *ex ? ": '" : "", ex,
				  *ex ? "'" : "");
	}
	vl_buf_reset(&x->prolog);
	x->prolog_off = 0;
	x->body_failed = 0;
	for (;;) {
		if ((n = hv_http_read(x->http, buf, sizeof(buf), err)) < 0) {
			*transport = hv_http_transport(x->http);
			return (int)n;
		}
		if (vl_buf_add(&x->prolog, buf, (size_t)n) < 0)
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		rc = hv_prolog_check(x->prolog.buf, x->prolog.len, n == 0, err);
		if (rc < 0)
			return rc;
		if (rc == 1)
			break;
	}
	rd = xmlReaderForIO(body_read, body_close, x,
			    hv_http_effective_url(x->http), NULL,
			    hv_parse_options());
	if (!rd)
		return vl_err_set(err, VL_E_NOMEM,
				  "cannot start the XML reader");
	rc = hv_parse(rd, x->src.prefix, records ? on_record : NULL, x, resp,
		      err);
	xmlFreeTextReader(rd);
	if (x->body_failed && rc < 0 && rc != VL_E_INTR) {
		/* The parser only saw the input end; say why it ended. */
		*err = x->body_err;
		*transport = hv_http_transport(x->http);
		return err->code;
	}
	return rc;
}

/* One OAI-PMH request (args without the base URL), retried while the
 * failure is a transport one.  records: stream ListRecords' records to
 * the store. */
static int
request(struct run *x, const char *args, int records, struct hv_response *resp,
	struct vl_err *err)
{
	struct vl_buf url = VL_BUF_INIT;
	struct hv_head head;
	char ex[160];
	unsigned attempt;
	uint64_t wait;
	int rc, retry;

	vl_buf_addf(&url, "%s%c%s", x->src.url,
		    strchr(x->src.url, '?') ? '&' : '?', args);
	for (attempt = 0;; attempt++) {
		if (x->requests++ && x->delay_ms > 0 &&
		    (rc = nap(x, (uint64_t)x->delay_ms, err)) < 0)
			goto out;
		hv_response_release(resp);
		retry = 0;
		rc = hv_http_start(x->http, url.buf, &head, err);
		if (rc < 0) {
			retry = head.transport;
		} else if (head.status == 200) {
			rc = parse_body(x, &head, records, resp, &retry, err);
		} else {
			hv_http_excerpt(x->http, ex, sizeof(ex));
			/* §3.1.2.2: 503 (with Retry-After) is load shedding;
			 * 429 is the same; other 5xx may pass. */
			retry = head.status >= 500 || head.status == 429;
			rc = vl_err_set(err, VL_E_NET, "HTTP %ld%s%s%s%s%s%s",
					head.status, *head.ctype ? " (" : "",
					head.ctype, *head.ctype ? ")" : "",
					*ex ? ": '" : "", ex, *ex ? "'" : "");
		}
		hv_http_finish(x->http);
		if (rc == 0 || !retry || rc == VL_E_INTR)
			goto out;
		if (attempt >= x->o->retries) {
			struct vl_buf m = VL_BUF_INIT;

			vl_buf_addf(&m, "%s (gave up after %u attempts)",
				    err->msg, attempt + 1);
			vl_err_set(err, rc, "%s", m.buf);
			vl_buf_release(&m);
			goto out;
		}
		if (head.retry_after >= 0) {
			if ((uint64_t)head.retry_after > x->o->max_wait_s) {
				rc = vl_err_set(
					err, VL_E_NET,
					"the source asks to retry after "
					"%ld s (Retry-After), more than "
					"the %u s allowed",
					head.retry_after, x->o->max_wait_s);
				goto out;
			}
			wait = (uint64_t)head.retry_after * 1000;
		} else {
			wait = (uint64_t)x->o->backoff_ms
			       << (attempt < 20 ? attempt : 20);
		}
		note(x, "%s: %s; retrying in %.1f s", x->src.name, err->msg,
		     (double)wait / 1000.0);
		if ((rc = nap(x, wait, err)) < 0)
			goto out;
		vl_err_clear(err);
	}
out:
	vl_buf_release(&url);
	return rc;
}

/* An OAI-PMH error answer, as a run error. */
static int
oai_error(struct run *x, const struct hv_response *resp, const char *verb,
	  struct vl_err *err)
{
	(void)x;
	return vl_err_set(err, VL_E_CHECK, "%s: the source answered %s%s%s",
			  verb, resp->error_code, *resp->error_msg ? ": " : "",
			  resp->error_msg);
}

static int
want_verb(const struct hv_response *resp, const char *verb, struct vl_err *err)
{
	if (!strcmp(resp->verb, verb))
		return 0;
	return vl_err_set(err, VL_E_FORMAT,
			  "asked for %s, the source answered %s", verb,
			  *resp->verb ? resp->verb : "nothing");
}

static int
identify(struct run *x, struct vl_err *err)
{
	struct hv_response resp = { 0 };
	int rc;

	if ((rc = request(x, "verb=Identify", 0, &resp, err)) < 0)
		goto out;
	if (resp.nerrors) {
		rc = oai_error(x, &resp, "Identify", err);
		goto out;
	}
	if ((rc = want_verb(&resp, "Identify", err)) < 0)
		goto out;
	if (strcmp(resp.protocol, "2.0")) {
		rc = vl_err_set(err, VL_E_FORMAT,
				"Identify: protocol version '%s', not 2.0",
				resp.protocol);
		goto out;
	}
	/* §4.2: the finest granularity the source supports in from=;
	 * days are always accepted (§3.3.1). */
	if (!strcmp(resp.granularity, "YYYY-MM-DDThh:mm:ssZ")) {
		x->gran_day = 0;
	} else {
		x->gran_day = 1;
		if (strcmp(resp.granularity, "YYYY-MM-DD"))
			note(x,
			     "%s: Identify granularity '%s' is not one of the "
			     "two OAI-PMH allows; using days",
			     x->src.name, resp.granularity);
	}
	/* §2.5.1: such a source never says what it deleted; told once,
	 * at the first harvest. */
	if (!strcmp(resp.deleted_record, "no") && !x->src.harvested_until &&
	    !x->src.resume_token)
		note(x,
		     "%s: the source keeps no deleted records (Identify "
		     "deletedRecord 'no'): records it deletes will stay here",
		     x->src.name);
out:
	hv_response_release(&resp);
	return rc;
}

static int
metadata_formats(struct run *x, struct vl_err *err)
{
	struct hv_response resp = { 0 };
	int rc;

	if ((rc = request(x, "verb=ListMetadataFormats", 0, &resp, err)) < 0)
		goto out;
	if (resp.nerrors) {
		rc = oai_error(x, &resp, "ListMetadataFormats", err);
		goto out;
	}
	if ((rc = want_verb(&resp, "ListMetadataFormats", err)) < 0)
		goto out;
	if (!resp.prefix_found) {
		rc = vl_err_set(err, VL_E_CHECK,
				"the source does not offer metadataPrefix "
				"'%s'",
				x->src.prefix);
		goto out;
	}
	free(x->ns);
	x->ns = resp.prefix_ns;
	resp.prefix_ns = NULL;
out:
	hv_response_release(&resp);
	return rc;
}

static int
bind_exec(struct repo *r, const char *sql, const char *const *args, int n,
	  const int64_t *nums, int nn, struct vl_err *err)
{
	sqlite3_stmt *st;
	int i, rc;

	if ((rc = repo_prepare(r, &st, sql, err)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC);
	for (i = 0; i < nn; i++)
		sqlite3_bind_int64(st, n + i + 1, nums[i]);
	rc = sqlite3_step(st) == SQLITE_DONE
		     ? 0
		     : repo_db_err(r->db, err, "catalog");
	sqlite3_finalize(st);
	return rc;
}

static void
take_counts(struct run *x)
{
	const struct hv_counts *c = hv_store_counts(x->store);

	x->res->added = c->added;
	x->res->updated = c->updated;
	x->res->unchanged = c->unchanged;
	x->res->deleted = c->deleted;
	x->res->rejected = c->rejected;
}

/* The run's counters s into its row, on r (inside the caller's
 * transaction). */
static int
save_run_on(struct repo *r, const struct oai_harvest_result *s,
	    const char *list_date, const char *list_from, const char *finished,
	    const char *outcome, struct vl_err *err)
{
	const char *a[6] = { finished,
			     outcome,
			     *list_date ? list_date : NULL,
			     *s->stopped_at ? s->stopped_at : NULL,
			     *s->error ? s->error : NULL,
			     *list_from ? list_from : NULL };
	int64_t n[9] = { (int64_t)s->pages,
			 (int64_t)s->records,
			 (int64_t)s->added,
			 (int64_t)s->updated,
			 (int64_t)s->unchanged,
			 (int64_t)s->deleted,
			 (int64_t)s->rejected,
			 s->resumed,
			 s->run };

	return bind_exec(r,
			 "UPDATE harvest_runs SET finished = ?1, outcome = ?2,"
			 " response_date = ?3, stopped_at = ?4, error = ?5,"
			 " from_date = ?6, pages = ?7, records = ?8,"
			 " added = ?9, updated = ?10, unchanged = ?11,"
			 " deleted = ?12, rejected = ?13, resumed = ?14"
			 " WHERE id = ?15",
			 a, 6, n, 9, err);
}

static int
save_run(struct run *x, const char *finished, const char *outcome,
	 struct vl_err *err)
{
	return save_run_on(x->r, x->res, x->list_date, x->list_from, finished,
			   outcome, err);
}

/* Where the list continues after a page, and the run's counters then:
 * a copy, saved later by the storing thread. */
struct position {
	char *token; /* NULL: the list ended */
	char list_from[VL_TIME_LEN], list_date[VL_TIME_LEN];
	const char *granularity, *ns, *source; /* the run's, outlive it */
	struct oai_harvest_result res;
};

static void
position_free(void *ctx)
{
	struct position *p = ctx;

	if (p)
		free(p->token);
	free(p);
}

static struct position *
position_new(struct run *x, const char *token)
{
	struct position *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (token && !(p->token = strdup(token))) {
		free(p);
		return NULL;
	}
	memcpy(p->list_from, x->list_from, sizeof(p->list_from));
	memcpy(p->list_date, x->list_date, sizeof(p->list_date));
	p->granularity = x->gran_day ? "YYYY-MM-DD" : "YYYY-MM-DDThh:mm:ssZ";
	p->ns = x->ns;
	p->source = x->src.name;
	take_counts(x);
	p->res = *x->res;
	return p;
}

/* After a page: where the list continues, inside the transaction that
 * stores the page's new records (hv_store_page_done), on the storing
 * thread's connection r, so the two are durable together. */
static int
save_position(void *ctx, struct repo *r, struct vl_err *err)
{
	const struct position *p = ctx;
	const char *a[6] = { p->token,
			     p->token ? p->list_from : NULL,
			     p->token ? p->list_date : NULL,
			     p->granularity,
			     p->ns,
			     p->source };
	int rc;

	if ((rc = bind_exec(r,
			    "UPDATE harvest_sources SET resume_token = ?1,"
			    " resume_from = ?2, resume_date = ?3,"
			    " granularity = ?4, metadata_ns = ?5"
			    " WHERE name = ?6",
			    a, 6, NULL, 0, err)) < 0)
		return rc;
	return save_run_on(r, &p->res, p->list_date, p->list_from, NULL, NULL,
			   err);
}

static int
finish_list(struct run *x, struct vl_err *err)
{
	char now[VL_TIME_LEN];
	const char *a[2] = { x->list_date, x->src.name };
	int rc;

	vl_time_now(now);
	if ((rc = repo_begin(x->r, err)) < 0)
		return rc;
	take_counts(x);
	if ((rc = bind_exec(x->r,
			    "UPDATE harvest_sources SET harvested_until = ?1,"
			    " resume_token = NULL, resume_from = NULL,"
			    " resume_date = NULL WHERE name = ?2",
			    a, 2, NULL, 0, err)) < 0 ||
	    (rc = save_run(x, now, "ok", err)) < 0) {
		repo_rollback(x->r);
		return rc;
	}
	return repo_commit(x->r, err);
}

/* from= for a list after `until`, in the source's granularity. */
static void
from_for(struct run *x, const char *until)
{
	if (!until || !*until)
		x->list_from[0] = '\0';
	else if (x->gran_day)
		snprintf(x->list_from, sizeof(x->list_from), "%.10s", until);
	else
		snprintf(x->list_from, sizeof(x->list_from), "%s", until);
}

static int
list_args(struct run *x, const char *token, struct vl_buf *args)
{
	int rc = add_arg(args, "verb", "ListRecords");

	if (token)
		return rc | add_arg(args, "resumptionToken", token);
	rc |= add_arg(args, "metadataPrefix", x->src.prefix);
	if (x->src.set)
		rc |= add_arg(args, "set", x->src.set);
	if (*x->list_from)
		rc |= add_arg(args, "from", x->list_from);
	return rc;
}

/* Reads the list page by page.  *token is the saved position (or
 * NULL: the list from list_from). */
static int
harvest_list(struct run *x, char *token, struct vl_err *err)
{
	struct hv_response resp = { 0 };
	struct vl_buf args = VL_BUF_INIT;
	struct hv_then then;
	int rc = 0, first;

	for (;;) {
		first = token == NULL;
		vl_buf_reset(&args);
		if (list_args(x, token, &args) < 0) {
			rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
			break;
		}
		snprintf(x->res->stopped_at, sizeof(x->res->stopped_at),
			 "page %llu: %s", (unsigned long long)x->res->pages + 1,
			 args.buf);
		rc = request(x, args.buf, 1, &resp, err);
		if (rc == 0 && resp.nerrors) {
			/* §3.6: an empty selection is an answer, not a
			 * failure. */
			if (first &&
			    !strcmp(resp.error_code, "noRecordsMatch") &&
			    *resp.response_date) {
				snprintf(x->list_date, sizeof(x->list_date),
					 "%s", resp.response_date);
				x->res->pages++;
				break;
			}
			/* An expired or refused token: the list again from
			 * the same from=, once (§3.5: tokens may expire). */
			if (!first &&
			    !strcmp(resp.error_code, "badResumptionToken") &&
			    !x->res->restarted) {
				note(x,
				     "%s: the source refused the resumption "
				     "token (%s); asking for the list again",
				     x->src.name, resp.error_msg);
				x->res->restarted = 1;
				free(token);
				token = NULL;
				x->list_date[0] = '\0';
				continue;
			}
			rc = oai_error(x, &resp, "ListRecords", err);
		}
		if (rc == 0)
			rc = want_verb(&resp, "ListRecords", err);
		if (rc < 0)
			break;
		if (first) {
			if (!*resp.response_date) {
				rc = vl_err_set(err, VL_E_FORMAT,
						"ListRecords: no valid "
						"responseDate (section 3.2)");
				break;
			}
			snprintf(x->list_date, sizeof(x->list_date), "%s",
				 resp.response_date);
		}
		/* A source handing out the token it was just asked with
		 * would be harvested forever (its records are kept). */
		if (token && resp.token && !strcmp(token, resp.token)) {
			rc = vl_err_set(err, VL_E_FORMAT,
					"the source answered with the same "
					"resumption token again");
			break;
		}
		x->res->pages++;
		x->res->records += resp.records;
		free(token);
		token = resp.token;
		resp.token = NULL;
		/* Every record of the page is stored in the transaction
		 * that moves the position past it (by the storing thread,
		 * while the next pages are read). */
		then.fn = save_position;
		then.free_ctx = position_free;
		if (!(then.ctx = position_new(x, token))) {
			rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
			break;
		}
		if ((rc = hv_store_page_done(x->store, &then, !token, err)) < 0)
			break;
		if (x->o->progress)
			x->o->progress(x->o->ctx, x->res->records, resp.size);
		if (!token)
			break;
	}
	free(token);
	hv_response_release(&resp);
	vl_buf_release(&args);
	if (rc == 0)
		x->res->stopped_at[0] = '\0';
	return rc;
}

static int
lock_repo(struct repo *r, int *fd, struct vl_err *err)
{
	struct vl_buf p = VL_BUF_INIT;
	int rc = 0;

	vl_buf_addf(&p, "%s/harvest.lock", r->path);
	*fd = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (*fd < 0)
		rc = vl_err_sys(err, VL_E_IO, "cannot open '%s'", p.buf);
	else if (flock(*fd, LOCK_EX | LOCK_NB) < 0)
		rc = errno == EWOULDBLOCK
			     ? vl_err_set(err, VL_E_BUSY,
					  "another harvest is running in this "
					  "repository")
			     : vl_err_sys(err, VL_E_IO, "cannot lock '%s'",
					  p.buf);
	vl_buf_release(&p);
	return rc;
}

static int
start_run(struct run *x, struct vl_err *err)
{
	char now[VL_TIME_LEN];
	const char *a[3] = { x->src.name, now,
			     *x->list_from ? x->list_from : NULL };
	int rc;

	vl_time_now(now);
	if ((rc = bind_exec(x->r,
			    "INSERT INTO harvest_runs(source, started,"
			    " from_date) VALUES(?1, ?2, ?3)",
			    a, 3, NULL, 0, err)) < 0)
		return rc;
	x->res->run = sqlite3_last_insert_rowid(x->r->db);
	return 0;
}

/* The run failed: recorded with its error and where it stopped. */
static void
fail_run(struct run *x, const struct vl_err *why)
{
	char now[VL_TIME_LEN];
	struct vl_err e2 = { 0 };

	snprintf(x->res->error, sizeof(x->res->error), "%s", why->msg);
	if (!x->res->run)
		return;
	vl_time_now(now);
	if (x->store)
		take_counts(x);
	if (save_run(x, now, "failed", &e2) < 0)
		vl_log_warnx("harvest run %lld: %s", (long long)x->res->run,
			     e2.msg);
}

int
oai_harvest_run(struct repo *r, const char *name,
		const struct oai_harvest_opts *o,
		struct oai_harvest_result *res, struct vl_err *err)
{
	struct run x = { .r = r, .o = o, .res = res };
	struct hv_http_opts ho = { 0 };
	struct hv_store_opts so = { 0 };
	struct timespec t0, t1;
	struct vl_err ignored;
	char *token = NULL;
	int rc, rc2, lock = -1;

	memset(res, 0, sizeof(*res));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	vl_buf_init(&x.prolog, 0);
	if ((rc = source_load(r, name, &x.src, err)) < 0)
		goto out;
	if ((rc = lock_repo(r, &lock, err)) < 0)
		goto out;
	/* The saved position (a run that stopped), unless --full (a
	 * sweep needs the whole list too). */
	if (x.src.resume_token && !o->full && !o->sweep) {
		if (!(token = strdup(x.src.resume_token))) {
			rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
			goto out;
		}
		snprintf(x.list_from, sizeof(x.list_from), "%s",
			 x.src.resume_from ? x.src.resume_from : "");
		snprintf(x.list_date, sizeof(x.list_date), "%s",
			 x.src.resume_date ? x.src.resume_date : "");
		res->resumed = 1;
	}
	x.delay_ms = o->delay_ms >= 0 ? o->delay_ms : x.src.delay_ms;
	if ((rc = start_run(&x, err)) < 0)
		goto out;
	ho.timeout_s = o->timeout_s > 0 ? o->timeout_s : 60;
	ho.max_bytes = o->max_response ? o->max_response : (uint64_t)64 << 20;
	ho.from = r->cfg.admin_email;
	ho.stop = o->stop;
	so.source = x.src.name;
	so.base_url = x.src.url;
	so.collection = x.src.collection;
	so.user =
		getenv("VELLUM_USER") ? getenv("VELLUM_USER") : getenv("USER");
	so.warn = o->warn;
	so.ctx = o->ctx;
	so.batch = o->batch;
	so.sweep = o->sweep;
	if ((rc = hv_http_new(&x.http, &ho, err)) < 0 ||
	    (rc = identify(&x, err)) < 0 ||
	    (rc = metadata_formats(&x, err)) < 0)
		goto fail;
	so.ns = x.ns;
	if ((rc = hv_store_open(&x.store, r, &so, err)) < 0)
		goto fail;
	if (!token)
		from_for(&x,
			 o->full || o->sweep ? NULL : x.src.harvested_until);
	snprintf(res->from, sizeof(res->from), "%s", x.list_from);
	rc = harvest_list(&x, token, err);
	token = NULL;
	if (rc == 0 && o->sweep)
		rc = hv_store_sweep(x.store, &res->swept, err);
	/* Every page stored; the run's last transaction (finished or
	 * failed) is durable and makes the pages before it so. */
	rc2 = hv_store_settle(x.store, rc < 0 ? &ignored : err);
	if (rc == 0)
		rc = rc2;
	if (rc < 0)
		goto fail;
	if ((rc = finish_list(&x, err)) < 0)
		goto fail;
	res->complete = 1;
	snprintf(res->next_from, sizeof(res->next_from), "%s", x.list_date);
	goto out;
fail:
	fail_run(&x, err);
out:
	free(token);
	hv_store_free(x.store);
	hv_http_free(x.http);
	free(x.ns);
	source_release(&x.src);
	vl_buf_release(&x.prolog);
	if (lock >= 0)
		close(lock);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->seconds = (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return rc;
}
