/*
 * backoff.h - reconnect delays for kismet-tap: exponential from 0.5 s,
 * capped at 30 s, with jitter (each delay uniform in [d/2, d]).
 */
#ifndef TAP_BACKOFF_H
#define TAP_BACKOFF_H

#include <stdint.h>

struct backoff {
	unsigned attempt;	/* failures since the last success */
	unsigned seed;		/* rand_r state for the jitter */
};

void backoff_init(struct backoff *b);
/* Microseconds to wait before the next attempt (counts one failure). */
int64_t backoff_next_us(struct backoff *b);
void backoff_reset(struct backoff *b);

#endif
