/*
 * engine.h - es-bulk's main loop: input lines -> validated records ->
 * batches -> concurrent _bulk requests -> per-item outcomes -> dead letter,
 * retries, acks and stats, with back-pressure and a bounded shutdown.
 */
#ifndef ESB_ENGINE_H
#define ESB_ENGINE_H

#include "config.h"

/*
 * Run until the input is done and every line resolved (or a fatal error,
 * or SIGINT/SIGTERM and the shutdown timeout).  Sets up its own modules.
 * Returns a KES_EXIT_* code.
 */
int engine_run(const struct config *cfg);

#endif
