/*
 * poll.c - REST requests to Kismet (see poll.h).
 *
 * Facts from the recordings and Kismet's source that shape this file and
 * sync.c (the request sequence built on it):
 * - the JSON body is read only with "Content-Type: application/json"
 *   exactly (anything else gets the full, unfiltered device list with 200);
 *   the API key goes in the KISMET cookie (Bearer does not work);
 * - a bad field pair gets a 400 whose body is an error text followed by the
 *   full device array, so the body of a non-200 answer is never parsed as
 *   devices; every field list is checked before it is sent (a malformed
 *   pair kills Kismet on a websocket);
 * - Kismet spends CPU per device object and field it serialises: fewer
 *   objects and fewer fields each is what makes polling cheap;
 * - the view's body "last_time" filters on the device's last_time with >=;
 *   device times are packet times, lagging the server clock by seconds,
 *   while mod_time is the server's whole second of the last change; a
 *   device that only receives moves its counters and mod_time, not its
 *   last_time, so no last_time filter finds it;
 * - ?page=N&length=L pages the (filtered) view: {"data": [...],
 *   "last_page": pages, "total_row": devices}; a page past the end is page
 *   0 again, so paging stops at last_page;
 * - POST /devices/multikey/devices.json {"devices": [keys], "fields": ...}
 *   (read-only role) answers those devices in request order, unknown keys
 *   skipped; one malformed key fails the whole request (500).
 */
#include "poll.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "project.h"
#include "tap.h"

/* Splits a top-level JSON array into its elements as bytes arrive. */
struct splitter {
	struct poller *p;
	poll_elem_fn fn;
	void *arg;
	int started, done, bad, stop;
	int depth, in_str, esc;
	int oversize;		/* current element too large: skipped */
	size_t max;
	char *buf;
	size_t len, cap;
	char errbody[200];	/* start of a non-200 body, for the message */
	size_t errlen;
	uint64_t elements;
};

int
poller_init(struct poller *p, const struct config *cfg)
{
	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	if ((p->h = curl_easy_init()) == NULL) {
		log_err("curl: cannot create a handle");
		return -1;
	}
	p->json_hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	p->json_hdrs = curl_slist_append(p->json_hdrs, "Expect:");
	if (p->json_hdrs == NULL)
		return -1;
	if (cfg->apikey) {
		size_t n = strlen(cfg->apikey) + 8;

		if ((p->cookie = malloc(n)) == NULL)
			return -1;
		snprintf(p->cookie, n, "KISMET=%s", cfg->apikey);
	}
	curl_easy_setopt(p->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(p->h, CURLOPT_ERRORBUFFER, p->errbuf);
	curl_easy_setopt(p->h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(p->h, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout * 1000));
	curl_easy_setopt(p->h, CURLOPT_USERAGENT, "kismet-tap/0.1.0");
	curl_easy_setopt(p->h, CURLOPT_ACCEPT_ENCODING, "");
	if (p->cookie)
		curl_easy_setopt(p->h, CURLOPT_COOKIE, p->cookie);
	if (cfg->username) {
		curl_easy_setopt(p->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(p->h, CURLOPT_USERNAME, cfg->username);
		curl_easy_setopt(p->h, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
	}
	if (http_tls_apply(p->h, &cfg->tls) != CURLE_OK) {
		log_err("curl: cannot apply the TLS options");
		return -1;
	}
	return 0;
}

void
poller_free(struct poller *p)
{
	if (p->h)
		curl_easy_cleanup(p->h);
	curl_slist_free_all(p->json_hdrs);
	if (p->cookie) {
		explicit_bzero(p->cookie, strlen(p->cookie));
		free(p->cookie);
	}
	memset(p, 0, sizeof(*p));
}

/* Map a finished transfer to a poll_rc and a reason. */
static int
classify(struct poller *p, CURLcode cc, const char *path, const char *body, size_t blen)
{
	char snippet[120];
	size_t i, n;

	if (cc != CURLE_OK) {
		snprintf(p->why, sizeof(p->why), "%s: %.200s%s", path,
		    p->errbuf[0] ? p->errbuf : curl_easy_strerror(cc),
		    http_tls_fatal(cc) ? " (TLS: check --cacert, or the server's certificate)" : "");
		return http_tls_fatal(cc) ? POLL_TLS : POLL_DOWN;
	}
	curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &p->status);
	if (p->status == 200)
		return POLL_OK;
	n = blen < sizeof(snippet) - 1 ? blen : sizeof(snippet) - 1;
	for (i = 0; i < n; i++)
		snippet[i] = (char)((body[i] >= 0x20 && body[i] < 0x7f) ? body[i] : ' ');
	snippet[n] = '\0';
	if (p->status == 401 || p->status == 403) {
		snprintf(p->why, sizeof(p->why), "%s: HTTP %ld: Kismet refused the credentials "
		    "(API key via KISMET_APIKEY/--kismet-apikey-file, or user and password)",
		    path, p->status);
		return POLL_AUTH;
	}
	snprintf(p->why, sizeof(p->why), "%s: HTTP %ld: %s", path, p->status, snippet);
	return POLL_DOWN;
}

static int
set_url(struct poller *p, const char *path)
{
	char url[2048];

	if ((size_t)snprintf(url, sizeof(url), "%s%s", p->cfg->base_url, path) >= sizeof(url))
		return -1;
	curl_easy_setopt(p->h, CURLOPT_URL, url);
	return 0;
}

int
poller_get_json(struct poller *p, const char *path, json_t **out)
{
	struct http_buf b;
	json_error_t err;
	CURLcode cc;
	int rc;

	*out = NULL;
	p->errbuf[0] = '\0';
	http_buf_init(&b, (size_t)16 * 1024 * 1024);
	set_url(p, path);
	if (p->requests)
		(*p->requests)++;
	curl_easy_setopt(p->h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(p->h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(p->h, CURLOPT_WRITEFUNCTION, http_buf_write);
	curl_easy_setopt(p->h, CURLOPT_WRITEDATA, &b);
	cc = curl_easy_perform(p->h);
	rc = classify(p, cc, path, b.data ? b.data : "", b.len);
	if (rc == POLL_OK) {
		if (b.truncated || (*out = json_loadb(b.data ? b.data : "", b.len, 0, &err)) == NULL) {
			snprintf(p->why, sizeof(p->why), "%s: invalid JSON answer: %s", path,
			    b.truncated ? "too large" : err.text);
			rc = POLL_DOWN;
		}
	}
	http_buf_free(&b);
	return rc;
}

static void
elem_append(struct splitter *s, char c)
{
	if (s->oversize)
		return;
	if (s->len + 1 >= s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16384;
		char *nb;

		if (ncap > s->max + 1 || (nb = realloc(s->buf, ncap)) == NULL) {
			s->oversize = 1;
			return;
		}
		s->buf = nb;
		s->cap = ncap;
	}
	s->buf[s->len++] = c;
}

static void
elem_done(struct splitter *s)
{
	s->elements++;
	if (s->oversize) {
		log_err("device %llu of the answer is larger than %zu bytes: skipped",
		    (unsigned long long)s->elements, s->max);
	} else if (s->fn(s->arg, s->buf, s->len) < 0) {
		s->stop = 1;
	}
	s->len = 0;
	s->oversize = 0;
}

static size_t
split_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct splitter *s = userdata;
	size_t n = size * nmemb, i;
	long status = 0;

	curl_easy_getinfo(s->p->h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {	/* keep the start of an error body */
		for (i = 0; i < n && s->errlen < sizeof(s->errbody) - 1; i++)
			s->errbody[s->errlen++] = ptr[i];
		return n;
	}
	for (i = 0; i < n && !s->stop && !s->bad; i++) {
		char c = ptr[i];

		if (!s->started) {
			if (c == '[') {
				s->started = 1;
				s->depth = 1;
			} else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
				s->bad = 1;
			}
			continue;
		}
		if (s->done)
			continue;
		if (s->depth == 1) {	/* between elements */
			if (c == '{' || c == '[') {
				s->depth = 2;
				elem_append(s, c);
			} else if (c == ']') {
				s->done = 1;
				s->depth = 0;
			} else if (c != ',' && c != ' ' && c != '\n' && c != '\r' && c != '\t') {
				s->bad = 1;	/* scalars at the top level: not a device list */
			}
			continue;
		}
		elem_append(s, c);
		if (s->in_str) {
			if (s->esc)
				s->esc = 0;
			else if (c == '\\')
				s->esc = 1;
			else if (c == '"')
				s->in_str = 0;
		} else if (c == '"') {
			s->in_str = 1;
		} else if (c == '{' || c == '[') {
			s->depth++;
		} else if (c == '}' || c == ']') {
			if (--s->depth == 1)
				elem_done(s);
		}
	}
	return (s->stop || s->bad) ? 0 : n;	/* 0 aborts the transfer */
}

int
poller_add_fields(struct poller *p, json_t *body, unsigned paths)
{
	const char *why = NULL;
	json_t *fields;

	if (p->cfg->raw)
		return POLL_OK;
	/* Only well-formed field specs are ever sent. */
	fields = project_fields(tap_record_flags(p->cfg) | paths);
	if (fields == NULL || project_fields_check(fields, &why) < 0) {
		snprintf(p->why, sizeof(p->why), "internal: field list rejected: %s",
		    why ? why : "out of memory");
		json_decref(fields);
		return POLL_DOWN;
	}
	json_object_set_new(body, "fields", fields);
	return POLL_OK;
}

/* Set up a JSON POST of body to path; the text is the caller's to free. */
static char *
post_setup(struct poller *p, const char *path, const json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);

	if (text == NULL) {
		snprintf(p->why, sizeof(p->why), "out of memory");
		return NULL;
	}
	p->errbuf[0] = '\0';
	set_url(p, path);
	curl_easy_setopt(p->h, CURLOPT_POST, 1L);
	curl_easy_setopt(p->h, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(p->h, CURLOPT_POSTFIELDSIZE, (long)strlen(text));
	curl_easy_setopt(p->h, CURLOPT_HTTPHEADER, p->json_hdrs);
	if (p->requests)
		(*p->requests)++;
	log_trace("POST %s %.300s%s", path, text, strlen(text) > 300 ? "..." : "");
	return text;
}

static void
post_done(struct poller *p, char *text)
{
	curl_easy_setopt(p->h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(p->h, CURLOPT_POSTFIELDS, NULL);
	free(text);
}

int
poller_post_json(struct poller *p, const char *path, const json_t *body, json_t **out)
{
	struct http_buf b;
	json_error_t err;
	char *text;
	int rc;

	*out = NULL;
	if ((text = post_setup(p, path, body)) == NULL)
		return POLL_DOWN;
	http_buf_init(&b, (size_t)64 * 1024 * 1024);
	curl_easy_setopt(p->h, CURLOPT_WRITEFUNCTION, http_buf_write);
	curl_easy_setopt(p->h, CURLOPT_WRITEDATA, &b);
	rc = classify(p, curl_easy_perform(p->h), path, b.data ? b.data : "", b.len);
	post_done(p, text);
	if (rc == POLL_OK &&
	    (b.truncated || (*out = json_loadb(b.data ? b.data : "", b.len, 0, &err)) == NULL)) {
		snprintf(p->why, sizeof(p->why), "%s: invalid JSON answer: %s", path,
		    b.truncated ? "too large" : err.text);
		rc = POLL_DOWN;
	}
	http_buf_free(&b);
	return rc;
}

int
poller_post_devices(struct poller *p, const char *path, const json_t *body,
    poll_elem_fn fn, void *arg)
{
	struct splitter s;
	char *text;
	CURLcode cc;
	int rc;

	if ((text = post_setup(p, path, body)) == NULL)
		return POLL_DOWN;
	memset(&s, 0, sizeof(s));
	s.p = p;
	s.fn = fn;
	s.arg = arg;
	s.max = (size_t)p->cfg->max_response;
	curl_easy_setopt(p->h, CURLOPT_WRITEFUNCTION, split_write);
	curl_easy_setopt(p->h, CURLOPT_WRITEDATA, &s);
	cc = curl_easy_perform(p->h);
	post_done(p, text);
	if (s.stop) {
		rc = POLL_STOP;
	} else if (s.bad) {
		snprintf(p->why, sizeof(p->why), "%s: the answer is not a JSON array", path);
		rc = POLL_DOWN;
	} else {
		rc = classify(p, cc, path, s.errbody, s.errlen);
		if (rc == POLL_OK && !s.done) {
			snprintf(p->why, sizeof(p->why), "%s: truncated answer", path);
			rc = POLL_DOWN;
		}
	}
	free(s.buf);
	return rc;
}

int
poller_devices(struct poller *p, int64_t last_time, poll_elem_fn fn, void *arg)
{
	json_t *body = json_object();
	int rc;

	if (body == NULL) {
		snprintf(p->why, sizeof(p->why), "out of memory");
		return POLL_DOWN;
	}
	if ((rc = poller_add_fields(p, body, 0)) == POLL_OK) {
		if (last_time > 0)
			json_object_set_new(body, "last_time", json_integer((json_int_t)last_time));
		rc = poller_post_devices(p, "/devices/views/all/devices.json", body, fn, arg);
	}
	json_decref(body);
	return rc;
}
