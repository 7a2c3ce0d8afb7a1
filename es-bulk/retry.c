/*
 * backoff.c - exponential backoff with jitter (backoff.h).
 */
#include "backoff.h"

#include <time.h>
#include <unistd.h>

const struct backoff backoff_request = {.base_ms = 250, .cap_ms = 30000};
const struct backoff backoff_blocked = {.base_ms = 5000, .cap_ms = 120000};

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
