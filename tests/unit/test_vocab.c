/*
 * test_vocab.c - the vocabulary part of the metadata module: label keys,
 * language tags, import, reconciliation ranking and ambiguity,
 * replacements, and that a failed import changes nothing.
 */
#include "testkit.h"

#include "../../metadata/metadata.h"

static void
test_normalize_nfc_casefold_and_accents(void **state)
{
	char *n = NULL, *f = NULL;
	char *n2 = NULL, *f2 = NULL;

	(void)state;
	/* Decomposed input (a + U+0304) equals the precomposed label. */
	assert_int_equal(md_vocab_normalize("Wha\xcc\x84nau", &n, &f, NULL), 0);
	assert_int_equal(md_vocab_normalize("WH\xc4\x80NAU", &n2, &f2, NULL),
			 0);
	assert_string_equal(n, n2);
	assert_string_equal(n, "wh\xc4\x81nau");
	assert_string_equal(f, "whanau");
	assert_string_equal(f2, "whanau");
	free(n);
	free(f);
	free(n2);
	free(f2);
	/* Whitespace collapsed and trimmed; German sharp s case-folds. */
	assert_int_equal(md_vocab_normalize("  Stra\xc3\x9f"
					    "e \t  X ",
					    &n, &f, NULL),
			 0);
	assert_string_equal(n, "strasse x");
	free(n);
	free(f);
	/* Cyrillic and CJK survive; a no-break space is a space. */
	assert_int_equal(md_vocab_normalize("\xd0\x9b\xd1\x8e\xd0\xb4\xd0\xb8"
					    "\xc2\xa0\xe4\xba\xba",
					    &n, NULL, NULL),
			 0);
	assert_string_equal(n, "\xd0\xbb\xd1\x8e\xd0\xb4\xd0\xb8 \xe4\xba\xba");
	free(n);
	assert_int_equal(md_vocab_normalize("bad \xff utf8", &n, &f, NULL),
			 VL_E_INVAL);
	assert_null(n);
	assert_null(f);
}

/* Printable ASCII skips utf8proc (vocab_norm.c, ascii_key): each such
 * character must get the key utf8proc gives it.  "A" c "B" takes the
 * shortcut; "A" c "B" + U+0301 (no precomposed B-acute exists) goes
 * through utf8proc and must differ only by that mark. */
static void
test_key_ascii_shortcut_agrees_with_utf8proc(void **state)
{
	struct md_vocab_keybuf kb = { 0 }, kb2 = { 0 };
	char fast[8], slow[8], want[16];
	const char *k, *k2;
	int c, fold;

	(void)state;
	for (c = 0x20; c <= 0x7e; c++) {
		snprintf(fast, sizeof(fast), "A%cB", c);
		snprintf(slow, sizeof(slow), "A%cB\xcc\x81", c);
		for (fold = 0; fold <= 1; fold++) {
			assert_int_equal(
				md_vocab_key(&kb, fast, fold, &k, NULL), 0);
			assert_int_equal(
				md_vocab_key(&kb2, slow, fold, &k2, NULL), 0);
			snprintf(want, sizeof(want), "%s%s", k,
				 fold ? "" : "\xcc\x81");
			if (strcmp(want, k2))
				fail_msg("character 0x%02x, fold %d: '%s' "
					 "(shortcut) but '%s' (utf8proc)",
					 c, fold, k, k2);
		}
	}
	/* Control characters are utf8proc's: a tab is whitespace. */
	assert_int_equal(md_vocab_key(&kb, " A\tB\v", 1, &k, NULL), 0);
	assert_string_equal(k, "a b");
	assert_int_equal(md_vocab_key(&kb, "  Mixed  CASE  ", 0, &k, NULL), 0);
	assert_string_equal(k, "mixed case");
	md_vocab_keybuf_release(&kb);
	md_vocab_keybuf_release(&kb2);
}

/* One buffer for many keys, growing and shrinking: the same keys as
 * md_vocab_normalize(), and an error leaves no key behind. */
static void
test_key_reuses_its_buffer(void **state)
{
	static const char *const in[] = {
		"x",
		"\xd0\x9b\xd1\x8e\xd0\xb4\xd0\xb8 \xd0\x9b\xd1\x8e\xd0\xb4\xd0"
		"\xb8 \xd0\x9b\xd1\x8e\xd0\xb4\xd0\xb8 \xd0\x9b\xd1\x8e\xd0\xb4"
		"\xd0\xb8 \xd0\x9b\xd1\x8e\xd0\xb4\xd0\xb8 \xd0\x9b\xd1\x8e",
		"Wha\xcc\x84nau",
		"a much longer plain ASCII label, longer than the ones before "
		"it",
		"",
		"\xef\xbc\xa1\xef\xbc\xa2 \xe2\x80\x94 \xc3\x89t\xc3\xa9",
	};
	struct md_vocab_keybuf kb = { 0 };
	const char *k;
	char *n, *f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(md_vocab_normalize(in[i], &n, &f, NULL), 0);
		assert_int_equal(md_vocab_key(&kb, in[i], 0, &k, NULL), 0);
		assert_string_equal(k, n);
		assert_int_equal(md_vocab_key(&kb, in[i], 1, &k, NULL), 0);
		assert_string_equal(k, f);
		free(n);
		free(f);
	}
	assert_int_equal(md_vocab_key(&kb, "bad \xff", 1, &k, NULL),
			 VL_E_INVAL);
	assert_null(k);
	md_vocab_keybuf_release(&kb);
	md_vocab_keybuf_release(&kb); /* twice is fine */
}

static void
test_lang_tags(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(md_vocab_lang_tag(out, sizeof(out), "EN-gb"), 0);
	assert_string_equal(out, "en-GB");
	assert_int_equal(md_vocab_lang_tag(out, sizeof(out), "zh-hant-tw"), 0);
	assert_string_equal(out, "zh-Hant-TW");
	assert_int_equal(md_vocab_lang_tag(out, sizeof(out), "MI"), 0);
	assert_string_equal(out, "mi");
	assert_int_equal(md_vocab_lang_tag(out, sizeof(out), "en-x-Foo"), 0);
	assert_string_equal(out, "en-x-foo");
	assert_int_equal(md_vocab_lang_tag(out, sizeof(out), ""), 0);
	assert_string_equal(out, "");
	assert_int_equal(md_vocab_lang_tag(out, sizeof(out), "en--gb"),
			 VL_E_INVAL);
	assert_int_equal(md_vocab_lang_tag(out, sizeof(out), "1en"),
			 VL_E_INVAL);
	assert_int_equal(md_vocab_lang_tag(out, sizeof(out), "en-abcdefghi"),
			 VL_E_INVAL);
	assert_true(md_vocab_lang_tag(out, 3, "en-GB") < 0);
	assert_true(md_lang_match("en", "en-GB"));
	assert_true(md_lang_match("en", "EN"));
	assert_false(md_lang_match("en", "eng"));
	assert_true(md_lang_match("*", "mi"));
	/* ISO 639-2/B for MODS @lang, both directions (the B/T pairs). */
	assert_string_equal(md_lang_to_639b("mi"), "mao");
	assert_string_equal(md_lang_to_639b("mi-NZ"), "mao");
	assert_string_equal(md_lang_to_639b("fr"), "fre");
	assert_string_equal(md_lang_to_639b("de"), "ger");
	assert_string_equal(md_lang_to_639b("haw"), "haw");
	assert_null(md_lang_to_639b("qq"));
	assert_null(md_lang_to_639b(""));
	assert_string_equal(md_vocab_lang_from_639(out, sizeof(out), "mao"),
			    "mi");
	assert_string_equal(md_vocab_lang_from_639(out, sizeof(out), "mri"),
			    "mi");
	assert_string_equal(md_vocab_lang_from_639(out, sizeof(out), "eng"),
			    "en");
	assert_string_equal(md_vocab_lang_from_639(out, sizeof(out), "moh"),
			    "moh");
	assert_null(md_vocab_lang_from_639(out, sizeof(out), "xx"));
}

static void
test_concept_label_fallback(void **state)
{
	struct md_label l[] = {
		{ "de", "Familien" },
		{ "en-GB", "Families" },
		{ "mi", "Wh\xc4\x81nau" },
	};
	struct md_concept c = { 0 };

	(void)state;
	c.pref = l;
	c.npref = 3;
	assert_string_equal(md_concept_label(&c, "mi-NZ")->text,
			    "Wh\xc4\x81nau");
	assert_string_equal(md_concept_label(&c, "en")->text, "Families");
	assert_string_equal(md_concept_label(&c, "ja")->text, "Families");
	assert_string_equal(md_concept_label(&c, NULL)->text, "Families");
	assert_string_equal(md_concept_label(&c, "de-AT")->text, "Familien");
	c.npref = 1;
	assert_string_equal(md_concept_label(&c, "ja")->text, "Familien");
	c.npref = 0;
	assert_null(md_concept_label(&c, "en"));
}

/* ---- with a repository ---- */

struct fx {
	char *dir;
	struct repo *r;
	struct md_vocab *v;
};

static const char vocab_ttl[] =
	"@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
	"@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
	"@prefix dct: <http://purl.org/dc/terms/> .\n"
	"@prefix t: <https://t.example/> .\n"
	"t: a skos:ConceptScheme .\n"
	"t:a a skos:Concept ; skos:inScheme t: ;\n"
	"  skos:prefLabel \"River\"@en , \"Awa\"@mi , \"Rivi\xc3\xa8re\"@fr ;\n"
	"  skos:hiddenLabel \"Creek\"@en .\n"
	"t:b a skos:Concept ; skos:inScheme t: ;\n"
	"  skos:prefLabel \"Riviere\"@en ; skos:altLabel \"Stream\"@en .\n"
	"t:c a skos:Concept ; skos:inScheme t: ;\n"
	"  skos:prefLabel \"Brook\"@en ; skos:altLabel \"Stream\"@en .\n"
	"t:d a skos:Concept ; skos:inScheme t: ; skos:prefLabel "
	"\"Creek\"@en ;\n"
	"  owl:deprecated true ; dct:isReplacedBy t:e .\n"
	"t:e a skos:Concept ; skos:inScheme t: ; skos:prefLabel \"Old "
	"brook\"@en ;\n"
	"  owl:deprecated true ; dct:isReplacedBy t:c , t:f .\n"
	"t:f a skos:Concept ; skos:inScheme t: ; skos:prefLabel "
	"\"Wetland\"@en ;\n"
	"  skos:prefLabel \"Marsh\"@en .\n";

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char path[4200];
	struct md_vocab_import_result res;
	struct vl_err err = { 0 };

	fx->dir = tk_tmpdir();
	snprintf(path, sizeof(path), "%s/repo", fx->dir);
	assert_int_equal(repo_init(path, NULL, &err), 0);
	assert_int_equal(repo_open(&fx->r, path, &err), 0);
	tk_write(fx->dir, "t.ttl", vocab_ttl);
	snprintf(path, sizeof(path), "%s/t.ttl", fx->dir);
	if (md_vocab_import(fx->r, path, NULL, &res, &err) != 0)
		fail_msg("import: %s", err.msg);
	assert_int_equal(res.concepts, 6);
	assert_int_equal(res.deprecated, 2);
	/* t:f has two English prefLabels (SKOS S14): one is demoted. */
	assert_int_equal(res.nwarnings, 1);
	assert_non_null(strstr(res.warnings[0], "several prefLabels"));
	md_vocab_import_result_release(&res);
	assert_int_equal(md_vocab_open(&fx->v, fx->r, &err), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	md_vocab_close(fx->v);
	repo_close(fx->r);
	tk_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

static void
test_reconcile_ranks_and_reports_ambiguity(void **state)
{
	struct fx *fx = *state;
	struct md_match m;
	struct vl_err err = { 0 };

	/* Exact accented prefLabel beats the accent-folded one. */
	assert_int_equal(md_vocab_reconcile(fx->v, "Rivi\xc3\xa8re", NULL, NULL,
					    &m, &err),
			 0);
	assert_int_equal(m.status, MD_MATCH_ONE);
	assert_string_equal(m.concept.uri, "https://t.example/a");
	assert_int_equal(m.kind, MD_LABEL_PREF);
	assert_false(m.folded);
	md_match_release(&m);
	/* ... and the unaccented query prefers the unaccented label. */
	assert_int_equal(
		md_vocab_reconcile(fx->v, "RIVIERE", NULL, NULL, &m, &err), 0);
	assert_string_equal(m.concept.uri, "https://t.example/b");
	md_match_release(&m);
	/* A prefLabel ranks above another concept's hiddenLabel. */
	assert_int_equal(
		md_vocab_reconcile(fx->v, "creek", NULL, NULL, &m, &err), 0);
	assert_int_equal(m.status, MD_MATCH_ONE);
	assert_string_equal(m.concept.uri, "https://t.example/d");
	assert_true(m.concept.deprecated);
	md_match_release(&m);
	/* Two altLabels: ambiguous, both named, none chosen. */
	assert_int_equal(
		md_vocab_reconcile(fx->v, "stream", NULL, NULL, &m, &err), 0);
	assert_int_equal(m.status, MD_MATCH_AMBIGUOUS);
	assert_int_equal(m.ncandidates, 2);
	assert_null(m.concept.uri);
	md_match_release(&m);
	/* The language restricts first, then falls back to all. */
	assert_int_equal(
		md_vocab_reconcile(fx->v, "awa", "mi-NZ", NULL, &m, &err), 0);
	assert_string_equal(m.label_lang, "mi");
	assert_string_equal(md_concept_label(&m.concept, "mi")->text, "Awa");
	md_match_release(&m);
	assert_int_equal(md_vocab_reconcile(fx->v, "awa", "ja", NULL, &m, &err),
			 0);
	assert_int_equal(m.status, MD_MATCH_ONE);
	md_match_release(&m);
	assert_int_equal(
		md_vocab_reconcile(fx->v, "nothing", NULL, NULL, &m, &err), 0);
	assert_int_equal(m.status, MD_MATCH_NONE);
	md_match_release(&m);
	assert_int_equal(md_vocab_reconcile(fx->v, "river", NULL,
					    "https://nope.example/", &m, &err),
			 VL_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "https://nope.example/"));
	/* The demoted second prefLabel is still found, as an altLabel. */
	assert_int_equal(
		md_vocab_reconcile(fx->v, "marsh", NULL, NULL, &m, &err), 0);
	assert_int_equal(m.kind, MD_LABEL_ALT);
	md_match_release(&m);
}

/* The handle's scratch (candidates, their labels) is reset between
 * lookups: nothing of one answer leaks into the next. */
static void
test_reconcile_scratch_does_not_leak_between_lookups(void **state)
{
	struct fx *fx = *state;
	struct md_match m;
	struct vl_err err = { 0 };

	assert_int_equal(
		md_vocab_reconcile(fx->v, "Stream", NULL, NULL, &m, &err), 0);
	assert_int_equal(m.status, MD_MATCH_AMBIGUOUS);
	assert_int_equal(m.ncandidates, 2);
	md_match_release(&m);
	assert_int_equal(
		md_vocab_reconcile(fx->v, "brook", NULL, NULL, &m, &err), 0);
	assert_int_equal(m.status, MD_MATCH_ONE);
	assert_int_equal(m.ncandidates, 1);
	assert_string_equal(m.candidates[0], "https://t.example/c");
	assert_string_equal(m.label, "Brook");
	assert_string_equal(m.label_lang, "en");
	assert_int_equal(m.concept.npref, 1);
	assert_string_equal(m.concept.pref[0].text, "Brook");
	md_match_release(&m);
	/* A fold-only hit after an exact one: rank starts again. */
	assert_int_equal(
		md_vocab_reconcile(fx->v, "riviere", NULL, NULL, &m, &err), 0);
	assert_string_equal(m.concept.uri, "https://t.example/b");
	assert_false(m.folded);
	assert_string_equal(m.label, "Riviere");
	md_match_release(&m);
	assert_int_equal(md_vocab_reconcile(fx->v, "  ", NULL, NULL, &m, &err),
			 0);
	assert_int_equal(m.status, MD_MATCH_NONE);
	assert_int_equal(m.ncandidates, 0);
	assert_null(m.label);
	md_match_release(&m);
	assert_int_equal(
		md_vocab_reconcile(fx->v, "bad \xff", NULL, NULL, &m, &err),
		VL_E_INVAL);
	assert_int_equal(m.status, MD_MATCH_NONE);
	/* All prefLabels of a concept, one block, in language order. */
	assert_int_equal(md_vocab_reconcile(fx->v, "AWA", NULL, NULL, &m, &err),
			 0);
	assert_int_equal(m.concept.npref, 3);
	assert_string_equal(m.concept.pref[0].lang, "en");
	assert_string_equal(m.concept.pref[0].text, "River");
	assert_string_equal(m.concept.pref[1].lang, "fr");
	assert_string_equal(m.concept.pref[1].text, "Rivi\xc3\xa8re");
	assert_string_equal(m.concept.pref[2].lang, "mi");
	assert_string_equal(m.concept.pref[2].text, "Awa");
	md_match_release(&m);
}

static void
test_replacements_follow_chains(void **state)
{
	struct fx *fx = *state;
	struct vl_err err = { 0 };
	char **r = NULL;
	size_t n = 0;

	assert_int_equal(md_vocab_replacements(fx->v, "https://t.example/d", &r,
					       &n, &err),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(r[0], "https://t.example/c");
	assert_string_equal(r[1], "https://t.example/f");
	md_strv_free(r, n);
	assert_int_equal(md_vocab_replacements(fx->v, "https://t.example/a", &r,
					       &n, &err),
			 0);
	assert_int_equal(n, 0);
	md_strv_free(r, n);
}

static int64_t
count(struct repo *r, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	assert_int_equal(repo_prepare(r, &st, sql, NULL), 0);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Catalog version 5: a concept's display labels come from the partial
 * index alone, which SQLite allows only if the index also holds the
 * columns of its WHERE clause. */
static void
test_pref_index_covers_display_labels(void **state)
{
	struct fx *fx = *state;
	sqlite3_stmt *st;
	int covering = 0;

	assert_int_equal(
		repo_prepare(fx->r, &st,
			     "EXPLAIN QUERY PLAN SELECT lang, text FROM"
			     " vocab_labels WHERE concept_id = 1 AND kind ="
			     " 'pref' AND shadowed = 0 ORDER BY lang",
			     NULL),
		0);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 3);

		if (d && strstr(d, "COVERING INDEX vocab_labels_pref"))
			covering = 1;
	}
	sqlite3_finalize(st);
	assert_true(covering);
}

static void
test_failed_import_changes_nothing(void **state)
{
	struct fx *fx = *state;
	struct md_vocab_import_result res;
	struct vl_err err = { 0 };
	char path[4200];
	int64_t labels = count(fx->r, "SELECT count(*) FROM vocab_labels");

	/* A valid first half, then a cycle: all or nothing. */
	tk_write(
		fx->dir, "cyc.ttl",
		"@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
		"@prefix t: <https://t.example/> .\n"
		"t: a skos:ConceptScheme .\n"
		"t:a a skos:Concept ; skos:inScheme t: ; skos:prefLabel "
		"\"New\"@en ; skos:broader t:b .\n"
		"t:b a skos:Concept ; skos:inScheme t: ; skos:broader t:a .\n");
	snprintf(path, sizeof(path), "%s/cyc.ttl", fx->dir);
	assert_int_equal(md_vocab_import(fx->r, path, NULL, &res, &err),
			 VL_E_FORMAT);
	assert_non_null(strstr(err.msg, "cycle in skos:broader"));
	assert_non_null(strstr(err.msg, "cyc.ttl"));
	assert_int_equal(count(fx->r, "SELECT count(*) FROM vocab_labels"),
			 labels);
	assert_int_equal(count(fx->r, "SELECT revision FROM vocab_schemes"), 1);
	assert_true(sqlite3_get_autocommit(fx->r->db));
	/* Syntax error deep in a file: the line is named. */
	tk_write(fx->dir, "bad.ttl",
		 "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
		 "<https://t.example/> a skos:ConceptScheme .\n"
		 "\n"
		 "<https://t.example/z> a skos:Concept , .\n");
	snprintf(path, sizeof(path), "%s/bad.ttl", fx->dir);
	assert_int_equal(md_vocab_import(fx->r, path, NULL, &res, &err),
			 VL_E_FORMAT);
	assert_non_null(strstr(err.msg, "'"));
	assert_non_null(strstr(err.msg, "bad.ttl' line 4"));
	assert_int_equal(count(fx->r, "SELECT count(*) FROM vocab_labels"),
			 labels);
	/* The lookup handle still works after the rollbacks. */
	{
		struct md_match m;

		assert_int_equal(md_vocab_reconcile(fx->v, "river", NULL, NULL,
						    &m, &err),
				 0);
		assert_int_equal(m.status, MD_MATCH_ONE);
		md_match_release(&m);
	}
}

static void
test_search_substring_and_language(void **state)
{
	struct fx *fx = *state;
	struct md_search_hit *h;
	struct vl_err err = { 0 };
	size_t n;

	assert_int_equal(md_vocab_search(fx->v, "broo", NULL, 10, &h, &n, &err),
			 0);
	assert_int_equal(n, 2); /* Brook, Old brook */
	assert_false(h[0].exact);
	md_search_hits_free(h, n);
	assert_int_equal(
		md_vocab_search(fx->v, "riviere", "fr", 10, &h, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].uri, "https://t.example/a");
	assert_true(h[0].folded);
	md_search_hits_free(h, n);
	assert_int_equal(md_vocab_search(fx->v, " ", NULL, 10, &h, &n, &err),
			 VL_E_INVAL);
}

static void
test_labels_in_scattered_runs(void **state)
{
	struct fx *fx = *state;
	struct md_vocab_import_result res;
	struct vl_err err = { 0 };
	char path[4200];

	/* t:s's labels come in two runs, with a repeated triple and a second
	 * English prefLabel in the second run. */
	tk_write(fx->dir, "sc.ttl",
		 "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
		 "@prefix s: <https://s.example/> .\n"
		 "s: a skos:ConceptScheme .\n"
		 "s:s a skos:Concept ; skos:inScheme s: ;\n"
		 "  skos:prefLabel \"One\"@en , \"Un\"@fr .\n"
		 "s:t a skos:Concept ; skos:inScheme s: ; skos:prefLabel "
		 "\"Two\"@en .\n"
		 "s:s skos:prefLabel \"One\"@en , \"Uno\"@en ;\n"
		 "  skos:altLabel \"Un\"@fr .\n");
	snprintf(path, sizeof(path), "%s/sc.ttl", fx->dir);
	if (md_vocab_import(fx->r, path, NULL, &res, &err) != 0)
		fail_msg("import: %s", err.msg);
	md_vocab_import_result_release(&res);
	assert_int_equal(count(fx->r,
			       "SELECT count(*) FROM vocab_labels l JOIN"
			       " vocab_concepts c ON c.id = l.concept_id WHERE"
			       " c.uri = 'https://s.example/s'"),
			 4);
	assert_int_equal(count(fx->r,
			       "SELECT count(*) FROM vocab_labels l JOIN"
			       " vocab_concepts c ON c.id = l.concept_id WHERE"
			       " c.uri = 'https://s.example/s' AND l.kind ="
			       " 'pref' AND l.lang = 'en'"),
			 1);
	assert_int_equal(count(fx->r,
			       "SELECT count(*) FROM vocab_labels l JOIN"
			       " vocab_concepts c ON c.id = l.concept_id WHERE"
			       " c.uri = 'https://s.example/s' AND l.kind ="
			       " 'alt' AND l.text = 'Uno'"),
			 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize_nfc_casefold_and_accents),
		cmocka_unit_test(test_lang_tags),
		cmocka_unit_test(test_concept_label_fallback),
		cmocka_unit_test(test_key_ascii_shortcut_agrees_with_utf8proc),
		cmocka_unit_test(test_key_reuses_its_buffer),
		cmocka_unit_test_setup_teardown(
			test_reconcile_ranks_and_reports_ambiguity, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_reconcile_scratch_does_not_leak_between_lookups,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_pref_index_covers_display_labels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replacements_follow_chains,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_failed_import_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_search_substring_and_language, setup, teardown),
		cmocka_unit_test_setup_teardown(test_labels_in_scattered_runs,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
