/*
 * cmd_serve.c - `vellum serve`: the OAI-PMH 2.0 data provider over HTTP
 * until SIGINT or SIGTERM.
 *
 * The signals are blocked before the server's threads start (they
 * inherit the mask) and taken synchronously with sigwait(), so shutdown
 * runs in the main thread in plain code, not in a handler.
 */
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../oai/oai.h"
#include "cli.h"

static const char *const serve_usage[] = {
	"serve [--listen HOST:PORT] [--threads N] [--base-url URL]",
	"      [--max-connections N] [--timeout SECONDS]",
	"      [--max-request BYTES] [--no-access-log] [--no-page-cache]",
	NULL,
};

static const char serve_help[] =
	"Serves the catalog as an OAI-PMH 2.0 data provider at /oai (GET and\n"
	"POST) until SIGINT or SIGTERM, then stops accepting, lets responses\n"
	"in progress finish (up to 10 s) and exits 0.  Prints the base URL it\n"
	"listens on to stdout, and one access log line per request to stderr.\n"
	"Responses are gzip-compressed when the client accepts gzip.\n"
	"Resumption tokens are signed with the catalog's token key, so they\n"
	"stay valid across restarts and on every server sharing the catalog.\n"
	"\n"
	"Options:\n"
	"  --listen HOST:PORT     IPv4 address (or localhost) and port to "
	"bind\n"
	"                         (the `listen` key, else 127.0.0.1:8080);\n"
	"                         [ADDR]:PORT for IPv6; port 0 picks a free\n"
	"                         port\n"
	"  --threads N            worker threads (number of CPUs, 1 to 64)\n"
	"  --base-url URL         baseURL announced in Identify and echoed in\n"
	"                         every response (the `base_url` key)\n"
	"  --max-connections N    connections open at once (128)\n"
	"  --timeout SECONDS      idle time before a connection is closed "
	"(30)\n"
	"  --max-request BYTES    longest request URI or POST body (16k)\n"
	"  --no-access-log        do not log requests\n"
	"  --no-page-cache        read every list page from the catalog (by\n"
	"                         default each thread keeps its last 8 pages\n"
	"                         until the catalog changes)\n"
	"\n"
	"The list page size is the `page_size` key (100).  Bind to an address\n"
	"other than 127.0.0.1 only behind a firewall or a reverse proxy.\n";

enum {
	O_LISTEN = 0x200,
	O_THREADS,
	O_BASE,
	O_MAXCONN,
	O_TIMEOUT,
	O_MAXREQ,
	O_NOLOG,
	O_NOCACHE
};

struct serve_ctx {
	const struct cli_cmd *cmd;
	struct oai_server_opts o;
};

static int
on_opt(void *vctx, int c, const char *arg)
{
	struct serve_ctx *x = vctx;
	uint64_t v;
	int rc;

	switch (c) {
	case O_LISTEN: x->o.listen = arg; break;
	case O_BASE: x->o.base_url = arg; break;
	case O_NOLOG: x->o.access_log = 0; break;
	case O_NOCACHE: x->o.no_page_cache = 1; break;
	case O_MAXREQ:
		if (vl_parse_size(arg, &v) < 0 || v < 256 || v > (1u << 20))
			return cli_usage(x->cmd,
					 "--max-request needs a size from "
					 "256 to 1M, not '%s'",
					 arg);
		x->o.max_request = (size_t)v;
		break;
	case O_THREADS:
		if ((rc = cli_parse_uint(x->cmd, "--threads", arg, 64, &v)))
			return rc;
		if (!v)
			return cli_usage(x->cmd, "--threads needs 1 to 64");
		x->o.threads = (unsigned)v;
		break;
	case O_MAXCONN:
		if ((rc = cli_parse_uint(x->cmd, "--max-connections", arg,
					 10000, &v)))
			return rc;
		if (!v)
			return cli_usage(x->cmd,
					 "--max-connections needs 1 or more");
		x->o.max_connections = (unsigned)v;
		break;
	case O_TIMEOUT:
		if ((rc = cli_parse_uint(x->cmd, "--timeout", arg, 3600, &v)))
			return rc;
		if (!v)
			return cli_usage(x->cmd, "--timeout needs 1 or more");
		x->o.timeout = (unsigned)v;
		break;
	}
	return 0;
}

static int
run_serve(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG,
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "base-url", required_argument, NULL, O_BASE },
		{ "max-connections", required_argument, NULL, O_MAXCONN },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "max-request", required_argument, NULL, O_MAXREQ },
		{ "no-access-log", no_argument, NULL, O_NOLOG },
		{ "no-page-cache", no_argument, NULL, O_NOCACHE },
		{ NULL, 0, NULL, 0 },
	};
	struct serve_ctx x = { cmd, { 0 } };
	struct oai_server *srv = NULL;
	struct vl_err err = { 0 };
	sigset_t set, old;
	long ncpu;
	int rc, sig = 0;
	const char *host;

	x.o.access_log = 1;
	if ((rc = cli_parse(cli, cmd, argc, argv, "", longopts, on_opt, &x)) >=
	    0)
		return rc;
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (!x.o.listen)
		x.o.listen = cli->repo->cfg.listen && *cli->repo->cfg.listen
				     ? cli->repo->cfg.listen
				     : "127.0.0.1:8080";
	if (!x.o.threads) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		x.o.threads = ncpu < 1 ? 1 : ncpu > 64 ? 64 : (unsigned)ncpu;
	}
	if (cli->quiet)
		x.o.access_log = 0;
	/* Responses use buffers of a few hundred KiB; by default glibc maps
	 * and unmaps each one, and page faults then cost more than the
	 * response.  Keep them in the heap for reuse. */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 16 << 20);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);
	if ((rc = oai_server_start(&srv, cli->repo, &x.o, &err)) < 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return rc == VL_E_INVAL ? cli_usage(cmd, "%s", err.msg)
					: cli_fail(cli, &err);
	}
	host = x.o.listen[0] == ':' ? "127.0.0.1" : NULL;
	if (cli->json) {
		cli_json_out(json_pack(
			"{s:s, s:i, s:s, s:i}", "listen", x.o.listen, "port",
			(int)oai_server_port(srv), "base_url",
			x.o.base_url ? x.o.base_url : cli->repo->cfg.base_url,
			"threads", (int)x.o.threads));
	} else {
		/* The bound address with the real port (port 0 = any). */
		const char *colon = strrchr(x.o.listen, ':');

		printf("vellum serve: listening on http://%s%.*s:%u/oai "
		       "(%u threads)\n",
		       host ? host : "", host ? 0 : (int)(colon - x.o.listen),
		       x.o.listen, oai_server_port(srv), x.o.threads);
	}
	fflush(stdout);
	while (sigwait(&set, &sig) != 0)
		;
	if (!cli->quiet)
		fprintf(stderr, "vellum serve: %s, stopping\n",
			sig == SIGINT ? "interrupted" : "terminated");
	oai_server_stop(srv, 10);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return CLI_OK;
}

const struct cli_cmd cmd_serve = {
	"serve",       run_serve,
	CLI_NEED_REPO, "serve the catalog over OAI-PMH 2.0",
	serve_usage,   serve_help,
};
