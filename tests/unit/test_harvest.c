/*
 * test_harvest.c - the OAI-PMH harvester without a network: object ids
 * derived from OAI identifiers, provenance XML (validated against
 * provenance.xsd), the prolog check that keeps DTDs away from the
 * parser, the streaming response reader (records, deletions, tokens,
 * errors, Identify, ListMetadataFormats, hostile input), and the record
 * store's state machine over a real repository (new, unchanged,
 * changed, deleted, refused, revived, adopted), and the batches new
 * records are stored in by the storing thread.
 */
#include "testkit.h"

#include "../../oai/harvest_impl.h"

#define OAI_ROOT                                                   \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"             \
	"<OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\" " \
	"xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">" \
	"<responseDate>2024-03-01T10:00:00Z</responseDate>"        \
	"<request verb=\"ListRecords\">http://x.example.org/oai</request>"
#define DC(title)                                                            \
	"<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/"     \
	"oai_dc/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "           \
	"xsi:schemaLocation=\"http://www.openarchives.org/OAI/2.0/oai_dc/"   \
	" http://www.openarchives.org/OAI/2.0/oai_dc.xsd\"><dc:title>" title \
	"</dc:title></oai_dc:dc>"

/* ---- ids ---- */

static void
test_object_id_forms(void **state)
{
	char id[129], id2[129], big[400];
	struct vl_err err;

	(void)state;
	oai_harvest_object_id(id, "lib1", "oai:lib1.example.org:item-7", 0);
	assert_string_equal(id, "lib1-item-7");
	/* Not an oai-identifier: the whole identifier is the local part. */
	oai_harvest_object_id(id, "lib1", "urn-x.y_z", 0);
	assert_string_equal(id, "lib1-urn-x.y_z");
	/* Unsafe characters: sanitized, with a hash of the identifier. */
	oai_harvest_object_id(id, "arx", "oai:arXiv.org:hep-th/9901001", 0);
	assert_int_equal(strncmp(id, "arx-hep-th_9901001-", 19), 0);
	assert_int_equal(strlen(id), 19 + 16);
	assert_int_equal(ing_id_check(id, &err), 0);
	/* Two identifiers that sanitize alike stay apart. */
	oai_harvest_object_id(id2, "arx", "oai:arXiv.org:hep-th_9901001", 1);
	assert_string_not_equal(id, id2);
	/* Stable. */
	oai_harvest_object_id(id2, "arx", "oai:arXiv.org:hep-th/9901001", 0);
	assert_string_equal(id, id2);
	/* Forced hash form. */
	oai_harvest_object_id(id, "lib1", "oai:lib1.example.org:item-7", 1);
	assert_int_equal(strncmp(id, "lib1-item-7-", 12), 0);
	/* Too long: cut, hashed, valid, with room for ".N". */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	oai_harvest_object_id(id, "a-very-long-source-name-here-012", big, 0);
	assert_true(strlen(id) <= 124);
	assert_int_equal(ing_id_check(id, &err), 0);
	/* Nothing usable at all. */
	oai_harvest_object_id(id, "s", "oai:x.org://///", 0);
	assert_int_equal(ing_id_check(id, &err), 0);
	oai_harvest_object_id(id, "s", "\xC3\xA9\xC3\xA9", 0);
	assert_int_equal(ing_id_check(id, &err), 0);
}

static void
test_source_names(void **state)
{
	struct vl_err err;

	(void)state;
	assert_int_equal(oai_source_name_check("lib-1.x_y", &err), 0);
	assert_int_equal(oai_source_name_check("-x", &err), VL_E_INVAL);
	assert_int_equal(oai_source_name_check("a b", &err), VL_E_INVAL);
	assert_int_equal(oai_source_name_check("", &err), VL_E_INVAL);
	assert_int_equal(oai_source_name_check(
				 "0123456789012345678901234567890123", &err),
			 VL_E_INVAL);
}

/* ---- provenance ---- */

static void
test_provenance_is_schema_valid(void **state)
{
	struct vl_buf b = VL_BUF_INIT;
	struct oai_provenance p = {
		.base_url = "http://x.example.org/oai?a=1&b=2",
		.identifier = "oai:x.example.org:a<b>",
		.datestamp = "2024-01-02",
		.ns = "http://www.openarchives.org/OAI/2.0/oai_dc/",
		.harvest_date = "2024-03-01T10:00:00Z",
		.altered = 1,
	};
	const char origin[] =
		"<originDescription xmlns=\"http://www.openarchives.org/OAI/"
		"2.0/provenance\" harvestDate=\"2023-01-01\" altered=\"false\">"
		"<baseURL>http://first.example.org/oai</baseURL><identifier>"
		"oai:first:1</identifier><datestamp>2022-12-31T00:00:00Z"
		"</datestamp><metadataNamespace>http://www.openarchives.org/"
		"OAI/2.0/oai_dc/</metadataNamespace></originDescription>";

	(void)state;
	assert_int_equal(oai_provenance_xml(&b, &p), 0);
	assert_non_null(strstr(b.buf, "a=1&amp;b=2"));
	assert_non_null(strstr(b.buf, "a&lt;b&gt;"));
	assert_int_equal(tk_xsd_valid(b.buf, b.len, "provenance.xsd"), 0);
	vl_buf_reset(&b);
	p.origin = origin;
	p.origin_len = sizeof(origin) - 1;
	assert_int_equal(oai_provenance_xml(&b, &p), 0);
	assert_int_equal(tk_xsd_valid(b.buf, b.len, "provenance.xsd"), 0);
	vl_buf_release(&b);
}

/* ---- the prolog ---- */

static int
prolog(const char *s, int eof)
{
	struct vl_err err;

	return hv_prolog_check(s, strlen(s), eof, &err);
}

static void
test_prolog_check(void **state)
{
	struct vl_err err;

	(void)state;
	assert_int_equal(
		prolog("<?xml version=\"1.0\"?>\n<!-- hi -->\n<OAI-PMH>", 0),
		1);
	assert_int_equal(prolog("\xEF\xBB\xBF<OAI-PMH/>", 1), 1);
	assert_int_equal(prolog("<?xml version=\"1.0\"?>", 0), 0);
	assert_int_equal(prolog("<?xml ", 0), 0);
	assert_int_equal(prolog("", 1), VL_E_FORMAT);
	assert_int_equal(prolog("<?xml version=\"1.0\"?>", 1), VL_E_FORMAT);
	assert_int_equal(prolog("<!DOCTYPE x [<!ENTITY a \"b\">]><x/>", 0),
			 VL_E_UNSAFE);
	assert_int_equal(prolog("<?xml version=\"1.0\"?><!DOCTYPE x SYSTEM "
				"\"file:///etc/passwd\"><x/>",
				0),
			 VL_E_UNSAFE);
	assert_int_equal(prolog("<!doctype html><html>", 0), VL_E_FORMAT);
	assert_int_equal(prolog("<html><body>", 0), VL_E_FORMAT);
	assert_int_equal(prolog("{\"json\": true}", 0), VL_E_FORMAT);
	assert_int_equal(hv_prolog_check("\xFF\xFE<\0x\0", 6, 0, &err),
			 VL_E_FORMAT);
	assert_non_null(strstr(err.msg, "UTF-16"));
}

/* ---- the reader ---- */

struct seen {
	int n;
	char ids[16][64];
	int deleted[16];
	size_t nsets[16];
	char problem[16][80];
	char first_xml[1024];
	char origin[1024];
	int stop_at; /* return an error at this record (1-based), or 0 */
};

static int
collect(void *ctx, const struct hv_record *r, struct vl_err *err)
{
	struct seen *s = ctx;

	if (s->stop_at && s->n + 1 == s->stop_at)
		return vl_err_set(err, VL_E_IO, "stop here");
	if (s->n < 16) {
		snprintf(s->ids[s->n], 64, "%s", r->identifier);
		s->deleted[s->n] = r->deleted;
		s->nsets[s->n] = r->nsets;
		snprintf(s->problem[s->n], 80, "%s",
			 r->problem ? r->problem : "");
		if (s->n == 0 && r->xml)
			snprintf(s->first_xml, sizeof(s->first_xml), "%.*s",
				 (int)r->len, r->xml);
		if (r->origin)
			snprintf(s->origin, sizeof(s->origin), "%.*s",
				 (int)r->origin_len, r->origin);
	}
	s->n++;
	return 0;
}

static int
parse(const char *doc, const char *prefix, struct seen *s,
      struct hv_response *resp, struct vl_err *err)
{
	xmlTextReaderPtr rd;
	int rc;

	rd = xmlReaderForMemory(doc, (int)strlen(doc), "test.xml", NULL,
				hv_parse_options());
	assert_non_null(rd);
	rc = hv_parse(rd, prefix, s ? collect : NULL, s, resp, err);
	xmlFreeTextReader(rd);
	return rc;
}

static void
test_parse_list_records(void **state)
{
	const char doc[] = OAI_ROOT
		"<ListRecords>"
		"<record><header><identifier>oai:x:1</identifier>"
		"<datestamp>2024-01-01</datestamp><setSpec>a</setSpec>"
		"<setSpec>a:b</setSpec></header><metadata>" DC(
			"One &amp; &#233;") "</metadata>"
					    "<about><provenance xmlns=\"http://"
					    "www.openarchives.org/OAI/2.0/"
					    "provenance\"><originDescription "
					    "harvestDate=\"2023-01-01\" "
					    "altered=\"false\"><baseURL>u</"
					    "baseURL><identifier>i</"
					    "identifier><datestamp>2023-01-01"
					    "</datestamp><metadataNamespace>n"
					    "</metadataNamespace></"
					    "originDescription></provenance>"
					    "</about></record>\n"
					    "<record><header "
					    "status=\"deleted\"><identifier>"
					    "oai:x:2"
					    "</"
					    "identifier><datestamp>2024-01-02</"
					    "datestamp></header>"
					    "</record>"
					    "<record><header><datestamp>2024-"
					    "01-03</datestamp></header>"
					    "<metadata>" DC(
						    "No id") "</metadata></"
							     "record>"
							     "<record><header><"
							     "identifier>oai:x:"
							     "4</"
							     "identifier><"
							     "datestamp>"
							     "2024-01-04</"
							     "datestamp></"
							     "header><"
							     "metadata>" DC("a") DC(
								     "b") "</"
									  "meta"
									  "data"
									  "></"
									  "reco"
									  "rd>"
									  "<rec"
									  "ord>"
									  "<hea"
									  "der>"
									  "<ide"
									  "ntif"
									  "ier>"
									  "oai:"
									  "x:5<"
									  "/ide"
									  "ntif"
									  "ier>"
									  "<dat"
									  "esta"
									  "mp>"
									  "2024"
									  "-01-"
									  "05</"
									  "date"
									  "stam"
									  "p></"
									  "head"
									  "er><"
									  "/rec"
									  "ord>"
									  "<res"
									  "umpt"
									  "ionT"
									  "oken"
									  " cur"
									  "sor="
									  "\"0"
									  "\" "
									  "comp"
									  "lete"
									  "List"
									  "Size"
									  "=\"1"
									  "2\">"
									  "tok/"
									  "1+2<"
									  "/res"
									  "umpt"
									  "ionT"
									  "oken"
									  "></"
									  "List"
									  "Reco"
									  "rds>"
									  "</"
									  "OAI-"
									  "PMH"
									  ">";
	struct hv_response resp;
	struct seen s = { 0 };
	struct vl_err err = { 0 };

	(void)state;
	assert_int_equal(parse(doc, NULL, &s, &resp, &err), 0);
	assert_string_equal(resp.verb, "ListRecords");
	assert_string_equal(resp.response_date, "2024-03-01T10:00:00Z");
	assert_int_equal(s.n, 5);
	assert_int_equal(resp.records, 5);
	assert_string_equal(s.ids[0], "oai:x:1");
	assert_int_equal(s.nsets[0], 2);
	assert_string_equal(s.problem[0], "");
	/* Standalone: xsi (declared on the root) is declared again. */
	assert_non_null(strstr(s.first_xml, "xmlns:xsi="));
	assert_non_null(strstr(s.first_xml, "One &amp; \xC3\xA9"));
	assert_int_equal(
		tk_xsd_valid(s.first_xml, strlen(s.first_xml), "oai_dc.xsd"),
		0);
	assert_non_null(strstr(s.origin, "<originDescription"));
	assert_int_equal(s.deleted[1], 1);
	assert_string_equal(s.problem[1], "");
	assert_non_null(strstr(s.problem[2], "identifier"));
	assert_non_null(strstr(s.problem[3], "more than one"));
	assert_non_null(strstr(s.problem[4], "without metadata"));
	assert_int_equal(resp.has_token, 1);
	assert_string_equal(resp.token, "tok/1+2");
	assert_int_equal(resp.cursor, 0);
	assert_int_equal(resp.size, 12);
	hv_response_release(&resp);
}

static void
test_parse_last_page_and_errors(void **state)
{
	struct hv_response resp;
	struct seen s = { 0 };
	struct vl_err err = { 0 };

	(void)state;
	/* The last page: an empty token. */
	assert_int_equal(
		parse(OAI_ROOT
		      "<ListRecords><record><header>"
		      "<identifier>a</identifier><datestamp>"
		      "2024-01-01</datestamp></header>"
		      "<metadata>" DC(
			      "x") "</metadata>"
				   "</record><resumptionToken "
				   "completeListSize=\"5\" cursor=\"4\"/>"
				   "</ListRecords></OAI-PMH>",
		      NULL, &s, &resp, &err),
		0);
	assert_int_equal(resp.has_token, 1);
	assert_null(resp.token);
	hv_response_release(&resp);
	/* OAI-PMH errors are answers. */
	assert_int_equal(parse(OAI_ROOT "<error code=\"badResumptionToken\">"
					"expired</error><error code=\"x\"/>"
					"</OAI-PMH>",
			       NULL, NULL, &resp, &err),
			 0);
	assert_string_equal(resp.error_code, "badResumptionToken");
	assert_string_equal(resp.error_msg, "expired");
	assert_int_equal(resp.nerrors, 2);
	hv_response_release(&resp);
	/* Not OAI-PMH. */
	assert_int_equal(
		parse("<html><body>hi</body></html>", NULL, NULL, &resp, &err),
		VL_E_FORMAT);
	assert_non_null(strstr(err.msg, "HTML"));
	hv_response_release(&resp);
	assert_int_equal(
		parse("<OAI-PMH><x/></OAI-PMH>", NULL, NULL, &resp, &err),
		VL_E_FORMAT);
	hv_response_release(&resp);
	/* Not well-formed: the line is named. */
	assert_int_equal(parse(OAI_ROOT "\n<ListRecords>\n<record>&nbsp;"
					"</ListRecords>",
			       NULL, &s, &resp, &err),
			 VL_E_FORMAT);
	assert_non_null(strstr(err.msg, "line"));
	hv_response_release(&resp);
	/* A bad responseDate is left empty. */
	assert_int_equal(parse("<OAI-PMH xmlns=\"http://www.openarchives.org/"
			       "OAI/2.0/\"><responseDate>2024-01-01T10:00:00"
			       "+02:00</responseDate></OAI-PMH>",
			       NULL, NULL, &resp, &err),
			 0);
	assert_string_equal(resp.response_date, "");
	hv_response_release(&resp);
	/* A callback's error stops the parse and comes back. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(parse(OAI_ROOT "<ListRecords><record/><record/>"
					"<record/></ListRecords></OAI-PMH>",
			       NULL, &s, &resp, &err),
			 VL_E_IO);
	assert_int_equal(s.n, 1);
	hv_response_release(&resp);
}

static void
test_parse_identify_and_formats(void **state)
{
	struct hv_response resp;
	struct vl_err err = { 0 };

	(void)state;
	assert_int_equal(
		parse(OAI_ROOT
		      "<Identify><repositoryName>R</repositoryName>"
		      "<baseURL>http://x/oai</baseURL><protocolVersion>"
		      "2.0</protocolVersion><adminEmail>a@b.c"
		      "</adminEmail><earliestDatestamp>2000-01-01"
		      "</earliestDatestamp><deletedRecord>transient"
		      "</deletedRecord><granularity>YYYY-MM-DD"
		      "</granularity></Identify></OAI-PMH>",
		      NULL, NULL, &resp, &err),
		0);
	assert_string_equal(resp.verb, "Identify");
	assert_string_equal(resp.granularity, "YYYY-MM-DD");
	assert_string_equal(resp.protocol, "2.0");
	assert_string_equal(resp.deleted_record, "transient");
	assert_string_equal(resp.base_url, "http://x/oai");
	hv_response_release(&resp);
	assert_int_equal(
		parse(OAI_ROOT
		      "<ListMetadataFormats><metadataFormat>"
		      "<metadataPrefix>oai_dc</metadataPrefix><schema>s"
		      "</schema><metadataNamespace>ns-dc"
		      "</metadataNamespace></metadataFormat>"
		      "<metadataFormat><metadataPrefix>mods"
		      "</metadataPrefix><schema>s</schema>"
		      "<metadataNamespace>ns-mods</metadataNamespace>"
		      "</metadataFormat></ListMetadataFormats>"
		      "</OAI-PMH>",
		      "mods", NULL, &resp, &err),
		0);
	assert_int_equal(resp.prefix_found, 1);
	assert_string_equal(resp.prefix_ns, "ns-mods");
	hv_response_release(&resp);
}

static void
test_parse_is_safe(void **state)
{
	struct hv_response resp;
	struct seen s = { 0 };
	struct vl_err err = { 0 };

	(void)state;
	/* Even if the prolog check were bypassed, no entity is expanded
	 * and no external file is read. */
	assert_int_equal(
		parse("<?xml version=\"1.0\"?><!DOCTYPE OAI-PMH [<!ENTITY x "
		      "SYSTEM \"file:///etc/passwd\">]><OAI-PMH xmlns=\""
		      "http://www.openarchives.org/OAI/2.0/\"><ListRecords>"
		      "<record><header><identifier>&x;</identifier>"
		      "<datestamp>2024-01-01</datestamp></header><metadata>"
		      "<x xmlns=\"urn:x\">&x;</x></metadata></record>"
		      "</ListRecords></OAI-PMH>",
		      NULL, &s, &resp, &err),
		0);
	assert_int_equal(s.n, 1);
	assert_null(strstr(s.ids[0], "root:"));
	hv_response_release(&resp);
}

/* Many records through the streaming reader. */
static void
test_parse_many_records(void **state)
{
	struct vl_buf doc = VL_BUF_INIT;
	struct hv_response resp;
	struct seen s = { 0 };
	struct vl_err err = { 0 };
	int i;

	(void)state;
	vl_buf_adds(&doc, OAI_ROOT "<ListRecords>");
	for (i = 0; i < 5000; i++)
		vl_buf_addf(&doc,
			    "<record><header><identifier>oai:x:%d</identifier>"
			    "<datestamp>2024-01-01</datestamp></header>"
			    "<metadata>" DC("t") "</metadata></record>",
			    i);
	vl_buf_adds(&doc, "</ListRecords></OAI-PMH>");
	assert_int_equal(parse(doc.buf, NULL, &s, &resp, &err), 0);
	assert_int_equal(s.n, 5000);
	assert_int_equal(resp.has_token, 0);
	hv_response_release(&resp);
	vl_buf_release(&doc);
}

/* ---- the store ---- */

struct fixture {
	char *dir;
	struct repo *r;
	struct hv_store *st;
	int rejected;
};

static void
on_note(void *ctx, enum oai_harvest_note kind, const char *msg)
{
	struct fixture *f = ctx;

	(void)msg;
	if (kind == OAI_HARVEST_REJECTED)
		f->rejected++;
}

static int
store_open(void **state, unsigned batch)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct hv_store_opts so = { .source = "src",
				    .base_url = "http://src.example.org/oai",
				    .collection = "src",
				    .user = "tester" };
	struct vl_err err = { 0 };
	char path[4200];

	assert_non_null(f);
	f->dir = tk_tmpdir();
	snprintf(path, sizeof(path), "%s/repo", f->dir);
	assert_int_equal(repo_init(path, NULL, &err), 0);
	assert_int_equal(repo_open(&f->r, path, &err), 0);
	so.warn = on_note;
	so.ctx = f;
	so.batch = batch;
	assert_int_equal(hv_store_open(&f->st, f->r, &so, &err), 0);
	*state = f;
	return 0;
}

static int
store_setup(void **state)
{
	return store_open(state, 0);
}

static int
batch_setup(void **state)
{
	return store_open(state, 3);
}

static int
store_teardown(void **state)
{
	struct fixture *f = *state;

	hv_store_free(f->st);
	repo_close(f->r);
	tk_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void
rec_init(struct hv_record *r, const char *id, const char *ds, const char *xml)
{
	memset(r, 0, sizeof(*r));
	r->identifier = id;
	r->datestamp = ds;
	r->xml = xml;
	r->len = xml ? strlen(xml) : 0;
	r->ns = "http://www.openarchives.org/OAI/2.0/oai_dc/";
}

static const char *
col(struct repo *r, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(r->db, sql, -1, &st, NULL), 0);
	out[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, n, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

#define XML1                                                             \
	"<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/" \
	"oai_dc/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"       \
	"<dc:title>First</dc:title></oai_dc:dc>"
#define XML2                                                             \
	"<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/" \
	"oai_dc/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"       \
	"<dc:title>Second</dc:title></oai_dc:dc>"
#define NOTITLE                                                          \
	"<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/" \
	"oai_dc/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"       \
	"<dc:creator>Nobody</dc:creator></oai_dc:dc>"

static void
test_store_lifecycle(void **state)
{
	struct fixture *f = *state;
	const struct hv_counts *c = hv_store_counts(f->st);
	struct hv_record r;
	struct vl_err err = { 0 };
	char v[4096];

	rec_init(&r, "oai:src.example.org:a", "2024-01-01T00:00:00Z", XML1);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	assert_int_equal(c->added, 1);
	assert_int_equal(hv_store_flush(f->st, &err), 0);
	/* Metadata-only, in the catalog alone: no bag, no files. */
	assert_string_equal(col(f->r,
				"SELECT count(*) FROM objects WHERE"
				" storage_key IS NULL AND payload_digest IS"
				" NULL",
				v, sizeof(v)),
			    "1");
	assert_string_equal(
		col(f->r, "SELECT count(*) FROM files", v, sizeof(v)), "0");
	assert_string_equal(col(f->r,
				"SELECT group_concat(type) FROM events WHERE"
				" object_id = 'src-a'",
				v, sizeof(v)),
			    "ing");
	assert_string_equal(col(f->r,
				"SELECT group_concat(format) FROM (SELECT"
				" format FROM metadata WHERE object_id ="
				" 'src-a' ORDER BY format)",
				v, sizeof(v)),
			    "dcterms,mods,oai_dc,provenance,source");
	assert_string_equal(col(f->r,
				"SELECT title FROM objects WHERE id ="
				" 'src-a'",
				v, sizeof(v)),
			    "First");
	assert_string_equal(
		col(f->r, "SELECT source FROM objects", v, sizeof(v)),
		"oai:src.example.org:a");
	col(f->r,
	    "SELECT xml FROM metadata WHERE object_id = 'src-a' AND"
	    " format = 'provenance'",
	    v, sizeof(v));
	assert_int_equal(tk_xsd_valid(v, strlen(v), "provenance.xsd"), 0);
	assert_non_null(strstr(v, "<datestamp>2024-01-01T00:00:00Z<"));
	/* The same bytes again: nothing. */
	rec_init(&r, "oai:src.example.org:a", "2024-01-05T00:00:00Z", XML1);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	assert_int_equal(c->unchanged, 1);
	assert_string_equal(
		col(f->r, "SELECT md_version FROM objects", v, sizeof(v)), "1");
	/* Changed: a new version. */
	rec_init(&r, "oai:src.example.org:a", "2024-02-01T00:00:00Z", XML2);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	assert_int_equal(c->updated, 1);
	assert_string_equal(col(f->r,
				"SELECT md_version || title FROM"
				" objects",
				v, sizeof(v)),
			    "2Second");
	/* A refused change: the object keeps version 2, the map says why. */
	rec_init(&r, "oai:src.example.org:a", "2024-02-02T00:00:00Z", NOTITLE);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	assert_int_equal(c->rejected, 1);
	assert_int_equal(f->rejected, 1);
	assert_string_equal(
		col(f->r, "SELECT md_version FROM objects", v, sizeof(v)), "2");
	assert_non_null(strstr(
		col(f->r, "SELECT problem FROM harvest_records", v, sizeof(v)),
		"title"));
	/* Deleted: a tombstone. */
	rec_init(&r, "oai:src.example.org:a", "2024-03-01T00:00:00Z", NULL);
	r.deleted = 1;
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	assert_int_equal(c->deleted, 1);
	assert_string_equal(
		col(f->r, "SELECT status FROM objects", v, sizeof(v)),
		"deleted");
	assert_non_null(strstr(
		col(f->r, "SELECT delete_reason FROM objects", v, sizeof(v)),
		"harvest source 'src'"));
	/* Deleted again: nothing more. */
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	assert_int_equal(c->deleted, 1);
	/* Back at the source: a new object, the old id is never reused. */
	rec_init(&r, "oai:src.example.org:a", "2024-04-01T00:00:00Z", XML1);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	assert_int_equal(c->added, 2);
	assert_int_equal(hv_store_flush(f->st, &err), 0);
	col(f->r, "SELECT object_id FROM harvest_records", v, sizeof(v));
	assert_int_equal(strncmp(v, "src-a-", 6), 0);
	assert_string_equal(
		col(f->r, "SELECT count(*) FROM objects", v, sizeof(v)), "2");
}

static void
test_store_refusals_and_adoption(void **state)
{
	struct fixture *f = *state;
	const struct hv_counts *c = hv_store_counts(f->st);
	struct hv_record r;
	struct vl_err err = { 0 };
	char v[256];

	rec_init(&r, "oai:src.example.org:b", "2024-13-45", XML1);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	rec_init(&r, "oai:src.example.org:c", "2024-01-01", NOTITLE);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	rec_init(&r, "oai:src.example.org:d", "2024-01-01",
		 "<x xmlns=\"urn:other\"><t>?</t></x>");
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	rec_init(&r, "oai:src.example.org:e", "2024-01-01", XML1);
	r.problem = "a record without metadata";
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	assert_int_equal(c->rejected, 4);
	assert_int_equal(c->added, 0);
	assert_string_equal(col(f->r,
				"SELECT count(*) FROM harvest_records WHERE"
				" status = 'rejected' AND object_id IS NULL",
				v, sizeof(v)),
			    "4");
	/* Stored, then the map row lost (a crash between the two
	 * commits): adopted, not duplicated. */
	rec_init(&r, "oai:src.example.org:f", "2024-01-01", XML1);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	assert_int_equal(hv_store_flush(f->st, &err), 0);
	assert_int_equal(sqlite3_exec(f->r->db,
				      "DELETE FROM harvest_records WHERE"
				      " identifier = 'oai:src.example.org:f'",
				      NULL, NULL, NULL),
			 0);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	assert_int_equal(c->added, 1);
	assert_int_equal(c->unchanged, 1);
	assert_string_equal(col(f->r,
				"SELECT object_id FROM harvest_records WHERE"
				" identifier = 'oai:src.example.org:f'",
				v, sizeof(v)),
			    "src-f");
	/* An object of that id that is not this record: the hash form. */
	rec_init(&r, "oai:other.example.org:f", "2024-01-01", XML2);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	assert_int_equal(hv_store_flush(f->st, &err), 0);
	assert_int_equal(c->added, 2);
	col(f->r,
	    "SELECT object_id FROM harvest_records WHERE identifier ="
	    " 'oai:other.example.org:f'",
	    v, sizeof(v));
	assert_int_equal(strncmp(v, "src-f-", 6), 0);
}

/* New records wait for the batch, then are stored in one transaction by
 * the storing thread, while more are held; the same identifier twice
 * stores the first before the second. */
static void
test_batch_store(void **state)
{
	struct fixture *f = *state;
	const struct hv_counts *c = hv_store_counts(f->st);
	struct hv_record r;
	struct vl_err err = { 0 };
	char v[4096];

	rec_init(&r, "oai:src.example.org:a", "2024-01-01", XML1);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	rec_init(&r, "oai:src.example.org:b", "2024-01-01", XML2);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	/* Held (and counted), not stored yet. */
	assert_int_equal(c->added, 2);
	assert_string_equal(
		col(f->r, "SELECT count(*) FROM objects", v, sizeof(v)), "0");
	/* The same identifier again: the batch is stored first, then the
	 * record is found unchanged. */
	rec_init(&r, "oai:src.example.org:a", "2024-01-01", XML1);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	assert_int_equal(c->added, 2);
	assert_int_equal(c->unchanged, 1);
	assert_string_equal(
		col(f->r, "SELECT count(*) FROM objects", v, sizeof(v)), "2");
	/* A full batch (3) is handed to the storing thread; the next
	 * records are held meanwhile. */
	rec_init(&r, "oai:src.example.org:c", "2024-01-01", XML1);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	rec_init(&r, "oai:src.example.org:d", "2024-01-01", XML1);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	rec_init(&r, "oai:other.example.org:d", "2024-01-01", XML2);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	rec_init(&r, "oai:src.example.org:e", "2024-01-01", XML2);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	assert_int_equal(c->added, 6);
	assert_int_equal(hv_store_flush(f->st, &err), 0);
	/* Two identifiers that want one id in one batch. */
	col(f->r,
	    "SELECT object_id FROM harvest_records WHERE identifier ="
	    " 'oai:other.example.org:d'",
	    v, sizeof(v));
	assert_int_equal(strncmp(v, "src-d-", 6), 0);
	assert_int_equal(hv_store_flush(f->st, &err), 0);
	assert_string_equal(col(f->r,
				"SELECT count(*) FROM objects o JOIN"
				" harvest_records h ON h.object_id = o.id"
				" WHERE o.md_version = 1 AND o.storage_key"
				" IS NULL",
				v, sizeof(v)),
			    "6");
	assert_string_equal(col(f->r,
				"SELECT count(*) FROM object_collections"
				" WHERE spec = 'src'",
				v, sizeof(v)),
			    "6");
	assert_string_equal(col(f->r,
				"SELECT count(*) FROM events WHERE type ="
				" 'ing'",
				v, sizeof(v)),
			    "6");
	col(f->r,
	    "SELECT xml FROM metadata WHERE object_id = 'src-e' AND format ="
	    " 'provenance'",
	    v, sizeof(v));
	assert_int_equal(tk_xsd_valid(v, strlen(v), "provenance.xsd"), 0);
	/* Held records are dropped, never half-stored, when the store
	 * closes without a flush. */
	rec_init(&r, "oai:src.example.org:f", "2024-01-01", XML2);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	assert_string_equal(
		col(f->r, "SELECT count(*) FROM objects", v, sizeof(v)), "6");
}

/* What a page saves with its records: runs on the storing thread. */
static int
save_mark(void *ctx, struct repo *r, struct vl_err *err)
{
	(void)ctx;
	return sqlite3_exec(r->db,
			    "INSERT INTO settings VALUES('test_mark', 'x')",
			    NULL, NULL, NULL) == SQLITE_OK
		       ? 0
		       : repo_db_err(r->db, err, "catalog");
}

/* A batch that cannot be stored: none of it is, nor what was to be
 * saved with it; the failure is reported, the records are no longer
 * counted, and they are stored when sent again. */
static void
test_batch_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	const struct hv_counts *c = hv_store_counts(f->st);
	struct hv_then then = { .fn = save_mark };
	struct hv_record r;
	struct vl_err err = { 0 };
	char v[256];

	/* The second record's map row fails inside the transaction. */
	assert_int_equal(sqlite3_exec(f->r->db,
				      "CREATE TRIGGER fail_b BEFORE INSERT ON"
				      " harvest_records WHEN NEW.identifier ="
				      " 'oai:src.example.org:b' BEGIN SELECT"
				      " RAISE(ABORT, 'injected'); END",
				      NULL, NULL, NULL),
			 0);
	rec_init(&r, "oai:src.example.org:a", "2024-01-01", XML1);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	rec_init(&r, "oai:src.example.org:b", "2024-01-01", XML2);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	assert_int_equal(hv_store_page_done(f->st, &then, 1, &err), 0);
	assert_int_equal(hv_store_settle(f->st, &err), VL_E_DB);
	assert_non_null(strstr(err.msg, "injected"));
	assert_int_equal(c->added, 0);
	assert_string_equal(
		col(f->r, "SELECT count(*) FROM objects", v, sizeof(v)), "0");
	assert_string_equal(
		col(f->r, "SELECT count(*) FROM harvest_records", v, sizeof(v)),
		"0");
	assert_string_equal(col(f->r,
				"SELECT count(*) FROM settings WHERE key ="
				" 'test_mark'",
				v, sizeof(v)),
			    "0");
	/* Reported once. */
	assert_int_equal(hv_store_settle(f->st, &err), 0);
	assert_int_equal(
		sqlite3_exec(f->r->db, "DROP TRIGGER fail_b", NULL, NULL, NULL),
		0);
	/* Sent again (the page is asked again): stored this time. */
	rec_init(&r, "oai:src.example.org:a", "2024-01-01", XML1);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	rec_init(&r, "oai:src.example.org:b", "2024-01-01", XML2);
	assert_int_equal(hv_store_record(f->st, &r, &err), 0);
	then.fn = save_mark;
	assert_int_equal(hv_store_page_done(f->st, &then, 1, &err), 0);
	assert_int_equal(hv_store_settle(f->st, &err), 0);
	assert_int_equal(c->added, 2);
	assert_string_equal(
		col(f->r, "SELECT count(*) FROM objects", v, sizeof(v)), "2");
	assert_string_equal(col(f->r,
				"SELECT count(*) FROM settings WHERE key ="
				" 'test_mark'",
				v, sizeof(v)),
			    "1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_object_id_forms),
		cmocka_unit_test(test_source_names),
		cmocka_unit_test(test_provenance_is_schema_valid),
		cmocka_unit_test(test_prolog_check),
		cmocka_unit_test(test_parse_list_records),
		cmocka_unit_test(test_parse_last_page_and_errors),
		cmocka_unit_test(test_parse_identify_and_formats),
		cmocka_unit_test(test_parse_is_safe),
		cmocka_unit_test(test_parse_many_records),
		cmocka_unit_test_setup_teardown(test_store_lifecycle,
						store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(
			test_store_refusals_and_adoption, store_setup,
			store_teardown),
		cmocka_unit_test_setup_teardown(
			test_store_refusals_and_adoption, batch_setup,
			store_teardown),
		cmocka_unit_test_setup_teardown(test_batch_store, batch_setup,
						store_teardown),
		cmocka_unit_test_setup_teardown(test_batch_all_or_nothing,
						batch_setup, store_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
