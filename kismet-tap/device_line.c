/*
 * device_line.c - a device_view (device.c) written as the device record
 * line, straight into a buffer, no tree: the record contract's fields in
 * its order (ARCHITECTURE.md section 2), then the analyst's (section 2b),
 * each left out when Kismet does not know it.  Lists are written sorted and
 * without repeats.
 */
#include "device.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

/* n bytes that fit: the caller reserved them */
static void
put(struct buf *o, const char *s, size_t n)
{
	memcpy(o->data + o->len, s, n);
	o->len += n;
}

#define PUT_LIT(o, lit) put((o), lit, sizeof(lit) - 1)

/* ,"key": and room for extra more bytes */
static int
put_key(struct buf *o, const char *key, size_t extra)
{
	size_t n = strlen(key);
	char sep = o->len == 0 ? '{' : ',';

	if (buf_reserve(o, n + 4 + extra) < 0)
		return -1;
	o->data[o->len++] = sep;
	o->data[o->len++] = '"';
	put(o, key, n);
	o->data[o->len++] = '"';
	o->data[o->len++] = ':';
	return 0;
}

static int
put_str_field(struct buf *o, const char *key, const char *val)
{
	if (val == NULL)
		return 0;
	return put_key(o, key, 0) < 0 ? -1 : buf_append_json(o, val, strlen(val), NULL);
}

/* A string field straight from the message: an unescaped span is already
 * valid JSON string content. */
static int
put_span_field(struct buf *o, const char *key, const struct jspan *v)
{
	char *buf;
	long n;
	int rc;

	if (v->type != JSCAN_STRING || v->n == 0)
		return 0;
	if (!v->escaped) {
		if (put_key(o, key, v->n + 2) < 0)
			return -1;
		o->data[o->len++] = '"';
		put(o, v->s, v->n);
		o->data[o->len++] = '"';
		return 0;
	}
	if ((buf = malloc(v->n + 1)) == NULL)
		return -1;
	n = jspan_string(v, buf, v->n + 1);
	rc = n > 0 ? put_str_field(o, key, buf) : 0;	/* U+0000 inside: left out */
	free(buf);
	return rc;
}

static int
put_int_field(struct buf *o, const char *key, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%lld", (long long)v);

	if (put_key(o, key, (size_t)n) < 0)
		return -1;
	put(o, num, (size_t)n);
	return 0;
}

/* As jansson prints a real with JSON_REAL_PRECISION(16): Kismet's
 * 6-decimal coordinates come out as sent (17 digits would show
 * 47.606200000000001); ".0" added to integral values, no '+' or leading
 * zeros in the exponent. */
static int
real_text(char *out, size_t cap, double d)
{
	char tmp[40], *e;
	int n = snprintf(tmp, sizeof(tmp), "%.16g", d);
	size_t o = 0;

	if (n < 0 || (size_t)n >= sizeof(tmp) || (size_t)n + 3 > cap)
		return -1;
	if (strpbrk(tmp, ".eE") == NULL) {
		memcpy(tmp + n, ".0", 3);
		n += 2;
	}
	e = strchr(tmp, 'e');
	for (int i = 0; i < n; i++) {
		if (e && tmp + i > e && (tmp[i] == '+' ||
		    (tmp[i] == '0' && (tmp[i - 1] == 'e' || tmp[i - 1] == '-' || tmp[i - 1] == '+') &&
		    i + 1 < n)))
			continue;
		out[o++] = tmp[i];
	}
	out[o] = '\0';
	return (int)o;
}

static int
put_real_field(struct buf *o, const char *key, double v)
{
	char num[48];
	int n = real_text(num, sizeof(num), v);

	if (n < 0 || put_key(o, key, (size_t)n) < 0)
		return -1;
	put(o, num, (size_t)n);
	return 0;
}

/* location/last: [lon, lat], fix >= 2, not [0,0], in range. */
static int
put_location(struct buf *o, const struct device_view *dv)
{
	const struct jspan *g = &dv->f[DF_GEO];
	struct jscan js;
	struct jspan c[2];
	double lon, lat, alt;
	int64_t fix;
	char a[48], b[48];
	int n = 0, r, na, nb;

	if (g->type != JSCAN_ARRAY)
		return 0;
	jscan_init(&js, g->s, g->n);	/* already validated */
	jscan_array(&js);
	while ((r = jscan_element(&js)) == 1) {
		if (n == 2 || jscan_value(&js, &c[n]) < 0 || c[n].type != JSCAN_NUMBER)
			return 0;
		n++;
	}
	if (r < 0 || n != 2 || jspan_double(&c[0], &lon) < 0 || jspan_double(&c[1], &lat) < 0)
		return 0;
	if (!device_int(dv, DF_FIX, &fix) && !device_int(dv, DF_LOCFIX, &fix))
		return 0;
	if (!device_geo_ok(lon, lat, fix))
		return 0;
	if ((na = real_text(a, sizeof(a), lat)) < 0 || (nb = real_text(b, sizeof(b), lon)) < 0 ||
	    put_key(o, "location", (size_t)(na + nb) + 16) < 0)
		return -1;
	PUT_LIT(o, "{\"lat\":");
	put(o, a, (size_t)na);
	PUT_LIT(o, ",\"lon\":");
	put(o, b, (size_t)nb);
	o->data[o->len++] = '}';
	if (put_real_field(o, "latitude", lat) < 0 || put_real_field(o, "longitude", lon) < 0)
		return -1;
	/* altitude only with a 3D fix: a 2D fix reports 0 */
	if (fix >= 3 && jspan_double(&dv->f[DF_ALT], &alt) == 0 && isfinite(alt))
		return put_real_field(o, "altitude", alt);
	return 0;
}

/* ---- section 2b: values inside maps and lists ------------------------- */

/* The elements of an array or the member values of an object, alike. */
struct each {
	struct jscan js;
	int obj;
};

static int
each_begin(struct each *e, const struct jspan *c)
{
	if (c->type != JSCAN_OBJECT && c->type != JSCAN_ARRAY)
		return -1;
	jscan_init(&e->js, c->s, c->n);
	e->js.flags = JSCAN_TRUSTED;	/* device_scan validated it */
	e->obj = c->type == JSCAN_OBJECT;
	return e->obj ? jscan_object(&e->js) : jscan_array(&e->js);
}

/* 1: a value follows (its key in *key for an object), 0: the end, -1. */
static int
each_next(struct each *e, struct jspan *key)
{
	if (e->obj)
		return jscan_member(&e->js, key);
	key->type = JSCAN_NONE;
	return jscan_element(&e->js);
}

/* A per-record set of strings, written sorted and without repeats. */
struct strset {
	char **v;
	size_t n, cap;
};

static int
strset_add(struct strset *l, const char *s)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		char **nv = realloc(l->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	if ((l->v[l->n] = strdup(s)) == NULL)
		return -1;
	l->n++;
	return 0;
}

static void
strset_free(struct strset *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add a MAC-keyed map's key, lower case (all-zero and non-MAC keys are
 * left out), or a list member's string. */
static int
add_text(struct strset *out, const struct jspan *k, int is_mac)
{
	char raw[1024], mac[32];

	if (jspan_string(k, raw, sizeof(raw)) <= 0)
		return 0;
	if (!is_mac)
		return strset_add(out, raw);
	return device_mac(raw, mac) == 0 ? strset_add(out, mac) : 0;
}

/* List f's strings (the member name of each element, or the map's keys
 * when name is NULL): the items the scan kept, or, for a list too long for
 * them, a second walk over its span. */
static int
gather(const struct device_view *dv, int f, const char *name, struct strset *out)
{
	struct each e;
	struct jspan k, v;
	unsigned i;
	int r;

	if (!(dv->overflow & (1ull << f))) {
		for (i = 0; i < dv->n_items; i++)
			if (dv->item_of[i] == f && add_text(out, &dv->item[i], name == NULL) < 0)
				return -1;
		return 0;
	}
	if (each_begin(&e, &dv->f[f]) < 0)
		return 0;
	while ((r = each_next(&e, &k)) == 1) {
		if (name == NULL) {
			if (add_text(out, &k, 1) < 0 || jscan_value(&e.js, NULL) < 0)
				return -1;
			continue;
		}
		if (jscan_peek(&e.js) != JSCAN_OBJECT) {
			if (jscan_value(&e.js, NULL) < 0)
				return -1;
			continue;
		}
		if (jscan_object(&e.js) < 0)
			return -1;
		while ((r = jscan_member(&e.js, &k)) == 1) {
			if (jscan_value(&e.js, &v) < 0)
				return -1;
			if (v.type == JSCAN_STRING && jspan_eq(&k, name) && add_text(out, &v, 0) < 0)
				return -1;
		}
		if (r < 0)
			return -1;
	}
	return r < 0 ? -1 : 0;
}

/* ,"key":["a","b"] sorted, repeats dropped; nothing for an empty set. */
static int
put_strset(struct buf *o, const char *key, struct strset *l)
{
	size_t i;
	int first = 1;

	if (l->n == 0)
		return 0;
	qsort(l->v, l->n, sizeof(*l->v), cmp_str);
	if (put_key(o, key, 1) < 0)
		return -1;
	o->data[o->len++] = '[';
	for (i = 0; i < l->n; i++) {
		if (i > 0 && strcmp(l->v[i], l->v[i - 1]) == 0)
			continue;
		if ((!first && buf_append(o, ",", 1) < 0) ||
		    buf_append_json(o, l->v[i], strlen(l->v[i]), NULL) < 0)
			return -1;
		first = 0;
	}
	return buf_append(o, "]", 1);
}

/* The list a gather function makes, as a field. */
static int
put_gathered(struct buf *o, const char *key, int gathered, struct strset *l)
{
	int rc = gathered < 0 ? -1 : put_strset(o, key, l);

	strset_free(l);
	return rc;
}

static int
put_bool_field(struct buf *o, const char *key, int v)
{
	if (put_key(o, key, 5) < 0)
		return -1;
	if (v)
		PUT_LIT(o, "true");
	else
		PUT_LIT(o, "false");
	return 0;
}

/* A signal value by the signal_dbm rule: known type, not 0. */
static int
signal_value(const struct device_view *dv, enum device_field f, int64_t *v)
{
	const struct jspan *st = &dv->f[DF_SIGTYPE];

	if (st->type == JSCAN_STRING && st->n > 0 && jspan_eq(st, "none"))
		return 0;
	return device_int(dv, f, v) && *v != 0;
}

/* Section 2b: Wi-Fi identity, client relations, radios. */
static int
put_wifi(struct buf *o, const struct device_view *dv, unsigned flags)
{
	struct strset l = { NULL, 0, 0 };
	char mac[32], bssid[64];
	int64_t v, q;
	int rc = 0;

	rc |= put_span_field(o, "encryption", &dv->f[DF_CRYPT]);
	/* a string SSID (empty when cloaked) is how a beaconed-SSID record
	 * shows; a client has none (its path comes back as 0) */
	if (dv->f[DF_SSID].type == JSCAN_STRING) {
		rc |= put_span_field(o, "ssid", &dv->f[DF_SSID]);
		if (device_int(dv, DF_CLOAKED, &v))
			rc |= put_bool_field(o, "ssid_cloaked", v != 0);
	}
	if (device_str(dv, DF_BSSID, bssid, sizeof(bssid)) && device_mac(bssid, mac) == 0)
		rc |= put_str_field(o, "bssid", mac);
	if (jspan_eq(&dv->f[DF_PHY], "IEEE802.11")) {
		if (!device_int(dv, DF_NCLIENTS, &v) || v < 0)
			v = 0;
		rc |= put_int_field(o, "clients", v);
		rc |= put_int_field(o, "wpa_handshakes", dv->handshakes);
	}
	rc |= put_gathered(o, "associated_clients", gather(dv, DF_ASSOC, NULL, &l), &l);
	rc |= put_gathered(o, "connected_bssids", gather(dv, DF_CLIENTS, NULL, &l), &l);
	if (dv->f[DF_SSID].type == JSCAN_STRING && device_int(dv, DF_QBSS, &q) && q == 1 &&
	    device_int(dv, DF_CHANUTIL, &v))
		rc |= put_int_field(o, "channel_utilization", v);
	rc |= put_gathered(o, "seen_by", gather(dv, DF_SEENBY, "kismet.common.seenby.uuid", &l), &l);
	if (flags & DEVICE_PROBED_SSIDS)
		rc |= put_gathered(o, "probed_ssids", gather(dv, DF_PROBED, "dot11.probedssid.ssid", &l), &l);
	return rc;
}

int
device_line(const struct device_view *dv, const char *sensor, unsigned flags,
    struct buf *o, const char **why)
{
	char mac[32], ts[TS_ISO_LEN];
	int64_t v, last, sig = 0, noise = 0;
	int has_sig, has_noise, rc = 0;

	if (device_basics(dv, mac, &last, why) < 0)
		return -1;
	o->len = 0;
	if (ts_format_ms(ts, last * 1000) < 0) {
		*why = "last_time out of range";
		return -1;
	}
	rc |= put_str_field(o, "timestamp", ts);
	rc |= put_str_field(o, "record_type", "device");
	rc |= put_str_field(o, "sensor", sensor);
	rc |= put_str_field(o, "mac_addr", mac);
	rc |= put_span_field(o, "device_key", &dv->f[DF_KEY]);
	rc |= put_span_field(o, "device_type", &dv->f[DF_TYPE]);
	rc |= put_span_field(o, "name", &dv->f[DF_NAME]);
	rc |= put_span_field(o, "username", &dv->f[DF_USER]);
	rc |= put_span_field(o, "phy_type", &dv->f[DF_PHY]);
	if (!jspan_eq(&dv->f[DF_MANUF], "Unknown"))
		rc |= put_span_field(o, "manufacturer", &dv->f[DF_MANUF]);
	if (device_int(dv, DF_FIRST, &v) && v > 0)
		rc |= put_int_field(o, "first_seen", v);
	rc |= put_int_field(o, "last_seen", last);
	rc |= put_span_field(o, "channel", &dv->f[DF_CHAN]);
	if (device_int(dv, DF_FREQ, &v) && v > 0)
		rc |= put_int_field(o, "frequency", v);
	if (device_int(dv, DF_PKTS, &v) && v >= 0)
		rc |= put_int_field(o, "total_packets", v);
	if (device_int(dv, DF_TX, &v) && v >= 0)
		rc |= put_int_field(o, "tx_packets", v);
	if (device_int(dv, DF_RX, &v) && v >= 0)
		rc |= put_int_field(o, "rx_packets", v);
	if (device_int(dv, DF_DSIZE, &v) && v >= 0)
		rc |= put_int_field(o, "data_size", v);
	/* a signal type that is a string and "none": no radiotap, values 0 */
	has_sig = signal_value(dv, DF_SIG, &sig);
	has_noise = signal_value(dv, DF_NOISE, &noise);
	if (has_sig)
		rc |= put_int_field(o, "signal_dbm", sig);
	if (has_noise)
		rc |= put_int_field(o, "noise_dbm", noise);
	if (has_sig && has_noise)
		rc |= put_int_field(o, "snr_db", sig - noise);
	if (signal_value(dv, DF_SIGMIN, &v))
		rc |= put_int_field(o, "signal_min_dbm", v);
	if (signal_value(dv, DF_SIGMAX, &v))
		rc |= put_int_field(o, "signal_max_dbm", v);
	rc |= put_location(o, dv);
	rc |= put_wifi(o, dv, flags);
	if (rc != 0 || buf_reserve(o, 3) < 0) {
		*why = "out of memory";
		return -1;
	}
	o->data[o->len++] = '}';
	o->data[o->len++] = '\n';
	o->data[o->len] = '\0';
	return 0;
}
