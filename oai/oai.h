/*
 * oai.h - OAI-PMH 2.0.  The data provider: the protocol engine (all six
 * verbs, every error code), stateless HMAC-signed resumption tokens, XML
 * output hygiene, the HTTP server (libmicrohttpd, thread pool) and a fast
 * loader of synthetic records for tests and benchmarks.  The harvester
 * (the client side) is the last section.
 *
 * Records come from the catalog (docs/catalog.md): objects (datestamp,
 * status, md_version), metadata (the stored XML of each format for
 * objects.md_version), collections and object_collections (sets).  The
 * design is in docs/oai.md.
 *
 * Threads: a struct oai_provider is read-only after oai_provider_new() and
 * may be shared by every thread; a struct oai_db (one catalog connection
 * with its prepared statements) and a struct oai_response belong to one
 * thread at a time.
 */
#ifndef OAI_H
#define OAI_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "../repo/repo.h"

/* ---- XML output hygiene (xml.c) ---- */

/*
 * Appends s[0..len) to out escaped for XML text and attribute values
 * (& < > "), replacing what XML 1.0 (§2.2 Char) forbids: C0 controls
 * other than TAB/LF/CR, U+FFFE, U+FFFF, surrogates and malformed UTF-8
 * become U+FFFD.  Returns the number of replaced characters (>= 0) or
 * VL_E_NOMEM.
 */
int oai_xml_escape(struct vl_buf *out, const char *s, size_t len);

/*
 * Appends a stored XML element (already markup) to out unchanged except
 * for repairs that keep the response well-formed (OAI-PMH §3.2): a leading
 * XML declaration is dropped, forbidden characters (raw, or as character
 * references like &#11;) become U+FFFD, and an entity reference other
 * than the five predefined ones has its '&' escaped.  Returns the number
 * of repairs (>= 0) or VL_E_NOMEM.
 */
int oai_xml_copy(struct vl_buf *out, const char *s, size_t len);

/* ---- request arguments, dates and identifiers (args.c) ---- */

struct oai_arg {
	char *key, *value;         /* percent-decoded, NUL-terminated */
	size_t key_len, value_len; /* either may hold a NUL from %00 */
};

struct oai_args {
	struct oai_arg *v;
	size_t n;
	int bad_encoding; /* a malformed %-escape was seen */
};

/*
 * Parses application/x-www-form-urlencoded arguments (a GET query string
 * or a POST body; OAI-PMH §3.1.1): pairs split on '&', '+' is a space,
 * each %XX is decoded exactly once.  Keeps repeated keys (the engine
 * rejects them).  Returns 0 or VL_E_NOMEM; at most max_args pairs are
 * kept (VL_E_INVAL past that).
 */
int oai_args_parse(struct oai_args *a, const char *q, size_t len,
		   size_t max_args);
void oai_args_release(struct oai_args *a);

enum oai_gran { OAI_GRAN_DAY = 1, OAI_GRAN_SECONDS = 2 };

/*
 * Parses a from/until argument (OAI-PMH §3.3.1): exactly "YYYY-MM-DD" or
 * "YYYY-MM-DDThh:mm:ssZ", a real calendar date from year 0001.  Writes
 * the instant in seconds form to out: a day is its first second for
 * `from`, its last (23:59:59) for `until` (§2.7.1, bounds are inclusive).
 * Returns 0 or VL_E_INVAL.
 */
int oai_date_parse(const char *s, int is_until, char out[VL_TIME_LEN],
		   enum oai_gran *gran);

/*
 * Identifiers "oai:NAMESPACE:LOCAL" (oai-identifier guidelines §2).
 * encode appends the identifier of the catalog id `local`, percent-
 * escaping (uppercase hex) every byte outside the allowed set and '%'
 * itself.  decode writes the catalog id of an identifier into out, or
 * returns VL_E_NOTFOUND when it is not one of ours or not in canonical
 * form (identifiers compare as identical strings, §2.4).
 */
int oai_id_encode(struct vl_buf *out, const char *ns, const char *local);
int oai_id_decode(struct vl_buf *out, const char *ns, const char *id);

/* Is ns a valid oai-identifier repositoryIdentifier (a domain name)? */
int oai_namespace_valid(const char *ns);

/*
 * Does an Accept-Encoding header value (RFC 9110 §12.5.3) accept gzip?
 * "gzip", "x-gzip" or "*" with a q-value above 0.
 */
int oai_accepts_gzip(const char *accept_encoding);

/* ---- resumption tokens (token.c) ---- */

enum oai_verb {
	OAI_VERB_NONE = 0,
	OAI_GET_RECORD,
	OAI_IDENTIFY,
	OAI_LIST_IDENTIFIERS,
	OAI_LIST_METADATA_FORMATS,
	OAI_LIST_RECORDS,
	OAI_LIST_SETS,
};

/*
 * What a resumption token carries: the list's query (verb, prefix, set,
 * from, until frozen at the first request), the keyset position of the
 * last entry sent (datestamp and id; for ListSets the last setSpec in
 * pos_id), the cursor (entries sent before the next page) and the
 * complete list size computed at the first request.
 */
struct oai_token {
	enum oai_verb verb;
	char *prefix, *set;                         /* NULL when absent */
	char from[VL_TIME_LEN], until[VL_TIME_LEN]; /* "" when absent */
	char pos_ds[VL_TIME_LEN];
	char *pos_id;
	uint64_t cursor, size;
};

#define OAI_TOKEN_KEY_MAX 64

/*
 * encode appends the token to out as URL-safe text ([A-Za-z0-9-_] only):
 * base64url of a versioned, length-prefixed payload followed by its
 * HMAC-SHA256 under key.  decode verifies the MAC (in constant time)
 * before reading any field; any damage, another key or a field out of
 * range gives VL_E_FORMAT.  oai_token_release frees the strings decode
 * allocated.
 */
int oai_token_encode(struct vl_buf *out, const struct oai_token *t,
		     const unsigned char *key, size_t keylen);
int oai_token_decode(struct oai_token *t, const char *s,
		     const unsigned char *key, size_t keylen);
void oai_token_release(struct oai_token *t);

/* ---- the protocol engine (engine.c) ---- */

/* What the engine needs from the configuration, copied at creation. */
struct oai_provider;

/*
 * Reads what the provider serves from r: the configuration (name,
 * base_url unless base_url is not NULL, admin_email, oai_namespace,
 * page_size) and the token key (settings `token_key`, hex).  Logs a
 * warning if oai_namespace is no domain name (then Identify omits the
 * oai-identifier description).  Free with oai_provider_free().
 */
int oai_provider_new(struct oai_provider **out, struct repo *r,
		     const char *base_url, struct vl_err *err);
void oai_provider_free(struct oai_provider *p);
/* Turns the page cache on (the default) or off: list pages are kept per
 * catalog connection and sent again from memory while the catalog is
 * unchanged (docs/oai.md). */
void oai_provider_set_page_cache(struct oai_provider *p, int on);
/* Borrowed: the base URL the provider answers for. */
const char *oai_provider_base_url(const struct oai_provider *p);

/*
 * One read-only connection to the catalog with its prepared statements,
 * an 8 MiB page cache and a cache of list sizes (dropped whenever the
 * catalog changes).  One thread uses it at a time; the server keeps one
 * per worker thread.
 */
struct oai_db;
int oai_db_open(struct oai_db **out, const char *catalog_path,
		struct vl_err *err);
void oai_db_close(struct oai_db *d);

struct oai_response;

/*
 * Answers one request.  args is the raw x-www-form-urlencoded argument
 * string (the GET query or the POST body), now the request time.  An
 * OAI-PMH error is a normal response (§3.6); this fails only for catalog
 * or memory errors (VL_E_DB, VL_E_NOMEM), which the server turns into an
 * HTTP 503.  A list is produced lazily by oai_response_read().  d is
 * used only during each call, never held in between: any connection to
 * the same catalog may be passed to each call.
 */
int oai_response_new(struct oai_response **out, const struct oai_provider *p,
		     struct oai_db *d, const char *args, size_t len, time_t now,
		     struct vl_err *err);

/*
 * Copies the next bytes of the response into buf (at most max, max >=
 * 64): records are read from the catalog as they are written, each
 * call in a read transaction of its own that continues after the last
 * record written (so no snapshot is held while a client is slow).
 * Returns the byte count, 0 at the end, or a negative VL_E_* (the
 * response is then incomplete and must be abandoned).
 */
ssize_t oai_response_read(struct oai_response *rs, struct oai_db *d, char *buf,
			  size_t max, struct vl_err *err);

/* For the access log: the verb ("-" if none) and the first error code
 * ("" if none).  Borrowed. */
const char *oai_response_verb(const struct oai_response *rs);
const char *oai_response_error(const struct oai_response *rs);
/* Characters repaired in this response so far (forbidden in XML 1.0). */
unsigned long oai_response_repairs(const struct oai_response *rs);
void oai_response_free(struct oai_response *rs);

/* The whole response to args in out (tests and tools). */
int oai_respond(struct vl_buf *out, const struct oai_provider *p,
		struct oai_db *d, const char *args, time_t now,
		struct vl_err *err);

/* ---- the HTTP server (server.c) ---- */

struct oai_server_opts {
	const char *listen;       /* "HOST:PORT" or "[V6]:PORT"; port 0 = any */
	const char *base_url;     /* NULL = the configured base_url */
	unsigned threads;         /* worker threads (thread pool size) */
	unsigned max_connections; /* open connections at once */
	unsigned timeout;         /* seconds a connection may stay idle */
	size_t max_request;       /* bytes of URI or POST body */
	int access_log;           /* 1: one line per request on stderr */
	int no_page_cache;        /* 1: never send a list page from memory */
};

struct oai_server;

/*
 * Starts serving OAI-PMH at /oai on opts->listen in background threads.
 * Each thread opens its own catalog connections.  Returns 0 or VL_E_*
 * (address in use, bad address: VL_E_INVAL/VL_E_IO naming it).
 */
int oai_server_start(struct oai_server **out, struct repo *r,
		     const struct oai_server_opts *opts, struct vl_err *err);
/* The bound port (useful with port 0). */
unsigned oai_server_port(const struct oai_server *s);
/*
 * Stops accepting connections, lets responses in progress finish for up
 * to grace seconds, then closes everything and frees s.
 */
void oai_server_stop(struct oai_server *s, unsigned grace);

/* ---- synthetic records (synth.c) ---- */

struct oai_synth_opts {
	uint64_t count;         /* records to add */
	unsigned collections;   /* sets to create and fill (0 = none) */
	uint64_t deleted_every; /* every Nth record is a tombstone (0 = none) */
	uint64_t seed;          /* deterministic variety */
	const char *id_prefix;  /* objects.id = prefix + 8 digits */
	/* Called every few thousand records (may be NULL). */
	void (*progress)(void *ctx, uint64_t done);
	void *progress_ctx;
};

/*
 * Adds opts->count synthetic objects, each with schema-valid oai_dc and
 * MODS 3.8 records (multilingual values with xml:lang; control characters
 * in the generated source values are removed as the XML is written), in
 * one transaction: all or nothing.  Datestamps are pseudo-random in the
 * past so (datestamp, id) order differs from id order.  Writes no PREMIS
 * events: these are test data, not ingested objects.
 */
int oai_synth(struct repo *r, const struct oai_synth_opts *opts,
	      struct vl_err *err);

/* ---- harvester (harvest*.c) ----
 *
 * The client side of OAI-PMH 2.0: Vellum harvests other repositories
 * (sources) into collections of metadata-only objects, keeps them in
 * step run after run, and re-exposes them with their provenance.  Design
 * in docs/harvest.md; catalog tables harvest_sources, harvest_records and
 * harvest_runs in docs/catalog.md.
 *
 * A source is a name, a base URL, a metadataPrefix (oai_dc or mods), an
 * optional set and the collection its records join.  A run asks Identify
 * (granularity), ListMetadataFormats (the format's namespace), then
 * ListRecords from the last complete list's responseDate (incremental;
 * the whole list on the first run) and follows resumptionTokens to the
 * end.  Each record is stored on its own (new object, new metadata
 * version, tombstone, or nothing when unchanged), so a run that fails
 * keeps what it stored; the next run continues at the last page it
 * finished (the saved token, or the list again from the same `from` if
 * the token has expired).
 *
 * Threads: one run at a time per repository (a lock file); the calling
 * thread does everything.
 */

struct json_t; /* jansson's json_t */

#define OAI_SOURCE_NAME_MAX 32

/* Messages during a run: a record refused (its reason is also kept in
 * harvest_records), a note on the run (a retry, a refused token), or a
 * note on one record stored (a value a format could not hold). */
enum oai_harvest_note {
	OAI_HARVEST_REJECTED,
	OAI_HARVEST_WARNING,
	OAI_HARVEST_INFO
};
typedef void oai_harvest_warn_fn(void *ctx, enum oai_harvest_note kind,
				 const char *msg);

struct oai_source_spec {
	const char *name;       /* [A-Za-z0-9][A-Za-z0-9._-]*, <= 32 */
	const char *url;        /* http:// or https:// base URL */
	const char *prefix;     /* "oai_dc" (NULL) or "mods" */
	const char *set;        /* setSpec, or NULL for everything */
	const char *collection; /* NULL: the source name */
	int delay_ms;           /* pause between requests; -1: 500 */
};

/* Checks a source name; VL_E_INVAL naming the rule. */
int oai_source_name_check(const char *name, struct vl_err *err);
/* Adds a source (no network is used).  VL_E_EXISTS if the name is
 * taken; VL_E_INVAL naming a bad URL, prefix, set or collection. */
int oai_source_add(struct repo *r, const struct oai_source_spec *s,
		   struct vl_err *err);
/* Removes a source and its run history.  Its objects stay, and so does
 * the map from its identifiers to them: a source added again under the
 * same name updates them instead of duplicating. */
int oai_source_remove(struct repo *r, const char *name, struct vl_err *err);
/* Every source (or only `name`, VL_E_NOTFOUND if unknown) as a JSON
 * array: settings, record counts, the last run, where the next run
 * starts.  *out belongs to the caller (json_decref). */
int oai_source_list(struct repo *r, const char *name, struct json_t **out,
		    struct vl_err *err);
/* The names of every source, in order (for --all).  Free each and the
 * array. */
int oai_source_names(struct repo *r, char ***names, size_t *n,
		     struct vl_err *err);

struct oai_harvest_opts {
	long timeout_s;        /* a request with no byte for this long
				  fails (60) */
	unsigned retries;      /* retries of a request after a 5xx, 429,
				  503 or network failure (4) */
	unsigned backoff_ms;   /* first retry delay, doubled each time
				  (2000) */
	unsigned max_wait_s;   /* longest Retry-After honoured (600) */
	int delay_ms;          /* pause between requests; -1: the source's */
	uint64_t max_response; /* decoded bytes per response (64 MiB) */
	int full;              /* ignore the saved position: whole list */
	int sweep;             /* full, then tombstone every record of the
				  source the whole list no longer holds */
	unsigned batch;        /* new records stored per catalog
				  transaction (2000; 0: 1) */
	volatile sig_atomic_t *stop; /* set by a signal handler: stop
					after the current record */
	oai_harvest_warn_fn *warn;
	/* After each page (may be NULL). */
	void (*progress)(void *ctx, uint64_t records, int64_t size);
	void *ctx;
};
/* Fills o with the defaults above. */
void oai_harvest_opts_init(struct oai_harvest_opts *o);

struct oai_harvest_result {
	int64_t run;            /* harvest_runs.id */
	char from[VL_TIME_LEN]; /* from= of the list ("" = whole list) */
	int resumed;            /* continued a saved resumptionToken */
	int restarted;          /* a token was refused: list asked again */
	uint64_t pages, records;
	uint64_t added, updated, unchanged, deleted, rejected;
	uint64_t swept; /* of deleted: missing from the whole list (sweep) */
	int complete;   /* the list was harvested to its end */
	char next_from[VL_TIME_LEN]; /* from= of the next run */
	char error[512];      /* why the run stopped ("" when complete) */
	char stopped_at[512]; /* the request that failed */
	double seconds;
};

/*
 * Harvests source `name` once (see above).  Returns 0 when the list was
 * harvested to its end (records may still have been rejected: see
 * res->rejected), or a negative code with err and res->error saying why
 * the run stopped: VL_E_NET (network, HTTP, timeouts), VL_E_FORMAT (not
 * XML, not OAI-PMH, wrong content type), VL_E_CHECK (an OAI-PMH error
 * from the source), VL_E_BUSY (another run holds the lock), VL_E_INTR
 * (opts->stop), or a repository failure.  The run is recorded either way.
 */
int oai_harvest_run(struct repo *r, const char *name,
		    const struct oai_harvest_opts *o,
		    struct oai_harvest_result *res, struct vl_err *err);

/* Exposed for tests. */
/* The object id of a harvested identifier: NAME-LOCAL when the local
 * part of an oai-identifier (or the whole identifier) is made of id
 * characters and fits, else NAME-SANITIZED-HASH (16 hex digits of
 * SHA-256 of the identifier); `hashed` forces the second form.  Always a
 * valid object id (1 to 128 of A-Z a-z 0-9 . _ -). */
void oai_harvest_object_id(char out[129], const char *source,
			   const char *identifier, int hashed);

/* What a provenance description (provenance.xsd) records. */
struct oai_provenance {
	const char *base_url;   /* the source's base URL */
	const char *identifier; /* the record's identifier there */
	const char *datestamp;  /* its datestamp there */
	const char *ns;         /* metadataNamespace of what was harvested */
	const char *harvest_date;
	int altered;        /* the metadata served differs from it */
	const char *origin; /* the source's own originDescription, to
			       nest (or NULL) */
	size_t origin_len;
};
/* Appends a <provenance> element valid against provenance.xsd. */
int oai_provenance_xml(struct vl_buf *out, const struct oai_provenance *p);

#endif
