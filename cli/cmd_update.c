/*
 * cmd_update.c - `vellum update ID --metadata FILE`: a new metadata
 * version of a stored object.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../ingest/ingest.h"

static const char *const update_usage[] = {
	"update --metadata FILE [--dry-run] [--json] ID",
	NULL,
};

static const char update_help[] =
	"Gives object ID a new metadata version from FILE (oai_dc, qualified\n"
	"DC or MODS), checked and reconciled as at ingest.  The stored bag's\n"
	"metadata/mods.xml, metadata/dc.xml, metadata/premis.xml and tag\n"
	"manifests are replaced together; the payload is untouched.  Earlier\n"
	"versions stay in the catalog (`vellum show ID` lists them), the\n"
	"OAI-PMH datestamp moves so harvesters pick up the change, and a\n"
	"PREMIS metadata modification event is recorded.  All or nothing.\n"
	"An object kept in the catalog alone (a harvested record) gets the\n"
	"new version there; a harvested record keeps its provenance (where\n"
	"it came from, served in OAI-PMH about containers).\n"
	"\n"
	"Options:\n"
	"  --metadata FILE   the new record (required)\n"
	"  --dry-run         check and describe, change nothing\n"
	"  --json            report as JSON\n";

struct opts {
	const char *metadata;
	int dry_run;
};

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct opts *o = ctx;

	if (c == 'M')
		o->metadata = arg;
	else if (c == 'D')
		o->dry_run = 1;
	return 0;
}

static int
run_update(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "metadata", required_argument, NULL, 'M' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0 };
	struct ing_opts io = { 0 };
	struct ing_describer ds = { 0 };
	struct ing_reconciler *rcl = NULL;
	struct ing_result res;
	struct vl_err err = { 0 };
	size_t i;
	int rc;

	if ((rc = cli_parse(cli, cmd, argc, argv, "", longopts, on_opt, &o)) >=
	    0)
		return rc;
	if (optind >= argc)
		return cli_usage(cmd, "missing the object ID");
	if (optind + 1 < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (!o.metadata)
		return cli_usage(cmd, "--metadata FILE is required");
	memset(&res, 0, sizeof(res));
	if (repo_store_clean_stages(cli->repo, NULL, NULL, &err) < 0 ||
	    ing_reconciler_open(&rcl, cli->repo, &err) < 0 ||
	    (cli->repo->cfg.schema_dir[0] &&
	     md_schemas_open(&ds.schemas, cli->repo->cfg.schema_dir, &err) <
		     0)) {
		rc = cli_fail(cli, &err);
		goto out;
	}
	ds.metadata_file = o.metadata;
	ds.reconcile = ing_reconcile;
	ds.reconcile_ctx = rcl;
	io.source = o.metadata;
	io.dry_run = o.dry_run;
	io.describe = ing_describe;
	io.describe_ctx = &ds;
	io.user =
		getenv("VELLUM_USER") ? getenv("VELLUM_USER") : getenv("USER");
	if (ing_update(cli->repo, argv[optind], &io, &res, &err) < 0) {
		rc = cli_fail(cli, &err);
		goto out;
	}
	rc = CLI_OK;
	if (cli->json) {
		json_t *w = json_array();

		for (i = 0; i < res.nwarnings; i++)
			json_array_append_new(w, json_string(res.warnings[i]));
		cli_json_out(json_pack("{s:b, s:s, s:s, s:b, s:o}", "ok", 1,
				       "id", res.id, "title", res.title,
				       "dry_run", o.dry_run, "warnings", w));
	} else if (!cli->quiet) {
		printf("%s %s: \"%s\"\n",
		       o.dry_run ? "would update" : "updated", res.id,
		       res.title);
		for (i = 0; i < res.nwarnings; i++)
			printf("  warning: %s\n", res.warnings[i]);
	}
out:
	ing_result_release(&res);
	ing_reconciler_free(rcl);
	md_schemas_free(ds.schemas);
	return rc;
}

const struct cli_cmd cmd_update = {
	"update",      run_update,
	CLI_NEED_REPO, "give an object a new metadata version",
	update_usage,  update_help,
};
