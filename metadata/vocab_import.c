/*
 * vocab_import.c - SKOS import through Raptor 2 into the vocabulary
 * tables (docs/catalog.md, "Version 2"; design in docs/vocabularies.md).
 *
 * Pipeline, all inside one BEGIN IMMEDIATE transaction so a failure at
 * any step leaves the catalog exactly as it was:
 *
 *   file --raptor--> temp.vocab_stage (the triples we care about, with
 *        the label keys computed)  --SQL--> temp.vocab_new* (this file's
 *        concepts, labels, links, notes)  --diff--> vocab_changes
 *        --apply--> vocab_concepts/members/labels/links/notes
 *        --recompute effective deprecation, home scheme, shadowed
 *          prefLabels--> cycle checks --> COMMIT
 *
 * Invariants:
 *  - Raptor never touches the network or other files: RAPTOR_OPTION_NO_NET,
 *    RAPTOR_OPTION_NO_FILE, no external entities, and a URI filter that
 *    refuses every fetch.
 *  - Concept rows are never deleted (records may cite them): a concept a
 *    newer version no longer has is kept with present = 0 ("withdrawn").
 *  - Facts (labels, links, notes) carry their origin scheme, so a
 *    re-import replaces only its own facts and a local override file's
 *    facts survive the re-import of the vocabulary it overrides.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <raptor2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metadata.h"

#define SKOS "http://www.w3.org/2004/02/skos/core#"
#define RDF  "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define RDFS "http://www.w3.org/2000/01/rdf-schema#"
#define OWL  "http://www.w3.org/2002/07/owl#"
#define DCT  "http://purl.org/dc/terms/"
#define DCE  "http://purl.org/dc/elements/1.1/"
#define VANN "http://purl.org/vocab/vann/"

/* The predicates kept in temp.vocab_stage, by name; cls says which
 * table their facts go to: l(abel), k (link), n(ote), or '' (used while
 * importing only). */
static const struct pred {
	const char *uri, *name, *cls;
} preds[] = {
	{ RDF "type", "type", "" },
	{ SKOS "prefLabel", "pref", "l" },
	{ SKOS "altLabel", "alt", "l" },
	{ SKOS "hiddenLabel", "hidden", "l" },
	{ SKOS "inScheme", "inScheme", "" },
	{ SKOS "topConceptOf", "topConceptOf", "" },
	{ SKOS "hasTopConcept", "hasTopConcept", "" },
	{ SKOS "notation", "notation", "" },
	{ OWL "deprecated", "deprecated", "" },
	{ DCT "title", "title", "" },
	{ DCE "title", "title", "" },
	{ RDFS "label", "title", "" },
	{ OWL "versionInfo", "versionInfo", "" },
	{ DCT "modified", "modified", "" },
	{ VANN "preferredNamespacePrefix", "prefix", "" },
	{ SKOS "broader", "broader", "k" },
	{ SKOS "narrower", "narrower", "k" },
	{ SKOS "related", "related", "k" },
	{ SKOS "exactMatch", "exactMatch", "k" },
	{ SKOS "closeMatch", "closeMatch", "k" },
	{ SKOS "broadMatch", "broadMatch", "k" },
	{ SKOS "narrowMatch", "narrowMatch", "k" },
	{ SKOS "relatedMatch", "relatedMatch", "k" },
	{ DCT "isReplacedBy", "isReplacedBy", "k" },
	{ DCT "replaces", "replaces", "k" },
	{ SKOS "definition", "definition", "n" },
	{ SKOS "scopeNote", "scopeNote", "n" },
	{ SKOS "changeNote", "changeNote", "n" },
	{ SKOS "editorialNote", "editorialNote", "n" },
	{ SKOS "historyNote", "historyNote", "n" },
	{ SKOS "note", "note", "n" },
	{ SKOS "example", "example", "n" },
};
#define N_PREDS (sizeof(preds) / sizeof(preds[0]))

/* Raptor, loaded when a vocabulary is first imported rather than at
 * every start of vellum (repo/vl_dl.c); written once, read-only
 * afterwards. */
#ifndef VL_RAPTOR_SONAME
#define VL_RAPTOR_SONAME "libraptor2.so.0"
#endif
#define RAPTOR_FUNCS(X)                                                      \
	X(free_parser, raptor_free_parser)                                   \
	X(free_uri, raptor_free_uri)                                         \
	X(free_world, raptor_free_world)                                     \
	X(locator_column, raptor_locator_column)                             \
	X(locator_line, raptor_locator_line)                                 \
	X(new_parser, raptor_new_parser)                                     \
	X(new_uri_from_uri_or_file_string,                                   \
	  raptor_new_uri_from_uri_or_file_string)                            \
	X(parser_get_locator, raptor_parser_get_locator)                     \
	X(parser_parse_abort, raptor_parser_parse_abort)                     \
	X(parser_parse_chunk, raptor_parser_parse_chunk)                     \
	X(parser_parse_start, raptor_parser_parse_start)                     \
	X(parser_set_option, raptor_parser_set_option)                       \
	X(parser_set_statement_handler, raptor_parser_set_statement_handler) \
	X(parser_set_uri_filter, raptor_parser_set_uri_filter)               \
	X(uri_as_counted_string, raptor_uri_as_counted_string)               \
	X(world_guess_parser_name, raptor_world_guess_parser_name)           \
	X(world_open, raptor_world_open)                                     \
	X(world_set_flag, raptor_world_set_flag)                             \
	X(world_set_log_handler, raptor_world_set_log_handler)               \
	X(new_world_internal, raptor_new_world_internal)

static struct {
	RAPTOR_FUNCS(VL_DL_MEMBER)
} rap;
VL_DL_LIBRARY(rap_lib, VL_RAPTOR_SONAME, RAPTOR_FUNCS, rap, NULL);

struct imp {
	struct repo *r;
	const char *path;
	const struct md_vocab_import_opts *opts;
	struct md_vocab_import_result *res;
	struct vl_err *err;
	raptor_parser *parser;
	sqlite3_stmt *ins;
	EVP_MD_CTX *md;
	int rc;            /* first failure inside a callback */
	int syntax_err;    /* Raptor reported an error */
	int lang_repaired; /* language tags with an underscore seen */
	/* Labels go straight to temp.vocab_newlabels, each once, with the
	 * SKOS S14 demotion done here for the run of triples of the current
	 * subject; a subject whose labels come in several runs (rare: files
	 * group by subject) is listed in temp.vocab_scattered and fixed in
	 * SQL afterwards. */
	sqlite3_stmt *ins_label, *ins_scattered;
	struct vl_buf run_s;
	struct run_label {
		const char *kind;
		char *lang, *text;
	} * rl;
	size_t nrl, arl;
	char **seen; /* hash set of subjects with labels */
	size_t nseen, aseen;
	int64_t nolang, nonlit, scattered;
	char *s14_s, *s14_lang;
	char *title;  /* the scheme's title, found before labels are pruned */
	char *scheme; /* scheme URI being imported */
	int64_t sid;  /* its vocab_schemes.id */
	int64_t revision;
	char now[VL_TIME_LEN];
};

static void warn(struct imp *im, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
warn(struct imp *im, const char *fmt, ...)
{
	struct md_vocab_import_result *res = im->res;
	struct vl_buf b = VL_BUF_INIT;
	va_list ap;

	if (res->nwarnings < MD_VOCAB_MAX_WARNINGS) {
		va_start(ap, fmt);
		if (vl_buf_vaddf(&b, fmt, ap) == 0)
			res->warnings[res->nwarnings] = vl_buf_detach(&b, NULL);
		va_end(ap);
		vl_buf_release(&b);
		if (!res->warnings[res->nwarnings])
			return;
	}
	res->nwarnings++;
}

static const struct pred *
find_pred(const char *uri, size_t len)
{
	size_t i;

	for (i = 0; i < N_PREDS; i++)
		if (strlen(preds[i].uri) == len &&
		    !memcmp(preds[i].uri, uri, len))
			return &preds[i];
	return NULL;
}

/* ---- Raptor callbacks ---- */

static void
on_log(void *data, raptor_log_message *m)
{
	struct imp *im = data;
	int line = m->locator ? rap.locator_line(m->locator) : -1;
	int col = m->locator ? rap.locator_column(m->locator) : -1;

	/* Some messages come without a locator: the parser's own position
	 * is where it stopped. */
	if (line <= 0 && im->parser) {
		raptor_locator *pl = rap.parser_get_locator(im->parser);

		line = pl ? rap.locator_line(pl) : -1;
		col = pl ? rap.locator_column(pl) : -1;
	}

	if (m->level < RAPTOR_LOG_LEVEL_ERROR) {
		if (m->level >= RAPTOR_LOG_LEVEL_WARN)
			warn(im, "line %d: %s", line, m->text ? m->text : "");
		return;
	}
	if (im->syntax_err++ || im->rc)
		return; /* keep the first error: later ones follow from it */
	if (line > 0 && col > 0)
		vl_err_set(im->err, VL_E_FORMAT, "'%s' line %d column %d: %s",
			   im->path, line, col, m->text ? m->text : "error");
	else if (line > 0)
		vl_err_set(im->err, VL_E_FORMAT, "'%s' line %d: %s", im->path,
			   line, m->text ? m->text : "error");
	else
		vl_err_set(im->err, VL_E_FORMAT, "'%s': %s", im->path,
			   m->text ? m->text : "RDF syntax error");
}

/* Refuses every URI Raptor would fetch (entities, imports, GRDDL). */
static int
deny_uri(void *data, raptor_uri *uri)
{
	(void)data;
	(void)uri;
	return 1;
}

static int
bind_term(struct imp *im, int col, raptor_term *t)
{
	const unsigned char *s;
	size_t len;

	switch (t->type) {
	case RAPTOR_TERM_TYPE_URI:
		s = rap.uri_as_counted_string(t->value.uri, &len);
		return sqlite3_bind_text(im->ins, col, (const char *)s,
					 (int)len, SQLITE_TRANSIENT);
	case RAPTOR_TERM_TYPE_BLANK: {
		struct vl_buf b = VL_BUF_INIT;
		int rc;

		vl_buf_adds(&b, "_:");
		vl_buf_add(&b, t->value.blank.string,
			   t->value.blank.string_len);
		rc = sqlite3_bind_text(im->ins, col, b.buf, (int)b.len,
				       SQLITE_TRANSIENT);
		vl_buf_release(&b);
		return rc;
	}
	case RAPTOR_TERM_TYPE_LITERAL:
		return sqlite3_bind_text(
			im->ins, col, (const char *)t->value.literal.string,
			(int)t->value.literal.string_len, SQLITE_TRANSIENT);
	default: return sqlite3_bind_null(im->ins, col);
	}
}

static void
run_reset(struct imp *im)
{
	size_t i;

	for (i = 0; i < im->nrl; i++) {
		free(im->rl[i].lang);
		free(im->rl[i].text);
	}
	im->nrl = 0;
}

/* Adds s to the set of subjects seen; 1 if it was there, <0 on error. */
static int
seen_add(struct imp *im, const char *s, size_t n)
{
	size_t i, mask;

	if (2 * (im->nseen + 1) > im->aseen) {
		size_t na = im->aseen ? 2 * im->aseen : 1024, j;
		char **t = calloc(na, sizeof(*t));

		if (!t)
			return VL_E_NOMEM;
		for (j = 0; j < im->aseen; j++) {
			char *e = im->seen[j];

			if (!e)
				continue;
			for (i = vl_hash(e, strlen(e)) & (na - 1); t[i];
			     i = (i + 1) & (na - 1))
				;
			t[i] = e;
		}
		free(im->seen);
		im->seen = t;
		im->aseen = na;
	}
	mask = im->aseen - 1;
	for (i = vl_hash(s, n) & mask; im->seen[i]; i = (i + 1) & mask)
		if (strlen(im->seen[i]) == n && !memcmp(im->seen[i], s, n))
			return 1;
	if (!(im->seen[i] = strndup(s, n)))
		return VL_E_NOMEM;
	im->nseen++;
	return 0;
}

static void
seen_free(struct imp *im)
{
	size_t i;

	for (i = 0; i < im->aseen; i++)
		free(im->seen[i]);
	free(im->seen);
	im->seen = NULL;
	im->nseen = im->aseen = 0;
}

/* Stages one label triple; returns 0 or a negative code. */
static int
stage_label(struct imp *im, const struct pred *p, const char *subj, size_t slen,
	    raptor_term *o, const char *lang, int line)
{
	const char *text = (const char *)o->value.literal.string;
	const char *kind = p->name;
	char *norm = NULL, *fold = NULL;
	size_t i;
	int rc;

	if (!*lang)
		im->nolang++;
	if (slen != im->run_s.len || memcmp(subj, im->run_s.buf, slen)) {
		run_reset(im);
		vl_buf_reset(&im->run_s);
		if (vl_buf_add(&im->run_s, subj, slen) < 0)
			return VL_E_NOMEM;
		if ((rc = seen_add(im, subj, slen)) < 0)
			return rc;
		if (rc == 1) {
			im->scattered++;
			sqlite3_reset(im->ins_scattered);
			sqlite3_bind_text(im->ins_scattered, 1, subj, (int)slen,
					  SQLITE_STATIC);
			if (sqlite3_step(im->ins_scattered) != SQLITE_DONE)
				return VL_E_DB;
		}
	}
	for (i = 0; i < im->nrl; i++) {
		if (im->rl[i].kind == p->name &&
		    !strcmp(im->rl[i].lang, lang) &&
		    !strcmp(im->rl[i].text, text))
			return 0; /* the same triple again */
		if (!strcmp(p->name, "pref") && im->rl[i].kind == p->name &&
		    !strcmp(im->rl[i].lang, lang))
			kind = "alt"; /* SKOS S14: one prefLabel per language */
	}
	if (kind != p->name && !im->s14_s) {
		im->s14_s = strndup(subj, slen);
		im->s14_lang = strdup(lang);
	}
	if ((rc = md_vocab_normalize(text, &norm, &fold, im->err)) < 0)
		return rc;
	if (!*norm) {
		free(norm);
		free(fold);
		return 0;
	}
	if (im->nrl == im->arl) {
		size_t na = im->arl ? 2 * im->arl : 16;
		struct run_label *n = reallocarray(im->rl, na, sizeof(*n));

		if (!n) {
			free(norm);
			free(fold);
			return VL_E_NOMEM;
		}
		im->rl = n;
		im->arl = na;
	}
	im->rl[im->nrl].kind = p->name;
	im->rl[im->nrl].lang = strdup(lang);
	im->rl[im->nrl].text = strdup(text);
	im->nrl++;
	if (!im->rl[im->nrl - 1].lang || !im->rl[im->nrl - 1].text) {
		free(norm);
		free(fold);
		return VL_E_NOMEM;
	}
	sqlite3_reset(im->ins_label);
	sqlite3_bind_text(im->ins_label, 1, subj, (int)slen, SQLITE_STATIC);
	sqlite3_bind_text(im->ins_label, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(im->ins_label, 3, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(im->ins_label, 4, lang, -1, SQLITE_STATIC);
	sqlite3_bind_text(im->ins_label, 5, text,
			  (int)o->value.literal.string_len, SQLITE_STATIC);
	sqlite3_bind_text(im->ins_label, 6, norm, -1, free);
	sqlite3_bind_text(im->ins_label, 7, fold, -1, free);
	sqlite3_bind_int(im->ins_label, 8, line);
	return sqlite3_step(im->ins_label) == SQLITE_DONE ? 0 : VL_E_DB;
}

static void
on_statement(void *data, raptor_statement *st)
{
	struct imp *im = data;
	const struct pred *p;
	const unsigned char *puri;
	size_t plen;
	raptor_term *o = st->object;
	char *norm = NULL, *fold = NULL;
	char tag[64] = "";
	int lit, line, rc;

	if (im->rc)
		return;
	im->res->triples++;
	if (st->predicate->type != RAPTOR_TERM_TYPE_URI)
		return;
	puri = rap.uri_as_counted_string(st->predicate->value.uri, &plen);
	if (!(p = find_pred((const char *)puri, plen)))
		return;
	lit = o->type == RAPTOR_TERM_TYPE_LITERAL;
	line = rap.locator_line(rap.parser_get_locator(im->parser));
	if (lit && o->value.literal.language) {
		char raw[64];
		size_t k;

		/* "en_US" is a common slip: repair it (RFC 5646 uses '-'). */
		snprintf(raw, sizeof(raw), "%s",
			 (const char *)o->value.literal.language);
		for (k = 0; raw[k]; k++)
			if (raw[k] == '_')
				raw[k] = '-';
		if (strcmp(raw, (const char *)o->value.literal.language) &&
		    !im->lang_repaired++)
			warn(im, "line %d: language tag '%s' written as '%s'",
			     line, (const char *)o->value.literal.language,
			     raw);
		if (strlen((const char *)o->value.literal.language) >=
			    sizeof(raw) ||
		    md_vocab_lang_tag(tag, sizeof(tag), raw) < 0) {
			vl_err_set(im->err, VL_E_FORMAT,
				   "'%s' line %d: malformed language tag "
				   "'%.40s'",
				   im->path, line,
				   (const char *)o->value.literal.language);
			im->rc = VL_E_FORMAT;
			rap.parser_parse_abort(im->parser);
			return;
		}
	}
	if (*p->cls == 'l') {
		struct vl_buf subj = VL_BUF_INIT;
		const unsigned char *su;
		size_t sn;

		if (!lit) {
			im->nonlit++;
			return;
		}
		if (st->subject->type == RAPTOR_TERM_TYPE_URI) {
			su = rap.uri_as_counted_string(st->subject->value.uri,
						       &sn);
		} else {
			vl_buf_adds(&subj, "_:");
			vl_buf_add(&subj, st->subject->value.blank.string,
				   st->subject->value.blank.string_len);
			su = (const unsigned char *)subj.buf;
			sn = subj.len;
		}
		rc = stage_label(im, p, (const char *)su, sn, o, tag, line);
		vl_buf_release(&subj);
		if (rc == VL_E_DB)
			rc = repo_db_err(im->r->db, im->err,
					 "vocabulary import");
		else if (rc == VL_E_NOMEM)
			rc = vl_err_set(im->err, VL_E_NOMEM, "out of memory");
		if (rc < 0) {
			im->rc = rc;
			rap.parser_parse_abort(im->parser);
		}
		return;
	}
	sqlite3_reset(im->ins);
	sqlite3_clear_bindings(im->ins);
	bind_term(im, 1, st->subject);
	sqlite3_bind_text(im->ins, 2, p->name, -1, SQLITE_STATIC);
	bind_term(im, 3, o);
	sqlite3_bind_int(im->ins, 4, lit);
	sqlite3_bind_text(im->ins, 9, p->cls, -1, SQLITE_STATIC);
	if (lit)
		sqlite3_bind_text(im->ins, 5, tag, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(im->ins, 6, line);
	if (lit && !strcmp(p->name, "editorialNote")) {
		rc = md_vocab_normalize((const char *)o->value.literal.string,
					&norm, &fold, im->err);
		if (rc < 0) {
			im->rc = rc;
			rap.parser_parse_abort(im->parser);
			return;
		}
		sqlite3_bind_text(im->ins, 7, norm, -1, free);
		sqlite3_bind_text(im->ins, 8, fold, -1, free);
	}
	if (sqlite3_step(im->ins) != SQLITE_DONE) {
		im->rc = repo_db_err(im->r->db, im->err, "vocabulary import");
		rap.parser_parse_abort(im->parser);
	}
	sqlite3_reset(im->ins);
}

/* ---- parsing ---- */

static const char *
syntax_by_name(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!dot)
		return NULL;
	if (!strcasecmp(dot, ".ttl") || !strcasecmp(dot, ".turtle"))
		return "turtle";
	/* RDF 1.1 N-Triples, section 1: N-Triples is a subset of Turtle, so
	 * the Turtle parser reads it with the same triples and lines.  We
	 * use it because Raptor 2.0.15's N-Triples parser leaks one
	 * reference per distinct literal datatype URI. */
	if (!strcasecmp(dot, ".nt"))
		return "turtle";
	if (!strcasecmp(dot, ".rdf") || !strcasecmp(dot, ".xml") ||
	    !strcasecmp(dot, ".owl") || !strcasecmp(dot, ".skos"))
		return "rdfxml";
	return NULL;
}

static const char *
syntax_by_content(raptor_world *w, const unsigned char *buf, size_t n)
{
	const char *g =
		rap.world_guess_parser_name(w, NULL, NULL, buf, n, NULL);

	if (g && !strcmp(g, "ntriples"))
		return "turtle"; /* see syntax_by_name() */
	if (g && (!strcmp(g, "turtle") || !strcmp(g, "rdfxml")))
		return g;
	return NULL;
}

static int
exec(struct imp *im, const char *sql)
{
	char *msg = NULL;
	int rc;

	if (sqlite3_exec(im->r->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	rc = vl_err_set(im->err, VL_E_DB, "vocabulary import: %s",
			msg ? msg : sqlite3_errmsg(im->r->db));
	sqlite3_free(msg);
	return rc;
}

static int
parse_file(struct imp *im)
{
	raptor_world *w = NULL;
	raptor_uri *base = NULL;
	unsigned char *buf = NULL;
	const char *syntax;
	FILE *f = NULL;
	size_t n;
	int rc = 0;

	if ((rc = vl_dl_load(&rap_lib, im->err)) < 0)
		return rc;
	if (!(f = fopen(im->path, "rb")))
		return vl_err_sys(im->err,
				  errno == ENOENT ? VL_E_NOTFOUND : VL_E_IO,
				  "cannot open '%s'", im->path);
	if (!(buf = malloc(65536)) ||
	    !(w = rap.new_world_internal(RAPTOR_VERSION))) {
		rc = vl_err_set(im->err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	/* libxml2 is shared with the rest of vellum: Raptor must put back
	 * the error handlers it replaces. */
	rap.world_set_flag(w, RAPTOR_WORLD_FLAG_LIBXML_GENERIC_ERROR_SAVE, 1);
	rap.world_set_flag(w, RAPTOR_WORLD_FLAG_LIBXML_STRUCTURED_ERROR_SAVE,
			   1);
	if (rap.world_open(w) != 0) {
		rc = vl_err_set(im->err, VL_E_IO, "cannot start Raptor");
		goto out;
	}
	rap.world_set_log_handler(w, im, on_log);
	n = fread(buf, 1, 65536, f);
	if (ferror(f)) {
		rc = vl_err_sys(im->err, VL_E_IO, "cannot read '%s'", im->path);
		goto out;
	}
	if (!(syntax = syntax_by_name(im->path)) &&
	    !(syntax = syntax_by_content(w, buf, n))) {
		rc = vl_err_set(im->err, VL_E_FORMAT,
				"cannot tell the RDF syntax of '%s': name it "
				".ttl (Turtle), .nt (N-Triples) or .rdf "
				"(RDF/XML)",
				im->path);
		goto out;
	}
	if (!(im->parser = rap.new_parser(w, syntax))) {
		rc = vl_err_set(im->err, VL_E_IO, "no Raptor parser for %s",
				syntax);
		goto out;
	}
	/* Raptor docs, "Parser options": NO_NET and NO_FILE deny requests
	 * made while parsing; external entities stay unloaded. */
	rap.parser_set_option(im->parser, RAPTOR_OPTION_NO_NET, NULL, 1);
	rap.parser_set_option(im->parser, RAPTOR_OPTION_NO_FILE, NULL, 1);
	rap.parser_set_option(im->parser, RAPTOR_OPTION_LOAD_EXTERNAL_ENTITIES,
			      NULL, 0);
	rap.parser_set_uri_filter(im->parser, deny_uri, NULL);
	rap.parser_set_statement_handler(im->parser, im, on_statement);
	base = rap.new_uri_from_uri_or_file_string(
		w, NULL, (const unsigned char *)im->path);
	if (!base || rap.parser_parse_start(im->parser, base) != 0) {
		if (!im->syntax_err)
			vl_err_set(im->err, VL_E_FORMAT, "cannot parse '%s'",
				   im->path);
		rc = im->rc ? im->rc : VL_E_FORMAT;
		goto out;
	}
	for (;;) {
		int end;

		EVP_DigestUpdate(im->md, buf, n);
		end = n == 0 || feof(f);
		if (rap.parser_parse_chunk(im->parser, buf, n, end) != 0 ||
		    im->rc || im->syntax_err)
			break;
		if (end)
			break;
		n = fread(buf, 1, 65536, f);
		if (ferror(f)) {
			rc = vl_err_sys(im->err, VL_E_IO, "cannot read '%s'",
					im->path);
			goto out;
		}
	}
	if (im->rc)
		rc = im->rc;
	else if (im->syntax_err)
		rc = VL_E_FORMAT;
out:
	if (im->parser)
		rap.free_parser(im->parser);
	im->parser = NULL;
	if (base)
		rap.free_uri(base);
	if (w)
		rap.free_world(w);
	free(buf);
	if (f)
		fclose(f);
	return rc;
}

/* ---- SQL helpers ---- */

/* Runs one statement binding the named parameters it uses: :sid, :uri
 * (the scheme), :rev, :now, :local.  For SELECTs, *out gets column 0 of
 * the first row as an integer (0 if none). */
static int
run(struct imp *im, const char *sql, int64_t *out)
{
	struct timespec t0, t1;
	sqlite3_stmt *st;
	int rc, i;

	if ((rc = repo_prepare(im->r, &st, sql, im->err)) < 0) {
		vl_log_debug("vocab import: cannot prepare: %s", sql);
		return rc;
	}
	if ((i = sqlite3_bind_parameter_index(st, ":sid")))
		sqlite3_bind_int64(st, i, im->sid);
	if ((i = sqlite3_bind_parameter_index(st, ":uri")))
		sqlite3_bind_text(st, i, im->scheme, -1, SQLITE_STATIC);
	if ((i = sqlite3_bind_parameter_index(st, ":rev")))
		sqlite3_bind_int64(st, i, im->revision);
	if ((i = sqlite3_bind_parameter_index(st, ":now")))
		sqlite3_bind_text(st, i, im->now, -1, SQLITE_STATIC);
	if ((i = sqlite3_bind_parameter_index(st, ":local")))
		sqlite3_bind_int(st, i, im->opts->local ? 1 : 0);
	if (out)
		*out = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (out) {
			*out = sqlite3_column_int64(st, 0);
			out = NULL;
		}
	rc = rc == SQLITE_DONE
		     ? 0
		     : repo_db_err(im->r->db, im->err, "vocabulary import");
	sqlite3_finalize(st);
	if (vl_log_get_level() >= VL_LOG_DEBUG) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		vl_log_debug("vocab import: %.3f s in %.70s",
			     (double)(t1.tv_sec - t0.tv_sec) +
				     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
			     sql);
	}
	return rc;
}

/* Column 0 (and 1) of the first row of sql as strings, or NULL. */
static int
run_text(struct imp *im, const char *sql, char **a, char **b)
{
	sqlite3_stmt *st;
	int rc, i;

	*a = NULL;
	if (b)
		*b = NULL;
	if ((rc = repo_prepare(im->r, &st, sql, im->err)) < 0)
		return rc;
	if ((i = sqlite3_bind_parameter_index(st, ":uri")))
		sqlite3_bind_text(st, i, im->scheme, -1, SQLITE_STATIC);
	if ((i = sqlite3_bind_parameter_index(st, ":sid")))
		sqlite3_bind_int64(st, i, im->sid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);

		if (s && !(*a = strdup(s)))
			rc = SQLITE_NOMEM;
		s = b ? (const char *)sqlite3_column_text(st, 1) : NULL;
		if (s && !(*b = strdup(s)))
			rc = SQLITE_NOMEM;
		if (rc == SQLITE_ROW)
			rc = SQLITE_DONE;
	}
	if (rc == SQLITE_NOMEM)
		rc = vl_err_set(im->err, VL_E_NOMEM, "out of memory");
	else if (rc != SQLITE_DONE)
		rc = repo_db_err(im->r->db, im->err, "vocabulary import");
	else
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}

static int
run_all(struct imp *im, const char *const *sqls)
{
	int rc;

	for (; *sqls; sqls++)
		if ((rc = run(im, *sqls, NULL)) < 0)
			return rc;
	return 0;
}

/* ---- from staged triples to this file's concepts ---- */

static const char *const stage_sql =
	/* The import walks the staged triples by subject: a page cache
	 * that holds a large vocabulary's working set keeps that from
	 * becoming random I/O (about 10x at 200,000 concepts). */
	"PRAGMA temp.cache_size = -131072;"
	"PRAGMA main.cache_size = -65536;"
	"DROP TABLE IF EXISTS temp.vocab_stage;"
	"DROP TABLE IF EXISTS temp.vocab_new;"
	"DROP TABLE IF EXISTS temp.vocab_newlabels;"
	"DROP TABLE IF EXISTS temp.vocab_newlinks;"
	"DROP TABLE IF EXISTS temp.vocab_newnotes;"
	"DROP TABLE IF EXISTS temp.vocab_affected;"
	"DROP TABLE IF EXISTS temp.vocab_scattered;"
	"CREATE TEMP TABLE vocab_stage(s TEXT NOT NULL, p TEXT NOT NULL,"
	"  cls TEXT NOT NULL, o TEXT NOT NULL, lit INTEGER NOT NULL, lang TEXT,"
	"  line INTEGER, norm TEXT, fold TEXT);"
	"CREATE TEMP TABLE vocab_new(uri TEXT PRIMARY KEY, top INTEGER NOT NULL"
	"  DEFAULT 0, deprecated INTEGER, status TEXT, notation TEXT,"
	"  override INTEGER NOT NULL DEFAULT 0, line INTEGER);"
	"CREATE TEMP TABLE vocab_newlabels(uri TEXT NOT NULL, kind TEXT NOT"
	"  NULL, orig TEXT NOT NULL, lang TEXT NOT NULL, text TEXT NOT NULL,"
	"  norm TEXT NOT NULL, fold TEXT NOT NULL, line INTEGER);"
	"CREATE TEMP TABLE vocab_scattered(s TEXT PRIMARY KEY);"
	"CREATE TEMP TABLE vocab_newlinks(uri TEXT NOT NULL, kind TEXT NOT"
	"  NULL, target TEXT NOT NULL, line INTEGER);"
	"CREATE TEMP TABLE vocab_newnotes(uri TEXT NOT NULL, kind TEXT NOT"
	"  NULL, lang TEXT NOT NULL, text TEXT NOT NULL);"
	"CREATE TEMP TABLE vocab_affected(id INTEGER PRIMARY KEY);";

static const char *const drop_sql =
	"DROP TABLE IF EXISTS temp.vocab_stage;"
	"DROP TABLE IF EXISTS temp.vocab_new;"
	"DROP TABLE IF EXISTS temp.vocab_newlabels;"
	"DROP TABLE IF EXISTS temp.vocab_newlinks;"
	"DROP TABLE IF EXISTS temp.vocab_newnotes;"
	"DROP TABLE IF EXISTS temp.vocab_affected;"
	"DROP TABLE IF EXISTS temp.vocab_scattered;";

/* Chooses the scheme: --scheme, else the only skos:ConceptScheme. */
static int
choose_scheme(struct imp *im)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	int rc;

	if ((rc = exec(im, "CREATE INDEX temp.vocab_stage_sp ON"
			   " vocab_stage(s, p);"
			   "CREATE INDEX temp.vocab_stage_po ON"
			   " vocab_stage(p, o);")) < 0)
		return rc;
	if (im->opts->scheme_uri) {
		if (!(im->scheme = strdup(im->opts->scheme_uri)))
			return vl_err_set(im->err, VL_E_NOMEM, "out of memory");
		return 0;
	}
	if ((rc = repo_prepare(im->r, &st,
			       "SELECT DISTINCT s FROM temp.vocab_stage"
			       " WHERE p = 'type' AND o = '" SKOS
			       "ConceptScheme' AND lit = 0 AND s NOT LIKE"
			       " '\\_:%' ESCAPE '\\' ORDER BY s",
			       im->err)) < 0)
		return rc;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n++ == 0)
			im->scheme = strdup(
				(const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (n == 0)
		return vl_err_set(im->err, VL_E_FORMAT,
				  "'%s' declares no skos:ConceptScheme; name "
				  "the scheme with --scheme URI",
				  im->path);
	if (n > 1)
		return vl_err_set(im->err, VL_E_FORMAT,
				  "'%s' declares %lld concept schemes; choose "
				  "one with --scheme URI",
				  im->path, (long long)n);
	if (!im->scheme)
		return vl_err_set(im->err, VL_E_NOMEM, "out of memory");
	return 0;
}

#define IS_URI(col) " " col " NOT LIKE '\\_:%' ESCAPE '\\' "

static const char *const collect_sql[] = {
	/* Concepts of the scheme: typed skos:Concept and in this scheme (or
	 * in none), or placed in it by inScheme/topConceptOf/hasTopConcept.
	 */
	"INSERT OR IGNORE INTO temp.vocab_new(uri, line)"
	" SELECT t.s, min(t.line) FROM temp.vocab_stage t"
	" WHERE t.p = 'type' AND t.o = '" SKOS "Concept' AND" IS_URI(
		"t.s") "AND (NOT EXISTS (SELECT 1 FROM temp.vocab_stage x "
		       "WHERE x.s = t.s"
		       "  AND x.p IN ('inScheme', 'topConceptOf'))"
		       " OR EXISTS (SELECT 1 FROM temp.vocab_stage x WHERE x.s "
		       "= t.s"
		       "  AND x.p IN ('inScheme', 'topConceptOf') AND x.o = "
		       ":uri))"
		       " GROUP BY t.s",
	"INSERT OR IGNORE INTO temp.vocab_new(uri, line)"
	" SELECT s, min(line) FROM temp.vocab_stage"
	" WHERE p IN ('inScheme', 'topConceptOf') AND o = :uri AND lit = 0"
	" AND" IS_URI("s") "GROUP BY s",
	"INSERT OR IGNORE INTO temp.vocab_new(uri, line)"
	" SELECT o, min(line) FROM temp.vocab_stage WHERE s = :uri"
	" AND p = 'hasTopConcept' AND lit = 0 AND" IS_URI("o") "GROUP BY o",
	"DELETE FROM temp.vocab_new WHERE uri = :uri",
	NULL,
};

/* A local file may speak about concepts of other schemes. */
static const char *const override_sql[] = {
	"INSERT OR IGNORE INTO temp.vocab_new(uri, override, line)"
	" SELECT s, 1, min(line) FROM (SELECT s, line FROM temp.vocab_stage"
	"  WHERE cls <> '' OR p = 'deprecated' UNION ALL SELECT uri, line"
	"  FROM temp.vocab_newlabels)"
	" WHERE" IS_URI("s") "AND s <> :uri GROUP BY s",
	NULL,
};

/* Labels were staged once per subject run (stage_label); keep this
 * file's concepts' only, and redo the run checks for the subjects whose
 * labels came in several runs. */
static const char *const prune_sql[] = {
	"DELETE FROM temp.vocab_newlabels WHERE uri NOT IN (SELECT uri FROM"
	" temp.vocab_new)",
	NULL,
};

static const char *const scattered_sql[] = {
	"DELETE FROM temp.vocab_newlabels WHERE uri IN (SELECT s FROM"
	" temp.vocab_scattered) AND rowid NOT IN (SELECT min(rowid) FROM"
	" temp.vocab_newlabels WHERE uri IN (SELECT s FROM"
	" temp.vocab_scattered) GROUP BY uri, orig, lang, text)",
	"UPDATE temp.vocab_newlabels SET kind = CASE WHEN orig = 'pref' AND"
	" EXISTS (SELECT 1 FROM temp.vocab_newlabels x WHERE x.uri ="
	" vocab_newlabels.uri AND x.orig = 'pref' AND x.lang ="
	" vocab_newlabels.lang AND x.rowid < vocab_newlabels.rowid) THEN"
	" 'alt' ELSE orig END WHERE uri IN (SELECT s FROM"
	" temp.vocab_scattered)",
	NULL,
};

static const char *const facts_sql[] = {
	"UPDATE temp.vocab_new SET top = 1 WHERE uri IN (SELECT s FROM"
	" temp.vocab_stage WHERE p = 'topConceptOf' AND o = :uri"
	" UNION SELECT o FROM temp.vocab_stage WHERE s = :uri"
	" AND p = 'hasTopConcept')",
	"UPDATE temp.vocab_new SET notation = (SELECT o FROM temp.vocab_stage"
	" WHERE s = uri AND p = 'notation' AND lit = 1 LIMIT 1)",
	"INSERT INTO temp.vocab_newlinks(uri, kind, target, line)"
	" SELECT s, p, o, min(line) FROM temp.vocab_stage"
	" WHERE cls = 'k' AND lit = 0 AND s IN (SELECT uri FROM"
	" temp.vocab_new) GROUP BY s, p, o",
	/* B dct:replaces A says A dct:isReplacedBy B. */
	"INSERT INTO temp.vocab_newlinks(uri, kind, target, line)"
	" SELECT o, 'isReplacedBy', s, min(line) FROM temp.vocab_stage"
	" WHERE p = 'replaces' AND lit = 0"
	" AND o IN (SELECT uri FROM temp.vocab_new)"
	" AND NOT EXISTS (SELECT 1 FROM temp.vocab_stage x WHERE"
	"  x.s = vocab_stage.o AND x.p = 'isReplacedBy' AND"
	"  x.o = vocab_stage.s) GROUP BY o, s",
	"CREATE INDEX temp.vocab_newlinks_uri ON vocab_newlinks(uri, kind)",
	"INSERT INTO temp.vocab_newnotes(uri, kind, lang, text)"
	" SELECT DISTINCT s, p, lang, o FROM temp.vocab_stage"
	" WHERE cls = 'n' AND lit = 1 AND s IN (SELECT uri FROM"
	" temp.vocab_new)",
	/* Deprecation: owl:deprecated (an explicit false wins), then
	 * dct:isReplacedBy, then an editorial note starting "Deprecated"
	 * as in the COAR vocabularies.  A local file that says nothing
	 * leaves it NULL (no opinion). */
	"UPDATE temp.vocab_new SET deprecated = CASE"
	" WHEN EXISTS (SELECT 1 FROM temp.vocab_stage WHERE s = uri AND"
	"  p = 'deprecated' AND lit = 1 AND lower(o) IN ('true', '1'))"
	"  THEN 1"
	" WHEN EXISTS (SELECT 1 FROM temp.vocab_stage WHERE s = uri AND"
	"  p = 'deprecated' AND lit = 1) THEN 0"
	" WHEN EXISTS (SELECT 1 FROM temp.vocab_newlinks l WHERE"
	"  l.uri = vocab_new.uri AND l.kind = 'isReplacedBy') THEN 1"
	" WHEN EXISTS (SELECT 1 FROM temp.vocab_stage WHERE s = uri AND"
	"  p = 'editorialNote' AND norm LIKE 'deprecated%') THEN 1"
	" WHEN :local THEN NULL ELSE 0 END",
	"UPDATE temp.vocab_new SET status = CASE"
	" WHEN deprecated = 1 THEN 'deprecated'"
	" WHEN EXISTS (SELECT 1 FROM temp.vocab_stage WHERE s = uri AND"
	"  p = 'editorialNote' AND norm LIKE 'proposed deprecated%')"
	"  THEN 'proposed deprecated' END",
	NULL,
};

/* Before labels are pruned: the scheme's title, and a warning when a
 * file imported without --local speaks about other schemes' concepts. */
static int
before_prune(struct imp *im)
{
	int64_t n = 0;
	int rc;

	if ((rc = run_text(im,
			   "SELECT text FROM (SELECT o AS text, lang, 0 AS k,"
			   " rowid AS r FROM temp.vocab_stage WHERE s = :uri"
			   " AND p = 'title' AND lit = 1 UNION ALL SELECT text,"
			   " lang, 1, rowid FROM temp.vocab_newlabels WHERE uri"
			   " = :uri AND kind = 'pref') ORDER BY lang LIKE 'en%'"
			   " DESC, lang = '' DESC, k, r LIMIT 1",
			   &im->title, NULL)) < 0)
		return rc;
	if (!im->opts->local &&
	    (rc = run(im,
		      "SELECT count(*) FROM (SELECT s FROM temp.vocab_stage"
		      " WHERE cls <> '' OR p = 'deprecated' UNION ALL SELECT"
		      " uri FROM temp.vocab_newlabels) WHERE s <> :uri AND s"
		      " NOT IN (SELECT uri FROM temp.vocab_new) AND s IN"
		      " (SELECT uri FROM vocab_concepts)",
		      &n)) < 0)
		return rc;
	if (!im->opts->local && n)
		warn(im,
		     "%lld statements about concepts of other schemes "
		     "ignored; import the file with --local to apply them",
		     (long long)n);
	return 0;
}

/* Counts and warnings about the file's shape. */
static int
check_shape(struct imp *im)
{
	int64_t n;
	char *a = NULL, *b = NULL;
	int rc;

	if ((rc = run(im,
		      "SELECT count(*) FROM temp.vocab_new WHERE override = 0",
		      &im->res->concepts)) < 0 ||
	    (rc = run(im,
		      "SELECT count(*) FROM temp.vocab_new WHERE override = 1",
		      &im->res->overrides)) < 0 ||
	    (rc = run(im, "SELECT count(*) FROM temp.vocab_newlabels",
		      &im->res->labels)) < 0 ||
	    (rc = run(im,
		      "SELECT count(*) FROM temp.vocab_new WHERE deprecated"
		      " = 1",
		      &im->res->deprecated)) < 0)
		return rc;
	if (im->res->concepts == 0 && !im->opts->local)
		return vl_err_set(im->err, VL_E_FORMAT,
				  "'%s' has no skos:Concept in scheme <%s>",
				  im->path, im->scheme);
	if (im->res->concepts + im->res->overrides == 0)
		return vl_err_set(im->err, VL_E_FORMAT,
				  "'%s' has nothing to import for <%s>",
				  im->path, im->scheme);
	/* An override must name a concept we know. */
	if ((rc = run_text(im,
			   "SELECT uri, line FROM temp.vocab_new WHERE"
			   " override = 1 AND uri NOT IN (SELECT uri FROM"
			   " vocab_concepts) ORDER BY line LIMIT 1",
			   &a, &b)) < 0)
		return rc;
	if (a) {
		rc = vl_err_set(im->err, VL_E_FORMAT,
				"'%s' line %s: <%s> is not a concept of any "
				"imported vocabulary (import that first, or "
				"declare it a skos:Concept)",
				im->path, b ? b : "?", a);
		goto out;
	}
	n = im->nolang;
	if (n)
		warn(im,
		     "%lld labels have no language tag; kept, and matched in "
		     "every language",
		     (long long)n);
	if (im->nonlit)
		warn(im, "%lld labels are not literals; ignored",
		     (long long)im->nonlit);
	if (im->s14_s)
		warn(im,
		     "<%s> has several prefLabels in '%s' (SKOS S14); the "
		     "first is kept, the others become altLabels",
		     im->s14_s, im->s14_lang ? im->s14_lang : "");
out:
	free(a);
	free(b);
	return rc;
}

/* ---- scheme row, diff, apply ---- */

static int
scheme_row(struct imp *im, const char *sha)
{
	sqlite3_stmt *st = NULL;
	char *title = NULL, *version = NULL, *code = NULL, *tmp = NULL;
	int64_t local = -1, old_rev = 0;
	char *old_sha = NULL, *old_code = NULL;
	int rc;

	if ((rc = repo_prepare(im->r, &st,
			       "SELECT id, local, revision, sha256, code FROM"
			       " vocab_schemes WHERE uri = ?",
			       im->err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, im->scheme, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *s;

		im->sid = sqlite3_column_int64(st, 0);
		local = sqlite3_column_int(st, 1);
		old_rev = sqlite3_column_int64(st, 2);
		if ((s = (const char *)sqlite3_column_text(st, 3)))
			old_sha = strdup(s);
		if ((s = (const char *)sqlite3_column_text(st, 4)))
			old_code = strdup(s);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (local >= 0 && local != (im->opts->local ? 1 : 0)) {
		rc = vl_err_set(im->err, VL_E_INVAL,
				"<%s> was imported %s --local; import it the "
				"same way",
				im->scheme, local ? "with" : "without");
		goto out;
	}
	im->revision = old_rev + 1;
	if (old_sha && !strcmp(old_sha, sha) &&
	    (!im->opts->code ||
	     (old_code && !strcmp(old_code, im->opts->code)))) {
		im->res->unchanged = 1;
		im->revision = old_rev;
		rc = 0;
		goto out;
	}
	/* Title: the scheme's own label, English or untagged first. */
	title = im->title;
	im->title = NULL;
	/* Version: owl:versionInfo, else the scheme's dct:modified, else the
	 * newest concept dct:modified, else the file digest. */
	if ((rc = run_text(im,
			   "SELECT coalesce((SELECT o FROM temp.vocab_stage"
			   " WHERE s = :uri AND p = 'versionInfo' LIMIT 1),"
			   " (SELECT o FROM temp.vocab_stage WHERE s = :uri"
			   " AND p = 'modified' LIMIT 1), (SELECT max(o) FROM"
			   " temp.vocab_stage WHERE p = 'modified' AND s IN"
			   " (SELECT uri FROM temp.vocab_new)))",
			   &version, NULL)) < 0)
		goto out;
	if (!version) {
		struct vl_buf b = VL_BUF_INIT;

		vl_buf_addf(&b, "sha256:%.12s", sha);
		version = vl_buf_detach(&b, NULL);
	}
	if (im->opts->code) {
		code = strdup(im->opts->code);
	} else if ((rc = run_text(im,
				  "SELECT o FROM temp.vocab_stage WHERE s ="
				  " :uri AND p = 'prefix' LIMIT 1",
				  &tmp, NULL)) < 0) {
		goto out;
	} else {
		code = tmp ? tmp : old_code;
		if (code == old_code)
			old_code = NULL;
		tmp = NULL;
	}
	if ((rc = repo_prepare(
		     im->r, &st,
		     "INSERT INTO vocab_schemes(uri, title, code, local,"
		     " version, source, sha256, revision, imported, triples)"
		     " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
		     " ON CONFLICT(uri) DO UPDATE SET title ="
		     " coalesce(excluded.title, title), code = excluded.code,"
		     " version = excluded.version, source = excluded.source,"
		     " sha256 = excluded.sha256, revision = excluded.revision,"
		     " imported = excluded.imported, triples ="
		     " excluded.triples RETURNING id",
		     im->err)) < 0)
		goto out;
	sqlite3_bind_text(st, 1, im->scheme, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, code, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, im->opts->local ? 1 : 0);
	sqlite3_bind_text(st, 5, version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, im->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, sha, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, im->revision);
	sqlite3_bind_text(st, 9, im->now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, im->res->triples);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = repo_db_err(im->r->db, im->err, "vocabulary import");
		goto out;
	}
	im->sid = sqlite3_column_int64(st, 0);
	while (sqlite3_step(st) == SQLITE_ROW)
		;
	im->res->version = version;
	version = NULL;
	rc = 0;
out:
	sqlite3_finalize(st);
	free(title);
	free(version);
	free(code);
	free(tmp);
	free(old_sha);
	free(old_code);
	return rc;
}

#define MEMBER_OF_SCHEME                                                  \
	" EXISTS (SELECT 1 FROM vocab_members m JOIN vocab_concepts c ON" \
	" c.id = m.concept_id WHERE m.scheme_id = :sid AND c.uri = n.uri)"

/* Every difference to the previous import of this scheme. */
static const char *const diff_sql[] = {
	"CREATE INDEX temp.vocab_newlabels_uri ON vocab_newlabels(uri, kind,"
	" lang)",
	"INSERT INTO vocab_changes(scheme_id, revision, time, concept, change)"
	" SELECT :sid, :rev, :now, n.uri, 'added' FROM temp.vocab_new n"
	" WHERE NOT EXISTS (SELECT 1 FROM vocab_members m JOIN"
	" vocab_concepts c ON c.id = m.concept_id WHERE m.scheme_id = :sid"
	" AND c.uri = n.uri AND m.present = 1)",
	"INSERT INTO vocab_changes(scheme_id, revision, time, concept, change)"
	" SELECT :sid, :rev, :now, c.uri, 'removed' FROM vocab_members m"
	" JOIN vocab_concepts c ON c.id = m.concept_id WHERE m.scheme_id ="
	" :sid AND m.present = 1 AND c.uri NOT IN (SELECT uri FROM"
	" temp.vocab_new)",
	"INSERT INTO vocab_changes(scheme_id, revision, time, concept, change,"
	" detail) SELECT :sid, :rev, :now, n.uri, CASE WHEN n.deprecated ="
	" 1 THEN 'deprecated' WHEN n.deprecated = 0 THEN 'undeprecated'"
	" ELSE 'deprecation cleared' END, n.status FROM temp.vocab_new n"
	" JOIN vocab_concepts c ON c.uri = n.uri JOIN vocab_members m ON"
	" m.concept_id = c.id AND m.scheme_id = :sid WHERE m.deprecated IS"
	" NOT n.deprecated",
	"INSERT INTO vocab_changes(scheme_id, revision, time, concept, change,"
	" detail) SELECT :sid, :rev, :now, n.uri, 'status', coalesce("
	"m.status, 'current') || ' -> ' || coalesce(n.status, 'current')"
	" FROM temp.vocab_new n JOIN vocab_concepts c ON c.uri = n.uri"
	" JOIN vocab_members m ON m.concept_id = c.id AND m.scheme_id = :sid"
	" WHERE m.deprecated IS n.deprecated AND m.status IS NOT n.status",
	"INSERT INTO vocab_changes(scheme_id, revision, time, concept, change,"
	" detail) SELECT :sid, :rev, :now, n.uri, 'label added', n.kind ||"
	" ' ' || n.lang || ': ' || n.text FROM temp.vocab_newlabels n WHERE"
	" " MEMBER_OF_SCHEME " AND NOT EXISTS (SELECT 1 FROM vocab_labels l"
	" JOIN vocab_concepts c ON c.id = l.concept_id WHERE c.uri = n.uri"
	" AND l.origin = :sid AND l.kind = n.kind AND l.lang = n.lang AND"
	" l.text = n.text)",
	"INSERT INTO vocab_changes(scheme_id, revision, time, concept, change,"
	" detail) SELECT :sid, :rev, :now, c.uri, 'label removed', l.kind ||"
	" ' ' || l.lang || ': ' || l.text FROM vocab_labels l JOIN"
	" vocab_concepts c ON c.id = l.concept_id WHERE l.origin = :sid AND"
	" (c.uri IN (SELECT uri FROM temp.vocab_new)"
	" OR :local) AND NOT EXISTS (SELECT 1 FROM temp.vocab_newlabels n"
	" WHERE n.uri = c.uri AND n.kind = l.kind AND n.lang = l.lang AND"
	" n.text = l.text)",
	"INSERT INTO vocab_changes(scheme_id, revision, time, concept, change,"
	" detail) SELECT :sid, :rev, :now, n.uri, 'link added', n.kind ||"
	" ' ' || n.target FROM temp.vocab_newlinks n WHERE " MEMBER_OF_SCHEME
	" AND NOT EXISTS (SELECT 1 FROM vocab_links l JOIN vocab_concepts c"
	" ON c.id = l.concept_id WHERE c.uri = n.uri AND l.origin = :sid"
	" AND l.kind = n.kind AND l.target = n.target)",
	"INSERT INTO vocab_changes(scheme_id, revision, time, concept, change,"
	" detail) SELECT :sid, :rev, :now, c.uri, 'link removed', l.kind ||"
	" ' ' || l.target FROM vocab_links l JOIN vocab_concepts c ON c.id"
	" = l.concept_id WHERE l.origin = :sid AND (c.uri IN (SELECT uri"
	" FROM temp.vocab_new) OR :local) AND NOT EXISTS (SELECT 1 FROM"
	" temp.vocab_newlinks n WHERE n.uri = c.uri AND n.kind = l.kind AND"
	" n.target = l.target)",
	NULL,
};

#define NEW_IDS                                                        \
	" (SELECT c.id FROM temp.vocab_new n JOIN vocab_concepts c ON" \
	" c.uri = n.uri)"

static const char *const apply_sql[] = {
	"INSERT INTO temp.vocab_affected(id) SELECT concept_id FROM"
	" vocab_members WHERE scheme_id = :sid",
	"INSERT OR IGNORE INTO vocab_concepts(uri) SELECT uri FROM"
	" temp.vocab_new",
	"INSERT OR IGNORE INTO temp.vocab_affected(id) SELECT c.id FROM"
	" temp.vocab_new n JOIN vocab_concepts c ON c.uri = n.uri",
	"INSERT INTO vocab_members(scheme_id, concept_id, top, deprecated,"
	" status, notation, present) SELECT :sid, c.id, n.top, n.deprecated,"
	" n.status, n.notation, 1 FROM temp.vocab_new n JOIN vocab_concepts"
	" c ON c.uri = n.uri WHERE 1 ON CONFLICT(scheme_id, concept_id) DO"
	" UPDATE SET top = excluded.top, deprecated = excluded.deprecated,"
	" status = excluded.status, notation = excluded.notation, present ="
	" 1",
	/* A vocabulary's withdrawn concepts keep their facts; a local file
	 * is an overlay replaced as a whole. */
	"UPDATE vocab_members SET present = 0 WHERE scheme_id = :sid AND NOT"
	" :local AND concept_id NOT IN" NEW_IDS,
	"DELETE FROM vocab_members WHERE scheme_id = :sid AND :local AND"
	" concept_id NOT IN" NEW_IDS,
	"DELETE FROM vocab_labels WHERE origin = :sid AND (:local OR"
	" concept_id IN" NEW_IDS ")",
	"DELETE FROM vocab_links WHERE origin = :sid AND (:local OR"
	" concept_id IN" NEW_IDS ")",
	"DELETE FROM vocab_notes WHERE origin = :sid AND (:local OR"
	" concept_id IN" NEW_IDS ")",
	"INSERT INTO vocab_labels(concept_id, origin, kind, lang, text, norm,"
	" fold) SELECT c.id, :sid, n.kind, n.lang, n.text, n.norm, n.fold"
	" FROM temp.vocab_newlabels n JOIN vocab_concepts c ON c.uri ="
	" n.uri",
	"INSERT INTO vocab_links(concept_id, origin, kind, target) SELECT"
	" c.id, :sid, n.kind, n.target FROM temp.vocab_newlinks n JOIN"
	" vocab_concepts c ON c.uri = n.uri",
	"INSERT INTO vocab_notes(concept_id, origin, kind, lang, text) SELECT"
	" c.id, :sid, n.kind, n.lang, n.text FROM temp.vocab_newnotes n JOIN"
	" vocab_concepts c ON c.uri = n.uri",
	/* Effective values (docs/vocabularies.md): home scheme = first
	 * vocabulary (not local) holding the concept; deprecation = the
	 * newest local statement, else the vocabularies', withdrawn when no
	 * vocabulary has it any more. */
	"UPDATE vocab_concepts SET scheme_id = (SELECT m.scheme_id FROM"
	" vocab_members m JOIN vocab_schemes s ON s.id = m.scheme_id WHERE"
	" m.concept_id = vocab_concepts.id ORDER BY s.local, m.present DESC,"
	" s.id LIMIT 1),"
	" deprecated = coalesce((SELECT m.deprecated FROM vocab_members m"
	" JOIN vocab_schemes s ON s.id = m.scheme_id WHERE m.concept_id ="
	" vocab_concepts.id AND s.local = 1 AND m.deprecated IS NOT NULL"
	" ORDER BY s.imported DESC, s.id DESC LIMIT 1),"
	" (SELECT CASE WHEN max(m.present) = 0 THEN 1 ELSE max(m.deprecated)"
	" END FROM vocab_members m JOIN vocab_schemes s ON s.id ="
	" m.scheme_id WHERE m.concept_id = vocab_concepts.id AND s.local ="
	" 0), 0),"
	" status = CASE WHEN EXISTS (SELECT 1 FROM vocab_members m JOIN"
	" vocab_schemes s ON s.id = m.scheme_id WHERE m.concept_id ="
	" vocab_concepts.id AND s.local = 1 AND m.deprecated IS NOT NULL)"
	" THEN (SELECT m.status FROM vocab_members m JOIN vocab_schemes s ON"
	" s.id = m.scheme_id WHERE m.concept_id = vocab_concepts.id AND"
	" s.local = 1 AND m.deprecated IS NOT NULL ORDER BY s.imported DESC,"
	" s.id DESC LIMIT 1)"
	" WHEN (SELECT max(m.present) FROM vocab_members m JOIN"
	" vocab_schemes s ON s.id = m.scheme_id WHERE m.concept_id ="
	" vocab_concepts.id AND s.local = 0) = 0 THEN 'withdrawn'"
	" ELSE (SELECT m.status FROM vocab_members m WHERE m.concept_id ="
	" vocab_concepts.id AND m.status IS NOT NULL AND m.present = 1"
	" ORDER BY m.scheme_id LIMIT 1) END"
	" WHERE id IN (SELECT id FROM temp.vocab_affected)",
	/* A local prefLabel overrides the vocabularies' in its language:
	 * theirs then ranks and shows as an altLabel.  (Nothing to do while
	 * no local file has been imported.) */
	"UPDATE vocab_labels SET shadowed = (kind = 'pref' AND origin NOT IN"
	" (SELECT id FROM vocab_schemes WHERE local = 1) AND EXISTS (SELECT"
	" 1 FROM vocab_labels l2 JOIN vocab_schemes s2 ON s2.id = l2.origin"
	" WHERE l2.concept_id = vocab_labels.concept_id AND l2.kind = 'pref'"
	" AND l2.lang = vocab_labels.lang AND s2.local = 1)) WHERE concept_id"
	" IN (SELECT id FROM temp.vocab_affected) AND kind = 'pref'"
	" AND EXISTS (SELECT 1 FROM vocab_schemes WHERE local = 1)",
	NULL,
};

/* ---- cycle checks ---- */

struct graph {
	int64_t *from, *to; /* edges, sorted by from */
	size_t n, alloc;
};

static int
load_edges(struct imp *im, const char *sql, struct graph *g)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(im->r, &st, sql, im->err)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (g->n == g->alloc) {
			size_t na = g->alloc ? g->alloc * 2 : 1024;
			int64_t *f = reallocarray(g->from, na, sizeof(*f));
			int64_t *t;

			if (f)
				g->from = f;
			t = f ? reallocarray(g->to, na, sizeof(*t)) : NULL;
			if (!t) {
				sqlite3_finalize(st);
				return vl_err_set(im->err, VL_E_NOMEM,
						  "out of memory");
			}
			g->to = t;
			g->alloc = na;
		}
		g->from[g->n] = sqlite3_column_int64(st, 0);
		g->to[g->n] = sqlite3_column_int64(st, 1);
		g->n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE
		       ? 0
		       : repo_db_err(im->r->db, im->err, "vocabulary import");
}

static char *
concept_uri(struct imp *im, int64_t id)
{
	sqlite3_stmt *st;
	char *s = NULL;

	if (repo_prepare(im->r, &st,
			 "SELECT uri FROM vocab_concepts WHERE id = ?",
			 NULL) < 0)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		s = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s;
}

/* Iterative depth-first search over the edges (sorted by from); on a
 * cycle, names it.  Colour: 0 unseen, 1 on the path, 2 done. */
static int
find_cycle(struct imp *im, struct graph *g, const char *what)
{
	int64_t maxid = 0, *first = NULL, *stack = NULL, *pos = NULL;
	unsigned char *colour = NULL;
	size_t i, top;
	int rc = 0;

	for (i = 0; i < g->n; i++) {
		if (g->from[i] > maxid)
			maxid = g->from[i];
		if (g->to[i] > maxid)
			maxid = g->to[i];
	}
	if (g->n == 0)
		return 0;
	first = calloc((size_t)maxid + 2, sizeof(*first));
	colour = calloc((size_t)maxid + 1, 1);
	stack = calloc((size_t)maxid + 1, sizeof(*stack));
	pos = calloc((size_t)maxid + 1, sizeof(*pos));
	if (!first || !colour || !stack || !pos) {
		rc = vl_err_set(im->err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	/* first[v] .. first[v+1]: v's edges (CSR; edges sorted by from). */
	for (i = 0; i < g->n; i++)
		first[g->from[i] + 1]++;
	for (i = 1; i <= (size_t)maxid + 1; i++)
		first[i] += first[i - 1];
	for (i = 0; i < g->n && !rc; i++) {
		int64_t root = g->from[i];

		if (colour[root])
			continue;
		top = 0;
		stack[top++] = root;
		colour[root] = 1;
		pos[root] = first[root];
		while (top && !rc) {
			int64_t v = stack[top - 1];

			if (pos[v] < first[v + 1]) {
				int64_t w = g->to[pos[v]++];

				if (colour[w] == 1) {
					char *a = concept_uri(im, w);
					char *b = concept_uri(im, v);

					rc = vl_err_set(
						im->err, VL_E_FORMAT,
						"'%s': cycle in %s: <%s> -> "
						"... -> <%s> -> <%s>",
						im->path, what, a ? a : "?",
						b ? b : "?", a ? a : "?");
					free(a);
					free(b);
				} else if (colour[w] == 0) {
					colour[w] = 1;
					pos[w] = first[w];
					stack[top++] = w;
				}
			} else {
				colour[v] = 2;
				top--;
			}
		}
	}
out:
	free(first);
	free(colour);
	free(stack);
	free(pos);
	return rc;
}

static int
check_cycles(struct imp *im)
{
	static const char *const sql[][2] = {
		{ "skos:broader",
		  "SELECT f, t FROM (SELECT l.concept_id AS f, c.id AS t FROM"
		  " vocab_links l JOIN vocab_concepts c ON c.uri = l.target"
		  " WHERE l.kind = 'broader' UNION SELECT c.id, l.concept_id"
		  " FROM vocab_links l JOIN vocab_concepts c ON c.uri ="
		  " l.target WHERE l.kind = 'narrower') ORDER BY f" },
		{ "dct:isReplacedBy",
		  "SELECT DISTINCT l.concept_id, c.id FROM vocab_links l JOIN"
		  " vocab_concepts c ON c.uri = l.target WHERE l.kind ="
		  " 'isReplacedBy' ORDER BY 1" },
	};
	size_t k;
	int rc = 0;

	for (k = 0; k < 2 && !rc; k++) {
		struct graph g = { 0 };

		if ((rc = load_edges(im, sql[k][1], &g)) == 0)
			rc = find_cycle(im, &g, sql[k][0]);
		free(g.from);
		free(g.to);
	}
	return rc;
}

static int
summary_change(struct imp *im)
{
	sqlite3_stmt *st;
	struct vl_buf b = VL_BUF_INIT;
	int rc;

	if ((rc = run(
		     im,
		     "SELECT count(*) FROM vocab_changes WHERE scheme_id = :sid"
		     " AND revision = :rev AND change = 'added'",
		     &im->res->added)) < 0 ||
	    (rc = run(
		     im,
		     "SELECT count(*) FROM vocab_changes WHERE scheme_id = :sid"
		     " AND revision = :rev AND change = 'removed'",
		     &im->res->removed)) < 0 ||
	    (rc = run(
		     im,
		     "SELECT count(*) FROM vocab_changes WHERE scheme_id = :sid"
		     " AND revision = :rev",
		     &im->res->changes)) < 0)
		return rc;
	vl_buf_addf(&b,
		    "revision %lld from '%s' (%s): %lld triples, %lld concepts"
		    ", %lld overrides, %lld labels, %lld deprecated; %lld "
		    "changes",
		    (long long)im->revision, im->path,
		    im->res->version ? im->res->version : "",
		    (long long)im->res->triples, (long long)im->res->concepts,
		    (long long)im->res->overrides, (long long)im->res->labels,
		    (long long)im->res->deprecated,
		    (long long)im->res->changes);
	if ((rc = repo_prepare(im->r, &st,
			       "INSERT INTO vocab_changes(scheme_id, revision,"
			       " time, change, detail) VALUES(?, ?, ?,"
			       " 'imported', ?)",
			       im->err)) == 0) {
		sqlite3_bind_int64(st, 1, im->sid);
		sqlite3_bind_int64(st, 2, im->revision);
		sqlite3_bind_text(st, 3, im->now, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, b.buf, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = repo_db_err(im->r->db, im->err,
					 "vocabulary import");
		sqlite3_finalize(st);
	}
	vl_buf_release(&b);
	return rc;
}

void
md_vocab_import_result_release(struct md_vocab_import_result *res)
{
	size_t i;

	if (!res)
		return;
	free(res->scheme_uri);
	free(res->version);
	for (i = 0; i < MD_VOCAB_MAX_WARNINGS; i++)
		free(res->warnings[i]);
	memset(res, 0, sizeof(*res));
}

int
md_vocab_import(struct repo *r, const char *path,
		const struct md_vocab_import_opts *opts,
		struct md_vocab_import_result *res, struct vl_err *err)
{
	static const struct md_vocab_import_opts defaults = { 0 };
	struct imp im = { 0 };
	unsigned char d[EVP_MAX_MD_SIZE];
	char sha[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int dn = 0, i;
	int rc, in_tx = 0;

	memset(res, 0, sizeof(*res));
	im.r = r;
	im.path = path;
	im.opts = opts ? opts : &defaults;
	im.res = res;
	im.err = err;
	vl_time_now(im.now);
	if (!(im.md = EVP_MD_CTX_new()) ||
	    EVP_DigestInit_ex(im.md, EVP_sha256(), NULL) != 1) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = repo_begin(r, err)) < 0)
		goto out;
	in_tx = 1;
	if ((rc = exec(&im, stage_sql)) < 0 ||
	    (rc = repo_prepare(r, &im.ins_label,
			       "INSERT INTO temp.vocab_newlabels(uri, kind,"
			       " orig, lang, text, norm, fold, line) VALUES(?,"
			       " ?, ?, ?, ?, ?, ?, ?)",
			       err)) < 0 ||
	    (rc = repo_prepare(r, &im.ins_scattered,
			       "INSERT OR IGNORE INTO temp.vocab_scattered(s)"
			       " VALUES(?)",
			       err)) < 0 ||
	    (rc = repo_prepare(
		     r, &im.ins,
		     "INSERT INTO temp.vocab_stage(s, p, o, lit, lang,"
		     " line, norm, fold, cls) VALUES(?, ?, ?, ?, ?, ?,"
		     " ?, ?, ?)",
		     err)) < 0)
		goto out;
	if ((rc = parse_file(&im)) < 0)
		goto out;
	vl_log_debug("vocab import: parsed %lld triples",
		     (long long)res->triples);
	EVP_DigestFinal_ex(im.md, d, &dn);
	for (i = 0; i < dn; i++)
		snprintf(sha + 2 * i, 3, "%02x", d[i]);
	sha[2 * dn] = '\0';
	if ((rc = choose_scheme(&im)) < 0 ||
	    (rc = run_all(&im, collect_sql)) < 0 ||
	    (opts && opts->local && (rc = run_all(&im, override_sql)) < 0) ||
	    (rc = before_prune(&im)) < 0 ||
	    (rc = run_all(&im, prune_sql)) < 0 ||
	    (im.scattered && (rc = run_all(&im, scattered_sql)) < 0) ||
	    (rc = run_all(&im, facts_sql)) < 0 || (rc = check_shape(&im)) < 0 ||
	    (rc = scheme_row(&im, sha)) < 0)
		goto out;
	if (!res->unchanged) {
		if (im.revision > 1 && (rc = run_all(&im, diff_sql)) < 0)
			goto out;
		if ((rc = run_all(&im, apply_sql)) < 0 ||
		    (rc = check_cycles(&im)) < 0 ||
		    (rc = summary_change(&im)) < 0)
			goto out;
	}
	sqlite3_finalize(im.ins);
	sqlite3_finalize(im.ins_label);
	sqlite3_finalize(im.ins_scattered);
	im.ins = im.ins_label = im.ins_scattered = NULL;
	if ((rc = exec(&im, drop_sql)) < 0 || (rc = repo_commit(r, err)) < 0)
		goto out;
	in_tx = 0;
	res->revision = im.revision;
	res->scheme_uri = im.scheme;
	im.scheme = NULL;
out:
	sqlite3_finalize(im.ins);
	sqlite3_finalize(im.ins_label);
	sqlite3_finalize(im.ins_scattered);
	run_reset(&im);
	free(im.rl);
	seen_free(&im);
	vl_buf_release(&im.run_s);
	free(im.s14_s);
	free(im.s14_lang);
	free(im.title);
	if (in_tx) {
		repo_rollback(r);
		/* Temp tables are rolled back with the transaction only when
		 * created inside it; drop whatever is left. */
		sqlite3_exec(r->db, drop_sql, NULL, NULL, NULL);
	}
	EVP_MD_CTX_free(im.md);
	free(im.scheme);
	if (rc < 0) {
		char *keep[MD_VOCAB_MAX_WARNINGS];

		memcpy(keep, res->warnings, sizeof(keep));
		memset(res->warnings, 0, sizeof(res->warnings));
		md_vocab_import_result_release(res);
		for (i = 0; i < MD_VOCAB_MAX_WARNINGS; i++)
			free(keep[i]);
	}
	return rc;
}
