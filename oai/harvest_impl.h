/*
 * harvest_impl.h - what the harvester's files (oai/harvest*.c) share and
 * nothing else sees: the HTTP client, the streaming response reader and
 * the record store.  The public face is the "harvester" section of oai.h.
 *
 *   harvest.c        sources, runs, the list state machine, resuming
 *   harvest_http.c   libcurl: one request, pulled as the parser reads it
 *   harvest_parse.c  xmlReader over a response: envelope, errors,
 *                    Identify, ListMetadataFormats, records, tokens
 *   harvest_store.c  a harvested record becomes an object, a new
 *                    metadata version or a tombstone
 *
 * The harvester sits above ingest/ (it stores through ing_ingest,
 * ing_update and ing_delete), so its files include ingest.h; oai.h itself
 * does not, and the provider's files never do.
 */
#ifndef HARVEST_IMPL_H
#define HARVEST_IMPL_H

#include <libxml/xmlreader.h>
#include <signal.h>

#include "../ingest/ingest.h"
#include "oai.h"

#define HV_OAI_NS  "http://www.openarchives.org/OAI/2.0/"
#define HV_PROV_NS "http://www.openarchives.org/OAI/2.0/provenance"
#define HV_PROV_SCHEMA                                   \
	"http://www.openarchives.org/OAI/2.0/provenance" \
	".xsd"
/* The prolog (XML declaration, comments) may be at most this long before
 * the root element starts. */
#define HV_PROLOG_MAX (64 * 1024)

/* ---- harvest_http.c ---- */

struct hv_http;

struct hv_http_opts {
	long timeout_s;     /* no byte for this long: the request fails */
	uint64_t max_bytes; /* decoded body cap */
	const char *from;   /* From: header (an e-mail address) or NULL */
	volatile sig_atomic_t *stop;
};

int hv_http_new(struct hv_http **out, const struct hv_http_opts *o,
		struct vl_err *err);
void hv_http_free(struct hv_http *h);

/* What a request's head said. */
struct hv_head {
	long status;      /* HTTP status, 0 when none arrived */
	char ctype[128];  /* Content-Type, "" when absent */
	long retry_after; /* seconds, -1 when absent */
	int transport;    /* 1: the failure was the network's (retry) */
};

/*
 * Starts a GET of url and waits for the response head (or the first
 * failure).  Returns 0 with head filled when a head arrived, whatever
 * its status; a negative code with head->transport set when the
 * connection failed or timed out before.
 */
int hv_http_start(struct hv_http *h, const char *url, struct hv_head *head,
		  struct vl_err *err);
/* Reads up to n body bytes into buf: the count, 0 at the end, or a
 * negative code (the transfer failed; hv_http_transport() says whether
 * the network was to blame). */
ssize_t hv_http_read(struct hv_http *h, char *buf, size_t n,
		     struct vl_err *err);
int hv_http_transport(const struct hv_http *h);
/* The first bytes of a body (an error page) as readable text, for a
 * message: its <title> if it has one. */
void hv_http_excerpt(struct hv_http *h, char *out, size_t n);
/* Ends the current request (the connection is kept for the next). */
void hv_http_finish(struct hv_http *h);
/* The URL actually answering (after redirects); borrowed. */
const char *hv_http_effective_url(struct hv_http *h);

/* ---- harvest_parse.c ---- */

/* One <record> of a ListRecords or GetRecord response.  Strings are
 * borrowed for the callback's duration. */
struct hv_record {
	const char *identifier; /* "" when the header has none */
	const char *datestamp;  /* "" when missing */
	int deleted;            /* header status="deleted" */
	const char *const *sets;
	size_t nsets;
	const char *xml; /* the metadata element, standalone, UTF-8 */
	size_t len;
	xmlNodePtr node;    /* the same as a tree (while the callback runs), or
			       NULL */
	const char *ns;     /* its namespace URI ("" if none) */
	const char *origin; /* upstream provenance: an originDescription
			       element, standalone, or NULL */
	size_t origin_len;
	const char *problem; /* why the record is unusable, or NULL */
};

/* Called for each record; 0 goes on, a negative code stops the parse
 * and is returned. */
typedef int hv_record_fn(void *ctx, const struct hv_record *rec,
			 struct vl_err *err);

/* What the envelope and the verb element said. */
struct hv_response {
	char response_date[VL_TIME_LEN]; /* "" when missing or malformed */
	char verb[32];                   /* element after request */
	/* the first error and how many there were */
	char error_code[32];
	char error_msg[256];
	unsigned nerrors;
	/* lists */
	uint64_t records;
	int has_token;        /* a resumptionToken element was present */
	char *token;          /* its text, NULL when empty (the list is done) */
	int64_t cursor, size; /* -1 when absent */
	/* Identify */
	char granularity[24], protocol[8], deleted_record[16];
	char earliest[VL_TIME_LEN + 8];
	char *base_url;
	/* ListMetadataFormats: the namespace of the wanted prefix */
	char *prefix_ns;
	int prefix_found;
};
void hv_response_release(struct hv_response *r);

/*
 * Checks the start of a response body before any XML parser sees it:
 * an OAI-PMH response needs no DTD (§3.2, character references only), so
 * a DOCTYPE is refused here, which leaves no way to declare an entity
 * (XXE, billion laughs).  Returns 1 when the root element starts within
 * buf, 0 when more bytes are needed (at_eof: the body ended, an error),
 * or VL_E_UNSAFE / VL_E_FORMAT naming the problem.
 */
int hv_prolog_check(const char *buf, size_t len, int at_eof,
		    struct vl_err *err);

/*
 * Reads a whole response through rd (xmlReader; records streamed one at
 * a time, each subtree freed before the next).  want_prefix names the
 * format whose namespace ListMetadataFormats should report.  Returns 0
 * when the document was read to its end: OAI-PMH errors are in resp.
 * VL_E_FORMAT: not well-formed or not an OAI-PMH response (the message
 * names the line); a callback's code otherwise.
 */
int hv_parse(xmlTextReaderPtr rd, const char *want_prefix, hv_record_fn *fn,
	     void *ctx, struct hv_response *resp, struct vl_err *err);
/* xmlReader options for untrusted responses. */
int hv_parse_options(void);

/* ---- harvest_store.c ---- */

struct hv_store;

struct hv_store_opts {
	unsigned batch;         /* new records stored per transaction
				   (harvest_batch.c; 0: 1) */
	const char *source;     /* source name */
	const char *base_url;   /* for provenance */
	const char *collection; /* NULL: none */
	const char *user;       /* agent of metadata versions */
	const char *ns;         /* the format's metadataNamespace, for
				   records whose root has none */
	int sweep;              /* remember each identifier (hv_store_sweep) */
	oai_harvest_warn_fn *warn;
	void *ctx;
};

struct hv_counts {
	uint64_t added, updated, unchanged, deleted, rejected;
};

/* Work done inside the transaction that stores a batch, on the
 * connection given (the storing thread's): a harvest's page position.
 * free_ctx (may be NULL) releases ctx once it has run, or not. */
struct hv_then {
	int (*fn)(void *ctx, struct repo *r, struct vl_err *err);
	void (*free_ctx)(void *ctx);
	void *ctx;
};

int hv_store_open(struct hv_store **out, struct repo *r,
		  const struct hv_store_opts *o, struct vl_err *err);
/* Stores one harvested record (a new object, a new version, a
 * tombstone, or nothing when unchanged).  A record the repository cannot
 * take (bad metadata) is rejected: counted, remembered with its reason,
 * reported through warn, and 0 returned.  New records are held and
 * counted as added at once; they are stored by hv_store_page_done().
 * A negative code means the repository itself failed (stop the run). */
int hv_store_record(struct hv_store *s, const struct hv_record *rec,
		    struct vl_err *err);
/* A page was read whole; then (taken) saves the position after it.  Its
 * new records and then are handed to the storing thread, to be stored
 * in one transaction, when the batch is full, every HV_PAGES_PER_COMMIT
 * pages, or on the last page (last); otherwise they wait with the next
 * page's.  Returns at once; a failure of an earlier batch is returned
 * here (or by hv_store_settle), and the run must stop. */
#define HV_PAGES_PER_COMMIT 32
int hv_store_page_done(struct hv_store *s, struct hv_then *then, int last,
		       struct vl_err *err);
/* Everything held, and the last position, is stored and committed when
 * this returns 0. */
int hv_store_flush(struct hv_store *s, struct vl_err *err);
/* hv_store_flush(), then commits on r are synchronous again (the run's
 * last transaction makes all before it durable).  Returns a failure not
 * yet reported.  hv_store_free() waits too, but stores nothing held. */
int hv_store_settle(struct hv_store *s, struct vl_err *err);
/* After a whole list (opts.sweep): every active record of the source
 * whose identifier the list did not hold becomes a tombstone, as a
 * deletion at the source would (counted in deleted and *swept).  An
 * empty list sweeps nothing: it is more likely a fault of the source
 * than the deletion of everything. */
int hv_store_sweep(struct hv_store *s, uint64_t *swept, struct vl_err *err);
const struct hv_counts *hv_store_counts(const struct hv_store *s);
void hv_store_free(struct hv_store *s);

/* The map row of a record (harvest_records), ?1 source, ?2 identifier,
 * ?3 object id, ?4 datestamp, ?5 digest, ?6 status, ?7 problem, ?8 time
 * harvested. */
extern const char hv_map_put_sql[];

/* ---- harvest_batch.c: new records, stored by a thread of their own ---- */

struct hv_batch;

/* What every batch of a run shares. */
struct hv_batch_opts {
	size_t max;             /* records per transaction (0: 1) */
	const char *source;     /* harvest source name */
	const char *base_url;   /* for the ingestion event */
	const char *collection; /* the collection joined, or NULL */
	const char *user;       /* agent of metadata versions */
};

/* Opens the storing thread's own connection to r's catalog and starts
 * it; o's strings must outlive the batch.  Its commits do not wait for
 * the disk (synchronous = NORMAL, see harvest_store.c relax()). */
int hv_batch_open(struct hv_batch **out, struct repo *r,
		  const struct hv_batch_opts *o, struct vl_err *err);
/* Waits for the storing thread (hv_batch_wait), then drops whatever is
 * held (nothing stored). */
void hv_batch_free(struct hv_batch *b);
int hv_batch_full(const struct hv_batch *b);
/* Is the object id or the source identifier held, or being stored? */
int hv_batch_has(const struct hv_batch *b, const char *id,
		 const char *identifier);
/* Holds a new object described by d (its forms and the values it
 * changed through a vocabulary; the contents of d are taken). */
int hv_batch_add(struct hv_batch *b, const char *id, const char *identifier,
		 const char *datestamp, const char *digest,
		 struct ing_description *d, struct vl_err *err);
/*
 * Hands everything held, and then (may be NULL), to the storing thread:
 * one transaction on its connection with the objects (metadata-only, no
 * bag), their map rows and then; all or nothing.  Waits for the batch
 * before, whose failure is returned (the records held now are dropped,
 * *failed = how many of the earlier batch were not stored).  then is
 * consumed either way.
 */
int hv_batch_flush(struct hv_batch *b, struct hv_then *then, uint64_t *failed,
		   struct vl_err *err);
/* Waits until the storing thread is idle: every batch handed over is
 * committed or failed.  Returns that failure once (*failed as above). */
/* Releases t's context (if it has a free_ctx) and empties t. */
void hv_then_release(struct hv_then *t);
int hv_batch_wait(struct hv_batch *b, uint64_t *failed, struct vl_err *err);

#endif
