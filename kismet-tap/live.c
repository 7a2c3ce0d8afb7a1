/*
 * live.c - the server sources: --once (one poll) and the live loop.
 *
 * The live loop is single-threaded: lws_service() runs the eventbus
 * websocket and three timers (lws sul): the device poll, a 100 ms tick
 * (stdout queue, signals, SIGUSR1 stats) and the eventbus reconnect.  A
 * poll is a few short blocking libcurl requests (GET /system/timestamp.json,
 * then sync.c's cycle: light scans, then the changed devices whole); the
 * websocket waits meanwhile.
 *
 * --once is one request for every device (or --since's window) whole.
 * The server time survives a Kismet restart, so after reconnecting the
 * first cycle catches up from the last complete one: no gap, no duplicate
 * (de-duplication drops what was already emitted).
 */
#include "live.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "eventbus.h"
#include "exitcodes.h"
#include "log.h"
#include "poll.h"
#include "sig.h"
#include "sync.h"
#include "timefmt.h"

struct live {
	struct tap *t;
	const struct config *cfg;
	struct poller p;
	struct lws_context *ctx;
	struct eventbus *eb;
	struct eventbus *mon;		/* --monitor-ws */
	lws_sorted_usec_list_t sul_poll, sul_tick;
	struct backoff_state bo;
	struct sync sync;	/* live: the light-scan state */
	int have_sensor;
	int down;		/* REST state, for one log line per change */
	int ever_up;
	int paused;		/* stdout full: polls wait */
	int stop;
	int rc;			/* exit status */
};

/* The sensor name: kismet.system.server_name, else kismet.server.uuid. */
static int
fetch_sensor(struct live *L)
{
	json_t *st;
	const char *s;
	int rc;

	if ((rc = poller_get_json(&L->p, "/system/status.json", &st)) != POLL_OK)
		return rc;
	s = json_string_value(json_object_get(st, "kismet.system.server_name"));
	if (s == NULL || *s == '\0')
		s = json_string_value(json_object_get(st, "kismet.server.uuid"));
	if (tap_set_sensor(L->t, s) < 0)
		log_err("out of memory");
	json_decref(st);
	L->have_sensor = 1;
	return POLL_OK;
}

static int
server_now(struct live *L, int64_t *sec)
{
	json_t *ts;
	json_int_t v;
	int rc;

	if ((rc = poller_get_json(&L->p, "/system/timestamp.json", &ts)) != POLL_OK)
		return rc;
	v = json_integer_value(json_object_get(ts, "kismet.system.timestamp.sec"));
	json_decref(ts);
	if (v <= 0) {
		snprintf(L->p.why, sizeof(L->p.why), "/system/timestamp.json: no time in the answer");
		return POLL_DOWN;
	}
	*sec = (int64_t)v;
	return POLL_OK;
}

static int
on_device(void *arg, const char *json, size_t len)
{
	struct live *L = arg;

	return tap_device_text(L->t, json, len, "poll");
}

/* --once: one request, every device of the --since window whole; POLL_* */
static int
poll_once(struct live *L)
{
	int64_t now = 0, since = 0;
	int rc;

	if (!L->have_sensor && (rc = fetch_sensor(L)) != POLL_OK)
		return rc;
	if ((rc = server_now(L, &now)) != POLL_OK)
		return rc;
	if (L->cfg->since > 0) {
		since = now - (int64_t)L->cfg->since;
		if (since < 1)
			since = 1;
	}
	log_debug("poll: devices with last_time >= %lld", (long long)since);
	rc = poller_devices(&L->p, since, on_device, L);
	L->t->st.polls++;
	return rc;
}

/* live: one cycle of sync.c; POLL_* */
static int
poll_cycle(struct live *L)
{
	int64_t now = 0;
	int rc;

	if (!L->have_sensor && (rc = fetch_sensor(L)) != POLL_OK)
		return rc;
	if ((rc = server_now(L, &now)) != POLL_OK)
		return rc;
	rc = sync_cycle(&L->sync, &L->p, L->t, L->cfg, now);
	L->t->st.polls++;
	return rc;
}

static void poll_cb(lws_sorted_usec_list_t *sul);

static void
after_poll(struct live *L, int rc)
{
	int64_t us;

	switch (rc) {
	case POLL_OK:
		if (L->down)
			log_info("Kismet: reachable again at %s, catching up", L->cfg->base_url);
		else if (!L->ever_up)
			log_info("Kismet: connected to %s, sensor %s", L->cfg->base_url,
			    L->t->sensor ? L->t->sensor : "(unnamed)");
		L->down = 0;
		L->ever_up = 1;
		backoff_reset(&L->bo);
		lws_sul_schedule(L->ctx, 0, &L->sul_poll, poll_cb,
		    (lws_usec_t)(L->cfg->update_rate * LWS_US_PER_SEC));
		return;
	case POLL_AUTH:
		log_err("Kismet: %s", L->p.why);
		L->rc = KES_EXIT_NOPERM;
		L->stop = 1;
		return;
	case POLL_TLS:
		log_err("Kismet: %s", L->p.why);
		L->rc = KES_EXIT_UNAVAIL;
		L->stop = 1;
		return;
	case POLL_STOP:
		L->rc = KES_EXIT_IOERR;
		L->stop = 1;
		return;
	default:
		L->t->st.poll_errors++;
		if (!L->down) {
			log_warn("Kismet: %s: %s; retrying with backoff",
			    L->ever_up ? "connection lost" : "unreachable", L->p.why);
			if (L->ever_up)
				L->t->st.reconnects++;
		} else {
			log_debug("Kismet: still down: %s", L->p.why);
		}
		L->down = 1;
		us = backoff_next_ms(&L->bo) * 1000;
		lws_sul_schedule(L->ctx, 0, &L->sul_poll, poll_cb, (lws_usec_t)us);
	}
}

/* After a websocket message was handed on (rc from tap_*_text): stop on a
 * failed stdout, pause both sockets while stdout is full. */
static int
after_message(struct live *L, int rc)
{
	if (rc < 0) {
		L->rc = KES_EXIT_IOERR;
		L->stop = 1;
		return -1;
	}
	if (output_full(&L->t->out)) {
		eventbus_pause(L->eb, 1);
		eventbus_pause(L->mon, 1);
	}
	return 0;
}

static int
on_event(void *arg, const char *json, size_t len)
{
	struct live *L = arg;

	return after_message(L, tap_event_text(L->t, json, len, "eventbus"));
}

/* --monitor-ws: each message is one device, de-duplicated with the polls */
static int
on_monitor(void *arg, const char *json, size_t len)
{
	struct live *L = arg;

	return after_message(L, tap_device_text(L->t, json, len, "monitor"));
}

static void
poll_cb(lws_sorted_usec_list_t *sul)
{
	struct live *L = lws_container_of(sul, struct live, sul_poll);

	if (L->stop)
		return;
	if (output_full(&L->t->out)) {	/* a slow reader: wait, do not drop */
		if (!L->paused)
			log_debug("stdout is full: polling paused");
		L->paused = 1;
		lws_sul_schedule(L->ctx, 0, &L->sul_poll, poll_cb, 100 * LWS_US_PER_MS);
		return;
	}
	L->paused = 0;
	after_poll(L, poll_cycle(L));
	if (!L->stop && L->eb == NULL && L->ever_up && L->cfg->n_events > 0) {
		L->eb = eventbus_new(L->ctx, L->cfg, on_event, L,
		    (unsigned long long *)&L->t->st.reconnects);
		if (L->eb == NULL) {
			L->rc = KES_EXIT_SOFTWARE;
			L->stop = 1;
		}
	}
	if (!L->stop && L->mon == NULL && L->ever_up && L->cfg->monitor_ws) {
		L->mon = eventbus_new_monitor(L->ctx, L->cfg, on_monitor, L,
		    (unsigned long long *)&L->t->st.reconnects);
		if (L->mon == NULL) {
			L->rc = KES_EXIT_SOFTWARE;
			L->stop = 1;
		}
	}
}

static void
tick_cb(lws_sorted_usec_list_t *sul)
{
	struct live *L = lws_container_of(sul, struct live, sul_tick);

	if (output_flush_some(&L->t->out) < 0) {
		L->rc = KES_EXIT_IOERR;
		L->stop = 1;
	}
	if (!output_full(&L->t->out)) {
		eventbus_pause(L->eb, 0);
		eventbus_pause(L->mon, 0);
	}
	if (sig_stats) {
		sig_stats = 0;
		tap_print_stats(L->t, "now");
	}
	if (sig_stop)
		L->stop = 1;
	if (!L->stop)
		lws_sul_schedule(L->ctx, 0, &L->sul_tick, tick_cb, 100 * LWS_US_PER_MS);
}

static struct lws_context *
make_context(const struct config *cfg)
{
	struct lws_context_creation_info info;

	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = eventbus_protocols();
	info.fd_limit_per_thread = 64;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	if (cfg->tls.cacert)
		info.client_ssl_ca_filepath = cfg->tls.cacert;
	return lws_create_context(&info);
}

/* Drain stdout for up to a few seconds at exit; -1 if it could not. */
static int
final_drain(struct output *o)
{
	int64_t deadline = ts_now_ms() + 5000;

	while (output_pending(o) > 0 && !o->failed && ts_now_ms() < deadline) {
		if (output_flush_some(o) < 0)
			return -1;
		if (output_pending(o) > 0) {
			struct timespec ts = { 0, 20L * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	if (output_pending(o) > 0) {
		log_warn("stdout: %zu bytes not written (the reader is stalled)", output_pending(o));
		return -1;
	}
	return o->failed ? -1 : 0;
}

int
live_run(struct tap *t, const struct config *cfg)
{
	struct live L;
	int64_t deadline;

	memset(&L, 0, sizeof(L));
	L.t = t;
	L.cfg = cfg;
	L.rc = KES_EXIT_OK;
	backoff_state_init(&L.bo, &tap_reconnect);
	if (poller_init(&L.p, cfg) < 0 || sync_init(&L.sync) < 0) {
		log_err("out of memory");
		poller_free(&L.p);
		sync_free(&L.sync);
		return KES_EXIT_SOFTWARE;
	}
	L.p.requests = &t->st.requests;
	if ((L.ctx = make_context(cfg)) == NULL) {
		log_err("libwebsockets: cannot create a context");
		poller_free(&L.p);
		sync_free(&L.sync);
		return KES_EXIT_SOFTWARE;
	}
	lws_sul_schedule(L.ctx, 0, &L.sul_poll, poll_cb, 1);
	lws_sul_schedule(L.ctx, 0, &L.sul_tick, tick_cb, 100 * LWS_US_PER_MS);

	while (!L.stop && !sig_stop) {
		if (lws_service(L.ctx, 0) < 0)
			break;
	}

	/* polite close of the websockets, then stdout */
	lws_sul_cancel(&L.sul_poll);
	lws_sul_cancel(&L.sul_tick);
	if (L.eb || L.mon) {
		eventbus_close(L.eb);
		eventbus_close(L.mon);
		deadline = ts_now_ms() + 1000;
		while ((!eventbus_idle(L.eb) || !eventbus_idle(L.mon)) && ts_now_ms() < deadline)
			if (lws_service(L.ctx, 0) < 0)
				break;
	}
	lws_context_destroy(L.ctx);
	eventbus_free(L.eb);
	eventbus_free(L.mon);
	poller_free(&L.p);
	sync_free(&L.sync);
	if (final_drain(&t->out) < 0 && L.rc == KES_EXIT_OK)
		L.rc = t->out.failed ? KES_EXIT_IOERR : KES_EXIT_TEMPFAIL;
	return L.rc;
}

int
live_once(struct tap *t, const struct config *cfg)
{
	struct live L;
	int rc = POLL_DOWN, tries;

	memset(&L, 0, sizeof(L));
	L.t = t;
	L.cfg = cfg;
	backoff_state_init(&L.bo, &tap_reconnect);
	if (poller_init(&L.p, cfg) < 0) {
		poller_free(&L.p);
		return KES_EXIT_SOFTWARE;
	}
	L.p.requests = &t->st.requests;
	for (tries = 0; tries < 3 && !sig_stop; tries++) {
		if (tries > 0) {
			int64_t us = backoff_next_ms(&L.bo) * 1000;
			struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };

			log_warn("Kismet: %s; retrying", L.p.why);
			nanosleep(&ts, NULL);
		}
		rc = poll_once(&L);
		if (rc != POLL_DOWN)
			break;
	}
	switch (rc) {
	case POLL_OK:
		rc = output_drain(&t->out) < 0 ? KES_EXIT_IOERR : KES_EXIT_OK;
		break;
	case POLL_AUTH:
		log_err("Kismet: %s", L.p.why);
		rc = KES_EXIT_NOPERM;
		break;
	case POLL_TLS:
		log_err("Kismet: %s", L.p.why);
		rc = KES_EXIT_UNAVAIL;
		break;
	case POLL_STOP:
		rc = KES_EXIT_IOERR;
		break;
	default:
		if (!sig_stop)
			log_err("Kismet: %s", L.p.why);
		rc = sig_stop ? KES_EXIT_OK : KES_EXIT_UNAVAIL;
	}
	poller_free(&L.p);
	return rc;
}
