/*
 * fix_impl.h - private to the fixity module: what the engine needs from the
 * one-stream hasher beyond the public header.
 */
#ifndef FIX_IMPL_H
#define FIX_IMPL_H

#include "fixity.h"

/* fix_hash_fd() with a read size (0 = default) and a byte counter that
 * is increased atomically after every read (NULL = none). */
int fix_hash_fd_counted(struct fix_hasher *h, unsigned algs, int fd,
			int copy_fd, const char *name, size_t bufsize,
			uint64_t *counter, struct fix_digests *out,
			uint64_t *size, struct vl_err *err);

#endif
