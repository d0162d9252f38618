/*
 * cli.h - what every `vellum` subcommand shares: the dispatch table entry,
 * option parsing with the common flags, exit codes, output helpers and the
 * progress bar.  Only cli/ prints to the terminal and chooses exit codes.
 */
#ifndef CLI_H
#define CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "../repo/repo.h"

/* Exit codes, documented in `vellum help` and docs/vellum.1. */
enum cli_exit {
	CLI_OK = 0,      /* success */
	CLI_PROBLEM = 1, /* a check found a problem (invalid bag, fixity) */
	CLI_USAGE = 2,   /* bad command line */
	CLI_FAILURE = 3, /* runtime failure: I/O, database, network */
};

enum cli_flags {
	CLI_NEED_REPO = 1, /* open the repository before running */
};

struct cli {
	const char *repo_arg; /* -r/--repo, or NULL */
	int quiet, verbose, json;
	struct repo *repo; /* opened when the command has CLI_NEED_REPO */
};

struct cli_cmd {
	const char *name;
	int (*run)(struct cli *cli, const struct cli_cmd *cmd, int argc,
		   char **argv);
	int flags;
	const char *summary;      /* one line for `vellum help` */
	const char *const *usage; /* synopsis lines, NULL-terminated */
	const char *help;         /* description and options */
};

/* Every subcommand, defined in its cmd_*.c file. */
/* One command a line keeps merges simple. */
/* clang-format off */
extern const struct cli_cmd cmd_init;
extern const struct cli_cmd cmd_status;
extern const struct cli_cmd cmd_ingest;
extern const struct cli_cmd cmd_show;
extern const struct cli_cmd cmd_list;
extern const struct cli_cmd cmd_update;
extern const struct cli_cmd cmd_export;
extern const struct cli_cmd cmd_delete;
extern const struct cli_cmd cmd_events;
extern const struct cli_cmd cmd_audit;
extern const struct cli_cmd cmd_doctor;
extern const struct cli_cmd cmd_serve;
extern const struct cli_cmd cmd_oai;
extern const struct cli_cmd cmd_harvest;
extern const struct cli_cmd cmd_bag;
extern const struct cli_cmd cmd_metadata;
extern const struct cli_cmd cmd_vocab;
extern const struct cli_cmd cmd_help;
/* clang-format on */

const struct cli_cmd *cli_find_cmd(const char *name);
void cli_print_help(const struct cli_cmd *cmd, FILE *out);

/*
 * Parses argv with getopt_long.  The common options -h/--help, --json,
 * -q/--quiet and -v/--verbose are added to shortopts/longopts by the
 * caller's use of CLI_COMMON_SHORT and CLI_COMMON_LONG; every other option
 * is passed to on_opt(ctx, c, optarg), which returns 0 or a CLI_* code.
 * Returns -1 to continue (optind is set past the options), or an exit code
 * to return at once (help printed: 0; bad option: 2, message printed).
 */
#define CLI_COMMON_SHORT "hqv"
#define CLI_COMMON_LONG                               \
	{ "help", no_argument, NULL, 'h' },           \
		{ "json", no_argument, NULL, 0x100 }, \
		{ "quiet", no_argument, NULL, 'q' },  \
	{                                             \
		"verbose", no_argument, NULL, 'v'     \
	}
int cli_parse(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv,
	      const char *shortopts, const struct option *longopts,
	      int (*on_opt)(void *ctx, int c, const char *arg), void *ctx);

/* Prints "vellum CMD: message" and the usage lines to stderr; returns 2. */
int cli_usage(const struct cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints "vellum: message" to stderr (or a JSON error object to stdout
 * with --json) and returns the exit code for err->code. */
int cli_fail(struct cli *cli, const struct vl_err *err);
int cli_exit_code(int vl_code);

/* Prints a JSON value to stdout (indented, one document) and frees it. */
int cli_json_out(json_t *v);

/* Parses a non-negative integer argument; cli_usage() on error. */
int cli_parse_uint(const struct cli_cmd *cmd, const char *opt, const char *arg,
		   uint64_t max, uint64_t *out);

/* Progress bar on stderr, shown only when stderr is a TTY and not quiet. */
struct cli_progress {
	int enabled;
	const char *label;
	uint64_t total_items, total_bytes;
	uint64_t items, bytes;
	double started, last_draw;
};
void cli_progress_start(struct cli_progress *p, const struct cli *cli,
			const char *label, uint64_t total_items,
			uint64_t total_bytes);
void cli_progress_update(struct cli_progress *p, uint64_t items,
			 uint64_t bytes);
void cli_progress_done(struct cli_progress *p);
/* Formats a byte count as "1.5 GiB" into out. */
void cli_human_bytes(char *out, size_t n, uint64_t bytes);

#endif
