/*
 * server.c - the OAI-PMH HTTP endpoint on libmicrohttpd: /oai by GET and
 * POST (OAI-PMH §3.1), text/xml; charset=utf-8, gzip when the client
 * accepts it (§3.1.3), an access log line per request, and limits on
 * connections, request size and idle time.
 *
 * Threads: libmicrohttpd runs a pool of worker threads; a connection
 * stays on one of them.  Each worker thread has one catalog connection
 * (struct oai_db, thread-specific, opened on first use and closed when
 * the thread ends), used only inside a call: a streamed list reads each
 * chunk in a transaction of its own (see engine.c), so many responses in
 * progress share the thread's connection and its page cache.
 *
 * Transport conditions are HTTP codes (§3.1.2.2): 404 for a path other
 * than /oai, 405 for other methods, 413/414 for oversized requests, 415
 * for a POST that is not form-encoded, 503 with Retry-After when the
 * catalog cannot be read.  Everything about the protocol is an OAI-PMH
 * response with status 200.
 */
#include <arpa/inet.h>
#include <libxml/parser.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "oai.h"

/* libmicrohttpd, loaded when a server starts rather than at every
 * start of vellum (repo/vl_dl.c); written once, read-only afterwards. */
#ifndef VL_MHD_SONAME
#define VL_MHD_SONAME "libmicrohttpd.so.12"
#endif
#define MHD_FUNCS(X)                                                        \
	X(add_response_header, MHD_add_response_header)                     \
	X(create_response_from_buffer, MHD_create_response_from_buffer)     \
	X(create_response_from_buffer_with_free_callback,                   \
	  MHD_create_response_from_buffer_with_free_callback)               \
	X(create_response_from_callback, MHD_create_response_from_callback) \
	X(destroy_response, MHD_destroy_response)                           \
	X(get_connection_info, MHD_get_connection_info)                     \
	X(get_daemon_info, MHD_get_daemon_info)                             \
	X(lookup_connection_value, MHD_lookup_connection_value)             \
	X(queue_response, MHD_queue_response)                               \
	X(quiesce_daemon, MHD_quiesce_daemon)                               \
	X(start_daemon, MHD_start_daemon)                                   \
	X(stop_daemon, MHD_stop_daemon)

static struct {
	MHD_FUNCS(VL_DL_MEMBER)
} mhd;
VL_DL_LIBRARY(mhd_lib, VL_MHD_SONAME, MHD_FUNCS, mhd, NULL);

#define BLOCK_SIZE  (64 * 1024)
#define ZIN_SIZE    (32 * 1024)
#define LOG_URI_MAX 400
/* A response up to this size (a list page of the default 100 records is
 * ~100 KiB) is made whole before it is sent: one buffer, a
 * Content-Length, no chunked framing, and a catalog error becomes a 503
 * instead of a cut response.  Larger ones are streamed after this much. */
#define WHOLE_MAX (256 * 1024)
#define FILL_STEP (64 * 1024)

struct oai_server {
	struct MHD_Daemon *mhd;
	struct oai_provider *p;
	char *catalog;
	pthread_key_t db_key; /* the thread's struct oai_db */
	pthread_mutex_t lock;
	unsigned active; /* responses in progress (under lock) */
	size_t max_request;
	int access_log;
	unsigned port;
};

/* One HTTP request, from its URI to the end of its response. */
struct request {
	struct oai_server *srv;
	char *uri; /* raw, as received: the query is decoded by us */
	char method[8], addr[INET6_ADDRSTRLEN];
	const char *version;
	int started, post, too_big;
	struct vl_buf body;
	struct timespec t0;
	unsigned status;
	uint64_t bytes;
	struct oai_response *rs;
	struct vl_buf head; /* bytes made before streaming started */
	size_t head_pos;
	int gzip, z_ready, z_end, in_eof;
	z_stream z;
	char *zin;
};

/* ---- the thread's catalog connection ---- */

static struct oai_db *
thread_db(struct oai_server *s, struct vl_err *err)
{
	struct oai_db *d = pthread_getspecific(s->db_key);

	if (!d) {
		if (oai_db_open(&d, s->catalog, err) < 0)
			return NULL;
		pthread_setspecific(s->db_key, d);
	}
	return d;
}

/* After a catalog error, start afresh with the next request. */
static void
thread_db_drop(struct oai_server *s)
{
	oai_db_close(pthread_getspecific(s->db_key));
	pthread_setspecific(s->db_key, NULL);
}

static void
db_destructor(void *d)
{
	oai_db_close(d);
}

/* ---- responses ---- */

static enum MHD_Result
send_plain(struct MHD_Connection *c, struct request *q, unsigned status,
	   const char *text, const char *hname, const char *hvalue)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = mhd.create_response_from_buffer(strlen(text), (void *)text,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; charset=utf-8");
	if (hname)
		mhd.add_response_header(r, hname, hvalue);
	q->status = status;
	q->bytes = strlen(text);
	ret = mhd.queue_response(c, status, r);
	mhd.destroy_response(r);
	return ret;
}

/* Reads the next plain bytes of the OAI-PMH response: what was made
 * before streaming started, then from the engine. */
static ssize_t
read_plain(struct request *q, char *buf, size_t max)
{
	struct vl_err err = { 0 };
	struct oai_db *d;
	ssize_t n;

	if (q->head_pos < q->head.len) {
		size_t k = q->head.len - q->head_pos;

		if (k > max)
			k = max;
		memcpy(buf, q->head.buf + q->head_pos, k);
		q->head_pos += k;
		if (q->head_pos == q->head.len)
			vl_buf_release(&q->head);
		return (ssize_t)k;
	}
	d = thread_db(q->srv, &err);
	n = d ? oai_response_read(q->rs, d, buf, max, &err) : -1;

	if (n < 0) {
		vl_log_warnx("%s %s: response abandoned: %s", q->addr,
			     q->method, err.msg);
		thread_db_drop(q->srv);
	}
	return n;
}

static ssize_t
read_gzip(struct request *q, char *buf, size_t max)
{
	int zr;

	q->z.next_out = (Bytef *)buf;
	q->z.avail_out = (uInt)max;
	while (q->z.avail_out && !q->z_end) {
		if (!q->z.avail_in && !q->in_eof) {
			ssize_t n = read_plain(q, q->zin, ZIN_SIZE);

			if (n < 0)
				return MHD_CONTENT_READER_END_WITH_ERROR;
			q->in_eof = n == 0;
			q->z.next_in = (Bytef *)q->zin;
			q->z.avail_in = (uInt)n;
		}
		zr = deflate(&q->z, q->in_eof ? Z_FINISH : Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			q->z_end = 1;
		else if (zr != Z_OK && zr != Z_BUF_ERROR)
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	return (ssize_t)(max - q->z.avail_out);
}

static ssize_t
reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct request *q = cls;
	ssize_t n;

	(void)pos;
	n = q->gzip ? read_gzip(q, buf, max) : read_plain(q, buf, max);
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	q->bytes += (uint64_t)n;
	return n;
}

static int
start_gzip(struct request *q)
{
	/* windowBits 15 + 16: a gzip wrapper (RFC 1952).  Level 1: the
	 * server's CPU, not the network, limits a harvest. */
	if (!(q->zin = malloc(ZIN_SIZE)) ||
	    deflateInit2(&q->z, 1, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	q->z_ready = 1;
	return 0;
}

/*
 * Makes the response into q->head until it ends (1) or WHOLE_MAX bytes
 * are made (0: the rest is streamed).  A catalog error here is still an
 * HTTP 503, since nothing has been sent.
 */
static int
fill(struct request *q, struct oai_db *d, struct vl_err *err)
{
	ssize_t n;

	while (q->head.len < WHOLE_MAX) {
		if (vl_buf_grow(&q->head, FILL_STEP) < 0)
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		n = oai_response_read(q->rs, d, q->head.buf + q->head.len,
				      q->head.alloc - q->head.len - 1, err);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 1;
		q->head.len += (size_t)n;
		q->head.buf[q->head.len] = '\0';
	}
	return 0;
}

/* gzip (RFC 1952) of a whole response, for a Content-Length. */
static int
gzip_whole(struct vl_buf *out, const struct vl_buf *in)
{
	z_stream z;
	int zr;

	memset(&z, 0, sizeof(z));
	/* Level 1: the server's CPU, not the network, limits a harvest. */
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -1;
	if (vl_buf_grow(out, deflateBound(&z, (uLong)in->len)) < 0) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)in->buf;
	z.avail_in = (uInt)in->len;
	z.next_out = (Bytef *)out->buf;
	z.avail_out = (uInt)(out->alloc - 1);
	zr = deflate(&z, Z_FINISH);
	out->len = out->alloc - 1 - z.avail_out;
	deflateEnd(&z);
	return zr == Z_STREAM_END ? 0 : -1;
}

static void
add_headers(struct MHD_Response *r, int gzip)
{
	mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/xml; charset=utf-8");
	mhd.add_response_header(r, MHD_HTTP_HEADER_VARY,
				MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (gzip)
		mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING,
					"gzip");
}

/* The whole response from one buffer, handed over to libmicrohttpd. */
static struct MHD_Response *
whole_response(struct request *q)
{
	struct vl_buf z = VL_BUF_INIT;
	struct MHD_Response *r;
	size_t len;
	char *body;

	if (q->gzip && gzip_whole(&z, &q->head) < 0) {
		vl_buf_release(&z);
		return NULL;
	}
	body = vl_buf_detach(q->gzip ? &z : &q->head, &len);
	vl_buf_release(&q->head);
	q->bytes = len;
	r = mhd.create_response_from_buffer_with_free_callback(len, body, free);
	if (!r)
		free(body);
	return r;
}

static enum MHD_Result
answer(struct MHD_Connection *c, struct request *q)
{
	struct oai_server *s = q->srv;
	struct vl_buf args = VL_BUF_INIT;
	struct MHD_Response *r;
	struct vl_err err = { 0 };
	struct oai_db *d;
	const char *qs = strchr(q->uri, '?'), *ae;
	enum MHD_Result ret;
	int rc, whole;

	if (qs && vl_buf_adds(&args, qs + 1) < 0)
		goto busy;
	if (q->post && q->body.len &&
	    ((args.len && vl_buf_addch(&args, '&') < 0) ||
	     vl_buf_add(&args, q->body.buf, q->body.len) < 0))
		goto busy;
	if (!(d = thread_db(s, &err)))
		goto fail;
	rc = oai_response_new(&q->rs, s->p, d, args.buf, args.len, time(NULL),
			      &err);
	vl_buf_release(&args);
	if (rc < 0) {
		thread_db_drop(s);
		goto fail;
	}
	pthread_mutex_lock(&s->lock);
	s->active++;
	pthread_mutex_unlock(&s->lock);
	if ((whole = fill(q, d, &err)) < 0) {
		thread_db_drop(s);
		goto fail;
	}
	ae = mhd.lookup_connection_value(c, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_ACCEPT_ENCODING);
	q->gzip = strcmp(q->method, "HEAD") && oai_accepts_gzip(ae);
	if (whole) {
		r = whole_response(q);
	} else {
		q->gzip = q->gzip && start_gzip(q) == 0;
		r = mhd.create_response_from_callback(
			MHD_SIZE_UNKNOWN, BLOCK_SIZE, reader, q, NULL);
	}
	if (!r)
		goto busy;
	add_headers(r, q->gzip);
	q->status = MHD_HTTP_OK;
	ret = mhd.queue_response(c, MHD_HTTP_OK, r);
	mhd.destroy_response(r);
	return ret;
fail:
	vl_buf_release(&args);
	vl_log_warnx("%s: %s", q->addr, err.msg);
	return send_plain(c, q, MHD_HTTP_SERVICE_UNAVAILABLE,
			  "the catalog cannot be read now; retry later\n",
			  MHD_HTTP_HEADER_RETRY_AFTER, "10");
busy:
	vl_buf_release(&args);
	return send_plain(c, q, MHD_HTTP_SERVICE_UNAVAILABLE,
			  "out of memory; retry later\n",
			  MHD_HTTP_HEADER_RETRY_AFTER, "10");
}

/* Is the POST body form-encoded (§3.1.1.2)?  A missing type is taken
 * to be, as browsers and harvesting libraries send it. */
static int
form_encoded(struct MHD_Connection *c)
{
	const char *ct = mhd.lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen("application/x-www-form-urlencoded");

	return !ct ||
	       (!strncasecmp(ct, "application/x-www-form-urlencoded", n) &&
		(ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '));
}

static void
client_addr(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
		mhd.get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, n, "-");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  out, (socklen_t)n);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
			  (socklen_t)n);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
	const char *method, const char *version, const char *upload_data,
	size_t *upload_data_size, void **con_cls)
{
	struct request *q = *con_cls;

	(void)cls;
	if (!q)
		return MHD_NO;
	if (!q->started) {
		q->started = 1;
		q->version = version;
		snprintf(q->method, sizeof(q->method), "%s", method);
		client_addr(c, q->addr, sizeof(q->addr));
		if (strlen(q->uri) > q->srv->max_request)
			return send_plain(c, q, MHD_HTTP_URI_TOO_LONG,
					  "request URI too long\n", NULL, NULL);
		if (strcmp(url, "/oai"))
			return send_plain(c, q, MHD_HTTP_NOT_FOUND,
					  "not found: the OAI-PMH base URL "
					  "is /oai\n",
					  NULL, NULL);
		/* Answered at the next call, once the request is read: a
		 * response queued now would make libmicrohttpd discard the
		 * rest of the request and close the connection (no
		 * keep-alive). */
		if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
			return MHD_YES;
		if (strcmp(method, "POST"))
			return send_plain(c, q, MHD_HTTP_METHOD_NOT_ALLOWED,
					  "method not allowed\n",
					  MHD_HTTP_HEADER_ALLOW,
					  "GET, HEAD, POST");
		if (!form_encoded(c))
			return send_plain(c, q, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
					  "POST requests must be "
					  "application/x-www-form-urlencoded\n",
					  NULL, NULL);
		q->post = 1;
		vl_buf_init(&q->body, q->srv->max_request);
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* A GET or HEAD body means nothing here: dropped. */
		if (q->post && !q->too_big &&
		    vl_buf_add(&q->body, upload_data, *upload_data_size) < 0)
			q->too_big = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (q->too_big)
		return send_plain(c, q, MHD_HTTP_CONTENT_TOO_LARGE,
				  "request body too large\n", NULL, NULL);
	return answer(c, q);
}

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct request *q = calloc(1, sizeof(*q));

	(void)c;
	if (!q)
		return NULL;
	q->srv = cls;
	clock_gettime(CLOCK_MONOTONIC, &q->t0);
	if (!(q->uri = strdup(uri))) {
		free(q);
		return NULL;
	}
	vl_buf_init(&q->body, 0);
	vl_buf_init(&q->head, 0);
	return q;
}

static void
access_log(struct request *q, int aborted)
{
	char when[32], uri[LOG_URI_MAX + 4], line[1024];
	const char *verb = "-", *error = "";
	struct timespec t1;
	struct tm tm;
	time_t now = time(NULL);
	size_t i;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - q->t0.tv_sec) * 1e3 +
	     (double)(t1.tv_nsec - q->t0.tv_nsec) / 1e6;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	/* The URI is untrusted: printable ASCII only, and bounded. */
	for (i = 0; i < LOG_URI_MAX && q->uri[i]; i++)
		uri[i] =
			q->uri[i] > 0x20 && q->uri[i] < 0x7f && q->uri[i] != '"'
				? q->uri[i]
				: '?';
	if (q->uri[i])
		memcpy(uri + i, "...", 4);
	else
		uri[i] = '\0';
	if (q->rs) {
		verb = oai_response_verb(q->rs);
		error = oai_response_error(q->rs);
	}
	snprintf(line, sizeof(line),
		 "%s - - [%s] \"%s %s %s\" %u %llu %.1fms %s%s%s%s%s\n",
		 q->addr[0] ? q->addr : "-", when,
		 q->method[0] ? q->method : "-", uri,
		 q->version ? q->version : "-", q->status,
		 (unsigned long long)q->bytes, ms, verb,
		 *error ? " error=" : "", error, q->gzip ? " gzip" : "",
		 aborted ? " aborted" : "");
	fputs(line, stderr);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct request *q = *con_cls;

	(void)cls;
	(void)c;
	if (!q)
		return;
	if (q->srv->access_log && q->started)
		access_log(q, toe != MHD_REQUEST_TERMINATED_COMPLETED_OK);
	if (q->rs) {
		oai_response_free(q->rs);
		pthread_mutex_lock(&q->srv->lock);
		q->srv->active--;
		pthread_mutex_unlock(&q->srv->lock);
	}
	if (q->z_ready)
		deflateEnd(&q->z);
	free(q->zin);
	vl_buf_release(&q->head);
	vl_buf_release(&q->body);
	free(q->uri);
	free(q);
	*con_cls = NULL;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	/* Mostly clients going away mid-response: worth seeing with -v -v
	 * only.  Failures to start are reported by oai_server_start(). */
	vl_log_debug("http: %s", msg);
}

/* "HOST:PORT", "[V6]:PORT" or ":PORT" (127.0.0.1) into a socket address;
 * HOST is an IPv4 address or "localhost" (no name lookups). */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, struct vl_err *err)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h = s;
	size_t hn;
	unsigned long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	colon = strrchr(s, ':');
	if (!colon)
		goto bad;
	if (*s == '[') {
		if (colon == s || colon[-1] != ']')
			goto bad;
		h = s + 1;
		hn = (size_t)(colon - 1 - h);
	} else {
		hn = (size_t)(colon - s);
	}
	if (hn >= sizeof(host))
		goto bad;
	memcpy(host, h, hn);
	host[hn] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port > 65535)
		goto bad;
	if (!hn || !strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (*s == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			goto bad;
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			goto bad;
	}
	return 0;
bad:
	return vl_err_set(err, VL_E_INVAL,
			  "listen address '%s' is not HOST:PORT (IPv4) or "
			  "[ADDR]:PORT (IPv6)",
			  s);
}

int
oai_server_start(struct oai_server **out, struct repo *r,
		 const struct oai_server_opts *o, struct vl_err *err)
{
	struct oai_server *s;
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *di;
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = parse_listen(o->listen, &ss, err)) < 0)
		return rc;
	if ((rc = vl_dl_load(&mhd_lib, err)) < 0)
		return rc;
	/* libxml2 (identifier checks) must be set up before threads use
	 * it. */
	xmlInitParser();
	if (!(s = calloc(1, sizeof(*s))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	pthread_mutex_init(&s->lock, NULL);
	if (pthread_key_create(&s->db_key, db_destructor) != 0) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return vl_err_set(err, VL_E_NOMEM, "no thread key");
	}
	s->max_request = o->max_request ? o->max_request : 16384;
	s->access_log = o->access_log;
	n = strlen(r->path) + sizeof(REPO_CATALOG_NAME) + 2;
	if (!(s->catalog = malloc(n))) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto fail;
	}
	snprintf(s->catalog, n, "%s/%s", r->path, REPO_CATALOG_NAME);
	if ((rc = oai_provider_new(&s->p, r, o->base_url, err)) < 0)
		goto fail;
	oai_provider_set_page_cache(s->p, !o->no_page_cache);
	s->mhd = mhd.start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			MHD_USE_ERROR_LOG |
			(ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
		0, NULL, NULL, handler, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
		s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned)(o->threads ? o->threads : 2),
		MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)(o->max_connections ? o->max_connections : 128),
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)(o->timeout ? o->timeout : 30),
		MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)(BLOCK_SIZE + 2 * 1024 + s->max_request),
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
	if (!s->mhd) {
		rc = vl_err_set(err, VL_E_IO,
				"cannot listen on '%s' (address in use or not "
				"local?)",
				o->listen);
		goto fail;
	}
	di = mhd.get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : 0;
	*out = s;
	return 0;
fail:
	oai_provider_free(s->p);
	free(s->catalog);
	pthread_key_delete(s->db_key);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return rc;
}

unsigned
oai_server_port(const struct oai_server *s)
{
	return s->port;
}

void
oai_server_stop(struct oai_server *s, unsigned grace)
{
	MHD_socket fd;
	unsigned i, active;

	if (!s)
		return;
	/* Stop accepting; let responses in progress finish. */
	fd = mhd.quiesce_daemon(s->mhd);
	for (i = 0; i < grace * 10; i++) {
		pthread_mutex_lock(&s->lock);
		active = s->active;
		pthread_mutex_unlock(&s->lock);
		if (!active)
			break;
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	/* Joins the worker threads, whose exit closes their connections. */
	mhd.stop_daemon(s->mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	pthread_key_delete(s->db_key);
	oai_provider_free(s->p);
	free(s->catalog);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
