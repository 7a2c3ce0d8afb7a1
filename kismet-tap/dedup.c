/*
 * dedup.c - open-addressing hash table keyed by a 64-bit hash of the
 * device key (see dedup.h).  Two keys with the same 64-bit hash would
 * share a slot: with 10^5 devices the odds are about 10^-10.  A changed
 * record whose fingerprint stays the same would be missed with odds of
 * 2^-64 per change.
 */
#include "dedup.h"

#include <stdlib.h>
#include <string.h>

/* 16 bytes a device. */
struct dedup_slot {
	uint64_t hash;		/* of the key; 0 = empty */
	uint64_t fp;		/* of the last record emitted */
};

/* 8 bytes a step (a record line is ~1 KB), then a murmur finaliser. */
uint64_t
dedup_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ n, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h ? h : 1;
}

int
dedup_init(struct dedup *d)
{
	d->cap = 1024;
	d->count = 0;
	d->slots = calloc(d->cap, sizeof(*d->slots));
	return d->slots ? 0 : -1;
}

static struct dedup_slot *
find(struct dedup_slot *slots, size_t cap, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);

	while (slots[i].hash != 0 && slots[i].hash != h)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int
grow(struct dedup *d)
{
	size_t ncap = d->cap * 2, i;
	struct dedup_slot *ns = calloc(ncap, sizeof(*ns));

	if (ns == NULL)
		return -1;
	for (i = 0; i < d->cap; i++)
		if (d->slots[i].hash != 0)
			*find(ns, ncap, d->slots[i].hash) = d->slots[i];
	free(d->slots);
	d->slots = ns;
	d->cap = ncap;
	return 0;
}

int
dedup_changed(struct dedup *d, const char *key, const char *rec, size_t len)
{
	uint64_t h = dedup_hash(key, strlen(key)), fp = dedup_hash(rec, len);
	struct dedup_slot *s;

	/* linear probing up to a load of 0.8: ~3 probes a hit, 13 a miss */
	if ((d->count + 1) * 5 > d->cap * 4 && grow(d) < 0)
		return -1;
	s = find(d->slots, d->cap, h);
	if (s->hash == h && s->fp == fp)
		return 0;
	if (s->hash == 0)
		d->count++;
	s->hash = h;
	s->fp = fp;
	return 1;
}

size_t
dedup_count(const struct dedup *d)
{
	return d->count;
}

void
dedup_free(struct dedup *d)
{
	free(d->slots);
	memset(d, 0, sizeof(*d));
}
