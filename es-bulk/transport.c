/*
 * transport.c - libcurl multi transport (see transport.h).
 *
 * One easy handle per worker slot, reused for the life of the process; the
 * multi handle's connection cache keeps connections alive between requests.
 * The body length is always sent (POSTFIELDSIZE), so requests are never
 * chunked, and "Expect: 100-continue" is switched off: some proxies and old
 * nodes handle it badly and it costs a round trip per request.
 */
#include "transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "timefmt.h"

#define RESP_MAX	((size_t)64 * 1024 * 1024)
/* Only what es-bulk reads: every item keeps its status, errors keep why. */
#define BULK_PATH	"/_bulk?filter_path=errors,items.*.status,items.*.error"

struct host {
	char *url;
	char name[512];		/* url without user:password@ */
	int64_t cool_until;
};

struct slot {
	CURL *easy;
	int busy;
	void *user;
	size_t host;
	struct http_buf resp;
	char errbuf[CURL_ERROR_SIZE];
	char url[1024];
	struct buf gz;		/* the compressed body while it is sent */
	size_t sent;
	int64_t start_ms;
};

struct transport {
	const struct config *cfg;
	CURLM *multi;
	struct host *hosts;
	size_t nhosts, rr;
	struct slot *slots;
	size_t nslots;
	struct curl_slist *bulk_headers, *json_headers;
	struct libdeflate_compressor *z;	/* one: bodies are gzipped in turn */
	CURL *sync;		/* for transport_request() */
	struct http_buf sync_resp;
	char *auth_header;
};

static int
setup_easy(struct transport *t, CURL *h, char *errbuf)
{
	const struct config *cfg = t->cfg;
	int bad = 0;

	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(cfg->connect_timeout * 1000)) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout * 1000)) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_buf_write) != CURLE_OK;
	bad |= http_tls_apply(h, &cfg->tls) != CURLE_OK;
	if (cfg->username) {
		bad |= curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_USERNAME, cfg->username) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_PASSWORD,
		    cfg->password ? cfg->password : "") != CURLE_OK;
	}
	if (bad) {
		log_err("libcurl: cannot set up a request (unsupported option?)");
		return -1;
	}
	return 0;
}

static struct curl_slist *
headers(struct transport *t, const char *ctype, int gzip)
{
	struct curl_slist *l = NULL, *n;
	const char *list[4] = {ctype, "Expect:", gzip ? "Content-Encoding: gzip" : NULL, NULL};

	for (size_t i = 0; i < 3; i++) {
		if (list[i] == NULL)
			continue;
		if ((n = curl_slist_append(l, list[i])) == NULL)
			goto fail;
		l = n;
	}
	if (t->auth_header) {
		if ((n = curl_slist_append(l, t->auth_header)) == NULL)
			goto fail;
		l = n;
	}
	return l;
fail:
	curl_slist_free_all(l);
	return NULL;
}

struct transport *
transport_create(const struct config *cfg)
{
	struct transport *t = calloc(1, sizeof(*t));

	if (t == NULL)
		goto oom;
	t->cfg = cfg;
	t->nhosts = cfg->nhosts;
	t->hosts = calloc(cfg->nhosts, sizeof(*t->hosts));
	t->nslots = cfg->workers;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	if (t->hosts == NULL || t->slots == NULL)
		goto oom;
	for (size_t i = 0; i < t->nhosts; i++) {
		t->hosts[i].url = cfg->hosts[i];
		http_url_redact(cfg->hosts[i], t->hosts[i].name, sizeof(t->hosts[i].name));
	}
	if (cfg->api_key) {
		size_t n = strlen(cfg->api_key) + 32;

		if ((t->auth_header = malloc(n)) == NULL)
			goto oom;
		snprintf(t->auth_header, n, "Authorization: ApiKey %s", cfg->api_key);
	}
	t->bulk_headers = headers(t, "Content-Type: application/x-ndjson", cfg->gzip);
	t->json_headers = headers(t, "Content-Type: application/json", 0);
	t->multi = curl_multi_init();
	t->sync = curl_easy_init();
	if (t->bulk_headers == NULL || t->json_headers == NULL || t->multi == NULL ||
	    t->sync == NULL)
		goto oom;
	curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS, (long)(t->nslots * t->nhosts + 1));
	http_buf_init(&t->sync_resp, RESP_MAX);
	for (size_t i = 0; i < t->nslots; i++) {
		struct slot *s = &t->slots[i];

		http_buf_init(&s->resp, RESP_MAX);
		if ((s->easy = curl_easy_init()) == NULL)
			goto oom;
		if (setup_easy(t, s->easy, s->errbuf) < 0)
			goto fail;
		curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, &s->resp);
		curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
		curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, t->bulk_headers);
		curl_easy_setopt(s->easy, CURLOPT_POST, 1L);
	}
	/* Level 1 of libdeflate: most of the size gain for a fraction of the
	 * CPU, and 2.5 times zlib's level 1 on our records (the bodies are
	 * whole buffers, libdeflate's case). */
	if (cfg->gzip && (t->z = libdeflate_alloc_compressor(1)) == NULL)
		goto oom;
	return t;
oom:
	log_err("cannot set up HTTP: out of memory");
fail:
	transport_destroy(t);
	return NULL;
}

void
transport_destroy(struct transport *t)
{
	if (t == NULL)
		return;
	transport_abort(t);
	for (size_t i = 0; t->slots && i < t->nslots; i++) {
		struct slot *s = &t->slots[i];

		if (s->easy)
			curl_easy_cleanup(s->easy);
		http_buf_free(&s->resp);
		buf_free(&s->gz);
	}
	if (t->z)
		libdeflate_free_compressor(t->z);
	if (t->sync)
		curl_easy_cleanup(t->sync);
	http_buf_free(&t->sync_resp);
	if (t->multi)
		curl_multi_cleanup(t->multi);
	curl_slist_free_all(t->bulk_headers);
	curl_slist_free_all(t->json_headers);
	if (t->auth_header) {
		explicit_bzero(t->auth_header, strlen(t->auth_header));
		free(t->auth_header);
	}
	free(t->slots);
	free(t->hosts);
	free(t);
}

size_t
transport_nhosts(const struct transport *t)
{
	return t->nhosts;
}

const char *
transport_host_name(const struct transport *t, size_t host)
{
	return t->hosts[host].name;
}

void
transport_cool(struct transport *t, size_t host, int64_t until_ms)
{
	if (t->nhosts > 1 && t->hosts[host].cool_until < until_ms)
		log_warn("%s: failing, sending to the other hosts for %.1f s",
		    t->hosts[host].name, (double)(until_ms - ts_now_ms()) / 1000);
	t->hosts[host].cool_until = until_ms;
}

size_t
transport_pick(struct transport *t)
{
	int64_t now = ts_now_ms();
	size_t best = t->rr % t->nhosts;

	for (size_t k = 0; k < t->nhosts; k++) {
		size_t i = (t->rr + k) % t->nhosts;

		if (t->hosts[i].cool_until <= now) {
			t->rr = i + 1;
			return i;
		}
		if (t->hosts[i].cool_until < t->hosts[best].cool_until)
			best = i;
	}
	/* Everyone is resting: the one that has rested longest. */
	t->rr = best + 1;
	return best;
}

size_t
transport_busy(const struct transport *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nslots; i++)
		n += t->slots[i].busy != 0;
	return n;
}

size_t
transport_idle(const struct transport *t)
{
	return t->nslots - transport_busy(t);
}

/* gzip body into s->gz.  0, or -1. */
static int
compress_body(struct libdeflate_compressor *z, struct slot *s, const char *body, size_t len)
{
	size_t bound = libdeflate_gzip_compress_bound(z, len), n;

	s->gz.len = 0;
	if (buf_reserve(&s->gz, bound) < 0)
		return -1;
	if ((n = libdeflate_gzip_compress(z, body, len, s->gz.data, bound)) == 0)
		return -1;
	s->gz.len = n;
	return 0;
}

int
transport_send(struct transport *t, const char *body, size_t len, void *user)
{
	struct slot *s = NULL;
	const char *data = body;
	size_t dlen = len;

	for (size_t i = 0; i < t->nslots && s == NULL; i++)
		if (!t->slots[i].busy)
			s = &t->slots[i];
	if (s == NULL)
		return -1;
	if (t->cfg->gzip) {
		if (compress_body(t->z, s, body, len) < 0) {
			log_err("gzip: cannot compress a request body");
			return -1;
		}
		data = s->gz.data;
		dlen = s->gz.len;
	}
	s->host = transport_pick(t);
	snprintf(s->url, sizeof(s->url), "%s%s", t->hosts[s->host].url, BULK_PATH);
	http_buf_reset(&s->resp);
	s->errbuf[0] = '\0';
	curl_easy_setopt(s->easy, CURLOPT_URL, s->url);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, data);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)dlen);
	if (curl_multi_add_handle(t->multi, s->easy) != CURLM_OK) {
		log_err("libcurl: cannot start a request");
		return -1;
	}
	s->busy = 1;
	s->user = user;
	s->sent = dlen;
	s->start_ms = ts_now_ms();
	return 0;
}

int
transport_wait(struct transport *t, int fd, int timeout_ms, int *fd_ready)
{
	struct curl_waitfd wfd = {.fd = fd, .events = CURL_WAIT_POLLIN};
	int running;
	CURLMcode mc;

	if (fd_ready)
		*fd_ready = 0;
	mc = curl_multi_poll(t->multi, fd >= 0 ? &wfd : NULL, fd >= 0 ? 1 : 0,
	    timeout_ms, NULL);
	if (mc != CURLM_OK) {
		log_err("libcurl: %s", curl_multi_strerror(mc));
		return -1;
	}
	if (fd >= 0 && fd_ready && (wfd.revents & (CURL_WAIT_POLLIN | CURL_WAIT_POLLPRI)))
		*fd_ready = 1;
	/* A hang-up shows as readable too: read() then returns 0. */
	if (fd >= 0 && fd_ready && wfd.revents)
		*fd_ready = 1;
	mc = curl_multi_perform(t->multi, &running);
	if (mc != CURLM_OK) {
		log_err("libcurl: %s", curl_multi_strerror(mc));
		return -1;
	}
	return 0;
}

int
transport_done(struct transport *t, struct tx_result *r)
{
	CURLMsg *m;
	int left;
	struct slot *s = NULL;
	char *priv = NULL;

	while ((m = curl_multi_info_read(t->multi, &left)) != NULL) {
		if (m->msg == CURLMSG_DONE)
			break;
	}
	if (m == NULL)
		return 0;
	curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
	s = (struct slot *)(void *)priv;
	memset(r, 0, sizeof(*r));
	r->user = s->user;
	r->host = s->host;
	r->host_name = t->hosts[s->host].name;
	r->cc = m->data.result;
	r->curl_err = s->errbuf[0] ? s->errbuf : curl_easy_strerror(r->cc);
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &r->status);
	r->body = s->resp.data ? s->resp.data : "";
	r->len = s->resp.len;
	r->truncated = s->resp.truncated;
	r->seconds = (double)(ts_now_ms() - s->start_ms) / 1000;
	r->sent = s->sent;
	r->gzipped = t->cfg->gzip;
	r->wire = t->cfg->gzip ? s->gz.data : NULL;
	curl_multi_remove_handle(t->multi, s->easy);
	return 1;
}

void
transport_release(struct transport *t, struct tx_result *r)
{
	for (size_t i = 0; i < t->nslots; i++) {
		struct slot *s = &t->slots[i];

		if (s->busy && s->user == r->user) {
			s->busy = 0;
			s->user = NULL;
			http_buf_reset(&s->resp);
			/* Keep the gzip buffer from growing for ever. */
			if (s->gz.cap > (size_t)16 * 1024 * 1024)
				buf_free(&s->gz);
			return;
		}
	}
}

void
transport_abort(struct transport *t)
{
	for (size_t i = 0; t->slots && i < t->nslots; i++) {
		struct slot *s = &t->slots[i];

		if (s->busy) {
			curl_multi_remove_handle(t->multi, s->easy);
			s->busy = 0;
			s->user = NULL;
		}
	}
}

CURLcode
transport_request(struct transport *t, size_t host, const char *method,
    const char *path, const char *body, long *status, const char **resp,
    size_t *resp_len, char *errbuf)
{
	char url[1024];
	CURLcode cc;

	curl_easy_reset(t->sync);
	if (setup_easy(t, t->sync, errbuf) < 0)
		return CURLE_FAILED_INIT;
	errbuf[0] = '\0';
	snprintf(url, sizeof(url), "%s%s", t->hosts[host].url, path);
	http_buf_reset(&t->sync_resp);
	curl_easy_setopt(t->sync, CURLOPT_URL, url);
	curl_easy_setopt(t->sync, CURLOPT_WRITEDATA, &t->sync_resp);
	curl_easy_setopt(t->sync, CURLOPT_HTTPHEADER, t->json_headers);
	if (body) {
		curl_easy_setopt(t->sync, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(t->sync, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(t->sync, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(body));
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(t->sync, CURLOPT_CUSTOMREQUEST, method);
	}
	cc = curl_easy_perform(t->sync);
	if (errbuf[0] == '\0')
		snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_easy_strerror(cc));
	*status = 0;
	curl_easy_getinfo(t->sync, CURLINFO_RESPONSE_CODE, status);
	*resp = t->sync_resp.data ? t->sync_resp.data : "";
	*resp_len = t->sync_resp.len;
	return cc;
}
