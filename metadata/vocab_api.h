/*
 * vocab_api.h - controlled vocabularies (SKOS): import, label matching,
 * subject reconciliation, and the reparative audit/remediation of stored
 * records.  Design notes: docs/vocabularies.md; tables: docs/catalog.md,
 * "Version 2".
 *
 * INTEGRATOR: this header is the vocabulary section of the metadata
 * module's public header; fold it into metadata/metadata.h and include
 * that from metadata/vocab*.c and cli/cmd_vocab.c instead.
 *
 * Conventions: functions return 0 or a negative VL_E_* and fill err; a
 * returned `char *` (also inside result structs) belongs to the caller
 * and is freed by the matching _release/_free function.  Everything runs
 * on the repository's sqlite3 handle, so it belongs to that handle's
 * thread.
 */
#ifndef MD_VOCAB_API_H
#define MD_VOCAB_API_H

#include <stddef.h>
#include <stdint.h>

#include "../repo/repo.h"

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

/* Writes tag in canonical BCP 47 case ("EN-gb" -> "en-GB", "sr-latn" ->
 * "sr-Latn") into out.  "" stays "" (no language).  VL_E_INVAL if tag is
 * not well-formed or does not fit. */
int md_lang_canonical(char *out, size_t n, const char *tag);
/* RFC 4647 section 3.3.1 basic filtering: range "en" matches "en" and
 * "en-GB"; "*" matches any tag. */
int md_lang_match(const char *range, const char *tag);
/* ISO 639-2/B code (for MODS @lang) of a BCP 47 tag's primary language
 * subtag, or NULL when it has none.  Borrowed static string. */
const char *md_lang_639b(const char *tag);
/* BCP 47 primary subtag for an ISO 639-2 code (B or T form): "mao" ->
 * "mi", "haw" -> "haw"; NULL if unknown.  Borrowed static string. */
const char *md_lang_from_639(const char *code);

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
	struct md_label *pref; /* displayable prefLabels, one per language */
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
