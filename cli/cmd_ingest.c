/*
 * cmd_ingest.c - `vellum ingest`: one source, or a batch from a CSV file.
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../ingest/ingest.h"

static const char *const ingest_usage[] = {
	"ingest [--metadata FILE | --title TEXT [--creator NAME]...]",
	"       [--id ID] [--collection SPEC]... [-a ALG]... [--dry-run]",
	"       [--allow-duplicate] [--exclude-hidden] [-j N] [--json] SOURCE",
	"ingest --batch FILE.csv [--collection SPEC]... [options]",
	NULL,
};

static const char ingest_help[] =
	"Stores SOURCE as a new object: a BagIt bag in the repository's\n"
	"storage with its checksums, a catalog entry, descriptive metadata\n"
	"(metadata/mods.xml and metadata/dc.xml inside the bag, all versions\n"
	"in the catalog) and PREMIS events (metadata/premis.xml).\n"
	"\n"
	"SOURCE is a directory of files (bagged: copied and hashed in one\n"
	"read), a bag directory (validated first, stored as it is), or a\n"
	"serialized bag, .tar, .tar.gz/.tgz or .zip (validated, unpacked).\n"
	"Either everything is stored or nothing: an interrupted or failed\n"
	"ingest leaves no object and an unchanged catalog.\n"
	"\n"
	"Description (one of):\n"
	"  --metadata FILE     a Dublin Core (oai_dc), qualified DC or MODS\n"
	"                      record; kept as given too\n"
	"  --title TEXT        values given here, with --creator NAME,\n"
	"                      --subject TERM, --description TEXT, --date\n"
	"                      DATE, --type TYPE, --language CODE, --rights\n"
	"                      TEXT, --publisher NAME (repeatable), in the\n"
	"                      language --lang TAG (BCP 47)\n"
	"  (none)              a bag's own metadata/mods.xml or\n"
	"                      metadata/dc.xml\n"
	"Subjects and types are reconciled against imported vocabularies\n"
	"(`vellum vocab`): matches gain their concept URI and labels in the\n"
	"output languages, deprecated terms are recorded as their\n"
	"replacements (with a PREMIS event), others are kept and listed.\n"
	"\n"
	"Options:\n"
	"  --id ID             the identifier (letters, digits, . _ -; at\n"
	"                      most 128); default: generated, \"v\" and a\n"
	"                      time-ordered ULID\n"
	"  --collection SPEC   add to a collection (an OAI-PMH set; \"a:b\" "
	"is\n"
	"                      inside \"a\"); repeatable\n"
	"  -a, --algorithm ALG digest algorithm, repeatable (default: the\n"
	"                      repository's 'digests' setting)\n"
	"  --allow-duplicate   store even when an object with the same\n"
	"                      payload exists (otherwise reported, skipped)\n"
	"  --dry-run           check and describe, store nothing\n"
	"  --exclude-hidden    leave out files whose names start with '.'\n"
	"  -j N                hashing threads (default: all cores)\n"
	"  --batch FILE.csv    one object per row: a 'path' column (folder or\n"
	"                      bag, relative to the CSV), optional 'id' and\n"
	"                      'collection' ('|'-separated) columns, and\n"
	"                      metadata columns as `vellum help metadata`\n"
	"                      describes (title, title@fr, creator[aut]...);\n"
	"                      rows are committed in groups of up to 64\n"
	"                      objects, each still all or nothing\n"
	"  --json              report as JSON\n"
	"\n"
	"Exit status: 0 when every object was stored or skipped as a\n"
	"duplicate; 1 when a source bag is not valid; 3 when an ingest\n"
	"failed (a batch goes on with the next row and fails at the end).\n";

enum {
	O_METADATA = 0x200,
	O_TITLE,
	O_CREATOR,
	O_SUBJECT,
	O_DESCRIPTION,
	O_DATE,
	O_TYPE,
	O_LANGUAGE,
	O_RIGHTS,
	O_PUBLISHER,
	O_LANG,
	O_ID,
	O_COLLECTION,
	O_ALLOW_DUP,
	O_DRY_RUN,
	O_HIDDEN,
	O_BATCH,
};

#define MAX_VALUES 256

struct opts {
	const struct cli_cmd *cmd;
	const char *metadata, *lang, *id, *batch;
	struct {
		enum md_element el;
		const char *text;
	} values[MAX_VALUES];
	size_t nvalues;
	const char *collections[MAX_VALUES];
	size_t ncollections;
	struct vl_buf algs;
	int allow_dup, dry_run, hidden;
	uint64_t threads;
};

static int
add_value(struct opts *o, enum md_element el, const char *text)
{
	if (o->nvalues >= MAX_VALUES)
		return cli_usage(o->cmd, "too many metadata values");
	o->values[o->nvalues].el = el;
	o->values[o->nvalues++].text = text;
	return 0;
}

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct opts *o = ctx;

	switch (c) {
	case O_METADATA: o->metadata = arg; return 0;
	case O_TITLE: return add_value(o, MD_E_TITLE, arg);
	case O_CREATOR: return add_value(o, MD_E_CREATOR, arg);
	case O_SUBJECT: return add_value(o, MD_E_SUBJECT, arg);
	case O_DESCRIPTION: return add_value(o, MD_E_DESCRIPTION, arg);
	case O_DATE: return add_value(o, MD_E_DATE, arg);
	case O_TYPE: return add_value(o, MD_E_TYPE, arg);
	case O_LANGUAGE: return add_value(o, MD_E_LANGUAGE, arg);
	case O_RIGHTS: return add_value(o, MD_E_RIGHTS, arg);
	case O_PUBLISHER: return add_value(o, MD_E_PUBLISHER, arg);
	case O_LANG: o->lang = arg; return 0;
	case O_ID: o->id = arg; return 0;
	case O_COLLECTION:
		if (o->ncollections >= MAX_VALUES)
			return cli_usage(o->cmd, "too many --collection");
		o->collections[o->ncollections++] = arg;
		return 0;
	case O_ALLOW_DUP: o->allow_dup = 1; return 0;
	case O_DRY_RUN: o->dry_run = 1; return 0;
	case O_HIDDEN: o->hidden = 1; return 0;
	case O_BATCH: o->batch = arg; return 0;
	case 'a':
		vl_buf_addf(&o->algs, "%s%s", o->algs.len ? "," : "", arg);
		return 0;
	case 'j': return cli_parse_uint(o->cmd, "-j", arg, 256, &o->threads);
	}
	return 0;
}

/* Values from the command line; only a language-neutral element (date,
 * type, language code) goes without --lang. */
static int
flags_record(struct md_record **out, const struct opts *o, struct vl_err *err)
{
	struct md_record *rec = md_record_new();
	struct md_value *v;
	size_t i;
	int rc = 0, neutral;

	*out = NULL;
	if (!rec)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	for (i = 0; i < o->nvalues && rc == 0; i++) {
		neutral = o->values[i].el == MD_E_DATE ||
			  o->values[i].el == MD_E_LANGUAGE ||
			  o->values[i].el == MD_E_TYPE;
		rc = md_record_add(&v, rec, o->values[i].el, MD_T_NONE,
				   o->values[i].text, neutral ? NULL : o->lang,
				   err);
	}
	if (rc < 0) {
		md_record_free(rec);
		return rc;
	}
	*out = rec;
	return 0;
}

/* ---- reporting ---- */

struct report {
	struct cli *cli;
	json_t *objects;
	uint64_t ingested, skipped, failed, files, bytes;
	double seconds;
	int dry_run;
	int worst; /* exit code */
	struct cli_progress progress;
};

static void
progressed(void *ctx, uint64_t files, uint64_t bytes)
{
	struct report *rp = ctx;

	cli_progress_update(&rp->progress, files, bytes);
}

static void
report_one(struct report *rp, const char *where, const struct ing_result *res,
	   int rc, const struct vl_err *err)
{
	int dry_run = rp->dry_run;
	char size[32], rate[32];
	const char *status;
	size_t i;
	json_t *o, *w;

	status = rc < 0         ? "failed"
		 : res->skipped ? "skipped"
		 : dry_run      ? "dry-run"
				: "ingested";
	if (rc < 0) {
		rp->failed++;
		if (cli_exit_code(rc) > rp->worst || rp->worst == CLI_OK)
			rp->worst = rc == VL_E_CHECK && rp->worst != CLI_FAILURE
					    ? CLI_PROBLEM
					    : CLI_FAILURE;
	} else if (res->skipped) {
		rp->skipped++;
	} else {
		rp->ingested++;
		rp->files += res->files;
		rp->bytes += res->bytes;
	}
	rp->seconds += res->seconds;
	if (rp->objects) {
		o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:f, s:s}", "id",
			      res->id, "status", status, "source", where,
			      "files", (json_int_t)res->files, "bytes",
			      (json_int_t)res->bytes, "seconds", res->seconds,
			      "title", res->title);
		if (res->duplicate_of[0])
			json_object_set_new(o, "duplicate_of",
					    json_string(res->duplicate_of));
		if (rc < 0)
			json_object_set_new(o, "error", json_string(err->msg));
		w = json_array();
		for (i = 0; i < res->nwarnings; i++)
			json_array_append_new(w, json_string(res->warnings[i]));
		json_object_set_new(o, "warnings", w);
		json_array_append_new(rp->objects, o);
		return;
	}
	if (rc < 0) {
		fprintf(stderr, "vellum: %s: %s\n", where, err->msg);
		return;
	}
	if (rp->cli->quiet)
		return;
	cli_human_bytes(size, sizeof(size), res->bytes);
	cli_human_bytes(rate, sizeof(rate),
			res->seconds > 0
				? (uint64_t)((double)res->bytes / res->seconds)
				: 0);
	if (res->skipped)
		printf("skipped %s: the same payload as %s is stored "
		       "(--allow-duplicate stores it anyway)\n",
		       where, res->duplicate_of);
	else if (dry_run)
		printf("would ingest %s as %s: %llu files, %s, \"%s\"\n", where,
		       res->id, (unsigned long long)res->files, size,
		       res->title);
	else
		printf("ingested %s: %llu files, %s in %.2f s (%s/s)\n",
		       res->id, (unsigned long long)res->files, size,
		       res->seconds, rate);
	for (i = 0; i < res->nwarnings; i++)
		printf("  warning: %s\n", res->warnings[i]);
}

static void
report_totals(struct report *rp)
{
	char size[32], rate[32];

	if (rp->objects) {
		cli_json_out(json_pack(
			"{s:b, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:f}}", "ok",
			rp->failed == 0, "objects", rp->objects, "totals",
			"ingested", (json_int_t)rp->ingested, "skipped",
			(json_int_t)rp->skipped, "failed",
			(json_int_t)rp->failed, "files", (json_int_t)rp->files,
			"bytes", (json_int_t)rp->bytes, "seconds",
			rp->seconds));
		rp->objects = NULL;
		return;
	}
	if (rp->cli->quiet)
		return;
	cli_human_bytes(size, sizeof(size), rp->bytes);
	cli_human_bytes(rate, sizeof(rate),
			rp->seconds > 0
				? (uint64_t)((double)rp->bytes / rp->seconds)
				: 0);
	printf("%llu ingested, %llu skipped, %llu failed: %llu files, %s in "
	       "%.2f s (%s/s)\n",
	       (unsigned long long)rp->ingested,
	       (unsigned long long)rp->skipped, (unsigned long long)rp->failed,
	       (unsigned long long)rp->files, size, rp->seconds, rate);
}

/* ---- one object, or a batch ---- */

static int
ingest_one(struct cli *cli, struct report *rp, struct ing_opts *io,
	   struct ing_describer *ds, const char *where)
{
	struct ing_result res;
	struct vl_err err = { 0 };
	int rc;

	io->describe = ing_describe;
	io->describe_ctx = ds;
	io->progress = progressed;
	io->ctx = rp;
	cli_progress_start(&rp->progress, cli, "ingest", 0, 0);
	rc = ing_ingest(cli->repo, io, &res, &err);
	cli_progress_done(&rp->progress);
	report_one(rp, where, &res, rc, &err);
	ing_result_release(&res);
	return rc;
}

/* Splits a '|'-separated cell into the collection list. */
static size_t
split_collections(char *cell, const char **v, size_t n, size_t max)
{
	char *p, *save = NULL;

	for (p = strtok_r(cell, "|", &save); p && n < max;
	     p = strtok_r(NULL, "|", &save))
		if (*p)
			v[n++] = p;
	return n;
}

static void
group_done(void *ctx, const char *label, const struct ing_result *res, int rc,
	   const struct vl_err *err)
{
	report_one(ctx, label, res, rc, err);
}

/* The rows are ingested as a group (ing_group_add): objects are
 * committed several at a time, so their lines come in bursts. */
static int
run_batch(struct cli *cli, struct report *rp, const struct opts *o,
	  struct ing_opts *base, struct ing_describer *ds)
{
	static const char *const extra[] = { "path", "id", "collection", NULL };
	struct md_csv_opts co = { extra, 0 };
	struct md_csv *csv = NULL;
	struct md_record *rec;
	struct md_diag dg;
	struct vl_err err = { 0 };
	struct ing_group *g = NULL;
	const char *colls[MAX_VALUES + 64];
	char *dir_copy = strdup(o->batch), *cell = NULL;
	char src[4200], where[4300];
	const char *path, *dir;
	FILE *in;
	int rc;

	md_diag_init(&dg);
	if (!dir_copy || !(in = fopen(o->batch, "rb"))) {
		free(dir_copy);
		vl_err_sys(&err, VL_E_NOTFOUND, "cannot open '%s'", o->batch);
		return cli_fail(cli, &err);
	}
	dir = dirname(dir_copy);
	if ((rc = md_csv_open(&csv, in, o->batch, &co, &err)) < 0 ||
	    (rc = ing_group_new(&g, cli->repo, group_done, rp, &err)) < 0) {
		md_csv_close(csv);
		fclose(in);
		free(dir_copy);
		return cli_fail(cli, &err);
	}
	base->describe = ing_describe;
	base->describe_ctx = ds;
	base->progress = progressed;
	base->ctx = rp;
	while ((rc = md_csv_next(csv, &rec, &dg, &err)) != 0) {
		struct ing_opts io = *base;
		size_t n = o->ncollections;

		snprintf(where, sizeof(where), "%s:%lu", o->batch,
			 md_csv_line(csv));
		if (rc == VL_E_FORMAT) {
			report_one(rp, where, &(struct ing_result){ 0 }, rc,
				   &err);
			break;
		}
		if (rc < 0 || !(path = md_csv_extra(csv, "path")) || !*path) {
			if (rc >= 0)
				vl_err_set(&err, VL_E_INVAL,
					   "no 'path' for this row");
			report_one(rp, where, &(struct ing_result){ 0 },
				   rc < 0 ? rc : VL_E_INVAL, &err);
			continue;
		}
		snprintf(src, sizeof(src), "%s%s%s", path[0] == '/' ? "" : dir,
			 path[0] == '/' ? "" : "/", path);
		io.source = src;
		io.id = md_csv_extra(csv, "id");
		if (io.id && !*io.id)
			io.id = NULL;
		memcpy(colls, o->collections, n * sizeof(colls[0]));
		free(cell);
		cell = md_csv_extra(csv, "collection")
			       ? strdup(md_csv_extra(csv, "collection"))
			       : NULL;
		if (cell)
			n = split_collections(cell, colls, n,
					      sizeof(colls) / sizeof(colls[0]));
		io.collections = colls;
		io.ncollections = n;
		ds->record = rec;
		cli_progress_start(&rp->progress, cli, "ingest", 0, 0);
		ing_group_add(g, &io, where);
		cli_progress_done(&rp->progress);
	}
	ing_group_free(g);
	free(cell);
	md_csv_close(csv);
	fclose(in);
	free(dir_copy);
	md_diag_release(&dg);
	return 0;
}

static void
stage_cleaned(void *ctx, const char *what)
{
	(void)ctx;
	vl_log_info("cleaned up: %s", what);
}

static int
run_ingest(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "metadata", required_argument, NULL, O_METADATA },
		{ "title", required_argument, NULL, O_TITLE },
		{ "creator", required_argument, NULL, O_CREATOR },
		{ "subject", required_argument, NULL, O_SUBJECT },
		{ "description", required_argument, NULL, O_DESCRIPTION },
		{ "date", required_argument, NULL, O_DATE },
		{ "type", required_argument, NULL, O_TYPE },
		{ "language", required_argument, NULL, O_LANGUAGE },
		{ "rights", required_argument, NULL, O_RIGHTS },
		{ "publisher", required_argument, NULL, O_PUBLISHER },
		{ "lang", required_argument, NULL, O_LANG },
		{ "id", required_argument, NULL, O_ID },
		{ "collection", required_argument, NULL, O_COLLECTION },
		{ "algorithm", required_argument, NULL, 'a' },
		{ "allow-duplicate", no_argument, NULL, O_ALLOW_DUP },
		{ "dry-run", no_argument, NULL, O_DRY_RUN },
		{ "exclude-hidden", no_argument, NULL, O_HIDDEN },
		{ "batch", required_argument, NULL, O_BATCH },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .cmd = cmd };
	struct ing_opts io = { 0 };
	struct ing_describer ds = { 0 };
	struct report rp = { .cli = cli };
	struct md_record *rec = NULL;
	struct ing_reconciler *rcl = NULL;
	struct vl_err err = { 0 };
	int rc;

	vl_buf_init(&o.algs, 0);
	if ((rc = cli_parse(cli, cmd, argc, argv, "a:j:", longopts, on_opt,
			    &o)) >= 0)
		goto out;
	rc = CLI_OK;
	if (o.batch && optind < argc) {
		rc = cli_usage(cmd, "--batch takes no SOURCE ('%s')",
			       argv[optind]);
		goto out;
	}
	if (!o.batch && optind >= argc) {
		rc = cli_usage(cmd, "missing the SOURCE to ingest");
		goto out;
	}
	if (optind + 1 < argc) {
		rc = cli_usage(cmd, "unexpected argument '%s'",
			       argv[optind + 1]);
		goto out;
	}
	if (o.metadata && (o.nvalues || o.batch)) {
		rc = cli_usage(cmd, "--metadata excludes --title and the other"
				    " value options, and --batch");
		goto out;
	}
	if (o.batch && (o.nvalues || o.id)) {
		rc = cli_usage(cmd, "with --batch, values and ids come from "
				    "the CSV columns");
		goto out;
	}
	if (o.lang && !o.nvalues) {
		rc = cli_usage(cmd, "--lang applies to --title and the other "
				    "value options");
		goto out;
	}
	if (repo_store_clean_stages(cli->repo, stage_cleaned, NULL, &err) < 0) {
		rc = cli_fail(cli, &err);
		goto out;
	}
	if (cli->repo->cfg.schema_dir[0] &&
	    md_schemas_open(&ds.schemas, cli->repo->cfg.schema_dir, &err) < 0) {
		rc = cli_fail(cli, &err);
		goto out;
	}
	if (ing_reconciler_open(&rcl, cli->repo, &err) < 0) {
		rc = cli_fail(cli, &err);
		goto out;
	}
	ds.reconcile = ing_reconcile;
	ds.reconcile_ctx = rcl;
	if (o.nvalues) {
		if (flags_record(&rec, &o, &err) < 0) {
			rc = cli_fail(cli, &err);
			goto out;
		}
		ds.record = rec;
	}
	ds.metadata_file = o.metadata;
	io.id = o.id;
	io.collections = o.collections;
	io.ncollections = o.ncollections;
	io.algorithms = o.algs.len ? o.algs.buf : NULL;
	io.allow_duplicate = o.allow_dup;
	io.dry_run = o.dry_run;
	io.exclude_hidden = o.hidden;
	io.threads = (unsigned)o.threads;
	io.user =
		getenv("VELLUM_USER") ? getenv("VELLUM_USER") : getenv("USER");
	rp.dry_run = o.dry_run;
	if (cli->json)
		rp.objects = json_array();
	if (o.batch) {
		if ((rc = run_batch(cli, &rp, &o, &io, &ds)) != CLI_OK)
			goto out;
		report_totals(&rp);
	} else {
		io.source = argv[optind];
		ingest_one(cli, &rp, &io, &ds, argv[optind]);
		if (cli->json)
			report_totals(&rp);
	}
	rc = rp.worst;
out:
	json_decref(rp.objects);
	md_record_free(rec);
	md_schemas_free(ds.schemas);
	ing_reconciler_free(rcl);
	vl_buf_release(&o.algs);
	return rc;
}

const struct cli_cmd cmd_ingest = {
	"ingest",      run_ingest,
	CLI_NEED_REPO, "store a folder, a bag or a batch as preserved objects",
	ingest_usage,  ingest_help,
};
