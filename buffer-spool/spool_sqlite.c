/*
 * spool_sqlite.c - the SQLite spool: the original guide's tables
 * device_buffer and event_buffer (plus other_buffer for records that are
 * neither), one row per record with its global sequence number, WAL mode,
 * prepared statements and one transaction per batch.
 *
 *   CREATE TABLE device_buffer (seq INTEGER PRIMARY KEY, record TEXT,
 *       synced INTEGER DEFAULT 0, created_at TEXT DEFAULT (datetime('now')))
 *   spool_meta(key, value): 'synced_upto' = every seq <= it is synced.
 */
#include "spool_impl.h"

#include "exitcodes.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NTABLES 3
static const char *const table_name[NTABLES] = {
	"device_buffer", "event_buffer", "other_buffer"
};
static const char *const group_name[NTABLES] = { "devices", "events", "other" };

struct sqlite_spool {
	sqlite3 *db;
	sqlite3_stmt *ins[NTABLES], *mark[NTABLES];
	sqlite3_stmt *begin, *commit, *rollback, *meta_set, *read;
	int in_txn;
	time_t ts_time;
	char ts[SPOOL_TS_LEN];
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS device_buffer ("
	" seq INTEGER PRIMARY KEY, record TEXT NOT NULL,"
	" synced INTEGER NOT NULL DEFAULT 0,"
	" created_at TEXT NOT NULL DEFAULT (datetime('now')));"
	"CREATE TABLE IF NOT EXISTS event_buffer ("
	" seq INTEGER PRIMARY KEY, record TEXT NOT NULL,"
	" synced INTEGER NOT NULL DEFAULT 0,"
	" created_at TEXT NOT NULL DEFAULT (datetime('now')));"
	"CREATE TABLE IF NOT EXISTS other_buffer ("
	" seq INTEGER PRIMARY KEY, record TEXT NOT NULL,"
	" synced INTEGER NOT NULL DEFAULT 0,"
	" created_at TEXT NOT NULL DEFAULT (datetime('now')));"
	"CREATE TABLE IF NOT EXISTS spool_meta ("
	" key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO spool_meta VALUES ('schema_version', 1);"
	"INSERT OR IGNORE INTO spool_meta VALUES ('synced_upto', 0);";

static const char read_sql[] =
	"SELECT seq, record FROM device_buffer WHERE seq > ?1 AND seq <= ?2 "
	"UNION ALL SELECT seq, record FROM event_buffer WHERE seq > ?1 AND seq <= ?2 "
	"UNION ALL SELECT seq, record FROM other_buffer WHERE seq > ?1 AND seq <= ?2 "
	"ORDER BY seq LIMIT ?3";

static void
db_err(struct spool *sp, sqlite3 *db, const char *what)
{
	int se = errno, e = sqlite3_system_errno(db);

	/* "disk I/O error" alone does not say the disk is full; SQLite does
	 * not always keep the system errno, errno still has it then. */
	if (e == 0)
		e = se;
	if (e != 0 && (sqlite3_errcode(db) == SQLITE_IOERR || sqlite3_errcode(db) == SQLITE_FULL))
		log_err("%s: %s: %s (%s)", sp->opts.path, what, sqlite3_errmsg(db), strerror(e));
	else
		log_err("%s: %s: %s", sp->opts.path, what, sqlite3_errmsg(db));
}

static int
prep(struct spool *sp, sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
		db_err(sp, db, "not a buffer-spool database? preparing a statement");
		return -1;
	}
	return 0;
}

/* Step a statement that returns no rows, then reset it. */
static int
run(struct spool *sp, sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_err(sp, db, what);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

/* One integer from a query with up to one bound integer parameter. */
static int
query_int(struct spool *sp, sqlite3 *db, const char *sql, int64_t arg, int64_t *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_err(sp, db, "query");
		return -1;
	}
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, arg);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		*out = 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_err(sp, db, "query");
		return -1;
	}
	return 0;
}

/*
 * Which table a record goes to: the value of its top-level "record_type"
 * member ("device" -> 0, "event" -> 1), anything else (no such member, not
 * an object, not JSON at all) -> 2.  A small scanner rather than a JSON
 * parser: the spool is not a validator and must keep up with the input.
 */
static size_t
skip_ws(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i;
}

static size_t
skip_string(const char *s, size_t i, size_t n)	/* s[i] == '"' */
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return n;
}

static size_t
skip_value(const char *s, size_t i, size_t n)
{
	int depth = 0;

	while (i < n) {
		char c = s[i];

		if (c == '"') {
			i = skip_string(s, i, n);
			if (depth == 0)
				return i;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			if (depth == 0)
				return i;
			if (--depth == 0)
				return i + 1;
		} else if (c == ',' && depth == 0)
			return i;
		i++;
	}
	return n;
}

static int
classify(const char *s, size_t n)
{
	size_t i = skip_ws(s, 0, n), k, klen;

	if (i >= n || s[i] != '{')
		return 2;
	i++;
	for (;;) {
		i = skip_ws(s, i, n);
		if (i >= n || s[i] != '"')
			return 2;
		k = i + 1;
		i = skip_string(s, i, n);
		klen = i - 1 - k;
		i = skip_ws(s, i, n);
		if (i >= n || s[i] != ':')
			return 2;
		i = skip_ws(s, i + 1, n);
		if (klen == 11 && memcmp(s + k, "record_type", 11) == 0) {
			if (n - i >= 8 && memcmp(s + i, "\"device\"", 8) == 0)
				return 0;
			if (n - i >= 7 && memcmp(s + i, "\"event\"", 7) == 0)
				return 1;
			return 2;
		}
		i = skip_ws(s, skip_value(s, i, n), n);
		if (i >= n || s[i] != ',')
			return 2;
		i++;
	}
}

static int
sq_create_file(struct spool *sp, int *exitcode)
{
	int fd;

	if (access(sp->opts.path, F_OK) == 0)
		return 0;
	/* Created here with 0600; SQLite gives -wal and -shm the same mode. */
	fd = open(sp->opts.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST) {
		log_errno("%s: cannot create the spool", sp->opts.path);
		*exitcode = KES_EXIT_CANTCREAT;
		return -1;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

static int
sq_open(struct spool *sp, int *exitcode)
{
	struct sqlite_spool *q;
	char sql[256];
	int64_t v;
	int flags;

	q = calloc(1, sizeof(*q));
	if (q == NULL) {
		*exitcode = KES_EXIT_SOFTWARE;
		return -1;
	}
	sp->be = q;
	*exitcode = KES_EXIT_IOERR;
	if (!sp->opts.readonly && sp->opts.create && sq_create_file(sp, exitcode) < 0)
		goto fail;
	flags = sp->opts.readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (sqlite3_open_v2(sp->opts.path, &q->db, flags, NULL) != SQLITE_OK) {
		db_err(sp, q->db, "cannot open the database");
		goto fail;
	}
	/* A reader (sqlite3, status) never makes the writer fail, and a
	 * checkpoint never makes a reader fail: both wait. */
	sqlite3_busy_timeout(q->db, 10000);
	if (!sp->opts.readonly) {
		static const char *const syncs[] = { "OFF", "NORMAL", "FULL" };

		/* 16 KiB pages and a 64 MiB WAL between checkpoints: fewer
		 * page splits and fsyncs for ~1 KB records (page_size only
		 * applies to a new database). */
		snprintf(sql, sizeof(sql), "PRAGMA page_size=16384;"
		    "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=4096;"
		    "PRAGMA synchronous=%s;", syncs[sp->opts.sync]);
		if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(q->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
			db_err(sp, q->db, "cannot set up the database");
			goto fail;
		}
		for (int t = 0; t < NTABLES; t++) {
			snprintf(sql, sizeof(sql), "INSERT INTO %s (seq, record, "
			    "created_at) VALUES (?1, ?2, ?3)", table_name[t]);
			if (prep(sp, q->db, sql, &q->ins[t]) < 0)
				goto fail;
			snprintf(sql, sizeof(sql), "UPDATE %s SET synced = 1 "
			    "WHERE seq > ?1 AND seq <= ?2", table_name[t]);
			if (prep(sp, q->db, sql, &q->mark[t]) < 0)
				goto fail;
		}
		if (prep(sp, q->db, "BEGIN", &q->begin) < 0 ||
		    prep(sp, q->db, "COMMIT", &q->commit) < 0 ||
		    prep(sp, q->db, "ROLLBACK", &q->rollback) < 0 ||
		    prep(sp, q->db, "UPDATE spool_meta SET value = ?1 "
			"WHERE key = 'synced_upto'", &q->meta_set) < 0 ||
		    prep(sp, q->db, read_sql, &q->read) < 0)
			goto fail;
	}
	if (query_int(sp, q->db, "SELECT value FROM spool_meta WHERE key = 'synced_upto'",
	    0, &v) < 0)
		goto fail;
	sp->synced_upto = (uint64_t)v;
	sp->last_seq = sp->synced_upto;
	for (int t = 0; t < NTABLES; t++) {
		snprintf(sql, sizeof(sql), "SELECT MAX(seq) FROM %s", table_name[t]);
		if (query_int(sp, q->db, sql, 0, &v) < 0)
			goto fail;
		if ((uint64_t)v > sp->last_seq)
			sp->last_seq = (uint64_t)v;
	}
	if (sp->opts.max_records || sp->opts.max_bytes) {
		for (int t = 0; t < NTABLES; t++) {
			int64_t c, b;

			snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table_name[t]);
			if (query_int(sp, q->db, sql, 0, &c) < 0)
				goto fail;
			snprintf(sql, sizeof(sql), "SELECT SUM(length(CAST(record "
			    "AS BLOB)) + 1) FROM %s", table_name[t]);
			if (query_int(sp, q->db, sql, 0, &b) < 0)
				goto fail;
			sp->n_records += (uint64_t)c;
			sp->n_bytes += (uint64_t)b;
		}
	}
	return 0;
fail:
	*exitcode = *exitcode ? *exitcode : KES_EXIT_IOERR;
	sp->ops->close(sp);
	return -1;
}

static void
sq_close(struct spool *sp)
{
	struct sqlite_spool *q = sp->be;

	if (q == NULL)
		return;
	for (int t = 0; t < NTABLES; t++) {
		sqlite3_finalize(q->ins[t]);
		sqlite3_finalize(q->mark[t]);
	}
	sqlite3_finalize(q->begin);
	sqlite3_finalize(q->commit);
	sqlite3_finalize(q->rollback);
	sqlite3_finalize(q->meta_set);
	sqlite3_finalize(q->read);
	if (q->db && sqlite3_close(q->db) != SQLITE_OK)
		db_err(sp, q->db, "close");
	free(q);
	sp->be = NULL;
}

static int
txn(struct spool *sp)
{
	struct sqlite_spool *q = sp->be;

	if (q->in_txn)
		return 0;
	if (run(sp, q->db, q->begin, "begin") < 0)
		return -1;
	q->in_txn = 1;
	return 0;
}

static int
sq_append(struct spool *sp, uint64_t seq, const char *rec, size_t len)
{
	struct sqlite_spool *q = sp->be;
	sqlite3_stmt *st;
	time_t now;
	int rc;

	if (txn(sp) < 0)
		return -1;
	now = time(NULL);
	if (now != q->ts_time) {
		q->ts_time = now;
		spool_datetime(q->ts, now);
	}
	st = q->ins[classify(rec, len)];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 2, rec, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, q->ts, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		db_err(sp, q->db, "storing a record");
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return rc == SQLITE_FULL ? SPOOL_EFULL : -1;
	return 0;
}

static int
sq_commit(struct spool *sp)
{
	struct sqlite_spool *q = sp->be;

	if (!q->in_txn)
		return 0;
	sqlite3_bind_int64(q->meta_set, 1, (sqlite3_int64)sp->synced_upto);
	if (run(sp, q->db, q->meta_set, "saving the synced position") < 0)
		return -1;
	if (run(sp, q->db, q->commit, "commit") < 0)
		return -1;
	q->in_txn = 0;
	return 0;
}

static void
sq_rollback(struct spool *sp)
{
	struct sqlite_spool *q = sp->be;

	/* A failed COMMIT may already have rolled back (SQLITE_FULL). */
	if (sqlite3_get_autocommit(q->db) == 0)
		run(sp, q->db, q->rollback, "rollback");
	q->in_txn = 0;
}

static long
sq_read(struct spool *sp, uint64_t after, uint64_t upto, size_t max_records,
    size_t max_bytes, spool_read_cb cb, void *arg)
{
	struct sqlite_spool *q = sp->be;
	size_t bytes = 0;
	long n = 0;
	int rc;

	sqlite3_bind_int64(q->read, 1, (sqlite3_int64)after);
	sqlite3_bind_int64(q->read, 2, (sqlite3_int64)upto);
	sqlite3_bind_int64(q->read, 3, (sqlite3_int64)max_records);
	while ((rc = sqlite3_step(q->read)) == SQLITE_ROW) {
		const char *d = sqlite3_column_blob(q->read, 1);
		size_t len = (size_t)sqlite3_column_bytes(q->read, 1);

		n++;
		bytes += len + 1;
		if (cb(arg, (uint64_t)sqlite3_column_int64(q->read, 0), d ? d : "", len) ||
		    bytes >= max_bytes)
			break;
	}
	sqlite3_reset(q->read);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_err(sp, q->db, "reading records");
		return -1;
	}
	return n;
}

static int
sq_mark_synced(struct spool *sp, uint64_t from, uint64_t upto)
{
	struct sqlite_spool *q = sp->be;

	if (txn(sp) < 0)
		return -1;
	for (int t = 0; t < NTABLES; t++) {
		sqlite3_bind_int64(q->mark[t], 1, (sqlite3_int64)from);
		sqlite3_bind_int64(q->mark[t], 2, (sqlite3_int64)upto);
		if (run(sp, q->db, q->mark[t], "marking records synced") < 0)
			return -1;
	}
	return 0;
}

static int
sq_stats(struct spool *sp, struct spool_stats *st)
{
	struct sqlite_spool *q = sp->be;
	char sql[512];
	struct stat sb;
	int rc = 0;

	st->synced_upto = sp->synced_upto;
	st->last_seq = sp->last_seq;
	st->ngroups = NTABLES;
	for (int t = 0; t < NTABLES; t++) {
		struct spool_group *g = &st->group[t];
		sqlite3_stmt *s;

		snprintf(g->name, sizeof(g->name), "%s", group_name[t]);
		snprintf(g->table, sizeof(g->table), "%s", table_name[t]);
		/* The guide's buffer-status query, plus the oldest unsynced
		 * record (created_at grows with seq: O(log n) by seq). */
		snprintf(sql, sizeof(sql),
		    "SELECT COUNT(*), COUNT(CASE WHEN synced=0 THEN 1 END),"
		    " MIN(created_at), MAX(created_at),"
		    " (SELECT created_at FROM %s WHERE synced = 0 ORDER BY seq LIMIT 1)"
		    " FROM %s", table_name[t], table_name[t]);
		if (sqlite3_prepare_v2(q->db, sql, -1, &s, NULL) != SQLITE_OK) {
			db_err(sp, q->db, "status");
			return -1;
		}
		if (sqlite3_step(s) == SQLITE_ROW) {
			const char *o = (const char *)sqlite3_column_text(s, 2);
			const char *w = (const char *)sqlite3_column_text(s, 3);
			const char *u = (const char *)sqlite3_column_text(s, 4);

			g->total = (uint64_t)sqlite3_column_int64(s, 0);
			g->unsynced = (uint64_t)sqlite3_column_int64(s, 1);
			snprintf(g->oldest, sizeof(g->oldest), "%s", o ? o : "");
			snprintf(g->newest, sizeof(g->newest), "%s", w ? w : "");
			if (u && (!st->oldest_unsynced[0] || strcmp(u, st->oldest_unsynced) < 0))
				snprintf(st->oldest_unsynced, sizeof(st->oldest_unsynced), "%s", u);
		} else {
			db_err(sp, q->db, "status");
			rc = -1;
		}
		sqlite3_finalize(s);
		st->total += g->total;
		st->unsynced += g->unsynced;
		if (g->oldest[0] && (!st->oldest[0] || strcmp(g->oldest, st->oldest) < 0))
			memcpy(st->oldest, g->oldest, sizeof(st->oldest));
		if (g->newest[0] && strcmp(g->newest, st->newest) > 0)
			memcpy(st->newest, g->newest, sizeof(st->newest));
	}
	if (stat(sp->opts.path, &sb) == 0)
		st->bytes = (uint64_t)sb.st_size;
	snprintf(sql, sizeof(sql), "%s-wal", sp->opts.path);
	if (stat(sql, &sb) == 0)
		st->bytes += (uint64_t)sb.st_size;
	return rc;
}

static int
sq_purge(struct spool *sp, unsigned days, uint64_t *removed)
{
	struct sqlite_spool *q = sp->be;
	char sql[256];

	*removed = 0;
	if (spool_commit(sp) < 0 || txn(sp) < 0)
		return -1;
	for (int t = 0; t < NTABLES; t++) {
		/* The guide's cleanup statement, with the age as a parameter. */
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE synced = 1 AND "
		    "created_at %s datetime('now', '-%u days')", table_name[t],
		    days ? "<" : "<=", days);
		if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			db_err(sp, q->db, "purge");
			sq_rollback(sp);
			return -1;
		}
		*removed += (uint64_t)sqlite3_changes(q->db);
	}
	if (sq_commit(sp) < 0) {
		sq_rollback(sp);
		return -1;
	}
	if (*removed > 0 && sqlite3_exec(q->db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
		db_err(sp, q->db, "vacuum (the records are deleted; space not reclaimed)");
	if (sqlite3_exec(q->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK)
		db_err(sp, q->db, "checkpoint");
	return 0;
}

static long
sq_drop_synced(struct spool *sp, uint64_t want_records, uint64_t want_bytes)
{
	struct sqlite_spool *q = sp->be;
	sqlite3_stmt *s;
	uint64_t cut = 0, nrec = 0, nbytes = 0;
	char sql[512];
	long removed = 0;
	int rc;

	if (txn(sp) < 0)
		return -1;
	snprintf(sql, sizeof(sql),
	    "SELECT seq, length(CAST(record AS BLOB)) FROM device_buffer WHERE seq <= ?1 "
	    "UNION ALL SELECT seq, length(CAST(record AS BLOB)) FROM event_buffer WHERE seq <= ?1 "
	    "UNION ALL SELECT seq, length(CAST(record AS BLOB)) FROM other_buffer WHERE seq <= ?1 "
	    "ORDER BY seq");
	if (sqlite3_prepare_v2(q->db, sql, -1, &s, NULL) != SQLITE_OK) {
		db_err(sp, q->db, "drop synced");
		return -1;
	}
	sqlite3_bind_int64(s, 1, (sqlite3_int64)sp->synced_upto);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		cut = (uint64_t)sqlite3_column_int64(s, 0);
		nrec++;
		nbytes += (uint64_t)sqlite3_column_int64(s, 1) + 1;
		if (nrec >= want_records && nbytes >= want_bytes)
			break;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_err(sp, q->db, "drop synced");
		return -1;
	}
	for (int t = 0; t < NTABLES && cut > 0; t++) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE seq <= %llu AND "
		    "synced = 1", table_name[t], (unsigned long long)cut);
		if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			db_err(sp, q->db, "drop synced");
			return -1;
		}
		removed += sqlite3_changes(q->db);
	}
	if (removed > 0)
		log_warn("%s: spool limit reached: dropped %ld synced records "
		    "(up to seq %llu)", sp->opts.path, removed, (unsigned long long)cut);
	sp->n_records = sp->n_records > nrec ? sp->n_records - nrec : 0;
	sp->n_bytes = sp->n_bytes > nbytes ? sp->n_bytes - nbytes : 0;
	return removed;
}

const struct spool_ops spool_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.append = sq_append,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.read = sq_read,
	.mark_synced = sq_mark_synced,
	.stats = sq_stats,
	.purge = sq_purge,
	.drop_synced = sq_drop_synced,
};
