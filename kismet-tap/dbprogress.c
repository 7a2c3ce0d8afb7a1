/*
 * dbprogress.c - kismet-tap --kismetdb's progress line (see dbprogress.h).
 * One log at a time, so the state is this file's.
 */
#include "dbprogress.h"

#include <stdint.h>

#include "config.h"
#include "progress.h"
#include "sightings.h"
#include "timefmt.h"

static struct progress prog;
static uint64_t devices, devices_total, events, events_total, packets, packets_total;

static uint64_t
count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	uint64_t n = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

void
dbprogress_begin(const struct config *cfg, sqlite3 *db, int alerts, int messages,
    int with_packets)
{
	progress_init(&prog, (enum progress_mode)cfg->progress);
	devices = events = packets = 0;
	if (!prog.on)
		return;
	devices_total = count(db, "SELECT COUNT(*) FROM devices");
	events_total = (alerts ? count(db, "SELECT COUNT(*) FROM alerts") : 0) +
	    (messages ? count(db, "SELECT COUNT(*) FROM messages") : 0);
	/* the rows the sightings query gives (a lookup per packet, no sort:
	 * a fraction of the query itself) */
	packets_total = with_packets ? count(db, "SELECT COUNT(*) " SIGHTINGS_FROM) : 0;
}

static void
show(int final)
{
	uint64_t done = devices + events + packets;
	uint64_t total = devices_total + events_total + packets_total;

	if (packets_total == 0) {
		progress_show(&prog, final, done, "records", done, total,
		    "%llu of %llu devices, %llu of %llu events",
		    (unsigned long long)devices, (unsigned long long)devices_total,
		    (unsigned long long)events, (unsigned long long)events_total);
		return;
	}
	progress_show(&prog, final, done, "rows", done, total,
	    "%llu of %llu devices, %llu of %llu packets, %llu of %llu events",
	    (unsigned long long)devices, (unsigned long long)devices_total,
	    (unsigned long long)packets, (unsigned long long)packets_total,
	    (unsigned long long)events, (unsigned long long)events_total);
}

void
dbprogress_row(int device)
{
	if (device)
		devices++;
	else
		events++;
	if (progress_due(&prog, ts_now_ms()))
		show(0);
}

void
dbprogress_packet(void)
{
	packets++;
	if (prog.on && (packets & 255) == 0 && progress_due(&prog, ts_now_ms()))
		show(0);	/* millions of packets: the clock read every 256 */
}

void
dbprogress_end(void)
{
	show(1);
}
