/*
 * vl_curl.h - libcurl, loaded when a command first talks HTTP (the audit
 * webhook, bag fetch, the harvester) rather than at every start: see
 * vl_dl.c.  Calls go through the table: vl_curl()->easy_perform(h).
 */
#ifndef VL_CURL_H
#define VL_CURL_H

#include <curl/curl.h>

#include "vl.h"

/* member, libcurl function */
#define VL_CURL_FUNCS(X)                                 \
	X(global_init, curl_global_init)                 \
	X(easy_init, curl_easy_init)                     \
	X(easy_setopt, curl_easy_setopt)                 \
	X(easy_perform, curl_easy_perform)               \
	X(easy_getinfo, curl_easy_getinfo)               \
	X(easy_cleanup, curl_easy_cleanup)               \
	X(easy_strerror, curl_easy_strerror)             \
	X(slist_append, curl_slist_append)               \
	X(slist_free_all, curl_slist_free_all)           \
	X(multi_init, curl_multi_init)                   \
	X(multi_add_handle, curl_multi_add_handle)       \
	X(multi_remove_handle, curl_multi_remove_handle) \
	X(multi_perform, curl_multi_perform)             \
	X(multi_poll, curl_multi_poll)                   \
	X(multi_info_read, curl_multi_info_read)         \
	X(multi_cleanup, curl_multi_cleanup)

struct vl_curl {
	VL_CURL_FUNCS(VL_DL_MEMBER)
};

/* Loads libcurl and runs curl_global_init once per process (thread
 * safe).  0, or VL_E_NOTFOUND with a message when libcurl is missing. */
int vl_curl_load(struct vl_err *err);
/* The table; only after vl_curl_load() succeeded. */
const struct vl_curl *vl_curl(void);

#endif
