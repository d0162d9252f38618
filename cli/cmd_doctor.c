/*
 * cmd_doctor.c - `vellum doctor`: check the repository, optionally repair.
 */
#include "cli.h"
#include "../ingest/ingest.h"

static const char *const doctor_usage[] = { "doctor [--repair] [--json]",
					    NULL };

static const char doctor_help[] =
	"Checks the repository and reports every disagreement:\n"
	"  - stages left by interrupted ingests (always removed: they never\n"
	"    hold data that was reported stored);\n"
	"  - the catalog's integrity (SQLite quick_check, foreign keys);\n"
	"  - the PREMIS event log's hash chain (an edited, inserted or\n"
	"    removed event is named);\n"
	"  - objects in the catalog but missing from storage;\n"
	"  - objects in storage the catalog does not know (an ingest that\n"
	"    was interrupted after storing, before its catalog commit);\n"
	"  - storage still held by deleted objects;\n"
	"  - objects kept in the catalog alone (no bag, like harvested\n"
	"    records) whose current metadata version is not there.\n"
	"\n"
	"Options:\n"
	"  --repair   fix what is safe to fix: remove unknown stored objects\n"
	"             and storage of deleted objects.  Missing objects are\n"
	"             only reported (restore them from a replica).\n"
	"  --json     report as JSON\n"
	"\n"
	"Exit status: 0 when nothing is wrong (or everything found was\n"
	"repaired), 1 when a problem remains, 3 when the checks could not\n"
	"run.\n";

static const char *const kind_names[] = {
	"info", "stage", "catalog", "events", "missing", "orphan", "leftover",
};

struct out {
	struct cli *cli;
	json_t *findings;
};

static void
finding(void *ctx, enum ing_doctor_kind kind, int repaired, const char *msg)
{
	struct out *o = ctx;

	if (o->findings) {
		json_array_append_new(o->findings,
				      json_pack("{s:s, s:b, s:s}", "kind",
						kind_names[kind], "repaired",
						repaired, "message", msg));
		return;
	}
	if (!o->cli->quiet || !repaired)
		printf("%s: %s\n", repaired ? "repaired" : "problem", msg);
}

static int
on_opt(void *ctx, int c, const char *arg)
{
	(void)arg;
	if (c == 'R')
		((struct ing_doctor_opts *)ctx)->repair = 1;
	return 0;
}

static int
run_doctor(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "repair", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct ing_doctor_opts opts = { 0 };
	struct ing_doctor_report rep;
	struct vl_err err = { 0 };
	struct out o = { cli, NULL };
	int rc, remaining;

	if ((rc = cli_parse(cli, cmd, argc, argv, "", longopts, on_opt,
			    &opts)) >= 0)
		return rc;
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (cli->json)
		o.findings = json_array();
	opts.cb = finding;
	opts.ctx = &o;
	if (ing_doctor(cli->repo, &opts, &rep, &err) < 0) {
		json_decref(o.findings);
		return cli_fail(cli, &err);
	}
	remaining = rep.problems - rep.repaired;
	if (cli->json) {
		cli_json_out(json_pack(
			"{s:b, s:I, s:I, s:I, s:i, s:i, s:o}", "ok",
			remaining == 0, "objects", (json_int_t)rep.objects,
			"catalog_only", (json_int_t)rep.catalog_only, "events",
			(json_int_t)rep.events, "problems", rep.problems,
			"repaired", rep.repaired, "findings", o.findings));
	} else if (!cli->quiet) {
		printf("%lld stored objects, %lld kept in the catalog alone "
		       "and %lld events checked: %d problem%s, %d repaired\n",
		       (long long)rep.objects, (long long)rep.catalog_only,
		       (long long)rep.events, rep.problems,
		       rep.problems == 1 ? "" : "s", rep.repaired);
	}
	return remaining ? CLI_PROBLEM : CLI_OK;
}

const struct cli_cmd cmd_doctor = {
	"doctor",
	run_doctor,
	CLI_NEED_REPO,
	"check the catalog, storage and event log; repair what is safe",
	doctor_usage,
	doctor_help,
};
