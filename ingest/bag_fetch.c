/*
 * bag_fetch.c - completing a holey bag: downloading fetch.txt entries
 * (RFC 8493 2.2.3) with libcurl's multi interface.
 *
 * Each entry downloads into .vellum-fetch/<sha256 of its path>.part in
 * the bag root, resuming what an earlier run left there.  A transfer is
 * aborted the moment it exceeds the length fetch.txt declares (5.3).
 * When it ends, the file is checked against its length and every payload
 * manifest, and only then renamed into data/ (never outside the bag:
 * 5.1).  Failures are retried with exponential backoff; a file that is
 * too large or fails its checksums is deleted, never kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../repo/vl_curl.h"

#include "bag_impl.h"

#define FETCH_DIR "vellum-fetch"

enum job_state { J_WAIT, J_ACTIVE, J_DONE };

struct job {
	struct bag_fetch_item *it;
	struct bag_file *f;
	char part[80]; /* .vellum-fetch/<hex>.part */
	enum job_state state;
	unsigned attempts;
	double not_before; /* monotonic seconds */
	CURL *curl;
	int fd;
	uint64_t start, got; /* resumed from, bytes this attempt */
	int too_large, restarted;
	char errbuf[CURL_ERROR_SIZE];
};

struct fetcher {
	struct bag *b;
	const struct bag_fetch_opts *o;
	struct bag_fetch_result *res;
	int fetchfd;
	struct job *jobs;
	size_t njobs;
	struct fix_hasher *h;
	uint64_t bytes;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
scheme_ok(const struct fetcher *fe, const char *url)
{
	if (!strncasecmp(url, "http://", 7) || !strncasecmp(url, "https://", 8))
		return 1;
	return fe->o && fe->o->allow_file_urls &&
	       !strncasecmp(url, "file://", 7);
}

static size_t
on_data(char *p, size_t size, size_t n, void *ud)
{
	const struct vl_curl *cu = vl_curl();
	struct job *j = ud;
	size_t len = size * n;
	long code = 0;

	/* A server that ignores our Range answers 200 with the whole
	 * file: start the partial file over. */
	if (j->got == 0 && j->start > 0 && !j->restarted) {
		cu->easy_getinfo(j->curl, CURLINFO_RESPONSE_CODE, &code);
		if (code == 200) {
			if (ftruncate(j->fd, 0) < 0)
				return 0;
			j->start = 0;
		}
		j->restarted = 1;
	}
	if (j->it->length >= 0 &&
	    j->start + j->got + len > (uint64_t)j->it->length) {
		j->too_large = 1; /* RFC 8493 5.3 */
		return 0;
	}
	while (len) {
		ssize_t w = write(j->fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return 0;
		p += w;
		len -= (size_t)w;
		j->got += (uint64_t)w;
	}
	return size * n;
}

static int
start_job(struct fetcher *fe, CURLM *multi, struct job *j)
{
	const struct vl_curl *cu = vl_curl();
	const struct bag_fetch_opts *o = fe->o;
	struct stat st;
	long timeout = o && o->timeout_s ? o->timeout_s : 60;

	j->fd = openat(fe->fetchfd, j->part + strlen("." FETCH_DIR "/"),
		       O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
		       0644);
	if (j->fd < 0 || fstat(j->fd, &st) < 0)
		return -1;
	j->start = (uint64_t)st.st_size;
	if (j->it->length >= 0 && j->start > (uint64_t)j->it->length) {
		if (ftruncate(j->fd, 0) < 0)
			return -1;
		j->start = 0;
	}
	j->got = 0;
	j->too_large = 0;
	j->restarted = 0;
	if (j->it->length > 0 && j->start == (uint64_t)j->it->length) {
		/* An earlier run got it all: only verify. */
		close(j->fd);
		j->fd = -1;
		return 1;
	}
	j->got = 0;
	j->too_large = 0;
	j->restarted = 0;
	j->errbuf[0] = '\0';
	if (!(j->curl = cu->easy_init()))
		return -1;
	cu->easy_setopt(j->curl, CURLOPT_URL, j->it->url);
	cu->easy_setopt(j->curl, CURLOPT_PROTOCOLS_STR,
			o && o->allow_file_urls ? "http,https,file"
						: "http,https");
	cu->easy_setopt(j->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(j->curl, CURLOPT_FOLLOWLOCATION, 1L);
	cu->easy_setopt(j->curl, CURLOPT_MAXREDIRS, 5L);
	cu->easy_setopt(j->curl, CURLOPT_FAILONERROR, 1L);
	cu->easy_setopt(j->curl, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(j->curl, CURLOPT_CONNECTTIMEOUT, 30L);
	cu->easy_setopt(j->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	cu->easy_setopt(j->curl, CURLOPT_LOW_SPEED_TIME, timeout);
	cu->easy_setopt(j->curl, CURLOPT_USERAGENT, "vellum/" VELLUM_VERSION);
	cu->easy_setopt(j->curl, CURLOPT_WRITEFUNCTION, on_data);
	cu->easy_setopt(j->curl, CURLOPT_WRITEDATA, j);
	cu->easy_setopt(j->curl, CURLOPT_ERRORBUFFER, j->errbuf);
	cu->easy_setopt(j->curl, CURLOPT_PRIVATE, j);
	if (j->it->length >= 0)
		cu->easy_setopt(j->curl, CURLOPT_MAXFILESIZE_LARGE,
				(curl_off_t)j->it->length);
	if (j->start > 0)
		cu->easy_setopt(j->curl, CURLOPT_RESUME_FROM_LARGE,
				(curl_off_t)j->start);
	if (cu->multi_add_handle(multi, j->curl) != CURLM_OK)
		return -1;
	j->state = J_ACTIVE;
	return 0;
}

static void
drop_part(struct fetcher *fe, struct job *j)
{
	unlinkat(fe->fetchfd, j->part + strlen("." FETCH_DIR "/"), 0);
}

/* Checks the finished download and moves it into place; returns 0 when
 * done, 1 to retry, -1 when failed for good (reported). */
static int
finish_file(struct fetcher *fe, struct job *j)
{
	struct bag *b = fe->b;
	struct fix_digests d;
	struct vl_err e = { 0 };
	const char *name = j->part + strlen("." FETCH_DIR "/");
	const char *slash = strrchr(j->f->path, '/');
	uint64_t size = 0;
	char *dir;
	int fd, dfd, rc;

	fd = openat(fe->fetchfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 1;
	rc = fix_hash_fd(fe->h, bag_file_algs(b, j->f), fd, -1, j->f->path, &d,
			 &size, &e);
	close(fd);
	if (rc < 0) {
		bag_problem(b, BAG_ERROR, "fetch-failed", R_FETCH, j->f->path,
			    j->it->line, NULL, NULL, "%s", e.msg);
		return -1;
	}
	if (j->it->length >= 0 && size != (uint64_t)j->it->length) {
		drop_part(fe, j);
		return 1; /* short: try again */
	}
	if (!bag_digests_match(b, j->f, &d)) {
		drop_part(fe, j);
		if (j->attempts <=
		    (fe->o && fe->o->retries ? fe->o->retries : 3))
			return 1;
		bag_check_digests(b, j->f, &d);
		return -1;
	}
	/* Into place, beneath the bag root. */
	dir = strndup(j->f->path, (size_t)(slash - j->f->path));
	if (!dir || bag_mkdirs_at(b->rootfd, dir, &e) < 0 ||
	    (dfd = bag_open_beneath(b->rootfd, dir, O_RDONLY | O_DIRECTORY, 0,
				    &e)) < 0) {
		free(dir);
		bag_problem(b, BAG_ERROR, "fetch-failed", R_PATHS, j->f->path,
			    j->it->line, NULL, NULL, "%s",
			    e.msg[0] ? e.msg : "out of memory");
		drop_part(fe, j);
		return -1;
	}
	free(dir);
	rc = renameat(fe->fetchfd, name, dfd, slash + 1);
	if (rc == 0)
		fsync(dfd);
	close(dfd);
	if (rc < 0) {
		bag_problem(b, BAG_ERROR, "fetch-failed", R_FETCH, j->f->path,
			    j->it->line, NULL, NULL,
			    "cannot move into place: %s", strerror(errno));
		return -1;
	}
	fe->res->fetched++;
	return 0;
}

static void
schedule_retry(struct fetcher *fe, struct job *j)
{
	unsigned base = fe->o && fe->o->backoff_ms ? fe->o->backoff_ms : 1000;
	unsigned shift = j->attempts > 10 ? 10 : j->attempts - 1;

	j->state = J_WAIT;
	j->not_before = now_s() + (double)base * (double)(1u << shift) / 1000;
}

/* What to do once a transfer ended with cc (HTTP code): keep the file,
 * retry, or give up. */
static void
after_transfer(struct fetcher *fe, struct job *j, CURLcode cc, long code)
{
	const struct vl_curl *cu = vl_curl();
	unsigned retries = fe->o && fe->o->retries ? fe->o->retries : 3;
	int r;

	if (j->too_large || cc == CURLE_FILESIZE_EXCEEDED) {
		char want[24];

		snprintf(want, sizeof(want), "%lld", (long long)j->it->length);
		drop_part(fe, j);
		j->state = J_DONE;
		fe->res->failed++;
		bag_problem(fe->b, BAG_ERROR, "fetch-too-large", R_SIZES,
			    j->f->path, j->it->line, want, NULL,
			    "'%s' sent more bytes than fetch.txt declares; "
			    "download aborted and deleted",
			    j->it->url);
		return;
	}
	if (cc == CURLE_OK) {
		r = finish_file(fe, j);
		if (r == 0) {
			j->state = J_DONE;
			return;
		}
		if (r < 0 || j->attempts > retries) {
			if (r > 0)
				bag_problem(fe->b, BAG_ERROR, "fetch-failed",
					    R_FETCH, j->f->path, j->it->line,
					    NULL, NULL,
					    "'%s' did not deliver the file "
					    "after %u attempts",
					    j->it->url, j->attempts);
			j->state = J_DONE;
			fe->res->failed++;
			return;
		}
		schedule_retry(fe, j);
		return;
	}
	if (cc == CURLE_RANGE_ERROR || code == 416)
		drop_part(fe, j); /* the partial file is wrong: restart */
	/* 4xx other than timeouts and rate limits will not get better. */
	if (j->attempts > retries ||
	    (code >= 400 && code < 500 && code != 408 && code != 429 &&
	     code != 416) ||
	    cc == CURLE_UNSUPPORTED_PROTOCOL ||
	    cc == CURLE_FILE_COULDNT_READ_FILE) {
		j->state = J_DONE;
		fe->res->failed++;
		bag_problem(fe->b, BAG_ERROR, "fetch-failed", R_FETCH,
			    j->f->path, j->it->line, NULL, NULL,
			    "cannot download '%s': %s", j->it->url,
			    j->errbuf[0] ? j->errbuf : cu->easy_strerror(cc));
		return;
	}
	schedule_retry(fe, j);
}

static void
transfer_done(struct fetcher *fe, CURLM *multi, struct job *j, CURLcode cc)
{
	const struct vl_curl *cu = vl_curl();
	long code = 0;

	cu->easy_getinfo(j->curl, CURLINFO_RESPONSE_CODE, &code);
	cu->multi_remove_handle(multi, j->curl);
	cu->easy_cleanup(j->curl);
	j->curl = NULL;
	if (fsync(j->fd) < 0 && cc == CURLE_OK)
		cc = CURLE_WRITE_ERROR;
	close(j->fd);
	j->fd = -1;
	fe->bytes += j->got;
	after_transfer(fe, j, cc, code);
}

static int
run(struct fetcher *fe, struct vl_err *err)
{
	const struct vl_curl *cu = vl_curl();
	unsigned parallel = fe->o && fe->o->parallel ? fe->o->parallel : 4;
	CURLM *multi = cu->multi_init();
	size_t active = 0, left = 0, i;
	int running = 0, rc = 0;

	if (!multi)
		return vl_err_set(err, VL_E_NOMEM, "cannot start libcurl");
	for (i = 0; i < fe->njobs; i++)
		left += fe->jobs[i].state != J_DONE;
	while (left) {
		double t = now_s(), next = t + 1;
		CURLMsg *msg;
		int q;

		for (i = 0; i < fe->njobs && active < parallel; i++) {
			struct job *j = &fe->jobs[i];

			if (j->state != J_WAIT)
				continue;
			if (j->not_before > t) {
				if (j->not_before < next)
					next = j->not_before;
				continue;
			}
			j->attempts++;
			switch (start_job(fe, multi, j)) {
			case 0: active++; break;
			case 1:
				after_transfer(fe, j, CURLE_OK, 0);
				left -= j->state == J_DONE;
				break;
			default:
				rc = vl_err_sys(err, VL_E_IO,
						"cannot start downloading "
						"'%s'",
						j->f->path);
				goto out;
			}
		}
		cu->multi_perform(multi, &running);
		while ((msg = cu->multi_info_read(multi, &q))) {
			struct job *j;
			char *priv = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			cu->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					 &priv);
			j = (struct job *)(void *)priv;
			active--;
			transfer_done(fe, multi, j, msg->data.result);
			if (j->state == J_DONE)
				left--;
		}
		if (fe->o && fe->o->progress)
			fe->o->progress(fe->o->ctx, fe->res->fetched,
					fe->bytes);
		if (left && !active) {
			double wait = next - now_s();

			if (wait > 0)
				usleep((useconds_t)(wait * 1e6));
		} else if (left) {
			cu->multi_poll(multi, NULL, 0, 100, NULL);
		}
	}
out:
	for (i = 0; i < fe->njobs; i++)
		if (fe->jobs[i].curl) {
			cu->multi_remove_handle(multi, fe->jobs[i].curl);
			cu->easy_cleanup(fe->jobs[i].curl);
			close(fe->jobs[i].fd);
		}
	cu->multi_cleanup(multi);
	return rc;
}

/* Which entries need downloading. */
static int
plan(struct fetcher *fe, struct vl_err *err)
{
	struct bag *b = fe->b;
	size_t i;

	if (!(fe->jobs = calloc(b->nfetch ? b->nfetch : 1, sizeof(*fe->jobs))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	for (i = 0; i < b->nfetch; i++) {
		struct bag_fetch_item *it = &b->fetch[i];
		struct bag_file *f = bag_lookup(b, it->path);
		struct job *j = &fe->jobs[fe->njobs];
		unsigned char md[32];
		char hex[33];
		struct fix_digests d;
		struct stat st;
		struct vl_err e;
		int fd;

		if (!f)
			continue; /* refused while parsing (reported) */
		fd = bag_open_beneath(b->rootfd, it->path, O_PATH, 0, &e);
		if (fd >= 0) {
			int reg = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);

			close(fd);
			if (reg) {
				fe->res->present++;
				continue;
			}
		} else if (fd != VL_E_NOTFOUND) {
			bag_problem(b, BAG_ERROR, "unsafe-path", R_PATHS,
				    it->path, it->line, NULL, NULL, "%s",
				    e.msg);
			fe->res->failed++;
			continue;
		}
		if (!bag_file_algs(b, f)) {
			bag_problem(b, BAG_ERROR, "fetch-not-in-manifest",
				    R_FETCH, it->path, it->line, NULL, NULL,
				    "in no usable payload manifest: it could "
				    "not be verified, so it is not fetched");
			fe->res->failed++;
			continue;
		}
		if (!scheme_ok(fe, it->url)) {
			bag_problem(b, BAG_ERROR, "fetch-scheme", R_URLS,
				    it->path, it->line, NULL, it->url,
				    "only http and https URLs are fetched%s",
				    fe->o && fe->o->allow_file_urls
					    ? " (and file)"
					    : "");
			fe->res->failed++;
			continue;
		}
		/* A flat, fixed-length name for the partial download. */
		if (fix_hasher_reset(fe->h, FIX_ALG_BIT(FIX_SHA256), &e) < 0 ||
		    fix_hasher_update(fe->h, it->path, strlen(it->path), &e) <
			    0 ||
		    fix_hasher_final(fe->h, &d, &e) < 0)
			return vl_err_set(err, e.code, "%s", e.msg);
		memcpy(md, d.md[FIX_SHA256], 32);
		fix_hex(hex, md, 16);
		snprintf(j->part, sizeof(j->part), "." FETCH_DIR "/%s.part",
			 hex);
		j->it = it;
		j->f = f;
		j->fd = -1;
		fe->njobs++;
	}
	return 0;
}

int
bag_fetch(const char *path, const struct bag_fetch_opts *o,
	  struct bag_report *rep, struct bag_fetch_result *res,
	  struct vl_err *err)
{
	struct fetcher fe;
	struct bag b;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&fe, 0, sizeof(fe));
	fe.b = &b;
	fe.o = o;
	fe.res = res;
	fe.fetchfd = -1;
	if ((rc = vl_curl_load(err)) < 0)
		return rc;
	bag_init(&b, path, rep);
	if ((rc = bag_load_dir(&b, path, BAG_COMPLETE, err)) < 0)
		goto out;
	if (!b.have_decl) {
		rc = vl_err_set(err, VL_E_INVAL,
				"'%s' is not a bag (no bagit.txt)", path);
		goto out;
	}
	if ((rc = fix_hasher_new(&fe.h, FIX_ALG_BIT(FIX_SHA256), err)) < 0 ||
	    (rc = plan(&fe, err)) < 0)
		goto out;
	if (fe.njobs) {
		if ((rc = bag_mkdirs_at(b.rootfd, "." FETCH_DIR, err)) < 0)
			goto out;
		fe.fetchfd = bag_open_beneath(b.rootfd, "." FETCH_DIR,
					      O_RDONLY | O_DIRECTORY, 0, err);
		if (fe.fetchfd < 0) {
			rc = fe.fetchfd;
			goto out;
		}
		if ((rc = run(&fe, err)) < 0)
			goto out;
	}
	res->bytes = fe.bytes;
	bag_report_sort(rep);
	if (rep->errors)
		rc = vl_err_set(
			err, VL_E_CHECK,
			"%llu of the fetch.txt entries could not be "
			"completed",
			(unsigned long long)(res->failed ? res->failed : 1));
out:
	if (fe.fetchfd >= 0) {
		close(fe.fetchfd);
		/* Gone when empty: nothing partial is left. */
		unlinkat(b.rootfd, "." FETCH_DIR, AT_REMOVEDIR);
	}
	free(fe.jobs);
	fix_hasher_free(fe.h);
	bag_release(&b);
	return rc;
}
