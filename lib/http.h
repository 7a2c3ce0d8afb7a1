/*
 * http.h - what kismet-tap and es-bulk share about libcurl: TLS and client
 * certificate options, a bounded response buffer, and base-URL handling.
 * Credentials are applied by each tool (they differ: Kismet cookie vs. ES
 * ApiKey header) but never logged: http_url_redact() strips userinfo.
 */
#ifndef KES_HTTP_H
#define KES_HTTP_H

#include <curl/curl.h>
#include <stddef.h>

struct http_tls {
	const char *cacert;	/* --cacert: CA bundle to verify the server */
	const char *cert;	/* --cert: client certificate (PEM) */
	const char *key;	/* --key: client key (PEM) */
	int insecure;		/* --insecure: no verification (warned) */
};

/* Apply TLS options to an easy handle.  Returns CURLE_OK or the failing code. */
CURLcode http_tls_apply(CURL *h, const struct http_tls *tls);

/* A response body buffer that refuses to grow past max (sets truncated). */
struct http_buf {
	char *data;		/* NUL-terminated when len > 0 */
	size_t len, cap, max;
	int truncated;
};

void http_buf_init(struct http_buf *b, size_t max);
void http_buf_reset(struct http_buf *b);
void http_buf_free(struct http_buf *b);
/* CURLOPT_WRITEFUNCTION for an http_buf passed as CURLOPT_WRITEDATA. */
size_t http_buf_write(char *ptr, size_t size, size_t nmemb, void *userdata);

/* Copy url without "user:password@" into out (always NUL-terminated). */
void http_url_redact(const char *url, char *out, size_t outlen);
/* Strip trailing slashes from a base URL in place. */
void http_url_trim(char *url);
/* A curl error that retrying cannot fix: the peer's certificate does not
 * verify, the CA file or client certificate is unusable, no cipher in
 * common, the pinned key does not match. */
int http_tls_fatal(CURLcode cc);

#endif
