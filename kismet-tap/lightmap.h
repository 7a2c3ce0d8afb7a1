/*
 * lightmap.h - kismet-tap's memory of what Kismet last reported about each
 * device (packet count and mod_time from a light scan; last_time, an AP's
 * client count and the device's kind from its last fetch), so that a scan
 * can tell which devices changed and only those are fetched, with the
 * field list their kind needs.
 * Keyed by a 64-bit hash of the device key (32 bytes a device, at most 80%
 * full: 4 MiB for 100,000 devices).  Separate from dedup.c on purpose:
 * dedup decides what is written, this decides what is asked for.
 */
#ifndef TAP_LIGHTMAP_H
#define TAP_LIGHTMAP_H

#include <stddef.h>
#include <stdint.h>

struct light {
	uint64_t hash;		/* 0 = empty slot */
	uint32_t packets;	/* low 32 bits: only equality matters */
	uint32_t mod_time;
	uint32_t last_time;	/* as last scanned (for the lag), 0 = unknown */
	uint32_t pend;		/* cycle that queued it for a fetch, 0 = none */
	uint32_t clients;	/* dot11 num_associated_clients (0: none, not Wi-Fi) */
	uint8_t known;		/* a fetched state is committed */
	uint8_t lean;		/* DEVICE_PATHS_* its next fetch may ask with */
	uint16_t spare;
};

struct lightmap {
	struct light *slots;
	size_t cap;		/* power of two */
	size_t used;		/* slots in use */
};

int lightmap_init(struct lightmap *m);
void lightmap_free(struct lightmap *m);
/* The slot of key, created empty (hash set, everything else 0) when new;
 * NULL when out of memory.  Pointers are valid until the next call. */
struct light *lightmap_get(struct lightmap *m, const char *key);
/* The slot of key or NULL; no insertion. */
struct light *lightmap_find(const struct lightmap *m, const char *key);

#endif
