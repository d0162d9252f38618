/*
 * test_storage.c - the POSIX storage backend: stages, atomic commit and
 * replace, safe reads, listing, deletion, cleaning after dead processes.
 */
#include "testkit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../repo/repo.h"

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

	repo_close(f->r);
	tk_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void
fill(const char *dir, const char *rel, const char *text)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	if (strchr(rel, '/')) {
		char d[4200];

		snprintf(d, sizeof(d), "%s", p);
		*strrchr(d, '/') = '\0';
		assert_int_equal(vl_mkdirs(d, 0755, NULL), 0);
	}
	tk_write(dir, rel, text);
}

static void
store(struct repo *r, const char *id)
{
	struct repo_stage *s;
	struct vl_err err = { 0 };

	assert_int_equal(repo_stage_new(r, id, REPO_STAGE_CREATE, &s, &err), 0);
	fill(repo_stage_dir(s), "bagit.txt", "BagIt-Version: 1.0\n");
	fill(repo_stage_dir(s), "data/b.txt", "bee\n");
	fill(repo_stage_dir(s), "data/a/z.txt", "zed\n");
	fill(repo_stage_dir(s), "data/a.txt", "aye\n");
	assert_int_equal(repo_stage_commit(s, 0, &err), 0);
	repo_stage_finish(s);
}

static char *
read_stored(struct repo *r, const char *key, const char *rel)
{
	struct vl_err err = { 0 };
	char buf[256];
	ssize_t n;
	int fd;

	if (repo_store_open(r, key, rel, &fd, &err) < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return strdup(buf);
}

static void
test_key_is_hashed_and_encoded(void **state)
{
	char *k1 = repo_store_key("obj-1");
	char *k2 = repo_store_key("a/b c");
	char *k3 = repo_store_key("..");

	(void)state;
	assert_int_equal(strlen(k1), 6 + 5);
	assert_string_equal(k1 + 6, "obj-1");
	assert_string_equal(k2 + 6, "a%2Fb%20c");
	assert_string_equal(k3 + 6, "%2E.");
	assert_int_equal(vl_path_check(k3, NULL), 0);
	free(k1);
	free(k2);
	free(k3);
}

struct listing {
	char paths[16][64];
	int n, irregular;
};

static int
collect(void *ctx, const char *rel, const struct repo_stat *st)
{
	struct listing *l = ctx;

	assert_true(l->n < 16);
	snprintf(l->paths[l->n++], 64, "%s", rel);
	if (!st->regular)
		l->irregular++;
	return 0;
}

static void
test_commit_list_and_read(void **state)
{
	struct fixture *f = *state;
	struct listing l = { 0 };
	struct vl_err err = { 0 };
	char *key = repo_store_key("obj-1");
	char *text;

	store(f->r, "obj-1");
	assert_true(repo_store_exists(f->r, key));
	assert_int_equal(repo_store_list(f->r, key, collect, &l, &err), 0);
	assert_int_equal(l.n, 4);
	/* byte order of whole paths: "a.txt" < "a/z.txt" */
	assert_string_equal(l.paths[0], "bagit.txt");
	assert_string_equal(l.paths[1], "data/a.txt");
	assert_string_equal(l.paths[2], "data/a/z.txt");
	assert_string_equal(l.paths[3], "data/b.txt");
	text = read_stored(f->r, key, "data/a/z.txt");
	assert_string_equal(text, "zed\n");
	free(text);
	free(key);
}

static void
test_second_store_of_same_id_is_refused(void **state)
{
	struct fixture *f = *state;
	struct repo_stage *s;
	struct vl_err err = { 0 };
	char *key = repo_store_key("obj-1");
	char *text;

	store(f->r, "obj-1");
	assert_int_equal(
		repo_stage_new(f->r, "obj-1", REPO_STAGE_CREATE, &s, &err), 0);
	fill(repo_stage_dir(s), "data/b.txt", "other\n");
	assert_int_equal(repo_stage_commit(s, 0, &err), VL_E_EXISTS);
	repo_stage_abort(s);
	text = read_stored(f->r, key, "data/b.txt");
	assert_string_equal(text, "bee\n");
	free(text);
	free(key);
}

static int
collect_sizes(void *ctx, const char *rel, const struct repo_stat *st)
{
	uint64_t *sum = ctx;

	(void)rel;
	assert_true(st->regular);
	*sum += st->size == REPO_SIZE_UNKNOWN ? 1000000 : st->size;
	return 0;
}

static void
test_an_object_held_open(void **state)
{
	struct fixture *f = *state;
	struct listing l1 = { 0 }, l2 = { 0 };
	struct vl_err err = { 0 };
	struct repo_object *o;
	char *key = repo_store_key("obj-1");
	uint64_t sized = 0, unsized = 0;
	char text[16] = { 0 };
	int fd;

	assert_int_equal(repo_object_open(f->r, "ab/cd/none", &o, &err),
			 VL_E_NOTFOUND);
	assert_null(o);
	store(f->r, "obj-1");
	assert_int_equal(repo_object_open(f->r, key, &o, &err), 0);
	/* listed twice through one handle: each listing whole */
	assert_int_equal(repo_object_list(o, 0, collect, &l1, &err), 0);
	assert_int_equal(repo_object_list(o, 0, collect, &l2, &err), 0);
	assert_int_equal(l1.n, 4);
	assert_int_equal(l2.n, 4);
	assert_string_equal(l2.paths[2], "data/a/z.txt");
	/* sizes when asked for, else unknown (no stat per file) */
	assert_int_equal(repo_object_list(o, 0, collect_sizes, &sized, &err),
			 0);
	assert_int_equal(sized, strlen("aye\n") + strlen("zed\n") +
					strlen("bee\n") +
					strlen("BagIt-Version: 1.0\n"));
	assert_int_equal(repo_object_list(o, REPO_LIST_NO_SIZES, collect_sizes,
					  &unsized, &err),
			 0);
	assert_int_equal(unsized, 4000000);
	assert_int_equal(repo_object_file(o, "data/a/z.txt", &fd, &err), 0);
	assert_int_equal(read(fd, text, sizeof(text) - 1), 4);
	assert_string_equal(text, "zed\n");
	close(fd);
	assert_int_equal(repo_object_file(o, "data/nothing", &fd, &err),
			 VL_E_NOTFOUND);
	assert_int_equal(repo_object_file(o, "../x", &fd, &err), VL_E_UNSAFE);
	assert_int_equal(repo_object_file(o, "data", &fd, &err), VL_E_UNSAFE);
	repo_object_close(o);
	free(key);
}

static void
test_symlinks_are_never_followed(void **state)
{
	struct fixture *f = *state;
	struct listing l = { 0 };
	struct vl_err err = { 0 };
	struct repo_stat st;
	char *key = repo_store_key("obj-1");
	char p[4200], real[4300];
	int fd;

	store(f->r, "obj-1");
	snprintf(p, sizeof(p), "%s/storage/objects/%s/data/b.txt", f->dir, key);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	assert_int_equal(repo_store_open(f->r, key, "data/b.txt", &fd, &err),
			 VL_E_UNSAFE);
	assert_int_equal(
		repo_store_open(f->r, key, "../../../vellum.conf", &fd, &err),
		VL_E_UNSAFE);
	assert_int_equal(repo_store_stat(f->r, key, "data/b.txt", &st, &err),
			 0);
	assert_false(st.regular);
	assert_int_equal(repo_store_list(f->r, key, collect, &l, &err), 0);
	assert_int_equal(l.irregular, 1);
	assert_int_equal(repo_store_open(f->r, key, "data/nothing", &fd, &err),
			 VL_E_NOTFOUND);
	/* a directory on the way that is a symlink, even one leading back
	 * inside the object */
	snprintf(p, sizeof(p), "%s/storage/objects/%s/alias", f->dir, key);
	assert_int_equal(symlink("data", p), 0);
	assert_int_equal(repo_store_open(f->r, key, "alias/a.txt", &fd, &err),
			 VL_E_UNSAFE);
	/* the object directory itself a symlink: neither read nor listed */
	snprintf(p, sizeof(p), "%s/storage/objects/%s", f->dir, key);
	snprintf(real, sizeof(real), "%s.real", p);
	assert_int_equal(rename(p, real), 0);
	assert_int_equal(symlink(real, p), 0);
	assert_true(repo_store_open(f->r, key, "bagit.txt", &fd, &err) < 0);
	assert_true(repo_store_list(f->r, key, collect, &l, &err) < 0);
	free(key);
}

static void
test_replace_swaps_whole_object(void **state)
{
	struct fixture *f = *state;
	struct repo_stage *s;
	struct vl_err err = { 0 };
	char *key = repo_store_key("obj-1");
	char p[4200];
	char *text;

	store(f->r, "obj-1");
	assert_int_equal(
		repo_stage_new(f->r, "obj-1", REPO_STAGE_REPLACE, &s, &err), 0);
	/* The stage starts as the stored object... */
	snprintf(p, sizeof(p), "%s/data/a/z.txt", repo_stage_dir(s));
	assert_int_equal(access(p, F_OK), 0);
	/* ...and new content replaces files, it never writes into them. */
	snprintf(p, sizeof(p), "%s/bagit.txt", repo_stage_dir(s));
	assert_int_equal(vl_write_file_atomic(p, "new\n", 4, &err), 0);
	text = read_stored(f->r, key, "bagit.txt");
	assert_string_equal(text, "BagIt-Version: 1.0\n");
	free(text);
	assert_int_equal(repo_stage_commit(s, 1, &err), 0);
	repo_stage_finish(s);
	text = read_stored(f->r, key, "bagit.txt");
	assert_string_equal(text, "new\n");
	free(text);
	text = read_stored(f->r, key, "data/b.txt");
	assert_string_equal(text, "bee\n");
	free(text);
	free(key);
}

static void
test_delete_removes_object(void **state)
{
	struct fixture *f = *state;
	struct vl_err err = { 0 };
	char *key = repo_store_key("obj-1");

	store(f->r, "obj-1");
	assert_int_equal(repo_store_delete(f->r, key, &err), 0);
	assert_false(repo_store_exists(f->r, key));
	assert_int_equal(repo_store_delete(f->r, key, &err), VL_E_NOTFOUND);
	free(key);
}

static int
count_keys(void *ctx, const char *key)
{
	(void)key;
	(*(int *)ctx)++;
	return 0;
}

static void
test_list_objects(void **state)
{
	struct fixture *f = *state;
	struct vl_err err = { 0 };
	int n = 0;

	store(f->r, "one");
	store(f->r, "two");
	store(f->r, "three");
	assert_int_equal(repo_store_list_objects(f->r, count_keys, &n, &err),
			 0);
	assert_int_equal(n, 3);
}

static void
test_clean_removes_only_dead_stages(void **state)
{
	struct fixture *f = *state;
	struct repo_stage *live;
	struct vl_err err = { 0 };
	pid_t pid;
	int status;

	assert_int_equal(
		repo_stage_new(f->r, "live", REPO_STAGE_CREATE, &live, &err),
		0);
	pid = fork();
	if (pid == 0) {
		struct repo_stage *s;

		/* A process that dies mid-ingest, as kill -9 would leave it. */
		if (repo_stage_new(f->r, "dead", REPO_STAGE_CREATE, &s, NULL) ==
		    0)
			fill(repo_stage_dir(s), "data/x", "x");
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(repo_store_clean_stages(f->r, NULL, NULL, &err), 1);
	assert_int_equal(access(repo_stage_dir(live), F_OK), 0);
	assert_int_equal(repo_store_clean_stages(f->r, NULL, NULL, &err), 0);
	repo_stage_abort(live);
}

static void
test_vacant_stage_is_made_by_the_caller(void **state)
{
	struct fixture *f = *state;
	struct repo_stage *s;
	struct vl_err err = { 0 };
	char *key = repo_store_key("v-1");
	char *text;

	assert_int_equal(
		repo_stage_new(f->r, "v-1", REPO_STAGE_VACANT, &s, &err), 0);
	assert_int_not_equal(access(repo_stage_dir(s), F_OK), 0);
	assert_int_equal(access(repo_stage_scratch(s), F_OK), 0);
	assert_int_equal(mkdir(repo_stage_dir(s), 0755), 0);
	fill(repo_stage_dir(s), "data/x", "ex\n");
	fill(repo_stage_scratch(s), "tmp.txt", "scratch\n");
	assert_int_equal(repo_stage_commit(s, 0, &err), 0);
	repo_stage_finish(s);
	text = read_stored(f->r, key, "data/x");
	assert_string_equal(text, "ex\n");
	free(text);
	/* The scratch space went with the stage. */
	assert_int_equal(repo_store_clean_stages(f->r, NULL, NULL, &err), 0);
	free(key);
}

static void
test_replace_of_missing_object_fails(void **state)
{
	struct fixture *f = *state;
	struct repo_stage *s;
	struct vl_err err = { 0 };

	assert_int_equal(
		repo_stage_new(f->r, "nothing", REPO_STAGE_REPLACE, &s, &err),
		VL_E_NOTFOUND);
	assert_null(s);
}

static void
test_rollback_undoes_a_store(void **state)
{
	struct fixture *f = *state;
	struct repo_stage *s;
	struct vl_err err = { 0 };
	char *key = repo_store_key("obj-1");
	char *text;

	assert_int_equal(
		repo_stage_new(f->r, "new-1", REPO_STAGE_CREATE, &s, &err), 0);
	fill(repo_stage_dir(s), "data/x", "x\n");
	assert_int_equal(repo_stage_commit(s, 0, &err), 0);
	assert_int_equal(repo_stage_rollback(s, &err), 0);
	free(key);
	key = repo_store_key("new-1");
	assert_false(repo_store_exists(f->r, key));
	free(key);
	/* An update rolled back leaves the old version in place. */
	store(f->r, "obj-1");
	key = repo_store_key("obj-1");
	assert_int_equal(
		repo_stage_new(f->r, "obj-1", REPO_STAGE_REPLACE, &s, &err), 0);
	fill(repo_stage_scratch(s), "x", "");
	{
		char p[4200];

		snprintf(p, sizeof(p), "%s/bagit.txt", repo_stage_dir(s));
		assert_int_equal(vl_write_file_atomic(p, "v2\n", 3, &err), 0);
	}
	assert_int_equal(repo_stage_commit(s, 2, &err), 0);
	text = read_stored(f->r, key, "bagit.txt");
	assert_string_equal(text, "v2\n");
	free(text);
	assert_int_equal(repo_stage_rollback(s, &err), 0);
	text = read_stored(f->r, key, "bagit.txt");
	assert_string_equal(text, "BagIt-Version: 1.0\n");
	free(text);
	free(key);
}

/* A child stores id and dies before its catalog commit (kill -9). */
static void
die_after_store(struct repo *r, const char *id, enum repo_stage_mode mode,
		int64_t version)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct repo_stage *s;
		char p[4200];

		if (repo_stage_new(r, id, mode, &s, NULL) < 0)
			_exit(1);
		snprintf(p, sizeof(p), "%s/bagit.txt", repo_stage_dir(s));
		if (vl_write_file_atomic(p, "new\n", 4, NULL) < 0 ||
		    repo_stage_commit(s, version, NULL) < 0)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* After cleaning: k1 (never recorded) is gone, k2 (recorded) stays, k3
 * (an update never recorded) holds its old content again. */
static void
assert_recovered(struct fixture *f, int cleaned, char *k1, char *k2, char *k3)
{
	struct vl_err err = { 0 };
	char *text;

	assert_int_equal(repo_store_clean_stages(f->r, NULL, NULL, &err),
			 cleaned);
	assert_false(repo_store_exists(f->r, k1));
	assert_true(repo_store_exists(f->r, k2));
	text = read_stored(f->r, k3, "bagit.txt");
	assert_string_equal(text, "BagIt-Version: 1.0\n");
	free(text);
	free(k1);
	free(k2);
	free(k3);
}

static void
test_clean_undoes_stores_the_catalog_never_recorded(void **state)
{
	struct fixture *f = *state;
	char *k1 = repo_store_key("lost"), *k2 = repo_store_key("kept");
	char *k3 = repo_store_key("upd");
	char sql[512];
	char *text;

	die_after_store(f->r, "lost", REPO_STAGE_CREATE, 0);
	die_after_store(f->r, "kept", REPO_STAGE_CREATE, 0);
	assert_true(repo_store_exists(f->r, k1));
	/* The catalog commit of "kept" happened, that of "lost" did not. */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO objects(id, created, datestamp, storage_key)"
		 " VALUES('kept', 'x', 'x', '%s'), ('upd', 'x', 'x', '%s')",
		 k2, k3);
	assert_int_equal(sqlite3_exec(f->r->db, sql, NULL, NULL, NULL),
			 SQLITE_OK);
	store(f->r, "upd");
	die_after_store(f->r, "upd", REPO_STAGE_REPLACE, 2);
	text = read_stored(f->r, k3, "bagit.txt");
	assert_string_equal(text, "new\n");
	free(text);
	assert_recovered(f, 3, k1, k2, k3);
}

/* A group: its stages share one directory, lock and marker.  A child
 * stores three objects of a group (two new, one replaced) with one
 * repo_stage_commit_many and dies; cleaning undoes, line by line, the
 * stores the catalog did not record and keeps the one it did. */
static void
test_group_stores_together_and_cleaning_undoes_each(void **state)
{
	struct fixture *f = *state;
	char *k1 = repo_store_key("g-lost"), *k2 = repo_store_key("g-kept");
	char *k3 = repo_store_key("g-upd");
	char sql[512];
	int status;
	pid_t pid;

	store(f->r, "g-upd");
	pid = fork();
	if (pid == 0) {
		static const char *const ids[] = { "g-lost", "g-kept",
						   "g-upd" };
		struct repo_stage_group *g;
		struct repo_stage *s[3];
		int64_t v[3] = { 1, 1, 2 };
		char p[4200];
		int i;

		if (repo_stage_group_new(f->r, &g, NULL) < 0)
			_exit(1);
		for (i = 0; i < 3; i++) {
			if (repo_stage_new_in(g, ids[i],
					      i < 2 ? REPO_STAGE_CREATE
						    : REPO_STAGE_REPLACE,
					      &s[i], NULL) < 0 ||
			    repo_stage_scratch(s[i]) != NULL)
				_exit(1);
			snprintf(p, sizeof(p), "%s/bagit.txt",
				 repo_stage_dir(s[i]));
			if (vl_write_file_atomic(p, "new\n", 4, NULL) < 0)
				_exit(1);
		}
		if (repo_stage_commit_many(s, v, 3, NULL) < 0)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(repo_store_exists(f->r, k1));
	snprintf(sql, sizeof(sql),
		 "INSERT INTO objects(id, created, datestamp, storage_key,"
		 " md_version) VALUES('g-kept', 'x', 'x', '%s', 1),"
		 " ('g-upd', 'x', 'x', '%s', 1)",
		 k2, k3);
	assert_int_equal(sqlite3_exec(f->r->db, sql, NULL, NULL, NULL),
			 SQLITE_OK);
	/* One group: one lock, one directory. */
	assert_recovered(f, 1, k1, k2, k3);
}

/* In a live group, a finished stage leaves nothing behind and an
 * aborted one is removed at once. */
static void
test_group_finish_and_abort(void **state)
{
	struct fixture *f = *state;
	struct vl_err err = { 0 };
	struct repo_stage_group *g;
	struct repo_stage *a, *b;
	char *k = repo_store_key("ga");

	assert_int_equal(repo_stage_group_new(f->r, &g, &err), 0);
	assert_int_equal(
		repo_stage_new_in(g, "ga", REPO_STAGE_CREATE, &a, &err), 0);
	assert_int_equal(
		repo_stage_new_in(g, "gb", REPO_STAGE_CREATE, &b, &err), 0);
	assert_string_not_equal(repo_stage_dir(a), repo_stage_dir(b));
	fill(repo_stage_dir(a), "bagit.txt", "a\n");
	assert_int_equal(repo_stage_commit_many(&a, NULL, 1, &err), 0);
	repo_stage_finish(a);
	assert_true(repo_store_exists(f->r, k));
	repo_stage_abort(b);
	/* The group is live (locked): cleaning leaves it alone. */
	assert_int_equal(repo_store_clean_stages(f->r, NULL, NULL, &err), 0);
	repo_stage_group_free(g);
	assert_int_equal(repo_store_clean_stages(f->r, NULL, NULL, &err), 0);
	free(k);
}

/* A process killed between creating its temporary lock and renaming it
 * leaves NAME.lock.tmp.PID: cleaning removes it once PID is gone, and
 * never a live process's. */
static void
test_clean_removes_temporary_locks_of_dead_processes(void **state)
{
	struct fixture *f = *state;
	struct vl_err err = { 0 };
	char staging[2048], dead[64], live[64], p[2200];
	pid_t pid = fork();
	int status;

	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	snprintf(staging, sizeof(staging), "%s/storage/.staging", f->dir);
	assert_int_equal(vl_mkdirs(staging, 0755, &err), 0);
	snprintf(dead, sizeof(dead), "x.1234.lock.tmp.%ld", (long)pid);
	snprintf(live, sizeof(live), "y.5678.lock.tmp.%ld", (long)getpid());
	tk_write(staging, dead, "");
	tk_write(staging, live, "");
	assert_int_equal(repo_store_clean_stages(f->r, NULL, NULL, &err), 0);
	snprintf(p, sizeof(p), "%s/%s", staging, dead);
	assert_int_equal(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/%s", staging, live);
	assert_int_equal(access(p, F_OK), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_is_hashed_and_encoded),
		cmocka_unit_test_setup_teardown(test_an_object_held_open, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_commit_list_and_read,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_second_store_of_same_id_is_refused, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_symlinks_are_never_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_swaps_whole_object,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_removes_object,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_objects, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_clean_removes_only_dead_stages, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_vacant_stage_is_made_by_the_caller, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_replace_of_missing_object_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_undoes_a_store,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_group_stores_together_and_cleaning_undoes_each,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_finish_and_abort,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_clean_removes_temporary_locks_of_dead_processes,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_clean_undoes_stores_the_catalog_never_recorded,
			setup, teardown),
	};

	return cmocka_run_group_tests_name("storage", tests, NULL, NULL);
}
