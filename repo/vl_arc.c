/*
 * vl_arc.c - the libarchive table (vl_arc.h), loaded by vl_dl_load():
 * written once, before any caller can see it; read-only afterwards.
 */
#include "vl_arc.h"

#ifndef VL_ARC_SONAME
#define VL_ARC_SONAME "libarchive.so.13"
#endif

static struct vl_arc api;

VL_DL_LIBRARY(lib, VL_ARC_SONAME, VL_ARC_FUNCS, api, NULL);

int
vl_arc_load(struct vl_err *err)
{
	return vl_dl_load(&lib, err);
}

const struct vl_arc *
vl_arc(void)
{
	return &api;
}

static struct archive *
new_handle(int writing, struct vl_err *err)
{
	struct archive *a;

	if (vl_arc_load(err) < 0)
		return NULL;
	if (!(a = writing ? api.write_new() : api.read_new()))
		vl_err_set(err, VL_E_NOMEM, "out of memory");
	return a;
}

struct archive *
vl_arc_read_new(struct vl_err *err)
{
	return new_handle(0, err);
}

struct archive *
vl_arc_write_new(struct vl_err *err)
{
	return new_handle(1, err);
}
