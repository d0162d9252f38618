/*
 * bag_model.c - the rules of RFC 8493 (and of BagIt 0.93-0.97 where they
 * differ) applied to a bag's tag files and inventory, independent of
 * whether the bag is a directory or an archive.
 *
 * Flow: bag_parse_declaration (bagit.txt) -> bag_note_root_file for
 * every root file -> bag_parse_tag_files (bag-info, manifests, fetch)
 * -> the caller's inventory (bag_match_payload per payload file, digests
 * through bag_check_digests) -> bag_final_checks and, once every size is
 * known, bag_check_payload_size -> bag_finish_report.
 * Every rule violation becomes a problem; nothing stops at the first.
 */
#include <ctype.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utf8proc.h>

#include "bag_impl.h"

/* ---- the path table ---- */

static struct bag_slot *
table_slot(const struct bag_table *t, const char *key, uint64_t h)
{
	size_t i = (size_t)h & (t->cap - 1);

	for (;; i = (i + 1) & (t->cap - 1)) {
		struct bag_slot *s = &t->slot[i];

		if (!s->key || (s->h == h && !strcmp(s->key, key)))
			return s;
	}
}

static int
table_grow(struct bag_table *t)
{
	struct bag_table nt = { NULL, t->cap ? t->cap * 2 : 256, 0,
				t->own_keys };
	size_t i;

	if (!(nt.slot = calloc(nt.cap, sizeof(*nt.slot))))
		return VL_E_NOMEM;
	for (i = 0; i < t->cap; i++)
		if (t->slot[i].key)
			*table_slot(&nt, t->slot[i].key, t->slot[i].h) =
				t->slot[i];
	nt.n = t->n;
	free(t->slot);
	*t = nt;
	return 0;
}

static void *
table_get(const struct bag_table *t, const char *key)
{
	struct bag_slot *s;

	if (!t->cap)
		return NULL;
	s = table_slot(t, key, vl_hash_str(key));
	return s->key ? s->val : NULL;
}

/* Inserts key (owned by the table if own_keys) -> val; key must be
 * absent. */
static int
table_put(struct bag_table *t, char *key, void *val)
{
	uint64_t h = vl_hash_str(key);
	struct bag_slot *s;

	if ((t->n + 1) * 2 > t->cap && table_grow(t) < 0)
		return VL_E_NOMEM;
	s = table_slot(t, key, h);
	s->h = h;
	s->key = key;
	s->val = val;
	t->n++;
	return 0;
}

static void
table_release(struct bag_table *t)
{
	size_t i;

	if (t->own_keys)
		for (i = 0; i < t->cap; i++)
			free(t->slot[i].key);
	free(t->slot);
	t->slot = NULL;
	t->cap = t->n = 0;
}

/* ---- the bag ---- */

void
bag_init(struct bag *b, const char *display, struct bag_report *rep)
{
	memset(b, 0, sizeof(*b));
	b->display = display;
	b->rootfd = -1;
	b->rep = rep;
	b->version = FIX_BAGIT_1_0;
	b->nfc.own_keys = 1;
	pthread_mutex_init(&b->mu, NULL);
	bag_info_init(&b->info);
}

void
bag_release(struct bag *b)
{
	size_t i;
	unsigned k, m;

	for (i = 0; i < b->files.cap; i++) {
		struct bag_file *f = b->files.slot[i].val;

		if (!b->files.slot[i].key)
			continue;
		free(f->path);
		free(f->disk);
		free(f->md);
		free(f->got);
		free(f);
	}
	table_release(&b->files);
	table_release(&b->nfc);
	for (k = 0; k < BAG_KINDS; k++)
		for (m = 0; m < b->nman[k]; m++)
			free(b->man[k][m].name);
	for (i = 0; i < b->nfetch; i++) {
		free(b->fetch[i].url);
		free(b->fetch[i].path);
	}
	free(b->fetch);
	bag_names_free(b->tags, b->ntags);
	for (i = 0; i < b->nblobs; i++) {
		free(b->blobs[i].name);
		free(b->blobs[i].data);
	}
	free(b->blobs);
	free(b->encoding);
	bag_info_release(&b->info);
	if (b->rootfd >= 0)
		close(b->rootfd);
	pthread_mutex_destroy(&b->mu);
}

void
bag_problem(struct bag *b, enum bag_severity sev, const char *code,
	    const char *rule, const char *path, unsigned line,
	    const char *expected, const char *actual, const char *fmt, ...)
{
	struct vl_buf msg = VL_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	vl_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&b->mu);
	bag_report_add(b->rep, sev, code, rule, path, line, expected, actual,
		       "%s", msg.buf);
	pthread_mutex_unlock(&b->mu);
	vl_buf_release(&msg);
}

struct bag_file *
bag_lookup(struct bag *b, const char *path)
{
	return table_get(&b->files, path);
}

struct bag_file *
bag_intern(struct bag *b, const char *path, int kind)
{
	struct bag_file *f = table_get(&b->files, path);

	if (f)
		return f;
	if (!(f = calloc(1, sizeof(*f))))
		return NULL;
	f->kind = (uint8_t)kind;
	if (b->mdlen[kind] && !(f->md = calloc(1, b->mdlen[kind]))) {
		free(f);
		return NULL;
	}
	if (!(f->path = strdup(path)) || table_put(&b->files, f->path, f) < 0) {
		free(f->path);
		free(f->md);
		free(f);
		return NULL;
	}
	b->nfc_built = 0; /* the NFC index must include it */
	return f;
}

int
bag_is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

static char *
nfc_of(const char *s)
{
	return (char *)utf8proc_NFC((const utf8proc_uint8_t *)s);
}

static int
build_nfc(struct bag *b)
{
	size_t i;

	table_release(&b->nfc);
	b->nfc.own_keys = 1;
	for (i = 0; i < b->files.cap; i++) {
		struct bag_file *f = b->files.slot[i].val, *head;
		char *key;

		if (!b->files.slot[i].key)
			continue;
		f->nfc_next = NULL;
		if (bag_is_ascii(f->path) || !(key = nfc_of(f->path)))
			continue;
		if ((head = table_get(&b->nfc, key))) {
			free(key);
			f->nfc_next = head->nfc_next;
			head->nfc_next = f;
		} else if (table_put(&b->nfc, key, f) < 0) {
			free(key);
			return VL_E_NOMEM;
		}
	}
	b->nfc_built = 1;
	return 0;
}

struct bag_file *
bag_lookup_nfc(struct bag *b, const char *path)
{
	struct bag_file *f;
	char *key;

	if (bag_is_ascii(path))
		return NULL;
	if (!b->nfc_built && build_nfc(b) < 0)
		return NULL;
	if (!(key = nfc_of(path)))
		return NULL;
	f = table_get(&b->nfc, key);
	free(key);
	return f;
}

const char *
bag_path_unsafe(const char *p)
{
	const char *c, *comp;

	if (!*p)
		return "is empty";
	if (p[0] == '/')
		return "is absolute";
	if (p[0] == '~')
		return "starts with '~' (a home directory)";
	if (isalpha((unsigned char)p[0]) && p[1] == ':')
		return "starts with a drive letter";
	if (strchr(p, '\\'))
		return "contains a backslash (the separator is '/')";
	for (comp = p;; comp = c + 1) {
		size_t n;

		c = strchr(comp, '/');
		n = c ? (size_t)(c - comp) : strlen(comp);
		if (n == 0)
			return "has an empty component";
		if (n == 2 && comp[0] == '.' && comp[1] == '.')
			return "contains '..'";
		if (n == 1 && comp[0] == '.')
			return "contains '.'";
		if (!c)
			break;
	}
	return NULL;
}

/* ---- bagit.txt (2.1.1) ---- */

static int
is_lws(char c)
{
	return c == ' ' || c == '\t';
}

/* Splits "label: value" leniently; *strict_ok says whether the line has
 * exactly the 1.0 form "label: value" (one space, no other padding). */
static int
split_decl(const char *line, size_t n, char *label, size_t lsz, char *value,
	   size_t vsz, int *strict_ok)
{
	const char *colon = memchr(line, ':', n);
	size_t l, v, e;

	if (!colon)
		return -1;
	l = (size_t)(colon - line);
	v = l + 1;
	*strict_ok = l > 0 && !is_lws(line[l - 1]) && !is_lws(line[0]) &&
		     v < n && line[v] == ' ' && v + 1 < n &&
		     !is_lws(line[v + 1]) && !is_lws(line[n - 1]);
	while (l && is_lws(line[l - 1]))
		l--;
	while (v < n && is_lws(line[v]))
		v++;
	e = n;
	while (e > v && is_lws(line[e - 1]))
		e--;
	snprintf(label, lsz, "%.*s", (int)l, line);
	snprintf(value, vsz, "%.*s", (int)(e - v), line + v);
	return 0;
}

static int
parse_version(const char *s, int *out)
{
	unsigned long major, minor;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	major = strtoul(s, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		return -1;
	minor = strtoul(end + 1, &end, 10);
	if (*end || major > 99 || minor > 99)
		return -1;
	*out = (int)(major * 100 + minor);
	return 0;
}

static void
decl_version(struct bag *b, const char *value)
{
	int v;

	snprintf(b->rep->version_str, sizeof(b->rep->version_str), "%.15s",
		 value);
	if (parse_version(value, &v) < 0) {
		bag_problem(b, BAG_ERROR, "bagit-version", R_DECL, "bagit.txt",
			    1, "M.N", value,
			    "BagIt-Version '%s' is not a version number M.N",
			    value);
		return;
	}
	b->rep->version = v;
	if (v >= 93 && v <= 97) {
		b->version = v;
	} else if (v == FIX_BAGIT_1_0) {
		b->version = v;
	} else if (v > FIX_BAGIT_1_0 && v < 200) {
		bag_problem(b, BAG_WARNING, "bagit-version", R_DECL,
			    "bagit.txt", 1, NULL, value,
			    "BagIt-Version %s is newer than 1.0; read with the "
			    "1.0 rules",
			    value);
	} else {
		bag_problem(b, BAG_ERROR, "bagit-version", R_DECL, "bagit.txt",
			    1, "0.93 to 1.0", value,
			    "BagIt-Version %s is not supported", value);
	}
}

static void
decl_encoding(struct bag *b, const char *value)
{
	iconv_t cd;

	snprintf(b->rep->encoding, sizeof(b->rep->encoding), "%.47s", value);
	if (!*value) {
		bag_problem(b, BAG_ERROR, "bagit-encoding", R_DECL, "bagit.txt",
			    2, NULL, NULL,
			    "Tag-File-Character-Encoding is empty");
		return;
	}
	cd = iconv_open("UTF-8", value);
	if (cd == (iconv_t)-1) {
		bag_problem(b, BAG_ERROR, "bagit-encoding", R_DECL, "bagit.txt",
			    2, NULL, value,
			    "unknown Tag-File-Character-Encoding '%s'", value);
		return;
	}
	iconv_close(cd);
	if (strcasecmp(value, "UTF-8") != 0) {
		bag_problem(b, BAG_WARNING, "tag-encoding", R_DECL, "bagit.txt",
			    2, "UTF-8", value,
			    "tag files are encoded in %s; UTF-8 is recommended",
			    value);
		free(b->encoding);
		b->encoding = strdup(value);
	}
}

void
bag_parse_declaration(struct bag *b, const char *data, size_t len)
{
	struct fix_lines it;
	const char *line;
	size_t n;
	int strict[2] = { 1, 1 }, nlines = 0, extra = 0, seen_version = 0,
	    seen_enc = 0;
	char label[64], value[128];

	if (!data) {
		bag_problem(b, BAG_ERROR, "missing-bagit", R_DECL, "bagit.txt",
			    0, NULL, NULL, "bagit.txt is missing");
		return;
	}
	b->have_decl = 1;
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3)) {
		bag_problem(b, BAG_ERROR, "bagit-bom", R_DECL, "bagit.txt", 1,
			    NULL, NULL,
			    "bagit.txt must not begin with a byte order mark");
		data += 3;
		len -= 3;
	}
	fix_lines_init(&it, data, len);
	while (fix_lines_next(&it, &line, &n)) {
		int ok;

		if (nlines >= 2) {
			if (n)
				extra++;
			else
				bag_problem(b, BAG_WARNING, "bagit-lines",
					    R_DECL, "bagit.txt", it.lineno,
					    NULL, NULL,
					    "blank line at the end");
			continue;
		}
		nlines++;
		if (memchr(line, '\0', n) ||
		    split_decl(line, n, label, sizeof(label), value,
			       sizeof(value), &ok) < 0) {
			bag_problem(b, BAG_ERROR, "bagit-syntax", R_DECL,
				    "bagit.txt", it.lineno, NULL, NULL,
				    "line %u is not 'label: value'", it.lineno);
			continue;
		}
		strict[nlines - 1] = ok;
		if (!strcmp(label, "BagIt-Version") && nlines == 1) {
			seen_version = 1;
			decl_version(b, value);
		} else if (!strcmp(label, "Tag-File-Character-Encoding") &&
			   nlines == 2) {
			seen_enc = 1;
			decl_encoding(b, value);
		} else {
			bag_problem(b, BAG_ERROR, "bagit-syntax", R_DECL,
				    "bagit.txt", it.lineno,
				    nlines == 1 ? "BagIt-Version"
						: "Tag-File-Character-Encoding",
				    label, "line %u must be %s, in this order",
				    it.lineno,
				    nlines == 1
					    ? "BagIt-Version"
					    : "Tag-File-Character-Encoding");
		}
	}
	if (extra)
		bag_problem(b, BAG_ERROR, "bagit-lines", R_DECL, "bagit.txt", 0,
			    "2", NULL,
			    "bagit.txt must consist of exactly two lines");
	if (!seen_version)
		bag_problem(b, BAG_ERROR, "bagit-version", R_DECL, "bagit.txt",
			    1, NULL, NULL, "no BagIt-Version line");
	if (!seen_enc)
		bag_problem(b, BAG_ERROR, "bagit-encoding", R_DECL, "bagit.txt",
			    2, NULL, NULL,
			    "no Tag-File-Character-Encoding line");
	/* 1.0 fixed the form exactly: "BagIt-Version: 1.0" (2.1.1, and
	 * 2.2.2 for whitespace around ':'). */
	if (b->version >= FIX_BAGIT_1_0 && (!strict[0] || !strict[1]))
		bag_problem(b, BAG_ERROR, "bagit-whitespace", R_DECL,
			    "bagit.txt", strict[0] ? 2 : 1, NULL, NULL,
			    "BagIt 1.0 requires 'label: value' with one "
			    "space after ':' and no other padding");
}

/* ---- root files ---- */

static int
add_name(char ***v, size_t *n, size_t *alloc, const char *name)
{
	if (*n == *alloc) {
		size_t na = *alloc ? *alloc * 2 : 16;
		char **nv = reallocarray(*v, na, sizeof(*nv));

		if (!nv)
			return VL_E_NOMEM;
		*v = nv;
		*alloc = na;
	}
	if (!((*v)[*n] = strdup(name)))
		return VL_E_NOMEM;
	(*n)++;
	return 0;
}

static void
unsupported(struct bag *b, const char *name, const char *alg)
{
	bag_problem(b, BAG_ERROR, "unsupported-algorithm", R_ALG, name, 0, NULL,
		    alg,
		    "algorithm '%s' is not supported here: '%s' cannot be "
		    "verified",
		    alg, name);
}

void
bag_note_root_file(struct bag *b, const char *name)
{
	struct vl_buf raw = VL_BUF_INIT;
	struct bag_manifest *m;
	int tag, alg;

	add_name(&b->tags, &b->ntags, &b->tags_alloc, name);
	if (strchr(name, '/') || !fix_manifest_name(name, &tag, &alg, &raw))
		goto out;
	if (b->nman[tag] >= BAG_MAX_MANIFESTS) {
		bag_problem(b, BAG_ERROR, "too-many-manifests",
			    tag ? R_TAGMAN : R_MANIFEST, name, 0, NULL, NULL,
			    "more than %d %smanifests; '%s' is not read",
			    BAG_MAX_MANIFESTS, tag ? "tag " : "", name);
		goto out;
	}
	/* Whether this OpenSSL has the algorithm is asked later
	 * (bag_check_algs): the first question costs a millisecond, which
	 * a prefetch can spend while the manifests are parsed. */
	m = &b->man[tag][b->nman[tag]++];
	m->name = strdup(name);
	m->alg = alg;
	m->off = b->mdlen[tag];
	b->mdlen[tag] += alg >= 0 ? fix_alg_size(alg) : 0;
	if (alg >= 0) {
		b->algs[tag] |= FIX_ALG_BIT(alg);
		if (tag)
			b->rep->tag_algs |= FIX_ALG_BIT(alg);
		else
			b->rep->payload_algs |= FIX_ALG_BIT(alg);
		if (fix_alg_weak(alg))
			bag_problem(b, BAG_WARNING, "weak-algorithm", R_ALG,
				    name, 0, NULL, fix_alg_name(alg),
				    "%s is a weak algorithm; sha512 or sha256 "
				    "are recommended",
				    fix_alg_name(alg));
	} else {
		unsupported(b, name, raw.buf);
	}
out:
	vl_buf_release(&raw);
}

void
bag_check_algs(struct bag *b)
{
	unsigned k, i;

	for (k = 0; k < BAG_KINDS; k++)
		for (i = 0; i < b->nman[k]; i++) {
			struct bag_manifest *m = &b->man[k][i];

			if (m->alg < 0 || fix_alg_available(m->alg))
				continue;
			unsupported(b, m->name, fix_alg_name(m->alg));
			m->alg = -1;
		}
	/* What is left to compute: the algorithms still in use. */
	b->algs[BK_PAYLOAD] = b->algs[BK_TAG] = 0;
	for (k = 0; k < BAG_KINDS; k++)
		for (i = 0; i < b->nman[k]; i++)
			if (b->man[k][i].alg >= 0)
				b->algs[k] |= FIX_ALG_BIT(b->man[k][i].alg);
	b->rep->payload_algs = b->algs[BK_PAYLOAD];
	b->rep->tag_algs = b->algs[BK_TAG];
}

/* ---- tag files ---- */

struct info_ctx {
	struct bag *b;
	const char *name;
};

static void
info_problem(void *ctx, enum bag_severity sev, const char *code, unsigned line,
	     const char *msg)
{
	struct info_ctx *ic = ctx;

	bag_problem(ic->b, sev, code, R_INFO, ic->name, line, NULL, NULL, "%s",
		    msg);
}

/* Reads name and converts it to UTF-8.  1 = got it, 0 = absent, -1 =
 * problem reported, or a negative VL_E_* for a failure to run. */
static int
get_text(struct bag *b, bag_get_fn *get, void *ctx, const char *name,
	 struct vl_buf *out, struct vl_err *err)
{
	struct vl_buf raw = VL_BUF_INIT;
	struct vl_err e = { 0 };
	int rc, bom;

	rc = get(ctx, name, &raw, &e);
	if (rc == VL_E_NOTFOUND) {
		rc = 0;
		goto out;
	}
	if (rc == VL_E_NOMEM && !strstr(e.msg, "larger")) {
		rc = vl_err_set(err, VL_E_NOMEM, "%s", e.msg);
		goto out;
	}
	if (rc < 0) {
		bag_problem(b, BAG_ERROR,
			    rc == VL_E_UNSAFE ? "unsafe-path" : "unreadable",
			    rc == VL_E_UNSAFE ? R_PATHS : R_COMPLETE, name, 0,
			    NULL, NULL, "%s", e.msg);
		rc = -1;
		goto out;
	}
	if (fix_text_decode(out, raw.buf, raw.len, b->encoding, &bom, &e) < 0) {
		bag_problem(b, BAG_ERROR, "encoding", R_TEXT, name, 0,
			    b->encoding ? b->encoding : "UTF-8", NULL,
			    "not valid %s: %s",
			    b->encoding ? b->encoding : "UTF-8", e.msg);
		rc = -1;
		goto out;
	}
	if (bom && !b->encoding)
		bag_problem(b, BAG_WARNING, "bom", R_TEXT, name, 1, NULL, NULL,
			    "UTF-8 byte order mark at the start");
	rc = 1;
out:
	vl_buf_release(&raw);
	return rc;
}

static int
is_oxum(const char *s)
{
	const char *dot = strchr(s, '.');

	if (!dot || dot == s || !dot[1] || strlen(s) > 41)
		return 0;
	return strspn(s, "0123456789") == (size_t)(dot - s) &&
	       strspn(dot + 1, "0123456789") == strlen(dot + 1);
}

static void
check_info_values(struct bag *b, const char *name)
{
	static const char *const once[] = { "Bagging-Date", "Bag-Size",
					    "Payload-Oxum", "Bag-Count" };
	const char *v;
	size_t i, j, count;

	for (i = 0; i < 4; i++) {
		for (j = count = 0; j < b->info.n; j++)
			count += !strcasecmp(b->info.v[j].label, once[i]);
		if (count > 1)
			bag_problem(b, BAG_WARNING, "info-repeated", R_INFO,
				    name, 0, NULL, NULL,
				    "%s appears %zu times; it should appear "
				    "once",
				    once[i], count);
	}
	if ((v = bag_info_get(&b->info, "Payload-Oxum")) && !is_oxum(v))
		bag_problem(b, BAG_ERROR, "oxum-syntax", R_INFO, name, 0,
			    "OCTETS.STREAMS", v,
			    "Payload-Oxum '%s' is not octetcount.streamcount",
			    v);
	if ((v = bag_info_get(&b->info, "Bagging-Date")) &&
	    (strlen(v) != 10 || strspn(v, "0123456789-") != 10 || v[4] != '-' ||
	     v[7] != '-'))
		bag_problem(b, BAG_WARNING, "info-date", R_INFO, name, 0,
			    "YYYY-MM-DD", v,
			    "Bagging-Date '%s' is not YYYY-MM-DD", v);
	if ((v = bag_info_get(&b->info, "Bag-Count"))) {
		unsigned long n1;
		char *end;

		n1 = strtoul(v, &end, 10);
		if (end == v || n1 == 0 || strncmp(end, " of ", 4) != 0 ||
		    (strcmp(end + 4, "?") != 0 &&
		     (strspn(end + 4, "0123456789") != strlen(end + 4) ||
		      !end[4])))
			bag_problem(
				b, BAG_WARNING, "info-count", R_INFO, name, 0,
				"N of T", v,
				"Bag-Count '%s' is not 'N of T' or 'N of ?'",
				v);
	}
}

static int
parse_info(struct bag *b, bag_get_fn *get, void *ctx, struct vl_err *err)
{
	struct vl_buf text = VL_BUF_INIT;
	struct info_ctx ic = { b, NULL };
	const char *first, *second;
	int rc;

	/* 0.93 to 0.95 called it package-info.txt. */
	first = b->version < 96 ? "package-info.txt" : "bag-info.txt";
	second = b->version < 96 ? "bag-info.txt" : "package-info.txt";
	ic.name = first;
	rc = get_text(b, get, ctx, first, &text, err);
	if (rc == 0) {
		ic.name = second;
		rc = get_text(b, get, ctx, second, &text, err);
		if (rc > 0 && b->version >= 96)
			bag_problem(b, BAG_WARNING, "info-name", R_INFO, second,
				    0, first, second,
				    "BagIt %d.%02d names it %s",
				    b->version / 100, b->version % 100, first);
	}
	if (rc <= 0)
		goto out;
	b->have_info = 1;
	b->info_name = ic.name;
	if (bag_info_parse_text(&b->info, text.buf, text.len, b->version,
				info_problem, &ic) < 0) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	check_info_values(b, ic.name);
	rc = 0;
out:
	vl_buf_release(&text);
	return rc < 0 && rc != -1 ? rc : 0;
}

static void
add_entry(struct bag *b, int kind, unsigned mi, unsigned lineno,
	  const struct fix_manifest_line *ml)
{
	struct bag_manifest *m = &b->man[kind][mi];
	const char *name = m->name, *why;
	unsigned char md[FIX_MD_MAX];
	struct bag_file *f;
	int is_payload = !strncmp(ml->path, "data/", 5);

	if (m->alg >= 0 && ml->checksum_len != 2 * fix_alg_size(m->alg)) {
		bag_problem(b, BAG_ERROR, "checksum-length",
			    kind ? R_TAGMAN : R_MANIFEST, name, lineno, NULL,
			    NULL,
			    "a %s checksum has %zu hex digits, not %zu, for "
			    "'%s'",
			    fix_alg_name(m->alg), 2 * fix_alg_size(m->alg),
			    ml->checksum_len, ml->path);
		return;
	}
	if ((why = bag_path_unsafe(ml->path))) {
		bag_problem(b, BAG_ERROR, "unsafe-path", R_PATHS, name, lineno,
			    NULL, ml->path, "path '%s' %s; it is never read",
			    ml->path, why);
		return;
	}
	if (kind == BK_PAYLOAD && !is_payload) {
		bag_problem(b, BAG_ERROR, "outside-payload", R_MANIFEST, name,
			    lineno, "data/...", ml->path,
			    "payload manifest lists '%s', outside data/",
			    ml->path);
		return;
	}
	if (kind == BK_TAG && is_payload) {
		bag_problem(b, BAG_ERROR, "tag-manifest-payload", R_TAGMAN,
			    name, lineno, NULL, ml->path,
			    "tag manifest lists the payload file '%s'",
			    ml->path);
		return;
	}
	if (!(f = bag_intern(b, ml->path, kind))) {
		bag_problem(b, BAG_ERROR, "internal", R_COMPLETE, name, lineno,
			    NULL, NULL, "out of memory");
		return;
	}
	if (f->kind != kind) {
		/* A fetch entry for a tag path was already refused. */
		return;
	}
	if (m->alg >= 0)
		fix_unhex(md, fix_alg_size(m->alg), ml->checksum,
			  ml->checksum_len);
	if (f->listed & (1u << mi)) {
		int same = m->alg < 0 ||
			   !memcmp(f->md + m->off, md, fix_alg_size(m->alg));

		/* 1.0 (2.1.3) lists each file once; older bags only had
		 * to agree with themselves. */
		if (!same || b->version >= FIX_BAGIT_1_0)
			bag_problem(b, BAG_ERROR, "duplicate-entry",
				    kind ? R_TAGMAN : R_MANIFEST, name, lineno,
				    NULL, ml->path, "'%s' is listed twice%s",
				    ml->path,
				    same ? "" : " with different checksums");
		else
			bag_problem(b, BAG_WARNING, "duplicate-entry",
				    kind ? R_TAGMAN : R_MANIFEST, name, lineno,
				    NULL, ml->path,
				    "'%s' is listed twice (same checksum)",
				    ml->path);
		return;
	}
	f->listed |= 1u << mi;
	if (m->alg >= 0)
		memcpy(f->md + m->off, md, fix_alg_size(m->alg));
	m->entries++;
}

static void
flag_warnings(struct bag *b, int kind, const char *name, unsigned lineno,
	      const struct fix_manifest_line *ml)
{
	const char *rule = kind ? R_TAGMAN : R_MANIFEST;

	if (ml->flags & FIX_LINE_STAR)
		bag_problem(b, BAG_WARNING, "md5sum-marker", R_LEGACY, name,
			    lineno, NULL, NULL,
			    "'*' before '%s' (md5sum binary marker) is not "
			    "part of the path",
			    ml->path);
	if (ml->flags & FIX_LINE_DOTSLASH)
		bag_problem(b, BAG_WARNING, "dot-slash", rule, name, lineno,
			    NULL, NULL,
			    "'./' before '%s': paths are relative to the bag "
			    "already",
			    ml->path);
	if (ml->flags & FIX_LINE_RAW_PCT)
		bag_problem(b, BAG_WARNING, "unencoded-percent", rule, name,
			    lineno, NULL, NULL,
			    "'%%' in '%s' is not encoded as %%25", ml->path);
}

static int
parse_manifest(struct bag *b, int kind, unsigned mi, bag_get_fn *get, void *ctx,
	       struct vl_err *err)
{
	struct bag_manifest *m = &b->man[kind][mi];
	struct vl_buf text = VL_BUF_INIT, lb = VL_BUF_INIT;
	struct fix_manifest_line ml;
	struct fix_lines it;
	const char *line;
	size_t n;
	int rc;

	rc = get_text(b, get, ctx, m->name, &text, err);
	if (rc <= 0)
		goto out;
	rc = 0;
	fix_lines_init(&it, text.buf, text.len);
	while (fix_lines_next(&it, &line, &n)) {
		struct vl_err e = { 0 };

		if (n == 0) {
			bag_problem(b, BAG_WARNING, "blank-line",
				    kind ? R_TAGMAN : R_MANIFEST, m->name,
				    it.lineno, NULL, NULL, "blank line");
			continue;
		}
		if (fix_manifest_parse_line(&ml, &lb, line, n, b->version, &e) <
		    0) {
			if (e.code == VL_E_NOMEM) {
				rc = vl_err_set(err, VL_E_NOMEM,
						"out of memory");
				goto out;
			}
			bag_problem(b, BAG_ERROR, "manifest-syntax",
				    kind ? R_TAGMAN : R_MANIFEST, m->name,
				    it.lineno, "checksum filepath", NULL, "%s",
				    e.msg);
			continue;
		}
		flag_warnings(b, kind, m->name, it.lineno, &ml);
		add_entry(b, kind, mi, it.lineno, &ml);
	}
	if (kind == BK_PAYLOAD && m->entries == 0 && rc == 0)
		bag_problem(b, BAG_WARNING, "empty-manifest", R_MANIFEST,
			    m->name, 0, NULL, NULL, "the manifest is empty");
out:
	vl_buf_release(&text);
	vl_buf_release(&lb);
	return rc < 0 && rc != -1 ? rc : 0;
}

static int
is_uri(const char *s, size_t n)
{
	size_t i;

	if (!n || !isalpha((unsigned char)s[0]))
		return 0;
	for (i = 1; i < n; i++) {
		if (s[i] == ':')
			return i + 1 < n;
		if (!isalnum((unsigned char)s[i]) && !strchr("+-.", s[i]))
			return 0;
	}
	return 0;
}

static void
fetch_line(struct bag *b, const char *line, size_t n, unsigned lineno,
	   struct vl_buf *dec)
{
	size_t u = 0, ls, le, p;
	struct bag_fetch_item *it;
	struct vl_err e = { 0 };
	struct bag_file *f;
	const char *why;
	int64_t length = -1;
	unsigned flags = 0;

	while (u < n && !is_lws(line[u]))
		u++;
	for (ls = u; ls < n && is_lws(line[ls]); ls++)
		;
	for (le = ls; le < n && !is_lws(line[le]); le++)
		;
	for (p = le; p < n && is_lws(line[p]); p++)
		;
	if (u == 0 || ls == u || le == ls || p == le || p == n) {
		bag_problem(b, BAG_ERROR, "fetch-syntax", R_FETCH, "fetch.txt",
			    lineno, "url length filepath", NULL,
			    "line is not 'url length filepath'");
		return;
	}
	if (!is_uri(line, u)) {
		bag_problem(b, BAG_ERROR, "fetch-url", R_FETCH, "fetch.txt",
			    lineno, NULL, NULL, "'%.*s' is not an absolute URI",
			    (int)u, line);
		return;
	}
	if (!(le - ls == 1 && line[ls] == '-')) {
		size_t i;

		length = 0;
		for (i = ls; i < le; i++) {
			if (!isdigit((unsigned char)line[i]) ||
			    length > (INT64_MAX - 9) / 10) {
				bag_problem(b, BAG_ERROR, "fetch-length",
					    R_FETCH, "fetch.txt", lineno,
					    "octets or '-'", NULL,
					    "length '%.*s' is not a number "
					    "or '-'",
					    (int)(le - ls), line + ls);
				return;
			}
			length = length * 10 + (line[i] - '0');
		}
	}
	vl_buf_reset(dec);
	if (fix_path_decode(dec, line + p, n - p, b->version, &flags, &e) < 0) {
		bag_problem(b, BAG_ERROR, "fetch-syntax", R_FETCH, "fetch.txt",
			    lineno, NULL, NULL, "%s", e.msg);
		return;
	}
	if ((why = bag_path_unsafe(dec->buf))) {
		bag_problem(b, BAG_ERROR, "unsafe-path", R_PATHS, "fetch.txt",
			    lineno, NULL, dec->buf,
			    "path '%s' %s; it is never written", dec->buf, why);
		return;
	}
	if (strncmp(dec->buf, "data/", 5) != 0) {
		bag_problem(b, BAG_ERROR, "fetch-tag-file", R_FETCH,
			    "fetch.txt", lineno, "data/...", dec->buf,
			    "fetch.txt must not list tag files ('%s')",
			    dec->buf);
		return;
	}
	if (!(f = bag_intern(b, dec->buf, BK_PAYLOAD)) || f->kind != BK_PAYLOAD)
		return;
	if (f->in_fetch) {
		bag_problem(b, BAG_ERROR, "fetch-duplicate", R_FETCH,
			    "fetch.txt", lineno, NULL, dec->buf,
			    "'%s' is listed twice", dec->buf);
		return;
	}
	f->in_fetch = 1;
	if (b->nfetch == b->fetch_alloc) {
		size_t na = b->fetch_alloc ? b->fetch_alloc * 2 : 16;
		struct bag_fetch_item *nv =
			reallocarray(b->fetch, na, sizeof(*nv));

		if (!nv)
			return;
		b->fetch = nv;
		b->fetch_alloc = na;
	}
	it = &b->fetch[b->nfetch];
	it->url = strndup(line, u);
	it->path = strdup(dec->buf);
	it->length = length;
	it->line = lineno;
	if (!it->url || !it->path) {
		free(it->url);
		free(it->path);
		return;
	}
	b->nfetch++;
}

static int
parse_fetch(struct bag *b, bag_get_fn *get, void *ctx, struct vl_err *err)
{
	struct vl_buf text = VL_BUF_INIT, dec = VL_BUF_INIT;
	struct fix_lines it;
	const char *line;
	size_t n;
	int rc;

	rc = get_text(b, get, ctx, "fetch.txt", &text, err);
	if (rc <= 0)
		goto out;
	rc = 0;
	fix_lines_init(&it, text.buf, text.len);
	while (fix_lines_next(&it, &line, &n)) {
		if (n == 0)
			continue;
		if (memchr(line, '\0', n)) {
			bag_problem(b, BAG_ERROR, "fetch-syntax", R_FETCH,
				    "fetch.txt", it.lineno, NULL, NULL,
				    "NUL byte in line");
			continue;
		}
		b->rep->fetch_entries++;
		fetch_line(b, line, n, it.lineno, &dec);
	}
out:
	vl_buf_release(&text);
	vl_buf_release(&dec);
	return rc < 0 && rc != -1 ? rc : 0;
}

int
bag_parse_tag_files(struct bag *b, bag_get_fn *get, void *ctx,
		    enum bag_mode mode, struct vl_err *err)
{
	unsigned k, m;
	int rc;

	if ((rc = parse_info(b, get, ctx, err)) < 0)
		return rc;
	if (mode == BAG_FAST) {
		bag_check_algs(b);
		if (!bag_info_get(&b->info, "Payload-Oxum"))
			bag_problem(b, BAG_ERROR, "no-oxum", R_INFO,
				    b->info_name, 0, NULL, NULL,
				    "no Payload-Oxum to check quickly");
		return 0;
	}
	if (b->nman[BK_PAYLOAD] == 0)
		bag_problem(b, BAG_ERROR, "no-payload-manifest", R_MANIFEST,
			    NULL, 0, NULL, NULL,
			    "no payload manifest (manifest-ALG.txt)");
	for (k = 0; k < BAG_KINDS; k++)
		for (m = 0; m < b->nman[k]; m++)
			if ((rc = parse_manifest(b, (int)k, m, get, ctx, err)) <
			    0)
				return rc;
	bag_check_algs(b);
	return parse_fetch(b, get, ctx, err);
}

/* ---- digests and matching ---- */

unsigned
bag_file_algs(const struct bag *b, const struct bag_file *f)
{
	unsigned m, algs = 0;

	for (m = 0; m < b->nman[f->kind]; m++)
		if ((f->listed & (1u << m)) && b->man[f->kind][m].alg >= 0)
			algs |= FIX_ALG_BIT(b->man[f->kind][m].alg);
	return algs;
}

int
bag_digests_match(const struct bag *b, const struct bag_file *f,
		  const struct fix_digests *d)
{
	unsigned m;

	for (m = 0; m < b->nman[f->kind]; m++) {
		const struct bag_manifest *man = &b->man[f->kind][m];

		if ((f->listed & (1u << m)) && man->alg >= 0 &&
		    (d->algs & FIX_ALG_BIT(man->alg)) &&
		    memcmp(f->md + man->off, d->md[man->alg],
			   fix_alg_size(man->alg)) != 0)
			return 0;
	}
	return 1;
}

void
bag_check_digests(struct bag *b, struct bag_file *f,
		  const struct fix_digests *d)
{
	unsigned m;

	for (m = 0; m < b->nman[f->kind]; m++) {
		const struct bag_manifest *man = &b->man[f->kind][m];
		char want[FIX_HEX_MAX], got[FIX_HEX_MAX];
		size_t sz;

		if (!(f->listed & (1u << m)) || man->alg < 0 ||
		    !(d->algs & FIX_ALG_BIT(man->alg)))
			continue;
		sz = fix_alg_size(man->alg);
		if (!memcmp(f->md + man->off, d->md[man->alg], sz))
			continue;
		fix_hex(want, f->md + man->off, sz);
		fix_hex(got, d->md[man->alg], sz);
		bag_problem(b, BAG_ERROR, "checksum-mismatch", R_COMPLETE,
			    f->path, 0, want, got,
			    "%s checksum differs from %s",
			    fix_alg_name(man->alg), man->name);
	}
	f->hashed = 1;
}

static int
ends_with_name(const char *path, const char *name)
{
	const char *base = strrchr(path, '/');

	return !strcmp(base ? base + 1 : path, name);
}

int
bag_is_junk(const char *path)
{
	static const char *const junk[] = {
		".DS_Store",   "Thumbs.db",  "desktop.ini",
		"ehthumbs.db", ".directory", "Icon\r",
	};
	const char *base = strrchr(path, '/');
	size_t i;

	base = base ? base + 1 : path;
	if (!strncmp(base, "._", 2))
		return 1;
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		if (ends_with_name(path, junk[i]))
			return 1;
	return 0;
}

/* One path component (len bytes at c) Windows cannot hold (RFC 8493
 * 6.1.2): a reserved device name, with or without an extension; a
 * character of <>:"|?* or a control character; a final dot or space,
 * which Windows drops. */
static const char *
windows_component(const char *c, size_t len)
{
	static const char *const reserved[] = { "CON", "PRN", "AUX", "NUL" };
	size_t i, stem = 0;

	while (stem < len && c[stem] != '.')
		stem++;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (stem == 3 && !strncasecmp(c, reserved[i], 3))
			return "is a name Windows reserves for a device";
	if (stem == 4 &&
	    (!strncasecmp(c, "COM", 3) || !strncasecmp(c, "LPT", 3)) &&
	    c[3] >= '1' && c[3] <= '9')
		return "is a name Windows reserves for a device";
	for (i = 0; i < len; i++)
		if ((unsigned char)c[i] < 0x20 || strchr("<>:\"|?*", c[i]))
			return "holds a character Windows forbids in names "
			       "(<>:\"|?* or a control character)";
	if (len && (c[len - 1] == '.' || c[len - 1] == ' '))
		return "ends with a dot or space, which Windows drops";
	return NULL;
}

const char *
bag_windows_unsafe(const char *path)
{
	const char *why;

	for (;;) {
		size_t n = strcspn(path, "/");

		if ((why = windows_component(path, n)))
			return why;
		if (!path[n])
			return NULL;
		path += n + 1;
	}
}

int
bag_nested_bag(const char *path)
{
	return !strncmp(path, "data/", 5) && ends_with_name(path, "bagit.txt");
}

size_t
bag_match_payload(struct bag *b, const char *path, uint64_t size,
		  struct bag_file **out, size_t max)
{
	struct bag_file *f = bag_lookup(b, path), *c;
	size_t n = 0;

	b->pay_files++;
	b->pay_bytes += size;
	if (f && f->kind == BK_PAYLOAD) {
		f->on_disk = 1;
		f->size = size;
		out[n++] = f;
	} else {
		f = NULL;
	}
	/* Names that differ from a manifest entry only by Unicode
	 * normalization (an NFD file system, an NFC manifest): match them,
	 * with a warning, rather than call the file missing. */
	for (c = bag_lookup_nfc(b, path); c && n < max; c = c->nfc_next) {
		if (c == f || c->kind != BK_PAYLOAD || c->on_disk || !c->listed)
			continue;
		c->on_disk = 1;
		c->size = size;
		free(c->disk);
		c->disk = strdup(path);
		bag_problem(b, BAG_WARNING, "normalization", R_NORM, c->path, 0,
			    c->path, path,
			    "found in the bag only under a different Unicode "
			    "normalization");
		out[n++] = c;
	}
	return n;
}

static void
check_every_manifest(struct bag *b, struct bag_file *f)
{
	unsigned all = (1u << b->nman[BK_PAYLOAD]) - 1, m;
	struct vl_buf missing = VL_BUF_INIT;

	if (!f->listed || f->listed == all)
		return;
	if (b->version < FIX_BAGIT_1_0 && !f->in_fetch)
		return; /* before 1.0: at least one manifest */
	for (m = 0; m < b->nman[BK_PAYLOAD]; m++)
		if (!(f->listed & (1u << m)))
			vl_buf_addf(&missing, "%s%s", missing.len ? ", " : "",
				    b->man[BK_PAYLOAD][m].name);
	bag_problem(b, BAG_ERROR, "not-in-every-manifest", R_MANIFEST, f->path,
		    0, NULL, NULL, "not listed in %s", missing.buf);
	vl_buf_release(&missing);
}

/* A listed path that is a directory of the bag (directory mode). */
static int
is_directory(struct bag *b, const char *path)
{
	struct vl_err e;
	struct stat st;
	int fd, dir;

	if (b->rootfd < 0)
		return 0;
	fd = bag_open_beneath(b->rootfd, path, O_PATH, 0, &e);
	if (fd < 0)
		return 0;
	dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
	close(fd);
	return dir;
}

static void
check_file(struct bag *b, struct bag_file *f, enum bag_mode mode)
{
	(void)mode;
	if (f->kind == BK_TAG) {
		if (f->listed && !f->on_disk)
			bag_problem(b, BAG_ERROR, "missing-file", R_COMPLETE,
				    f->path, 0, NULL, NULL,
				    "listed in a tag manifest but not in the "
				    "bag");
		return;
	}
	if (f->in_fetch && !f->listed) {
		bag_problem(b, BAG_ERROR, "fetch-not-in-manifest", R_FETCH,
			    f->path, 0, NULL, NULL,
			    "listed in fetch.txt but in no payload manifest");
	}
	if (f->listed && !f->on_disk && is_directory(b, f->path)) {
		bag_problem(b, BAG_ERROR, "manifest-directory", R_MANIFEST,
			    f->path, 0, NULL, NULL,
			    "is a directory; manifests list files only");
	} else if (f->listed && !f->on_disk) {
		if (f->in_fetch)
			bag_problem(b, BAG_ERROR, "not-fetched", R_COMPLETE,
				    f->path, 0, NULL, NULL,
				    "listed in fetch.txt and not fetched yet");
		else
			bag_problem(b, BAG_ERROR, "missing-file", R_COMPLETE,
				    f->path, 0, NULL, NULL,
				    "listed in a manifest but not in the bag");
	}
	if (f->on_disk && !f->listed && !f->in_fetch)
		bag_problem(b, BAG_ERROR, "not-in-manifest", R_COMPLETE,
			    f->path, 0, NULL, NULL,
			    "payload file is not listed in any manifest");
	check_every_manifest(b, f);
	if (f->listed && bag_is_junk(f->path))
		bag_problem(b, BAG_WARNING, "os-junk", R_MANIFEST, f->path, 0,
			    NULL, NULL,
			    "operating-system file; it is not portable "
			    "content");
}

/* Warnings about where the bag can go: names Windows cannot hold, and a
 * bag inside the payload, which is only payload here (its manifests are
 * not checked as a bag's). */
static void
check_portable(struct bag *b, const struct bag_file *f)
{
	const char *why;

	if (!f->listed && !f->on_disk)
		return;
	if ((why = bag_windows_unsafe(f->path)))
		bag_problem(b, BAG_WARNING, "windows-name", R_WINNAMES, f->path,
			    0, NULL, NULL,
			    "%s; the bag cannot be unpacked on "
			    "Windows",
			    why);
	if (f->kind == BK_PAYLOAD && bag_nested_bag(f->path))
		bag_problem(b, BAG_WARNING, "bag-in-bag", R_PAYLOAD, f->path, 0,
			    NULL, NULL,
			    "a bag inside the payload; it is checked as "
			    "payload only, not as a bag");
}

/* A path case-folded and composed (NFC), the key under which paths that
 * differ only by case or normalization meet; malloc'd, or NULL.  ASCII
 * is folded here: utf8proc gives the same for it, at many times the
 * cost (it decomposes and recomposes every character), and bags are
 * mostly ASCII. */
static utf8proc_uint8_t *
fold_key(const char *path)
{
	utf8proc_uint8_t *key = NULL;
	size_t i;

	if (!bag_is_ascii(path)) {
		if (utf8proc_map((const utf8proc_uint8_t *)path, 0, &key,
				 UTF8PROC_NULLTERM | UTF8PROC_STABLE |
					 UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD) <
		    0)
			return NULL;
		return key;
	}
	if (!(key = (utf8proc_uint8_t *)strdup(path)))
		return NULL;
	for (i = 0; key[i]; i++)
		if (key[i] >= 'A' && key[i] <= 'Z')
			key[i] = (utf8proc_uint8_t)(key[i] - 'A' + 'a');
	return key;
}

/* Paths that differ only by case or Unicode normalization are one file
 * on macOS and Windows: warn. */
static void
check_clashes(struct bag *b)
{
	struct bag_table folded = { NULL, 0, 0, 1 };
	size_t i;

	for (i = 0; i < b->files.cap; i++) {
		struct bag_file *f = b->files.slot[i].val, *o;
		utf8proc_uint8_t *key = NULL;

		if (!b->files.slot[i].key || !f->listed)
			continue;
		if (!(key = fold_key(f->path)))
			continue;
		if ((o = table_get(&folded, (char *)key))) {
			int same_nfc = 0;
			char *a = nfc_of(f->path), *c = nfc_of(o->path);

			same_nfc = a && c && !strcmp(a, c);
			free(a);
			free(c);
			bag_problem(
				b, BAG_WARNING,
				same_nfc ? "normalization-clash" : "case-clash",
				R_NORM, f->path, 0, NULL, o->path,
				"'%s' and '%s' differ only by %s", f->path,
				o->path,
				same_nfc ? "Unicode normalization" : "case");
			free(key);
			continue;
		}
		if (table_put(&folded, (char *)key, f) < 0)
			free(key);
	}
	table_release(&folded);
}

static void
check_oxum(struct bag *b)
{
	const char *v = bag_info_get(&b->info, "Payload-Oxum");
	char want[48], got[48];

	if (!v || !is_oxum(v))
		return;
	snprintf(got, sizeof(got), "%llu.%llu",
		 (unsigned long long)b->pay_bytes,
		 (unsigned long long)b->pay_files);
	snprintf(want, sizeof(want), "%s", v);
	if (strcmp(want, got) != 0)
		bag_problem(b, BAG_ERROR, "oxum-mismatch", R_INFO, b->info_name,
			    0, want, got,
			    "Payload-Oxum does not match the payload "
			    "(octets.files)");
}

void
bag_check_payload_size(struct bag *b)
{
	b->rep->payload_files = b->pay_files;
	b->rep->payload_bytes = b->pay_bytes;
	check_oxum(b);
}

void
bag_final_checks(struct bag *b, enum bag_mode mode)
{
	size_t i;

	if (mode == BAG_FAST)
		return;
	if (!b->has_data_dir)
		bag_problem(b, BAG_ERROR, "no-payload-dir", R_PAYLOAD, "data",
			    0, NULL, NULL,
			    "the payload directory data/ is "
			    "missing");
	for (i = 0; i < b->files.cap; i++)
		if (b->files.slot[i].key) {
			check_file(b, b->files.slot[i].val, mode);
			check_portable(b, b->files.slot[i].val);
		}
	check_clashes(b);
}

static int
cmp_problems(const void *pa, const void *pb)
{
	const struct bag_problem *a = pa, *c = pb;
	int r;

	if (!a->path != !c->path)
		return a->path ? 1 : -1;
	if (a->path && (r = strcmp(a->path, c->path)) != 0)
		return r;
	if (a->line != c->line)
		return a->line < c->line ? -1 : 1;
	if (a->severity != c->severity)
		return a->severity > c->severity ? -1 : 1;
	if ((r = strcmp(a->code, c->code)) != 0)
		return r;
	return strcmp(a->message, c->message);
}

void
bag_report_sort(struct bag_report *r)
{
	if (r->n > 1)
		qsort(r->v, r->n, sizeof(*r->v), cmp_problems);
}

void
bag_finish_report(struct bag *b, enum bag_mode mode)
{
	struct bag_report *r = b->rep;
	size_t i, hard = 0, stored = 0;

	bag_report_sort(r);
	for (i = 0; i < r->n; i++) {
		if (r->v[i].severity != BAG_ERROR)
			continue;
		stored++;
		hard += !r->v[i].fixity;
	}
	/* Errors not stored (past the cap) count as hard ones: be safe. */
	hard += r->errors - stored;
	r->complete = mode != BAG_FAST && hard == 0;
	r->valid = mode == BAG_FULL && r->complete && r->errors == 0;
	r->fixity_checked = mode == BAG_FULL;
}
