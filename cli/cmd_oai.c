/*
 * cmd_oai.c - `vellum oai`: tools around the OAI-PMH provider without a
 * server: load synthetic records (tests, benchmarks, demos) and answer
 * one request on stdout.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../oai/oai.h"
#include "cli.h"

static const char *const oai_usage[] = {
	"oai synth N [--collections K] [--deleted-every M] [--seed S]",
	"            [--id-prefix P]",
	"oai request ARGS",
	NULL,
};

static const char oai_help[] =
	"oai synth N\n"
	"  Adds N synthetic records to the catalog in one transaction (all\n"
	"  or nothing): objects with schema-valid oai_dc and MODS 3.8\n"
	"  metadata (multilingual titles and abstracts with xml:lang; source\n"
	"  values with control characters that the writer removes), and\n"
	"  pseudo-random datestamps between 2015 and yesterday.  Ids are\n"
	"  P followed by 8 digits, continuing after existing ones.  No\n"
	"  PREMIS events are written: these are test data, not ingests.\n"
	"  1,000,000 records take about half a minute.\n"
	"  --collections K     create K sets (every third a child set a:b)\n"
	"                      and put each record in one or two (0)\n"
	"  --deleted-every M   make every Mth record a tombstone (0 = none)\n"
	"  --seed S            variety of the generated values (1)\n"
	"  --id-prefix P       id prefix (synth-)\n"
	"  --json              report as JSON\n"
	"\n"
	"oai request ARGS\n"
	"  Prints the OAI-PMH response to ARGS, given as a query string\n"
	"  (e.g. 'verb=ListRecords&metadataPrefix=oai_dc'), exactly as\n"
	"  `vellum serve` would send it.  OAI-PMH errors are responses too:\n"
	"  the exit code is 0 whenever a response was written.\n";

enum { O_COLL = 0x200, O_DEL, O_SEED, O_PREFIX };

struct synth_ctx {
	const struct cli_cmd *cmd;
	struct oai_synth_opts o;
	struct cli_progress bar;
};

static int
on_synth_opt(void *vctx, int c, const char *arg)
{
	struct synth_ctx *x = vctx;
	uint64_t v;
	int rc;

	switch (c) {
	case O_COLL:
		if ((rc = cli_parse_uint(x->cmd, "--collections", arg, 100000,
					 &v)))
			return rc;
		x->o.collections = (unsigned)v;
		break;
	case O_DEL:
		return cli_parse_uint(x->cmd, "--deleted-every", arg,
				      UINT64_MAX, &x->o.deleted_every);
	case O_SEED:
		return cli_parse_uint(x->cmd, "--seed", arg, UINT64_MAX,
				      &x->o.seed);
	case O_PREFIX:
		if (!*arg || strlen(arg) > 64 || strpbrk(arg, "\r\n"))
			return cli_usage(x->cmd,
					 "--id-prefix needs 1 to 64 "
					 "characters, not '%s'",
					 arg);
		x->o.id_prefix = arg;
		break;
	}
	return 0;
}

static void
on_progress(void *ctx, uint64_t done)
{
	struct synth_ctx *x = ctx;

	cli_progress_update(&x->bar, done, 0);
}

static int
run_synth(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "collections", required_argument, NULL, O_COLL },
		{ "deleted-every", required_argument, NULL, O_DEL },
		{ "seed", required_argument, NULL, O_SEED },
		{ "id-prefix", required_argument, NULL, O_PREFIX },
		{ NULL, 0, NULL, 0 },
	};
	struct synth_ctx x;
	struct vl_err err = { 0 };
	struct timespec t0, t1;
	uint64_t deleted;
	double secs;
	int rc;

	memset(&x, 0, sizeof(x));
	x.cmd = cmd;
	x.o.seed = 1;
	x.o.id_prefix = "synth-";
	if ((rc = cli_parse(cli, cmd, argc, argv, "", longopts, on_synth_opt,
			    &x)) >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage(cmd, "oai synth needs the number of records");
	if ((rc = cli_parse_uint(cmd, "N", argv[optind], 100000000,
				 &x.o.count)))
		return rc;
	/* Options may also follow N. */
	argc -= optind;
	argv += optind;
	if ((rc = cli_parse(cli, cmd, argc, argv, "", longopts, on_synth_opt,
			    &x)) >= 0)
		return rc;
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	x.o.progress = on_progress;
	x.o.progress_ctx = &x;
	cli_progress_start(&x.bar, cli, "synth", x.o.count, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = oai_synth(cli->repo, &x.o, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cli_progress_done(&x.bar);
	if (rc < 0)
		return cli_fail(cli, &err);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	deleted = x.o.deleted_every ? x.o.count / x.o.deleted_every : 0;
	if (cli->json)
		cli_json_out(json_pack("{s:I, s:I, s:i, s:f}", "added",
				       (json_int_t)x.o.count, "deleted_about",
				       (json_int_t)deleted, "sets",
				       (int)x.o.collections, "seconds", secs));
	else if (!cli->quiet)
		printf("added %llu synthetic records (about %llu deleted, "
		       "%u sets) in %.1f s\n",
		       (unsigned long long)x.o.count,
		       (unsigned long long)deleted, x.o.collections, secs);
	return CLI_OK;
}

static int
run_request(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	struct vl_buf out = VL_BUF_INIT, path = VL_BUF_INIT;
	struct oai_provider *p = NULL;
	struct oai_db *d = NULL;
	struct vl_err err = { 0 };
	int rc;

	if ((rc = cli_parse(cli, cmd, argc, argv, "",
			    (const struct option[]){ CLI_COMMON_LONG,
						     { NULL, 0, NULL, 0 } },
			    NULL, NULL)) >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage(cmd, "oai request needs the arguments, e.g. "
				      "'verb=Identify'");
	if (optind + 1 < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (vl_buf_addf(&path, "%s/%s", cli->repo->path, REPO_CATALOG_NAME) <
	    0) {
		rc = vl_err_set(&err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = oai_provider_new(&p, cli->repo, NULL, &err)) < 0 ||
	    (rc = oai_db_open(&d, path.buf, &err)) < 0 ||
	    (rc = oai_respond(&out, p, d, argv[optind], time(NULL), &err)) < 0)
		goto out;
	fwrite(out.buf, 1, out.len, stdout);
out:
	oai_db_close(d);
	oai_provider_free(p);
	vl_buf_release(&out);
	vl_buf_release(&path);
	return rc < 0 ? cli_fail(cli, &err) : CLI_OK;
}

static int
run_oai(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		if (argc >= 2) {
			cli_print_help(cmd, stdout);
			return CLI_OK;
		}
		return cli_usage(cmd, "a subcommand is needed: synth, request");
	}
	if (!strcmp(argv[1], "synth"))
		return run_synth(cli, cmd, argc - 1, argv + 1);
	if (!strcmp(argv[1], "request"))
		return run_request(cli, cmd, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown subcommand '%s'", argv[1]);
}

const struct cli_cmd cmd_oai = {
	"oai",         run_oai,
	CLI_NEED_REPO, "OAI-PMH tools: synthetic records, one request",
	oai_usage,     oai_help,
};
