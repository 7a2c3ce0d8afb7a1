/*
 * eventbus.c - libwebsockets (4.1.6) client of Kismet's websockets:
 * /eventbus/events.ws, and /devices/monitor.ws for --monitor-ws.
 *
 * After the upgrade the subscription frames are sent (one lws_write per
 * WRITEABLE callback): on the eventbus one {"SUBSCRIBE":"NAME"} per topic,
 * NEW_DEVICE with the same validated "fields" list as the REST poll; on
 * the device monitor one {"monitor":"*","request":1,"rate":R,"fields":...},
 * after which every frame is one device object.
 * Messages arrive in fragments: they are reassembled until
 * lws_is_final_fragment() and lws_remaining_packet_payload() == 0 and
 * only then handed on.  A lost connection is retried forever with
 * exponential backoff and jitter; one log line per state change.
 */
#include "eventbus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "log.h"
#include "project.h"
#include "tap.h"

#define EB_MAX_MESSAGE	((size_t)16 * 1024 * 1024)
#define EB_MAX_SUBS	TAP_MAX_EVENTS

struct eventbus {
	struct lws_context *ctx;
	const struct config *cfg;
	eventbus_msg_fn fn;
	void *arg;
	unsigned long long *reconnects;

	lws_sorted_usec_list_t sul;	/* reconnect timer */
	struct backoff_state bo;
	struct lws *wsi;
	int connected;			/* state for the log lines */
	int ever_connected;
	int closing, paused;

	char *subs[EB_MAX_SUBS];	/* subscription frames */
	size_t n_subs, next_sub;

	char *msg;			/* reassembly */
	size_t len, cap;
	int oversize;

	const char *name;		/* "eventbus" or "monitor", for the log */
	const char *endpoint;		/* its path on the server */
	char address[256], path[1024], host[300];
	int port, tls;
};

static void
lws_log(int level, const char *line)
{
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		log_debug("libwebsockets: %.*s", (int)n, line);
	else
		log_trace("libwebsockets: %.*s", (int)n, line);
}

static void connect_now(lws_sorted_usec_list_t *sul);

static void
schedule_retry(struct eventbus *eb, const char *why)
{
	int64_t us;

	eb->wsi = NULL;
	if (eb->closing)
		return;
	if (eb->connected || !eb->ever_connected) {
		log_warn("%s: %s%s; retrying with backoff", eb->name, eb->connected ?
		    "connection lost: " : "cannot connect: ", why ? why : "closed");
		if (eb->connected && eb->reconnects)
			(*eb->reconnects)++;
		eb->ever_connected = 1;	/* only one line until the next success */
	}
	eb->connected = 0;
	us = backoff_next_ms(&eb->bo) * 1000;
	log_debug("%s: next attempt in %lld ms", eb->name, (long long)(us / 1000));
	lws_sul_schedule(eb->ctx, 0, &eb->sul, connect_now, us);
}

static void
connect_now(lws_sorted_usec_list_t *sul)
{
	struct eventbus *eb = lws_container_of(sul, struct eventbus, sul);
	struct lws_client_connect_info i;

	if (eb->closing)
		return;
	memset(&i, 0, sizeof(i));
	i.context = eb->ctx;
	i.address = eb->address;
	i.port = eb->port;
	i.path = eb->path;
	i.host = eb->host;
	i.origin = eb->host;
	i.local_protocol_name = "kismet-eventbus";
	i.userdata = eb;
	i.pwsi = &eb->wsi;
	if (eb->tls) {
		i.ssl_connection = LCCSCF_USE_SSL;
		if (eb->cfg->tls.insecure)
			i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_ALLOW_EXPIRED |
			    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_INSECURE;
	}
	eb->len = 0;
	eb->oversize = 0;
	eb->next_sub = 0;
	if (lws_client_connect_via_info(&i) == NULL)
		schedule_retry(eb, "connect failed");
}

static int
deliver(struct eventbus *eb)
{
	int rc = 0;

	if (eb->oversize)
		log_err("%s: skipped: message larger than %zu bytes", eb->name, EB_MAX_MESSAGE);
	else if (eb->len > 0)
		rc = eb->fn(eb->arg, eb->msg, eb->len);
	eb->len = 0;
	eb->oversize = 0;
	return rc;
}

static int
append(struct eventbus *eb, const void *in, size_t len)
{
	if (eb->oversize)
		return 0;
	if (eb->len + len > EB_MAX_MESSAGE) {
		eb->oversize = 1;
		return 0;
	}
	if (eb->len + len > eb->cap) {
		size_t ncap = eb->cap ? eb->cap : 65536;
		char *nm;

		while (ncap < eb->len + len)
			ncap *= 2;
		if ((nm = realloc(eb->msg, ncap)) == NULL) {
			eb->oversize = 1;
			return 0;
		}
		eb->msg = nm;
		eb->cap = ncap;
	}
	memcpy(eb->msg + eb->len, in, len);
	eb->len += len;
	return 0;
}

static int
add_basic_auth(struct eventbus *eb, struct lws *wsi, unsigned char **p, unsigned char *end)
{
	char plain[512], hdr[800];
	int n;

	n = snprintf(plain, sizeof(plain), "%s:%s", eb->cfg->username,
	    eb->cfg->password ? eb->cfg->password : "");
	if (n < 0 || (size_t)n >= sizeof(plain))
		return -1;
	memcpy(hdr, "Basic ", 6);
	if (lws_b64_encode_string(plain, n, hdr + 6, (int)sizeof(hdr) - 6) < 0)
		return -1;
	explicit_bzero(plain, sizeof(plain));
	n = lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
	    (unsigned char *)hdr, (int)strlen(hdr), p, end);
	explicit_bzero(hdr, sizeof(hdr));
	return n ? -1 : 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct eventbus *eb = user;
	unsigned char buf[LWS_PRE + 4096];
	size_t n;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (eb && eb->cfg->username && !eb->cfg->apikey) {
			unsigned char **p = (unsigned char **)in;

			if (add_basic_auth(eb, wsi, p, *p + len) < 0)
				return -1;
		}
		break;

	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (eb == NULL)
			break;
		log_info("%s: connected, %zu subscription%s", eb->name, eb->n_subs,
		    eb->n_subs == 1 ? "" : "s");
		eb->connected = 1;
		eb->ever_connected = 1;
		backoff_reset(&eb->bo);
		if (eb->paused)
			lws_rx_flow_control(wsi, 0);
		lws_callback_on_writable(wsi);
		break;

	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (eb == NULL)
			break;
		if (eb->closing) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
			return -1;
		}
		if (eb->next_sub < eb->n_subs) {
			n = strlen(eb->subs[eb->next_sub]);
			memcpy(buf + LWS_PRE, eb->subs[eb->next_sub], n);
			if (lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n) {
				log_warn("%s: cannot send a subscription", eb->name);
				return -1;
			}
			log_debug("%s: sent %s", eb->name, eb->subs[eb->next_sub]);
			if (++eb->next_sub < eb->n_subs)
				lws_callback_on_writable(wsi);
		}
		break;

	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (eb == NULL)
			break;
		if (lws_frame_is_binary(wsi))
			eb->oversize = 1;	/* Kismet sends text only: drop it */
		append(eb, in, len);
		if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
			if (deliver(eb) < 0) {
				eb->closing = 1;
				return -1;
			}
		}
		break;

	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (eb)
			schedule_retry(eb, in ? (const char *)in : "connection error");
		break;

	case LWS_CALLBACK_CLIENT_CLOSED:
		if (eb)
			schedule_retry(eb, "closed by the server");
		break;

	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
	{ "kismet-eventbus", callback, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

const struct lws_protocols *
eventbus_protocols(void)
{
	lws_set_log_level(LLL_ERR | LLL_WARN | (log_enabled(LOG_LEVEL_TRACE) ?
	    LLL_NOTICE | LLL_INFO : 0), lws_log);
	return protocols;
}

/* Build one subscription frame: an eventbus topic (NEW_DEVICE gets the
 * checked field list), or with topic NULL the device monitor's, ticking at
 * the poll rate (whole seconds, at least 1). */
static char *
subscription(const struct config *cfg, const char *topic)
{
	json_t *m, *fields;
	const char *why = NULL;
	char *s;

	if (topic)
		m = json_pack("{ss}", "SUBSCRIBE", topic);
	else
		m = json_pack("{sssisI}", "monitor", "*", "request", 1, "rate",
		    (json_int_t)(cfg->update_rate < 1 ? 1 : cfg->update_rate + 0.5));
	if (m == NULL)
		return NULL;
	if ((topic == NULL || strcmp(topic, "NEW_DEVICE") == 0) && !cfg->raw) {
		fields = project_fields(tap_record_flags(cfg));
		if (fields == NULL || project_fields_check(fields, &why) < 0) {
			log_err("internal: field list rejected: %s", why ? why : "out of memory");
			json_decref(fields);
			json_decref(m);
			return NULL;
		}
		json_object_set_new(m, "fields", fields);
	}
	s = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	if (s && strlen(s) > 4000) {	/* one frame from the stack buffer */
		free(s);
		return NULL;
	}
	return s;
}

/* ws[s]://host:port[/prefix] -> address, port, path with the key. */
static int
parse_url(struct eventbus *eb)
{
	char copy[1024];
	const char *prot, *ads, *path;
	int port, n;

	if (strlen(eb->cfg->ws_url) >= sizeof(copy))
		return -1;
	memcpy(copy, eb->cfg->ws_url, strlen(eb->cfg->ws_url) + 1);
	if (lws_parse_uri(copy, &prot, &ads, &port, &path))
		return -1;
	eb->tls = strcmp(prot, "wss") == 0;
	eb->port = port;
	snprintf(eb->address, sizeof(eb->address), "%s", ads);
	if (strchr(ads, ':'))
		snprintf(eb->host, sizeof(eb->host), "[%s]:%d", ads, port);
	else
		snprintf(eb->host, sizeof(eb->host), "%s:%d", ads, port);
	/* lws_parse_uri leaves the path without its leading '/' */
	while (*path == '/')
		path++;
	n = snprintf(eb->path, sizeof(eb->path), "%s%s%s%s%s",
	    *path ? "/" : "", path, eb->endpoint, eb->cfg->apikey ? "?KISMET=" : "",
	    eb->cfg->apikey ? eb->cfg->apikey : "");
	if (n < 0 || (size_t)n >= sizeof(eb->path))
		return -1;
	return 0;
}

static struct eventbus *
ws_new(struct lws_context *ctx, const struct config *cfg, int monitor,
    eventbus_msg_fn fn, void *arg, unsigned long long *reconnects)
{
	struct eventbus *eb = calloc(1, sizeof(*eb));
	size_t i, n = monitor ? 1 : cfg->n_events;

	if (eb == NULL)
		return NULL;
	eb->ctx = ctx;
	eb->cfg = cfg;
	eb->fn = fn;
	eb->arg = arg;
	eb->reconnects = reconnects;
	eb->name = monitor ? "monitor" : "eventbus";
	eb->endpoint = monitor ? "/devices/monitor.ws" : "/eventbus/events.ws";
	backoff_state_init(&eb->bo, &tap_reconnect);
	if (parse_url(eb) < 0) {
		log_err("%s: cannot parse the websocket URL", eb->name);
		eventbus_free(eb);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if ((eb->subs[i] = subscription(cfg, monitor ? NULL : cfg->events[i])) == NULL) {
			eventbus_free(eb);
			return NULL;
		}
		eb->n_subs++;
	}
	lws_sul_schedule(ctx, 0, &eb->sul, connect_now, 1);
	return eb;
}

struct eventbus *
eventbus_new(struct lws_context *ctx, const struct config *cfg, eventbus_msg_fn fn,
    void *arg, unsigned long long *reconnects)
{
	return ws_new(ctx, cfg, 0, fn, arg, reconnects);
}

struct eventbus *
eventbus_new_monitor(struct lws_context *ctx, const struct config *cfg,
    eventbus_msg_fn fn, void *arg, unsigned long long *reconnects)
{
	return ws_new(ctx, cfg, 1, fn, arg, reconnects);
}

void
eventbus_pause(struct eventbus *eb, int paused)
{
	if (eb == NULL || eb->paused == paused)
		return;
	eb->paused = paused;
	log_debug("%s: %s", eb->name, paused ? "paused (stdout is full)" : "resumed");
	if (eb->wsi && eb->connected)
		lws_rx_flow_control(eb->wsi, !paused);
}

void
eventbus_close(struct eventbus *eb)
{
	if (eb == NULL || eb->closing)
		return;
	eb->closing = 1;
	lws_sul_cancel(&eb->sul);
	if (eb->wsi && eb->connected)
		lws_callback_on_writable(eb->wsi);
}

int
eventbus_idle(const struct eventbus *eb)
{
	return eb == NULL || eb->wsi == NULL;
}

void
eventbus_free(struct eventbus *eb)
{
	size_t i;

	if (eb == NULL)
		return;
	for (i = 0; i < eb->n_subs; i++)
		free(eb->subs[i]);
	free(eb->msg);
	explicit_bzero(eb->path, sizeof(eb->path));
	free(eb);
}
