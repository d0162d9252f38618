/*
 * test_repo.c - the repo module: common kit, config, catalog, events.
 */
#include "testkit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../repo/repo.h"

static void
test_vl_buf_grows_and_caps(void **state)
{
	struct vl_buf b;
	int i;

	(void)state;
	vl_buf_init(&b, 16);
	assert_string_equal(b.buf, "");
	assert_int_equal(vl_buf_adds(&b, "0123456789"), 0);
	assert_int_equal(vl_buf_addf(&b, "%d", 12345), 0);
	assert_string_equal(b.buf, "012345678912345");
	assert_int_equal(vl_buf_adds(&b, "xy"), VL_E_NOMEM);
	assert_int_equal(b.len, 15);
	vl_buf_release(&b);
	vl_buf_init(&b, 0);
	for (i = 0; i < 10000; i++)
		assert_int_equal(vl_buf_addch(&b, 'a'), 0);
	assert_int_equal(b.len, 10000);
	assert_int_equal(b.buf[10000], '\0');
	vl_buf_release(&b);
}

/* The values are fixed: `vellum audit --shard` splits by them, and
 * scripts on other machines must agree. */
static void
test_vl_hash_values_are_fixed(void **state)
{
	(void)state;
	assert_true(vl_hash_str("") == 1469598103934665603ULL);
	assert_true(vl_hash_str("ob-1") == 2350607485238133812ULL);
	assert_true(vl_hash("ob-1", 4) == vl_hash_str("ob-1"));
	assert_true(vl_hash("ob-1x", 4) == vl_hash_str("ob-1"));
}

/* O_NOATIME is the owner's to ask for: a reader who is not the owner
 * still gets the file, and reading leaves atime alone where it may. */
static void
test_vl_open_beneath_noatime_is_a_wish(void **state)
{
	char *d = tk_tmpdir();
	struct timespec old[2] = { { 1000000000, 0 }, { 0, UTIME_OMIT } };
	struct stat st;
	char c;
	int dfd, fd, status;
	pid_t pid;

	(void)state;
	tk_write(d, "f", "x");
	dfd = open(d, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	/* atime before mtime: a relatime mount would update it on read. */
	assert_int_equal(utimensat(dfd, "f", old, 0), 0);
	fd = vl_open_beneath(dfd, "f", O_RDONLY | O_NOATIME, 0, 1);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, &c, 1), 1);
	close(fd);
	assert_int_equal(fstatat(dfd, "f", &st, 0), 0);
	assert_int_equal(st.st_atim.tv_sec, 1000000000);
	if (geteuid() == 0) {
		/* As someone else, O_NOATIME is refused (EPERM) and dropped. */
		assert_int_equal(chmod(d, 0755), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (setgid(65534) < 0 || setuid(65534) < 0)
				_exit(2);
			fd = vl_open_beneath(dfd, "f", O_RDONLY | O_NOATIME, 0,
					     1);
			_exit(fd >= 0 && read(fd, &c, 1) == 1 ? 0 : 1);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	close(dfd);
	tk_rmtree(d);
	free(d);
}

static void
test_vl_buf_detach_hands_over(void **state)
{
	struct vl_buf b = VL_BUF_INIT;
	size_t n;
	char *s;

	(void)state;
	s = vl_buf_detach(&b, &n);
	assert_string_equal(s, "");
	free(s);
	vl_buf_adds(&b, "hello");
	s = vl_buf_detach(&b, &n);
	assert_int_equal(n, 5);
	assert_string_equal(s, "hello");
	assert_string_equal(b.buf, "");
	free(s);
}

static void
test_vl_path_check_rejects_escapes(void **state)
{
	static const char *const bad[] = {
		"",     "/etc/passwd", "../x",    "a/../../b", "a/./b",
		"a//b", "a/",          "~root/x", "C:/x",      "c:x",
		"a\\b", "a\nb",        ".",       "..",
	};
	static const char *const good[] = {
		"data/a.txt", "a",           "data/..hidden",    "data/a..b",
		"x/y/z",      "data/%2e%2e", "data/caf\xc3\xa9",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vl_path_check(bad[i], NULL), VL_E_UNSAFE);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(vl_path_check(good[i], NULL), 0);
}

static void
test_vl_path_join_names_the_path(void **state)
{
	struct vl_buf b = VL_BUF_INIT;
	struct vl_err err = { 0 };

	(void)state;
	assert_int_equal(vl_path_join(&b, "/root/", "data/x", &err), 0);
	assert_string_equal(b.buf, "/root/data/x");
	assert_int_equal(vl_path_join(&b, "/root", "../x", &err), VL_E_UNSAFE);
	assert_non_null(strstr(err.msg, "'../x'"));
	vl_buf_release(&b);
}

static void
test_vl_time_round_trip(void **state)
{
	char s[VL_TIME_LEN];
	time_t t;

	(void)state;
	assert_int_equal(vl_time_parse("2024-02-29T23:59:58Z", &t), 0);
	vl_time_format(s, t);
	assert_string_equal(s, "2024-02-29T23:59:58Z");
	assert_int_equal(vl_time_parse("2024-02-29", &t), 0);
	assert_int_equal(vl_time_parse("2023-02-29", &t), VL_E_INVAL);
	assert_int_equal(vl_time_parse("2024-01-01T00:00:00+01:00", &t),
			 VL_E_INVAL);
	assert_int_equal(vl_time_parse("2024-13-01", &t), VL_E_INVAL);
	assert_int_equal(vl_time_parse("2024-1-01", &t), VL_E_INVAL);
}

static void
test_vl_parse_size_and_duration(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(vl_parse_size("500G", &v), 0);
	assert_true(v == 500ULL << 30);
	assert_int_equal(vl_parse_size("200M", &v), 0);
	assert_true(v == 200ULL << 20);
	assert_int_equal(vl_parse_size("10", &v), 0);
	assert_true(v == 10);
	assert_int_equal(vl_parse_size("10X", &v), VL_E_INVAL);
	assert_int_equal(vl_parse_size("-1", &v), VL_E_INVAL);
	assert_int_equal(vl_parse_duration("90d", &v), 0);
	assert_true(v == 90 * 86400ULL);
	assert_int_equal(vl_parse_duration("2h", &v), 0);
	assert_true(v == 7200);
}

static void
test_config_errors_name_file_and_line(void **state)
{
	struct repo_config cfg;
	struct vl_err err = { 0 };
	char *dir = tk_tmpdir();
	char path[4200];

	(void)state;
	snprintf(path, sizeof(path), "%s/vellum.conf", dir);
	tk_write(dir, "vellum.conf", "# comment\nname = X\ncolour = red\n");
	assert_int_equal(repo_config_load(&cfg, path, dir, &err), VL_E_FORMAT);
	assert_non_null(strstr(err.msg, "vellum.conf:3"));
	assert_non_null(strstr(err.msg, "'colour'"));
	tk_write(dir, "vellum.conf", "name = X\njust words\n");
	assert_int_equal(repo_config_load(&cfg, path, dir, &err), VL_E_FORMAT);
	assert_non_null(strstr(err.msg, ":2:"));
	tk_write(dir, "vellum.conf", "name =  Spaced Name  \npage_size=7\n");
	assert_int_equal(repo_config_load(&cfg, path, dir, &err), 0);
	assert_string_equal(cfg.name, "Spaced Name");
	assert_int_equal(cfg.page_size, 7);
	assert_string_equal(cfg.digests, "sha512");
	assert_true(cfg.storage_root[0] == '/');
	repo_config_release(&cfg);
	tk_rmtree(dir);
	free(dir);
}

static void
test_init_open_and_refuse_overwrite(void **state)
{
	struct repo_init_opts o = { .name = "Test repo" };
	struct vl_err err = { 0 };
	struct repo_stats s;
	struct repo *r;
	char *dir = tk_tmpdir();
	char *key = NULL;

	(void)state;
	assert_int_equal(repo_init(dir, &o, &err), 0);
	assert_int_equal(repo_init(dir, &o, &err), VL_E_EXISTS);
	assert_int_equal(repo_open(&r, dir, &err), 0);
	assert_string_equal(r->cfg.name, "Test repo");
	assert_int_equal(repo_stats(r, &s, &err), 0);
	assert_int_equal(s.objects, 0);
	assert_string_equal(s.last_audit, "");
	assert_int_equal(repo_setting_get(r, "token_key", &key, &err), 0);
	assert_non_null(key);
	assert_int_equal(strlen(key), 64);
	free(key);
	repo_close(r);
	tk_rmtree(dir);
	free(dir);
}

static void
test_newer_catalog_is_refused(void **state)
{
	struct vl_err err = { 0 };
	struct repo *r;
	sqlite3 *db;
	char *dir = tk_tmpdir();
	char path[4200], sql[64];

	(void)state;
	assert_int_equal(repo_init(dir, NULL, &err), 0);
	snprintf(path, sizeof(path), "%s/catalog.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		 repo_catalog_version() + 1);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(repo_open(&r, dir, &err), VL_E_VERSION);
	assert_null(r);
	assert_non_null(strstr(err.msg, "newer"));
	tk_rmtree(dir);
	free(dir);
}

static void
test_garbage_catalog_is_reported(void **state)
{
	struct vl_err err = { 0 };
	struct repo *r;
	char *dir = tk_tmpdir();
	char wal[4200];

	(void)state;
	assert_int_equal(repo_init(dir, NULL, &err), 0);
	snprintf(wal, sizeof(wal), "%s/catalog.db-wal", dir);
	unlink(wal);
	tk_write(dir, "catalog.db", "this is not a database, just text....");
	assert_int_equal(repo_open(&r, dir, &err), VL_E_DB);
	assert_non_null(strstr(err.msg, "catalog.db"));
	tk_rmtree(dir);
	free(dir);
}

static void
test_events_chain_and_detect_tampering(void **state)
{
	struct repo_event ev = { .object_id = "obj1",
				 .type = "ing",
				 .outcome = REPO_SUCCESS,
				 .detail = "ingested 3 files" };
	struct vl_err err = { 0 };
	struct repo *r;
	int64_t n = 0;
	char uuid[37];
	char *dir = tk_tmpdir(), prev_uuid[37];
	int i;

	(void)state;
	assert_int_equal(repo_init(dir, NULL, &err), 0);
	assert_int_equal(repo_open(&r, dir, &err), 0);
	for (i = 0; i < 5; i++) {
		assert_int_equal(repo_event_add(r, &ev, uuid, &err), 0);
		/* Version 7 (RFC 9562): time first, so in insertion order
		 * to the millisecond. */
		if (i)
			assert_true(memcmp(prev_uuid, uuid, 13) <= 0);
		memcpy(prev_uuid, uuid, sizeof(prev_uuid));
	}
	assert_int_equal(strlen(uuid), 36);
	assert_int_equal(uuid[14], '7');
	assert_true(strchr("89ab", uuid[19]) != NULL);
	ev.type = "nonsense";
	assert_int_equal(repo_event_add(r, &ev, NULL, &err), VL_E_INVAL);
	assert_int_equal(repo_event_verify_chain(r, &n, &err), 0);
	assert_int_equal(n, 5);
	/* The catalog refuses edits outright... */
	assert_int_not_equal(sqlite3_exec(r->db,
					  "UPDATE events SET detail ="
					  " 'x' WHERE seq = 3",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(r->db,
					  "DELETE FROM events WHERE"
					  " seq = 3",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	/* ...and an edit made around the triggers is still caught. */
	assert_int_equal(sqlite3_exec(r->db,
				      "DROP TRIGGER events_no_update;"
				      "UPDATE events SET detail = 'x' WHERE"
				      " seq = 3",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(repo_event_verify_chain(r, &n, &err), VL_E_CHECK);
	assert_non_null(strstr(err.msg, "event 3"));
	repo_close(r);
	tk_rmtree(dir);
	free(dir);
}

static void
test_collections_nest_and_check(void **state)
{
	struct vl_err err = { 0 };
	struct repo *r;
	sqlite3_stmt *st;
	char *dir = tk_tmpdir();

	(void)state;
	assert_int_equal(repo_init(dir, NULL, &err), 0);
	assert_int_equal(repo_open(&r, dir, &err), 0);
	assert_int_equal(repo_collection_ensure(r, "maps:crete:1620", &err), 0);
	assert_int_equal(repo_collection_ensure(r, "maps", &err), 0);
	assert_int_equal(sqlite3_prepare_v2(r->db,
					    "SELECT spec, name, parent FROM"
					    " collections ORDER BY spec",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(st, 0), "maps");
	assert_null(sqlite3_column_text(st, 2));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(st, 0), "maps:crete");
	assert_string_equal(sqlite3_column_text(st, 1), "crete");
	assert_string_equal(sqlite3_column_text(st, 2), "maps");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(st, 2), "maps:crete");
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(repo_collection_ensure(r, "a::b", &err), VL_E_INVAL);
	assert_int_equal(repo_collection_ensure(r, ":a", &err), VL_E_INVAL);
	assert_int_equal(repo_collection_ensure(r, "a:", &err), VL_E_INVAL);
	assert_int_equal(repo_collection_ensure(r, "a b", &err), VL_E_INVAL);
	assert_non_null(strstr(err.msg, "'a b'"));
	repo_close(r);
	tk_rmtree(dir);
	free(dir);
}

/* A library loaded on first use: a table filled in order, and errors
 * that name what is missing. */
#define LIBC_FUNCS(X) X(len, strlen) X(cmp, strcmp)

static void
test_vl_dl_table_loads_and_names_what_is_missing(void **state)
{
	static const char *const names[] = { LIBC_FUNCS(VL_DL_NAME) };
	static const char *const bad[] = { "strlen", "no_such_function_x" };
	struct {
		LIBC_FUNCS(VL_DL_MEMBER)
	} t;
	struct vl_err err = { 0 };

	(void)state;
	assert_int_equal(vl_dl_table("libc.so.6", names, 2, &t, &err), 0);
	assert_int_equal(t.len("four"), 4);
	assert_true(t.cmp("a", "b") < 0);
	assert_int_equal(
		vl_dl_table("libno-such-thing.so.9", names, 2, &t, &err),
		VL_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "libno-such-thing.so.9"));
	assert_int_equal(vl_dl_table("libc.so.6", bad, 2, &t, &err),
			 VL_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "no_such_function_x"));
}

static struct {
	LIBC_FUNCS(VL_DL_MEMBER)
} libc_api, none_api;
static int libc_inits;

static int
count_init(void)
{
	libc_inits++;
	return 0;
}

VL_DL_LIBRARY(libc_lib, "libc.so.6", LIBC_FUNCS, libc_api, count_init);
VL_DL_LIBRARY(none_lib, "libno-such-thing.so.9", LIBC_FUNCS, none_api, NULL);

/* vl_dl_load: loaded and initialized once; a failure remembered. */
static void
test_vl_dl_load_once(void **state)
{
	struct vl_err err = { 0 };

	(void)state;
	assert_int_equal(vl_dl_load(&libc_lib, &err), 0);
	assert_int_equal(vl_dl_load(&libc_lib, &err), 0);
	assert_int_equal(libc_inits, 1);
	assert_int_equal(libc_api.len("three"), 5);
	assert_int_equal(vl_dl_load(&none_lib, &err), VL_E_NOTFOUND);
	memset(&err, 0, sizeof(err));
	assert_int_equal(vl_dl_load(&none_lib, &err), VL_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "libno-such-thing.so.9"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vl_buf_grows_and_caps),
		cmocka_unit_test(
			test_vl_dl_table_loads_and_names_what_is_missing),
		cmocka_unit_test(test_vl_dl_load_once),
		cmocka_unit_test(test_vl_buf_detach_hands_over),
		cmocka_unit_test(test_vl_open_beneath_noatime_is_a_wish),
		cmocka_unit_test(test_vl_hash_values_are_fixed),
		cmocka_unit_test(test_vl_path_check_rejects_escapes),
		cmocka_unit_test(test_vl_path_join_names_the_path),
		cmocka_unit_test(test_vl_time_round_trip),
		cmocka_unit_test(test_vl_parse_size_and_duration),
		cmocka_unit_test(test_config_errors_name_file_and_line),
		cmocka_unit_test(test_init_open_and_refuse_overwrite),
		cmocka_unit_test(test_newer_catalog_is_refused),
		cmocka_unit_test(test_garbage_catalog_is_reported),
		cmocka_unit_test(test_events_chain_and_detect_tampering),
		cmocka_unit_test(test_collections_nest_and_check),
	};

	return cmocka_run_group_tests_name("repo", tests, NULL, NULL);
}
