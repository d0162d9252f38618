/*
 * harvest-server.c - a small OAI-PMH data provider that misbehaves on
 * purpose, for tests/cli/t0901: listens on 127.0.0.1 at a port the
 * kernel picks (written to PORTFILE), logs every request as one line
 * "MODE QUERY" to LOGFILE, and answers at /MODE/oai:
 *
 *   ok       Identify (day granularity), ListMetadataFormats, and a
 *            two-page ListRecords (token "p2"); from= gives
 *            noRecordsMatch.  Page 1: r1 (xsi declared only on the
 *            root), r2 (carries its own provenance), r3, r4 (no title);
 *            page 2: r5 and the deleted r6.
 *   badxml   page 2 is not well-formed, until the file "fixed" exists
 *   token    "p2" is always a badResumptionToken
 *   loop     page 2 hands out "p2" again, for ever
 *   expire   page 1 hands out "e1", which fails with HTTP 500; once
 *            "fixed" exists "e1" is expired (badResumptionToken) and
 *            page 1 hands out "e2", which works
 *   html500  every request: HTTP 500 with an HTML page
 *   html200  ListRecords: HTTP 200 with an HTML page (text/html)
 *   xmlhtml  ListRecords: an HTML page sent as text/xml
 *   busy     the first ListRecords: 503 with Retry-After: 1
 *   busylong ListRecords: 503 with Retry-After: 3600, always
 *   flaky    the first ListRecords: a plain HTTP 500
 *   slow     ListRecords answers after 3 seconds
 *   dtd      ListRecords declares an entity in a DTD (XXE/billion laughs)
 *   huge     ListRecords is a 2 MiB response
 *   nodel    like ok, but Identify says deletedRecord "no"; once the
 *            file "shrunk" exists r5 is gone from page 2 without a
 *            trace, once "emptied" exists the list is noRecordsMatch
 *
 * Exits on SIGTERM or after 120 s, so a test can never leave it behind.
 * Built by the test itself with libmicrohttpd.
 *
 * usage: harvest-server PORTFILE LOGFILE
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OAI_HEAD                                                              \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                        \
	"<OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\" "            \
	"xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "            \
	"xsi:schemaLocation=\"http://www.openarchives.org/OAI/2.0/ "          \
	"http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd\">"
#define DC_OPEN                                                             \
	"<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/"    \
	"oai_dc/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "          \
	"xsi:schemaLocation=\"http://www.openarchives.org/OAI/2.0/oai_dc/ " \
	"http://www.openarchives.org/OAI/2.0/oai_dc.xsd\">"

static const char *log_file;
static volatile sig_atomic_t done;
static int busy_seen, flaky_seen;

static void
on_term(int sig)
{
	(void)sig;
	done = 1;
}

struct out {
	char *buf;
	size_t len, alloc;
};

static void
put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->len + n + 1 > o->alloc) {
		size_t a = (o->len + n + 1) * 2;
		char *b = realloc(o->buf, a);

		if (!b)
			exit(3);
		o->buf = b;
		o->alloc = a;
	}
	memcpy(o->buf + o->len, s, n + 1);
	o->len += n;
}

static void
head(struct out *o)
{
	char line[128];
	char now[32];
	time_t t = time(NULL);

	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	put(o, OAI_HEAD);
	snprintf(line, sizeof(line), "<responseDate>%s</responseDate>", now);
	put(o, line);
	put(o, "<request>http://127.0.0.1/oai</request>");
}

static void
record(struct out *o, int n, const char *extra_meta, const char *about)
{
	char b[1024];

	snprintf(b, sizeof(b),
		 "<record><header><identifier>oai:bad.example.org:r%d"
		 "</identifier><datestamp>2024-01-0%d</datestamp>"
		 "</header><metadata>" DC_OPEN "%s<dc:creator>Tester, "
		 "T.</dc:creator></oai_dc:dc></metadata>%s</record>\n",
		 n, n, extra_meta, about ? about : "");
	put(o, b);
}

static void
page1(struct out *o, const char *token)
{
	char b[256];

	put(o, "<ListRecords>");
	record(o, 1, "<dc:title xml:lang=\"en\">Record one</dc:title>", NULL);
	record(o, 2, "<dc:title>Record two</dc:title>",
	       "<about><provenance xmlns=\"http://www.openarchives.org/OAI/"
	       "2.0/provenance\"><originDescription harvestDate=\""
	       "2023-05-01T10:00:00Z\" altered=\"false\"><baseURL>"
	       "http://first.example.org/oai</baseURL><identifier>"
	       "oai:first.example.org:x2</identifier><datestamp>2023-04-30"
	       "</datestamp><metadataNamespace>http://www.openarchives.org/"
	       "OAI/2.0/oai_dc/</metadataNamespace></originDescription>"
	       "</provenance></about>");
	record(o, 3, "<dc:title>Record three &amp; more</dc:title>", NULL);
	record(o, 4, "<dc:description>No title here</dc:description>", NULL);
	snprintf(b, sizeof(b),
		 "<resumptionToken completeListSize=\"6\" cursor=\"0\">%s"
		 "</resumptionToken></ListRecords>",
		 token);
	put(o, b);
}

static void
page2(struct out *o, int shrunk)
{
	put(o, "<ListRecords>");
	if (!shrunk)
		record(o, 5, "<dc:title>Record five</dc:title>", NULL);
	put(o, "<record><header status=\"deleted\"><identifier>"
	       "oai:bad.example.org:r6</identifier><datestamp>2024-01-06"
	       "</datestamp></header></record>\n"
	       "<resumptionToken completeListSize=\"6\" cursor=\"4\"/>"
	       "</ListRecords>");
}

static void
oai_error(struct out *o, const char *code, const char *msg)
{
	char b[256];

	snprintf(b, sizeof(b), "<error code=\"%s\">%s</error>", code, msg);
	put(o, b);
}

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *ctype,
     const char *body, size_t len, const char *retry_after)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body,
					    MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", ctype);
	if (retry_after)
		MHD_add_response_header(r, "Retry-After", retry_after);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char html_page[] =
	"<!DOCTYPE html>\n<html><head><title>Internal Server Error</title>"
	"</head><body><h1>Oops</h1><p>Something broke.</p></body></html>\n";

static enum MHD_Result
list_records(struct MHD_Connection *c, const char *mode, const char *token,
	     const char *from, struct out *o)
{
	int fixed = access("fixed", F_OK) == 0;

	if (!strcmp(mode, "html200"))
		return reply(c, 200, "text/html", html_page, strlen(html_page),
			    NULL);
	if (!strcmp(mode, "xmlhtml"))
		return reply(c, 200, "text/xml", html_page + 16,
			    strlen(html_page + 16), NULL);
	if (!strcmp(mode, "busy") && !busy_seen++) {
		const char b[] = "busy, come back later\n";

		return reply(c, 503, "text/plain", b, sizeof(b) - 1, "1");
	}
	if (!strcmp(mode, "busylong")) {
		const char b[] = "busy for an hour\n";

		return reply(c, 503, "text/plain", b, sizeof(b) - 1, "3600");
	}
	if (!strcmp(mode, "flaky") && !flaky_seen++) {
		const char b[] = "transient failure\n";

		return reply(c, 500, "text/plain", b, sizeof(b) - 1, NULL);
	}
	if (!strcmp(mode, "slow"))
		sleep(3);
	if (!strcmp(mode, "dtd")) {
		const char b[] =
			"<?xml version=\"1.0\"?>\n<!DOCTYPE OAI-PMH [\n"
			"<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n"
			"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
			"<!ENTITY x SYSTEM \"file:///etc/passwd\">\n]>\n"
			"<OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/"
			"\"><responseDate>2024-01-01T00:00:00Z</responseDate>"
			"<request>x</request><ListRecords>&b;&x;</ListRecords>"
			"</OAI-PMH>\n";

		return reply(c, 200, "text/xml", b, sizeof(b) - 1, NULL);
	}
	head(o);
	if (!strcmp(mode, "huge")) {
		size_t i;

		put(o, "<ListRecords>");
		for (i = 0; i < 2200; i++)
			record(o, 1,
			       "<dc:title>Big</dc:title><dc:description>"
			       "0123456789012345678901234567890123456789"
			       "0123456789012345678901234567890123456789"
			       "0123456789012345678901234567890123456789"
			       "0123456789012345678901234567890123456789"
			       "0123456789012345678901234567890123456789"
			       "0123456789012345678901234567890123456789"
			       "0123456789012345678901234567890123456789"
			       "0123456789012345678901234567890123456789"
			       "</dc:description>",
			       NULL);
		put(o, "</ListRecords>");
	} else if ((!token && from) ||
		   (!strcmp(mode, "nodel") && access("emptied", F_OK) == 0)) {
		oai_error(o, "noRecordsMatch", "nothing new");
	} else if (!token) {
		page1(o, !strcmp(mode, "expire") ? (fixed ? "e2" : "e1")
						 : "p2");
	} else if (!strcmp(mode, "loop")) {
		page1(o, "p2");
	} else if (!strcmp(mode, "token") ||
		   (!strcmp(mode, "expire") && !strcmp(token, "e1") && fixed)) {
		oai_error(o, "badResumptionToken", "expired");
	} else if (!strcmp(mode, "expire") && !strcmp(token, "e1")) {
		free(o->buf);
		o->buf = NULL;
		return reply(c, 500, "text/html", html_page, strlen(html_page),
			    NULL);
	} else if (!strcmp(mode, "badxml") && !fixed) {
		put(o, "<ListRecords><record><header><identifier>oai:x:9"
		       "</identifier>&bogus;<datestamp>2024</header>");
	} else if (!strcmp(token, "p2") || !strcmp(token, "e2")) {
		page2(o, !strcmp(mode, "nodel") && access("shrunk", F_OK) == 0);
	} else {
		oai_error(o, "badResumptionToken", "unknown token");
	}
	put(o, "</OAI-PMH>\n");
	return reply(c, 200, "text/xml; charset=utf-8", o->buf, o->len, NULL);
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url,
       const char *method, const char *version, const char *data,
       size_t *size, void **ctx)
{
	const char *verb, *token, *from, *prefix;
	char mode[32];
	struct out o = { 0 };
	enum MHD_Result ret;
	FILE *f;

	(void)cls;
	(void)method;
	(void)version;
	(void)data;
	(void)size;
	(void)ctx;
	if (sscanf(url, "/%31[a-z0-9]/oai", mode) != 1)
		return reply(c, 404, "text/plain", "no\n", 3, NULL);
	verb = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "verb");
	token = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
					    "resumptionToken");
	from = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from");
	prefix = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
					     "metadataPrefix");
	if ((f = fopen(log_file, "a"))) {
		fprintf(f, "%s verb=%s prefix=%s from=%s token=%s\n", mode,
			verb ? verb : "-", prefix ? prefix : "-",
			from ? from : "-", token ? token : "-");
		fclose(f);
	}
	if (!strcmp(mode, "html500"))
		return reply(c, 500, "text/html; charset=utf-8", html_page,
			    strlen(html_page), NULL);
	if (verb && !strcmp(verb, "ListRecords"))
		ret = list_records(c, mode, token, from, &o);
	else if (verb && !strcmp(verb, "Identify")) {
		head(&o);
		put(&o, "<Identify><repositoryName>Bad</repositoryName>"
			"<baseURL>http://127.0.0.1/oai</baseURL>"
			"<protocolVersion>2.0</protocolVersion><adminEmail>"
			"a@example.org</adminEmail><earliestDatestamp>"
			"2024-01-01</earliestDatestamp><deletedRecord>");
		put(&o, strcmp(mode, "nodel") ? "persistent" : "no");
		put(&o, "</deletedRecord><granularity>YYYY-MM-DD"
			"</granularity></Identify></OAI-PMH>\n");
		ret = reply(c, 200, "text/xml", o.buf, o.len, NULL);
	} else if (verb && !strcmp(verb, "ListMetadataFormats")) {
		head(&o);
		put(&o, "<ListMetadataFormats><metadataFormat><metadataPrefix>"
			"oai_dc</metadataPrefix><schema>http://www.openarchives"
			".org/OAI/2.0/oai_dc.xsd</schema><metadataNamespace>"
			"http://www.openarchives.org/OAI/2.0/oai_dc/"
			"</metadataNamespace></metadataFormat>"
			"</ListMetadataFormats></OAI-PMH>\n");
		ret = reply(c, 200, "text/xml", o.buf, o.len, NULL);
	} else {
		head(&o);
		oai_error(&o, "badVerb", "no such verb");
		put(&o, "</OAI-PMH>\n");
		ret = reply(c, 200, "text/xml", o.buf, o.len, NULL);
	}
	free(o.buf);
	return ret;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	time_t start = time(NULL);
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: harvest-server PORTFILE LOGFILE\n");
		return 2;
	}
	log_file = argv[2];
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
				     MHD_USE_THREAD_PER_CONNECTION,
			     0, NULL, NULL, answer, NULL, MHD_OPTION_SOCK_ADDR,
			     (struct sockaddr *)&sa,
			     MHD_OPTION_CONNECTION_TIMEOUT, 30u,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "harvest-server: cannot listen\n");
		return 3;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || !(f = fopen(argv[1], "w"))) {
		MHD_stop_daemon(d);
		return 3;
	}
	fprintf(f, "%u\n", (unsigned)info->port);
	fclose(f);
	while (!done && time(NULL) - start < 120)
		usleep(100000);
	MHD_stop_daemon(d);
	return 0;
}
