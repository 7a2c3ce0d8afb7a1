/*
 * stats.h - es-bulk's counters and their one-line JSON form on stderr:
 *   {"es-bulk":"stats","lines":N,"read":N,"indexed":N,"dead_lettered":N,
 *    "pending":N,...}
 * read counts non-empty input lines; read = indexed + dead_lettered + pending.
 */
#ifndef ESB_STATS_H
#define ESB_STATS_H

#include <stdint.h>

struct stats {
	uint64_t lines;		/* every input line, empty ones included */
	uint64_t empty;		/* skipped empty lines */
	uint64_t read;		/* non-empty lines */
	uint64_t indexed;
	uint64_t dead_lettered;
	uint64_t retries;	/* request and item retries */
	uint64_t batches;	/* batches sealed */
	uint64_t requests;	/* _bulk requests sent */
	uint64_t bytes_in;	/* input bytes */
	uint64_t bytes_sent;	/* request bytes on the wire */
	uint64_t no_time;	/* records without a usable time */
	uint64_t resolved;	/* input lines resolved (the ack value) */
	int64_t start_ms;
};

/* Write the stats line; kind is "stats" or "final". */
void stats_print(const struct stats *st, const char *kind);

#endif
