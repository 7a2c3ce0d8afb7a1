/*
 * poll.h - Kismet's REST API through libcurl: small JSON GETs
 * (/system/status.json, /system/timestamp.json), small JSON POSTs read
 * whole (the light scans of sync.c), and device lists (the view, multikey)
 * whose array is split into elements as it arrives so that memory holds
 * one device at a time.  One short blocking request at a time (called from
 * the event loop).
 */
#ifndef TAP_POLL_H
#define TAP_POLL_H

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum poll_rc {
	POLL_OK = 0,
	POLL_DOWN = -1,		/* connection failed, timeout, 5xx, bad body: retry */
	POLL_AUTH = -2,		/* 401/403: fatal */
	POLL_STOP = -3,		/* the element callback asked to stop (stdout failed) */
	POLL_TLS = -4,		/* the certificate does not verify (or TLS setup): fatal */
};

typedef int (*poll_elem_fn)(void *arg, const char *json, size_t len);

struct poller {
	const struct config *cfg;
	CURL *h;
	struct curl_slist *json_hdrs;
	char *cookie;		/* "KISMET=<key>", secret */
	char errbuf[CURL_ERROR_SIZE];
	char why[256];		/* reason of the last failure (no secrets) */
	long status;		/* HTTP status of the last request */
	uint64_t *requests;	/* if set: counts every request sent */
};

int poller_init(struct poller *p, const struct config *cfg);
void poller_free(struct poller *p);
/* GET path (e.g. "/system/status.json") into *out. */
int poller_get_json(struct poller *p, const char *path, json_t **out);
/* POST body (JSON, Content-Type application/json) to path; the answer,
 * parsed whole, into *out. */
int poller_post_json(struct poller *p, const char *path, const json_t *body, json_t **out);
/* POST body to path; each element of the array answer goes to fn. */
int poller_post_devices(struct poller *p, const char *path, const json_t *body,
    poll_elem_fn fn, void *arg);
/* The device query with the record's fields (project_fields(), checked;
 * none with --raw) on the view; each element of the answer goes to fn.
 * last_time <= 0 asks for every device. */
int poller_devices(struct poller *p, int64_t last_time, poll_elem_fn fn, void *arg);
/* The checked record field list into body (nothing with --raw), lean as
 * paths (DEVICE_PATHS_*) asks; POLL_DOWN with p->why if the list is
 * rejected. */
int poller_add_fields(struct poller *p, json_t *body, unsigned paths);

#endif
