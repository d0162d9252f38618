/*
 * cmd_delete.c - `vellum delete ID --reason TEXT`.
 */
#include "cli.h"
#include "../ingest/ingest.h"

static const char *const delete_usage[] = {
	"delete --reason TEXT [--purge --yes] ID",
	NULL,
};

static const char delete_help[] =
	"Deletes object ID: its stored files are removed; the catalog keeps a\n"
	"tombstone with the reason and the time, which OAI-PMH reports as a\n"
	"deleted record (deletedRecord=persistent), and a PREMIS deletion\n"
	"event is recorded.\n"
	"\n"
	"Options:\n"
	"  --reason TEXT   why (required; kept in the tombstone and event)\n"
	"  --purge         also remove the object's file and metadata records\n"
	"                  from the catalog (the tombstone and events stay);\n"
	"                  needs --yes\n"
	"  --yes           confirm --purge\n"
	"  --json          report as JSON\n";

struct opts {
	const char *reason;
	int purge, yes;
};

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct opts *o = ctx;

	switch (c) {
	case 'R': o->reason = arg; break;
	case 'P': o->purge = 1; break;
	case 'Y': o->yes = 1; break;
	}
	return 0;
}

static int
run_delete(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "reason", required_argument, NULL, 'R' },
		{ "purge", no_argument, NULL, 'P' },
		{ "yes", no_argument, NULL, 'Y' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0 };
	struct vl_err err = { 0 };
	int rc;

	if ((rc = cli_parse(cli, cmd, argc, argv, "", longopts, on_opt, &o)) >=
	    0)
		return rc;
	if (optind >= argc)
		return cli_usage(cmd, "missing the object ID");
	if (optind + 1 < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (!o.reason || !*o.reason)
		return cli_usage(cmd, "--reason is required");
	if (o.purge && !o.yes)
		return cli_usage(cmd, "--purge removes catalog records for "
				      "good; add --yes to confirm");
	if (ing_delete(cli->repo, argv[optind], o.reason, o.purge, &err) < 0)
		return cli_fail(cli, &err);
	if (cli->json)
		cli_json_out(json_pack("{s:b, s:s, s:b}", "ok", 1, "id",
				       argv[optind], "purged", o.purge));
	else if (!cli->quiet)
		printf("Deleted %s%s\n", argv[optind],
		       o.purge ? " (purged)" : "");
	return CLI_OK;
}

const struct cli_cmd cmd_delete = {
	"delete",      run_delete,
	CLI_NEED_REPO, "delete an object, keeping a tombstone",
	delete_usage,  delete_help,
};
