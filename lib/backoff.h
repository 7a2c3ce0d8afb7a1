/*
 * backoff.h - retry delays shared by kismet-tap (reconnects) and es-bulk
 * (bulk retries): exponential from base to cap, with "equal jitter" (half
 * the delay fixed, half random) so that many sensors do not retry in step.
 */
#ifndef KES_BACKOFF_H
#define KES_BACKOFF_H

#include <stdint.h>

/* A policy: the first delay and the largest one, before jitter. */
struct backoff {
	int64_t base_ms;
	int64_t cap_ms;
};

/* Delay before retry number attempt (1, 2, ...); rnd is a random number. */
int64_t backoff_delay(const struct backoff *b, unsigned attempt, uint32_t rnd);
/* A small xorshift generator for rnd, seeded from the clock and the PID. */
uint32_t backoff_random(void);

/* A policy plus the count of failures since the last success. */
struct backoff_state {
	const struct backoff *policy;
	unsigned attempt;
};

void backoff_state_init(struct backoff_state *s, const struct backoff *policy);
/* Count one failure and return the delay (ms) before the next attempt. */
int64_t backoff_next_ms(struct backoff_state *s);
void backoff_reset(struct backoff_state *s);

#endif
