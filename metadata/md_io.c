/*
 * md_io.c - the module's entry points for reading and writing: format
 * names and detection, md_read (one record), md_read_stream (every
 * record of a file, in constant memory), md_write and collections, and
 * the reader context that turns language codes into canonical BCP 47
 * tags and reports what it had to drop.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md_private.h"

/* ---- reader context ---- */

static void
rctx_add(struct md_rctx *c, enum md_level level, unsigned long line,
	 const char *fmt, va_list ap)
{
	char msg[400];

	if (!c->d)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	md_diag_add(c->d, level, c->name, line, "%s", msg);
}

void
md_rctx_problem(struct md_rctx *c, unsigned long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rctx_add(c, (c->flags & MD_READ_STRICT) ? MD_ERROR : MD_WARNING, line,
		 fmt, ap);
	va_end(ap);
}

void
md_rctx_warn(struct md_rctx *c, unsigned long line, const char *fmt, ...)
{
	va_list ap;

	/* Losses matter to a conversion, not to validation. */
	if (c->flags & MD_READ_STRICT)
		return;
	va_start(ap, fmt);
	rctx_add(c, MD_WARNING, line, fmt, ap);
	va_end(ap);
}

#define LC_SLOTS 64
#define LC_KEY   24

struct md_langcache {
	struct md_arena *a;
	struct {
		char key[LC_KEY];
		unsigned char kind; /* 1: BCP 47 tag, 2: ISO 639-2/B code */
		const char *canon;
	} e[LC_SLOTS];
};

struct md_langcache *
md_langcache_new(void)
{
	struct md_langcache *lc = calloc(1, sizeof(*lc));

	if (lc && !(lc->a = md_arena_new(0))) {
		free(lc);
		return NULL;
	}
	return lc;
}

void
md_langcache_free(struct md_langcache *lc)
{
	if (!lc)
		return;
	md_arena_free(lc->a);
	free(lc);
}

/* Between records: keep memory flat by starting over now and then. */
void
md_langcache_tick(struct md_langcache *lc)
{
	if (lc && md_arena_used(lc->a) > 65536) {
		md_arena_reset(lc->a);
		memset(lc->e, 0, sizeof(lc->e));
	}
}

static unsigned
lc_slot(const char *key, unsigned char kind)
{
	unsigned h = 2166136261u ^ kind;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h % LC_SLOTS;
}

static const char *
lc_get(struct md_rctx *c, const char *key, unsigned char kind)
{
	struct md_langcache *lc = c->lc;
	unsigned i;

	if (!lc || strlen(key) >= LC_KEY)
		return NULL;
	i = lc_slot(key, kind);
	if (lc->e[i].kind != kind || strcmp(lc->e[i].key, key) != 0)
		return NULL;
	/* md_read keeps its record beyond the cache: copy. */
	return c->borrow ? lc->e[i].canon
			 : md_arena_strdup(c->rec->arena, lc->e[i].canon);
}

static void
lc_put(struct md_rctx *c, const char *key, unsigned char kind,
       const char *canon)
{
	struct md_langcache *lc = c->lc;
	const char *copy;
	unsigned i;

	if (!lc || strlen(key) >= LC_KEY ||
	    !(copy = md_arena_strdup(lc->a, canon)))
		return;
	i = lc_slot(key, kind);
	memcpy(lc->e[i].key, key, strlen(key) + 1);
	lc->e[i].kind = kind;
	lc->e[i].canon = copy;
}

const char *
md_rctx_lang(struct md_rctx *c, const char *tag, unsigned long line,
	     const char *what)
{
	char canon[128];
	struct vl_err e = { 0 };
	const char *hit;
	int rc;

	if ((hit = lc_get(c, tag, 1)))
		return hit;
	rc = md_lang_canonical(canon, sizeof(canon), tag, &e);
	if (rc == 0)
		lc_put(c, tag, 1, canon);
	if (rc == VL_E_INVAL) {
		if (what)
			md_rctx_problem(c, line, "%s: %s; language dropped",
					what, e.msg);
		return NULL;
	}
	if (rc == VL_E_NOTFOUND && what)
		md_rctx_problem(c, line, "%s '%s': %s", what, tag, e.msg);
	return md_arena_strdup(c->rec->arena, canon);
}

const char *
md_rctx_lang_639b(struct md_rctx *c, const char *code, unsigned long line)
{
	const struct md_iso639_2 *e;
	const char *hit;
	char lc[4];
	size_t i, n = strlen(code);

	if (n != 3) {
		md_rctx_problem(c, line,
				"@lang '%s' is not an ISO 639-2/B code; "
				"language dropped",
				code);
		return NULL;
	}
	for (i = 0; i < 3; i++)
		lc[i] = (char)(code[i] >= 'A' && code[i] <= 'Z' ? code[i] + 32
								: code[i]);
	lc[3] = '\0';
	if ((hit = lc_get(c, code, 2)))
		return hit;
	if ((e = md_639_2_by_b(lc))) {
		lc_put(c, code, 2, e->a2[0] ? e->a2 : e->t);
		return md_arena_strdup(c->rec->arena, e->a2[0] ? e->a2 : e->t);
	}
	if ((e = md_639_2_by_t(lc))) {
		md_rctx_problem(c, line,
				"@lang '%s' is the ISO 639-2/T code; MODS "
				"@lang takes the B code '%s'",
				code, e->b);
		return md_arena_strdup(c->rec->arena, e->a2[0] ? e->a2 : e->t);
	}
	if (md_iso639_exists(MD_639_3, lc)) {
		md_rctx_problem(c, line,
				"@lang '%s' is ISO 639-3, not ISO 639-2/B; "
				"use xml:lang for it",
				code);
		return md_arena_strdup(c->rec->arena, lc);
	}
	md_rctx_problem(c, line,
			"@lang '%s' is not an ISO 639-2/B code; language "
			"dropped",
			code);
	return NULL;
}

const char *
md_rctx_script(struct md_rctx *c, const char *code, unsigned long line)
{
	char s[5];
	size_t i;

	if (strlen(code) != 4) {
		md_rctx_problem(c, line,
				"script '%s' is not an ISO 15924 code; dropped",
				code);
		return NULL;
	}
	for (i = 0; i < 4; i++) {
		char ch = code[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))) {
			md_rctx_problem(c, line,
					"script '%s' is not an ISO 15924 "
					"code; dropped",
					code);
			return NULL;
		}
		s[i] = (char)(i ? (ch | 0x20) : (ch & ~0x20));
	}
	s[4] = '\0';
	if (!md_script_exists(s))
		md_rctx_problem(c, line, "'%s' is not an ISO 15924 script code",
				code);
	return md_arena_strdup(c->rec->arena, s);
}

/* ---- formats ---- */

enum md_format
md_format_parse(const char *name)
{
	if (!name)
		return MD_FMT_UNKNOWN;
	if (!strcmp(name, "oai_dc") || !strcmp(name, "dc"))
		return MD_FMT_OAI_DC;
	if (!strcmp(name, "dcterms") || !strcmp(name, "qdc"))
		return MD_FMT_DCTERMS;
	if (!strcmp(name, "mods"))
		return MD_FMT_MODS;
	if (!strcmp(name, "csv"))
		return MD_FMT_CSV;
	if (!strcmp(name, "json"))
		return MD_FMT_JSON;
	return MD_FMT_UNKNOWN;
}

const char *
md_format_name(enum md_format f)
{
	switch (f) {
	case MD_FMT_OAI_DC: return "oai_dc";
	case MD_FMT_DCTERMS: return "dcterms";
	case MD_FMT_MODS: return "mods";
	case MD_FMT_CSV: return "csv";
	case MD_FMT_JSON: return "json";
	default: return "unknown";
	}
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && md_ieq(s + n - m, suffix);
}

enum md_format
md_format_detect(const char *buf, size_t len, const char *path)
{
	struct md_xparse p = { 0 };
	size_t i = 0;

	if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' ||
			   buf[i] == '\r'))
		i++;
	if (i < len && buf[i] == '<') {
		p.name = path ? path : "input";
		p.records = MD_XREC_ROOT;
		p.detect = 1;
		md_xml_parse_mem(
			&p, buf,
			len < ((size_t)1 << 20) ? len : (size_t)1 << 20, NULL);
		if (p.found_ns == MD_NS_MODS)
			return MD_FMT_MODS;
		if (p.found_ns == MD_NS_OAI_DC || p.found_ns == MD_NS_DC)
			return MD_FMT_OAI_DC;
		if (p.found_ns == MD_NS_DCTERMS ||
		    (p.found_ns == MD_NS_NONE &&
		     !strcmp(p.found_name, "qualifieddc")))
			return MD_FMT_DCTERMS;
		return MD_FMT_UNKNOWN;
	}
	if (path && ends_with(path, ".csv"))
		return MD_FMT_CSV;
	if (len && memchr(buf, ',', len < 4096 ? len : 4096))
		return MD_FMT_CSV;
	return MD_FMT_UNKNOWN;
}

int
md_detect(enum md_format *fmt, const char *buf, size_t len, const char *name,
	  int complete, struct vl_err *err)
{
	struct md_xparse p = { 0 };
	size_t i = 0;
	int rc;

	if ((*fmt = md_format_detect(buf, len, name)) != MD_FMT_UNKNOWN)
		return 0;
	if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' ||
			   buf[i] == '\r'))
		i++;
	/* XML we could not place: say why if it is malformed or refused. */
	if (complete && i < len && buf[i] == '<') {
		p.name = name;
		p.records = MD_XREC_ROOT;
		if ((rc = md_xml_parse_mem(&p, buf, len, err)) < 0)
			return rc;
		return vl_err_set(err, VL_E_FORMAT,
				  "'%s': root element <%s> is neither MODS nor "
				  "Dublin Core",
				  name, p.root_name);
	}
	return vl_err_set(err, VL_E_FORMAT,
			  "'%s' is neither MODS, Dublin Core nor CSV", name);
}

/* ---- reading ---- */

struct stream {
	struct md_rctx c;
	enum md_format fmt;
	int (*fn)(void *ctx, struct md_record *rec, unsigned long line);
	void *ctx;
	size_t n;
	int single; /* md_read: read only the first record */
};

static int
on_xml_record(void *ctx, struct md_xnode *node)
{
	struct stream *s = ctx;
	int rc;

	if (s->single && s->n++)
		return 0;
	/* md_read keeps the record: copy; a stream lends it: borrow. */
	s->c.borrow = !s->single;
	md_record_reset(s->c.rec);
	md_langcache_tick(s->c.lc);
	rc = s->fmt == MD_FMT_MODS ? md_mods_read(&s->c, node)
				   : md_dc_read(&s->c, node);
	if (rc < 0)
		return rc;
	return s->fn ? s->fn(s->ctx, s->c.rec, node->line) : 0;
}

static int
records_mode(enum md_format fmt)
{
	return fmt == MD_FMT_MODS ? MD_XREC_MODS : MD_XREC_DC;
}

static int
read_csv(struct stream *s, FILE *in, const char *name, size_t *count,
	 struct vl_err *err)
{
	static const char *const batch[] = { "path", "id", "collection", NULL };
	struct md_csv_opts o = { s->c.flags & MD_READ_BATCH ? batch : NULL,
				 s->c.flags };
	struct md_csv *csv;
	struct md_record *rec;
	int rc;

	if ((rc = md_csv_open(&csv, in, name, &o, err)) < 0)
		return rc;
	while ((rc = md_csv_next(csv, &rec, s->c.d, err)) == 1) {
		s->n++;
		if (s->single) {
			if (s->n > 1) {
				rc = vl_err_set(err, VL_E_FORMAT,
						"'%s' holds more than one row; "
						"expected one record",
						name);
				break;
			}
			if (!md_rec_copy_all(s->c.rec, rec)) {
				rc = vl_err_set(err, VL_E_NOMEM,
						"out of memory");
				break;
			}
			continue;
		}
		if (s->fn && (rc = s->fn(s->ctx, rec, md_csv_line(csv))) < 0)
			break;
	}
	md_csv_close(csv);
	if (count)
		*count = s->n;
	return rc < 0 ? rc : 0;
}

/* The stream of a single record (md_read, md_read_node). */
static int
single_stream(struct stream *s, enum md_format fmt, const char *name,
	      unsigned flags, struct md_diag *d, struct vl_err *err)
{
	if (!(s->c.rec = md_record_new()))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	s->c.d = d;
	s->c.name = name;
	s->c.flags = flags;
	s->fmt = fmt;
	s->single = 1;
	return 0;
}

/* The XML parse of a single record (md_read, md_read_node). */
static void
xml_single(struct md_xparse *p, struct stream *s, enum md_format fmt,
	   const char *name)
{
	p->name = name;
	p->records = records_mode(fmt);
	p->on_record = on_xml_record;
	p->ctx = s;
}

static int
one_record(const struct md_xparse *p, enum md_format fmt, const char *name,
	   struct vl_err *err)
{
	if (p->count == 0)
		return vl_err_set(err, VL_E_FORMAT, "'%s' holds no %s record",
				  name,
				  fmt == MD_FMT_MODS ? "MODS" : "Dublin Core");
	if (p->count > 1)
		return vl_err_set(err, VL_E_FORMAT,
				  "'%s' holds %zu records; expected one", name,
				  p->count);
	return 0;
}

int
md_read(struct md_record **out, enum md_format fmt, const char *buf, size_t len,
	const char *name, unsigned flags, struct md_diag *d, struct vl_err *err)
{
	struct md_xparse p = { 0 };
	struct stream s = { 0 };
	int rc;

	*out = NULL;
	if (!name)
		name = "input";
	if (len > MD_MAX_INPUT)
		return vl_err_set(err, VL_E_NOMEM,
				  "'%s' is larger than %zu MiB", name,
				  MD_MAX_INPUT >> 20);
	if (fmt == MD_FMT_UNKNOWN &&
	    (rc = md_detect(&fmt, buf, len, name, 1, err)) < 0)
		return rc;
	if (fmt == MD_FMT_JSON)
		return vl_err_set(err, VL_E_INVAL,
				  "JSON is an output format only");
	if ((rc = single_stream(&s, fmt, name, flags, d, err)) < 0)
		return rc;
	if (fmt == MD_FMT_CSV) {
		FILE *f = fmemopen((void *)buf, len, "r");

		if (!f) {
			rc = vl_err_sys(err, VL_E_NOMEM, "cannot read '%s'",
					name);
			goto out;
		}
		rc = read_csv(&s, f, name, NULL, err);
		fclose(f);
		if (!rc && !s.n)
			rc = vl_err_set(err, VL_E_FORMAT,
					"'%s' has a header but no row", name);
		goto out;
	}
	xml_single(&p, &s, fmt, name);
	if ((rc = md_xml_parse_mem(&p, buf, len, err)) == 0)
		rc = one_record(&p, fmt, name, err);
out:
	if (rc < 0) {
		md_record_free(s.c.rec);
		return rc;
	}
	*out = s.c.rec;
	return 0;
}

int
md_read_node(struct md_record **out, enum md_format fmt, struct _xmlNode *node,
	     const char *name, unsigned flags, struct md_diag *d,
	     struct vl_err *err)
{
	struct md_xparse p = { 0 };
	struct stream s = { 0 };
	int rc;

	*out = NULL;
	if (!name)
		name = "input";
	if (fmt != MD_FMT_MODS && fmt != MD_FMT_OAI_DC && fmt != MD_FMT_DCTERMS)
		return vl_err_set(err, VL_E_INVAL,
				  "'%s': a tree is read as MODS or Dublin Core "
				  "only",
				  name);
	if ((rc = single_stream(&s, fmt, name, flags, d, err)) < 0)
		return rc;
	xml_single(&p, &s, fmt, name);
	if ((rc = md_xml_parse_node(&p, node, err)) == 0)
		rc = one_record(&p, fmt, name, err);
	if (rc < 0) {
		md_record_free(s.c.rec);
		return rc;
	}
	*out = s.c.rec;
	return 0;
}

int
md_read_file(struct md_record **out, enum md_format fmt, const char *path,
	     unsigned flags, struct md_diag *d, struct vl_err *err)
{
	struct vl_buf b = VL_BUF_INIT;
	int rc;

	*out = NULL;
	if ((rc = vl_read_file(&b, path, MD_MAX_INPUT, err)) < 0)
		goto out;
	rc = md_read(out, fmt, b.buf, b.len, path, flags, d, err);
out:
	vl_buf_release(&b);
	return rc;
}

/* A FILE reading pre[] and then the rest of in (fopencookie). */
struct joined {
	const char *pre;
	size_t len, off;
	FILE *in;
};

static ssize_t
joined_read(void *cookie, char *buf, size_t size)
{
	struct joined *j = cookie;
	size_t n;

	if (j->off < j->len) {
		n = j->len - j->off < size ? j->len - j->off : size;
		memcpy(buf, j->pre + j->off, n);
		j->off += n;
		return (ssize_t)n;
	}
	n = fread(buf, 1, size, j->in);
	return n == 0 && ferror(j->in) ? -1 : (ssize_t)n;
}

static const cookie_io_functions_t joined_io = { joined_read, NULL, NULL,
						 NULL };

int
md_read_stream(FILE *in, const char *name, enum md_format *fmtp, unsigned flags,
	       int (*fn)(void *ctx, struct md_record *rec, unsigned long line),
	       void *ctx, size_t *count, struct md_diag *d, struct vl_err *err)
{
	struct md_xparse p = { 0 };
	struct stream s = { 0 };
	enum md_format fmt = *fmtp;
	char *pre = NULL;
	size_t prelen = 0;
	int rc;

	if (count)
		*count = 0;
	if (!name)
		name = "input";
	if (fmt == MD_FMT_JSON)
		return vl_err_set(err, VL_E_INVAL,
				  "JSON is an output format only");
	if (!(s.c.rec = md_record_new()))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	s.c.d = d;
	s.c.name = name;
	s.c.flags = flags;
	s.c.lc = md_langcache_new(); /* NULL: no cache, still correct */
	s.fn = fn;
	s.ctx = ctx;
	if (fmt == MD_FMT_UNKNOWN) {
		/* Detect from the first 64 KiB, then parse them first. */
		if (!(pre = malloc(65536))) {
			rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
			goto out;
		}
		prelen = fread(pre, 1, 65536, in);
		if (ferror(in)) {
			rc = vl_err_sys(err, VL_E_IO, "cannot read '%s'", name);
			goto out;
		}
		if ((rc = md_detect(&fmt, pre, prelen, name, prelen < 65536,
				    err)) < 0)
			goto out;
	}
	s.fmt = *fmtp = fmt;
	if (fmt == MD_FMT_CSV && prelen) {
		/* The detection read the first bytes: read them again. */
		struct joined j = { pre, prelen, 0, in };
		FILE *f = fopencookie(&j, "r", joined_io);

		if (!f) {
			rc = vl_err_sys(err, VL_E_NOMEM, "cannot read '%s'",
					name);
			goto out;
		}
		rc = read_csv(&s, f, name, count, err);
		fclose(f);
		goto out;
	}
	if (fmt == MD_FMT_CSV) {
		rc = read_csv(&s, in, name, count, err);
		goto out;
	}
	p.name = name;
	p.records = records_mode(fmt);
	p.on_record = on_xml_record;
	p.ctx = &s;
	rc = md_xml_parse_file(&p, pre, prelen, in, err);
	if (count)
		*count = p.count;
	if (!rc && !p.count)
		rc = vl_err_set(err, VL_E_FORMAT, "'%s' holds no %s record",
				name,
				fmt == MD_FMT_MODS ? "MODS" : "Dublin Core");
out:
	free(pre);
	md_langcache_free(s.c.lc);
	md_record_free(s.c.rec);
	return rc;
}

/* ---- writing ---- */

int
md_write_buf(struct vl_buf *out, const struct md_record *r, enum md_format fmt,
	     unsigned flags, struct md_diag *d, struct vl_err *err)
{
	int rc;

	switch (fmt) {
	case MD_FMT_OAI_DC: rc = md_oai_dc_write(out, r, flags, d); break;
	case MD_FMT_DCTERMS: rc = md_dcterms_write(out, r, flags, d); break;
	case MD_FMT_MODS: rc = md_mods_write(out, r, flags, d); break;
	case MD_FMT_JSON: rc = md_json_write(out, r); break;
	default:
		return vl_err_set(err, VL_E_INVAL,
				  "cannot write %s; choose oai_dc, dcterms, "
				  "mods or json",
				  md_format_name(fmt));
	}
	if (rc == VL_E_INVAL)
		return vl_err_set(err, rc,
				  "cannot write %s: the record has no value "
				  "MODS can hold",
				  md_format_name(fmt));
	if (rc < 0)
		return vl_err_set(err, rc, "cannot write %s: out of memory",
				  md_format_name(fmt));
	return 0;
}

int
md_write(char **out, size_t *len, const struct md_record *r, enum md_format fmt,
	 unsigned flags, struct md_diag *d, struct vl_err *err)
{
	struct vl_buf b = VL_BUF_INIT;
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = md_write_buf(&b, r, fmt, flags, d, err)) < 0) {
		vl_buf_release(&b);
		return rc;
	}
	*out = vl_buf_detach(&b, &n);
	if (!*out)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if (len)
		*len = n;
	return 0;
}

int
md_write_collection_start(struct vl_buf *out, enum md_format fmt)
{
	switch (fmt) {
	case MD_FMT_MODS:
		return vl_buf_adds(
			out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			     "<modsCollection xmlns=\"" MD_URI_MODS
			     "\" xmlns:xsi=\"" MD_URI_XSI
			     "\" xsi:schemaLocation=\"" MD_URI_MODS
			     " http://www.loc.gov/standards/mods/v3/"
			     "mods-3-8.xsd\">\n");
	case MD_FMT_OAI_DC:
	case MD_FMT_DCTERMS:
		return vl_buf_adds(out, "<?xml version=\"1.0\" "
					"encoding=\"UTF-8\"?>\n<records>\n");
	case MD_FMT_JSON: return vl_buf_adds(out, "[\n");
	default: return VL_E_INVAL;
	}
}

int
md_write_collection_item(struct vl_buf *out, const struct md_record *r,
			 enum md_format fmt, size_t index, struct md_diag *d,
			 struct vl_err *err)
{
	int rc;

	if (fmt == MD_FMT_JSON && index && (rc = vl_buf_adds(out, ",\n")) < 0)
		return vl_err_set(err, rc, "out of memory");
	return md_write_buf(out, r, fmt, MD_WRITE_FRAGMENT, d, err);
}

int
md_write_collection_end(struct vl_buf *out, enum md_format fmt)
{
	switch (fmt) {
	case MD_FMT_MODS: return vl_buf_adds(out, "</modsCollection>\n");
	case MD_FMT_OAI_DC:
	case MD_FMT_DCTERMS: return vl_buf_adds(out, "</records>\n");
	case MD_FMT_JSON: return vl_buf_adds(out, "]\n");
	default: return VL_E_INVAL;
	}
}
