/*
 * vl_dl.c - loading a shared library when a command first needs it.
 *
 * libcurl, libmicrohttpd and Raptor pull in some thirty libraries
 * between them (GnuTLS, Kerberos, LDAP, libxslt ...); linked into the
 * binary, the dynamic linker mapped and relocated all of them at every
 * start of vellum, 6 of its 11 ms.  libarchive and its compressors (zstd,
 * lz4, bzip2, nettle, acl) took another 0.6 ms.  They are loaded with
 * dlopen(3) by the commands that talk HTTP, serve OAI-PMH, read RDF or
 * read and write archives, and only by those.  A library once loaded stays
 * loaded (never dlclose'd), so the function pointers resolved from it stay
 * valid for the process.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include "vl.h"

int
vl_dl_table(const char *soname, const char *const *names, size_t n, void *table,
	    struct vl_err *err)
{
	void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	char *slot = table;
	size_t i;

	if (!lib)
		return vl_err_set(err, VL_E_NOTFOUND,
				  "cannot load %s (%s): is its Debian package "
				  "installed?",
				  soname, dlerror());
	for (i = 0; i < n; i++) {
		void *fn = dlsym(lib, names[i]);
		void (*fp)(void);

		if (!fn)
			return vl_err_set(err, VL_E_NOTFOUND,
					  "%s has no function %s: too old?",
					  soname, names[i]);
		/* memcpy: an object pointer becomes a function pointer
		 * without a cast between the two (POSIX dlsym) */
		memcpy(&fp, &fn, sizeof(fp));
		memcpy(slot + i * sizeof(fp), &fp, sizeof(fp));
	}
	return 0;
}

/* Loading is rare (a few times a run): one lock serves every library. */
static pthread_mutex_t load_mu = PTHREAD_MUTEX_INITIALIZER;

int
vl_dl_load(struct vl_dl *d, struct vl_err *err)
{
	int rc = 0;

	pthread_mutex_lock(&load_mu);
	if (!d->state) {
		int ok = vl_dl_table(d->soname, d->names, d->n, d->table,
				     &d->err) == 0;

		if (ok && d->init && d->init() < 0) {
			vl_err_set(&d->err, VL_E_IO, "%s failed to initialize",
				   d->soname);
			ok = 0;
		}
		d->state = ok ? 1 : -1;
	}
	if (d->state < 0) {
		*err = d->err;
		rc = d->err.code;
	}
	pthread_mutex_unlock(&load_mu);
	return rc;
}
