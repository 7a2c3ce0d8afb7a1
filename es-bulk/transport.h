/*
 * transport.h - HTTP to the search cluster with libcurl: a multi handle
 * driving up to --workers concurrent _bulk requests over kept-alive
 * connections, round-robin over the hosts with a cool-down for failing
 * ones, gzip request bodies, auth and TLS; plus blocking requests for the
 * setup steps (GET /, the index template).  Credentials go to libcurl only,
 * never into a log line.
 */
#ifndef ESB_TRANSPORT_H
#define ESB_TRANSPORT_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct transport;

struct tx_result {
	void *user;		/* as given to transport_send() */
	size_t host;		/* index of the host that was used */
	const char *host_name;	/* its URL without credentials */
	CURLcode cc;		/* CURLE_OK when an HTTP status came back */
	const char *curl_err;	/* libcurl's message when cc != CURLE_OK */
	long status;
	const char *body;	/* response body (bounded), NUL-terminated */
	size_t len;
	int truncated;
	double seconds;
	size_t sent;		/* bytes on the wire (compressed) */
	const char *wire;	/* the request body as sent (gzip with --gzip, */
	int gzipped;		/* then set), valid until transport_release() */
};

/* NULL after printing why. */
struct transport *transport_create(const struct config *cfg);
void transport_destroy(struct transport *t);

size_t transport_nhosts(const struct transport *t);
const char *transport_host_name(const struct transport *t, size_t host);
/* Let a failing host rest until until_ms; requests go to the others. */
void transport_cool(struct transport *t, size_t host, int64_t until_ms);
/* The host the next request should use. */
size_t transport_pick(struct transport *t);

/* Free request slots (0 .. workers). */
size_t transport_idle(const struct transport *t);
size_t transport_busy(const struct transport *t);
/* Start POST /_bulk with body.  With --gzip the body is compressed into the
 * slot and may be freed as soon as this returns (tx_result.wire then holds
 * it, compressed); without, it is not copied: keep it until the result is
 * released.  0, or -1 (no idle slot, or libcurl/zlib failure, logged). */
int transport_send(struct transport *t, const char *body, size_t len, void *user);
/*
 * Run transfers, waiting at most timeout_ms for network activity or for fd
 * (if >= 0) to become readable (*fd_ready then set).  0, or -1 on a libcurl
 * failure.
 */
int transport_wait(struct transport *t, int fd, int timeout_ms, int *fd_ready);
/* Take one finished request: 1 and *r filled, or 0 when none; the result
 * stays valid until transport_release(). */
int transport_done(struct transport *t, struct tx_result *r);
void transport_release(struct transport *t, struct tx_result *r);
/* Cancel every running request (their results are not reported). */
void transport_abort(struct transport *t);

/*
 * Blocking request to one host (method GET or PUT, body JSON or NULL).
 * Returns CURLE_OK and *status, with the bounded response in *resp and *resp_len
 * (valid until the next call), or a libcurl error with its message in
 * errbuf (CURL_ERROR_SIZE).
 */
CURLcode transport_request(struct transport *t, size_t host, const char *method,
    const char *path, const char *body, long *status, const char **resp,
    size_t *resp_len, char *errbuf);




#endif
