/*
 * config.h - kismet-tap's one configuration struct: options, environment
 * fallbacks, secrets, and the checks on their combinations.
 */
#ifndef TAP_CONFIG_H
#define TAP_CONFIG_H

#include "backoff.h"
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "pseudo.h"

enum tap_mode {
	MODE_LIVE = 0,		/* poll + eventbus until stopped (default) */
	MODE_ONCE,		/* one poll, then exit */
	MODE_KISMETDB,		/* read .kismet log files */
};

enum tap_format {
	FMT_NDJSON = 0,
	FMT_TEXT,
};

#define TAP_MAX_EVENTS 32

struct config {
	enum tap_mode mode;
	int progress;			/* --kismetdb: enum progress_mode */
	enum tap_format format;
	int raw;			/* --raw: Kismet's own device JSON */
	int probed_ssids;		/* --probed-ssids: opt-in, see kismet-tap(1) */
	int monitor_ws;			/* --monitor-ws: devices also from monitor.ws */

	char *base_url;			/* http(s)://host:port, no trailing slash */
	char *ws_url;			/* ws(s)://host:port */
	struct http_tls tls;

	char *apikey;			/* secret, never logged */
	char *apikey_arg;		/* --kismet-apikey's copy while parsing */
	char *username;
	char *password;			/* secret, never logged */

	const char *sensor;		/* --sensor override, or NULL */
	double update_rate;		/* seconds between polls */
	double overlap;			/* seconds of last_time overlap */
	double resync;			/* seconds between full polls (0 = never) */
	uint64_t since;			/* --since S: first poll / --once window */
	uint64_t queue_max;		/* bytes of output held for a slow reader */
	uint64_t max_response;		/* bytes of one device (element) */
	double timeout;			/* seconds for one REST request */

	const char *events[TAP_MAX_EVENTS];	/* topics (live) or ALERT/MESSAGE (db) */
	size_t n_events;
	int events_given;
	char *events_buf;		/* storage of the --events list */

	struct pseudo *pseudo;		/* --pseudonymize-macs, else NULL */

	char **dbfiles;			/* --kismetdb FILE (repeatable) */
	size_t n_dbfiles;
	uint64_t sightings;		/* --sightings S: window seconds, 0 = off */
};

/* Parse argv into cfg.  Returns -1 to go on, or an exit status (help,
 * version, usage error). */
int config_parse(struct config *cfg, int argc, char **argv);
void config_free(struct config *cfg);

/* Reconnect delays to Kismet: 0.5 s doubling to 30 s, with jitter. */
extern const struct backoff tap_reconnect;

#endif
