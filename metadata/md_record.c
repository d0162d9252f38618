/*
 * md_record.c - the record model: values with their language, script,
 * authority, role and structure; the arena that owns their strings; the
 * element and term tables; diagnostics.
 *
 * Invariants: every string reachable from a record lives in r->arena,
 * is valid UTF-8 in NFC and contains no character XML 1.0 forbids
 * (readers of XML get that from libxml2, md_record_add checks it).  A
 * value with a term has element == md_term_element(term).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "md_private.h"

/* ---- arena ---- */

struct md_block {
	struct md_block *next;
	size_t size, used;
	/* data follows, aligned */
	max_align_t data[];
};

struct md_arena {
	struct md_block *head;
	size_t total, max;
};

#define MD_BLOCK_MIN 4096

struct md_arena *
md_arena_new(size_t max)
{
	struct md_arena *a = calloc(1, sizeof(*a));

	if (a)
		a->max = max;
	return a;
}

void
md_arena_free(struct md_arena *a)
{
	struct md_block *b, *next;

	if (!a)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

/* Keeps the newest (largest) block for reuse, frees the others. */
void
md_arena_reset(struct md_arena *a)
{
	struct md_block *b, *next;

	if (!a || !a->head)
		return;
	for (b = a->head->next; b; b = next) {
		next = b->next;
		free(b);
	}
	a->head->next = NULL;
	a->head->used = 0;
	a->total = a->head->size;
}

void *
md_arena_alloc(struct md_arena *a, size_t n)
{
	struct md_block *b = a->head;
	size_t align = sizeof(max_align_t), size;
	void *p;

	n = n ? n : 1;
	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + align - 1) / align * align;
	if (!b || b->size - b->used < n) {
		size = b ? b->size * 2 : MD_BLOCK_MIN;
		if (size > ((size_t)1 << 20))
			size = (size_t)1 << 20;
		if (size < n)
			size = n;
		if (a->max && a->total + size > a->max) {
			if (a->total + n > a->max)
				return NULL;
			size = n;
		}
		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
		a->total += size;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

char *
md_arena_strndup(struct md_arena *a, const char *s, size_t n)
{
	char *p = md_arena_alloc(a, n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
md_arena_strdup(struct md_arena *a, const char *s)
{
	return md_arena_strndup(a, s, strlen(s));
}

size_t
md_arena_used(const struct md_arena *a)
{
	return a->total;
}

/* ---- strings ---- */

int
md_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		int x = (unsigned char)*a, y = (unsigned char)*b;

		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;
	}
	return *a == *b;
}

void
md_trim(const char **s, size_t *len)
{
	const char *p = *s;
	size_t n = *len;

	while (n && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
		p++;
		n--;
	}
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\n' ||
		     p[n - 1] == '\r'))
		n--;
	*s = p;
	*len = n;
}

int
md_utf8_check(const char *s, size_t len, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n;

		if (p[i] < 0x80) {
			if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' &&
			    p[i] != '\r')
				goto bad;
			i++;
			continue;
		}
		n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
		if (n < 0 || cp == 0xFFFE || cp == 0xFFFF)
			goto bad;
		i += (size_t)n;
	}
	return 0;
bad:
	if (bad)
		*bad = i;
	return VL_E_INVAL;
}

char *
md_nfc(struct md_arena *a, const char *s, size_t len)
{
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t n;
	size_t i;
	char *p;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			break;
	if (i == len)
		return md_arena_strndup(a, s, len);
	n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len,
			 &out, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (n < 0)
		return NULL;
	p = md_arena_strndup(a, (const char *)out, (size_t)n);
	free(out);
	return p;
}

/* ---- element and term tables ---- */

static const char *const element_names[MD_E_COUNT] = {
	NULL,          "title",     "creator",     "subject",
	"description", "publisher", "contributor", "date",
	"type",        "format",    "identifier",  "source",
	"language",    "relation",  "coverage",    "rights",
};

static const struct {
	const char *name;
	enum md_element element;
} terms[MD_T_COUNT] = {
	[MD_T_NONE] = { NULL, MD_E_NONE },
	[MD_T_ALTERNATIVE] = { "alternative", MD_E_TITLE },
	[MD_T_ABSTRACT] = { "abstract", MD_E_DESCRIPTION },
	[MD_T_TABLE_OF_CONTENTS] = { "tableOfContents", MD_E_DESCRIPTION },
	[MD_T_AVAILABLE] = { "available", MD_E_DATE },
	[MD_T_CREATED] = { "created", MD_E_DATE },
	[MD_T_DATE_ACCEPTED] = { "dateAccepted", MD_E_DATE },
	[MD_T_DATE_COPYRIGHTED] = { "dateCopyrighted", MD_E_DATE },
	[MD_T_DATE_SUBMITTED] = { "dateSubmitted", MD_E_DATE },
	[MD_T_ISSUED] = { "issued", MD_E_DATE },
	[MD_T_MODIFIED] = { "modified", MD_E_DATE },
	[MD_T_VALID] = { "valid", MD_E_DATE },
	[MD_T_EXTENT] = { "extent", MD_E_FORMAT },
	[MD_T_MEDIUM] = { "medium", MD_E_FORMAT },
	[MD_T_BIBLIOGRAPHIC_CITATION] = { "bibliographicCitation",
					  MD_E_IDENTIFIER },
	[MD_T_CONFORMS_TO] = { "conformsTo", MD_E_RELATION },
	[MD_T_HAS_FORMAT] = { "hasFormat", MD_E_RELATION },
	[MD_T_HAS_PART] = { "hasPart", MD_E_RELATION },
	[MD_T_HAS_VERSION] = { "hasVersion", MD_E_RELATION },
	[MD_T_IS_FORMAT_OF] = { "isFormatOf", MD_E_RELATION },
	[MD_T_IS_PART_OF] = { "isPartOf", MD_E_RELATION },
	[MD_T_IS_REFERENCED_BY] = { "isReferencedBy", MD_E_RELATION },
	[MD_T_IS_REPLACED_BY] = { "isReplacedBy", MD_E_RELATION },
	[MD_T_IS_REQUIRED_BY] = { "isRequiredBy", MD_E_RELATION },
	[MD_T_IS_VERSION_OF] = { "isVersionOf", MD_E_RELATION },
	[MD_T_REFERENCES] = { "references", MD_E_RELATION },
	[MD_T_REPLACES] = { "replaces", MD_E_RELATION },
	[MD_T_REQUIRES] = { "requires", MD_E_RELATION },
	[MD_T_SPATIAL] = { "spatial", MD_E_COVERAGE },
	[MD_T_TEMPORAL] = { "temporal", MD_E_COVERAGE },
	[MD_T_ACCESS_RIGHTS] = { "accessRights", MD_E_RIGHTS },
	[MD_T_LICENSE] = { "license", MD_E_RIGHTS },
	[MD_T_RIGHTS_HOLDER] = { "rightsHolder", MD_E_CONTRIBUTOR },
	[MD_T_PROVENANCE] = { "provenance", MD_E_DESCRIPTION },
	[MD_T_AUDIENCE] = { "audience", MD_E_NONE },
	[MD_T_EDUCATION_LEVEL] = { "educationLevel", MD_E_NONE },
	[MD_T_MEDIATOR] = { "mediator", MD_E_NONE },
	[MD_T_ACCRUAL_METHOD] = { "accrualMethod", MD_E_NONE },
	[MD_T_ACCRUAL_PERIODICITY] = { "accrualPeriodicity", MD_E_NONE },
	[MD_T_ACCRUAL_POLICY] = { "accrualPolicy", MD_E_NONE },
	[MD_T_INSTRUCTIONAL_METHOD] = { "instructionalMethod", MD_E_NONE },
};

const char *
md_element_name(enum md_element e)
{
	return (unsigned)e < MD_E_COUNT ? element_names[e] : NULL;
}

enum md_element
md_element_parse(const char *name)
{
	int i;

	for (i = 1; i < MD_E_COUNT; i++)
		if (!strcmp(element_names[i], name))
			return (enum md_element)i;
	return MD_E_NONE;
}

const char *
md_term_name(enum md_term t)
{
	return (unsigned)t < MD_T_COUNT ? terms[t].name : NULL;
}

enum md_term
md_term_parse(const char *name)
{
	int i;

	for (i = 1; i < MD_T_COUNT; i++)
		if (!strcmp(terms[i].name, name))
			return (enum md_term)i;
	return MD_T_NONE;
}

enum md_element
md_term_element(enum md_term t)
{
	return (unsigned)t < MD_T_COUNT ? terms[t].element : MD_E_NONE;
}

/* ---- records ---- */

struct md_record *
md_record_new(void)
{
	struct md_record *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (!(r->arena = md_arena_new(MD_MAX_RECORD * 4))) {
		free(r);
		return NULL;
	}
	return r;
}

void
md_record_free(struct md_record *r)
{
	if (!r)
		return;
	md_arena_free(r->arena);
	free(r->values);
	free(r);
}

void
md_record_reset(struct md_record *r)
{
	r->nvalues = 0;
	md_arena_reset(r->arena);
}

static struct md_value *
push_slot(struct md_record *r, enum md_element e, enum md_term t)
{
	struct md_value *v;

	if (r->nvalues == r->alloc) {
		size_t n = r->alloc ? r->alloc * 2 : 16;
		struct md_value *p = reallocarray(r->values, n, sizeof(*p));

		if (!p)
			return NULL;
		r->values = p;
		r->alloc = n;
	}
	v = &r->values[r->nvalues];
	memset(v, 0, sizeof(*v));
	v->element = t ? md_term_element(t) : e;
	v->term = t;
	return v;
}

struct md_value *
md_rec_push(struct md_record *r, enum md_element e, enum md_term t,
	    const char *text, size_t len)
{
	struct md_value *v = push_slot(r, e, t);

	if (!v)
		return NULL;
	md_trim(&text, &len);
	if (!(v->text = md_arena_strndup(r->arena, text, len)))
		return NULL;
	r->nvalues++;
	return v;
}

struct md_value *
md_rec_push_ref(struct md_record *r, enum md_element e, enum md_term t,
		const char *text)
{
	struct md_value *v = push_slot(r, e, t);

	if (!v)
		return NULL;
	v->text = text;
	r->nvalues++;
	return v;
}

int
md_rec_set(struct md_record *r, const char **field, const char *s)
{
	if (!s || !*s) {
		*field = NULL;
		return 0;
	}
	if (!(*field = md_arena_strdup(r->arena, s)))
		return VL_E_NOMEM;
	return 0;
}

const char *
md_record_str(struct md_record *r, const char *s)
{
	return s ? md_arena_strdup(r->arena, s) : NULL;
}

struct md_part *
md_rec_part(struct md_record *r, struct md_value *v, const char *kind,
	    const char *type, const char *text)
{
	struct md_part *p, *old = v->parts;

	/* Parts live in the arena: grow by copying (records are small). */
	p = md_arena_alloc(r->arena, (v->nparts + 1) * sizeof(*p));
	if (!p)
		return NULL;
	if (v->nparts)
		memcpy(p, old, v->nparts * sizeof(*p));
	v->parts = p;
	p = &v->parts[v->nparts];
	memset(p, 0, sizeof(*p));
	if (md_rec_set(r, &p->kind, kind) < 0 ||
	    md_rec_set(r, &p->type, type) < 0 ||
	    !(p->text = md_arena_strdup(r->arena, text ? text : "")))
		return NULL;
	v->nparts++;
	return p;
}

int
md_value_add_part(struct md_record *r, struct md_value *v, const char *kind,
		  const char *type, const char *text)
{
	return md_rec_part(r, v, kind, type, text) ? 0 : VL_E_NOMEM;
}

int
md_value_add_role(struct md_record *r, struct md_value *v, const char *code,
		  const char *text)
{
	struct md_role *p;

	p = md_arena_alloc(r->arena, (v->nroles + 1) * sizeof(*p));
	if (!p)
		return VL_E_NOMEM;
	if (v->nroles)
		memcpy(p, v->roles, v->nroles * sizeof(*p));
	v->roles = p;
	p = &v->roles[v->nroles];
	if (md_rec_set(r, &p->code, code) < 0 ||
	    md_rec_set(r, &p->text, text) < 0)
		return VL_E_NOMEM;
	v->nroles++;
	return 0;
}

static const char *
copy_or_null(struct md_record *r, const char *s, int *bad)
{
	const char *p;

	if (!s)
		return NULL;
	if (!(p = md_arena_strdup(r->arena, s)))
		*bad = 1;
	return p;
}

struct md_value *
md_rec_copy_value(struct md_record *r, const struct md_value *src)
{
	struct md_value *v;
	int bad = 0;
	size_t i;

	if (!(v = md_rec_push(r, src->element, src->term, src->text,
			      strlen(src->text))))
		return NULL;
	v->lang = copy_or_null(r, src->lang, &bad);
	v->script = copy_or_null(r, src->script, &bad);
	v->translit = copy_or_null(r, src->translit, &bad);
	v->authority = copy_or_null(r, src->authority, &bad);
	v->authority_uri = copy_or_null(r, src->authority_uri, &bad);
	v->value_uri = copy_or_null(r, src->value_uri, &bad);
	v->scheme = copy_or_null(r, src->scheme, &bad);
	v->type = copy_or_null(r, src->type, &bad);
	v->point = copy_or_null(r, src->point, &bad);
	v->qualifier = copy_or_null(r, src->qualifier, &bad);
	v->href = copy_or_null(r, src->href, &bad);
	v->group = copy_or_null(r, src->group, &bad);
	v->label = copy_or_null(r, src->label, &bad);
	v->flags = src->flags;
	v->line = src->line;
	for (i = 0; i < src->nroles && !bad; i++)
		if (md_value_add_role(r, v, src->roles[i].code,
				      src->roles[i].text) < 0)
			bad = 1;
	for (i = 0; i < src->nparts && !bad; i++) {
		const struct md_part *sp = &src->parts[i];
		struct md_part *p =
			md_rec_part(r, v, sp->kind, sp->type, sp->text);

		if (!p) {
			bad = 1;
			break;
		}
		p->authority = copy_or_null(r, sp->authority, &bad);
		p->value_uri = copy_or_null(r, sp->value_uri, &bad);
		p->lang = copy_or_null(r, sp->lang, &bad);
	}
	return bad ? NULL : v;
}

struct md_record *
md_rec_copy_all(struct md_record *r, const struct md_record *src)
{
	size_t i;

	for (i = 0; i < src->nvalues; i++)
		if (!md_rec_copy_value(r, &src->values[i]))
			return NULL;
	return r;
}

struct md_record *
md_record_dup(const struct md_record *src)
{
	struct md_record *r = md_record_new();

	if (r && !md_rec_copy_all(r, src)) {
		md_record_free(r);
		return NULL;
	}
	return r;
}

int
md_record_add(struct md_value **out, struct md_record *r,
	      enum md_element element, enum md_term term, const char *text,
	      const char *lang, struct vl_err *err)
{
	char canon[128];
	const char *nfc;
	struct md_value *v;
	size_t bad, len;
	int rc;

	if ((unsigned)element >= MD_E_COUNT || (unsigned)term >= MD_T_COUNT ||
	    (element == MD_E_NONE && term == MD_T_NONE))
		return vl_err_set(err, VL_E_INVAL, "no element or term given");
	if (!text)
		return vl_err_set(err, VL_E_INVAL, "no text given");
	len = strlen(text);
	if (md_utf8_check(text, len, &bad) < 0)
		return vl_err_set(err, VL_E_INVAL,
				  "value has invalid UTF-8 or a control "
				  "character at byte %zu",
				  bad);
	if (lang && *lang) {
		rc = md_lang_canonical(canon, sizeof(canon), lang, err);
		if (rc == VL_E_INVAL)
			return rc;
		vl_err_clear(err);
	}
	if (!(nfc = md_nfc(r->arena, text, len)))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if (!(v = md_rec_push(r, element, term, nfc, strlen(nfc))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if (lang && *lang && md_rec_set(r, &v->lang, canon) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	if (out)
		*out = v;
	return 0;
}

const char *
md_record_title(const struct md_record *r)
{
	const struct md_value *plain = NULL, *alt = NULL;
	size_t i;

	for (i = 0; i < r->nvalues; i++) {
		const struct md_value *v = &r->values[i];

		if (v->element != MD_E_TITLE || !*v->text)
			continue;
		if (v->term == MD_T_NONE && (v->flags & MD_V_PRIMARY))
			return v->text;
		if (v->term == MD_T_NONE && !plain &&
		    (!v->type || strcmp(v->type, "translated") != 0))
			plain = v;
		if (!alt)
			alt = v;
	}
	return plain ? plain->text : alt ? alt->text : NULL;
}

/* ---- diagnostics ---- */

void
md_diag_init(struct md_diag *d)
{
	memset(d, 0, sizeof(*d));
	d->max_items = 200;
}

void
md_diag_release(struct md_diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->items[i].where);
		free(d->items[i].msg);
	}
	free(d->items);
	d->items = NULL;
	d->n = d->alloc = 0;
}

void
md_diag_add(struct md_diag *d, enum md_level level, const char *where,
	    unsigned long line, const char *fmt, ...)
{
	char msg[512], place[512];
	unsigned long hash = 2166136261UL;
	struct md_diag_item *it;
	const char *p;
	va_list ap;
	size_t i;

	if (!d)
		return;
	if (level == MD_ERROR)
		d->errors++;
	else
		d->warnings++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (p = msg; *p; p++) /* FNV-1a */
		hash = (hash ^ (unsigned char)*p) * 16777619UL;
	for (i = 0; i < d->n; i++)
		if (d->items[i].hash == hash && d->items[i].level == level &&
		    !strcmp(d->items[i].msg, msg)) {
			d->items[i].count++;
			return;
		}
	if (d->n >= (d->max_items ? d->max_items : 200))
		return;
	if (d->n == d->alloc) {
		size_t n = d->alloc ? d->alloc * 2 : 8;
		struct md_diag_item *grown =
			reallocarray(d->items, n, sizeof(*grown));

		if (!grown)
			return;
		d->items = grown;
		d->alloc = n;
	}
	if (line)
		snprintf(place, sizeof(place), "%s:%lu", where ? where : "-",
			 line);
	else
		snprintf(place, sizeof(place), "%s", where ? where : "");
	it = &d->items[d->n];
	it->hash = hash;
	it->level = level;
	it->count = 1;
	it->where = strdup(place);
	it->msg = strdup(msg);
	if (!it->where || !it->msg) {
		free(it->where);
		free(it->msg);
		return;
	}
	d->n++;
}
