/*
 * kismetdb.c - read Kismet's SQLite log (schema: KISMET, devices, alerts,
 * messages, snapshots ...).  devices.device holds the same full device JSON
 * as REST, one row per device (UNIQUE(phyname, devmac) ON CONFLICT
 * REPLACE), so the last state of every device is one SELECT through the
 * same mapping as the live path.  Alerts are wrapped as {"ALERT": json}
 * and messages as {"MESSAGE": {...}} and go through the eventbus mapping.
 *
 * With --sightings, the packets table as history (sightings.c), after
 * the device records.
 *
 * Read-only (SQLITE_OPEN_READONLY) with a busy timeout, so a log that
 * Kismet is still writing (WAL) can be read; one read transaction over
 * the whole log, so that devices, sightings and events are one snapshot
 * (Kismet's REPLACE gives a device a new rowid on every update).
 */
#include "kismetdb.h"

#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbprogress.h"
#include "exitcodes.h"
#include "log.h"
#include "project.h"
#include "sig.h"
#include "sightings.h"

static int
want(const struct config *cfg, const char *type)
{
	for (size_t i = 0; i < cfg->n_events; i++)
		if (strcmp(cfg->events[i], type) == 0 || strcmp(cfg->events[i], "*") == 0)
			return 1;
	return 0;
}

/* The server's name from the last SYSTEM snapshot: server_name, else uuid. */
static char *
log_sensor(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	char *name = NULL;
	json_t *j = NULL;
	const char *s;

	if (sqlite3_prepare_v2(db, "SELECT json FROM snapshots WHERE snaptype = 'SYSTEM' "
	    "ORDER BY ts_sec DESC, ts_usec DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	j = json_loadb(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), 0, NULL);
	s = json_string_value(json_object_get(j, "kismet.system.server_name"));
	if (s == NULL || *s == '\0')
		s = json_string_value(json_object_get(j, "kismet.server.uuid"));
	if (s && *s)
		name = strdup(s);
out:
	json_decref(j);
	sqlite3_finalize(st);
	return name;
}

static int
read_devices(struct tap *t, sqlite3 *db, const char *path)
{
	sqlite3_stmt *st;
	char where[512];
	int rc, n = 0;

	if (sqlite3_prepare_v2(db, "SELECT device, devmac FROM devices ORDER BY last_time, rowid",
	    -1, &st, NULL) != SQLITE_OK) {
		log_err("%s: devices: %s", path, sqlite3_errmsg(db));
		return KES_EXIT_NOINPUT;
	}
	while (!sig_stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		dbprogress_row(1);
		/* with --pseudonymize-macs no real MAC in messages either */
		if (t->cfg->pseudo)
			snprintf(where, sizeof(where), "%s: devices row %d", path, n);
		else
			snprintf(where, sizeof(where), "%s: devices row %d (%s)", path, n,
			    (const char *)sqlite3_column_text(st, 1));
		if (tap_device_text(t, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), where) < 0) {
			sqlite3_finalize(st);
			return KES_EXIT_IOERR;
		}
	}
	if (!sig_stop && rc != SQLITE_DONE)
		log_err("%s: devices: %s", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return KES_EXIT_OK;
}

static int
read_alerts(struct tap *t, sqlite3 *db, const char *path)
{
	sqlite3_stmt *st;
	char where[512];
	json_t *payload, *msg;
	int rc, step = SQLITE_DONE, n = 0;

	if (sqlite3_prepare_v2(db, "SELECT json FROM alerts ORDER BY ts_sec, ts_usec, rowid",
	    -1, &st, NULL) != SQLITE_OK) {
		log_err("%s: alerts: %s", path, sqlite3_errmsg(db));
		return KES_EXIT_OK;
	}
	while (!sig_stop && (step = sqlite3_step(st)) == SQLITE_ROW) {
		json_error_t err;

		n++;
		dbprogress_row(0);
		snprintf(where, sizeof(where), "%s: alerts row %d", path, n);
		payload = json_loadb(sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), 0, &err);
		if (payload == NULL) {
			tap_bad(t, where, err.text);
			continue;
		}
		msg = json_pack("{so}", "ALERT", payload);
		rc = msg ? tap_event(t, msg, where) : 0;
		json_decref(msg);
		if (rc < 0) {
			sqlite3_finalize(st);
			return KES_EXIT_IOERR;
		}
	}
	if (!sig_stop && step != SQLITE_DONE)
		log_err("%s: alerts: %s", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return KES_EXIT_OK;
}

static int
read_messages(struct tap *t, sqlite3 *db, const char *path)
{
	sqlite3_stmt *st;
	char where[512];
	json_t *msg;
	int rc, step = SQLITE_DONE, n = 0;

	if (sqlite3_prepare_v2(db, "SELECT ts_sec, message FROM messages ORDER BY ts_sec, rowid",
	    -1, &st, NULL) != SQLITE_OK) {
		log_err("%s: messages: %s", path, sqlite3_errmsg(db));
		return KES_EXIT_OK;
	}
	while (!sig_stop && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 1);

		n++;
		dbprogress_row(0);
		snprintf(where, sizeof(where), "%s: messages row %d", path, n);
		msg = json_pack("{s{sssI}}", "MESSAGE",
		    "kismet.messagebus.message_string", text ? text : "",
		    "kismet.messagebus.message_time", (json_int_t)sqlite3_column_int64(st, 0));
		if (msg == NULL) {
			tap_bad(t, where, "message is not valid UTF-8");
			continue;
		}
		rc = tap_event(t, msg, where);
		json_decref(msg);
		if (rc < 0) {
			sqlite3_finalize(st);
			return KES_EXIT_IOERR;
		}
	}
	if (!sig_stop && step != SQLITE_DONE)
		log_err("%s: messages: %s", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return KES_EXIT_OK;
}

int
kismetdb_run(struct tap *t, const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *name, *pathcopy;
	int rc, ok, srk = KES_EXIT_OK;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		log_err("%s: cannot open: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return KES_EXIT_NOINPUT;
	}
	sqlite3_busy_timeout(db, 10000);
	ok = sqlite3_prepare_v2(db, "SELECT db_module FROM KISMET", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW;
	if (!ok) {
		log_err("%s: not a Kismet log: %s", path, sqlite3_errmsg(db));
		sqlite3_finalize(st);
		sqlite3_close(db);
		return KES_EXIT_NOINPUT;
	}
	sqlite3_finalize(st);

	if (t->cfg->sensor == NULL) {
		name = log_sensor(db);
		if (name == NULL && (pathcopy = strdup(path)) != NULL) {
			name = strdup(basename(pathcopy));
			free(pathcopy);
		}
		rc = tap_set_sensor(t, name);
		free(name);
		if (rc < 0) {
			sqlite3_close(db);
			return KES_EXIT_SOFTWARE;
		}
	}
	log_debug("%s: sensor %s", path, t->sensor ? t->sensor : "(none)");

	/* one snapshot: a deferred read transaction (its lock is taken by the
	 * first SELECT below) */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		log_warn("%s: cannot begin a read transaction: %s", path, sqlite3_errmsg(db));
	dbprogress_begin(t->cfg, db, want(t->cfg, "ALERT"), want(t->cfg, "MESSAGE"),
	    t->cfg->sightings > 0);
	rc = read_devices(t, db, path);
	/* a log whose packets cannot be read still gives its events (exit 65) */
	if (rc == KES_EXIT_OK && t->cfg->sightings > 0 &&
	    (srk = sightings_run(t, db, path, t->cfg->sightings)) == KES_EXIT_IOERR)
		rc = srk;
	if (rc == KES_EXIT_OK && want(t->cfg, "ALERT"))
		rc = read_alerts(t, db, path);
	if (rc == KES_EXIT_OK && want(t->cfg, "MESSAGE"))
		rc = read_messages(t, db, path);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	dbprogress_end();
	sqlite3_close(db);
	return rc != KES_EXIT_OK ? rc : srk;
}
