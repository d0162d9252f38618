/*
 * audit-webhook.c - a tiny webhook receiver for tests/cli/t0702: listens
 * on 127.0.0.1 at a port the kernel picks (written to PORTFILE), appends
 * the body of every POST as one line to BODYFILE, and answers STATUS
 * (default 200).  Exits on SIGTERM or after 60 s, so a test can never
 * leave it behind.  Built by the test itself with libmicrohttpd.
 *
 * usage: audit-webhook PORTFILE BODYFILE [STATUS]
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *body_file;
static unsigned status = 200;
static volatile sig_atomic_t done;

struct req {
	char *buf;
	size_t len;
};

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url,
       const char *method, const char *version, const char *data,
       size_t *size, void **ctx)
{
	struct req *r = *ctx;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	FILE *f;

	(void)cls;
	(void)url;
	(void)version;
	if (!r) {
		if (!(r = calloc(1, sizeof(*r))))
			return MHD_NO;
		*ctx = r;
		return MHD_YES;
	}
	if (*size) {
		char *nb = realloc(r->buf, r->len + *size + 1);

		if (!nb)
			return MHD_NO;
		r->buf = nb;
		memcpy(r->buf + r->len, data, *size);
		r->len += *size;
		r->buf[r->len] = '\0';
		*size = 0;
		return MHD_YES;
	}
	if ((f = fopen(body_file, "a"))) {
		fprintf(f, "%s %s\n", method, r->buf ? r->buf : "");
		fclose(f);
	}
	resp = MHD_create_response_from_buffer(3, (void *)"ok\n",
					       MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
finished(void *cls, struct MHD_Connection *c, void **ctx,
	 enum MHD_RequestTerminationCode t)
{
	struct req *r = *ctx;

	(void)cls;
	(void)c;
	(void)t;
	if (r) {
		free(r->buf);
		free(r);
	}
}

static void
on_term(int sig)
{
	(void)sig;
	done = 1;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	FILE *f;
	int i;

	if (argc < 3)
		return 2;
	body_file = argv[2];
	if (argc > 3)
		status = (unsigned)strtoul(argv[3], NULL, 10);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
			     answer, NULL, MHD_OPTION_SOCK_ADDR, &sa,
			     MHD_OPTION_NOTIFY_COMPLETED, finished, NULL,
			     MHD_OPTION_CONNECTION_LIMIT, 16u,
			     MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!d)
		return 1;
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || !(f = fopen(argv[1], "w")))
		return 1;
	fprintf(f, "%u\n", (unsigned)info->port);
	fclose(f);
	signal(SIGTERM, on_term);
	for (i = 0; i < 600 && !done; i++)
		usleep(100000);
	MHD_stop_daemon(d);
	return 0;
}
