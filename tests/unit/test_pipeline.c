/*
 * test_pipeline.c - the ingest pipeline with a test describe callback:
 * directory, bag and archive sources, the catalog rows, the stored bag,
 * duplicates, dry runs and refusals that leave nothing behind.
 */
#include "testkit.h"

#include <sys/stat.h>

#include "../../ingest/ingest.h"

struct fixture {
	char *dir, *src;
	struct repo *r;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct vl_err err = { 0 };
	char p[4200];

	f->dir = tk_tmpdir();
	snprintf(p, sizeof(p), "%s/repo", f->dir);
	assert_int_equal(repo_init(p, NULL, &err), 0);
	assert_int_equal(repo_open(&f->r, p, &err), 0);
	snprintf(p, sizeof(p), "%s/src", f->dir);
	f->src = strdup(p);
	assert_int_equal(vl_mkdirs(f->src, 0755, &err), 0);
	snprintf(p, sizeof(p), "%s/sub", f->src);
	assert_int_equal(vl_mkdirs(p, 0755, &err), 0);
	tk_write(f->src, "a.txt", "hello\n");
	tk_write(f->src, "sub/b.txt", "world\n");
	tk_write(f->src, "sub/100% done.txt", "percent\n");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	repo_close(f->r);
	tk_rmtree(f->dir);
	free(f->dir);
	free(f->src);
	free(f);
	return 0;
}

static int
describe(void *ctx, const char *id, const char *bag, struct ing_description *d,
	 struct vl_err *err)
{
	const char *title = ctx;
	char xml[512];

	(void)bag;
	snprintf(xml, sizeof(xml), "<dc><title>%s</title><id>%s</id></dc>",
		 title, id);
	d->title = strdup(title);
	ing_description_warn(d, "subject 'Stuff' matched no vocabulary");
	return ing_description_add(d, "oai_dc", "metadata/dc.xml", strdup(xml),
				   strlen(xml), err);
}

static int64_t
count(struct repo *r, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n;

	assert_int_equal(sqlite3_prepare_v2(r->db, sql, -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static struct ing_opts
opts(struct fixture *f, const char *id, const char *title)
{
	static const char *const colls[] = { "maps:crete" };
	struct ing_opts o = { 0 };

	o.source = f->src;
	o.id = id;
	o.collections = colls;
	o.ncollections = 1;
	o.algorithms = "sha256,sha512";
	o.describe = describe;
	o.describe_ctx = (void *)title;
	o.user = "tester";
	return o;
}

/* Validates the stored bag by exporting it (through storage) and running
 * the BagIt engine on the copy. */
static void
assert_stored_bag_valid(struct fixture *f, const char *id)
{
	struct ing_export_report er;
	struct bag_validate_opts vo = { .mode = BAG_FULL };
	struct bag_report rep;
	struct vl_err err = { 0 };
	char out[4200], bag[4300];
	size_t i;

	snprintf(out, sizeof(out), "%s/export", f->dir);
	snprintf(bag, sizeof(bag), "%s/%s", out, id);
	assert_int_equal(ing_export(f->r, id, out, &er, &err), 0);
	bag_report_init(&rep);
	assert_int_equal(bag_validate(bag, &vo, &rep, &err), 0);
	for (i = 0; i < rep.n; i++)
		if (rep.v[i].severity == BAG_ERROR)
			print_message("%s: %s\n", rep.v[i].path,
				      rep.v[i].message);
	assert_true(rep.valid);
	bag_report_release(&rep);
	vl_rmtree(bag);
}

static void
test_directory_is_stored_catalogued_and_valid(void **state)
{
	struct fixture *f = *state;
	struct ing_opts o = opts(f, "obj-1", "Χάρτης");
	struct ing_result res;
	struct vl_err err = { 0 };
	struct vl_buf premis = VL_BUF_INIT;

	assert_int_equal(ing_ingest(f->r, &o, &res, &err), 0);
	assert_string_equal(res.id, "obj-1");
	assert_int_equal(res.files, 3);
	assert_int_equal(res.bytes, 6 + 6 + 8);
	assert_int_equal(res.kind, ING_DIRECTORY);
	assert_int_equal(res.nwarnings, 1);
	ing_result_release(&res);
	assert_int_equal(count(f->r, "SELECT count(*) FROM objects WHERE"
				     " id = 'obj-1' AND md_version = 1 AND"
				     " title = 'Χάρτης'"),
			 1);
	assert_int_equal(count(f->r, "SELECT count(*) FROM files WHERE"
				     " kind = 'payload'"),
			 3);
	assert_int_equal(count(f->r, "SELECT count(*) FROM files WHERE"
				     " path = 'data/sub/100% done.txt' AND"
				     " mime = 'text/plain'"),
			 1);
	/* Two algorithms for every payload file. */
	assert_int_equal(count(f->r, "SELECT count(*) FROM digests d JOIN"
				     " files f USING(object_id, path) WHERE"
				     " f.kind = 'payload'"),
			 6);
	/* Tag files: bagit.txt, bag-info.txt, 2 manifests, dc.xml,
	 * premis.xml, and the 2 tag manifests themselves. */
	assert_int_equal(count(f->r, "SELECT count(*) FROM files WHERE"
				     " kind = 'tag'"),
			 8);
	assert_int_equal(count(f->r, "SELECT count(*) FROM files f WHERE"
				     " NOT EXISTS (SELECT 1 FROM digests d"
				     " WHERE d.object_id = f.object_id AND"
				     " d.path = f.path)"),
			 0);
	assert_int_equal(count(f->r, "SELECT count(*) FROM metadata WHERE"
				     " format = 'oai_dc' AND version = 1"),
			 1);
	assert_int_equal(count(f->r, "SELECT count(*) FROM object_collections"
				     " WHERE spec = 'maps:crete'"),
			 1);
	assert_int_equal(count(f->r, "SELECT count(*) FROM collections"), 2);
	assert_int_equal(count(f->r, "SELECT count(*) FROM events WHERE"
				     " object_id = 'obj-1' AND type IN"
				     " ('mes', 'for', 'ing')"),
			 3);
	assert_int_equal(ing_premis_xml(f->r, "obj-1", &premis, &err), 0);
	assert_int_equal(tk_xsd_valid(premis.buf, premis.len, "premis.xsd"), 0);
	vl_buf_release(&premis);
	assert_stored_bag_valid(f, "obj-1");
}

static void
test_duplicate_payload_is_skipped_unless_allowed(void **state)
{
	struct fixture *f = *state;
	struct ing_opts o = opts(f, "first", "One");
	struct ing_result res;
	struct vl_err err = { 0 };

	assert_int_equal(ing_ingest(f->r, &o, &res, &err), 0);
	ing_result_release(&res);
	o.id = "second";
	assert_int_equal(ing_ingest(f->r, &o, &res, &err), 0);
	assert_true(res.skipped);
	assert_string_equal(res.duplicate_of, "first");
	ing_result_release(&res);
	assert_int_equal(count(f->r, "SELECT count(*) FROM objects"), 1);
	o.allow_duplicate = 1;
	assert_int_equal(ing_ingest(f->r, &o, &res, &err), 0);
	assert_false(res.skipped);
	ing_result_release(&res);
	assert_int_equal(count(f->r, "SELECT count(*) FROM objects"), 2);
}

static void
test_refusals_leave_nothing(void **state)
{
	struct fixture *f = *state;
	struct ing_opts o = opts(f, "obj-1", "One");
	struct ing_result res;
	struct vl_err err = { 0 };
	struct ing_doctor_opts dopts = { 0 };
	struct ing_doctor_report drep;

	assert_int_equal(ing_ingest(f->r, &o, &res, &err), 0);
	ing_result_release(&res);
	/* the same id again */
	o.allow_duplicate = 1;
	assert_int_equal(ing_ingest(f->r, &o, &res, &err), VL_E_EXISTS);
	assert_non_null(strstr(err.msg, "'obj-1' already exists"));
	ing_result_release(&res);
	/* a bad id, a bad collection, a missing source, no title */
	o.id = "no spaces";
	assert_int_equal(ing_ingest(f->r, &o, &res, &err), VL_E_INVAL);
	ing_result_release(&res);
	o.id = "obj-2";
	o.collections = (const char *const[]){ "a::b" };
	assert_int_equal(ing_ingest(f->r, &o, &res, &err), VL_E_INVAL);
	ing_result_release(&res);
	o.ncollections = 0;
	o.source = "/nonexistent/source";
	assert_int_equal(ing_ingest(f->r, &o, &res, &err), VL_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "/nonexistent/source"));
	ing_result_release(&res);
	o.source = f->src;
	o.describe_ctx = (void *)"";
	assert_int_equal(ing_ingest(f->r, &o, &res, &err), VL_E_INVAL);
	assert_non_null(strstr(err.msg, "no title"));
	ing_result_release(&res);
	assert_int_equal(count(f->r, "SELECT count(*) FROM objects"), 1);
	assert_int_equal(ing_doctor(f->r, &dopts, &drep, &err), 0);
	assert_int_equal(drep.problems, 0);
	assert_int_equal(repo_store_clean_stages(f->r, NULL, NULL, &err), 0);
}

static void
test_dry_run_stores_nothing(void **state)
{
	struct fixture *f = *state;
	struct ing_opts o = opts(f, NULL, "Dry");
	struct ing_result res;
	struct vl_err err = { 0 };

	o.dry_run = 1;
	assert_int_equal(ing_ingest(f->r, &o, &res, &err), 0);
	assert_int_equal(res.files, 3);
	assert_int_equal(res.id[0], 'v');
	assert_string_equal(res.title, "Dry");
	ing_result_release(&res);
	assert_int_equal(count(f->r, "SELECT count(*) FROM objects"), 0);
	assert_int_equal(count(f->r, "SELECT count(*) FROM events"), 0);
}

static void
test_bags_and_archives_are_validated_then_kept(void **state)
{
	struct fixture *f = *state;
	struct bag_create_opts co = { .algs = FIX_ALG_BIT(FIX_SHA256) };
	struct bag_summary sum;
	struct ing_opts o = opts(f, "from-bag", "Bagged");
	struct ing_result res;
	struct vl_err err = { 0 };
	char bag[4200], arc[4200], p[4300];
	FILE *fp;

	snprintf(bag, sizeof(bag), "%s/abag", f->dir);
	assert_int_equal(bag_create(f->src, bag, &co, &sum, &err), 0);
	o.source = bag;
	assert_int_equal(ing_ingest(f->r, &o, &res, &err), 0);
	assert_int_equal(res.kind, ING_BAG);
	assert_int_equal(res.files, 3);
	ing_result_release(&res);
	assert_int_equal(count(f->r, "SELECT count(*) FROM events WHERE"
				     " object_id = 'from-bag' AND type ="
				     " 'val'"),
			 1);
	assert_stored_bag_valid(f, "from-bag");

	snprintf(arc, sizeof(arc), "%s/abag.tar.gz", f->dir);
	assert_int_equal(bag_pack(bag, arc, BAG_FMT_TGZ, NULL, &err), 0);
	o.source = arc;
	o.id = "from-tgz";
	o.allow_duplicate = 1;
	assert_int_equal(ing_ingest(f->r, &o, &res, &err), 0);
	assert_int_equal(res.kind, ING_ARCHIVE);
	ing_result_release(&res);
	assert_stored_bag_valid(f, "from-tgz");

	/* A tampered bag is refused, naming the file. */
	snprintf(p, sizeof(p), "%s/data/a.txt", bag);
	fp = fopen(p, "w");
	fputs("HELLO\n", fp);
	fclose(fp);
	o.source = bag;
	o.id = "bad-bag";
	assert_int_equal(ing_ingest(f->r, &o, &res, &err), VL_E_CHECK);
	assert_non_null(strstr(err.msg, "data/a.txt"));
	ing_result_release(&res);
	assert_int_equal(count(f->r, "SELECT count(*) FROM objects WHERE"
				     " id = 'bad-bag'"),
			 0);
}

/* What a group reports through done(), by label. */
struct outcomes {
	size_t n;
	char label[8][16];
	int rc[8];
	int skipped[8];
	char dup[8][ING_ID_MAX + 1];
};

static void
group_done(void *ctx, const char *label, const struct ing_result *res, int rc,
	   const struct vl_err *err)
{
	struct outcomes *out = ctx;

	(void)err;
	assert_true(out->n < 8);
	snprintf(out->label[out->n], sizeof(out->label[0]), "%s", label);
	out->rc[out->n] = rc;
	out->skipped[out->n] = res->skipped;
	snprintf(out->dup[out->n], sizeof(out->dup[0]), "%s",
		 res->duplicate_of);
	out->n++;
}

/* A group: nothing is visible before its commit; then each object is
 * whole with its own files, an id taken earlier in the group fails
 * alone, and a payload stored earlier in the group is a duplicate. */
static void
test_group_commits_together_and_drops_failures(void **state)
{
	struct fixture *f = *state;
	struct outcomes out = { 0 };
	struct ing_group *g = NULL;
	struct ing_opts o = opts(f, "g1", "First");
	struct vl_err err = { 0 };

	assert_int_equal(ing_group_new(&g, f->r, group_done, &out, &err), 0);
	ing_group_add(g, &o, "row1");
	o.id = "g1"; /* the same id again */
	ing_group_add(g, &o, "row2");
	o.id = "g3"; /* the same payload again */
	ing_group_add(g, &o, "row3");
	tk_write(f->src, "c.txt", "a new file\n");
	o.id = "g4";
	ing_group_add(g, &o, "row4");
	assert_int_equal(out.n, 0);
	assert_int_equal(count(f->r, "SELECT count(*) FROM objects"), 0);
	ing_group_free(g);
	assert_int_equal(out.n, 4);
	assert_string_equal(out.label[0], "row1");
	assert_int_equal(out.rc[0], 0);
	assert_int_equal(out.rc[1], VL_E_EXISTS);
	assert_int_equal(out.rc[2], 0);
	assert_true(out.skipped[2]);
	assert_string_equal(out.dup[2], "g1");
	assert_int_equal(out.rc[3], 0);
	assert_false(out.skipped[3]);
	assert_int_equal(count(f->r, "SELECT count(*) FROM objects"), 2);
	assert_int_equal(count(f->r, "SELECT count(*) FROM files WHERE"
				     " object_id = 'g1' AND kind = 'payload'"),
			 3);
	assert_int_equal(count(f->r, "SELECT count(*) FROM files WHERE"
				     " object_id = 'g4' AND kind = 'payload'"),
			 4);
	assert_int_equal(count(f->r, "SELECT count(*) FROM temp.ing_files"), 0);
	assert_stored_bag_valid(f, "g1");
	assert_stored_bag_valid(f, "g4");
	assert_int_equal(repo_store_clean_stages(f->r, NULL, NULL, &err), 0);
}

static int
count_stored(void *ctx, const char *key)
{
	(void)key;
	(*(int *)ctx)++;
	return 0;
}

/* An object kept in the catalog alone (a harvested record): an update
 * adds the version in the catalog, and creates no bag. */
static void
test_update_of_a_catalog_only_object(void **state)
{
	struct fixture *f = *state;
	struct ing_opts o = opts(f, NULL, "A new title");
	struct ing_result res;
	struct vl_err err = { 0 };
	int stored = 0;

	assert_int_equal(
		sqlite3_exec(f->r->db,
			     "INSERT INTO objects(id, created, datestamp,"
			     " title, md_version) VALUES('cat-1',"
			     " '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z',"
			     " 'Old', 1);"
			     "INSERT INTO metadata(object_id, version, format,"
			     " xml, created) VALUES('cat-1', 1, 'oai_dc',"
			     " '<dc/>', '2024-01-01T00:00:00Z')",
			     NULL, NULL, NULL),
		SQLITE_OK);
	o.source = "a test";
	assert_int_equal(ing_update(f->r, "cat-1", &o, &res, &err), 0);
	ing_result_release(&res);
	assert_int_equal(count(f->r, "SELECT md_version FROM objects WHERE"
				     " title = 'A new title' AND storage_key"
				     " IS NULL"),
			 2);
	assert_int_equal(count(f->r, "SELECT count(*) FROM metadata WHERE"
				     " object_id = 'cat-1' AND version = 2"),
			 1);
	assert_int_equal(count(f->r, "SELECT count(*) FROM events WHERE"
				     " object_id = 'cat-1' AND type = 'mem'"),
			 1);
	assert_int_equal(count(f->r, "SELECT count(*) FROM files"), 0);
	assert_int_equal(
		repo_store_list_objects(f->r, count_stored, &stored, &err), 0);
	assert_int_equal(stored, 0);
	/* A tombstone is not updated. */
	assert_int_equal(ing_delete(f->r, "cat-1", "test", 0, &err), 0);
	assert_int_equal(ing_update(f->r, "cat-1", &o, &res, &err),
			 VL_E_NOTFOUND);
	ing_result_release(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_directory_is_stored_catalogued_and_valid, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_duplicate_payload_is_skipped_unless_allowed, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_refusals_leave_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_stores_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bags_and_archives_are_validated_then_kept, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_group_commits_together_and_drops_failures, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_update_of_a_catalog_only_object, setup, teardown),
	};

	setenv("VELLUM_USER", "tester", 1);
	return cmocka_run_group_tests_name("pipeline", tests, NULL, NULL);
}
