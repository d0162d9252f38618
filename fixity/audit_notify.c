/*
 * audit_notify.c - telling people an audit failed (a webhook POST with
 * libcurl, a mail through the local sendmail) and keeping two audits of
 * one repository from overlapping (a flock'd lock file).
 *
 * Notifications never decide an audit's outcome: their failures are
 * returned so the caller records them (fix_audit_notice) and warns.
 * sendmail is run with fork/execve and an argument vector - no shell
 * ever sees an address - and addresses are checked before use.
 */
#include "../repo/vl_curl.h"
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit_impl.h"

extern char **environ;

#define WEBHOOK_CONNECT_TIMEOUT 10L /* seconds */
#define WEBHOOK_TIMEOUT         30L
#define MAIL_TIMEOUT            60 /* seconds for sendmail to finish */
#define MAIL_MAX_RCPT           16

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static size_t
discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* One POST; *retry says whether another attempt may help. */
static int
post_once(const char *url, const char *body, struct curl_slist *hdr, int *retry,
	  struct vl_err *err)
{
	const struct vl_curl *cu = vl_curl();
	char ebuf[CURL_ERROR_SIZE] = "";
	CURL *c = cu->easy_init();
	CURLcode cc;
	long code = 0;

	*retry = 0;
	if (!c)
		return vl_err_set(err, VL_E_NOMEM, "cannot start libcurl");
	cu->easy_setopt(c, CURLOPT_URL, url);
	cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT, WEBHOOK_CONNECT_TIMEOUT);
	cu->easy_setopt(c, CURLOPT_TIMEOUT, WEBHOOK_TIMEOUT);
	cu->easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	cu->easy_setopt(c, CURLOPT_POSTFIELDS, body);
	cu->easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	cu->easy_setopt(c, CURLOPT_USERAGENT, "vellum/" VELLUM_VERSION);
	cu->easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	cc = cu->easy_perform(c);
	if (cc == CURLE_OK)
		cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	cu->easy_cleanup(c);
	if (cc != CURLE_OK) {
		*retry = 1;
		return vl_err_set(err, VL_E_NET, "cannot POST to '%s': %s", url,
				  ebuf[0] ? ebuf : cu->easy_strerror(cc));
	}
	if (code >= 200 && code < 300)
		return 0;
	*retry = code == 429 || code >= 500;
	return vl_err_set(err, VL_E_NET, "'%s' answered HTTP %ld", url, code);
}

int
fix_notify_webhook(const char *url, const char *body, unsigned attempts,
		   struct vl_err *err)
{
	const struct vl_curl *cu;
	struct curl_slist *hdr = NULL;
	unsigned i;
	int rc = 0, retry = 1;

	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0)
		return vl_err_set(err, VL_E_INVAL,
				  "webhook '%s' is not an http or https URL",
				  url);
	if ((rc = vl_curl_load(err)) < 0)
		return rc;
	cu = vl_curl();
	hdr = cu->slist_append(NULL, "Content-Type: application/json");
	if (!hdr)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	for (i = 0; i < (attempts ? attempts : 1) && retry; i++) {
		if (i)
			sleep_ms(500L << (i - 1)); /* 0.5 s, 1 s, 2 s ... */
		rc = post_once(url, body, hdr, &retry, err);
		if (rc == 0)
			break;
	}
	if (rc < 0 && i > 1) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		vl_err_set(err, VL_E_NET, "%s (after %u attempts)", msg, i);
	}
	cu->slist_free_all(hdr);
	return rc;
}

/* ---- mail ---- */

static const char *
find_sendmail(void)
{
	static const char *const where[] = { "/usr/sbin/sendmail",
					     "/usr/lib/sendmail" };
	const char *env = getenv("VELLUM_SENDMAIL");
	size_t i;

	if (env && *env)
		return env[0] == '/' && access(env, X_OK) == 0 ? env : NULL;
	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

/* An address as sendmail's argument: user@host, no space, control
 * character, comma or leading '-' (never an option). */
static int
address_ok(const char *a)
{
	const char *p;

	if (!*a || *a == '-' || !strchr(a, '@'))
		return 0;
	for (p = a; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == ',' ||
		    *p == '<' || *p == '>')
			return 0;
	return 1;
}

/* RFC 2047 encoded-word for a Subject that is not plain ASCII. */
static void
add_subject(struct vl_buf *b, const char *subject)
{
	const unsigned char *p;
	int ascii = 1;

	for (p = (const unsigned char *)subject; *p; p++)
		if (*p >= 0x80 || *p < ' ')
			ascii = 0;
	if (ascii) {
		vl_buf_addf(b, "Subject: %s\n", subject);
		return;
	}
	{
		size_t n = strlen(subject);
		unsigned char *enc = malloc(4 * ((n + 2) / 3) + 1);

		if (!enc) {
			vl_buf_adds(b, "Subject: vellum audit\n");
			return;
		}
		EVP_EncodeBlock(enc, (const unsigned char *)subject, (int)n);
		vl_buf_addf(b, "Subject: =?UTF-8?B?%s?=\n", enc);
		free(enc);
	}
}

/* Writes msg to the child's stdin without dying of SIGPIPE if it
 * exits early: SIGPIPE is blocked for this thread and a pending one is
 * consumed. */
static int
feed_child(int fd, const struct vl_buf *msg)
{
	sigset_t pipe_set, old;
	struct timespec zero = { 0, 0 };
	int rc, saved;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	rc = vl_write_all(fd, msg->buf, msg->len);
	saved = errno;
	if (rc < 0 && saved == EPIPE)
		sigtimedwait(&pipe_set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return rc;
}

static int
wait_child(pid_t pid, int *status)
{
	int i;

	for (i = 0; i < MAIL_TIMEOUT * 20; i++) {
		pid_t w = waitpid(pid, status, WNOHANG);

		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -1;
		sleep_ms(50);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return -1;
}

int
fix_notify_mail(const char *to, const char *subject, const char *body,
		struct vl_err *err)
{
	const char *sendmail = find_sendmail();
	char *list = NULL, *tok, *save = NULL;
	const char *argv[MAIL_MAX_RCPT + 4];
	struct vl_buf msg = VL_BUF_INIT;
	int argc = 0, p[2] = { -1, -1 }, status = 0, rc = 0;
	pid_t pid;

	if (!sendmail)
		return vl_err_set(err, VL_E_NOTFOUND,
				  "no sendmail found (looked for "
				  "$VELLUM_SENDMAIL, /usr/sbin/sendmail, "
				  "/usr/lib/sendmail)");
	if (!(list = strdup(to)))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	argv[argc++] = "sendmail";
	argv[argc++] = "-oi";
	argv[argc++] = "--";
	for (tok = strtok_r(list, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		if (!address_ok(tok) || argc == MAIL_MAX_RCPT + 3) {
			rc = vl_err_set(
				err, VL_E_INVAL,
				"bad or too many mail addresses in '%s'", to);
			goto out;
		}
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	if (argc == 3) {
		rc = vl_err_set(err, VL_E_INVAL, "no mail address in '%s'", to);
		goto out;
	}
	vl_buf_adds(&msg, "To: ");
	for (int i = 3; i < argc; i++)
		vl_buf_addf(&msg, "%s%s", i > 3 ? ", " : "", argv[i]);
	vl_buf_adds(&msg, "\n");
	add_subject(&msg, subject);
	vl_buf_addf(&msg,
		    "MIME-Version: 1.0\n"
		    "Content-Type: text/plain; charset=UTF-8\n"
		    "Content-Transfer-Encoding: 8bit\n"
		    "Auto-Submitted: auto-generated\n\n%s",
		    body);
	if (pipe2(p, O_CLOEXEC) < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot run '%s'", sendmail);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot run '%s'", sendmail);
		goto out;
	}
	if (pid == 0) {
		/* The child: only async-signal-safe calls until execve. */
		if (dup2(p[0], STDIN_FILENO) < 0)
			_exit(127);
		execve(sendmail, (char *const *)argv, environ);
		_exit(127);
	}
	close(p[0]);
	p[0] = -1;
	if (feed_child(p[1], &msg) < 0)
		rc = vl_err_sys(err, VL_E_NET, "cannot write to '%s'",
				sendmail);
	close(p[1]);
	p[1] = -1;
	if (wait_child(pid, &status) < 0)
		rc = vl_err_set(err, VL_E_NET, "'%s' did not finish in %d s",
				sendmail, MAIL_TIMEOUT);
	else if (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status)))
		rc = vl_err_set(err, VL_E_NET, "'%s' failed (exit status %d)",
				sendmail,
				WIFEXITED(status) ? WEXITSTATUS(status) : -1);
out:
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	vl_buf_release(&msg);
	free(list);
	return rc;
}

/* ---- the audit lock ---- */

int
fix_audit_lock(struct repo *r, int *fdp, struct vl_err *err)
{
	struct vl_buf path = VL_BUF_INIT, info = VL_BUF_INIT;
	char now[VL_TIME_LEN], holder[128] = "";
	ssize_t n;
	int fd, rc = 0;

	*fdp = -1;
	vl_buf_addf(&path, "%s/audit.lock", r->path);
	fd = open(path.buf, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = vl_err_sys(err, VL_E_IO, "cannot open '%s'", path.buf);
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			n = pread(fd, holder, sizeof(holder) - 1, 0);
			holder[n > 0 ? n : 0] = '\0';
			holder[strcspn(holder, "\n")] = '\0';
			rc = vl_err_set(err, VL_E_BUSY,
					"another audit is running on this "
					"repository (%s); lock '%s'",
					holder[0] ? holder : "holder unknown",
					path.buf);
		} else {
			rc = vl_err_sys(err, VL_E_IO, "cannot lock '%s'",
					path.buf);
		}
		close(fd);
		goto out;
	}
	/* Who holds it, for the message the next one prints. */
	vl_time_now(now);
	vl_buf_addf(&info, "pid %ld, since %s\n", (long)getpid(), now);
	if (ftruncate(fd, 0) == 0 &&
	    pwrite(fd, info.buf, info.len, 0) != (ssize_t)info.len)
		vl_log_debug("cannot note the holder in '%s'", path.buf);
	*fdp = fd;
out:
	vl_buf_release(&path);
	vl_buf_release(&info);
	return rc;
}
