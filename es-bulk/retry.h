/*
 * backoff.h - retry delays: exponential with a cap and "equal jitter"
 * (half the delay fixed, half random), pure apart from the random source.
 */
#ifndef ESB_BACKOFF_H
#define ESB_BACKOFF_H

#include <stdint.h>

struct backoff {
	int64_t base_ms;	/* delay of the first retry (before jitter) */
	int64_t cap_ms;		/* no delay grows beyond this */
};

/* Retry delays used by es-bulk. */
extern const struct backoff backoff_request;	/* unreachable, 429, 5xx */
extern const struct backoff backoff_blocked;	/* cluster_block_exception */

/* Delay before retry number attempt (1, 2, ...); rnd is a random number. */
int64_t backoff_delay(const struct backoff *b, unsigned attempt, uint32_t rnd);
/* A small xorshift generator for rnd. */
uint32_t backoff_random(void);

#endif
