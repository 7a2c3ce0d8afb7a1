/*
 * kismetdb.h - the --kismetdb source: the last state of every device in a
 * Kismet SQLite log (and, on request, its sightings (history from the packets
 * table) and its alerts and messages as events).
 */
#ifndef TAP_KISMETDB_H
#define TAP_KISMETDB_H

#include "tap.h"

/* Read one .kismet file.  Returns KES_EXIT_OK, KES_EXIT_NOINPUT (cannot
 * open / not a Kismet log) or KES_EXIT_IOERR (stdout failed). */
int kismetdb_run(struct tap *t, const char *path);

#endif
