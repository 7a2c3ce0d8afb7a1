/*
 * backoff.c - exponential backoff with jitter (see backoff.h).
 */
#include "backoff.h"

#include <time.h>
#include <unistd.h>

int64_t
backoff_delay(const struct backoff *b, unsigned attempt, uint32_t rnd)
{
	int64_t d = b->base_ms;

	for (unsigned i = 1; i < attempt && d < b->cap_ms; i++)
		d *= 2;
	if (d > b->cap_ms)
		d = b->cap_ms;
	return d / 2 + (int64_t)(rnd % (uint32_t)(d / 2 + 1));
}

uint32_t
backoff_random(void)
{
	static uint32_t x;

	if (x == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = (uint32_t)ts.tv_nsec ^ (uint32_t)getpid() << 16 ^ 0x9e3779b9u;
		if (x == 0)
			x = 1;
	}
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

void
backoff_state_init(struct backoff_state *s, const struct backoff *policy)
{
	s->policy = policy;
	s->attempt = 0;
}

int64_t
backoff_next_ms(struct backoff_state *s)
{
	if (s->attempt < 64)
		s->attempt++;
	return backoff_delay(s->policy, s->attempt, backoff_random());
}

void
backoff_reset(struct backoff_state *s)
{
	s->attempt = 0;
}
