/*
 * sync.h - the live device request sequence (see sync.c): light scans of
 * the view (key, packet count, mod_time), then the changed devices fetched
 * through POST /devices/multikey/devices.json with the field list their
 * kind needs.
 */
#ifndef TAP_SYNC_H
#define TAP_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "lightmap.h"
#include "poll.h"
#include "tap.h"

/* At most this many devices in one answer after the first full sync. */
#define SYNC_PAGE_MAX 5000
#define SYNC_LAG_BINS 64

struct sync_pend {
	char key[48];
	uint32_t packets, mod_time;	/* as scanned */
	uint32_t clients, last_time;	/* as fetched (else as known) */
	unsigned char ask;	/* DEVICE_PATHS_* this fetch asks with */
	unsigned char lean;	/* ... and the next one may (as fetched) */
	unsigned char again;	/* the lean answer showed a new kind */
};

struct sync {
	struct lightmap lm;
	int synced;		/* the first full sync is done */
	uint32_t cycle;		/* id of the current cycle (pend marker) */
	int64_t base;		/* server time before the last complete cycle */
	/* packet-time lag (mod_time - last_time of devices whose last_time just
	 * moved, whole seconds, 63 = 63 or more): histograms of the current and
	 * the previous 60 s of server time */
	uint32_t lag_hist[2][SYNC_LAG_BINS];
	uint32_t lag_n[2];
	int64_t lag_window;	/* server time the current histogram began */
	/* the sweep: the whole view in light pages, spread over --resync */
	int sweeping;
	int64_t sweep_start;	/* local ms the current/last sweep began, 0 = due */
	unsigned sweep_page, sweep_len;
	unsigned long sweep_pages;	/* pages of the sweep as last reported */
	size_t total;		/* devices Kismet tracks, as last reported */
	/* the changed devices of this cycle */
	struct sync_pend *pend;
	size_t npend, cappend;
};

int sync_init(struct sync *s);
void sync_free(struct sync *s);
/* One cycle at server time now (taken before its first request): light
 * scans, fetches, commit.  POLL_*; on failure nothing of the cycle is
 * committed, so the next cycle asks again from the same point. */
int sync_cycle(struct sync *s, struct poller *p, struct tap *t, const struct config *cfg,
    int64_t now);
/* The last_time margin the next fast scan uses (seconds). */
int64_t sync_margin(const struct sync *s, const struct config *cfg);

#endif
