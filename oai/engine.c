/*
 * engine.c - the OAI-PMH 2.0 protocol engine: argument rules, the six
 * verbs, error responses, and list pages streamed from the catalog.
 *
 * A request is checked in the order the specification implies (§3.6):
 *   1. verb: missing, repeated or unknown -> badVerb, nothing else;
 *   2. argument syntax: illegal, repeated, empty, missing required,
 *      resumptionToken not exclusive, bad dates, mixed granularity,
 *      from > until -> badArgument (every one found, request echoed
 *      without attributes, §3.2);
 *   3. meaning: cannotDisseminateFormat, idDoesNotExist, noSetHierarchy,
 *      badResumptionToken, noRecordsMatch, noMetadataFormats.
 *
 * Lists are keyset-paged on objects(datestamp, id), the order of the
 * objects_oai index, so page N costs what page 1 costs.  The first
 * request freezes `until` (to the last whole second before it, so that
 * nothing changed during the harvest can be returned twice) and every
 * later page continues strictly after the (datestamp, id) of the last
 * entry sent.  A record changed during a harvest gets a datestamp after
 * the frozen until and leaves this harvest; the next incremental harvest
 * picks it up.  Nothing is stored on the server: the token carries all.
 *
 * Each response reads inside one read transaction, so its list size,
 * rows and set memberships come from one snapshot of the catalog.
 */
#include <libxml/xmlschemastypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oai.h"

#define MAX_ARGS      32
#define SPEC_MAX      1024 /* longest setSpec / metadataPrefix accepted */
#define CHUNK         (128 * 1024)
#define COUNT_CACHE   16
#define PAGE_CACHE    8
#define PAGE_MAX      (512 * 1024) /* largest page body kept */
#define OAI_XSI       "http://www.w3.org/2001/XMLSchema-instance"
#define OAI_NS        "http://www.openarchives.org/OAI/2.0/"
#define OAI_SCHEMA    "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
#define OAI_DC_NS     "http://www.openarchives.org/OAI/2.0/oai_dc/"
#define OAI_DC_SCHEMA "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
#define DC_NS         "http://purl.org/dc/elements/1.1/"
#define OAI_ID_NS     "http://www.openarchives.org/OAI/2.0/oai-identifier"
#define OAI_ID_SCHEMA "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"

/* The formats every record is offered in (§3.4; prefix "all" is
 * reserved and never used). */
static const struct format {
	const char *prefix, *schema, *ns;
} formats[] = {
	{ "oai_dc", OAI_DC_SCHEMA, OAI_DC_NS },
	{ "mods", "http://www.loc.gov/standards/mods/v3/mods-3-8.xsd",
	  "http://www.loc.gov/mods/v3" },
};
#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

enum {
	A_IDENTIFIER = 1,
	A_PREFIX = 2,
	A_FROM = 4,
	A_UNTIL = 8,
	A_SET = 16,
	A_TOKEN = 32,
};
static const char *const arg_names[] = {
	"identifier", "metadataPrefix",  "from", "until",
	"set",        "resumptionToken",
};
#define N_ARG_NAMES 6

/* §4: the arguments of each verb. */
static const struct verb_rule {
	const char *name;
	enum oai_verb verb;
	unsigned required, optional, exclusive;
} verbs[] = {
	{ "GetRecord", OAI_GET_RECORD, A_IDENTIFIER | A_PREFIX, 0, 0 },
	{ "Identify", OAI_IDENTIFY, 0, 0, 0 },
	{ "ListIdentifiers", OAI_LIST_IDENTIFIERS, A_PREFIX,
	  A_FROM | A_UNTIL | A_SET, A_TOKEN },
	{ "ListMetadataFormats", OAI_LIST_METADATA_FORMATS, 0, A_IDENTIFIER,
	  0 },
	{ "ListRecords", OAI_LIST_RECORDS, A_PREFIX, A_FROM | A_UNTIL | A_SET,
	  A_TOKEN },
	{ "ListSets", OAI_LIST_SETS, 0, 0, A_TOKEN },
};

struct oai_provider {
	char *name, *base_url, *ns, *admin_email, *created;
	unsigned page_size;
	int page_cache;
	unsigned char key[OAI_TOKEN_KEY_MAX];
	size_t keylen;
	int ns_valid;
};

/* ---- catalog access ---- */

enum stmt_id {
	Q_RANGE,
	Q_DATA_VERSION,
	Q_BEGIN,
	Q_COMMIT,
	Q_HAS_SETS,
	Q_SETS_OF,
	Q_GET,
	Q_OBJECT,
	Q_FORMATS_OF,
	Q_LIST_SETS,
	Q_COUNT_SETS,
	Q_SAMPLE,
	Q_LR,
	Q_LR_SET,
	Q_LI,
	Q_LI_SET,
	Q_COUNT_IDX,
	Q_COUNT_RANGE,
	Q_COUNT_RANGE_SET,
	Q_COUNT_SCAN,
	Q_COUNT_SCAN_SET,
	Q_COUNT_SMALL,
	Q_LR_SMALL,
	Q_LI_SMALL,
	Q_SET_SIZE,
	Q_MAX_ROWID,
	N_STMT
};

/* A record is in the list of format ?1 when it is deleted (its
 * tombstone is reported in every format, §2.5.1) or has metadata in
 * that format for its current version. */
#define IN_FORMAT                                                    \
	" (o.status = 'deleted' OR EXISTS (SELECT 1 FROM metadata m" \
	"  WHERE m.object_id = o.id AND m.version = o.md_version"    \
	"  AND m.format = ?1))"
/* set=?4 selects the set and every descendant (§2.7.2): 'a' and
 * 'a:...', never 'ab'.  As one index range: [a, a;) holds both (':' + 1
 * is ';'), and the test drops 'a-x', 'a.b' and the like inside it. */
#define SPEC_IN(c)                                                      \
	c ".spec >= ?4 AND " c ".spec < ?4 || ';' AND (" c ".spec = ?4" \
	  " OR " c ".spec > ?4 || ':')"
#define IN_SET                                        \
	" EXISTS (SELECT 1 FROM object_collections c" \
	"  WHERE c.object_id = o.id AND " SPEC_IN("c") ")"
#define LIST_WHERE \
	" WHERE (o.datestamp, o.id) > (?2, ?5) AND o.datestamp <= ?3 AND"
#define LIST_ORDER " ORDER BY o.datestamp, o.id LIMIT ?6"
/* The provenance of a harvested record (objects.source is set only for
 * those): its `about` container (§2.5).  Looked up for them alone. */
#define PROVENANCE(o)                                                 \
	" CASE WHEN " o ".source IS NOT NULL THEN (SELECT p.xml FROM" \
	" metadata p WHERE p.object_id = " o ".id AND p.version = " o \
	".md_version AND p.format = 'provenance') END"
/* A record's set memberships (§2.6), read with its row rather than by a
 * statement of its own per record: setSpecs joined by U+001F, which no
 * setSpec holds (repo_collection_check). */
#define SETS_OF(o)                                                        \
	" (SELECT group_concat(c.spec, char(31)) FROM object_collections" \
	" c WHERE c.object_id = " o ".id)"
/* Every list statement yields id, datestamp, status, metadata, about,
 * sets (columns 0-5; ListIdentifiers leaves 3 and 4 NULL). */
/* The about container as a join (cheaper per row than PROVENANCE's
 * subquery): found for harvested records only. */
#define ABOUT_JOIN(o)                                                  \
	" LEFT JOIN metadata p ON " o ".source IS NOT NULL AND"        \
	" p.object_id = " o ".id AND p.version = " o ".md_version AND" \
	" p.format = 'provenance'"
#define LR_SELECT                                                             \
	"SELECT o.id, o.datestamp, o.status, m.xml, p.xml," SETS_OF(          \
		"o") " FROM objects o LEFT JOIN metadata m ON m.object_id = " \
		     "o.id"                                                   \
		     " AND m.version = o.md_version AND m.format = "          \
		     "?1" ABOUT_JOIN("o")
#define LR_FORMAT " (o.status = 'deleted' OR m.xml IS NOT NULL)"
#define LI_SELECT                                                  \
	"SELECT o.id, o.datestamp, o.status, NULL, NULL," SETS_OF( \
		"o") " FROM objects o"
/*
 * A set holding a small share of the catalog is read from its members
 * (object_collections_spec), sorted, instead of scanning objects_oai for
 * them: the scan would cost catalog size / set size rows per entry.  The
 * CROSS JOIN keeps that join order; metadata is joined to the page only.
 */
#define SMALL_SET_IDS                                                     \
	"SELECT o.id, o.datestamp, o.status, o.md_version, o.source FROM" \
	" (SELECT DISTINCT c.object_id AS oid FROM object_collections c"  \
	"  WHERE " SPEC_IN(                                               \
		"c") ") s"                                                \
		     " CROSS JOIN objects o ON o.id = s.oid" LIST_WHERE   \
			     IN_FORMAT LIST_ORDER
/*
 * completeListSize (§3.5) is exact: it counts what the request's
 * metadataPrefix can disseminate (tombstones, and records whose current
 * version has the format), as the pages do.  Checking each record's
 * metadata costs a probe per record, so the count takes the cheaper of
 * two walks: the objects_oai range (random probes: a narrow range, e.g.
 * an incremental harvest) or the objects table in rowid order (probes in
 * id order: a range holding a large share of the catalog); a small set
 * is counted from its members.  Counts are cached per connection until
 * the catalog changes (list_size()), and only a first page counts:
 * later pages carry the size in their token.
 */
#define COUNT_RANGE "o.datestamp >= ?2 AND o.datestamp <= ?3"
#define COUNT_SET                                                    \
	" AND o.id IN (SELECT c.object_id FROM object_collections c" \
	"  WHERE " SPEC_IN("c") ")"
#define COUNT_WALK                                               \
	"SELECT count(*) FROM objects o INDEXED BY objects_oai " \
	"WHERE " COUNT_RANGE " AND" IN_FORMAT
#define COUNT_SCAN                                                      \
	"SELECT count(*) FROM objects o NOT INDEXED WHERE " COUNT_RANGE \
	" AND" IN_FORMAT

static const char *const stmt_sql[N_STMT] = {
	[Q_RANGE] = "SELECT (SELECT min(datestamp) FROM objects),"
		    " (SELECT max(datestamp) FROM objects)",
	[Q_DATA_VERSION] = "PRAGMA data_version",
	[Q_BEGIN] = "BEGIN",
	[Q_COMMIT] = "COMMIT",
	[Q_HAS_SETS] = "SELECT EXISTS (SELECT 1 FROM collections)",
	[Q_SETS_OF] = "SELECT spec FROM object_collections"
		      " WHERE object_id = ?1 ORDER BY spec",
	[Q_GET] = "SELECT o.datestamp, o.status, m.xml," PROVENANCE(
		"o") " FROM objects o"
		     " LEFT JOIN metadata m ON m.object_id = o.id"
		     " AND m.version = o.md_version AND m.format = ?2"
		     " WHERE o.id = ?1",
	[Q_OBJECT] = "SELECT status, md_version FROM objects WHERE id = ?1",
	[Q_FORMATS_OF] = "SELECT format FROM metadata"
			 " WHERE object_id = ?1 AND version = ?2",
	[Q_LIST_SETS] = "SELECT spec, name, description FROM collections"
			" WHERE spec > ?1 ORDER BY spec LIMIT ?2",
	[Q_COUNT_SETS] = "SELECT count(*) FROM collections",
	[Q_SAMPLE] = "SELECT id FROM objects ORDER BY datestamp, id LIMIT 1",
	[Q_LR] = LR_SELECT LIST_WHERE LR_FORMAT LIST_ORDER,
	/* The set test first: metadata is looked up for members only. */
	[Q_LR_SET] = LR_SELECT LIST_WHERE IN_SET " AND" LR_FORMAT LIST_ORDER,
	[Q_LI] = LI_SELECT LIST_WHERE IN_FORMAT LIST_ORDER,
	[Q_LI_SET] = LI_SELECT LIST_WHERE IN_SET " AND" IN_FORMAT LIST_ORDER,
	/* Sets are read in the outer query, for the page's rows only
	 * (the inner one sorts every member in range). */
	[Q_LI_SMALL] =
		"SELECT x.id, x.datestamp, x.status, NULL, NULL," SETS_OF(
			"x") " FROM (" SMALL_SET_IDS
			     ") x ORDER BY x.datestamp, x.id",
	[Q_LR_SMALL] =
		"SELECT x.id, x.datestamp, x.status, m.xml, p.xml," SETS_OF(
			"x") " FROM (" SMALL_SET_IDS
			     ") x LEFT JOIN metadata m ON m.object_id = x.id"
			     " AND m.version = x.md_version AND m.format = "
			     "?1" ABOUT_JOIN("x") " ORDER BY x.datestamp, x.id",
	[Q_SET_SIZE] = "SELECT count(*) FROM (SELECT 1 FROM object_collections"
		       " c WHERE " SPEC_IN("c") " LIMIT ?1)",
	[Q_MAX_ROWID] = "SELECT coalesce(max(rowid), 0) FROM objects",
	/* Index-only: how many objects the range holds, whatever their
	 * formats, to choose the walk. */
	[Q_COUNT_IDX] = "SELECT count(*) FROM objects o WHERE " COUNT_RANGE,
	[Q_COUNT_RANGE] = COUNT_WALK,
	[Q_COUNT_RANGE_SET] = COUNT_WALK COUNT_SET,
	[Q_COUNT_SCAN] = COUNT_SCAN,
	[Q_COUNT_SCAN_SET] = COUNT_SCAN COUNT_SET,
	[Q_COUNT_SMALL] =
		"SELECT count(*) FROM (SELECT DISTINCT c.object_id"
		" AS oid FROM object_collections c WHERE " SPEC_IN(
			"c") ") s CROSS JOIN objects o ON o.id = s.oid"
			     " WHERE " COUNT_RANGE " AND" IN_FORMAT,
};

struct count_entry {
	char *key;
	uint64_t count;
};

/* The entries' XML of a kept page, shared by the cache and the
 * responses sending it (one thread at a time: the connection's). */
struct blob {
	unsigned refs;
	size_t len;
	char data[];
};

static void
blob_unref(struct blob *b)
{
	if (b && !--b->refs)
		free(b);
}

/* A list page as sent: its entries and where it ended. */
struct page_entry {
	char *key, *last_id;
	struct blob *body;
	unsigned n;
	int more;
	char last_ds[VL_TIME_LEN];
};

struct oai_db {
	sqlite3 *db;
	sqlite3_stmt *st[N_STMT];
	int64_t data_version;
	struct count_entry cache[COUNT_CACHE];
	unsigned cache_next;
	struct page_entry pages[PAGE_CACHE];
	unsigned page_next;
};

int
oai_db_open(struct oai_db **out, const char *catalog_path, struct vl_err *err)
{
	struct oai_db *d;
	char *msg = NULL;
	int rc;

	*out = NULL;
	if (!(d = calloc(1, sizeof(*d))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	d->data_version = -1;
	if ((rc = repo_catalog_open(&d->db, catalog_path, 0, err)) < 0)
		goto fail;
	/* The provider never writes: make any attempt an error.  A list
	 * page touches ~700 catalog pages (index, objects, metadata, sets,
	 * each at a random place): an 8 MiB cache keeps a repeated page in
	 * memory, where the 2 MiB default thrashes. */
	if (sqlite3_exec(d->db,
			 "PRAGMA query_only = 1; PRAGMA cache_size = -8192",
			 NULL, NULL, &msg)) {
		rc = vl_err_set(err, VL_E_DB, "catalog '%s': %s", catalog_path,
				msg ? msg : "cannot set query_only");
		sqlite3_free(msg);
		goto fail;
	}
	*out = d;
	return 0;
fail:
	oai_db_close(d);
	return rc;
}

static void
page_entry_clear(struct page_entry *e)
{
	free(e->key);
	blob_unref(e->body);
	free(e->last_id);
	memset(e, 0, sizeof(*e));
}

/* Drops the list sizes and pages kept: the catalog has changed. */
static void
cache_clear(struct oai_db *d)
{
	unsigned i;

	for (i = 0; i < COUNT_CACHE; i++) {
		free(d->cache[i].key);
		d->cache[i].key = NULL;
	}
	for (i = 0; i < PAGE_CACHE; i++)
		page_entry_clear(&d->pages[i]);
}

void
oai_db_close(struct oai_db *d)
{
	int i;

	if (!d)
		return;
	for (i = 0; i < N_STMT; i++)
		sqlite3_finalize(d->st[i]);
	cache_clear(d);
	sqlite3_close(d->db);
	free(d);
}

/* The prepared statement id, reset and unbound, ready to use. */
static sqlite3_stmt *
stmt(struct oai_db *d, enum stmt_id id, struct vl_err *err)
{
	if (!d->st[id]) {
		if (sqlite3_prepare_v3(d->db, stmt_sql[id], -1,
				       SQLITE_PREPARE_PERSISTENT, &d->st[id],
				       NULL) != SQLITE_OK) {
			repo_db_err(d->db, err, "catalog");
			return NULL;
		}
	} else {
		sqlite3_reset(d->st[id]);
		sqlite3_clear_bindings(d->st[id]);
	}
	return d->st[id];
}

static int
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Runs a statement that returns nothing. */
static int
exec_stmt(struct oai_db *d, enum stmt_id id, struct vl_err *err)
{
	sqlite3_stmt *st = stmt(d, id, err);
	int rc;

	if (!st)
		return VL_E_DB;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return repo_db_err(d->db, err, "catalog");
	return 0;
}

/* One integer from a one-row statement already bound. */
static int
step_int(struct oai_db *d, sqlite3_stmt *st, int64_t *out, struct vl_err *err)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	return repo_db_err(d->db, err, "catalog");
}

/* ---- the provider ---- */

static int
hex_key(struct oai_provider *p, const char *hex)
{
	size_t n = strlen(hex), i;

	if (n % 2 || n < 32 || n / 2 > sizeof(p->key))
		return VL_E_FORMAT;
	for (i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1 ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
			return VL_E_FORMAT;
		p->key[i] = (unsigned char)v;
	}
	p->keylen = n / 2;
	return 0;
}

/* emailType in OAI-PMH.xsd: \S+@(\S+\.)+\S+ */
static int
email_valid(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n), *dot;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
			return 0;
	if (!at || at == s)
		return 0;
	dot = memrchr(at + 1, '.', n - (size_t)(at + 1 - s));
	return dot && dot > at + 1 && dot < s + n - 1;
}

static int
any_uri_valid(const char *s)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, (void (*)(void))xmlSchemaInitTypes);
	return xmlSchemaValidatePredefinedType(
		       xmlSchemaGetBuiltInType(XML_SCHEMAS_ANYURI),
		       (const xmlChar *)s, NULL) == 0;
}

static void
check_config(const struct oai_provider *p)
{
	const char *s = p->admin_email, *e;

	for (; *s; s = *e ? e + 1 : e) {
		size_t n;

		while (*s == ' ')
			s++;
		e = strchr(s, ',');
		if (!e)
			e = s + strlen(s);
		n = (size_t)(e - s);
		while (n && s[n - 1] == ' ')
			n--;
		if (n && !email_valid(s, n))
			vl_log_warnx("admin_email '%.*s' is not a valid "
				     "OAI-PMH adminEmail (user@domain.tld); "
				     "Identify will not validate",
				     (int)n, s);
	}
	if (!p->ns_valid)
		vl_log_warnx(
			"oai_namespace '%s' is not a domain name; Identify "
			"omits the oai-identifier description",
			p->ns);
	if (!any_uri_valid(p->base_url))
		vl_log_warnx("base_url '%s' is not a valid URI", p->base_url);
}

int
oai_provider_new(struct oai_provider **out, struct repo *r,
		 const char *base_url, struct vl_err *err)
{
	struct oai_provider *p;
	char *hex = NULL;
	int rc;

	*out = NULL;
	if (!(p = calloc(1, sizeof(*p))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	p->page_size = r->cfg.page_size ? r->cfg.page_size : 100;
	p->page_cache = 1;
	if (!(p->name = strdup(r->cfg.name ? r->cfg.name : "")) ||
	    !(p->base_url = strdup(base_url          ? base_url
				   : r->cfg.base_url ? r->cfg.base_url
						     : "")) ||
	    !(p->ns = strdup(r->cfg.oai_namespace ? r->cfg.oai_namespace
						  : "")) ||
	    !(p->admin_email =
		      strdup(r->cfg.admin_email ? r->cfg.admin_email : ""))) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto fail;
	}
	if ((rc = repo_setting_get(r, "created", &p->created, err)) < 0 ||
	    (rc = repo_setting_get(r, "token_key", &hex, err)) < 0)
		goto fail;
	if (!hex || hex_key(p, hex) < 0) {
		rc = vl_err_set(err, VL_E_FORMAT,
				"catalog setting 'token_key' is %s; it must "
				"be 32 to 128 hex digits",
				hex ? "malformed" : "missing");
		goto fail;
	}
	if (!*p->ns) {
		rc = vl_err_set(err, VL_E_FORMAT,
				"configuration key 'oai_namespace' is empty");
		goto fail;
	}
	p->ns_valid = oai_namespace_valid(p->ns);
	check_config(p);
	free(hex);
	*out = p;
	return 0;
fail:
	free(hex);
	oai_provider_free(p);
	return rc;
}

void
oai_provider_free(struct oai_provider *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->base_url);
	free(p->ns);
	free(p->admin_email);
	free(p->created);
	free(p);
}

void
oai_provider_set_page_cache(struct oai_provider *p, int on)
{
	p->page_cache = on;
}

const char *
oai_provider_base_url(const struct oai_provider *p)
{
	return p->base_url;
}

/* ---- the response ---- */

enum state { S_ROWS, S_SETS, S_DONE };

struct oai_response {
	const struct oai_provider *p;
	struct oai_db *d;
	struct vl_buf out; /* bytes produced, not yet handed out */
	size_t out_pos;
	enum state state;
	const struct verb_rule *rule;
	const char *error; /* first error code, for the log */
	unsigned long repairs;
	int in_txn;
	/* the list in progress */
	sqlite3_stmt *rows;
	const struct format *fmt;
	struct oai_token tok; /* query, then position of the last entry */
	int continuation, has_sets, list_open, tail, small_set;
	unsigned emitted;
	/* the page as sent, for the page cache (capture = 0: not kept) */
	int capture;
	int64_t cap_version;
	char *cap_key;
	struct vl_buf cap;
	/* a page sent from the cache: its entries, then the trailer */
	struct blob *body;
	size_t body_pos;
	struct vl_buf trailer;
	struct vl_buf tmp;
};

/* Request arguments after the syntax checks: borrowed from args. */
struct req {
	const char *v[N_ARG_NAMES];
	struct oai_args args;
};

static int
add(struct oai_response *rs, const char *s)
{
	return vl_buf_adds(&rs->out, s) < 0 ? VL_E_NOMEM : 0;
}

static int
add_esc(struct oai_response *rs, const char *s)
{
	int n = oai_xml_escape(&rs->out, s, strlen(s));

	if (n < 0)
		return VL_E_NOMEM;
	rs->repairs += (unsigned long)n;
	return 0;
}

/* <name>escaped text</name> */
static int
add_elem(struct oai_response *rs, const char *name, const char *text)
{
	if (add(rs, "<") < 0 || add(rs, name) < 0 || add(rs, ">") < 0 ||
	    add_esc(rs, text) < 0 || add(rs, "</") < 0 || add(rs, name) < 0 ||
	    add(rs, ">") < 0)
		return VL_E_NOMEM;
	return 0;
}

/* The envelope (§3.2) up to and including <request>. */
static int
add_head(struct oai_response *rs, const struct req *q, time_t now, int echo)
{
	char date[VL_TIME_LEN];
	size_t i;

	vl_time_format(date, now);
	if (vl_buf_addf(&rs->out,
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			"<OAI-PMH xmlns=\"" OAI_NS "\" xmlns:xsi=\"" OAI_XSI
			"\" xsi:schemaLocation=\"" OAI_NS " " OAI_SCHEMA
			"\">\n<responseDate>%s</responseDate>\n<request",
			date) < 0)
		return VL_E_NOMEM;
	/* Attributes only when the request was not a badVerb or
	 * badArgument (§3.2). */
	if (echo) {
		if (vl_buf_addf(&rs->out, " verb=\"%s\"", rs->rule->name) < 0)
			return VL_E_NOMEM;
		for (i = 0; i < N_ARG_NAMES; i++) {
			if (!q->v[i])
				continue;
			if (vl_buf_addf(&rs->out, " %s=\"", arg_names[i]) < 0 ||
			    add_esc(rs, q->v[i]) < 0 || add(rs, "\"") < 0)
				return VL_E_NOMEM;
		}
	}
	if (add(rs, ">") < 0 || add_esc(rs, rs->p->base_url) < 0 ||
	    add(rs, "</request>\n") < 0)
		return VL_E_NOMEM;
	return 0;
}

static int add_error(struct oai_response *rs, const char *code, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));

static int
add_error(struct oai_response *rs, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!rs->error)
		rs->error = code;
	if (vl_buf_addf(&rs->out, "<error code=\"%s\">", code) < 0 ||
	    add_esc(rs, msg) < 0 || add(rs, "</error>\n") < 0)
		return VL_E_NOMEM;
	return 0;
}

static int
add_tail(struct oai_response *rs)
{
	if (rs->tail)
		return 0;
	rs->state = S_DONE;
	rs->tail = 1;
	return add(rs, "</OAI-PMH>\n");
}

/* An error message quotes a request value: keep it short and printable
 * (add_error escapes it). */
static const char *
shorten(const char *s, char *buf, size_t n)
{
	size_t len = strlen(s);

	if (len < n)
		return s;
	snprintf(buf, n, "%.*s...", (int)(n - 4), s);
	return buf;
}

/* ---- step 1 and 2: verb and argument syntax ---- */

static int
key_is(const struct oai_arg *a, const char *name)
{
	return a->key_len == strlen(name) && !strcmp(a->key, name);
}

/* metadataPrefixType and the tokens of setSpecType in OAI-PMH.xsd:
 * URI unreserved characters (§3.4, §2.6). */
static int
unreserved_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || n > SPEC_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || strchr("-_.!~*'()", c)) ||
		    !c)
			return 0;
	}
	return 1;
}

static int
set_spec_ok(const char *s)
{
	const char *p = s, *e;

	if (strlen(s) > SPEC_MAX)
		return 0;
	for (;;) {
		e = strchr(p, ':');
		if (!unreserved_ok(p, e ? (size_t)(e - p) : strlen(p)))
			return 0;
		if (!e)
			return 1;
		p = e + 1;
	}
}

/*
 * Checks the arguments of the request against rule; appends a
 * badArgument error for each problem.  Returns the number of problems,
 * or VL_E_NOMEM.
 */
static int
check_args(struct oai_response *rs, struct req *q)
{
	const struct verb_rule *r = rs->rule;
	unsigned allowed = r->required | r->optional | r->exclusive;
	unsigned seen = 0, repeated = 0;
	char from[VL_TIME_LEN] = "", until[VL_TIME_LEN] = "", s[80];
	enum oai_gran gf = 0, gu = 0;
	int bad = 0, rc = 0;
	size_t i, k;

#define BAD(...)                                                          \
	do {                                                              \
		if ((rc = add_error(rs, "badArgument", __VA_ARGS__)) < 0) \
			return rc;                                        \
		bad++;                                                    \
	} while (0)
	if (q->args.bad_encoding)
		BAD("malformed percent-encoding in the request");
	for (i = 0; i < q->args.n; i++) {
		const struct oai_arg *a = &q->args.v[i];

		if (key_is(a, "verb"))
			continue;
		for (k = 0; k < N_ARG_NAMES; k++)
			if (key_is(a, arg_names[k]))
				break;
		if (k == N_ARG_NAMES || !(allowed & (1u << k))) {
			BAD("'%s' is not an argument of %s",
			    shorten(a->key, s, 40), r->name);
			continue;
		}
		if (seen & (1u << k)) {
			if (!(repeated & (1u << k)))
				BAD("argument '%s' is repeated", arg_names[k]);
			repeated |= 1u << k;
			continue;
		}
		seen |= 1u << k;
		if (!a->value_len) {
			BAD("argument '%s' is empty", arg_names[k]);
			continue;
		}
		if (a->value_len != strlen(a->value)) {
			BAD("argument '%s' holds a NUL character",
			    arg_names[k]);
			continue;
		}
		q->v[k] = a->value;
	}
	if (bad)
		return bad;
	if ((seen & r->exclusive) && (seen & ~r->exclusive)) {
		BAD("resumptionToken must be the only argument besides verb");
		return bad;
	}
	if (!(seen & r->exclusive))
		for (k = 0; k < N_ARG_NAMES; k++)
			if ((r->required & (1u << k)) && !(seen & (1u << k)))
				BAD("%s needs the argument '%s'", r->name,
				    arg_names[k]);
	if (q->v[1] && !unreserved_ok(q->v[1], strlen(q->v[1])))
		BAD("metadataPrefix '%s' holds characters other than "
		    "A-Z a-z 0-9 - _ . ! ~ * ' ( )",
		    shorten(q->v[1], s, 40));
	if (q->v[4] && !set_spec_ok(q->v[4]))
		BAD("set '%s' is not a setSpec", shorten(q->v[4], s, 40));
	if (q->v[0] && !any_uri_valid(q->v[0]))
		BAD("identifier '%s' is not a URI", shorten(q->v[0], s, 40));
	/* §3.3.1: both forms are accepted since Identify declares seconds
	 * granularity; both bounds must have the same one. */
	if (q->v[2] && oai_date_parse(q->v[2], 0, from, &gf) < 0)
		BAD("from '%s' is not YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ",
		    shorten(q->v[2], s, 40));
	if (q->v[3] && oai_date_parse(q->v[3], 1, until, &gu) < 0)
		BAD("until '%s' is not YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ",
		    shorten(q->v[3], s, 40));
	if (gf && gu && gf != gu)
		BAD("from and until have different granularities");
	else if (gf && gu && strcmp(from, until) > 0)
		BAD("from is later than until");
	if (!bad) {
		memcpy(rs->tok.from, from, VL_TIME_LEN);
		memcpy(rs->tok.until, until, VL_TIME_LEN);
	}
#undef BAD
	return bad;
}

static const struct format *
find_format(const char *prefix)
{
	size_t i;

	for (i = 0; i < N_FORMATS; i++)
		if (!strcmp(formats[i].prefix, prefix))
			return &formats[i];
	return NULL;
}

/* ---- transactions and catalog facts ---- */

static int
begin(struct oai_response *rs, struct vl_err *err)
{
	int rc;

	if ((rc = exec_stmt(rs->d, Q_BEGIN, err)) < 0)
		return rc;
	rs->in_txn = 1;
	return 0;
}

static void
end_txn(struct oai_response *rs)
{
	if (!rs->d)
		return;
	if (rs->rows) {
		sqlite3_reset(rs->rows);
		rs->rows = NULL;
	}
	if (rs->in_txn) {
		rs->in_txn = 0;
		if (exec_stmt(rs->d, Q_COMMIT, NULL) < 0)
			sqlite3_exec(rs->d->db, "ROLLBACK", NULL, NULL, NULL);
	}
}

/* The oldest and newest datestamps ("" when the catalog is empty); also
 * starts the read snapshot and drops cached counts if the catalog has
 * changed since this connection last looked. */
static int
catalog_range(struct oai_response *rs, char min[VL_TIME_LEN],
	      char max[VL_TIME_LEN], struct vl_err *err)
{
	sqlite3_stmt *st = stmt(rs->d, Q_RANGE, err);
	const char *a, *b;
	int64_t v = 0;
	int rc;

	if (!st)
		return VL_E_DB;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return repo_db_err(rs->d->db, err, "catalog");
	}
	a = (const char *)sqlite3_column_text(st, 0);
	b = (const char *)sqlite3_column_text(st, 1);
	snprintf(min, VL_TIME_LEN, "%s", a ? a : "");
	snprintf(max, VL_TIME_LEN, "%s", b ? b : "");
	sqlite3_reset(st);
	if (!(st = stmt(rs->d, Q_DATA_VERSION, err)))
		return VL_E_DB;
	if ((rc = step_int(rs->d, st, &v, err)) < 0)
		return rc;
	if (v != rs->d->data_version) {
		cache_clear(rs->d);
		rs->d->data_version = v;
	}
	return 0;
}

static int
has_sets(struct oai_response *rs, int *out, struct vl_err *err)
{
	sqlite3_stmt *st = stmt(rs->d, Q_HAS_SETS, err);
	int64_t v = 0;
	int rc;

	if (!st)
		return VL_E_DB;
	if ((rc = step_int(rs->d, st, &v, err)) < 0)
		return rc;
	*out = v != 0;
	return 0;
}

#define MAX_SPECS 64

/* One setSpec of a record, borrowed from a statement's row. */
struct spec {
	const char *s;
	size_t n;
};

static int
spec_cmp(const void *a, const void *b)
{
	const struct spec *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);

	/* SQLite's BINARY order: bytes, then the shorter first. */
	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Splits a group_concat of setSpecs (U+001F between them) into v, in
 * setSpec order; at most MAX_SPECS are kept. */
static size_t
split_specs(struct spec *v, const char *s, size_t len)
{
	const char *e = s + len, *u;
	size_t n = 0;

	while (s < e && n < MAX_SPECS) {
		u = memchr(s, '\x1f', (size_t)(e - s));
		if (!u)
			u = e;
		if (u > s)
			v[n++] = (struct spec){ s, (size_t)(u - s) };
		s = u + 1;
	}
	qsort(v, n, sizeof(*v), spec_cmp);
	return n;
}

/* <setSpec> of each set in v but those implied by a listed child (§2.6,
 * checklist H4). */
static int
add_specs(struct oai_response *rs, const struct spec *v, size_t n)
{
	size_t i, j;
	int k;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++)
			if (j != i && v[j].n > v[i].n &&
			    !memcmp(v[j].s, v[i].s, v[i].n) &&
			    v[j].s[v[i].n] == ':')
				break;
		if (j < n)
			continue;
		if (add(rs, "<setSpec>") < 0 ||
		    (k = oai_xml_escape(&rs->out, v[i].s, v[i].n)) < 0 ||
		    add(rs, "</setSpec>") < 0)
			return VL_E_NOMEM;
		rs->repairs += (unsigned long)k;
	}
	return 0;
}

/*
 * <header> of one record (§2.5, §2.6: set memberships, minimal).  specs
 * is the record's setSpecs as SETS_OF() joins them (a list row), or NULL
 * to look them up (GetRecord).
 */
static int
add_header(struct oai_response *rs, const char *id, const char *ds, int deleted,
	   const char *specs, size_t specs_len, struct vl_err *err)
{
	struct spec v[MAX_SPECS];
	sqlite3_stmt *st;
	size_t n = 0;
	int rc, step;

	if (add(rs, deleted ? "<header status=\"deleted\"><identifier>"
			    : "<header><identifier>") < 0 ||
	    oai_id_encode(&rs->out, rs->p->ns, id) < 0 ||
	    add(rs, "</identifier><datestamp>") < 0 || add_esc(rs, ds) < 0 ||
	    add(rs, "</datestamp>") < 0)
		return VL_E_NOMEM;
	if (!rs->has_sets)
		return add(rs, "</header>");
	if (specs) {
		n = split_specs(v, specs, specs_len);
		if ((rc = add_specs(rs, v, n)) < 0)
			return rc;
		return add(rs, "</header>");
	}
	if (!(st = stmt(rs->d, Q_SETS_OF, err)))
		return VL_E_DB;
	bind_text(st, 1, id);
	/* The row's texts stay valid until the statement is reset: the
	 * statement is read to its end first, keeping each value. */
	while ((step = sqlite3_step(st)) == SQLITE_ROW && n < MAX_SPECS) {
		char *c = strndup((const char *)sqlite3_column_text(st, 0),
				  (size_t)sqlite3_column_bytes(st, 0));

		if (!c) {
			rc = VL_E_NOMEM;
			goto out;
		}
		v[n++] = (struct spec){ c, strlen(c) };
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		rc = repo_db_err(rs->d->db, err, "catalog");
		goto out;
	}
	if ((rc = add_specs(rs, v, n)) == 0)
		rc = add(rs, "</header>");
out:
	sqlite3_reset(st);
	while (n)
		free((char *)v[--n].s);
	return rc;
}

/* <metadata>stored record</metadata> */
static int
add_metadata(struct oai_response *rs, const char *id, const char *xml,
	     size_t len)
{
	int n;

	if (add(rs, "<metadata>") < 0)
		return VL_E_NOMEM;
	if ((n = oai_xml_copy(&rs->out, xml, len)) < 0)
		return VL_E_NOMEM;
	if (n) {
		rs->repairs += (unsigned long)n;
		vl_log_warnx("record '%s' (%s): replaced %d character(s) "
			     "not allowed in XML 1.0",
			     id, rs->fmt->prefix, n);
	}
	return add(rs, "</metadata>");
}

/* <about> with a harvested record's provenance (§2.5; J3). */
static int
add_about(struct oai_response *rs, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return 0;
	if (add(rs, "<about>") < 0 ||
	    oai_xml_copy(&rs->out, (const char *)sqlite3_column_text(st, col),
			 (size_t)sqlite3_column_bytes(st, col)) < 0)
		return VL_E_NOMEM;
	return add(rs, "</about>");
}

/* ---- verbs without lists ---- */

static int
do_identify(struct oai_response *rs, struct vl_err *err)
{
	char min[VL_TIME_LEN], max[VL_TIME_LEN];
	const char *s, *e;
	sqlite3_stmt *st;
	int rc;

	if ((rc = begin(rs, err)) < 0 ||
	    (rc = catalog_range(rs, min, max, err)) < 0)
		return rc;
	if (add(rs, "<Identify>") < 0 ||
	    add_elem(rs, "repositoryName", rs->p->name) < 0 ||
	    add_elem(rs, "baseURL", rs->p->base_url) < 0 ||
	    add(rs, "<protocolVersion>2.0</protocolVersion>") < 0)
		return VL_E_NOMEM;
	for (s = rs->p->admin_email; *s; s = *e ? e + 1 : e) {
		char one[256];
		size_t n;

		while (*s == ' ')
			s++;
		e = strchr(s, ',');
		if (!e)
			e = s + strlen(s);
		n = (size_t)(e - s);
		while (n && s[n - 1] == ' ')
			n--;
		if (!n || n >= sizeof(one))
			continue;
		memcpy(one, s, n);
		one[n] = '\0';
		if (add_elem(rs, "adminEmail", one) < 0)
			return VL_E_NOMEM;
	}
	/* §4.2: a guaranteed lower bound of every datestamp; with no
	 * records yet, the creation of the repository. */
	if (!*min)
		snprintf(min, sizeof(min), "%s",
			 rs->p->created ? rs->p->created
					: "1970-01-01T00:00:00Z");
	if (add_elem(rs, "earliestDatestamp", min) < 0 ||
	    add(rs, "<deletedRecord>persistent</deletedRecord>"
		    "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>"
		    "<compression>gzip</compression>") < 0)
		return VL_E_NOMEM;
	if (rs->p->ns_valid) {
		if (!(st = stmt(rs->d, Q_SAMPLE, err)))
			return VL_E_DB;
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			sqlite3_reset(st);
			return repo_db_err(rs->d->db, err, "catalog");
		}
		/* OID §3: the description makes identifiers parseable. */
		if (add(rs, "<description><oai-identifier xmlns=\"" OAI_ID_NS
			    "\" xsi:schemaLocation=\"" OAI_ID_NS
			    " " OAI_ID_SCHEMA "\"><scheme>oai</scheme>") < 0 ||
		    add_elem(rs, "repositoryIdentifier", rs->p->ns) < 0 ||
		    add(rs, "<delimiter>:</delimiter><sampleIdentifier>") < 0 ||
		    oai_id_encode(
			    &rs->out, rs->p->ns,
			    rc == SQLITE_ROW
				    ? (const char *)sqlite3_column_text(st, 0)
				    : "object-1") < 0 ||
		    add(rs, "</sampleIdentifier></oai-identifier>"
			    "</description>") < 0) {
			sqlite3_reset(st);
			return VL_E_NOMEM;
		}
		sqlite3_reset(st);
	}
	return add(rs, "</Identify>\n");
}

/* Looks up the catalog id of an identifier argument; 0 if it exists.
 * Sets *status ('a'ctive/'d'eleted) and *version. */
static int
find_object(struct oai_response *rs, const char *identifier, int *found,
	    int *deleted, int64_t *version, struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	if ((rc = oai_id_decode(&rs->tmp, rs->p->ns, identifier)) ==
	    VL_E_NOTFOUND)
		return 0;
	if (rc < 0)
		return vl_err_set(err, rc, "out of memory");
	if (!(st = stmt(rs->d, Q_OBJECT, err)))
		return VL_E_DB;
	bind_text(st, 1, rs->tmp.buf);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);

		*found = 1;
		*deleted = s && !strcmp(s, "deleted");
		*version = sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_DONE) {
		sqlite3_reset(st);
		return repo_db_err(rs->d->db, err, "catalog");
	}
	sqlite3_reset(st);
	return 0;
}

static int
do_get_record(struct oai_response *rs, const struct req *q, struct vl_err *err)
{
	char s[80];
	sqlite3_stmt *st;
	const char *ds, *status;
	int rc, found, deleted, errors = 0;
	int64_t version;

	rs->fmt = find_format(q->v[1]);
	if ((rc = begin(rs, err)) < 0 ||
	    (rc = has_sets(rs, &rs->has_sets, err)) < 0 ||
	    (rc = find_object(rs, q->v[0], &found, &deleted, &version, err)) <
		    0)
		return rc;
	if (!found) {
		errors++;
		if (add_error(rs, "idDoesNotExist",
			      "no record has the identifier '%s'",
			      shorten(q->v[0], s, 60)) < 0)
			return VL_E_NOMEM;
	}
	if (!rs->fmt) {
		errors++;
		if (add_error(rs, "cannotDisseminateFormat",
			      "metadataPrefix '%s' is not offered; see "
			      "ListMetadataFormats",
			      shorten(q->v[1], s, 40)) < 0)
			return VL_E_NOMEM;
	}
	if (errors)
		return 0;
	if (!(st = stmt(rs->d, Q_GET, err)))
		return VL_E_DB;
	bind_text(st, 1, rs->tmp.buf);
	bind_text(st, 2, rs->fmt->prefix);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return repo_db_err(rs->d->db, err, "catalog");
		/* Gone between the two reads of one snapshot: impossible. */
		return add_error(rs, "idDoesNotExist", "no such record");
	}
	ds = (const char *)sqlite3_column_text(st, 0);
	status = (const char *)sqlite3_column_text(st, 1);
	deleted = status && !strcmp(status, "deleted");
	if (!deleted && sqlite3_column_type(st, 2) == SQLITE_NULL) {
		sqlite3_reset(st);
		return add_error(rs, "cannotDisseminateFormat",
				 "record '%s' is not available as %s",
				 shorten(q->v[0], s, 60), rs->fmt->prefix);
	}
	/* §2.5.1: a deleted record is a header with status, no metadata. */
	rc = add(rs, "<GetRecord><record>");
	if (!rc)
		rc = add_header(rs, rs->tmp.buf, ds ? ds : "", deleted, NULL, 0,
				err);
	if (!rc && !deleted)
		rc = add_metadata(rs, rs->tmp.buf,
				  (const char *)sqlite3_column_text(st, 2),
				  (size_t)sqlite3_column_bytes(st, 2));
	/* §2.5.1: a deleted record carries no about either. */
	if (!rc && !deleted)
		rc = add_about(rs, st, 3);
	sqlite3_reset(st);
	if (!rc)
		rc = add(rs, "</record></GetRecord>\n");
	return rc;
}

static int
add_format(struct oai_response *rs, const struct format *f)
{
	if (add(rs, "<metadataFormat>") < 0 ||
	    add_elem(rs, "metadataPrefix", f->prefix) < 0 ||
	    add_elem(rs, "schema", f->schema) < 0 ||
	    add_elem(rs, "metadataNamespace", f->ns) < 0 ||
	    add(rs, "</metadataFormat>") < 0)
		return VL_E_NOMEM;
	return 0;
}

static int
do_list_formats(struct oai_response *rs, const struct req *q,
		struct vl_err *err)
{
	int have[N_FORMATS] = { 0 };
	int rc, found, deleted, any = 0;
	int64_t version;
	sqlite3_stmt *st;
	char s[80];
	size_t i;

	if (!q->v[0]) {
		for (i = 0; i < N_FORMATS; i++)
			have[i] = 1;
	} else {
		if ((rc = begin(rs, err)) < 0 ||
		    (rc = find_object(rs, q->v[0], &found, &deleted, &version,
				      err)) < 0)
			return rc;
		if (!found)
			return add_error(rs, "idDoesNotExist",
					 "no record has the identifier '%s'",
					 shorten(q->v[0], s, 60));
		for (i = 0; deleted && i < N_FORMATS; i++)
			have[i] = 1;
		if (!deleted) {
			if (!(st = stmt(rs->d, Q_FORMATS_OF, err)))
				return VL_E_DB;
			bind_text(st, 1, rs->tmp.buf);
			sqlite3_bind_int64(st, 2, version);
			while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
				const char *f =
					(const char *)sqlite3_column_text(st,
									  0);
				const struct format *fm =
					f ? find_format(f) : NULL;

				if (fm)
					have[fm - formats] = 1;
			}
			sqlite3_reset(st);
			if (rc != SQLITE_DONE)
				return repo_db_err(rs->d->db, err, "catalog");
		}
	}
	for (i = 0; i < N_FORMATS; i++)
		any |= have[i];
	if (!any)
		return add_error(rs, "noMetadataFormats",
				 "record '%s' has no metadata to disseminate",
				 shorten(q->v[0], s, 60));
	if (add(rs, "<ListMetadataFormats>") < 0)
		return VL_E_NOMEM;
	for (i = 0; i < N_FORMATS; i++)
		if (have[i] && add_format(rs, &formats[i]) < 0)
			return VL_E_NOMEM;
	return add(rs, "</ListMetadataFormats>\n");
}

/* ---- lists ---- */

static int
cache_key(struct vl_buf *k, const struct oai_token *t, const char *from,
	  const char *until)
{
	return vl_buf_addf(k, "%s\x1f%s\x1f%s\x1f%s", t->prefix,
			   t->set ? t->set : "", from, until);
}

/* Runs a count statement bound with t's format, bounds and set. */
static int
count_with(struct oai_response *rs, enum stmt_id id, int64_t *n,
	   struct vl_err *err)
{
	const struct oai_token *t = &rs->tok;
	sqlite3_stmt *st = stmt(rs->d, id, err);

	if (!st)
		return VL_E_DB;
	bind_text(st, 1, t->prefix);
	bind_text(st, 2, t->from);
	bind_text(st, 3, t->until);
	if (t->set)
		bind_text(st, 4, t->set);
	return step_int(rs->d, st, n, err);
}

/*
 * Counts the list of t exactly (see COUNT_WALK above): a small set from
 * its members; else the objects_oai range when it holds at most 1/8 of
 * the catalog (a probe at a random place per record costs about eight
 * times one in rowid order), the objects table otherwise.  `open` says
 * the bounds cover the whole catalog, so the range need not be sized.
 */
static int
count_list(struct oai_response *rs, int open, int64_t *n, struct vl_err *err)
{
	const struct oai_token *t = &rs->tok;
	int64_t in_range = 0, all = 0;
	sqlite3_stmt *st;
	int rc, walk = 0;

	if (t->set && rs->small_set)
		return count_with(rs, Q_COUNT_SMALL, n, err);
	if (!open) {
		if ((rc = count_with(rs, Q_COUNT_IDX, &in_range, err)) < 0)
			return rc;
		if (!(st = stmt(rs->d, Q_MAX_ROWID, err)))
			return VL_E_DB;
		if ((rc = step_int(rs->d, st, &all, err)) < 0)
			return rc;
		walk = in_range <= all / 8;
	}
	if (walk)
		return count_with(
			rs, t->set ? Q_COUNT_RANGE_SET : Q_COUNT_RANGE, n, err);
	return count_with(rs, t->set ? Q_COUNT_SCAN_SET : Q_COUNT_SCAN, n, err);
}

/*
 * The size of the list of t (first request only).  Bounds at or beyond
 * the catalog's oldest/newest datestamps are dropped from the cache key,
 * so a repeated full harvest costs one count per catalog change.
 */
static int
list_size(struct oai_response *rs, const char *min, const char *max,
	  uint64_t *out, struct vl_err *err)
{
	const struct oai_token *t = &rs->tok;
	struct vl_buf key = VL_BUF_INIT;
	const char *from = t->from, *until = t->until;
	struct count_entry *ce;
	int64_t n = 0;
	unsigned i;
	int rc;

	if (!*from || strcmp(from, min) <= 0)
		from = "";
	if (strcmp(until, max) >= 0)
		until = "*";
	if (cache_key(&key, t, from, until) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	for (i = 0; i < COUNT_CACHE; i++)
		if (rs->d->cache[i].key &&
		    !strcmp(rs->d->cache[i].key, key.buf)) {
			*out = rs->d->cache[i].count;
			vl_buf_release(&key);
			return 0;
		}
	if ((rc = count_list(rs, !*from && !strcmp(until, "*"), &n, err)) < 0) {
		vl_buf_release(&key);
		return rc;
	}
	*out = (uint64_t)n;
	ce = &rs->d->cache[rs->d->cache_next++ % COUNT_CACHE];
	free(ce->key);
	ce->key = vl_buf_detach(&key, NULL);
	ce->count = (uint64_t)n;
	return 0;
}

/* Starts the list query after the token's position; 1 if a first row
 * is ready, 0 if the list is empty. */
static int
list_start(struct oai_response *rs, struct vl_err *err)
{
	enum oai_verb v = rs->tok.verb;
	enum stmt_id id;
	sqlite3_stmt *st;
	int rc;

	if (v == OAI_LIST_SETS) {
		if (!(st = stmt(rs->d, Q_LIST_SETS, err)))
			return VL_E_DB;
		sqlite3_bind_text(st, 1, rs->tok.pos_id ? rs->tok.pos_id : "",
				  -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(
			st, 2, (int64_t)(rs->p->page_size - rs->emitted) + 1);
	} else {
		if (v == OAI_LIST_RECORDS)
			id = !rs->tok.set    ? Q_LR
			     : rs->small_set ? Q_LR_SMALL
					     : Q_LR_SET;
		else
			id = !rs->tok.set    ? Q_LI
			     : rs->small_set ? Q_LI_SMALL
					     : Q_LI_SET;
		if (!(st = stmt(rs->d, id, err)))
			return VL_E_DB;
		bind_text(st, 1, rs->tok.prefix);
		/* The first page starts at from (ids are never empty, so
		 * (from, "") < every (from, id)). */
		sqlite3_bind_text(st, 2, rs->tok.pos_ds, -1, SQLITE_TRANSIENT);
		bind_text(st, 3, rs->tok.until);
		if (rs->tok.set)
			bind_text(st, 4, rs->tok.set);
		sqlite3_bind_text(st, 5, rs->tok.pos_id ? rs->tok.pos_id : "",
				  -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(
			st, 6, (int64_t)(rs->p->page_size - rs->emitted) + 1);
	}
	rs->rows = st;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return repo_db_err(rs->d->db, err, "catalog");
}

static int
add_set(struct oai_response *rs, sqlite3_stmt *st)
{
	const char *spec = (const char *)sqlite3_column_text(st, 0);
	const char *name = (const char *)sqlite3_column_text(st, 1);
	const char *desc = (const char *)sqlite3_column_text(st, 2);

	if (add(rs, "<set>") < 0 || add_elem(rs, "setSpec", spec) < 0 ||
	    add_elem(rs, "setName", name ? name : spec) < 0)
		return VL_E_NOMEM;
	/* §4.6: setDescription holds one element of its own schema;
	 * oai_dc is the usual one. */
	if (desc && *desc &&
	    (add(rs, "<setDescription><oai_dc:dc xmlns:oai_dc=\"" OAI_DC_NS
		     "\" xmlns:dc=\"" DC_NS "\" xsi:schemaLocation=\"" OAI_DC_NS
		     " " OAI_DC_SCHEMA "\">") < 0 ||
	     add_elem(rs, "dc:description", desc) < 0 ||
	     add(rs, "</oai_dc:dc></setDescription>") < 0))
		return VL_E_NOMEM;
	return add(rs, "</set>\n");
}

/* Writes the current row as a list entry and remembers its position. */
static int
add_row(struct oai_response *rs, struct vl_err *err)
{
	sqlite3_stmt *st = rs->rows;
	const char *id = (const char *)sqlite3_column_text(st, 0);
	const char *ds, *status, *specs;
	size_t id_len = (size_t)sqlite3_column_bytes(st, 0);
	int deleted, rc;

	free(rs->tok.pos_id);
	if (!(rs->tok.pos_id = strndup(id ? id : "", id ? id_len : 0)))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if (rs->tok.verb == OAI_LIST_SETS)
		return add_set(rs, st);
	ds = (const char *)sqlite3_column_text(st, 1);
	status = (const char *)sqlite3_column_text(st, 2);
	/* NULL (no sets) is the empty list, not "look them up". */
	specs = (const char *)sqlite3_column_text(st, 5);
	snprintf(rs->tok.pos_ds, VL_TIME_LEN, "%s", ds ? ds : "");
	deleted = status && !strcmp(status, "deleted");
	if (rs->tok.verb == OAI_LIST_IDENTIFIERS)
		return add_header(rs, rs->tok.pos_id, rs->tok.pos_ds, deleted,
				  specs ? specs : "",
				  (size_t)sqlite3_column_bytes(st, 5),
				  err) < 0 ||
				       add(rs, "\n") < 0
			       ? VL_E_NOMEM
			       : 0;
	if (add(rs, "<record>") < 0)
		return VL_E_NOMEM;
	if ((rc = add_header(rs, rs->tok.pos_id, rs->tok.pos_ds, deleted,
			     specs ? specs : "",
			     (size_t)sqlite3_column_bytes(st, 5), err)) < 0)
		return rc;
	if (!deleted &&
	    (add_metadata(rs, rs->tok.pos_id,
			  (const char *)sqlite3_column_text(st, 3),
			  (size_t)sqlite3_column_bytes(st, 3)) < 0 ||
	     add_about(rs, st, 4) < 0))
		return VL_E_NOMEM;
	return add(rs, "</record>\n");
}

static const char *
list_elem(enum oai_verb v)
{
	return v == OAI_LIST_RECORDS       ? "ListRecords"
	       : v == OAI_LIST_IDENTIFIERS ? "ListIdentifiers"
					   : "ListSets";
}

/* ---- the page cache ----
 *
 * Each catalog connection keeps the last few list pages it sent: the
 * entries' XML, keyed by the list query and the position the page starts
 * at, valid while the catalog is unchanged (PRAGMA data_version).  A
 * page asked again - harvesters retrying, several harvesting the same
 * list, page 1 of every full harvest - is then sent from memory; the
 * envelope, cursor and token are still made for each request.  `until`
 * takes part in the key only when it falls before the newest datestamp,
 * since a later one selects the same records.
 */

static int
page_key(struct oai_response *rs, const char *max, struct vl_buf *k)
{
	const struct oai_token *t = &rs->tok;

	return vl_buf_addf(k, "%d\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s", (int)t->verb,
			   t->prefix ? t->prefix : "", t->set ? t->set : "",
			   strcmp(t->until, max) >= 0 ? "*" : t->until,
			   t->pos_ds, t->pos_id ? t->pos_id : "");
}

static struct page_entry *
page_find(struct oai_db *d, const char *key)
{
	unsigned i;

	for (i = 0; i < PAGE_CACHE; i++)
		if (d->pages[i].key && !strcmp(d->pages[i].key, key))
			return &d->pages[i];
	return NULL;
}

/* Keeps the page just sent, if the catalog did not change while it was
 * read. */
static void
page_store(struct oai_response *rs, int more)
{
	struct page_entry *e;

	if (!rs->capture || rs->cap_version != rs->d->data_version)
		return;
	e = &rs->d->pages[rs->d->page_next++ % PAGE_CACHE];
	page_entry_clear(e);
	if (!(e->last_id = strdup(rs->tok.pos_id ? rs->tok.pos_id : "")) ||
	    !(e->body = malloc(sizeof(*e->body) + rs->cap.len))) {
		page_entry_clear(e);
		return;
	}
	e->body->refs = 1;
	e->body->len = rs->cap.len;
	memcpy(e->body->data, rs->cap.buf, rs->cap.len);
	vl_buf_release(&rs->cap);
	e->key = rs->cap_key;
	rs->cap_key = NULL;
	e->n = rs->emitted;
	e->more = more;
	memcpy(e->last_ds, rs->tok.pos_ds, VL_TIME_LEN);
	rs->capture = 0;
}

/* Has the catalog changed since the transaction of the last call?
 * (Read inside the current transaction.) */
static int
catalog_version(struct oai_response *rs, int64_t *v, struct vl_err *err)
{
	sqlite3_stmt *st = stmt(rs->d, Q_DATA_VERSION, err);

	if (!st)
		return VL_E_DB;
	return step_int(rs->d, st, v, err);
}

/* The end of a page: the resumptionToken (§3.5) and closing tags. */
static int
list_end(struct oai_response *rs, int more, struct vl_err *err)
{
	struct oai_token *t = &rs->tok;
	uint64_t sent = t->cursor + rs->emitted, size = t->size;
	char min[VL_TIME_LEN], max[VL_TIME_LEN];
	sqlite3_stmt *st;
	int64_t n = 0;
	int rc;

	if (more && !rs->continuation) {
		/* A first page that does not hold the whole list: count it,
		 * once, in this snapshot. */
		if (t->verb == OAI_LIST_SETS) {
			if (!(st = stmt(rs->d, Q_COUNT_SETS, err)))
				return VL_E_DB;
			if ((rc = step_int(rs->d, st, &n, err)) < 0)
				return rc;
			size = (uint64_t)n;
		} else {
			if ((rc = catalog_range(rs, min, max, err)) < 0 ||
			    (rc = list_size(rs, min, max, &size, err)) < 0)
				return rc;
		}
	}
	/* completeListSize may be an estimate (§3.5) but never below what
	 * is known to exist; on the last page it is exact (F4). */
	if (more && size < sent + 1)
		size = sent + 1;
	if (!more)
		size = sent;
	page_store(rs, more);
	end_txn(rs);
	if (more || rs->continuation) {
		if (vl_buf_addf(&rs->out,
				"<resumptionToken completeListSize=\"%llu\" "
				"cursor=\"%llu\"",
				(unsigned long long)size,
				(unsigned long long)t->cursor) < 0)
			return VL_E_NOMEM;
		if (more) {
			t->cursor = sent;
			t->size = size;
			if (add(rs, ">") < 0 ||
			    oai_token_encode(&rs->out, t, rs->p->key,
					     rs->p->keylen) < 0 ||
			    add(rs, "</resumptionToken>") < 0)
				return VL_E_NOMEM;
		} else if (add(rs, "/>") < 0) {
			return VL_E_NOMEM;
		}
	}
	if (vl_buf_addf(&rs->out, "</%s>\n", list_elem(t->verb)) < 0)
		return VL_E_NOMEM;
	return add_tail(rs);
}

/*
 * Writes rows until about CHUNK bytes are pending or the page ends.  Each
 * call reads in a transaction of its own and continues strictly after
 * the last entry written, exactly as the next page continues after a
 * resumptionToken: no catalog connection or snapshot is held while the
 * client reads, and a record changed meanwhile is never sent twice.
 */
static int
produce_rows(struct oai_response *rs, struct vl_err *err)
{
	int rc;

	if ((rc = begin(rs, err)) < 0 || (rc = list_start(rs, err)) < 0)
		return rc;
	if (rs->capture) {
		int64_t v = 0;
		int vr = catalog_version(rs, &v, err);

		if (vr < 0)
			return vr;
		if (v != rs->cap_version)
			rs->capture = 0;
	}
	if (!rc) {
		if (rs->list_open)
			return list_end(rs, 0, err);
		/* Every entry vanished since the request was checked. */
		end_txn(rs);
		if (add_error(rs, "noRecordsMatch",
			      "no records match these arguments") < 0)
			return VL_E_NOMEM;
		return add_tail(rs);
	}
	if (!rs->list_open) {
		if (vl_buf_addf(&rs->out, "<%s>\n", list_elem(rs->tok.verb)) <
		    0)
			return VL_E_NOMEM;
		rs->list_open = 1;
	}
	for (;;) {
		size_t before = rs->out.len;

		if ((rc = add_row(rs, err)) < 0)
			return rc;
		if (rs->capture && vl_buf_add(&rs->cap, rs->out.buf + before,
					      rs->out.len - before) < 0)
			rs->capture = 0; /* too big to keep */
		rs->emitted++;
		rc = sqlite3_step(rs->rows);
		if (rc == SQLITE_DONE)
			return list_end(rs, 0, err);
		if (rc != SQLITE_ROW)
			return repo_db_err(rs->d->db, err, "catalog");
		if (rs->emitted == rs->p->page_size)
			return list_end(rs, 1, err);
		if (rs->out.len >= CHUNK) {
			end_txn(rs);
			return 0;
		}
	}
}

/*
 * Is the set small enough to be read from its members?  Scanning
 * objects_oai costs page_size * N / S rows a page for a set of S of N
 * objects, reading the members costs S: the break-even is
 * S = sqrt(page_size * N).  Counting stops there.
 */
static int
set_is_small(struct oai_response *rs, int *small, struct vl_err *err)
{
	sqlite3_stmt *st;
	int64_t n = 0, members = 0, limit;
	int rc;

	if (!(st = stmt(rs->d, Q_MAX_ROWID, err)))
		return VL_E_DB;
	if ((rc = step_int(rs->d, st, &n, err)) < 0)
		return rc;
	for (limit = 1; limit * limit < (int64_t)rs->p->page_size * n;)
		limit *= 2;
	if (!(st = stmt(rs->d, Q_SET_SIZE, err)))
		return VL_E_DB;
	sqlite3_bind_int64(st, 1, limit + 1);
	bind_text(st, 4, rs->tok.set);
	if ((rc = step_int(rs->d, st, &members, err)) < 0)
		return rc;
	*small = members <= limit;
	return 0;
}

/* Sends the page from the cache if it is there (1), else prepares to
 * keep it (0). */
static int
page_lookup(struct oai_response *rs, struct vl_err *err)
{
	char min[VL_TIME_LEN], max[VL_TIME_LEN];
	struct vl_buf key = VL_BUF_INIT, head;
	struct page_entry *e;
	int rc;

	if (!rs->p->page_cache)
		return 0;
	if ((rc = catalog_range(rs, min, max, err)) < 0)
		return rc;
	if (page_key(rs, max, &key) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if (!(e = page_find(rs->d, key.buf))) {
		rs->capture = 1;
		rs->cap_version = rs->d->data_version;
		rs->cap_key = vl_buf_detach(&key, NULL);
		return 0;
	}
	vl_buf_release(&key);
	free(rs->tok.pos_id);
	if (!(rs->tok.pos_id = strdup(e->last_id)))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	memcpy(rs->tok.pos_ds, e->last_ds, VL_TIME_LEN);
	rs->emitted = e->n;
	rs->list_open = 1;
	if (vl_buf_addf(&rs->out, "<%s>\n", list_elem(rs->tok.verb)) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	/* Sent as: what is in out, the kept entries, then the trailer
	 * (token and closing tags) that list_end() writes. */
	head = rs->out;
	vl_buf_init(&rs->out, 0);
	rc = list_end(rs, e->more, err);
	rs->trailer = rs->out;
	rs->out = head;
	if (rc < 0)
		return rc;
	rs->body = e->body;
	rs->body->refs++;
	return 1;
}

static int
do_list(struct oai_response *rs, const struct req *q, time_t now,
	struct vl_err *err)
{
	struct oai_token *t = &rs->tok;
	char s[80], frozen[VL_TIME_LEN];
	int rc, errors = 0;

	if (q->v[5]) {
		struct oai_token in;

		/* Malformed, forged, from another repository or issued
		 * for another verb (§3.6 badResumptionToken). */
		if (oai_token_decode(&in, q->v[5], rs->p->key, rs->p->keylen) <
		    0)
			return add_error(rs, "badResumptionToken",
					 "resumptionToken is invalid here");
		if (in.verb != rs->rule->verb) {
			oai_token_release(&in);
			return add_error(rs, "badResumptionToken",
					 "resumptionToken was issued for "
					 "another verb");
		}
		oai_token_release(t);
		*t = in;
		rs->continuation = 1;
	} else {
		t->verb = rs->rule->verb;
		if (rs->rule->verb != OAI_LIST_SETS) {
			if (!(t->prefix = strdup(q->v[1])) ||
			    (q->v[4] && !(t->set = strdup(q->v[4]))))
				return vl_err_set(err, VL_E_NOMEM,
						  "out of memory");
			/* Freeze until at the last whole second before
			 * the first request (see the top of this file). */
			vl_time_format(frozen, now - 1);
			if (!*t->until || strcmp(t->until, frozen) > 0)
				memcpy(t->until, frozen, VL_TIME_LEN);
			memcpy(t->pos_ds, t->from, VL_TIME_LEN);
		}
	}
	if (t->verb != OAI_LIST_SETS && !(rs->fmt = find_format(t->prefix))) {
		errors++;
		if (add_error(rs, "cannotDisseminateFormat",
			      "metadataPrefix '%s' is not offered; see "
			      "ListMetadataFormats",
			      shorten(t->prefix, s, 40)) < 0)
			return VL_E_NOMEM;
	}
	if ((rc = begin(rs, err)) < 0 ||
	    (rc = has_sets(rs, &rs->has_sets, err)) < 0)
		return rc;
	if (!rs->has_sets && (t->set || t->verb == OAI_LIST_SETS)) {
		errors++;
		if (add_error(rs, "noSetHierarchy",
			      "this repository has no sets") < 0)
			return VL_E_NOMEM;
	}
	if (errors)
		return 0;
	if (t->set && (rc = set_is_small(rs, &rs->small_set, err)) < 0)
		return rc;
	if ((rc = page_lookup(rs, err)) != 0)
		return rc < 0 ? rc : 0;
	if ((rc = list_start(rs, err)) < 0)
		return rc;
	if (!rc) {
		/* D11: an unknown setSpec selects nothing: noRecordsMatch. */
		return add_error(rs, "noRecordsMatch",
				 rs->continuation
					 ? "no records remain in this list"
					 : "no records match these arguments");
	}
	/* Not empty: the rows are read as the client takes them. */
	end_txn(rs);
	rs->state = S_ROWS;
	return 0;
}

/* ---- the request ---- */

int
oai_response_new(struct oai_response **out, const struct oai_provider *p,
		 struct oai_db *d, const char *args, size_t len, time_t now,
		 struct vl_err *err)
{
	struct oai_response *rs;
	struct req q;
	const struct oai_arg *verb = NULL;
	size_t i, nverb = 0;
	int rc, too_many;

	*out = NULL;
	if (!(rs = calloc(1, sizeof(*rs))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	memset(&q, 0, sizeof(q));
	rs->p = p;
	rs->d = d;
	rs->state = S_DONE;
	vl_buf_init(&rs->out, 0);
	vl_buf_init(&rs->tmp, 0);
	vl_buf_init(&rs->cap, PAGE_MAX);
	vl_buf_init(&rs->trailer, 0);
	rc = oai_args_parse(&q.args, args, len, MAX_ARGS);
	if (rc == VL_E_NOMEM) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; rc == 0 && i < q.args.n; i++)
		if (key_is(&q.args.v[i], "verb")) {
			verb = &q.args.v[i];
			nverb++;
		}
	if (verb && nverb == 1)
		for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
			if (verb->value_len == strlen(verbs[i].name) &&
			    !strcmp(verb->value, verbs[i].name))
				rs->rule = &verbs[i];
	too_many = rc == VL_E_INVAL;
	if (!rs->rule) {
		/* §3.6 badVerb: nothing else is looked at. */
		rc = add_head(rs, &q, now, 0);
		if (!rc)
			rc = add_error(rs, "badVerb", "%s",
				       !nverb ? "the request has no verb"
				       : nverb > 1
					       ? "the verb argument is repeated"
					       : "unknown verb");
		goto finish;
	}
	if (too_many) {
		rc = add_head(rs, &q, now, 0);
		if (!rc)
			rc = add_error(rs, "badArgument", "too many arguments");
		goto finish;
	}
	if ((rc = check_args(rs, &q)) != 0) {
		struct vl_buf errors = rs->out;

		if (rc < 0)
			goto nomem;
		/* badArgument: the errors go after a bare request. */
		vl_buf_init(&rs->out, 0);
		if (add_head(rs, &q, now, 0) < 0 ||
		    vl_buf_add(&rs->out, errors.buf, errors.len) < 0) {
			vl_buf_release(&errors);
			goto nomem;
		}
		vl_buf_release(&errors);
		rc = 0;
		goto finish;
	}
	if ((rc = add_head(rs, &q, now, 1)) < 0)
		goto nomem;
	switch (rs->rule->verb) {
	case OAI_IDENTIFY: rc = do_identify(rs, err); break;
	case OAI_GET_RECORD: rc = do_get_record(rs, &q, err); break;
	case OAI_LIST_METADATA_FORMATS:
		rc = do_list_formats(rs, &q, err);
		break;
	default: rc = do_list(rs, &q, now, err); break;
	}
	if (rc < 0)
		goto fail;
	rc = 0;
finish:
	if (rc < 0)
		goto nomem;
	if (rs->state == S_DONE) {
		end_txn(rs);
		if (add_tail(rs) < 0)
			goto nomem;
	}
	oai_args_release(&q.args);
	rs->d = NULL;
	*out = rs;
	return 0;
nomem:
	rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
fail:
	oai_args_release(&q.args);
	oai_response_free(rs);
	return rc;
}

ssize_t
oai_response_read(struct oai_response *rs, struct oai_db *d, char *buf,
		  size_t max, struct vl_err *err)
{
	size_t n = 0, k;
	int rc;

	rs->d = d;
	while (n < max) {
		if (rs->out_pos < rs->out.len) {
			k = rs->out.len - rs->out_pos;
			if (k > max - n)
				k = max - n;
			memcpy(buf + n, rs->out.buf + rs->out_pos, k);
			rs->out_pos += k;
			n += k;
			continue;
		}
		if (rs->body) {
			k = rs->body->len - rs->body_pos;
			if (k > max - n)
				k = max - n;
			memcpy(buf + n, rs->body->data + rs->body_pos, k);
			rs->body_pos += k;
			n += k;
			if (rs->body_pos == rs->body->len) {
				blob_unref(rs->body);
				rs->body = NULL;
				vl_buf_release(&rs->out);
				rs->out = rs->trailer;
				rs->out_pos = 0;
				vl_buf_init(&rs->trailer, 0);
			}
			continue;
		}
		vl_buf_reset(&rs->out);
		rs->out_pos = 0;
		if (rs->state == S_DONE)
			break;
		if ((rc = produce_rows(rs, err)) < 0) {
			end_txn(rs);
			rs->state = S_DONE;
			rs->d = NULL;
			return rc;
		}
	}
	rs->d = NULL;
	return (ssize_t)n;
}

const char *
oai_response_verb(const struct oai_response *rs)
{
	return rs->rule ? rs->rule->name : "-";
}

const char *
oai_response_error(const struct oai_response *rs)
{
	return rs->error ? rs->error : "";
}

unsigned long
oai_response_repairs(const struct oai_response *rs)
{
	return rs->repairs;
}

void
oai_response_free(struct oai_response *rs)
{
	if (!rs)
		return;
	end_txn(rs);
	vl_buf_release(&rs->out);
	vl_buf_release(&rs->tmp);
	vl_buf_release(&rs->cap);
	vl_buf_release(&rs->trailer);
	blob_unref(rs->body);
	free(rs->cap_key);
	oai_token_release(&rs->tok);
	free(rs);
}

int
oai_respond(struct vl_buf *out, const struct oai_provider *p, struct oai_db *d,
	    const char *args, time_t now, struct vl_err *err)
{
	struct oai_response *rs;
	char buf[8192];
	ssize_t n;
	int rc;

	if ((rc = oai_response_new(&rs, p, d, args, strlen(args), now, err)) <
	    0)
		return rc;
	while ((n = oai_response_read(rs, d, buf, sizeof(buf), err)) > 0)
		if (vl_buf_add(out, buf, (size_t)n) < 0) {
			n = vl_err_set(err, VL_E_NOMEM, "out of memory");
			break;
		}
	oai_response_free(rs);
	return n < 0 ? (int)n : 0;
}
