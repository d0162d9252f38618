/*
 * metadata.h - descriptive metadata: one record model for Dublin Core,
 * qualified DC (DCMI terms) and MODS 3.x; readers, writers, the MODS<->DC
 * crosswalks, CSV batch rows, validation (XSD + content rules), and the
 * language and date helpers they need.
 *
 * Conventions (see ../shared/STYLE.md): functions return 0 or a negative
 * VL_E_* code and fill a struct vl_err; a returned `char *` belongs to the
 * caller, a `const char *` is borrowed.  Every string in a record is
 * UTF-8 in Unicode NFC with no character XML 1.0 forbids.  Nothing here
 * prints; losses and content problems go into a struct md_diag.
 *
 * Threads: a record, a CSV reader and a schema set belong to one thread at
 * a time; the module keeps no other mutable state except the libxml2
 * entity loader installed once by md_schemas_open() (see there).
 *
 * The mapping rules (which MODS element becomes which DC element and
 * back, and what each direction loses) are tabled in docs/crosswalk.md.
 */
#ifndef MD_METADATA_H
#define MD_METADATA_H

#include <stddef.h>
#include <stdio.h>

#include "../repo/repo.h"

/* ================================================================== */
/* Record model                                                       */
/* ================================================================== */

/* The 15 DCMES 1.1 elements, in the order of the DCMES reference.
 * MD_E_NONE is for DCMI terms with no DCMES parent (audience, ...). */
enum md_element {
	MD_E_NONE = 0,
	MD_E_TITLE,
	MD_E_CREATOR,
	MD_E_SUBJECT,
	MD_E_DESCRIPTION,
	MD_E_PUBLISHER,
	MD_E_CONTRIBUTOR,
	MD_E_DATE,
	MD_E_TYPE,
	MD_E_FORMAT,
	MD_E_IDENTIFIER,
	MD_E_SOURCE,
	MD_E_LANGUAGE,
	MD_E_RELATION,
	MD_E_COVERAGE,
	MD_E_RIGHTS,
	MD_E_COUNT
};

/* DCMI Metadata Terms used as refinements (or, for the last group,
 * properties with no DCMES parent).  md_term_element() gives the element
 * each one "dumbs down" to in simple DC. */
enum md_term {
	MD_T_NONE = 0,
	MD_T_ALTERNATIVE,
	MD_T_ABSTRACT,
	MD_T_TABLE_OF_CONTENTS,
	MD_T_AVAILABLE,
	MD_T_CREATED,
	MD_T_DATE_ACCEPTED,
	MD_T_DATE_COPYRIGHTED,
	MD_T_DATE_SUBMITTED,
	MD_T_ISSUED,
	MD_T_MODIFIED,
	MD_T_VALID,
	MD_T_EXTENT,
	MD_T_MEDIUM,
	MD_T_BIBLIOGRAPHIC_CITATION,
	MD_T_CONFORMS_TO,
	MD_T_HAS_FORMAT,
	MD_T_HAS_PART,
	MD_T_HAS_VERSION,
	MD_T_IS_FORMAT_OF,
	MD_T_IS_PART_OF,
	MD_T_IS_REFERENCED_BY,
	MD_T_IS_REPLACED_BY,
	MD_T_IS_REQUIRED_BY,
	MD_T_IS_VERSION_OF,
	MD_T_REFERENCES,
	MD_T_REPLACES,
	MD_T_REQUIRES,
	MD_T_SPATIAL,
	MD_T_TEMPORAL,
	MD_T_ACCESS_RIGHTS,
	MD_T_LICENSE,
	MD_T_RIGHTS_HOLDER, /* dumbs down to contributor (docs/crosswalk.md) */
	MD_T_PROVENANCE,    /* dumbs down to description */
	MD_T_AUDIENCE,      /* no DCMES parent from here on */
	MD_T_EDUCATION_LEVEL,
	MD_T_MEDIATOR,
	MD_T_ACCRUAL_METHOD,
	MD_T_ACCRUAL_PERIODICITY,
	MD_T_ACCRUAL_POLICY,
	MD_T_INSTRUCTIONAL_METHOD,
	MD_T_COUNT
};

/* A name's role: a MARC relator code and/or its term ("aut", "Author"). */
struct md_role {
	const char *code; /* may be NULL */
	const char *text; /* may be NULL */
};

/* Structure MODS keeps inside one value: the parts of a name (namePart
 * family/given/date, nameIdentifier, affiliation), of a title (nonSort,
 * title, subTitle, partNumber, partName), of a subject heading (topic,
 * geographic, temporal, hierarchicalGeographic parts, classification), of
 * a related item (title, identifier, url) or a publisher's place. */
struct md_part {
	const char *kind; /* the MODS element name: "namePart", "topic", ... */
	const char *type; /* its @type ("family") or @point; may be NULL */
	const char *text;
	const char *authority; /* may be NULL */
	const char *value_uri; /* may be NULL */
	const char *lang;      /* BCP 47; may be NULL */
};

/* Flags of a value. */
enum {
	MD_V_PRIMARY = 1 << 0,    /* usage="primary" */
	MD_V_KEY_DATE = 1 << 1,   /* keyDate="yes" */
	MD_V_COLLECTION = 1 << 2, /* typeOfResource collection="yes" */
	MD_V_MANUSCRIPT = 1 << 3, /* typeOfResource manuscript="yes" */
	MD_V_LOCATION = 1 << 4,   /* identifier came from location/url */
	MD_V_INVALID = 1 << 5,    /* identifier invalid="yes" */
	MD_V_SUPPLIED = 1 << 6,   /* supplied="yes" (titleInfo) */
};

/*
 * One value.  text is the Dublin Core form of the value (a name as
 * "Family, Given, dates", a title with its subtitle, a subject heading
 * joined with "--"); every other field may be NULL.
 */
struct md_value {
	enum md_element element; /* == md_term_element(term) if term set */
	enum md_term term;
	const char *text;
	const char *lang;      /* BCP 47 (RFC 5646), canonical case */
	const char *script;    /* ISO 15924, e.g. "Latn", "Cans" */
	const char *translit;  /* transliteration scheme, e.g. "ALA-LC" */
	const char *authority; /* "lcsh", "marcrelator", "naf", "dct" ... */
	const char *authority_uri;
	const char *value_uri;
	/* Encoding scheme: dates "w3cdtf" "edtf" "iso8601" "marc" "temper";
	 * DCMI schemes "URI" "IMT" "DCMIType" "RFC5646" "Point" "Box"
	 * "Period"; "typeOfResource" for a MODS typeOfResource value. */
	const char *scheme;
	/* Type: identifier type (doi, isbn, uri, local ...), note type,
	 * title type (alternative, translated, uniform, abbreviated), name
	 * type (personal, corporate, family, conference), relatedItem type,
	 * accessCondition type, genre type, language term type ("text"),
	 * and for a location URL (MD_V_LOCATION) its @access. */
	const char *type;
	const char *point;     /* dates: "start" or "end" */
	const char *qualifier; /* dates: approximate|inferred|questionable */
	const char *href;      /* xlink:href (rights statement URI, ...) */
	const char *group;     /* altRepGroup: parallel scripts/languages */
	const char *label;     /* displayLabel */
	unsigned flags;        /* MD_V_* */
	struct md_role *roles;
	size_t nroles;
	struct md_part *parts;
	size_t nparts;
	unsigned long line; /* line of the source it was read from, or 0 */
};

struct md_arena; /* private */

/* A description: values in input order.  Writers group them by element
 * in DCMES order and keep the input order inside a group. */
struct md_record {
	struct md_value *values;
	size_t nvalues, alloc;
	struct md_arena *arena; /* owns every string of every value */
};

struct md_record *md_record_new(void); /* NULL when out of memory */
void md_record_free(struct md_record *r);
/* Drops every value, keeps the memory for the next record. */
void md_record_reset(struct md_record *r);
/* A deep copy (for keeping a record a stream or CSV reader lends);
 * NULL when out of memory. */
struct md_record *md_record_dup(const struct md_record *r);

/*
 * Appends a value.  text is checked (UTF-8, no control character XML
 * forbids), trimmed and normalized to NFC; lang (may be NULL) must be a
 * well-formed BCP 47 tag and is stored in canonical case (and "mri" ->
 * "mi", "iw" -> "he").  VL_E_INVAL names the problem; *out points into
 * r and stays valid until the next md_record_add/reset/free.
 */
int md_record_add(struct md_value **out, struct md_record *r,
		  enum md_element element, enum md_term term, const char *text,
		  const char *lang, struct vl_err *err);
/* Copies s into the record (for the other fields of a value); NULL when
 * out of memory. */
const char *md_record_str(struct md_record *r, const char *s);
int md_value_add_role(struct md_record *r, struct md_value *v, const char *code,
		      const char *text);
int md_value_add_part(struct md_record *r, struct md_value *v, const char *kind,
		      const char *type, const char *text);

/* The main title for listings: the first primary title, else the first
 * plain title, else the first alternative one; NULL when there is none.
 * Borrowed from r. */
const char *md_record_title(const struct md_record *r);

const char *md_element_name(enum md_element e);     /* "title"; NULL for NONE */
enum md_element md_element_parse(const char *name); /* MD_E_NONE if unknown */
const char *md_term_name(enum md_term t);           /* "alternative" */
enum md_term md_term_parse(const char *name);       /* MD_T_NONE if unknown */
enum md_element md_term_element(enum md_term t);

/* ================================================================== */
/* Diagnostics: losses, repairs and content problems                  */
/* ================================================================== */

enum md_level { MD_WARNING = 1, MD_ERROR = 2 };

struct md_diag_item {
	enum md_level level;
	char *where; /* "file:line" (or "file") */
	char *msg;
	unsigned long count; /* how many times (identical messages merge) */
	unsigned long hash;  /* of msg, to find repeats fast */
};

/* Identical messages are merged (the first place is kept, count grows),
 * so a bulk conversion reports "recordInfo dropped" once, not 100,000
 * times.  At most max_items distinct messages are kept (default 200);
 * warnings and errors count every message. */
struct md_diag {
	struct md_diag_item *items;
	size_t n, alloc, max_items;
	unsigned long warnings, errors;
	int strict; /* readers report content problems as MD_ERROR */
};

void md_diag_init(struct md_diag *d);
void md_diag_release(struct md_diag *d);
void md_diag_add(struct md_diag *d, enum md_level level, const char *where,
		 unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* ================================================================== */
/* Formats, readers and writers                                       */
/* ================================================================== */

enum md_format {
	MD_FMT_UNKNOWN = 0,
	MD_FMT_OAI_DC,  /* oai_dc:dc, or simple DC XML (dc:* children) */
	MD_FMT_DCTERMS, /* qualified DC: <qualifieddc> with dc:/dcterms: */
	MD_FMT_MODS,    /* MODS 3.x: <mods> or <modsCollection> */
	MD_FMT_CSV,     /* RFC 4180 rows; see "CSV rows" below */
	MD_FMT_JSON,    /* the record model as JSON (write only) */
};

/* "oai_dc" (also "dc"), "dcterms" (also "qdc"), "mods", "csv", "json". */
enum md_format md_format_parse(const char *name);
/* The catalog's format names: "oai_dc", "dcterms", "mods", ... */
const char *md_format_name(enum md_format f);
/* Guesses from the content (root element) and the path's extension. */
enum md_format md_format_detect(const char *buf, size_t len, const char *path);

/* Inputs larger than this are refused before parsing (single records and
 * `vellum metadata validate`); streams are capped per record. */
#define MD_MAX_INPUT  ((size_t)64 << 20)
#define MD_MAX_RECORD ((size_t)16 << 20)

enum {
	MD_READ_STRICT = 1,       /* content problems are MD_ERROR */
	MD_READ_KEEP_UNKNOWN = 2, /* CSV: unknown columns become notes */
	MD_READ_BATCH = 4, /* CSV: skip the batch-ingest columns path, id,
			      collection (md_read_stream, md_read) */
};

/*
 * Reads one record from buf (fmt MD_FMT_UNKNOWN = detect).  XML is parsed
 * safely: no network, no entity substitution, no DTD loading, and any DTD
 * that declares an entity or names an external subset is refused with
 * VL_E_UNSAFE (XXE, billion laughs).  A document holding several records
 * is VL_E_FORMAT; use md_read_stream.  name is used in messages.
 */
int md_read(struct md_record **out, enum md_format fmt, const char *buf,
	    size_t len, const char *name, unsigned flags, struct md_diag *d,
	    struct vl_err *err);
/* The same from an element libxml2 has already parsed (node: an
 * xmlNodePtr; fmt MD_FMT_MODS, MD_FMT_OAI_DC or MD_FMT_DCTERMS), e.g. a
 * record taken out of an OAI-PMH response, without parsing it again.
 * The tree is only read, and only during the call. */
struct _xmlNode;
int md_read_node(struct md_record **out, enum md_format fmt,
		 struct _xmlNode *node, const char *name, unsigned flags,
		 struct md_diag *d, struct vl_err *err);
/* The same from a file (at most MD_MAX_INPUT bytes). */
int md_read_file(struct md_record **out, enum md_format fmt, const char *path,
		 unsigned flags, struct md_diag *d, struct vl_err *err);

/*
 * Streams every record of a file: each <mods> (in a modsCollection or any
 * wrapper), each oai_dc:dc or <qualifieddc> (in any wrapper, such as an
 * OAI-PMH response), or each CSV row.  Memory stays flat in the number of
 * records.  fn gets a record it borrows - it and its strings are valid
 * only during the call (md_record_dup keeps one) - and the
 * line it starts on; a negative return stops the stream and is returned.
 * *fmt gives the format (MD_FMT_UNKNOWN: detected from the first 64 KiB)
 * and receives the one read.  *count (if not NULL) receives the number
 * of records read.
 */
int
md_read_stream(FILE *in, const char *name, enum md_format *fmt, unsigned flags,
	       int (*fn)(void *ctx, struct md_record *rec, unsigned long line),
	       void *ctx, size_t *count, struct md_diag *d, struct vl_err *err);

enum {
	MD_WRITE_FRAGMENT = 1, /* no XML declaration: for embedding in an
				  OAI-PMH response or a collection */
};

/*
 * Writes r as fmt (oai_dc, dcterms, mods or json) into a new string
 * (*out, *len; free() it).  The bytes depend only on r: same record, same
 * bytes.  XML output is valid against oai_dc.xsd, qualifieddc.xsd or
 * mods-3-8.xsd.  What the format cannot hold is reported in d (may be
 * NULL) as MD_WARNING.
 */
int md_write(char **out, size_t *len, const struct md_record *r,
	     enum md_format fmt, unsigned flags, struct md_diag *d,
	     struct vl_err *err);
/* The same, appending to a buffer (bulk conversion). */
int md_write_buf(struct vl_buf *out, const struct md_record *r,
		 enum md_format fmt, unsigned flags, struct md_diag *d,
		 struct vl_err *err);
/* A file of many records: <modsCollection> for MODS, a plain <records>
 * element holding oai_dc:dc or qualifieddc records, a JSON array.  Call
 * start, then item for each record (index 0, 1, ...), then end. */
int md_write_collection_start(struct vl_buf *out, enum md_format fmt);
int md_write_collection_item(struct vl_buf *out, const struct md_record *r,
			     enum md_format fmt, size_t index,
			     struct md_diag *d, struct vl_err *err);
int md_write_collection_end(struct vl_buf *out, enum md_format fmt);

/* ================================================================== */
/* CSV rows (batch ingest)                                            */
/* ================================================================== */

/*
 * RFC 4180 (quotes, "" escapes, embedded newlines, CRLF or LF), UTF-8
 * with or without a BOM.  The first row is the header; each column is
 *
 *     [dc:|dcterms:]NAME[\[QUAL\]][{AUTHORITY}][@LANG]
 *
 * NAME is a DCMES element or a DCMI term ("title", "alternative",
 * "issued", "isPartOf", "rightsHolder"); QUAL is a MARC relator code for
 * creator/contributor/rightsHolder ("creator[aut]"), an identifier type
 * ("identifier[doi]"), a date encoding ("date[edtf]"), a title type or a
 * note type; {AUTHORITY} names the vocabulary ("subject{lcsh}"); @LANG is
 * the BCP 47 tag of the values ("title@mi").  A cell holds one or more
 * values separated by "|" ("\|" is a literal bar, "\\" a backslash); a
 * value ending in " <URI>" carries that URI as its value URI (or, for
 * rights, as the statement's URI).  Columns named in extra_columns (such
 * as path, id, collection) are not metadata: their raw cell is returned
 * by md_csv_extra().  Any other column is an error naming it, unless
 * MD_READ_KEEP_UNKNOWN makes it a note labelled with the column name.
 */
struct md_csv;

struct md_csv_opts {
	const char *const *extra_columns; /* NULL-terminated, or NULL */
	unsigned flags;                   /* MD_READ_KEEP_UNKNOWN */
};

/* Opens the CSV (reads the header).  in stays owned by the caller and
 * must stay open until md_csv_close.  Errors name "file:line". */
int md_csv_open(struct md_csv **out, FILE *in, const char *name,
		const struct md_csv_opts *opts, struct vl_err *err);
/*
 * Reads the next row into *rec (borrowed; valid until the next call).
 * Returns 1 for a row, 0 at the end, VL_E_INVAL for a row whose content
 * is bad (the message names file:line and column; the next call goes on
 * with the next row) or VL_E_FORMAT for broken CSV syntax (stop).
 */
int md_csv_next(struct md_csv *c, struct md_record **rec, struct md_diag *d,
		struct vl_err *err);
/* The current row's raw cell for an extra column, or NULL if there is no
 * such column.  Borrowed until the next md_csv_next. */
const char *md_csv_extra(const struct md_csv *c, const char *column);
/* First line of the current row (1-based; the header is line 1). */
unsigned long md_csv_line(const struct md_csv *c);
void md_csv_close(struct md_csv *c);

/* ================================================================== */
/* Validation                                                         */
/* ================================================================== */

struct md_schemas;

/*
 * A set of XSDs from dir (it must hold mods-3-8.xsd, oai_dc.xsd,
 * qualifieddc.xsd and the files they import: simpledc20021212.xsd,
 * dcterms.xsd, dc.xsd, dcmitype.xsd, xml.xsd, xlink.xsd).  Schemas are
 * compiled on first use.  While compiling, a libxml2 external entity
 * loader (installed process-wide, once) serves only files of dir and the
 * canonical schema URLs mapped to them, and refuses everything else;
 * outside schema compilation it defers to the loader it replaced.
 */
int md_schemas_open(struct md_schemas **out, const char *dir,
		    struct vl_err *err);
void md_schemas_free(struct md_schemas *s);

/* XSD validation of one document (format from its root element).  Each
 * schema error is added to d as MD_ERROR with its line.  Returns 0 when
 * the check ran (d->errors tells the outcome). */
int md_schemas_check(struct md_schemas *s, const char *buf, size_t len,
		     const char *name, struct md_diag *d, struct vl_err *err);

/*
 * Validates a document: safe parsing, XSD validity (if s is not NULL;
 * CSV has no schema), then content rules schemas cannot express, record
 * by record: a title is present; dates are W3CDTF or EDTF (level 0/1);
 * language tags are well-formed BCP 47 and their ISO 639 codes, scripts
 * and regions exist; MODS @lang holds ISO 639-2/B codes; relator codes
 * are known (warning).  Problems go to d (MD_ERROR: invalid).  Returns 0
 * when the checks ran, VL_E_* when they could not (unreadable file,
 * schema missing).  *records gets the number of records checked.
 */
int md_validate(const char *buf, size_t len, const char *name,
		enum md_format fmt, struct md_schemas *s, struct md_diag *d,
		size_t *records, struct vl_err *err);
/* Content rules on a record already read (used by md_validate). */
void md_record_check(const struct md_record *r, const char *where,
		     struct md_diag *d);

/* ================================================================== */
/* Languages, scripts, relators and dates                             */
/* ================================================================== */

/*
 * Checks a BCP 47 tag (RFC 5646 section 2.1 syntax, including the
 * grandfathered tags) and writes its canonical form into out: case per
 * section 2.1.1, ISO 639-2/T or 639-3 codes that have an ISO 639-1 code
 * shortened ("mri" -> "mi"), deprecated codes replaced ("iw" -> "he").
 * VL_E_INVAL: malformed.  VL_E_NOTFOUND: well formed but a language,
 * script or region subtag is not a real code (out is still written).
 */
int md_lang_canonical(char *out, size_t size, const char *tag,
		      struct vl_err *err);
/* The ISO 639-2/B code of a canonical tag's language ("mi" -> "mao"), or
 * NULL when ISO 639-2 has none.  Static string. */
const char *md_lang_to_639b(const char *tag);
/* 1 if code is a real ISO 639-2 B (which=B), T or ISO 639-3 code. */
enum md_iso639 { MD_639_1, MD_639_2B, MD_639_2T, MD_639_3, MD_639_5 };
int md_iso639_exists(enum md_iso639 which, const char *code);
int md_script_exists(const char *code); /* ISO 15924 */

/* The MARC relator term of a code ("aut" -> "Author"), or NULL. */
const char *md_relator_term(const char *code);
/* The code of a relator term, case-insensitive ("author" -> "aut"). */
const char *md_relator_code(const char *term);
/* 1 when the role makes a name a dc:creator (aut, cre, art, cmp, pht,
 * ivr ... see docs/crosswalk.md). */
int md_relator_is_creator(const char *code);

/* Date syntaxes a string satisfies (bit set; 0 = none). */
enum {
	MD_DATE_W3CDTF = 1,   /* W3C-NOTE-datetime profile of ISO 8601 */
	MD_DATE_XSD = 2,      /* also an xs:gYear/gYearMonth/date/dateTime */
	MD_DATE_EDTF = 4,     /* EDTF (ISO 8601-2) level 0 or 1 */
	MD_DATE_INTERVAL = 8, /* an EDTF interval "a/b" */
};
unsigned md_date_kind(const char *s);

/* ================================================================== */
/* Controlled vocabularies (SKOS): import, label matching, subject    */
/* reconciliation, reparative audit and remediation of stored records */
/* ================================================================== */
/*
 * Design notes: docs/vocabularies.md; tables: docs/catalog.md,
 * "Version 2".  Everything here runs on the repository's sqlite3 handle,
 * so it belongs to that handle's thread.  Returned `char *` (also inside
 * result structs) belongs to the caller and is freed by the matching
 * _release/_free function.
 */

/* ---- label normalisation and language tags ---- */

/*
 * The two matching keys of a label or query (either output may be NULL):
 *   norm  NFC, Unicode case folding, default-ignorable characters removed,
 *         compatibility "lumping" of spaces/dashes/quotes, whitespace runs
 *         collapsed to one space and trimmed;
 *   fold  norm with combining marks stripped (accent-insensitive).
 * VL_E_INVAL for invalid UTF-8.  Outputs are malloc'd.
 */
int md_vocab_normalize(const char *s, char **norm, char **fold,
		       struct vl_err *err);

/* Scratch space for md_vocab_key(); zero-initialise, then release. */
struct md_vocab_keybuf {
	int32_t *u; /* UTF-32 work area, re-encoded to the key in place */
	size_t cap; /* its size in code points */
};
/*
 * One key of s, the norm key (fold = 0) or the fold key (fold = 1),
 * exactly as md_vocab_normalize() makes it, but in kb's reusable buffer:
 * for callers that make many keys.  *out is borrowed from kb and valid
 * until the next call with kb.  VL_E_INVAL for invalid UTF-8.
 */
int md_vocab_key(struct md_vocab_keybuf *kb, const char *s, int fold,
		 const char **out, struct vl_err *err);
void md_vocab_keybuf_release(struct md_vocab_keybuf *kb);

/* Canonical BCP 47 form of a label's language tag (md_lang_canonical),
 * keeping a well-formed tag whose subtags are not registered.  "" stays
 * "" (no language).  VL_E_INVAL if tag is not well-formed or does not
 * fit. */
int md_vocab_lang_tag(char *out, size_t n, const char *tag);
/* RFC 4647 section 3.3.1 basic filtering: range "en" matches "en" and
 * "en-GB"; "*" matches any tag. */
int md_lang_match(const char *range, const char *tag);
/* The BCP 47 tag of an ISO 639-2 (B or T) or 639-3 code, written into
 * out: "mao" -> "mi", "haw" -> "haw"; NULL if the code is unknown. */
const char *md_vocab_lang_from_639(char *out, size_t n, const char *code);

/* ---- import ---- */

struct md_vocab_import_opts {
	const char *scheme_uri; /* which scheme to import; NULL: the one the
				   file declares */
	const char *code;       /* MODS @authority code to record, or NULL */
	int local;              /* a local override file */
};

#define MD_VOCAB_MAX_WARNINGS 20

struct md_vocab_import_result {
	char *scheme_uri; /* the scheme imported */
	char *version;    /* its version string as recorded */
	int64_t revision; /* import number of the scheme (1 = first) */
	int unchanged;    /* same file as the last import: nothing done */
	int64_t triples, concepts, labels, deprecated, overrides;
	int64_t added, removed, changes; /* differences to the last import */
	size_t nwarnings; /* total; the first MD_VOCAB_MAX_WARNINGS kept */
	char *warnings[MD_VOCAB_MAX_WARNINGS];
};

/*
 * Imports a SKOS file (RDF/XML, Turtle or N-Triples, told by extension
 * .rdf/.xml/.owl, .ttl, .nt, else by content) into the catalog through
 * Raptor 2, with network and file access denied.  One transaction: on any
 * error (syntax, undeclared prefix, no concepts, a cycle in skos:broader
 * or dct:isReplacedBy, an override of an unknown concept) nothing changes
 * and err names the file and, where known, the line.  Re-importing a
 * scheme updates it in place and records every difference in
 * vocab_changes.  res is filled on success; release it.
 */
int md_vocab_import(struct repo *r, const char *path,
		    const struct md_vocab_import_opts *opts,
		    struct md_vocab_import_result *res, struct vl_err *err);
void md_vocab_import_result_release(struct md_vocab_import_result *res);

/* ---- lookups and reconciliation ---- */

/* A lookup handle: prepared statements on r->db.  Cheap to keep open. */
struct md_vocab;
int md_vocab_open(struct md_vocab **out, struct repo *r, struct vl_err *err);
void md_vocab_close(struct md_vocab *v);

enum md_label_kind { MD_LABEL_PREF = 0, MD_LABEL_ALT = 1, MD_LABEL_HIDDEN = 2 };
const char *md_label_kind_name(enum md_label_kind k);

struct md_label {
	char *lang; /* BCP 47, "" when the file gave none */
	char *text;
};

struct md_concept {
	char *uri;
	char *scheme_uri, *scheme_title, *scheme_code, *scheme_version;
	int deprecated;        /* effective, after local overrides */
	char *status;          /* NULL, "deprecated", "proposed deprecated",
				  "withdrawn" */
	struct md_label *pref; /* displayable prefLabels, one per language,
				  in language order; one allocation with
				  their strings (md_concept_release) */
	size_t npref;
	char **replaced_by; /* effective dct:isReplacedBy (direct), loaded
			       for deprecated concepts */
	size_t nreplaced_by;
};

enum md_match_status {
	MD_MATCH_NONE = 0,     /* no label matches */
	MD_MATCH_ONE = 1,      /* exactly one concept at the best rank */
	MD_MATCH_AMBIGUOUS = 2 /* several: never resolved silently */
};

struct md_match {
	enum md_match_status status;
	enum md_label_kind kind;   /* kind of the best matching label */
	int folded;                /* needed accent folding to match */
	char *label, *label_lang;  /* the best matching label (ONE) */
	struct md_concept concept; /* the concept (ONE) */
	char **candidates;         /* concept URIs at the best rank */
	size_t ncandidates;        /* (AMBIGUOUS; also 1 for ONE) */
};

/*
 * Reconciles a subject/genre/type string to a concept.  Matching is on
 * the normalised keys (md_vocab_normalize) over every label in every
 * language.  Rank, best first: prefLabel, altLabel (and a prefLabel
 * overridden by a local file), hiddenLabel; within each, an exact (norm)
 * match before an accent-folded one.  lang (BCP 47, may be NULL)
 * restricts matching to labels in that language first, falling back to
 * all languages when none matches.  scheme_uri (may be NULL) restricts
 * to concepts of that scheme.  Several concepts at the best rank give
 * MD_MATCH_AMBIGUOUS with their URIs.  out is always initialised;
 * release it with md_match_release().
 */
int md_vocab_reconcile(struct md_vocab *v, const char *text, const char *lang,
		       const char *scheme_uri, struct md_match *out,
		       struct vl_err *err);
void md_match_release(struct md_match *m);

/* A concept by URI (deprecated ones too).  VL_E_NOTFOUND if unknown. */
int md_vocab_concept(struct md_vocab *v, const char *uri,
		     struct md_concept *out, struct vl_err *err);
void md_concept_release(struct md_concept *c);

/*
 * The concepts to use instead of uri: its effective dct:isReplacedBy
 * targets (a local file's links override the imported ones), followed
 * through replacements that are themselves deprecated, to known,
 * non-deprecated concepts.  *n = 0 when there is none.  Free the array
 * and its strings with md_strv_free().
 */
int md_vocab_replacements(struct md_vocab *v, const char *uri, char ***out,
			  size_t *n, struct vl_err *err);
void md_strv_free(char **v, size_t n);

/* The prefLabel to show for lang: RFC 4647 lookup (exact tag, then
 * shorter prefixes), then a longer tag of the same language, then
 * English, then the first.  NULL if the concept has none.  Borrowed. */
const struct md_label *md_concept_label(const struct md_concept *c,
					const char *lang);

struct md_search_hit {
	char *uri, *scheme_uri;
	char *label, *label_lang; /* the label that matched */
	enum md_label_kind kind;
	int exact;      /* whole label matched (else a substring) */
	int folded;     /* needed accent folding */
	int deprecated; /* the concept is deprecated */
};

/* Labels containing text (normalised, accent-insensitive), whole-label
 * matches first, one hit per concept, at most limit.  lang (may be NULL)
 * keeps only labels in that language (RFC 4647 filtering). */
int md_vocab_search(struct md_vocab *v, const char *text, const char *lang,
		    size_t limit, struct md_search_hit **hits, size_t *n,
		    struct vl_err *err);
void md_search_hits_free(struct md_search_hit *hits, size_t n);

/* ---- reparative audit and remediation of stored records ---- */

enum md_finding_reason {
	MD_FIND_DEPRECATED = 0, /* concept deprecated or withdrawn */
	MD_FIND_HIDDEN = 1,     /* value is a hidden (retired) label */
	MD_FIND_AMBIGUOUS = 2   /* matches several concepts, one of them
				   deprecated or through a hidden label */
};
const char *md_finding_reason_name(enum md_finding_reason r);

struct md_vocab_finding {
	char *object_id;
	int64_t version;
	char *format; /* "mods", "oai_dc", "dcterms" */
	char *field;  /* "subject/topic", "genre", "typeOfResource",
			 "dc:subject", "dc:type" */
	char *value, *lang, *value_uri; /* as in the record (lang, uri may
					   be NULL) */
	enum md_finding_reason reason;
	char *concept_uri, *scheme_uri, *vocab_version; /* matched concept */
	char **replacements;       /* replacement concept URIs (may be none) */
	char **replacement_labels; /* their labels in the value's language */
	size_t nreplacements;
	char **candidates; /* AMBIGUOUS: the concepts */
	size_t ncandidates;
};

struct md_vocab_audit {
	struct md_vocab_finding *f;
	size_t n, alloc;
	int64_t records;    /* objects examined */
	int64_t values;     /* subject/genre/type values examined */
	int64_t unreadable; /* stored records that are not well-formed XML */
};

/* Examines the current metadata version (objects.md_version) of every
 * active object: MODS subject/topic, genre, typeOfResource and
 * subject/topic@valueURI, oai_dc and dcterms subject and type.  Findings
 * are values using a deprecated or hidden (retired) term, by value URI
 * or by label.  scheme_uri (may be NULL) keeps only findings whose
 * concept is in that scheme.  Release out with md_vocab_audit_release. */
int md_vocab_audit(struct repo *r, const char *scheme_uri,
		   struct md_vocab_audit *out, struct vl_err *err);
void md_vocab_audit_release(struct md_vocab_audit *a);

struct md_vocab_remediate_opts {
	const char *scheme_uri; /* as for md_vocab_audit, may be NULL */
	const char *langs;      /* output languages, comma-separated BCP 47;
				   NULL: setting vocab_output_langs, else "en" */
	int dry_run;            /* report, change nothing */
};

struct md_vocab_remediate_result {
	int64_t objects; /* objects given a new metadata version */
	int64_t values;  /* values replaced */
	int64_t skipped; /* findings left alone (no replacement, ambiguous) */
};

/*
 * Applies the audit's replacements.  Per object, in one transaction: a
 * new metadata version (old rows kept) with MODS (libxml2 DOM edit: the
 * preferred label, authority/authorityURI/valueURI, parallel subjects in
 * the other output languages) and oai_dc/dcterms (the preferred label in
 * every output language, with xml:lang) rewritten and other formats
 * copied; objects.md_version and objects.datestamp moved; a PREMIS "mem"
 * event with before/after values and the vocabulary versions; a
 * vocab_remediations row per value keeping the original string
 * searchable.  audit (may be NULL) receives the findings considered.
 */
int md_vocab_remediate(struct repo *r, const struct md_vocab_remediate_opts *o,
		       struct md_vocab_audit *audit,
		       struct md_vocab_remediate_result *res,
		       struct vl_err *err);

/* Settings key holding the default output languages. */
#define MD_VOCAB_LANGS_SETTING "vocab_output_langs"

#endif
