/*
 * lightmap.c - open-addressing hash table of light-scan states (see
 * lightmap.h), keyed by dedup_hash().  Two keys with the same 64-bit
 * hash would share a slot: with 10^5 devices the odds are about 10^-10,
 * and the cost would be one extra fetch, never a lost record (dedup.c
 * decides what is written).
 */
#include "lightmap.h"

#include <stdlib.h>
#include <string.h>

#include "dedup.h"

int
lightmap_init(struct lightmap *m)
{
	memset(m, 0, sizeof(*m));
	m->cap = 1024;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	return m->slots ? 0 : -1;
}

void
lightmap_free(struct lightmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static struct light *
slot_for(struct light *slots, size_t cap, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);

	while (slots[i].hash != 0 && slots[i].hash != h)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

struct light *
lightmap_find(const struct lightmap *m, const char *key)
{
	struct light *l = slot_for(m->slots, m->cap, dedup_hash(key, strlen(key)));

	return l->hash ? l : NULL;
}

struct light *
lightmap_get(struct lightmap *m, const char *key)
{
	uint64_t h = dedup_hash(key, strlen(key));
	struct light *l;

	if ((m->used + 1) * 5 > m->cap * 4) {
		size_t ncap = m->cap * 2, i;
		struct light *ns = calloc(ncap, sizeof(*ns));

		if (ns == NULL)
			return NULL;
		for (i = 0; i < m->cap; i++)
			if (m->slots[i].hash != 0)
				*slot_for(ns, ncap, m->slots[i].hash) = m->slots[i];
		free(m->slots);
		m->slots = ns;
		m->cap = ncap;
	}
	l = slot_for(m->slots, m->cap, h);
	if (l->hash == 0) {
		memset(l, 0, sizeof(*l));
		l->hash = h;
		m->used++;
	}
	return l;
}
