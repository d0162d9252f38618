/*
 * cmd_vocab.c - `vellum vocab`: import SKOS vocabularies, look concepts
 * up, and audit/remediate records that use deprecated or harmful terms.
 * The work is done by the metadata module (metadata/metadata.h); this
 * file parses arguments and prints.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../metadata/metadata.h"
#include "cli.h"

static const char *const vocab_usage[] = {
	"vocab import FILE [--scheme URI] [--code CODE] [--local] [--json]",
	"vocab list [--json]",
	"vocab show URI [--lang xx] [--json]",
	"vocab search TEXT [--lang xx] [--limit N] [--json]",
	"vocab search --batch FILE [--lang xx] [--scheme URI] [--json]",
	"vocab audit [--scheme URI] [--json | --csv]",
	"vocab remediate [--scheme URI] [--langs LIST] [--dry-run] [--json]",
	"vocab langs [LIST]",
	NULL,
};

static const char vocab_help[] =
	"Subcommands:\n"
	"  import FILE   import a SKOS vocabulary (RDF/XML .rdf, Turtle .ttl,\n"
	"                N-Triples .nt; else told by content) in one\n"
	"                transaction; no network or other file is read.\n"
	"                Re-importing a scheme updates it in place and\n"
	"                records every difference (see `show SCHEME`).\n"
	"      --scheme URI  the concept scheme to import (needed when the\n"
	"                    file declares none or several)\n"
	"      --code CODE   MODS @authority code for the scheme (e.g. lcsh)\n"
	"      --local       a local override file: its labels, replacement\n"
	"                    links (dct:isReplacedBy) and deprecations\n"
	"                    (owl:deprecated) of other schemes' concepts win\n"
	"                    over theirs and survive their re-import\n"
	"  list          imported schemes with version, revision and counts\n"
	"  show URI      a concept (labels by language, relations, notes,\n"
	"                status, replacements, history) or a scheme (top\n"
	"                concepts, changes of the last import)\n"
	"  search TEXT   concepts whose labels contain TEXT, compared after\n"
	"                Unicode normalisation, case folding and accent\n"
	"                stripping; whole-label matches first (prefLabel,\n"
	"                altLabel, hiddenLabel); also records remediated from\n"
	"                that text.  --lang keeps labels in that language\n"
	"                (BCP 47 prefix: en matches en-GB); --limit N (20).\n"
	"      --batch FILE  reconcile each line of FILE (\"-\" = stdin) to\n"
	"                one concept: prints value, status (matched,\n"
	"                ambiguous, unmatched), URI and prefLabel, tab-\n"
	"                separated, and a summary with lookups per second\n"
	"                on stderr\n"
	"  audit         records (current metadata version) whose subjects,\n"
	"                genres or types use a deprecated or retired\n"
	"                (hiddenLabel) term, by value URI or label, with the\n"
	"                proposed replacements.  Exit 1 when any is found.\n"
	"      --csv         CSV instead of text\n"
	"  remediate     apply those replacements: a new metadata version\n"
	"                per record (old versions kept), MODS and oai_dc\n"
	"                rewritten, OAI datestamp moved, a PREMIS metadata\n"
	"                modification event with before/after values; the\n"
	"                original wording stays searchable.  Ambiguous terms\n"
	"                and terms without replacement are left and listed.\n"
	"      --langs LIST  output languages, comma-separated BCP 47 (else\n"
	"                    `vocab langs`, else en)\n"
	"      --dry-run     report what would change, change nothing\n"
	"  langs [LIST]  show or set the default output languages\n"
	"\n"
	"Options:\n"
	"  --json   report as JSON\n";

/* ---- helpers ---- */

struct vopts {
	const char *scheme, *code, *lang, *langs, *batch;
	int local, csv, dry_run;
	uint64_t limit;
	const struct cli_cmd *cmd;
};

enum {
	OPT_SCHEME = 0x200,
	OPT_CODE,
	OPT_LOCAL,
	OPT_LANG,
	OPT_LANGS,
	OPT_LIMIT,
	OPT_CSV,
	OPT_DRY,
	OPT_BATCH
};

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct vopts *o = ctx;

	switch (c) {
	case OPT_SCHEME: o->scheme = arg; return 0;
	case OPT_CODE: o->code = arg; return 0;
	case OPT_LOCAL: o->local = 1; return 0;
	case OPT_LANG: o->lang = arg; return 0;
	case OPT_LANGS: o->langs = arg; return 0;
	case OPT_CSV: o->csv = 1; return 0;
	case OPT_DRY: o->dry_run = 1; return 0;
	case OPT_BATCH: o->batch = arg; return 0;
	case OPT_LIMIT:
		return cli_parse_uint(o->cmd, "--limit", arg, 100000,
				      &o->limit) < 0
			       ? CLI_USAGE
			       : 0;
	}
	return CLI_USAGE;
}

static const struct option long_opts[] = {
	CLI_COMMON_LONG,
	{ "scheme", required_argument, NULL, OPT_SCHEME },
	{ "code", required_argument, NULL, OPT_CODE },
	{ "local", no_argument, NULL, OPT_LOCAL },
	{ "lang", required_argument, NULL, OPT_LANG },
	{ "langs", required_argument, NULL, OPT_LANGS },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "dry-run", no_argument, NULL, OPT_DRY },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ NULL, 0, NULL, 0 },
};

/* Options may follow operands (`vocab import FILE --local`): moves the
 * options, with the values of those that take one, before the operands
 * (after a "--" if there was one), since cli_parse() stops at the first
 * operand.
 * Reorders argv in place (argv belongs to main and lives as long). */
static int
permute(int argc, char **argv)
{
	char **ops = calloc((size_t)argc + 1, sizeof(*ops));
	char **opts = calloc((size_t)argc + 1, sizeof(*opts));
	char *dashdash_arg = NULL;
	int i, j, no = 0, nopt = 0, dashdash = 0;

	if (!ops || !opts) {
		free(ops);
		free(opts);
		return -1;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (dashdash || a[0] != '-' || !a[1]) {
			ops[no++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			dashdash = 1;
			dashdash_arg = argv[i];
			continue;
		}
		opts[nopt++] = argv[i];
		if (a[1] == '-' && !strchr(a, '='))
			for (j = 0; long_opts[j].name; j++)
				if (long_opts[j].has_arg == required_argument &&
				    !strcmp(a + 2, long_opts[j].name) &&
				    i + 1 < argc) {
					opts[nopt++] = argv[++i];
					break;
				}
	}
	j = 1;
	for (i = 0; i < nopt; i++)
		argv[j++] = opts[i];
	if (dashdash && no)
		argv[j++] = dashdash_arg;
	for (i = 0; i < no; i++)
		argv[j++] = ops[i];
	free(ops);
	free(opts);
	return 0;
}

/* Parses the options after the subcommand word; allowed lists the
 * options this subcommand takes (by their codes, 0-terminated). */
static int
parse(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv,
      struct vopts *o, const int *allowed)
{
	int rc, i, j;

	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->limit = 20;
	if ((rc = permute(argc, argv)) < 0)
		return cli_usage(cmd, "out of memory");
	if ((rc = cli_parse(cli, cmd, argc, argv, "", long_opts, on_opt, o)) >=
	    0)
		return rc;
	/* Reject options that do not belong to this subcommand. */
	for (i = 4; long_opts[i].name; i++) {
		int given = 0;

		switch (long_opts[i].val) {
		case OPT_SCHEME: given = o->scheme != NULL; break;
		case OPT_CODE: given = o->code != NULL; break;
		case OPT_LOCAL: given = o->local; break;
		case OPT_LANG: given = o->lang != NULL; break;
		case OPT_LANGS: given = o->langs != NULL; break;
		case OPT_LIMIT: given = o->limit != 20; break;
		case OPT_CSV: given = o->csv; break;
		case OPT_DRY: given = o->dry_run; break;
		case OPT_BATCH: given = o->batch != NULL; break;
		}
		if (!given)
			continue;
		for (j = 0; allowed[j]; j++)
			if (allowed[j] == long_opts[i].val)
				break;
		if (!allowed[j])
			return cli_usage(cmd,
					 "option '--%s' does not apply "
					 "to 'vocab %s'",
					 long_opts[i].name, argv[0]);
	}
	if (o->lang) {
		char tag[64];

		if (md_vocab_lang_tag(tag, sizeof(tag), o->lang) < 0 ||
		    !*o->lang)
			return cli_usage(cmd,
					 "--lang needs a BCP 47 language tag, "
					 "not '%s'",
					 o->lang);
	}
	return -1;
}

static json_t *
jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The string member key of object o (NULL if none or not a string). */
static const char *
js(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The array member key of j, after printing "title:" if it has rows
 * (call it once, not inside json_array_foreach(), which re-evaluates its
 * array argument). */
static json_t *
section(const json_t *j, const char *key, const char *title)
{
	json_t *a = json_object_get(j, key);

	if (json_array_size(a))
		printf("%s:\n", title);
	return a;
}

static json_t *
jstrv(char **v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* ---- import ---- */

static int
vocab_import(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const int allowed[] = { OPT_SCHEME, OPT_CODE, OPT_LOCAL, 0 };
	struct md_vocab_import_opts io = { 0 };
	struct md_vocab_import_result res;
	struct vl_err err = { 0 };
	struct vopts o;
	size_t i;
	int rc;

	if ((rc = parse(cli, cmd, argc, argv, &o, allowed)) >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage(cmd, "vocab import needs a FILE");
	if (optind + 1 < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind + 1]);
	io.scheme_uri = o.scheme;
	io.code = o.code;
	io.local = o.local;
	if (md_vocab_import(cli->repo, argv[optind], &io, &res, &err) < 0)
		return cli_fail(cli, &err);
	if (cli->json) {
		json_t *w = json_array();

		for (i = 0; i < res.nwarnings && i < MD_VOCAB_MAX_WARNINGS; i++)
			json_array_append_new(w, json_string(res.warnings[i]));
		cli_json_out(json_pack(
			"{s:b, s:s, s:o, s:I, s:b, s:b, s:I, s:I, s:I, s:I, "
			"s:I, s:I, s:I, s:I, s:I, s:o}",
			"ok", 1, "scheme", res.scheme_uri, "version",
			jstr(res.version), "revision", (json_int_t)res.revision,
			"unchanged", res.unchanged, "local", o.local, "triples",
			(json_int_t)res.triples, "concepts",
			(json_int_t)res.concepts, "overrides",
			(json_int_t)res.overrides, "labels",
			(json_int_t)res.labels, "deprecated",
			(json_int_t)res.deprecated, "added",
			(json_int_t)res.added, "removed",
			(json_int_t)res.removed, "changes",
			(json_int_t)res.changes, "warnings_total",
			(json_int_t)res.nwarnings, "warnings", w));
	} else if (!cli->quiet) {
		if (res.unchanged)
			printf("<%s> unchanged since revision %lld (same file)"
			       "\n",
			       res.scheme_uri, (long long)res.revision);
		else
			printf("Imported <%s> revision %lld (version %s):\n"
			       "  %lld triples, %lld concepts, %lld "
			       "overrides, %lld labels, %lld deprecated\n",
			       res.scheme_uri, (long long)res.revision,
			       res.version ? res.version : "?",
			       (long long)res.triples, (long long)res.concepts,
			       (long long)res.overrides, (long long)res.labels,
			       (long long)res.deprecated);
		if (!res.unchanged && res.revision > 1)
			printf("  %lld changes since revision %lld: %lld "
			       "concepts added, %lld removed\n",
			       (long long)res.changes,
			       (long long)res.revision - 1,
			       (long long)res.added, (long long)res.removed);
	}
	for (i = 0; i < res.nwarnings && i < MD_VOCAB_MAX_WARNINGS; i++)
		if (!cli->json)
			vl_log_warnx("vocab import: '%s': %s", argv[optind],
				     res.warnings[i]);
	if (res.nwarnings > MD_VOCAB_MAX_WARNINGS && !cli->json)
		vl_log_warnx("vocab import: %zu more warnings",
			     res.nwarnings - MD_VOCAB_MAX_WARNINGS);
	md_vocab_import_result_release(&res);
	return CLI_OK;
}

/* ---- list ---- */

static int
vocab_list(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const int allowed[] = { 0 };
	struct vl_err err = { 0 };
	sqlite3_stmt *st;
	json_t *arr = json_array();
	struct vopts o;
	int rc, n = 0;

	if ((rc = parse(cli, cmd, argc, argv, &o, allowed)) >= 0) {
		json_decref(arr);
		return rc;
	}
	if (optind < argc) {
		json_decref(arr);
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	}
	if (repo_prepare(cli->repo, &st,
			 "SELECT s.uri, s.title, s.code, s.local, s.version,"
			 " s.revision, s.imported, s.source,"
			 " (SELECT count(*) FROM vocab_members m WHERE"
			 "  m.scheme_id = s.id AND m.present = 1),"
			 " (SELECT count(*) FROM vocab_members m JOIN"
			 "  vocab_concepts c ON c.id = m.concept_id WHERE"
			 "  m.scheme_id = s.id AND c.deprecated = 1),"
			 " (SELECT count(*) FROM vocab_labels l WHERE"
			 "  l.origin = s.id),"
			 " (SELECT group_concat(lang, ' ') FROM (SELECT"
			 "  DISTINCT lang FROM vocab_labels l WHERE l.origin ="
			 "  s.id AND l.kind = 'pref' ORDER BY lang))"
			 " FROM vocab_schemes s ORDER BY s.local, s.uri",
			 &err) < 0) {
		json_decref(arr);
		return cli_fail(cli, &err);
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *uri = (const char *)sqlite3_column_text(st, 0);
		const char *title = (const char *)sqlite3_column_text(st, 1);
		const char *code = (const char *)sqlite3_column_text(st, 2);
		const char *ver = (const char *)sqlite3_column_text(st, 4);
		const char *langs = (const char *)sqlite3_column_text(st, 11);

		n++;
		if (cli->json) {
			json_array_append_new(
				arr,
				json_pack(
					"{s:s, s:o, s:o, s:b, s:o, s:I, s:s,"
					" s:o, s:I, s:I, s:I, s:o}",
					"uri", uri, "title", jstr(title),
					"code", jstr(code), "local",
					sqlite3_column_int(st, 3), "version",
					jstr(ver), "revision",
					(json_int_t)sqlite3_column_int64(st, 5),
					"imported",
					(const char *)sqlite3_column_text(st,
									  6),
					"source",
					jstr((const char *)sqlite3_column_text(
						st, 7)),
					"concepts",
					(json_int_t)sqlite3_column_int64(st, 8),
					"deprecated",
					(json_int_t)sqlite3_column_int64(st, 9),
					"labels",
					(json_int_t)sqlite3_column_int64(st,
									 10),
					"languages", jstr(langs)));
			continue;
		}
		printf("%s%s\n  %s%s%s%s\n  version %s, revision %lld, "
		       "imported %s\n  %lld concepts (%lld deprecated), %lld "
		       "labels; languages: %s\n",
		       uri, sqlite3_column_int(st, 3) ? " (local)" : "",
		       title ? title : "(no title)", code ? " [" : "",
		       code ? code : "", code ? "]" : "", ver ? ver : "?",
		       (long long)sqlite3_column_int64(st, 5),
		       (const char *)sqlite3_column_text(st, 6),
		       (long long)sqlite3_column_int64(st, 8),
		       (long long)sqlite3_column_int64(st, 9),
		       (long long)sqlite3_column_int64(st, 10),
		       langs ? langs : "-");
	}
	sqlite3_finalize(st);
	if (cli->json)
		cli_json_out(arr);
	else {
		json_decref(arr);
		if (n == 0 && !cli->quiet)
			printf("No vocabularies imported; see `vellum vocab "
			       "import`.\n");
	}
	return CLI_OK;
}

/* ---- show ---- */

static int
show_scheme(struct cli *cli, const char *uri, int *found, struct vl_err *err)
{
	sqlite3_stmt *st;
	json_t *o = NULL, *tops, *changes;
	int64_t sid, rev;

	*found = 0;
	if (repo_prepare(cli->repo, &st,
			 "SELECT id, title, code, local, version, revision,"
			 " imported, source, sha256 FROM vocab_schemes WHERE"
			 " uri = ?",
			 err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return 0;
	}
	*found = 1;
	sid = sqlite3_column_int64(st, 0);
	rev = sqlite3_column_int64(st, 5);
	o = json_pack("{s:s, s:s, s:o, s:o, s:b, s:o, s:I, s:s, s:o, s:o}",
		      "type", "scheme", "uri", uri, "title",
		      jstr((const char *)sqlite3_column_text(st, 1)), "code",
		      jstr((const char *)sqlite3_column_text(st, 2)), "local",
		      sqlite3_column_int(st, 3), "version",
		      jstr((const char *)sqlite3_column_text(st, 4)),
		      "revision", (json_int_t)rev, "imported",
		      (const char *)sqlite3_column_text(st, 6), "source",
		      jstr((const char *)sqlite3_column_text(st, 7)), "sha256",
		      jstr((const char *)sqlite3_column_text(st, 8)));
	sqlite3_finalize(st);
	tops = json_array();
	changes = json_array();
	if (repo_prepare(cli->repo, &st,
			 "SELECT c.uri, (SELECT text FROM vocab_labels l WHERE"
			 " l.concept_id = c.id AND l.kind = 'pref' ORDER BY"
			 " l.lang LIKE 'en%' DESC, l.lang LIMIT 1) FROM"
			 " vocab_members m JOIN vocab_concepts c ON c.id ="
			 " m.concept_id WHERE m.scheme_id = ? AND m.top = 1"
			 " AND m.present = 1 ORDER BY 2",
			 err) == 0) {
		sqlite3_bind_int64(st, 1, sid);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(
				tops,
				json_pack(
					"{s:s, s:o}", "uri",
					(const char *)sqlite3_column_text(st,
									  0),
					"label",
					jstr((const char *)sqlite3_column_text(
						st, 1))));
		sqlite3_finalize(st);
	}
	if (repo_prepare(cli->repo, &st,
			 "SELECT revision, time, concept, change, detail FROM"
			 " vocab_changes WHERE scheme_id = ? AND revision = ?"
			 " ORDER BY id",
			 err) == 0) {
		sqlite3_bind_int64(st, 1, sid);
		sqlite3_bind_int64(st, 2, rev);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(
				changes,
				json_pack(
					"{s:I, s:s, s:o, s:s, s:o}", "revision",
					(json_int_t)sqlite3_column_int64(st, 0),
					"time",
					(const char *)sqlite3_column_text(st,
									  1),
					"concept",
					jstr((const char *)sqlite3_column_text(
						st, 2)),
					"change",
					(const char *)sqlite3_column_text(st,
									  3),
					"detail",
					jstr((const char *)sqlite3_column_text(
						st, 4))));
		sqlite3_finalize(st);
	}
	json_object_set_new(o, "top_concepts", tops);
	json_object_set_new(o, "changes", changes);
	if (cli->json) {
		cli_json_out(o);
		return 0;
	}
	{
		json_t *v;
		size_t i;

		printf("Scheme:    %s%s\n", uri,
		       json_is_true(json_object_get(o, "local")) ? " (local)"
								 : "");
		printf("Title:     %s\n",
		       js(o, "title") ? js(o, "title") : "(none)");
		printf("Version:   %s (revision %lld, imported %s)\n",
		       js(o, "version"), (long long)rev, js(o, "imported"));
		printf("Top concepts:\n");
		json_array_foreach(tops, i, v)
		{
			const char *l = js(v, "label");

			printf("  %s  %s\n", l ? l : "", js(v, "uri"));
		}
		printf("Changes in revision %lld:\n", (long long)rev);
		json_array_foreach(changes, i, v)
		{
			const char *c = js(v, "concept");
			const char *d = js(v, "detail");

			printf("  %s%s%s%s%s\n", js(v, "change"), c ? " <" : "",
			       c ? c : "", c ? ">" : "", d ? "" : "");
			if (d)
				printf("      %s\n", d);
		}
	}
	json_decref(o);
	return 0;
}

static void
add_rows(struct cli *cli, json_t *o, const char *key, const char *sql,
	 const char *uri)
{
	struct vl_err err = { 0 };
	sqlite3_stmt *st;
	json_t *arr = json_array();

	if (repo_prepare(cli->repo, &st, sql, &err) == 0) {
		sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			json_t *row = json_object();
			int i, n = sqlite3_column_count(st);

			for (i = 0; i < n; i++) {
				const char *v =
					(const char *)sqlite3_column_text(st,
									  i);

				json_object_set_new(row,
						    sqlite3_column_name(st, i),
						    jstr(v));
			}
			json_array_append_new(arr, row);
		}
		sqlite3_finalize(st);
	}
	json_object_set_new(o, key, arr);
}

static int
vocab_show(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const int allowed[] = { OPT_LANG, 0 };
	struct vl_err err = { 0 };
	struct md_vocab *v = NULL;
	struct md_concept c = { 0 };
	struct vopts o;
	char **repl = NULL;
	size_t nrepl = 0, i;
	json_t *j = NULL, *x, *rows;
	int rc, found;
	const struct md_label *disp;

	if ((rc = parse(cli, cmd, argc, argv, &o, allowed)) >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage(cmd, "vocab show needs a URI");
	if (optind + 1 < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (show_scheme(cli, argv[optind], &found, &err) < 0)
		return cli_fail(cli, &err);
	if (found)
		return CLI_OK;
	if ((rc = md_vocab_open(&v, cli->repo, &err)) < 0 ||
	    (rc = md_vocab_concept(v, argv[optind], &c, &err)) < 0 ||
	    (rc = md_vocab_replacements(v, argv[optind], &repl, &nrepl, &err)) <
		    0) {
		md_vocab_close(v);
		md_concept_release(&c);
		return cli_fail(cli, &err);
	}
	disp = md_concept_label(&c, o.lang);
	j = json_pack("{s:s, s:s, s:o, s:o, s:o, s:b, s:o, s:o}", "type",
		      "concept", "uri", c.uri, "label",
		      jstr(disp ? disp->text : NULL), "label_lang",
		      jstr(disp ? disp->lang : NULL), "scheme",
		      jstr(c.scheme_uri), "deprecated", c.deprecated, "status",
		      jstr(c.status), "replaced_by",
		      jstrv(c.replaced_by, c.nreplaced_by));
	json_object_set_new(j, "use_instead", jstrv(repl, nrepl));
	add_rows(cli, j, "labels",
		 "SELECT CASE WHEN l.shadowed THEN 'pref (overridden)' ELSE"
		 " l.kind END AS kind, l.lang, l.text, s.uri AS origin FROM"
		 " vocab_labels l JOIN vocab_concepts c ON c.id ="
		 " l.concept_id JOIN vocab_schemes s ON s.id = l.origin"
		 " WHERE c.uri = ? ORDER BY CASE l.kind WHEN 'pref' THEN 0"
		 " WHEN 'alt' THEN 1 ELSE 2 END, l.lang, l.text",
		 argv[optind]);
	add_rows(cli, j, "links",
		 "SELECT l.kind, l.target, (SELECT text FROM vocab_labels x"
		 " JOIN vocab_concepts t ON t.id = x.concept_id WHERE t.uri ="
		 " l.target AND x.kind = 'pref' ORDER BY x.lang LIKE 'en%'"
		 " DESC, x.lang LIMIT 1) AS label, s.uri AS origin FROM"
		 " vocab_links l JOIN vocab_concepts c ON c.id ="
		 " l.concept_id JOIN vocab_schemes s ON s.id = l.origin"
		 " WHERE c.uri = ?1 UNION ALL SELECT 'narrower (inverse)',"
		 " c.uri, (SELECT text FROM vocab_labels x WHERE"
		 " x.concept_id = c.id AND x.kind = 'pref' ORDER BY x.lang"
		 " LIKE 'en%' DESC, x.lang LIMIT 1), s.uri FROM vocab_links l"
		 " JOIN vocab_concepts c ON c.id = l.concept_id JOIN"
		 " vocab_schemes s ON s.id = l.origin WHERE l.target = ?1 AND"
		 " l.kind = 'broader' ORDER BY 1, 2",
		 argv[optind]);
	add_rows(cli, j, "notes",
		 "SELECT n.kind, n.lang, n.text FROM vocab_notes n JOIN"
		 " vocab_concepts c ON c.id = n.concept_id WHERE c.uri = ?"
		 " ORDER BY n.kind, n.lang",
		 argv[optind]);
	add_rows(cli, j, "history",
		 "SELECT ch.time, ch.revision, s.uri AS scheme, ch.change,"
		 " ch.detail FROM vocab_changes ch JOIN vocab_schemes s ON"
		 " s.id = ch.scheme_id WHERE ch.concept = ? ORDER BY ch.id",
		 argv[optind]);
	add_rows(cli, j, "remediated_records",
		 "SELECT object_id, from_version, to_version, field, original,"
		 " original_lang, replacement FROM vocab_remediations WHERE"
		 " concept = ?1 OR replacement = ?1 ORDER BY id",
		 argv[optind]);
	if (cli->json) {
		cli_json_out(j);
		j = NULL;
		goto out;
	}
	printf("Concept:   %s\n", c.uri);
	printf("Label:     %s%s%s%s\n", disp ? disp->text : "(none)",
	       disp ? " [" : "", disp ? disp->lang : "", disp ? "]" : "");
	printf("Scheme:    %s\n", c.scheme_uri ? c.scheme_uri : "?");
	printf("Status:    %s\n",
	       c.status ? c.status : (c.deprecated ? "deprecated" : "current"));
	if (c.nreplaced_by) {
		printf("Replaced by:\n");
		for (i = 0; i < c.nreplaced_by; i++)
			printf("  %s\n", c.replaced_by[i]);
	}
	if (nrepl) {
		printf("Use instead:\n");
		for (i = 0; i < nrepl; i++)
			printf("  %s\n", repl[i]);
	}
	printf("Labels:\n");
	json_array_foreach(json_object_get(j, "labels"), i, x)
	{
		const char *l = js(x, "lang");

		printf("  %-18s %-6s %s\n", js(x, "kind"), *l ? l : "-",
		       js(x, "text"));
	}
	rows = section(j, "links", "Relations");
	json_array_foreach(rows, i, x)
	{
		const char *l = js(x, "label");

		printf("  %-18s %s%s%s%s\n", js(x, "kind"), js(x, "target"),
		       l ? " (" : "", l ? l : "", l ? ")" : "");
	}
	rows = section(j, "notes", "Notes");
	json_array_foreach(rows, i, x)
	{
		const char *l = js(x, "lang");

		printf("  %s%s%s%s: %s\n", js(x, "kind"), *l ? " [" : "", l,
		       *l ? "]" : "", js(x, "text"));
	}
	rows = section(j, "history", "History");
	json_array_foreach(rows, i, x)
	{
		const char *d = js(x, "detail");

		printf("  %s rev %s %s%s%s\n", js(x, "time"), js(x, "revision"),
		       js(x, "change"), d ? ": " : "", d ? d : "");
	}
	rows = section(j, "remediated_records", "Remediated records");
	json_array_foreach(rows, i, x)
	{
		printf("  %s v%s->v%s %s: '%s' -> %s\n", js(x, "object_id"),
		       js(x, "from_version"), js(x, "to_version"),
		       js(x, "field"), js(x, "original"), js(x, "replacement"));
	}
out:
	json_decref(j);
	md_strv_free(repl, nrepl);
	md_concept_release(&c);
	md_vocab_close(v);
	return CLI_OK;
}

/* ---- search ---- */

static int
search_batch(struct cli *cli, const struct vopts *o, struct md_vocab *v)
{
	struct vl_err err = { 0 };
	FILE *f = !strcmp(o->batch, "-") ? stdin : fopen(o->batch, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int64_t n = 0, matched = 0, ambiguous = 0, lineno = 0;
	struct timespec t0, t1;
	double secs;
	int rc = CLI_OK;

	if (!f) {
		vl_err_sys(&err, VL_E_NOTFOUND, "cannot open '%s'", o->batch);
		return cli_fail(cli, &err);
	}
	/* One read transaction for the batch: a snapshot, and no lock
	 * round trip per statement. */
	sqlite3_exec(cli->repo->db, "BEGIN DEFERRED", NULL, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct md_match m;
		const struct md_label *l;

		lineno++;
		while (len > 0 &&
		       (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (md_vocab_reconcile(v, line, o->lang, o->scheme, &m, &err) <
		    0) {
			if (err.code == VL_E_INVAL)
				vl_err_set(&err, VL_E_FORMAT,
					   "'%s' line %lld: %s", o->batch,
					   (long long)lineno, err.msg);
			rc = cli_fail(cli, &err);
			goto out;
		}
		n++;
		if (m.status == MD_MATCH_ONE) {
			matched++;
			l = md_concept_label(&m.concept, o->lang);
			if (!cli->json)
				printf("%s\tmatched\t%s\t%s\n", line,
				       m.concept.uri, l ? l->text : "");
		} else if (m.status == MD_MATCH_AMBIGUOUS) {
			ambiguous++;
			if (!cli->json) {
				size_t i;

				printf("%s\tambiguous\t", line);
				for (i = 0; i < m.ncandidates; i++)
					printf("%s%s", i ? " " : "",
					       m.candidates[i]);
				printf("\t\n");
			}
		} else if (!cli->json) {
			printf("%s\tunmatched\t\t\n", line);
		}
		md_match_release(&m);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (cli->json)
		cli_json_out(json_pack(
			"{s:I, s:I, s:I, s:I, s:f, s:f}", "lookups",
			(json_int_t)n, "matched", (json_int_t)matched,
			"ambiguous", (json_int_t)ambiguous, "unmatched",
			(json_int_t)(n - matched - ambiguous), "seconds", secs,
			"per_second", secs > 0 ? (double)n / secs : 0.0));
	else if (!cli->quiet)
		fprintf(stderr,
			"%lld lookups: %lld matched, %lld ambiguous, %lld "
			"unmatched in %.3f s (%.0f/s)\n",
			(long long)n, (long long)matched, (long long)ambiguous,
			(long long)(n - matched - ambiguous), secs,
			secs > 0 ? (double)n / secs : 0.0);
out:
	if (!sqlite3_get_autocommit(cli->repo->db))
		sqlite3_exec(cli->repo->db, "COMMIT", NULL, NULL, NULL);
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

static int
vocab_search(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const int allowed[] = { OPT_LANG, OPT_LIMIT, OPT_BATCH,
				       OPT_SCHEME, 0 };
	struct vl_err err = { 0 };
	struct md_vocab *v = NULL;
	struct md_search_hit *h = NULL;
	struct vopts o;
	size_t n = 0, i;
	json_t *arr, *rem;
	sqlite3_stmt *st;
	char *fold = NULL;
	int rc;

	if ((rc = parse(cli, cmd, argc, argv, &o, allowed)) >= 0)
		return rc;
	if (o.batch) {
		if (optind < argc)
			return cli_usage(cmd, "unexpected argument '%s'",
					 argv[optind]);
		if ((rc = md_vocab_open(&v, cli->repo, &err)) < 0)
			return cli_fail(cli, &err);
		rc = search_batch(cli, &o, v);
		md_vocab_close(v);
		return rc;
	}
	if (o.scheme)
		return cli_usage(cmd, "--scheme applies to --batch only");
	if (optind >= argc)
		return cli_usage(cmd, "vocab search needs TEXT");
	if (optind + 1 < argc)
		return cli_usage(cmd,
				 "unexpected argument '%s' (quote TEXT "
				 "with spaces)",
				 argv[optind + 1]);
	if ((rc = md_vocab_open(&v, cli->repo, &err)) < 0 ||
	    (rc = md_vocab_search(v, argv[optind], o.lang, o.limit, &h, &n,
				  &err)) < 0 ||
	    (rc = md_vocab_normalize(argv[optind], NULL, &fold, &err)) < 0) {
		md_vocab_close(v);
		if (err.code == VL_E_INVAL)
			return cli_usage(cmd, "%s", err.msg);
		return cli_fail(cli, &err);
	}
	arr = json_array();
	rem = json_array();
	for (i = 0; i < n; i++) {
		struct md_concept c;
		const struct md_label *l = NULL;

		if (md_vocab_concept(v, h[i].uri, &c, &err) == 0)
			l = md_concept_label(&c, o.lang);
		json_array_append_new(
			arr,
			json_pack("{s:s, s:o, s:s, s:s, s:s, s:b, s:b, s:b, "
				  "s:o, s:o}",
				  "uri", h[i].uri, "scheme",
				  jstr(h[i].scheme_uri), "matched", h[i].label,
				  "matched_lang", h[i].label_lang, "kind",
				  md_label_kind_name(h[i].kind), "whole_label",
				  h[i].exact, "accent_folded", h[i].folded,
				  "deprecated", h[i].deprecated, "label",
				  jstr(l ? l->text : NULL), "label_lang",
				  jstr(l ? l->lang : NULL)));
		md_concept_release(&c);
	}
	/* The original wording of remediated records stays findable. */
	if (repo_prepare(cli->repo, &st,
			 "SELECT DISTINCT object_id, to_version, original,"
			 " replacement FROM vocab_remediations WHERE"
			 " instr(fold, ?) > 0 ORDER BY object_id LIMIT ?",
			 &err) == 0) {
		sqlite3_bind_text(st, 1, fold, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)o.limit);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(
				rem,
				json_pack(
					"{s:s, s:I, s:s, s:s}", "object_id",
					(const char *)sqlite3_column_text(st,
									  0),
					"version",
					(json_int_t)sqlite3_column_int64(st, 1),
					"original",
					(const char *)sqlite3_column_text(st,
									  2),
					"replacement",
					(const char *)sqlite3_column_text(st,
									  3)));
		sqlite3_finalize(st);
	}
	if (cli->json) {
		cli_json_out(json_pack("{s:s, s:o, s:o}", "query", argv[optind],
				       "concepts", arr, "remediated_records",
				       rem));
	} else {
		json_t *x;

		if (n == 0 && !cli->quiet)
			printf("No concept matches '%s'.\n", argv[optind]);
		json_array_foreach(arr, i, x)
		{
			const char *lab = js(x, "label");

			printf("%s%s [%s]  <%s>\n", lab ? lab : "(no label)",
			       json_is_true(json_object_get(x, "deprecated"))
				       ? " (deprecated)"
				       : "",
			       js(x, "label_lang"), js(x, "uri"));
			printf("    %s %s %s: %s [%s]\n",
			       json_is_true(json_object_get(x, "whole_label"))
				       ? "matches"
				       : "contains",
			       json_is_true(json_object_get(x, "accent_folded"))
				       ? "(accents ignored)"
				       : "exactly",
			       js(x, "kind"), js(x, "matched"),
			       js(x, "matched_lang"));
		}
		if (json_array_size(rem))
			printf("Remediated records that used it:\n");
		json_array_foreach(rem, i, x)
		{
			printf("  %s (now version %lld): '%s' -> <%s>\n",
			       js(x, "object_id"),
			       (long long)json_integer_value(
				       json_object_get(x, "version")),
			       js(x, "original"), js(x, "replacement"));
		}
		json_decref(arr);
		json_decref(rem);
	}
	free(fold);
	md_search_hits_free(h, n);
	md_vocab_close(v);
	return CLI_OK;
}

/* ---- audit and remediate ---- */

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
	/* RFC 4180 section 2: quote, and double inner quotes. */
	putchar('"');
	for (p = s; *p; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	putchar('"');
}

static char *
joined(char **v, size_t n, const char *sep)
{
	struct vl_buf b = VL_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		vl_buf_addf(&b, "%s%s", i ? sep : "", v[i]);
	return vl_buf_detach(&b, NULL);
}

static json_t *
finding_json(const struct md_vocab_finding *f, const char *action)
{
	json_t *repl = json_array();
	size_t i;
	json_t *o;

	for (i = 0; i < f->nreplacements; i++)
		json_array_append_new(
			repl,
			json_pack("{s:s, s:o}", "uri", f->replacements[i],
				  "label", jstr(f->replacement_labels[i])));
	o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o,"
		      " s:o, s:o}",
		      "object_id", f->object_id, "version",
		      (json_int_t)f->version, "format", f->format, "field",
		      f->field, "value", f->value, "lang", jstr(f->lang),
		      "value_uri", jstr(f->value_uri), "reason",
		      md_finding_reason_name(f->reason), "concept",
		      jstr(f->concept_uri), "scheme", jstr(f->scheme_uri),
		      "vocab_version", jstr(f->vocab_version), "replacements",
		      repl, "candidates", jstrv(f->candidates, f->ncandidates));
	if (action)
		json_object_set_new(o, "action", json_string(action));
	return o;
}

static void
finding_text(const struct md_vocab_finding *f, const char *action)
{
	size_t i;

	printf("%s v%lld %s %s: '%s'%s%s%s\n", f->object_id,
	       (long long)f->version, f->format, f->field, f->value,
	       f->lang ? " [" : "", f->lang ? f->lang : "", f->lang ? "]" : "");
	if (f->reason == MD_FIND_AMBIGUOUS) {
		printf("    ambiguous: matches");
		for (i = 0; i < f->ncandidates; i++)
			printf(" <%s>", f->candidates[i]);
		printf("\n");
	} else {
		printf("    %s: <%s> in <%s> (version %s)\n",
		       md_finding_reason_name(f->reason), f->concept_uri,
		       f->scheme_uri ? f->scheme_uri : "?",
		       f->vocab_version ? f->vocab_version : "?");
	}
	if (f->nreplacements == 0 && f->reason != MD_FIND_AMBIGUOUS)
		printf("    no replacement known\n");
	for (i = 0; i < f->nreplacements; i++)
		printf("    %s %s <%s>\n", i ? "   " : "->",
		       f->replacement_labels[i], f->replacements[i]);
	if (action)
		printf("    %s\n", action);
}

static int
vocab_audit(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const int allowed[] = { OPT_SCHEME, OPT_CSV, 0 };
	struct md_vocab_audit au;
	struct vl_err err = { 0 };
	struct vopts o;
	size_t i;
	int rc;

	if ((rc = parse(cli, cmd, argc, argv, &o, allowed)) >= 0)
		return rc;
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (o.csv && cli->json)
		return cli_usage(cmd, "choose one of --json and --csv");
	if (md_vocab_audit(cli->repo, o.scheme, &au, &err) < 0)
		return cli_fail(cli, &err);
	if (cli->json) {
		json_t *arr = json_array();

		for (i = 0; i < au.n; i++)
			json_array_append_new(arr,
					      finding_json(&au.f[i], NULL));
		cli_json_out(json_pack("{s:I, s:I, s:I, s:I, s:o}", "records",
				       (json_int_t)au.records, "values",
				       (json_int_t)au.values, "unreadable",
				       (json_int_t)au.unreadable, "count",
				       (json_int_t)au.n, "findings", arr));
	} else if (o.csv) {
		printf("object_id,version,format,field,value,lang,value_uri,"
		       "reason,concept,scheme,vocab_version,replacements,"
		       "replacement_labels\r\n");
		for (i = 0; i < au.n; i++) {
			const struct md_vocab_finding *f = &au.f[i];
			char *r = f->reason == MD_FIND_AMBIGUOUS
					  ? joined(f->candidates,
						   f->ncandidates, " | ")
					  : joined(f->replacements,
						   f->nreplacements, " | ");
			char *l = joined(f->replacement_labels,
					 f->nreplacements, " | ");

			csv_field(f->object_id);
			printf(",%lld,", (long long)f->version);
			csv_field(f->format);
			putchar(',');
			csv_field(f->field);
			putchar(',');
			csv_field(f->value);
			putchar(',');
			csv_field(f->lang);
			putchar(',');
			csv_field(f->value_uri);
			putchar(',');
			csv_field(md_finding_reason_name(f->reason));
			putchar(',');
			csv_field(f->concept_uri);
			putchar(',');
			csv_field(f->scheme_uri);
			putchar(',');
			csv_field(f->vocab_version);
			putchar(',');
			csv_field(r);
			putchar(',');
			csv_field(l);
			printf("\r\n");
			free(r);
			free(l);
		}
	} else {
		for (i = 0; i < au.n; i++)
			finding_text(&au.f[i], NULL);
		if (!cli->quiet)
			printf("%zu finding%s in %lld records (%lld values "
			       "examined%s)\n",
			       au.n, au.n == 1 ? "" : "s",
			       (long long)au.records, (long long)au.values,
			       au.unreadable ? "; some records unreadable"
					     : "");
	}
	if (au.unreadable)
		vl_log_warnx("vocab audit: %lld stored records are not "
			     "well-formed XML and were skipped",
			     (long long)au.unreadable);
	rc = au.n ? CLI_PROBLEM : CLI_OK;
	md_vocab_audit_release(&au);
	return rc;
}

static int
vocab_remediate(struct cli *cli, const struct cli_cmd *cmd, int argc,
		char **argv)
{
	static const int allowed[] = { OPT_SCHEME, OPT_LANGS, OPT_DRY, 0 };
	struct md_vocab_remediate_opts ro = { 0 };
	struct md_vocab_remediate_result res;
	struct md_vocab_audit au;
	struct vl_err err = { 0 };
	struct vopts o;
	size_t i;
	int rc;

	if ((rc = parse(cli, cmd, argc, argv, &o, allowed)) >= 0)
		return rc;
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	ro.scheme_uri = o.scheme;
	ro.langs = o.langs;
	ro.dry_run = o.dry_run;
	rc = md_vocab_remediate(cli->repo, &ro, &au, &res, &err);
	if (rc < 0 && err.code == VL_E_INVAL && o.langs) {
		md_vocab_audit_release(&au);
		return cli_usage(cmd, "--langs: %s", err.msg);
	}
	if (cli->json) {
		json_t *arr = json_array();

		for (i = 0; i < au.n; i++) {
			const struct md_vocab_finding *f = &au.f[i];
			int skip = f->reason == MD_FIND_AMBIGUOUS ||
				   f->nreplacements == 0;

			json_array_append_new(
				arr,
				finding_json(f, skip        ? "skipped"
						: o.dry_run ? "would replace"
							    : "replaced"));
		}
		if (rc < 0) {
			json_decref(arr);
		} else {
			cli_json_out(json_pack(
				"{s:b, s:b, s:I, s:I, s:I, s:o}", "ok", 1,
				"dry_run", o.dry_run, "objects",
				(json_int_t)res.objects, "values",
				(json_int_t)res.values, "skipped",
				(json_int_t)res.skipped, "changes", arr));
		}
	} else if (!cli->quiet) {
		for (i = 0; i < au.n; i++) {
			const struct md_vocab_finding *f = &au.f[i];
			int skip = f->reason == MD_FIND_AMBIGUOUS ||
				   f->nreplacements == 0;

			finding_text(f, skip        ? "left alone (no single "
						      "replacement)"
					: o.dry_run ? "would be replaced"
						    : "replaced");
		}
		if (rc == 0)
			printf("%s %lld values in %lld records; %lld left "
			       "alone\n",
			       o.dry_run ? "Would replace" : "Replaced",
			       (long long)res.values, (long long)res.objects,
			       (long long)res.skipped);
	}
	md_vocab_audit_release(&au);
	if (rc < 0)
		return cli_fail(cli, &err);
	return CLI_OK;
}

static int
vocab_langs(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const int allowed[] = { 0 };
	struct vl_err err = { 0 };
	struct vl_buf canon = VL_BUF_INIT;
	struct vopts o;
	char *cur = NULL;
	const char *p;
	int rc;

	if ((rc = parse(cli, cmd, argc, argv, &o, allowed)) >= 0)
		return rc;
	if (optind + 1 < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (optind == argc) {
		if (repo_setting_get(cli->repo, MD_VOCAB_LANGS_SETTING, &cur,
				     &err) < 0)
			return cli_fail(cli, &err);
		if (cli->json)
			cli_json_out(json_pack("{s:s, s:b}", "langs",
					       cur ? cur : "en", "default",
					       cur == NULL));
		else
			printf("%s%s\n", cur ? cur : "en",
			       cur ? "" : " (default)");
		free(cur);
		return CLI_OK;
	}
	for (p = argv[optind]; *p;) {
		size_t n = strcspn(p, ", ");
		char one[64], tag[64];

		if (n == 0) {
			p++;
			continue;
		}
		if (n >= sizeof(one)) {
			vl_buf_release(&canon);
			return cli_usage(cmd, "language tag too long in '%s'",
					 argv[optind]);
		}
		memcpy(one, p, n);
		one[n] = '\0';
		if (md_vocab_lang_tag(tag, sizeof(tag), one) < 0) {
			vl_buf_release(&canon);
			return cli_usage(cmd, "bad language tag '%s'", one);
		}
		vl_buf_addf(&canon, "%s%s", canon.len ? "," : "", tag);
		p += n;
	}
	if (!canon.len) {
		vl_buf_release(&canon);
		return cli_usage(cmd, "no language given");
	}
	rc = repo_setting_set(cli->repo, MD_VOCAB_LANGS_SETTING, canon.buf,
			      &err);
	if (rc == 0 && !cli->quiet)
		printf("Output languages: %s\n", canon.buf);
	vl_buf_release(&canon);
	return rc < 0 ? cli_fail(cli, &err) : CLI_OK;
}

/* ---- dispatch ---- */

static const struct {
	const char *name;
	int (*fn)(struct cli *, const struct cli_cmd *, int, char **);
} subs[] = {
	{ "import", vocab_import }, { "list", vocab_list },
	{ "show", vocab_show },     { "search", vocab_search },
	{ "audit", vocab_audit },   { "remediate", vocab_remediate },
	{ "langs", vocab_langs },
};

static int
run_vocab(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return cli_usage(cmd, "vocab needs a subcommand");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cli_print_help(cmd, stdout);
		return CLI_OK;
	}
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(cli, cmd, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown subcommand '%s'", argv[1]);
}

const struct cli_cmd cmd_vocab = {
	"vocab",       run_vocab,
	CLI_NEED_REPO, "SKOS vocabularies: import, search, reparative audit",
	vocab_usage,   vocab_help,
};
