/*
 * device.h - the device path: one Kismet device message (a REST poll
 * element, a kismetdb devices.device column; full or field-simplified) read
 * with lib/jscan into a view of the fields the record contract needs, and
 * that view written as a device record line (ARCHITECTURE.md section 2).
 * No tree is built: the rest of a full object (12 KB of RRDs, dot11
 * details...) is only validated and skipped.
 */
#ifndef TAP_DEVICE_H
#define TAP_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "jscan.h"

/* The fields read, by their Kismet path (project.c sends the same list). */
enum device_field {
	DF_MAC, DF_KEY, DF_TYPE, DF_NAME, DF_USER, DF_PHY, DF_MANUF, DF_FIRST,
	DF_LAST, DF_CHAN, DF_FREQ, DF_PKTS, DF_TX, DF_RX, DF_DSIZE, DF_SIGTYPE,
	DF_SIG, DF_NOISE, DF_LOCFIX,
	DF_GEO,		/* location/last's geopoint */
	DF_ALT,		/* location/last's alt */
	DF_FIX,		/* location/last's fix */
	DF_COUNT
};

struct device_view {
	struct jspan f[DF_COUNT];	/* type JSCAN_NONE: absent */
	unsigned char prio[DF_COUNT];	/* 2 a whole-path key, 1 nested */
	unsigned char loc_prio;		/* of the location/last object used */
	const char *err;		/* invalid JSON: what (jscan) */
	size_t err_off;			/* and where */
};

/* Read a device message.  0, or -1 when it is not valid JSON or not an
 * object (*why, and dv->err/err_off for invalid JSON). */
int device_scan(struct device_view *dv, const char *text, size_t len, const char **why);

/* De-duplication identity: the device key (else its MAC) decoded into
 * key, last_time and packet count (0 when absent).  0 or -1 and *why. */
int device_ident(const struct device_view *dv, char *key, size_t keycap,
    int64_t *last_time, int64_t *packets, const char **why);

/* The lower-case MAC and last_time every device record needs. 0 or -1. */
int device_basics(const struct device_view *dv, char mac[32], int64_t *last,
    const char **why);

/* Replace out's content with the device record line ('\n' included, and
 * a NUL after it).  sensor may be NULL (left out).  0, or -1 and *why. */
int device_line(const struct device_view *dv, const char *sensor,
    struct buf *out, const char **why);

/* The paths read, in enum order (the REST/eventbus "fields" list). */
extern const char *const device_paths[DF_LOCFIX + 2];

#endif
