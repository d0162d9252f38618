/*
 * test_bag.c - the BagIt engine: the Library of Congress conformance
 * suite (every bag, enumerated), generated edge cases for each RFC 8493
 * rule, hostile archives, round trips, update, tag files, profiles and
 * fetch (file:// and a libmicrohttpd server on 127.0.0.1).
 */
#include "testkit.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include "../../ingest/ingest.h"
#include "../../ingest/bag_impl.h"

/* Test paths are built with snprintf into generous fixed buffers; a
 * truncated one fails the test loudly, which is all a test needs. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* ---- helpers ---- */

static void
mkdirs(const char *path)
{
	char p[4200];
	size_t i;

	snprintf(p, sizeof(p), "%s", path);
	for (i = 1; p[i]; i++)
		if (p[i] == '/') {
			p[i] = '\0';
			mkdir(p, 0755);
			p[i] = '/';
		}
	mkdir(p, 0755);
}

static void
put(const char *dir, const char *rel, const void *data, size_t len)
{
	char p[4200], *slash;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	slash = strrchr(p, '/');
	*slash = '\0';
	mkdirs(p);
	*slash = '/';
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
puts_(const char *dir, const char *rel, const char *text)
{
	put(dir, rel, text, strlen(text));
}

static void
hex_of(char *out, int alg, const void *data, size_t len)
{
	struct fix_hasher *h;
	struct fix_digests d;
	struct vl_err err;

	assert_int_equal(fix_hasher_new(&h, FIX_ALG_BIT(alg), &err), 0);
	fix_hasher_update(h, data, len, &err);
	fix_hasher_final(h, &d, &err);
	fix_hex(out, d.md[alg], fix_alg_size(alg));
	fix_hasher_free(h);
}

static char *
path_in(const char *dir, const char *rel)
{
	char *p = malloc(4200);

	snprintf(p, 4200, "%s/%s", dir, rel);
	return p;
}

static void
rm_in(const char *dir, const char *rel)
{
	char *p = path_in(dir, rel);

	unlink(p);
	free(p);
}

/* access(2) of dir/rel: 0 when it exists, -1 otherwise. */
static int
exists_in(const char *dir, const char *rel)
{
	char *p = path_in(dir, rel);
	int rc = access(p, F_OK);

	free(p);
	return rc;
}

static void
append_line(const char *dir, const char *rel, const char *line)
{
	char *p = path_in(dir, rel);
	FILE *f = fopen(p, "ab");

	assert_non_null(f);
	fputs(line, f);
	fclose(f);
	free(p);
}

/* Adds data/NAME with content to the bag at dir, listed in the
 * manifest of alg (as "checksum  path"). */
static void
add_payload(const char *dir, const char *name, const char *content, int alg)
{
	char rel[1024], hex[FIX_HEX_MAX], line[2048], man[64];

	snprintf(rel, sizeof(rel), "data/%s", name);
	puts_(dir, rel, content);
	hex_of(hex, alg, content, strlen(content));
	snprintf(line, sizeof(line), "%s  data/%s\n", hex, name);
	snprintf(man, sizeof(man), "manifest-%s.txt", fix_alg_name(alg));
	append_line(dir, man, line);
}

/* A minimal 1.0 (or other version) bag with one payload file. */
static char *
mini_bag(const char *version)
{
	char *dir = tk_tmpdir(), decl[128];

	snprintf(decl, sizeof(decl),
		 "BagIt-Version: %s\nTag-File-Character-Encoding: UTF-8\n",
		 version);
	puts_(dir, "bagit.txt", decl);
	add_payload(dir, "hello.txt", "hello\n", FIX_SHA256);
	return dir;
}

static int
validate(const char *path, enum bag_mode mode, struct bag_report *rep)
{
	struct bag_validate_opts o = { 0 };
	struct vl_err err = { 0 };
	int rc;

	o.mode = mode;
	o.threads = 2;
	bag_report_init(rep);
	rc = bag_validate(path, &o, rep, &err);
	if (rc < 0)
		fprintf(stderr, "validate %s: %s\n", path, err.msg);
	return rc;
}

/* The problem with code about path, or NULL. */
static const struct bag_problem *
find(const struct bag_report *r, const char *code, const char *path)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].code, code) &&
		    (!path || (r->v[i].path && !strcmp(r->v[i].path, path))))
			return &r->v[i];
	return NULL;
}

static void
dump(const struct bag_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		fprintf(stderr, "  %s %s %s:%u %s\n",
			r->v[i].severity == BAG_ERROR ? "E" : "W", r->v[i].code,
			r->v[i].path ? r->v[i].path : "-", r->v[i].line,
			r->v[i].message);
}

/* Asserts the verdict and that a problem with code about path exists. */
static void
expect(const char *dir, int valid, const char *code, const char *path)
{
	struct bag_report r;

	assert_int_equal(validate(dir, BAG_FULL, &r), 0);
	if (r.valid != valid || (code && !find(&r, code, path))) {
		fprintf(stderr, "%s: valid=%d, expected %d and %s on %s\n", dir,
			r.valid, valid, code ? code : "-", path ? path : "-");
		dump(&r);
		fail();
	}
	bag_report_release(&r);
}

/* ---- the conformance suite ---- */

static const char *
shared_dir(void)
{
	const char *s = getenv("SHARED");

	return s && *s ? s : "../shared";
}

/*
 * Where the suite's folder name is not the right verdict on Linux, and
 * why.  Everything else must give the verdict of its folder.
 */
static const struct {
	const char *bag;
	int valid;
	const char *code, *path, *why;
} linux_exceptions[] = {
	{ "v0.97/warning/duplicate-file-with-different-case", 0, "missing-file",
	  "data/HELLO.txt",
	  "the manifest lists data/hello.txt and data/HELLO.txt but only "
	  "hello.txt exists; on a case-insensitive file system (where the "
	  "suite was made) both names reach it, on Linux data/HELLO.txt is "
	  "missing, so the bag is incomplete (RFC 8493 3); the case clash "
	  "is still warned about" },
	{ "v0.97/warning/special-system-files", 0, "missing-file",
	  "data/.DS_Store",
	  "the copy of the suite in ../shared lacks data/.DS_Store (a hidden "
	  "file dropped when the bags were copied), which the manifest "
	  "lists: incomplete (RFC 8493 3); Thumbs.db is warned about" },
};

struct suite_count {
	unsigned cases, valid, invalid, warning, exceptions;
};

static int
is_warning_only(const struct bag_report *r)
{
	size_t i;

	/* A warning beyond the generic ones every old bag gets. */
	for (i = 0; i < r->n; i++)
		if (r->v[i].severity == BAG_WARNING &&
		    strcmp(r->v[i].code, "weak-algorithm") != 0 &&
		    strcmp(r->v[i].code, "tag-encoding") != 0)
			return 1;
	return 0;
}

static void
check_case(const char *base, const char *version, const char *cat,
	   const char *name, struct suite_count *cnt)
{
	char path[16384], id[512];
	struct bag_report r;
	size_t i;
	int want_valid = !strcmp(cat, "valid") || !strcmp(cat, "warning");

	snprintf(path, sizeof(path), "%s/%s/%s/%s", base, version, cat, name);
	snprintf(id, sizeof(id), "%s/%s/%s", version, cat, name);
	assert_int_equal(validate(path, BAG_FULL, &r), 0);
	cnt->cases++;
	for (i = 0; i < sizeof(linux_exceptions) / sizeof(linux_exceptions[0]);
	     i++) {
		if (strcmp(linux_exceptions[i].bag, id) != 0)
			continue;
		if (!strcmp(id, "v0.97/warning/special-system-files")) {
			/* If the hidden file is there after all, the folder's
			 * verdict holds. */
			char ds[4300];

			snprintf(ds, sizeof(ds), "%s/data/.DS_Store", path);
			if (access(ds, F_OK) == 0)
				break;
		}
		cnt->exceptions++;
		if (r.valid != linux_exceptions[i].valid ||
		    !find(&r, linux_exceptions[i].code,
			  linux_exceptions[i].path)) {
			fprintf(stderr, "%s (%s):\n", id,
				linux_exceptions[i].why);
			dump(&r);
			fail();
		}
		bag_report_release(&r);
		return;
	}
	if (r.valid != want_valid ||
	    (!strcmp(cat, "warning") && !is_warning_only(&r))) {
		fprintf(stderr, "%s: valid=%d, expected %d%s\n", id, r.valid,
			want_valid,
			!strcmp(cat, "warning") ? " with a warning" : "");
		dump(&r);
		fail();
	}
	if (!strcmp(cat, "valid"))
		cnt->valid++;
	else if (!strcmp(cat, "warning"))
		cnt->warning++;
	else
		cnt->invalid++;
	bag_report_release(&r);
}

static int
list_sorted(const char *dir, char names[][128], int max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0, i, j;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char p[4200];
		struct stat st;

		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (de->d_name[0] == '.' || stat(p, &st) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		snprintf(names[n++], 128, "%s", de->d_name);
	}
	closedir(d);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char t[128];

			memcpy(t, names[j], 128);
			memcpy(names[j], names[j - 1], 128);
			memcpy(names[j - 1], t, 128);
		}
	return n;
}

static void
test_conformance_suite_verdicts(void **state)
{
	static char versions[16][128], cats[8][128], bags[64][128];
	struct suite_count cnt = { 0 };
	char base[2048], p[4096];
	int nv, v, c, b, nc, nb;

	(void)state;
	snprintf(base, sizeof(base), "%s/conformance/bagit", shared_dir());
	if (access(base, F_OK) != 0) {
		fprintf(stderr, "no conformance suite at %s\n", base);
		skip();
	}
	nv = list_sorted(base, versions, 16);
	for (v = 0; v < nv; v++) {
		snprintf(p, sizeof(p), "%s/%s", base, versions[v]);
		nc = list_sorted(p, cats, 8);
		for (c = 0; c < nc; c++) {
			char q[8192];

			/* valid, invalid, warning; linux-only are invalid
			 * here; windows-only are invalid everywhere for us,
			 * as backslashes and drive letters are refused on
			 * every system (RFC 8493 2.1.3, 5.1). */
			snprintf(q, sizeof(q), "%s/%s", p, cats[c]);
			nb = list_sorted(q, bags, 64);
			for (b = 0; b < nb; b++)
				check_case(base, versions[v], cats[c], bags[b],
					   &cnt);
		}
	}
	/* 60 bags in the 2021 snapshot; never silently fewer. */
	assert_true(cnt.cases >= 54);
	assert_int_equal(cnt.exceptions, 2);
	assert_true(cnt.valid >= 20 && cnt.invalid >= 20 && cnt.warning >= 4);
}

/* The valid bags also validate when serialized (pack, then read the
 * archive without extracting). */
static void
test_conformance_valid_bags_as_archives(void **state)
{
	static char versions[16][128], bags[64][128];
	static const char *const fmt_name[] = { "tar", "tgz", "zip" };
	char base[2048], p[4096], arc[16384], *tmp;
	struct vl_err err = { 0 };
	int nv, v, b, nb, n = 0;

	(void)state;
	snprintf(base, sizeof(base), "%s/conformance/bagit", shared_dir());
	if (access(base, F_OK) != 0)
		skip();
	tmp = tk_tmpdir();
	nv = list_sorted(base, versions, 16);
	for (v = 0; v < nv; v++) {
		snprintf(p, sizeof(p), "%s/%s/valid", base, versions[v]);
		nb = list_sorted(p, bags, 64);
		for (b = 0; b < nb; b++) {
			struct bag_report r;
			char bag[16384];
			int fmt = BAG_FMT_TAR + n % 3;

			snprintf(bag, sizeof(bag), "%s/%s", p, bags[b]);
			snprintf(arc, sizeof(arc), "%s/%s-%s%s", tmp,
				 versions[v], bags[b], bag_format_ext(fmt));
			assert_int_equal(bag_pack(bag, arc, fmt, NULL, &err),
					 0);
			assert_int_equal(validate(arc, BAG_FULL, &r), 0);
			if (!r.valid) {
				fprintf(stderr, "%s as %s:\n", bag,
					fmt_name[fmt - 1]);
				dump(&r);
				fail();
			}
			assert_true(r.serialized);
			bag_report_release(&r);
			n++;
		}
	}
	assert_true(n >= 20);
	tk_rmtree(tmp);
	free(tmp);
}

/* ---- generated edge cases ---- */

static void
test_percent_encoded_names_round_trip(void **state)
{
	char *src = tk_tmpdir(), *dst = path_in(src, "bag"), *in;
	struct bag_create_opts o = { 0 };
	struct bag_summary sum;
	struct vl_err err = { 0 };
	struct vl_buf man = VL_BUF_INIT;

	(void)state;
	in = path_in(src, "in");
	puts_(in, "100%.txt", "percent");
	puts_(in, "a\nb", "newline");
	puts_(in, "c\rd", "return");
	puts_(in, "%0A literally", "not a newline");
	o.algs = FIX_ALG_BIT(FIX_SHA256);
	o.threads = 2;
	assert_int_equal(bag_create(in, dst, &o, &sum, &err), 0);
	assert_int_equal(sum.files, 4);
	{
		char *m = path_in(dst, "manifest-sha256.txt");

		assert_int_equal(vl_read_file(&man, m, 0, &err), 0);
		free(m);
	}
	/* 1.0 writes %, CR and LF encoded (2.1.3). */
	assert_non_null(strstr(man.buf, "  data/100%25.txt\n"));
	assert_non_null(strstr(man.buf, "  data/a%0Ab\n"));
	assert_non_null(strstr(man.buf, "  data/c%0Dd\n"));
	assert_non_null(strstr(man.buf, "  data/%250A literally\n"));
	expect(dst, 1, NULL, NULL);
	vl_buf_release(&man);
	free(dst);
	free(in);
	tk_rmtree(src);
	free(src);
}

static void
test_version_rules_for_percent_signs(void **state)
{
	char *d97 = mini_bag("0.97"), *d10 = mini_bag("1.0");
	char hex[FIX_HEX_MAX], line[256];

	(void)state;
	/* A file literally named "100%25.txt": 0.97 wrote names as they
	 * are, so the manifest line matches it; in 1.0 the same line means
	 * "100%.txt". */
	hex_of(hex, FIX_SHA256, "x", 1);
	snprintf(line, sizeof(line), "%s  data/100%%25.txt\n", hex);
	puts_(d97, "data/100%25.txt", "x");
	append_line(d97, "manifest-sha256.txt", line);
	expect(d97, 1, NULL, NULL);
	puts_(d10, "data/100%25.txt", "x");
	append_line(d10, "manifest-sha256.txt", line);
	expect(d10, 0, "missing-file", "data/100%.txt");
	expect(d10, 0, "not-in-manifest", "data/100%25.txt");
	tk_rmtree(d97);
	tk_rmtree(d10);
	free(d97);
	free(d10);
}

static void
test_every_manifest_rule_depends_on_version(void **state)
{
	char *d10 = mini_bag("1.0"), *d97 = mini_bag("0.97");
	char *dirs[2] = { d10, d97 };
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		/* hello.txt in both manifests, only.txt in sha512's only */
		char hex[FIX_HEX_MAX], line[256];

		hex_of(hex, FIX_SHA512, "hello\n", 6);
		snprintf(line, sizeof(line), "%s  data/hello.txt\n", hex);
		append_line(dirs[i], "manifest-sha512.txt", line);
		add_payload(dirs[i], "only.txt", "one manifest", FIX_SHA512);
	}
	/* 1.0: every payload file in every manifest (3); 0.97: in one. */
	expect(d10, 0, "not-in-every-manifest", "data/only.txt");
	expect(d97, 1, NULL, NULL);
	tk_rmtree(d10);
	tk_rmtree(d97);
	free(d10);
	free(d97);
}

static void
test_bagit_txt_rules(void **state)
{
	char *d = mini_bag("1.0");

	(void)state;
	puts_(d, "bagit.txt",
	      "\xef\xbb\xbf"
	      "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
	expect(d, 0, "bagit-bom", "bagit.txt");
	puts_(d, "bagit.txt",
	      "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\nX: y\n");
	expect(d, 0, "bagit-lines", "bagit.txt");
	puts_(d, "bagit.txt",
	      "Tag-File-Character-Encoding: UTF-8\nBagIt-Version: 1.0\n");
	expect(d, 0, "bagit-syntax", "bagit.txt");
	puts_(d, "bagit.txt",
	      "BagIt-Version:  1.0\nTag-File-Character-Encoding: UTF-8\n");
	expect(d, 0, "bagit-whitespace", "bagit.txt");
	puts_(d, "bagit.txt",
	      "BagIt-Version: 2.0\nTag-File-Character-Encoding: UTF-8\n");
	expect(d, 0, "bagit-version", "bagit.txt");
	puts_(d, "bagit.txt",
	      "BagIt-Version: 1.0\r\nTag-File-Character-Encoding: UTF-8\r\n");
	expect(d, 1, NULL, NULL); /* CRLF is fine (2.3) */
	puts_(d, "bagit.txt",
	      "BagIt-Version: 1.0\rTag-File-Character-Encoding: UTF-8");
	expect(d, 1, NULL, NULL); /* CR, and no final line end */
	puts_(d, "bagit.txt",
	      "BagIt-Version: 1.0\nTag-File-Character-Encoding: KLINGON\n");
	expect(d, 0, "bagit-encoding", "bagit.txt");
	tk_rmtree(d);
	free(d);
}

static void
test_manifest_line_rules(void **state)
{
	char *d = mini_bag("1.0");
	char hex[FIX_HEX_MAX], line[512];
	size_t i;

	(void)state;
	/* Tabs between checksum and path, uppercase hex: fine. */
	hex_of(hex, FIX_SHA256, "tab", 3);
	for (i = 0; hex[i]; i++)
		if (hex[i] >= 'a' && hex[i] <= 'f')
			hex[i] = (char)(hex[i] - 'a' + 'A');
	puts_(d, "data/tab.txt", "tab");
	snprintf(line, sizeof(line), "%s\t\tdata/tab.txt\n", hex);
	append_line(d, "manifest-sha256.txt", line);
	expect(d, 1, NULL, NULL);
	/* A short checksum, a line without a path. */
	append_line(d, "manifest-sha256.txt", "abcdef  data/short.txt\n");
	expect(d, 0, "checksum-length", "manifest-sha256.txt");
	append_line(d, "manifest-sha256.txt", "abcdef\n");
	expect(d, 0, "manifest-syntax", "manifest-sha256.txt");
	/* A manifest must not list a directory (2.1.3). */
	puts_(d, "data/dir/inner.txt", "inner");
	append_line(d, "manifest-sha256.txt",
		    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7"
		    "852b855  data/dir\n");
	expect(d, 0, "manifest-directory", "data/dir");
	tk_rmtree(d);
	free(d);
}

static void
test_manifest_paths_outside_payload(void **state)
{
	char *d = mini_bag("1.0");

	(void)state;
	append_line(d, "manifest-sha256.txt",
		    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7"
		    "852b855  bagit.txt\n");
	expect(d, 0, "outside-payload", "manifest-sha256.txt");
	tk_rmtree(d);
	free(d);
}

static void
test_unsafe_paths_are_never_read(void **state)
{
	static const char *const bad[] = {
		"/etc/passwd", "data/../../etc/passwd",
		"~root/x",     "C:/Windows/x",
		"data\\x",     "data/./x",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *d = mini_bag("1.0"), line[512];

		snprintf(line, sizeof(line),
			 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4959"
			 "91b7852b855  %s\n",
			 bad[i]);
		append_line(d, "manifest-sha256.txt", line);
		expect(d, 0, "unsafe-path", "manifest-sha256.txt");
		tk_rmtree(d);
		free(d);
	}
}

static void
test_symlink_escapes(void **state)
{
	char *d = mini_bag("1.0"), *outside = tk_tmpdir(), *link, target[4300];

	(void)state;
	puts_(outside, "secret", "secret\n");
	snprintf(target, sizeof(target), "%s/secret", outside);
	/* A payload symlink pointing outside the bag, listed with the
	 * right digest of the secret: still refused, never read. */
	link = path_in(d, "data/evil");
	assert_int_equal(symlink(target, link), 0);
	{
		char hex[FIX_HEX_MAX], line[256];

		hex_of(hex, FIX_SHA256, "secret\n", 7);
		snprintf(line, sizeof(line), "%s  data/evil\n", hex);
		append_line(d, "manifest-sha256.txt", line);
	}
	expect(d, 0, "symlink-escape", "data/evil");
	unlink(link);
	free(link);
	/* Relative escape through .. */
	link = path_in(d, "data/rel");
	assert_int_equal(symlink("../../../../../../../../etc/hostname", link),
			 0);
	expect(d, 0, "symlink-escape", "data/rel");
	unlink(link);
	free(link);
	/* A tag manifest naming a root symlink to outside. */
	link = path_in(d, "outside.txt");
	assert_int_equal(symlink(target, link), 0);
	{
		char hex[FIX_HEX_MAX], line[256];

		hex_of(hex, FIX_SHA256, "secret\n", 7);
		snprintf(line, sizeof(line), "%s  outside.txt\n", hex);
		append_line(d, "tagmanifest-sha256.txt", line);
	}
	expect(d, 0, "unsafe-path", "outside.txt");
	free(link);
	/* data/ itself a symlink */
	tk_rmtree(d);
	free(d);
	d = mini_bag("1.0");
	{
		char *data = path_in(d, "data"), *moved = path_in(outside, "d");

		assert_int_equal(rename(data, moved), 0);
		assert_int_equal(symlink(moved, data), 0);
		expect(d, 0, "payload-not-dir", "data");
		free(data);
		free(moved);
	}
	tk_rmtree(d);
	tk_rmtree(outside);
	free(d);
	free(outside);
}

static void
test_special_files_are_not_read(void **state)
{
	char *d = mini_bag("1.0"), *fifo = path_in(d, "data/pipe");

	(void)state;
	assert_int_equal(mkfifo(fifo, 0644), 0);
	append_line(d, "manifest-sha256.txt",
		    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7"
		    "852b855  data/pipe\n");
	/* Must not hang on the FIFO. */
	expect(d, 0, "special-file", "data/pipe");
	free(fifo);
	tk_rmtree(d);
	free(d);
}

static void
test_duplicates_and_md5sum_marker(void **state)
{
	char *d10 = mini_bag("1.0"), *d97 = mini_bag("0.97"), hex[FIX_HEX_MAX],
	     line[256];

	(void)state;
	hex_of(hex, FIX_SHA256, "hello\n", 6);
	snprintf(line, sizeof(line), "%s  data/hello.txt\n", hex);
	append_line(d10, "manifest-sha256.txt", line);
	append_line(d97, "manifest-sha256.txt", line);
	expect(d10, 0, "duplicate-entry", "manifest-sha256.txt");
	expect(d97, 1, "duplicate-entry", "manifest-sha256.txt");
	tk_rmtree(d97);
	free(d97);
	d97 = mini_bag("0.97");
	snprintf(line, sizeof(line), "%s *data/star.txt\n", hex);
	puts_(d97, "data/star.txt", "hello\n");
	append_line(d97, "manifest-sha256.txt", line);
	expect(d97, 1, "md5sum-marker", "manifest-sha256.txt");
	tk_rmtree(d10);
	tk_rmtree(d97);
	free(d10);
	free(d97);
}

static void
test_tag_manifest_rules(void **state)
{
	char *d = mini_bag("1.0"), hex[FIX_HEX_MAX], line[256];

	(void)state;
	/* A tag manifest must not list payload files (2.2.1). */
	hex_of(hex, FIX_SHA256, "hello\n", 6);
	snprintf(line, sizeof(line), "%s  data/hello.txt\n", hex);
	puts_(d, "tagmanifest-sha256.txt", line);
	expect(d, 0, "tag-manifest-payload", "tagmanifest-sha256.txt");
	/* Listed tag files must exist and match. */
	puts_(d, "tagmanifest-sha256.txt",
	      "0000000000000000000000000000000000000000000000000000000000000"
	      "000  bagit.txt\n");
	expect(d, 0, "checksum-mismatch", "bagit.txt");
	{
		struct bag_report r;
		const struct bag_problem *p;

		validate(d, BAG_FULL, &r);
		p = find(&r, "checksum-mismatch", "bagit.txt");
		assert_non_null(p);
		assert_non_null(p->expected);
		assert_non_null(p->actual);
		assert_int_equal(strlen(p->actual), 64);
		/* complete, but not valid */
		assert_true(r.complete);
		assert_false(r.valid);
		bag_report_release(&r);
	}
	puts_(d, "tagmanifest-sha256.txt",
	      "0000000000000000000000000000000000000000000000000000000000000"
	      "000  metadata/gone.xml\n");
	expect(d, 0, "missing-file", "metadata/gone.xml");
	/* Tag files need not be listed at all. */
	rm_in(d, "tagmanifest-sha256.txt");
	puts_(d, "metadata/extra.xml", "<x/>");
	expect(d, 1, NULL, NULL);
	tk_rmtree(d);
	free(d);
}

static void
test_fetch_txt_rules(void **state)
{
	char *d = mini_bag("1.0");

	(void)state;
	puts_(d, "fetch.txt", "http://example.org/a 12 bag-info.txt\n");
	expect(d, 0, "fetch-tag-file", "fetch.txt");
	puts_(d, "fetch.txt", "http://example.org/a 12 data/unlisted\n");
	expect(d, 0, "fetch-not-in-manifest", "data/unlisted");
	puts_(d, "fetch.txt", "http://example.org/a twelve data/hello.txt\n");
	expect(d, 0, "fetch-length", "fetch.txt");
	puts_(d, "fetch.txt", "/relative/url - data/hello.txt\n");
	expect(d, 0, "fetch-url", "fetch.txt");
	puts_(d, "fetch.txt", "http://example.org/a - ../../etc/passwd\n");
	expect(d, 0, "unsafe-path", "fetch.txt");
	puts_(d, "fetch.txt", "http://example.org/a\n");
	expect(d, 0, "fetch-syntax", "fetch.txt");
	/* Present and listed: complete; absent: not fetched yet. */
	puts_(d, "fetch.txt", "http://example.org/a 6 data/hello.txt\n");
	expect(d, 1, NULL, NULL);
	rm_in(d, "data/hello.txt");
	expect(d, 0, "not-fetched", "data/hello.txt");
	tk_rmtree(d);
	free(d);
}

static void
test_bag_info_rules(void **state)
{
	char *d10 = mini_bag("1.0"), *d97 = mini_bag("0.97");
	static const char info[] = "Source-Organization : Org\n"
				   "Contact-Name:   Spaced\n"
				   "External-Description: first\n"
				   "  second\n"
				   "\tthird\n"
				   "Payload-Oxum: 6.1\n";
	struct bag_meta m;
	struct bag_report r;
	struct vl_err err;

	(void)state;
	puts_(d10, "bag-info.txt", info);
	puts_(d97, "bag-info.txt", info);
	/* 1.0: no whitespace before ':' (2.2.2); 0.97 allowed it. */
	expect(d10, 0, "info-whitespace", "bag-info.txt");
	expect(d97, 1, NULL, NULL);
	bag_report_init(&r);
	assert_int_equal(bag_read_meta(d97, &m, &r, &err), 0);
	assert_string_equal(bag_info_get(&m.info, "Source-Organization"),
			    "Org");
	assert_string_equal(bag_info_get(&m.info, "contact-name"), "Spaced");
	/* continuation lines keep their line breaks, not the padding */
	assert_string_equal(bag_info_get(&m.info, "External-Description"),
			    "first\nsecond\nthird");
	bag_meta_release(&m);
	bag_report_release(&r);
	puts_(d97, "bag-info.txt", "Payload-Oxum: 7.1\n");
	expect(d97, 0, "oxum-mismatch", "bag-info.txt");
	puts_(d97, "bag-info.txt", "Payload-Oxum: seven\n");
	expect(d97, 0, "oxum-syntax", "bag-info.txt");
	puts_(d97, "bag-info.txt", "  continuation first\n");
	expect(d97, 0, "info-syntax", "bag-info.txt");
	tk_rmtree(d10);
	tk_rmtree(d97);
	free(d10);
	free(d97);
}

static void
test_bag_info_format_round_trip(void **state)
{
	struct bag_info bi, back;
	struct vl_buf out = VL_BUF_INIT;
	struct vl_err err;
	char *d = tk_tmpdir(), *p = path_in(d, "info");

	(void)state;
	bag_info_init(&bi);
	bag_info_init(&back);
	assert_int_equal(bag_info_add(&bi, "Title", "a\nb", &err), 0);
	assert_int_equal(bag_info_add_arg(&bi, "Contact-Name=X=Y", &err), 0);
	assert_int_equal(bag_info_add(&bi, "Bad:Label", "v", &err), VL_E_INVAL);
	assert_int_equal(bag_info_add(&bi, " Lead", "v", &err), VL_E_INVAL);
	assert_int_equal(bag_info_add_arg(&bi, "=v", &err), VL_E_INVAL);
	assert_int_equal(bag_info_format(&out, &bi), 0);
	assert_string_equal(out.buf, "Title: a\n  b\nContact-Name: X=Y\n");
	puts_(d, "info", out.buf);
	assert_int_equal(bag_info_add_file(&back, p, &err), 0);
	assert_int_equal(back.n, 2);
	assert_string_equal(back.v[0].value, "a\nb");
	assert_int_equal(bag_info_set(&back, "title", "c", &err), 0);
	assert_string_equal(bag_info_get(&back, "Title"), "c");
	puts_(d, "info", "no colon here\n");
	assert_int_equal(bag_info_add_file(&back, p, &err), VL_E_FORMAT);
	assert_non_null(strstr(err.msg, ":1:"));
	bag_info_release(&bi);
	bag_info_release(&back);
	vl_buf_release(&out);
	free(p);
	tk_rmtree(d);
	free(d);
}

static void
test_encodings_of_tag_files(void **state)
{
	char *d = tk_tmpdir(), hex[FIX_HEX_MAX], line[256];
	static const char latin1[] = "Contact-Name: Jos\xe9\n";
	struct bag_meta m;
	struct bag_report r;
	struct vl_err err;

	(void)state;
	puts_(d, "bagit.txt",
	      "BagIt-Version: 0.97\nTag-File-Character-Encoding: ISO-8859-1\n");
	puts_(d, "data/x", "x");
	hex_of(hex, FIX_MD5, "x", 1);
	snprintf(line, sizeof(line), "%s  data/x\n", hex);
	puts_(d, "manifest-md5.txt", line);
	puts_(d, "bag-info.txt", latin1);
	expect(d, 1, "tag-encoding", "bagit.txt");
	bag_report_init(&r);
	assert_int_equal(bag_read_meta(d, &m, &r, &err), 0);
	assert_string_equal(bag_info_get(&m.info, "Contact-Name"),
			    "Jos\xc3\xa9");
	bag_meta_release(&m);
	bag_report_release(&r);
	/* The same bytes declared UTF-8 are an encoding error. */
	puts_(d, "bagit.txt",
	      "BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n");
	expect(d, 0, "encoding", "bag-info.txt");
	tk_rmtree(d);
	free(d);
}

static void
test_normalization_and_case(void **state)
{
	char *d = mini_bag("1.0"), hex[FIX_HEX_MAX], line[256];
	struct bag_report r;
	size_t i, clashes = 0;

	(void)state;
	/* Manifest says NFC "é", the disk holds NFD "e\xcc\x81". */
	hex_of(hex, FIX_SHA256, "e", 1);
	snprintf(line, sizeof(line), "%s  data/caf\xc3\xa9\n", hex);
	append_line(d, "manifest-sha256.txt", line);
	puts_(d, "data/cafe\xcc\x81", "e");
	expect(d, 1, "normalization", "data/caf\xc3\xa9");
	/* Two entries differing only in case: a warning. */
	hex_of(hex, FIX_SHA256, "A", 1);
	snprintf(line, sizeof(line), "%s  data/A.txt\n", hex);
	append_line(d, "manifest-sha256.txt", line);
	puts_(d, "data/A.txt", "A");
	snprintf(line, sizeof(line), "%s  data/a.txt\n", hex);
	append_line(d, "manifest-sha256.txt", line);
	puts_(d, "data/a.txt", "A");
	expect(d, 1, "case-clash", NULL);
	/* ASCII is folded without utf8proc; a non-ASCII twin must still
	 * meet it: KELVIN SIGN composes to "K", which folds to "k". */
	hex_of(hex, FIX_SHA256, "k", 1);
	snprintf(line, sizeof(line), "%s  data/k.txt\n", hex);
	append_line(d, "manifest-sha256.txt", line);
	puts_(d, "data/k.txt", "k");
	snprintf(line, sizeof(line), "%s  data/\xe2\x84\xaa.txt\n", hex);
	append_line(d, "manifest-sha256.txt", line);
	puts_(d, "data/\xe2\x84\xaa.txt", "k");
	assert_int_equal(validate(d, BAG_FULL, &r), 0);
	assert_true(r.valid);
	for (i = 0; i < r.n; i++)
		clashes += !strcmp(r.v[i].code, "case-clash");
	assert_int_equal(clashes, 2);
	bag_report_release(&r);
	tk_rmtree(d);
	free(d);
}

static void
test_os_junk_and_weak_algorithm_warn(void **state)
{
	char *d = tk_tmpdir(), hex[FIX_HEX_MAX], line[256];

	(void)state;
	puts_(d, "bagit.txt",
	      "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
	puts_(d, "data/Thumbs.db", "");
	hex_of(hex, FIX_MD5, "", 0);
	snprintf(line, sizeof(line), "%s  data/Thumbs.db\n", hex);
	puts_(d, "manifest-md5.txt", line);
	expect(d, 1, "os-junk", "data/Thumbs.db");
	expect(d, 1, "weak-algorithm", "manifest-md5.txt");
	tk_rmtree(d);
	free(d);
}

static void
test_missing_required_elements(void **state)
{
	char *d = mini_bag("1.0");

	(void)state;
	rm_in(d, "manifest-sha256.txt");
	expect(d, 0, "no-payload-manifest", NULL);
	tk_rmtree(d);
	free(d);
	d = mini_bag("1.0");
	rm_in(d, "bagit.txt");
	expect(d, 0, "missing-bagit", "bagit.txt");
	tk_rmtree(d);
	free(d);
	d = mini_bag("1.0");
	puts_(d, "manifest-whirlpool.txt", "00  data/hello.txt\n");
	expect(d, 0, "unsupported-algorithm", "manifest-whirlpool.txt");
	tk_rmtree(d);
	free(d);
}

static void
test_all_problems_are_reported(void **state)
{
	char *d = mini_bag("1.0");
	struct bag_report r;

	(void)state;
	add_payload(d, "b.txt", "b", FIX_SHA256);
	add_payload(d, "c.txt", "c", FIX_SHA256);
	puts_(d, "data/b.txt", "changed");
	rm_in(d, "data/c.txt");
	puts_(d, "data/new.txt", "new");
	append_line(d, "manifest-sha256.txt", "nothex  data/x\n");
	assert_int_equal(validate(d, BAG_FULL, &r), 0);
	assert_non_null(find(&r, "checksum-mismatch", "data/b.txt"));
	assert_non_null(find(&r, "missing-file", "data/c.txt"));
	assert_non_null(find(&r, "not-in-manifest", "data/new.txt"));
	assert_non_null(find(&r, "manifest-syntax", "manifest-sha256.txt"));
	assert_true(r.errors >= 4);
	/* sorted by path */
	{
		size_t i;

		for (i = 1; i < r.n; i++)
			if (r.v[i - 1].path && r.v[i].path)
				assert_true(strcmp(r.v[i - 1].path,
						   r.v[i].path) <= 0);
	}
	bag_report_release(&r);
	tk_rmtree(d);
	free(d);
}

/* Full validation takes the size of a hashed file from its read, not a
 * stat: the Payload-Oxum must count every file all the same, hashed,
 * unlisted, found under another normalization, or in two manifests. */
static void
test_oxum_counts_every_payload_file(void **state)
{
	char *d = mini_bag("1.0"), hex[FIX_HEX_MAX], line[256];
	struct bag_report r;

	(void)state;
	add_payload(d, "two.txt", "22", FIX_SHA256);
	add_payload(d, "two.txt", "22", FIX_SHA512);
	add_payload(d, "hello.txt", "hello\n", FIX_SHA512);
	puts_(d, "data/unlisted.bin", "333");
	hex_of(hex, FIX_SHA256, "4444", 4);
	snprintf(line, sizeof(line), "%s  data/caf\xc3\xa9\n", hex);
	append_line(d, "manifest-sha256.txt", line);
	hex_of(hex, FIX_SHA512, "4444", 4);
	snprintf(line, sizeof(line), "%s  data/caf\xc3\xa9\n", hex);
	append_line(d, "manifest-sha512.txt", line);
	puts_(d, "data/cafe\xcc\x81", "4444");
	/* hello 6 + two 2 + unlisted 3 + café 4 */
	puts_(d, "bag-info.txt", "Payload-Oxum: 15.4\n");
	assert_int_equal(validate(d, BAG_FULL, &r), 0);
	assert_null(find(&r, "oxum-mismatch", NULL));
	assert_int_equal(r.payload_bytes, 15);
	assert_int_equal(r.payload_files, 4);
	assert_non_null(find(&r, "not-in-manifest", "data/unlisted.bin"));
	bag_report_release(&r);
	puts_(d, "bag-info.txt", "Payload-Oxum: 16.4\n");
	expect(d, 0, "oxum-mismatch", "bag-info.txt");
	tk_rmtree(d);
	free(d);
}

static void
test_modes_fast_and_completeness(void **state)
{
	char *d = mini_bag("1.0");
	struct bag_report r;

	(void)state;
	puts_(d, "bag-info.txt", "Payload-Oxum: 6.1\n");
	puts_(d, "data/hello.txt", "HELLO\n"); /* same size, other bytes */
	assert_int_equal(validate(d, BAG_FAST, &r), 0);
	assert_int_equal(r.errors, 0);
	assert_false(r.valid); /* never valid */
	bag_report_release(&r);
	assert_int_equal(validate(d, BAG_COMPLETE, &r), 0);
	assert_true(r.complete);
	assert_false(r.valid);
	bag_report_release(&r);
	expect(d, 0, "checksum-mismatch", "data/hello.txt");
	puts_(d, "data/more.txt", "x");
	assert_int_equal(validate(d, BAG_FAST, &r), 0);
	assert_non_null(find(&r, "oxum-mismatch", "bag-info.txt"));
	bag_report_release(&r);
	tk_rmtree(d);
	free(d);
}

/* ---- round trips ---- */

static char *
make_source(void)
{
	char *src = tk_tmpdir(), name[64], text[512];
	int i;

	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "dir%d/file%02d.txt", i % 4, i);
		memset(text, 'a' + i % 26, sizeof(text));
		text[(i * 37) % 500 + 1] = '\0';
		puts_(src, name, text);
	}
	puts_(src, "empty", "");
	puts_(src, ".hidden", "hidden");
	puts_(src, "caf\xc3\xa9 na\xc3\xafve.txt", "unicode");
	{
		char *e = path_in(src, "emptydir");

		mkdirs(e);
		free(e);
	}
	return src;
}

static void
round_trip(const char *bag, const char *victim)
{
	char *p = path_in(bag, victim);
	FILE *f;
	int c;

	expect(bag, 1, NULL, NULL);
	/* Tamper one byte. */
	f = fopen(p, "r+b");
	assert_non_null(f);
	c = fgetc(f);
	fseek(f, 0, SEEK_SET);
	fputc(c ^ 1, f);
	fclose(f);
	expect(bag, 0, "checksum-mismatch", victim);
	/* Delete it. */
	unlink(p);
	expect(bag, 0, "missing-file", victim);
	/* Add a file. */
	puts_(bag, "data/intruder.txt", "intruder");
	expect(bag, 0, "not-in-manifest", "data/intruder.txt");
	free(p);
}

/* The tag manifest takes the payload manifests' digests from the lines
 * as they were made, in 64 KiB pieces and across the 1 MiB flushes:
 * manifests past both must still validate, in place too. */
static void
test_tagmanifest_of_big_manifests(void **state)
{
	char *src = tk_tmpdir(), *out = tk_tmpdir(), *bag = path_in(out, "b");
	struct bag_create_opts o = { 0 };
	struct bag_report r;
	struct vl_err err = { 0 };
	char dir[220], rel[300];
	struct stat st;
	int i;

	(void)state;
	memset(dir, 'd', 200);
	dir[200] = '\0';
	for (i = 0; i < 3300; i++) {
		snprintf(rel, sizeof(rel), "%s/f%04d", dir, i);
		puts_(src, rel, i % 7 ? "x" : "");
	}
	o.algs = FIX_ALG_BIT(FIX_SHA256) | FIX_ALG_BIT(FIX_SHA512);
	o.threads = 2;
	assert_int_equal(bag_create(src, bag, &o, NULL, &err), 0);
	snprintf(rel, sizeof(rel), "%s/manifest-sha512.txt", bag);
	assert_int_equal(stat(rel, &st), 0);
	assert_true(st.st_size > (1 << 20));
	assert_int_equal(validate(bag, BAG_FULL, &r), 0);
	if (!r.valid)
		dump(&r);
	assert_true(r.valid);
	bag_report_release(&r);
	assert_int_equal(bag_create(src, NULL, &o, NULL, &err), 0);
	assert_int_equal(validate(src, BAG_FULL, &r), 0);
	assert_true(r.valid);
	bag_report_release(&r);
	free(bag);
	tk_rmtree(src);
	tk_rmtree(out);
	free(src);
	free(out);
}

static void
test_round_trip_into_dest(void **state)
{
	char *src = make_source(), *out = tk_tmpdir(), *bag = path_in(out, "b");
	struct bag_create_opts o = { 0 };
	struct bag_summary sum;
	struct bag_info bi;
	struct vl_err err = { 0 };

	(void)state;
	bag_info_init(&bi);
	bag_info_add(&bi, "Source-Organization", "Vellum tests", &err);
	o.algs = FIX_ALG_BIT(FIX_SHA256) | FIX_ALG_BIT(FIX_SHA512);
	o.info = &bi;
	o.threads = 2;
	assert_int_equal(bag_create(src, bag, &o, &sum, &err), 0);
	assert_int_equal(sum.files, 43);
	/* the destination must not exist */
	assert_int_equal(bag_create(src, bag, &o, &sum, &err), VL_E_EXISTS);
	{
		struct bag_meta m;
		struct bag_report r;

		bag_report_init(&r);
		assert_int_equal(bag_read_meta(bag, &m, &r, &err), 0);
		assert_string_equal(
			bag_info_get(&m.info, "Source-Organization"),
			"Vellum tests");
		assert_non_null(bag_info_get(&m.info, "Bagging-Date"));
		assert_non_null(bag_info_get(&m.info, "Payload-Oxum"));
		assert_string_equal(m.version_str, "1.0");
		assert_int_equal(m.tag_algs, o.algs);
		bag_meta_release(&m);
		bag_report_release(&r);
	}
	round_trip(bag, "data/dir1/file05.txt");
	bag_info_release(&bi);
	free(bag);
	tk_rmtree(src);
	tk_rmtree(out);
	free(src);
	free(out);
}

static void
test_round_trip_in_place(void **state)
{
	char *src = make_source(), *p;
	struct bag_create_opts o = { 0 };
	struct bag_summary sum;
	struct vl_err err = { 0 };
	struct stat st;

	(void)state;
	o.threads = 2;
	assert_int_equal(bag_create(src, NULL, &o, &sum, &err), 0);
	p = path_in(src, "data/.hidden");
	assert_int_equal(stat(p, &st), 0);
	free(p);
	p = path_in(src, "manifest-sha512.txt"); /* the default */
	assert_int_equal(stat(p, &st), 0);
	free(p);
	round_trip(src, "data/caf\xc3\xa9 na\xc3\xafve.txt");
	tk_rmtree(src);
	free(src);
}

static void
test_in_place_refusal_changes_nothing(void **state)
{
	char *src = make_source(), *link = path_in(src, "dir0/link"), *p;
	struct bag_create_opts o = { 0 };
	struct vl_err err = { 0 };
	struct stat st;

	(void)state;
	assert_int_equal(symlink("file00.txt", link), 0);
	assert_int_equal(bag_create(src, NULL, &o, NULL, &err), VL_E_INVAL);
	assert_non_null(strstr(err.msg, "dir0/link"));
	p = path_in(src, "data");
	assert_int_equal(stat(p, &st), -1); /* nothing moved */
	free(p);
	p = path_in(src, "dir0/file00.txt");
	assert_int_equal(stat(p, &st), 0);
	free(p);
	free(link);
	tk_rmtree(src);
	free(src);
}

static void
symlink_warn(void *ctx, const char *path, const char *msg)
{
	(void)msg;
	snprintf(ctx, 256, "%s", path);
}

static void
test_create_policies(void **state)
{
	char *src = make_source(), *out = tk_tmpdir(), *bag, warned[256] = "";
	char *outside = tk_tmpdir(), target[4300], *p;
	struct bag_create_opts o = { 0 };
	struct bag_summary sum;
	struct vl_err err = { 0 };
	struct stat st;

	(void)state;
	snprintf(target, sizeof(target), "%s/secret", outside);
	puts_(outside, "secret", "secret");
	p = path_in(src, "in-link");
	assert_int_equal(symlink("dir0/file00.txt", p), 0);
	free(p);
	/* skip (default): left out with a warning; hidden excluded */
	o.exclude_hidden = 1;
	o.warn = symlink_warn;
	o.ctx = warned;
	bag = path_in(out, "skip");
	assert_int_equal(bag_create(src, bag, &o, &sum, &err), 0);
	assert_string_equal(warned, "in-link");
	assert_int_equal(sum.skipped, 2);
	p = path_in(bag, "data/.hidden");
	assert_int_equal(stat(p, &st), -1);
	free(p);
	expect(bag, 1, NULL, NULL);
	free(bag);
	/* follow: copied, as its target lies inside the source */
	o.symlinks = BAG_SYMLINKS_FOLLOW;
	bag = path_in(out, "follow");
	assert_int_equal(bag_create(src, bag, &o, &sum, &err), 0);
	p = path_in(bag, "data/in-link");
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	free(p);
	expect(bag, 1, NULL, NULL);
	free(bag);
	/* never followed out of the source */
	p = path_in(src, "out-link");
	assert_int_equal(symlink(target, p), 0);
	free(p);
	bag = path_in(out, "escape");
	assert_int_equal(bag_create(src, bag, &o, &sum, &err), VL_E_UNSAFE);
	assert_int_equal(stat(bag, &st), -1); /* nothing left behind */
	free(bag);
	/* error */
	o.symlinks = BAG_SYMLINKS_ERROR;
	bag = path_in(out, "error");
	assert_int_equal(bag_create(src, bag, &o, &sum, &err), VL_E_INVAL);
	assert_int_equal(stat(bag, &st), -1);
	free(bag);
	tk_rmtree(src);
	tk_rmtree(out);
	tk_rmtree(outside);
	free(src);
	free(out);
	free(outside);
}

static void
test_create_refuses_normalization_twins(void **state)
{
	char *src = tk_tmpdir(), *out = tk_tmpdir(), *bag = path_in(out, "b");
	struct bag_create_opts o = { 0 };
	struct vl_err err = { 0 };
	struct stat st;

	(void)state;
	puts_(src, "caf\xc3\xa9", "nfc");
	puts_(src, "cafe\xcc\x81", "nfd");
	assert_int_equal(bag_create(src, bag, &o, NULL, &err), VL_E_EXISTS);
	assert_non_null(strstr(err.msg, "normalization"));
	assert_int_equal(stat(bag, &st), -1);
	/* An ASCII name has a twin too: KELVIN SIGN composes to "K". */
	tk_rmtree(src);
	assert_int_equal(mkdir(src, 0755), 0);
	puts_(src, "x/a", "");
	puts_(src, "x/K", "ascii");
	puts_(src, "x/\xe2\x84\xaa", "kelvin");
	puts_(src, "x/z\xc3\xa9", "");
	assert_int_equal(bag_create(src, bag, &o, NULL, &err), VL_E_EXISTS);
	assert_non_null(strstr(err.msg, "'K'"));
	assert_int_equal(stat(bag, &st), -1);
	/* Non-ASCII names without twins are bagged. */
	rm_in(src, "x/K");
	assert_int_equal(bag_create(src, bag, &o, NULL, &err), 0);
	assert_int_equal(stat(bag, &st), 0);
	free(bag);
	tk_rmtree(src);
	tk_rmtree(out);
	free(src);
	free(out);
}

static void
test_create_serialized_and_unpack(void **state)
{
	char *src = make_source(), *out = tk_tmpdir(), *arc, *made = NULL,
	     *dest;
	struct bag_create_opts o = { 0 };
	struct bag_summary sum;
	struct vl_err err = { 0 };

	(void)state;
	arc = path_in(out, "mybag");
	o.algs = FIX_ALG_BIT(FIX_SHA256);
	assert_int_equal(bag_create_archive(src, arc, BAG_FMT_TGZ, &o, &sum,
					    &made, &err),
			 0);
	assert_non_null(strstr(made, "mybag.tar.gz"));
	expect(made, 1, NULL, NULL);
	dest = path_in(out, "unpacked");
	{
		char *got = NULL;

		assert_int_equal(bag_unpack(made, dest, &got, &err), 0);
		assert_string_equal(got, dest);
		free(got);
	}
	expect(dest, 1, NULL, NULL);
	/* unpack refuses an existing destination */
	assert_int_equal(bag_unpack(made, dest, NULL, &err), VL_E_EXISTS);
	round_trip(dest, "data/empty");
	free(made);
	free(arc);
	free(dest);
	tk_rmtree(src);
	tk_rmtree(out);
	free(src);
	free(out);
}

/* ---- hostile archives ---- */

struct entry_spec {
	const char *name;
	int type; /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, or 0 = hardlink */
	const char *data;
	const char *link;
};

static void
write_archive(const char *path, int zip, const struct entry_spec *e, size_t n)
{
	struct archive *a = archive_write_new();
	size_t i;

	if (zip)
		archive_write_set_format_zip(a);
	else
		archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		size_t len = e[i].data ? strlen(e[i].data) : 0;

		archive_entry_set_pathname(ae, e[i].name);
		if (e[i].type == 0) {
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_hardlink(ae, e[i].link);
		} else {
			archive_entry_set_filetype(ae, (unsigned)e[i].type);
		}
		if (e[i].type == AE_IFLNK)
			archive_entry_set_symlink(ae, e[i].link);
		if (e[i].type == AE_IFCHR)
			archive_entry_set_rdev(ae, 0x0103);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_size(
			ae, e[i].type == AE_IFREG ? (la_int64_t)len : 0);
		assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
		if (e[i].type == AE_IFREG && len)
			archive_write_data(a, e[i].data, len);
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static void
hostile_case(const char *dir, const char *label, int zip,
	     const struct entry_spec *bad, const char *code)
{
	char hex[FIX_HEX_MAX], man[256], arc[4300], dest[4300];
	struct entry_spec e[6];
	struct bag_report r;
	struct vl_err err = { 0 };
	struct stat st;

	hex_of(hex, FIX_SHA256, "hi", 2);
	snprintf(man, sizeof(man), "%s  data/hi.txt\n", hex);
	e[0] = (struct entry_spec){ "b/", AE_IFDIR, NULL, NULL };
	e[1] = (struct entry_spec){
		"b/bagit.txt", AE_IFREG,
		"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", NULL
	};
	e[2] = (struct entry_spec){ "b/manifest-sha256.txt", AE_IFREG, man,
				    NULL };
	e[3] = (struct entry_spec){ "b/data/", AE_IFDIR, NULL, NULL };
	e[4] = (struct entry_spec){ "b/data/hi.txt", AE_IFREG, "hi", NULL };
	e[5] = *bad;
	snprintf(arc, sizeof(arc), "%s/%s%s", dir, label,
		 zip ? ".zip" : ".tar");
	write_archive(arc, zip, e, 6);
	assert_int_equal(validate(arc, BAG_FULL, &r), 0);
	if (r.valid || !find(&r, code, NULL)) {
		fprintf(stderr, "%s: expected %s\n", label, code);
		dump(&r);
		fail();
	}
	bag_report_release(&r);
	/* Unpacking writes nothing at all. */
	snprintf(dest, sizeof(dest), "%s/%s-out", dir, label);
	assert_true(bag_unpack(arc, dest, NULL, &err) < 0);
	assert_int_equal(lstat(dest, &st), -1);
}

static void
test_hostile_archives(void **state)
{
	char *dir = tk_tmpdir(), probe[4300];
	struct stat st;
	int zip;
	const struct {
		const char *label;
		struct entry_spec e;
		const char *code;
	} cases[] = {
		{ "dotdot",
		  { "b/../../evil.txt", AE_IFREG, "x", NULL },
		  "hostile-entry" },
		{ "absolute",
		  { "/tmp/vellum-evil.txt", AE_IFREG, "x", NULL },
		  "hostile-entry" },
		{ "symlink",
		  { "b/data/link", AE_IFLNK, NULL, "/etc/passwd" },
		  "hostile-entry" },
		{ "hardlink",
		  { "b/data/hard", 0, NULL, "/etc/passwd" },
		  "hostile-entry" },
		{ "device",
		  { "b/data/dev", AE_IFCHR, NULL, NULL },
		  "hostile-entry" },
		{ "second-top",
		  { "other/x.txt", AE_IFREG, "x", NULL },
		  "several-top-dirs" },
	};
	size_t i;

	(void)state;
	for (zip = 0; zip < 2; zip++)
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			if (zip && (cases[i].e.type == AE_IFCHR ||
				    cases[i].e.type == 0))
				continue; /* zip has no devices, hard links */
			hostile_case(dir, cases[i].label, zip, &cases[i].e,
				     cases[i].code);
		}
	/* nothing escaped */
	snprintf(probe, sizeof(probe), "%s/../evil.txt", dir);
	assert_int_equal(stat(probe, &st), -1);
	assert_int_equal(stat("/tmp/vellum-evil.txt", &st), -1);
	tk_rmtree(dir);
	free(dir);
}

/* A tar entry whose header declares fewer bytes than follow, and a zip
 * whose central directory understates a stored entry. */
static void
test_archive_more_bytes_than_declared(void **state)
{
	char *dir = tk_tmpdir(), arc[4300], dest[4300];
	struct entry_spec e[2] = {
		{ "b/", AE_IFDIR, NULL, NULL },
		{ "b/data.bin", AE_IFREG, "0123456789abcdef", NULL },
	};
	struct vl_err err = { 0 };
	struct bag_report r;
	unsigned char *buf;
	struct stat st;
	long n, i;
	FILE *f;

	(void)state;
	snprintf(arc, sizeof(arc), "%s/big.zip", dir);
	write_archive(arc, 1, e, 2);
	f = fopen(arc, "r+b");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	buf = malloc((size_t)n);
	fseek(f, 0, SEEK_SET);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	/* Patch every "uncompressed size" of 16 in local and central
	 * headers to 4. */
	for (i = 0; i + 46 < n; i++) {
		if (!memcmp(buf + i, "PK\x03\x04", 4) && buf[i + 22] == 16)
			buf[i + 22] = 4;
		if (!memcmp(buf + i, "PK\x01\x02", 4) && buf[i + 24] == 16)
			buf[i + 24] = 4;
	}
	fseek(f, 0, SEEK_SET);
	fwrite(buf, 1, (size_t)n, f);
	fclose(f);
	free(buf);
	snprintf(dest, sizeof(dest), "%s/out", dir);
	assert_true(bag_unpack(arc, dest, NULL, &err) < 0);
	assert_int_equal(lstat(dest, &st), -1);
	assert_int_equal(validate(arc, BAG_FULL, &r), 0);
	assert_false(r.valid);
	bag_report_release(&r);
	tk_rmtree(dir);
	free(dir);
}

static void
test_archive_with_manifests_after_payload(void **state)
{
	char *dir = tk_tmpdir(), hex[FIX_HEX_MAX], man[256], arc[4300];
	struct entry_spec e[4];
	struct bag_report r;
	int fd;

	(void)state;
	hex_of(hex, FIX_SHA512, "late", 4);
	snprintf(man, sizeof(man), "%s  data/late.txt\n", hex);
	/* payload first, manifest last: a second pass computes sha512 */
	e[0] = (struct entry_spec){ "late/data/late.txt", AE_IFREG, "late",
				    NULL };
	e[1] = (struct entry_spec){
		"late/bagit.txt", AE_IFREG,
		"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", NULL
	};
	e[2] = (struct entry_spec){ "late/manifest-sha512.txt", AE_IFREG, man,
				    NULL };
	snprintf(arc, sizeof(arc), "%s/late.tar", dir);
	write_archive(arc, 0, e, 3);
	expect(arc, 1, NULL, NULL);
	/* and from an fd */
	fd = open(arc, O_RDONLY);
	{
		struct bag_validate_opts o = { 0 };
		struct vl_err err;

		bag_report_init(&r);
		assert_int_equal(bag_validate_archive_fd(fd, arc, &o, &r, &err),
				 0);
		assert_true(r.valid);
		bag_report_release(&r);
	}
	close(fd);
	/* a tampered copy names the file */
	e[0].data = "LATE";
	write_archive(arc, 0, e, 3);
	expect(arc, 0, "checksum-mismatch", "data/late.txt");
	tk_rmtree(dir);
	free(dir);
}

/* ---- update, tag files, reading back ---- */

static int
collect_entry(void *ctx, const struct bag_file_entry *f)
{
	struct vl_buf *b = ctx;

	vl_buf_addf(b, "%s %d %llu %s\n", f->path, f->tag,
		    (unsigned long long)f->size,
		    f->hex[FIX_SHA256] ? f->hex[FIX_SHA256] : "-");
	return 0;
}

static void
test_update_and_tag_files(void **state)
{
	char *src = make_source(), *out = tk_tmpdir(), *bag = path_in(out, "b");
	struct bag_create_opts o = { 0 };
	struct bag_update_opts uo = { 0 };
	struct bag_update_result res;
	struct bag_info bi;
	struct bag_report r;
	struct vl_buf list = VL_BUF_INIT;
	struct vl_err err = { 0 };

	(void)state;
	bag_info_init(&bi);
	bag_info_add(&bi, "Custom-One", "1", &err);
	bag_info_add(&bi, "Custom-Two", "2", &err);
	o.algs = FIX_ALG_BIT(FIX_SHA256);
	o.info = &bi;
	assert_int_equal(bag_create(src, bag, &o, NULL, &err), 0);
	/* Change the payload, then update. */
	puts_(bag, "data/dir0/file00.txt", "changed");
	puts_(bag, "data/added.txt", "added");
	rm_in(bag, "data/empty");
	expect(bag, 0, "checksum-mismatch", "data/dir0/file00.txt");
	/* Adding an algorithm verifies first: refused, nothing changed. */
	uo.add_algs = FIX_ALG_BIT(FIX_SHA512);
	bag_report_init(&r);
	assert_int_equal(bag_update(bag, &uo, &r, &res, &err), VL_E_CHECK);
	assert_non_null(find(&r, "checksum-mismatch", "data/dir0/file00.txt"));
	assert_non_null(find(&r, "missing-file", "data/empty"));
	assert_non_null(find(&r, "not-in-manifest", "data/added.txt"));
	bag_report_release(&r);
	assert_int_equal(exists_in(bag, "manifest-sha512.txt"), -1);
	/* A plain update regenerates. */
	uo.add_algs = 0;
	bag_report_init(&r);
	assert_int_equal(bag_update(bag, &uo, &r, &res, &err), 0);
	bag_report_release(&r);
	assert_int_equal(res.added, 1);
	assert_int_equal(res.removed, 1);
	assert_int_equal(res.changed, 1);
	expect(bag, 1, NULL, NULL);
	/* Now adding sha512 works, in one read. */
	uo.add_algs = FIX_ALG_BIT(FIX_SHA512);
	bag_report_init(&r);
	assert_int_equal(bag_update(bag, &uo, &r, &res, &err), 0);
	bag_report_release(&r);
	assert_int_equal(res.algs,
			 FIX_ALG_BIT(FIX_SHA256) | FIX_ALG_BIT(FIX_SHA512));
	expect(bag, 1, NULL, NULL);
	{
		struct bag_meta m;

		bag_report_init(&r);
		assert_int_equal(bag_read_meta(bag, &m, &r, &err), 0);
		/* custom elements kept, in order */
		assert_string_equal(m.info.v[0].label, "Custom-One");
		assert_string_equal(m.info.v[1].label, "Custom-Two");
		assert_int_equal(m.tag_algs, res.algs);
		bag_meta_release(&m);
		bag_report_release(&r);
	}
	/* Tag files for the ingest pipeline. */
	assert_int_equal(
		bag_add_tag_file(bag, "metadata/dc.xml", "<dc/>", 5, 0, &err),
		0);
	assert_int_equal(bag_add_tag_file(bag, "data/x", "x", 1, 0, &err),
			 VL_E_INVAL);
	assert_int_equal(bag_add_tag_file(bag, "../x", "x", 1, 0, &err),
			 VL_E_UNSAFE);
	assert_int_equal(
		bag_add_tag_file(bag, "manifest-md5.txt", "x", 1, 0, &err),
		VL_E_INVAL);
	expect(bag, 1, NULL, NULL);
	puts_(bag, "metadata/dc.xml", "<dc>tampered</dc>");
	expect(bag, 0, "checksum-mismatch", "metadata/dc.xml");
	assert_int_equal(
		bag_add_tag_file(bag, "metadata/dc.xml", "<dc/>", 5, 0, &err),
		0);
	assert_int_equal(bag_manifest_foreach(bag, BAG_ENTRIES_ALL,
					      collect_entry, &list, &err),
			 0);
	assert_non_null(strstr(list.buf, "data/added.txt 0 5 "));
	assert_non_null(strstr(list.buf, "metadata/dc.xml 1 5 "));
	assert_null(strstr(list.buf, "data/empty"));
	vl_buf_reset(&list);
	assert_int_equal(bag_manifest_foreach(bag, BAG_ENTRIES_TAG,
					      collect_entry, &list, &err),
			 0);
	assert_null(strstr(list.buf, "data/added.txt"));
	assert_non_null(strstr(list.buf, "metadata/dc.xml 1 5 "));
	vl_buf_reset(&list);
	assert_int_equal(bag_manifest_foreach(bag, BAG_ENTRIES_PAYLOAD,
					      collect_entry, &list, &err),
			 0);
	assert_non_null(strstr(list.buf, "data/added.txt 0 5 "));
	assert_null(strstr(list.buf, "metadata/dc.xml"));
	vl_buf_release(&list);
	bag_info_release(&bi);
	free(bag);
	tk_rmtree(src);
	tk_rmtree(out);
	free(src);
	free(out);
}

static void
test_update_upgrades_old_bags(void **state)
{
	char *d = mini_bag("0.97");
	struct bag_update_opts uo = { 0 };
	struct bag_update_result res;
	struct bag_report r;
	struct vl_err err = { 0 };
	struct vl_buf decl = VL_BUF_INIT;
	char *p = path_in(d, "bagit.txt");

	(void)state;
	puts_(d, "data/50%.txt", "half");
	bag_report_init(&r);
	assert_int_equal(bag_update(d, &uo, &r, &res, &err), 0);
	bag_report_release(&r);
	assert_int_equal(vl_read_file(&decl, p, 0, &err), 0);
	assert_non_null(strstr(decl.buf, "BagIt-Version: 1.0"));
	expect(d, 1, NULL, NULL);
	vl_buf_release(&decl);
	free(p);
	tk_rmtree(d);
	free(d);
}

/* ---- profiles ---- */

static void
test_profiles(void **state)
{
	char *d = mini_bag("1.0"), *pf;
	struct bag_profile *prof;
	struct bag_validate_opts o = { 0 };
	struct bag_report r;
	struct vl_err err = { 0 };

	(void)state;
	pf = path_in(d, "../profile.json");
	puts_(d, "../profile.json",
	      "{ \"BagIt-Profile-Info\": {\"BagIt-Profile-Identifier\": "
	      "\"https://example.org/p.json\", \"Source-Organization\": "
	      "\"x\", \"Version\": \"1\"},"
	      " \"Bag-Info\": {\"Source-Organization\": {\"required\": true,"
	      " \"values\": [\"Org A\"]}, \"Contact-Name\": {\"repeatable\":"
	      " false}},"
	      " \"Manifests-Required\": [\"sha512\"],"
	      " \"Manifests-Allowed\": [\"sha512\", \"md5\"],"
	      " \"Allow-Fetch.txt\": false,"
	      " \"Serialization\": \"required\","
	      " \"Accept-Serialization\": [\"application/zip\"],"
	      " \"Accept-BagIt-Version\": [\"0.97\"],"
	      " \"Tag-Files-Required\": [\"metadata/dc.xml\"],"
	      " \"Tag-Files-Allowed\": [\"metadata/*\"] }");
	assert_int_equal(bag_profile_load(&prof, pf, &err), 0);
	assert_string_equal(bag_profile_id(prof), "https://example.org/p.json");
	puts_(d, "bag-info.txt",
	      "Source-Organization: Org B\nContact-Name: a\nContact-Name: b\n");
	puts_(d, "fetch.txt", "http://example.org/x 6 data/hello.txt\n");
	puts_(d, "notes.txt", "not allowed");
	o.profile = prof;
	bag_report_init(&r);
	assert_int_equal(bag_validate(d, &o, &r, &err), 0);
	assert_false(r.valid);
	assert_non_null(find(&r, "profile-info-value", "bag-info.txt"));
	assert_non_null(find(&r, "profile-info-repeated", "bag-info.txt"));
	assert_non_null(find(&r, "profile-manifest-required", NULL));
	assert_non_null(
		find(&r, "profile-manifest-allowed", "manifest-sha256.txt"));
	assert_non_null(find(&r, "profile-fetch", "fetch.txt"));
	assert_non_null(find(&r, "profile-serialization", NULL));
	assert_non_null(find(&r, "profile-version", "bagit.txt"));
	assert_non_null(
		find(&r, "profile-tag-file-required", "metadata/dc.xml"));
	assert_non_null(find(&r, "profile-tag-file-allowed", "notes.txt"));
	bag_report_release(&r);
	bag_profile_free(prof);
	/* Malformed profiles are refused with the key named. */
	puts_(d, "../profile.json", "{\"BagIt-Profile-Info\": {}}");
	assert_int_equal(bag_profile_load(&prof, pf, &err), VL_E_FORMAT);
	assert_non_null(strstr(err.msg, "BagIt-Profile-Identifier"));
	puts_(d, "../profile.json",
	      "{\"BagIt-Profile-Info\": {\"BagIt-Profile-Identifier\": \"x\"},"
	      " \"Manifests-Required\": \"md5\"}");
	assert_int_equal(bag_profile_load(&prof, pf, &err), VL_E_FORMAT);
	assert_non_null(strstr(err.msg, "Manifests-Required"));
	puts_(d, "../profile.json", "{ nope");
	assert_int_equal(bag_profile_load(&prof, pf, &err), VL_E_FORMAT);
	unlink(pf);
	free(pf);
	tk_rmtree(d);
	free(d);
}

/* ---- fetch ---- */

/* A tiny HTTP server on 127.0.0.1 (libmicrohttpd): /f/NAME serves
 * files from a directory with Range support; /flaky fails once with
 * 503; /liar sends more bytes than fetch.txt declares. */
struct server {
	struct MHD_Daemon *d;
	const char *root;
	int flaky_calls, ranged;
	unsigned short port;
};

static enum MHD_Result
serve(void *cls, struct MHD_Connection *c, const char *url, const char *method,
      const char *version, const char *upload, size_t *upload_size,
      void **con_cls)
{
	struct server *s = cls;
	struct MHD_Response *resp;
	const char *range;
	char path[4300], *body = NULL;
	long size = 0, from = 0;
	unsigned status = MHD_HTTP_OK;
	enum MHD_Result ret;
	FILE *f;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)con_cls;
	if (strcmp(method, "GET") != 0)
		return MHD_NO;
	if (!strcmp(url, "/flaky") && s->flaky_calls++ == 0) {
		resp = MHD_create_response_from_buffer(0, (void *)"",
						       MHD_RESPMEM_PERSISTENT);
		ret = MHD_queue_response(c, MHD_HTTP_SERVICE_UNAVAILABLE, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	if (!strcmp(url, "/liar")) {
		static const char many[] = "far more than six bytes";

		resp = MHD_create_response_from_buffer(
			sizeof(many) - 1, (void *)many, MHD_RESPMEM_PERSISTENT);
		ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	snprintf(path, sizeof(path), "%s/%s", s->root,
		 !strncmp(url, "/f/", 3) ? url + 3 : "hello.txt");
	if (!(f = fopen(path, "rb"))) {
		resp = MHD_create_response_from_buffer(0, (void *)"",
						       MHD_RESPMEM_PERSISTENT);
		ret = MHD_queue_response(c, MHD_HTTP_NOT_FOUND, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
	if (range && sscanf(range, "bytes=%ld-", &from) == 1 && from < size) {
		status = MHD_HTTP_PARTIAL_CONTENT;
		s->ranged++;
	} else {
		from = 0;
	}
	body = malloc((size_t)(size - from) + 1);
	fseek(f, from, SEEK_SET);
	size = (long)fread(body, 1, (size_t)(size - from), f);
	fclose(f);
	resp = MHD_create_response_from_buffer((size_t)size, body,
					       MHD_RESPMEM_MUST_FREE);
	if (status == MHD_HTTP_PARTIAL_CONTENT) {
		char cr[64];

		snprintf(cr, sizeof(cr), "bytes %ld-%ld/%ld", from,
			 from + size - 1, from + size);
		MHD_add_response_header(resp, "Content-Range", cr);
	}
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static int
server_start(struct server *s, const char *root)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	memset(s, 0, sizeof(*s));
	s->root = root;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
				serve, s, MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_CONNECTION_LIMIT, 16,
				MHD_OPTION_END);
	if (!s->d)
		return -1;
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	return s->port ? 0 : -1;
}

/* A holey bag: manifest for three files, fetch.txt with URLs. */
static char *
holey_bag(const char *urlbase, const char *content_dir)
{
	char *d = tk_tmpdir(), hex[FIX_HEX_MAX], line[512];
	static const char *const names[] = { "one.txt", "sub/two.txt",
					     "three.txt" };
	static const char *const texts[] = { "first file\n", "second\n",
					     "third, the longest of them\n" };
	size_t i;

	puts_(d, "bagit.txt",
	      "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
	for (i = 0; i < 3; i++) {
		char rel[256];

		snprintf(rel, sizeof(rel), "%s", names[i]);
		puts_(content_dir, rel, texts[i]);
		hex_of(hex, FIX_SHA256, texts[i], strlen(texts[i]));
		snprintf(line, sizeof(line), "%s  data/%s\n", hex, names[i]);
		append_line(d, "manifest-sha256.txt", line);
		snprintf(line, sizeof(line), "%s/%s %zu data/%s\n", urlbase,
			 names[i], strlen(texts[i]), names[i]);
		append_line(d, "fetch.txt", line);
	}
	return d;
}

static void
test_fetch_file_urls(void **state)
{
	char *content = tk_tmpdir(), url[4300], *d;
	struct bag_fetch_opts o = { 0 };
	struct bag_fetch_result res;
	struct bag_report r;
	struct vl_err err = { 0 };

	(void)state;
	snprintf(url, sizeof(url), "file://%s", content);
	d = holey_bag(url, content);
	expect(d, 0, "not-fetched", "data/one.txt");
	/* file:// only when allowed */
	bag_report_init(&r);
	assert_int_equal(bag_fetch(d, &o, &r, &res, &err), VL_E_CHECK);
	assert_non_null(find(&r, "fetch-scheme", "data/one.txt"));
	bag_report_release(&r);
	o.allow_file_urls = 1;
	bag_report_init(&r);
	assert_int_equal(bag_fetch(d, &o, &r, &res, &err), 0);
	bag_report_release(&r);
	assert_int_equal(res.fetched, 3);
	expect(d, 1, NULL, NULL);
	/* again: everything present */
	bag_report_init(&r);
	assert_int_equal(bag_fetch(d, &o, &r, &res, &err), 0);
	assert_int_equal(res.present, 3);
	bag_report_release(&r);
	/* A source with wrong content is verified and refused. */
	rm_in(d, "data/one.txt");
	puts_(content, "one.txt", "forged fil\n"); /* same length */
	o.retries = 1;
	o.backoff_ms = 1;
	bag_report_init(&r);
	assert_int_equal(bag_fetch(d, &o, &r, &res, &err), VL_E_CHECK);
	if (!find(&r, "checksum-mismatch", "data/one.txt"))
		dump(&r);
	assert_non_null(find(&r, "checksum-mismatch", "data/one.txt"));
	bag_report_release(&r);
	assert_int_equal(exists_in(d, "data/one.txt"), -1);
	/* A complete partial download from an earlier run is verified and
	 * used without fetching again (the source is gone). */
	{
		struct fix_hasher *h;
		struct fix_digests dg;
		char part[128], phex[33];

		fix_hasher_new(&h, FIX_ALG_BIT(FIX_SHA256), &err);
		fix_hasher_update(h, "data/sub/two.txt", 16, &err);
		fix_hasher_final(h, &dg, &err);
		fix_hex(phex, dg.md[FIX_SHA256], 16);
		fix_hasher_free(h);
		snprintf(part, sizeof(part), ".vellum-fetch/%s.part", phex);
		rm_in(d, "data/sub/two.txt");
		rm_in(content, "sub/two.txt");
		puts_(d, part, "second\n");
		puts_(content, "one.txt", "first file\n");
		bag_report_init(&r);
		assert_int_equal(bag_fetch(d, &o, &r, &res, &err), 0);
		bag_report_release(&r);
		assert_int_equal(res.fetched, 2);
		expect(d, 1, NULL, NULL);
	}
	tk_rmtree(d);
	tk_rmtree(content);
	free(d);
	free(content);
}

static void
test_fetch_http(void **state)
{
	char *content = tk_tmpdir(), url[256], *d, line[512], hex[FIX_HEX_MAX];
	struct bag_fetch_opts o = { 0 };
	struct bag_fetch_result res;
	struct bag_report r;
	struct vl_err err = { 0 };
	struct server s;

	(void)state;
	if (server_start(&s, content) < 0) {
		fprintf(stderr, "cannot start the test HTTP server\n");
		skip();
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/f", s.port);
	d = holey_bag(url, content);
	/* a partial download from an earlier run is resumed with Range */
	{
		struct fix_hasher *h;
		struct fix_digests dg;
		char part[128], phex[33];

		fix_hasher_new(&h, FIX_ALG_BIT(FIX_SHA256), &err);
		fix_hasher_update(h, "data/three.txt", 14, &err);
		fix_hasher_final(h, &dg, &err);
		fix_hex(phex, dg.md[FIX_SHA256], 16);
		fix_hasher_free(h);
		snprintf(part, sizeof(part), ".vellum-fetch/%s.part", phex);
		puts_(d, part, "third, the ");
	}
	/* a flaky server: 503 once, then fine (retry with backoff) */
	hex_of(hex, FIX_SHA256, "hello\n", 6);
	puts_(content, "hello.txt", "hello\n");
	snprintf(line, sizeof(line), "%s  data/flaky.txt\n", hex);
	append_line(d, "manifest-sha256.txt", line);
	snprintf(line, sizeof(line),
		 "http://127.0.0.1:%u/flaky 6 "
		 "data/flaky.txt\n",
		 s.port);
	append_line(d, "fetch.txt", line);
	o.parallel = 2;
	o.backoff_ms = 10;
	bag_report_init(&r);
	assert_int_equal(bag_fetch(d, &o, &r, &res, &err), 0);
	if (r.errors)
		dump(&r);
	bag_report_release(&r);
	assert_int_equal(res.fetched, 4);
	assert_true(s.ranged >= 1);
	assert_true(s.flaky_calls >= 2);
	expect(d, 1, NULL, NULL);
	/* the work directory is gone */
	assert_int_equal(exists_in(d, ".vellum-fetch"), -1);
	/* A server sending more than declared is cut off (5.3). */
	snprintf(line, sizeof(line), "%s  data/liar.txt\n", hex);
	append_line(d, "manifest-sha256.txt", line);
	snprintf(line, sizeof(line),
		 "http://127.0.0.1:%u/liar 6 "
		 "data/liar.txt\n",
		 s.port);
	append_line(d, "fetch.txt", line);
	/* and a 404 */
	snprintf(line, sizeof(line), "%s  data/gone.txt\n", hex);
	append_line(d, "manifest-sha256.txt", line);
	snprintf(line, sizeof(line),
		 "http://127.0.0.1:%u/f/nothing 6 "
		 "data/gone.txt\n",
		 s.port);
	append_line(d, "fetch.txt", line);
	bag_report_init(&r);
	assert_int_equal(bag_fetch(d, &o, &r, &res, &err), VL_E_CHECK);
	assert_non_null(find(&r, "fetch-too-large", "data/liar.txt"));
	assert_non_null(find(&r, "fetch-failed", "data/gone.txt"));
	bag_report_release(&r);
	assert_int_equal(exists_in(d, "data/liar.txt"), -1);
	MHD_stop_daemon(s.d);
	tk_rmtree(d);
	tk_rmtree(content);
	free(d);
	free(content);
}

/* RFC 8493 6.1.2: names Windows cannot hold, component by component;
 * and data/.../bagit.txt is a nested bag. */
static void
test_bag_windows_names_and_nested_bags(void **state)
{
	static const char *const bad[] = {
		"data/CON",    "data/con.txt", "data/a/Nul.tar.gz", "data/aux",
		"data/PRN.",   "data/COM1",    "data/lpt9.log",     "data/a<b",
		"data/a>b",    "data/a:b",     "data/a\"b",         "data/a|b",
		"data/a?b",    "data/a*b",     "data/x\ty",         "data/dot.",
		"data/space ", "data/dir./f",
	};
	static const char *const good[] = {
		"data/CONSOLE",  "data/com10", "data/LPT0",
		"data/icon.txt", "data/.keep", "data/a.b.c",
		"data/com",      "data/x-con", "bag-info.txt",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!bag_windows_unsafe(bad[i]))
			fail_msg("'%s' should be refused by Windows", bad[i]);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (bag_windows_unsafe(good[i]))
			fail_msg("'%s' is a fine Windows name", good[i]);
	assert_true(bag_nested_bag("data/bagit.txt"));
	assert_true(bag_nested_bag("data/x/y/bagit.txt"));
	assert_false(bag_nested_bag("bagit.txt"));
	assert_false(bag_nested_bag("data/x/notbagit.txt"));
	assert_false(bag_nested_bag("meta/bagit.txt"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance_suite_verdicts),
		cmocka_unit_test(test_bag_windows_names_and_nested_bags),
		cmocka_unit_test(test_conformance_valid_bags_as_archives),
		cmocka_unit_test(test_percent_encoded_names_round_trip),
		cmocka_unit_test(test_version_rules_for_percent_signs),
		cmocka_unit_test(test_every_manifest_rule_depends_on_version),
		cmocka_unit_test(test_bagit_txt_rules),
		cmocka_unit_test(test_manifest_line_rules),
		cmocka_unit_test(test_manifest_paths_outside_payload),
		cmocka_unit_test(test_unsafe_paths_are_never_read),
		cmocka_unit_test(test_symlink_escapes),
		cmocka_unit_test(test_special_files_are_not_read),
		cmocka_unit_test(test_duplicates_and_md5sum_marker),
		cmocka_unit_test(test_tag_manifest_rules),
		cmocka_unit_test(test_fetch_txt_rules),
		cmocka_unit_test(test_bag_info_rules),
		cmocka_unit_test(test_bag_info_format_round_trip),
		cmocka_unit_test(test_encodings_of_tag_files),
		cmocka_unit_test(test_normalization_and_case),
		cmocka_unit_test(test_os_junk_and_weak_algorithm_warn),
		cmocka_unit_test(test_missing_required_elements),
		cmocka_unit_test(test_all_problems_are_reported),
		cmocka_unit_test(test_oxum_counts_every_payload_file),
		cmocka_unit_test(test_modes_fast_and_completeness),
		cmocka_unit_test(test_round_trip_into_dest),
		cmocka_unit_test(test_tagmanifest_of_big_manifests),
		cmocka_unit_test(test_round_trip_in_place),
		cmocka_unit_test(test_in_place_refusal_changes_nothing),
		cmocka_unit_test(test_create_policies),
		cmocka_unit_test(test_create_refuses_normalization_twins),
		cmocka_unit_test(test_create_serialized_and_unpack),
		cmocka_unit_test(test_hostile_archives),
		cmocka_unit_test(test_archive_more_bytes_than_declared),
		cmocka_unit_test(test_archive_with_manifests_after_payload),
		cmocka_unit_test(test_update_and_tag_files),
		cmocka_unit_test(test_update_upgrades_old_bags),
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_fetch_file_urls),
		cmocka_unit_test(test_fetch_http),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
