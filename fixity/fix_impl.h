/*
 * fix_impl.h - private to the fixity module: what the engine needs from the
 * one-stream hasher beyond the public header.
 */
#ifndef FIX_IMPL_H
#define FIX_IMPL_H

#include "fixity.h"

/* The default read size.  64 KiB keeps the buffer and the page-cache
 * lines it was copied from inside a core's L2 while every digest of the
 * set passes over it: with sha256 + sha512 on one 256 KiB buffer the
 * second digest found it evicted and the CPU time of hashing rose by a
 * fifth (measured, AMD EPYC, 512 KiB L2 per core). */
#define FIX_BUF_DEFAULT (64 * 1024)

/* How fix_hash_fd_read() reads, beyond fix_hash_fd(). */
struct fix_read_ctl {
	size_t bufsize;    /* read size; 0 = FIX_BUF_DEFAULT */
	uint64_t *counter; /* increased atomically after every read, or NULL */
	/* The size fstat(2) gave, or UINT64_MAX when unknown: a short read
	 * that reaches it is the end, which saves the read returning 0. */
	uint64_t size_hint;
	/* Called after every read with its byte count; a negative VL_E_*
	 * return (with err set) stops the stream with that code.  NULL =
	 * none. */
	int (*after_read)(void *arg, size_t n, struct vl_err *err);
	void *arg;
};

/* The value of a hexadecimal digit, plus one; 0 for any other byte.  A
 * table: manifests hold millions of digits, whose mix of digits and
 * letters defeats a branch predictor. */
extern const unsigned char fix_hex_value1[256];

static inline int
fix_hexval(char c)
{
	return (int)fix_hex_value1[(unsigned char)c] - 1;
}

/* fix_hash_fd() as ctl says. */
int fix_hash_fd_read(struct fix_hasher *h, unsigned algs, int fd, int copy_fd,
		     const char *name, const struct fix_read_ctl *ctl,
		     struct fix_digests *out, uint64_t *size,
		     struct vl_err *err);

#endif
