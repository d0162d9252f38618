/*
 * fix_alg.c - digest algorithms (OpenSSL EVP) and one-stream hashing.
 *
 * Invariants: the EVP_MD objects are fetched once per process and never
 * freed (they are shared, read-only, by every hasher on every thread).
 * A hasher keeps one EVP_MD_CTX per algorithm and a read buffer, so
 * hashing many files reuses them without allocating.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "fixity.h"
#include "fix_impl.h"

/* RFC 8493 2.4: the algorithm's common name (as in IANA's "Named
 * Information Hash Algorithm Registry", or MD5 and SHA-1 for backwards
 * compatibility), lowercased, with every non-alphanumeric character
 * removed: "SHA-512" is "sha512", "SHA3-256" is "sha3256", "BLAKE2b-512"
 * is "blake2b512". */
static const struct {
	const char *name;
	const char *evp;
	size_t size;
	int weak;
} alg_tab[FIX_ALG_COUNT] = {
	[FIX_MD5] = { "md5", "MD5", 16, 1 },
	[FIX_SHA1] = { "sha1", "SHA1", 20, 1 },
	[FIX_SHA224] = { "sha224", "SHA224", 28, 0 },
	[FIX_SHA256] = { "sha256", "SHA256", 32, 0 },
	[FIX_SHA384] = { "sha384", "SHA384", 48, 0 },
	[FIX_SHA512] = { "sha512", "SHA512", 64, 0 },
	[FIX_SHA3_224] = { "sha3224", "SHA3-224", 28, 0 },
	[FIX_SHA3_256] = { "sha3256", "SHA3-256", 32, 0 },
	[FIX_SHA3_384] = { "sha3384", "SHA3-384", 48, 0 },
	[FIX_SHA3_512] = { "sha3512", "SHA3-512", 64, 0 },
	[FIX_BLAKE2B512] = { "blake2b512", "BLAKE2B-512", 64, 0 },
	[FIX_BLAKE2S256] = { "blake2s256", "BLAKE2S-256", 32, 0 },
};

static EVP_MD *evp_md[FIX_ALG_COUNT];
static int evp_fetched[FIX_ALG_COUNT]; /* atomic: evp_md[a] is final */
static pthread_mutex_t evp_mu = PTHREAD_MUTEX_INITIALIZER;

/* Each algorithm is fetched the first time it is asked for: fetching
 * all twelve took 1.4 ms of every start, for the one or two a command
 * uses. */
static const EVP_MD *
md_of(int alg)
{
	EVP_MD *md;

	if (__atomic_load_n(&evp_fetched[alg], __ATOMIC_ACQUIRE))
		return evp_md[alg];
	pthread_mutex_lock(&evp_mu);
	if (!evp_fetched[alg]) {
		md = EVP_MD_fetch(NULL, alg_tab[alg].evp, NULL);
		if (md && (size_t)EVP_MD_get_size(md) != alg_tab[alg].size) {
			EVP_MD_free(md);
			md = NULL;
		}
		ERR_clear_error();
		evp_md[alg] = md;
		__atomic_store_n(&evp_fetched[alg], 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&evp_mu);
	return evp_md[alg];
}

const char *
fix_alg_name(int alg)
{
	return alg >= 0 && alg < FIX_ALG_COUNT ? alg_tab[alg].name : NULL;
}

size_t
fix_alg_size(int alg)
{
	return alg >= 0 && alg < FIX_ALG_COUNT ? alg_tab[alg].size : 0;
}

int
fix_alg_weak(int alg)
{
	return alg >= 0 && alg < FIX_ALG_COUNT && alg_tab[alg].weak;
}

int
fix_alg_available(int alg)
{
	return alg >= 0 && alg < FIX_ALG_COUNT && md_of(alg) != NULL;
}

struct fix_prefetch {
	pthread_t tid;
	unsigned algs;
};

static void *
prefetch(void *arg)
{
	struct fix_prefetch *p = arg;
	int a;

	for (a = 0; a < FIX_ALG_COUNT; a++)
		if (p->algs & FIX_ALG_BIT(a))
			(void)md_of(a);
	return NULL;
}

struct fix_prefetch *
fix_prefetch_start(unsigned algs)
{
	struct fix_prefetch *p;

	if (!(algs & FIX_ALL_ALGS) || !(p = malloc(sizeof(*p))))
		return NULL;
	p->algs = algs & FIX_ALL_ALGS;
	if (pthread_create(&p->tid, NULL, prefetch, p) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

void
fix_prefetch_join(struct fix_prefetch *p)
{
	if (!p)
		return;
	pthread_join(p->tid, NULL);
	free(p);
}

int
fix_alg_parse(const char *name)
{
	char norm[32];
	size_t n = 0;
	int a;

	for (; *name; name++) {
		char c = *name;

		if (c == '-' || c == '_')
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (n + 1 >= sizeof(norm))
			return -1;
		norm[n++] = c;
	}
	norm[n] = '\0';
	/* Python's hashlib names blake2b/blake2s for the full sizes. */
	if (!strcmp(norm, "blake2b"))
		return FIX_BLAKE2B512;
	if (!strcmp(norm, "blake2s"))
		return FIX_BLAKE2S256;
	for (a = 0; a < FIX_ALG_COUNT; a++)
		if (!strcmp(norm, alg_tab[a].name))
			return a;
	return -1;
}

int
fix_algs_parse(const char *list, unsigned *mask, struct vl_err *err)
{
	char word[64];
	const char *p = list;
	int alg;

	*mask = 0;
	while (*p) {
		size_t n = strcspn(p, ", \t");

		if (n == 0) {
			p++;
			continue;
		}
		if (n >= sizeof(word))
			return vl_err_set(err, VL_E_INVAL,
					  "unknown digest algorithm '%.*s'",
					  (int)n, p);
		memcpy(word, p, n);
		word[n] = '\0';
		alg = fix_alg_parse(word);
		if (alg < 0)
			return vl_err_set(err, VL_E_INVAL,
					  "unknown digest algorithm '%s'",
					  word);
		if (!fix_alg_available(alg))
			return vl_err_set(err, VL_E_INVAL,
					  "digest algorithm '%s' is not "
					  "available in this OpenSSL",
					  word);
		*mask |= FIX_ALG_BIT(alg);
		p += n;
	}
	if (!*mask)
		return vl_err_set(err, VL_E_INVAL,
				  "no digest algorithm in '%s'", list);
	return 0;
}

int
fix_algs_format(struct vl_buf *out, unsigned mask)
{
	int a, first = 1;

	for (a = 0; a < FIX_ALG_COUNT; a++) {
		if (!(mask & FIX_ALG_BIT(a)))
			continue;
		if ((!first && vl_buf_addch(out, ',') < 0) ||
		    vl_buf_adds(out, alg_tab[a].name) < 0)
			return VL_E_NOMEM;
		first = 0;
	}
	return 0;
}

void
fix_hex(char *out, const unsigned char *md, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * len] = '\0';
}

const unsigned char fix_hex_value1[256] = {
	['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
	['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
	['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

int
fix_unhex(unsigned char *out, size_t len, const char *hex, size_t hexlen)
{
	size_t i;

	if (hexlen != 2 * len)
		return -1;
	for (i = 0; i < len; i++) {
		int hi = fix_hexval(hex[2 * i]),
		    lo = fix_hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* ---- the hasher ---- */

struct fix_hasher {
	unsigned algs;
	EVP_MD_CTX *ctx[FIX_ALG_COUNT];
	unsigned char *buf;
	size_t bufsize;
};

static int
ossl_err(struct vl_err *err, const char *what)
{
	unsigned long e = ERR_get_error();
	char msg[160];

	ERR_error_string_n(e, msg, sizeof(msg));
	ERR_clear_error();
	return vl_err_set(err, VL_E_IO, "%s: %s", what, e ? msg : "failed");
}

int
fix_hasher_new(struct fix_hasher **out, unsigned algs, struct vl_err *err)
{
	struct fix_hasher *h;
	int rc;

	*out = NULL;
	if (!(h = calloc(1, sizeof(*h))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if ((rc = fix_hasher_reset(h, algs, err)) < 0) {
		fix_hasher_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

void
fix_hasher_free(struct fix_hasher *h)
{
	int a;

	if (!h)
		return;
	for (a = 0; a < FIX_ALG_COUNT; a++)
		EVP_MD_CTX_free(h->ctx[a]);
	free(h->buf);
	free(h);
}

int
fix_hasher_reset(struct fix_hasher *h, unsigned algs, struct vl_err *err)
{
	int a;

	if (!algs)
		algs = h->algs;
	if (!algs || (algs & ~FIX_ALL_ALGS))
		return vl_err_set(err, VL_E_INVAL, "no digest algorithm");
	for (a = 0; a < FIX_ALG_COUNT; a++) {
		const EVP_MD *md;

		if (!(algs & FIX_ALG_BIT(a)))
			continue;
		if (!(md = md_of(a)))
			return vl_err_set(err, VL_E_INVAL,
					  "digest algorithm '%s' is not "
					  "available in this OpenSSL",
					  alg_tab[a].name);
		if (!h->ctx[a] && !(h->ctx[a] = EVP_MD_CTX_new()))
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		if (!EVP_DigestInit_ex2(h->ctx[a], md, NULL))
			return ossl_err(err, "cannot start digest");
	}
	h->algs = algs;
	return 0;
}

int
fix_hasher_update(struct fix_hasher *h, const void *data, size_t len,
		  struct vl_err *err)
{
	int a;

	for (a = 0; a < FIX_ALG_COUNT; a++)
		if ((h->algs & FIX_ALG_BIT(a)) &&
		    !EVP_DigestUpdate(h->ctx[a], data, len))
			return ossl_err(err, "cannot compute digest");
	return 0;
}

int
fix_hasher_final(struct fix_hasher *h, struct fix_digests *out,
		 struct vl_err *err)
{
	unsigned n;
	int a;

	out->algs = h->algs;
	for (a = 0; a < FIX_ALG_COUNT; a++)
		if ((h->algs & FIX_ALG_BIT(a)) &&
		    !EVP_DigestFinal_ex(h->ctx[a], out->md[a], &n))
			return ossl_err(err, "cannot finish digest");
	return 0;
}

int
fix_hash_fd_read(struct fix_hasher *h, unsigned algs, int fd, int copy_fd,
		 const char *name, const struct fix_read_ctl *ctl,
		 struct fix_digests *out, uint64_t *size, struct vl_err *err)
{
	size_t bufsize = ctl->bufsize ? ctl->bufsize : FIX_BUF_DEFAULT;
	uint64_t total = 0;
	int rc;

	if (h->bufsize != bufsize) {
		free(h->buf);
		h->bufsize = 0;
		if (!(h->buf = malloc(bufsize)))
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		h->bufsize = bufsize;
	}
	if ((rc = fix_hasher_reset(h, algs, err)) < 0)
		return rc;
	for (;;) {
		ssize_t n = read(fd, h->buf, h->bufsize);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vl_err_sys(err, VL_E_IO, "cannot read '%s'",
					  name);
		}
		if (n == 0)
			break;
		if ((rc = fix_hasher_update(h, h->buf, (size_t)n, err)) < 0)
			return rc;
		if (copy_fd >= 0 &&
		    vl_write_all(copy_fd, h->buf, (size_t)n) < 0)
			return vl_err_sys(err, VL_E_IO,
					  "cannot write the copy of '%s'",
					  name);
		total += (uint64_t)n;
		if (ctl->counter)
			__atomic_add_fetch(ctl->counter, (uint64_t)n,
					   __ATOMIC_RELAXED);
		if (ctl->after_read &&
		    (rc = ctl->after_read(ctl->arg, (size_t)n, err)) < 0)
			return rc;
		/* A short read of a regular file stops at its end; when that
		 * is where fstat(2) put the end, the read that would return
		 * 0 tells nothing new (a file still growing is read as it
		 * was when it was opened). */
		if ((size_t)n < h->bufsize && total == ctl->size_hint)
			break;
	}
	if (size)
		*size = total;
	return fix_hasher_final(h, out, err);
}

int
fix_hash_fd(struct fix_hasher *h, unsigned algs, int fd, int copy_fd,
	    const char *name, struct fix_digests *out, uint64_t *size,
	    struct vl_err *err)
{
	struct fix_read_ctl ctl = { 0 };

	ctl.size_hint = UINT64_MAX;
	return fix_hash_fd_read(h, algs, fd, copy_fd, name, &ctl, out, size,
				err);
}
