/*
 * vl_curl.c - the libcurl table (vl_curl.h), loaded by vl_dl_load():
 * written once, before any caller can see it; read-only afterwards.
 */
#include "vl_curl.h"

#ifndef VL_CURL_SONAME
#define VL_CURL_SONAME "libcurl-gnutls.so.4"
#endif

static struct vl_curl api;

static int
global_init(void)
{
	return api.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

VL_DL_LIBRARY(lib, VL_CURL_SONAME, VL_CURL_FUNCS, api, global_init);

int
vl_curl_load(struct vl_err *err)
{
	return vl_dl_load(&lib, err);
}

const struct vl_curl *
vl_curl(void)
{
	return &api;
}
