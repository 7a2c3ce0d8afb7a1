/*
 * sync.c - the live device request sequence (see sync.h and poll.c's
 * header for the Kismet facts behind it).
 *
 * Each cycle, at server time `now` (taken before its first request):
 *  1. fast scan: the view with light fields (key, packets.total, mod_time)
 *     and last_time >= base - margin, where base is the server time before
 *     the last complete cycle and margin covers the measured packet-time
 *     lag; paged, at most SYNC_PAGE_MAX devices an answer;
 *  2. sweep: while one runs, a few light pages (the same and an AP's
 *     client count) of the whole view, spread so that the whole view is
 *     read once per --resync: counters that move without a new last_time
 *     (a device that only receives) are found there, and so is a change
 *     whose packet time lagged beyond the margin;
 *  3. fetch: the devices whose packets.total, mod_time or client count
 *     differs from the committed state, through multikey in batches of at
 *     most SYNC_PAGE_MAX keys, each to tap_device_checked(): whole
 *     (project_fields()) when new or an AP, else with the lean list their
 *     last fetch allowed (device_paths_lean(): a Wi-Fi client is not asked
 *     for beacon and associated-client fields, a non-Wi-Fi device for no
 *     dot11 field); a lean answer showing a new kind is held back and
 *     asked again whole in the same cycle;
 *  4. commit: only when every request succeeded are the scanned states
 *     stored and base moved to now.  A failure (Kismet down, restarted
 *     between two requests) commits nothing and restarts the sweep, so the
 *     next cycle asks again from the same base.
 * The first cycle (first full sync) is a sweep of every page at once.
 *
 * The margin: a device's packet time p is floor(m - lag) for a packet
 * handled at server time m > base, so p >= base - ceil(lag), and a sample
 * mod_time - last_time (mod_time scanned, last_time fetched) is at most
 * ceil(lag).  The margin is the 99th percentile of the samples of the last
 * one to two minutes, plus one: a percentile, because a device that
 * received (mod_time moved, last_time not) right after it sent gives a
 * sample larger than any lag; what a lag beyond the margin hides from the
 * fast scan the sweep still finds.
 */
#include "sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "project.h"
#include "timefmt.h"

static const char VIEW[] = "/devices/views/all/devices.json";
static const char MULTIKEY[] = "/devices/multikey/devices.json";

#define LAG_WINDOW 60		/* s of server time per lag histogram */
#define SWEEP_MIN_LEN 500	/* devices a sweep page asks for at least */

int
sync_init(struct sync *s)
{
	memset(s, 0, sizeof(*s));
	return lightmap_init(&s->lm);
}

void
sync_free(struct sync *s)
{
	lightmap_free(&s->lm);
	free(s->pend);
	memset(s, 0, sizeof(*s));
}

/* The light field list, renamed short; checked like every list sent:
 * key, packets.total and mod_time (the recordings hold device states whose
 * last_time moved while packets.total did not: the packet count alone is
 * not enough); sweeps also an AP's client count (the recordings hold an AP
 * whose associated_client_map grew while its mod_time, last_time and
 * packets stayed: Kismet adds a client to its AP without touching the AP,
 * so no fast scan would find it anyway). */
static json_t *
light_fields(int fast, const char **why)
{
	json_t *a = json_pack("[[ss][ss][ss]]", "kismet.device.base.key", "k",
	    "kismet.device.base.packets.total", "p", "kismet.device.base.mod_time", "m");

	if (a && !fast &&
	    json_array_append_new(a, json_pack("[ss]",
	    "dot11.device/dot11.device.num_associated_clients", "c")) < 0) {
		json_decref(a);
		a = NULL;
	}
	if (a == NULL) {
		*why = "out of memory";
		return NULL;
	}
	if (project_fields_check(a, why) < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* A device key as Kismet prints it (and parses it in multikey: one bad key
 * fails the whole request): 16 hex digits, '_', 1 to 16 hex digits. */
static int
key_ok(const char *k)
{
	size_t i, n;

	for (i = 0; i < 16; i++)
		if (k[i] == '\0' || !strchr("0123456789ABCDEFabcdef", k[i]))
			return 0;
	if (k[16] != '_')
		return 0;
	for (n = 0, k += 17; k[n]; n++)
		if (!strchr("0123456789ABCDEFabcdef", k[n]))
			return 0;
	return n >= 1 && n <= 16;
}

int64_t
sync_margin(const struct sync *s, const struct config *cfg)
{
	uint64_t n = (uint64_t)s->lag_n[0] + s->lag_n[1], want, sum = 0;
	int64_t cap = (int64_t)cfg->overlap, m;

	if (n == 0)
		return cap;	/* nothing measured yet: the fixed overlap */
	want = (n * 99 + 99) / 100;
	for (m = 0; m < SYNC_LAG_BINS - 1; m++) {
		sum += (uint64_t)s->lag_hist[0][m] + s->lag_hist[1][m];
		if (sum >= want)
			break;
	}
	m += 1;			/* one second of safety */
	if (m < 2)
		m = 2;
	return m > cap ? cap : m;
}

static void
lag_sample(struct sync *s, int64_t lag)
{
	s->lag_hist[0][lag < SYNC_LAG_BINS - 1 ? lag : SYNC_LAG_BINS - 1]++;
	s->lag_n[0]++;
}

static int
pend_add(struct sync *s, const char *key, json_int_t pk, json_int_t m, json_int_t c,
    const struct light *l)
{
	struct sync_pend *e;

	if (s->npend == s->cappend) {
		size_t ncap = s->cappend ? s->cappend * 2 : 1024;
		struct sync_pend *np = realloc(s->pend, ncap * sizeof(*np));

		if (np == NULL)
			return -1;
		s->pend = np;
		s->cappend = ncap;
	}
	e = &s->pend[s->npend++];
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->packets = (uint32_t)(uint64_t)pk;
	e->mod_time = (uint32_t)(uint64_t)m;
	e->clients = (uint32_t)(uint64_t)c;
	e->last_time = l->last_time;
	e->lean = l->known ? l->lean : 0;
	e->ask = e->lean;
	e->again = 0;
	return 0;
}

/* One light entry of a scan.  A fast scan has no client count: it keeps
 * the known one (the sweep compares it). */
static int
light_entry(struct sync *s, struct tap *t, const json_t *e, int fast)
{
	const char *key = json_string_value(json_object_get(e, "k"));
	json_int_t pk = json_integer_value(json_object_get(e, "p"));
	json_t *mv = json_object_get(e, "m");
	json_int_t m = json_integer_value(mv), c;
	struct light *l;

	t->st.scanned++;
	if (key == NULL || !key_ok(key)) {
		tap_bad(t, "poll", key ? "light scan: a device key Kismet would not take back" :
		    "light scan: device without a key");
		return 0;
	}
	if ((l = lightmap_get(&s->lm, key)) == NULL)
		return -1;
	c = fast ? (json_int_t)l->clients : json_integer_value(json_object_get(e, "c"));
	if (l->known && l->packets == (uint32_t)(uint64_t)pk && json_is_integer(mv) &&
	    l->mod_time == (uint32_t)(uint64_t)m && l->clients == (uint32_t)(uint64_t)c)
		return 0;
	if (l->pend == s->cycle)
		return 0;
	l->pend = s->cycle;
	return pend_add(s, key, pk, m, c, l);
}

/* One light page; *last_page and s->total from the answer. */
static int
scan_page(struct sync *s, struct poller *p, struct tap *t, int64_t since, unsigned page,
    unsigned len, int fast, unsigned long *last_page)
{
	char path[160];
	const char *why = NULL;
	json_t *body, *ans = NULL, *data, *e;
	size_t i;
	int rc;

	body = json_object();
	if (body == NULL || json_object_set_new(body, "fields", light_fields(fast, &why)) < 0) {
		json_decref(body);
		snprintf(p->why, sizeof(p->why), "internal: light field list rejected: %s",
		    why ? why : "out of memory");
		return POLL_DOWN;
	}
	if (since > 0)
		json_object_set_new(body, "last_time", json_integer((json_int_t)since));
	snprintf(path, sizeof(path), "%s?page=%u&length=%u", VIEW, page, len);
	rc = poller_post_json(p, path, body, &ans);
	json_decref(body);
	if (rc != POLL_OK)
		return rc;
	/* paged: {"data": [...], "last_page": pages, "total_row": devices} */
	if (json_is_array(ans)) {
		data = ans;
		*last_page = 1;
	} else {
		data = json_object_get(ans, "data");
		*last_page = (unsigned long)json_integer_value(json_object_get(ans, "last_page"));
		s->total = (size_t)json_integer_value(json_object_get(ans, "total_row"));
	}
	if (!json_is_array(data)) {
		snprintf(p->why, sizeof(p->why), "%s: the answer holds no device list", VIEW);
		json_decref(ans);
		return POLL_DOWN;
	}
	json_array_foreach(data, i, e) {
		if (light_entry(s, t, e, fast) < 0) {
			snprintf(p->why, sizeof(p->why), "out of memory in the light table");
			json_decref(ans);
			return POLL_DOWN;
		}
	}
	json_decref(ans);
	return POLL_OK;
}

/* Every page of a light scan. */
static int
scan_all(struct sync *s, struct poller *p, struct tap *t, int64_t since, int fast)
{
	unsigned long last = 0;
	unsigned page = 0;
	int rc;

	do {
		if ((rc = scan_page(s, p, t, since, page, SYNC_PAGE_MAX, fast, &last)) != POLL_OK)
			return rc;
	} while (++page < last);	/* a page past the end would be page 0 again */
	return POLL_OK;
}

/* This cycle's share of the sweep.  Scheduled on the local clock (ms): the
 * sweep must go on when the server clock stands still or jumps. */
static int
sweep_step(struct sync *s, struct poller *p, struct tap *t, const struct config *cfg)
{
	double span = cfg->resync * 0.8 * 1000;	/* finish early: margin for the next one */
	int64_t now = ts_now_ms();
	unsigned long polls, todo, n, last;
	int rc;

	if (!s->sweeping) {
		if (s->sweep_start != 0 && now - s->sweep_start < (int64_t)(cfg->resync * 1000))
			return POLL_OK;
		polls = (unsigned long)(span / (cfg->update_rate * 1000));
		if (polls < 1)
			polls = 1;
		n = (s->total + polls - 1) / polls;
		s->sweep_len = (unsigned)(n < SWEEP_MIN_LEN ? SWEEP_MIN_LEN :
		    n > SYNC_PAGE_MAX ? SYNC_PAGE_MAX : n);
		s->sweep_pages = (s->total + s->sweep_len - 1) / s->sweep_len;
		s->sweep_page = 0;
		s->sweep_start = now;
		s->sweeping = 1;
	}
	if ((double)(now - s->sweep_start) >= span)
		polls = 1;	/* late: the rest now */
	else
		polls = (unsigned long)(((double)(s->sweep_start - now) + span) /
		    (cfg->update_rate * 1000)) + 1;
	todo = s->sweep_pages > s->sweep_page ? s->sweep_pages - s->sweep_page : 1;
	todo = (todo + polls - 1) / polls;
	for (n = 0; n < todo && s->sweeping; n++) {
		log_debug("poll: sweep page %u of %lu, %u devices a page (light fields, last_time >= 0)",
		    s->sweep_page + 1, s->sweep_pages, s->sweep_len);
		if ((rc = scan_page(s, p, t, 0, s->sweep_page, s->sweep_len, 0, &last)) != POLL_OK)
			return rc;
		s->sweep_pages = last;
		if (++s->sweep_page >= last)
			s->sweeping = 0;
	}
	return POLL_OK;
}

/* One multikey request: its pending devices (indices into s->pend, in
 * request order) and the field list asked. */
struct batch {
	struct sync *s;
	struct tap *t;
	const size_t *idx;
	size_t n, cur;
	unsigned ask;
};

/* The pending entry of a fetched key: Kismet answers in request order and
 * skips unknown keys, so the next match from the cursor is it; any order
 * would still be found (a full pass). */
static struct sync_pend *
batch_entry(struct batch *b, const char *key)
{
	size_t i, j;

	for (j = 0; j < b->n; j++) {
		i = (b->cur + j) % b->n;
		if (strcasecmp(b->s->pend[b->idx[i]].key, key) == 0) {
			b->cur = i + 1;
			return &b->s->pend[b->idx[i]];
		}
	}
	return NULL;
}

/* A fetched device, read, before it is written: its pending entry, the
 * lag, what the next fetch may ask; held back when a lean answer shows a
 * new kind (what the lean list left out is then missing from it). */
static int
fetched(void *arg, const struct device_view *dv)
{
	struct batch *b = arg;
	struct sync *s = b->s;
	struct sync_pend *e;
	const struct light *l;
	char key[64];
	int64_t lt, nc;
	unsigned lean = device_paths_lean(dv);

	e = device_str(dv, DF_KEY, key, sizeof(key)) ? batch_entry(b, key) : NULL;
	if ((b->ask & ~lean) != 0) {
		if (e != NULL)
			e->again = 1;
		else
			log_debug("poll: a lean answer for a device not asked for: skipped");
		return 0;
	}
	if (e == NULL)
		return 1;	/* tap_device_checked() reports what it lacks */
	e->lean = (unsigned char)lean;
	if (device_int(dv, DF_NCLIENTS, &nc) && nc >= 0 && nc <= UINT32_MAX)
		e->clients = (uint32_t)nc;
	if (!device_int(dv, DF_LAST, &lt) || lt <= 0 || lt > UINT32_MAX)
		return 1;
	/* the lag of a device whose packet time moved (a device that only
	 * received keeps its last_time: its mod_time says nothing); mod_time as
	 * scanned, last_time as fetched a moment later: a packet in between
	 * makes it larger than mod_time, and no sample */
	l = lightmap_find(&s->lm, e->key);
	if (s->synced && l != NULL && (int64_t)e->mod_time >= lt &&
	    (!l->known || (l->last_time != 0 && l->last_time != (uint32_t)lt)))
		lag_sample(s, (int64_t)e->mod_time - lt);
	e->last_time = (uint32_t)lt;
	return 1;
}

static int
on_fetched(void *arg, const char *json, size_t len)
{
	struct batch *b = arg;

	return tap_device_checked(b->t, json, len, "poll", fetched, b);
}

static int
fetch_batch(struct sync *s, struct poller *p, struct tap *t, const size_t *idx, size_t n,
    unsigned ask)
{
	struct batch b = { s, t, idx, n, 0, ask };
	json_t *body = json_object(), *keys = json_array();
	size_t j;
	int rc;

	if (body == NULL || keys == NULL || json_object_set_new(body, "devices", keys) < 0) {
		json_decref(body);
		snprintf(p->why, sizeof(p->why), "out of memory");
		return POLL_DOWN;
	}
	for (j = 0; j < n; j++)
		json_array_append_new(keys, json_string(s->pend[idx[j]].key));
	log_debug("poll: fetching %zu changed devices (%s field list)", n,
	    ask & DEVICE_PATHS_NOT_WIFI ? "non-Wi-Fi" : ask & DEVICE_PATHS_STA ? "Wi-Fi client" :
	    "whole");
	if ((rc = poller_add_fields(p, body, ask)) == POLL_OK)
		rc = poller_post_devices(p, MULTIKEY, body, on_fetched, &b);
	json_decref(body);
	return rc;
}

/* The pending devices that asked for this list (again: those a lean
 * answer held back, asked whole) in multikey batches of at most cap keys. */
static int
fetch_group(struct sync *s, struct poller *p, struct tap *t, size_t *idx, size_t cap,
    unsigned ask, int again)
{
	size_t i, n = 0;
	int rc = POLL_OK;

	for (i = 0; i < s->npend && rc == POLL_OK; i++) {
		if (again ? !s->pend[i].again : s->pend[i].ask != ask)
			continue;
		s->pend[i].again = 0;
		idx[n++] = i;
		if (n == cap) {
			rc = fetch_batch(s, p, t, idx, n, ask);
			n = 0;
		}
	}
	if (n > 0 && rc == POLL_OK)
		rc = fetch_batch(s, p, t, idx, n, ask);
	return rc;
}

/* The pending devices, a field list a batch: whole for new devices and
 * APs, lean for a kind that answers the rest with 0 (device_paths_lean());
 * then, whole, the few a lean answer showed to have changed kind.  --raw
 * asks whole objects. */
static int
fetch(struct sync *s, struct poller *p, struct tap *t)
{
	static const unsigned asks[] = { 0, DEVICE_PATHS_STA, DEVICE_PATHS_NOT_WIFI };
	size_t cap = s->npend < SYNC_PAGE_MAX ? s->npend : SYNC_PAGE_MAX, i, k, n = 0;
	size_t *idx;
	int rc = POLL_OK;

	if (s->npend == 0)
		return POLL_OK;
	if ((idx = malloc(cap * sizeof(*idx))) == NULL) {
		snprintf(p->why, sizeof(p->why), "out of memory");
		return POLL_DOWN;
	}
	if (t->cfg->raw)
		for (i = 0; i < s->npend; i++)
			s->pend[i].ask = 0;
	for (k = 0; k < sizeof(asks) / sizeof(asks[0]) && rc == POLL_OK; k++)
		rc = fetch_group(s, p, t, idx, cap, asks[k], 0);
	for (i = 0; i < s->npend; i++)
		n += s->pend[i].again;
	if (n > 0 && rc == POLL_OK) {
		log_debug("poll: %zu devices changed kind (a lean answer showed an SSID "
		    "or clients): asked again whole", n);
		rc = fetch_group(s, p, t, idx, cap, 0, 1);
	}
	free(idx);
	return rc;
}

int
sync_cycle(struct sync *s, struct poller *p, struct tap *t, const struct config *cfg, int64_t now)
{
	size_t i;
	int rc;

	if (++s->cycle == 0)
		s->cycle = 1;
	s->npend = 0;
	if (now - s->lag_window >= LAG_WINDOW) {
		memcpy(s->lag_hist[1], s->lag_hist[0], sizeof(s->lag_hist[0]));
		memset(s->lag_hist[0], 0, sizeof(s->lag_hist[0]));
		s->lag_n[1] = s->lag_n[0];
		s->lag_n[0] = 0;
		s->lag_window = now;
	}
	if (!s->synced) {
		int64_t since = 0;

		if (cfg->since > 0) {
			since = now - (int64_t)cfg->since;
			if (since < 1)
				since = 1;
		}
		log_debug("poll: first full sync, devices with last_time >= %lld (light, pages of %d)",
		    (long long)since, SYNC_PAGE_MAX);
		rc = scan_all(s, p, t, since, 0);
		s->sweep_start = ts_now_ms();	/* the first sync was a sweep */
	} else {
		int64_t since = s->base - sync_margin(s, cfg);

		log_debug("poll: devices with last_time >= %lld (light; lag margin %lld s)",
		    (long long)since, (long long)sync_margin(s, cfg));
		rc = scan_all(s, p, t, since, 1);
		if (rc == POLL_OK && cfg->resync > 0)
			rc = sweep_step(s, p, t, cfg);
	}
	if (rc == POLL_OK)
		rc = fetch(s, p, t);
	if (rc != POLL_OK) {
		s->sweeping = 0;	/* Kismet may have restarted: page offsets are void */
		s->sweep_start = 0;	/* and a new sweep starts with the next cycle */
		return rc;
	}
	for (i = 0; i < s->npend; i++) {
		struct light *l = lightmap_find(&s->lm, s->pend[i].key);

		if (l == NULL)
			continue;
		l->packets = s->pend[i].packets;
		l->mod_time = s->pend[i].mod_time;
		l->clients = s->pend[i].clients;
		l->last_time = s->pend[i].last_time;
		l->lean = s->pend[i].lean;
		l->known = 1;
	}
	s->base = now;
	s->synced = 1;
	return POLL_OK;
}
