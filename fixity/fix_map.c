/*
 * fix_map.c - hashing a big file from a read-only mapping of the page
 * cache instead of read(2) into a buffer, which copies every byte once
 * more (kernel _copy_to_iter: 9% of the CPU time of validating 1 GiB of
 * sha256 bags).  Mapped, the same validation takes 4% less CPU time and
 * 3.5% less wall time (0.40 -> 0.385 s, hot cache); cold, the two are
 * alike.
 *
 * The file is mapped a window at a time, with MADV_SEQUENTIAL (the
 * kernel reads ahead of the faults, and a cold file streams as with
 * read), and each window is hashed in read-sized steps, each followed by
 * the same after_read hook as a read.  Pages are mapped by the faults
 * themselves (16 per fault): MAP_POPULATE, or asking for the next window
 * with WILLNEED, cost more than the copy they saved.
 *
 * A file cut short while it is mapped raises SIGBUS when a page past
 * its new end is touched, and so does an I/O error while paging in.
 * The SIGBUS handler (installed once) looks at the faulting address:
 * inside the window the faulting thread is hashing (a thread-local
 * guard), it jumps back to that thread's hashing loop, which reports
 * the file as changed or unreadable; anywhere else it restores the
 * previous disposition and lets the fault happen again, as if it had
 * never been there.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fix_impl.h"

#define WINDOW (8u << 20)

struct guard {
	const char *lo, *hi;
	sigjmp_buf jb;
};

/* The window the thread is hashing, NULL when none (thread-local: the
 * executable's TLS, safe to read in a signal handler). */
static __thread struct guard *volatile active;
static struct sigaction previous;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;
static int handler_ok;

static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	struct guard *g = active;
	const char *at = si->si_addr;

	(void)uc;
	if (g && at >= g->lo && at < g->hi)
		siglongjmp(g->jb, 1);
	/* Not a window of ours: what was there before takes over.  A fault
	 * recurs when the instruction runs again; a signal sent (kill) is
	 * sent again. */
	sigaction(sig, &previous, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

static void
install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	handler_ok = sigaction(SIGBUS, &sa, &previous) == 0;
}

/* Hashes (and copies) the len bytes of the window at map in steps of
 * step bytes; 0, or a VL_E_* code. */
static int
hash_window(struct fix_hasher *h, const char *map, size_t len, int copy_fd,
	    const char *name, const struct fix_read_ctl *ctl, size_t step,
	    uint64_t *total, struct vl_err *err)
{
	struct guard g;
	volatile size_t done = 0;
	int rc = 0;

	g.lo = map;
	g.hi = map + len;
	if (sigsetjmp(g.jb, 1)) {
		active = NULL;
		return vl_err_set(err, VL_E_IO,
				  "cannot read '%s': it shrank or could not be "
				  "read while it was hashed",
				  name);
	}
	active = &g;
	while (done < len) {
		size_t n = len - done < step ? len - done : step;

		if ((rc = fix_hasher_update(h, map + done, n, err)) < 0)
			break;
		if (copy_fd >= 0 && fix_write_all(copy_fd, map + done, n) < 0) {
			rc = vl_err_sys(err, VL_E_IO,
					"cannot write the copy of '%s'", name);
			break;
		}
		done += n;
		*total += n;
		if (ctl->counter)
			__atomic_add_fetch(ctl->counter, (uint64_t)n,
					   __ATOMIC_RELAXED);
		if (ctl->after_read &&
		    (rc = ctl->after_read(ctl->arg, n, err)) < 0)
			break;
	}
	active = NULL;
	return rc;
}

int
fix_hash_mapped(struct fix_hasher *h, int fd, int copy_fd, const char *name,
		const struct fix_read_ctl *ctl, size_t step, uint64_t *total,
		struct vl_err *err)
{
	uint64_t size = ctl->size_hint, off = 0;
	int rc = 0;

	pthread_once(&handler_once, install);
	if (!handler_ok)
		return 1;
	while (off < size) {
		size_t len =
			size - off < WINDOW ? (size_t)(size - off) : WINDOW;
		void *map =
			mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)off);

		if (map == MAP_FAILED)
			/* nothing hashed yet: read() instead; else say why */
			return off == 0 ? 1
					: vl_err_sys(err, VL_E_IO,
						     "cannot read '%s'", name);
		(void)madvise(map, len, MADV_SEQUENTIAL);
		rc = hash_window(h, map, len, copy_fd, name, ctl, step, total,
				 err);
		munmap(map, len);
		if (rc < 0)
			return rc;
		off += len;
	}
	/* What was there when the file was opened is hashed; the caller
	 * reads on from here, as read(2) would, in case it grew. */
	if (lseek(fd, (off_t)off, SEEK_SET) < 0)
		return vl_err_sys(err, VL_E_IO, "cannot read '%s'", name);
	return 0;
}
