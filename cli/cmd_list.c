/*
 * cmd_list.c - `vellum list`: objects in the catalog, filtered.
 */
#include <string.h>

#include "cli.h"

static const char *const list_usage[] = {
	"list [--collection SPEC] [--from DATE] [--until DATE]",
	"     [--format MIME] [--title TEXT] [--deleted] [--limit N] [--json]",
	NULL,
};

static const char list_help[] =
	"Lists objects, oldest ingest first: identifier, ingest date, payload\n"
	"files and title.  Filters combine (all must hold).\n"
	"\n"
	"Options:\n"
	"  --collection SPEC  in collection SPEC or one below it (SPEC:...)\n"
	"  --from DATE        ingested on or after DATE (YYYY-MM-DD or\n"
	"                     YYYY-MM-DDThh:mm:ssZ)\n"
	"  --until DATE       ingested on or before DATE\n"
	"  --format MIME      holding a payload file of that MIME type;\n"
	"                     'image/*' matches every image type\n"
	"  --title TEXT       title contains TEXT (case-insensitive for "
	"ASCII)\n"
	"  --deleted          list deleted objects (tombstones) instead\n"
	"  --limit N          at most N objects\n"
	"  --json             report as JSON\n";

struct opts {
	const char *collection, *from, *until, *format, *title;
	int deleted;
	uint64_t limit;
	const struct cli_cmd *cmd;
};

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct opts *o = ctx;
	time_t t;

	switch (c) {
	case 'C': o->collection = arg; break;
	case 'F': o->from = arg; break;
	case 'U': o->until = arg; break;
	case 'M': o->format = arg; break;
	case 'T': o->title = arg; break;
	case 'D': o->deleted = 1; break;
	case 'L':
		return cli_parse_uint(o->cmd, "--limit", arg, INT64_MAX,
				      &o->limit);
	}
	if ((c == 'F' || c == 'U') && vl_time_parse(arg, &t) < 0)
		return cli_usage(o->cmd,
				 "%s needs YYYY-MM-DD or "
				 "YYYY-MM-DDThh:mm:ssZ, not '%s'",
				 c == 'F' ? "--from" : "--until", arg);
	return 0;
}

/* A bare date as --until means the whole day. */
static void
until_bound(char *out, size_t n, const char *until)
{
	snprintf(out, n, "%s%s", until,
		 strlen(until) == 10 ? "T23:59:59Z" : "");
}

static int
run_list(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "collection", required_argument, NULL, 'C' },
		{ "from", required_argument, NULL, 'F' },
		{ "until", required_argument, NULL, 'U' },
		{ "format", required_argument, NULL, 'M' },
		{ "title", required_argument, NULL, 'T' },
		{ "deleted", no_argument, NULL, 'D' },
		{ "limit", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .cmd = cmd };
	struct vl_err err = { 0 };
	char until[32] = "", mime[256] = "";
	json_t *arr = NULL;
	sqlite3_stmt *st;
	size_t n;
	int rc;

	if ((rc = cli_parse(cli, cmd, argc, argv, "", longopts, on_opt, &o)) >=
	    0)
		return rc;
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (o.until)
		until_bound(until, sizeof(until), o.until);
	if (o.format) {
		snprintf(mime, sizeof(mime), "%s", o.format);
		n = strlen(mime);
		if (n >= 2 && !strcmp(mime + n - 2, "/*"))
			mime[n - 1] = '%';
	}
	/* Every filter is bound; an unused one is NULL and always true. */
	if (repo_prepare(cli->repo, &st,
			 "SELECT o.id, o.created, o.payload_files,"
			 " coalesce(o.title, ''), o.status, o.deleted_at,"
			 " o.delete_reason FROM objects o"
			 " WHERE o.status = ?1"
			 " AND (?2 IS NULL OR EXISTS (SELECT 1 FROM"
			 "  object_collections c WHERE c.object_id = o.id AND"
			 "  (c.spec = ?2 OR substr(c.spec, 1, length(?2) + 1) ="
			 "  ?2 || ':')))"
			 " AND (?3 IS NULL OR o.created >= ?3)"
			 " AND (?4 IS NULL OR o.created <= ?4)"
			 " AND (?5 IS NULL OR EXISTS (SELECT 1 FROM files f"
			 "  WHERE f.object_id = o.id AND f.kind = 'payload'"
			 "  AND f.mime LIKE ?5))"
			 " AND (?6 IS NULL OR instr(lower(o.title),"
			 "  lower(?6)) > 0)"
			 " ORDER BY o.created, o.id LIMIT ?7",
			 &err) < 0)
		return cli_fail(cli, &err);
	sqlite3_bind_text(st, 1, o.deleted ? "deleted" : "active", -1,
			  SQLITE_STATIC);
	if (o.collection)
		sqlite3_bind_text(st, 2, o.collection, -1, SQLITE_STATIC);
	if (o.from)
		sqlite3_bind_text(st, 3, o.from, -1, SQLITE_STATIC);
	if (o.until)
		sqlite3_bind_text(st, 4, until, -1, SQLITE_STATIC);
	if (o.format)
		sqlite3_bind_text(st, 5, mime, -1, SQLITE_STATIC);
	if (o.title)
		sqlite3_bind_text(st, 6, o.title, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, o.limit ? (sqlite3_int64)o.limit : -1);
	if (cli->json)
		arr = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *created = (const char *)sqlite3_column_text(st, 1);
		const char *title = (const char *)sqlite3_column_text(st, 3);

		if (arr) {
			json_t *e = json_pack(
				"{s:s, s:s, s:I, s:s}", "id", id, "created",
				created, "files",
				(json_int_t)sqlite3_column_int64(st, 2),
				"title", title);

			if (o.deleted)
				json_object_set_new(
					e, "deleted_at",
					json_string((const char *)
							    sqlite3_column_text(
								    st, 5)));
			json_array_append_new(arr, e);
		} else {
			printf("%s\t%s\t%lld\t%s\n", id, created,
			       (long long)sqlite3_column_int64(st, 2), title);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		repo_db_err(cli->repo->db, &err, "catalog");
		return cli_fail(cli, &err);
	}
	if (arr)
		cli_json_out(arr);
	return CLI_OK;
}

const struct cli_cmd cmd_list = {
	"list",     run_list,  CLI_NEED_REPO, "list objects, with filters",
	list_usage, list_help,
};
