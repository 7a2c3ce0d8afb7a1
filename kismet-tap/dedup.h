/*
 * dedup.h - per-device memory of what was last emitted (a 64-bit
 * fingerprint of the record line), so that overlapping polls emit a device
 * only when something in its record changed, whichever field it is.  Keys
 * are kept as 64-bit hashes (16 bytes a device, table at most 80% full:
 * 2 MiB for 100,000 devices).
 */
#ifndef TAP_DEDUP_H
#define TAP_DEDUP_H

#include <stddef.h>
#include <stdint.h>

struct dedup_slot;

struct dedup {
	struct dedup_slot *slots;
	size_t cap;		/* power of two */
	size_t count;
};

int dedup_init(struct dedup *d);
/* The 64-bit hash of n bytes that keys this table (and lightmap.c's):
 * never 0. */
uint64_t dedup_hash(const char *s, size_t n);
/* 1 if key is new or its record (the len bytes at rec) differs from the
 * one recorded -- recorded now; 0 if unchanged; -1 out of memory. */
int dedup_changed(struct dedup *d, const char *key, const char *rec, size_t len);
size_t dedup_count(const struct dedup *d);
void dedup_free(struct dedup *d);

#endif
