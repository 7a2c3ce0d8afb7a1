/*
 * status.h - the read-only status report and the purge subcommand.
 */
#ifndef KES_SPOOL_STATUS_H
#define KES_SPOOL_STATUS_H

#include "config.h"
#include "spool.h"

/* Print the report on stdout; returns KES_EXIT_OK when healthy,
 * KES_EXIT_TEMPFAIL when a --max-unsynced/--max-age limit is exceeded. */
int status_run(const struct config *cfg, struct spool *sp);
/* Delete synced records older than cfg->older_than days. */
int purge_run(const struct config *cfg, struct spool *sp);

#endif
