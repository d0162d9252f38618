/*
 * test_premis.c - the PREMIS 3 document written from the catalog.
 */
#include "testkit.h"

#include "../../ingest/ingest.h"

static void
exec_ok(struct repo *r, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(r->db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

static void
test_premis_from_catalog_is_schema_valid(void **state)
{
	struct repo_event ev = { .object_id = "obj-1",
				 .type = "ing",
				 .outcome = REPO_SUCCESS,
				 .detail = "program=\"vellum\"" };
	struct vl_buf xml = VL_BUF_INIT;
	struct vl_err err = { 0 };
	struct repo *r;
	char *dir = tk_tmpdir();

	(void)state;
	assert_int_equal(repo_init(dir, NULL, &err), 0);
	assert_int_equal(repo_open(&r, dir, &err), 0);
	exec_ok(r,
		"INSERT INTO objects(id, created, datestamp) VALUES("
		"'obj-1', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z');"
		"INSERT INTO files(object_id, path, kind, size, mime, format)"
		" VALUES('obj-1', 'data/a & b.png', 'payload', 70,"
		" 'image/png', 'PNG image data, 1 x 1'),"
		" ('obj-1', 'data/t.txt', 'payload', 4, NULL, NULL),"
		" ('obj-1', 'bagit.txt', 'tag', 10, 'text/plain', NULL);"
		"INSERT INTO digests VALUES('obj-1', 'data/t.txt', 'sha512',"
		" 'abc'), ('obj-1', 'data/t.txt', 'sha256', 'def'),"
		" ('obj-1', 'data/t.txt', 'blake2b512', '012');");
	assert_int_equal(repo_event_add(r, &ev, NULL, &err), 0);
	ev.type = "fix";
	ev.outcome = REPO_FAILURE;
	ev.file_path = "data/t.txt";
	ev.outcome_detail = "sha512 mismatch for data/t.txt";
	assert_int_equal(repo_event_add(r, &ev, NULL, &err), 0);
	assert_int_equal(ing_premis_xml(r, "obj-1", &xml, &err), 0);
	assert_int_equal(tk_xsd_valid(xml.buf, xml.len, "premis.xsd"), 0);
	assert_non_null(strstr(xml.buf, "eventType/fix\">fixity check<"));
	assert_non_null(strstr(xml.buf, "eventOutcome/fai\">failure<"));
	assert_non_null(strstr(xml.buf, "<originalName>data/a &amp; b.png<"));
	assert_non_null(strstr(xml.buf, "cryptographicHashFunctions/sha512\""
					">SHA-512<"));
	/* The tag file is not a payload object. */
	assert_null(strstr(xml.buf, "<originalName>bagit.txt<"));
	assert_non_null(strstr(xml.buf, "<agentName>tester<"));
	vl_buf_release(&xml);
	repo_close(r);
	tk_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_premis_from_catalog_is_schema_valid),
	};

	setenv("VELLUM_USER", "tester", 1);
	return cmocka_run_group_tests_name("premis", tests, NULL, NULL);
}
