/*
 * status.c - the status report (human table or --json, with the health
 * verdict of --max-unsynced/--max-age as the exit status) and purge.
 */
#include "status.h"

#include "exitcodes.h"
#include "log.h"
#include "timefmt.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Seconds since a "YYYY-MM-DD HH:MM:SS" UTC time; -1 if there is none. */
static int64_t
age_of(const char *ts, int64_t now)
{
	int64_t ms;

	/* SQLite's datetime('now') text is ISO 8601 with a space for the T. */
	if (ts[0] == '\0' || ts_parse_iso(ts, strlen(ts), &ms) < 0)
		return -1;
	return now > ms / 1000 ? now - ms / 1000 : 0;
}

static json_t *
ts_or_null(const char *ts)
{
	return ts[0] ? json_string(ts) : json_null();
}

static int
print_json(const struct config *cfg, const struct spool_stats *st, int64_t age,
    int healthy, const char *problem)
{
	json_t *o, *tables;
	int rc;

	tables = json_array();
	for (size_t i = 0; i < st->ngroups; i++) {
		const struct spool_group *g = &st->group[i];

		json_array_append_new(tables, json_pack("{s:s, s:s, s:I, s:I, s:o, s:o}",
		    "type", g->name, "table", g->table,
		    "total", (json_int_t)g->total, "unsynced", (json_int_t)g->unsynced,
		    "oldest", ts_or_null(g->oldest), "newest", ts_or_null(g->newest)));
	}
	o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:o, s:b, s:o}",
	    "spool", cfg->spool.path, "backend", st->backend,
	    "total", (json_int_t)st->total, "unsynced", (json_int_t)st->unsynced,
	    "synced", (json_int_t)(st->total - st->unsynced),
	    "oldest", ts_or_null(st->oldest), "newest", ts_or_null(st->newest),
	    "oldest_unsynced", ts_or_null(st->oldest_unsynced),
	    "oldest_unsynced_age_s", age >= 0 ? json_integer(age) : json_null(),
	    "bytes", (json_int_t)st->bytes, "last_seq", (json_int_t)st->last_seq,
	    "synced_upto", (json_int_t)st->synced_upto,
	    "tables", tables, "healthy", healthy,
	    "problem", problem[0] ? json_string(problem) : json_null());
	if (o == NULL) {
		log_err("status: building the JSON report failed");
		return -1;
	}
	rc = json_dumpf(o, stdout, JSON_COMPACT);
	json_decref(o);
	putchar('\n');
	return rc;
}

static void
print_human(const struct config *cfg, const struct spool_stats *st, int64_t age,
    int healthy, const char *problem)
{
	printf("spool     %s (%s, %" PRIu64 " bytes)\n", cfg->spool.path, st->backend, st->bytes);
	printf("%-9s %12s %12s  %-19s  %-19s\n", "type", "total", "unsynced", "oldest", "newest");
	for (size_t i = 0; i < st->ngroups; i++) {
		const struct spool_group *g = &st->group[i];

		printf("%-9s %12" PRIu64 " %12" PRIu64 "  %-19s  %-19s\n", g->name,
		    g->total, g->unsynced, g->oldest[0] ? g->oldest : "-",
		    g->newest[0] ? g->newest : "-");
	}
	if (st->ngroups > 1)
		printf("%-9s %12" PRIu64 " %12" PRIu64 "  %-19s  %-19s\n", "all",
		    st->total, st->unsynced, st->oldest[0] ? st->oldest : "-",
		    st->newest[0] ? st->newest : "-");
	printf("synced    up to seq %" PRIu64 " of %" PRIu64, st->synced_upto, st->last_seq);
	if (age >= 0)
		printf("; oldest unsynced %s (%" PRId64 " s ago)", st->oldest_unsynced, age);
	printf("\nhealth    %s%s%s\n", healthy ? "healthy" : "UNHEALTHY",
	    problem[0] ? ": " : "", problem);
}

int
status_run(const struct config *cfg, struct spool *sp)
{
	struct spool_stats st;
	char problem[256] = "";
	int64_t age;
	int healthy = 1;

	if (spool_stats(sp, &st) < 0)
		return KES_EXIT_IOERR;
	age = age_of(st.oldest_unsynced, (int64_t)time(NULL));
	if (cfg->have_max_unsynced && st.unsynced > cfg->max_unsynced) {
		healthy = 0;
		snprintf(problem, sizeof(problem), "%" PRIu64 " records unsynced "
		    "(more than --max-unsynced %" PRIu64 ")", st.unsynced, cfg->max_unsynced);
	} else if (cfg->max_age >= 0 && age > cfg->max_age) {
		healthy = 0;
		snprintf(problem, sizeof(problem), "the oldest unsynced record is "
		    "%" PRId64 " s old (more than --max-age %" PRId64 " s)", age, cfg->max_age);
	}
	if (cfg->json) {
		if (print_json(cfg, &st, age, healthy, problem) < 0)
			return KES_EXIT_SOFTWARE;
	} else {
		print_human(cfg, &st, age, healthy, problem);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_errno("stdout");
		return KES_EXIT_IOERR;
	}
	return healthy ? KES_EXIT_OK : KES_EXIT_TEMPFAIL;
}

int
purge_run(const struct config *cfg, struct spool *sp)
{
	uint64_t removed;

	if (spool_purge(sp, (unsigned)cfg->older_than, &removed) < 0)
		return KES_EXIT_IOERR;
	log_info("purged %" PRIu64 " synced records older than %" PRIu64 " days",
	    removed, cfg->older_than);
	dprintf(STDERR_FILENO, "{\"buffer-spool\":\"stats\",\"mode\":\"purge\","
	    "\"removed\":%" PRIu64 "}\n", removed);
	return KES_EXIT_OK;
}
