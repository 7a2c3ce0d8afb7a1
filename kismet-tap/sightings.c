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

#include "dbprogress.h"
#include "exitcodes.h"
#include "log.h"
#include "project.h"
#include "sig.h"
#include "timefmt.h"

/* 9999-12-31T23:59:59Z, the last second a record's timestamp can hold */
#define TS_MAX_SEC 253402300799LL

/* The device record keys a sighting copies (the device's final state). */
static const char *const copied[] = {
	"phy_type", "device_type", "manufacturer", "name", "ssid", "encryption",
};

struct sdev {
	int64_t rowid;		/* devices.rowid */
	char *head;		/* "mac_addr":..,"device_key":..,copied keys, as JSON */
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
	struct buf sensor;	/* "sensor":"...", or empty */
	struct buf line;	/* the record being written */
	json_t *real;		/* formats reals as every record does (jansson) */
	uint64_t packets, records;
	uint64_t bad_time;	/* packets skipped: no usable time */
};

static int
cmp_rowid(const void *k, const void *e)
{
	int64_t a = *(const int64_t *)k, b = ((const struct sdev *)e)->rowid;

	return a < b ? -1 : a > b;
}

/* A device's fixed part of its sightings, as JSON members: mac_addr,
 * device_key (devices.devkey) and the copied keys of the device record
 * kismet-tap projects for this row (none when it cannot be projected).
 * malloc'd, or NULL when out of memory. */
static char *
device_head(struct tap *t, const char *mac, const char *key, const void *blob, size_t len,
    struct buf *line)
{
	struct device_view dv;
	const char *why = NULL;
	json_t *rec = NULL, *v;
	struct buf o = {0};
	char *s;
	int rc = 0;

	rc |= buf_append_str(&o, "\"mac_addr\":");
	rc |= buf_append_json(&o, mac, strlen(mac), NULL);
	if (key && *key) {
		rc |= buf_append_str(&o, ",\"device_key\":");
		rc |= buf_append_json(&o, key, strlen(key), NULL);
	}
	if (blob && device_scan(&dv, blob, len, &why) == 0 &&
	    device_line(&dv, t->sensor, tap_record_flags(t->cfg) & ~PROJECT_RAW, line, &why) == 0)
		rec = json_loadb(line->data, line->len, 0, NULL);
	for (size_t i = 0; rec && i < sizeof(copied) / sizeof(copied[0]); i++) {
		if ((v = json_object_get(rec, copied[i])) == NULL)
			continue;
		if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL) {
			rc = -1;
			break;
		}
		rc |= buf_append_str(&o, ",\"");
		rc |= buf_append_str(&o, copied[i]);
		rc |= buf_append_str(&o, "\":");
		rc |= buf_append_str(&o, s);
		free(s);
	}
	json_decref(rec);
	if (rc != 0 || buf_append(&o, "", 1) < 0) {
		buf_free(&o);
		return NULL;
	}
	return o.data;
}

/* The devices of the log, by rowid.  0, or -1 (reported). */
static int
load_devices(struct sightings *sg, sqlite3 *db, const char *path)
{
	sqlite3_stmt *st;
	struct buf line = {0};
	char lmac[32];
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
		if (mac == NULL || device_mac(mac, lmac) < 0)
			continue;	/* no MAC: no device record either */
		d->rowid = sqlite3_column_int64(st, 0);
		d->head = device_head(sg->t, lmac, key, sqlite3_column_blob(st, 3),
		    (size_t)sqlite3_column_bytes(st, 3), &line);
		if (d->head == NULL)
			goto oom;
		sg->n++;
	}
	buf_free(&line);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_err("%s: sightings: devices: %s", path, sqlite3_errmsg(db));
		return -1;
	}
	if (sg->n > 0 && (sg->open = calloc(sg->n, sizeof(*sg->open))) == NULL) {
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

/* A real as jansson prints it in every record (project_line): its length
 * in num, or 0. */
static size_t
real_num(struct sightings *sg, double v, char num[64])
{
	size_t n;

	json_real_set(sg->real, v);
	n = json_dumpb(sg->real, num, 64, JSON_ENCODE_ANY | JSON_REAL_PRECISION(16));
	return n < 64 ? n : 0;
}

/* Append ,"key":number: the integer i, or the real *r. */
static int
put_num(struct sightings *sg, const char *key, int64_t i, const double *r)
{
	char num[64];
	size_t n;

	if (r)
		n = real_num(sg, *r, num);
	else
		n = (size_t)snprintf(num, sizeof(num), "%lld", (long long)i);
	if (n == 0)
		return -1;
	return buf_append(&sg->line, ",\"", 2) | buf_append_str(&sg->line, key) |
	    buf_append(&sg->line, "\":", 2) | buf_append(&sg->line, num, n);
}

/* The sighting line of d's open window into sg->line ('\n' included).
 * 0, or -1 and *why. */
static int
record_line(struct sightings *sg, const struct sdev *d, const char **why)
{
	char ts[TS_ISO_LEN];
	struct buf *o = &sg->line;
	int rc = 0;

	if (ts_format_ms(ts, d->last_ms) < 0) {
		*why = "packet time out of range";
		return -1;
	}
	o->len = 0;
	rc |= buf_append_str(o, "{\"timestamp\":\"");
	rc |= buf_append_str(o, ts);
	rc |= buf_append_str(o, "\",\"record_type\":\"sighting\",");
	rc |= buf_append(o, sg->sensor.data, sg->sensor.len);
	rc |= buf_append_str(o, d->head);
	rc |= put_num(sg, "first_seen", d->first_sec, NULL);
	rc |= put_num(sg, "last_seen", d->last_sec, NULL);
	rc |= put_num(sg, "packets", d->n, NULL);
	if (d->has_sig) {
		rc |= put_num(sg, "signal_dbm", d->sig, NULL);
		rc |= put_num(sg, "signal_min_dbm", d->sig_min, NULL);
		rc |= put_num(sg, "signal_max_dbm", d->sig_max, NULL);
	}
	if (d->has_freq)
		rc |= put_num(sg, "frequency", d->freq, NULL);
	if (d->has_loc) {
		char la[64], lo[64];
		size_t nla = real_num(sg, d->lat, la), nlo = real_num(sg, d->lon, lo);

		rc |= nla == 0 || nlo == 0;
		rc |= buf_append_str(o, ",\"location\":{\"lat\":");
		rc |= buf_append(o, la, nla);
		rc |= buf_append_str(o, ",\"lon\":");
		rc |= buf_append(o, lo, nlo);
		rc |= buf_append(o, "}", 1);
		rc |= put_num(sg, "latitude", 0, &d->lat);
		rc |= put_num(sg, "longitude", 0, &d->lon);
		if (d->has_alt)
			rc |= put_num(sg, "altitude", 0, &d->alt);
	}
	rc |= buf_append(o, "}\n", 2);
	if (rc != 0) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

/* --format text: one readable line (project.c's text lines know devices
 * and events only).  The record is consumed.  0, or -1 when stdout failed. */
static int
put_text(struct tap *t, json_t *rec)
{
	char *line = NULL, sigbuf[16] = "-";
	const json_t *sig;
	const char *name, *type;
	int n, rc;

	/* first: pseudo_json replaces strings (the values read below) */
	if (t->cfg->pseudo && pseudo_json(t->cfg->pseudo, rec) < 0) {
		json_decref(rec);
		tap_bad(t, "output", "out of memory while pseudonymizing a record");
		return 0;
	}
	sig = json_object_get(rec, "signal_dbm");
	name = json_string_value(json_object_get(rec, "name"));
	type = json_string_value(json_object_get(rec, "device_type"));
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

/* Write sg->line: as it is, or through a record (--pseudonymize-macs,
 * --format text).  0, or -1 when stdout failed. */
static int
put_line(struct sightings *sg)
{
	struct tap *t = sg->t;
	json_t *rec;

	if (t->cfg->pseudo == NULL && t->cfg->format != FMT_TEXT)
		return output_put(&t->out, sg->line.data, sg->line.len);
	if ((rec = json_loadb(sg->line.data, sg->line.len, 0, NULL)) == NULL) {
		tap_bad(t, "output", "cannot re-read a sighting");
		return 0;
	}
	return t->cfg->format == FMT_TEXT ? put_text(t, rec) : tap_record(t, rec);
}

/* Write and close every open window.  0, or -1 when stdout failed. */
static int
flush(struct sightings *sg, const char *path)
{
	char where[600];
	const char *why = NULL;
	int rc;

	for (size_t i = 0; i < sg->nopen; i++) {
		struct sdev *d = &sg->dev[sg->open[i]];

		rc = record_line(sg, d, &why);
		d->n = 0;
		if (rc < 0) {
			snprintf(where, sizeof(where), "%s: sighting %llu", path,
			    (unsigned long long)sg->records + 1);
			tap_bad(sg->t, where, why);
			continue;
		}
		sg->records++;
		if (put_line(sg) < 0) {
			sg->nopen = 0;
			return -1;
		}
	}
	sg->nopen = 0;
	return 0;
}

/* Add the packet in the current row to d's window. */
static void
add_packet(sqlite3_stmt *st, struct sdev *d, int64_t sec, int64_t usec)
{
	int64_t v;
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
	int64_t cur = 0, rowid, sec, usec, w;
	struct sdev *d;
	int rc = SQLITE_DONE, ret = KES_EXIT_OK;

	/* the sorter keeps this much in memory before it spills to temporary
	 * files (SQLite sizes it by the page cache); the default 2 MB costs
	 * ~2.5 MB more RSS and gains no speed */
	sqlite3_exec(db, "PRAGMA cache_size = -512", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db, "SELECT d.rowid, p.ts_sec, p.ts_usec, p.signal, "
	    "p.frequency, p.lat, p.lon, p.alt " SIGHTINGS_FROM " "
	    "ORDER BY p.ts_sec, p.ts_usec, p.rowid", -1, &st, NULL) != SQLITE_OK) {
		log_err("%s: sightings: packets: %s", path, sqlite3_errmsg(db));
		return KES_EXIT_DATAERR;
	}
	while (!sig_stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		dbprogress_packet();
		rowid = sqlite3_column_int64(st, 0);
		sec = sqlite3_column_int64(st, 1);
		usec = sqlite3_column_int64(st, 2);
		d = bsearch(&rowid, sg->dev, sg->n, sizeof(*sg->dev), cmp_rowid);
		if (d == NULL)
			continue;	/* a device without a MAC */
		/* a time no record can carry (before 1970, after 9999, no time) */
		if (sqlite3_column_type(st, 1) != SQLITE_INTEGER || sec < 0 || sec > TS_MAX_SEC ||
		    usec < 0 || usec > 999999) {
			sg->bad_time++;
			continue;
		}
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
		add_packet(st, d, sec, usec);
	}
	if (!sig_stop && rc != SQLITE_DONE) {
		log_err("%s: sightings: packets: %s (the sightings before it are written)", path,
		    sqlite3_errmsg(db));
		ret = KES_EXIT_DATAERR;
	}
	sqlite3_finalize(st);
	/* the last windows, also when stopped by a signal or an error (what was read) */
	return flush(sg, path) < 0 ? KES_EXIT_IOERR : ret;
}

int
sightings_run(struct tap *t, sqlite3 *db, const char *path, uint64_t window)
{
	struct sightings sg = {.t = t};
	int rc = KES_EXIT_OK;

	sg.real = json_real(0);
	if (sg.real == NULL || (t->sensor && (buf_append_str(&sg.sensor, "\"sensor\":") < 0 ||
	    buf_append_json(&sg.sensor, t->sensor, strlen(t->sensor), NULL) < 0 ||
	    buf_append(&sg.sensor, ",", 1) < 0))) {
		log_err("%s: sightings: out of memory", path);
		rc = KES_EXIT_SOFTWARE;
	} else if (load_devices(&sg, db, path) < 0) {
		rc = KES_EXIT_DATAERR;
	} else if (sg.n > 0) {
		rc = stream(&sg, db, path, (int64_t)window);
	}
	log_info("%s: sightings: %llu packets of %zu devices in %llu records (%llu s windows)",
	    path, (unsigned long long)sg.packets, sg.n, (unsigned long long)sg.records,
	    (unsigned long long)window);
	if (sg.bad_time > 0)
		log_warn("%s: sightings: %llu packets skipped: no usable time (ts_sec before "
		    "1970 or after 9999, or ts_usec not 0-999999)", path,
		    (unsigned long long)sg.bad_time);
	for (size_t i = 0; i < sg.n; i++)
		free(sg.dev[i].head);
	free(sg.dev);
	free(sg.open);
	buf_free(&sg.sensor);
	buf_free(&sg.line);
	json_decref(sg.real);
	return rc;
}
