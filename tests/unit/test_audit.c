/*
 * test_audit.c - the fixity audit below the CLI: an unreadable file
 * (read(2) failing, injected with --wrap=read since tests run as root),
 * objects built through the storage interface, the shard function,
 * repo_store_replace_file() and event pruning with chain bridging.
 */
/* LDFLAGS: -Wl,--wrap=read */
#include "testkit.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>

#include "../../fixity/fixity.h"
#include "../../repo/repo.h"

/* ---- read(2) failing for one file ---- */

static const char *fail_suffix; /* reads of a file ending so fail */

ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __wrap_read(int fd, void *buf, size_t n);

ssize_t
__wrap_read(int fd, void *buf, size_t n)
{
	char link[64], target[4096];
	ssize_t len;

	if (fail_suffix) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		len = readlink(link, target, sizeof(target) - 1);
		if (len > 0) {
			target[len] = '\0';
			if ((size_t)len >= strlen(fail_suffix) &&
			    !strcmp(target + len - strlen(fail_suffix),
				    fail_suffix)) {
				errno = EIO;
				return -1;
			}
		}
	}
	return __real_read(fd, buf, n);
}

/* ---- a repository with objects stored through the interface ---- */

struct fixture {
	char *dir;
	struct repo *r;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct vl_err err = { 0 };

	f->dir = tk_tmpdir();
	assert_int_equal(repo_init(f->dir, NULL, &err), 0);
	assert_int_equal(repo_open(&f->r, f->dir, &err), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	fail_suffix = NULL;
	repo_close(f->r);
	tk_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void
sha512_hex(char out[FIX_HEX_MAX], const char *text)
{
	struct fix_hasher *h;
	struct fix_digests d;

	assert_int_equal(fix_hasher_new(&h, FIX_ALG_BIT(FIX_SHA512), NULL), 0);
	assert_int_equal(fix_hasher_update(h, text, strlen(text), NULL), 0);
	assert_int_equal(fix_hasher_final(h, &d, NULL), 0);
	fix_hasher_free(h);
	fix_hex(out, d.md[FIX_SHA512], 64);
}

static void
exec_sql(struct repo *r, const char *sql, const char *a, const char *b,
	 const char *c, int64_t n)
{
	sqlite3_stmt *st;

	assert_int_equal(repo_prepare(r, &st, sql, NULL), 0);
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	if (c)
		sqlite3_bind_text(st, 3, c, -1, SQLITE_STATIC);
	if (n >= 0)
		sqlite3_bind_int64(st, 4, n);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* Stores a bag with the given payload files (NULL-terminated name,
 * text pairs) and its manifest, and catalogs every file. */
static void
store_object(struct repo *r, const char *id, const char *const *files)
{
	struct vl_buf man = VL_BUF_INIT, p = VL_BUF_INIT;
	struct repo_stage *s;
	char hex[FIX_HEX_MAX], *key = repo_store_key(id);
	const char *dir;
	size_t i;

	assert_int_equal(repo_stage_new(r, id, REPO_STAGE_CREATE, &s, NULL), 0);
	dir = repo_stage_dir(s);
	vl_buf_addf(&p, "%s/data", dir);
	assert_int_equal(vl_mkdirs(p.buf, 0755, NULL), 0);
	exec_sql(r,
		 "INSERT INTO objects(id, created, datestamp, storage_key)"
		 " VALUES(?1, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z',"
		 " ?2)",
		 id, key, NULL, -1);
	for (i = 0; files[i]; i += 2) {
		char rel[256];

		snprintf(rel, sizeof(rel), "data/%s", files[i]);
		tk_write(dir, rel, files[i + 1]);
		sha512_hex(hex, files[i + 1]);
		fix_manifest_format_line(&man, hex, rel);
		exec_sql(r,
			 "INSERT INTO files(object_id, path, kind, size)"
			 " VALUES(?1, ?2, 'payload', ?4)",
			 id, rel, NULL, (int64_t)strlen(files[i + 1]));
		exec_sql(r, "INSERT INTO digests VALUES(?1, ?2, 'sha512', ?3)",
			 id, rel, hex, -1);
	}
	tk_write(dir, "manifest-sha512.txt", man.buf);
	tk_write(dir, "bagit.txt",
		 "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
	assert_int_equal(repo_stage_commit(s, 0, NULL), 0);
	repo_stage_finish(s);
	vl_buf_release(&man);
	vl_buf_release(&p);
	free(key);
}

struct seen {
	int objects;
	char outcomes[512];
};

static void
on_object(void *ctx, const struct fix_object_result *res)
{
	struct seen *s = ctx;
	size_t i, n = strlen(s->outcomes);

	s->objects++;
	for (i = 0; i < res->n_findings; i++)
		n += (size_t)snprintf(
			s->outcomes + n, sizeof(s->outcomes) - n, "%s:%s:%s ",
			res->object_id, res->findings[i].path,
			fix_outcome_name(res->findings[i].outcome));
}

static void
test_audit_reports_unreadable_file(void **state)
{
	static const char *const files[] = { "good.txt", "fine\n", "bad.bin",
					     "sectors\n", NULL };
	struct fixture *f = *state;
	struct fix_audit_opts o = { 0 };
	struct fix_audit_summary s;
	struct vl_err err = { 0 };
	struct seen seen = { 0 };

	store_object(f->r, "obj-1", files);
	o.on_object = on_object;
	o.ctx = &seen;
	assert_int_equal(fix_audit_run(f->r, &o, &s, &err), 0);
	assert_int_equal(s.failed_objects, 0);
	assert_int_equal(s.objects, 1);
	/* The files (2 payload) + bagit.txt + the manifest. */
	assert_int_equal(s.files, 4);
	exec_sql(f->r, "UPDATE objects SET last_audit = NULL WHERE id = ?1",
		 "obj-1", NULL, NULL, -1);
	fail_suffix = "/data/bad.bin";
	assert_int_equal(fix_audit_run(f->r, &o, &s, &err), 0);
	fail_suffix = NULL;
	assert_int_equal(s.failed_objects, 1);
	assert_string_equal(seen.outcomes, "obj-1:data/bad.bin:unreadable ");
}

static void
test_audit_missing_object_storage(void **state)
{
	static const char *const files[] = { "a.txt", "a\n", NULL };
	struct fixture *f = *state;
	struct fix_audit_opts o = { 0 };
	struct fix_audit_summary s;
	struct vl_err err = { 0 };
	struct seen seen = { 0 };
	char *key = repo_store_key("obj-2");

	store_object(f->r, "obj-2", files);
	assert_int_equal(repo_store_delete(f->r, key, &err), 0);
	o.on_object = on_object;
	o.ctx = &seen;
	assert_int_equal(fix_audit_run(f->r, &o, &s, &err), 0);
	assert_int_equal(s.failed_objects, 1);
	assert_string_equal(seen.outcomes, "obj-2:data/a.txt:missing ");
	free(key);
}

/* An object kept in the catalog alone has no bag to read: not audited,
 * not failed, counted. */
static void
test_audit_counts_catalog_only_objects(void **state)
{
	static const char *const files[] = { "a.txt", "a\n", NULL };
	struct fixture *f = *state;
	struct fix_audit_opts o = { 0 };
	struct fix_audit_summary s;
	struct vl_err err = { 0 };

	store_object(f->r, "obj-3", files);
	assert_int_equal(sqlite3_exec(f->r->db,
				      "INSERT INTO objects(id, created,"
				      " datestamp, title) VALUES('hv-1',"
				      " '2024-01-01T00:00:00Z',"
				      " '2024-01-01T00:00:00Z', 'Harvested')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(fix_audit_run(f->r, &o, &s, &err), 0);
	assert_int_equal(s.objects, 1);
	assert_int_equal(s.failed_objects, 0);
	assert_int_equal(s.catalog_only, 1);
}

static void
test_audit_unknown_id_is_an_error(void **state)
{
	struct fixture *f = *state;
	const char *ids[] = { "nope" };
	struct fix_audit_opts o = { 0 };
	struct fix_audit_summary s;
	struct vl_err err = { 0 };

	o.ids = ids;
	o.n_ids = 1;
	assert_int_equal(fix_audit_run(f->r, &o, &s, &err), VL_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "'nope'"));
}

static void
test_shard_is_deterministic_and_in_range(void **state)
{
	char id[32];
	unsigned i, n, count[5] = { 0 };

	(void)state;
	/* Fixed values: scripts and other machines must agree. */
	assert_int_equal(fix_audit_shard_of("ob-1", 1), 1);
	assert_int_equal(fix_audit_shard_of("ob-1", 7), 6);
	assert_int_equal(fix_audit_shard_of("ob-1", 7),
			 fix_audit_shard_of("ob-1", 7));
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "v%05u", i);
		n = fix_audit_shard_of(id, 5);
		assert_true(n >= 1 && n <= 5);
		count[n - 1]++;
	}
	for (i = 0; i < 5; i++)
		assert_true(count[i] > 120); /* roughly even */
}

static void
test_store_replace_file(void **state)
{
	static const char *const files[] = { "a.txt", "a\n", NULL };
	struct fixture *f = *state;
	struct vl_err err = { 0 };
	struct vl_buf p = VL_BUF_INIT;
	char *key = repo_store_key("obj-3");
	char buf[16] = "";
	int fd, src;
	ssize_t n;

	store_object(f->r, "obj-3", files);
	tk_write(f->dir, "src.txt", "restored\n");
	vl_buf_addf(&p, "%s/src.txt", f->dir);
	src = open(p.buf, O_RDONLY);
	assert_true(src >= 0);
	/* A planted symlink is replaced, never written through. */
	vl_buf_reset(&p);
	vl_buf_addf(&p, "%s/storage/objects/%s/data/a.txt", f->dir, key);
	assert_int_equal(unlink(p.buf), 0);
	assert_int_equal(symlink("/etc/hostname", p.buf), 0);
	assert_int_equal(
		repo_store_replace_file(f->r, key, "data/a.txt", src, &err), 0);
	assert_int_equal(repo_store_open(f->r, key, "data/a.txt", &fd, &err),
			 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_int_equal(n, 9);
	assert_string_equal(buf, "restored\n");
	/* Missing directories are made. */
	assert_int_equal(repo_store_replace_file(f->r, key, "data/new/deep.txt",
						 src, &err),
			 0);
	/* A symlinked directory on the way is refused. */
	vl_buf_reset(&p);
	vl_buf_addf(&p, "%s/storage/objects/%s/data/ln", f->dir, key);
	assert_int_equal(symlink("/tmp", p.buf), 0);
	assert_int_equal(
		repo_store_replace_file(f->r, key, "data/ln/x", src, &err),
		VL_E_UNSAFE);
	assert_int_equal(repo_store_replace_file(f->r, key, "../x", src, &err),
			 VL_E_UNSAFE);
	close(src);
	vl_buf_release(&p);
	free(key);
}

static void
test_event_prune_keeps_chain_verifiable(void **state)
{
	struct fixture *f = *state;
	struct repo_event ev = { 0 };
	struct vl_err err = { 0 };
	int64_t seqs[2], count = 0;
	int i;

	ev.type = "fix";
	ev.object_id = "x";
	for (i = 0; i < 5; i++)
		assert_int_equal(repo_event_add(f->r, &ev, NULL, &err), 0);
	seqs[0] = 2;
	seqs[1] = 3;
	assert_int_equal(repo_event_prune(f->r, seqs, 2, &err), 0);
	assert_int_equal(repo_event_verify_chain(f->r, &count, &err), 0);
	assert_int_equal(count, 3);
	/* Outside a prune the trigger still refuses deletion. */
	assert_int_not_equal(sqlite3_exec(f->r->db,
					  "DELETE FROM events WHERE seq = 4",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	/* A wrong bridge record breaks the chain. */
	assert_int_equal(sqlite3_exec(f->r->db,
				      "UPDATE event_prunes SET hash = 'x'"
				      " WHERE seq = 3",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(repo_event_verify_chain(f->r, &count, &err),
			 VL_E_CHECK);
	assert_non_null(strstr(err.msg, "event 4"));
}

static void
test_health_and_history_json(void **state)
{
	static const char *const files[] = { "a.txt", "a\n", NULL };
	struct fixture *f = *state;
	struct fix_audit_opts o = { 0 };
	struct fix_audit_summary s;
	struct vl_err err = { 0 };
	json_t *j;

	store_object(f->r, "obj-4", files);
	store_object(f->r, "obj-5", files);
	o.max_objects = 1;
	assert_int_equal(fix_audit_run(f->r, &o, &s, &err), 0);
	assert_int_equal(s.stopped_by, FIX_STOP_OBJECTS);
	assert_int_equal(fix_audit_health(f->r, 86400, &j, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "objects")), 2);
	assert_int_equal(
		json_integer_value(json_object_get(j, "never_checked")), 1);
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	assert_int_equal(fix_audit_history(f->r, "obj-4", &j, &err), 0);
	assert_int_equal(json_array_size(json_object_get(j, "checks")), 1);
	json_decref(j);
	assert_int_equal(fix_audit_history(f->r, "zzz", &j, &err),
			 VL_E_NOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_audit_reports_unreadable_file, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_audit_missing_object_storage, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_audit_counts_catalog_only_objects, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_audit_unknown_id_is_an_error, setup, teardown),
		cmocka_unit_test(test_shard_is_deterministic_and_in_range),
		cmocka_unit_test_setup_teardown(test_store_replace_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_event_prune_keeps_chain_verifiable, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_health_and_history_json,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
