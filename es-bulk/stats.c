/*
 * stats.c - counters as a JSON line (stats.h); the progress line on a
 * terminal is lib/progress's.
 */
#include "stats.h"

#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "timefmt.h"

void
stats_print(const struct stats *st, const char *kind)
{
	char line[1024];
	double secs = (double)(ts_now_ms() - st->start_ms) / 1000;
	uint64_t pending = st->read - st->indexed - st->dead_lettered;
	int n;

	n = snprintf(line, sizeof(line),
	    "{\"es-bulk\":\"%s\",\"lines\":%llu,\"read\":%llu,\"indexed\":%llu,"
	    "\"dead_lettered\":%llu,\"pending\":%llu,\"empty\":%llu,"
	    "\"no_time\":%llu,\"resolved\":%llu,\"retries\":%llu,"
	    "\"batches\":%llu,\"requests\":%llu,\"bytes\":%llu,"
	    "\"bytes_sent\":%llu,\"seconds\":%.3f,\"docs_per_s\":%.1f}\n",
	    kind, (unsigned long long)st->lines, (unsigned long long)st->read,
	    (unsigned long long)st->indexed, (unsigned long long)st->dead_lettered,
	    (unsigned long long)pending, (unsigned long long)st->empty,
	    (unsigned long long)st->no_time, (unsigned long long)st->resolved,
	    (unsigned long long)st->retries, (unsigned long long)st->batches,
	    (unsigned long long)st->requests, (unsigned long long)st->bytes_in,
	    (unsigned long long)st->bytes_sent, secs,
	    secs > 0 ? (double)st->indexed / secs : 0.0);
	if (n > 0 && (size_t)n < sizeof(line))
		log_raw(line, (size_t)n);
}
