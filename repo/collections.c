/*
 * collections.c - collections, which OAI-PMH exposes as sets.
 *
 * A collection's spec is an OAI-PMH setSpec (OAI-PMH 2.0 section 4.6:
 * unreserved URI characters, ':' separating levels), so "maps:crete" is a
 * child of "maps"; ensuring a spec ensures its ancestors too.
 */
#include <string.h>

#include "repo.h"

static int
spec_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("-_.!~*'()", c);
}

int
repo_collection_check(const char *spec, struct vl_err *err)
{
	const char *p;
	int empty = 1;

	if (!spec || !*spec)
		return vl_err_set(err, VL_E_INVAL, "empty collection name");
	if (strlen(spec) > 200)
		return vl_err_set(err, VL_E_INVAL,
				  "collection name '%.40s...' is too long",
				  spec);
	for (p = spec; *p; p++) {
		if (*p == ':') {
			if (empty)
				break;
			empty = 1;
			continue;
		}
		if (!spec_char((unsigned char)*p))
			return vl_err_set(err, VL_E_INVAL,
					  "collection name '%s' may use only "
					  "letters, digits, -_.!~*'() and ':' "
					  "between levels",
					  spec);
		empty = 0;
	}
	if (empty)
		return vl_err_set(err, VL_E_INVAL,
				  "collection name '%s' has an empty level",
				  spec);
	return 0;
}

static int
insert_one(struct repo *r, const char *spec, size_t len, const char *parent,
	   size_t plen, const char *now, struct vl_err *err)
{
	sqlite3_stmt *st;
	const char *name;
	int rc;

	if ((rc = repo_prepare(r, &st,
			       "INSERT INTO collections(spec, name, parent,"
			       " created) VALUES(?, ?, ?, ?)"
			       " ON CONFLICT(spec) DO NOTHING",
			       err)) < 0)
		return rc;
	/* The name defaults to the last level; curators may rename. */
	name = spec + (parent ? plen + 1 : 0);
	sqlite3_bind_text(st, 1, spec, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, (int)(len - (size_t)(name - spec)),
			  SQLITE_STATIC);
	if (parent)
		sqlite3_bind_text(st, 3, parent, (int)plen, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE
		     ? 0
		     : repo_db_err(r->db, err, "collections");
	sqlite3_finalize(st);
	return rc;
}

int
repo_collection_ensure(struct repo *r, const char *spec, struct vl_err *err)
{
	char now[VL_TIME_LEN];
	const char *p;
	size_t plen = 0;
	int rc;

	if ((rc = repo_collection_check(spec, err)) < 0)
		return rc;
	vl_time_now(now);
	for (p = spec;; p++) {
		if (*p != ':' && *p != '\0')
			continue;
		if ((rc = insert_one(r, spec, (size_t)(p - spec),
				     plen ? spec : NULL, plen, now, err)) < 0)
			return rc;
		if (!*p)
			break;
		plen = (size_t)(p - spec);
	}
	return 0;
}
