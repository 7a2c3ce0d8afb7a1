/*
 * dbprogress.h - the progress line of kismet-tap --kismetdb (lib/progress):
 * devices, events and (--sightings) packets done of one log's total, rate
 * and ETA.  kismetdb.c and sightings.c call the hooks; the totals are
 * counted here, from the same tables.
 */
#ifndef TAP_DBPROGRESS_H
#define TAP_DBPROGRESS_H

#include <sqlite3.h>

struct config;

/* A log is opened: count its rows (alerts, messages, packets: when read). */
void dbprogress_begin(const struct config *cfg, sqlite3 *db, int alerts, int messages,
    int packets);
/* One row taken: a device (1) or an event (0). */
void dbprogress_row(int device);
/* One packet of the sightings taken. */
void dbprogress_packet(void);
/* The log is done (the last line, with a newline). */
void dbprogress_end(void);

#endif
