/*
 * cmd_events.c - `vellum events ID`: an object's PREMIS event log.
 */
#include <string.h>

#include "cli.h"
#include "../ingest/ingest.h"

static const char *const events_usage[] = {
	"events [--json | --premis] ID",
	NULL,
};

static const char events_help[] =
	"Prints the PREMIS events recorded for object ID, oldest first: date,\n"
	"event type (LoC eventType vocabulary), outcome, who, and details.\n"
	"Events are append-only and hash-chained; `vellum doctor` verifies\n"
	"the chain.\n"
	"\n"
	"Options:\n"
	"  --json     the events as a JSON array\n"
	"  --premis   the object's whole PREMIS 3 document (XML), as kept in\n"
	"             its bag's metadata/premis.xml\n";

static const char *
col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

static int
object_exists(struct repo *r, const char *id, struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(r, &st, "SELECT 1 FROM objects WHERE id = ?",
			       err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return vl_err_set(err, VL_E_NOTFOUND, "no object '%s'", id);
	return repo_db_err(r->db, err, "catalog");
}

static json_t *
event_json(sqlite3_stmt *st)
{
	const char *label = repo_event_label(col(st, 2));
	char uri[128];

	snprintf(uri, sizeof(uri), "%s%s", REPO_EVENT_TYPE_BASE, col(st, 2));

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s,"
			 " s:s?}",
			 "uuid", col(st, 0), "datetime", col(st, 1), "type",
			 label ? label : col(st, 2), "type_uri", uri, "outcome",
			 col(st, 3), "file",
			 sqlite3_column_text(st, 4) ? col(st, 4) : NULL,
			 "detail",
			 sqlite3_column_text(st, 5) ? col(st, 5) : NULL,
			 "outcome_detail",
			 sqlite3_column_text(st, 6) ? col(st, 6) : NULL,
			 "agent", col(st, 7), "user",
			 sqlite3_column_text(st, 8) ? col(st, 8) : NULL);
}

static int
list_events(struct cli *cli, struct repo *r, const char *id, struct vl_err *err)
{
	json_t *arr = cli->json ? json_array() : NULL;
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(
		     r, &st,
		     "SELECT uuid, datetime, type, outcome, file_path,"
		     " detail, outcome_detail, agent, agent_user"
		     " FROM events WHERE object_id = ? ORDER BY seq",
		     err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *label = repo_event_label(col(st, 2));

		if (arr) {
			json_array_append_new(arr, event_json(st));
			continue;
		}
		printf("%s  %-28s %-8s %s%s%s\n", col(st, 1),
		       label ? label : col(st, 2), col(st, 3), col(st, 8),
		       *col(st, 4) ? "  " : "", col(st, 4));
		if (*col(st, 5))
			printf("    %s\n", col(st, 5));
		if (*col(st, 6))
			printf("    %s\n", col(st, 6));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return repo_db_err(r->db, err, "catalog");
	}
	if (arr)
		cli_json_out(arr);
	return 0;
}

static int
on_opt(void *ctx, int c, const char *arg)
{
	(void)arg;
	if (c == 'P')
		*(int *)ctx = 1;
	return 0;
}

static int
run_events(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "premis", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	struct vl_buf xml = VL_BUF_INIT;
	struct vl_err err = { 0 };
	int premis = 0, rc;

	if ((rc = cli_parse(cli, cmd, argc, argv, "", longopts, on_opt,
			    &premis)) >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage(cmd, "missing the object ID");
	if (optind + 1 < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (premis && cli->json)
		return cli_usage(cmd, "--premis and --json exclude each other");
	if ((rc = object_exists(cli->repo, argv[optind], &err)) < 0)
		return cli_fail(cli, &err);
	if (premis) {
		rc = ing_premis_xml(cli->repo, argv[optind], &xml, &err);
		if (rc == 0)
			fwrite(xml.buf, 1, xml.len, stdout);
		vl_buf_release(&xml);
	} else {
		rc = list_events(cli, cli->repo, argv[optind], &err);
	}
	return rc < 0 ? cli_fail(cli, &err) : CLI_OK;
}

const struct cli_cmd cmd_events = {
	"events",      run_events,
	CLI_NEED_REPO, "show an object's PREMIS preservation events",
	events_usage,  events_help,
};
