/*
 * test_metadata.c - the metadata module: language tags and codes, dates,
 * safe XML, the MODS<->DC crosswalks (typeOfResource table row by row),
 * round trips that keep every value and its language, multilingual
 * records validated in-process against ../shared/schemas, determinism.
 * CSV rows and validation rules are in test_metadata_csv.c.
 */
#include "testkit.h"

#include <libxml/parser.h>

#include "../../metadata/metadata.h"

#define FIXTURES "tests/fixtures/metadata/"

static struct md_schemas *schemas;

static const char *
shared_dir(void)
{
	const char *s = getenv("SHARED");

	return s && *s ? s : "../shared";
}

static int
setup(void **state)
{
	char dir[4096];
	struct vl_err err = { 0 };

	(void)state;
	snprintf(dir, sizeof(dir), "%s/schemas", shared_dir());
	if (md_schemas_open(&schemas, dir, &err) < 0) {
		fprintf(stderr, "cannot open schemas: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	md_schemas_free(schemas);
	return 0;
}

static struct md_record *
read_str(enum md_format fmt, const char *xml)
{
	struct md_record *r = NULL;
	struct vl_err err = { 0 };
	int rc = md_read(&r, fmt, xml, strlen(xml), "test", 0, NULL, &err);

	if (rc < 0)
		fprintf(stderr, "md_read: %s\n", err.msg);
	assert_int_equal(rc, 0);
	return r;
}

static struct md_record *
read_fixture(const char *name, enum md_format fmt)
{
	struct md_record *r = NULL;
	struct vl_err err = { 0 };
	char path[256];
	int rc;

	snprintf(path, sizeof(path), FIXTURES "%s", name);
	rc = md_read_file(&r, fmt, path, 0, NULL, &err);
	if (rc < 0)
		fprintf(stderr, "md_read_file: %s\n", err.msg);
	assert_int_equal(rc, 0);
	return r;
}

static char *
write_str(const struct md_record *r, enum md_format fmt)
{
	struct vl_err err = { 0 };
	char *out = NULL;
	size_t len;

	assert_int_equal(md_write(&out, &len, r, fmt, 0, NULL, &err), 0);
	assert_int_equal(strlen(out), len);
	return out;
}

/* Validates xml in-process against the shared schemas. */
static void
assert_schema_valid(const char *xml, const char *what)
{
	struct md_diag d;
	struct vl_err err = { 0 };
	size_t i;

	md_diag_init(&d);
	assert_int_equal(
		md_schemas_check(schemas, xml, strlen(xml), what, &d, &err), 0);
	for (i = 0; i < d.n; i++)
		fprintf(stderr, "%s: %s: %s\n", what, d.items[i].where,
			d.items[i].msg);
	if (d.errors)
		fprintf(stderr, "%s\n", xml);
	assert_int_equal(d.errors, 0);
	md_diag_release(&d);
}

/* 1 if the record has a value of element e with text and lang. */
static int
has(const struct md_record *r, enum md_element e, const char *text,
    const char *lang)
{
	size_t i;

	for (i = 0; i < r->nvalues; i++) {
		const struct md_value *v = &r->values[i];

		if (v->element == e && !strcmp(v->text, text) &&
		    (lang ? v->lang && !strcmp(v->lang, lang) : !v->lang))
			return 1;
	}
	return 0;
}

/* ---- languages ---- */

static void
test_md_lang_canonical_forms(void **state)
{
	static const struct {
		const char *in, *out;
		int rc;
	} cases[] = {
		{ "mi", "mi", 0 },
		{ "MI-nz", "mi-NZ", 0 },
		{ "sr-latn-rs", "sr-Latn-RS", 0 },
		{ "zh-Hant-TW", "zh-Hant-TW", 0 },
		{ "iu-Cans-CA", "iu-Cans-CA", 0 },
		{ "cr-Cans", "cr-Cans", 0 },
		{ "crk", "crk", 0 },
		{ "moh", "moh", 0 },
		{ "haw", "haw", 0 },
		{ "de-DE-1996", "de-DE-1996", 0 },
		{ "es-419", "es-419", 0 },
		{ "en-a-bbb-x-priv", "en-a-bbb-x-priv", 0 },
		{ "x-whatever", "x-whatever", 0 },
		{ "i-klingon", "i-klingon", 0 },
		{ "en-GB-oed", "en-GB-oed", 0 },
		{ "zh-yue", "yue", 0 },
		{ "mri", "mi", VL_E_NOTFOUND },
		{ "mao", "mi", VL_E_NOTFOUND },
		{ "fre", "fr", VL_E_NOTFOUND },
		{ "eng", "en", VL_E_NOTFOUND },
		{ "iw", "he", VL_E_NOTFOUND },
		{ "zz", "zz", VL_E_NOTFOUND },
		{ "en-Qqqq", "en-Qqqq", VL_E_NOTFOUND },
		{ "en-QQ", "en-QQ", 0 },
		{ "en-XY", "en-XY", 0 },
		{ "en-JJ", "en-JJ", VL_E_NOTFOUND },
		{ "english", "english", VL_E_NOTFOUND },
		{ "en_US", NULL, VL_E_INVAL },
		{ "", NULL, VL_E_INVAL },
		{ "en-", NULL, VL_E_INVAL },
		{ "e", NULL, VL_E_INVAL },
		{ "en-a-bbb-a-ccc", NULL, VL_E_INVAL },
		{ "de-1996-1996", NULL, VL_E_INVAL },
		{ "en-toolongsubtag", NULL, VL_E_INVAL },
		{ "x", NULL, VL_E_INVAL },
		{ "en-a", NULL, VL_E_INVAL },
	};
	char out[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vl_err err = { 0 };
		int rc = md_lang_canonical(out, sizeof(out), cases[i].in, &err);

		if (rc != cases[i].rc)
			fprintf(stderr, "'%s': rc %d (%s)\n", cases[i].in, rc,
				err.msg);
		assert_int_equal(rc, cases[i].rc);
		if (cases[i].out)
			assert_string_equal(out, cases[i].out);
		if (rc)
			assert_true(err.msg[0] != '\0');
	}
}

static void
test_md_iso639_b_and_t(void **state)
{
	/* The 20 codes whose B and T forms differ (metadata-notes 3.1). */
	static const char *const bt[][3] = {
		{ "alb", "sqi", "sq" }, { "arm", "hye", "hy" },
		{ "baq", "eus", "eu" }, { "bur", "mya", "my" },
		{ "chi", "zho", "zh" }, { "cze", "ces", "cs" },
		{ "dut", "nld", "nl" }, { "fre", "fra", "fr" },
		{ "geo", "kat", "ka" }, { "ger", "deu", "de" },
		{ "gre", "ell", "el" }, { "ice", "isl", "is" },
		{ "mac", "mkd", "mk" }, { "mao", "mri", "mi" },
		{ "may", "msa", "ms" }, { "per", "fas", "fa" },
		{ "rum", "ron", "ro" }, { "slo", "slk", "sk" },
		{ "tib", "bod", "bo" }, { "wel", "cym", "cy" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bt) / sizeof(bt[0]); i++) {
		assert_true(md_iso639_exists(MD_639_2B, bt[i][0]));
		assert_false(md_iso639_exists(MD_639_2B, bt[i][1]));
		assert_true(md_iso639_exists(MD_639_2T, bt[i][1]));
		assert_true(md_iso639_exists(MD_639_1, bt[i][2]));
		assert_string_equal(md_lang_to_639b(bt[i][2]), bt[i][0]);
	}
	assert_string_equal(md_lang_to_639b("en-GB"), "eng");
	assert_string_equal(md_lang_to_639b("iu-Cans"), "iku");
	assert_null(md_lang_to_639b("crk")); /* ISO 639-3 only */
	assert_true(md_iso639_exists(MD_639_3, "crk"));
	assert_true(md_iso639_exists(MD_639_3, "ike"));
	assert_true(md_iso639_exists(MD_639_3, "moh"));
	assert_false(md_iso639_exists(MD_639_3, "qqq") &&
		     !md_iso639_exists(MD_639_2B, "qqq"));
	assert_true(md_iso639_exists(MD_639_2B, "qaa")); /* local use */
	assert_false(md_iso639_exists(MD_639_3, "xyz") &&
		     md_iso639_exists(MD_639_2B, "xyz"));
	assert_true(md_iso639_exists(MD_639_5, "map"));
	assert_true(md_script_exists("Cans"));
	assert_true(md_script_exists("Arab"));
	assert_false(md_script_exists("Xxxy"));
}

static void
test_md_relators(void **state)
{
	(void)state;
	assert_string_equal(md_relator_term("aut"), "Author");
	assert_string_equal(md_relator_term("cph"), "Copyright holder");
	assert_string_equal(md_relator_code("translator"), "trl");
	assert_null(md_relator_term("zzz"));
	assert_true(md_relator_is_creator("aut"));
	assert_true(md_relator_is_creator("cre"));
	assert_true(md_relator_is_creator("pht"));
	assert_false(md_relator_is_creator("ctb"));
	assert_false(md_relator_is_creator("trl"));
}

/* ---- dates ---- */

static void
test_md_date_kinds(void **state)
{
	static const struct {
		const char *s;
		unsigned k;
	} cases[] = {
		{ "2021", MD_DATE_W3CDTF | MD_DATE_XSD | MD_DATE_EDTF },
		{ "2021-06", MD_DATE_W3CDTF | MD_DATE_XSD | MD_DATE_EDTF },
		{ "2021-06-14", MD_DATE_W3CDTF | MD_DATE_XSD | MD_DATE_EDTF },
		{ "2020-02-29", MD_DATE_W3CDTF | MD_DATE_XSD | MD_DATE_EDTF },
		{ "2021-06-14T10:20:30Z",
		  MD_DATE_W3CDTF | MD_DATE_XSD | MD_DATE_EDTF },
		{ "2021-06-14T10:20+12:00", MD_DATE_W3CDTF },
		{ "2021-06-14T10:20:30.25-05:00",
		  MD_DATE_W3CDTF | MD_DATE_XSD },
		{ "0000", MD_DATE_W3CDTF | MD_DATE_EDTF },
		{ "1984?", MD_DATE_EDTF },
		{ "2004-06~", MD_DATE_EDTF },
		{ "2004-06-11%", MD_DATE_EDTF },
		{ "201X", MD_DATE_EDTF },
		{ "20XX", MD_DATE_EDTF },
		{ "1985-04-XX", MD_DATE_EDTF },
		{ "1985-XX-XX", MD_DATE_EDTF },
		{ "2001-21", MD_DATE_EDTF },
		{ "-1985", MD_DATE_EDTF },
		{ "Y170000002", MD_DATE_EDTF },
		{ "1964/2008", MD_DATE_EDTF | MD_DATE_INTERVAL },
		{ "2004-06/2006-08", MD_DATE_EDTF | MD_DATE_INTERVAL },
		{ "1985-04-12/..", MD_DATE_EDTF | MD_DATE_INTERVAL },
		{ "../1985-04-12", MD_DATE_EDTF | MD_DATE_INTERVAL },
		{ "1985-04-12/", MD_DATE_EDTF | MD_DATE_INTERVAL },
		{ "1984~/2004-06", MD_DATE_EDTF | MD_DATE_INTERVAL },
		{ "", 0 },
		{ "2021-13", 0 },
		{ "2021-02-30", 0 },
		{ "2019-02-29", 0 },
		{ "2021-06-14T25:00Z", 0 },
		{ "2021-06-14T10:20", 0 },
		{ "ca. 1900", 0 },
		{ "19X5", 0 },
		{ "1985-XX-12", 0 },
		{ "Y1234", 0 },
		{ "/", 0 },
		{ "1901-1910", 0 },
		{ "1901/1902/1903", 0 },
		{ "../..", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (md_date_kind(cases[i].s) != cases[i].k)
			fprintf(stderr, "'%s': %u, expected %u\n", cases[i].s,
				md_date_kind(cases[i].s), cases[i].k);
		assert_int_equal(md_date_kind(cases[i].s), cases[i].k);
	}
}

/* ---- safe XML ---- */

static void
assert_refused(const char *xml, int code, const char *needle)
{
	struct md_record *r = NULL;
	struct vl_err err = { 0 };
	int rc = md_read(&r, MD_FMT_UNKNOWN, xml, strlen(xml), "evil.xml", 0,
			 NULL, &err);

	if (rc != code || !strstr(err.msg, needle))
		fprintf(stderr, "rc %d: %s\n", rc, err.msg);
	assert_int_equal(rc, code);
	assert_null(r);
	assert_non_null(strstr(err.msg, needle));
}

static void
test_md_xml_refuses_hostile_input(void **state)
{
	char path[4096];
	char *xxe;
	size_t n;

	(void)state;
	/* XXE: an external entity naming a local file. */
	snprintf(path, sizeof(path), "%s/STYLE.md", shared_dir());
	n = strlen(path) + 400;
	xxe = malloc(n);
	assert_non_null(xxe);
	snprintf(xxe, n,
		 "<?xml version=\"1.0\"?>\n<!DOCTYPE mods [\n"
		 "<!ENTITY xxe SYSTEM \"file://%s\">]>\n"
		 "<mods xmlns=\"http://www.loc.gov/mods/v3\"><titleInfo>"
		 "<title>&xxe;</title></titleInfo></mods>",
		 path);
	assert_refused(xxe, VL_E_UNSAFE, "declares the external entity 'xxe'");
	free(xxe);
	/* Billion laughs. */
	assert_refused(
		"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
		"<!ENTITY lol \"lol\">\n"
		"<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
		"<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
		"]>\n<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/"
		"OAI/2.0/oai_dc/\" xmlns:dc=\"http://purl.org/dc/elements/"
		"1.1/\"><dc:title>&lol3;</dc:title></oai_dc:dc>",
		VL_E_UNSAFE, "declares the entity 'lol'");
	/* External DTD. */
	assert_refused("<?xml version=\"1.0\"?>\n<!DOCTYPE mods SYSTEM "
		       "\"http://127.0.0.1:9/evil.dtd\">\n<mods xmlns=\""
		       "http://www.loc.gov/mods/v3\"/>",
		       VL_E_UNSAFE, "external DTD");
	/* Parameter entities. */
	assert_refused("<!DOCTYPE x [<!ENTITY % p SYSTEM \"file:///etc/"
		       "passwd\"> %p;]><x/>",
		       VL_E_UNSAFE, "entity 'p'");
	/* An undeclared entity is malformed XML. */
	assert_refused("<mods xmlns=\"http://www.loc.gov/mods/v3\"><titleInfo>"
		       "<title>&nope;</title></titleInfo></mods>",
		       VL_E_FORMAT, "line 1: malformed XML");
	assert_refused("<mods xmlns=\"http://www.loc.gov/mods/v3\"><titleInfo>",
		       VL_E_FORMAT, "malformed XML");
	assert_refused("", VL_E_FORMAT, "neither MODS");
}

static void
test_md_xml_accepts_plain_doctype_and_char_refs(void **state)
{
	struct md_record *r;

	(void)state;
	r = read_str(MD_FMT_UNKNOWN,
		     "<!DOCTYPE mods>\n<mods xmlns=\"http://www.loc.gov/mods/"
		     "v3\"><titleInfo><title>A &amp; B &#x101; &lt;c&gt;"
		     "</title></titleInfo><note displayLabel=\"x &amp; "
		     "y\">n</note></mods>");
	assert_string_equal(md_record_title(r), "A & B \xc4\x81 <c>");
	assert_string_equal(r->values[1].label, "x & y");
	md_record_free(r);
}

static void
test_md_read_caps_input_size(void **state)
{
	struct md_record *r = NULL;
	struct vl_err err = { 0 };
	static const char tiny[] = "<x/>";

	(void)state;
	/* The cap is checked before the buffer is touched. */
	assert_int_equal(md_read(&r, MD_FMT_MODS, tiny, MD_MAX_INPUT + 1,
				 "big.xml", 0, NULL, &err),
			 VL_E_NOMEM);
	assert_non_null(strstr(err.msg, "larger than 64 MiB"));
}

static void
test_md_read_wants_one_record(void **state)
{
	static const char two[] =
		"<modsCollection xmlns=\"http://www.loc.gov/mods/v3\">"
		"<mods><titleInfo><title>a</title></titleInfo></mods>"
		"<mods><titleInfo><title>b</title></titleInfo></mods>"
		"</modsCollection>";
	struct md_record *r = NULL;
	struct vl_err err = { 0 };

	(void)state;
	assert_int_equal(md_read(&r, MD_FMT_UNKNOWN, two, strlen(two), "c.xml",
				 0, NULL, &err),
			 VL_E_FORMAT);
	assert_non_null(strstr(err.msg, "holds 2 records"));
	assert_int_equal(
		md_read(&r, MD_FMT_MODS, "<a/>", 4, "a.xml", 0, NULL, &err),
		VL_E_FORMAT);
	assert_non_null(strstr(err.msg, "no MODS record"));
}

/* ---- crosswalk: typeOfResource <-> DCMI, row by row (notes 2.3) ---- */

static char *
mods_type_to_dc(const char *tor, const char *attrs)
{
	char xml[1024];
	struct md_record *r;
	char *out;

	snprintf(xml, sizeof(xml),
		 "<mods xmlns=\"http://www.loc.gov/mods/v3\"><titleInfo>"
		 "<title>t</title></titleInfo><typeOfResource%s>%s"
		 "</typeOfResource></mods>",
		 attrs, tor);
	r = read_str(MD_FMT_MODS, xml);
	out = write_str(r, MD_FMT_OAI_DC);
	assert_schema_valid(out, tor);
	md_record_free(r);
	return out;
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)); hay += strlen(needle))
		n++;
	return n;
}

static void
test_md_crosswalk_type_of_resource_rows(void **state)
{
	static const char *const rows[][2] = {
		{ "text", "Text" },
		{ "cartographic", "Image" },
		{ "notated music", "Text" },
		{ "sound recording", "Sound" },
		{ "sound recording-musical", "Sound" },
		{ "sound recording-nonmusical", "Sound" },
		{ "still image", "StillImage" },
		{ "moving image", "MovingImage" },
		{ "three dimensional object", "PhysicalObject" },
		{ "software, multimedia", "Software" },
	};
	char want[128];
	size_t i;
	char *out;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		out = mods_type_to_dc(rows[i][0], "");
		snprintf(want, sizeof(want), "<dc:type>%s</dc:type>",
			 rows[i][1]);
		if (!strstr(out, want))
			fprintf(stderr, "%s ->\n%s\n", rows[i][0], out);
		assert_non_null(strstr(out, want));
		assert_int_equal(count(out, "<dc:type>"), 1);
		free(out);
		/* any with collection="yes": + Collection */
		out = mods_type_to_dc(rows[i][0], " collection=\"yes\"");
		assert_non_null(strstr(out, want));
		assert_non_null(strstr(out, "<dc:type>Collection</dc:type>"));
		assert_int_equal(count(out, "<dc:type>"), 2);
		free(out);
	}
	/* mixed material: no one-to-one term; Collection if aggregate */
	out = mods_type_to_dc("mixed material", "");
	assert_null(strstr(out, "<dc:type>"));
	free(out);
	out = mods_type_to_dc("mixed material", " collection=\"yes\"");
	assert_non_null(strstr(out, "<dc:type>Collection</dc:type>"));
	assert_int_equal(count(out, "<dc:type>"), 1);
	free(out);
}

static void
test_md_crosswalk_dcmi_to_mods_rows(void **state)
{
	static const char *const rows[][2] = {
		{ "Text", "text" },
		{ "Image", "still image" },
		{ "StillImage", "still image" },
		{ "Sound", "sound recording" },
		{ "MovingImage", "moving image" },
		{ "PhysicalObject", "three dimensional object" },
		{ "Software", "software, multimedia" },
		{ "InteractiveResource", "software, multimedia" },
		{ "Service", "software, multimedia" },
		{ "Dataset", "software, multimedia" },
		{ "Collection", NULL },
		{ "Event", NULL },
	};
	char xml[1024], want[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct md_record *r, *back;
		char *mods, *dc;

		snprintf(
			xml, sizeof(xml),
			"<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/"
			"OAI/2.0/oai_dc/\" xmlns:dc=\"http://purl.org/dc/"
			"elements/1.1/\"><dc:title>t</dc:title><dc:type>%s"
			"</dc:type></oai_dc:dc>",
			rows[i][0]);
		r = read_str(MD_FMT_OAI_DC, xml);
		mods = write_str(r, MD_FMT_MODS);
		assert_schema_valid(mods, rows[i][0]);
		snprintf(want, sizeof(want),
			 "<genre authority=\"dct\">%s</genre>", rows[i][0]);
		assert_non_null(strstr(mods, want));
		if (rows[i][1]) {
			snprintf(want, sizeof(want),
				 "<typeOfResource>%s</typeOfResource>",
				 rows[i][1]);
			assert_non_null(strstr(mods, want));
		} else if (!strcmp(rows[i][0], "Collection")) {
			assert_non_null(strstr(
				mods, "<typeOfResource collection=\"yes\"/>"));
		} else {
			assert_null(strstr(mods, "<typeOfResource"));
		}
		/* and back: exactly the DCMI term we started from */
		back = read_str(MD_FMT_MODS, mods);
		dc = write_str(back, MD_FMT_OAI_DC);
		snprintf(want, sizeof(want), "<dc:type>%s</dc:type>",
			 rows[i][0]);
		if (!strstr(dc, want) || count(dc, "<dc:type>") != 1)
			fprintf(stderr, "%s\n", dc);
		assert_non_null(strstr(dc, want));
		assert_int_equal(count(dc, "<dc:type>"), 1);
		free(dc);
		free(mods);
		md_record_free(back);
		md_record_free(r);
	}
}

static void
test_md_crosswalk_authors_are_creators(void **state)
{
	static const char xml[] =
		"<mods xmlns=\"http://www.loc.gov/mods/v3\"><titleInfo><title>t"
		"</title></titleInfo>"
		"<name><namePart>A</namePart><role><roleTerm type=\"code\" "
		"authority=\"marcrelator\">aut</roleTerm></role></name>"
		"<name><namePart>B</namePart><role><roleTerm type=\"text\">"
		"Author</roleTerm></role></name>"
		"<name><namePart>C</namePart><role><roleTerm type=\"text\">"
		"creator</roleTerm></role></name>"
		"<name><namePart>D</namePart><role><roleTerm type=\"code\">"
		"ill</roleTerm></role></name>"
		"<name><namePart>E</namePart></name>"
		"<name type=\"personal\"><namePart type=\"family\">Smith"
		"</namePart><namePart type=\"given\">Jane</namePart>"
		"<namePart type=\"date\">1900-1980</namePart><role><roleTerm "
		"type=\"code\">pht</roleTerm></role></name>"
		"</mods>";
	struct md_record *r = read_str(MD_FMT_MODS, xml);
	char *dc = write_str(r, MD_FMT_OAI_DC);

	(void)state;
	assert_non_null(strstr(dc, "<dc:creator>A</dc:creator>"));
	assert_non_null(strstr(dc, "<dc:creator>B</dc:creator>"));
	assert_non_null(strstr(dc, "<dc:creator>C</dc:creator>"));
	assert_non_null(strstr(dc, "<dc:contributor>D (Illustrator)"
				   "</dc:contributor>"));
	assert_non_null(strstr(dc, "<dc:contributor>E</dc:contributor>"));
	assert_non_null(
		strstr(dc, "<dc:creator>Smith, Jane, 1900-1980</dc:creator>"));
	free(dc);
	md_record_free(r);
}

/* Every (element, text, lang) of a is in b. */
static void
assert_values_kept(const struct md_record *a, const struct md_record *b,
		   const char *what)
{
	size_t i;

	for (i = 0; i < a->nvalues; i++) {
		const struct md_value *v = &a->values[i];

		if (v->element == MD_E_NONE)
			continue;
		if (!has(b, v->element, v->text, v->lang))
			fprintf(stderr, "%s: lost %s '%s' [%s]\n", what,
				md_element_name(v->element), v->text,
				v->lang ? v->lang : "");
		assert_true(has(b, v->element, v->text, v->lang));
	}
}

static void
test_md_roundtrip_dc_mods_dc(void **state)
{
	struct md_record *dc =
		read_fixture("multilingual-dc.xml", MD_FMT_OAI_DC);
	struct md_record *mods, *back;
	char *m, *out, *out2;

	(void)state;
	m = write_str(dc, MD_FMT_MODS);
	assert_schema_valid(m, "dc->mods");
	mods = read_str(MD_FMT_MODS, m);
	out = write_str(mods, MD_FMT_OAI_DC);
	assert_schema_valid(out, "dc->mods->dc");
	back = read_str(MD_FMT_OAI_DC, out);
	assert_values_kept(dc, back, "dc->mods->dc");
	assert_values_kept(back, dc, "dc->mods->dc (nothing added)");
	/* A second trip changes nothing: the bytes are a fixed point. */
	md_record_free(mods);
	free(m);
	m = write_str(back, MD_FMT_MODS);
	mods = read_str(MD_FMT_MODS, m);
	out2 = write_str(mods, MD_FMT_OAI_DC);
	assert_string_equal(out, out2);
	free(out2);
	free(out);
	free(m);
	md_record_free(back);
	md_record_free(mods);
	md_record_free(dc);
}

static void
test_md_roundtrip_mods_dc_keeps_values(void **state)
{
	struct md_record *r =
		read_fixture("multilingual-mods.xml", MD_FMT_MODS);
	struct md_record *back;
	char *dc;

	(void)state;
	dc = write_str(r, MD_FMT_OAI_DC);
	assert_schema_valid(dc, "mods->dc");
	back = read_str(MD_FMT_OAI_DC, dc);
	/* every title, in its language and script */
	assert_true(has(back, MD_E_TITLE, "Ngā waiata o te kāinga: he kohinga",
			"mi"));
	assert_true(has(back, MD_E_TITLE, "أغاني البيت", "ar-Arab"));
	assert_true(has(back, MD_E_TITLE, "שירי הבית", "he-Hebr"));
	assert_true(has(back, MD_E_TITLE, "家の歌", "ja"));
	assert_true(has(back, MD_E_TITLE, "家之歌", "zh-Hant"));
	assert_true(has(back, MD_E_TITLE, "Τραγούδια του σπιτιού", "el"));
	assert_true(has(back, MD_E_TITLE, "Песни дома", "ru-Cyrl"));
	assert_true(has(back, MD_E_TITLE, "ᑭᑫᐃᐧᐣ ᓂᑲᒧᐃᐧᓇ", "cr-Cans"));
	assert_true(has(back, MD_E_TITLE, "ᐃᓪᓗᒥ ᐱᓯᐅᑏᑦ", "iu-Cans"));
	assert_true(has(back, MD_E_CREATOR, "Parata, Aroha", NULL));
	assert_true(has(back, MD_E_CONTRIBUTOR, "山田太郎", "ja"));
	assert_true(has(back, MD_E_DESCRIPTION, "تسجيلات مجتمعية لأغاني البيت.",
			"ar"));
	assert_true(has(back, MD_E_DESCRIPTION,
			"Community recordings of songs of home & hearth, \"as "
			"sung\".",
			"en"));
	assert_true(has(back, MD_E_SUBJECT, "Songs, Maori--History", "en"));
	assert_true(has(back, MD_E_SUBJECT, "Waiata", "mi"));
	assert_true(has(back, MD_E_SUBJECT, "782.42", NULL));
	assert_true(has(back, MD_E_COVERAGE, "New Zealand", "en"));
	assert_true(has(back, MD_E_COVERAGE, "New Zealand--Rotorua", NULL));
	assert_true(has(back, MD_E_COVERAGE, "1950/1969", NULL));
	assert_true(has(back, MD_E_DATE, "1950/1969", NULL));
	assert_true(has(back, MD_E_DATE, "2021-06~", NULL));
	assert_true(has(back, MD_E_TYPE, "Sound", NULL));
	assert_true(has(back, MD_E_TYPE, "Collection", NULL));
	assert_true(has(back, MD_E_TYPE, "songs", "en"));
	assert_true(has(back, MD_E_LANGUAGE, "mi", NULL));
	assert_true(has(back, MD_E_LANGUAGE, "cr-Cans", NULL));
	assert_true(has(back, MD_E_LANGUAGE, "ike", NULL));
	assert_true(has(back, MD_E_IDENTIFIER,
			"https://repository.example.org/objects/wai-7", NULL));
	assert_true(has(back, MD_E_IDENTIFIER, "10.1234/waiata.7", NULL));
	assert_true(has(back, MD_E_IDENTIFIER, "978-0-306-40615-7", NULL));
	assert_true(
		has(back, MD_E_SOURCE, "https://example.org/tapes/7", NULL));
	assert_true(has(back, MD_E_RELATION, "Ngā taonga a te whānau", "mi"));
	assert_true(has(back, MD_E_RELATION, "Field recordings", NULL));
	assert_true(has(back, MD_E_RIGHTS,
			"http://rightsstatements.org/vocab/InC-EDU/1.0/",
			NULL));
	assert_true(has(back, MD_E_RIGHTS, "Kei te whānau te mana.", "mi"));
	assert_true(has(back, MD_E_PUBLISHER, "Te Whare Pupuri Taonga", NULL));
	assert_true(has(back, MD_E_FORMAT, "audio/flac", NULL));
	assert_true(has(back, MD_E_FORMAT, "12 sound files", NULL));
	/* identifiers: the resolvable URI comes first (notes 1.2) */
	assert_true(strstr(dc, "<dc:identifier>https://") <
		    strstr(dc, "<dc:identifier>WAI-7"));
	/* LoC-style type prefixes, stripped again when read back */
	assert_non_null(strstr(dc, "<dc:identifier>doi: 10.1234/waiata.7<"));
	assert_non_null(strstr(dc, "<dc:identifier>isbn: 978-0-306-40615-7<"));
	free(dc);
	md_record_free(back);
	md_record_free(r);
}

static void
test_md_mods_roundtrip_keeps_structure(void **state)
{
	struct md_record *r =
		read_fixture("multilingual-mods.xml", MD_FMT_MODS);
	struct md_record *again;
	char *m1, *m2;

	(void)state;
	m1 = write_str(r, MD_FMT_MODS);
	assert_schema_valid(m1, "mods->mods");
	again = read_str(MD_FMT_MODS, m1);
	m2 = write_str(again, MD_FMT_MODS);
	assert_string_equal(m1, m2);
	/* what MODS keeps beyond DC */
	assert_non_null(strstr(m1, "<nonSort>Ngā</nonSort>"));
	assert_non_null(strstr(m1, "<subTitle>he kohinga</subTitle>"));
	assert_non_null(strstr(m1, "lang=\"ara\" xml:lang=\"ar\" "
				   "script=\"Arab\""));
	assert_non_null(strstr(m1, "lang=\"mao\" xml:lang=\"mi\""));
	assert_non_null(strstr(m1, "<namePart type=\"family\">Parata"));
	assert_non_null(strstr(
		m1, "valueURI=\"https://orcid.org/0000-0002-1825-0097\""));
	assert_non_null(strstr(m1, "<roleTerm type=\"code\" authority=\""
				   "marcrelator\">aut</roleTerm>"));
	assert_non_null(strstr(m1, "<typeOfResource collection=\"yes\">sound "
				   "recording-musical</typeOfResource>"));
	assert_non_null(strstr(m1, "<dateCreated encoding=\"w3cdtf\" point=\""
				   "start\" keyDate=\"yes\">1950<"));
	assert_non_null(strstr(m1, "<topic valueURI=\"http://id.loc.gov/"
				   "authorities/subjects/sh85125237\">Songs, "
				   "Maori</topic>"));
	assert_non_null(strstr(m1, "<city>Rotorua</city>"));
	assert_non_null(strstr(m1, "<placeTerm type=\"text\">Rotorua<"));
	assert_non_null(strstr(m1, "<relatedItem type=\"series\">"));
	assert_non_null(strstr(m1, "<note type=\"ownership\">Gift"));
	assert_non_null(strstr(m1, "<note type=\"preferred citation\">"));
	assert_non_null(strstr(m1, "displayLabel=\"License\""));
	assert_non_null(
		strstr(m1, "<targetAudience authority=\"marctarget\">"));
	free(m1);
	free(m2);
	md_record_free(again);
	md_record_free(r);
}

static void
test_md_qdc_roundtrip_keeps_refinements(void **state)
{
	struct md_record *r =
		read_fixture("multilingual-mods.xml", MD_FMT_MODS);
	struct md_record *q, *m;
	char *qdc, *mods, *qdc2;

	(void)state;
	qdc = write_str(r, MD_FMT_DCTERMS);
	assert_schema_valid(qdc, "mods->dcterms");
	assert_non_null(
		strstr(qdc, "<dcterms:issued>2021-06~</dcterms:issued>"));
	assert_non_null(strstr(qdc, "<dcterms:created>1950/1969<"));
	assert_non_null(strstr(qdc, "<dcterms:isPartOf xml:lang=\"mi\">"));
	assert_non_null(strstr(qdc, "<dcterms:license xsi:type=\"dcterms:URI\">"
				    "https://creativecommons.org/"));
	assert_non_null(strstr(qdc, "<dcterms:accessRights xml:lang=\"mi\">"));
	assert_non_null(strstr(qdc, "<dcterms:provenance>Gift"));
	assert_non_null(strstr(qdc, "<dcterms:bibliographicCitation>"));
	assert_non_null(strstr(qdc, "<dcterms:audience>general"));
	assert_non_null(strstr(qdc, "<dcterms:spatial xml:lang=\"en\">New "
				    "Zealand</dcterms:spatial>"));
	assert_non_null(strstr(qdc, "<dc:subject xsi:type=\"dcterms:DDC\">"
				    "782.42</dc:subject>"));
	/* dcterms -> MODS -> dcterms keeps every term */
	q = read_str(MD_FMT_DCTERMS, qdc);
	mods = write_str(q, MD_FMT_MODS);
	assert_schema_valid(mods, "dcterms->mods");
	m = read_str(MD_FMT_MODS, mods);
	qdc2 = write_str(m, MD_FMT_DCTERMS);
	assert_string_equal(qdc, qdc2);
	free(qdc);
	free(qdc2);
	free(mods);
	md_record_free(m);
	md_record_free(q);
	md_record_free(r);
}

/* ---- multilingual records, every generated record schema-valid ---- */

static void
test_md_multilingual_outputs_are_valid(void **state)
{
	static const char *const fixtures[][2] = {
		{ "multilingual-mods.xml", "mods" },
		{ "multilingual-dc.xml", "oai_dc" },
	};
	static const enum md_format outs[] = { MD_FMT_OAI_DC, MD_FMT_DCTERMS,
					       MD_FMT_MODS };
	size_t i, j;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct md_record *r = read_fixture(
			fixtures[i][0], md_format_parse(fixtures[i][1]));

		for (j = 0; j < 3; j++) {
			char *out = write_str(r, outs[j]);
			char *again = write_str(r, outs[j]);

			assert_schema_valid(out, fixtures[i][0]);
			assert_string_equal(out, again); /* deterministic */
			free(again);
			free(out);
		}
		md_record_free(r);
	}
}

static void
test_md_nfc_and_escaping(void **state)
{
	struct md_record *r = md_record_new();
	struct md_value *v;
	struct vl_err err = { 0 };
	char *out;
	struct md_record *back;

	(void)state;
	/* "kāinga" with a decomposed ā (a + U+0304) */
	assert_int_equal(md_record_add(&v, r, MD_E_TITLE, MD_T_NONE,
				       "  ka\xcc\x84inga <&> \"q\"\r\nx  ",
				       "MI", &err),
			 0);
	assert_string_equal(v->text, "k\xc4\x81inga <&> \"q\"\r\nx");
	assert_string_equal(v->lang, "mi");
	assert_int_equal(md_record_add(&v, r, MD_E_TITLE, MD_T_NONE, "a\x01",
				       NULL, &err),
			 VL_E_INVAL);
	assert_int_equal(
		md_record_add(&v, r, MD_E_TITLE, MD_T_NONE, "\xff", NULL, &err),
		VL_E_INVAL);
	assert_int_equal(
		md_record_add(&v, r, MD_E_TITLE, MD_T_NONE, "x", "en_US", &err),
		VL_E_INVAL);
	out = write_str(r, MD_FMT_MODS);
	assert_non_null(strstr(out, "&lt;&amp;&gt; \"q\"&#13;\nx"));
	assert_schema_valid(out, "escaping");
	back = read_str(MD_FMT_MODS, out);
	assert_string_equal(md_record_title(back), r->values[0].text);
	free(out);
	md_record_free(back);
	md_record_free(r);
}

static void
test_md_record_title_prefers_primary(void **state)
{
	struct md_record *r = md_record_new();
	struct md_value *v;
	struct vl_err err = { 0 };

	(void)state;
	assert_null(md_record_title(r));
	md_record_add(&v, r, MD_E_TITLE, MD_T_ALTERNATIVE, "Alt", NULL, &err);
	assert_string_equal(md_record_title(r), "Alt");
	md_record_add(&v, r, MD_E_TITLE, MD_T_NONE, "Translated", "en", &err);
	v->type = "translated";
	md_record_add(&v, r, MD_E_TITLE, MD_T_NONE, "Plain", NULL, &err);
	assert_string_equal(md_record_title(r), "Plain");
	md_record_add(&v, r, MD_E_TITLE, MD_T_NONE, "Primary", "mi", &err);
	v->flags |= MD_V_PRIMARY;
	assert_string_equal(md_record_title(r), "Primary");
	md_record_free(r);
}

/* ---- streaming ---- */

static struct md_record *kept_record;

static int
count_record(void *ctx, struct md_record *rec, unsigned long line)
{
	size_t *n = ctx;
	char want[32];

	if (*n == 7) { /* keep one beyond the callback */
		md_record_free(kept_record);
		kept_record = md_record_dup(rec);
		assert_non_null(kept_record);
	}

	snprintf(want, sizeof(want), "title %zu", *n);
	assert_string_equal(md_record_title(rec), want);
	assert_true(line > 0);
	(*n)++;
	return 0;
}

static void
test_md_read_stream_collection(void **state)
{
	struct vl_buf b = VL_BUF_INIT;
	struct vl_err err = { 0 };
	size_t n = 0, total = 0, i;
	enum md_format fmt = MD_FMT_UNKNOWN;
	FILE *f;

	(void)state;
	vl_buf_adds(&b,
		    "<modsCollection xmlns=\"http://www.loc.gov/mods/v3\">\n");
	for (i = 0; i < 3000; i++)
		vl_buf_addf(&b,
			    "<mods><titleInfo lang=\"eng\"><title>title %zu"
			    "</title></titleInfo><recordInfo/></mods>\n",
			    i);
	vl_buf_adds(&b, "</modsCollection>\n");
	f = fmemopen(b.buf, b.len, "r");
	assert_non_null(f);
	assert_int_equal(md_read_stream(f, "c.xml", &fmt, 0, count_record, &n,
					&total, NULL, &err),
			 0);
	fclose(f);
	assert_int_equal(fmt, MD_FMT_MODS);
	assert_int_equal(n, 3000);
	assert_string_equal(md_record_title(kept_record), "title 7");
	assert_string_equal(kept_record->values[0].lang, "en");
	md_record_free(kept_record);
	kept_record = NULL;
	assert_int_equal(total, 3000);
	vl_buf_release(&b);
}

static void
test_md_read_stream_oai_pmh_response(void **state)
{
	static const char resp[] =
		"<OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\">"
		"<ListRecords><record><header><identifier>a</identifier>"
		"</header><metadata><oai_dc:dc xmlns:oai_dc=\"http://www."
		"openarchives.org/OAI/2.0/oai_dc/\" xmlns:dc=\"http://purl.org/"
		"dc/elements/1.1/\"><dc:title>title 0</dc:title></oai_dc:dc>"
		"</metadata></record><record><header><identifier>b"
		"</identifier></header><metadata><oai_dc:dc xmlns:oai_dc=\""
		"http://www.openarchives.org/OAI/2.0/oai_dc/\" xmlns:dc=\""
		"http://purl.org/dc/elements/1.1/\"><dc:title>title 1"
		"</dc:title></oai_dc:dc></metadata></record></ListRecords>"
		"</OAI-PMH>";
	struct vl_err err = { 0 };
	size_t n = 0;
	enum md_format fmt = MD_FMT_OAI_DC;
	FILE *f = fmemopen((void *)resp, strlen(resp), "r");

	(void)state;
	assert_int_equal(md_read_stream(f, "resp.xml", &fmt, 0, count_record,
					&n, NULL, NULL, &err),
			 0);
	fclose(f);
	assert_int_equal(n, 2);
}

static void
test_md_simple_dc_any_root(void **state)
{
	struct md_record *r = read_str(
		MD_FMT_UNKNOWN,
		"<metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
		"xmlns:dcterms=\"http://purl.org/dc/terms/\" xml:lang=\"fr\">"
		"<dc:title>Le titre</dc:title><dcterms:issued>2020"
		"</dcterms:issued><dc:language>fre</dc:language>"
		"<dc:type>image</dc:type></metadata>");

	(void)state;
	assert_true(has(r, MD_E_TITLE, "Le titre", "fr"));
	assert_int_equal(r->values[1].term, MD_T_ISSUED);
	assert_true(has(r, MD_E_LANGUAGE, "fr", "fr"));
	assert_true(has(r, MD_E_TYPE, "Image", "fr"));
	md_record_free(r);
}

/* Regression (fuzz_xml_reader): a malformed simple-DC document whose root
 * holds dc:* children freed the root twice. */
static void
test_md_xml_truncated_simple_dc(void **state)
{
	static const char doc[] =
		"<metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
		"<dc:title>x</dc:title><dc:subject>y</dc:subject><dc:type>";
	struct md_record *r = NULL;
	struct vl_err err = { 0 };

	(void)state;
	assert_int_equal(md_read(&r, MD_FMT_OAI_DC, doc, strlen(doc), "t.xml",
				 0, NULL, &err),
			 VL_E_FORMAT);
	assert_non_null(strstr(err.msg, "t.xml"));
	assert_null(r);
}

/* Regression (fuzz_xml_reader): a publisher's place was attached through
 * a pointer that went stale when the values array grew. */
static void
test_md_mods_place_survives_growth(void **state)
{
	struct vl_buf b = VL_BUF_INIT;
	struct md_record *r;
	size_t i;
	int found = 0;

	(void)state;
	vl_buf_adds(&b, "<mods xmlns=\"http://www.loc.gov/mods/v3\">");
	for (i = 0; i < 15; i++)
		vl_buf_addf(&b, "<titleInfo><title>t%zu</title></titleInfo>",
			    i);
	vl_buf_adds(&b, "<originInfo><place><placeTerm>Rotorua</placeTerm>"
			"</place><publisher>P</publisher>");
	for (i = 0; i < 40; i++)
		vl_buf_addf(&b, "<dateOther>%zu</dateOther>", 1900 + i);
	vl_buf_adds(&b, "</originInfo></mods>");
	r = read_str(MD_FMT_MODS, b.buf);
	for (i = 0; i < r->nvalues; i++)
		if (r->values[i].element == MD_E_PUBLISHER) {
			assert_int_equal(r->values[i].nparts, 1);
			assert_string_equal(r->values[i].parts[0].text,
					    "Rotorua");
			found = 1;
		}
	assert_true(found);
	md_record_free(r);
	vl_buf_release(&b);
}

/* Whatever the input holds, the output is schema-valid: URIs the schema
 * would refuse are dropped or written where a string is allowed, and an
 * empty record cannot be MODS. */
static void
test_md_mods_output_stays_valid(void **state)
{
	static const char doc[] =
		"<mods xmlns=\"http://www.loc.gov/mods/v3\" "
		"xmlns:xlink=\"http://"
		"www.w3.org/1999/xlink\"><titleInfo valueURI=\"http://x/%zz\">"
		"<title>t</title></titleInfo><accessCondition xlink:href=\"a b "
		"%%\">r</accessCondition><location><url>http://x/%q</url>"
		"</location></mods>";
	struct md_record *r = read_str(MD_FMT_MODS, doc), *empty;
	struct md_diag d;
	struct vl_err err = { 0 };
	char *out = NULL;

	(void)state;
	md_diag_init(&d);
	assert_int_equal(md_write(&out, NULL, r, MD_FMT_MODS, 0, &d, &err), 0);
	assert_schema_valid(out, "bad URIs");
	assert_null(strstr(out, "%zz"));
	assert_non_null(strstr(out, "<identifier>http://x/%q</identifier>"));
	assert_true(d.warnings >= 2);
	free(out);
	md_diag_release(&d);
	md_record_free(r);
	empty = md_record_new();
	assert_int_equal(
		md_write(&out, NULL, empty, MD_FMT_MODS, 0, NULL, &err),
		VL_E_INVAL);
	assert_non_null(strstr(err.msg, "no value MODS can hold"));
	assert_int_equal(
		md_write(&out, NULL, empty, MD_FMT_OAI_DC, 0, NULL, &err), 0);
	assert_schema_valid(out, "empty oai_dc");
	free(out);
	md_record_free(empty);
}

static void
test_md_format_detect(void **state)
{
	(void)state;
	static const char mods[] =
		"<mods xmlns=\"http://www.loc.gov/mods/v3\"/>";
	static const char qdc[] = "\xef\xbb\xbf<qualifieddc/>";
	static const char csv[] = "title,creator\nx,y\n";

	assert_int_equal(md_format_detect(mods, strlen(mods), NULL),
			 MD_FMT_MODS);
	assert_int_equal(md_format_detect(qdc, strlen(qdc), NULL),
			 MD_FMT_DCTERMS);
	assert_int_equal(md_format_detect(csv, strlen(csv), NULL), MD_FMT_CSV);
	assert_int_equal(md_format_detect("hello", 5, "x.txt"), MD_FMT_UNKNOWN);
	assert_int_equal(md_format_detect("<x/>", 4, NULL), MD_FMT_UNKNOWN);
	assert_int_equal(md_format_parse("qdc"), MD_FMT_DCTERMS);
	assert_string_equal(md_format_name(MD_FMT_OAI_DC), "oai_dc");
}

/* md_read_node gives the record md_read gives from the same XML as
 * text: from a whole document, and from an element whose namespaces are
 * declared on an ancestor (a record in an OAI-PMH response). */
static void
assert_same_record(const struct md_record *a, const struct md_record *b)
{
	char *ja = write_str(a, MD_FMT_JSON), *jb = write_str(b, MD_FMT_JSON);

	assert_string_equal(ja, jb);
	free(ja);
	free(jb);
}

static void
test_md_read_node_is_md_read(void **state)
{
	static const struct {
		const char *file;
		enum md_format fmt;
	} fx[] = { { "multilingual-mods.xml", MD_FMT_MODS },
		   { "multilingual-dc.xml", MD_FMT_OAI_DC } };
	static const char nested[] =
		"<wrap xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/"
		"oai_dc/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
		"<oai_dc:dc><dc:title xml:lang=\"en\">Salt &amp; sea</dc:title>"
		"<dc:subject><![CDATA[tides < 2 m]]></dc:subject>"
		"<dc:date>1901</dc:date></oai_dc:dc></wrap>";
	static const char alone[] =
		"<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/"
		"oai_dc/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
		"<dc:title xml:lang=\"en\">Salt &amp; sea</dc:title>"
		"<dc:subject><![CDATA[tides < 2 m]]></dc:subject>"
		"<dc:date>1901</dc:date></oai_dc:dc>";
	struct md_record *a, *b;
	struct vl_err err = { 0 };
	char path[256];
	xmlDocPtr doc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fx) / sizeof(fx[0]); i++) {
		a = read_fixture(fx[i].file, fx[i].fmt);
		snprintf(path, sizeof(path), FIXTURES "%s", fx[i].file);
		assert_non_null(doc = xmlReadFile(path, NULL, XML_PARSE_NONET));
		assert_int_equal(md_read_node(&b, fx[i].fmt,
					      xmlDocGetRootElement(doc),
					      fx[i].file, 0, NULL, &err),
				 0);
		assert_same_record(a, b);
		md_record_free(a);
		md_record_free(b);
		xmlFreeDoc(doc);
	}
	assert_int_equal(md_read(&a, MD_FMT_OAI_DC, alone, strlen(alone),
				 "alone", 0, NULL, &err),
			 0);
	assert_non_null(doc = xmlReadMemory(nested, (int)strlen(nested), NULL,
					    NULL, XML_PARSE_NONET));
	assert_int_equal(
		md_read_node(&b, MD_FMT_OAI_DC,
			     xmlFirstElementChild(xmlDocGetRootElement(doc)),
			     "nested", 0, NULL, &err),
		0);
	assert_same_record(a, b);
	assert_string_equal(md_record_title(b), "Salt & sea");
	md_record_free(a);
	md_record_free(b);
	/* Only XML record formats are read from a tree. */
	assert_int_equal(md_read_node(&b, MD_FMT_CSV, xmlDocGetRootElement(doc),
				      "nested", 0, NULL, &err),
			 VL_E_INVAL);
	xmlFreeDoc(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md_lang_canonical_forms),
		cmocka_unit_test(test_md_iso639_b_and_t),
		cmocka_unit_test(test_md_relators),
		cmocka_unit_test(test_md_date_kinds),
		cmocka_unit_test(test_md_xml_refuses_hostile_input),
		cmocka_unit_test(
			test_md_xml_accepts_plain_doctype_and_char_refs),
		cmocka_unit_test(test_md_read_caps_input_size),
		cmocka_unit_test(test_md_read_wants_one_record),
		cmocka_unit_test(test_md_crosswalk_type_of_resource_rows),
		cmocka_unit_test(test_md_crosswalk_dcmi_to_mods_rows),
		cmocka_unit_test(test_md_crosswalk_authors_are_creators),
		cmocka_unit_test(test_md_roundtrip_dc_mods_dc),
		cmocka_unit_test(test_md_roundtrip_mods_dc_keeps_values),
		cmocka_unit_test(test_md_mods_roundtrip_keeps_structure),
		cmocka_unit_test(test_md_qdc_roundtrip_keeps_refinements),
		cmocka_unit_test(test_md_multilingual_outputs_are_valid),
		cmocka_unit_test(test_md_nfc_and_escaping),
		cmocka_unit_test(test_md_record_title_prefers_primary),
		cmocka_unit_test(test_md_read_stream_collection),
		cmocka_unit_test(test_md_read_stream_oai_pmh_response),
		cmocka_unit_test(test_md_simple_dc_any_root),
		cmocka_unit_test(test_md_xml_truncated_simple_dc),
		cmocka_unit_test(test_md_mods_place_survives_growth),
		cmocka_unit_test(test_md_mods_output_stays_valid),
		cmocka_unit_test(test_md_format_detect),
		cmocka_unit_test(test_md_read_node_is_md_read),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
