/*
 * sightings.c - --sightings S (see sightings.h): owns the per-log device
 * table of the sightings (devices.rowid -> MAC, devkey, and the six fields
 * copied from the projected device record), the one open window per
 * device, the packets query and the sighting records.
 *
 * The packets table has no index of its own (Kismet's schema), and its
 * rows are not in time order (packets of several sources interleave).  The
 * query scans it once, joins each row to its device through the devices
 * table's UNIQUE(phyname, devmac) index (CROSS JOIN keeps packets the outer
 * loop: a lookup per packet, never an automatic index over the packets),
 * so packets of MACs that are no device never reach the sorter, and lets
 * SQLite's external sorter order the rest by (ts_sec, ts_usec, rowid): it
 * spills to temporary files past its cache, so memory stays bounded by the
 * devices, not the packets.  The columns read are the few a sighting needs
 * (never the packet blob).
 *
 * In time order every open window belongs to the current window of the
 * whole log: when a packet falls into a later window, all open windows
 * close and are written.  Output order: by window, and within a window by
 * each device's first packet in it (ties: the packets table's rowid).
 * Windows are per log: a device in two logs gets a sighting from each.
 */
#include "sightings.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "log.h"
#include "project.h"
#include "sig.h"
#include "timefmt.h"

/* The device record keys a sighting copies (the device's final state). */
static const char *const copied[] = {
	"phy_type", "device_type", "manufacturer", "name", "ssid", "encryption",
};

struct sdev {
	int64_t rowid;		/* devices.rowid */
	char mac[32];		/* lower case */
	char *key;		/* devices.devkey, or NULL */
	char *copy;		/* JSON object of the copied keys, or NULL */
	/* the open window, when n > 0 */
	int64_t n, first_sec, last_sec, last_ms;
	int64_t sig, sig_min, sig_max, freq;
	double lat, lon, alt;
	unsigned char has_sig, has_freq, has_loc, has_alt;
};

struct sightings {
	struct tap *t;
	struct sdev *dev;	/* sorted by rowid */
	size_t n, cap;
	size_t *open;		/* indices of the open windows, by first packet */
	size_t nopen;
	uint64_t packets, records;
};

static int
cmp_rowid(const void *k, const void *e)
{
	int64_t a = *(const int64_t *)k, b = ((const struct sdev *)e)->rowid;

	return a < b ? -1 : a > b;
}

/* The copied keys of the device record kismet-tap projects for this row,
 * as JSON object text (NULL when the row is not a usable device). */
static char *
copy_fields(struct tap *t, const void *blob, size_t len, struct buf *line)
{
	struct device_view dv;
	const char *why = NULL;
	json_t *rec, *out, *v;
	char *s = NULL;

	if (blob == NULL || device_scan(&dv, blob, len, &why) < 0 ||
	    device_line(&dv, t->sensor, line, &why) < 0)
		return NULL;
	if ((rec = json_loadb(line->data, line->len, 0, NULL)) == NULL)
		return NULL;
	out = json_object();
	for (size_t i = 0; out && i < sizeof(copied) / sizeof(copied[0]); i++)
		if ((v = json_object_get(rec, copied[i])) != NULL)
			json_object_set(out, copied[i], v);
	if (out && json_object_size(out) > 0)
		s = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	json_decref(rec);
	return s;
}

/* The devices of the log, by rowid.  0, or -1 (reported). */
static int
load_devices(struct sightings *sg, sqlite3 *db, const char *path)
{
	sqlite3_stmt *st;
	struct buf line = {0};
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT rowid, devmac, devkey, device FROM devices "
	    "ORDER BY rowid", -1, &st, NULL) != SQLITE_OK) {
		log_err("%s: sightings: devices: %s", path, sqlite3_errmsg(db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *mac = (const char *)sqlite3_column_text(st, 1);
		const char *key = (const char *)sqlite3_column_text(st, 2);
		struct sdev *d;

		if (sg->n == sg->cap) {
			size_t ncap = sg->cap ? sg->cap * 2 : 256;
			struct sdev *nd = realloc(sg->dev, ncap * sizeof(*nd));

			if (nd == NULL)
				goto oom;
			sg->dev = nd;
			sg->cap = ncap;
		}
		d = &sg->dev[sg->n];
		memset(d, 0, sizeof(*d));
		if (mac == NULL || project_mac(mac, d->mac) < 0)
			continue;	/* no MAC: no device record either */
		d->rowid = sqlite3_column_int64(st, 0);
		if (key && *key && (d->key = strdup(key)) == NULL)
			goto oom;
		d->copy = copy_fields(sg->t, sqlite3_column_blob(st, 3),
		    (size_t)sqlite3_column_bytes(st, 3), &line);
		sg->n++;
	}
	buf_free(&line);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_err("%s: sightings: devices: %s", path, sqlite3_errmsg(db));
		return -1;
	}
	if (sg->n > 0 && (sg->open = malloc(sg->n * sizeof(*sg->open))) == NULL) {
		log_err("%s: sightings: out of memory for %zu devices", path, sg->n);
		return -1;
	}
	return 0;
oom:
	buf_free(&line);
	sqlite3_finalize(st);
	log_err("%s: sightings: out of memory reading the devices", path);
	return -1;
}

/* The sighting record of d's open window (NULL when it cannot be made). */
static json_t *
record(const struct sightings *sg, const struct sdev *d, const char **why)
{
	char ts[TS_ISO_LEN];
	json_t *rec, *c;

	if (ts_format_ms(ts, d->last_ms) < 0) {
		*why = "packet time out of range";
		return NULL;
	}
	if ((rec = json_object()) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	json_object_set_new(rec, "timestamp", json_string(ts));
	json_object_set_new(rec, "record_type", json_string("sighting"));
	if (sg->t->sensor)
		json_object_set_new(rec, "sensor", json_string(sg->t->sensor));
	json_object_set_new(rec, "mac_addr", json_string(d->mac));
	if (d->key)
		json_object_set_new(rec, "device_key", json_string(d->key));
	if (d->copy && (c = json_loads(d->copy, 0, NULL)) != NULL) {
		json_object_update(rec, c);
		json_decref(c);
	}
	json_object_set_new(rec, "first_seen", json_integer(d->first_sec));
	json_object_set_new(rec, "last_seen", json_integer(d->last_sec));
	json_object_set_new(rec, "packets", json_integer(d->n));
	if (d->has_sig) {
		json_object_set_new(rec, "signal_dbm", json_integer(d->sig));
		json_object_set_new(rec, "signal_min_dbm", json_integer(d->sig_min));
		json_object_set_new(rec, "signal_max_dbm", json_integer(d->sig_max));
	}
	if (d->has_freq)
		json_object_set_new(rec, "frequency", json_integer(d->freq));
	if (d->has_loc) {
		json_object_set_new(rec, "location", json_pack("{s:f,s:f}", "lat", d->lat,
		    "lon", d->lon));
		json_object_set_new(rec, "latitude", json_real(d->lat));
		json_object_set_new(rec, "longitude", json_real(d->lon));
		if (d->has_alt)
			json_object_set_new(rec, "altitude", json_real(d->alt));
	}
	return rec;
}

/* --format text: one readable line (project.c's text lines know devices
 * and events only).  The record is consumed.  0, or -1 when stdout failed. */
static int
put_text(struct tap *t, json_t *rec)
{
	char *line = NULL, sigbuf[16] = "-";
	const json_t *sig = json_object_get(rec, "signal_dbm");
	const char *name = json_string_value(json_object_get(rec, "name"));
	const char *type = json_string_value(json_object_get(rec, "device_type"));
	int n, rc;

	if (t->cfg->pseudo && pseudo_json(t->cfg->pseudo, rec) < 0) {
		json_decref(rec);
		tap_bad(t, "output", "out of memory while pseudonymizing a record");
		return 0;
	}
	if (json_is_integer(sig))
		snprintf(sigbuf, sizeof(sigbuf), "%lld", (long long)json_integer_value(sig));
	n = asprintf(&line, "%s  sighting  %-17s  %-13s %4s dBm %8lld pkts  %s%s\n",
	    json_string_value(json_object_get(rec, "timestamp")),
	    json_string_value(json_object_get(rec, "mac_addr")), type ? type : "-", sigbuf,
	    (long long)json_integer_value(json_object_get(rec, "packets")), name ? name : "",
	    json_object_get(rec, "location") ? "  [fix]" : "");
	json_decref(rec);
	if (n < 0) {
		tap_bad(t, "output", "out of memory");
		return 0;
	}
	rc = output_put(&t->out, line, (size_t)n);
	free(line);
	return rc;
}

/* Write and close every open window.  0, or -1 when stdout failed. */
static int
flush(struct sightings *sg, const char *path)
{
	char where[600];
	const char *why = NULL;
	json_t *rec;

	for (size_t i = 0; i < sg->nopen; i++) {
		struct sdev *d = &sg->dev[sg->open[i]];

		rec = record(sg, d, &why);
		d->n = 0;
		if (rec == NULL) {
			if (sg->t->cfg->pseudo)
				snprintf(where, sizeof(where), "%s: sighting", path);
			else
				snprintf(where, sizeof(where), "%s: sighting of %s", path, d->mac);
			tap_bad(sg->t, where, why);
			continue;
		}
		sg->records++;
		if ((sg->t->cfg->format == FMT_TEXT ? put_text(sg->t, rec) :
		    tap_record(sg->t, rec)) < 0) {
			sg->nopen = 0;
			return -1;
		}
	}
	sg->nopen = 0;
	return 0;
}

/* Add the packet in the current row to d's window. */
static void
add_packet(sqlite3_stmt *st, struct sdev *d, int64_t sec)
{
	int64_t usec = sqlite3_column_int64(st, 2), v;
	double lat, lon, f;

	d->n++;
	d->last_sec = sec;
	d->last_ms = sec * 1000 + usec / 1000;
	if (sqlite3_column_type(st, 3) != SQLITE_NULL && (v = sqlite3_column_int64(st, 3)) != 0) {
		d->sig = v;
		if (!d->has_sig || v < d->sig_min)
			d->sig_min = v;
		if (!d->has_sig || v > d->sig_max)
			d->sig_max = v;
		d->has_sig = 1;
	}
	if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
		f = sqlite3_column_double(st, 4);
		if (isfinite(f) && fabs(f) < 9e18 && llround(f) != 0) {
			d->freq = llround(f);
			d->has_freq = 1;
		}
	}
	if (sqlite3_column_type(st, 5) != SQLITE_NULL && sqlite3_column_type(st, 6) != SQLITE_NULL) {
		lat = sqlite3_column_double(st, 5);
		lon = sqlite3_column_double(st, 6);
		/* not both 0 (no fix); out of range would be refused by a geo_point */
		if (isfinite(lat) && isfinite(lon) && !(lat == 0 && lon == 0) &&
		    lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
			d->lat = lat;
			d->lon = lon;
			d->has_loc = 1;
			d->has_alt = sqlite3_column_type(st, 7) != SQLITE_NULL &&
			    isfinite(d->alt = sqlite3_column_double(st, 7));
		}
	}
}

static int64_t
window_of(int64_t sec, int64_t w)
{
	int64_t q = sec / w;

	if (sec % w < 0)
		q--;
	return q * w;
}

/* Stream the packets in time order.  KES_EXIT_OK or KES_EXIT_IOERR. */
static int
stream(struct sightings *sg, sqlite3 *db, const char *path, int64_t window)
{
	sqlite3_stmt *st;
	int64_t cur = 0, rowid, sec, w;
	struct sdev *d;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT d.rowid, p.ts_sec, p.ts_usec, p.signal, "
	    "p.frequency, p.lat, p.lon, p.alt FROM packets AS p CROSS JOIN devices AS d "
	    "ON d.phyname = p.phyname AND d.devmac = p.sourcemac "
	    "ORDER BY p.ts_sec, p.ts_usec, p.rowid", -1, &st, NULL) != SQLITE_OK) {
		log_err("%s: sightings: packets: %s", path, sqlite3_errmsg(db));
		return KES_EXIT_OK;
	}
	while (!sig_stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rowid = sqlite3_column_int64(st, 0);
		sec = sqlite3_column_int64(st, 1);
		d = bsearch(&rowid, sg->dev, sg->n, sizeof(*sg->dev), cmp_rowid);
		if (d == NULL)
			continue;	/* a device without a MAC */
		sg->packets++;
		w = window_of(sec, window);
		if (sg->nopen > 0 && w != cur && flush(sg, path) < 0) {
			sqlite3_finalize(st);
			return KES_EXIT_IOERR;
		}
		cur = w;
		if (d->n == 0) {
			d->first_sec = sec;
			d->has_sig = d->has_freq = d->has_loc = d->has_alt = 0;
			sg->open[sg->nopen++] = (size_t)(d - sg->dev);
		}
		add_packet(st, d, sec);
	}
	if (!sig_stop && rc != SQLITE_DONE)
		log_err("%s: sightings: packets: %s", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	/* the last windows, also when stopped by a signal (what was read) */
	return flush(sg, path) < 0 ? KES_EXIT_IOERR : KES_EXIT_OK;
}

int
sightings_run(struct tap *t, sqlite3 *db, const char *path, uint64_t window)
{
	struct sightings sg = {.t = t};
	int rc = KES_EXIT_OK;

	if (load_devices(&sg, db, path) == 0 && sg.n > 0)
		rc = stream(&sg, db, path, (int64_t)window);
	log_info("%s: sightings: %llu packets of %zu devices in %llu records (%llu s windows)",
	    path, (unsigned long long)sg.packets, sg.n, (unsigned long long)sg.records,
	    (unsigned long long)window);
	for (size_t i = 0; i < sg.n; i++) {
		free(sg.dev[i].key);
		free(sg.dev[i].copy);
	}
	free(sg.dev);
	free(sg.open);
	return rc;
}
