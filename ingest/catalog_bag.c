/*
 * catalog_bag.c - the BagIt bag (RFC 8493) of a catalog-only object,
 * made in memory from the catalog when the object is exported.
 *
 * A catalog-only object has no bag in storage (objects.storage_key IS
 * NULL): its rows in objects, metadata, object_collections and events
 * are all there is (a synthetic record, a harvested record).  Its bag is
 * what ingest stores for an empty payload (describe.c, oai/harvest_store.c):
 *
 *   bagit.txt             BagIt-Version 1.0, UTF-8 (2.1.1)
 *   bag-info.txt          Payload-Oxum 0.0, Bag-Size 0 bytes, and a note
 *                         that the bag was made at export (2.2.2)
 *   data/                 empty (2.1.2; made by the writer, lifecycle.c)
 *   manifest-ALG.txt      empty, one per configured algorithm (2.1.3)
 *   metadata/NAME.xml     the current version's mods, oai_dc, source and
 *                         provenance forms; dcterms and any other format
 *                         stay in the catalog, as at ingest
 *   metadata/premis.xml   ing_premis_xml(): the object and its events
 *   tagmanifest-ALG.txt   over every file above (2.2.1)
 *
 * Nothing is written to the catalog or to storage.  The bag is made anew
 * at each export, so bag-info.txt carries the day of that export.
 */
#include <stdlib.h>
#include <string.h>

#include "export_impl.h"

void
ing_mem_bag_release(struct ing_mem_bag *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->v[i].data);
	b->n = 0;
}

/* Takes data (NULL: allocation failed), freed on error too. */
static int
add_file(struct ing_mem_bag *b, const char *path, char *data, size_t len,
	 struct vl_err *err)
{
	struct ing_mem_file *f;

	if (!data)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if (b->n >= ING_MEM_BAG_MAX) {
		free(data);
		return vl_err_set(err, VL_E_INVAL, "too many tag files");
	}
	f = &b->v[b->n++];
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->data = data;
	f->len = len;
	return 0;
}

static int
add_text(struct ing_mem_bag *b, const char *path, const char *text,
	 struct vl_err *err)
{
	return add_file(b, path, strdup(text), strlen(text), err);
}

static int
add_buf(struct ing_mem_bag *b, const char *path, struct vl_buf *buf,
	struct vl_err *err)
{
	size_t len;
	char *data = vl_buf_detach(buf, &len);

	return add_file(b, path, data, len, err);
}

/* The current version's forms that ingest keeps as tag files; *version
 * gets objects.md_version. */
static int
add_forms(struct ing_mem_bag *b, struct repo *r, const char *id,
	  int64_t *version, struct vl_err *err)
{
	sqlite3_stmt *st;
	const char *format, *path, *xml;
	char *data;
	size_t len;
	int rc;

	*version = 0;
	if ((rc = repo_prepare(r, &st,
			       "SELECT o.md_version, m.format, m.xml FROM"
			       " objects o LEFT JOIN metadata m ON"
			       " m.object_id = o.id AND m.version ="
			       " o.md_version WHERE o.id = ?1"
			       " ORDER BY m.format",
			       err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*version = sqlite3_column_int64(st, 0);
		format = (const char *)sqlite3_column_text(st, 1);
		if (!format || !(path = ing_form_tag_file(format)))
			continue;
		xml = sqlite3_column_blob(st, 2);
		len = (size_t)sqlite3_column_bytes(st, 2);
		if ((data = malloc(len + 1))) {
			if (len)
				memcpy(data, xml, len);
			data[len] = '\0';
		}
		if ((rc = add_file(b, path, data, len, err)) < 0)
			goto out;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = repo_db_err(r->db, err, "catalog");
out:
	sqlite3_finalize(st);
	return rc;
}

/* RFC 8493 2.2.2; the reserved labels bag_create writes, and
 * Internal-Sender-Description saying where the bag came from. */
static int
add_bag_info(struct ing_mem_bag *b, struct repo *r, const char *id,
	     int64_t version, struct vl_err *err)
{
	struct bag_info info;
	struct vl_buf buf = VL_BUF_INIT, note = VL_BUF_INIT;
	char now[VL_TIME_LEN], day[11];
	int rc;

	vl_time_now(now);
	snprintf(day, sizeof(day), "%.10s", now);
	bag_info_init(&info);
	/* Two lines: a continuation keeps each within the 79 characters
	 * 2.2.2 recommends. */
	if (vl_buf_addf(&note,
			"A metadata-only object kept in the catalog,\n"
			"bagged at export from metadata version %lld; "
			"no payload.",
			(long long)version) < 0) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = bag_info_add(&info, "Source-Organization", r->cfg.name,
			       err)) < 0 ||
	    (rc = bag_info_add(&info, "External-Identifier", id, err)) < 0 ||
	    (rc = bag_info_add(&info, "Internal-Sender-Description", note.buf,
			       err)) < 0 ||
	    (rc = bag_info_add(&info, "Bagging-Date", day, err)) < 0 ||
	    (rc = bag_info_add(&info, "Bag-Software-Agent",
			       "vellum " VELLUM_VERSION, err)) < 0 ||
	    (rc = bag_info_add(&info, "Payload-Oxum", "0.0", err)) < 0 ||
	    (rc = bag_info_add(&info, "Bag-Size", "0 bytes", err)) < 0)
		goto out;
	if (bag_info_format(&buf, &info) < 0) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	rc = add_buf(b, "bag-info.txt", &buf, err);
out:
	bag_info_release(&info);
	vl_buf_release(&buf);
	vl_buf_release(&note);
	return rc;
}

static int
by_path(const void *a, const void *b)
{
	return strcmp(((const struct ing_mem_file *)a)->path,
		      ((const struct ing_mem_file *)b)->path);
}

/* RFC 8493 2.2.1: a tag manifest per algorithm over every other tag
 * file (never over tag manifests), lines sorted by path. */
static int
add_tag_manifests(struct ing_mem_bag *b, unsigned algs, struct vl_err *err)
{
	struct vl_buf tm[FIX_ALG_COUNT];
	struct fix_hasher *h = NULL;
	struct fix_digests dg;
	char hex[FIX_HEX_MAX], name[64];
	size_t i, nbase = b->n;
	int a, rc;

	for (a = 0; a < FIX_ALG_COUNT; a++)
		vl_buf_init(&tm[a], 0);
	qsort(b->v, b->n, sizeof(b->v[0]), by_path);
	if ((rc = fix_hasher_new(&h, algs, err)) < 0)
		goto out;
	for (i = 0; i < nbase; i++) {
		if ((rc = fix_hasher_reset(h, algs, err)) < 0 ||
		    (rc = fix_hasher_update(h, b->v[i].data, b->v[i].len,
					    err)) < 0 ||
		    (rc = fix_hasher_final(h, &dg, err)) < 0)
			goto out;
		for (a = 0; a < FIX_ALG_COUNT; a++) {
			if (!(algs & FIX_ALG_BIT(a)))
				continue;
			fix_hex(hex, dg.md[a], fix_alg_size(a));
			if (fix_manifest_format_line(&tm[a], hex,
						     b->v[i].path) < 0) {
				rc = vl_err_set(err, VL_E_NOMEM,
						"out of memory");
				goto out;
			}
		}
	}
	for (a = 0; a < FIX_ALG_COUNT; a++) {
		if (!(algs & FIX_ALG_BIT(a)))
			continue;
		fix_manifest_file(name, sizeof(name), 1, a);
		if ((rc = add_buf(b, name, &tm[a], err)) < 0)
			goto out;
	}
	qsort(b->v, b->n, sizeof(b->v[0]), by_path);
out:
	fix_hasher_free(h);
	for (a = 0; a < FIX_ALG_COUNT; a++)
		vl_buf_release(&tm[a]);
	return rc;
}

int
ing_catalog_bag(struct repo *r, const char *id, struct ing_mem_bag *b,
		struct vl_err *err)
{
	struct vl_buf premis = VL_BUF_INIT;
	char name[64];
	int64_t version;
	unsigned algs;
	int a, rc;

	/* The configuration's algorithms (sha512 unless it says else): an
	 * empty or unknown list is an error, as at ingest. */
	if ((rc = fix_algs_parse(r->cfg.digests, &algs, err)) < 0)
		return rc;
	/* RFC 8493 2.1.1 */
	if ((rc = add_text(b, "bagit.txt",
			   "BagIt-Version: 1.0\n"
			   "Tag-File-Character-Encoding: UTF-8\n",
			   err)) < 0 ||
	    (rc = add_forms(b, r, id, &version, err)) < 0 ||
	    (rc = add_bag_info(b, r, id, version, err)) < 0)
		goto out;
	/* RFC 8493 2.1.3: an empty payload, empty manifests. */
	for (a = 0; a < FIX_ALG_COUNT; a++) {
		if (!(algs & FIX_ALG_BIT(a)))
			continue;
		fix_manifest_file(name, sizeof(name), 0, a);
		if ((rc = add_text(b, name, "", err)) < 0)
			goto out;
	}
	if ((rc = ing_premis_xml(r, id, &premis, err)) < 0 ||
	    (rc = add_buf(b, "metadata/premis.xml", &premis, err)) < 0)
		goto out;
	rc = add_tag_manifests(b, algs, err);
out:
	vl_buf_release(&premis);
	return rc;
}
