/*
 * pump.h - the poll loop of store, pass, forward and drain: stdin into the
 * spool, the spool out to stdout or a child, acks back into the spool.
 */
#ifndef KES_SPOOL_PUMP_H
#define KES_SPOOL_PUMP_H

#include "config.h"
#include "spool.h"

/* Run cfg->mode on an open spool; returns a KES_EXIT_* code. */
int pump_run(const struct config *cfg, struct spool *sp);

#endif
