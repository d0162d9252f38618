/*
 * cmd_show.c - `vellum show ID`: one object's summary, files, metadata
 * versions and events.
 */
#include <string.h>

#include "cli.h"

static const char *const show_usage[] = { "show [--json] ID", NULL };

static const char show_help[] =
	"Shows object ID: identifier, title, status (with the reason of a\n"
	"deletion), ingest date, datestamp, collections, payload size, and\n"
	"whether it is kept in the catalog alone (no bag in storage, like a\n"
	"harvested record); every file with its size, MIME type and\n"
	"digests; the metadata versions and their formats; and the PREMIS\n"
	"events.\n"
	"\n"
	"Options:\n"
	"  --json   report as JSON\n";

static const char *
col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

static json_t *
jstr(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL
		       ? json_null()
		       : json_string(col(st, i));
}

/* Runs sql bound to id; calls row() for each result. */
static int
each(struct repo *r, const char *sql, const char *id,
     void (*row)(void *ctx, sqlite3_stmt *st), void *ctx, struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(r, &st, sql, err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		row(ctx, st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : repo_db_err(r->db, err, "catalog");
}

struct show {
	json_t *obj;  /* --json: the document being built */
	json_t *list; /* the array rows go into */
	int found;
	char last_path[4096];
	json_t *last_file;
};

static void
object_row(void *ctx, sqlite3_stmt *st)
{
	struct show *s = ctx;
	char bytes[32];

	s->found = 1;
	if (s->obj) {
		json_object_set_new(s->obj, "id", jstr(st, 0));
		json_object_set_new(s->obj, "title", jstr(st, 1));
		json_object_set_new(s->obj, "status", jstr(st, 2));
		json_object_set_new(s->obj, "created", jstr(st, 3));
		json_object_set_new(s->obj, "datestamp", jstr(st, 4));
		json_object_set_new(s->obj, "deleted_at", jstr(st, 5));
		json_object_set_new(s->obj, "delete_reason", jstr(st, 6));
		json_object_set_new(s->obj, "payload_files",
				    json_integer(sqlite3_column_int64(st, 7)));
		json_object_set_new(s->obj, "payload_bytes",
				    json_integer(sqlite3_column_int64(st, 8)));
		json_object_set_new(s->obj, "metadata_version",
				    json_integer(sqlite3_column_int64(st, 9)));
		json_object_set_new(s->obj, "last_audit", jstr(st, 10));
		json_object_set_new(s->obj, "last_audit_outcome", jstr(st, 11));
		json_object_set_new(s->obj, "catalog_only",
				    json_boolean(sqlite3_column_int(st, 12)));
		return;
	}
	cli_human_bytes(bytes, sizeof(bytes),
			(uint64_t)sqlite3_column_int64(st, 8));
	printf("Object:      %s\n", col(st, 0));
	printf("Title:       %s\n", col(st, 1));
	if (!strcmp(col(st, 2), "deleted"))
		printf("Status:      deleted %s (%s)\n", col(st, 5),
		       col(st, 6));
	else
		printf("Status:      active\n");
	printf("Ingested:    %s\n", col(st, 3));
	printf("Datestamp:   %s\n", col(st, 4));
	printf("Payload:     %lld files, %s\n",
	       (long long)sqlite3_column_int64(st, 7), bytes);
	if (sqlite3_column_int(st, 12))
		printf("Storage:     none, kept in the catalog alone "
		       "(`vellum export` bags it)\n");
	printf("Metadata:    version %lld\n",
	       (long long)sqlite3_column_int64(st, 9));
	printf("Last audit:  %s%s%s%s\n", *col(st, 10) ? col(st, 10) : "never",
	       *col(st, 11) ? " (" : "", col(st, 11), *col(st, 11) ? ")" : "");
}

static void
collection_row(void *ctx, sqlite3_stmt *st)
{
	struct show *s = ctx;

	if (s->list)
		json_array_append_new(s->list, json_string(col(st, 0)));
	else
		printf("Collection:  %s (%s)\n", col(st, 0), col(st, 1));
}

/* One row per (file, algorithm); rows of one file are consecutive. */
static void
file_row(void *ctx, sqlite3_stmt *st)
{
	struct show *s = ctx;
	int same = !strcmp(s->last_path, col(st, 0));

	if (s->list) {
		if (!same) {
			s->last_file = json_pack(
				"{s:s, s:s, s:I, s:o, s:o, s:{}}", "path",
				col(st, 0), "kind", col(st, 1), "size",
				(json_int_t)sqlite3_column_int64(st, 2), "mime",
				jstr(st, 3), "format", jstr(st, 4), "digests");
			json_array_append_new(s->list, s->last_file);
		}
		if (*col(st, 5))
			json_object_set_new(
				json_object_get(s->last_file, "digests"),
				col(st, 5), json_string(col(st, 6)));
	} else {
		if (!same)
			printf("  %-40s %10lld  %-24s %s\n", col(st, 0),
			       (long long)sqlite3_column_int64(st, 2),
			       *col(st, 3) ? col(st, 3) : "-", col(st, 1));
		if (*col(st, 5))
			printf("      %s:%s\n", col(st, 5), col(st, 6));
	}
	snprintf(s->last_path, sizeof(s->last_path), "%s", col(st, 0));
}

static void
metadata_row(void *ctx, sqlite3_stmt *st)
{
	struct show *s = ctx;

	if (s->list)
		json_array_append_new(
			s->list,
			json_pack("{s:I, s:s, s:s, s:o, s:o}", "version",
				  (json_int_t)sqlite3_column_int64(st, 0),
				  "formats", col(st, 1), "created", col(st, 2),
				  "agent", jstr(st, 3), "note", jstr(st, 4)));
	else
		printf("  v%lld  %s  %s  %s%s%s\n",
		       (long long)sqlite3_column_int64(st, 0), col(st, 2),
		       col(st, 1), col(st, 3), *col(st, 4) ? "  " : "",
		       col(st, 4));
}

static void
event_row(void *ctx, sqlite3_stmt *st)
{
	struct show *s = ctx;
	const char *label = repo_event_label(col(st, 1));

	if (s->list)
		json_array_append_new(
			s->list, json_pack("{s:s, s:s, s:s, s:s, s:o}",
					   "datetime", col(st, 0), "type",
					   label ? label : col(st, 1),
					   "outcome", col(st, 2), "uuid",
					   col(st, 4), "detail", jstr(st, 3)));
	else
		printf("  %s  %-28s %s\n", col(st, 0),
		       label ? label : col(st, 1), col(st, 2));
}

static int
sections(struct cli *cli, struct show *s, const char *id, struct vl_err *err)
{
	struct repo *r = cli->repo;
	int rc;

	if (s->obj)
		json_object_set_new(s->obj, "collections",
				    s->list = json_array());
	if ((rc = each(r,
		       "SELECT c.spec, c.name FROM object_collections oc JOIN"
		       " collections c ON c.spec = oc.spec WHERE"
		       " oc.object_id = ? ORDER BY c.spec",
		       id, collection_row, s, err)) < 0)
		return rc;
	if (s->obj)
		json_object_set_new(s->obj, "files", s->list = json_array());
	else
		printf("Files:\n");
	if ((rc = each(r,
		       "SELECT f.path, f.kind, f.size, f.mime, f.format,"
		       " d.algorithm, d.digest FROM files f LEFT JOIN digests"
		       " d ON d.object_id = f.object_id AND d.path = f.path"
		       " WHERE f.object_id = ? ORDER BY f.kind, f.path,"
		       " d.algorithm",
		       id, file_row, s, err)) < 0)
		return rc;
	if (s->obj)
		json_object_set_new(s->obj, "metadata", s->list = json_array());
	else
		printf("Metadata versions:\n");
	if ((rc = each(
		     r,
		     "SELECT version, group_concat(format, ','), min(created),"
		     " max(agent), max(note) FROM (SELECT * FROM metadata"
		     " WHERE object_id = ? ORDER BY format) GROUP BY version"
		     " ORDER BY version",
		     id, metadata_row, s, err)) < 0)
		return rc;
	if (s->obj)
		json_object_set_new(s->obj, "events", s->list = json_array());
	else
		printf("Events:\n");
	return each(r,
		    "SELECT datetime, type, outcome, detail, uuid FROM events"
		    " WHERE object_id = ? ORDER BY seq",
		    id, event_row, s, err);
}

static int
run_show(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	struct show s = { 0 };
	struct vl_err err = { 0 };
	const char *id;
	int rc;

	if ((rc = cli_parse(cli, cmd, argc, argv, "",
			    (const struct option[]){ CLI_COMMON_LONG,
						     { NULL, 0, NULL, 0 } },
			    NULL, NULL)) >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage(cmd, "missing the object ID");
	if (optind + 1 < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind + 1]);
	id = argv[optind];
	if (cli->json)
		s.obj = json_object();
	rc = each(cli->repo,
		  "SELECT id, title, status, created, datestamp, deleted_at,"
		  " delete_reason, payload_files, payload_bytes, md_version,"
		  " last_audit, last_audit_outcome, storage_key IS NULL"
		  " FROM objects WHERE id = ?",
		  id, object_row, &s, &err);
	if (rc == 0 && !s.found)
		rc = vl_err_set(&err, VL_E_NOTFOUND, "no object '%s'", id);
	if (rc == 0)
		rc = sections(cli, &s, id, &err);
	if (rc < 0) {
		json_decref(s.obj);
		return cli_fail(cli, &err);
	}
	if (s.obj)
		cli_json_out(s.obj);
	return CLI_OK;
}

const struct cli_cmd cmd_show = {
	"show",
	run_show,
	CLI_NEED_REPO,
	"show an object: summary, files, metadata versions, events",
	show_usage,
	show_help,
};
