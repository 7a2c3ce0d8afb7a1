/*
 * engine_impl.h - what es-bulk's event loop (engine.c) and its handling of
 * _bulk outcomes (outcome.c) share: the engine's state and the few batch
 * list and dead-letter steps both take.  Private to those two files.
 */
#ifndef ESB_ENGINE_IMPL_H
#define ESB_ENGINE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "bulk.h"
#include "config.h"
#include "input.h"
#include "progress.h"
#include "stats.h"
#include "transport.h"

struct route;
struct deadletter;
struct acks;
struct item_result;

struct engine {
	const struct config *cfg;
	struct input *in;
	struct route *route;
	struct in_record rec;		/* the line being taken (route's keys) */
	struct deadletter *dl;
	struct transport *tx;		/* NULL with --dry-run */
	struct acks *acks;
	struct stats st;

	struct batch *head, *tail;	/* tail may be the filling batch */
	struct batch *filling;
	size_t nlist;			/* batches in the list */
	size_t nsealed;			/* sealed and not done */
	uint64_t numbers;

	struct item_result *res;
	unsigned char *keep;
	size_t rescap;

	int input_done;			/* nothing more will be read */
	int need_input;			/* the reader waits for the fd */
	int stopping;			/* SIGINT/SIGTERM seen */
	int64_t stop_deadline;
	int fatal;			/* exit code of a fatal error, or 0 */
	int strict_stop;		/* --strict and a bad line */
	int io_error;
	struct progress progress;	/* the line on a terminal */
	int64_t next_stats;
	int64_t outage_ms;		/* first unanswered request, or 0 */
};
/* engine.c: dead-letter one line (counted; e->io_error on failure). */
void engine_reject_line(struct engine *e, const char *line, size_t len,
    int truncated, uint32_t src, uint64_t lineno, const char *error,
    const char *reason, int status, const char *index);
/* engine.c: a batch is resolved (its memory freed, the list entry kept). */
void engine_batch_done(struct engine *e, struct batch *b);

/* outcome.c: act on the result of one _bulk request. */
void outcome_handle(struct engine *e, const struct tx_result *r);

#endif
