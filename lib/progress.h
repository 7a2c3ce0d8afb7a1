/*
 * progress.h - the one updating progress line a long job draws on stderr
 * (es-bulk, buffer-spool drain, kismet-tap --kismetdb): "prog: <counts>,
 * <rate>/s[, NN.N%, ETA 1h02m]", redrawn in place at most twice a second.
 *
 * Only on a terminal: by default it is drawn when stderr is a tty and
 * messages are not quieted (-q), never into a file, pipe or journal.
 * --progress and --no-progress force it either way.  A tool whose own
 * line covers a child's work (buffer-spool drain running es-bulk) sets
 * KES_PROGRESS=parent in the child's environment: the child then draws no
 * line of its own, and its log lines clear the parent's line first.  Log
 * lines (lib/log) always start on a clean line; the progress line is drawn
 * again at its next update.
 */
#ifndef KES_PROGRESS_H
#define KES_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

enum progress_mode {
	PROGRESS_AUTO = 0,	/* a terminal, not -q */
	PROGRESS_ON,		/* --progress */
	PROGRESS_OFF,		/* --no-progress */
};

struct progress {
	int on;
	int64_t start_ms, next_ms;
};

/* Decide (call after the log level is set); start the clock. */
void progress_init(struct progress *p, enum progress_mode mode);
/* Is it time for an update?  (Cheap: call it as often as convenient.) */
int progress_due(const struct progress *p, int64_t now_ms);
/*
 * Draw the line: the tool's text (its counts), then `count` per second
 * since the start in `unit` ("docs"), then, when total > 0, the share
 * done/total and the time left at the average pace so far.  final: the
 * last update (ends the line with a newline).
 */
void progress_show(struct progress *p, int final, uint64_t count, const char *unit,
    uint64_t done, uint64_t total, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* "1h02m", "3m05s", "42s" (at most 7 characters and the NUL). */
void progress_duration(char *out, size_t len, double seconds);

#endif
