/*
 * cmd_audit.c - `vellum audit`: fixity audits (run, history, report,
 * prune).  The work is in fixity/audit*.c; this file parses options,
 * turns signals into a stop flag, prints summaries (text, JSON, CSV) and
 * sends the alerts.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "../fixity/fixity.h"

static const char *const audit_usage[] = {
	"audit [--all | --collection SPEC | --id ID ...] [--older-than AGE]",
	"      [--max-time AGE] [--max-bytes SIZE] [--max-objects N]",
	"      [--rate SIZE] [--shard I/N] [--threads N] [--lock]",
	"      [--repair-from DIR] [--notify URL] [--mail-to ADDR]",
	"      [--no-notify] [--dry-run] [--json | --csv]",
	"audit history [--json] ID",
	"audit report [--since AGE] [--json]",
	"audit prune --keep N [--dry-run] [--json]",
	NULL,
};

static const char audit_help[] =
	"Re-reads stored objects through the storage interface, recomputes\n"
	"the digest of every payload and tag file (one read per file for all\n"
	"algorithms, on all CPUs) and compares it with the catalog and with\n"
	"the bag's own manifests and tag manifests.  Every stored file the\n"
	"catalog does not know is reported too.  Outcomes per file:\n"
	"  altered     content, size or type changed (a byte flipped, a\n"
	"              truncation, a file replaced by a symlink)\n"
	"  missing     in the catalog, not in storage\n"
	"  extra       in storage, not in the catalog\n"
	"  unreadable  reading failed\n"
	"  mismatch    the catalog and the bag's manifests disagree while the\n"
	"              file matches one of them (an edited catalog digest or\n"
	"              manifest), or a payload file a manifest does not list\n"
	"An object fails when any of its files is not ok.  Objects are taken\n"
	"oldest-checked first (never-checked ones first of all), so a run\n"
	"stopped by a budget or by SIGINT/SIGTERM keeps what it finished and\n"
	"the next run continues with the rest.  Each checked object gets a\n"
	"PREMIS fixity check event naming the failed files and digests, and\n"
	"the run gets an audit record.\n"
	"\n"
	"Selection (default --all: every active stored object):\n"
	"  --collection SPEC   objects in SPEC or a collection below it\n"
	"  --id ID             this object (repeatable)\n"
	"  --older-than AGE    only objects not checked for AGE (90d, 12h)\n"
	"  --shard I/N         the I-th of N deterministic parts (I = 1..N,\n"
	"                      by FNV-1a hash of the identifier): N machines\n"
	"                      or N nights together cover everything once\n"
	"Budgets (a run stops taking objects when one is spent):\n"
	"  --max-time AGE      stop after AGE; files being read stop at once,\n"
	"                      and their objects stay first in line\n"
	"  --max-bytes SIZE    take objects while their total fits SIZE\n"
	"                      (500G); the first is taken whatever its size\n"
	"  --max-objects N     at most N objects\n"
	"  --rate SIZE         read at most SIZE bytes/s (200M), read by\n"
	"                      read, so audits do not starve other work\n"
	"  --threads N         hashing threads (default: one per CPU)\n"
	"Other options:\n"
	"  --lock              refuse to start while another audit holds\n"
	"                      REPO/audit.lock (for cron and timers)\n"
	"  --repair-from DIR   restore altered, missing and unreadable files\n"
	"                      from a replica: DIR/ID/ (as `vellum export`\n"
	"                      writes) or DIR/objects/KEY/ (a storage copy);\n"
	"                      each copy must match every catalog digest,\n"
	"                      and is verified again once stored; a\n"
	"                      replication event records it\n"
	"  --notify URL        on failure, POST the JSON summary to URL\n"
	"                      (default: notify_url in vellum.conf); 3\n"
	"                      attempts, 30 s timeout each\n"
	"  --mail-to ADDR      on failure, mail the summary through the\n"
	"                      local sendmail (default: mail_to; the program\n"
	"                      is $VELLUM_SENDMAIL, else /usr/sbin/sendmail)\n"
	"  --no-notify         send no alert, whatever the configuration\n"
	"  --dry-run           list the objects the selection would take,\n"
	"                      in order, reading nothing\n"
	"  --json              the summary as JSON (failures included)\n"
	"  --csv               one CSV row per object (one per problem file\n"
	"                      of a failed object), written as objects finish\n"
	"An alert that cannot be delivered is recorded and warned about; the\n"
	"audit's outcome stays what it found.\n"
	"\n"
	"audit history ID   the object's recorded checks, newest first, with\n"
	"                   their findings, and its files not known intact.\n"
	"audit report       fixity health: objects and bytes checked within\n"
	"                   --since AGE (default 30d), never-checked objects,\n"
	"                   the oldest check, open failures (objects whose\n"
	"                   last check failed), the last runs and failed\n"
	"                   alerts.  Exit status 1 while failures are open.\n"
	"audit prune        compacts the success history: keeps every\n"
	"                   failed check, each object's first check, the\n"
	"                   first success after a failure and the --keep N\n"
	"                   latest successes; removes the other records and\n"
	"                   their events (the event chain stays verifiable).\n"
	"\n"
	"Exit status: 0 nothing failed; 1 an object failed (or, for report,\n"
	"failures are open); 2 usage; 3 the audit could not run (another\n"
	"audit holds the lock, the catalog failed).\n";

#define KEEP_FAILURES 1000 /* findings kept for the summary */

struct opts {
	const struct cli_cmd *cmd;
	const char **ids;
	size_t n_ids;
	int all, lock, no_notify, dry_run, csv;
	const char *notify, *mail_to;
	struct fix_audit_opts a;
};

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int
parse_age(const struct cli_cmd *cmd, const char *opt, const char *arg,
	  uint64_t *out)
{
	if (vl_parse_duration(arg, out) < 0 || *out == 0)
		return cli_usage(cmd,
				 "%s needs a duration like 90d or 2h, not "
				 "'%s'",
				 opt, arg);
	return 0;
}

static int
parse_size(const struct cli_cmd *cmd, const char *opt, const char *arg,
	   uint64_t *out)
{
	if (vl_parse_size(arg, out) < 0 || *out == 0)
		return cli_usage(cmd,
				 "%s needs a size like 500G or 200M, not "
				 "'%s'",
				 opt, arg);
	return 0;
}

static int
parse_shard(struct opts *o, const char *arg)
{
	unsigned i, n;
	char end;

	if (sscanf(arg, "%u/%u%c", &i, &n, &end) != 2 || n == 0 || i == 0 ||
	    i > n || n > 1000000)
		return cli_usage(o->cmd,
				 "--shard needs I/N with 1 <= I <= N, not '%s'",
				 arg);
	o->a.shard = i;
	o->a.shards = n;
	return 0;
}

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct opts *o = ctx;
	const char **ids;
	uint64_t v;
	int rc;

	switch (c) {
	case 'A': o->all = 1; return 0;
	case 'C': o->a.collection = arg; return 0;
	case 'I':
		if (!(ids = reallocarray(o->ids, o->n_ids + 1, sizeof(*ids))))
			return CLI_FAILURE;
		o->ids = ids;
		o->ids[o->n_ids++] = arg;
		return 0;
	case 'O':
		return parse_age(o->cmd, "--older-than", arg, &o->a.older_than);
	case 'T': return parse_age(o->cmd, "--max-time", arg, &o->a.max_time);
	case 'B':
		return parse_size(o->cmd, "--max-bytes", arg, &o->a.max_bytes);
	case 'N':
		if ((rc = cli_parse_uint(o->cmd, "--max-objects", arg,
					 INT64_MAX, &o->a.max_objects)) != 0)
			return rc;
		return o->a.max_objects ? 0
					: cli_usage(o->cmd, "--max-objects "
							    "needs at least 1");
	case 'R': return parse_size(o->cmd, "--rate", arg, &o->a.rate);
	case 'S': return parse_shard(o, arg);
	case 'H':
		if ((rc = cli_parse_uint(o->cmd, "--threads", arg, 256, &v)) !=
		    0)
			return rc;
		o->a.threads = (unsigned)v;
		return 0;
	case 'L': o->lock = 1; return 0;
	case 'P': o->a.repair_from = arg; return 0;
	case 'U': o->notify = arg; return 0;
	case 'M': o->mail_to = arg; return 0;
	case 'X': o->no_notify = 1; return 0;
	case 'D': o->dry_run = 1; return 0;
	case 'V': o->csv = 1; return 0;
	}
	return 0;
}

/* ---- the run's output ---- */

struct out {
	struct cli *cli;
	struct opts *o;
	json_t *failures; /* the first KEEP_FAILURES findings */
	uint64_t nfailures;
	struct cli_progress prog;
};

static void
csv_field(const char *s)
{
	const char *p;

	if (!s)
		s = "";
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (p = s; *p; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	putchar('"');
}

static void
csv_row(const struct fix_object_result *r, const struct fix_finding *f)
{
	char n[32];

	csv_field(r->object_id);
	putchar(',');
	csv_field(r->failed ? "failed" : "ok");
	printf(",%llu,%llu,", (unsigned long long)r->files,
	       (unsigned long long)r->bytes);
	csv_field(r->checked);
	putchar(',');
	csv_field(f ? f->path : NULL);
	putchar(',');
	csv_field(f ? fix_outcome_name(f->outcome) : NULL);
	putchar(',');
	csv_field(f ? f->algorithm : NULL);
	putchar(',');
	csv_field(f ? f->expected : NULL);
	putchar(',');
	csv_field(f ? f->found : NULL);
	putchar(',');
	csv_field(f ? f->detail : NULL);
	snprintf(n, sizeof(n), ",%d\n", f ? f->repaired : 0);
	fputs(n, stdout);
}

static void
on_object(void *ctx, const struct fix_object_result *r)
{
	struct out *o = ctx;
	size_t i;

	if (o->o->csv) {
		if (!r->n_findings)
			csv_row(r, NULL);
		for (i = 0; i < r->n_findings; i++)
			csv_row(r, &r->findings[i]);
	}
	for (i = 0; i < r->n_findings; i++) {
		const struct fix_finding *f = &r->findings[i];

		if (o->nfailures++ >= KEEP_FAILURES)
			continue;
		json_array_append_new(
			o->failures,
			json_pack(
				"{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:b}",
				"object", r->object_id, "path", f->path,
				"outcome", fix_outcome_name(f->outcome),
				"algorithm", f->algorithm, "expected",
				f->expected, "found", f->found, "detail",
				f->detail, "repaired", f->repaired));
	}
}

static void
on_progress(void *ctx, uint64_t objects, uint64_t bytes)
{
	struct out *o = ctx;

	cli_progress_update(&o->prog, objects, bytes);
}

static json_t *
summary_json(struct repo *r, const struct fix_audit_summary *s,
	     const struct out *o)
{
	double rate = s->seconds > 0 ? (double)s->bytes / s->seconds : 0;

	return json_pack(
		"{s:b, s:s, s:I, s:s, s:s, s:s, s:f, s:I, s:I, s:I, s:f, s:I, "
		"s:I, s:I, s:I, s:I, s:s?, s:O, s:b}",
		"ok", s->failed_objects == 0, "repository", r->cfg.name,
		"audit", (json_int_t)s->audit_id, "started", s->started,
		"finished", s->finished, "scope", s->scope, "seconds",
		s->seconds, "objects", (json_int_t)s->objects, "files",
		(json_int_t)s->files, "bytes", (json_int_t)s->bytes,
		"bytes_per_second", rate, "failed_objects",
		(json_int_t)s->failed_objects, "failed_files",
		(json_int_t)s->failed_files, "repaired_files",
		(json_int_t)s->repaired_files, "skipped",
		(json_int_t)s->skipped, "catalog_only",
		(json_int_t)s->catalog_only, "stopped_by",
		s->stopped_by ? fix_stop_name(s->stopped_by) : NULL, "failures",
		o->failures, "failures_truncated",
		o->nfailures > KEEP_FAILURES);
}

static void
print_failure(FILE *fp, json_t *f)
{
	const char *alg = json_string_value(json_object_get(f, "algorithm"));
	const char *det = json_string_value(json_object_get(f, "detail"));

	fprintf(fp, "  %s  %-10s %s%s\n",
		json_string_value(json_object_get(f, "object")),
		json_string_value(json_object_get(f, "outcome")),
		json_string_value(json_object_get(f, "path")),
		json_is_true(json_object_get(f, "repaired"))
			? "  (restored from the replica)"
			: "");
	if (det)
		fprintf(fp, "      %s\n", det);
	if (alg)
		fprintf(fp, "      %s expected %s\n      %s found    %s\n", alg,
			json_string_value(json_object_get(f, "expected")), alg,
			json_string_value(json_object_get(f, "found")));
}

static void
print_summary(FILE *fp, const struct fix_audit_summary *s, const struct out *o)
{
	char bytes[32], rate[32];
	size_t i;

	cli_human_bytes(bytes, sizeof(bytes), s->bytes);
	cli_human_bytes(
		rate, sizeof(rate),
		s->seconds > 0 ? (uint64_t)((double)s->bytes / s->seconds) : 0);
	fprintf(fp,
		"audit %lld: %llu objects, %llu files, %s in %.1f s (%s/s)\n",
		(long long)s->audit_id, (unsigned long long)s->objects,
		(unsigned long long)s->files, bytes, s->seconds, rate);
	if (s->failed_objects)
		fprintf(fp, "FAILED: %llu object%s, %llu file%s%s\n",
			(unsigned long long)s->failed_objects,
			s->failed_objects == 1 ? "" : "s",
			(unsigned long long)s->failed_files,
			s->failed_files == 1 ? "" : "s",
			s->repaired_files ? " (some restored, see below)" : "");
	else
		fprintf(fp, "all objects intact\n");
	for (i = 0; i < json_array_size(o->failures); i++)
		print_failure(fp, json_array_get(o->failures, i));
	if (o->nfailures > KEEP_FAILURES)
		fprintf(fp, "  ... and %llu more: vellum audit report\n",
			(unsigned long long)(o->nfailures - KEEP_FAILURES));
	if (s->catalog_only)
		fprintf(fp,
			"%llu object%s kept in the catalog alone (no bag: "
			"harvested or synthetic records) not audited\n",
			(unsigned long long)s->catalog_only,
			s->catalog_only == 1 ? "" : "s");
	if (s->skipped)
		fprintf(fp,
			"%llu object%s changed while being read: left for "
			"the next run\n",
			(unsigned long long)s->skipped,
			s->skipped == 1 ? "" : "s");
	if (s->stopped_by)
		fprintf(fp,
			"stopped by %s; the next run continues with the "
			"objects not checked\n",
			fix_stop_name(s->stopped_by));
}

/* Sends the alerts of a failed audit; records and reports each. */
static void
notify(struct cli *cli, struct opts *op, const struct fix_audit_summary *s,
       json_t *summary, const struct out *o, json_t *notes)
{
	struct repo *r = cli->repo;
	const char *url = op->notify ? op->notify : r->cfg.notify_url;
	const char *to = op->mail_to ? op->mail_to : r->cfg.mail_to;
	struct vl_err e = { 0 }, e2 = { 0 };
	char subject[512];
	char *body;
	int rc;

	if (op->no_notify || !s->failed_objects)
		return;
	if (url && *url) {
		body = json_dumps(summary, JSON_COMPACT);
		rc = body ? fix_notify_webhook(url, body, 3, &e)
			  : vl_err_set(&e, VL_E_NOMEM, "out of memory");
		free(body);
		json_array_append_new(
			notes, json_pack("{s:s, s:s, s:b, s:s}", "channel",
					 "webhook", "target", url, "ok",
					 rc == 0, "message", rc ? e.msg : ""));
		if (rc < 0)
			vl_log_warnx("warning: alert not delivered: %s", e.msg);
		if (fix_audit_notice(r, s->audit_id, "webhook", url, rc == 0,
				     rc ? e.msg : "", &e2) < 0)
			vl_log_warnx("warning: %s", e2.msg);
	}
	if (to && *to) {
		struct vl_buf text = VL_BUF_INIT;
		char *mem = NULL;
		size_t len = 0;
		FILE *fp = open_memstream(&mem, &len);

		if (fp) {
			print_summary(fp, s, o);
			fclose(fp);
		}
		vl_buf_addf(&text, "%s", mem ? mem : "");
		free(mem);
		snprintf(subject, sizeof(subject),
			 "[vellum] fixity audit %lld of %s: %llu object%s "
			 "failed",
			 (long long)s->audit_id, r->cfg.name,
			 (unsigned long long)s->failed_objects,
			 s->failed_objects == 1 ? "" : "s");
		vl_err_clear(&e);
		rc = fix_notify_mail(to, subject, text.buf, &e);
		vl_buf_release(&text);
		json_array_append_new(
			notes, json_pack("{s:s, s:s, s:b, s:s}", "channel",
					 "mail", "target", to, "ok", rc == 0,
					 "message", rc ? e.msg : ""));
		if (rc < 0)
			vl_log_warnx("warning: alert not delivered: %s", e.msg);
		if (fix_audit_notice(r, s->audit_id, "mail", to, rc == 0,
				     rc ? e.msg : "", &e2) < 0)
			vl_log_warnx("warning: %s", e2.msg);
	}
}

static void
print_notes(json_t *notes)
{
	size_t i;

	for (i = 0; i < json_array_size(notes); i++) {
		json_t *n = json_array_get(notes, i);

		if (json_is_true(json_object_get(n, "ok")))
			printf("alert sent: %s to %s\n",
			       json_string_value(json_object_get(n, "channel")),
			       json_string_value(json_object_get(n, "target")));
		else
			printf("alert NOT delivered (recorded): %s to %s: %s\n",
			       json_string_value(json_object_get(n, "channel")),
			       json_string_value(json_object_get(n, "target")),
			       json_string_value(
				       json_object_get(n, "message")));
	}
}

struct dry {
	struct cli *cli;
	json_t *arr;
};

static int
dry_row(void *ctx, const char *id, const char *last, uint64_t bytes)
{
	struct dry *d = ctx;

	if (d->arr)
		json_array_append_new(d->arr, json_pack("{s:s, s:s?, s:I}",
							"id", id, "last_audit",
							last, "payload_bytes",
							(json_int_t)bytes));
	else
		printf("%s\t%s\t%llu\n", id, last ? last : "never",
		       (unsigned long long)bytes);
	return 0;
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

static int
do_run(struct cli *cli, struct opts *op)
{
	struct fix_audit_summary s;
	struct vl_err err = { 0 };
	struct out o = { cli, op, json_array(), 0, { 0 } };
	json_t *summary, *notes = json_array();
	int rc, lock_fd = -1;

	op->a.ids = op->ids;
	op->a.n_ids = op->n_ids;
	if (op->dry_run) {
		struct dry d = { cli, cli->json ? json_array() : NULL };

		json_decref(o.failures);
		json_decref(notes);
		if (fix_audit_select(cli->repo, &op->a, dry_row, &d, &err) <
		    0) {
			json_decref(d.arr);
			return cli_fail(cli, &err);
		}
		if (d.arr)
			cli_json_out(d.arr);
		return CLI_OK;
	}
	if (op->lock && fix_audit_lock(cli->repo, &lock_fd, &err) < 0) {
		json_decref(o.failures);
		json_decref(notes);
		return cli_fail(cli, &err);
	}
	catch_signals();
	op->a.stop = &stop_flag;
	op->a.on_object = on_object;
	op->a.on_progress = on_progress;
	op->a.ctx = &o;
	if (op->csv)
		puts("object,outcome,files,bytes,checked,path,file_outcome,"
		     "algorithm,expected,found,detail,repaired");
	cli_progress_start(&o.prog, cli, "audit", 0, 0);
	rc = fix_audit_run(cli->repo, &op->a, &s, &err);
	cli_progress_done(&o.prog);
	if (rc < 0) {
		json_decref(o.failures);
		json_decref(notes);
		if (lock_fd >= 0)
			close(lock_fd);
		return cli_fail(cli, &err);
	}
	summary = summary_json(cli->repo, &s, &o);
	notify(cli, op, &s, summary, &o, notes);
	json_object_set_new(summary, "notifications", notes);
	if (cli->json)
		cli_json_out(summary);
	else {
		/* -q: silent unless something failed (cron mails output). */
		if (!op->csv && (!cli->quiet || s.failed_objects))
			print_summary(stdout, &s, &o);
		if (!op->csv)
			print_notes(notes);
		json_decref(summary);
	}
	json_decref(o.failures);
	if (lock_fd >= 0)
		close(lock_fd);
	return s.failed_objects ? CLI_PROBLEM : CLI_OK;
}

/* ---- history, report, prune ---- */

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static long long
jint(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void
print_findings(json_t *fs, const char *indent)
{
	size_t i;

	for (i = 0; i < json_array_size(fs); i++) {
		json_t *f = json_array_get(fs, i);

		printf("%s%-10s %s%s%s%s\n", indent, jstr(f, "outcome"),
		       jstr(f, "path"), *jstr(f, "detail") ? ": " : "",
		       jstr(f, "detail"),
		       jint(f, "repaired") ? " (restored)" : "");
		if (*jstr(f, "algorithm"))
			printf("%s           %s expected %s, found %s\n",
			       indent, jstr(f, "algorithm"),
			       jstr(f, "expected"), jstr(f, "found"));
	}
}

static int
do_history(struct cli *cli, const char *id)
{
	struct vl_err err = { 0 };
	json_t *h, *checks, *files;
	char bytes[32];
	size_t i;

	if (fix_audit_history(cli->repo, id, &h, &err) < 0)
		return cli_fail(cli, &err);
	if (cli->json)
		return cli_json_out(h) < 0 ? CLI_FAILURE : CLI_OK;
	checks = json_object_get(h, "checks");
	files = json_object_get(h, "problem_files");
	printf("%s: last checked %s%s%s%s; %zu check%s recorded\n", id,
	       *jstr(h, "last_audit") ? jstr(h, "last_audit") : "never",
	       *jstr(h, "last_audit_outcome") ? " (" : "",
	       jstr(h, "last_audit_outcome"),
	       *jstr(h, "last_audit_outcome") ? ")" : "",
	       json_array_size(checks),
	       json_array_size(checks) == 1 ? "" : "s");
	for (i = 0; i < json_array_size(checks); i++) {
		json_t *c = json_array_get(checks, i);

		cli_human_bytes(bytes, sizeof(bytes),
				(uint64_t)jint(c, "bytes"));
		printf("%s  audit %lld  %-6s %lld files, %s%s  event %s\n",
		       jstr(c, "checked"), jint(c, "audit"), jstr(c, "outcome"),
		       jint(c, "files"), bytes,
		       jint(c, "complete") ? "" : " (cut short)",
		       jstr(c, "event"));
		print_findings(json_object_get(c, "findings"), "    ");
	}
	if (json_array_size(files))
		printf("Files not known to be intact:\n");
	for (i = 0; i < json_array_size(files); i++) {
		json_t *f = json_array_get(files, i);

		printf("  %-10s %s%s%s\n",
		       *jstr(f, "last_outcome") ? jstr(f, "last_outcome")
						: "unchecked",
		       jstr(f, "path"), *jstr(f, "last_checked") ? " at " : "",
		       jstr(f, "last_checked"));
	}
	json_decref(h);
	return CLI_OK;
}

static void
print_report(json_t *h)
{
	json_t *c = json_object_get(h, "checked_since");
	json_t *old = json_object_get(h, "oldest_check");
	json_t *fails = json_object_get(h, "open_failures");
	json_t *runs = json_object_get(h, "last_runs");
	json_t *notes = json_object_get(h, "failed_notifications");
	char total[32], recent[32];
	size_t i;

	cli_human_bytes(total, sizeof(total), (uint64_t)jint(h, "bytes"));
	cli_human_bytes(recent, sizeof(recent), (uint64_t)jint(c, "bytes"));
	printf("Objects:        %lld (%s)\n", jint(h, "objects"), total);
	printf("Checked since %s: %lld objects (%.1f%%), %s (%.1f%%)\n",
	       jstr(h, "since"), jint(c, "objects"),
	       100 * json_real_value(json_object_get(c, "share")), recent,
	       100 * json_real_value(json_object_get(c, "bytes_share")));
	printf("Never checked:  %lld\n", jint(h, "never_checked"));
	if (json_is_object(old))
		printf("Oldest check:   %s (%s)\n", jstr(old, "checked"),
		       jstr(old, "id"));
	else
		printf("Oldest check:   none\n");
	printf("Open failures:  %lld\n", jint(h, "open_failures_count"));
	for (i = 0; i < json_array_size(fails); i++) {
		json_t *f = json_array_get(fails, i);

		printf("  %s, checked %s:\n", jstr(f, "id"),
		       *jstr(f, "checked") ? jstr(f, "checked") : "never");
		print_findings(json_object_get(f, "findings"), "    ");
	}
	if (json_array_size(runs))
		printf("Last audits:\n");
	for (i = 0; i < json_array_size(runs); i++) {
		json_t *r = json_array_get(runs, i);

		printf("  %lld  %s .. %s  %s: %lld objects, %lld failed, "
		       "%s%s%s\n",
		       jint(r, "id"), jstr(r, "started"),
		       *jstr(r, "finished") ? jstr(r, "finished")
					    : "(running "
					      "or died)",
		       jstr(r, "scope"), jint(r, "objects"),
		       jint(r, "failures"),
		       *jstr(r, "outcome") ? jstr(r, "outcome") : "unfinished",
		       *jstr(r, "stopped_by") ? ", stopped by " : "",
		       jstr(r, "stopped_by"));
	}
	for (i = 0; i < json_array_size(notes); i++) {
		json_t *n = json_array_get(notes, i);

		printf("Alert not delivered: audit %lld, %s to %s at %s: %s\n",
		       jint(n, "audit"), jstr(n, "channel"), jstr(n, "target"),
		       jstr(n, "at"), jstr(n, "message"));
	}
}

struct subopts {
	const struct cli_cmd *cmd;
	uint64_t since, keep;
	int have_keep, dry_run;
};

static int
on_subopt(void *ctx, int c, const char *arg)
{
	struct subopts *o = ctx;
	int rc;

	switch (c) {
	case 'S': return parse_age(o->cmd, "--since", arg, &o->since);
	case 'K':
		if ((rc = cli_parse_uint(o->cmd, "--keep", arg, 1000000,
					 &o->keep)) != 0)
			return rc;
		o->have_keep = 1;
		return 0;
	case 'D': o->dry_run = 1; return 0;
	}
	return 0;
}

static int
do_report(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "since", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct subopts o = { cmd, 30 * 86400, 0, 0, 0 };
	struct vl_err err = { 0 };
	json_t *h;
	int rc, ok;

	if ((rc = cli_parse(cli, cmd, argc, argv, "", longopts, on_subopt,
			    &o)) >= 0)
		return rc;
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (fix_audit_health(cli->repo, o.since, &h, &err) < 0)
		return cli_fail(cli, &err);
	ok = json_is_true(json_object_get(h, "ok"));
	if (cli->json) {
		cli_json_out(h);
	} else {
		print_report(h);
		json_decref(h);
	}
	return ok ? CLI_OK : CLI_PROBLEM;
}

static int
do_prune(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "keep", required_argument, NULL, 'K' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	struct subopts o = { cmd, 0, 0, 0, 0 };
	struct fix_prune_report rep;
	struct vl_err err = { 0 };
	int rc;

	if ((rc = cli_parse(cli, cmd, argc, argv, "", longopts, on_subopt,
			    &o)) >= 0)
		return rc;
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (!o.have_keep)
		return cli_usage(cmd, "audit prune needs --keep N");
	if (fix_audit_prune(cli->repo, (unsigned)o.keep, o.dry_run, &rep,
			    &err) < 0)
		return cli_fail(cli, &err);
	if (cli->json)
		cli_json_out(json_pack(
			"{s:b, s:b, s:I, s:I, s:I, s:I}", "ok", 1, "dry_run",
			o.dry_run, "objects", (json_int_t)rep.objects, "kept",
			(json_int_t)rep.kept, "pruned", (json_int_t)rep.pruned,
			"events", (json_int_t)rep.events));
	else if (!cli->quiet)
		printf("%s %llu checks of %llu objects (%llu events); kept "
		       "%llu\n",
		       o.dry_run ? "would prune" : "pruned",
		       (unsigned long long)rep.pruned,
		       (unsigned long long)rep.objects,
		       (unsigned long long)rep.events,
		       (unsigned long long)rep.kept);
	return CLI_OK;
}

static int
run_audit(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "all", no_argument, NULL, 'A' },
		{ "collection", required_argument, NULL, 'C' },
		{ "id", required_argument, NULL, 'I' },
		{ "older-than", required_argument, NULL, 'O' },
		{ "max-time", required_argument, NULL, 'T' },
		{ "max-bytes", required_argument, NULL, 'B' },
		{ "max-objects", required_argument, NULL, 'N' },
		{ "rate", required_argument, NULL, 'R' },
		{ "shard", required_argument, NULL, 'S' },
		{ "threads", required_argument, NULL, 'H' },
		{ "lock", no_argument, NULL, 'L' },
		{ "repair-from", required_argument, NULL, 'P' },
		{ "notify", required_argument, NULL, 'U' },
		{ "mail-to", required_argument, NULL, 'M' },
		{ "no-notify", no_argument, NULL, 'X' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ "csv", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o;
	int rc;

	if (argc > 1 && !strcmp(argv[1], "history")) {
		static const struct option common[] = {
			CLI_COMMON_LONG,
			{ NULL, 0, NULL, 0 },
		};

		if ((rc = cli_parse(cli, cmd, argc - 1, argv + 1, "", common,
				    NULL, NULL)) >= 0)
			return rc;
		if (optind + 1 != argc - 1)
			return cli_usage(cmd, "audit history needs one ID");
		return do_history(cli, argv[1 + optind]);
	}
	if (argc > 1 && !strcmp(argv[1], "report"))
		return do_report(cli, cmd, argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "prune"))
		return do_prune(cli, cmd, argc - 1, argv + 1);
	memset(&o, 0, sizeof(o));
	o.cmd = cmd;
	rc = cli_parse(cli, cmd, argc, argv, "", longopts, on_opt, &o);
	if (rc < 0 && optind < argc)
		rc = cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (rc < 0 && o.all && (o.n_ids || o.a.collection))
		rc = cli_usage(cmd, "--all cannot be combined with --id or "
				    "--collection");
	if (rc < 0 && o.n_ids && o.a.collection)
		rc = cli_usage(cmd, "--id and --collection cannot be combined");
	if (rc < 0 && o.csv && cli->json)
		rc = cli_usage(cmd, "--json and --csv cannot be combined");
	if (rc < 0 && o.a.repair_from && access(o.a.repair_from, R_OK | X_OK))
		rc = cli_usage(cmd, "--repair-from: cannot read directory '%s'",
			       o.a.repair_from);
	if (rc < 0)
		rc = do_run(cli, &o);
	free(o.ids);
	return rc;
}

const struct cli_cmd cmd_audit = {
	"audit",
	run_audit,
	CLI_NEED_REPO,
	"check the fixity of stored objects; history, report, prune",
	audit_usage,
	audit_help,
};
