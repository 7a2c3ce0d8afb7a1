/*
 * device.c - a Kismet device message -> a device record line (see device.h).
 *
 * Each value is found by its Kismet path "a/b": field-simplified objects
 * carry it as one key (kismet-tap renames every path to itself), full
 * objects as nested objects; a whole-path key wins over the nested form, as
 * a later duplicate key wins over an earlier one (jansson's rule).
 *
 * Unknown is left out (ARCHITECTURE.md section 2, the fixtures' README
 * sections 0 and 7): Kismet answers 0 for a requested field it does not
 * have, "" for an unknown channel, 0 for an unknown frequency, signal type
 * "none" with 0 values without radiotap, "Unknown" as manufacturer, and a
 * garbage avg_loc, so the location comes from location/last only.
 */
#include "device.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

#define BASE	"kismet.device.base."
#define SIGNAL	"kismet.common.signal."
#define LOC	"kismet.common.location."
#define D11	"dot11.device"
#define D11D	"dot11.device."
#define SSIDREC	D11D "last_beaconed_ssid_record"
#define ADV	"dot11.advertisedssid."

/* A key to look for, and what it holds: a field, or an object whose
 * members are looked up in another table. */
enum { T_LASTLOC = -1, T_SIGNAL = -2, T_LOCATION = -3, T_DOT11 = -4, T_SSIDREC = -5 };

struct key {
	const char *name;
	size_t len;
	int what;		/* a DF_ field, or a T_ table */
};

#define K(s, w) { s, sizeof(s) - 1, w }

static const struct key top_keys[] = {
	K(BASE "macaddr", DF_MAC), K(BASE "key", DF_KEY), K(BASE "type", DF_TYPE),
	K(BASE "name", DF_NAME), K(BASE "username", DF_USER), K(BASE "phyname", DF_PHY),
	K(BASE "manuf", DF_MANUF), K(BASE "first_time", DF_FIRST),
	K(BASE "last_time", DF_LAST), K(BASE "channel", DF_CHAN),
	K(BASE "frequency", DF_FREQ), K(BASE "packets.total", DF_PKTS),
	K(BASE "packets.tx_total", DF_TX), K(BASE "packets.rx_total", DF_RX),
	K(BASE "datasize", DF_DSIZE),
	K(BASE "signal/" SIGNAL "type", DF_SIGTYPE),
	K(BASE "signal/" SIGNAL "last_signal", DF_SIG),
	K(BASE "signal/" SIGNAL "last_noise", DF_NOISE),
	K(BASE "signal/" SIGNAL "min_signal", DF_SIGMIN),
	K(BASE "signal/" SIGNAL "max_signal", DF_SIGMAX),
	K(BASE "location/" LOC "loc_fix", DF_LOCFIX),
	K(BASE "location/" LOC "last", T_LASTLOC),
	K(BASE "crypt", DF_CRYPT), K(BASE "seenby", DF_SEENBY),
	K(D11 "/" SSIDREC "/" ADV "ssid", DF_SSID),
	K(D11 "/" SSIDREC "/" ADV "cloaked", DF_CLOAKED),
	K(D11 "/" SSIDREC "/" ADV "dot11e_qbss", DF_QBSS),
	K(D11 "/" SSIDREC "/" ADV "dot11e_channel_utilization_perc", DF_CHANUTIL),
	K(D11 "/" D11D "last_bssid", DF_BSSID),
	K(D11 "/" D11D "num_associated_clients", DF_NCLIENTS),
	K(D11 "/" D11D "wpa_handshake_list", DF_HANDSHAKES),
	K(D11 "/" D11D "associated_client_map", DF_ASSOC),
	K(D11 "/" D11D "client_map", DF_CLIENTS),
	K(D11 "/" D11D "probed_ssid_map", DF_PROBED),
	K(BASE "signal", T_SIGNAL),
	K(BASE "location", T_LOCATION),
	K(D11, T_DOT11),
	{ NULL, 0, 0 }
};
static const struct key signal_keys[] = {
	K(SIGNAL "type", DF_SIGTYPE), K(SIGNAL "last_signal", DF_SIG),
	K(SIGNAL "last_noise", DF_NOISE), K(SIGNAL "min_signal", DF_SIGMIN),
	K(SIGNAL "max_signal", DF_SIGMAX), { NULL, 0, 0 }
};
static const struct key location_keys[] = {
	K(LOC "loc_fix", DF_LOCFIX), K(LOC "last", T_LASTLOC), { NULL, 0, 0 }
};
static const struct key lastloc_keys[] = {
	K(LOC "geopoint", DF_GEO), K(LOC "alt", DF_ALT), K(LOC "fix", DF_FIX),
	{ NULL, 0, 0 }
};
static const struct key dot11_keys[] = {
	K(D11D "last_bssid", DF_BSSID), K(D11D "num_associated_clients", DF_NCLIENTS),
	K(D11D "wpa_handshake_list", DF_HANDSHAKES),
	K(D11D "associated_client_map", DF_ASSOC), K(D11D "client_map", DF_CLIENTS),
	K(D11D "probed_ssid_map", DF_PROBED), K(SSIDREC, T_SSIDREC),
	{ NULL, 0, 0 }
};
static const struct key ssidrec_keys[] = {
	K(ADV "ssid", DF_SSID), K(ADV "cloaked", DF_CLOAKED),
	K(ADV "dot11e_qbss", DF_QBSS),
	K(ADV "dot11e_channel_utilization_perc", DF_CHANUTIL),
	{ NULL, 0, 0 }
};

/* The "fields" list is the whole-path keys: a path's output key is renamed
 * to the path itself (project.c), so these are what comes back. */
size_t
device_paths(unsigned flags, const char **out, size_t cap)
{
	size_t n = 0;

	for (const struct key *k = top_keys; k->name; k++) {
		if ((k->what < 0 && k->what != T_LASTLOC) ||
		    (k->what == DF_PROBED && !(flags & DEVICE_PROBED_SSIDS)))
			continue;	/* containers; the opt-in list */
		if (n < cap)
			out[n] = k->name;
		n++;
	}
	return n;
}

/* The table entry for a key, or NULL.  Kismet never escapes its keys;
 * an escaped one is decoded first. */
static const struct key *
find_key(const struct key *t, const struct jspan *k)
{
	char buf[128];
	const char *s = k->s;
	size_t n = k->n;
	long m;

	if (k->escaped) {
		if ((m = jspan_string(k, buf, sizeof(buf))) < 0)
			return NULL;
		s = buf;
		n = (size_t)m;
	}
	for (; t->name; t++)
		if (t->len == n && memcmp(t->name, s, n) == 0)
			return t;
	return NULL;
}

static int scan_object(struct jscan *js, struct device_view *dv,
    const struct key *table, unsigned char prio);

/* ---- lists, collected in the one pass ---------------------------------- */

_Static_assert(DF_COUNT <= 64, "device_view.overflow has a bit per field");

static void
add_item(struct device_view *dv, int f, const struct jspan *v)
{
	if (dv->n_items == DV_ITEMS) {
		dv->overflow |= 1ull << f;
		return;
	}
	dv->item[dv->n_items] = *v;
	dv->item_of[dv->n_items++] = (unsigned char)f;
}

/* A later, better occurrence of list f replaces what an earlier gave. */
static void
drop_items(struct device_view *dv, int f)
{
	unsigned i, o = 0;

	for (i = 0; i < dv->n_items; i++)
		if (dv->item_of[i] != f) {
			dv->item[o] = dv->item[i];
			dv->item_of[o++] = dv->item_of[i];
		}
	dv->n_items = o;
	dv->overflow &= ~(1ull << f);
	if (f == DF_HANDSHAKES)
		dv->handshakes = 0;
}

/* The value of one element of list f: a seenby or probed-SSID record (its
 * uuid or ssid kept), or a handshake list (its frames counted). */
static int
scan_list_value(struct jscan *js, struct device_view *dv, int f)
{
	const char *want = f == DF_SEENBY ? "kismet.common.seenby.uuid" : "dot11.probedssid.ssid";
	struct jspan k, v;
	int r;

	if (f == DF_HANDSHAKES) {
		if (jscan_peek(js) != JSCAN_ARRAY)
			return jscan_value(js, NULL);
		if (jscan_array(js) < 0)
			return -1;
		while ((r = jscan_element(js)) == 1) {
			if (jscan_value(js, NULL) < 0)
				return -1;
			dv->handshakes++;
		}
		return r;
	}
	if ((f != DF_SEENBY && f != DF_PROBED) || jscan_peek(js) != JSCAN_OBJECT)
		return jscan_value(js, NULL);
	if (jscan_object(js) < 0)
		return -1;
	while ((r = jscan_member(js, &k)) == 1) {
		if (jscan_value(js, &v) < 0)
			return -1;
		if (v.type == JSCAN_STRING && v.n > 0 && jspan_eq(&k, want))
			add_item(dv, f, &v);
	}
	return r;
}

/* A list field: an array or a map, walked (and validated) once; what the
 * record needs of it is kept as items, the whole as its span.  Map keys
 * are the items of the client maps. */
static int
scan_list(struct jscan *js, struct device_view *dv, int f, unsigned char prio)
{
	enum jscan_type t = jscan_peek(js);
	const char *start = (const char *)js->p;
	struct jspan k;
	int r;

	if (prio < dv->prio[f])
		return jscan_value(js, NULL);
	drop_items(dv, f);
	dv->prio[f] = prio;
	if (t != JSCAN_OBJECT && t != JSCAN_ARRAY)	/* Kismet's 0: no list */
		return jscan_value(js, &dv->f[f]);
	if (t == JSCAN_ARRAY) {
		if (jscan_array(js) < 0)
			return -1;
		while ((r = jscan_element(js)) == 1)
			if (scan_list_value(js, dv, f) < 0)
				return -1;
	} else {
		if (jscan_object(js) < 0)
			return -1;
		while ((r = jscan_member(js, &k)) == 1) {
			if (f == DF_ASSOC || f == DF_CLIENTS)
				add_item(dv, f, &k);
			if (scan_list_value(js, dv, f) < 0)
				return -1;
		}
	}
	if (r < 0)
		return -1;
	dv->f[f].s = start;
	dv->f[f].n = (size_t)((const char *)js->p - start);
	dv->f[f].type = t;
	dv->f[f].escaped = 0;
	return 0;
}

static int
is_list(int f)
{
	return f == DF_SEENBY || f == DF_PROBED || f == DF_ASSOC || f == DF_CLIENTS ||
	    f == DF_HANDSHAKES;
}

/* One member's value, the member being looked for (k) or not (NULL). */
static int
scan_member(struct jscan *js, struct device_view *dv, const struct key *k,
    unsigned char prio)
{
	struct jspan v;

	if (k == NULL)
		return jscan_value(js, NULL);
	if (k->what >= 0 && is_list(k->what))
		return scan_list(js, dv, k->what, prio);
	if (k->what >= 0) {
		if (jscan_value(js, &v) < 0)
			return -1;
		if (prio >= dv->prio[k->what]) {
			dv->f[k->what] = v;
			dv->prio[k->what] = prio;
		}
		return 0;
	}
	if (jscan_peek(js) != JSCAN_OBJECT) {	/* Kismet's 0 for "no such field" */
		if (k->what == T_LASTLOC && prio >= dv->loc_prio) {
			dv->loc_prio = prio;
			dv->f[DF_GEO].type = dv->f[DF_ALT].type = dv->f[DF_FIX].type = JSCAN_NONE;
		}
		return jscan_value(js, NULL);
	}
	switch (k->what) {
	case T_SIGNAL:
		return scan_object(js, dv, signal_keys, 1);
	case T_LOCATION:
		return scan_object(js, dv, location_keys, 1);
	case T_DOT11:
		return scan_object(js, dv, dot11_keys, 1);
	case T_SSIDREC:
		return scan_object(js, dv, ssidrec_keys, 1);
	default:	/* T_LASTLOC: one object; a better one replaces it whole */
		if (prio < dv->loc_prio)
			return jscan_value(js, NULL);
		dv->loc_prio = prio;
		dv->f[DF_GEO].type = dv->f[DF_ALT].type = dv->f[DF_FIX].type = JSCAN_NONE;
		dv->prio[DF_GEO] = dv->prio[DF_ALT] = dv->prio[DF_FIX] = 0;
		return scan_object(js, dv, lastloc_keys, prio);
	}
}

/* The members of an object (next value), by table; the rest skipped.
 * prio: 2 at the top level (whole-path keys), 1 inside nested objects. */
static int
scan_object(struct jscan *js, struct device_view *dv, const struct key *table,
    unsigned char prio)
{
	struct jspan k;
	int r;

	if (jscan_object(js) < 0)
		return -1;
	while ((r = jscan_member(js, &k)) == 1) {
		if (scan_member(js, dv, find_key(table, &k), prio) < 0)
			return -1;
	}
	return r;
}

int
device_scan(struct device_view *dv, const char *text, size_t len, const char **why)
{
	struct jscan js;

	memset(dv, 0, sizeof(*dv));
	jscan_init(&js, text, len);
	if (jscan_peek(&js) != JSCAN_OBJECT) {
		if (jscan_value(&js, NULL) == 0 && jscan_end(&js) == 0) {
			*why = "device is not a JSON object";
			return -1;
		}
	} else if (scan_object(&js, dv, top_keys, 2) == 0 && jscan_end(&js) == 0) {
		return 0;
	}
	dv->err = js.err;
	dv->err_off = js.err_off;
	*why = "invalid JSON";
	return -1;
}

/* ---- values ---------------------------------------------------------- */

/* A non-empty string into buf (Kismet's 0 for "not set" is no string). */
static const char *
get_str(const struct device_view *dv, enum device_field f, char *buf, size_t cap)
{
	long n = jspan_string(&dv->f[f], buf, cap);

	return n > 0 ? buf : NULL;
}

static int
get_int(const struct device_view *dv, enum device_field f, int64_t *out)
{
	return jspan_int64(&dv->f[f], out) == 0;
}

int
device_ident(const struct device_view *dv, char *key, size_t keycap, const char **why)
{
	if (get_str(dv, DF_KEY, key, keycap) == NULL &&
	    get_str(dv, DF_MAC, key, keycap) == NULL) {
		*why = "device without a MAC or key";
		return -1;
	}
	return 0;
}

int
device_mac(const char *in, char out[32])
{
	size_t i;
	int nonzero = 0;

	if (in == NULL || *in == '\0')
		return -1;
	for (i = 0; in[i]; i++) {
		if (i >= 31 || !(isxdigit((unsigned char)in[i]) || in[i] == ':'))
			return -1;
		out[i] = (char)tolower((unsigned char)in[i]);
		if (isxdigit((unsigned char)in[i]) && in[i] != '0')
			nonzero = 1;
	}
	out[i] = '\0';
	return nonzero ? 0 : -1;
}

int
device_geo_ok(double lon, double lat, int64_t fix)
{
	return fix >= 2 && isfinite(lon) && isfinite(lat) && !(lon == 0 && lat == 0) &&
	    lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180;
}

int
device_basics(const struct device_view *dv, char mac[32], int64_t *last, const char **why)
{
	char buf[32];

	if (device_mac(get_str(dv, DF_MAC, buf, sizeof(buf)), mac) < 0) {
		*why = "device without a MAC";
		return -1;
	}
	if (!get_int(dv, DF_LAST, last) || *last <= 0) {
		*why = "device without last_time";
		return -1;
	}
	return 0;
}

/* ---- the line ---------------------------------------------------------- */

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
	if (!get_int(dv, DF_FIX, &fix) && !get_int(dv, DF_LOCFIX, &fix))
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
	return get_int(dv, f, v) && *v != 0;
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
		if (get_int(dv, DF_CLOAKED, &v))
			rc |= put_bool_field(o, "ssid_cloaked", v != 0);
	}
	if (get_str(dv, DF_BSSID, bssid, sizeof(bssid)) && device_mac(bssid, mac) == 0)
		rc |= put_str_field(o, "bssid", mac);
	if (jspan_eq(&dv->f[DF_PHY], "IEEE802.11")) {
		if (!get_int(dv, DF_NCLIENTS, &v) || v < 0)
			v = 0;
		rc |= put_int_field(o, "clients", v);
		rc |= put_int_field(o, "wpa_handshakes", dv->handshakes);
	}
	rc |= put_gathered(o, "associated_clients", gather(dv, DF_ASSOC, NULL, &l), &l);
	rc |= put_gathered(o, "connected_bssids", gather(dv, DF_CLIENTS, NULL, &l), &l);
	if (dv->f[DF_SSID].type == JSCAN_STRING && get_int(dv, DF_QBSS, &q) && q == 1 &&
	    get_int(dv, DF_CHANUTIL, &v))
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
	if (get_int(dv, DF_FIRST, &v) && v > 0)
		rc |= put_int_field(o, "first_seen", v);
	rc |= put_int_field(o, "last_seen", last);
	rc |= put_span_field(o, "channel", &dv->f[DF_CHAN]);
	if (get_int(dv, DF_FREQ, &v) && v > 0)
		rc |= put_int_field(o, "frequency", v);
	if (get_int(dv, DF_PKTS, &v) && v >= 0)
		rc |= put_int_field(o, "total_packets", v);
	if (get_int(dv, DF_TX, &v) && v >= 0)
		rc |= put_int_field(o, "tx_packets", v);
	if (get_int(dv, DF_RX, &v) && v >= 0)
		rc |= put_int_field(o, "rx_packets", v);
	if (get_int(dv, DF_DSIZE, &v) && v >= 0)
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
