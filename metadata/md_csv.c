/*
 * md_csv.c - CSV rows (RFC 4180) as records, for batch ingest and
 * `vellum metadata convert --from csv`.  The header syntax is documented
 * in metadata.h ("CSV rows") and README.md.
 *
 * The parser reads one row at a time from a FILE (constant memory): a
 * field is quoted or not (RFC 4180 section 2.5-2.7: quotes inside a quoted
 * field are doubled; a quote inside an unquoted field is an error, as is
 * text after a closing quote); rows end with CRLF or LF (CRLF inside a
 * quoted field is stored as LF); a UTF-8 byte order mark is skipped;
 * blank lines are skipped.  Every message names the file, the line the
 * row starts on and the column.  Caps: 1 MiB per field, 4096 columns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md_private.h"

#define MAX_FIELD   ((size_t)1 << 20)
#define MAX_COLUMNS 4096

enum col_kind { COL_META, COL_EXTRA, COL_NOTE };

struct col {
	enum col_kind kind;
	char *header; /* as written */
	enum md_element e;
	enum md_term t;
	char *qual, *auth, *lang;
};

struct md_csv {
	FILE *in;
	char *name;
	unsigned flags;
	struct col *cols;
	size_t ncols;
	struct vl_buf *fields;
	size_t nfields, afields;
	unsigned long line, row_line;
	int back[4]; /* bytes pushed back (a stack) */
	int nback;
	struct md_record *rec;
	struct md_rctx rctx;
};

/* ---- the RFC 4180 row parser ---- */

/* getc/ungetc with more than one byte of push-back (the BOM check). */
static int
csv_getc(struct md_csv *c)
{
	return c->nback ? c->back[--c->nback] : getc(c->in);
}

static void
csv_ungetc(struct md_csv *c, int ch)
{
	if (ch != EOF && c->nback < 4)
		c->back[c->nback++] = ch;
}

static int
field_add(struct md_csv *c, int ch)
{
	return vl_buf_addch(&c->fields[c->nfields - 1], (char)ch);
}

static int
new_field(struct md_csv *c, struct vl_err *err)
{
	if (c->nfields == c->afields) {
		size_t n = c->afields ? c->afields * 2 : 16, i;
		struct vl_buf *f;

		if (n > MAX_COLUMNS + 1)
			return vl_err_set(err, VL_E_FORMAT,
					  "'%s' line %lu: more than %d columns",
					  c->name, c->row_line, MAX_COLUMNS);
		if (!(f = reallocarray(c->fields, n, sizeof(*f))))
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
		for (i = c->afields; i < n; i++)
			vl_buf_init(&f[i], MAX_FIELD);
		c->fields = f;
		c->afields = n;
	}
	vl_buf_reset(&c->fields[c->nfields]);
	c->nfields++;
	return 0;
}

/* Reads one row into c->fields.  1: a row; 0: end of file. */
static int
read_row(struct md_csv *c, struct vl_err *err)
{
	enum { START, PLAIN, QUOTED, AFTER } st;
	unsigned long quote_line = 0;
	size_t chars;
	int ch, rc;

again:
	c->nfields = 0;
	c->row_line = c->line;
	chars = 0;
	st = START;
	if ((rc = new_field(c, err)) < 0)
		return rc;
	for (;;) {
		ch = csv_getc(c);
		if (ch == '\0')
			return vl_err_set(err, VL_E_FORMAT,
					  "'%s' line %lu: NUL byte", c->name,
					  c->line);
		if (ch != EOF)
			chars++;
		switch (st) {
		case START:
		case PLAIN:
			if (ch == '"' && st == START) {
				st = QUOTED;
				quote_line = c->line;
				continue;
			}
			if (ch == '"')
				return vl_err_set(
					err, VL_E_FORMAT,
					"'%s' line %lu, column %zu: a quote "
					"inside an unquoted field (RFC 4180 "
					"2.5: quote the whole field)",
					c->name, c->line, c->nfields);
			if (ch == ',') {
				if ((rc = new_field(c, err)) < 0)
					return rc;
				st = START;
				continue;
			}
			if (ch == '\r') {
				if ((ch = csv_getc(c)) != '\n' && ch != EOF)
					csv_ungetc(c, ch);
				ch = '\n';
			}
			if (ch == '\n' || ch == EOF) {
				if (ch == '\n')
					c->line++;
				if (ch == EOF && chars == 0)
					return 0;
				if (c->nfields == 1 && !c->fields[0].len &&
				    st == START)
					goto again; /* blank line */
				return 1;
			}
			st = PLAIN;
			if (field_add(c, ch) < 0)
				goto too_big;
			continue;
		case QUOTED:
			if (ch == EOF)
				return vl_err_set(err, VL_E_FORMAT,
						  "'%s' line %lu: quoted field "
						  "never closed",
						  c->name, quote_line);
			if (ch == '"') {
				if ((ch = csv_getc(c)) == '"') {
					if (field_add(c, '"') < 0)
						goto too_big;
					continue;
				}
				if (ch != EOF)
					csv_ungetc(c, ch);
				st = AFTER;
				continue;
			}
			if (ch == '\r') {
				int next = csv_getc(c);

				if (next == '\n') {
					ch = '\n';
				} else if (next != EOF) {
					csv_ungetc(c, next);
				}
			}
			if (ch == '\n')
				c->line++;
			if (field_add(c, ch) < 0)
				goto too_big;
			continue;
		case AFTER:
			if (ch == ',') {
				if ((rc = new_field(c, err)) < 0)
					return rc;
				st = START;
				continue;
			}
			if (ch == '\r') {
				if ((ch = csv_getc(c)) != '\n' && ch != EOF)
					csv_ungetc(c, ch);
				ch = '\n';
			}
			if (ch == '\n' || ch == EOF) {
				if (ch == '\n')
					c->line++;
				return 1;
			}
			return vl_err_set(
				err, VL_E_FORMAT,
				"'%s' line %lu, column %zu: text after "
				"a closing quote",
				c->name, c->line, c->nfields);
		}
	}
too_big:
	return vl_err_set(err, VL_E_FORMAT,
			  "'%s' line %lu, column %zu: field larger than %zu "
			  "bytes",
			  c->name, c->row_line, c->nfields, MAX_FIELD);
}

/* ---- the header ---- */

static const char *const encodings[] = { "w3cdtf", "edtf",   "iso8601",
					 "marc",   "temper", NULL };
static const char *const title_types[] = { "abbreviated", "translated",
					   "alternative", "uniform", NULL };
static const char *const related_types[] = {
	"preceding",      "succeeding", "original",     "host",
	"constituent",    "series",     "otherVersion", "otherFormat",
	"isReferencedBy", "references", "reviewOf",     NULL,
};

static int
in_set(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(v, *set))
			return 1;
	return 0;
}

static int
token_ok(const char *s, const char *extra)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return 0;
	return 1;
}

/* Checks the [QUAL] of a column for its element. */
static int
check_qual(struct md_csv *c, struct col *col, struct vl_err *err)
{
	const char *q = col->qual;
	enum md_element e = col->e;

	if (e == MD_E_CREATOR || e == MD_E_CONTRIBUTOR) {
		if (strlen(q) == 3 && token_ok(q, "") && q[0] >= 'a' &&
		    q[1] >= 'a' && q[2] >= 'a')
			return 0;
		return vl_err_set(err, VL_E_FORMAT,
				  "'%s' line 1: column '%s': [%s] is not a "
				  "MARC relator code (e.g. aut, ill, trl)",
				  c->name, col->header, q);
	}
	if (e == MD_E_IDENTIFIER && col->t == MD_T_NONE && token_ok(q, "-_."))
		return 0;
	if (e == MD_E_DATE || col->t == MD_T_TEMPORAL) {
		if (in_set(q, encodings))
			return 0;
		return vl_err_set(err, VL_E_FORMAT,
				  "'%s' line 1: column '%s': date encoding "
				  "'%s' is not one of w3cdtf, edtf, iso8601, "
				  "marc, temper",
				  c->name, col->header, q);
	}
	if (e == MD_E_TITLE && in_set(q, title_types))
		return 0;
	if (e == MD_E_DESCRIPTION && col->t == MD_T_NONE &&
	    token_ok(q, " -_/."))
		return 0;
	if ((e == MD_E_RELATION || e == MD_E_SOURCE) &&
	    in_set(q, related_types))
		return 0;
	return vl_err_set(err, VL_E_FORMAT,
			  "'%s' line 1: column '%s': [%s] is not allowed here "
			  "(roles on creator/contributor, types on "
			  "identifier, title, description, relation; "
			  "encodings on dates)",
			  c->name, col->header, q);
}

/* Splits off "[...]", "{...}", "@..." suffixes in that order. */
static int
parse_column(struct md_csv *c, struct col *col, const char *h,
	     const char *const *extras, struct vl_err *err)
{
	char name[128], *p, *end;
	char canon[128];
	size_t n = strlen(h), i;
	int prefix = 0, rc;

	col->header = strdup(h);
	if (!col->header)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	for (i = 0; extras && extras[i]; i++)
		if (!strcmp(h, extras[i])) {
			col->kind = COL_EXTRA;
			return 0;
		}
	if (!n)
		return vl_err_set(err, VL_E_FORMAT,
				  "'%s' line 1: column %zu has no name",
				  c->name, (size_t)(col - c->cols) + 1);
	if (n >= sizeof(name))
		goto unknown;
	memcpy(name, h, n + 1);
	if ((p = strchr(name, '@'))) {
		*p++ = '\0';
		rc = md_lang_canonical(canon, sizeof(canon), p, err);
		if (rc < 0) {
			char why[sizeof(err->msg)];

			snprintf(why, sizeof(why), "%s", err->msg);
			return vl_err_set(err, VL_E_FORMAT,
					  "'%s' line 1: column '%s': %s",
					  c->name, h, why);
		}
		if (!(col->lang = strdup(canon)))
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
	}
	if ((p = strchr(name, '{'))) {
		if (!(end = strchr(p, '}')) || end[1] ||
		    (*end = '\0', !token_ok(p + 1, "-_.")))
			goto bad;
		*p = '\0';
		if (!(col->auth = strdup(p + 1)))
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
	}
	if ((p = strchr(name, '['))) {
		if (!(end = strchr(p, ']')) || end[1] || (*end = '\0', !p[1]))
			goto bad;
		*p = '\0';
		if (!(col->qual = strdup(p + 1)))
			return vl_err_set(err, VL_E_NOMEM, "out of memory");
	}
	p = name;
	if (!strncmp(p, "dc:", 3)) {
		p += 3;
		prefix = 1;
	} else if (!strncmp(p, "dcterms:", 8)) {
		p += 8;
		prefix = 2;
	}
	if ((col->e = md_element_parse(p)) == MD_E_NONE) {
		if (prefix == 1 || (col->t = md_term_parse(p)) == MD_T_NONE)
			goto unknown;
		col->e = md_term_element(col->t);
	}
	col->kind = COL_META;
	if (col->t == MD_T_RIGHTS_HOLDER)
		col->e = MD_E_CONTRIBUTOR;
	if (col->qual && (rc = check_qual(c, col, err)) < 0)
		return rc;
	if (col->auth && (col->e == MD_E_DATE || col->e == MD_E_IDENTIFIER))
		return vl_err_set(err, VL_E_FORMAT,
				  "'%s' line 1: column '%s': {authority} is "
				  "not allowed on %s",
				  c->name, h, md_element_name(col->e));
	return 0;
bad:
	return vl_err_set(err, VL_E_FORMAT,
			  "'%s' line 1: column '%s' is malformed; the syntax "
			  "is NAME[QUAL]{AUTHORITY}@LANG",
			  c->name, h);
unknown:
	if (c->flags & MD_READ_KEEP_UNKNOWN) {
		col->kind = COL_NOTE;
		return 0;
	}
	return vl_err_set(err, VL_E_FORMAT,
			  "'%s' line 1: unknown column '%s' (expected a "
			  "Dublin Core element or DCMI term such as title, "
			  "creator[aut], subject{lcsh}@en; --keep-unknown "
			  "keeps it as a note)",
			  c->name, h);
}

int
md_csv_open(struct md_csv **out, FILE *in, const char *name,
	    const struct md_csv_opts *opts, struct vl_err *err)
{
	struct md_csv *c;
	size_t i, j;
	int rc;

	*out = NULL;
	if (!(c = calloc(1, sizeof(*c))) || !(c->name = strdup(name)) ||
	    !(c->rec = md_record_new())) {
		if (c) {
			free(c->name);
			free(c);
		}
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	}
	c->in = in;
	c->flags = opts ? opts->flags : 0;
	c->line = 1;
	c->rctx.rec = c->rec;
	c->rctx.name = c->name;
	c->rctx.flags = c->flags;
	/* UTF-8 byte order mark: skipped; any other first bytes are kept. */
	{
		int b0 = csv_getc(c), b1 = b0 == 0xEF ? csv_getc(c) : EOF;
		int b2 = b1 == 0xBB ? csv_getc(c) : EOF;

		if (!(b0 == 0xEF && b1 == 0xBB && b2 == 0xBF)) {
			csv_ungetc(c, b2);
			csv_ungetc(c, b1);
			csv_ungetc(c, b0);
		}
	}
	if ((rc = read_row(c, err)) <= 0) {
		if (!rc)
			rc = vl_err_set(err, VL_E_FORMAT,
					"'%s' is empty: no header row", name);
		goto fail;
	}
	if (!(c->cols = calloc(c->nfields, sizeof(*c->cols)))) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto fail;
	}
	c->ncols = c->nfields;
	for (i = 0; i < c->ncols; i++) {
		struct vl_buf *f = &c->fields[i];
		const char *h = f->buf;
		size_t len = f->len;

		if (md_utf8_check(h, len, NULL) < 0) {
			rc = vl_err_set(err, VL_E_FORMAT,
					"'%s' line 1, column %zu: invalid "
					"UTF-8",
					name, i + 1);
			goto fail;
		}
		md_trim(&h, &len);
		((char *)h)[len] = '\0';
		if ((rc = parse_column(c, &c->cols[i], h,
				       opts ? opts->extra_columns : NULL,
				       err)) < 0)
			goto fail;
		if (c->cols[i].kind == COL_EXTRA)
			for (j = 0; j < i; j++)
				if (c->cols[j].kind == COL_EXTRA &&
				    !strcmp(c->cols[j].header, h)) {
					rc = vl_err_set(err, VL_E_FORMAT,
							"'%s' line 1: column "
							"'%s' appears twice",
							name, h);
					goto fail;
				}
	}
	*out = c;
	return 0;
fail:
	md_csv_close(c);
	return rc;
}

/* ---- rows ---- */

/* Next value of a cell: up to an unescaped '|'; "\|" and "\\" unescape.
 * Returns 0 at the end of the cell. */
static int
next_value(const char **p, struct vl_buf *out)
{
	const char *s = *p;

	if (!*s)
		return 0;
	vl_buf_reset(out);
	for (; *s && *s != '|'; s++) {
		if (*s == '\\' && (s[1] == '|' || s[1] == '\\'))
			s++;
		if (vl_buf_addch(out, *s) < 0)
			return -1;
	}
	*p = *s ? s + 1 : s;
	return 1;
}

/* "text <URI>" -> text and URI (NUL-splits buf); NULL when no URI. */
static char *
split_uri(char *buf)
{
	size_t n = strlen(buf);
	char *lt;

	if (n < 4 || buf[n - 1] != '>' || !(lt = strrchr(buf, '<')) ||
	    lt == buf || lt[-1] != ' ')
		return NULL;
	buf[n - 1] = '\0';
	if (!md_is_uri(lt + 1)) {
		buf[n - 1] = '>';
		return NULL;
	}
	*lt = '\0';
	return lt + 1;
}

static int
cell_values(struct md_csv *c, const struct col *col, const char *cell,
	    struct vl_err *err)
{
	struct vl_buf v = VL_BUF_INIT;
	const char *p = cell;
	int rc = 0, more;

	while ((more = next_value(&p, &v)) > 0) {
		struct md_value *val;
		const char *text = v.buf, *uri = NULL;
		size_t len = v.len;
		enum md_element e =
			col->kind == COL_NOTE ? MD_E_DESCRIPTION : col->e;
		enum md_term t = col->kind == COL_NOTE ? MD_T_NONE : col->t;

		md_trim(&text, &len);
		if (!len)
			continue;
		((char *)text)[len] = '\0';
		if (e != MD_E_IDENTIFIER)
			uri = split_uri((char *)text);
		if ((rc = md_record_add(&val, c->rec, e, t, text, col->lang,
					err)) < 0) {
			char why[sizeof(err->msg)];

			snprintf(why, sizeof(why), "%s", err->msg);
			rc = vl_err_set(err, rc == VL_E_NOMEM ? rc : VL_E_INVAL,
					"'%s' line %lu, column '%s': %s",
					c->name, c->row_line, col->header, why);
			break;
		}
		val->line = c->row_line;
		if (col->kind == COL_NOTE) {
			val->label = md_record_str(c->rec, col->header);
			continue;
		}
		if (uri &&
		    (e == MD_E_RIGHTS
			     ? md_rec_set(c->rec, &val->href, uri)
			     : md_rec_set(c->rec, &val->value_uri, uri)) < 0)
			goto nomem;
		if (md_rec_set(c->rec, &val->authority, col->auth) < 0)
			goto nomem;
		if (col->qual) {
			if (e == MD_E_CREATOR || e == MD_E_CONTRIBUTOR) {
				if (md_value_add_role(
					    c->rec, val, col->qual,
					    md_relator_term(col->qual)) < 0)
					goto nomem;
			} else if (e == MD_E_DATE || t == MD_T_TEMPORAL) {
				if (md_rec_set(c->rec, &val->scheme,
					       col->qual) < 0)
					goto nomem;
			} else if (md_rec_set(c->rec, &val->type, col->qual) <
				   0) {
				goto nomem;
			}
		}
		if (md_dc_normalize(&c->rctx, val, 0) < 0)
			goto nomem;
	}
	if (more < 0)
		goto nomem;
	vl_buf_release(&v);
	return rc;
nomem:
	vl_buf_release(&v);
	return vl_err_set(err, VL_E_NOMEM, "out of memory");
}

int
md_csv_next(struct md_csv *c, struct md_record **rec, struct md_diag *d,
	    struct vl_err *err)
{
	size_t i, bad;
	int rc;

	*rec = NULL;
	md_record_reset(c->rec);
	c->rctx.d = d;
	if ((rc = read_row(c, err)) <= 0)
		return rc;
	if (c->nfields != c->ncols)
		return vl_err_set(err, VL_E_INVAL,
				  "'%s' line %lu: %zu fields, but the header "
				  "has %zu",
				  c->name, c->row_line, c->nfields, c->ncols);
	for (i = 0; i < c->ncols; i++) {
		const struct vl_buf *f = &c->fields[i];

		if (md_utf8_check(f->buf, f->len, &bad) < 0)
			return vl_err_set(err, VL_E_INVAL,
					  "'%s' line %lu, column '%s': invalid "
					  "UTF-8 or a control character at "
					  "byte %zu",
					  c->name, c->row_line,
					  c->cols[i].header, bad + 1);
		if (c->cols[i].kind == COL_EXTRA)
			continue;
		if ((rc = cell_values(c, &c->cols[i], f->buf, err)) < 0)
			return rc;
	}
	*rec = c->rec;
	return 1;
}

const char *
md_csv_extra(const struct md_csv *c, const char *column)
{
	size_t i;

	for (i = 0; i < c->ncols; i++)
		if (c->cols[i].kind == COL_EXTRA &&
		    !strcmp(c->cols[i].header, column))
			return i < c->nfields ? c->fields[i].buf : NULL;
	return NULL;
}

unsigned long
md_csv_line(const struct md_csv *c)
{
	return c->row_line;
}

void
md_csv_close(struct md_csv *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->ncols; i++) {
		free(c->cols[i].header);
		free(c->cols[i].qual);
		free(c->cols[i].auth);
		free(c->cols[i].lang);
	}
	free(c->cols);
	for (i = 0; i < c->afields; i++)
		vl_buf_release(&c->fields[i]);
	free(c->fields);
	md_record_free(c->rec);
	free(c->name);
	free(c);
}
