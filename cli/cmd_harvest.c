/*
 * cmd_harvest.c - `vellum harvest`: OAI-PMH sources this repository
 * harvests (add, list, remove) and harvest runs.  The work is done by
 * the harvester in oai/ (oai.h, "harvester"); this file parses
 * arguments, turns SIGINT/SIGTERM into a stop flag and prints.
 */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../oai/oai.h"
#include "cli.h"

static const char *const harvest_usage[] = {
	"harvest add NAME URL [--set S] [--prefix oai_dc|mods] "
	"[--collection C]",
	"            [--delay SECS] [--json]",
	"harvest run [NAME | --all] [--full | --sweep] [--timeout SECS] "
	"[--retries N]",
	"            [--backoff SECS] [--max-wait SECS] [--delay SECS]",
	"            [--max-response SIZE] [--batch N] [--json]",
	"harvest list [NAME] [--json]",
	"harvest remove NAME [--json]",
	NULL,
};

static const char harvest_help[] =
	"Harvests other OAI-PMH 2.0 repositories (sources) into this one.\n"
	"Each harvested record becomes a metadata-only object in the\n"
	"source's collection, kept in the catalog alone (no bag in storage;\n"
	"`vellum export` bags it on demand), keyed by its OAI identifier: a\n"
	"record changed at the source becomes a new metadata version, a\n"
	"deleted one a tombstone.  Its provenance (base URL, identifier,\n"
	"datestamp, metadata namespace, harvest time) is kept and served in\n"
	"the about container of `vellum serve`.\n"
	"\n"
	"add NAME URL\n"
	"  Adds a source (no network is used).  NAME: letters, digits, '.',\n"
	"  '_', '-' (up to 32); URL: the base URL, http:// or https://.\n"
	"  --set S          harvest only set S (setSpec)\n"
	"  --prefix P       oai_dc (default) or mods\n"
	"  --collection C   the collection (OAI set) records join (NAME)\n"
	"  --delay SECS     pause between requests to the source (0.5)\n"
	"\n"
	"run [NAME | --all]\n"
	"  Harvests NAME, or every source (also without an argument): "
	"Identify\n"
	"  (granularity), ListMetadataFormats, then ListRecords from the\n"
	"  responseDate of the last complete harvest (all records the first\n"
	"  time), following resumption tokens.  Unchanged records are\n"
	"  skipped.  Requests failing with HTTP 5xx, 429, 503 or a network\n"
	"  error are retried with exponential backoff (or after the source's\n"
	"  Retry-After); invalid XML, HTML pages, wrong content types, "
	"OAI-PMH\n"
	"  errors and other HTTP codes stop the source at once.  A stopped\n"
	"  run keeps the records stored and the next run continues from the\n"
	"  last page read (the list is asked again if the source no longer\n"
	"  accepts the saved token).  SIGINT/SIGTERM stop after the current\n"
	"  record, the same way.\n"
	"  --full              ask for the whole list, ignoring the saved\n"
	"                      position (unchanged records are still skipped)\n"
	"  --sweep             --full, then make a tombstone of every record\n"
	"                      of the source the whole list no longer holds:\n"
	"                      how deletions at a source that keeps none\n"
	"                      (deletedRecord no or transient) and records\n"
	"                      leaving a harvested set are seen; only after\n"
	"                      a complete list, never after an empty one\n"
	"  --timeout SECS      a request that sends nothing for this long\n"
	"                      fails (60)\n"
	"  --retries N         retries of a failing request (4)\n"
	"  --backoff SECS      first retry delay, doubled each time (2)\n"
	"  --max-wait SECS     longest Retry-After accepted (600)\n"
	"  --delay SECS        pause between requests (the source's setting)\n"
	"  --max-response SIZE largest response accepted, decompressed\n"
	"                      (64M)\n"
	"  --batch N           new records stored per catalog transaction\n"
	"                      (2000, at most 10000), by a thread of their\n"
	"                      own while the next pages are read; 1: each\n"
	"                      record on its own\n"
	"  Exit 0 when every source was harvested to its end, 1 when records\n"
	"  were refused (their reasons: `harvest list NAME`, and on stderr),\n"
	"  3 when a source failed.\n"
	"\n"
	"list [NAME]\n"
	"  Sources with their settings, record counts (active, deleted,\n"
	"  refused), the last run and where the next one starts.\n"
	"\n"
	"remove NAME\n"
	"  Forgets a source and its run history.  Its objects stay; a source\n"
	"  added again under the same name updates them.\n"
	"\n"
	"  --json              report as JSON\n";

#define SHOW_REJECTED 20

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* A second signal kills as usual. */
	sa.sa_flags = (int)SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* "1.5" seconds (at most max) into milliseconds; cli_usage on error. */
static int
parse_seconds(const struct cli_cmd *cmd, const char *opt, const char *arg,
	      double max, long *ms)
{
	char *end;
	double v = strtod(arg, &end);

	if (!*arg || *end || !(v >= 0) || v > max)
		return cli_usage(cmd, "%s needs seconds from 0 to %g, not '%s'",
				 opt, max, arg);
	*ms = lround(v * 1000.0);
	return 0;
}

/*
 * cli_parse() stops at the first operand (POSIX); harvest takes options
 * before and after its operands (`harvest add NAME URL --set S`), so
 * parsing resumes after each.  Up to max operands go to ops.  Returns -1
 * to go on, or an exit code.
 */
static int
parse_args(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv,
	   const struct option *longopts,
	   int (*on_opt)(void *ctx, int c, const char *arg), void *ctx,
	   char **ops, int max, int *nops)
{
	int rc;

	*nops = 0;
	for (;;) {
		if ((rc = cli_parse(cli, cmd, argc, argv, "", longopts, on_opt,
				    ctx)) >= 0)
			return rc;
		if (optind >= argc)
			return -1;
		if (*nops >= max)
			return cli_usage(cmd, "unexpected argument '%s'",
					 argv[optind]);
		ops[(*nops)++] = argv[optind];
		/* The operand becomes argv[0], which getopt skips. */
		argc -= optind;
		argv += optind;
	}
}

/* ---- add ---- */

enum {
	O_SET = 0x200,
	O_PREFIX,
	O_COLL,
	O_DELAY,
	O_ALL,
	O_FULL,
	O_SWEEP,
	O_TIMEOUT,
	O_RETRIES,
	O_BACKOFF,
	O_MAXWAIT,
	O_MAXRESP,
	O_BATCH,
};

struct add_ctx {
	const struct cli_cmd *cmd;
	struct oai_source_spec s;
};

static int
on_add_opt(void *ctx, int c, const char *arg)
{
	struct add_ctx *x = ctx;
	long ms;
	int rc;

	switch (c) {
	case O_SET: x->s.set = arg; break;
	case O_PREFIX: x->s.prefix = arg; break;
	case O_COLL: x->s.collection = arg; break;
	case O_DELAY:
		if ((rc = parse_seconds(x->cmd, "--delay", arg, 60, &ms)))
			return rc;
		x->s.delay_ms = (int)ms;
		break;
	}
	return 0;
}

static int
run_add(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "set", required_argument, NULL, O_SET },
		{ "prefix", required_argument, NULL, O_PREFIX },
		{ "collection", required_argument, NULL, O_COLL },
		{ "delay", required_argument, NULL, O_DELAY },
		{ NULL, 0, NULL, 0 },
	};
	struct add_ctx x = { .cmd = cmd };
	struct vl_err err = { 0 };
	char *ops[2];
	int rc, n;

	x.s.delay_ms = -1;
	if ((rc = parse_args(cli, cmd, argc, argv, longopts, on_add_opt, &x,
			     ops, 2, &n)) >= 0)
		return rc;
	if (n < 2)
		return cli_usage(cmd, "harvest add needs NAME and URL");
	x.s.name = ops[0];
	x.s.url = ops[1];
	if (oai_source_name_check(x.s.name, &err) < 0)
		return cli_usage(cmd, "%s", err.msg);
	if (x.s.prefix && strcmp(x.s.prefix, "oai_dc") &&
	    strcmp(x.s.prefix, "mods"))
		return cli_usage(cmd, "--prefix is oai_dc or mods, not '%s'",
				 x.s.prefix);
	if (oai_source_add(cli->repo, &x.s, &err) < 0)
		return cli_fail(cli, &err);
	if (cli->json)
		cli_json_out(json_pack("{s:b, s:s, s:s}", "ok", 1, "name",
				       x.s.name, "url", x.s.url));
	else if (!cli->quiet)
		printf("Added harvest source %s (%s); harvest it with "
		       "`vellum harvest run %s`\n",
		       x.s.name, x.s.url, x.s.name);
	return CLI_OK;
}

/* ---- remove ---- */

static int
run_remove(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	struct vl_err err = { 0 };
	char *ops[1];
	int rc, n;

	if ((rc = parse_args(cli, cmd, argc, argv,
			     (const struct option[]){ CLI_COMMON_LONG,
						      { NULL, 0, NULL, 0 } },
			     NULL, NULL, ops, 1, &n)) >= 0)
		return rc;
	if (n < 1)
		return cli_usage(cmd, "harvest remove needs NAME");
	if (oai_source_remove(cli->repo, ops[0], &err) < 0)
		return cli_fail(cli, &err);
	if (cli->json)
		cli_json_out(json_pack("{s:b, s:s}", "ok", 1, "name", ops[0]));
	else if (!cli->quiet)
		printf("Removed harvest source %s (its objects stay)\n",
		       ops[0]);
	return CLI_OK;
}

/* ---- list ---- */

static const char *
js(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static long long
ji(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void
print_source(json_t *s)
{
	json_t *rec = json_object_get(s, "records");
	json_t *run = json_object_get(s, "last_run");
	json_t *res = json_object_get(s, "resume");

	printf("%s  %s\n", js(s, "name"), js(s, "url"));
	printf("  prefix %s, set %s, collection %s, delay %.1f s\n",
	       js(s, "prefix"), js(s, "set"), js(s, "collection"),
	       json_real_value(json_object_get(s, "delay")));
	printf("  records: %lld active, %lld deleted, %lld refused; %lld "
	       "run(s)\n",
	       ji(rec, "active"), ji(rec, "deleted"), ji(rec, "rejected"),
	       ji(s, "runs"));
	if (json_is_object(run)) {
		printf("  last run: %s, %s: %lld pages, %lld records (%lld "
		       "added, %lld updated, %lld unchanged, %lld deleted, "
		       "%lld refused)\n",
		       js(run, "started"),
		       json_is_string(json_object_get(run, "outcome"))
			       ? js(run, "outcome")
			       : "running or killed",
		       ji(run, "pages"), ji(run, "records"), ji(run, "added"),
		       ji(run, "updated"), ji(run, "unchanged"),
		       ji(run, "deleted"), ji(run, "rejected"));
		if (json_is_string(json_object_get(run, "error")))
			printf("    error: %s\n    stopped at %s\n",
			       js(run, "error"), js(run, "stopped_at"));
	}
	if (json_is_object(res))
		printf("  next run: continues the list from %s (token %s)\n",
		       json_is_string(json_object_get(res, "from"))
			       ? js(res, "from")
			       : "the start",
		       js(res, "token"));
	else if (json_is_string(json_object_get(s, "next_from")))
		printf("  next run: from %s (granularity %s)\n",
		       js(s, "next_from"), js(s, "granularity"));
	else
		printf("  next run: the whole list\n");
}

static int
run_list(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	struct vl_err err = { 0 };
	json_t *arr = NULL;
	char *ops[1];
	size_t i;
	int rc, n;

	if ((rc = parse_args(cli, cmd, argc, argv,
			     (const struct option[]){ CLI_COMMON_LONG,
						      { NULL, 0, NULL, 0 } },
			     NULL, NULL, ops, 1, &n)) >= 0)
		return rc;
	if (oai_source_list(cli->repo, n ? ops[0] : NULL, &arr, &err) < 0)
		return cli_fail(cli, &err);
	if (cli->json) {
		cli_json_out(arr);
		return CLI_OK;
	}
	if (!json_array_size(arr) && !cli->quiet)
		printf("No harvest sources; add one with `vellum harvest add "
		       "NAME URL`\n");
	for (i = 0; i < json_array_size(arr); i++)
		print_source(json_array_get(arr, i));
	json_decref(arr);
	return CLI_OK;
}

/* ---- run ---- */

struct run_ctx {
	const struct cli_cmd *cmd;
	struct cli *cli;
	struct oai_harvest_opts o;
	int all;
	uint64_t rejected_shown, rejected;
	struct cli_progress bar;
};

static int
on_run_opt(void *ctx, int c, const char *arg)
{
	struct run_ctx *x = ctx;
	uint64_t v;
	long ms;
	int rc;

	switch (c) {
	case O_ALL: x->all = 1; break;
	case O_FULL: x->o.full = 1; break;
	case O_SWEEP: x->o.sweep = 1; break;
	case O_TIMEOUT:
		if ((rc = cli_parse_uint(x->cmd, "--timeout", arg, 86400, &v)))
			return rc;
		if (!v)
			return cli_usage(x->cmd, "--timeout must be at least "
						 "1 second");
		x->o.timeout_s = (long)v;
		break;
	case O_RETRIES:
		if ((rc = cli_parse_uint(x->cmd, "--retries", arg, 100, &v)))
			return rc;
		x->o.retries = (unsigned)v;
		break;
	case O_BACKOFF:
		if ((rc = parse_seconds(x->cmd, "--backoff", arg, 3600, &ms)))
			return rc;
		x->o.backoff_ms = (unsigned)ms;
		break;
	case O_MAXWAIT:
		if ((rc = cli_parse_uint(x->cmd, "--max-wait", arg, 86400, &v)))
			return rc;
		x->o.max_wait_s = (unsigned)v;
		break;
	case O_DELAY:
		if ((rc = parse_seconds(x->cmd, "--delay", arg, 60, &ms)))
			return rc;
		x->o.delay_ms = (int)ms;
		break;
	case O_BATCH:
		if ((rc = cli_parse_uint(x->cmd, "--batch", arg, 10000, &v)))
			return rc;
		if (v == 0)
			return cli_usage(x->cmd,
					 "--batch needs a number from 1 to "
					 "10000, not '%s'",
					 arg);
		x->o.batch = (unsigned)v;
		break;
	case O_MAXRESP:
		if (vl_parse_size(arg, &v) < 0 || v < 4096)
			return cli_usage(x->cmd,
					 "--max-response needs a size of at "
					 "least 4k (e.g. 64M), not '%s'",
					 arg);
		x->o.max_response = v;
		break;
	}
	return 0;
}

static void
on_note(void *ctx, enum oai_harvest_note kind, const char *msg)
{
	struct run_ctx *x = ctx;

	if (x->cli->quiet)
		return;
	if (kind == OAI_HARVEST_REJECTED) {
		x->rejected++;
		if (x->rejected_shown++ < SHOW_REJECTED)
			fprintf(stderr, "vellum harvest: %s\n", msg);
		return;
	}
	if (kind == OAI_HARVEST_INFO && !x->cli->verbose)
		return;
	fprintf(stderr, "vellum harvest: %s\n", msg);
}

static void
on_progress(void *ctx, uint64_t records, int64_t size)
{
	struct run_ctx *x = ctx;

	if (size > 0)
		x->bar.total_items = (uint64_t)size;
	cli_progress_update(&x->bar, records, 0);
}

static json_t *
result_json(const char *name, const struct oai_harvest_result *r, int rc)
{
	return json_pack(
		"{s:s, s:b, s:I, s:s?, s:b, s:b, s:I, s:I, s:I, s:I, s:I, "
		"s:I, s:I, s:I, s:s?, s:s?, s:s?, s:f}",
		"name", name, "complete", rc == 0, "run", (json_int_t)r->run,
		"from", *r->from ? r->from : NULL, "resumed", r->resumed,
		"restarted", r->restarted, "pages", (json_int_t)r->pages,
		"records", (json_int_t)r->records, "added",
		(json_int_t)r->added, "updated", (json_int_t)r->updated,
		"unchanged", (json_int_t)r->unchanged, "deleted",
		(json_int_t)r->deleted, "swept", (json_int_t)r->swept,
		"rejected", (json_int_t)r->rejected, "next_from",
		*r->next_from ? r->next_from : NULL, "error",
		rc < 0 ? r->error : NULL, "stopped_at",
		rc < 0 && *r->stopped_at ? r->stopped_at : NULL, "seconds",
		r->seconds);
}

static void
print_result(const char *name, const struct oai_harvest_result *r, int rc,
	     const struct vl_err *err)
{
	double rate = r->seconds > 0 ? (double)r->records / r->seconds : 0;

	if (rc < 0 && !r->run) {
		fprintf(stderr, "vellum harvest: %s: %s\n", name, err->msg);
		return;
	}
	printf("%s: %llu records in %llu pages, %.1f s (%.0f/s): %llu added, "
	       "%llu updated, %llu unchanged, %llu deleted, %llu refused\n",
	       name, (unsigned long long)r->records,
	       (unsigned long long)r->pages, r->seconds, rate,
	       (unsigned long long)r->added, (unsigned long long)r->updated,
	       (unsigned long long)r->unchanged, (unsigned long long)r->deleted,
	       (unsigned long long)r->rejected);
	if (r->swept)
		printf("  %llu of the deleted were no longer in the whole "
		       "list (--sweep)\n",
		       (unsigned long long)r->swept);
	if (rc == 0) {
		printf("  %s%s; the next run asks from %s\n",
		       r->resumed ? "resumed a stopped list, " : "",
		       *r->from ? "incremental" : "whole list", r->next_from);
		return;
	}
	fprintf(stderr, "vellum harvest: %s: %s\n", name, err->msg);
	if (*r->stopped_at)
		fprintf(stderr, "  stopped at %s\n", r->stopped_at);
	fprintf(stderr,
		"  records stored so far are kept; the next run continues "
		"from the last page read\n");
}

static int
harvest_one(struct run_ctx *x, const char *name, json_t *arr)
{
	struct oai_harvest_result r;
	struct vl_err err = { 0 };
	int rc;

	cli_progress_start(&x->bar, x->cli, name, 0, 0);
	rc = oai_harvest_run(x->cli->repo, name, &x->o, &r, &err);
	cli_progress_done(&x->bar);
	if (arr) {
		json_t *o = result_json(name, &r, rc);

		if (rc < 0 && !*r.error)
			json_object_set_new(o, "error", json_string(err.msg));
		json_array_append_new(arr, o);
	} else if (!x->cli->quiet || rc < 0) {
		print_result(name, &r, rc, &err);
	}
	if (rc < 0)
		return CLI_FAILURE;
	return r.rejected ? CLI_PROBLEM : CLI_OK;
}

static void
stage_cleaned(void *ctx, const char *what)
{
	(void)ctx;
	vl_log_info("%s", what);
}

static int
run_run(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "all", no_argument, NULL, O_ALL },
		{ "full", no_argument, NULL, O_FULL },
		{ "sweep", no_argument, NULL, O_SWEEP },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "retries", required_argument, NULL, O_RETRIES },
		{ "backoff", required_argument, NULL, O_BACKOFF },
		{ "max-wait", required_argument, NULL, O_MAXWAIT },
		{ "delay", required_argument, NULL, O_DELAY },
		{ "max-response", required_argument, NULL, O_MAXRESP },
		{ "batch", required_argument, NULL, O_BATCH },
		{ NULL, 0, NULL, 0 },
	};
	struct run_ctx x = { .cmd = cmd, .cli = cli };
	struct vl_err err = { 0 };
	char **names = NULL, *ops[1];
	size_t i, n = 0;
	json_t *arr = NULL;
	int rc, worst = CLI_OK, one, nops;

	oai_harvest_opts_init(&x.o);
	if ((rc = parse_args(cli, cmd, argc, argv, longopts, on_run_opt, &x,
			     ops, 1, &nops)) >= 0)
		return rc;
	if (nops && x.all)
		return cli_usage(cmd, "give NAME or --all, not both");
	if (nops) {
		if (oai_source_name_check(ops[0], &err) < 0)
			return cli_usage(cmd, "%s", err.msg);
		if (!(names = calloc(1, sizeof(*names))) ||
		    !(names[0] = strdup(ops[0]))) {
			free(names);
			vl_err_set(&err, VL_E_NOMEM, "out of memory");
			return cli_fail(cli, &err);
		}
		n = 1;
	} else if (oai_source_names(cli->repo, &names, &n, &err) < 0) {
		return cli_fail(cli, &err);
	}
	if (repo_store_clean_stages(cli->repo, stage_cleaned, NULL, &err) < 0) {
		rc = cli_fail(cli, &err);
		goto out;
	}
	x.o.stop = &stop_flag;
	x.o.warn = on_note;
	x.o.progress = on_progress;
	x.o.ctx = &x;
	catch_signals();
	if (cli->json)
		arr = json_array();
	if (!n && !cli->quiet && !cli->json)
		printf("No harvest sources; add one with `vellum harvest add "
		       "NAME URL`\n");
	for (i = 0; i < n && !stop_flag; i++) {
		one = harvest_one(&x, names[i], arr);
		if (one == CLI_FAILURE ||
		    (one == CLI_PROBLEM && worst == CLI_OK))
			worst = one;
	}
	if (x.rejected > SHOW_REJECTED && !cli->quiet)
		fprintf(stderr,
			"vellum harvest: %llu more refused records not "
			"shown; see `vellum harvest list`\n",
			(unsigned long long)(x.rejected - SHOW_REJECTED));
	if (arr)
		cli_json_out(json_pack("{s:b, s:o}", "ok", worst == CLI_OK,
				       "sources", arr));
	rc = worst;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(struct cli *, const struct cli_cmd *, int, char **);
} subs[] = {
	{ "add", run_add },
	{ "run", run_run },
	{ "list", run_list },
	{ "remove", run_remove },
};

static int
run_harvest(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return cli_usage(cmd, "a subcommand is needed: add, run, list, "
				      "remove");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cli_print_help(cmd, stdout);
		return CLI_OK;
	}
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(cli, cmd, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown subcommand '%s'", argv[1]);
}

const struct cli_cmd cmd_harvest = {
	"harvest",     run_harvest,
	CLI_NEED_REPO, "harvest other OAI-PMH repositories into collections",
	harvest_usage, harvest_help,
};
