/*
 * project.c - Kismet JSON -> record contract (ARCHITECTURE.md section 2).
 *
 * Devices are mapped by device.c (text in, line out, no tree); this file
 * holds the field list sent to Kismet, the jansson-facing entry points
 * built on device.c (a NEW_DEVICE payload, tests), --raw, event records and
 * the text format.  Event payloads are small and read with jansson: each
 * value by its Kismet path ("a/b/c"), first as one key, then by walking
 * nested objects.
 */
#include "project.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "timefmt.h"

#define P_MAC		"kismet.device.base.macaddr"
#define P_LAST		"kismet.device.base.last_time"

json_t *
project_fields(unsigned flags)
{
	json_t *a = json_array(), *e;
	const char *paths[DEVICE_MAX_PATHS];
	size_t i, n = device_paths(flags, paths, DEVICE_MAX_PATHS);

	if (a == NULL || n > DEVICE_MAX_PATHS) {
		json_decref(a);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		/* a path's output key would be its last component: rename it to
		 * the whole path so that leaves cannot collide */
		if (strchr(paths[i], '/'))
			e = json_pack("[ss]", paths[i], paths[i]);
		else
			e = json_string(paths[i]);
		if (e == NULL || json_array_append_new(a, e) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* A field name or path: [A-Za-z0-9._-] components joined by single '/'. */
static int
name_valid(const char *s)
{
	size_t comp = 0, n = 0;

	for (; *s; s++, n++) {
		if (*s == '/') {
			if (comp == 0)
				return 0;
			comp = 0;
			continue;
		}
		if (!(isalnum((unsigned char)*s) || *s == '.' || *s == '_' || *s == '-'))
			return 0;
		comp++;
	}
	return comp > 0 && n < 512;
}

int
project_fields_check(const json_t *fields, const char **why)
{
	size_t i;
	json_t *e;

	if (!json_is_array(fields) || json_array_size(fields) == 0) {
		*why = "fields is not a non-empty array";
		return -1;
	}
	json_array_foreach(fields, i, e) {
		if (json_is_string(e)) {
			if (!name_valid(json_string_value(e))) {
				*why = "bad field name";
				return -1;
			}
		} else if (json_is_array(e)) {
			if (json_array_size(e) != 2 ||
			    !json_is_string(json_array_get(e, 0)) ||
			    !json_is_string(json_array_get(e, 1))) {
				*why = "a field pair is not [field, rename]";
				return -1;
			}
			if (!name_valid(json_string_value(json_array_get(e, 0))) ||
			    !name_valid(json_string_value(json_array_get(e, 1)))) {
				*why = "bad field name in a pair";
				return -1;
			}
		} else {
			*why = "a field is neither a name nor a pair";
			return -1;
		}
	}
	return 0;
}

/* Look up a Kismet path: as one (renamed) key, else component by component. */
static json_t *
dget(const json_t *obj, const char *path)
{
	const char *slash;
	json_t *v;
	char comp[128];
	size_t n;

	while (json_is_object(obj)) {
		if ((v = json_object_get(obj, path)) != NULL)
			return v;
		if ((slash = strchr(path, '/')) == NULL)
			return NULL;
		n = (size_t)(slash - path);
		if (n >= sizeof(comp))
			return NULL;
		memcpy(comp, path, n);
		comp[n] = '\0';
		obj = json_object_get(obj, comp);
		path = slash + 1;
	}
	return NULL;
}

/* A non-empty string, else NULL (Kismet's 0 for "not set" included). */
static const char *
get_str(const json_t *obj, const char *path)
{
	json_t *v = dget(obj, path);
	const char *s;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	return *s ? s : NULL;
}

/* A number as an integer; 1 if present. */
static int
get_int(const json_t *obj, const char *path, int64_t *out)
{
	json_t *v = dget(obj, path);

	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return 1;
	}
	if (json_is_real(v) && isfinite(json_real_value(v)) &&
	    fabs(json_real_value(v)) < 9e18) {
		*out = (int64_t)llround(json_real_value(v));
		return 1;
	}
	return 0;
}

static int
get_num(const json_t *obj, const char *path, double *out)
{
	json_t *v = dget(obj, path);

	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return 0;
	*out = json_number_value(v);
	return 1;
}

static int
set_str(json_t *rec, const char *key, const char *val)
{
	return val ? json_object_set_new(rec, key, json_string(val)) : 0;
}

static int
set_time(json_t *rec, int64_t ms)
{
	char ts[TS_ISO_LEN];

	if (ts_format_ms(ts, ms) < 0)
		return -1;
	return json_object_set_new(rec, "timestamp", json_string(ts));
}

/* A device held by jansson, as text for device.c (spans point into it). */
static char *
device_text(const json_t *dev, struct device_view *dv, const char **why)
{
	char *text;

	if (!json_is_object(dev)) {
		*why = "device is not a JSON object";
		return NULL;
	}
	if ((text = json_dumps(dev, JSON_COMPACT)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	if (device_scan(dv, text, strlen(text), why) < 0) {
		free(text);
		return NULL;
	}
	return text;
}

json_t *
project_device(const json_t *dev, const char *sensor, unsigned flags, const char **why)
{
	struct device_view dv;
	struct buf line = { NULL, 0, 0 };
	char *text = device_text(dev, &dv, why);
	json_t *rec = NULL;

	if (text == NULL)
		return NULL;
	if (device_line(&dv, sensor, flags & ~PROJECT_RAW, &line, why) == 0 &&
	    (rec = json_loadb(line.data, line.len, 0, NULL)) == NULL)
		*why = "cannot build the record";
	free(text);
	buf_free(&line);
	return rec;
}

/* Deep copy with '.' in object keys made '_' (Kismet's ekjson). */
static json_t *
ekjson(const json_t *v)
{
	const char *k;
	json_t *out, *e, *c;
	size_t i;
	char kb[256], *kk;

	if (json_is_object(v)) {
		if ((out = json_object()) == NULL)
			return NULL;
		json_object_foreach((json_t *)v, k, e) {
			size_t n = strlen(k);

			kk = n < sizeof(kb) ? kb : malloc(n + 1);
			if (kk == NULL || (c = ekjson(e)) == NULL) {
				if (kk != kb)
					free(kk);
				json_decref(out);
				return NULL;
			}
			for (i = 0; i <= n; i++)
				kk[i] = (char)(k[i] == '.' ? '_' : k[i]);
			json_object_set_new(out, kk, c);
			if (kk != kb)
				free(kk);
		}
		return out;
	}
	if (json_is_array(v)) {
		if ((out = json_array()) == NULL)
			return NULL;
		json_array_foreach(v, i, e) {
			if ((c = ekjson(e)) == NULL || json_array_append_new(out, c) < 0) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	}
	return json_deep_copy(v);
}

json_t *
project_raw(const json_t *dev, const struct device_view *dv, const char *sensor,
    const char **why)
{
	char mac[32];
	int64_t last;
	json_t *rec;

	if (device_basics(dv, mac, &last, why) < 0)
		return NULL;
	if ((rec = ekjson(dev)) == NULL || set_time(rec, last * 1000) < 0 ||
	    set_str(rec, "record_type", "device") < 0 || set_str(rec, "sensor", sensor) < 0) {
		json_decref(rec);
		*why = "cannot build the record";
		return NULL;
	}
	return rec;
}

json_t *
project_event_record(const char *type, json_t *data, const char *mac,
    int64_t ts_ms, const char *sensor)
{
	json_t *rec = json_object();
	int rc = 0;

	if (rec == NULL) {
		json_decref(data);
		return NULL;
	}
	rc |= set_time(rec, ts_ms);
	rc |= set_str(rec, "record_type", "event");
	rc |= set_str(rec, "sensor", sensor);
	rc |= set_str(rec, "event_type", type);
	rc |= set_str(rec, "device_mac", mac);
	if (data)
		rc |= json_object_set_new(rec, "event_data", data);
	if (rc != 0) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* seconds (float) -> ms, when plausible */
static int
secs_ms(double secs, int64_t *ms)
{
	if (!isfinite(secs) || secs <= 0 || secs > 253402300799.0)
		return 0;
	*ms = (int64_t)llround(secs * 1000.0);
	return 1;
}

/* A MAC field of the alert object: lower case, left out when all zero. */
static int
set_mac(json_t *obj, const char *key, const char *val)
{
	char mac[32];

	return device_mac(val, mac) == 0 ? json_object_set_new(obj, key, json_string(mac)) : 0;
}

/* The location of an alert or event payload by the device rules: [lon,
 * lat], a fix of 2 or more, not [0,0]; altitude only with a 3D fix. */
static int
set_location(json_t *rec, const json_t *loc)
{
	json_t *g = dget(loc, "kismet.common.location.geopoint");
	double lon, lat, alt;
	int64_t fix;
	int rc = 0;

	if (!json_is_array(g) || json_array_size(g) != 2 ||
	    !json_is_number(json_array_get(g, 0)) || !json_is_number(json_array_get(g, 1)) ||
	    !get_int(loc, "kismet.common.location.fix", &fix))
		return 0;
	lon = json_number_value(json_array_get(g, 0));
	lat = json_number_value(json_array_get(g, 1));
	if (!device_geo_ok(lon, lat, fix))
		return 0;
	rc |= json_object_set_new(rec, "location", json_pack("{s:f,s:f}", "lat", lat, "lon", lon));
	rc |= json_object_set_new(rec, "latitude", json_real(lat));
	rc |= json_object_set_new(rec, "longitude", json_real(lon));
	if (fix >= 3 && get_num(loc, "kismet.common.location.alt", &alt))
		rc |= json_object_set_new(rec, "altitude", json_real(alt));
	return rc;
}

/* ALERT (section 2b): Kismet's intrusion detection as searchable fields,
 * besides the raw payload in event_data. */
static int
set_alert(json_t *rec, const json_t *a)
{
	json_t *o = json_object();
	const char *ch = get_str(a, "kismet.alert.channel");
	int64_t v;
	int rc = 0;

	if (o == NULL)
		return -1;
	rc |= set_str(o, "header", get_str(a, "kismet.alert.header"));
	rc |= set_str(o, "class", get_str(a, "kismet.alert.class"));
	if (get_int(a, "kismet.alert.severity", &v))
		rc |= json_object_set_new(o, "severity", json_integer((json_int_t)v));
	rc |= set_str(o, "text", get_str(a, "kismet.alert.text"));
	rc |= set_mac(o, "source_mac", get_str(a, "kismet.alert.source_mac"));
	rc |= set_mac(o, "dest_mac", get_str(a, "kismet.alert.dest_mac"));
	rc |= set_mac(o, "transmitter_mac", get_str(a, "kismet.alert.transmitter_mac"));
	rc |= set_mac(o, "other_mac", get_str(a, "kismet.alert.other_mac"));
	if (ch && strcmp(ch, "0") != 0)
		rc |= set_str(o, "channel", ch);
	if (get_int(a, "kismet.alert.frequency", &v) && v != 0)
		rc |= json_object_set_new(o, "frequency", json_integer((json_int_t)v));
	rc |= json_object_set_new(rec, "alert", o);
	return rc | set_location(rec, dget(a, "kismet.alert.location"));
}

json_t *
project_event(const json_t *msg, const char *sensor, unsigned flags, int64_t now_ms,
    const char **why)
{
	const char *k, *type = NULL, *m;
	json_t *v, *payload = NULL, *basedev = NULL, *data = NULL, *rec;
	char mac[32];
	int has_mac = 0;
	int64_t ts = now_ms, s, us;
	double f;

	if (!json_is_object(msg) || json_object_size(msg) == 0) {
		*why = "event is not a JSON object with an event name";
		return NULL;
	}
	json_object_foreach((json_t *)msg, k, v) {
		if (ends_with(k, "_BASEDEV")) {
			basedev = v;
		} else if (type == NULL) {
			type = k;
			payload = v;
		}
	}
	if (type == NULL) {	/* only a BASEDEV key */
		*why = "event without a payload key";
		return NULL;
	}

	if (strcmp(type, "NEW_DEVICE") == 0) {
		if (flags & PROJECT_RAW) {
			struct device_view dv;
			char *text = device_text(payload, &dv, why);

			data = text ? project_raw(payload, &dv, sensor, why) : NULL;
			free(text);
		} else {
			data = project_device(payload, sensor, flags, why);
		}
		if (data == NULL)
			return NULL;
		/* the mapped record carries the lower-case MAC and time */
		if (device_mac(get_str(payload, P_MAC), mac) == 0)
			has_mac = 1;
		if (get_int(payload, P_LAST, &s) && s > 0)
			ts = s * 1000;
	} else {
		if (strcmp(type, "ALERT") == 0) {
			if (get_num(payload, "kismet.alert.timestamp", &f))
				secs_ms(f, &ts);
			m = get_str(payload, "kismet.alert.transmitter_mac");
			has_mac = device_mac(m, mac) == 0;
			if (!has_mac)
				has_mac = device_mac(get_str(payload, "kismet.alert.source_mac"), mac) == 0;
		} else if (strcmp(type, "MESSAGE") == 0) {
			if (get_int(payload, "kismet.messagebus.message_time", &s) && s > 0)
				ts = s * 1000;
		} else if (strcmp(type, "TIMESTAMP") == 0) {
			if (get_int(payload, "kismet.system.timestamp.sec", &s) && s > 0) {
				ts = s * 1000;
				if (get_int(payload, "kismet.system.timestamp.usec", &us) &&
				    us >= 0 && us < 1000000)
					ts += us / 1000;
			}
		} else if (strcmp(type, "GPS_LOCATION") == 0) {
			if (get_int(payload, "kismet.common.location.time_sec", &s) && s > 0) {
				ts = s * 1000;
				if (get_int(payload, "kismet.common.location.time_usec", &us) &&
				    us >= 0 && us < 1000000)
					ts += us / 1000;
			}
		}
		if (!has_mac && basedev)
			has_mac = device_mac(get_str(basedev, P_MAC), mac) == 0;
		data = json_object_size(msg) > 1 ? json_deep_copy(msg) : json_deep_copy(payload);
		if (data == NULL) {
			*why = "out of memory";
			return NULL;
		}
	}
	rec = project_event_record(type, data, has_mac ? mac : NULL, ts, sensor);
	if (rec != NULL && strcmp(type, "ALERT") == 0 && json_is_object(payload) &&
	    set_alert(rec, payload) < 0) {
		json_decref(rec);
		rec = NULL;
	}
	if (rec == NULL)
		*why = "cannot build the event record";
	return rec;
}

/* ---- text format --------------------------------------------------------- */

static const char *
rs(const json_t *rec, const char *k)
{
	const char *s = json_string_value(json_object_get(rec, k));

	return s ? s : "-";
}

static char *
text_line(const json_t *rec, size_t *len)
{
	char *out = NULL, *extra = NULL;
	const json_t *d, *sig, *pk;
	int n;

	if (strcmp(rs(rec, "record_type"), "event") == 0) {
		const char *summary = NULL;

		d = json_object_get(rec, "event_data");
		if (strcmp(rs(rec, "event_type"), "ALERT") == 0)
			summary = json_string_value(json_object_get(d, "kismet.alert.text"));
		else if (strcmp(rs(rec, "event_type"), "MESSAGE") == 0)
			summary = json_string_value(json_object_get(d, "kismet.messagebus.message_string"));
		else if (strcmp(rs(rec, "event_type"), "NEW_DEVICE") == 0)
			summary = json_string_value(json_object_get(d, "name"));
		if (summary == NULL && d != NULL && !json_is_object(json_object_get(d, "timestamp")))
			summary = extra = json_dumps(d, JSON_COMPACT | JSON_ENCODE_ANY);
		n = asprintf(&out, "%s  event   %-17s  %-20s  %.200s\n", rs(rec, "timestamp"),
		    rs(rec, "device_mac"), rs(rec, "event_type"), summary ? summary : "");
	} else {
		char sigbuf[16] = "-", pkbuf[24] = "-";

		sig = json_object_get(rec, "signal_dbm");
		pk = json_object_get(rec, "total_packets");
		if (json_is_integer(sig))
			snprintf(sigbuf, sizeof(sigbuf), "%lld", (long long)json_integer_value(sig));
		if (json_is_integer(pk))
			snprintf(pkbuf, sizeof(pkbuf), "%lld", (long long)json_integer_value(pk));
		n = asprintf(&out, "%s  device  %-17s  %-13s ch %-4s %4s dBm %8s pkts  %s%s%s%s%s%s%s%s%s%s  %s\n",
		    rs(rec, "timestamp"), rs(rec, "mac_addr"), rs(rec, "device_type"),
		    rs(rec, "channel"), sigbuf, pkbuf,
		    json_object_get(rec, "username") ? rs(rec, "username") : rs(rec, "name"),
		    json_object_get(rec, "manufacturer") ? "  " : "",
		    json_object_get(rec, "manufacturer") ? rs(rec, "manufacturer") : "",
		    json_object_get(rec, "ssid") ? "  ssid \"" : "",
		    json_object_get(rec, "ssid") ? rs(rec, "ssid") : "",
		    json_object_get(rec, "ssid") ? "\"" : "",
		    json_object_get(rec, "encryption") ? "  " : "",
		    json_object_get(rec, "encryption") ? rs(rec, "encryption") : "",
		    json_object_get(rec, "bssid") ? "  bssid " : "",
		    json_object_get(rec, "bssid") ? rs(rec, "bssid") : "",
		    json_object_get(rec, "location") ? "[fix]" : "");
	}
	free(extra);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return out;
}

char *
project_line(const json_t *rec, int text, size_t *len)
{
	char *s, *t;
	size_t n;

	if (text)
		return text_line(rec, len);
	/* 16 significant digits: Kismet's 6-decimal coordinates and
	 * microsecond float timestamps print as sent (17 would show
	 * 47.606200000000001) */
	s = json_dumps(rec, JSON_COMPACT | JSON_REAL_PRECISION(16));
	if (s == NULL)
		return NULL;
	n = strlen(s);
	t = realloc(s, n + 2);
	if (t == NULL) {
		free(s);
		return NULL;
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	*len = n + 1;
	return t;
}
