/*
 * md_mods_read.c - MODS 3.x (3.4 to 3.8) into the record model: the MODS
 * side of the MODS -> DC crosswalk (metadata-notes 2.1, docs/crosswalk.md).
 *
 * Each value keeps its language (xml:lang, else @lang converted from ISO
 * 639-2/B to BCP 47, inherited from enclosing MODS elements), script,
 * transliteration, authority and URIs, and the MODS structure (name
 * parts, title parts, subject components) in parts, so the MODS writer
 * can give it back.  What the model has no place for is reported as a
 * warning naming the element: nothing is dropped silently.
 */
#include <string.h>

#include "md_private.h"

#define JOIN "--" /* LCSH-style subdivision separator (LoC crosswalk) */

/* Trimmed NFC copy of n's text in the record arena ("" if none). */
static const char *
text_of(struct md_rctx *c, const struct md_xnode *n)
{
	size_t i;

	/* The parser stored it trimmed; ASCII is NFC already. */
	if (c->borrow) {
		for (i = 0; i < n->text_len; i++)
			if ((unsigned char)n->text[i] >= 0x80)
				break;
		if (i == n->text_len)
			return n->text;
	}
	return md_nfc(c->rec->arena, n->text, n->text_len);
}

static struct md_value *
push(struct md_rctx *c, enum md_element e, enum md_term t, const char *text,
     const struct md_xnode *n)
{
	struct md_value *v = md_rec_push(c->rec, e, t, text, strlen(text));

	if (v)
		v->line = n->line;
	return v;
}

/* A value whose text is a tree text or an arena string (text_of). */
static struct md_value *
push_ref(struct md_rctx *c, enum md_element e, enum md_term t, const char *text,
	 const struct md_xnode *n)
{
	struct md_value *v;

	if (!c->borrow)
		return push(c, e, t, text, n);
	if ((v = md_rec_push_ref(c->rec, e, t, text)))
		v->line = n->line;
	return v;
}

/* In a stream the record lives only while its tree does: borrow. */
static int
set(struct md_rctx *c, const char **field, const char *s)
{
	if (c->borrow) {
		*field = s && *s ? s : NULL;
		return 0;
	}
	return md_rec_set(c->rec, field, s);
}

/* MODS @lang next to xml:lang: a real ISO 639-2/B code, for the same
 * language. */
static void
check_lang_pair(struct md_rctx *c, const char *tag, const char *code,
		unsigned long line)
{
	const char *b = md_rctx_lang_639b(c, code, line);
	const char *want = tag ? md_lang_to_639b(tag) : NULL;
	size_t n;

	if (!b || !tag)
		return;
	n = strcspn(tag, "-");
	if (want ? strcmp(want, code) != 0
		 : strncmp(b, tag, n) != 0 || b[n] != '\0')
		md_rctx_problem(c, line,
				"@lang '%s' and xml:lang '%s' name different "
				"languages",
				code, tag);
}

/* Language of n: the nearest element (n or a MODS ancestor) carrying
 * xml:lang or @lang decides. */
static int
set_lang(struct md_rctx *c, struct md_value *v, const struct md_xnode *n)
{
	const struct md_xnode *p;
	const char *x, *l, *script = NULL, *translit = NULL;

	for (p = n; p; p = p->parent) {
		unsigned i;

		x = l = NULL;
		for (i = 0; p->langish && i < p->nattrs; i++) {
			const struct md_xattr *a = &p->attrs[i];

			if (a->ns == MD_NS_XML && !strcmp(a->name, "lang"))
				x = a->value;
			else if (a->ns != MD_NS_NONE)
				continue;
			else if (!strcmp(a->name, "lang"))
				l = p->ns == MD_NS_MODS ? a->value : NULL;
			else if (!script && !strcmp(a->name, "script"))
				script = a->value;
			else if (!translit &&
				 !strcmp(a->name, "transliteration"))
				translit = a->value;
		}
		if (x && !*x)
			break; /* xml:lang="": no language (XML 1.0 2.12) */
		if (x) {
			v->lang = md_rctx_lang(c, x, p->line, "xml:lang");
			if (l && *l)
				check_lang_pair(c, v->lang, l, p->line);
			break;
		}
		if (l && *l) {
			v->lang = md_rctx_lang_639b(c, l, p->line);
			break;
		}
		if (p->ns != MD_NS_MODS || md_x_is(p, MD_NS_MODS, "mods"))
			break;
	}
	if (script && *script)
		v->script = md_rctx_script(c, script, n->line);
	return set(c, &v->translit, translit);
}

/* authority, authorityURI, valueURI, altRepGroup, displayLabel, usage. */
static int
set_common(struct md_rctx *c, struct md_value *v, const struct md_xnode *n)
{
	unsigned i;
	int rc = 0;

	for (i = 0; i < n->nattrs && !rc; i++) { /* one pass */
		const struct md_xattr *a = &n->attrs[i];

		if (a->ns != MD_NS_NONE)
			continue;
		if (!strcmp(a->name, "usage")) {
			if (!strcmp(a->value, "primary"))
				v->flags |= MD_V_PRIMARY;
		} else if (!strcmp(a->name, "authority")) {
			rc = set(c, &v->authority, a->value);
		} else if (!strcmp(a->name, "authorityURI")) {
			rc = set(c, &v->authority_uri, a->value);
		} else if (!strcmp(a->name, "valueURI")) {
			rc = set(c, &v->value_uri, a->value);
		} else if (!strcmp(a->name, "altRepGroup")) {
			rc = set(c, &v->group, a->value);
		} else if (!strcmp(a->name, "displayLabel")) {
			rc = set(c, &v->label, a->value);
		}
	}
	return rc;
}

static void
lost(struct md_rctx *c, const struct md_xnode *n, const char *where)
{
	md_rctx_warn(c, n->line,
		     "MODS <%s>%s%s has no place in the record; dropped",
		     n->name, where ? " in " : "", where ? where : "");
}

static int
add(struct vl_buf *b, const char *sep, const char *s)
{
	int rc = 0;

	if (!s || !*s)
		return 0;
	if (b->len && sep)
		rc = vl_buf_adds(b, sep);
	return rc < 0 ? rc : vl_buf_adds(b, s);
}

/* ---- titleInfo ---- */

/* The DC form of a titleInfo: nonSort title : subTitle. partNumber.
 * partName (LoC order); parts get every child if part != NULL. */
static int
compose_title(struct md_rctx *c, const struct md_xnode *ti, struct vl_buf *out,
	      struct md_value *parts)
{
	static const char *const order[] = { "nonSort",  "title",
					     "subTitle", "partNumber",
					     "partName", NULL };
	static const char *const seps[] = { NULL, NULL, ": ", ". ", ". " };
	const struct md_xnode *k;
	size_t i;
	int rc;

	for (i = 0; order[i]; i++) {
		for (k = ti->child; k; k = k->next) {
			const char *t;

			if (!md_x_is(k, MD_NS_MODS, order[i]))
				continue;
			if (!(t = text_of(c, k)))
				return VL_E_NOMEM;
			if (!*t)
				continue;
			if (i == 1 && out->len) {
				/* nonSort keeps its own trailing space or
				 * apostrophe ("L'"); else add one. */
				char last = out->buf[out->len - 1];

				if (last != ' ' && last != '\'' &&
				    last != '-' &&
				    (rc = vl_buf_addch(out, ' ')) < 0)
					return rc;
			} else if (out->len && seps[i] &&
				   (rc = vl_buf_adds(out, seps[i])) < 0) {
				return rc;
			}
			if ((rc = vl_buf_adds(out, t)) < 0)
				return rc;
		}
	}
	if (!parts)
		return 0;
	for (k = ti->child; k; k = k->next) {
		const char *t;

		if (k->ns != MD_NS_MODS) {
			lost(c, k, "titleInfo");
			continue;
		}
		if (!(t = text_of(c, k)) ||
		    !md_rec_part(c->rec, parts, k->name, NULL, t))
			return VL_E_NOMEM;
	}
	return 0;
}

static int
read_title(struct md_rctx *c, const struct md_xnode *n)
{
	struct vl_buf b = VL_BUF_INIT;
	const char *type = md_x_attr(n, MD_NS_NONE, "type");
	const char *supplied = md_x_attr(n, MD_NS_NONE, "supplied");
	enum md_term term = MD_T_NONE;
	struct md_value *v;
	int rc = VL_E_NOMEM;

	if (type && (!strcmp(type, "alternative") ||
		     !strcmp(type, "abbreviated") || !strcmp(type, "uniform")))
		term = MD_T_ALTERNATIVE;
	if ((rc = compose_title(c, n, &b, NULL)) < 0)
		goto out;
	if (!b.len) {
		md_rctx_problem(c, n->line, "MODS <titleInfo> without a title");
		rc = 0;
		goto out;
	}
	rc = VL_E_NOMEM;
	if (!(v = push(c, MD_E_TITLE, term, b.buf, n)) ||
	    set_common(c, v, n) < 0 || set_lang(c, v, n) < 0 ||
	    set(c, &v->type, type) < 0)
		goto out;
	if (supplied && !strcmp(supplied, "yes"))
		v->flags |= MD_V_SUPPLIED;
	/* Keep the parts unless the title is a lone <title>. */
	if (md_x_count(n) > 1 || !n->child ||
	    !md_x_is(n->child, MD_NS_MODS, "title")) {
		vl_buf_reset(&b);
		if ((rc = compose_title(c, n, &b, v)) < 0)
			goto out;
	}
	rc = 0;
out:
	vl_buf_release(&b);
	return rc;
}

/* ---- name ---- */

static int
compose_name(struct md_rctx *c, const struct md_xnode *n, struct vl_buf *out)
{
	static const char *const order[] = { NULL, "family", "given",
					     "termsOfAddress", "date" };
	const char *type = md_x_attr(n, MD_NS_NONE, "type");
	const char *usep = type && (!strcmp(type, "corporate") ||
				    !strcmp(type, "conference"))
				   ? ". "
				   : ", ";
	const struct md_xnode *k;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		for (k = n->child; k; k = k->next) {
			const char *pt = md_x_attr(k, MD_NS_NONE, "type");
			const char *t;

			if (!md_x_is(k, MD_NS_MODS, "namePart"))
				continue;
			if (order[i] ? !pt || strcmp(pt, order[i]) != 0
				     : pt && (!strcmp(pt, "family") ||
					      !strcmp(pt, "given") ||
					      !strcmp(pt, "termsOfAddress") ||
					      !strcmp(pt, "date")))
				continue;
			if (!(t = text_of(c, k)))
				return VL_E_NOMEM;
			if ((rc = add(out, i ? ", " : usep, t)) < 0)
				return rc;
		}
	if (!out->len)
		for (k = n->child; k; k = k->next)
			if (md_x_is(k, MD_NS_MODS, "displayForm")) {
				const char *t = text_of(c, k);

				if (!t)
					return VL_E_NOMEM;
				if (*t)
					return vl_buf_adds(out, t);
			}
	return 0;
}

static int
read_roles(struct md_rctx *c, struct md_value *v, const struct md_xnode *n,
	   int *creator)
{
	const struct md_xnode *role, *k;

	for (role = n->child; role; role = role->next) {
		const char *code = NULL, *text = NULL;

		if (!md_x_is(role, MD_NS_MODS, "role"))
			continue;
		for (k = role->child; k; k = k->next) {
			const char *t = md_x_attr(k, MD_NS_NONE, "type");
			const char *s;

			if (!md_x_is(k, MD_NS_MODS, "roleTerm"))
				continue;
			if (!(s = text_of(c, k)))
				return VL_E_NOMEM;
			if (!*s)
				continue;
			if ((t && !strcmp(t, "code")) ||
			    (!t && md_relator_term(s)))
				code = code ? code : s;
			else
				text = text ? text : s;
		}
		if (!code && text)
			code = md_relator_code(text);
		if (!code && !text)
			continue;
		if (md_relator_is_creator(code) ||
		    (text && md_ieq(text, "creator")))
			*creator = 1;
		if (md_value_add_role(c->rec, v, code, text) < 0)
			return VL_E_NOMEM;
	}
	return 0;
}

/* A name as a value of element e (creator/contributor, or a subject);
 * *out is NULL when the name has no text. */
static int
read_name_value(struct md_rctx *c, const struct md_xnode *n, enum md_element e,
		int *creator, struct md_value **out)
{
	struct vl_buf b = VL_BUF_INIT;
	const struct md_xnode *k;
	struct md_value *v;
	int rc = VL_E_NOMEM;

	*creator = 0;
	*out = NULL;
	if (compose_name(c, n, &b) < 0)
		goto out;
	rc = 0;
	if (!b.len) {
		md_rctx_problem(c, n->line, "MODS <name> without a namePart");
		goto out;
	}
	rc = VL_E_NOMEM;
	if (!(v = push(c, e, MD_T_NONE, b.buf, n)) || set_common(c, v, n) < 0 ||
	    set_lang(c, v, n) < 0 ||
	    set(c, &v->type, md_x_attr(n, MD_NS_NONE, "type")) < 0 ||
	    read_roles(c, v, n, creator) < 0)
		goto out;
	for (k = n->child; k; k = k->next) {
		const char *t;

		if (md_x_is(k, MD_NS_MODS, "role"))
			continue;
		if (k->ns != MD_NS_MODS || md_x_is(k, MD_NS_MODS, "etal") ||
		    md_x_is(k, MD_NS_MODS, "alternativeName")) {
			lost(c, k, "name");
			continue;
		}
		if (!(t = text_of(c, k)) ||
		    !md_rec_part(c->rec, v, k->name,
				 md_x_attr(k, MD_NS_NONE, "type"), t))
			goto out;
	}
	*out = v;
	rc = 0;
out:
	vl_buf_release(&b);
	return rc;
}

static int
read_name(struct md_rctx *c, const struct md_xnode *n)
{
	struct md_value *v;
	int creator, rc;

	if ((rc = read_name_value(c, n, MD_E_CONTRIBUTOR, &creator, &v)) < 0)
		return rc;
	if (v && creator)
		v->element = MD_E_CREATOR;
	return 0;
}

/* ---- originInfo ---- */

static int
date_value(struct md_rctx *c, const struct md_xnode *d,
	   const struct md_xnode *end)
{
	const char *type = md_x_attr(d, MD_NS_NONE, "type");
	const char *key = md_x_attr(d, MD_NS_NONE, "keyDate");
	const char *t, *t2 = NULL;
	struct md_value *v;
	enum md_term term;
	struct vl_buf b = VL_BUF_INIT;
	int rc = VL_E_NOMEM;

	term = md_mods_date_term(d->name, &type);
	if (!(t = text_of(c, d)) || (end && !(t2 = text_of(c, end))))
		goto out;
	if (!*t && !(t2 && *t2)) {
		rc = 0;
		goto out;
	}
	/* A start/end pair is one value "start/end" (an EDTF interval,
	 * ISO 8601-2; LoC writes "start-end", ambiguous with full dates). */
	if (end) {
		if (vl_buf_adds(&b, t) < 0 || vl_buf_addch(&b, '/') < 0 ||
		    vl_buf_adds(&b, t2) < 0)
			goto out;
		t = b.buf;
	}
	if (!(v = push(c, MD_E_DATE, term, t, d)) ||
	    set(c, &v->type, type) < 0 ||
	    set(c, &v->scheme, md_x_attr(d, MD_NS_NONE, "encoding")) < 0 ||
	    set(c, &v->qualifier, md_x_attr(d, MD_NS_NONE, "qualifier")) < 0)
		goto out;
	if (key && !strcmp(key, "yes"))
		v->flags |= MD_V_KEY_DATE;
	if (end) {
		if (!md_rec_part(c->rec, v, d->name, "start", text_of(c, d)) ||
		    !md_rec_part(c->rec, v, end->name, "end", t2))
			goto out;
	} else if (set(c, &v->point, md_x_attr(d, MD_NS_NONE, "point")) < 0) {
		goto out;
	}
	if (md_x_attr(d, MD_NS_NONE, "calendar"))
		md_rctx_warn(c, d->line, "MODS date @calendar dropped");
	rc = 0;
out:
	vl_buf_release(&b);
	return rc;
}

static int
is_date(const struct md_xnode *k)
{
	return k->ns == MD_NS_MODS && (!strcmp(k->name, "dateIssued") ||
				       !strcmp(k->name, "dateCreated") ||
				       !strcmp(k->name, "dateCaptured") ||
				       !strcmp(k->name, "dateValid") ||
				       !strcmp(k->name, "dateModified") ||
				       !strcmp(k->name, "copyrightDate") ||
				       !strcmp(k->name, "dateOther"));
}

static int
point_is(const struct md_xnode *k, const char *p)
{
	const char *v = md_x_attr(k, MD_NS_NONE, "point");

	return v && !strcmp(v, p);
}

static int
read_origin(struct md_rctx *c, const struct md_xnode *n)
{
	const struct md_xnode *k, *pl;
	/* An index: pushing dates may move the values array. */
	size_t first_pub = (size_t)-1;
	int places = 0, rc;

	for (k = n->child; k; k = k->next) {
		if (md_x_is(k, MD_NS_MODS, "publisher")) {
			const char *t = text_of(c, k);
			struct md_value *v;

			if (!t)
				return VL_E_NOMEM;
			if (!*t)
				continue;
			if (!(v = push_ref(c, MD_E_PUBLISHER, MD_T_NONE, t,
					   k)) ||
			    set_common(c, v, k) < 0 || set_lang(c, v, k) < 0)
				return VL_E_NOMEM;
			if (first_pub == (size_t)-1)
				first_pub = (size_t)(v - c->rec->values);
		} else if (is_date(k)) {
			const struct md_xnode *end = NULL;

			if (point_is(k, "start") && k->next &&
			    !strcmp(k->next->name, k->name) &&
			    k->next->ns == MD_NS_MODS &&
			    point_is(k->next, "end"))
				end = k->next;
			if ((rc = date_value(c, k, end)) < 0)
				return rc;
			if (end)
				k = end;
		} else if (md_x_is(k, MD_NS_MODS, "place")) {
			places++;
		} else {
			lost(c, k, "originInfo");
		}
	}
	/* Places of publication ride with the first publisher (MODS only;
	 * LoC maps no place to DC). */
	for (k = n->child; k; k = k->next) {
		if (!md_x_is(k, MD_NS_MODS, "place"))
			continue;
		for (pl = k->child; pl; pl = pl->next) {
			const char *type = md_x_attr(pl, MD_NS_NONE, "type");
			const char *t;
			struct md_part *p;

			if (!md_x_is(pl, MD_NS_MODS, "placeTerm"))
				continue;
			if (first_pub == (size_t)-1 ||
			    (type && !strcmp(type, "code"))) {
				lost(c, pl,
				     first_pub != (size_t)-1
					     ? "place (coded)"
					     : "place without a "
					       "publisher");
				continue;
			}
			if (!(t = text_of(c, pl)) ||
			    !(p = md_rec_part(c->rec,
					      &c->rec->values[first_pub],
					      "placeTerm", NULL, t)) ||
			    set(c, &p->authority,
				md_x_attr(pl, MD_NS_NONE, "authority")) < 0 ||
			    set(c, &p->value_uri,
				md_x_attr(pl, MD_NS_NONE, "valueURI")) < 0)
				return VL_E_NOMEM;
		}
	}
	(void)places;
	return 0;
}

/* ---- language ---- */

static int
read_language(struct md_rctx *c, const struct md_xnode *n)
{
	const struct md_xnode *k;
	const char *best = NULL, *text = NULL, *script = NULL;
	unsigned long line = n->line;
	int rank = 0;
	struct md_value *v;

	for (k = n->child; k; k = k->next) {
		const char *type = md_x_attr(k, MD_NS_NONE, "type");
		const char *auth = md_x_attr(k, MD_NS_NONE, "authority");
		const char *t = text_of(c, k), *canon = NULL;
		int r = 0;

		if (!t)
			return VL_E_NOMEM;
		if (md_x_is(k, MD_NS_MODS, "scriptTerm")) {
			if (type && !strcmp(type, "code") && *t)
				script = md_rctx_script(c, t, k->line);
			continue;
		}
		if (!md_x_is(k, MD_NS_MODS, "languageTerm")) {
			lost(c, k, "language");
			continue;
		}
		if (!*t)
			continue;
		if (type && !strcmp(type, "text")) {
			text = text ? text : t;
			continue;
		}
		if (auth &&
		    (!strcmp(auth, "rfc5646") || !strcmp(auth, "rfc4646") ||
		     !strcmp(auth, "rfc3066") || !strcmp(auth, "bcp47"))) {
			canon = md_rctx_lang(c, t, k->line, "languageTerm");
			r = 3;
		} else if (auth && !strcmp(auth, "iso639-3")) {
			if (!md_iso639_exists(MD_639_3, t))
				md_rctx_problem(c, k->line,
						"'%s' is not an ISO 639-3 code",
						t);
			canon = md_rctx_lang(c, t, 0, NULL);
			r = 2;
		} else {
			canon = md_rctx_lang_639b(c, t, k->line);
			r = 1;
		}
		if (canon && r > rank) {
			best = canon;
			rank = r;
			line = k->line;
		}
	}
	if (!best && !text) {
		md_rctx_problem(c, n->line,
				"MODS <language> without a usable "
				"languageTerm");
		return 0;
	}
	if (!(v = push(c, MD_E_LANGUAGE, MD_T_NONE, best ? best : text, n)))
		return VL_E_NOMEM;
	v->line = line;
	v->script = script;
	if (best)
		v->scheme = "RFC5646";
	else if (set(c, &v->type, "text") < 0)
		return VL_E_NOMEM;
	if (md_x_attr(n, MD_NS_NONE, "objectPart"))
		md_rctx_warn(c, n->line, "MODS language @objectPart dropped");
	return 0;
}

/* ---- physicalDescription ---- */

static int
read_physical(struct md_rctx *c, const struct md_xnode *n)
{
	const struct md_xnode *k;

	for (k = n->child; k; k = k->next) {
		enum md_term term;
		struct md_value *v;
		const char *t;

		if (md_x_is(k, MD_NS_MODS, "internetMediaType"))
			term = MD_T_NONE;
		else if (md_x_is(k, MD_NS_MODS, "extent"))
			term = MD_T_EXTENT;
		else if (md_x_is(k, MD_NS_MODS, "form"))
			term = MD_T_MEDIUM;
		else {
			lost(c, k, "physicalDescription");
			continue;
		}
		if (!(t = text_of(c, k)))
			return VL_E_NOMEM;
		if (!*t)
			continue;
		if (!(v = push_ref(c, MD_E_FORMAT, term, t, k)) ||
		    set_common(c, v, k) < 0 ||
		    set(c, &v->type, md_x_attr(k, MD_NS_NONE, "type")) < 0)
			return VL_E_NOMEM;
		if (term == MD_T_NONE)
			v->scheme = "IMT";
		else if (set_lang(c, v, k) < 0)
			return VL_E_NOMEM;
		if (md_x_attr(k, MD_NS_NONE, "unit"))
			md_rctx_warn(c, k->line, "MODS extent @unit dropped");
	}
	return 0;
}

/* ---- subject ---- */

static int
is_hier_part(const struct md_xnode *k)
{
	static const char *const names[] = {
		"continent",   "country",   "province", "region",
		"state",       "territory", "county",   "city",
		"citySection", "island",    "area",     "extraterrestrialArea",
		NULL,
	};
	size_t i;

	for (i = 0; names[i]; i++)
		if (md_x_is(k, MD_NS_MODS, names[i]))
			return 1;
	return 0;
}

/* A component value (geographic, temporal, genre) of subject s. */
static struct md_value *
component(struct md_rctx *c, const struct md_xnode *s, const struct md_xnode *k,
	  enum md_element e, enum md_term t, const char *text)
{
	struct md_value *v = push(c, e, t, text, k);
	const char *auth = md_x_attr(k, MD_NS_NONE, "authority");

	if (!v || set_common(c, v, k) < 0 || set_lang(c, v, k) < 0)
		return NULL;
	if (!auth &&
	    (set(c, &v->authority, md_x_attr(s, MD_NS_NONE, "authority")) < 0 ||
	     set(c, &v->authority_uri,
		 md_x_attr(s, MD_NS_NONE, "authorityURI")) < 0))
		return NULL;
	return v;
}

static int
read_hier(struct md_rctx *c, const struct md_xnode *s, const struct md_xnode *h)
{
	struct vl_buf b = VL_BUF_INIT;
	const struct md_xnode *k;
	struct md_value *v;
	int rc = VL_E_NOMEM;

	for (k = h->child; k; k = k->next) {
		const char *t = text_of(c, k);

		if (!t || add(&b, JOIN, t) < 0)
			goto out;
	}
	rc = 0;
	if (!b.len)
		goto out;
	rc = VL_E_NOMEM;
	if (!(v = component(c, s, h, MD_E_COVERAGE, MD_T_SPATIAL, b.buf)))
		goto out;
	for (k = h->child; k; k = k->next) {
		struct md_part *p;

		if (!is_hier_part(k)) {
			lost(c, k, "hierarchicalGeographic");
			continue;
		}
		if (!(p = md_rec_part(c->rec, v, k->name,
				      md_x_attr(k, MD_NS_NONE, "level"),
				      text_of(c, k))))
			goto out;
	}
	if (!md_rec_part(c->rec, v, "hierarchicalGeographic", NULL, ""))
		goto out;
	rc = 0;
out:
	vl_buf_release(&b);
	return rc;
}

/* Topical components of subject s: one dc:subject joined with "--". */
static int
read_topical(struct md_rctx *c, const struct md_xnode *s,
	     const struct md_xnode *const *topical, size_t ntop)
{
	struct vl_buf b = VL_BUF_INIT;
	const struct md_xnode *k;
	struct md_value *v;
	size_t i;
	int rc = 0;

	if (!ntop)
		return 0;
	rc = VL_E_NOMEM;
	vl_buf_reset(&b);
	for (i = 0; i < ntop; i++) {
		struct vl_buf nb = VL_BUF_INIT;
		const char *t;

		k = topical[i];
		if (!strcmp(k->name, "name"))
			rc = compose_name(c, k, &nb);
		else if (!strcmp(k->name, "titleInfo"))
			rc = compose_title(c, k, &nb, NULL);
		else
			rc = (t = text_of(c, k)) ? vl_buf_adds(&nb, t)
						 : VL_E_NOMEM;
		if (rc < 0 || add(&b, JOIN, nb.buf) < 0) {
			vl_buf_release(&nb);
			rc = VL_E_NOMEM;
			goto out;
		}
		vl_buf_release(&nb);
	}
	rc = 0;
	if (!b.len)
		goto out;
	rc = VL_E_NOMEM;
	if (!(v = push(c, MD_E_SUBJECT, MD_T_NONE, b.buf, s)) ||
	    set_common(c, v, s) < 0 || set_lang(c, v, s) < 0)
		goto out;
	if (ntop == 1 && !strcmp(topical[0]->name, "topic") &&
	    !md_x_attr(topical[0], MD_NS_NONE, "authority") &&
	    !md_x_attr(topical[0], MD_NS_XML, "lang") &&
	    !md_x_attr(topical[0], MD_NS_NONE, "lang") &&
	    (!v->value_uri || !md_x_attr(topical[0], MD_NS_NONE, "valueURI"))) {
		/* a lone topic: its valueURI is the heading's */
		if (!v->value_uri &&
		    set(c, &v->value_uri,
			md_x_attr(topical[0], MD_NS_NONE, "valueURI")) < 0)
			goto out;
		rc = 0;
		goto out;
	}
	for (i = 0; i < ntop; i++) {
		struct vl_buf nb = VL_BUF_INIT;
		struct md_part *p;
		const char *t;

		k = topical[i];
		if (!strcmp(k->name, "name"))
			rc = compose_name(c, k, &nb);
		else if (!strcmp(k->name, "titleInfo"))
			rc = compose_title(c, k, &nb, NULL);
		else
			rc = (t = text_of(c, k)) ? vl_buf_adds(&nb, t)
						 : VL_E_NOMEM;
		p = rc < 0 ? NULL
			   : md_rec_part(c->rec, v, k->name,
					 md_x_attr(k, MD_NS_NONE, "type"),
					 nb.buf);
		vl_buf_release(&nb);
		if (!p ||
		    set(c, &p->authority,
			md_x_attr(k, MD_NS_NONE, "authority")) < 0 ||
		    set(c, &p->value_uri,
			md_x_attr(k, MD_NS_NONE, "valueURI")) < 0) {
			rc = VL_E_NOMEM;
			goto out;
		}
		if (md_x_attr(k, MD_NS_XML, "lang") ||
		    md_x_attr(k, MD_NS_NONE, "lang")) {
			struct md_value tmp = { 0 };

			if (set_lang(c, &tmp, k) < 0)
				goto out;
			p->lang = tmp.lang;
		}
	}
	rc = 0;
out:
	vl_buf_release(&b);
	return rc;
}

static int
read_subject(struct md_rctx *c, const struct md_xnode *s)
{
	const struct md_xnode *k, *topical[64];
	size_t ntop = 0;
	struct vl_buf b = VL_BUF_INIT;
	struct md_value *v;
	int rc = VL_E_NOMEM;

	for (k = s->child; k; k = k->next)
		if (k->ns == MD_NS_MODS &&
		    (!strcmp(k->name, "topic") ||
		     !strcmp(k->name, "occupation") ||
		     !strcmp(k->name, "name") ||
		     !strcmp(k->name, "titleInfo")) &&
		    ntop < sizeof(topical) / sizeof(topical[0]))
			topical[ntop++] = k;
	if ((rc = read_topical(c, s, topical, ntop)) < 0)
		goto out;
	for (k = s->child; k; k = k->next) {
		const char *t;

		if (k->ns != MD_NS_MODS) {
			lost(c, k, "subject");
			continue;
		}
		if (!strcmp(k->name, "topic") ||
		    !strcmp(k->name, "occupation") ||
		    !strcmp(k->name, "name") || !strcmp(k->name, "titleInfo"))
			continue;
		if (!strcmp(k->name, "hierarchicalGeographic")) {
			if ((rc = read_hier(c, s, k)) < 0)
				goto out;
			continue;
		}
		if (!strcmp(k->name, "geographicCode")) {
			lost(c, k, "subject");
			continue;
		}
		if (!strcmp(k->name, "cartographics")) {
			const struct md_xnode *cc;

			for (cc = k->child; cc; cc = cc->next) {
				if (!md_x_is(cc, MD_NS_MODS, "coordinates")) {
					lost(c, cc, "cartographics");
					continue;
				}
				if (!(t = text_of(c, cc)))
					goto out;
				if (*t &&
				    (!(v = component(c, s, cc, MD_E_COVERAGE,
						     MD_T_SPATIAL, t)) ||
				     !md_rec_part(c->rec, v, "coordinates",
						  NULL, t)))
					goto out;
			}
			continue;
		}
		if (!(t = text_of(c, k)))
			goto out;
		if (!*t)
			continue;
		if (!strcmp(k->name, "geographic")) {
			if (!component(c, s, k, MD_E_COVERAGE, MD_T_SPATIAL, t))
				goto out;
		} else if (!strcmp(k->name, "temporal")) {
			const struct md_xnode *end = NULL;

			if (point_is(k, "start") && k->next &&
			    md_x_is(k->next, MD_NS_MODS, "temporal") &&
			    point_is(k->next, "end"))
				end = k->next;
			const char *t2 = end ? text_of(c, end) : "";

			vl_buf_reset(&b);
			if (!t2 || vl_buf_adds(&b, t) < 0 ||
			    (end && (vl_buf_addch(&b, '/') < 0 ||
				     vl_buf_adds(&b, t2) < 0)))
				goto out;
			if (!(v = component(c, s, k, MD_E_COVERAGE,
					    MD_T_TEMPORAL, b.buf)) ||
			    set(c, &v->scheme,
				md_x_attr(k, MD_NS_NONE, "encoding")) < 0)
				goto out;
			v->lang = v->script = NULL; /* a date, not text */
			if (end) {
				if (!md_rec_part(c->rec, v, "temporal", "start",
						 t) ||
				    !md_rec_part(c->rec, v, "temporal", "end",
						 t2))
					goto out;
				k = end;
			} else if (set(c, &v->point,
				       md_x_attr(k, MD_NS_NONE, "point")) < 0) {
				goto out;
			}
		} else if (!strcmp(k->name, "genre")) {
			if (!component(c, s, k, MD_E_TYPE, MD_T_NONE, t))
				goto out;
		} else {
			lost(c, k, "subject");
		}
	}
	rc = 0;
out:
	vl_buf_release(&b);
	return rc;
}

static int
read_classification(struct md_rctx *c, const struct md_xnode *n)
{
	const char *t = text_of(c, n);
	struct md_value *v;

	if (!t)
		return VL_E_NOMEM;
	if (!*t)
		return 0;
	if (!(v = push_ref(c, MD_E_SUBJECT, MD_T_NONE, t, n)) ||
	    set_common(c, v, n) < 0 || set_lang(c, v, n) < 0 ||
	    !md_rec_part(c->rec, v, "classification", NULL, t))
		return VL_E_NOMEM;
	if (md_x_attr(n, MD_NS_NONE, "edition"))
		md_rctx_warn(c, n->line,
			     "MODS classification @edition dropped");
	return 0;
}

/* ---- relatedItem ---- */

static int
read_related(struct md_rctx *c, const struct md_xnode *n)
{
	const char *type = md_x_attr(n, MD_NS_NONE, "type");
	const char *href = md_x_attr(n, MD_NS_XLINK, "href");
	struct vl_buf b = VL_BUF_INIT, title = VL_BUF_INIT;
	const struct md_xnode *k, *u, *ti = NULL;
	struct md_value *v;
	int rc = VL_E_NOMEM, other = 0;

	for (k = n->child; k; k = k->next) {
		if (md_x_is(k, MD_NS_MODS, "titleInfo")) {
			if (!ti) {
				ti = k;
				if (compose_title(c, k, &title, NULL) < 0 ||
				    add(&b, JOIN, title.buf) < 0)
					goto out;
			} else {
				other++;
			}
		} else if (md_x_is(k, MD_NS_MODS, "identifier")) {
			if (add(&b, JOIN, text_of(c, k)) < 0)
				goto out;
		} else if (md_x_is(k, MD_NS_MODS, "location")) {
			for (u = k->child; u; u = u->next)
				if (md_x_is(u, MD_NS_MODS, "url") &&
				    add(&b, JOIN, text_of(c, u)) < 0)
					goto out;
				else if (!md_x_is(u, MD_NS_MODS, "url"))
					other++;
		} else {
			other++;
		}
	}
	if (other)
		md_rctx_warn(c, n->line,
			     "MODS <relatedItem>: only its first title, its "
			     "identifiers and URLs are kept");
	if (!b.len && href && vl_buf_adds(&b, href) < 0)
		goto out;
	rc = 0;
	if (!b.len) {
		md_rctx_problem(c, n->line, "empty MODS <relatedItem>");
		goto out;
	}
	rc = VL_E_NOMEM;
	if (type && !strcmp(type, "original"))
		v = push(c, MD_E_SOURCE, MD_T_NONE, b.buf, n);
	else
		v = push(c, MD_E_RELATION, md_related_type_to_term(type), b.buf,
			 n);
	if (!v || set(c, &v->type, type) < 0 || set(c, &v->href, href) < 0 ||
	    set(c, &v->label, md_x_attr(n, MD_NS_NONE, "displayLabel")) < 0)
		goto out;
	if (ti && set_lang(c, v, ti) < 0)
		goto out;
	for (k = n->child; k; k = k->next) {
		if (k == ti) {
			if (!md_rec_part(c->rec, v, "titleInfo", NULL,
					 title.buf))
				goto out;
		} else if (md_x_is(k, MD_NS_MODS, "identifier")) {
			if (!md_rec_part(c->rec, v, "identifier",
					 md_x_attr(k, MD_NS_NONE, "type"),
					 text_of(c, k)))
				goto out;
		} else if (md_x_is(k, MD_NS_MODS, "location")) {
			for (u = k->child; u; u = u->next)
				if (md_x_is(u, MD_NS_MODS, "url") &&
				    !md_rec_part(c->rec, v, "url", NULL,
						 text_of(c, u)))
					goto out;
		}
	}
	rc = 0;
out:
	vl_buf_release(&b);
	vl_buf_release(&title);
	return rc;
}

/* ---- the rest ---- */

static int
read_identifier(struct md_rctx *c, const struct md_xnode *n)
{
	const char *t = text_of(c, n);
	const char *inv = md_x_attr(n, MD_NS_NONE, "invalid");
	struct md_value *v;

	if (!t)
		return VL_E_NOMEM;
	if (!*t)
		return 0;
	if (!(v = push_ref(c, MD_E_IDENTIFIER, MD_T_NONE, t, n)) ||
	    set(c, &v->type, md_x_attr(n, MD_NS_NONE, "type")) < 0 ||
	    set(c, &v->label, md_x_attr(n, MD_NS_NONE, "displayLabel")) < 0)
		return VL_E_NOMEM;
	if (inv && !strcmp(inv, "yes"))
		v->flags |= MD_V_INVALID;
	return 0;
}

static int
read_location(struct md_rctx *c, const struct md_xnode *n)
{
	const struct md_xnode *k;

	for (k = n->child; k; k = k->next) {
		struct md_value *v;
		const char *t, *usage;

		if (!md_x_is(k, MD_NS_MODS, "url")) {
			lost(c, k, "location");
			continue;
		}
		if (!(t = text_of(c, k)))
			return VL_E_NOMEM;
		if (!*t)
			continue;
		if (!(v = push_ref(c, MD_E_IDENTIFIER, MD_T_NONE, t, k)) ||
		    set(c, &v->type, md_x_attr(k, MD_NS_NONE, "access")) < 0 ||
		    set(c, &v->label,
			md_x_attr(k, MD_NS_NONE, "displayLabel")) < 0)
			return VL_E_NOMEM;
		v->flags |= MD_V_LOCATION;
		usage = md_x_attr(k, MD_NS_NONE, "usage");
		if (usage && !strcmp(usage, "primary display"))
			v->flags |= MD_V_PRIMARY;
	}
	return 0;
}

static int
read_access(struct md_rctx *c, const struct md_xnode *n)
{
	const char *type = md_x_attr(n, MD_NS_NONE, "type");
	const char *href = md_x_attr(n, MD_NS_XLINK, "href");
	const char *label = md_x_attr(n, MD_NS_NONE, "displayLabel");
	const char *t = text_of(c, n);
	enum md_term term = MD_T_NONE;
	struct md_value *v;

	if (!t)
		return VL_E_NOMEM;
	if (n->child)
		md_rctx_warn(c, n->line,
			     "structured content of MODS <accessCondition> "
			     "dropped");
	if (!*t && href)
		t = href;
	if (!*t)
		return 0;
	if (type && (!strcmp(type, "restriction on access") ||
		     !strcmp(type, "restrictionOnAccess")))
		term = MD_T_ACCESS_RIGHTS;
	else if (label &&
		 (md_ieq(label, "license") || md_ieq(label, "licence")))
		term = MD_T_LICENSE;
	if (!(v = push(c, MD_E_RIGHTS, term, t, n)) ||
	    set_common(c, v, n) < 0 || set_lang(c, v, n) < 0 ||
	    set(c, &v->type, type) < 0 || set(c, &v->href, href) < 0)
		return VL_E_NOMEM;
	return 0;
}

static int
read_note_like(struct md_rctx *c, const struct md_xnode *n, enum md_term t0)
{
	const char *type = md_x_attr(n, MD_NS_NONE, "type");
	const char *t = text_of(c, n);
	enum md_element e = MD_E_DESCRIPTION;
	enum md_term term = t0;
	struct md_value *v;

	if (!t)
		return VL_E_NOMEM;
	if (!*t)
		return 0;
	if (t0 == MD_T_NONE && type && !strcmp(type, "preferred citation")) {
		e = MD_E_IDENTIFIER;
		term = MD_T_BIBLIOGRAPHIC_CITATION;
	} else if (t0 == MD_T_NONE && type && !strcmp(type, "ownership")) {
		term = MD_T_PROVENANCE;
	}
	if (!(v = push_ref(c, e, term, t, n)) || set_common(c, v, n) < 0 ||
	    set_lang(c, v, n) < 0 || set(c, &v->type, type) < 0 ||
	    set(c, &v->href, md_x_attr(n, MD_NS_XLINK, "href")) < 0)
		return VL_E_NOMEM;
	return 0;
}

static int
read_type(struct md_rctx *c, const struct md_xnode *n, int tor)
{
	const char *t = text_of(c, n);
	const char *coll = md_x_attr(n, MD_NS_NONE, "collection");
	const char *ms = md_x_attr(n, MD_NS_NONE, "manuscript");
	struct md_value *v;

	if (!t)
		return VL_E_NOMEM;
	if (!*t && !(tor && coll && !strcmp(coll, "yes")))
		return 0;
	if (!(v = push_ref(c, MD_E_TYPE, MD_T_NONE, t, n)) ||
	    set_common(c, v, n) < 0 ||
	    set(c, &v->type, md_x_attr(n, MD_NS_NONE, "type")) < 0)
		return VL_E_NOMEM;
	if (tor) {
		v->scheme = "typeOfResource";
		if (coll && !strcmp(coll, "yes"))
			v->flags |= MD_V_COLLECTION;
		if (ms && !strcmp(ms, "yes"))
			v->flags |= MD_V_MANUSCRIPT;
		if (*t && !md_tor_to_dcmi(t) && !md_ieq(t, "mixed material"))
			md_rctx_problem(c, n->line,
					"typeOfResource '%s' is not a MODS 3 "
					"value; no DCMI type derives from it",
					t);
		return 0;
	}
	if (set_lang(c, v, n) < 0)
		return VL_E_NOMEM;
	if (v->authority && !strcmp(v->authority, "dct") && md_is_dcmi_type(t))
		v->scheme = "DCMIType";
	return 0;
}

static int
read_audience(struct md_rctx *c, const struct md_xnode *n)
{
	const char *t = text_of(c, n);
	struct md_value *v;

	if (!t)
		return VL_E_NOMEM;
	if (!*t)
		return 0;
	if (!(v = push_ref(c, MD_E_NONE, MD_T_AUDIENCE, t, n)) ||
	    set_common(c, v, n) < 0 || set_lang(c, v, n) < 0)
		return VL_E_NOMEM;
	return 0;
}

static int
read_abstract(struct md_rctx *c, const struct md_xnode *n)
{
	return read_note_like(c, n, MD_T_ABSTRACT);
}

static int
read_toc(struct md_rctx *c, const struct md_xnode *n)
{
	return read_note_like(c, n, MD_T_TABLE_OF_CONTENTS);
}

static int
read_note(struct md_rctx *c, const struct md_xnode *n)
{
	return read_note_like(c, n, MD_T_NONE);
}

static int
read_tor(struct md_rctx *c, const struct md_xnode *n)
{
	return read_type(c, n, 1);
}

static int
read_genre(struct md_rctx *c, const struct md_xnode *n)
{
	return read_type(c, n, 0);
}

/* Top-level MODS elements the model keeps, in the order they usually
 * appear (the dispatch is a linear scan). */
static const struct {
	const char *name;
	int (*fn)(struct md_rctx *c, const struct md_xnode *n);
} readers[] = {
	{ "titleInfo", read_title },
	{ "name", read_name },
	{ "typeOfResource", read_tor },
	{ "genre", read_genre },
	{ "originInfo", read_origin },
	{ "language", read_language },
	{ "physicalDescription", read_physical },
	{ "abstract", read_abstract },
	{ "tableOfContents", read_toc },
	{ "note", read_note },
	{ "targetAudience", read_audience },
	{ "subject", read_subject },
	{ "classification", read_classification },
	{ "relatedItem", read_related },
	{ "identifier", read_identifier },
	{ "location", read_location },
	{ "accessCondition", read_access },
	{ NULL, NULL },
};

int
md_mods_read(struct md_rctx *c, const struct md_xnode *mods)
{
	const struct md_xnode *n;
	const char *ver = md_x_attr(mods, MD_NS_NONE, "version");
	int rc = 0;

	/* MODS 3.4 to 3.8 are read as they are; 3.0 to 3.3 mostly are. */
	if (ver && strlen(ver) == 3 && !strncmp(ver, "3.", 2) &&
	    ver[2] >= '0' && ver[2] <= '3')
		md_rctx_warn(c, mods->line,
			     "MODS version '%s' read as MODS 3.8", ver);
	else if (ver && !(strlen(ver) == 3 && !strncmp(ver, "3.", 2) &&
			  ver[2] >= '4' && ver[2] <= '8'))
		md_rctx_problem(c, mods->line,
				"MODS version '%s' is not a MODS 3 version",
				ver);
	for (n = mods->child; n && rc >= 0; n = n->next) {
		size_t i;

		if (n->ns != MD_NS_MODS) {
			md_rctx_warn(
				c, n->line,
				"element <%s> (namespace '%s') is not MODS; "
				"dropped",
				n->name, n->uri);
			continue;
		}
		for (i = 0; readers[i].name; i++)
			if (readers[i].name[0] == n->name[0] &&
			    !strcmp(readers[i].name, n->name))
				break;
		if (readers[i].name)
			rc = readers[i].fn(c, n);
		else
			lost(c, n, NULL); /* part, extension, recordInfo */
	}
	return rc < 0 ? rc : 0;
}
