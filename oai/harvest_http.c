/*
 * harvest_http.c - the harvester's HTTP client (libcurl, http and https
 * only, peer verification kept on).  A response is pulled, not pushed:
 * the XML reader asks for bytes, and only then is the transfer driven
 * (curl multi interface), so no more than what one read of the socket
 * brought (decoded) waits between the socket and the parser, and a page
 * is parsed and stored while it is still arriving.  One connection is kept open
 * from request to request (keep-alive).
 *
 * Limits: a connection timeout, a stall timeout (no byte for timeout_s
 * fails the request, before or during the body), a cap on the decoded
 * body (gzip bombs included), at most 5 redirects, to http(s) only.
 * Requests ask for gzip or deflate (OAI-PMH §3.1.3); curl decodes.
 */
#include "../repo/vl_curl.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harvest_impl.h"

#define EXCERPT_MAX (64 * 1024)

struct hv_http {
	CURLM *multi;
	CURL *easy;
	struct hv_http_opts o;
	struct curl_slist *headers;
	struct vl_buf pend; /* received, not yet read: pend.buf + off */
	size_t off;
	uint64_t total;
	int added, done, too_big, transport;
	CURLcode result;
	char errbuf[CURL_ERROR_SIZE];
};

static size_t
on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct hv_http *h = ctx;
	size_t len = size * n;

	if (h->total + len > h->o.max_bytes) {
		h->too_big = 1;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	if (vl_buf_add(&h->pend, p, len) < 0)
		return 0;
	h->total += len;
	return len;
}

int
hv_http_new(struct hv_http **out, const struct hv_http_opts *o,
	    struct vl_err *err)
{
	const struct vl_curl *cu = vl_curl();
	struct hv_http *h;
	struct vl_buf from = VL_BUF_INIT;
	long connect;
	int rc;

	*out = NULL;
	if ((rc = vl_curl_load(err)) < 0)
		return rc;
	if (!(h = calloc(1, sizeof(*h))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	h->o = *o;
	vl_buf_init(&h->pend, 0);
	if (!(h->multi = cu->multi_init()) || !(h->easy = cu->easy_init())) {
		hv_http_free(h);
		return vl_err_set(err, VL_E_NOMEM, "cannot start libcurl");
	}
	connect = o->timeout_s < 30 ? o->timeout_s : 30;
	cu->easy_setopt(h->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(h->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(h->easy, CURLOPT_FOLLOWLOCATION, 1L);
	cu->easy_setopt(h->easy, CURLOPT_MAXREDIRS, 5L);
	cu->easy_setopt(h->easy, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(h->easy, CURLOPT_CONNECTTIMEOUT, connect);
	/* A stall of timeout_s, before the head or inside the body. */
	cu->easy_setopt(h->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	cu->easy_setopt(h->easy, CURLOPT_LOW_SPEED_TIME, o->timeout_s);
	cu->easy_setopt(h->easy, CURLOPT_ACCEPT_ENCODING, "gzip, deflate");
	cu->easy_setopt(h->easy, CURLOPT_USERAGENT,
			"vellum/" VELLUM_VERSION " (OAI-PMH harvester)");
	cu->easy_setopt(h->easy, CURLOPT_MAXFILESIZE_LARGE,
			(curl_off_t)o->max_bytes);
	cu->easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, on_data);
	cu->easy_setopt(h->easy, CURLOPT_WRITEDATA, h);
	cu->easy_setopt(h->easy, CURLOPT_ERRORBUFFER, h->errbuf);
	h->headers = cu->slist_append(NULL, "Accept: text/xml, "
					    "application/xml;q=0.9, "
					    "*/*;q=0.1");
	/* RFC 9110 10.1.2: who to ask about a misbehaving harvester. */
	if (o->from && strchr(o->from, '@') && !strpbrk(o->from, "\r\n") &&
	    vl_buf_addf(&from, "From: %s", o->from) == 0 && h->headers)
		h->headers = cu->slist_append(h->headers, from.buf);
	vl_buf_release(&from);
	if (!h->headers) {
		hv_http_free(h);
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	}
	cu->easy_setopt(h->easy, CURLOPT_HTTPHEADER, h->headers);
	*out = h;
	return 0;
}

void
hv_http_free(struct hv_http *h)
{
	const struct vl_curl *cu = vl_curl();
	if (!h)
		return;
	hv_http_finish(h);
	if (h->easy)
		cu->easy_cleanup(h->easy);
	if (h->multi)
		cu->multi_cleanup(h->multi);
	cu->slist_free_all(h->headers);
	vl_buf_release(&h->pend);
	free(h);
}

/* Drives the transfer once: reads what has arrived, notes the end. */
static int
drive(struct hv_http *h, int wait, struct vl_err *err)
{
	const struct vl_curl *cu = vl_curl();
	CURLMsg *m;
	int running = 0, left;

	if (h->o.stop && *h->o.stop)
		return vl_err_set(err, VL_E_INTR, "interrupted");
	if (wait)
		cu->multi_poll(h->multi, NULL, 0, 100, NULL);
	if (cu->multi_perform(h->multi, &running) != CURLM_OK)
		return vl_err_set(err, VL_E_NET, "libcurl failed");
	while ((m = cu->multi_info_read(h->multi, &left)))
		if (m->msg == CURLMSG_DONE) {
			h->done = 1;
			h->result = m->data.result;
		}
	if (!running && !h->done) {
		h->done = 1;
		h->result = CURLE_GOT_NOTHING;
	}
	return 0;
}

static size_t
avail(const struct hv_http *h)
{
	return h->pend.len - h->off;
}

/* Waits until some body bytes are available or the transfer ended. */
static int
fill(struct hv_http *h, struct vl_err *err)
{
	int rc, first = 1;

	while (!avail(h) && !h->done) {
		if ((rc = drive(h, !first, err)) < 0)
			return rc;
		first = 0;
	}
	return 0;
}

/* The transfer's failure as an error; sets h->transport when the
 * network is to blame (worth a retry). */
static int
transfer_error(struct hv_http *h, struct vl_err *err)
{
	const struct vl_curl *cu = vl_curl();
	const char *msg =
		h->errbuf[0] ? h->errbuf : cu->easy_strerror(h->result);

	if (h->too_big || h->result == CURLE_FILESIZE_EXCEEDED)
		return vl_err_set(err, VL_E_NET,
				  "the response is larger than %llu bytes",
				  (unsigned long long)h->o.max_bytes);
	switch (h->result) {
	case CURLE_OPERATION_TIMEDOUT:
		h->transport = 1;
		return vl_err_set(err, VL_E_NET,
				  "timed out (no data for %ld s): %s",
				  h->o.timeout_s, msg);
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM: h->transport = 1; break;
	default: break;
	}
	return vl_err_set(err, VL_E_NET, "%s", msg);
}

int
hv_http_start(struct hv_http *h, const char *url, struct hv_head *head,
	      struct vl_err *err)
{
	const struct vl_curl *cu = vl_curl();
	curl_off_t ra = 0;
	char *ct = NULL;
	int rc;

	hv_http_finish(h);
	memset(head, 0, sizeof(*head));
	head->retry_after = -1;
	vl_buf_reset(&h->pend);
	h->off = 0;
	h->total = 0;
	h->done = h->too_big = h->transport = 0;
	h->result = CURLE_OK;
	h->errbuf[0] = '\0';
	cu->easy_setopt(h->easy, CURLOPT_URL, url);
	if (cu->multi_add_handle(h->multi, h->easy) != CURLM_OK)
		return vl_err_set(err, VL_E_NET, "libcurl failed");
	h->added = 1;
	if ((rc = fill(h, err)) < 0)
		return rc;
	cu->easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &head->status);
	if (head->status == 0) {
		rc = transfer_error(h, err);
		head->transport = h->transport;
		return rc;
	}
	if (cu->easy_getinfo(h->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct)
		snprintf(head->ctype, sizeof(head->ctype), "%s", ct);
	/* Seconds or an HTTP-date (RFC 9110 10.2.3), parsed by curl; 0
	 * means there was none. */
	if (cu->easy_getinfo(h->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK &&
	    ra > 0)
		head->retry_after = ra > 86400 * 365 ? 86400 * 365 : (long)ra;
	return 0;
}

ssize_t
hv_http_read(struct hv_http *h, char *buf, size_t n, struct vl_err *err)
{
	size_t k;
	int rc;

	if ((rc = fill(h, err)) < 0)
		return rc;
	if (!avail(h)) {
		if (h->result != CURLE_OK)
			return transfer_error(h, err);
		return 0;
	}
	k = avail(h) < n ? avail(h) : n;
	memcpy(buf, h->pend.buf + h->off, k);
	h->off += k;
	if (h->off == h->pend.len) {
		vl_buf_reset(&h->pend);
		h->off = 0;
	}
	return (ssize_t)k;
}

int
hv_http_transport(const struct hv_http *h)
{
	return h->transport;
}

/* Appends printable text of s[0..len), spaces collapsed. */
static void
clean_into(char *out, size_t n, const char *s, size_t len)
{
	size_t i, o = 0;
	int space = 0;

	for (i = 0; i < len && o + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '<')
			break;
		if (c <= ' ') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < n)
			out[o++] = ' ';
		space = 0;
		out[o++] = (c < 0x7f) ? (char)c : '?';
	}
	out[o] = '\0';
}

void
hv_http_excerpt(struct hv_http *h, char *out, size_t n)
{
	const char *s, *t, *end;

	*out = '\0';
	while (!h->done && avail(h) < EXCERPT_MAX)
		if (drive(h, 1, NULL) < 0)
			break;
	s = h->pend.buf + h->off;
	end = s + avail(h);
	for (t = s; t + 7 <= end; t++)
		if (!strncasecmp(t, "<title>", 7)) {
			clean_into(out, n, t + 7, (size_t)(end - t - 7));
			if (*out)
				return;
			break;
		}
	/* No title: the start of the text, markup skipped. */
	for (t = s; t < end && *out == '\0'; t++) {
		if (*t == '<') {
			const char *gt = memchr(t, '>', (size_t)(end - t));

			if (!gt)
				break;
			t = gt;
			continue;
		}
		clean_into(out, n, t, (size_t)(end - t));
	}
}

void
hv_http_finish(struct hv_http *h)
{
	const struct vl_curl *cu = vl_curl();
	if (h && h->added) {
		cu->multi_remove_handle(h->multi, h->easy);
		h->added = 0;
	}
}

const char *
hv_http_effective_url(struct hv_http *h)
{
	const struct vl_curl *cu = vl_curl();
	char *u = NULL;

	cu->easy_getinfo(h->easy, CURLINFO_EFFECTIVE_URL, &u);
	return u ? u : "";
}
