/*
 * main.c - the `vellum` command: global options, the dispatch table and
 * `vellum help`.  Each subcommand lives in its own cmd_*.c file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cli_cmd *const commands[] = {
	/* One command a line keeps merges simple. */
	/* clang-format off */
	&cmd_init,
	&cmd_status,
	&cmd_ingest,
	&cmd_show,
	&cmd_list,
	&cmd_update,
	&cmd_export,
	&cmd_delete,
	&cmd_events,
	&cmd_audit,
	&cmd_doctor,
	&cmd_serve,
	&cmd_oai,
	&cmd_harvest,
	&cmd_bag,
	&cmd_metadata,
	&cmd_vocab,
	&cmd_help,
	NULL,
	/* clang-format on */
};

static const char main_usage[] =
	"usage: vellum [-r DIR] [-q] [-v] COMMAND [ARGS]\n"
	"       vellum help [COMMAND | config | exit-codes]\n"
	"       vellum --version\n";

static const char main_options[] =
	"Global options (before COMMAND):\n"
	"  -r, --repo DIR   the repository (else $VELLUM_REPO, else the\n"
	"                   current directory if it is a repository)\n"
	"  -q, --quiet      print only errors\n"
	"  -v, --verbose    say more (twice for debugging output)\n"
	"  --version        print the version and exit\n"
	"  -h, --help       print this help and exit\n"
	"Most commands that report also take --json.\n";

static const char exit_codes[] =
	"Exit codes:\n"
	"  0  success\n"
	"  1  a check found a problem (invalid bag, fixity failure)\n"
	"  2  usage error: bad command, option or argument, or no repository\n"
	"  3  runtime failure: I/O, database, network\n";

const struct cli_cmd *
cli_find_cmd(const char *name)
{
	size_t i;

	for (i = 0; commands[i]; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static void
print_overview(FILE *out)
{
	size_t i;

	fprintf(out,
		"%s\nVellum %s - a digital curation and preservation "
		"repository.\n\nCommands:\n",
		main_usage, VELLUM_VERSION);
	for (i = 0; commands[i]; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name,
			commands[i]->summary);
	fprintf(out,
		"\n%s\n%s\nSee `vellum help COMMAND` for one command, "
		"`vellum help config` for the configuration keys.\n",
		main_options, exit_codes);
}

static void
print_config_help(FILE *out)
{
	size_t i;

	fprintf(out,
		"Configuration: DIR/%s holds one 'key = value' per line;"
		" '#' starts a comment.\n\nKeys:\n",
		REPO_CONF_NAME);
	for (i = 0; repo_config_keys[i][0]; i++)
		fprintf(out, "  %-14s %s\n", repo_config_keys[i][0],
			repo_config_keys[i][1]);
}

static const char *const help_usage[] = {
	"help [COMMAND | config | exit-codes]", NULL
};

static int
run_help(struct cli *cli, const struct cli_cmd *self, int argc, char **argv)
{
	const struct cli_cmd *cmd;
	int rc;

	if ((rc = cli_parse(cli, self, argc, argv, "", NULL, NULL, NULL)) >= 0)
		return rc;
	if (optind >= argc) {
		print_overview(stdout);
		return CLI_OK;
	}
	if (optind + 1 < argc)
		return cli_usage(self, "too many arguments");
	if (!strcmp(argv[optind], "config")) {
		print_config_help(stdout);
		return CLI_OK;
	}
	if (!strcmp(argv[optind], "exit-codes")) {
		fputs(exit_codes, stdout);
		return CLI_OK;
	}
	if (!(cmd = cli_find_cmd(argv[optind])))
		return cli_usage(self, "unknown command '%s'", argv[optind]);
	cli_print_help(cmd, stdout);
	return CLI_OK;
}

const struct cli_cmd cmd_help = {
	"help",     run_help, 0, "show help for vellum or one of its commands",
	help_usage, "",
};

static int
global_usage(const char *what, const char *arg)
{
	fprintf(stderr, "vellum: %s%s%s\n", what, arg ? arg : "",
		arg ? "'" : "");
	fputs(main_usage, stderr);
	return CLI_USAGE;
}

/* Parses the options before COMMAND.  Returns the index of COMMAND, or 0
 * when vellum should exit at once with *exit_code. */
static int
parse_global(struct cli *cli, int argc, char **argv, int *exit_code)
{
	int i;

	*exit_code = CLI_OK;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-r") || !strcmp(a, "--repo")) {
			if (++i >= argc)
				goto usage_missing;
			cli->repo_arg = argv[i];
		} else if (!strncmp(a, "--repo=", 7)) {
			cli->repo_arg = a + 7;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			cli->quiet = 1;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			cli->verbose++;
		} else if (!strcmp(a, "--version")) {
			printf("vellum %s\n", VELLUM_VERSION);
			return 0;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_overview(stdout);
			return 0;
		} else {
			*exit_code = global_usage("unknown option '", a);
			return 0;
		}
	}
	if (i >= argc) {
		*exit_code = global_usage("no command given", NULL);
		return 0;
	}
	return i;
usage_missing:
	*exit_code = global_usage("a directory must follow '", argv[i - 1]);
	return 0;
}

static int
open_repo(struct cli *cli)
{
	struct vl_buf dir = VL_BUF_INIT;
	struct vl_err err = { 0 };
	int rc;

	if ((rc = repo_locate(&dir, cli->repo_arg, &err)) < 0) {
		fprintf(stderr, "vellum: %s\n", err.msg);
		vl_buf_release(&dir);
		return CLI_USAGE;
	}
	rc = repo_open(&cli->repo, dir.buf, &err);
	vl_buf_release(&dir);
	if (rc < 0)
		return cli_fail(cli, &err);
	return CLI_OK;
}

int
main(int argc, char **argv)
{
	struct cli cli = { 0 };
	const struct cli_cmd *cmd;
	int i, rc;

	if (!(i = parse_global(&cli, argc, argv, &rc)))
		return rc;
	vl_log_set_level(cli.quiet         ? VL_LOG_QUIET
			 : cli.verbose > 1 ? VL_LOG_DEBUG
			 : cli.verbose     ? VL_LOG_INFO
					   : VL_LOG_WARN);
	if (!(cmd = cli_find_cmd(argv[i]))) {
		fprintf(stderr,
			"vellum: unknown command '%s'; see `vellum "
			"help`\n",
			argv[i]);
		return CLI_USAGE;
	}
	/* --help works without a repository. */
	if (cmd->flags & CLI_NEED_REPO) {
		int j;

		for (j = i + 1; j < argc && strcmp(argv[j], "--"); j++)
			if (!strcmp(argv[j], "-h") ||
			    !strcmp(argv[j], "--help")) {
				cli_print_help(cmd, stdout);
				return CLI_OK;
			}
		if ((rc = open_repo(&cli)) != CLI_OK)
			return rc;
	}
	rc = cmd->run(&cli, cmd, argc - i, argv + i);
	repo_close(cli.repo);
	if (fflush(stdout) != 0 && rc == CLI_OK) {
		fprintf(stderr, "vellum: cannot write output\n");
		rc = CLI_FAILURE;
	}
	return rc;
}
