/*
 * device.c - reading a Kismet device message into a device_view (see
 * device.h); device_line.c writes the view as the record line.
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
#include <string.h>

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
		if ((flags & DEVICE_PATHS_NOT_WIFI) && strncmp(k->name, D11 "/", sizeof(D11)) == 0)
			continue;
		if ((flags & DEVICE_PATHS_STA) && (k->what == DF_CLOAKED || k->what == DF_QBSS ||
		    k->what == DF_CHANUTIL || k->what == DF_ASSOC))
			continue;
		if (n < cap)
			out[n] = k->name;
		n++;
	}
	return n;
}

/* Why the lean lists lose nothing: the phy is half of the device key, so
 * a device of another phy never grows a dot11.device; device_line() reads
 * cloaked, QBSS and utilization only beside a string SSID (a beaconed
 * record), and Kismet sets num_associated_clients to the size of
 * associated_client_map as it serialises.  The SSID and the client count
 * stay in the STA list: they are how an answer shows the kind changed. */
unsigned
device_paths_lean(const struct device_view *dv)
{
	int64_t n;

	if (dv->f[DF_PHY].type != JSCAN_STRING || dv->f[DF_PHY].n == 0)
		return 0;
	if (!jspan_eq(&dv->f[DF_PHY], "IEEE802.11"))
		return DEVICE_PATHS_NOT_WIFI;
	if (dv->f[DF_SSID].type == JSCAN_STRING || !device_int(dv, DF_NCLIENTS, &n) || n != 0)
		return 0;
	return DEVICE_PATHS_STA;
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
static void drop_items(struct device_view *dv, int f);

/* The table of a container key (T_SIGNAL ... T_SSIDREC). */
static const struct key *
table_of(int what)
{
	switch (what) {
	case T_SIGNAL:	return signal_keys;
	case T_LOCATION: return location_keys;
	case T_DOT11:	return dot11_keys;
	case T_SSIDREC:	return ssidrec_keys;
	default:	return lastloc_keys;
	}
}

/* A container met again replaces the earlier one whole (jansson keeps the
 * last duplicate): forget what its members gave at this priority or less.
 * A priority of 0 is a field never set: nothing to forget. */
static void
forget(struct device_view *dv, const struct key *table, unsigned char prio)
{
	for (const struct key *k = table; k->name; k++) {
		if (k->what == T_LASTLOC) {
			if (dv->loc_prio != 0 && dv->loc_prio <= prio) {
				forget(dv, lastloc_keys, prio);
				dv->loc_prio = 0;
			}
		} else if (k->what < 0) {
			forget(dv, table_of(k->what), prio);
		} else if (dv->prio[k->what] != 0 && dv->prio[k->what] <= prio) {
			memset(&dv->f[k->what], 0, sizeof(dv->f[k->what]));
			dv->prio[k->what] = 0;
			drop_items(dv, k->what);
		}
	}
}

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
	if (k->what != T_LASTLOC) {	/* a container: nested members, prio 1 */
		forget(dv, table_of(k->what), 1);
		if (jscan_peek(js) != JSCAN_OBJECT)	/* Kismet's 0: "no such field" */
			return jscan_value(js, NULL);
		return scan_object(js, dv, table_of(k->what), 1);
	}
	/* location/last: one object; a better one replaces it whole */
	if (prio < dv->loc_prio)
		return jscan_value(js, NULL);
	dv->loc_prio = prio;
	forget(dv, lastloc_keys, prio);
	if (jscan_peek(js) != JSCAN_OBJECT)
		return jscan_value(js, NULL);
	return scan_object(js, dv, lastloc_keys, prio);
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

const char *
device_str(const struct device_view *dv, enum device_field f, char *buf, size_t cap)
{
	long n = jspan_string(&dv->f[f], buf, cap);

	return n > 0 ? buf : NULL;
}

int
device_int(const struct device_view *dv, enum device_field f, int64_t *out)
{
	return jspan_int64(&dv->f[f], out) == 0;
}

int
device_ident(const struct device_view *dv, char *key, size_t keycap, const char **why)
{
	if (device_str(dv, DF_KEY, key, keycap) == NULL &&
	    device_str(dv, DF_MAC, key, keycap) == NULL) {
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

	if (device_mac(device_str(dv, DF_MAC, buf, sizeof(buf)), mac) < 0) {
		*why = "device without a MAC";
		return -1;
	}
	if (!device_int(dv, DF_LAST, last) || *last <= 0) {
		*why = "device without last_time";
		return -1;
	}
	return 0;
}
