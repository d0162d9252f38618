/*
 * fix_engine.c - a bounded pool of threads hashing files.
 *
 * Jobs live in a ring of `cap` slots indexed by sequence number:
 *
 *      head            claim                 tail
 *       |  done/running  |   queued (waiting)  |   free ...
 *   ----+----------------+---------------------+------------
 *
 *   tail   next sequence the producer fills (fix_engine_submit)
 *   claim  next sequence a worker takes
 *   head   oldest sequence not yet delivered and freed
 *
 * Invariants (under mu): head <= claim <= tail <= head + cap.  The
 * producer blocks while tail == head + cap, so at most cap jobs (their
 * paths and digests) exist at any time, whatever the number of files.
 * A blocked producer is woken only once the ring is down to half full:
 * woken for every freed slot, it took a core from a worker two thousand
 * times a second on a two-core machine.
 * A finished job is DONE; exactly one thread at a time ("delivering")
 * hands DONE jobs to the callback with mu released, then marks them
 * DELIVERED and moves head past delivered slots.  In ordered mode only
 * the job at head may be delivered, so results come in submission order.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixity.h"
#include "fix_impl.h"

enum slot_state { S_FREE, S_QUEUED, S_RUNNING, S_DONE, S_DELIVERED };

struct slot {
	enum slot_state state;
	char *path, *dest;
	void *udata;
	unsigned algs;
	int code;
	char *msg;
	uint64_t size;
	struct fix_digests dg;
};

struct fix_engine {
	struct fix_engine_opts o;
	pthread_mutex_t mu;
	pthread_cond_t work;  /* a job was queued, or closing */
	pthread_cond_t space; /* the ring fell to half full */
	struct slot *ring;
	uint64_t cap, head, claim, tail;
	int delivering, closing, cancelled, finished;
	pthread_t *tids;
	unsigned nthreads;
	/* counters, updated atomically */
	uint64_t n_submitted, n_done, n_failed, n_bytes;
};

unsigned
fix_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

static int
default_open_src(void *ctx, const char *path, void *udata, struct vl_err *err)
{
	int fd;

	(void)ctx;
	(void)udata;
	/* O_NONBLOCK: opening a FIFO must not hang; regular files ignore
	 * it.  O_NOFOLLOW: a final symlink is refused, not followed. */
	fd = open(path,
		  O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0)
		return vl_err_sys(err,
				  errno == ENOENT ? VL_E_NOTFOUND : VL_E_IO,
				  "cannot open '%s'", path);
	return fd;
}

static int
default_open_dest(void *ctx, const char *dest, struct vl_err *err)
{
	int fd;

	(void)ctx;
	fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		return vl_err_sys(err, errno == EEXIST ? VL_E_EXISTS : VL_E_IO,
				  "cannot create '%s'", dest);
	return fd;
}

/* Between two reads of a job: a cancel stops the file at once (a long
 * file must not hold up a stop), then the caller's hook may wait. */
static int
after_read(void *arg, size_t n, struct vl_err *err)
{
	struct fix_engine *e = arg;

	if (__atomic_load_n(&e->cancelled, __ATOMIC_RELAXED))
		return vl_err_set(err, VL_E_INTR, "cancelled");
	return e->o.on_read ? e->o.on_read(e->o.ctx, n, err) : 0;
}

/* Opens, checks and hashes one job's file (mu not held). */
static void
run_job(struct fix_engine *e, struct slot *s, struct fix_hasher *h)
{
	struct vl_err err = { 0 };
	struct fix_read_ctl ctl = { 0 };
	struct stat st;
	int fd = -1, dfd = -1, rc;

	fd = e->o.open_src(e->o.ctx, s->path, s->udata, &err);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		rc = vl_err_sys(&err, VL_E_IO, "cannot stat '%s'", s->path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = vl_err_set(&err, VL_E_INVAL, "'%s' is not a regular file",
				s->path);
		goto out;
	}
	ctl.bufsize = e->o.bufsize ? e->o.bufsize : FIX_BUF_DEFAULT;
	/* O_NONBLOCK (from the open) has no effect on regular files.  Big
	 * files are read sequentially: say so to the page cache. */
	if ((uint64_t)st.st_size > 4 * (uint64_t)ctl.bufsize)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (s->dest) {
		dfd = e->o.open_dest(e->o.ctx, s->dest, &err);
		if (dfd < 0) {
			rc = dfd;
			goto out;
		}
	}
	ctl.counter = &e->n_bytes;
	ctl.size_hint = (uint64_t)st.st_size;
	ctl.after_read = after_read;
	ctl.arg = e;
	rc = fix_hash_fd_read(h, s->algs, fd, dfd, s->path, &ctl, &s->dg,
			      &s->size, &err);
	if (rc == 0 && dfd >= 0) {
		int c = close(dfd);

		dfd = -1;
		if (c < 0)
			rc = vl_err_sys(&err, VL_E_IO, "cannot write '%s'",
					s->dest);
	}
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	s->code = rc;
	if (rc < 0)
		s->msg = strdup(err.msg[0] ? err.msg : "failed");
}

static int
deliverable(struct fix_engine *e, uint64_t *seq)
{
	uint64_t i;

	if (e->o.ordered) {
		if (e->head < e->claim &&
		    e->ring[e->head % e->cap].state == S_DONE) {
			*seq = e->head;
			return 1;
		}
		return 0;
	}
	for (i = e->head; i < e->claim; i++)
		if (e->ring[i % e->cap].state == S_DONE) {
			*seq = i;
			return 1;
		}
	return 0;
}

/* Called with mu held; returns with mu held. */
static void
deliver_ready(struct fix_engine *e)
{
	uint64_t seq;

	if (e->delivering)
		return;
	e->delivering = 1;
	while (deliverable(e, &seq)) {
		struct slot *s = &e->ring[seq % e->cap];
		struct fix_result r = {
			s->path,
			s->dest,
			s->udata,
			s->code,
			s->msg ? s->msg : "",
			s->size,
			&s->dg,
		};

		pthread_mutex_unlock(&e->mu);
		if (e->o.done)
			e->o.done(e->o.ctx, &r);
		__atomic_add_fetch(s->code ? &e->n_failed : &e->n_done, 1,
				   __ATOMIC_RELAXED);
		pthread_mutex_lock(&e->mu);
		free(s->path);
		free(s->dest);
		free(s->msg);
		s->path = s->dest = s->msg = NULL;
		s->state = S_DELIVERED;
		while (e->head < e->claim &&
		       e->ring[e->head % e->cap].state == S_DELIVERED) {
			e->ring[e->head % e->cap].state = S_FREE;
			e->head++;
		}
		if (e->tail - e->head <= e->cap / 2)
			pthread_cond_broadcast(&e->space);
	}
	e->delivering = 0;
}

static void *
worker(void *arg)
{
	struct fix_engine *e = arg;
	struct fix_hasher *h = NULL;
	struct vl_err err = { 0 };
	int hok = fix_hasher_new(&h, e->o.algs, &err) == 0;

	pthread_mutex_lock(&e->mu);
	for (;;) {
		struct slot *s;

		while (e->claim == e->tail && !e->closing)
			pthread_cond_wait(&e->work, &e->mu);
		if (e->claim == e->tail)
			break;
		s = &e->ring[e->claim % e->cap];
		e->claim++;
		s->state = S_RUNNING;
		pthread_mutex_unlock(&e->mu);
		if (__atomic_load_n(&e->cancelled, __ATOMIC_RELAXED)) {
			s->code = VL_E_INTR;
			s->msg = strdup("cancelled");
		} else if (!hok) {
			s->code = err.code;
			s->msg = strdup(err.msg);
		} else {
			run_job(e, s, h);
		}
		pthread_mutex_lock(&e->mu);
		s->state = S_DONE;
		deliver_ready(e);
	}
	pthread_mutex_unlock(&e->mu);
	fix_hasher_free(h);
	return NULL;
}

int
fix_engine_new(struct fix_engine **out, const struct fix_engine_opts *o,
	       struct vl_err *err)
{
	struct fix_engine *e;
	unsigned i;
	int rc = 0;

	*out = NULL;
	if (!o->algs || (o->algs & ~FIX_ALL_ALGS))
		return vl_err_set(err, VL_E_INVAL, "no digest algorithm");
	if (!(e = calloc(1, sizeof(*e))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	e->o = *o;
	if (!e->o.threads)
		e->o.threads = fix_cpu_count();
	if (e->o.threads > 256)
		e->o.threads = 256;
	/* 256 slots keep every worker fed (the producer refills the half
	 * that empties while the rest is hashed); a slot is 0.8 KB, mostly
	 * its digests, and 1024 of them cost a command 200 page faults. */
	e->cap = e->o.queue ? e->o.queue : 256;
	if (!e->o.queue && e->cap < 16 * e->o.threads)
		e->cap = 16 * e->o.threads;
	if (e->cap < e->o.threads)
		e->cap = e->o.threads;
	if (!e->o.open_src)
		e->o.open_src = default_open_src;
	if (!e->o.open_dest)
		e->o.open_dest = default_open_dest;
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->work, NULL);
	pthread_cond_init(&e->space, NULL);
	e->ring = calloc(e->cap, sizeof(*e->ring));
	e->tids = calloc(e->o.threads, sizeof(*e->tids));
	if (!e->ring || !e->tids) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < e->o.threads; i++) {
		if (pthread_create(&e->tids[i], NULL, worker, e) != 0) {
			rc = vl_err_set(err, VL_E_IO,
					"cannot start a hashing thread");
			break;
		}
		e->nthreads++;
	}
	if (rc < 0)
		goto fail;
	*out = e;
	return 0;
fail:
	e->finished = e->nthreads == 0;
	fix_engine_free(e);
	return rc;
}

int
fix_engine_submit(struct fix_engine *e, const char *path, const char *dest,
		  unsigned algs, void *udata, struct vl_err *err)
{
	struct slot *s;
	char *p, *d = NULL;

	if (algs & ~FIX_ALL_ALGS)
		return vl_err_set(err, VL_E_INVAL, "bad digest algorithm set");
	p = strdup(path);
	if (dest)
		d = strdup(dest);
	if (!p || (dest && !d)) {
		free(p);
		free(d);
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	}
	pthread_mutex_lock(&e->mu);
	while (e->tail == e->head + e->cap && !e->cancelled)
		pthread_cond_wait(&e->space, &e->mu);
	if (e->cancelled || e->closing) {
		pthread_mutex_unlock(&e->mu);
		free(p);
		free(d);
		return vl_err_set(err, VL_E_INTR, "hashing was cancelled");
	}
	s = &e->ring[e->tail % e->cap];
	memset(s, 0, sizeof(*s));
	s->state = S_QUEUED;
	s->path = p;
	s->dest = d;
	s->udata = udata;
	s->algs = algs ? algs : e->o.algs;
	e->tail++;
	__atomic_add_fetch(&e->n_submitted, 1, __ATOMIC_RELAXED);
	pthread_cond_signal(&e->work);
	pthread_mutex_unlock(&e->mu);
	return 0;
}

int
fix_engine_finish(struct fix_engine *e, struct vl_err *err)
{
	unsigned i;

	(void)err;
	if (e->finished)
		return 0;
	pthread_mutex_lock(&e->mu);
	e->closing = 1;
	pthread_cond_broadcast(&e->work);
	pthread_mutex_unlock(&e->mu);
	for (i = 0; i < e->nthreads; i++)
		pthread_join(e->tids[i], NULL);
	e->finished = 1;
	return 0;
}

void
fix_engine_cancel(struct fix_engine *e)
{
	pthread_mutex_lock(&e->mu);
	__atomic_store_n(&e->cancelled, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&e->space);
	pthread_cond_broadcast(&e->work);
	pthread_mutex_unlock(&e->mu);
}

void
fix_engine_progress(struct fix_engine *e, struct fix_progress *p)
{
	p->submitted = __atomic_load_n(&e->n_submitted, __ATOMIC_RELAXED);
	p->done = __atomic_load_n(&e->n_done, __ATOMIC_RELAXED);
	p->failed = __atomic_load_n(&e->n_failed, __ATOMIC_RELAXED);
	p->bytes = __atomic_load_n(&e->n_bytes, __ATOMIC_RELAXED);
}

void
fix_engine_free(struct fix_engine *e)
{
	uint64_t i;

	if (!e)
		return;
	fix_engine_finish(e, NULL);
	if (e->ring)
		for (i = 0; i < e->cap; i++) {
			free(e->ring[i].path);
			free(e->ring[i].dest);
			free(e->ring[i].msg);
		}
	free(e->ring);
	free(e->tids);
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->work);
	pthread_cond_destroy(&e->space);
	free(e);
}
