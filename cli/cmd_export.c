/*
 * cmd_export.c - `vellum export ID --to DIR|FILE`.
 */
#include "cli.h"
#include "../ingest/ingest.h"

static const char *const export_usage[] = {
	"export --to DIR|FILE.tar|FILE.tar.gz|FILE.zip ID",
	NULL,
};

static const char export_help[] =
	"Exports object ID's bag exactly as stored - payload, manifests,\n"
	"bag-info.txt and the metadata tag files - so any BagIt tool can\n"
	"validate it.  To a directory: DIR/ID.  To an archive (.tar,\n"
	".tar.gz or .tgz, .zip): one top-level directory named ID.  Files are\n"
	"streamed one at a time; the result appears only when complete and\n"
	"never overwrites anything.\n"
	"\n"
	"An object kept only in the catalog, with no bag in storage (a\n"
	"harvested or synthetic record), is bagged on the way out: a\n"
	"complete, valid bag with an empty data/ and empty payload\n"
	"manifests, its current metadata as tag files (metadata/mods.xml,\n"
	"dc.xml and, when harvested, source.xml and provenance.xml),\n"
	"metadata/premis.xml from its events, and tag manifests, for the\n"
	"repository's digest algorithms.  A deleted object is refused.\n"
	"\n"
	"Options:\n"
	"  --to DEST   where to write (required)\n"
	"  --json      report as JSON\n";

static int
on_opt(void *ctx, int c, const char *arg)
{
	if (c == 'T')
		*(const char **)ctx = arg;
	return 0;
}

static int
run_export(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "to", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct ing_export_report rep;
	struct vl_err err = { 0 };
	const char *to = NULL;
	char bytes[32];
	int rc;

	if ((rc = cli_parse(cli, cmd, argc, argv, "", longopts, on_opt, &to)) >=
	    0)
		return rc;
	if (optind >= argc)
		return cli_usage(cmd, "missing the object ID");
	if (optind + 1 < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (!to || !*to)
		return cli_usage(cmd, "--to is required");
	if (ing_export(cli->repo, argv[optind], to, &rep, &err) < 0)
		return cli_fail(cli, &err);
	if (cli->json) {
		cli_json_out(json_pack("{s:b, s:s, s:s, s:I, s:I, s:b}", "ok",
				       1, "id", argv[optind], "path", rep.path,
				       "files", (json_int_t)rep.files, "bytes",
				       (json_int_t)rep.bytes, "catalog_only",
				       rep.catalog_only));
	} else if (!cli->quiet) {
		cli_human_bytes(bytes, sizeof(bytes), rep.bytes);
		printf("Exported %s to %s (%llu files, %s%s)\n", argv[optind],
		       rep.path, (unsigned long long)rep.files, bytes,
		       rep.catalog_only ? "; bagged from the catalog" : "");
	}
	return CLI_OK;
}

const struct cli_cmd cmd_export = {
	"export",      run_export,
	CLI_NEED_REPO, "export an object's bag to a directory, tar or zip",
	export_usage,  export_help,
};
