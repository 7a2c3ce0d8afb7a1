/*
 * http.c - shared libcurl plumbing (see http.h).
 */
#include "http.h"

#include <stdlib.h>
#include <string.h>

CURLcode
http_tls_apply(CURL *h, const struct http_tls *tls)
{
	CURLcode rc = CURLE_OK;

	if (tls->cacert && (rc = curl_easy_setopt(h, CURLOPT_CAINFO, tls->cacert)) != CURLE_OK)
		return rc;
	if (tls->cert && (rc = curl_easy_setopt(h, CURLOPT_SSLCERT, tls->cert)) != CURLE_OK)
		return rc;
	if (tls->key && (rc = curl_easy_setopt(h, CURLOPT_SSLKEY, tls->key)) != CURLE_OK)
		return rc;
	if (tls->insecure) {
		if ((rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L)) != CURLE_OK)
			return rc;
		rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return rc;
}

void
http_buf_init(struct http_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
http_buf_reset(struct http_buf *b)
{
	b->len = 0;
	b->truncated = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
http_buf_free(struct http_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

size_t
http_buf_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct http_buf *b = userdata;
	size_t n = size * nmemb, take = n;

	if (b->len + take > b->max) {
		take = b->max > b->len ? b->max - b->len : 0;
		b->truncated = 1;
	}
	if (b->len + take + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 4096;
		char *nd;

		while (ncap < b->len + take + 1)
			ncap *= 2;
		nd = realloc(b->data, ncap);
		if (nd == NULL)
			return 0;	/* curl reports CURLE_WRITE_ERROR */
		b->data = nd;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, ptr, take);
	b->len += take;
	b->data[b->len] = '\0';
	return n;	/* swallow what does not fit: the response stays usable */
}

void
http_url_redact(const char *url, char *out, size_t outlen)
{
	const char *scheme = strstr(url, "://"), *host, *at, *slash;
	size_t n;

	if (outlen == 0)
		return;
	host = scheme ? scheme + 3 : url;
	slash = strchr(host, '/');
	at = strchr(host, '@');
	if (at && (slash == NULL || at < slash)) {
		n = (size_t)(host - url);
		if (n >= outlen)
			n = outlen - 1;
		memcpy(out, url, n);
		out[n] = '\0';
		strncat(out, at + 1, outlen - n - 1);
		return;
	}
	strncpy(out, url, outlen - 1);
	out[outlen - 1] = '\0';
}

void
http_url_trim(char *url)
{
	size_t n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
}

int
http_tls_fatal(CURLcode cc)
{
	return cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
	    cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_SSL_CIPHER ||
	    cc == CURLE_SSL_ISSUER_ERROR || cc == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
}
