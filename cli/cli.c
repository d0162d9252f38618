/*
 * cli.c - option parsing, errors and output shared by the subcommands.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Synopsis lines: "usage: vellum LINE", alternatives under it, and lines
 * starting with a space continue the one before. */
static void
print_usage_lines(const struct cli_cmd *cmd, FILE *out)
{
	const char *const *u;

	for (u = cmd->usage; *u; u++) {
		if (u == cmd->usage)
			fprintf(out, "usage: vellum %s\n", *u);
		else if (**u == ' ')
			fprintf(out, "              %s\n", *u);
		else
			fprintf(out, "       vellum %s\n", *u);
	}
}

void
cli_print_help(const struct cli_cmd *cmd, FILE *out)
{
	print_usage_lines(cmd, out);
	fprintf(out, "\n%s\n", cmd->summary);
	if (cmd->help && *cmd->help)
		fprintf(out, "\n%s", cmd->help);
}

int
cli_usage(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vellum %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_usage_lines(cmd, stderr);
	return CLI_USAGE;
}

int
cli_exit_code(int code)
{
	switch (code) {
	case VL_OK: return CLI_OK;
	case VL_E_CHECK: return CLI_PROBLEM;
	default: return CLI_FAILURE;
	}
}

int
cli_fail(struct cli *cli, const struct vl_err *err)
{
	if (cli && cli->json) {
		json_t *o =
			json_pack("{s:b, s:s, s:s}", "ok", 0, "error",
				  vl_code_name(err->code), "message", err->msg);
		cli_json_out(o);
	}
	fprintf(stderr, "vellum: %s\n", err->msg[0] ? err->msg : "failed");
	return cli_exit_code(err->code);
}

int
cli_json_out(json_t *v)
{
	int rc;

	if (!v)
		return -1;
	rc = json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(v);
	return rc;
}

static int
bad_option(const struct cli_cmd *cmd, int argc, char **argv, int c)
{
	const char *arg = optind - 1 < argc ? argv[optind - 1] : "?";

	if (c == ':')
		return cli_usage(cmd, "option '%s' needs a value", arg);
	if (optopt && optopt < 0x100 && strncmp(arg, "--", 2) != 0)
		return cli_usage(cmd, "unknown option '-%c'", optopt);
	return cli_usage(cmd, "unknown option '%s'", arg);
}

int
cli_parse(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv,
	  const char *shortopts, const struct option *longopts,
	  int (*on_opt)(void *ctx, int c, const char *arg), void *ctx)
{
	char shorts[128];
	int c, rc;

	/* Leading ':' makes getopt report a missing value as ':'; '+' stops
	 * at the first operand, as POSIX does. */
	snprintf(shorts, sizeof(shorts), "+:%s%s", CLI_COMMON_SHORT,
		 shortopts ? shortopts : "");
	opterr = 0;
	optind = 1;
	for (;;) {
		optopt = 0;
		c = getopt_long(argc, argv, shorts, longopts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'h': cli_print_help(cmd, stdout); return CLI_OK;
		case 0x100: cli->json = 1; break;
		case 'q':
			cli->quiet = 1;
			vl_log_set_level(VL_LOG_QUIET);
			break;
		case 'v':
			cli->verbose++;
			vl_log_set_level(cli->verbose > 1 ? VL_LOG_DEBUG
							  : VL_LOG_INFO);
			break;
		case '?':
		case ':': return bad_option(cmd, argc, argv, c);
		default:
			if (!on_opt)
				return bad_option(cmd, argc, argv, '?');
			if ((rc = on_opt(ctx, c, optarg)) != 0)
				return rc;
		}
	}
	return -1;
}

int
cli_parse_uint(const struct cli_cmd *cmd, const char *opt, const char *arg,
	       uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!arg || *arg < '0' || *arg > '9')
		return cli_usage(cmd, "%s needs a number, not '%s'", opt,
				 arg ? arg : "");
	v = strtoull(arg, &end, 10);
	if (*end || v > max)
		return cli_usage(cmd, "%s needs a number up to %llu, not '%s'",
				 opt, (unsigned long long)max, arg);
	*out = v;
	return 0;
}
