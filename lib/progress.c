/*
 * progress.c - the progress line on a terminal (see progress.h).
 */
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "timefmt.h"

#define PROGRESS_EVERY_MS	500

void
progress_init(struct progress *p, enum progress_mode mode)
{
	const char *env = getenv("KES_PROGRESS");
	int parent = env && strcmp(env, "parent") == 0;

	memset(p, 0, sizeof(*p));
	p->start_ms = ts_now_ms();
	p->next_ms = p->start_ms + PROGRESS_EVERY_MS;
	if (parent && isatty(STDERR_FILENO))
		log_clear_line(LOG_CLEAR_ALWAYS);
	if (mode == PROGRESS_ON)
		p->on = 1;
	else if (mode == PROGRESS_OFF || parent)
		p->on = 0;
	else
		p->on = isatty(STDERR_FILENO) && log_enabled(LOG_LEVEL_INFO);
}

int
progress_due(const struct progress *p, int64_t now_ms)
{
	return p->on && now_ms >= p->next_ms;
}

void
progress_duration(char *out, size_t len, double s)
{
	unsigned long long t = s > 0 && s < 1e9 ? (unsigned long long)(s + 0.5) : 0;

	if (t >= 3600)
		snprintf(out, len, "%lluh%02llum", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(out, len, "%llum%02llus", t / 60, t % 60);
	else
		snprintf(out, len, "%llus", t);
}

void
progress_show(struct progress *p, int final, uint64_t count, const char *unit,
    uint64_t done, uint64_t total, const char *fmt, ...)
{
	char line[512], eta[16];
	int64_t now = ts_now_ms();
	double secs = (double)(now - p->start_ms) / 1000;
	double rate = secs > 0 ? (double)count / secs : 0;
	size_t n;
	va_list ap;
	int m;

	if (!p->on)
		return;
	p->next_ms = now + PROGRESS_EVERY_MS;
	m = snprintf(line, sizeof(line), "\r%s: ", log_progname());
	n = m > 0 ? (size_t)m : 0;
	va_start(ap, fmt);
	/* ap is started just above: the analyzer's valist.Uninitialized here is a
	 * known false positive (as in lib/log.c) */
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(ap);
	n = m > 0 && n + (size_t)m < sizeof(line) ? n + (size_t)m : n;
	m = snprintf(line + n, sizeof(line) - n, ", %.0f %s/s", rate, unit);
	n = m > 0 && n + (size_t)m < sizeof(line) ? n + (size_t)m : n;
	if (total > 0) {
		double f = done >= total ? 1.0 : (double)done / (double)total;

		if (f > 0 && f < 1)
			progress_duration(eta, sizeof(eta), secs * (1 - f) / f);
		else
			snprintf(eta, sizeof(eta), "%s", f >= 1 ? "0s" : "?");
		m = snprintf(line + n, sizeof(line) - n, ", %.1f%%, ETA %s",
		    f * 100, eta);
		n = m > 0 && n + (size_t)m < sizeof(line) ? n + (size_t)m : n;
	}
	/* clear what a longer line left, end the last one */
	m = snprintf(line + n, sizeof(line) - n, "\033[K%s", final ? "\n" : "");
	n = m > 0 && n + (size_t)m < sizeof(line) ? n + (size_t)m : n;
	log_clear_line(final ? LOG_CLEAR_NO : LOG_CLEAR_ONCE);
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
