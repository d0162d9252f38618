/*
 * test_fixity.c - the digest engine and the RFC 8493 manifest text.
 */
#include "testkit.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../../fixity/fixity.h"

static const char abc_hex[FIX_ALG_COUNT][FIX_HEX_MAX] = {
	[FIX_MD5] = "900150983cd24fb0d6963f7d28e17f72",
	[FIX_SHA1] = "a9993e364706816aba3e25717850c26c9cd0d89d",
	[FIX_SHA256] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb41"
		       "0ff61f20015ad",
	[FIX_SHA512] = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9e"
		       "eee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423"
		       "643ce80e2a9ac94fa54ca49f",
	[FIX_SHA3_256] = "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46"
			 "bfe24511431532",
	[FIX_BLAKE2B512] = "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b7"
			   "4b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc95"
			   "18d38aa8dbf1925ab92386edd4009923",
};

/* A prefetch runs on its own thread and must be joined; with nothing
 * to fetch there is no thread. */
static void
test_fix_prefetch_then_available(void **state)
{
	struct fix_prefetch *p;

	(void)state;
	assert_null(fix_prefetch_start(0));
	fix_prefetch_join(NULL);
	p = fix_prefetch_start(FIX_ALG_BIT(FIX_SHA256) |
			       FIX_ALG_BIT(FIX_SHA512));
	assert_non_null(p);
	/* asked while the thread may still be fetching: waits for it */
	assert_true(fix_alg_available(FIX_SHA512));
	fix_prefetch_join(p);
	assert_true(fix_alg_available(FIX_SHA256));
}

static void
test_fix_alg_names_follow_rfc8493(void **state)
{
	unsigned mask;
	struct vl_buf b = VL_BUF_INIT;
	struct vl_err err = { 0 };

	(void)state;
	assert_string_equal(fix_alg_name(FIX_SHA512), "sha512");
	assert_string_equal(fix_alg_name(FIX_SHA3_256), "sha3256");
	assert_int_equal(fix_alg_parse("SHA-512"), FIX_SHA512);
	assert_int_equal(fix_alg_parse("sha3_256"), FIX_SHA3_256);
	assert_int_equal(fix_alg_parse("SHA3-256"), FIX_SHA3_256);
	assert_int_equal(fix_alg_parse("blake2b"), FIX_BLAKE2B512);
	assert_int_equal(fix_alg_parse("md4"), -1);
	assert_int_equal(fix_alg_parse(""), -1);
	assert_true(fix_alg_weak(FIX_MD5));
	assert_false(fix_alg_weak(FIX_SHA256));
	assert_int_equal(fix_alg_size(FIX_SHA224), 28);
	assert_int_equal(fix_algs_parse("sha512, SHA-256", &mask, &err), 0);
	assert_int_equal(mask,
			 FIX_ALG_BIT(FIX_SHA256) | FIX_ALG_BIT(FIX_SHA512));
	fix_algs_format(&b, mask);
	assert_string_equal(b.buf, "sha256,sha512");
	assert_int_equal(fix_algs_parse("sha256,whirlpool", &mask, &err),
			 VL_E_INVAL);
	assert_non_null(strstr(err.msg, "'whirlpool'"));
	assert_int_equal(fix_algs_parse(" , ", &mask, &err), VL_E_INVAL);
	vl_buf_release(&b);
}

static void
test_fix_hasher_known_vectors(void **state)
{
	struct fix_hasher *h;
	struct fix_digests d;
	struct vl_err err = { 0 };
	char hex[FIX_HEX_MAX];
	unsigned algs = 0;
	int a;

	(void)state;
	for (a = 0; a < FIX_ALG_COUNT; a++)
		if (abc_hex[a][0] && fix_alg_available(a))
			algs |= FIX_ALG_BIT(a);
	assert_true(algs & FIX_ALG_BIT(FIX_SHA512));
	assert_int_equal(fix_hasher_new(&h, algs, &err), 0);
	/* Fed in two pieces: the same digests as in one. */
	assert_int_equal(fix_hasher_update(h, "a", 1, &err), 0);
	assert_int_equal(fix_hasher_update(h, "bc", 2, &err), 0);
	assert_int_equal(fix_hasher_final(h, &d, &err), 0);
	for (a = 0; a < FIX_ALG_COUNT; a++) {
		if (!(algs & FIX_ALG_BIT(a)))
			continue;
		fix_hex(hex, d.md[a], fix_alg_size(a));
		assert_string_equal(hex, abc_hex[a]);
	}
	fix_hasher_free(h);
	fix_hasher_free(NULL);
}

static void
test_fix_unhex_is_case_insensitive(void **state)
{
	unsigned char md[2];

	(void)state;
	assert_int_equal(fix_unhex(md, 2, "aB0f", 4), 0);
	assert_int_equal(md[0], 0xab);
	assert_int_equal(md[1], 0x0f);
	assert_int_equal(fix_unhex(md, 2, "abc", 3), -1);
	assert_int_equal(fix_unhex(md, 2, "abcg", 4), -1);
}

static void
test_fix_hash_fd_copies_in_the_same_read(void **state)
{
	char *dir = tk_tmpdir(), src[4200], dst[4200], hex[FIX_HEX_MAX];
	struct fix_hasher *h;
	struct fix_digests d;
	struct vl_err err = { 0 };
	unsigned char big[300000], back[300001];
	uint64_t size = 0;
	int fd, cfd;
	size_t i;
	FILE *f;

	(void)state;
	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + 3);
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(dst, sizeof(dst), "%s/dst", dir);
	f = fopen(src, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(big, 1, sizeof(big), f), sizeof(big));
	fclose(f);
	assert_int_equal(fix_hasher_new(&h, FIX_ALG_BIT(FIX_SHA256), &err), 0);
	fd = open(src, O_RDONLY);
	cfd = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0 && cfd >= 0);
	assert_int_equal(fix_hash_fd(h, 0, fd, cfd, "src", &d, &size, &err), 0);
	close(fd);
	close(cfd);
	assert_int_equal(size, sizeof(big));
	f = fopen(dst, "rb");
	assert_non_null(f);
	assert_int_equal(fread(back, 1, sizeof(back), f), sizeof(big));
	fclose(f);
	assert_memory_equal(back, big, sizeof(big));
	/* The digest of the copy equals the digest of the source. */
	fix_hex(hex, d.md[FIX_SHA256], 32);
	{
		struct fix_digests d2;

		fd = open(dst, O_RDONLY);
		assert_int_equal(
			fix_hash_fd(h, 0, fd, -1, "dst", &d2, &size, &err), 0);
		close(fd);
		assert_memory_equal(d2.md[FIX_SHA256], d.md[FIX_SHA256], 32);
	}
	fix_hasher_free(h);
	tk_rmtree(dir);
	free(dir);
}

/* ---- the engine ---- */

struct collect {
	pthread_mutex_t mu;
	unsigned n, errors, order_ok, in_callback, overlap;
	long last;
	char sha[64][FIX_HEX_MAX];
	uint64_t bytes;
};

static void
collect_done(void *ctx, const struct fix_result *r)
{
	struct collect *c = ctx;
	long idx = (long)(intptr_t)r->udata;

	/* never called concurrently */
	if (__atomic_add_fetch(&c->in_callback, 1, __ATOMIC_SEQ_CST) != 1)
		c->overlap++;
	if (idx != c->last + 1)
		c->order_ok = 0;
	c->last = idx;
	c->n++;
	if (r->code)
		c->errors++;
	else {
		c->bytes += r->size;
		if (idx < 64)
			fix_hex(c->sha[idx], r->digests->md[FIX_SHA256], 32);
	}
	__atomic_sub_fetch(&c->in_callback, 1, __ATOMIC_SEQ_CST);
}

static void
make_files(const char *dir, int n)
{
	char name[64], text[256];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%03d", i);
		memset(text, 'a' + i % 26, sizeof(text));
		snprintf(text, sizeof(text), "file %d ", i);
		text[strlen(text)] = 'x';
		text[(i * 13) % 200 + 20] = '\0';
		tk_write(dir, name, text);
	}
}

static void
run_engine(const char *dir, int n, int ordered, unsigned queue,
	   struct collect *c)
{
	struct fix_engine_opts o = { 0 };
	struct fix_engine *e;
	struct fix_progress p;
	struct vl_err err = { 0 };
	char path[4200];
	int i;

	memset(c, 0, sizeof(*c));
	c->last = -1;
	c->order_ok = 1;
	o.algs = FIX_ALG_BIT(FIX_SHA256) | FIX_ALG_BIT(FIX_MD5);
	o.threads = 3;
	o.queue = queue;
	o.ordered = ordered;
	o.done = collect_done;
	o.ctx = c;
	assert_int_equal(fix_engine_new(&e, &o, &err), 0);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%03d", dir, i);
		assert_int_equal(fix_engine_submit(e, path, NULL, 0,
						   (void *)(intptr_t)i, &err),
				 0);
	}
	assert_int_equal(fix_engine_finish(e, &err), 0);
	fix_engine_progress(e, &p);
	assert_int_equal(p.submitted, (uint64_t)n);
	assert_int_equal(p.done + p.failed, (uint64_t)n);
	assert_int_equal(p.bytes, c->bytes);
	fix_engine_free(e);
}

static void
test_fix_engine_ordered_and_bounded(void **state)
{
	char *dir = tk_tmpdir();
	struct collect c, u;
	int i;

	(void)state;
	make_files(dir, 200);
	run_engine(dir, 200, 1, 4, &c);
	assert_int_equal(c.n, 200);
	assert_int_equal(c.errors, 0);
	assert_true(c.order_ok);
	assert_int_equal(c.overlap, 0);
	/* Unordered gives the same digests for the same files. */
	run_engine(dir, 200, 0, 0, &u);
	assert_int_equal(u.n, 200);
	assert_int_equal(u.overlap, 0);
	for (i = 0; i < 64; i++)
		assert_string_equal(c.sha[i], u.sha[i]);
	tk_rmtree(dir);
	free(dir);
}

static void
test_fix_engine_reports_errors_per_file(void **state)
{
	char *dir = tk_tmpdir(), path[4200];
	struct fix_engine_opts o = { 0 };
	struct fix_engine *e;
	struct collect c;
	struct vl_err err = { 0 };

	(void)state;
	memset(&c, 0, sizeof(c));
	c.last = -1;
	c.order_ok = 1;
	make_files(dir, 2);
	snprintf(path, sizeof(path), "%s/sub", dir);
	mkdir(path, 0755);
	o.algs = FIX_ALG_BIT(FIX_SHA256);
	o.threads = 2;
	o.ordered = 1;
	o.done = collect_done;
	o.ctx = &c;
	assert_int_equal(fix_engine_new(&e, &o, &err), 0);
	snprintf(path, sizeof(path), "%s/f000", dir);
	fix_engine_submit(e, path, NULL, 0, (void *)0, &err);
	snprintf(path, sizeof(path), "%s/missing", dir);
	fix_engine_submit(e, path, NULL, 0, (void *)1, &err);
	snprintf(path, sizeof(path), "%s/sub", dir); /* a directory */
	fix_engine_submit(e, path, NULL, 0, (void *)2, &err);
	snprintf(path, sizeof(path), "%s/f001", dir);
	fix_engine_submit(e, path, NULL, 0, (void *)3, &err);
	fix_engine_free(e); /* finishes */
	assert_int_equal(c.n, 4);
	assert_int_equal(c.errors, 2);
	assert_true(c.order_ok);
	tk_rmtree(dir);
	free(dir);
}

/* An open callback that serves content from memory (like a storage
 * backend would), via a memfd. */
static int
mem_open(void *ctx, const char *path, void *udata, struct vl_err *err)
{
	int fd = memfd_create("x", MFD_CLOEXEC);

	(void)ctx;
	(void)udata;
	if (fd < 0)
		return vl_err_sys(err, VL_E_IO, "memfd");
	if (write(fd, path, strlen(path)) != (ssize_t)strlen(path)) {
		close(fd);
		return vl_err_set(err, VL_E_IO, "write");
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void
one_result(void *ctx, const struct fix_result *r)
{
	char *hex = ctx;

	assert_int_equal(r->code, 0);
	fix_hex(hex, r->digests->md[FIX_SHA256], 32);
}

static void
test_fix_engine_open_callback_and_copy(void **state)
{
	char *dir = tk_tmpdir(), dest[4200], hex[FIX_HEX_MAX], back[16];
	struct fix_engine_opts o = { 0 };
	struct fix_engine *e;
	struct vl_err err = { 0 };
	FILE *f;

	(void)state;
	o.algs = FIX_ALG_BIT(FIX_SHA256);
	o.threads = 1;
	o.open_src = mem_open;
	o.done = one_result;
	o.ctx = hex;
	snprintf(dest, sizeof(dest), "%s/copy", dir);
	assert_int_equal(fix_engine_new(&e, &o, &err), 0);
	assert_int_equal(fix_engine_submit(e, "abc", dest, 0, NULL, &err), 0);
	assert_int_equal(fix_engine_finish(e, &err), 0);
	fix_engine_free(e);
	assert_string_equal(hex, abc_hex[FIX_SHA256]);
	f = fopen(dest, "rb");
	assert_non_null(f);
	assert_int_equal(fread(back, 1, sizeof(back), f), 3);
	fclose(f);
	assert_memory_equal(back, "abc", 3);
	tk_rmtree(dir);
	free(dir);
}

static void
cancel_on_first(void *ctx, const struct fix_result *r)
{
	struct fix_engine **e = ctx;

	(void)r;
	fix_engine_cancel(*e);
}

static void
test_fix_engine_cancel_stops_submitting(void **state)
{
	struct fix_engine_opts o = { 0 };
	struct fix_engine *e;
	struct vl_err err = { 0 };
	int i, rc = 0;

	(void)state;
	o.algs = FIX_ALG_BIT(FIX_SHA256);
	o.threads = 2;
	o.queue = 2;
	o.open_src = mem_open;
	o.done = cancel_on_first;
	o.ctx = &e;
	assert_int_equal(fix_engine_new(&e, &o, &err), 0);
	for (i = 0; i < 1000 && rc == 0; i++)
		rc = fix_engine_submit(e, "abc", NULL, 0, NULL, &err);
	assert_int_equal(rc, VL_E_INTR);
	fix_engine_free(e);
}

/* ---- manifest text ---- */

static void
test_fix_lines_split_lf_cr_crlf(void **state)
{
	static const char text[] = "a\nb\r\nc\rd\r\n\ne";
	static const char *const want[] = { "a", "b", "c", "d", "", "e" };
	struct fix_lines it;
	const char *l;
	size_t n, i = 0;

	(void)state;
	fix_lines_init(&it, text, sizeof(text) - 1);
	while (fix_lines_next(&it, &l, &n)) {
		assert_true(i < 6);
		assert_int_equal(n, strlen(want[i]));
		assert_memory_equal(l, want[i], n);
		assert_int_equal(it.lineno, i + 1);
		i++;
	}
	assert_int_equal(i, 6);
	fix_lines_init(&it, "x\n", 2);
	assert_int_equal(fix_lines_next(&it, &l, &n), 1);
	assert_int_equal(fix_lines_next(&it, &l, &n), 0);
}

static void
parse_ok(const char *line, int version, const char *ck, const char *path,
	 unsigned flags)
{
	struct fix_manifest_line ml;
	struct vl_buf b = VL_BUF_INIT;
	struct vl_err err = { 0 };

	assert_int_equal(fix_manifest_parse_line(&ml, &b, line, strlen(line),
						 version, &err),
			 0);
	assert_string_equal(ml.checksum, ck);
	assert_string_equal(ml.path, path);
	assert_int_equal(ml.path_len, strlen(path));
	assert_int_equal(ml.flags, flags);
	vl_buf_release(&b);
}

static void
parse_bad(const char *line, size_t len, const char *msg)
{
	struct fix_manifest_line ml;
	struct vl_buf b = VL_BUF_INIT;
	struct vl_err err = { 0 };

	assert_int_equal(fix_manifest_parse_line(&ml, &b, line, len, 100, &err),
			 VL_E_FORMAT);
	assert_non_null(strstr(err.msg, msg));
	vl_buf_release(&b);
}

static void
test_fix_manifest_line_rules(void **state)
{
	(void)state;
	parse_ok("ABCdef01  data/x y.txt", 100, "abcdef01", "data/x y.txt", 0);
	parse_ok("ab\t\t data/t", 100, "ab", "data/t", 0);
	parse_ok("ab *data/t", 97, "ab", "data/t", FIX_LINE_STAR);
	parse_ok("ab ./data/t", 97, "ab", "data/t", FIX_LINE_DOTSLASH);
	/* 1.0 decodes %25; 0.97 wrote '%' as is. */
	parse_ok("ab data/100%25.txt", 100, "ab", "data/100%.txt", 0);
	parse_ok("ab data/100%25.txt", 97, "ab", "data/100%25.txt", 0);
	parse_ok("ab data/a%0Ab%0dc", 97, "ab", "data/a\nb\rc", 0);
	parse_ok("ab data/%7Etest", 97, "ab", "data/%7Etest", 0);
	parse_ok("ab data/%7Etest", 100, "ab", "data/%7Etest",
		 FIX_LINE_RAW_PCT);
	parse_ok("ab data/50%", 100, "ab", "data/50%", FIX_LINE_RAW_PCT);
	parse_ok("ab data/trailing ", 100, "ab", "data/trailing ", 0);
	parse_bad(" ab data/x", 10, "starts with whitespace");
	parse_bad("abx data/x", 10, "not hexadecimal");
	parse_bad("ab", 2, "no file path");
	parse_bad("ab   ", 5, "no file path");
	parse_bad("", 0, "empty line");
	parse_bad("ab data/a\0b", 11, "NUL");
}

static void
test_fix_path_encode_round_trips(void **state)
{
	static const char *const names[] = {
		"data/plain", "data/100%", "data/a\nb",
		"data/c\rd",  "data/%25",  "data/\r\n%0A",
		"%",          "\n",        "data/caf\xc3\xa9 %\r",
	};
	struct vl_buf enc = VL_BUF_INIT, dec = VL_BUF_INIT;
	struct vl_err err = { 0 };
	unsigned flags = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		vl_buf_reset(&enc);
		vl_buf_reset(&dec);
		assert_int_equal(fix_path_encode(&enc, names[i]), 0);
		assert_null(strchr(enc.buf, '\n'));
		assert_null(strchr(enc.buf, '\r'));
		assert_int_equal(fix_path_decode(&dec, enc.buf, enc.len, 100,
						 &flags, &err),
				 0);
		assert_string_equal(dec.buf, names[i]);
	}
	assert_int_equal(flags, 0);
	vl_buf_reset(&enc);
	fix_manifest_format_line(&enc, "ab", "data/1%\n");
	assert_string_equal(enc.buf, "ab  data/1%25%0A\n");
	vl_buf_release(&enc);
	vl_buf_release(&dec);
}

static void
test_fix_text_decode_encodings(void **state)
{
	static const char utf16[] = "\xff\xfe"
				    "a\0:\0 \0\xe9\0\n\0";
	static const char latin1[] = "caf\xe9";
	struct vl_buf b = VL_BUF_INIT;
	struct vl_err err = { 0 };
	int bom;

	(void)state;
	assert_int_equal(fix_text_decode(&b, utf16, sizeof(utf16) - 1, "UTF-16",
					 &bom, &err),
			 0);
	assert_string_equal(b.buf, "a: \xc3\xa9\n");
	assert_true(bom);
	assert_int_equal(
		fix_text_decode(&b, latin1, 4, "ISO-8859-1", &bom, &err), 0);
	assert_string_equal(b.buf, "caf\xc3\xa9");
	assert_false(bom);
	assert_int_equal(
		fix_text_decode(&b, "\xef\xbb\xbfx", 4, "UTF-8", &bom, &err),
		0);
	assert_string_equal(b.buf, "x");
	assert_true(bom);
	assert_int_equal(fix_text_decode(&b, "caf\xc3\xa9 \xe2\x82\xac!", 11,
					 "UTF-8", &bom, &err),
			 0);
	assert_string_equal(b.buf, "caf\xc3\xa9 \xe2\x82\xac!");
	assert_int_equal(fix_text_decode(&b, "a\xc3", 2, "UTF-8", &bom, &err),
			 VL_E_FORMAT);
	assert_non_null(strstr(err.msg, "byte 1"));
	/* ASCII is skipped eight bytes at a time: the offset stays exact
	 * wherever the bad byte falls in a word. */
	assert_int_equal(fix_text_decode(&b, "0123456789abcdef\xff", 17,
					 "UTF-8", &bom, &err),
			 VL_E_FORMAT);
	assert_non_null(strstr(err.msg, "byte 16"));
	assert_int_equal(fix_text_decode(&b, "0123456789\xc3(xyz", 15, "UTF-8",
					 &bom, &err),
			 VL_E_FORMAT);
	assert_non_null(strstr(err.msg, "byte 10"));
	assert_int_equal(
		fix_text_decode(&b, "\xed\xa0\x80", 3, "utf-8", &bom, &err),
		VL_E_FORMAT); /* a surrogate */
	assert_int_equal(
		fix_text_decode(&b, "x", 1, "NO-SUCH-CHARSET", &bom, &err),
		VL_E_INVAL);
	assert_non_null(strstr(err.msg, "'NO-SUCH-CHARSET'"));
	vl_buf_release(&b);
}

static void
test_fix_manifest_name_forms(void **state)
{
	struct vl_buf raw = VL_BUF_INIT;
	int tag, alg;

	(void)state;
	assert_int_equal(
		fix_manifest_name("manifest-sha512.txt", &tag, &alg, &raw), 1);
	assert_int_equal(tag, 0);
	assert_int_equal(alg, FIX_SHA512);
	assert_int_equal(
		fix_manifest_name("tagmanifest-md5.txt", &tag, &alg, NULL), 1);
	assert_int_equal(tag, 1);
	assert_int_equal(alg, FIX_MD5);
	assert_int_equal(
		fix_manifest_name("manifest-foo.txt", &tag, &alg, &raw), 1);
	assert_int_equal(alg, -1);
	assert_string_equal(raw.buf, "foo");
	assert_int_equal(fix_manifest_name("manifest-.txt", &tag, &alg, NULL),
			 0);
	assert_int_equal(
		fix_manifest_name("manifest-md5.txt.bak", &tag, &alg, NULL), 0);
	assert_int_equal(fix_manifest_name("bag-info.txt", &tag, &alg, NULL),
			 0);
	vl_buf_release(&raw);
}

/* The per-read hook: sees every read (bufsize at most), and stopping
 * there ends the file with its code; a cancel stops a file mid-read. */
struct reads {
	unsigned calls, stop_after;
	size_t max_n, total;
	struct fix_engine *e;
	int cancel;
	int code;
	uint64_t size;
};

static int
count_read(void *ctx, size_t n, struct vl_err *err)
{
	struct reads *r = ctx;

	r->calls++;
	r->total += n;
	if (n > r->max_n)
		r->max_n = n;
	if (r->cancel && r->calls == r->stop_after)
		fix_engine_cancel(r->e);
	else if (r->stop_after && r->calls == r->stop_after)
		return vl_err_set(err, VL_E_INTR, "stopped by the hook");
	return 0;
}

static void
reads_done(void *ctx, const struct fix_result *res)
{
	struct reads *r = ctx;

	r->code = res->code;
	r->size = res->size;
}

static void
read_with_hook(const char *path, struct reads *r)
{
	struct fix_engine_opts o = { 0 };
	struct vl_err err = { 0 };

	o.algs = FIX_ALG_BIT(FIX_SHA256);
	o.threads = 1;
	o.bufsize = 4096;
	o.on_read = count_read;
	o.done = reads_done;
	o.ctx = r;
	assert_int_equal(fix_engine_new(&r->e, &o, &err), 0);
	assert_int_equal(fix_engine_submit(r->e, path, NULL, 0, NULL, &err), 0);
	assert_int_equal(fix_engine_finish(r->e, &err), 0);
	fix_engine_free(r->e);
}

static void
test_fix_engine_read_hook_and_cancel_mid_file(void **state)
{
	char *dir = tk_tmpdir(), path[4200];
	static char big[40000];
	struct reads r;

	(void)state;
	memset(big, 'q', sizeof(big) - 1);
	tk_write(dir, "big", big);
	snprintf(path, sizeof(path), "%s/big", dir);
	/* Every read is seen; the short last read at the known size ends
	 * the file without a read returning 0. */
	memset(&r, 0, sizeof(r));
	read_with_hook(path, &r);
	assert_int_equal(r.code, 0);
	assert_int_equal(r.size, sizeof(big) - 1);
	assert_int_equal(r.total, sizeof(big) - 1);
	assert_int_equal(r.max_n, 4096);
	assert_int_equal(r.calls, (sizeof(big) - 1 + 4095) / 4096);
	/* The hook stops the file: its code, not a digest. */
	memset(&r, 0, sizeof(r));
	r.stop_after = 2;
	read_with_hook(path, &r);
	assert_int_equal(r.code, VL_E_INTR);
	assert_int_equal(r.calls, 2);
	/* A cancel while the file is read stops it at the next read. */
	memset(&r, 0, sizeof(r));
	r.stop_after = 3;
	r.cancel = 1;
	read_with_hook(path, &r);
	assert_int_equal(r.code, VL_E_INTR);
	assert_int_equal(r.calls, 3);
	tk_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fix_alg_names_follow_rfc8493),
		cmocka_unit_test(test_fix_hasher_known_vectors),
		cmocka_unit_test(test_fix_unhex_is_case_insensitive),
		cmocka_unit_test(test_fix_hash_fd_copies_in_the_same_read),
		cmocka_unit_test(test_fix_engine_ordered_and_bounded),
		cmocka_unit_test(test_fix_engine_reports_errors_per_file),
		cmocka_unit_test(test_fix_engine_open_callback_and_copy),
		cmocka_unit_test(test_fix_engine_cancel_stops_submitting),
		cmocka_unit_test(test_fix_engine_read_hook_and_cancel_mid_file),
		cmocka_unit_test(test_fix_lines_split_lf_cr_crlf),
		cmocka_unit_test(test_fix_prefetch_then_available),
		cmocka_unit_test(test_fix_manifest_line_rules),
		cmocka_unit_test(test_fix_path_encode_round_trips),
		cmocka_unit_test(test_fix_text_decode_encodings),
		cmocka_unit_test(test_fix_manifest_name_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
