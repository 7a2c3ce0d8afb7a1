/*
 * eventbus.h - the libwebsockets client of Kismet's /eventbus/events.ws
 * (and of /devices/monitor.ws for --monitor-ws): connect (API key as
 * ?KISMET=, or HTTP basic), the subscription frames, whole messages handed
 * to a callback, reconnect with backoff, pause (rx flow control) while
 * stdout is full.
 */
#ifndef TAP_EVENTBUS_H
#define TAP_EVENTBUS_H

#include <libwebsockets.h>
#include <stddef.h>

#include "config.h"

/* Returns -1 to stop everything (stdout failed). */
typedef int (*eventbus_msg_fn)(void *arg, const char *json, size_t len);

struct eventbus;

/* The protocol list for lws_create_context(). */
const struct lws_protocols *eventbus_protocols(void);

struct eventbus *eventbus_new(struct lws_context *ctx, const struct config *cfg,
    eventbus_msg_fn fn, void *arg, unsigned long long *reconnects);
/* The device monitor (--monitor-ws): every message is one device. */
struct eventbus *eventbus_new_monitor(struct lws_context *ctx, const struct config *cfg,
    eventbus_msg_fn fn, void *arg, unsigned long long *reconnects);
void eventbus_pause(struct eventbus *eb, int paused);
/* Start a polite close (close frame); no reconnect afterwards. */
void eventbus_close(struct eventbus *eb);
/* 1 once no connection is open. */
int eventbus_idle(const struct eventbus *eb);
void eventbus_free(struct eventbus *eb);

#endif
