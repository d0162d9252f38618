/*
 * md_private.h - what the metadata/ sources share and nobody else may use:
 * the record arena, the light XML tree the readers walk, the safe parser,
 * XML output helpers, the crosswalk tables and the generated ISO tables.
 * Not installed, not included outside metadata/.
 */
#ifndef MD_PRIVATE_H
#define MD_PRIVATE_H

#include <stddef.h>

#include <libxml/tree.h>

#include "metadata.h"

/* ---- arena: bump allocator that owns a record's strings ---- */

struct md_arena;
struct md_arena *md_arena_new(size_t max); /* max 0 = no cap */
void md_arena_free(struct md_arena *a);
void md_arena_reset(struct md_arena *a);
/* NULL when out of memory or past the cap. */
void *md_arena_alloc(struct md_arena *a, size_t n);
char *md_arena_strndup(struct md_arena *a, const char *s, size_t n);
char *md_arena_strdup(struct md_arena *a, const char *s);
size_t md_arena_used(const struct md_arena *a);

/* ---- record internals ---- */

/* Appends a value whose text is already checked NFC UTF-8 (readers of
 * XML); the text is copied after trimming XML white space.  Returns NULL
 * when out of memory.  Empty text is allowed (typeOfResource). */
struct md_value *md_rec_push(struct md_record *r, enum md_element e,
			     enum md_term t, const char *text, size_t len);
/* The same, borrowing text (it must outlive the record's use). */
struct md_value *md_rec_push_ref(struct md_record *r, enum md_element e,
				 enum md_term t, const char *text);
/* Sets a string field of v from s (copied; NULL or "" leaves it NULL). */
int md_rec_set(struct md_record *r, const char **field, const char *s);
/* Adds a part/role with strings copied; returns the part or NULL. */
struct md_part *md_rec_part(struct md_record *r, struct md_value *v,
			    const char *kind, const char *type,
			    const char *text);
/* Appends copies of every value of src to r; NULL when out of memory. */
struct md_record *md_rec_copy_all(struct md_record *r,
				  const struct md_record *src);
/* Copies src (from any record) into r, strings included. */
struct md_value *md_rec_copy_value(struct md_record *r,
				   const struct md_value *src);

/* NFC-normalizes s (len bytes, valid UTF-8) into the arena; NULL on
 * failure.  ASCII is returned copied without work. */
char *md_nfc(struct md_arena *a, const char *s, size_t len);
/* 0 if s is valid UTF-8 with no C0 control other than TAB LF CR and no
 * U+FFFE/U+FFFF; otherwise VL_E_INVAL with *bad at the offending byte. */
int md_utf8_check(const char *s, size_t len, size_t *bad);
/* Trims XML white space (SP TAB LF CR) from both ends. */
void md_trim(const char **s, size_t *len);
/* ASCII case-insensitive equality. */
int md_ieq(const char *a, const char *b);

/* ---- the light XML tree ---- */

enum md_ns {
	MD_NS_NONE = 0, /* no namespace */
	MD_NS_OTHER,
	MD_NS_MODS,
	MD_NS_DC,
	MD_NS_DCTERMS,
	MD_NS_OAI_DC,
	MD_NS_XSI,
	MD_NS_XLINK,
	MD_NS_XML,
	MD_NS_OAI_PMH,
};

#define MD_URI_MODS    "http://www.loc.gov/mods/v3"
#define MD_URI_DC      "http://purl.org/dc/elements/1.1/"
#define MD_URI_DCTERMS "http://purl.org/dc/terms/"
#define MD_URI_OAI_DC  "http://www.openarchives.org/OAI/2.0/oai_dc/"
#define MD_URI_XSI     "http://www.w3.org/2001/XMLSchema-instance"
#define MD_URI_XLINK   "http://www.w3.org/1999/xlink"
#define MD_URI_XML     "http://www.w3.org/XML/1998/namespace"
#define MD_URI_OAI_PMH "http://www.openarchives.org/OAI/2.0/"

struct md_xattr {
	unsigned char ns;
	const char *name, *value;
};

struct md_xnsdecl {
	const char *prefix; /* "" for the default namespace */
	const char *uri;
};

struct md_xnode {
	unsigned char ns;
	unsigned char kept;    /* outer node kept for a simple-DC root record */
	unsigned char langish; /* has xml:lang, lang, script or
				  transliteration (a fast skip) */
	const char *name;      /* local name (the parser's dictionary) */
	const char *uri;       /* namespace URI or "" (dictionary) */
	const char *text;      /* direct character data, trimmed, "" if none */
	size_t text_len;
	struct md_xattr *attrs;
	unsigned nattrs;
	struct md_xnsdecl *nsdecls;
	unsigned nnsdecls;
	struct md_xnode *parent, *child, *last, *next;
	unsigned long line;
	struct md_arena *own; /* outer nodes own an arena; record nodes NULL */
};

const char *md_x_attr(const struct md_xnode *n, int ns, const char *name);
int md_x_is(const struct md_xnode *n, int ns, const char *name);
/* Nearest xml:lang on n or an ancestor, or NULL. */
const char *md_x_xml_lang(const struct md_xnode *n);
/* Namespace URI bound to prefix ("" = default) at n, or NULL. */
const char *md_x_ns_lookup(const struct md_xnode *n, const char *prefix);
/* Number of element children. */
size_t md_x_count(const struct md_xnode *n);

/* What the streaming parser treats as a record root. */
enum md_xrecords {
	MD_XREC_MODS,   /* every {mods}mods */
	MD_XREC_DC,     /* every oai_dc:dc, qualifieddc; else a root with
			   dc:/dcterms: children */
	MD_XREC_ANY_DC, /* MD_XREC_DC, for detection of the flavour */
	MD_XREC_ROOT,   /* the document element (validation, detection) */
};

struct md_xparse {
	const char *name; /* for messages */
	enum md_xrecords records;
	int (*on_record)(void *ctx, struct md_xnode *rec);
	void *ctx;
	size_t max_record; /* arena cap per record (0: MD_MAX_RECORD) */
	int detect;        /* stop at the first record root or DC element */
	/* filled by the parser */
	size_t count;           /* records handed to on_record */
	char root_name[64];     /* local name of the document element */
	unsigned char root_ns;  /* its namespace */
	unsigned char found_ns; /* detect: namespace of what stopped it */
	char found_name[64];    /* detect: its local name */
};

/*
 * Parses buf (or the whole of in) with libxml2's push parser and SAX2
 * handlers that build md_xnode trees, one record at a time.  Options:
 * XML_PARSE_NONET only (never NOENT, DTDLOAD, DTDVALID, XINCLUDE, HUGE);
 * a DTD with an external subset or any entity declaration is VL_E_UNSAFE.
 * Malformed XML is VL_E_FORMAT naming name:line.
 */
int md_xml_parse_mem(struct md_xparse *p, const char *buf, size_t len,
		     struct vl_err *err);
/* The same from an element of a tree libxml2 has already parsed (its
 * nodes given to the same handlers), so a document is not parsed twice;
 * the tree must stay alive during the call only. */
int md_xml_parse_node(struct md_xparse *p, xmlNodePtr root, struct vl_err *err);
/* The same from a stream; pre (prelen bytes, may be 0) was already read
 * from in and comes first. */
int md_xml_parse_file(struct md_xparse *p, const char *pre, size_t prelen,
		      FILE *in, struct vl_err *err);

/* ---- XML output ---- */

int md_xw_text(struct vl_buf *b, const char *s); /* escapes <&> and CR */
int md_xw_attr(struct vl_buf *b, const char *name, const char *value);
/* <name attrs...>text</name> with attrs a NULL-terminated list of
 * name,value pairs (NULL values skipped). */
int md_xw_elem(struct vl_buf *b, int indent, const char *name, const char *text,
	       ...);

/* md_format_detect, and when that fails on XML in a complete buffer, the
 * parser's reason (malformed, refused) as the error. */
int md_detect(enum md_format *fmt, const char *buf, size_t len,
	      const char *name, int complete, struct vl_err *err);

/* ---- readers and writers (one file each) ---- */

struct md_rctx {
	struct md_record *rec;
	struct md_diag *d;
	const char *name; /* file name for messages */
	unsigned flags;
	int borrow;              /* values may point into the tree (streams) */
	struct md_langcache *lc; /* canonical tags seen before, or NULL */
};
/* A cache of clean language-code conversions for a stream (tags repeat
 * record after record).  Strings it returns stay valid until the next
 * md_langcache_tick, called between records. */
struct md_langcache *md_langcache_new(void);
void md_langcache_free(struct md_langcache *lc);
void md_langcache_tick(struct md_langcache *lc);
/* Content problem (MD_ERROR when strict, else MD_WARNING). */
void md_rctx_problem(struct md_rctx *c, unsigned long line, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));
/* A conversion loss: MD_WARNING, not reported when strict (validation). */
void md_rctx_warn(struct md_rctx *c, unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Canonical BCP 47 tag of an xml:lang value into the record, reporting
 * problems; NULL when absent or dropped. */
const char *md_rctx_lang(struct md_rctx *c, const char *tag, unsigned long line,
			 const char *what);
/* Canonical BCP 47 tag of a MODS @lang (ISO 639-2/B) code. */
const char *md_rctx_lang_639b(struct md_rctx *c, const char *code,
			      unsigned long line);
const char *md_rctx_script(struct md_rctx *c, const char *code,
			   unsigned long line);

int md_mods_read(struct md_rctx *c, const struct md_xnode *mods);
/* What the DC reader does to a fresh value: language codes to BCP 47,
 * DCMI Type terms, media types, identifier types; with from_text also
 * the "(Role)" suffix and "isbn: " prefix DC text carries. */
int md_dc_normalize(struct md_rctx *c, struct md_value *v, int from_text);
int md_dc_read(struct md_rctx *c, const struct md_xnode *root);
int md_mods_write(struct vl_buf *b, const struct md_record *r, unsigned flags,
		  struct md_diag *d);
int md_oai_dc_write(struct vl_buf *b, const struct md_record *r, unsigned flags,
		    struct md_diag *d);
int md_dcterms_write(struct vl_buf *b, const struct md_record *r,
		     unsigned flags, struct md_diag *d);
int md_json_write(struct vl_buf *b, const struct md_record *r);

/* ---- crosswalk tables (md_crosswalk.c) ---- */

/* MODS typeOfResource -> DCMI Type term (metadata-notes 2.3), NULL when
 * there is no one-to-one term (mixed material). */
const char *md_tor_to_dcmi(const char *tor);
/* DCMI Type term -> MODS typeOfResource, NULL for Event/Collection. */
const char *md_dcmi_to_tor(const char *dcmi);
/* 1 if s is exactly one of the 12 DCMI Type terms. */
int md_is_dcmi_type(const char *s);
/* MODS relatedItem @type <-> DCMI relation term. */
enum md_term md_related_type_to_term(const char *type);
const char *md_term_to_related_type(enum md_term t);
/* Date element <-> term ("dateIssued" <-> issued ...); type_out gets the
 * dateOther @type for terms MODS has no element for. */
enum md_term md_mods_date_term(const char *elem, const char **type_out);
const char *md_term_mods_date(enum md_term t, const char **type_out);
/* Sniffs an identifier's type from its text ("doi", "hdl", "uri",
 * "isbn", "issn", "urn") or NULL. */
const char *md_identifier_sniff(const char *s);
/* 1 if s looks like an absolute URI (scheme ":" with no white space). */
int md_is_uri(const char *s);
/* 1 if libxml2's XML Schema check accepts s as an xs:anyURI. */
int md_is_any_uri(const char *s);
/* 1 if s looks like an IANA media type ("audio/flac"). */
int md_is_mime(const char *s);

/* The DC text of a value as oai_dc writes it (name + role, "start/end"
 * dates are joined by the caller). Appends to b. */
int md_dc_text(struct vl_buf *b, const struct md_value *v);

/* ---- generated ISO tables (md_iso_tables.c) ---- */

struct md_iso639_2 {
	char t[4], b[4], a2[3];
};
extern const struct md_iso639_2 md_iso639_2[];
extern const size_t md_iso639_2_count;
extern const struct md_iso639_2 md_iso639_2b[]; /* sorted by B */
extern const struct md_iso639_2 md_iso639_1[];  /* sorted by a2 */
extern const size_t md_iso639_1_count;
extern const char md_iso639_3[];
extern const size_t md_iso639_3_count;
extern const char md_iso639_5[];
extern const size_t md_iso639_5_count;
extern const char md_iso15924[];
extern const size_t md_iso15924_count;
extern const char md_iso3166[];
extern const size_t md_iso3166_count;

/* Lookups in the tables above. */
const struct md_iso639_2 *md_639_2_by_t(const char *t);
const struct md_iso639_2 *md_639_2_by_b(const char *b);
const struct md_iso639_2 *md_639_2_by_1(const char *a2);

#endif
