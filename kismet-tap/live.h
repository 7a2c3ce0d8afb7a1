/*
 * live.h - the Kismet server sources: the live loop (REST polls + the
 * eventbus websocket) and --once.
 */
#ifndef TAP_LIVE_H
#define TAP_LIVE_H

#include "config.h"
#include "tap.h"

/* Run until stopped; returns the exit status. */
int live_run(struct tap *t, const struct config *cfg);
/* One poll of the devices seen in the last --since seconds. */
int live_once(struct tap *t, const struct config *cfg);

#endif
