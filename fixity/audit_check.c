/*
 * audit_check.c - one object under audit: what the catalog, storage and
 * the bag's own manifests say about each of its files, and the verdict.
 *
 * Three witnesses for every file:
 *   the catalog    files(size) and digests(algorithm, digest) rows;
 *   the manifests  manifest-ALG.txt (payload) and tagmanifest-ALG.txt
 *                  (tag files) inside the stored bag, RFC 8493 2.1.3 and
 *                  2.2.1;
 *   the bytes      read once through repo_object_file(), every reference
 *                  algorithm computed in that one read.
 * Verdicts (the worst one a file earns wins, notes accumulate):
 *   altered     the bytes differ from the catalog's digest and from the
 *               manifest's (or there is no manifest digest), or the size
 *               differs with no digest to decide, or the file was
 *               replaced by a symlink or other non-regular entry;
 *   mismatch    the bytes agree with one witness and not the other: the
 *               catalog or the manifest was changed, not the file; also
 *               a payload file missing from a payload manifest (RFC 8493
 *               section 3: every payload file is in every payload
 *               manifest), a manifest line that cannot be parsed, or a
 *               manifest entry nothing else knows;
 *   missing     in the catalog, not in storage;
 *   extra       in storage, not in the catalog;
 *   unreadable  stored, but reading failed (an I/O error).
 * Tag manifests are not listed in any manifest (RFC 8493 2.2.1), so only
 * the catalog vouches for them.  A file no witness gives a digest for is
 * checked for presence, readability and size.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "audit_impl.h"

#define MANIFEST_MAX  (1024u * 1024 * 1024) /* bytes of one manifest */
#define BAGIT_TXT_MAX (64u * 1024)

/* ---- the object and its file index ---- */

struct aobj *
audit_obj_new(const char *id, const char *key, const char *datestamp)
{
	struct aobj *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->id = strdup(id);
	o->key = strdup(key);
	o->datestamp = strdup(datestamp ? datestamp : "");
	o->version = FIX_BAGIT_1_0;
	if (!o->id || !o->key || !o->datestamp) {
		audit_obj_free(o);
		return NULL;
	}
	return o;
}

void
audit_obj_free(struct aobj *o)
{
	size_t i;
	unsigned j;

	if (!o)
		return;
	repo_object_close(o->obj);
	for (i = 0; i < o->nfiles; i++) {
		struct afile *f = &o->files[i];

		for (j = 0; j < f->ndigs; j++)
			free(f->digs[j].hex);
		free(f->digs);
		free(f->path);
		free(f->found);
		free(f->detail);
	}
	for (j = 0; j < o->nman; j++)
		free(o->man[j].name);
	free(o->files);
	free(o->slots);
	free(o->id);
	free(o->key);
	free(o->datestamp);
	free(o->repair_note);
	free(o);
}

static int
rehash(struct aobj *o)
{
	size_t n = o->nslots ? o->nslots * 2 : 64, i, k;
	size_t *s = calloc(n, sizeof(*s));

	if (!s)
		return -1;
	for (i = 0; i < o->nfiles; i++) {
		k = vl_hash_str(o->files[i].path) & (n - 1);
		while (s[k])
			k = (k + 1) & (n - 1);
		s[k] = i + 1;
	}
	free(o->slots);
	o->slots = s;
	o->nslots = n;
	return 0;
}

/* The file record for path, added when new; NULL when out of memory. */
static struct afile *
file_get(struct aobj *o, const char *path)
{
	struct afile *f;
	size_t k;

	if (o->nslots) {
		k = vl_hash_str(path) & (o->nslots - 1);
		for (; o->slots[k]; k = (k + 1) & (o->nslots - 1))
			if (!strcmp(o->files[o->slots[k] - 1].path, path))
				return &o->files[o->slots[k] - 1];
	}
	if (o->nfiles == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		struct afile *nf = reallocarray(o->files, cap, sizeof(*nf));

		if (!nf)
			return NULL;
		o->files = nf;
		o->cap = cap;
	}
	f = &o->files[o->nfiles];
	memset(f, 0, sizeof(*f));
	f->alg = -1;
	f->owner = o;
	if (!(f->path = strdup(path)))
		return NULL;
	o->nfiles++;
	/* Keep the table at most half full. */
	if (2 * o->nfiles > o->nslots) {
		if (rehash(o) < 0)
			return NULL;
	} else {
		k = vl_hash_str(path) & (o->nslots - 1);
		while (o->slots[k])
			k = (k + 1) & (o->nslots - 1);
		o->slots[k] = o->nfiles;
	}
	return f;
}

static int
add_dig(struct afile *f, int alg, int src, unsigned man, const char *hex)
{
	struct adig *d = reallocarray(f->digs, f->ndigs + 1, sizeof(*d));
	size_t i;

	if (!d)
		return -1;
	f->digs = d;
	d = &f->digs[f->ndigs];
	if (!(d->hex = strdup(hex)))
		return -1;
	for (i = 0; d->hex[i]; i++)
		if (d->hex[i] >= 'A' && d->hex[i] <= 'Z')
			d->hex[i] = (char)(d->hex[i] - 'A' + 'a');
	d->alg = alg;
	d->src = src;
	d->man = man;
	f->ndigs++;
	return 0;
}

/* ---- verdicts ---- */

void
audit_note(struct afile *f, enum fix_outcome oc, const char *fmt, ...)
{
	struct vl_buf b = VL_BUF_INIT;
	va_list ap;

	if (oc > f->outcome)
		f->outcome = oc;
	if (f->detail) {
		vl_buf_adds(&b, f->detail);
		vl_buf_adds(&b, "; ");
	}
	va_start(ap, fmt);
	vl_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(f->detail);
	f->detail = vl_buf_detach(&b, NULL);
}

/* Records the digest finding (first one wins). */
static void
set_digests(struct afile *f, const struct adig *ref, const char *found)
{
	if (f->alg >= 0)
		return;
	f->alg = ref->alg;
	f->expected = ref->hex;
	free(f->found);
	f->found = strdup(found);
}

static const char *
man_name(const struct aobj *o, const struct adig *d)
{
	return o->man[d->man].name;
}

/* The bytes were read: compare them with every witness. */
static void
judge_digests(struct aobj *o, struct afile *f, const struct fix_digests *d)
{
	char hex[FIX_ALG_COUNT][FIX_HEX_MAX];
	const struct adig *cat_bad = NULL, *man_bad = NULL, *man_ok = NULL;
	unsigned i, ncat = 0, nman = 0;

	for (i = 0; i < FIX_ALG_COUNT; i++)
		if (d->algs & FIX_ALG_BIT(i))
			fix_hex(hex[i], d->md[i], fix_alg_size((int)i));
	for (i = 0; i < f->ndigs; i++) {
		const struct adig *g = &f->digs[i];
		int same;

		if (!(d->algs & FIX_ALG_BIT(g->alg)))
			continue;
		same = !strcmp(g->hex, hex[g->alg]);
		if (g->src == DIG_CATALOG) {
			ncat++;
			if (!same && !cat_bad)
				cat_bad = g;
		} else {
			nman++;
			if (!same && !man_bad)
				man_bad = g;
			if (same && !man_ok)
				man_ok = g;
		}
	}
	if (cat_bad && nman && !man_bad) {
		set_digests(f, cat_bad, hex[cat_bad->alg]);
		audit_note(f, FIX_MISMATCH,
			   "the catalog's %s differs from the stored file's,"
			   " which matches %s",
			   fix_alg_name(cat_bad->alg), man_name(o, man_ok));
	} else if (cat_bad) {
		set_digests(f, cat_bad, hex[cat_bad->alg]);
		audit_note(f, FIX_ALTERED, "%s differs from the catalog's",
			   fix_alg_name(cat_bad->alg));
	} else if (man_bad && ncat) {
		set_digests(f, man_bad, hex[man_bad->alg]);
		audit_note(f, FIX_MISMATCH,
			   "%s gives another %s; the stored file matches the"
			   " catalog",
			   man_name(o, man_bad), fix_alg_name(man_bad->alg));
	} else if (man_bad) {
		set_digests(f, man_bad, hex[man_bad->alg]);
		audit_note(f, FIX_ALTERED, "%s differs from %s",
			   fix_alg_name(man_bad->alg), man_name(o, man_bad));
	}
	if (f->in_catalog && f->size != f->cat_size)
		audit_note(f, ncat || nman ? FIX_MISMATCH : FIX_ALTERED,
			   "%llu bytes stored, %llu in the catalog",
			   (unsigned long long)f->size,
			   (unsigned long long)f->cat_size);
}

/* RFC 8493 section 3: every payload file is listed in every payload
 * manifest. */
static void
judge_listing(struct aobj *o, struct afile *f)
{
	unsigned m;

	if (!f->payload)
		return;
	for (m = 0; m < o->nman; m++)
		if (!o->man[m].tag && o->man[m].parsed &&
		    !(f->listed & (1u << m)))
			audit_note(f, FIX_MISMATCH, "not listed in %s",
				   o->man[m].name);
}

/* The key of a job path ("KEY\nrelpath") is no use in a message. */
static void
note_read_error(struct afile *f, enum fix_outcome oc, const char *msg)
{
	const char *nl = strchr(msg, '\n');
	const char *q = nl ? strrchr(msg, '\'') : NULL;

	if (nl && q && q > nl)
		audit_note(f, oc, "cannot read '%s'%s", f->path, q + 1);
	else
		audit_note(f, oc, "%s", msg);
}

void
audit_classify(struct aobj *o, struct afile *f, int code, const char *msg,
	       uint64_t size, const struct fix_digests *d)
{
	f->size = size;
	switch (code) {
	case 0:
		f->read = 1;
		judge_digests(o, f, d);
		judge_listing(o, f);
		break;
	case VL_E_INTR: f->intr = 1; break;
	case VL_E_NOTFOUND:
		audit_note(f, FIX_MISSING, "disappeared while being read");
		break;
	case VL_E_UNSAFE:
	case VL_E_INVAL:
		audit_note(f, FIX_ALTERED, "no longer a regular file");
		break;
	default: note_read_error(f, FIX_UNREADABLE, msg); break;
	}
}

static void
note_manifests(const struct aobj *o, const struct afile *f, struct vl_buf *b)
{
	unsigned m;

	for (m = 0; m < o->nman; m++)
		if (f->listed & (1u << m))
			vl_buf_addf(b, "%s%s", b->len ? ", " : "",
				    o->man[m].name);
}

void
audit_classify_unread(struct aobj *o)
{
	struct vl_buf b = VL_BUF_INIT;
	size_t i;

	for (i = 0; i < o->nfiles; i++) {
		struct afile *f = &o->files[i];
		unsigned algs;

		if (f->in_memory || audit_file_wanted(f, &algs))
			continue;
		vl_buf_reset(&b);
		note_manifests(o, f, &b);
		if (!f->in_catalog && f->stored)
			audit_note(f, FIX_EXTRA, "%s, not in the catalog%s%s",
				   f->regular ? "stored"
					      : "a symlink or special file",
				   b.len ? "; listed in " : "", b.buf);
		else if (!f->in_catalog)
			audit_note(f, FIX_MISMATCH,
				   "listed in %s, but neither stored nor in "
				   "the catalog",
				   b.buf);
		else if (o->list_error[0])
			audit_note(f, FIX_UNREADABLE, "%s", o->list_error);
		else if (!f->stored)
			audit_note(f, FIX_MISSING, "not in storage");
		else
			audit_note(f, FIX_ALTERED,
				   "replaced by a symlink or special file");
	}
	vl_buf_release(&b);
}

static unsigned file_algs(const struct afile *f);

int
audit_file_wanted(const struct afile *f, unsigned *algs)
{
	*algs = 0;
	if (!f->stored || !f->regular || f->in_memory ||
	    !(f->in_catalog || f->ndigs) || f->intr)
		return 0;
	*algs = file_algs(f);
	return 1;
}

size_t
audit_obj_findings(const struct aobj *o)
{
	size_t i, n = 0;

	for (i = 0; i < o->nfiles; i++)
		n += o->files[i].outcome != FIX_OK;
	return n;
}

/* ---- the catalog's view ---- */

void
audit_loader_release(struct audit_loader *l)
{
	sqlite3_finalize(l->files);
	l->files = NULL;
	fix_hasher_free(l->h);
	l->h = NULL;
}

static int
load_catalog(struct audit_loader *l, struct aobj *o, struct vl_err *err)
{
	sqlite3_stmt *st;
	struct afile *f;
	const char *path, *alg, *hex;
	int rc, a;

	/* Prepared once per run: parsing the SQL for every object cost
	 * as much as the query. */
	if (!l->files &&
	    (rc = repo_prepare(l->r, &l->files,
			       "SELECT f.path, f.kind, f.size, d.algorithm,"
			       " d.digest FROM files f LEFT JOIN digests d ON"
			       " d.object_id = f.object_id AND d.path = f.path"
			       " WHERE f.object_id = ? ORDER BY f.path",
			       err)) < 0)
		return rc;
	st = l->files;
	sqlite3_bind_text(st, 1, o->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		path = (const char *)sqlite3_column_text(st, 0);
		if (!(f = file_get(o, path))) {
			rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
			goto out;
		}
		f->in_catalog = 1;
		f->payload = !strcmp((const char *)sqlite3_column_text(st, 1),
				     "payload");
		f->cat_size = (uint64_t)sqlite3_column_int64(st, 2);
		alg = (const char *)sqlite3_column_text(st, 3);
		hex = (const char *)sqlite3_column_text(st, 4);
		if (!alg || !hex)
			continue;
		a = fix_alg_parse(alg);
		if (a < 0 || !fix_alg_available(a)) {
			audit_note(f, FIX_OK,
				   "the catalog's %s digest cannot be checked"
				   " (unknown algorithm)",
				   alg);
			continue;
		}
		if (add_dig(f, a, DIG_CATALOG, 0, hex) < 0) {
			rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
			goto out;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : repo_db_err(l->r->db, err, "catalog");
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* ---- storage's view ---- */

static int
listed(void *ctx, const char *relpath, const struct repo_stat *st)
{
	struct aobj *o = ctx;
	struct afile *f = file_get(o, relpath);

	if (!f)
		return VL_E_NOMEM;
	f->stored = 1;
	f->regular = st->regular != 0;
	/* Sizes are left to the reads (one stat fewer per file); the
	 * catalog's serves the byte budget until then. */
	f->st_size = st->size == REPO_SIZE_UNKNOWN ? f->cat_size : st->size;
	return 0;
}

static int
load_storage(struct repo *r, struct aobj *o, struct vl_err *err)
{
	struct vl_err e = { 0 };
	int rc = repo_object_open(r, o->key, &o->obj, &e);

	o->obj_code = rc;
	if (rc == 0)
		rc = repo_object_list(o->obj, REPO_LIST_NO_SIZES, listed, o,
				      &e);
	if (rc == VL_E_NOMEM)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if (rc < 0 && rc != VL_E_NOTFOUND)
		snprintf(o->list_error, sizeof(o->list_error), "%s", e.msg);
	return 0;
}

/* Opens one of the object's stored files; without the object, the
 * reason it could not be opened (missing, or unreadable). */
int
audit_open_file(struct aobj *o, const char *path, int *fd, struct vl_err *err)
{
	*fd = -1;
	if (!o->obj && o->obj_code < 0 && o->obj_code != VL_E_NOTFOUND)
		return vl_err_set(err, o->obj_code, "%s", o->list_error);
	if (!o->obj)
		return vl_err_set(err, VL_E_NOTFOUND,
				  "the stored object '%s' is missing", o->key);
	return repo_object_file(o->obj, path, fd, err);
}

/* ---- the bag's tag files, read whole ---- */

/* A tag file read into memory.  fi indexes files[]: parsing a manifest
 * adds files, which may move the array. */
struct membuf {
	size_t fi;
	struct vl_buf data;
	int code;
	char msg[256];
};

static void
read_stored(struct aobj *o, struct membuf *m, size_t max)
{
	const char *path = o->files[m->fi].path;
	struct vl_err e = { 0 };
	char buf[65536];
	ssize_t n;
	int fd;

	vl_buf_init(&m->data, max);
	m->code = audit_open_file(o, path, &fd, &e);
	if (m->code < 0) {
		snprintf(m->msg, sizeof(m->msg), "%s", e.msg);
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			m->code = vl_err_sys(&e, VL_E_IO, "cannot read '%s'",
					     path);
			break;
		}
		if (vl_buf_add(&m->data, buf, (size_t)n) < 0) {
			m->code = vl_err_set(&e, VL_E_NOMEM,
					     "'%s' is larger than %zu bytes",
					     path, max);
			break;
		}
	}
	if (m->code < 0)
		snprintf(m->msg, sizeof(m->msg), "%s", e.msg);
	close(fd);
}

/* RFC 8493 2.1.1: bagit.txt holds "BagIt-Version: M.N" and
 * "Tag-File-Character-Encoding: ENCODING", itself in UTF-8. */
static void
parse_bagit_txt(struct aobj *o, struct membuf *m, char *enc, size_t encn)
{
	struct fix_lines it;
	const char *line;
	size_t len;
	int major, minor, have = 0;

	fix_lines_init(&it, m->data.buf, m->data.len);
	while (fix_lines_next(&it, &line, &len)) {
		char text[256];

		snprintf(text, sizeof(text), "%.*s", (int)len, line);
		if (sscanf(text, "BagIt-Version: %d.%d", &major, &minor) == 2 &&
		    major >= 0 && major < 100 && minor >= 0 && minor < 100) {
			o->version = major * 100 + minor;
			have = 1;
		} else if (!strncmp(text,
				    "Tag-File-Character-Encoding: ", 29)) {
			snprintf(enc, encn, "%.*s", (int)encn - 1, text + 29);
		}
	}
	if (!have)
		audit_note(&o->files[m->fi], FIX_MISMATCH,
			   "no BagIt-Version line; read as version 1.0");
}

static void
parse_manifest(struct aobj *o, unsigned mi, struct membuf *m, const char *enc)
{
	struct vl_buf text = VL_BUF_INIT, buf = VL_BUF_INIT;
	struct fix_manifest_line ml;
	struct vl_err e = { 0 };
	struct fix_lines it;
	struct afile *f;
	const char *line;
	size_t len;
	int bom, bad = 0;

	if (fix_text_decode(&text, m->data.buf, m->data.len, enc, &bom, &e) <
	    0) {
		audit_note(&o->files[m->fi], FIX_MISMATCH, "%s", e.msg);
		goto out;
	}
	fix_lines_init(&it, text.buf, text.len);
	while (fix_lines_next(&it, &line, &len)) {
		if (len == 0)
			continue;
		if (fix_manifest_parse_line(&ml, &buf, line, len, o->version,
					    &e) < 0 ||
		    vl_path_check(ml.path, &e) < 0) {
			if (bad++ < 3)
				audit_note(&o->files[m->fi], FIX_MISMATCH,
					   "line %u: %s", it.lineno, e.msg);
			continue;
		}
		if (!(f = file_get(o, ml.path)) ||
		    (o->man[mi].alg >= 0 &&
		     add_dig(f, o->man[mi].alg, DIG_MANIFEST, mi, ml.checksum) <
			     0)) {
			audit_note(&o->files[m->fi], FIX_UNREADABLE,
				   "out of memory");
			goto out;
		}
		f->listed |= 1u << mi;
	}
	o->man[mi].parsed = bad == 0;
out:
	vl_buf_release(&text);
	vl_buf_release(&buf);
}

/* The algorithms to compute for f: every reference's, or sha256 to
 * prove a file without one readable. */
static unsigned
file_algs(const struct afile *f)
{
	unsigned i, algs = 0;

	for (i = 0; i < f->ndigs; i++)
		algs |= FIX_ALG_BIT(f->digs[i].alg);
	return algs ? algs : FIX_ALG_BIT(FIX_SHA256);
}

static void
hash_in_memory(struct audit_loader *l, struct aobj *o, struct membuf *m)
{
	struct afile *f = &o->files[m->fi];
	struct fix_digests d;
	struct vl_err e = { 0 };
	unsigned algs = file_algs(f);
	int rc;

	if (m->code < 0) {
		audit_classify(o, f, m->code, m->msg, 0, NULL);
		return;
	}
	/* One hasher for the run: its contexts are reset, not remade. */
	if (l->h)
		rc = fix_hasher_reset(l->h, algs, &e);
	else
		rc = fix_hasher_new(&l->h, algs, &e);
	if (rc == 0 &&
	    (rc = fix_hasher_update(l->h, m->data.buf, m->data.len, &e)) == 0)
		rc = fix_hasher_final(l->h, &d, &e);
	o->algs |= algs;
	o->in_memory_bytes += m->data.len;
	audit_classify(o, f, rc, e.msg, m->data.len, &d);
}

/* Top-level regular files that are bagit.txt (*tag = -1) or a (tag)
 * manifest. */
static int
is_bag_tag_file(const struct afile *f, int *tag, int *alg)
{
	if (!f->stored || !f->regular || strchr(f->path, '/'))
		return 0;
	if (!strcmp(f->path, "bagit.txt")) {
		*tag = -1;
		return 1;
	}
	return fix_manifest_name(f->path, tag, alg, NULL) == 1;
}

/* Reads bagit.txt (its version and encoding govern the manifests), then
 * the manifests, parses them, and hashes each from memory: one read of
 * each, like every other file. */
static int
load_tag_files(struct audit_loader *l, struct aobj *o, struct vl_err *err)
{
	struct membuf mb[AUDIT_MAX_MANIFESTS + 1];
	char enc[64] = "UTF-8";
	size_t i, n = 0, nf = o->nfiles;
	int tag, alg, pass, rc = 0;
	unsigned mi;

	memset(mb, 0, sizeof(mb));
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < nf; i++) {
			if (!is_bag_tag_file(&o->files[i], &tag, &alg) ||
			    (pass == 0) != (tag < 0))
				continue;
			if (tag >= 0 && o->nman == AUDIT_MAX_MANIFESTS) {
				audit_note(&o->files[i], FIX_MISMATCH,
					   "more than %d manifests; not read",
					   AUDIT_MAX_MANIFESTS);
				continue;
			}
			mb[n].fi = i;
			o->files[i].in_memory = 1;
			read_stored(o, &mb[n],
				    tag < 0 ? BAGIT_TXT_MAX : MANIFEST_MAX);
			if (tag < 0) {
				if (mb[n].code == 0)
					parse_bagit_txt(o, &mb[n], enc,
							sizeof(enc));
				n++;
				continue;
			}
			mi = o->nman++;
			o->man[mi].tag = tag;
			o->man[mi].alg =
				alg >= 0 && fix_alg_available(alg) ? alg : -1;
			o->man[mi].name = strdup(o->files[i].path);
			n++;
			if (!o->man[mi].name) {
				rc = vl_err_set(err, VL_E_NOMEM,
						"out of memory");
				goto out;
			}
			if (o->man[mi].alg < 0)
				audit_note(&o->files[i], FIX_MISMATCH,
					   "unknown or unavailable digest "
					   "algorithm");
			if (mb[n - 1].code == 0)
				parse_manifest(o, mi, &mb[n - 1], enc);
		}
	for (i = 0; i < n; i++)
		hash_in_memory(l, o, &mb[i]);
out:
	for (i = 0; i < n; i++)
		vl_buf_release(&mb[i].data);
	return rc;
}

int
audit_obj_load(struct audit_loader *l, struct aobj *o, struct vl_err *err)
{
	size_t i;
	unsigned algs;
	int rc;

	if ((rc = load_catalog(l, o, err)) < 0 ||
	    (rc = load_storage(l->r, o, err)) < 0 ||
	    (rc = load_tag_files(l, o, err)) < 0)
		return rc;
	for (i = 0; i < o->nfiles; i++)
		if (audit_file_wanted(&o->files[i], &algs)) {
			o->bytes += o->files[i].st_size;
			o->algs |= algs;
		}
	o->bytes += o->in_memory_bytes;
	audit_classify_unread(o);
	return 0;
}
