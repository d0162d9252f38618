/*
 * bag_profile.c - BagIt Profiles 1.3 (https://bagit-profiles.github.io):
 * loading a profile (JSON, jansson) and checking a bag against it.
 *
 * Invariant: a loaded profile has been type-checked key by key, so the
 * checker may assume every present key has the documented JSON type.
 * Unknown keys are ignored, as the specification allows extensions.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "bag_impl.h"

struct bag_profile {
	json_t *root;
	char *path;
	const char *id;
};

static const struct {
	const char *key;
	json_type type;
} top_keys[] = {
	{ "BagIt-Profile-Info", JSON_OBJECT },
	{ "Bag-Info", JSON_OBJECT },
	{ "Manifests-Required", JSON_ARRAY },
	{ "Manifests-Allowed", JSON_ARRAY },
	{ "Tag-Manifests-Required", JSON_ARRAY },
	{ "Tag-Manifests-Allowed", JSON_ARRAY },
	{ "Tag-Files-Required", JSON_ARRAY },
	{ "Tag-Files-Allowed", JSON_ARRAY },
	{ "Payload-Files-Required", JSON_ARRAY },
	{ "Payload-Files-Allowed", JSON_ARRAY },
	{ "Accept-Serialization", JSON_ARRAY },
	{ "Accept-BagIt-Version", JSON_ARRAY },
	{ "Serialization", JSON_STRING },
};

static const char *const bool_keys[] = { "Allow-Fetch.txt",
					 "Fetch.txt-Required", "Data-Empty" };

static int
strings_only(const json_t *arr)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) if (!json_is_string(v)) return 0;
	return 1;
}

static int
check_bag_info_spec(json_t *bi, const char *path, struct vl_err *err)
{
	const char *label;
	json_t *spec;

	json_object_foreach(bi, label, spec)
	{
		json_t *v;

		if (!json_is_object(spec))
			return vl_err_set(err, VL_E_FORMAT,
					  "%s: Bag-Info '%s' is not an object",
					  path, label);
		if ((v = json_object_get(spec, "required")) &&
		    !json_is_boolean(v))
			return vl_err_set(err, VL_E_FORMAT,
					  "%s: Bag-Info '%s' required is not "
					  "true or false",
					  path, label);
		if ((v = json_object_get(spec, "repeatable")) &&
		    !json_is_boolean(v))
			return vl_err_set(err, VL_E_FORMAT,
					  "%s: Bag-Info '%s' repeatable is not "
					  "true or false",
					  path, label);
		if ((v = json_object_get(spec, "values")) &&
		    (!json_is_array(v) || !strings_only(v)))
			return vl_err_set(err, VL_E_FORMAT,
					  "%s: Bag-Info '%s' values is not a "
					  "list of strings",
					  path, label);
	}
	return 0;
}

int
bag_profile_load(struct bag_profile **out, const char *path, struct vl_err *err)
{
	struct bag_profile *p;
	json_error_t je;
	json_t *root, *info, *v;
	size_t i;
	int rc;

	*out = NULL;
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return vl_err_set(err, VL_E_FORMAT, "%s:%d: %s", path, je.line,
				  je.text);
	if (!json_is_object(root)) {
		rc = vl_err_set(err, VL_E_FORMAT,
				"%s: a profile is a JSON object", path);
		goto fail;
	}
	for (i = 0; i < sizeof(top_keys) / sizeof(top_keys[0]); i++) {
		v = json_object_get(root, top_keys[i].key);
		if (v && json_typeof(v) != top_keys[i].type) {
			rc = vl_err_set(err, VL_E_FORMAT,
					"%s: '%s' has the wrong JSON type",
					path, top_keys[i].key);
			goto fail;
		}
		if (v && json_is_array(v) && !strings_only(v)) {
			rc = vl_err_set(err, VL_E_FORMAT,
					"%s: '%s' is not a list of strings",
					path, top_keys[i].key);
			goto fail;
		}
	}
	for (i = 0; i < sizeof(bool_keys) / sizeof(bool_keys[0]); i++)
		if ((v = json_object_get(root, bool_keys[i])) &&
		    !json_is_boolean(v)) {
			rc = vl_err_set(err, VL_E_FORMAT,
					"%s: '%s' is not true or false", path,
					bool_keys[i]);
			goto fail;
		}
	if ((v = json_object_get(root, "Serialization")) &&
	    strcmp(json_string_value(v), "forbidden") != 0 &&
	    strcmp(json_string_value(v), "required") != 0 &&
	    strcmp(json_string_value(v), "optional") != 0) {
		rc = vl_err_set(err, VL_E_FORMAT,
				"%s: Serialization must be forbidden, required "
				"or optional",
				path);
		goto fail;
	}
	info = json_object_get(root, "BagIt-Profile-Info");
	v = info ? json_object_get(info, "BagIt-Profile-Identifier") : NULL;
	if (!v || !json_is_string(v)) {
		rc = vl_err_set(err, VL_E_FORMAT,
				"%s: BagIt-Profile-Info has no "
				"BagIt-Profile-Identifier",
				path);
		goto fail;
	}
	if ((v = json_object_get(root, "Bag-Info")) &&
	    (rc = check_bag_info_spec(v, path, err)) < 0)
		goto fail;
	if (!(p = calloc(1, sizeof(*p))) || !(p->path = strdup(path))) {
		free(p);
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto fail;
	}
	p->root = root;
	p->id = json_string_value(
		json_object_get(json_object_get(root, "BagIt-Profile-Info"),
				"BagIt-Profile-Identifier"));
	*out = p;
	return 0;
fail:
	json_decref(root);
	return rc;
}

void
bag_profile_free(struct bag_profile *p)
{
	if (!p)
		return;
	json_decref(p->root);
	free(p->path);
	free(p);
}

const char *
bag_profile_id(const struct bag_profile *p)
{
	return p->id;
}

/* ---- checking ---- */

static void
perr(struct bag *b, const char *code, const char *path, const char *expected,
     const char *actual, const char *msg)
{
	bag_problem(b, BAG_ERROR, code, R_PROFILE, path, 0, expected, actual,
		    "%s", msg);
}

static int
json_bool(const json_t *root, const char *key, int dflt)
{
	json_t *v = json_object_get(root, key);

	return v ? json_is_true(v) : dflt;
}

static void
check_info(struct bag *b, json_t *spec)
{
	const char *label;
	json_t *s;

	json_object_foreach(spec, label, s)
	{
		json_t *values = json_object_get(s, "values");
		size_t i, count = 0;
		struct vl_buf msg = VL_BUF_INIT;

		for (i = 0; i < b->info.n; i++) {
			size_t k;
			json_t *ok;
			int found = 0;

			if (strcasecmp(b->info.v[i].label, label) != 0)
				continue;
			count++;
			if (!values)
				continue;
			json_array_foreach(
				values, k,
				ok) if (!strcmp(json_string_value(ok),
						b->info.v[i].value)) found = 1;
			if (!found) {
				vl_buf_reset(&msg);
				vl_buf_addf(&msg,
					    "bag-info %s '%s' is not one of "
					    "the values the profile allows",
					    label, b->info.v[i].value);
				perr(b, "profile-info-value", b->info_name,
				     NULL, b->info.v[i].value, msg.buf);
			}
		}
		if (!count && json_bool(s, "required", 0)) {
			vl_buf_addf(&msg, "bag-info must have %s", label);
			perr(b, "profile-info-required",
			     b->info_name ? b->info_name : "bag-info.txt", NULL,
			     NULL, msg.buf);
		} else if (count > 1 && !json_bool(s, "repeatable", 1)) {
			vl_buf_reset(&msg);
			vl_buf_addf(&msg, "%s may appear only once", label);
			perr(b, "profile-info-repeated", b->info_name, NULL,
			     label, msg.buf);
		}
		vl_buf_release(&msg);
	}
}

static void
check_algs(struct bag *b, json_t *root, int kind)
{
	const char *req =
		kind ? "Tag-Manifests-Required" : "Manifests-Required";
	const char *allow =
		kind ? "Tag-Manifests-Allowed" : "Manifests-Allowed";
	json_t *list, *v;
	size_t i;
	unsigned m;

	if ((list = json_object_get(root, req)))
		json_array_foreach(list, i, v)
		{
			int alg = fix_alg_parse(json_string_value(v));
			struct vl_buf msg = VL_BUF_INIT;

			if (alg >= 0 && (b->algs[kind] & FIX_ALG_BIT(alg)))
				continue;
			vl_buf_addf(&msg,
				    "the profile requires a %s%s manifest",
				    json_string_value(v), kind ? " tag" : "");
			perr(b, "profile-manifest-required", NULL,
			     json_string_value(v), NULL, msg.buf);
			vl_buf_release(&msg);
		}
	if (!(list = json_object_get(root, allow)))
		return;
	for (m = 0; m < b->nman[kind]; m++) {
		int ok = 0;

		json_array_foreach(list, i,
				   v) if (fix_alg_parse(json_string_value(v)) ==
					  b->man[kind][m].alg) ok = 1;
		if (!ok)
			perr(b, "profile-manifest-allowed",
			     b->man[kind][m].name, NULL, b->man[kind][m].name,
			     "the profile does not allow this manifest");
	}
}

static int
bag_has_tag(const struct bag *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->ntags; i++)
		if (!strcmp(b->tags[i], name))
			return 1;
	return 0;
}

static int
is_bagit_tag(const char *name)
{
	int tag, alg;

	return !strcmp(name, "bagit.txt") || !strcmp(name, "bag-info.txt") ||
	       !strcmp(name, "package-info.txt") ||
	       !strcmp(name, "fetch.txt") ||
	       fix_manifest_name(name, &tag, &alg, NULL);
}

static int
matches_any(const json_t *list, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
	{
		/* "asterisks can represent zero or more characters": '*'
		 * also crosses '/'. */
		if (!fnmatch(json_string_value(v), name, 0))
			return 1;
	}
	return 0;
}

static void
check_files(struct bag *b, json_t *root)
{
	json_t *list, *v;
	size_t i;

	if ((list = json_object_get(root, "Tag-Files-Required")))
		json_array_foreach(list, i,
				   v) if (!bag_has_tag(b, json_string_value(v)))
			perr(b, "profile-tag-file-required",
			     json_string_value(v), json_string_value(v), NULL,
			     "the profile requires this tag file");
	if ((list = json_object_get(root, "Tag-Files-Allowed")))
		for (i = 0; i < b->ntags; i++)
			if (!is_bagit_tag(b->tags[i]) &&
			    !matches_any(list, b->tags[i]))
				perr(b, "profile-tag-file-allowed", b->tags[i],
				     NULL, b->tags[i],
				     "the profile does not allow this tag "
				     "file");
	if ((list = json_object_get(root, "Payload-Files-Required")))
		json_array_foreach(list, i, v)
		{
			struct bag_file *f =
				bag_lookup(b, json_string_value(v));

			if (!f || !f->on_disk)
				perr(b, "profile-payload-required",
				     json_string_value(v), json_string_value(v),
				     NULL,
				     "the profile requires this payload file");
		}
	if ((list = json_object_get(root, "Payload-Files-Allowed")))
		for (i = 0; i < b->files.cap; i++) {
			struct bag_file *f = b->files.slot[i].val;

			if (b->files.slot[i].key && f->kind == BK_PAYLOAD &&
			    f->on_disk && !matches_any(list, f->path))
				perr(b, "profile-payload-allowed", f->path,
				     NULL, f->path,
				     "the profile does not allow this payload "
				     "file");
		}
}

static const char *
mime_ok(enum bag_format f, const json_t *list)
{
	static const char *const tar[] = { "application/tar",
					   "application/x-tar", NULL };
	static const char *const tgz[] = { "application/gzip",
					   "application/x-gzip",
					   "application/tar+gzip", NULL };
	static const char *const zip[] = { "application/zip",
					   "application/x-zip-compressed",
					   NULL };
	const char *const *names = f == BAG_FMT_ZIP   ? zip
				   : f == BAG_FMT_TGZ ? tgz
						      : tar;
	size_t i, k;
	json_t *v;

	for (k = 0; names[k]; k++)
		json_array_foreach(
			list, i, v) if (!strcasecmp(json_string_value(v),
						    names[k])) return names[k];
	return NULL;
}

void
bag_profile_check(struct bag *b, const struct bag_profile *p,
		  enum bag_format serialized)
{
	json_t *root = p->root, *v;
	size_t i;

	if ((v = json_object_get(root, "Bag-Info")))
		check_info(b, v);
	check_algs(b, root, BK_PAYLOAD);
	check_algs(b, root, BK_TAG);
	if (!json_bool(root, "Allow-Fetch.txt", 1) &&
	    bag_has_tag(b, "fetch.txt"))
		perr(b, "profile-fetch", "fetch.txt", NULL, "fetch.txt",
		     "the profile does not allow fetch.txt");
	if (json_bool(root, "Fetch.txt-Required", 0) &&
	    !bag_has_tag(b, "fetch.txt"))
		perr(b, "profile-fetch", "fetch.txt", "fetch.txt", NULL,
		     "the profile requires fetch.txt");
	if (json_bool(root, "Data-Empty", 0) &&
	    (b->pay_files != 1 || b->pay_bytes != 0))
		perr(b, "profile-data-empty", "data", "one empty file", NULL,
		     "the profile requires data/ to hold one empty file");
	if ((v = json_object_get(root, "Accept-BagIt-Version"))) {
		int ok = 0;
		json_t *s;

		json_array_foreach(v, i, s) if (!strcmp(json_string_value(s),
							b->rep->version_str))
			ok = 1;
		if (!ok)
			perr(b, "profile-version", "bagit.txt", NULL,
			     b->rep->version_str,
			     "the profile does not accept this BagIt version");
	}
	if ((v = json_object_get(root, "Serialization"))) {
		const char *s = json_string_value(v);

		if (!strcmp(s, "required") && !serialized)
			perr(b, "profile-serialization", NULL, "serialized",
			     "directory",
			     "the profile requires a serialized bag");
		if (!strcmp(s, "forbidden") && serialized)
			perr(b, "profile-serialization", NULL, "directory",
			     bag_format_ext(serialized),
			     "the profile forbids serialized bags");
	}
	if (serialized && (v = json_object_get(root, "Accept-Serialization")) &&
	    !mime_ok(serialized, v))
		perr(b, "profile-serialization", NULL, NULL,
		     bag_format_ext(serialized),
		     "the profile does not accept this serialization");
	check_files(b, root);
}
