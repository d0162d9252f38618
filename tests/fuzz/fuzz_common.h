/*
 * fuzz_common.h - shared by the BagIt fuzz targets: runs the bag model
 * (ingest/bag_model.c) over tag files held in memory, exactly as the
 * archive validator does, so every parser sees hostile bytes.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ingest/bag_impl.h"

struct mem_file {
	const char *name;
	const char *data;
	size_t len;
};

struct mem_bag {
	const struct mem_file *files;
	size_t n;
};

static int
mem_get(void *ctx, const char *name, struct vl_buf *out, struct vl_err *err)
{
	const struct mem_bag *m = ctx;
	size_t i;

	vl_buf_reset(out);
	for (i = 0; i < m->n; i++)
		if (!strcmp(m->files[i].name, name))
			return vl_buf_add(out, m->files[i].data,
					  m->files[i].len) < 0
				       ? vl_err_set(err, VL_E_NOMEM, "nomem")
				       : 0;
	return vl_err_set(err, VL_E_NOTFOUND, "missing");
}

/* Parses the bag, pretends every listed payload file is present with
 * the digests of empty content, and runs the final checks. */
static void
run_bag(const struct mem_file *files, size_t n)
{
	struct mem_bag m = { files, n };
	struct bag_report rep;
	struct vl_buf decl = VL_BUF_INIT;
	struct vl_err err;
	struct bag b;
	size_t i;

	bag_report_init(&rep);
	bag_init(&b, "fuzz", &rep);
	if (mem_get(&m, "bagit.txt", &decl, &err) == 0)
		bag_parse_declaration(&b, decl.buf, decl.len);
	else
		bag_parse_declaration(&b, NULL, 0);
	for (i = 0; i < n; i++)
		bag_note_root_file(&b, files[i].name);
	b.has_data_dir = 1;
	if (bag_parse_tag_files(&b, mem_get, &m, BAG_FULL, &err) == 0) {
		struct fix_digests d;
		struct bag_file *hit[4];

		memset(&d, 0, sizeof(d));
		d.algs = FIX_ALL_ALGS;
		for (i = 0; i < b.files.cap; i++) {
			struct bag_file *f = b.files.slot[i].val;

			if (!b.files.slot[i].key || f->kind != BK_PAYLOAD)
				continue;
			if (bag_match_payload(&b, f->path, 0, hit, 4))
				bag_check_digests(&b, hit[0], &d);
		}
		bag_final_checks(&b, BAG_FULL);
		bag_finish_report(&b, BAG_FULL);
	}
	bag_release(&b);
	bag_report_release(&rep);
	vl_buf_release(&decl);
}

#endif
