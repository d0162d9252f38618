/*
 * cmd_bag.c - `vellum bag create|validate|update|info|fetch|pack|unpack`:
 * the BagIt engine (ingest/ingest.h) on the command line.  Needs no
 * repository; when one is found, its `digests` setting gives the
 * default algorithms.
 *
 * Exit codes: 0 ok (a valid bag), 1 a bag that is not valid or complete
 * (or whose update/fetch found problems), 2 usage, 3 runtime failure.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../ingest/ingest.h"
#include "cli.h"

static const char *const bag_usage[] = {
	"bag create [-a ALG]... [--info LABEL=VALUE]... [--info-file FILE]\n"
	"                  [--exclude-hidden] [--symlinks skip|follow|error]\n"
	"                  [--serialize tar|tgz|zip] [--profile FILE] [-j N]\n"
	"                  [--json] SRC [DEST]",
	"bag validate [--fast | --completeness-only] [--profile FILE] [-j N]\n"
	"                  [--json] PATH",
	"bag update [--add-algorithm ALG]... [-j N] [--json] PATH",
	"bag info [--json] PATH",
	"bag fetch [-j N] [--retries N] [--timeout SECS] [--allow-file]\n"
	"                  [--no-validate] [--profile FILE] [--json] PATH",
	"bag pack [--format tar|tgz|zip] [--json] BAG [ARCHIVE]",
	"bag unpack [--json] ARCHIVE [DIR]",
	NULL,
};

static const char bag_help[] =
	"BagIt bags (RFC 8493): versions 0.93 to 1.0 are read with the rules\n"
	"of their version; bags are written as 1.0.  No repository is needed;\n"
	"inside one, its 'digests' setting is the default for -a.\n"
	"\n"
	"create SRC [DEST]   bag SRC in place (its contents move under data/)\n"
	"                    or copy it into the new directory DEST, hashing\n"
	"                    each file in the same read as it is copied\n"
	"  -a, --algorithm ALG  digest algorithm, repeatable (default "
	"sha512):\n"
	"                    md5 sha1 sha224 sha256 sha384 sha512 sha3224\n"
	"                    sha3256 sha3384 sha3512 blake2b512 blake2s256\n"
	"  --info LABEL=VALUE   a bag-info.txt element, repeatable, in order\n"
	"  --info-file FILE  bag-info.txt elements from FILE (label: value)\n"
	"  --exclude-hidden  leave out names starting with '.' (needs DEST)\n"
	"  --symlinks POLICY skip (default: left out, with a warning),\n"
	"                    follow (only targets inside SRC), or error;\n"
	"                    bagging in place refuses links\n"
	"  --serialize FMT   write DEST as a tar, tgz or zip archive instead\n"
	"                    of a directory\n"
	"  --profile FILE    the bag must satisfy this BagIt Profile (1.3,\n"
	"                    JSON): its identifier goes into bag-info.txt,\n"
	"                    and a bag breaking any rule (required bag-info\n"
	"                    elements, manifests, tag files, serialization)\n"
	"                    is refused, each rule named, exit 1, with SRC\n"
	"                    left as it was\n"
	"validate PATH       check a bag directory, or a .tar, .tar.gz/.tgz "
	"or\n"
	"                    .zip archive read without extracting; every\n"
	"                    problem is listed with its RFC section; exit 1\n"
	"                    unless the bag is valid\n"
	"  --completeness-only  files present and listed, no digests\n"
	"  --fast            only Payload-Oxum against the payload; never\n"
	"                    reports a bag valid (exit 0 when it matches)\n"
	"  --profile FILE    also check a BagIt Profile (1.3, JSON)\n"
	"update PATH         regenerate manifests, Payload-Oxum, Bag-Size and\n"
	"                    tag manifests after the payload changed, keeping\n"
	"                    the other bag-info elements in order\n"
	"  --add-algorithm ALG  add a manifest; the existing digests are\n"
	"                    verified in the same read and any mismatch\n"
	"                    refuses the update (exit 1)\n"
	"info PATH           version, bag-info elements, manifests, counts\n"
	"fetch PATH          download the fetch.txt entries not yet present\n"
	"                    (http, https), in parallel, resuming, retrying,\n"
	"                    aborting any exceeding its declared length, each\n"
	"                    verified; then validate the bag\n"
	"  --retries N       attempts after the first (default 3)\n"
	"  --timeout SECS    give up on a stalled transfer (default 60)\n"
	"  --allow-file      also fetch file:// URLs\n"
	"  --no-validate     do not validate afterwards (--profile applies\n"
	"                    to that validation)\n"
	"pack BAG [ARCHIVE]  serialize BAG as one top-level directory named\n"
	"                    after it (ARCHIVE defaults to BAG.tar)\n"
	"  --format FMT      tar, tgz or zip (default: from ARCHIVE's name)\n"
	"unpack ARCHIVE [DIR]  extract a serialized bag into the new DIR\n"
	"                    (default: its top-level name); links, devices,\n"
	"                    absolute or '..' names abort with nothing "
	"written\n"
	"\n"
	"Common options:\n"
	"  -j, --jobs N      worker threads (default: the number of CPUs);\n"
	"                    for fetch, transfers at once (default 4)\n"
	"  --json            report as JSON\n"
	"\n"
	"Exit codes: 0 ok; 1 the bag is not valid (or not complete with\n"
	"--completeness-only, or its Payload-Oxum differs with --fast), or an\n"
	"update or fetch found problems, or create --profile refused the\n"
	"bag; 2 usage; 3 runtime failure.\n";

struct bag_args {
	const struct cli_cmd *cmd;
	unsigned sub; /* index in subs[] */
	unsigned algs;
	struct bag_info info;
	const char *info_file;
	int exclude_hidden, symlinks, serialize, fast, complete_only;
	const char *profile;
	unsigned threads, retries;
	long timeout;
	int allow_file, no_validate, format;
	struct vl_err err;
};

enum {
	O_INFO = 0x200,
	O_INFO_FILE,
	O_EXCLUDE_HIDDEN,
	O_SYMLINKS,
	O_SERIALIZE,
	O_FAST,
	O_COMPLETE,
	O_PROFILE,
	O_ADD_ALG,
	O_RETRIES,
	O_TIMEOUT,
	O_ALLOW_FILE,
	O_NO_VALIDATE,
	O_FORMAT,
};

static const struct option bag_longopts[] = {
	CLI_COMMON_LONG,
	{ "algorithm", required_argument, NULL, 'a' },
	{ "add-algorithm", required_argument, NULL, O_ADD_ALG },
	{ "info", required_argument, NULL, O_INFO },
	{ "info-file", required_argument, NULL, O_INFO_FILE },
	{ "exclude-hidden", no_argument, NULL, O_EXCLUDE_HIDDEN },
	{ "symlinks", required_argument, NULL, O_SYMLINKS },
	{ "serialize", required_argument, NULL, O_SERIALIZE },
	{ "fast", no_argument, NULL, O_FAST },
	{ "completeness-only", no_argument, NULL, O_COMPLETE },
	{ "profile", required_argument, NULL, O_PROFILE },
	{ "jobs", required_argument, NULL, 'j' },
	{ "retries", required_argument, NULL, O_RETRIES },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "allow-file", no_argument, NULL, O_ALLOW_FILE },
	{ "no-validate", no_argument, NULL, O_NO_VALIDATE },
	{ "format", required_argument, NULL, O_FORMAT },
	{ NULL, 0, NULL, 0 },
};

enum {
	S_CREATE = 1 << 0,
	S_VALIDATE = 1 << 1,
	S_UPDATE = 1 << 2,
	S_INFO = 1 << 3,
	S_FETCH = 1 << 4,
	S_PACK = 1 << 5,
	S_UNPACK = 1 << 6,
};

/* Which subcommands take which option. */
static const struct {
	int code;
	const char *name;
	unsigned subs;
} opt_subs[] = {
	{ 'a', "--algorithm", S_CREATE },
	{ O_ADD_ALG, "--add-algorithm", S_UPDATE },
	{ O_INFO, "--info", S_CREATE },
	{ O_INFO_FILE, "--info-file", S_CREATE },
	{ O_EXCLUDE_HIDDEN, "--exclude-hidden", S_CREATE },
	{ O_SYMLINKS, "--symlinks", S_CREATE },
	{ O_SERIALIZE, "--serialize", S_CREATE },
	{ O_FAST, "--fast", S_VALIDATE },
	{ O_COMPLETE, "--completeness-only", S_VALIDATE },
	{ O_PROFILE, "--profile", S_CREATE | S_VALIDATE | S_FETCH },
	{ 'j', "--jobs", S_CREATE | S_VALIDATE | S_UPDATE | S_FETCH },
	{ O_RETRIES, "--retries", S_FETCH },
	{ O_TIMEOUT, "--timeout", S_FETCH },
	{ O_ALLOW_FILE, "--allow-file", S_FETCH },
	{ O_NO_VALIDATE, "--no-validate", S_FETCH },
	{ O_FORMAT, "--format", S_PACK },
};

static const char *const sub_names[] = { "create", "validate", "update", "info",
					 "fetch",  "pack",     "unpack" };

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct bag_args *a = ctx;
	uint64_t v;
	unsigned mask;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(opt_subs) / sizeof(opt_subs[0]); i++)
		if (opt_subs[i].code == c &&
		    !(opt_subs[i].subs & (1u << a->sub)))
			return cli_usage(a->cmd,
					 "%s is not an option of bag %s",
					 opt_subs[i].name, sub_names[a->sub]);
	switch (c) {
	case 'a':
	case O_ADD_ALG:
		if (fix_algs_parse(arg, &mask, &a->err) < 0)
			return cli_usage(a->cmd, "%s", a->err.msg);
		a->algs |= mask;
		return 0;
	case O_INFO:
		if (bag_info_add_arg(&a->info, arg, &a->err) < 0)
			return cli_usage(a->cmd, "%s", a->err.msg);
		return 0;
	case O_INFO_FILE: a->info_file = arg; return 0;
	case O_EXCLUDE_HIDDEN: a->exclude_hidden = 1; return 0;
	case O_SYMLINKS:
		if (!strcmp(arg, "skip"))
			a->symlinks = BAG_SYMLINKS_SKIP;
		else if (!strcmp(arg, "follow"))
			a->symlinks = BAG_SYMLINKS_FOLLOW;
		else if (!strcmp(arg, "error"))
			a->symlinks = BAG_SYMLINKS_ERROR;
		else
			return cli_usage(a->cmd,
					 "--symlinks takes skip, follow or "
					 "error, not '%s'",
					 arg);
		return 0;
	case O_SERIALIZE:
	case O_FORMAT:
		if ((rc = bag_format_parse(arg)) < 0)
			return cli_usage(
				a->cmd, "%s takes tar, tgz or zip, not '%s'",
				c == O_FORMAT ? "--format" : "--serialize",
				arg);
		if (c == O_FORMAT)
			a->format = rc;
		else
			a->serialize = rc;
		return 0;
	case O_FAST: a->fast = 1; return 0;
	case O_COMPLETE: a->complete_only = 1; return 0;
	case O_PROFILE: a->profile = arg; return 0;
	case 'j':
		if ((rc = cli_parse_uint(a->cmd, "--jobs", arg, 256, &v)) != 0)
			return rc;
		if (v == 0)
			return cli_usage(a->cmd, "--jobs needs at least 1");
		a->threads = (unsigned)v;
		return 0;
	case O_RETRIES:
		if ((rc = cli_parse_uint(a->cmd, "--retries", arg, 100, &v)) !=
		    0)
			return rc;
		a->retries = (unsigned)v;
		return 0;
	case O_TIMEOUT:
		if ((rc = cli_parse_uint(a->cmd, "--timeout", arg, 86400,
					 &v)) != 0)
			return rc;
		a->timeout = (long)v;
		return 0;
	case O_ALLOW_FILE: a->allow_file = 1; return 0;
	case O_NO_VALIDATE: a->no_validate = 1; return 0;
	}
	return cli_usage(a->cmd, "unknown option");
}

/* ---- output helpers ---- */

/* Prints s with control characters escaped (file names may hold CR). */
static void
put_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			fputs("\\n", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

/*
 * A JSON string for text from a bag (file names, tag values), which need
 * not be UTF-8: invalid bytes become the six characters "\\xNN" rather
 * than losing the whole value (jansson refuses invalid UTF-8).
 */
static json_t *
jstr(const char *s)
{
	struct vl_buf b = VL_BUF_INIT;
	json_t *j;
	size_t i, n;

	if (!s)
		return json_null();
	if ((j = json_string(s)))
		return j;
	for (i = 0; s[i]; i += n) {
		unsigned char c = (unsigned char)s[i];

		n = 1;
		if (c >= 0xc2 && c <= 0xf4) {
			size_t need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4, k;

			for (k = 1; k < need &&
				    ((unsigned char)s[i + k] & 0xc0) == 0x80;
			     k++)
				;
			if (k == need) {
				char tmp[5] = { 0 };

				memcpy(tmp, s + i, need);
				if ((j = json_string(tmp))) {
					json_decref(j);
					vl_buf_add(&b, s + i, need);
					n = need;
					continue;
				}
			}
		}
		if (c < 0x80)
			vl_buf_addch(&b, (char)c);
		else
			vl_buf_addf(&b, "\\x%02x", c);
	}
	j = json_string(b.buf);
	vl_buf_release(&b);
	return j ? j : json_string("?");
}

static json_t *
algs_json(unsigned mask)
{
	json_t *arr = json_array();
	int a;

	for (a = 0; a < FIX_ALG_COUNT; a++)
		if (mask & FIX_ALG_BIT(a))
			json_array_append_new(arr,
					      json_string(fix_alg_name(a)));
	return arr;
}

static json_t *
problems_json(const struct bag_report *r)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct bag_problem *p = &r->v[i];
		json_t *o = json_pack(
			"{s:s, s:s, s:s, s:o}", "severity",
			p->severity == BAG_ERROR ? "error" : "warning", "code",
			p->code, "rule", p->rule, "message", jstr(p->message));

		if (p->path)
			json_object_set_new(o, "path", jstr(p->path));
		if (p->line)
			json_object_set_new(o, "line", json_integer(p->line));
		if (p->expected)
			json_object_set_new(o, "expected", jstr(p->expected));
		if (p->actual)
			json_object_set_new(o, "actual", jstr(p->actual));
		json_array_append_new(arr, o);
	}
	return arr;
}

static void
print_problems(const struct cli *cli, const struct bag_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct bag_problem *p = &r->v[i];

		if (p->severity == BAG_WARNING && cli->quiet)
			continue;
		printf("%s: ", p->severity == BAG_ERROR ? "error" : "warning");
		if (p->path) {
			put_escaped(stdout, p->path);
			if (p->line)
				printf(":%u", p->line);
			fputs(": ", stdout);
		}
		put_escaped(stdout, p->message);
		if (p->expected && p->actual) {
			fputs(" (expected ", stdout);
			put_escaped(stdout, p->expected);
			fputs(", found ", stdout);
			put_escaped(stdout, p->actual);
			fputc(')', stdout);
		} else if (p->expected) {
			fputs(" (expected ", stdout);
			put_escaped(stdout, p->expected);
			fputc(')', stdout);
		}
		printf(" [%s]\n", p->rule);
	}
	if (r->dropped)
		printf("... and %zu more problems\n", r->dropped);
}

static void
progress_cb(void *ctx, uint64_t files, uint64_t bytes)
{
	cli_progress_update(ctx, files, bytes);
}

/* Default algorithms: the repository's `digests` when there is one. */
static int
default_algs(struct cli *cli, unsigned *algs)
{
	struct vl_buf dir = VL_BUF_INIT, conf = VL_BUF_INIT;
	struct repo_config cfg;
	struct vl_err err = { 0 };
	int rc = 0;

	*algs = FIX_ALG_BIT(FIX_SHA512); /* RFC 8493 2.4 */
	if (repo_locate(&dir, cli->repo_arg, &err) < 0) {
		vl_buf_release(&dir);
		return cli->repo_arg ? cli_fail(cli, &err) : 0;
	}
	memset(&cfg, 0, sizeof(cfg));
	vl_buf_addf(&conf, "%s/%s", dir.buf, REPO_CONF_NAME);
	if (repo_config_load(&cfg, conf.buf, dir.buf, &err) < 0 ||
	    (cfg.digests && *cfg.digests &&
	     fix_algs_parse(cfg.digests, algs, &err) < 0))
		rc = cli_fail(cli, &err);
	repo_config_release(&cfg);
	vl_buf_release(&dir);
	vl_buf_release(&conf);
	return rc;
}

/* ---- create ---- */

struct warn_ctx {
	struct cli *cli;
	json_t *list;
};

static void
create_warn(void *ctx, const char *path, const char *msg)
{
	struct warn_ctx *w = ctx;

	if (w->list)
		json_array_append_new(w->list,
				      json_pack("{s:o, s:s}", "path",
						jstr(path), "message", msg));
	else if (!w->cli->quiet) {
		fputs("vellum: warning: '", stderr);
		put_escaped(stderr, path);
		fprintf(stderr, "': %s\n", msg);
	}
}

struct create_progress {
	struct cli_progress bar;
	struct warn_ctx warn;
};

static void
create_progress_cb(void *ctx, uint64_t files, uint64_t bytes)
{
	struct create_progress *cp = ctx;

	cli_progress_update(&cp->bar, files, bytes);
}

static void
create_warn_cb(void *ctx, const char *path, const char *msg)
{
	struct create_progress *cp = ctx;

	create_warn(&cp->warn, path, msg);
}

static int
run_create(struct cli *cli, struct bag_args *a, int argc, char **argv)
{
	struct bag_create_opts o = { 0 };
	struct bag_summary sum = { 0 };
	struct bag_profile *prof = NULL;
	struct create_progress cp;
	struct vl_err err = { 0 };
	const char *src, *dest;
	char *archive = NULL, bytes[32];
	int rc;

	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage(a->cmd, "bag create needs SRC [DEST]");
	src = argv[optind];
	dest = argc - optind == 2 ? argv[optind + 1] : NULL;
	if (a->serialize && !dest)
		return cli_usage(a->cmd, "--serialize needs DEST, the archive");
	if (a->exclude_hidden && !dest)
		return cli_usage(a->cmd,
				 "--exclude-hidden needs DEST: in place, "
				 "hidden files would stay in the payload");
	if (a->info_file && bag_info_add_file(&a->info, a->info_file, &err) < 0)
		return cli_fail(cli, &err);
	if (!a->algs && (rc = default_algs(cli, &a->algs)) != 0)
		return rc;
	if (a->profile && bag_profile_load(&prof, a->profile, &err) < 0)
		return cli_fail(cli, &err);
	memset(&cp, 0, sizeof(cp));
	cp.warn.cli = cli;
	cp.warn.list = cli->json ? json_array() : NULL;
	cli_progress_start(&cp.bar, cli, "bagging", 0, 0);
	o.algs = a->algs;
	o.info = &a->info;
	o.exclude_hidden = a->exclude_hidden;
	o.symlinks = a->symlinks;
	o.threads = a->threads;
	o.progress = create_progress_cb;
	o.warn = create_warn_cb;
	o.ctx = &cp;
	o.profile = prof;
	if (a->serialize)
		rc = bag_create_archive(src, dest, a->serialize, &o, &sum,
					&archive, &err);
	else
		rc = bag_create(src, dest, &o, &sum, &err);
	cli_progress_done(&cp.bar);
	bag_profile_free(prof);
	if (rc < 0) {
		json_decref(cp.warn.list);
		free(archive);
		return cli_fail(cli, &err);
	}
	if (cli->json) {
		cli_json_out(json_pack(
			"{s:b, s:o, s:s?, s:I, s:I, s:I, s:o, s:o}", "ok", 1,
			"bag",
			jstr(archive ? archive
			     : dest  ? dest
				     : src),
			"serialization",
			archive ? bag_format_ext(a->serialize) + 1 : NULL,
			"files", (json_int_t)sum.files, "bytes",
			(json_int_t)sum.bytes, "skipped",
			(json_int_t)sum.skipped, "algorithms",
			algs_json(sum.algs), "warnings", cp.warn.list));
	} else if (!cli->quiet) {
		struct vl_buf names = VL_BUF_INIT;

		fix_algs_format(&names, sum.algs);
		cli_human_bytes(bytes, sizeof(bytes), sum.bytes);
		printf("Bagged %llu files (%s) %s '%s' with %s",
		       (unsigned long long)sum.files, bytes,
		       dest ? "into" : "in place in",
		       archive ? archive
		       : dest  ? dest
			       : src,
		       names.buf);
		if (sum.skipped)
			printf("; %llu left out",
			       (unsigned long long)sum.skipped);
		printf("\n");
		vl_buf_release(&names);
	}
	free(archive);
	return CLI_OK;
}

/* ---- validate ---- */

static const char *
verdict_word(const struct bag_report *r, enum bag_mode mode)
{
	if (mode == BAG_FAST)
		return r->errors ? "Payload-Oxum does NOT match"
				 : "Payload-Oxum matches";
	if (mode == BAG_COMPLETE)
		return r->complete ? "complete" : "NOT complete";
	return r->valid      ? "valid"
	       : r->complete ? "complete but NOT valid"
			     : "NOT valid";
}

static int
report_validation(struct cli *cli, const char *path, const struct bag_report *r,
		  enum bag_mode mode)
{
	static const char *const mode_name[] = { "full", "completeness",
						 "fast" };
	int ok = mode == BAG_FULL       ? r->valid
		 : mode == BAG_COMPLETE ? r->complete
					: r->errors == 0;
	char bytes[32];

	if (cli->json) {
		cli_json_out(json_pack(
			"{s:o, s:o, s:s, s:b, s:b, s:b, s:I, s:I, s:{s:I, "
			"s:I}, s:{s:o, s:o}, s:o}",
			"path", jstr(path), "version", jstr(r->version_str),
			"mode", mode_name[mode], "ok", ok, "complete",
			r->complete, "valid", r->valid, "errors",
			(json_int_t)r->errors, "warnings",
			(json_int_t)r->warnings, "payload", "files",
			(json_int_t)r->payload_files, "bytes",
			(json_int_t)r->payload_bytes, "algorithms", "payload",
			algs_json(r->payload_algs), "tag",
			algs_json(r->tag_algs), "problems", problems_json(r)));
		return ok ? CLI_OK : CLI_PROBLEM;
	}
	print_problems(cli, r);
	cli_human_bytes(bytes, sizeof(bytes), r->payload_bytes);
	if (!cli->quiet || !ok) {
		put_escaped(stdout, path);
		printf(": %s (BagIt %s, %llu payload files, %s; %zu errors, "
		       "%zu warnings)\n",
		       verdict_word(r, mode),
		       r->version_str[0] ? r->version_str : "?",
		       (unsigned long long)r->payload_files, bytes, r->errors,
		       r->warnings);
	}
	return ok ? CLI_OK : CLI_PROBLEM;
}

static int
run_validate(struct cli *cli, struct bag_args *a, int argc, char **argv)
{
	struct bag_validate_opts o = { 0 };
	struct bag_profile *prof = NULL;
	struct bag_report rep;
	struct cli_progress bar;
	struct vl_err err = { 0 };
	int rc;

	if (argc - optind != 1)
		return cli_usage(a->cmd, "bag validate needs one PATH");
	if (a->fast && a->complete_only)
		return cli_usage(a->cmd, "--fast and --completeness-only "
					 "exclude each other");
	if (a->profile && bag_profile_load(&prof, a->profile, &err) < 0)
		return cli_fail(cli, &err);
	bag_report_init(&rep);
	cli_progress_start(&bar, cli, "validating", 0, 0);
	o.mode = a->fast            ? BAG_FAST
		 : a->complete_only ? BAG_COMPLETE
				    : BAG_FULL;
	o.threads = a->threads;
	o.profile = prof;
	o.progress = progress_cb;
	o.ctx = &bar;
	rc = bag_validate(argv[optind], &o, &rep, &err);
	cli_progress_done(&bar);
	bag_profile_free(prof);
	if (rc < 0) {
		bag_report_release(&rep);
		return cli_fail(cli, &err);
	}
	rc = report_validation(cli, argv[optind], &rep, o.mode);
	bag_report_release(&rep);
	return rc;
}

/* ---- update ---- */

static int
run_update(struct cli *cli, struct bag_args *a, int argc, char **argv)
{
	struct bag_update_opts o = { 0 };
	struct bag_update_result res;
	struct bag_report rep;
	struct cli_progress bar;
	struct vl_err err = { 0 };
	char bytes[32];
	int rc;

	if (argc - optind != 1)
		return cli_usage(a->cmd, "bag update needs one PATH");
	bag_report_init(&rep);
	cli_progress_start(&bar, cli, "updating", 0, 0);
	o.add_algs = a->algs;
	o.threads = a->threads;
	o.progress = progress_cb;
	o.ctx = &bar;
	rc = bag_update(argv[optind], &o, &rep, &res, &err);
	cli_progress_done(&bar);
	if (rc < 0 && rc != VL_E_CHECK) {
		bag_report_release(&rep);
		return cli_fail(cli, &err);
	}
	if (cli->json) {
		json_t *j = json_pack("{s:b, s:o, s:o}", "ok", rc == 0, "bag",
				      jstr(argv[optind]), "problems",
				      problems_json(&rep));

		if (rc == 0)
			json_object_update_new(
				j,
				json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}",
					  "files", (json_int_t)res.files,
					  "bytes", (json_int_t)res.bytes,
					  "added", (json_int_t)res.added,
					  "removed", (json_int_t)res.removed,
					  "changed", (json_int_t)res.changed,
					  "algorithms", algs_json(res.algs)));
		cli_json_out(j);
	} else {
		print_problems(cli, &rep);
		if (rc == 0 && !cli->quiet) {
			struct vl_buf names = VL_BUF_INIT;

			fix_algs_format(&names, res.algs);
			cli_human_bytes(bytes, sizeof(bytes), res.bytes);
			printf("Updated '%s': %llu files (%s); %llu added, "
			       "%llu removed, %llu changed; manifests %s\n",
			       argv[optind], (unsigned long long)res.files,
			       bytes, (unsigned long long)res.added,
			       (unsigned long long)res.removed,
			       (unsigned long long)res.changed, names.buf);
			vl_buf_release(&names);
		} else if (rc < 0) {
			fprintf(stderr, "vellum: %s\n", err.msg);
		}
	}
	bag_report_release(&rep);
	return rc == 0 ? CLI_OK : CLI_PROBLEM;
}

/* ---- info ---- */

static int
run_info(struct cli *cli, struct bag_args *a, int argc, char **argv)
{
	struct bag_meta m;
	struct bag_report rep;
	struct vl_err err = { 0 };
	struct vl_buf names = VL_BUF_INIT;
	size_t i;
	int rc;

	if (argc - optind != 1)
		return cli_usage(a->cmd, "bag info needs one PATH");
	bag_report_init(&rep);
	if ((rc = bag_read_meta(argv[optind], &m, &rep, &err)) < 0) {
		bag_report_release(&rep);
		return cli_fail(cli, &err);
	}
	if (cli->json) {
		json_t *info = json_array(), *tags = json_array();

		for (i = 0; i < m.info.n; i++)
			json_array_append_new(
				info,
				json_pack("{s:o, s:o}", "label",
					  jstr(m.info.v[i].label), "value",
					  jstr(m.info.v[i].value)));
		for (i = 0; i < m.n_tag_files; i++)
			json_array_append_new(tags, jstr(m.tag_files[i]));
		cli_json_out(json_pack(
			"{s:o, s:o, s:o, s:b, s:o, s:{s:o, s:o}, s:I, s:{s:I, "
			"s:I}, s:o, s:o}",
			"path", jstr(argv[optind]), "version",
			jstr(m.version_str), "encoding", jstr(m.encoding),
			"serialized", m.serialized, "info", info, "algorithms",
			"payload", algs_json(m.payload_algs), "tag",
			algs_json(m.tag_algs), "manifest_entries",
			(json_int_t)m.manifest_entries, "fetch", "entries",
			(json_int_t)m.fetch_entries, "bytes",
			(json_int_t)m.fetch_bytes, "tag_files", tags,
			"problems", problems_json(&rep)));
	} else {
		printf("Bag:          ");
		put_escaped(stdout, argv[optind]);
		printf("%s\n", m.serialized ? " (serialized)" : "");
		printf("BagIt:        %s, tag files in %s\n",
		       m.version_str[0] ? m.version_str : "?",
		       m.encoding[0] ? m.encoding : "?");
		fix_algs_format(&names, m.payload_algs);
		printf("Manifests:    %s (%llu entries)\n",
		       names.len ? names.buf : "none",
		       (unsigned long long)m.manifest_entries);
		vl_buf_reset(&names);
		fix_algs_format(&names, m.tag_algs);
		printf("Tag manifests: %s\n", names.len ? names.buf : "none");
		if (m.fetch_entries)
			printf("Fetch:        %llu entries (%llu bytes "
			       "declared)\n",
			       (unsigned long long)m.fetch_entries,
			       (unsigned long long)m.fetch_bytes);
		printf("Tag files:   ");
		for (i = 0; i < m.n_tag_files; i++) {
			fputc(' ', stdout);
			put_escaped(stdout, m.tag_files[i]);
		}
		printf("\n");
		for (i = 0; i < m.info.n; i++) {
			put_escaped(stdout, m.info.v[i].label);
			fputs(": ", stdout);
			put_escaped(stdout, m.info.v[i].value);
			fputc('\n', stdout);
		}
		if (rep.errors || (!cli->quiet && rep.warnings))
			print_problems(cli, &rep);
	}
	vl_buf_release(&names);
	bag_meta_release(&m);
	bag_report_release(&rep);
	return CLI_OK;
}

/* ---- fetch ---- */

static int
run_fetch(struct cli *cli, struct bag_args *a, int argc, char **argv)
{
	struct bag_fetch_opts o = { 0 };
	struct bag_fetch_result res;
	struct bag_report rep;
	struct cli_progress bar;
	struct vl_err err = { 0 };
	int rc;

	if (argc - optind != 1)
		return cli_usage(a->cmd, "bag fetch needs one PATH");
	bag_report_init(&rep);
	cli_progress_start(&bar, cli, "fetching", 0, 0);
	o.parallel = a->threads;
	o.retries = a->retries;
	o.timeout_s = a->timeout;
	o.allow_file_urls = a->allow_file;
	o.progress = progress_cb;
	o.ctx = &bar;
	rc = bag_fetch(argv[optind], &o, &rep, &res, &err);
	cli_progress_done(&bar);
	if (rc < 0 && rc != VL_E_CHECK) {
		bag_report_release(&rep);
		return cli_fail(cli, &err);
	}
	if (cli->json && (rc < 0 || a->no_validate)) {
		cli_json_out(json_pack(
			"{s:b, s:I, s:I, s:I, s:I, s:o}", "ok", rc == 0,
			"fetched", (json_int_t)res.fetched, "present",
			(json_int_t)res.present, "failed",
			(json_int_t)res.failed, "bytes", (json_int_t)res.bytes,
			"problems", problems_json(&rep)));
	} else if (!cli->json) {
		print_problems(cli, &rep);
		if (!cli->quiet)
			printf("Fetched %llu files (%llu already present, %llu "
			       "failed)\n",
			       (unsigned long long)res.fetched,
			       (unsigned long long)res.present,
			       (unsigned long long)res.failed);
	}
	bag_report_release(&rep);
	if (rc < 0)
		return CLI_PROBLEM;
	if (a->no_validate)
		return CLI_OK;
	return run_validate(cli, a, argc, argv);
}

/* ---- pack, unpack ---- */

static int
run_pack(struct cli *cli, struct bag_args *a, int argc, char **argv)
{
	struct vl_buf arc = VL_BUF_INIT, bag = VL_BUF_INIT;
	struct vl_err err = { 0 };
	int fmt, rc;

	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage(a->cmd, "bag pack needs BAG [ARCHIVE]");
	vl_buf_adds(&bag, argv[optind]);
	while (bag.len > 1 && bag.buf[bag.len - 1] == '/')
		bag.buf[--bag.len] = '\0';
	fmt = a->format;
	if (argc - optind == 2) {
		vl_buf_adds(&arc, argv[optind + 1]);
		if (!fmt)
			fmt = bag_format_of_name(arc.buf);
		if (!fmt)
			fmt = BAG_FMT_TAR;
	} else {
		if (!fmt)
			fmt = BAG_FMT_TAR;
		vl_buf_addf(&arc, "%s%s", bag.buf, bag_format_ext(fmt));
	}
	rc = bag_pack(bag.buf, arc.buf, fmt, NULL, &err);
	if (rc == 0) {
		if (cli->json)
			cli_json_out(json_pack("{s:b, s:o, s:s}", "ok", 1,
					       "archive", jstr(arc.buf),
					       "format",
					       bag_format_ext(fmt) + 1));
		else if (!cli->quiet)
			printf("Packed '%s' into '%s'\n", bag.buf, arc.buf);
	}
	vl_buf_release(&arc);
	vl_buf_release(&bag);
	return rc < 0 ? cli_fail(cli, &err) : CLI_OK;
}

static int
run_unpack(struct cli *cli, struct bag_args *a, int argc, char **argv)
{
	struct vl_err err = { 0 };
	char *made = NULL;
	int rc;

	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage(a->cmd, "bag unpack needs ARCHIVE [DIR]");
	rc = bag_unpack(argv[optind],
			argc - optind == 2 ? argv[optind + 1] : NULL, &made,
			&err);
	if (rc < 0)
		return cli_fail(cli, &err);
	if (cli->json)
		cli_json_out(
			json_pack("{s:b, s:o}", "ok", 1, "bag", jstr(made)));
	else if (!cli->quiet)
		printf("Unpacked '%s' into '%s'\n", argv[optind], made);
	free(made);
	return CLI_OK;
}

static const struct {
	const char *name;
	int (*run)(struct cli *, struct bag_args *, int, char **);
} subs[] = {
	{ "create", run_create }, { "validate", run_validate },
	{ "update", run_update }, { "info", run_info },
	{ "fetch", run_fetch },   { "pack", run_pack },
	{ "unpack", run_unpack },
};

static int
run_bag(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	struct bag_args a;
	size_t i;
	int rc;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		if (argc >= 2) {
			cli_print_help(cmd, stdout);
			return CLI_OK;
		}
		return cli_usage(cmd, "which bag command?");
	}
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name))
			break;
	if (i == sizeof(subs) / sizeof(subs[0]))
		return cli_usage(cmd, "unknown bag command '%s'", argv[1]);
	memset(&a, 0, sizeof(a));
	a.cmd = cmd;
	a.sub = (unsigned)i;
	bag_info_init(&a.info);
	rc = cli_parse(cli, cmd, argc - 1, argv + 1, "a:j:", bag_longopts,
		       on_opt, &a);
	if (rc < 0)
		rc = subs[i].run(cli, &a, argc - 1, argv + 1);
	bag_info_release(&a.info);
	return rc;
}

const struct cli_cmd cmd_bag = {
	"bag",     run_bag,  0, "create, validate, update and move BagIt bags",
	bag_usage, bag_help,
};
