/*
 * tap.h - the state every source shares: the output, the de-duplication
 * table, the sensor name and the counters; and the one emit path from a
 * Kismet object to a line on stdout.
 */
#ifndef TAP_TAP_H
#define TAP_TAP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dedup.h"
#include "device.h"
#include "output.h"

struct tap_stats {
	uint64_t devices_in;	/* whole device objects read ("received") */
	uint64_t devices_out;	/* device records written */
	uint64_t unchanged;	/* skipped: same last_time and packets */
	uint64_t events_in, events_out;
	uint64_t bad;		/* unparsable or MAC-less, skipped */
	uint64_t polls, poll_errors, reconnects;
	uint64_t requests;	/* REST requests sent to Kismet */
	uint64_t scanned;	/* light-scan entries read (key, counters, times) */
};

struct tap {
	const struct config *cfg;
	struct output out;
	struct dedup dd;
	char *sensor;		/* NULL until known */
	struct buf line;		/* the record being written */
	struct tap_stats st;
};

int tap_init(struct tap *t, const struct config *cfg);
/* The project_*()/device_line() flags the options ask for. */
unsigned tap_record_flags(const struct config *cfg);
void tap_free(struct tap *t);
/* Set the sensor name unless --sensor fixed it. */
int tap_set_sensor(struct tap *t, const char *name);

/* One device object as JSON text: de-duplicate, map, write.  Bad input is
 * reported and counted (returns 0); -1 only when stdout failed. */
int tap_device_text(struct tap *t, const char *text, size_t len, const char *where);
/* The same, with a look at the device once read and before it is mapped:
 * check() returns 1 to go on, 0 to hold it back (not written, not
 * de-duplicated: the caller asks for it again). */
typedef int (*tap_check_fn)(void *arg, const struct device_view *dv);
int tap_device_checked(struct tap *t, const char *text, size_t len, const char *where,
    tap_check_fn check, void *arg);
/* One eventbus message {"NAME": payload}. */
int tap_event(struct tap *t, const json_t *msg, const char *where);
int tap_event_text(struct tap *t, const char *text, size_t len, const char *where);
/* Write a ready record (consumed). */
int tap_record(struct tap *t, json_t *rec);
/* Report and count a skipped message. */
void tap_bad(struct tap *t, const char *where, const char *why);
/* One JSON line of counters on stderr. */
void tap_print_stats(const struct tap *t, const char *when);

#endif
