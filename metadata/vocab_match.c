/*
 * vocab_match.c - looking concepts up: by label (reconciliation, search)
 * and by URI, and following replacements.
 *
 * Label lookups go through the vocab_labels_fold index: the query's fold
 * key (md_vocab_normalize) selects the candidate labels, and the rank is
 * worked out here.  Rank, lower is better:
 *     2 * kind + (norm differs ? 1 : 0)
 * with kind 0 prefLabel, 1 altLabel (or a vocabulary prefLabel shadowed
 * by a local one), 2 hiddenLabel.  Each concept takes its best rank; the
 * answer is the concepts at the best rank overall, and more than one is
 * reported as ambiguous, never chosen between.
 *
 * Lookups are hot (a batch reconciles hundreds of thousands of values,
 * ingest one per subject), so the handle keeps its prepared statements
 * and the scratch a lookup needs (key buffers, candidate list, string
 * arenas): a lookup allocates only what it returns.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

enum {
	ST_MATCH,
	ST_SCHEME_ID,
	ST_SCHEMES,
	ST_CONCEPT_URI,
	ST_CONCEPT_ID,
	ST_REPL,
	ST_SEARCH_SUB,
	ST_N
};

static const char *const sqls[ST_N] = {
	[ST_MATCH] = "SELECT l.concept_id, l.kind, l.shadowed, l.norm,"
		     " l.lang, l.text FROM vocab_labels l WHERE l.fold = ?1"
		     " AND (?3 IS NULL OR EXISTS (SELECT 1 FROM vocab_members"
		     " m WHERE m.concept_id = l.concept_id AND m.scheme_id ="
		     " ?3))",
	[ST_SCHEME_ID] = "SELECT id FROM vocab_schemes WHERE uri = ?",
	[ST_SCHEMES] = "SELECT id, uri, title, code, version FROM"
		       " vocab_schemes",
	[ST_CONCEPT_URI] = "SELECT id FROM vocab_concepts WHERE uri = ?",
	/* A concept with its displayable prefLabels, one row per label. */
	[ST_CONCEPT_ID] = "SELECT c.uri, c.deprecated, c.status, c.scheme_id,"
			  " l.lang, l.text FROM vocab_concepts c LEFT JOIN"
			  " vocab_labels l ON"
			  " l.concept_id = c.id AND l.kind = 'pref' AND"
			  " l.shadowed = 0 WHERE c.id = ? ORDER BY l.lang",
	/* A local file's replacement links override the vocabularies'. */
	[ST_REPL] = "SELECT DISTINCT l.target FROM vocab_links l JOIN"
		    " vocab_schemes s ON s.id = l.origin WHERE l.concept_id ="
		    " ?1 AND l.kind = 'isReplacedBy' AND (s.local = 1 OR NOT"
		    " EXISTS (SELECT 1 FROM vocab_links l2 JOIN vocab_schemes"
		    " s2 ON s2.id = l2.origin WHERE l2.concept_id = ?1 AND"
		    " l2.kind = 'isReplacedBy' AND s2.local = 1)) ORDER BY"
		    " l.target",
	[ST_SEARCH_SUB] = "SELECT l.concept_id, l.kind, l.shadowed, l.norm,"
			  " l.lang, l.text, l.fold = ?1 FROM vocab_labels l"
			  " WHERE instr(l.fold, ?1) > 0 ORDER BY l.fold = ?1"
			  " DESC, length(l.fold), l.id",
};

/* The handle keeps the (few) scheme descriptions; an id it does not
 * know (a scheme imported since) makes it reload them. */
struct scheme_info {
	int64_t id;
	char *uri, *title, *code, *version;
};

/* A concept at the best rank so far; its matched label and that
 * label's language are offsets into md_vocab.arena. */
struct cand {
	int64_t id;
	size_t label, lang;
};

struct md_vocab {
	struct repo *r;
	sqlite3_stmt *st[ST_N];
	struct scheme_info *schemes;
	size_t nschemes;
	/* Per-lookup scratch, reset by each md_vocab_reconcile(). */
	struct md_vocab_keybuf kfold, knorm;
	struct cand *cands;
	size_t ncands, acands;
	int best_rank;
	struct vl_buf arena; /* candidates' labels and languages */
	struct vl_buf prefs; /* load_concept: prefLabels being read */
};

const char *
md_label_kind_name(enum md_label_kind k)
{
	switch (k) {
	case MD_LABEL_PREF: return "pref";
	case MD_LABEL_ALT: return "alt";
	case MD_LABEL_HIDDEN: return "hidden";
	}
	return "?";
}

static enum md_label_kind
kind_of(const char *s, int shadowed)
{
	if (!strcmp(s, "pref"))
		return shadowed ? MD_LABEL_ALT : MD_LABEL_PREF;
	if (!strcmp(s, "alt"))
		return MD_LABEL_ALT;
	return MD_LABEL_HIDDEN;
}

int
md_vocab_open(struct md_vocab **out, struct repo *r, struct vl_err *err)
{
	struct md_vocab *v = calloc(1, sizeof(*v));
	int i, rc;

	*out = NULL;
	if (!v)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	v->r = r;
	vl_buf_init(&v->arena, 0);
	vl_buf_init(&v->prefs, 0);
	/* Lookups touch the label index all over: give the connection a
	 * page cache that holds a large vocabulary's index (32 MiB). */
	sqlite3_exec(r->db, "PRAGMA cache_size = -32768", NULL, NULL, NULL);
	/* ... and read the catalog through mmap rather than a pread per
	 * page miss (SQLite "Memory-Mapped I/O"; writes are unaffected). */
	sqlite3_exec(r->db, "PRAGMA mmap_size = 1073741824", NULL, NULL, NULL);
	for (i = 0; i < ST_N; i++)
		if ((rc = repo_prepare(r, &v->st[i], sqls[i], err)) < 0) {
			md_vocab_close(v);
			return rc;
		}
	*out = v;
	return 0;
}

static void
schemes_free(struct md_vocab *v)
{
	size_t i;

	for (i = 0; i < v->nschemes; i++) {
		free(v->schemes[i].uri);
		free(v->schemes[i].title);
		free(v->schemes[i].code);
		free(v->schemes[i].version);
	}
	free(v->schemes);
	v->schemes = NULL;
	v->nschemes = 0;
}

void
md_vocab_close(struct md_vocab *v)
{
	int i;

	if (!v)
		return;
	for (i = 0; i < ST_N; i++)
		sqlite3_finalize(v->st[i]);
	schemes_free(v);
	md_vocab_keybuf_release(&v->kfold);
	md_vocab_keybuf_release(&v->knorm);
	free(v->cands);
	vl_buf_release(&v->arena);
	vl_buf_release(&v->prefs);
	free(v);
}

static sqlite3_stmt *
stmt(struct md_vocab *v, int which)
{
	sqlite3_reset(v->st[which]);
	sqlite3_clear_bindings(v->st[which]);
	return v->st[which];
}

static int
db_err(struct md_vocab *v, struct vl_err *err)
{
	return repo_db_err(v->r->db, err, "vocabulary lookup");
}

void
md_strv_free(char **s, size_t n)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

static int
strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = reallocarray(*v, *n + 1, sizeof(**v));
	char *d;

	if (!nv)
		return VL_E_NOMEM;
	*v = nv;
	if (!(d = strdup(s)))
		return VL_E_NOMEM;
	nv[(*n)++] = d;
	return 0;
}

static char *
dup_col(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	return s ? strdup(s) : NULL;
}

/*
 * A TEXT column's bytes, *n long, not NUL-terminated: unlike
 * sqlite3_column_text() this does not copy the value out of the page to
 * add the NUL, a malloc and free per column that lookups (a dozen
 * columns each) cannot afford.  "" for NULL or empty; valid until the
 * next step or reset, or another conversion of that column.
 */
static const char *
col_bytes(sqlite3_stmt *st, int col, size_t *n)
{
	const char *s = sqlite3_column_blob(st, col);

	*n = (size_t)sqlite3_column_bytes(st, col);
	return s ? s : "";
}

/* Appends the n bytes at s and a NUL to b. */
static int
add_str(struct vl_buf *b, const char *s, size_t n)
{
	if (vl_buf_add(b, s, n) < 0 || vl_buf_add(b, "", 1) < 0)
		return VL_E_NOMEM;
	return 0;
}

/* The label kind in column col ('pref', 'alt', 'hidden'; CHECKed by
 * the schema) as a rank kind. */
static enum md_label_kind
kind_col(sqlite3_stmt *st, int col, int shadowed)
{
	size_t n;
	const char *k = col_bytes(st, col, &n);

	if (n == 4 && !memcmp(k, "pref", 4))
		return shadowed ? MD_LABEL_ALT : MD_LABEL_PREF;
	if (n == 3 && !memcmp(k, "alt", 3))
		return MD_LABEL_ALT;
	return MD_LABEL_HIDDEN;
}

void
md_concept_release(struct md_concept *c)
{
	if (!c)
		return;
	free(c->uri);
	free(c->scheme_uri);
	free(c->scheme_title);
	free(c->scheme_code);
	free(c->scheme_version);
	free(c->status);
	free(c->pref); /* one block with its strings (pref_block) */
	md_strv_free(c->replaced_by, c->nreplaced_by);
	memset(c, 0, sizeof(*c));
}

static char *dup_col(sqlite3_stmt *st, int col);

static int
schemes_load(struct md_vocab *v, struct vl_err *err)
{
	sqlite3_stmt *st = v->st[ST_SCHEMES];
	int rc;

	schemes_free(v);
	sqlite3_reset(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct scheme_info *n =
			reallocarray(v->schemes, v->nschemes + 1, sizeof(*n));

		if (!n) {
			sqlite3_reset(st);
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		}
		v->schemes = n;
		n = &n[v->nschemes++];
		n->id = sqlite3_column_int64(st, 0);
		n->uri = dup_col(st, 1);
		n->title = dup_col(st, 2);
		n->code = dup_col(st, 3);
		n->version = dup_col(st, 4);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE
		       ? 0
		       : repo_db_err(v->r->db, err, "vocabulary lookup");
}

static const struct scheme_info *
scheme_info(struct md_vocab *v, int64_t id)
{
	size_t i;
	int pass;

	if (id <= 0)
		return NULL;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < v->nschemes; i++)
			if (v->schemes[i].id == id)
				return &v->schemes[i];
		if (pass == 0 && schemes_load(v, NULL) < 0)
			break;
	}
	return NULL;
}

static char *
sdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Appends a row's prefLabel (columns 4, 5: lang, text) to b as
 * "lang\0text\0". */
static int
pref_add(struct vl_buf *b, sqlite3_stmt *st)
{
	size_t nl, nt;
	const char *lang = col_bytes(st, 4, &nl);
	const char *text = col_bytes(st, 5, &nt);

	if (add_str(b, lang, nl) < 0 || add_str(b, text, nt) < 0)
		return VL_E_NOMEM;
	return 0;
}

/* The n labels collected in b as one allocation: the md_label array
 * followed by their strings, so md_concept_release() frees it with one
 * free() (and a lookup costs one malloc, not 2n + 1). */
static struct md_label *
pref_block(const struct vl_buf *b, size_t n)
{
	struct md_label *l;
	char *s;
	size_t i, head;

	if (n > (SIZE_MAX - b->len) / sizeof(*l))
		return NULL;
	head = n * sizeof(*l);
	if (!(l = malloc(head + b->len)))
		return NULL;
	s = memcpy((char *)l + head, b->buf, b->len);
	for (i = 0; i < n; i++) {
		l[i].lang = s;
		s += strlen(s) + 1;
		l[i].text = s;
		s += strlen(s) + 1;
	}
	return l;
}

/* Loads a concept by URI or id into out. */
static int
load_concept(struct md_vocab *v, const char *uri, int64_t id,
	     struct md_concept *out, struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (uri) {
		st = stmt(v, ST_CONCEPT_URI);
		sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			return vl_err_set(err, VL_E_NOTFOUND,
					  "no concept <%s> in the vocabularies",
					  uri);
		if (rc != SQLITE_ROW)
			return db_err(v, err);
		id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	st = stmt(v, ST_CONCEPT_ID);
	sqlite3_bind_int64(st, 1, id);
	vl_buf_reset(&v->prefs);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!out->uri) {
			const struct scheme_info *si =
				scheme_info(v, sqlite3_column_int64(st, 3));

			size_t n;
			const char *u = col_bytes(st, 0, &n);

			if ((out->uri = malloc(n + 1))) {
				memcpy(out->uri, u, n);
				out->uri[n] = '\0';
			}
			out->deprecated = sqlite3_column_int(st, 1);
			out->status = dup_col(st, 2);
			if (si) {
				out->scheme_uri = sdup(si->uri);
				out->scheme_title = sdup(si->title);
				out->scheme_code = sdup(si->code);
				out->scheme_version = sdup(si->version);
			}
			if (!out->uri)
				goto nomem;
		}
		if (sqlite3_column_type(st, 5) == SQLITE_NULL)
			continue; /* no prefLabel at all */
		if (pref_add(&v->prefs, st) < 0)
			goto nomem;
		out->npref++;
	}
	if (rc != SQLITE_DONE) {
		rc = db_err(v, err);
		goto fail;
	}
	sqlite3_reset(st);
	if (!out->uri)
		return vl_err_set(err, VL_E_NOTFOUND, "no concept %lld",
				  (long long)id);
	if (out->npref && !(out->pref = pref_block(&v->prefs, out->npref)))
		goto nomem;
	/* Only a deprecated concept is replaced (import makes every
	 * concept with dct:isReplacedBy deprecated unless a local file says
	 * otherwise), and lookups are hot: skip the query for the rest. */
	if (!out->deprecated)
		return 0;
	st = stmt(v, ST_REPL);
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (strv_push(&out->replaced_by, &out->nreplaced_by,
			      (const char *)sqlite3_column_text(st, 0)) < 0)
			goto nomem;
	if (rc != SQLITE_DONE) {
		rc = db_err(v, err);
		goto fail;
	}
	sqlite3_reset(st);
	return 0;
nomem:
	rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
fail:
	md_concept_release(out);
	return rc;
}

int
md_vocab_concept(struct md_vocab *v, const char *uri, struct md_concept *out,
		 struct vl_err *err)
{
	return load_concept(v, uri, 0, out, err);
}

const struct md_label *
md_concept_label(const struct md_concept *c, const char *lang)
{
	char want[64];
	size_t i, n;

	if (!c->npref)
		return NULL;
	if (lang && *lang && strlen(lang) < sizeof(want)) {
		snprintf(want, sizeof(want), "%s", lang);
		/* RFC 4647 section 3.4 lookup: drop subtags from the end. */
		for (;;) {
			char *dash;

			for (i = 0; i < c->npref; i++)
				if (!strcasecmp(c->pref[i].lang, want))
					return &c->pref[i];
			if (!(dash = strrchr(want, '-')))
				break;
			*dash = '\0';
			n = strlen(want);
			if (n >= 2 && want[n - 2] == '-')
				want[n - 2] = '\0'; /* singleton */
		}
		for (i = 0; i < c->npref; i++)
			if (md_lang_match(want, c->pref[i].lang))
				return &c->pref[i];
	}
	for (i = 0; i < c->npref; i++)
		if (md_lang_match("en", c->pref[i].lang))
			return &c->pref[i];
	for (i = 0; i < c->npref; i++)
		if (!*c->pref[i].lang)
			return &c->pref[i];
	return &c->pref[0];
}

void
md_match_release(struct md_match *m)
{
	if (!m)
		return;
	free(m->label);
	free(m->label_lang);
	md_concept_release(&m->concept);
	md_strv_free(m->candidates, m->ncandidates);
	memset(m, 0, sizeof(*m));
}

static int
scheme_id(struct md_vocab *v, const char *uri, int64_t *id, struct vl_err *err)
{
	sqlite3_stmt *st = stmt(v, ST_SCHEME_ID);
	int rc;

	sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return 0;
	}
	if (rc == SQLITE_DONE)
		return vl_err_set(err, VL_E_NOTFOUND,
				  "no vocabulary <%s> has been imported", uri);
	return db_err(v, err);
}

/* Records concept id at rank with its matched label (the row of st):
 * a better rank starts the list again; a concept already listed keeps
 * its first label at that rank. */
static int
cand_add(struct md_vocab *v, int64_t id, int rank, sqlite3_stmt *st,
	 struct vl_err *err)
{
	struct cand *c;
	const char *label, *lang;
	size_t i, n;

	if (rank > v->best_rank)
		return 0;
	if (rank < v->best_rank) {
		v->ncands = 0;
		vl_buf_reset(&v->arena);
		v->best_rank = rank;
	}
	for (i = 0; i < v->ncands; i++)
		if (v->cands[i].id == id)
			return 0;
	if (v->ncands == v->acands) {
		size_t na = v->acands ? 2 * v->acands : 8;

		if (!(c = reallocarray(v->cands, na, sizeof(*c))))
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		v->cands = c;
		v->acands = na;
	}
	c = &v->cands[v->ncands];
	c->id = id;
	label = col_bytes(st, 5, &n);
	c->label = v->arena.len;
	if (add_str(&v->arena, label, n) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	lang = col_bytes(st, 4, &n);
	c->lang = v->arena.len;
	if (add_str(&v->arena, lang, n) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	v->ncands++;
	return 0;
}

/* One pass over the labels whose fold key is fold; only labels whose
 * language matches lang (NULL = all).  Keeps the best-ranked concepts.
 * *norm, the query's exact key, is made the first time a label needs
 * it (misses never do). */
static int
match_pass(struct md_vocab *v, const char *text, const char **norm,
	   const char *fold, const char *lang, int64_t sid, struct vl_err *err)
{
	sqlite3_stmt *st = stmt(v, ST_MATCH);
	int rc;

	sqlite3_bind_text(st, 1, fold, -1, SQLITE_STATIC);
	if (sid)
		sqlite3_bind_int64(st, 3, sid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *lnorm;
		size_t nn;
		int kind, exact;

		/* The language filter first: it needs the NUL-terminated
		 * text, which would invalidate col_bytes() pointers. */
		if (lang) {
			const char *l =
				(const char *)sqlite3_column_text(st, 4);

			if (!l) {
				rc = vl_err_set(err, VL_E_NOMEM,
						"out of memory");
				goto out;
			}
			if (!md_lang_match(lang, l))
				continue;
		}
		if (!*norm &&
		    (rc = md_vocab_key(&v->knorm, text, 0, norm, err)) < 0)
			goto out;
		kind = kind_col(st, 1, sqlite3_column_int(st, 2));
		lnorm = col_bytes(st, 3, &nn);
		exact = nn == strlen(*norm) && !memcmp(lnorm, *norm, nn);
		rc = cand_add(v, sqlite3_column_int64(st, 0),
			      2 * kind + (exact ? 0 : 1), st, err);
		if (rc < 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : db_err(v, err);
out:
	sqlite3_reset(st);
	return rc;
}

static char *
arena_dup(const struct md_vocab *v, size_t off)
{
	return strdup(v->arena.buf + off);
}

int
md_vocab_reconcile(struct md_vocab *v, const char *text, const char *lang,
		   const char *scheme_uri, struct md_match *out,
		   struct vl_err *err)
{
	const char *norm = NULL, *fold;
	int64_t sid = 0;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	v->ncands = 0;
	v->best_rank = 99;
	vl_buf_reset(&v->arena);
	if ((rc = md_vocab_key(&v->kfold, text, 1, &fold, err)) < 0)
		return rc;
	if (!*fold)
		return 0; /* an empty value matches nothing */
	if (scheme_uri && (rc = scheme_id(v, scheme_uri, &sid, err)) < 0)
		return rc;
	if (lang && *lang &&
	    (rc = match_pass(v, text, &norm, fold, lang, sid, err)) < 0)
		return rc;
	if (v->ncands == 0 &&
	    (rc = match_pass(v, text, &norm, fold, NULL, sid, err)) < 0)
		return rc;
	if (v->ncands == 0)
		return 0;
	out->kind = (enum md_label_kind)(v->best_rank / 2);
	out->folded = v->best_rank % 2;
	for (i = 0; i < v->ncands; i++) {
		struct md_concept c;

		if ((rc = load_concept(v, NULL, v->cands[i].id, &c, err)) < 0)
			goto fail;
		rc = strv_push(&out->candidates, &out->ncandidates, c.uri);
		if (rc == 0 && v->ncands == 1) {
			out->concept = c;
			out->label = arena_dup(v, v->cands[0].label);
			out->label_lang = arena_dup(v, v->cands[0].lang);
			if (!out->label || !out->label_lang)
				rc = VL_E_NOMEM;
		} else {
			md_concept_release(&c);
		}
		if (rc < 0) {
			rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
			goto fail;
		}
	}
	out->status = v->ncands == 1 ? MD_MATCH_ONE : MD_MATCH_AMBIGUOUS;
	return 0;
fail:
	md_match_release(out);
	return rc;
}

int
md_vocab_replacements(struct md_vocab *v, const char *uri, char ***out,
		      size_t *n, struct vl_err *err)
{
	/* Breadth-first over isReplacedBy; seen[] guards against cycles a
	 * later import might have let in, and caps the walk. */
	char **queue = NULL, **seen = NULL;
	size_t nq = 0, head = 0, nseen = 0, i;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (strv_push(&queue, &nq, uri) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	while (head < nq && nseen < 64) {
		struct md_concept c;
		const char *u = queue[head++];

		for (i = 0; i < nseen; i++)
			if (!strcmp(seen[i], u))
				break;
		if (i < nseen)
			continue;
		if (strv_push(&seen, &nseen, u) < 0)
			goto nomem;
		rc = load_concept(v, u, 0, &c, err);
		if (rc == VL_E_NOTFOUND) {
			rc = 0; /* unknown target: cannot be used */
			continue;
		}
		if (rc < 0)
			goto fail;
		if (head > 1 && !c.deprecated) {
			for (i = 0; i < *n; i++)
				if (!strcmp((*out)[i], c.uri))
					break;
			if (i == *n && strv_push(out, n, c.uri) < 0) {
				md_concept_release(&c);
				goto nomem;
			}
		} else {
			for (i = 0; i < c.nreplaced_by; i++)
				if (strv_push(&queue, &nq, c.replaced_by[i]) <
				    0) {
					md_concept_release(&c);
					goto nomem;
				}
		}
		md_concept_release(&c);
	}
	md_strv_free(queue, nq);
	md_strv_free(seen, nseen);
	return 0;
nomem:
	rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
fail:
	md_strv_free(queue, nq);
	md_strv_free(seen, nseen);
	md_strv_free(*out, *n);
	*out = NULL;
	*n = 0;
	return rc;
}

void
md_search_hits_free(struct md_search_hit *h, size_t n)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < n; i++) {
		free(h[i].uri);
		free(h[i].scheme_uri);
		free(h[i].label);
		free(h[i].label_lang);
	}
	free(h);
}

int
md_vocab_search(struct md_vocab *v, const char *text, const char *lang,
		size_t limit, struct md_search_hit **hits, size_t *n,
		struct vl_err *err)
{
	sqlite3_stmt *st;
	struct md_search_hit *h = NULL;
	int64_t *ids = NULL;
	char *norm = NULL, *fold = NULL;
	size_t nh = 0, i;
	int rc;

	*hits = NULL;
	*n = 0;
	if ((rc = md_vocab_normalize(text, &norm, &fold, err)) < 0)
		return rc;
	if (!*fold) {
		rc = vl_err_set(err, VL_E_INVAL, "empty search text");
		goto out;
	}
	/* Whole-label matches sort first (ORDER BY in the statement); then
	 * a whole-label hit's rank orders by kind and exactness. */
	st = stmt(v, ST_SEARCH_SUB);
	sqlite3_bind_text(st, 1, fold, -1, SQLITE_STATIC);
	while (nh < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *l = (const char *)sqlite3_column_text(st, 4);
		int kind = kind_of((const char *)sqlite3_column_text(st, 1),
				   sqlite3_column_int(st, 2));
		int exact = sqlite3_column_int(st, 6);
		int folded = strcmp((const char *)sqlite3_column_text(st, 3),
				    norm) != 0;
		struct md_search_hit *nhits;
		int64_t *nids;

		if (lang && *lang && !md_lang_match(lang, l))
			continue;
		for (i = 0; i < nh; i++)
			if (ids[i] == id)
				break;
		if (i < nh) {
			/* Same concept: keep the better whole-label hit. */
			if (exact && h[i].exact &&
			    2 * kind + folded <
				    2 * (int)h[i].kind + h[i].folded) {
				free(h[i].label);
				free(h[i].label_lang);
				h[i].label = dup_col(st, 5);
				h[i].label_lang = strdup(l);
				h[i].kind = (enum md_label_kind)kind;
				h[i].folded = folded;
			}
			continue;
		}
		nhits = reallocarray(h, nh + 1, sizeof(*h));
		if (nhits)
			h = nhits;
		nids = nhits ? reallocarray(ids, nh + 1, sizeof(*ids)) : NULL;
		if (!nids) {
			rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
			goto out;
		}
		ids = nids;
		memset(&h[nh], 0, sizeof(h[nh]));
		ids[nh] = id;
		h[nh].label = dup_col(st, 5);
		h[nh].label_lang = strdup(l);
		h[nh].kind = (enum md_label_kind)kind;
		h[nh].exact = exact;
		h[nh].folded = folded;
		nh++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = db_err(v, err);
		goto out;
	}
	sqlite3_reset(st);
	/* Rank the whole-label block by kind and exactness (stable). */
	for (i = 1; i < nh; i++) {
		size_t j = i;

		while (j > 0 && h[j].exact && h[j - 1].exact &&
		       2 * (int)h[j].kind + h[j].folded <
			       2 * (int)h[j - 1].kind + h[j - 1].folded) {
			struct md_search_hit t = h[j];
			int64_t ti = ids[j];

			h[j] = h[j - 1];
			h[j - 1] = t;
			ids[j] = ids[j - 1];
			ids[j - 1] = ti;
			j--;
		}
	}
	for (i = 0; i < nh; i++) {
		struct md_concept c;

		if ((rc = load_concept(v, NULL, ids[i], &c, err)) < 0)
			goto out;
		h[i].uri = c.uri;
		h[i].scheme_uri = c.scheme_uri;
		h[i].deprecated = c.deprecated;
		c.uri = c.scheme_uri = NULL;
		md_concept_release(&c);
	}
	*hits = h;
	*n = nh;
	h = NULL;
	nh = 0;
	rc = 0;
out:
	md_search_hits_free(h, nh);
	free(ids);
	free(norm);
	free(fold);
	return rc;
}
