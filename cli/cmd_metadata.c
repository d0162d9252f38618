/*
 * cmd_metadata.c - `vellum metadata validate|convert|show`: descriptive
 * metadata on the command line.  validate and convert work on files and
 * need no repository (validate reads schema_dir from one if it finds
 * it); show reads an object's stored records from the catalog.
 *
 * convert streams: records are read and written one at a time, so a file
 * of 100,000 MODS records converts in constant memory.  With -o the
 * output goes to a temporary file renamed into place only on success.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../metadata/metadata.h"
#include "cli.h"

static const char *const metadata_usage[] = {
	"metadata validate [--from FMT] [--schema-dir DIR | --no-schema] "
	"[--json] FILE...",
	"metadata convert [--from FMT] --to FMT [-o OUT] [--keep-unknown] "
	"[--json] FILE|-",
	"metadata show [--format oai_dc|mods|dcterms|json|source] "
	"[--version N] [--json] ID",
	NULL,
};

static const char metadata_help[] =
	"Reads, writes, converts and validates descriptive metadata: oai_dc\n"
	"(simple Dublin Core), dcterms (qualified DC), MODS 3.4-3.8 and CSV\n"
	"rows.  Every value keeps its language; what a target format cannot\n"
	"hold is reported as a warning (docs/crosswalk.md lists each "
	"mapping).\n"
	"\n"
	"validate FILE...\n"
	"  Checks each file against its XML schema (mods-3-8.xsd, oai_dc.xsd,\n"
	"  qualifieddc.xsd) and the content rules: a title is present, dates\n"
	"  are W3CDTF or EDTF, language tags are well-formed BCP 47 with real\n"
	"  ISO 639 codes, MODS @lang holds ISO 639-2/B codes.  XML declaring\n"
	"  entities or an external DTD is refused.  Exit 1 if a file is\n"
	"  invalid.\n"
	"  --from FMT         the files' format (default: detected)\n"
	"  --schema-dir DIR   XSD directory (default: the repository's\n"
	"                     schema_dir, else $VELLUM_SCHEMA_DIR)\n"
	"  --no-schema        content rules only, no XSD validation\n"
	"  --json             report each file's errors and warnings as JSON\n"
	"  Exit 3 if a file cannot be read or a schema cannot be compiled.\n"
	"\n"
	"convert --to FMT FILE|-\n"
	"  Converts every record of FILE (- for standard input) to oai_dc,\n"
	"  dcterms, mods or json.  One record gives one document; several\n"
	"  (a modsCollection, an OAI-PMH response, CSV rows) give a "
	"collection:\n"
	"  <modsCollection>, <records> or a JSON array.  Lost fields are\n"
	"  warned about on standard error.  Unreadable, malformed or refused\n"
	"  input exits 3 and writes nothing to OUT.\n"
	"  --from FMT         oai_dc, dcterms, mods or csv (default: detected\n"
	"                     from the content, or a .csv name)\n"
	"  --to FMT           oai_dc, dcterms, mods or json\n"
	"  -o, --output OUT   write OUT (atomically) instead of standard "
	"output\n"
	"  --keep-unknown     CSV: keep unknown columns as notes\n"
	"  --json             with -o: report counts and warnings as JSON\n"
	"\n"
	"show ID\n"
	"  Shows the current metadata of object ID from the catalog (needs a\n"
	"  repository).  Without --format: a summary of every value.\n"
	"  --format FMT       print the stored oai_dc, mods, dcterms or "
	"source\n"
	"                     record (rendered from the richest stored one if\n"
	"                     that format was not stored), or json\n"
	"  --version N        an earlier metadata version\n"
	"  --json             the same as --format json\n"
	"\n"
	"CSV columns are NAME[QUAL]{AUTHORITY}@LANG: NAME a DC element or\n"
	"DCMI term (title, alternative, creator, issued, isPartOf ...), QUAL "
	"a\n"
	"MARC relator code on creator/contributor (creator[aut]), an "
	"identifier\n"
	"type (identifier[doi]) or a date encoding (date[edtf]), AUTHORITY a\n"
	"vocabulary (subject{lcsh}), LANG a BCP 47 tag (title@mi).  Several\n"
	"values in a cell are separated by | (\\| for a literal bar); a value\n"
	"ending in \" <URI>\" carries that URI.  The batch-ingest columns\n"
	"path, id and collection are skipped; other columns are an error.\n";

/* ---- shared ---- */

static void
print_diag(const struct md_diag *d, int quiet)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct md_diag_item *it = &d->items[i];

		if (quiet && it->level == MD_WARNING)
			continue;
		fprintf(stderr, "vellum: %s: %s%s%s",
			it->level == MD_ERROR ? "error" : "warning", it->where,
			*it->where ? ": " : "", it->msg);
		if (it->count > 1)
			fprintf(stderr, " (%lu times)", it->count);
		fputc('\n', stderr);
	}
	if (d->n < d->errors + d->warnings && d->n >= d->max_items)
		fprintf(stderr, "vellum: (more messages not shown)\n");
}

static json_t *
diag_json(const struct md_diag *d, enum md_level level)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < d->n; i++)
		if (d->items[i].level == level)
			json_array_append_new(
				a, json_pack("{s:s, s:s, s:I}", "where",
					     d->items[i].where, "message",
					     d->items[i].msg, "count",
					     (json_int_t)d->items[i].count));
	return a;
}

static int
parse_format(const struct cli_cmd *cmd, const char *opt, const char *arg,
	     enum md_format *out)
{
	*out = md_format_parse(arg);
	if (*out == MD_FMT_UNKNOWN)
		return cli_usage(cmd,
				 "%s: unknown format '%s' (oai_dc, dcterms, "
				 "mods, csv, json)",
				 opt, arg);
	return 0;
}

/* ---- validate ---- */

struct vopts {
	const struct cli_cmd *cmd;
	enum md_format from;
	const char *schema_dir;
	int no_schema;
	int rc;
};

enum { O_FROM = 0x200, O_TO, O_SCHEMA, O_NOSCHEMA, O_KEEP, O_FORMAT, O_VER };

static int
validate_opt(void *ctx, int c, const char *arg)
{
	struct vopts *o = ctx;

	switch (c) {
	case O_FROM: return parse_format(o->cmd, "--from", arg, &o->from);
	case O_SCHEMA: o->schema_dir = arg; return 0;
	case O_NOSCHEMA: o->no_schema = 1; return 0;
	}
	return 0;
}

/* The schema directory: --schema-dir, the repository's schema_dir (if a
 * repository is found), $VELLUM_SCHEMA_DIR.  NULL if none. */
static char *
find_schema_dir(struct cli *cli, const char *given)
{
	struct repo_config cfg = { 0 };
	struct vl_buf dir = VL_BUF_INIT, conf = VL_BUF_INIT;
	struct vl_err err = { 0 };
	const char *env = getenv("VELLUM_SCHEMA_DIR");
	char *out = NULL;

	if (given)
		return strdup(given);
	if (repo_locate(&dir, cli->repo_arg, &err) == 0 &&
	    vl_path_join(&conf, dir.buf, REPO_CONF_NAME, &err) == 0 &&
	    repo_config_load(&cfg, conf.buf, dir.buf, &err) == 0 &&
	    cfg.schema_dir && *cfg.schema_dir)
		out = strdup(cfg.schema_dir);
	repo_config_release(&cfg);
	vl_buf_release(&dir);
	vl_buf_release(&conf);
	if (!out && env && *env)
		out = strdup(env);
	return out;
}

static int
run_validate(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "from", required_argument, NULL, O_FROM },
		{ "schema-dir", required_argument, NULL, O_SCHEMA },
		{ "no-schema", no_argument, NULL, O_NOSCHEMA },
		{ NULL, 0, NULL, 0 },
	};
	struct vopts o = { cmd, MD_FMT_UNKNOWN, NULL, 0, 0 };
	struct md_schemas *schemas = NULL;
	struct vl_err err = { 0 };
	json_t *files = NULL;
	char *dir = NULL;
	int rc, i, invalid = 0;

	if ((rc = cli_parse(cli, cmd, argc, argv, "", longopts, validate_opt,
			    &o)) >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage(cmd, "validate needs a FILE");
	if (o.no_schema && o.schema_dir)
		return cli_usage(cmd, "--schema-dir and --no-schema exclude "
				      "each other");
	if (!o.no_schema) {
		if (!(dir = find_schema_dir(cli, o.schema_dir)))
			return cli_usage(cmd,
					 "no schema directory: give "
					 "--schema-dir DIR, set schema_dir in "
					 "the repository, or --no-schema");
		rc = md_schemas_open(&schemas, dir, &err);
		free(dir);
		if (rc < 0)
			return cli_fail(cli, &err);
	}
	if (cli->json)
		files = json_array();
	for (i = optind; i < argc; i++) {
		struct vl_buf b = VL_BUF_INIT;
		struct md_diag d;
		size_t records = 0;

		md_diag_init(&d);
		d.strict = 1;
		rc = vl_read_file(&b, argv[i], MD_MAX_INPUT, &err);
		if (rc == VL_E_NOMEM)
			md_diag_add(&d, MD_ERROR, argv[i], 0,
				    "larger than %zu MiB; not validated",
				    MD_MAX_INPUT >> 20);
		else if (rc < 0) {
			vl_buf_release(&b);
			md_diag_release(&d);
			md_schemas_free(schemas);
			json_decref(files);
			return cli_fail(cli, &err);
		} else if ((rc = md_validate(b.buf, b.len, argv[i], o.from,
					     schemas, &d, &records, &err)) <
			   0) {
			vl_buf_release(&b);
			md_diag_release(&d);
			md_schemas_free(schemas);
			json_decref(files);
			return cli_fail(cli, &err);
		}
		vl_buf_release(&b);
		if (d.errors)
			invalid++;
		if (files) {
			json_array_append_new(
				files,
				json_pack("{s:s, s:b, s:I, s:o, s:o}", "file",
					  argv[i], "valid", d.errors == 0,
					  "records", (json_int_t)records,
					  "errors", diag_json(&d, MD_ERROR),
					  "warnings",
					  diag_json(&d, MD_WARNING)));
		} else {
			print_diag(&d, cli->quiet);
			if (!cli->quiet || d.errors)
				printf("%s: %s (%zu record%s, %lu error%s, "
				       "%lu warning%s)\n",
				       argv[i], d.errors ? "invalid" : "valid",
				       records, records == 1 ? "" : "s",
				       d.errors, d.errors == 1 ? "" : "s",
				       d.warnings, d.warnings == 1 ? "" : "s");
		}
		md_diag_release(&d);
	}
	md_schemas_free(schemas);
	if (files)
		cli_json_out(json_pack("{s:b, s:b, s:o}", "valid", invalid == 0,
				       "schema", !o.no_schema, "files", files));
	return invalid ? CLI_PROBLEM : CLI_OK;
}

/* ---- convert ---- */

struct copts {
	const struct cli_cmd *cmd;
	enum md_format from, to;
	const char *output;
	int keep_unknown;
};

static int
convert_opt(void *ctx, int c, const char *arg)
{
	struct copts *o = ctx;

	switch (c) {
	case O_FROM: return parse_format(o->cmd, "--from", arg, &o->from);
	case O_TO: return parse_format(o->cmd, "--to", arg, &o->to);
	case 'o': o->output = arg; return 0;
	case O_KEEP: o->keep_unknown = 1; return 0;
	}
	return 0;
}

/*
 * Output: a temporary file beside OUT (renamed into place on success) or
 * standard output.  The first record is rendered both as a document and
 * as a collection item: which one is written depends on whether a second
 * record follows.
 */
struct sink {
	FILE *f;
	char *tmp;
	const char *path;
	struct vl_buf buf, single;
	enum md_format to;
	size_t n;
	struct md_diag *d;
	struct vl_err *err;
};

static int
sink_flush(struct sink *s)
{
	if (s->buf.len && fwrite(s->buf.buf, 1, s->buf.len, s->f) != s->buf.len)
		return vl_err_sys(s->err, VL_E_IO, "cannot write '%s'",
				  s->path ? s->path : "standard output");
	vl_buf_reset(&s->buf);
	return 0;
}

static int
sink_record(void *ctx, struct md_record *rec, unsigned long line)
{
	struct sink *s = ctx;
	int rc;

	(void)line;
	if (s->n == 0) {
		rc = md_write_buf(&s->single, rec, s->to, 0, s->d, s->err);
		if (!rc && (rc = md_write_collection_start(&s->buf, s->to)) < 0)
			rc = vl_err_set(s->err, rc, "out of memory");
		if (!rc)
			rc = md_write_collection_item(&s->buf, rec, s->to, 0,
						      NULL, s->err);
	} else {
		rc = md_write_collection_item(&s->buf, rec, s->to, s->n, s->d,
					      s->err);
		if (!rc && s->n == 1)
			vl_buf_release(&s->single);
		if (!rc && s->buf.len >= ((size_t)1 << 20))
			rc = sink_flush(s);
	}
	if (rc < 0)
		return rc;
	s->n++;
	return 0;
}

static int
sink_open(struct sink *s, const char *path, struct vl_err *err)
{
	char *copy, *dir;
	int fd;

	s->err = err;
	vl_buf_init(&s->buf, 0);
	vl_buf_init(&s->single, 0);
	if (!path) {
		s->f = stdout;
		return 0;
	}
	s->path = path;
	if (!(copy = strdup(path)))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	dir = dirname(copy);
	if (asprintf(&s->tmp, "%s/.vellum-convert-XXXXXX", dir) < 0) {
		s->tmp = NULL;
		free(copy);
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	}
	free(copy);
	if ((fd = mkstemp(s->tmp)) < 0 || !(s->f = fdopen(fd, "w"))) {
		int rc = vl_err_sys(err, VL_E_IO,
				    "cannot create a file beside "
				    "'%s'",
				    path);

		if (fd >= 0) {
			close(fd);
			unlink(s->tmp);
		}
		free(s->tmp);
		s->tmp = NULL;
		return rc;
	}
	return 0;
}

/* Finishes the output; on failure (ok == 0) removes the temporary file. */
static int
sink_close(struct sink *s, int ok)
{
	char *copy = NULL;
	int rc = 0;

	if (ok) {
		if (s->n == 1) {
			vl_buf_reset(&s->buf);
			rc = vl_buf_add(&s->buf, s->single.buf, s->single.len);
		} else if (s->n > 1) {
			rc = md_write_collection_end(&s->buf, s->to);
		}
		if (rc < 0)
			rc = vl_err_set(s->err, rc, "out of memory");
		if (!rc)
			rc = sink_flush(s);
	}
	if (s->tmp) {
		if (!rc && ok && (fflush(s->f) != 0 || fsync(fileno(s->f)) < 0))
			rc = vl_err_sys(s->err, VL_E_IO, "cannot write '%s'",
					s->path);
		if (fclose(s->f) != 0 && !rc && ok)
			rc = vl_err_sys(s->err, VL_E_IO, "cannot write '%s'",
					s->path);
		if (!rc && ok && rename(s->tmp, s->path) < 0)
			rc = vl_err_sys(s->err, VL_E_IO,
					"cannot rename to '%s'", s->path);
		if (!rc && ok && (copy = strdup(s->path)))
			rc = vl_fsync_dir(dirname(copy), s->err);
		if (rc || !ok)
			unlink(s->tmp);
		free(copy);
		free(s->tmp);
	} else if (ok && fflush(stdout) != 0 && !rc) {
		rc = vl_err_sys(s->err, VL_E_IO,
				"cannot write standard output");
	}
	vl_buf_release(&s->buf);
	vl_buf_release(&s->single);
	return rc;
}

static int
run_convert(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "from", required_argument, NULL, O_FROM },
		{ "to", required_argument, NULL, O_TO },
		{ "output", required_argument, NULL, 'o' },
		{ "keep-unknown", no_argument, NULL, O_KEEP },
		{ NULL, 0, NULL, 0 },
	};
	struct copts o = { cmd, MD_FMT_UNKNOWN, MD_FMT_UNKNOWN, NULL, 0 };
	struct sink s = { 0 };
	struct md_diag d;
	struct vl_err err = { 0 };
	const char *in_name;
	FILE *in;
	size_t count = 0;
	int rc;

	if ((rc = cli_parse(cli, cmd, argc, argv, "o:", longopts, convert_opt,
			    &o)) >= 0)
		return rc;
	if (o.to == MD_FMT_UNKNOWN)
		return cli_usage(cmd, "convert needs --to FMT");
	if (o.to == MD_FMT_CSV)
		return cli_usage(cmd, "--to csv is not supported; choose "
				      "oai_dc, dcterms, mods or json");
	if (o.from == MD_FMT_JSON)
		return cli_usage(cmd, "--from json is not supported");
	if (optind >= argc)
		return cli_usage(cmd, "convert needs a FILE (or - for standard "
				      "input)");
	if (optind + 1 < argc)
		return cli_usage(cmd, "convert takes one FILE, not '%s'",
				 argv[optind + 1]);
	if (cli->json && !o.output)
		return cli_usage(cmd, "--json needs -o (the records go to "
				      "standard output otherwise)");
	in_name = argv[optind];
	if (!strcmp(in_name, "-")) {
		in = stdin;
		in_name = "standard input";
	} else if (!(in = fopen(in_name, "rb"))) {
		vl_err_sys(&err, VL_E_IO, "cannot open '%s'", in_name);
		return cli_fail(cli, &err);
	}
	if (o.from == MD_FMT_UNKNOWN && in != stdin) {
		size_t n = strlen(in_name);

		if (n > 4 && !strcasecmp(in_name + n - 4, ".csv"))
			o.from = MD_FMT_CSV;
	}
	md_diag_init(&d);
	s.to = o.to;
	s.d = &d;
	if ((rc = sink_open(&s, o.output, &err)) < 0) {
		if (in != stdin)
			fclose(in);
		md_diag_release(&d);
		return cli_fail(cli, &err);
	}
	rc = md_read_stream(in, in_name, &o.from,
			    MD_READ_BATCH |
				    (o.keep_unknown ? MD_READ_KEEP_UNKNOWN : 0),
			    sink_record, &s, &count, &d, &err);
	if (in != stdin)
		fclose(in);
	if (rc < 0) {
		sink_close(&s, 0);
		print_diag(&d, cli->quiet);
		md_diag_release(&d);
		return cli_fail(cli, &err);
	}
	if ((rc = sink_close(&s, 1)) < 0) {
		md_diag_release(&d);
		return cli_fail(cli, &err);
	}
	if (cli->json)
		cli_json_out(json_pack("{s:b, s:s, s:s, s:s, s:s, s:I, s:o}",
				       "ok", 1, "input", in_name, "output",
				       o.output, "from", md_format_name(o.from),
				       "to", md_format_name(o.to), "records",
				       (json_int_t)s.n, "warnings",
				       diag_json(&d, MD_WARNING)));
	else
		print_diag(&d, cli->quiet);
	md_diag_release(&d);
	return CLI_OK;
}

/* ---- show ---- */

struct sopts {
	const struct cli_cmd *cmd;
	const char *format;
	uint64_t version;
};

static int
show_opt(void *ctx, int c, const char *arg)
{
	struct sopts *o = ctx;

	switch (c) {
	case O_FORMAT: o->format = arg; return 0;
	case O_VER:
		return cli_parse_uint(o->cmd, "--version", arg, INT32_MAX,
				      &o->version);
	}
	return 0;
}

/* The stored rows of one metadata version, by format. */
struct stored {
	char *xml[4]; /* mods, dcterms, oai_dc, source: richest first */
	char formats[64];
};

static const char *const stored_names[4] = { "mods", "dcterms", "oai_dc",
					     "source" };

static int
load_version(struct repo *r, const char *id, int64_t version, struct stored *st,
	     struct vl_err *err)
{
	sqlite3_stmt *q = NULL;
	int rc, i;

	if ((rc = repo_prepare(
		     r, &q,
		     "SELECT format, xml FROM metadata WHERE "
		     "object_id = ?1 AND version = ?2 ORDER BY format",
		     err)) < 0)
		return rc;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, version);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *f = (const char *)sqlite3_column_text(q, 0);
		const char *x = (const char *)sqlite3_column_text(q, 1);
		size_t n = strlen(st->formats);

		snprintf(st->formats + n, sizeof(st->formats) - n, "%s%s",
			 n ? ", " : "", f ? f : "?");
		for (i = 0; i < 4; i++)
			if (f && x && !strcmp(f, stored_names[i]) &&
			    !st->xml[i] && !(st->xml[i] = strdup(x))) {
				sqlite3_finalize(q);
				return vl_err_set(err, VL_E_NOMEM,
						  "out of memory");
			}
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return repo_db_err(r->db, err, "cannot read metadata");
	if (!st->formats[0])
		return vl_err_set(err, VL_E_NOTFOUND,
				  "object '%s' has no metadata version %lld",
				  id, (long long)version);
	return 0;
}

static int
current_version(struct repo *r, const char *id, int64_t *version,
		struct vl_err *err)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = repo_prepare(r, &q,
			       "SELECT md_version FROM objects WHERE id = ?1",
			       err)) < 0)
		return rc;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int64(q, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = vl_err_set(err, VL_E_NOTFOUND, "no object '%s'", id);
	} else {
		rc = repo_db_err(r->db, err, "cannot read objects");
	}
	sqlite3_finalize(q);
	if (!rc && *version <= 0)
		rc = vl_err_set(err, VL_E_NOTFOUND,
				"object '%s' has no metadata", id);
	return rc;
}

/* The record from the richest stored form. */
static int
richest(struct md_record **rec, const struct stored *st, const char *id,
	struct vl_err *err)
{
	static const enum md_format fmts[4] = { MD_FMT_MODS, MD_FMT_DCTERMS,
						MD_FMT_OAI_DC, MD_FMT_UNKNOWN };
	char name[300];
	int i;

	for (i = 0; i < 4; i++)
		if (st->xml[i]) {
			snprintf(name, sizeof(name), "%s (%s)", id,
				 stored_names[i]);
			return md_read(rec, fmts[i], st->xml[i],
				       strlen(st->xml[i]), name, 0, NULL, err);
		}
	return vl_err_set(err, VL_E_NOTFOUND, "object '%s' has no metadata",
			  id);
}

static void
print_value(const struct md_value *v)
{
	char label[160];
	size_t n, i;

	n = (size_t)snprintf(label, sizeof(label), "%s%s%s",
			     v->element ? md_element_name(v->element)
					: md_term_name(v->term),
			     v->term && v->element ? "." : "",
			     v->term && v->element ? md_term_name(v->term)
						   : "");
	for (i = 0; i < v->nroles && n < sizeof(label); i++)
		n += (size_t)snprintf(
			label + n, sizeof(label) - n, "%s%s", i ? "," : " (",
			v->roles[i].code ? v->roles[i].code : v->roles[i].text);
	if (v->nroles && n < sizeof(label))
		n += (size_t)snprintf(label + n, sizeof(label) - n, ")");
	if (v->authority && n < sizeof(label))
		n += (size_t)snprintf(label + n, sizeof(label) - n, " {%s}",
				      v->authority);
	if (v->lang && n < sizeof(label))
		snprintf(label + n, sizeof(label) - n, " [%s]", v->lang);
	printf("  %-28s %s", label, v->text);
	if (v->value_uri)
		printf(" <%s>", v->value_uri);
	else if (v->href)
		printf(" <%s>", v->href);
	putchar('\n');
}

static void
put_text(const char *s)
{
	size_t n = strlen(s);

	fputs(s, stdout);
	if (!n || s[n - 1] != '\n')
		putchar('\n');
}

static int
run_show(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "format", required_argument, NULL, O_FORMAT },
		{ "version", required_argument, NULL, O_VER },
		{ NULL, 0, NULL, 0 },
	};
	struct sopts o = { cmd, NULL, 0 };
	struct stored st = { { NULL }, "" };
	struct vl_buf dir = VL_BUF_INIT;
	struct md_record *rec = NULL;
	struct vl_err err = { 0 };
	struct repo *r = NULL;
	enum md_format want = MD_FMT_UNKNOWN;
	const char *id;
	char *out = NULL;
	int64_t version = 0;
	int rc, i, exit_code = CLI_OK;

	if ((rc = cli_parse(cli, cmd, argc, argv, "", longopts, show_opt,
			    &o)) >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage(cmd, "show needs an object ID");
	if (optind + 1 < argc)
		return cli_usage(cmd, "show takes one ID, not '%s'",
				 argv[optind + 1]);
	id = argv[optind];
	if (cli->json && o.format && strcmp(o.format, "json") != 0)
		return cli_usage(cmd,
				 "--json and --format %s exclude each "
				 "other",
				 o.format);
	if (cli->json)
		o.format = "json";
	if (o.format && strcmp(o.format, "source") != 0 &&
	    ((want = md_format_parse(o.format)) == MD_FMT_UNKNOWN ||
	     want == MD_FMT_CSV))
		return cli_usage(cmd,
				 "--format: unknown format '%s' (oai_dc, "
				 "mods, dcterms, json, source)",
				 o.format);
	/* The repository, found as for every command (-r, VELLUM_REPO,
	 * the current directory). */
	if (repo_locate(&dir, cli->repo_arg, &err) < 0) {
		vl_buf_release(&dir);
		fprintf(stderr, "vellum: %s\n", err.msg);
		return CLI_USAGE;
	}
	rc = repo_open(&r, dir.buf, &err);
	vl_buf_release(&dir);
	if (rc < 0)
		return cli_fail(cli, &err);
	if (o.version)
		version = (int64_t)o.version;
	else if ((rc = current_version(r, id, &version, &err)) < 0)
		goto fail;
	if ((rc = load_version(r, id, version, &st, &err)) < 0)
		goto fail;
	if (o.format && !strcmp(o.format, "source")) {
		if (!st.xml[3]) {
			rc = vl_err_set(
				&err, VL_E_NOTFOUND,
				"object '%s' version %lld has no source "
				"record",
				id, (long long)version);
			goto fail;
		}
		put_text(st.xml[3]);
		goto done;
	}
	for (i = 0; i < 3 && want != MD_FMT_JSON && want != MD_FMT_UNKNOWN; i++)
		if (!strcmp(stored_names[i], md_format_name(want)) &&
		    st.xml[i]) {
			put_text(st.xml[i]);
			goto done;
		}
	if ((rc = richest(&rec, &st, id, &err)) < 0)
		goto fail;
	if (want == MD_FMT_JSON) {
		json_t *j;
		size_t len;

		if ((rc = md_write(&out, &len, rec, MD_FMT_JSON, 0, NULL,
				   &err)) < 0)
			goto fail;
		j = json_loads(out, 0, NULL);
		json_t *fmts = json_array();

		for (i = 0; fmts && i < 4; i++)
			if (st.xml[i])
				json_array_append_new(
					fmts, json_string(stored_names[i]));
		cli_json_out(json_pack("{s:s, s:I, s:o, s:o}", "id", id,
				       "version", (json_int_t)version,
				       "formats", fmts ? fmts : json_null(),
				       "record", j ? j : json_null()));
	} else if (want != MD_FMT_UNKNOWN) {
		vl_log_info("%s: no stored %s record; rendered from the "
			    "richest stored one",
			    id, md_format_name(want));
		if ((rc = md_write(&out, NULL, rec, want, 0, NULL, &err)) < 0)
			goto fail;
		put_text(out);
	} else {
		const char *title = md_record_title(rec);
		size_t k;

		printf("Object:   %s\n", id);
		printf("Version:  %lld (stored: %s)\n", (long long)version,
		       st.formats);
		printf("Title:    %s\n", title ? title : "(none)");
		printf("Values:\n");
		for (k = 0; k < rec->nvalues; k++)
			print_value(&rec->values[k]);
	}
done:
	free(out);
	md_record_free(rec);
	for (i = 0; i < 4; i++)
		free(st.xml[i]);
	repo_close(r);
	return exit_code;
fail:
	exit_code = cli_fail(cli, &err);
	goto done;
}

static int
run_metadata(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	const char *sub;

	if (argc < 2)
		return cli_usage(cmd, "a subcommand is needed: validate, "
				      "convert or show");
	sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		cli_print_help(cmd, stdout);
		return CLI_OK;
	}
	if (!strcmp(sub, "validate"))
		return run_validate(cli, cmd, argc - 1, argv + 1);
	if (!strcmp(sub, "convert"))
		return run_convert(cli, cmd, argc - 1, argv + 1);
	if (!strcmp(sub, "show"))
		return run_show(cli, cmd, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown subcommand '%s'", sub);
}

const struct cli_cmd cmd_metadata = {
	"metadata",
	run_metadata,
	0,
	"validate, convert and show descriptive metadata",
	metadata_usage,
	metadata_help,
};
