/*
 * md_json.c - the record model as JSON (jansson), for `vellum metadata
 * show --format json` and scripts: {"title": main title, "values": [...]}
 * with one object per value holding only the fields that are set, in the
 * record's order.  Key order is fixed, so the bytes are deterministic.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "md_private.h"

static int
put(json_t *o, const char *k, const char *v)
{
	return v ? json_object_set_new(o, k, json_string(v)) : 0;
}

static json_t *
value_json(const struct md_value *v)
{
	json_t *o = json_object(), *a;
	size_t i;
	int rc = 0;

	if (!o)
		return NULL;
	rc |= put(o, "element", md_element_name(v->element));
	rc |= put(o, "term", md_term_name(v->term));
	rc |= put(o, "text", v->text);
	rc |= put(o, "lang", v->lang);
	rc |= put(o, "script", v->script);
	rc |= put(o, "transliteration", v->translit);
	rc |= put(o, "authority", v->authority);
	rc |= put(o, "authorityURI", v->authority_uri);
	rc |= put(o, "valueURI", v->value_uri);
	rc |= put(o, "scheme", v->scheme);
	rc |= put(o, "type", v->type);
	rc |= put(o, "point", v->point);
	rc |= put(o, "qualifier", v->qualifier);
	rc |= put(o, "href", v->href);
	rc |= put(o, "altRepGroup", v->group);
	rc |= put(o, "displayLabel", v->label);
	if (v->flags & MD_V_PRIMARY)
		rc |= json_object_set_new(o, "primary", json_true());
	if (v->flags & MD_V_KEY_DATE)
		rc |= json_object_set_new(o, "keyDate", json_true());
	if (v->flags & MD_V_COLLECTION)
		rc |= json_object_set_new(o, "collection", json_true());
	if (v->flags & MD_V_MANUSCRIPT)
		rc |= json_object_set_new(o, "manuscript", json_true());
	if (v->flags & MD_V_LOCATION)
		rc |= json_object_set_new(o, "location", json_true());
	if (v->flags & MD_V_INVALID)
		rc |= json_object_set_new(o, "invalid", json_true());
	if (v->flags & MD_V_SUPPLIED)
		rc |= json_object_set_new(o, "supplied", json_true());
	if (v->nroles) {
		a = json_array();
		for (i = 0; a && i < v->nroles; i++) {
			json_t *r = json_object();

			if (!r)
				break;
			put(r, "code", v->roles[i].code);
			put(r, "text", v->roles[i].text);
			json_array_append_new(a, r);
		}
		rc |= json_object_set_new(o, "roles", a);
	}
	if (v->nparts) {
		a = json_array();
		for (i = 0; a && i < v->nparts; i++) {
			const struct md_part *p = &v->parts[i];
			json_t *r = json_object();

			if (!r)
				break;
			put(r, "kind", p->kind);
			put(r, "type", p->type);
			put(r, "text", p->text);
			put(r, "authority", p->authority);
			put(r, "valueURI", p->value_uri);
			put(r, "lang", p->lang);
			json_array_append_new(a, r);
		}
		rc |= json_object_set_new(o, "parts", a);
	}
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
md_json_write(struct vl_buf *b, const struct md_record *r)
{
	json_t *o = json_object(), *values = json_array();
	const char *title = md_record_title(r);
	char *s = NULL;
	size_t i;
	int rc = VL_E_NOMEM;

	if (!o || !values)
		goto out;
	if (json_object_set_new(o, "title",
				title ? json_string(title) : json_null()) < 0)
		goto out;
	for (i = 0; i < r->nvalues; i++) {
		json_t *v = value_json(&r->values[i]);

		if (!v || json_array_append_new(values, v) < 0)
			goto out;
	}
	if (json_object_set(o, "values", values) < 0)
		goto out;
	if (!(s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER)))
		goto out;
	if ((rc = vl_buf_adds(b, s)) == 0)
		rc = vl_buf_addch(b, '\n');
out:
	free(s);
	json_decref(values);
	json_decref(o);
	return rc;
}
