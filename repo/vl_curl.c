/*
 * vl_curl.c - the libcurl table (vl_curl.h).
 *
 * Invariant: written once, under pthread_once, before any caller can
 * see it; read-only afterwards.
 */
#include <pthread.h>

#include "vl_curl.h"

#ifndef VL_CURL_SONAME
#define VL_CURL_SONAME "libcurl-gnutls.so.4"
#endif

static const char *const names[] = { VL_CURL_FUNCS(VL_DL_NAME) };
_Static_assert(sizeof(struct vl_curl) == sizeof(names) / sizeof(names[0]) *
						 sizeof(void (*)(void)),
	       "the table holds one function pointer per name");

static struct vl_curl api;
static struct vl_err load_err;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
load(void)
{
	if (vl_dl_table(VL_CURL_SONAME, names, sizeof(names) / sizeof(names[0]),
			&api, &load_err) < 0)
		return;
	if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		vl_err_set(&load_err, VL_E_IO, "libcurl failed to initialize");
}

int
vl_curl_load(struct vl_err *err)
{
	pthread_once(&once, load);
	if (load_err.code) {
		*err = load_err;
		return load_err.code;
	}
	return 0;
}

const struct vl_curl *
vl_curl(void)
{
	return &api;
}
