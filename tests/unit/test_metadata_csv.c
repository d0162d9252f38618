/*
 * test_metadata_csv.c - CSV rows (RFC 4180 syntax, the header syntax,
 * streaming with extra columns and per-row errors) and validation (the
 * content rules, schema errors, hostile input).
 */
#include "testkit.h"

#include "../../metadata/metadata.h"

static const char *
shared_dir(void)
{
	const char *s = getenv("SHARED");

	return s && *s ? s : "../shared";
}

struct csv {
	FILE *f;
	struct md_csv *c;
	struct vl_err err;
};

static int
csv_open(struct csv *t, const char *text, const char *const *extras,
	 unsigned flags)
{
	struct md_csv_opts o = { extras, flags };

	memset(t, 0, sizeof(*t));
	t->f = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(t->f);
	return md_csv_open(&t->c, t->f, "b.csv", &o, &t->err);
}

static void
csv_close(struct csv *t)
{
	md_csv_close(t->c);
	fclose(t->f);
}

static const struct md_value *
find(const struct md_record *r, enum md_element e, size_t nth)
{
	size_t i;

	for (i = 0; i < r->nvalues; i++)
		if (r->values[i].element == e && nth-- == 0)
			return &r->values[i];
	return NULL;
}

static void
test_md_csv_reads_rows_and_header_syntax(void **state)
{
	static const char *const extras[] = { "path", "id", "collection",
					      NULL };
	static const char text[] =
		"\xef\xbb\xbfid,path,title@mi,title@en,creator[aut],"
		"contributor[trl]@ja,subject{lcsh}@en,dcterms:issued[w3cdtf],"
		"identifier[doi],rights,language,rightsHolder\r\n"
		"a1,objects/a1,\"Ngā waiata, \"\"o\"\" te kāinga\",Songs,"
		"\"Parata, Aroha|Smith, Jo\",山田太郎,"
		"\"Songs, Maori <http://id.loc.gov/authorities/subjects/"
		"sh85125237>|Folk \\| songs\",2021-06-14,10.1234/x,"
		"In Copyright <http://rightsstatements.org/vocab/InC/1.0/>,"
		"mao|eng,Te Whare\r\n"
		"\r\n"
		"a2,objects/a2,\"two\r\nlines\",,,,,,,,,\n";
	struct csv t;
	struct md_record *r;
	const struct md_value *v;

	(void)state;
	assert_int_equal(csv_open(&t, text, extras, 0), 0);
	assert_int_equal(md_csv_next(t.c, &r, NULL, &t.err), 1);
	assert_int_equal(md_csv_line(t.c), 2);
	assert_string_equal(md_csv_extra(t.c, "id"), "a1");
	assert_string_equal(md_csv_extra(t.c, "path"), "objects/a1");
	assert_null(md_csv_extra(t.c, "collection"));
	v = find(r, MD_E_TITLE, 0);
	assert_string_equal(v->text, "Ngā waiata, \"o\" te kāinga");
	assert_string_equal(v->lang, "mi");
	assert_string_equal(find(r, MD_E_TITLE, 1)->lang, "en");
	v = find(r, MD_E_CREATOR, 1);
	assert_string_equal(v->text, "Smith, Jo");
	assert_int_equal(v->nroles, 1);
	assert_string_equal(v->roles[0].code, "aut");
	v = find(r, MD_E_CONTRIBUTOR, 0);
	assert_string_equal(v->text, "山田太郎");
	assert_string_equal(v->lang, "ja");
	assert_string_equal(v->roles[0].code, "trl");
	v = find(r, MD_E_SUBJECT, 0);
	assert_string_equal(v->text, "Songs, Maori");
	assert_string_equal(v->authority, "lcsh");
	assert_string_equal(
		v->value_uri,
		"http://id.loc.gov/authorities/subjects/sh85125237");
	assert_string_equal(find(r, MD_E_SUBJECT, 1)->text, "Folk | songs");
	v = find(r, MD_E_DATE, 0);
	assert_int_equal(v->term, MD_T_ISSUED);
	assert_string_equal(v->scheme, "w3cdtf");
	assert_string_equal(find(r, MD_E_IDENTIFIER, 0)->type, "doi");
	v = find(r, MD_E_RIGHTS, 0);
	assert_string_equal(v->text, "In Copyright");
	assert_string_equal(v->href, "http://rightsstatements.org/vocab/InC/"
				     "1.0/");
	assert_string_equal(find(r, MD_E_LANGUAGE, 0)->text, "mi");
	assert_string_equal(find(r, MD_E_LANGUAGE, 1)->text, "en");
	v = find(r, MD_E_CONTRIBUTOR, 1);
	assert_int_equal(v->term, MD_T_RIGHTS_HOLDER);
	/* the blank line is skipped; the quoted CRLF becomes LF */
	assert_int_equal(md_csv_next(t.c, &r, NULL, &t.err), 1);
	assert_int_equal(md_csv_line(t.c), 4);
	assert_string_equal(find(r, MD_E_TITLE, 0)->text, "two\nlines");
	assert_int_equal(r->nvalues, 1);
	assert_int_equal(md_csv_next(t.c, &r, NULL, &t.err), 0);
	csv_close(&t);
}

static void
expect_header_error(const char *text, unsigned flags, const char *needle)
{
	struct csv t;

	assert_int_equal(csv_open(&t, text, NULL, flags), VL_E_FORMAT);
	if (!strstr(t.err.msg, needle))
		fprintf(stderr, "%s\n", t.err.msg);
	assert_non_null(strstr(t.err.msg, needle));
	fclose(t.f);
}

static void
test_md_csv_header_errors_name_the_column(void **state)
{
	(void)state;
	expect_header_error("title,colour\nx,y\n", 0,
			    "b.csv' line 1: unknown column 'colour'");
	expect_header_error("title@en_US\nx\n", 0, "column 'title@en_US'");
	expect_header_error("title@mri\nx\n", 0, "use");
	expect_header_error("creator[author]\nx\n", 0,
			    "[author] is not a MARC relator code");
	expect_header_error("date[iso]\nx\n", 0, "date encoding 'iso'");
	expect_header_error("subject[x]\nx\n", 0, "[x] is not allowed here");
	expect_header_error("identifier{lcsh}\nx\n", 0,
			    "{authority} is not allowed on identifier");
	expect_header_error("title{lcsh\nx\n", 0, "malformed");
	expect_header_error("title,,creator\nx,y,z\n", 0,
			    "column 2 has no name");
	expect_header_error("dc:alternative\nx\n", 0, "unknown column");
	/* 0xEF starts a BOM or, as here, a character: kept */
	expect_header_error("\xef\xbc\x81title\nx\n", 0,
			    "unknown column '\xef\xbc\x81title'");
	expect_header_error("", 0, "no header row");
	expect_header_error("\"title\nx\n", 0,
			    "line 1: quoted field never "
			    "closed");
	expect_header_error("ti\"tle\nx\n", 0, "a quote inside an unquoted");
}

static void
test_md_csv_keep_unknown_makes_notes(void **state)
{
	struct csv t;
	struct md_record *r;

	(void)state;
	assert_int_equal(csv_open(&t, "title,colour\nx,blue\n", NULL,
				  MD_READ_KEEP_UNKNOWN),
			 0);
	assert_int_equal(md_csv_next(t.c, &r, NULL, &t.err), 1);
	assert_string_equal(find(r, MD_E_DESCRIPTION, 0)->text, "blue");
	assert_string_equal(find(r, MD_E_DESCRIPTION, 0)->label, "colour");
	csv_close(&t);
}

static void
test_md_csv_row_errors_name_line_and_go_on(void **state)
{
	static const char text[] = "title,date\n"
				   "ok,2020\n"
				   "short\n"
				   "bad \x01 byte,2021\n"
				   "\"x\"y,2021\n"
				   "never reached,2022\n";
	struct csv t;
	struct md_record *r;

	(void)state;
	assert_int_equal(csv_open(&t, text, NULL, 0), 0);
	assert_int_equal(md_csv_next(t.c, &r, NULL, &t.err), 1);
	assert_int_equal(md_csv_next(t.c, &r, NULL, &t.err), VL_E_INVAL);
	assert_non_null(strstr(t.err.msg, "line 3: 1 fields, but the header "
					  "has 2"));
	assert_int_equal(md_csv_next(t.c, &r, NULL, &t.err), VL_E_INVAL);
	assert_non_null(strstr(t.err.msg, "line 4, column 'title'"));
	assert_int_equal(md_csv_next(t.c, &r, NULL, &t.err), VL_E_FORMAT);
	assert_non_null(strstr(t.err.msg, "line 5, column 1: text after a "
					  "closing quote"));
	csv_close(&t);
}

static void
test_md_csv_through_md_read(void **state)
{
	static const char text[] = "title@el,type\n"
				   "Ελληνικά,text\n";
	struct md_record *r = NULL;
	struct vl_err err = { 0 };
	char *out = NULL;

	(void)state;
	assert_int_equal(md_read(&r, MD_FMT_CSV, text, strlen(text), "x.csv", 0,
				 NULL, &err),
			 0);
	assert_int_equal(md_write(&out, NULL, r, MD_FMT_OAI_DC, 0, NULL, &err),
			 0);
	assert_non_null(strstr(out, "<dc:title xml:lang=\"el\">Ελληνικά<"));
	assert_non_null(strstr(out, "<dc:type>Text</dc:type>"));
	free(out);
	md_record_free(r);
}

/* ---- validation ---- */

static struct md_schemas *
schemas(void)
{
	struct md_schemas *s = NULL;
	struct vl_err err = { 0 };
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/schemas", shared_dir());
	assert_int_equal(md_schemas_open(&s, dir, &err), 0);
	return s;
}

static struct md_diag
validate(struct md_schemas *s, const char *doc, enum md_format fmt)
{
	struct md_diag d;
	struct vl_err err = { 0 };
	size_t n;

	md_diag_init(&d);
	d.strict = 1;
	assert_int_equal(
		md_validate(doc, strlen(doc), "v.xml", fmt, s, &d, &n, &err),
		0);
	return d;
}

static int
says(const struct md_diag *d, enum md_level level, const char *needle)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->items[i].level == level &&
		    strstr(d->items[i].msg, needle))
			return 1;
	return 0;
}

#define MODS_OPEN "<mods xmlns=\"http://www.loc.gov/mods/v3\" version=\"3.8\">"
#define DC_OPEN                                                      \
	"<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/OAI/" \
	"2.0/oai_dc/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"

static void
test_md_validate_content_rules(void **state)
{
	struct md_schemas *s = schemas();
	struct md_diag d;

	(void)state;
	d = validate(s,
		     MODS_OPEN "<titleInfo lang=\"mao\" xml:lang=\"mi\"><title>"
			       "Ngā waiata</title></titleInfo><originInfo>"
			       "<dateIssued encoding=\"w3cdtf\">2021-06-14"
			       "</dateIssued><dateCreated>[ca. 1900]"
			       "</dateCreated></originInfo></mods>",
		     MD_FMT_UNKNOWN);
	assert_int_equal(d.errors, 0);
	assert_true(says(&d, MD_WARNING, "'[ca. 1900]' is neither W3CDTF"));
	md_diag_release(&d);

	d = validate(s,
		     MODS_OPEN
		     "<titleInfo lang=\"mri\" xml:lang=\"mao\"><title>"
		     "x</title></titleInfo><originInfo><dateIssued "
		     "encoding=\"w3cdtf\">2021-13-01</dateIssued>"
		     "<dateOther encoding=\"edtf\">2021-6"
		     "</dateOther></originInfo><abstract lang=\"xyz\" "
		     "script=\"Qqqq\">a</abstract></mods>",
		     MD_FMT_MODS);
	assert_true(says(&d, MD_ERROR, "'mao' is an ISO 639-2/B code"));
	assert_true(says(&d, MD_ERROR, "@lang 'mri' is the ISO 639-2/T code"));
	assert_true(says(&d, MD_ERROR, "'2021-13-01' is declared w3cdtf"));
	assert_true(says(&d, MD_ERROR, "'2021-6' is declared EDTF"));
	assert_true(says(&d, MD_ERROR, "@lang 'xyz' is not an ISO 639-2/B"));
	assert_true(says(&d, MD_ERROR, "'Qqqq' is not an ISO 15924"));
	md_diag_release(&d);

	d = validate(s,
		     DC_OPEN "<dc:creator>x</dc:creator><dc:date>June 2021"
			     "</dc:date><dc:language>zz</dc:language>"
			     "<dc:title xml:lang=\"en_NZ\">t</dc:title>"
			     "</oai_dc:dc>",
		     MD_FMT_UNKNOWN);
	assert_true(says(&d, MD_ERROR,
			 "'June 2021' is neither W3CDTF nor "
			 "EDTF"));
	assert_true(says(&d, MD_ERROR, "dc:language 'zz'"));
	assert_true(says(&d, MD_ERROR, "'en_NZ' is not a well-formed BCP 47"));
	/* and the schema: xml:lang is xs:language */
	assert_true(says(&d, MD_ERROR, "schema:"));
	md_diag_release(&d);
	md_schemas_free(s);
}

static void
test_md_validate_schema_errors_have_lines(void **state)
{
	struct md_schemas *s = schemas();
	struct md_diag d;

	(void)state;
	d = validate(s,
		     MODS_OPEN "\n<titleInfo><title>t</title></titleInfo>\n"
			       "<creator>no such element</creator>\n</mods>",
		     MD_FMT_UNKNOWN);
	assert_int_equal(d.errors, 1);
	assert_true(says(&d, MD_ERROR,
			 "creator': This element is not "
			 "expected"));
	assert_string_equal(d.items[d.n - 1].where, "v.xml:3");
	md_diag_release(&d);

	d = validate(s,
		     "<qualifieddc xmlns:dcterms=\"http://purl.org/dc/terms/\" "
		     "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
		     "<dcterms:title>t</dcterms:title><dcterms:issued "
		     "xsi:type=\"dcterms:W3CDTF\">not a date</dcterms:issued>"
		     "</qualifieddc>",
		     MD_FMT_UNKNOWN);
	assert_true(says(&d, MD_ERROR, "schema:"));
	md_diag_release(&d);
	md_schemas_free(s);
}

static void
test_md_validate_refuses_hostile_xml(void **state)
{
	struct md_schemas *s = schemas();
	struct md_diag d;

	(void)state;
	d = validate(s,
		     "<!DOCTYPE m [<!ENTITY x SYSTEM "
		     "\"file:///etc/passwd\">]>" MODS_OPEN
		     "<titleInfo><title>&x;</title></titleInfo>"
		     "</mods>",
		     MD_FMT_UNKNOWN);
	assert_int_equal(d.errors, 1);
	assert_true(says(&d, MD_ERROR, "declares the external entity 'x'"));
	md_diag_release(&d);
	md_schemas_free(s);
}

static void
test_md_validate_csv_rows(void **state)
{
	struct md_diag d;
	struct vl_err err = { 0 };
	static const char text[] = "title,date\nok,2020\n,2021\nx,soon\n";
	size_t n;

	(void)state;
	md_diag_init(&d);
	assert_int_equal(md_validate(text, strlen(text), "b.csv", MD_FMT_CSV,
				     NULL, &d, &n, &err),
			 0);
	assert_int_equal(n, 3);
	assert_int_equal(d.errors, 2);
	assert_true(says(&d, MD_ERROR, "record has no title"));
	assert_true(says(&d, MD_ERROR, "'soon' is neither"));
	md_diag_release(&d);
}

static void
test_md_schemas_missing_dir(void **state)
{
	struct md_schemas *s = NULL;
	struct vl_err err = { 0 };

	(void)state;
	assert_int_equal(md_schemas_open(&s, "/nonexistent/schemas", &err),
			 VL_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "/nonexistent/schemas"));
	assert_int_equal(md_schemas_open(&s, "", &err), VL_E_NOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md_csv_reads_rows_and_header_syntax),
		cmocka_unit_test(test_md_csv_header_errors_name_the_column),
		cmocka_unit_test(test_md_csv_keep_unknown_makes_notes),
		cmocka_unit_test(test_md_csv_row_errors_name_line_and_go_on),
		cmocka_unit_test(test_md_csv_through_md_read),
		cmocka_unit_test(test_md_validate_content_rules),
		cmocka_unit_test(test_md_validate_schema_errors_have_lines),
		cmocka_unit_test(test_md_validate_refuses_hostile_xml),
		cmocka_unit_test(test_md_validate_csv_rows),
		cmocka_unit_test(test_md_schemas_missing_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
