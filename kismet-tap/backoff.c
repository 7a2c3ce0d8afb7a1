/*
 * backoff.c - exponential backoff with jitter (see backoff.h).
 */
#include "backoff.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_BASE_US	500000LL
#define BACKOFF_CAP_US	30000000LL

void
backoff_init(struct backoff *b)
{
	b->attempt = 0;
	b->seed = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16) ^ (unsigned)(uintptr_t)b;
}

int64_t
backoff_next_us(struct backoff *b)
{
	int64_t d = BACKOFF_BASE_US;
	unsigned i;

	for (i = 0; i < b->attempt && d < BACKOFF_CAP_US; i++)
		d *= 2;
	if (d > BACKOFF_CAP_US)
		d = BACKOFF_CAP_US;
	if (b->attempt < 64)
		b->attempt++;
	return d / 2 + (int64_t)((unsigned)rand_r(&b->seed) % (unsigned)(d / 2 + 1));
}

void
backoff_reset(struct backoff *b)
{
	b->attempt = 0;
}
