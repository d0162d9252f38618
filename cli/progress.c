/*
 * progress.c - a one-line progress bar on stderr: items, bytes, rate, ETA.
 *
 * Drawn only when stderr is a terminal and --quiet is off, at most ten
 * times a second, so piping or logging vellum's output never sees it.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
cli_human_bytes(char *out, size_t n, uint64_t bytes)
{
	static const char *const unit[] = { "B",   "KiB", "MiB",
					    "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, n, "%llu B", (unsigned long long)bytes);
	else
		snprintf(out, n, "%.1f %s", v, unit[u]);
}

void
cli_progress_start(struct cli_progress *p, const struct cli *cli,
		   const char *label, uint64_t total_items,
		   uint64_t total_bytes)
{
	p->enabled = !cli->quiet && !cli->json && isatty(STDERR_FILENO);
	p->label = label;
	p->total_items = total_items;
	p->total_bytes = total_bytes;
	p->items = p->bytes = 0;
	p->started = now_seconds();
	p->last_draw = 0;
}

static void
draw(struct cli_progress *p, double t)
{
	char done[32], rate[32], eta[32] = "";
	double elapsed = t - p->started;
	double bps = elapsed > 0 ? (double)p->bytes / elapsed : 0;
	uint64_t left;

	cli_human_bytes(done, sizeof(done), p->bytes);
	cli_human_bytes(rate, sizeof(rate), (uint64_t)bps);
	if (p->total_bytes > p->bytes && bps > 0) {
		left = (uint64_t)((double)(p->total_bytes - p->bytes) / bps);
		snprintf(eta, sizeof(eta), " ETA %02llu:%02llu:%02llu",
			 (unsigned long long)(left / 3600),
			 (unsigned long long)(left / 60 % 60),
			 (unsigned long long)(left % 60));
	}
	if (p->total_items)
		fprintf(stderr, "\r%s %llu/%llu items, %s, %s/s%s\033[K",
			p->label, (unsigned long long)p->items,
			(unsigned long long)p->total_items, done, rate, eta);
	else
		fprintf(stderr, "\r%s %llu items, %s, %s/s%s\033[K", p->label,
			(unsigned long long)p->items, done, rate, eta);
	fflush(stderr);
}

void
cli_progress_update(struct cli_progress *p, uint64_t items, uint64_t bytes)
{
	double t;

	p->items = items;
	p->bytes = bytes;
	if (!p->enabled)
		return;
	t = now_seconds();
	if (t - p->last_draw < 0.1)
		return;
	p->last_draw = t;
	draw(p, t);
}

void
cli_progress_done(struct cli_progress *p)
{
	if (!p->enabled)
		return;
	draw(p, now_seconds());
	fputc('\n', stderr);
}
