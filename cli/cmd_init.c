/*
 * cmd_init.c - `vellum init DIR`: create a repository.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const init_usage[] = {
	"init [--name NAME] [--base-url URL] [--admin-email ADDR]",
	"     [--namespace NS] [--digests ALG[,ALG]] [--schema-dir DIR]",
	"     [--storage-root DIR] DIR",
	NULL,
};

static const char init_help[] =
	"Creates the repository DIR: its configuration (DIR/vellum.conf), its\n"
	"catalog (DIR/catalog.db) and its storage root.  Refuses to touch a\n"
	"directory that already holds a repository.\n"
	"\n"
	"Options (each sets the configuration key of the same name):\n"
	"  --name NAME          repository name (Vellum repository)\n"
	"  --base-url URL       OAI-PMH base URL (http://127.0.0.1:8080/oai)\n"
	"  --admin-email ADDR   administrator e-mail (admin@example.org, a\n"
	"                       placeholder to replace)\n"
	"  --namespace NS       oai-identifier namespace (vellum.localhost)\n"
	"  --digests ALGS       default digest algorithms (sha512)\n"
	"  --schema-dir DIR     XSD directory for validation (none;\n"
	"                       $VELLUM_SCHEMA_DIR if set)\n"
	"  --storage-root DIR   storage root, relative to DIR (storage)\n"
	"  --json               report as JSON\n";

enum { O_NAME = 0x200, O_BASE, O_EMAIL, O_NS, O_DIGESTS, O_SCHEMA, O_STORE };

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct repo_init_opts *o = ctx;

	switch (c) {
	case O_NAME: o->name = arg; break;
	case O_BASE: o->base_url = arg; break;
	case O_EMAIL: o->admin_email = arg; break;
	case O_NS: o->oai_namespace = arg; break;
	case O_DIGESTS: o->digests = arg; break;
	case O_SCHEMA: o->schema_dir = arg; break;
	case O_STORE: o->storage_root = arg; break;
	}
	return 0;
}

/* Values go into a line-based file: a newline would end the value. */
static const char *
bad_value(const struct repo_init_opts *o)
{
	const char *v[] = { o->name,          o->base_url, o->admin_email,
			    o->oai_namespace, o->digests,  o->schema_dir,
			    o->storage_root };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i] && strpbrk(v[i], "\r\n"))
			return v[i];
	return NULL;
}

static int
run_init(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "name", required_argument, NULL, O_NAME },
		{ "base-url", required_argument, NULL, O_BASE },
		{ "admin-email", required_argument, NULL, O_EMAIL },
		{ "namespace", required_argument, NULL, O_NS },
		{ "digests", required_argument, NULL, O_DIGESTS },
		{ "schema-dir", required_argument, NULL, O_SCHEMA },
		{ "storage-root", required_argument, NULL, O_STORE },
		{ NULL, 0, NULL, 0 },
	};
	struct repo_init_opts o = { 0 };
	struct vl_err err = { 0 };
	const char *dir, *bad;
	int rc;

	if ((rc = cli_parse(cli, cmd, argc, argv, "", longopts, on_opt, &o)) >=
	    0)
		return rc;
	if (optind >= argc)
		return cli_usage(cmd, "missing the repository directory");
	if (optind + 1 < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind + 1]);
	if ((bad = bad_value(&o)))
		return cli_usage(cmd, "value '%s' contains a line break", bad);
	if (!o.schema_dir && getenv("VELLUM_SCHEMA_DIR"))
		o.schema_dir = getenv("VELLUM_SCHEMA_DIR");
	dir = argv[optind];
	if (repo_init(dir, &o, &err) < 0)
		return cli_fail(cli, &err);
	if (cli->json)
		cli_json_out(
			json_pack("{s:b, s:s}", "ok", 1, "repository", dir));
	else if (!cli->quiet)
		printf("Initialized Vellum repository in %s\n", dir);
	return CLI_OK;
}

const struct cli_cmd cmd_init = {
	"init", run_init, 0, "create a new repository", init_usage, init_help,
};
