/*
 * cmd_status.c - `vellum status`: what the repository holds, from the
 * catalog.
 */
#include "cli.h"

static const char *const status_usage[] = { "status [--json]", NULL };

static const char status_help[] =
	"Prints the repository's name and location and counts from the\n"
	"catalog: objects (and deleted ones), payload files and bytes,\n"
	"collections, metadata versions, events, and the last audit.\n"
	"\n"
	"Options:\n"
	"  --json   report as JSON\n";

static int
run_status(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	struct repo *r = cli->repo;
	struct repo_stats s;
	struct vl_err err = { 0 };
	char bytes[32];
	int rc;

	if ((rc = cli_parse(cli, cmd, argc, argv, "",
			    (const struct option[]){ CLI_COMMON_LONG,
						     { NULL, 0, NULL, 0 } },
			    NULL, NULL)) >= 0)
		return rc;
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (repo_stats(r, &s, &err) < 0)
		return cli_fail(cli, &err);
	if (cli->json) {
		cli_json_out(json_pack(
			"{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			" s:o}",
			"name", r->cfg.name, "path", r->path, "storage_root",
			r->cfg.storage_root, "objects", (json_int_t)s.objects,
			"deleted", (json_int_t)s.deleted, "files",
			(json_int_t)s.files, "bytes", (json_int_t)s.bytes,
			"collections", (json_int_t)s.collections,
			"metadata_versions", (json_int_t)s.metadata_versions,
			"events", (json_int_t)s.events, "last_audit",
			s.last_audit[0]
				? json_pack("{s:s, s:s}", "time", s.last_audit,
					    "outcome", s.last_audit_outcome)
				: json_null()));
		return CLI_OK;
	}
	cli_human_bytes(bytes, sizeof(bytes), (uint64_t)s.bytes);
	printf("Repository:   %s\n", r->cfg.name);
	printf("Location:     %s\n", r->path);
	printf("Objects:      %lld (%lld deleted)\n", (long long)s.objects,
	       (long long)s.deleted);
	printf("Files:        %lld (payload)\n", (long long)s.files);
	printf("Bytes:        %lld (%s)\n", (long long)s.bytes, bytes);
	printf("Collections:  %lld\n", (long long)s.collections);
	printf("Metadata:     %lld versions\n", (long long)s.metadata_versions);
	printf("Events:       %lld\n", (long long)s.events);
	if (s.last_audit[0])
		printf("Last audit:   %s (%s)\n", s.last_audit,
		       s.last_audit_outcome);
	else
		printf("Last audit:   never\n");
	return CLI_OK;
}

const struct cli_cmd cmd_status = {
	"status",      run_status,
	CLI_NEED_REPO, "show what the repository holds",
	status_usage,  status_help,
};
