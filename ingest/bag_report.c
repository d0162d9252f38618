/*
 * bag_report.c - problem lists with verdicts, and bag-info.txt elements
 * (RFC 8493 2.2.2): parsing with each version's whitespace rules,
 * formatting, command-line and file input.
 *
 * Invariant: a report's counters always count every problem added, even
 * those not stored (past BAG_REPORT_MAX or on allocation failure).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bag_impl.h"

/* ---- reports ---- */

void
bag_report_init(struct bag_report *r)
{
	memset(r, 0, sizeof(*r));
}

static void
problem_free(struct bag_problem *p)
{
	free(p->path);
	free(p->message);
	free(p->expected);
	free(p->actual);
}

void
bag_report_release(struct bag_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		problem_free(&r->v[i]);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* Digest-level problems: the bag may still be complete (RFC 8493 3). */
static int
is_fixity_code(const char *code)
{
	return !strcmp(code, "checksum-mismatch") ||
	       !strcmp(code, "oxum-mismatch") ||
	       !strcmp(code, "unsupported-algorithm");
}

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void
bag_report_add(struct bag_report *r, enum bag_severity sev, const char *code,
	       const char *rule, const char *path, unsigned line,
	       const char *expected, const char *actual, const char *fmt, ...)
{
	struct bag_problem *p;
	struct vl_buf msg = VL_BUF_INIT;
	va_list ap;

	if (sev == BAG_ERROR)
		r->errors++;
	else
		r->warnings++;
	if (r->n >= BAG_REPORT_MAX)
		goto drop;
	if (r->n == r->alloc) {
		size_t na = r->alloc ? r->alloc * 2 : 16;
		struct bag_problem *nv = reallocarray(r->v, na, sizeof(*nv));

		if (!nv)
			goto drop;
		r->v = nv;
		r->alloc = na;
	}
	va_start(ap, fmt);
	vl_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	p = &r->v[r->n];
	memset(p, 0, sizeof(*p));
	p->severity = sev;
	p->fixity = is_fixity_code(code);
	p->code = code;
	p->rule = rule;
	p->line = line;
	p->path = dup_or_null(path);
	p->expected = dup_or_null(expected);
	p->actual = dup_or_null(actual);
	p->message = vl_buf_detach(&msg, NULL);
	if ((path && !p->path) || (expected && !p->expected) ||
	    (actual && !p->actual) || !p->message) {
		problem_free(p);
		goto drop;
	}
	r->n++;
	return;
drop:
	vl_buf_release(&msg);
	r->dropped++;
}

size_t
bag_report_count(const struct bag_report *r, const char *code)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].code, code))
			n++;
	return n;
}

/* ---- bag-info elements ---- */

void
bag_info_init(struct bag_info *bi)
{
	memset(bi, 0, sizeof(*bi));
}

void
bag_info_release(struct bag_info *bi)
{
	size_t i;

	for (i = 0; i < bi->n; i++) {
		free(bi->v[i].label);
		free(bi->v[i].value);
	}
	free(bi->v);
	memset(bi, 0, sizeof(*bi));
}

static int
is_lws(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 8493 2.2.2: no ':', CR or LF; no whitespace at either end. */
static const char *
label_problem(const char *label)
{
	size_t n = strlen(label);

	if (!n)
		return "an empty label";
	if (strpbrk(label, ":\r\n"))
		return "a label containing ':', CR or LF";
	if (is_lws(label[0]) || is_lws(label[n - 1]))
		return "a label starting or ending with whitespace";
	return NULL;
}

int
bag_info_append_raw(struct bag_info *bi, const char *label, size_t llen,
		    const char *value, size_t vlen)
{
	struct bag_info_field *f;

	if (bi->n == bi->alloc) {
		size_t na = bi->alloc ? bi->alloc * 2 : 16;
		struct bag_info_field *nv =
			reallocarray(bi->v, na, sizeof(*nv));

		if (!nv)
			return VL_E_NOMEM;
		bi->v = nv;
		bi->alloc = na;
	}
	f = &bi->v[bi->n];
	f->label = strndup(label, llen);
	f->value = strndup(value, vlen);
	if (!f->label || !f->value) {
		free(f->label);
		free(f->value);
		return VL_E_NOMEM;
	}
	bi->n++;
	return 0;
}

int
bag_info_add(struct bag_info *bi, const char *label, const char *value,
	     struct vl_err *err)
{
	const char *why = label_problem(label);

	if (why)
		return vl_err_set(err, VL_E_INVAL, "bag-info label '%s' is %s",
				  label, why);
	if (bag_info_append_raw(bi, label, strlen(label), value,
				strlen(value)) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	return 0;
}

const char *
bag_info_get(const struct bag_info *bi, const char *label)
{
	size_t i;

	for (i = 0; i < bi->n; i++)
		if (!strcasecmp(bi->v[i].label, label))
			return bi->v[i].value;
	return NULL;
}

int
bag_info_set(struct bag_info *bi, const char *label, const char *value,
	     struct vl_err *err)
{
	size_t i, j;
	int found = 0;
	char *nv;

	for (i = j = 0; i < bi->n; i++) {
		if (strcasecmp(bi->v[i].label, label) != 0) {
			bi->v[j++] = bi->v[i];
			continue;
		}
		if (found) {
			free(bi->v[i].label);
			free(bi->v[i].value);
			continue;
		}
		if (!(nv = strdup(value)))
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		free(bi->v[i].value);
		bi->v[i].value = nv;
		bi->v[j++] = bi->v[i];
		found = 1;
	}
	bi->n = j;
	return found ? 0 : bag_info_add(bi, label, value, err);
}

int
bag_info_add_arg(struct bag_info *bi, const char *arg, struct vl_err *err)
{
	const char *eq = strchr(arg, '=');
	char *label;
	int rc;

	if (!eq || eq == arg)
		return vl_err_set(err, VL_E_INVAL,
				  "bag-info element '%s' is not LABEL=VALUE",
				  arg);
	if (!(label = strndup(arg, (size_t)(eq - arg))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	rc = bag_info_add(bi, label, eq + 1, err);
	free(label);
	return rc;
}

int
bag_info_format(struct vl_buf *out, const struct bag_info *bi)
{
	size_t i;

	for (i = 0; i < bi->n; i++) {
		const char *v;

		if (vl_buf_addf(out, "%s: ", bi->v[i].label) < 0)
			return VL_E_NOMEM;
		/* A line break in a value becomes a continuation line. */
		for (v = bi->v[i].value; *v; v++) {
			int rc;

			if (*v == '\r' && v[1] == '\n')
				v++;
			if (*v == '\n' || *v == '\r')
				rc = vl_buf_adds(out, "\n  ");
			else
				rc = vl_buf_addch(out, *v);
			if (rc < 0)
				return VL_E_NOMEM;
		}
		if (vl_buf_addch(out, '\n') < 0)
			return VL_E_NOMEM;
	}
	return 0;
}

/* Parse one element line into label/value, following the version's
 * whitespace rules.  Reports through pf; returns 0 to keep it. */
static int
parse_element(const char *line, size_t len, int version, unsigned lineno,
	      info_problem_fn *pf, void *ctx, size_t *llen, const char **value,
	      size_t *vlen)
{
	const char *colon = memchr(line, ':', len);
	size_t l, v;

	if (!colon) {
		pf(ctx, BAG_ERROR, "info-syntax", lineno,
		   "line is not 'label: value' (no ':')");
		return -1;
	}
	l = (size_t)(colon - line);
	v = l + 1;
	if (version >= FIX_BAGIT_1_0) {
		/* 1.0: label, ':', one space or tab, value. */
		if (l && is_lws(line[l - 1])) {
			pf(ctx, BAG_ERROR, "info-whitespace", lineno,
			   "whitespace before ':' is not allowed in BagIt "
			   "1.0");
			while (l && is_lws(line[l - 1]))
				l--;
		}
		if (v < len && is_lws(line[v]))
			v++;
		else if (v < len)
			pf(ctx, BAG_ERROR, "info-whitespace", lineno,
			   "no space or tab after ':'");
	} else {
		/* Before 1.0: any whitespace around ':' is not part of the
		 * label or value. */
		while (l && is_lws(line[l - 1]))
			l--;
		while (v < len && is_lws(line[v]))
			v++;
	}
	if (l == 0) {
		pf(ctx, BAG_ERROR, "info-syntax", lineno, "empty label");
		return -1;
	}
	*llen = l;
	*value = line + v;
	*vlen = len - v;
	return 0;
}

int
bag_info_parse_text(struct bag_info *bi, const char *text, size_t len,
		    int version, info_problem_fn *pf, void *ctx)
{
	struct fix_lines it;
	const char *line;
	size_t n;
	int have = 0;

	fix_lines_init(&it, text, len);
	while (fix_lines_next(&it, &line, &n)) {
		const char *value;
		size_t llen, vlen;

		if (n && is_lws(line[0])) {
			/* Continuation (2.2.2): the line break is part of the
			 * value, the indentation is not. */
			struct bag_info_field *f;
			struct vl_buf v = VL_BUF_INIT;

			if (!have) {
				pf(ctx, BAG_ERROR, "info-syntax", it.lineno,
				   "continuation line without an element "
				   "before it");
				continue;
			}
			while (n && is_lws(*line))
				line++, n--;
			f = &bi->v[bi->n - 1];
			if (vl_buf_adds(&v, f->value) < 0 ||
			    vl_buf_addch(&v, '\n') < 0 ||
			    vl_buf_add(&v, line, n) < 0) {
				vl_buf_release(&v);
				return VL_E_NOMEM;
			}
			free(f->value);
			f->value = vl_buf_detach(&v, NULL);
			continue;
		}
		if (n == 0) {
			pf(ctx, BAG_WARNING, "info-blank-line", it.lineno,
			   "blank line");
			have = 0;
			continue;
		}
		have = 0;
		if (parse_element(line, n, version, it.lineno, pf, ctx, &llen,
				  &value, &vlen) < 0)
			continue;
		if (memchr(value, '\0', vlen) || memchr(line, '\0', llen)) {
			pf(ctx, BAG_ERROR, "info-syntax", it.lineno,
			   "NUL byte in element");
			continue;
		}
		if (bag_info_append_raw(bi, line, llen, value, vlen) < 0)
			return VL_E_NOMEM;
		have = 1;
	}
	return 0;
}

struct file_ctx {
	const char *path;
	struct vl_err *err;
	int failed;
};

static void
file_problem(void *ctx, enum bag_severity sev, const char *code, unsigned line,
	     const char *msg)
{
	struct file_ctx *fc = ctx;

	(void)code;
	if (sev != BAG_ERROR || fc->failed)
		return;
	fc->failed = 1;
	vl_err_set(fc->err, VL_E_FORMAT, "%s:%u: %s", fc->path, line, msg);
}

int
bag_info_add_file(struct bag_info *bi, const char *path, struct vl_err *err)
{
	struct vl_buf raw = VL_BUF_INIT, text = VL_BUF_INIT;
	struct file_ctx fc = { path, err, 0 };
	int bom, rc;

	if ((rc = vl_read_file(&raw, path, 16 << 20, err)) < 0)
		goto out;
	if ((rc = fix_text_decode(&text, raw.buf, raw.len, "UTF-8", &bom,
				  err)) < 0) {
		char why[sizeof(err->msg)];

		memcpy(why, err->msg, sizeof(why));
		vl_err_set(err, rc, "'%s': %s", path, why);
		goto out;
	}
	rc = bag_info_parse_text(bi, text.buf, text.len, FIX_BAGIT_1_0,
				 file_problem, &fc);
	if (rc < 0)
		vl_err_set(err, rc, "out of memory");
	else if (fc.failed)
		rc = VL_E_FORMAT;
out:
	vl_buf_release(&raw);
	vl_buf_release(&text);
	return rc;
}
