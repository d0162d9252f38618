/*
 * export_impl.h - private to ingest/lifecycle.c and ingest/catalog_bag.c:
 * a bag held in memory, file by file, which `vellum export` writes
 * through the same directory and archive writer as a stored bag.
 * Nothing here is part of the ingest API.
 */
#ifndef EXPORT_IMPL_H
#define EXPORT_IMPL_H

#include "ingest.h"

/* bagit.txt, bag-info.txt, premis.xml, the four metadata forms kept as
 * tag files, and a payload and a tag manifest per algorithm. */
#define ING_MEM_BAG_MAX (3 + 4 + 2 * FIX_ALG_COUNT)

struct ing_mem_file {
	char path[64]; /* bag-relative: "bagit.txt", "metadata/dc.xml" */
	char *data;    /* owned; NUL-terminated */
	size_t len;
};

/* The tag files of a bag, sorted by path.  The payload directory data/
 * is empty and not listed: the writer makes it (RFC 8493 2.1.2). */
struct ing_mem_bag {
	struct ing_mem_file v[ING_MEM_BAG_MAX];
	size_t n;
};

/*
 * Builds in memory the bag of catalog-only object id (an active object
 * whose objects.storage_key is NULL: only catalog rows, no stored bag),
 * from its current metadata version and its PREMIS events, with a
 * payload and a tag manifest per algorithm of the repository's
 * `digests` setting.  Only reads the catalog; the caller holds one read
 * transaction around this call so every row comes from one snapshot.
 * b is filled (release it with ing_mem_bag_release, also on error).
 */
int ing_catalog_bag(struct repo *r, const char *id, struct ing_mem_bag *b,
		    struct vl_err *err);
void ing_mem_bag_release(struct ing_mem_bag *b);

#endif
