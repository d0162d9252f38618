/*
 * test_oai.c - the OAI-PMH provider: XML hygiene, arguments, dates,
 * identifiers, resumption tokens, and the engine's answers over a
 * synthetic catalog, each response validated against the OAI-PMH, oai_dc,
 * oai-identifier and MODS 3.8 schemas from ../shared/schemas.
 */
#include "testkit.h"

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <time.h>

#include "../../oai/oai.h"

#define NS_OAI "http://www.openarchives.org/OAI/2.0/"

/* ---- XML hygiene ---- */

#define R "\xEF\xBF\xBD" /* U+FFFD */

static void
test_escape_replaces_forbidden(void **state)
{
	struct vl_buf b = VL_BUF_INIT;
	/* \x01, U+FFFE, a lone surrogate, an overlong '/', a truncated
	 * sequence; é and a tab stay.  Each byte of a malformed sequence
	 * becomes one U+FFFD: nine repairs. */
	const char in[] = "a<b>&\"c\x01\xEF\xBF\xBE\xED\xA0\x80\xC0\xAF"
			  "\t\xC3\xA9\xE2\x82";

	(void)state;
	assert_int_equal(oai_xml_escape(&b, in, sizeof(in) - 1), 9);
	assert_string_equal(b.buf, "a&lt;b&gt;&amp;&quot;c" R R R R R R R "\t"
				   "\xC3\xA9" R R);
	vl_buf_release(&b);
}

static void
test_copy_repairs_stored_xml(void **state)
{
	struct vl_buf b = VL_BUF_INIT;
	const char in[] =
		"<?xml version=\"1.0\"?>\n<r a=\"1 &amp; 2\">x&#11;y&#x41;"
		"&nbsp;z\x02<![CDATA[ & &#0; ]]><!-- & --></r>";

	(void)state;
	assert_int_equal(oai_xml_copy(&b, in, sizeof(in) - 1), 3);
	assert_string_equal(b.buf,
			    "<r a=\"1 &amp; 2\">x\xEF\xBF\xBDy&#x41;&amp;nbsp;"
			    "z\xEF\xBF\xBD<![CDATA[ & &#0; ]]><!-- & --></r>");
	vl_buf_release(&b);
	/* A long clean record goes through the word-at-a-time path. */
	vl_buf_init(&b, 0);
	{
		const char *clean = "<x>0123456789abcdefghijklmnopqrstuv"
				    "wxyz \xC3\xA9t\xC3\xA9</x>";

		assert_int_equal(oai_xml_copy(&b, clean, strlen(clean)), 0);
	}
	assert_string_equal(b.buf, "<x>0123456789abcdefghijklmnopqrstuvwxyz "
				   "\xC3\xA9t\xC3\xA9</x>");
	vl_buf_release(&b);
}

/* ---- arguments, dates, identifiers ---- */

static void
test_args_decode_once(void **state)
{
	struct oai_args a;
	const char q[] = "verb=GetRecord&&identifier=oai%3Ax%3Aa%2Bb+c%25"
			 "&metadataPrefix=oai_dc&metadataPrefix=&x=%00&bad=%zz"
			 "&flag";

	(void)state;
	assert_int_equal(oai_args_parse(&a, q, sizeof(q) - 1, 32), 0);
	assert_int_equal(a.n, 7);
	assert_string_equal(a.v[1].value, "oai:x:a+b c%");
	assert_string_equal(a.v[3].key, "metadataPrefix");
	assert_int_equal(a.v[3].value_len, 0);
	assert_int_equal(a.v[4].value_len, 1); /* %00 kept, length 1 */
	assert_true(a.bad_encoding);
	assert_string_equal(a.v[6].key, "flag");
	oai_args_release(&a);
	assert_int_equal(oai_args_parse(&a, "a=1&b=2&c=3", 11, 2), VL_E_INVAL);
	oai_args_release(&a);
}

static void
test_dates_both_granularities(void **state)
{
	static const char *const bad[] = {
		"",
		"2024-13-45",
		"2024-01-01T00:00:00+01:00",
		"2024-01-01T00:00:00.5Z",
		"2024-01-01T00:00:00",
		"2024-01-01T",
		"0000-01-01",
		"2023-02-29",
		"2024-1-01",
		"2024-01-01T24:00:00Z",
		" 2024-01-01",
	};
	char out[VL_TIME_LEN];
	enum oai_gran g;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(oai_date_parse(bad[i], 0, out, &g),
				 VL_E_INVAL);
	assert_int_equal(oai_date_parse("2024-02-29", 0, out, &g), 0);
	assert_string_equal(out, "2024-02-29T00:00:00Z");
	assert_int_equal(g, OAI_GRAN_DAY);
	assert_int_equal(oai_date_parse("2024-02-29", 1, out, &g), 0);
	assert_string_equal(out, "2024-02-29T23:59:59Z");
	assert_int_equal(oai_date_parse("2024-02-29T12:30:00Z", 1, out, &g), 0);
	assert_string_equal(out, "2024-02-29T12:30:00Z");
	assert_int_equal(g, OAI_GRAN_SECONDS);
}

static void
test_identifiers_canonical(void **state)
{
	struct vl_buf b = VL_BUF_INIT, id = VL_BUF_INIT;

	(void)state;
	assert_int_equal(oai_id_encode(&id, "ex.org", "a b#c%d/\xC3\xA9:e"), 0);
	assert_string_equal(id.buf, "oai:ex.org:a%20b%23c%25d/%C3%A9:e");
	assert_int_equal(oai_id_decode(&b, "ex.org", id.buf), 0);
	assert_string_equal(b.buf, "a b#c%d/\xC3\xA9:e");
	/* Identical strings only: no needless or lowercase escapes, no
	 * other namespace, nothing outside the URI characters. */
	assert_int_equal(oai_id_decode(&b, "ex.org", "oai:ex.org:%41"),
			 VL_E_NOTFOUND);
	assert_int_equal(oai_id_decode(&b, "ex.org", "oai:ex.org:%c3%a9"),
			 VL_E_NOTFOUND);
	assert_int_equal(oai_id_decode(&b, "ex.org", "oai:ex.orgx:a"),
			 VL_E_NOTFOUND);
	assert_int_equal(oai_id_decode(&b, "ex.org", "oai:ex.org:a b"),
			 VL_E_NOTFOUND);
	assert_int_equal(oai_id_decode(&b, "ex.org", "oai:ex.org:"),
			 VL_E_NOTFOUND);
	assert_int_equal(oai_id_decode(&b, "ex.org", "oai:ex.org:%00"),
			 VL_E_NOTFOUND);
	assert_true(oai_namespace_valid("a.b-c.org"));
	assert_false(oai_namespace_valid("localhost"));
	assert_false(oai_namespace_valid("1a.org"));
	assert_false(oai_namespace_valid("a..org"));
	vl_buf_release(&b);
	vl_buf_release(&id);
}

static void
test_accept_encoding(void **state)
{
	(void)state;
	assert_true(oai_accepts_gzip("gzip"));
	assert_true(oai_accepts_gzip("deflate, GZIP;q=0.5"));
	assert_true(oai_accepts_gzip("br, *"));
	assert_true(oai_accepts_gzip("x-gzip"));
	assert_false(oai_accepts_gzip(NULL));
	assert_false(oai_accepts_gzip("identity"));
	assert_false(oai_accepts_gzip("gzip;q=0"));
	assert_false(oai_accepts_gzip("gzip; q=0.000, *"));
	assert_false(oai_accepts_gzip("*;q=0"));
	assert_false(oai_accepts_gzip("gzipx"));
}

/* ---- tokens ---- */

static const unsigned char key1[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char key2[32] = "0123456789abcdef0123456789abcdeF";

static void
test_token_roundtrip_and_tampering(void **state)
{
	struct oai_token t = { 0 }, u;
	struct vl_buf b = VL_BUF_INIT;
	char *bad;
	size_t i;

	(void)state;
	t.verb = OAI_LIST_RECORDS;
	t.prefix = "oai_dc";
	t.set = "a:b";
	memcpy(t.until, "2024-05-01T10:00:00Z", VL_TIME_LEN);
	memcpy(t.pos_ds, "2024-01-01T00:00:00Z", VL_TIME_LEN);
	t.pos_id = "obj/1";
	t.cursor = 200;
	t.size = 12345;
	assert_int_equal(oai_token_encode(&b, &t, key1, 32), 0);
	assert_int_equal(strspn(b.buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijk"
				       "lmnopqrstuvwxyz0123456789-_"),
			 b.len);
	assert_int_equal(oai_token_decode(&u, b.buf, key1, 32), 0);
	assert_string_equal(u.prefix, "oai_dc");
	assert_string_equal(u.set, "a:b");
	assert_string_equal(u.from, "");
	assert_string_equal(u.until, "2024-05-01T10:00:00Z");
	assert_string_equal(u.pos_id, "obj/1");
	assert_int_equal(u.cursor, 200);
	assert_int_equal(u.size, 12345);
	oai_token_release(&u);
	/* Another repository's key. */
	assert_int_equal(oai_token_decode(&u, b.buf, key2, 32), VL_E_FORMAT);
	/* Every single-character change and every truncation fails. */
	bad = strdup(b.buf);
	for (i = 0; i < b.len; i++) {
		char c = bad[i];

		bad[i] = c == 'A' ? 'B' : 'A';
		assert_int_equal(oai_token_decode(&u, bad, key1, 32),
				 VL_E_FORMAT);
		bad[i] = c;
		bad[i + 1 < b.len ? i + 1 : i] = '\0';
		assert_int_equal(oai_token_decode(&u, bad, key1, 32),
				 VL_E_FORMAT);
		memcpy(bad, b.buf, b.len + 1);
	}
	free(bad);
	assert_int_equal(oai_token_decode(&u, "!!garbage!!", key1, 32),
			 VL_E_FORMAT);
	assert_int_equal(oai_token_decode(&u, "", key1, 32), VL_E_FORMAT);
	vl_buf_release(&b);
}

/* ---- the engine over a synthetic catalog ---- */

struct fx {
	char *dir;
	struct repo *r;
	struct oai_provider *p;
	struct oai_db *d;
	xmlSchemaPtr schema;
	time_t now;
};

static struct fx fx;

static xmlSchemaPtr
load_schemas(const char *dir)
{
	const char *shared = getenv("SHARED");
	char path[4200], xsd[8192];
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr s;

	if (!shared || !*shared)
		shared = "../shared";
	/* A driver schema made here: the whole response with oai_dc,
	 * oai-identifier and MODS 3.8 content, from the shared copies. */
	snprintf(xsd, sizeof(xsd),
		 "<schema xmlns='http://www.w3.org/2001/XMLSchema' "
		 "targetNamespace='urn:x-vellum-test'>"
		 "<import namespace='" NS_OAI "' schemaLocation='%s/schemas/"
		 "OAI-PMH.xsd'/>"
		 "<import namespace='http://www.openarchives.org/OAI/2.0/"
		 "oai_dc/' schemaLocation='%s/schemas/oai_dc.xsd'/>"
		 "<import namespace='http://www.openarchives.org/OAI/2.0/"
		 "oai-identifier' schemaLocation='%s/schemas/"
		 "oai-identifier.xsd'/>"
		 "<import namespace='http://www.loc.gov/mods/v3' "
		 "schemaLocation='%s/schemas/mods-3-8.xsd'/></schema>",
		 shared, shared, shared, shared);
	tk_write(dir, "driver.xsd", xsd);
	snprintf(path, sizeof(path), "%s/driver.xsd", dir);
	pc = xmlSchemaNewParserCtxt(path);
	assert_non_null(pc);
	s = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	assert_non_null(s);
	return s;
}

static int
setup(void **state)
{
	struct repo_init_opts o = { 0 };
	struct oai_synth_opts so = { 0 };
	struct vl_err err = { 0 };
	char path[4200];

	(void)state;
	vl_log_set_level(VL_LOG_QUIET);
	fx.dir = tk_tmpdir();
	snprintf(path, sizeof(path), "%s/repo", fx.dir);
	o.name = "Test <Archive> & Co";
	o.oai_namespace = "test.example.org";
	o.admin_email = "curator@example.org, admin@example.org";
	o.base_url = "http://127.0.0.1:9/oai";
	assert_int_equal(repo_init(path, &o, &err), 0);
	assert_int_equal(repo_open(&fx.r, path, &err), 0);
	so.count = 230;
	so.collections = 5;
	so.deleted_every = 7;
	so.seed = 3;
	so.id_prefix = "t-";
	assert_int_equal(oai_synth(fx.r, &so, &err), 0);
	fx.r->cfg.page_size = 17;
	assert_int_equal(oai_provider_new(&fx.p, fx.r, NULL, &err), 0);
	snprintf(path, sizeof(path), "%s/repo/catalog.db", fx.dir);
	assert_int_equal(oai_db_open(&fx.d, path, &err), 0);
	fx.schema = load_schemas(fx.dir);
	fx.now = time(NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	xmlSchemaFree(fx.schema);
	oai_db_close(fx.d);
	oai_provider_free(fx.p);
	repo_close(fx.r);
	tk_rmtree(fx.dir);
	free(fx.dir);
	return 0;
}

static void
silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* Answers args; the document is well-formed and schema-valid. */
static xmlDocPtr
ask(const char *args)
{
	struct vl_buf out = VL_BUF_INIT;
	struct vl_err err = { 0 };
	xmlSchemaValidCtxtPtr vc;
	xmlDocPtr doc;
	int rc;

	assert_int_equal(oai_respond(&out, fx.p, fx.d, args, fx.now, &err), 0);
	doc = xmlReadMemory(out.buf, (int)out.len, "response.xml", "UTF-8",
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
				    XML_PARSE_NOWARNING);
	if (!doc)
		fail_msg("not well-formed: %s -> %.400s", args, out.buf);
	vc = xmlSchemaNewValidCtxt(fx.schema);
	xmlSchemaSetValidErrors(vc, silent, silent, NULL);
	rc = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	if (rc != 0)
		fail_msg("not valid: %s -> %.600s", args, out.buf);
	vl_buf_release(&out);
	return doc;
}

/* The string value of an XPath (prefix o: the OAI namespace). */
static char *
xp(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr c = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o;
	char *s;

	xmlXPathRegisterNs(c, BAD_CAST "o", BAD_CAST NS_OAI);
	o = xmlXPathEvalExpression(BAD_CAST expr, c);
	assert_non_null(o);
	s = (char *)xmlXPathCastToString(o);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(c);
	return s;
}

static void
expect(xmlDocPtr doc, const char *expr, const char *want)
{
	char *got = xp(doc, expr);

	if (strcmp(got, want))
		fail_msg("%s: got '%s', want '%s'", expr, got, want);
	xmlFree(got);
}

static void
expect_error(const char *args, const char *code, int echo)
{
	xmlDocPtr doc = ask(args);
	char *got = xp(doc, "string(/o:OAI-PMH/o:error[1]/@code)");
	char *n = xp(doc, "count(/o:OAI-PMH/o:request/@*)");

	if (strcmp(got, code))
		fail_msg("%s: error '%s', want '%s'", args, got, code);
	if (echo ? !strcmp(n, "0") : strcmp(n, "0"))
		fail_msg("%s: request has %s attributes", args, n);
	xmlFree(got);
	xmlFree(n);
	xmlFreeDoc(doc);
}

static void
test_errors_and_echo(void **state)
{
	(void)state;
	expect_error("", "badVerb", 0);
	expect_error("verb=identify", "badVerb", 0);
	expect_error("verb=Identify&verb=Identify", "badVerb", 0);
	expect_error("verb=Identify&foo=bar", "badArgument", 0);
	expect_error("verb=Identify&verb=Frob", "badVerb", 0);
	expect_error("verb=ListRecords", "badArgument", 0);
	expect_error("verb=ListRecords&metadataPrefix=oai_dc&"
		     "metadataPrefix=oai_dc",
		     "badArgument", 0);
	expect_error("verb=ListRecords&metadataPrefix=oai_dc&"
		     "resumptionToken=x",
		     "badArgument", 0);
	expect_error("verb=ListIdentifiers&metadataPrefix=", "badArgument", 0);
	expect_error("verb=ListIdentifiers&metadataPrefix=a%20b", "badArgument",
		     0);
	expect_error("verb=ListIdentifiers&metadataPrefix=oai_dc&set=a::b",
		     "badArgument", 0);
	expect_error("verb=ListIdentifiers&metadataPrefix=oai_dc&"
		     "from=2024-01-01&until=2023-12-31",
		     "badArgument", 0);
	expect_error("verb=ListIdentifiers&metadataPrefix=oai_dc&"
		     "from=2024-01-01&until=2024-02-01T00:00:00Z",
		     "badArgument", 0);
	expect_error("verb=ListIdentifiers&metadataPrefix=oai_dc&"
		     "from=2024-01-01T00:00:00",
		     "badArgument", 0);
	expect_error("verb=GetRecord&metadataPrefix=oai_dc", "badArgument", 0);
	expect_error("verb=GetRecord&identifier=%5B&metadataPrefix=oai_dc",
		     "badArgument", 0);
	expect_error("verb=ListMetadataFormats&resumptionToken=x",
		     "badArgument", 0);
	expect_error("verb=ListSets&set=coll-0", "badArgument", 0);
	expect_error("verb=Identify&verb%00=x", "badArgument", 0);
	expect_error("verb=ListRecords&metadataPrefix=marc21",
		     "cannotDisseminateFormat", 1);
	expect_error("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai%3A"
		     "no.such%3Aid",
		     "idDoesNotExist", 1);
	expect_error("verb=ListMetadataFormats&identifier=oai%3Atest.example."
		     "org%3Anope",
		     "idDoesNotExist", 1);
	expect_error("verb=ListRecords&resumptionToken=%21%21garbage%21%21",
		     "badResumptionToken", 1);
	expect_error("verb=ListSets&resumptionToken=zz", "badResumptionToken",
		     1);
	expect_error("verb=ListIdentifiers&metadataPrefix=oai_dc&"
		     "from=9999-01-01",
		     "noRecordsMatch", 1);
	/* D11: an unknown set selects nothing. */
	expect_error("verb=ListIdentifiers&metadataPrefix=oai_dc&set=nope",
		     "noRecordsMatch", 1);
	/* until before every datestamp. */
	expect_error("verb=ListRecords&metadataPrefix=mods&until=2000-01-01",
		     "noRecordsMatch", 1);
}

static void
test_identify(void **state)
{
	xmlDocPtr doc;
	char *min;

	(void)state;
	doc = ask("verb=Identify");
	expect(doc, "string(//o:repositoryName)", "Test <Archive> & Co");
	expect(doc, "string(//o:baseURL)", "http://127.0.0.1:9/oai");
	expect(doc, "count(//o:adminEmail)", "2");
	expect(doc, "string(//o:deletedRecord)", "persistent");
	expect(doc, "string(//o:granularity)", "YYYY-MM-DDThh:mm:ssZ");
	expect(doc, "string(//o:compression)", "gzip");
	expect(doc, "string(//*[local-name()='repositoryIdentifier'])",
	       "test.example.org");
	min = xp(doc, "string(//o:earliestDatestamp)");
	xmlFreeDoc(doc);
	/* earliestDatestamp is the real oldest datestamp. */
	{
		sqlite3_stmt *st;
		assert_int_equal(
			sqlite3_prepare_v2(fx.r->db,
					   "SELECT min(datestamp) FROM "
					   "objects",
					   -1, &st, NULL),
			0);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal(min, sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	xmlFree(min);
}

/* Harvests a whole list; returns the identifiers in order, one per line,
 * checking cursor and completeListSize on every page.  between(page) runs
 * after each page. */
static char *
harvest(const char *first, void (*between)(int page), int *pages)
{
	struct vl_buf ids = VL_BUF_INIT, args = VL_BUF_INIT;
	unsigned long long seen = 0;
	int page = 0;

	vl_buf_adds(&args, first);
	for (;;) {
		xmlDocPtr doc = ask(args.buf);
		xmlXPathContextPtr c = xmlXPathNewContext(doc);
		xmlXPathObjectPtr o;
		char *tok, *cur, *size, *ntok;
		int i, n;

		xmlXPathRegisterNs(c, BAD_CAST "o", BAD_CAST NS_OAI);
		o = xmlXPathEvalExpression(
			BAD_CAST "//o:header/o:identifier | //o:set/o:setSpec",
			c);
		n = o->nodesetval ? o->nodesetval->nodeNr : 0;
		assert_true(n > 0);
		for (i = 0; i < n; i++) {
			xmlChar *s =
				xmlNodeGetContent(o->nodesetval->nodeTab[i]);

			vl_buf_addf(&ids, "%s\n", (char *)s);
			xmlFree(s);
		}
		xmlXPathFreeObject(o);
		xmlXPathFreeContext(c);
		tok = xp(doc, "string(//o:resumptionToken)");
		ntok = xp(doc, "count(//o:resumptionToken)");
		cur = xp(doc, "string(//o:resumptionToken/@cursor)");
		size = xp(doc, "string(//o:resumptionToken/@completeListSize)");
		if (!strcmp(ntok, "1")) {
			/* §3.5: cursor counts what came before this page. */
			assert_int_equal(strtoull(cur, NULL, 10), seen);
			if (!*tok) /* the last page: size is exact */
				assert_int_equal(strtoull(size, NULL, 10),
						 seen + (unsigned)n);
		} else {
			assert_int_equal(page, 0); /* fits one page */
		}
		seen += (unsigned)n;
		page++;
		xmlFreeDoc(doc);
		if (!*tok) {
			xmlFree(tok);
			xmlFree(ntok);
			xmlFree(cur);
			xmlFree(size);
			break;
		}
		vl_buf_reset(&args);
		vl_buf_addf(&args, "verb=%s&resumptionToken=%s",
			    strstr(first, "ListRecords") ? "ListRecords"
			    : strstr(first, "ListIdentifiers")
				    ? "ListIdentifiers"
				    : "ListSets",
			    tok);
		xmlFree(tok);
		xmlFree(ntok);
		xmlFree(cur);
		xmlFree(size);
		if (between)
			between(page);
	}
	if (pages)
		*pages = page;
	vl_buf_release(&args);
	return vl_buf_detach(&ids, NULL);
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static int
db_count(const char *sql)
{
	sqlite3_stmt *st;
	int n;

	assert_int_equal(sqlite3_prepare_v2(fx.r->db, sql, -1, &st, NULL), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
test_full_harvests(void **state)
{
	char *ids, *recs;
	int pages;

	(void)state;
	ids = harvest("verb=ListIdentifiers&metadataPrefix=oai_dc", NULL,
		      &pages);
	assert_int_equal(count_lines(ids), 230);
	assert_int_equal(pages, (230 + 16) / 17);
	recs = harvest("verb=ListRecords&metadataPrefix=mods", NULL, NULL);
	assert_string_equal(ids, recs); /* same order, same records */
	free(recs);
	free(ids);
	ids = harvest("verb=ListSets", NULL, NULL);
	assert_int_equal(count_lines(ids), 5);
	free(ids);
}

static void
test_deleted_and_sets(void **state)
{
	xmlDocPtr doc;
	char *ids;
	int inset;

	(void)state;
	/* t-00000007 is a tombstone: a header with status, no metadata. */
	doc = ask("verb=GetRecord&metadataPrefix=mods&identifier=oai%3Atest."
		  "example.org%3At-00000007");
	expect(doc, "string(//o:header/@status)", "deleted");
	expect(doc, "count(//o:metadata)", "0");
	expect(doc, "count(//o:header/o:setSpec) > 0", "true");
	xmlFreeDoc(doc);
	doc = ask("verb=ListMetadataFormats&identifier=oai%3Atest.example.org"
		  "%3At-00000001");
	expect(doc, "count(//o:metadataFormat)", "2");
	xmlFreeDoc(doc);
	doc = ask("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai%3Atest."
		  "example.org%3At-00000001");
	expect(doc, "count(//o:metadata/*)", "1");
	xmlFreeDoc(doc);
	/* set=coll-1 holds coll-1 and its child coll-1:sub-2 (§2.7.2). */
	ids = harvest("verb=ListIdentifiers&metadataPrefix=oai_dc&set=coll-1",
		      NULL, NULL);
	inset = db_count("SELECT count(DISTINCT object_id) FROM "
			 "object_collections WHERE spec = 'coll-1' OR "
			 "spec LIKE 'coll-1:%'");
	assert_true(inset > db_count("SELECT count(*) FROM "
				     "object_collections WHERE spec = "
				     "'coll-1'"));
	assert_true(inset > 0);
	assert_int_equal(count_lines(ids), inset);
	free(ids);
	/* Every set, small ones read from their members and larger ones by
	 * scanning, gives exactly its records, each once. */
	{
		static const char *const specs[] = {
			"coll-0", "coll-1", "coll-1:sub-2", "coll-3", "coll-4",
		};
		size_t k;

		for (k = 0; k < sizeof(specs) / sizeof(specs[0]); k++) {
			char q[128], sql[256];
			char *p2, *line;
			int want;

			snprintf(
				q, sizeof(q),
				"verb=ListRecords&metadataPrefix=oai_dc&set=%s",
				specs[k]);
			ids = harvest(q, NULL, NULL);
			snprintf(sql, sizeof(sql),
				 "SELECT count(DISTINCT object_id) FROM "
				 "object_collections WHERE spec = '%s' OR spec "
				 "LIKE '%s:%%'",
				 specs[k], specs[k]);
			want = db_count(sql);
			assert_int_equal(count_lines(ids), want);
			for (line = ids; *line; line = strchr(line, '\n') + 1) {
				size_t len =
					(size_t)(strchr(line, '\n') - line);

				for (p2 = strchr(line, '\n') + 1; *p2;
				     p2 = strchr(p2, '\n') + 1)
					assert_false(!strncmp(p2, line, len) &&
						     p2[len] == '\n');
			}
			free(ids);
		}
	}
	doc = ask("verb=ListSets");
	expect(doc, "count(//o:set)", "5");
	expect(doc, "count(//o:setDescription)", "4");
	xmlFreeDoc(doc);
}

/* A record in coll-0 and coll-0:sub-2 lists only the child (H4). */
static void
test_minimal_set_specs(void **state)
{
	xmlDocPtr doc;

	(void)state;
	assert_int_equal(sqlite3_exec(fx.r->db,
				      "INSERT OR IGNORE INTO object_collections"
				      " VALUES('t-00000003', 'coll-1'),"
				      " ('t-00000003', 'coll-1:sub-2')",
				      NULL, NULL, NULL),
			 0);
	doc = ask("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai%3Atest."
		  "example.org%3At-00000003");
	expect(doc, "count(//o:setSpec[.='coll-1'])", "0");
	expect(doc, "count(//o:setSpec[.='coll-1:sub-2'])", "1");
	xmlFreeDoc(doc);
}

static void
test_incremental_bounds(void **state)
{
	char *ids;
	int n;

	(void)state;
	assert_int_equal(sqlite3_exec(fx.r->db,
				      "UPDATE objects SET datestamp = "
				      "'2030-06-15T12:00:00Z' WHERE id IN "
				      "('t-00000010', 't-00000011')",
				      NULL, NULL, NULL),
			 0);
	/* Future datestamps lie beyond "now" (until defaults to now). */
	expect_error("verb=ListIdentifiers&metadataPrefix=oai_dc&"
		     "from=2030-06-15",
		     "noRecordsMatch", 1);
	fx.now = 1907712000 + 13 * 3600; /* 2030-06-15T13:00:00Z */
	ids = harvest("verb=ListIdentifiers&metadataPrefix=oai_dc&"
		      "from=2030-06-15&until=2030-06-15",
		      NULL, NULL);
	assert_int_equal(count_lines(ids), 2);
	free(ids);
	/* Inclusive seconds bounds. */
	ids = harvest("verb=ListIdentifiers&metadataPrefix=oai_dc&"
		      "from=2030-06-15T12:00:00Z&until=2030-06-15T12:00:00Z",
		      NULL, NULL);
	assert_int_equal(count_lines(ids), 2);
	free(ids);
	expect_error("verb=ListIdentifiers&metadataPrefix=oai_dc&"
		     "from=2030-06-15T12:00:01Z",
		     "noRecordsMatch", 1);
	n = db_count("SELECT count(*) FROM objects WHERE datestamp < "
		     "'2030-01-01'");
	ids = harvest("verb=ListIdentifiers&metadataPrefix=oai_dc&"
		      "until=2029-12-31T23:59:59Z",
		      NULL, NULL);
	assert_int_equal(count_lines(ids), n);
	free(ids);
	fx.now = time(NULL);
	assert_int_equal(sqlite3_exec(fx.r->db,
				      "UPDATE objects SET datestamp = "
				      "'2016-01-01T00:00:00Z' WHERE id IN "
				      "('t-00000010', 't-00000011')",
				      NULL, NULL, NULL),
			 0);
}

/* During a harvest: new records, an update of a record already sent,
 * a deletion of one not yet sent. */
static void
change_catalog(int page)
{
	char sql[2048], ds[VL_TIME_LEN];

	if (page != 3)
		return;
	vl_time_format(ds, fx.now);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO objects(id, created, datestamp, md_version) "
		 "SELECT 'new-' || id, '%s', '%s', 1 FROM objects LIMIT 5;"
		 "INSERT INTO metadata(object_id, version, format, xml, "
		 "created) SELECT 'new-' || object_id, 1, format, xml, '%s' "
		 "FROM metadata WHERE object_id IN (SELECT substr(id, 5) "
		 "FROM objects WHERE id LIKE 'new-%%');"
		 "UPDATE objects SET datestamp = '%s' WHERE id = '%s';"
		 "UPDATE objects SET datestamp = '%s', status = 'deleted' "
		 "WHERE id = '%s';",
		 ds, ds, ds, ds, "t-00000050", ds, "t-00000051");
	assert_int_equal(sqlite3_exec(fx.r->db, sql, NULL, NULL, NULL), 0);
}

static void
test_harvest_with_changes_between_pages(void **state)
{
	char *before, *during, *p, *after;
	int n = 0;

	(void)state;
	before = harvest("verb=ListIdentifiers&metadataPrefix=oai_dc", NULL,
			 NULL);
	/* t-00000050 must be sent before page 3 and t-00000051 after: put
	 * them at the two ends of the (datestamp, id) order. */
	assert_int_equal(sqlite3_exec(fx.r->db,
				      "UPDATE objects SET datestamp = "
				      "'2015-01-01T00:00:00Z' WHERE id = "
				      "'t-00000050';"
				      "UPDATE objects SET datestamp = "
				      "'2020-12-31T00:00:00Z' WHERE id = "
				      "'t-00000051'",
				      NULL, NULL, NULL),
			 0);
	fx.now = time(NULL) + 2;
	during = harvest("verb=ListIdentifiers&metadataPrefix=oai_dc",
			 change_catalog, NULL);
	/* Each record exactly once; the changed and new ones wait for the
	 * next incremental harvest; the unchanged ones are all there. */
	for (p = before; *p; p = strchr(p, '\n') + 1) {
		char id[128];
		size_t len = (size_t)(strchr(p, '\n') - p);
		char *q, *first;

		snprintf(id, sizeof(id), "\n%.*s\n", (int)len, p);
		first = strstr(during, id + 1) == during ? during
							 : strstr(during, id);
		q = first ? strstr(first + 1, id) : NULL;
		if (strstr(id, "t-00000051"))
			assert_null(first);
		else
			assert_non_null(first);
		assert_null(q);
		n++;
	}
	assert_null(strstr(during, "new-"));
	assert_int_equal(count_lines(during), n - 1);
	/* The next harvest, from the first request's time, has them. */
	fx.now += 5;
	{
		char args[200], from[VL_TIME_LEN];

		vl_time_format(from, fx.now - 7);
		snprintf(args, sizeof(args),
			 "verb=ListIdentifiers&metadataPrefix=oai_dc&from=%s",
			 from);
		after = harvest(args, NULL, NULL);
	}
	assert_non_null(strstr(after, "t-00000050"));
	assert_non_null(strstr(after, "t-00000051"));
	assert_int_equal(count_lines(after), 7);
	free(before);
	free(during);
	free(after);
	fx.now = time(NULL);
}

static void
test_forbidden_characters_in_catalog(void **state)
{
	xmlDocPtr doc;

	(void)state;
	assert_int_equal(
		sqlite3_exec(
			fx.r->db,
			"UPDATE metadata SET xml = "
			"'<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives."
			"org/OAI/2.0/oai_dc/\" xmlns:dc=\"http://purl.org/"
			"dc/elements/1.1/\" xmlns:xsi=\"http://www.w3.org/"
			"2001/XMLSchema-instance\" xsi:schemaLocation=\""
			"http://www.openarchives.org/OAI/2.0/oai_dc/ "
			"http://www.openarchives.org/OAI/2.0/oai_dc.xsd\">"
			"<dc:title>bad' || char(11) || ' &#12; ' || "
			"char(65534) || '</dc:title></oai_dc:dc>' "
			"WHERE object_id = 't-00000002' AND format = "
			"'oai_dc'",
			NULL, NULL, NULL),
		0);
	doc = ask("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai%3Atest."
		  "example.org%3At-00000002");
	expect(doc, "string(//*[local-name()='title'])",
	       "bad\xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD");
	xmlFreeDoc(doc);
}

/* A page sent again comes from the page cache until the catalog
 * changes; then the new content is sent. */
static void
test_page_cache_follows_catalog(void **state)
{
	const char *q = "verb=ListRecords&metadataPrefix=oai_dc&"
			"from=2015-01-01&until=2099-12-31";
	struct vl_buf a = VL_BUF_INIT, b = VL_BUF_INIT, c = VL_BUF_INIT;
	struct vl_err err = { 0 };

	(void)state;
	assert_int_equal(oai_respond(&a, fx.p, fx.d, q, fx.now, &err), 0);
	assert_int_equal(oai_respond(&b, fx.p, fx.d, q, fx.now, &err), 0);
	assert_string_equal(a.buf, b.buf);
	/* Changing metadata without its datestamp breaks C10, but shows
	 * that any catalog change drops the kept pages. */
	assert_int_equal(sqlite3_exec(fx.r->db,
				      "UPDATE metadata SET xml = replace(xml, "
				      "'<dc:date>', '<dc:date>changed ')",
				      NULL, NULL, NULL),
			 0);
	assert_int_equal(oai_respond(&c, fx.p, fx.d, q, fx.now, &err), 0);
	assert_non_null(strstr(c.buf, "<dc:date>changed "));
	assert_null(strstr(a.buf, "<dc:date>changed "));
	vl_buf_release(&a);
	vl_buf_release(&b);
	vl_buf_release(&c);
}

/* completeListSize of the first page of args ("" if it has no token). */
static char *
first_size(const char *args)
{
	xmlDocPtr doc = ask(args);
	char *size = xp(doc, "string(//o:resumptionToken/@completeListSize)");

	xmlFreeDoc(doc);
	return size;
}

#define MODS_LIST                                                        \
	"SELECT count(*) FROM objects o WHERE o.status = 'deleted' OR"   \
	" EXISTS (SELECT 1 FROM metadata m WHERE m.object_id = o.id AND" \
	" m.version = o.md_version AND m.format = 'mods')"

/* The first page's completeListSize is the number of entries the list
 * then has, also when some versions lack the asked format: whatever way
 * it is counted (a small set from its members, a narrow range along
 * objects_oai, a wide one over the table). */
static void
test_complete_list_size_exact(void **state)
{
	static const char *const lists[] = {
		"verb=ListRecords&metadataPrefix=mods",
		"verb=ListIdentifiers&metadataPrefix=mods",
		"verb=ListRecords&metadataPrefix=oai_dc",
		"verb=ListRecords&metadataPrefix=mods&set=coll-0",
		"verb=ListRecords&metadataPrefix=mods&set=coll-1",
		"verb=ListIdentifiers&metadataPrefix=mods&set=coll-1:sub-2",
		"verb=ListRecords&metadataPrefix=mods&from=2016-01-01",
		"verb=ListRecords&metadataPrefix=mods&until=2019-06-30",
		"verb=ListIdentifiers&metadataPrefix=mods&set=coll-0&"
		"from=2018-01-01&until=2021-12-31",
	};
	char want[32], *ids, *size;
	size_t i;
	int mods = 0, before;

	(void)state;
	before = db_count(MODS_LIST);
	/* Twelve live records lose their MODS (a version made by a tool
	 * that wrote only oai_dc): 12 fewer in every mods list. */
	assert_int_equal(
		sqlite3_exec(fx.r->db,
			     "CREATE TEMP TABLE kept AS SELECT * FROM metadata"
			     " WHERE format = 'mods' AND object_id IN (SELECT"
			     " id FROM objects WHERE status = 'active'"
			     " ORDER BY id DESC LIMIT 12);"
			     "DELETE FROM metadata WHERE rowid IN (SELECT"
			     " m.rowid FROM metadata m JOIN kept k ON"
			     " m.object_id = k.object_id AND m.version ="
			     " k.version AND m.format = 'mods')",
			     NULL, NULL, NULL),
		0);
	assert_int_equal(db_count(MODS_LIST), before - 12);
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		ids = harvest(lists[i], NULL, NULL);
		size = first_size(lists[i]);
		snprintf(want, sizeof(want), "%d", count_lines(ids));
		if (*size && strcmp(size, want))
			fail_msg("%s: completeListSize %s, %s entries",
				 lists[i], size, want);
		if (i == 0)
			mods = count_lines(ids);
		if (i == 2) /* the same records, those 12 included */
			assert_int_equal(count_lines(ids), mods + 12);
		xmlFree(size);
		free(ids);
	}
	assert_int_equal(sqlite3_exec(fx.r->db,
				      "INSERT INTO metadata SELECT * FROM kept;"
				      " DROP TABLE kept",
				      NULL, NULL, NULL),
			 0);
}

/* A few thousand generated requests: always a valid OAI-PMH answer. */
static void
test_random_requests(void **state)
{
	static const char *const keys[] = {
		"verb", "identifier",      "metadataPrefix", "from", "until",
		"set",  "resumptionToken", "Verb",           "foo",  "verb%00",
		"",
	};
	static const char *const vals[] = {
		"Identify",
		"ListRecords",
		"ListIdentifiers",
		"GetRecord",
		"ListSets",
		"ListMetadataFormats",
		"oai_dc",
		"mods",
		"",
		"oai%3Atest.example.org%3At-00000001",
		"2024-01-01",
		"2024-01-01T00:00:00Z",
		"2024-13-01",
		"coll-0",
		"coll-0%3Asub-2",
		"%FF%FE",
		"%01%0B",
		"%26%3C%3E%22",
		"a%20b",
		"%",
		"+",
		"%E2%82",
		"0000-01-01",
		"9999-12-31T23:59:59Z",
		"x%3Ay%3Az",
		"%5B",
		"AQUABm9haV9kYwAAAAAAFDIw",
		"%ED%A0%80",
	};
	static const char *const good[] = {
		"metadataPrefix=oai_dc",
		"metadataPrefix=mods",
		"identifier=oai%3Atest.example.org%3At-00000001",
		"identifier=oai%3Atest.example.org%3At-00000007",
		"from=2016-01-01",
		"until=2024-01-01T00:00:00Z",
		"from=2019-05-05T10:00:00Z",
		"set=coll-1",
		"set=coll-1%3Asub-2",
	};
	struct vl_buf a = VL_BUF_INIT;
	uint64_t r = 0x853c49e6748fea9bULL;
	int i, j, n, answered = 0, codes = 0;
	char seen[8][32] = { { 0 } };

	(void)state;
	for (i = 0; i < 3000; i++) {
		xmlDocPtr doc;
		char *code;

		vl_buf_reset(&a);
		n = 1 + (int)(r >> 62);
		for (j = 0; j < n; j++) {
			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
			if (j)
				vl_buf_addch(&a, '&');
			if (j == 0 && (r >> 61) != 0)
				/* usually a real verb first */
				vl_buf_addf(&a, "verb=%s", vals[(r >> 40) % 6]);
			else if (j && (r >> 62) != 0)
				/* usually a plausible argument */
				vl_buf_adds(
					&a,
					good[(r >> 40) %
					     (sizeof(good) / sizeof(good[0]))]);
			else
				vl_buf_addf(
					&a, "%s=%s",
					keys[(r >> 33) %
					     (sizeof(keys) / sizeof(keys[0]))],
					vals[(r >> 17) %
					     (sizeof(vals) / sizeof(vals[0]))]);
		}
		doc = ask(a.buf);
		code = xp(doc, "string(/o:OAI-PMH/o:error[1]/@code)");
		/* Any error is one of the eight codes (the schema checks
		 * that); a badVerb/badArgument has a bare request. */
		if (!strcmp(code, "badVerb") || !strcmp(code, "badArgument"))
			expect(doc, "count(/o:OAI-PMH/o:request/@*)", "0");
		if (!*code)
			answered++;
		for (j = 0; *code && j < codes && strcmp(seen[j], code); j++)
			;
		if (*code && j == codes && codes < 8)
			snprintf(seen[codes++], sizeof(seen[0]), "%s", code);
		xmlFree(code);
		xmlFreeDoc(doc);
	}
	/* The generator reaches real answers and most error codes. */
	print_message("%d answered, %d error codes\n", answered, codes);
	assert_true(answered > 100);
	assert_true(codes >= 6);
	vl_buf_release(&a);
}

int
main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_escape_replaces_forbidden),
		cmocka_unit_test(test_copy_repairs_stored_xml),
		cmocka_unit_test(test_args_decode_once),
		cmocka_unit_test(test_dates_both_granularities),
		cmocka_unit_test(test_identifiers_canonical),
		cmocka_unit_test(test_accept_encoding),
		cmocka_unit_test(test_token_roundtrip_and_tampering),
	};
	const struct CMUnitTest engine[] = {
		cmocka_unit_test(test_errors_and_echo),
		cmocka_unit_test(test_identify),
		cmocka_unit_test(test_full_harvests),
		cmocka_unit_test(test_deleted_and_sets),
		cmocka_unit_test(test_minimal_set_specs),
		cmocka_unit_test(test_incremental_bounds),
		cmocka_unit_test(test_harvest_with_changes_between_pages),
		cmocka_unit_test(test_forbidden_characters_in_catalog),
		cmocka_unit_test(test_page_cache_follows_catalog),
		cmocka_unit_test(test_complete_list_size_exact),
		cmocka_unit_test(test_random_requests),
	};
	int rc;

	rc = cmocka_run_group_tests_name("oai", unit, NULL, NULL);
	rc |= cmocka_run_group_tests_name("oai engine", engine, setup,
					  teardown);
	xmlCleanupParser();
	return rc;
}
