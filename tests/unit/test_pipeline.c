/*
 * test_pipeline.c - the ingest pipeline with a test describe callback:
 * directory, bag and archive sources, the catalog rows, the stored bag,
 * duplicates, dry runs and refusals that leave nothing behind; and the
 * export of a catalog-only object, bagged from its catalog rows.
 */
/* LDFLAGS: -Wl,--wrap=fsync -Wl,--wrap=vl_arc */
#include "testkit.h"

#include <archive.h>
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "../../ingest/ingest.h"
#include "../../repo/vl_arc.h"

/* ---- fault injection: fsync(2) of one file, one archive write ---- */

static const char *fail_fsync_suffix; /* fsync of a file ending so fails */
static int fail_archive_write;        /* the nth write from now fails */

int __real_fsync(int fd);
int __wrap_fsync(int fd);
const struct vl_arc *__real_vl_arc(void);
const struct vl_arc *__wrap_vl_arc(void);

int
__wrap_fsync(int fd)
{
	char link[64], target[4096];
	size_t n;
	ssize_t len;

	if (fail_fsync_suffix) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		len = readlink(link, target, sizeof(target) - 1);
		n = strlen(fail_fsync_suffix);
		if (len > 0) {
			target[len] = '\0';
			if ((size_t)len >= n &&
			    !strcmp(target + len - n, fail_fsync_suffix)) {
				errno = EIO;
				return -1;
			}
		}
	}
	return __real_fsync(fd);
}

/* libarchive is reached through its table (repo/vl_arc.h): the export
 * code gets this copy, whose write_data fails when told to. */
static la_ssize_t
failing_write_data(struct archive *a, const void *buf, size_t n)
{
	if (fail_archive_write && --fail_archive_write == 0) {
		archive_set_error(a, EIO, "injected write failure");
		return -1;
	}
	return __real_vl_arc()->write_data(a, buf, n);
}

const struct vl_arc *
__wrap_vl_arc(void)
{
	static struct vl_arc t;

	t = *__real_vl_arc();
	t.write_data = failing_write_data;
	return &t;
}

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
			     " '<dc/>', '2024-01-01T00:00:00Z'), ('cat-1', 1,"
			     " 'provenance', '<provenance/>',"
			     " '2024-01-01T00:00:00Z')",
			     NULL, NULL, NULL),
		SQLITE_OK);
	o.source = "a test";
	assert_int_equal(ing_update(f->r, "cat-1", &o, &res, &err), 0);
	ing_result_release(&res);
	assert_int_equal(count(f->r, "SELECT md_version FROM objects WHERE"
				     " title = 'A new title' AND storage_key"
				     " IS NULL"),
			 2);
	/* The new description, and the provenance kept from version 1. */
	assert_int_equal(count(f->r, "SELECT count(*) FROM metadata WHERE"
				     " object_id = 'cat-1' AND version = 2"),
			 2);
	assert_int_equal(count(f->r, "SELECT count(*) FROM metadata WHERE"
				     " object_id = 'cat-1' AND version = 2"
				     " AND format = 'provenance' AND xml ="
				     " '<provenance/>'"),
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

/* ---- catalog-only objects ---- */

/* The current metadata version of the harvested record below: every
 * form but dcterms becomes a tag file. */
static const char *const co_forms[][3] = {
	{ "dcterms", "<dcterms>Χάρτης</dcterms>", NULL },
	{ "mods",
	  "<mods xmlns=\"http://www.loc.gov/mods/v3\"><titleInfo><title>"
	  "Χάρτης</title></titleInfo></mods>",
	  "metadata/mods.xml" },
	{ "oai_dc",
	  "<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/"
	  "oai_dc/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
	  "<dc:title>Χάρτης</dc:title></oai_dc:dc>",
	  "metadata/dc.xml" },
	{ "provenance",
	  "<provenance><baseURL>https://example.org/oai</baseURL>"
	  "</provenance>",
	  "metadata/provenance.xml" },
	{ "source", "<record>as harvested &amp; kept</record>",
	  "metadata/source.xml" },
};

static void
exec_bind(struct repo *r, const char *sql, const char *const *v, int n)
{
	sqlite3_stmt *st;
	int i;

	assert_int_equal(sqlite3_prepare_v2(r->db, sql, -1, &st, NULL),
			 SQLITE_OK);
	for (i = 0; i < n; i++)
		sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* A harvested record kept only in the catalog: rows, no bag in storage;
 * metadata version 2 is current, version 1 an older one. */
static void
plant_catalog_only(struct fixture *f, const char *id, const char *status)
{
	struct repo_event ev = { .object_id = id,
				 .type = "ing",
				 .outcome = REPO_SUCCESS,
				 .detail = "harvested oai:example.org:1" };
	struct vl_err err = { 0 };
	size_t i;

	exec_bind(f->r,
		  "INSERT INTO collections(spec, name, created) VALUES"
		  "('maps', 'Maps', '2024-01-01T00:00:00Z')"
		  " ON CONFLICT DO NOTHING",
		  NULL, 0);
	exec_bind(f->r,
		  "INSERT INTO objects(id, created, datestamp, status, title,"
		  " md_version, source) VALUES(?1, '2024-01-01T00:00:00Z',"
		  " '2024-02-01T00:00:00Z', ?2, 'Χάρτης', 2,"
		  " 'oai:example.org:1')",
		  (const char *const[]){ id, status }, 2);
	exec_bind(f->r, "INSERT INTO object_collections VALUES(?1, 'maps')",
		  &id, 1);
	exec_bind(f->r,
		  "INSERT INTO metadata VALUES(?1, 1, 'oai_dc', '<old/>',"
		  " '2024-01-01T00:00:00Z', 'tester', 'ingest')",
		  &id, 1);
	for (i = 0; i < sizeof(co_forms) / sizeof(co_forms[0]); i++)
		exec_bind(f->r,
			  "INSERT INTO metadata VALUES(?1, 2, ?2, ?3,"
			  " '2024-02-01T00:00:00Z', 'tester', 'update')",
			  (const char *const[]){ id, co_forms[i][0],
						 co_forms[i][1] },
			  3);
	assert_int_equal(repo_event_add(f->r, &ev, NULL, &err), 0);
}

/* Entries of a directory, without "." and "..". */
static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Complete and valid by the BagIt engine, with an empty payload; the
 * warnings are the empty payload manifests' (and nothing else). */
static void
assert_empty_bag_valid(const char *path, size_t manifests)
{
	struct bag_validate_opts vo = { .mode = BAG_FULL };
	struct bag_report rep;
	struct vl_err err = { 0 };
	size_t i;

	bag_report_init(&rep);
	assert_int_equal(bag_validate(path, &vo, &rep, &err), 0);
	for (i = 0; i < rep.n; i++)
		if (strcmp(rep.v[i].code, "empty-manifest"))
			print_message("%s: %s: %s\n", path,
				      rep.v[i].path ? rep.v[i].path : "",
				      rep.v[i].message);
	assert_true(rep.complete);
	assert_true(rep.valid);
	assert_int_equal(rep.errors, 0);
	assert_int_equal(rep.warnings, manifests);
	assert_int_equal(bag_report_count(&rep, "empty-manifest"), manifests);
	assert_int_equal(rep.version, FIX_BAGIT_1_0);
	assert_int_equal(rep.payload_files, 0);
	assert_int_equal(rep.payload_algs,
			 FIX_ALG_BIT(FIX_SHA256) | FIX_ALG_BIT(FIX_SHA512));
	assert_int_equal(rep.tag_algs,
			 FIX_ALG_BIT(FIX_SHA256) | FIX_ALG_BIT(FIX_SHA512));
	bag_report_release(&rep);
}

static void
assert_file_is(const char *bag, const char *rel, const char *text)
{
	struct vl_buf b = VL_BUF_INIT;
	struct vl_err err = { 0 };
	char p[4300];

	snprintf(p, sizeof(p), "%s/%s", bag, rel);
	assert_int_equal(vl_read_file(&b, p, 0, &err), 0);
	assert_string_equal(b.buf, text);
	vl_buf_release(&b);
}

static void
use_two_algorithms(struct fixture *f)
{
	free(f->r->cfg.digests);
	f->r->cfg.digests = strdup("sha256,sha512");
}

static void
test_catalog_only_object_is_bagged_at_export(void **state)
{
	static const char *const exts[] = { ".zip", ".tgz", ".tar.gz", ".tar" };
	static const char *const others[] = {
		"bagit.txt",
		"bag-info.txt",
		"manifest-sha256.txt",
		"manifest-sha512.txt",
		"tagmanifest-sha256.txt",
		"tagmanifest-sha512.txt",
		"metadata/premis.xml",
	};
	struct fixture *f = *state;
	struct ing_export_report er;
	struct vl_err err = { 0 };
	struct bag_report rep;
	struct bag_meta meta = { 0 };
	struct vl_buf premis = VL_BUF_INIT;
	struct stat st;
	char out[4200], bag[4300], p[4400];
	int64_t events;
	uint64_t bytes = 0;
	size_t i;

	use_two_algorithms(f);
	plant_catalog_only(f, "hv-1", "active");
	events = count(f->r, "SELECT count(*) FROM events");
	snprintf(out, sizeof(out), "%s/export", f->dir);
	snprintf(bag, sizeof(bag), "%s/hv-1", out);
	assert_int_equal(ing_export(f->r, "hv-1", out, &er, &err), 0);
	assert_string_equal(er.path, bag);
	assert_true(er.catalog_only);
	/* bagit, bag-info, 2 manifests, 4 forms, premis, 2 tag manifests */
	assert_int_equal(er.files, 11);
	assert_int_equal(entries(out), 1); /* nothing left beside it */
	assert_empty_bag_valid(bag, 2);

	/* The current version's forms, byte for byte; dcterms stays in the
	 * catalog; data/ is there and empty. */
	for (i = 0; i < sizeof(co_forms) / sizeof(co_forms[0]); i++) {
		if (co_forms[i][2]) {
			assert_file_is(bag, co_forms[i][2], co_forms[i][1]);
			snprintf(p, sizeof(p), "%s/%s", bag, co_forms[i][2]);
			assert_int_equal(stat(p, &st), 0);
			bytes += (uint64_t)st.st_size;
		}
	}
	snprintf(p, sizeof(p), "%s/metadata/dcterms.xml", bag);
	assert_int_not_equal(stat(p, &st), 0);
	assert_int_equal(entries(bag), 8); /* 6 files, data/, metadata/ */
	snprintf(p, sizeof(p), "%s/metadata", bag);
	assert_int_equal(entries(p), 5);
	snprintf(p, sizeof(p), "%s/data", bag);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(entries(p), 0);
	assert_file_is(bag, "manifest-sha256.txt", "");
	assert_file_is(bag, "manifest-sha512.txt", "");
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", bag, others[i]);
		assert_int_equal(stat(p, &st), 0);
		bytes += (uint64_t)st.st_size;
	}
	assert_int_equal(er.bytes, bytes);
	/* premis.xml is the catalog's PREMIS document of the object. */
	assert_int_equal(ing_premis_xml(f->r, "hv-1", &premis, &err), 0);
	assert_non_null(strstr(premis.buf, "harvested oai:example.org:1"));
	assert_file_is(bag, "metadata/premis.xml", premis.buf);
	vl_buf_release(&premis);

	/* bag-info.txt (RFC 8493 2.2.2) */
	bag_report_init(&rep);
	assert_int_equal(bag_read_meta(bag, &meta, &rep, &err), 0);
	assert_string_equal(bag_info_get(&meta.info, "Source-Organization"),
			    f->r->cfg.name);
	assert_string_equal(bag_info_get(&meta.info, "External-Identifier"),
			    "hv-1");
	assert_string_equal(bag_info_get(&meta.info, "Payload-Oxum"), "0.0");
	assert_string_equal(bag_info_get(&meta.info, "Bag-Size"), "0 bytes");
	assert_string_equal(bag_info_get(&meta.info, "Bag-Software-Agent"),
			    "vellum " VELLUM_VERSION);
	assert_int_equal(strlen(bag_info_get(&meta.info, "Bagging-Date")), 10);
	assert_non_null(
		strstr(bag_info_get(&meta.info, "Internal-Sender-Description"),
		       "metadata-only object kept in the catalog"));
	assert_non_null(
		strstr(bag_info_get(&meta.info, "Internal-Sender-Description"),
		       "metadata version 2"));
	bag_meta_release(&meta);
	bag_report_release(&rep);

	/* Never over an existing export. */
	assert_int_equal(ing_export(f->r, "hv-1", out, &er, &err), VL_E_EXISTS);
	assert_non_null(strstr(err.msg, "already exists"));

	/* Serialized: one top-level directory named after the id. */
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		snprintf(p, sizeof(p), "%s/hv-1%s", f->dir, exts[i]);
		assert_int_equal(ing_export(f->r, "hv-1", p, &er, &err), 0);
		assert_string_equal(er.path, p);
		assert_int_equal(er.files, 11);
		assert_int_equal(er.bytes, bytes);
		assert_empty_bag_valid(p, 2);
		assert_int_equal(ing_export(f->r, "hv-1", p, &er, &err),
				 VL_E_EXISTS);
	}

	/* Export only reads: no event, no file rows, still no bag. */
	assert_int_equal(count(f->r, "SELECT count(*) FROM events"), events);
	assert_int_equal(count(f->r, "SELECT count(*) FROM files"), 0);
	assert_int_equal(count(f->r, "SELECT count(*) FROM objects WHERE"
				     " storage_key IS NOT NULL"),
			 0);
	assert_true(sqlite3_get_autocommit(f->r->db));
}

static void
test_catalog_only_export_refusals_leave_nothing(void **state)
{
	struct fixture *f = *state;
	struct ing_export_report er;
	struct vl_err err = { 0 };
	char out[4200], p[4300];

	use_two_algorithms(f);
	plant_catalog_only(f, "hv-1", "active");
	plant_catalog_only(f, "hv-gone", "deleted");
	snprintf(out, sizeof(out), "%s/export", f->dir);
	assert_int_equal(vl_mkdirs(out, 0755, &err), 0);

	assert_int_equal(ing_export(f->r, "hv-gone", out, &er, &err),
			 VL_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "'hv-gone' is deleted"));
	assert_int_equal(ing_export(f->r, "nope", out, &er, &err),
			 VL_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "no object 'nope'"));
	assert_int_equal(entries(out), 0);

	/* A failure half-way through a directory ... */
	fail_fsync_suffix = "/metadata/premis.xml";
	assert_int_equal(ing_export(f->r, "hv-1", out, &er, &err), VL_E_IO);
	fail_fsync_suffix = NULL;
	assert_non_null(strstr(err.msg, "premis.xml"));
	assert_int_equal(entries(out), 0);
	/* ... or in syncing a directory of the bag (its entries would not
	 * last a crash) ... */
	fail_fsync_suffix = "/data";
	assert_int_equal(ing_export(f->r, "hv-1", out, &er, &err), VL_E_IO);
	fail_fsync_suffix = NULL;
	assert_non_null(strstr(err.msg, "/data"));
	assert_int_equal(entries(out), 0);
	/* ... or in syncing the directory it was renamed into, after the
	 * rename: the bag is taken back. */
	fail_fsync_suffix = "/export";
	assert_int_equal(ing_export(f->r, "hv-1", out, &er, &err), VL_E_IO);
	fail_fsync_suffix = NULL;
	assert_int_equal(entries(out), 0);
	/* ... and through an archive leaves nothing either. */
	snprintf(p, sizeof(p), "%s/hv-1.zip", out);
	fail_archive_write = 4;
	assert_int_equal(ing_export(f->r, "hv-1", p, &er, &err), VL_E_IO);
	assert_int_equal(fail_archive_write, 0);
	assert_non_null(strstr(err.msg, "injected write failure"));
	assert_int_equal(entries(out), 0);
	/* A bad algorithm in the configuration is an error, not a bag. */
	free(f->r->cfg.digests);
	f->r->cfg.digests = strdup("sha512,crc32");
	assert_int_equal(ing_export(f->r, "hv-1", out, &er, &err), VL_E_INVAL);
	assert_int_equal(entries(out), 0);
	use_two_algorithms(f);
	/* The catalog's read ended every time. */
	assert_true(sqlite3_get_autocommit(f->r->db));
	assert_int_equal(ing_export(f->r, "hv-1", p, &er, &err), 0);
	assert_int_equal(ing_export(f->r, "hv-1", out, &er, &err), 0);
	assert_int_equal(entries(out), 2);
	/* Readable by others, as a bag made by `vellum bag create`. */
	{
		struct stat st;
		char d[4300];

		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0644);
		snprintf(d, sizeof(d), "%s/hv-1", out);
		assert_int_equal(stat(d, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0755);
	}
	/* Never over what is there. */
	assert_int_equal(ing_export(f->r, "hv-1", out, &er, &err), VL_E_EXISTS);
	assert_int_equal(entries(out), 2);
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
		cmocka_unit_test_setup_teardown(
			test_catalog_only_object_is_bagged_at_export, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_catalog_only_export_refusals_leave_nothing, setup,
			teardown),
	};

	setenv("VELLUM_USER", "tester", 1);
	return cmocka_run_group_tests_name("pipeline", tests, NULL, NULL);
}
