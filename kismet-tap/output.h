/*
 * output.h - stdout for kismet-tap: one write per record, a bounded queue
 * for a slow reader on a pipe (non-blocking, drained from the event loop),
 * EPIPE noticed on every write.
 */
#ifndef TAP_OUTPUT_H
#define TAP_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

struct output {
	int fd;
	int nonblock;		/* a pipe or socket: queue instead of blocking */
	char *buf;		/* pending bytes are buf[head .. head+len) */
	size_t head, len, cap;
	size_t max;		/* "full" above this: sources pause */
	int failed;		/* errno of the failed write (EPIPE: reader gone) */
	uint64_t records, bytes;
};

/* queue: a pipe is made non-blocking and queued (live loop); else every
 * write blocks. */
int output_init(struct output *o, int fd, size_t max, int queue);
/* Queue one line (its '\n' included) and write what can be written now.
 * 0, or -1 when stdout failed (o->failed set, already reported). */
int output_put(struct output *o, const char *line, size_t len);
/* Write what can be written now (from the event loop). 0 or -1. */
int output_flush_some(struct output *o);
/* Write everything, blocking (at exit). 0 or -1. */
int output_drain(struct output *o);
/* More than max bytes pending: stop producing. */
int output_full(const struct output *o);
size_t output_pending(const struct output *o);
void output_free(struct output *o);

#endif
