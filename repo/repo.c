/*
 * repo.c - creating, finding and opening a repository.
 *
 * vellum.conf is written last by repo_init(): a directory holding it is a
 * complete repository, so an interrupted init never leaves a half one that
 * other commands would mistake for real.
 */
#include <errno.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repo.h"

static int
is_file(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;

	if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p))
		return 0;
	return stat(p, &st) == 0;
}

static int
write_config(const char *dir, const struct repo_init_opts *o,
	     struct vl_err *err)
{
	struct vl_buf b = VL_BUF_INIT, path = VL_BUF_INIT;
	int rc;

	vl_buf_addf(
		&b,
		"# Vellum repository configuration (see `vellum help config`)"
		"\n"
		"name = %s\n"
		"base_url = %s\n"
		"admin_email = %s\n"
		"oai_namespace = %s\n"
		"digests = %s\n"
		"schema_dir = %s\n"
		"storage_root = %s\n"
		"# notify_url = https://monitor.example.org/hook\n"
		"# mail_to = curator@example.org\n"
		"listen = 127.0.0.1:8080\n"
		"page_size = 100\n",
		o->name ? o->name : "Vellum repository",
		o->base_url ? o->base_url : "http://127.0.0.1:8080/oai",
		o->admin_email ? o->admin_email : "admin@example.org",
		o->oai_namespace ? o->oai_namespace : "vellum.localhost",
		o->digests ? o->digests : "sha512",
		o->schema_dir ? o->schema_dir : "",
		o->storage_root ? o->storage_root : "storage");
	if (vl_buf_addf(&path, "%s/%s", dir, REPO_CONF_NAME) < 0) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	rc = vl_write_file_atomic(path.buf, b.buf, b.len, err);
out:
	vl_buf_release(&b);
	vl_buf_release(&path);
	return rc;
}

static int
init_catalog(const char *catalog, struct vl_err *err)
{
	struct repo r = { 0 };
	unsigned char key[32];
	char hex[65], now[VL_TIME_LEN];
	int rc, i;

	if ((rc = repo_catalog_open(&r.db, catalog, 1, err)) < 0)
		return rc;
	if (RAND_bytes(key, sizeof(key)) != 1) {
		rc = vl_err_set(err, VL_E_IO,
				"no random bytes for the token "
				"key");
		goto out;
	}
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	vl_time_now(now);
	/* The OAI-PMH resumption token key lives in the catalog so every
	 * server sharing it accepts the same tokens. */
	if ((rc = repo_setting_set(&r, "token_key", hex, err)) < 0 ||
	    (rc = repo_setting_set(&r, "created", now, err)) < 0)
		goto out;
out:
	sqlite3_close(r.db);
	return rc;
}

int
repo_init(const char *dir, const struct repo_init_opts *opts,
	  struct vl_err *err)
{
	static const struct repo_init_opts none;
	struct vl_buf catalog = VL_BUF_INIT, storage = VL_BUF_INIT;
	int made_storage = 0, rc;

	if (!opts)
		opts = &none;
	if (is_file(dir, REPO_CONF_NAME) || is_file(dir, REPO_CATALOG_NAME))
		return vl_err_set(err, VL_E_EXISTS,
				  "'%s' is already a Vellum repository", dir);
	if ((rc = vl_mkdirs(dir, 0755, err)) < 0)
		return rc;
	if (vl_buf_addf(&catalog, "%s/%s", dir, REPO_CATALOG_NAME) < 0 ||
	    vl_buf_addf(
		    &storage, "%s/%s",
		    opts->storage_root && opts->storage_root[0] == '/' ? ""
								       : dir,
		    opts->storage_root ? opts->storage_root : "storage") < 0) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	if (access(storage.buf, F_OK) != 0)
		made_storage = 1;
	if ((rc = vl_mkdirs(storage.buf, 0755, err)) < 0)
		goto out;
	if ((rc = init_catalog(catalog.buf, err)) < 0)
		goto out;
	rc = write_config(dir, opts, err);
out:
	if (rc < 0) {
		unlink(catalog.buf);
		vl_buf_adds(&catalog, "-wal");
		unlink(catalog.buf);
		catalog.buf[catalog.len - 4] = '\0';
		vl_buf_adds(&catalog, "-shm");
		unlink(catalog.buf);
		if (made_storage)
			rmdir(storage.buf);
	}
	vl_buf_release(&catalog);
	vl_buf_release(&storage);
	return rc;
}

int
repo_locate(struct vl_buf *out, const char *explicit_dir, struct vl_err *err)
{
	const char *env = getenv("VELLUM_REPO");
	const char *dir, *how;
	struct stat st;

	if (explicit_dir) {
		dir = explicit_dir;
		how = "--repo";
	} else if (env && *env) {
		dir = env;
		how = "VELLUM_REPO";
	} else {
		dir = ".";
		how = "the current directory";
	}
	if (stat(dir, &st) < 0)
		return vl_err_sys(err, VL_E_NOTFOUND,
				  "repository '%s' (from %s)", dir, how);
	if (!S_ISDIR(st.st_mode))
		return vl_err_set(err, VL_E_NOTFOUND,
				  "repository '%s' (from %s) is not a "
				  "directory",
				  dir, how);
	if (!is_file(dir, REPO_CONF_NAME))
		return vl_err_set(err, VL_E_NOTFOUND,
				  "'%s' (from %s) is not a Vellum repository "
				  "(no %s); use -r DIR or `vellum init DIR`",
				  dir, how, REPO_CONF_NAME);
	vl_buf_reset(out);
	if (vl_buf_adds(out, dir) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	return 0;
}

int
repo_open(struct repo **out, const char *dir, struct vl_err *err)
{
	struct vl_buf p = VL_BUF_INIT;
	struct repo *r;
	int rc;

	*out = NULL;
	if (!(r = calloc(1, sizeof(*r))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if (!(r->path = realpath(dir, NULL))) {
		rc = vl_err_sys(err, VL_E_NOTFOUND, "repository '%s'", dir);
		goto fail;
	}
	if (vl_buf_addf(&p, "%s/%s", r->path, REPO_CONF_NAME) < 0) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto fail;
	}
	if ((rc = repo_config_load(&r->cfg, p.buf, r->path, err)) < 0)
		goto fail;
	vl_buf_reset(&p);
	vl_buf_addf(&p, "%s/%s", r->path, REPO_CATALOG_NAME);
	if ((rc = repo_catalog_open(&r->db, p.buf, 0, err)) < 0)
		goto fail;
	vl_buf_release(&p);
	*out = r;
	return 0;
fail:
	vl_buf_release(&p);
	repo_close(r);
	return rc;
}

void
repo_close(struct repo *r)
{
	if (!r)
		return;
	sqlite3_finalize(r->ev_last);
	sqlite3_finalize(r->ev_insert);
	free(r->ev_user);
	if (r->db)
		sqlite3_close(r->db);
	repo_config_release(&r->cfg);
	free(r->path);
	free(r);
}
