/*
 * sightings.h - --sightings S: the history inside a Kismet log as
 * record_type "sighting" records, one per device and per S-second window
 * (aligned to multiples of S in Unix time) in which the log's packets
 * table holds a packet whose sourcemac is the device's MAC
 * (ARCHITECTURE.md section 2c).
 */
#ifndef TAP_SIGHTINGS_H
#define TAP_SIGHTINGS_H

#include <sqlite3.h>

#include "tap.h"

/* Longest window accepted by --sightings (a year). */
#define SIGHTINGS_MAX_WINDOW (366ULL * 86400)

/* The packets a sighting is made of: a log's packets joined to their
 * device (the FROM clause of the packets query; the progress line counts
 * the same rows). */
#define SIGHTINGS_FROM "FROM packets AS p CROSS JOIN devices AS d " \
	"ON d.phyname = p.phyname AND d.devmac = p.sourcemac"

/* The sightings of one open log (db, inside the caller's read
 * transaction, so that they agree with the device records just written).
 * Returns KES_EXIT_OK, KES_EXIT_IOERR when stdout failed, or
 * KES_EXIT_DATAERR when the devices or packets table could not be read
 * (reported; the sightings read until then are written). */
int sightings_run(struct tap *t, sqlite3 *db, const char *path, uint64_t window);

#endif
