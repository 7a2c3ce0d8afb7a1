/*
 * template.c - server detection and the index template (template.h).
 *
 * The template's pattern is <literal prefix>*, e.g. kismet-* for the
 * default names.  Its priority is 100 + the prefix length: Elasticsearch
 * refuses two composable templates with overlapping patterns and the same
 * priority, and a longer prefix (kismet-field-*) is the more specific one,
 * so it must win over a shorter one (kismet-*).
 */
#include "template.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "retry.h"
#include "response.h"
#include "exitcodes.h"
#include "log.h"
#include "sig.h"
#include "timefmt.h"

/* A template name from the prefix: "es-bulk-kismet" for "kismet-". */
static void
template_name(const char *prefix, char *out, size_t outlen)
{
	size_t n = strlen(prefix);

	while (n > 0 && (prefix[n - 1] == '-' || prefix[n - 1] == '.' ||
	    prefix[n - 1] == '_'))
		n--;
	snprintf(out, outlen, "es-bulk-%.*s", (int)n, prefix);
}

char *
template_json(const struct config *cfg, const struct route *r, int legacy)
{
	const char *prefix = route_literal_prefix(r);
	json_t *body, *inner, *root;
	char pattern[ROUTE_INDEX_MAX + 2];
	char *out = NULL;

	(void)cfg;
	inner = json_loads(esb_template_body, 0, NULL);
	if (inner == NULL)
		return NULL;
	snprintf(pattern, sizeof(pattern), "%s*", prefix);
	root = json_object();
	json_object_set_new(root, "index_patterns", json_pack("[s]", pattern));
	if (legacy) {
		json_object_set_new(root, "order", json_integer(100 + (json_int_t)strlen(prefix)));
		json_object_set(root, "settings", json_object_get(inner, "settings"));
		json_object_set(root, "mappings", json_object_get(inner, "mappings"));
	} else {
		json_object_set_new(root, "priority", json_integer(100 + (json_int_t)strlen(prefix)));
		body = json_object();
		json_object_set(body, "settings", json_object_get(inner, "settings"));
		json_object_set(body, "mappings", json_object_get(inner, "mappings"));
		json_object_set_new(root, "template", body);
		json_object_set_new(root, "_meta", json_pack("{s:s}", "managed_by", "es-bulk"));
	}
	out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	json_decref(inner);
	return out;
}

/* Wait ms, waking for signals; 0, or -1 when asked to stop. */
static int
pause_ms(int64_t ms)
{
	int64_t end = ts_now_ms() + ms;

	while (!sig_stop) {
		int64_t left = end - ts_now_ms();

		if (left <= 0)
			return 0;
		usleep((useconds_t)(left > 100 ? 100000 : left * 1000));
	}
	return -1;
}

/* Is version "X.Y..." older than 7.8? */
static int
before_7_8(const char *v)
{
	long major, minor = 0;
	char *end;

	if (v == NULL)
		return 0;
	major = strtol(v, &end, 10);
	if (end == v)
		return 0;
	if (*end == '.')
		minor = strtol(end + 1, NULL, 10);
	return major < 7 || (major == 7 && minor < 8);
}

static int
auth_failed(const char *host, long status)
{
	log_err("%s: authentication failed (%ld)", host, status);
	return KES_EXIT_NOPERM;
}

int
template_install(struct transport *t, const struct config *cfg,
    const struct route *r)
{
	char errbuf[CURL_ERROR_SIZE], name[ROUTE_INDEX_MAX + 16], path[ROUTE_INDEX_MAX + 64];
	char type[64], reason[320];
	const char *resp, *host = NULL;
	size_t resp_len, h;
	unsigned attempt = 0;
	long status;
	CURLcode cc;
	int legacy = 0, step = 0;	/* 0: GET /, 1: PUT template */
	char *body = NULL;

	if (route_literal_prefix(r)[0] == '\0') {
		log_warn("--index starts with a variable part: no index template "
		    "installed (use --no-template to silence this)");
		return KES_EXIT_OK;
	}
	template_name(route_literal_prefix(r), name, sizeof(name));
	for (;;) {
		if (sig_stop) {
			free(body);
			return KES_EXIT_TEMPFAIL;
		}
		h = transport_pick(t);
		host = transport_host_name(t, h);
		if (step == 0)
			cc = transport_request(t, h, "GET", "/", NULL, &status, &resp,
			    &resp_len, errbuf);
		else
			cc = transport_request(t, h, "PUT", path, body, &status, &resp,
			    &resp_len, errbuf);
		if (cc != CURLE_OK || status == 429 || status >= 500) {
			int64_t d;

			if (cc != CURLE_OK && transport_tls_fatal(cc)) {
				log_err("%s: TLS: %s", host, errbuf);
				free(body);
				return KES_EXIT_UNAVAIL;
			}
			attempt++;
			if (cfg->max_retries >= 0 && attempt > (unsigned)cfg->max_retries) {
				log_err("%s: %s%s; giving up after %u %s", host,
				    cc != CURLE_OK ? errbuf : "HTTP error ",
				    cc != CURLE_OK ? "" : (status == 429 ? "429" : "5xx"),
				    attempt - 1, attempt == 2 ? "retry" : "retries");
				free(body);
				return KES_EXIT_UNAVAIL;
			}
			d = backoff_delay(&backoff_request, attempt, backoff_random());
			transport_cool(t, h, ts_now_ms() + d);
			if (cc != CURLE_OK)
				log_warn("%s: %s; retrying in %.1f s", host, errbuf, (double)d / 1000);
			else
				log_warn("%s: HTTP %ld; retrying in %.1f s", host, status,
				    (double)d / 1000);
			if (pause_ms(d) < 0)
				continue;
			continue;
		}
		if (status == 401) {
			free(body);
			return auth_failed(host, status);
		}
		if (step == 0) {
			json_t *root = json_loadb(resp, resp_len, 0, NULL);
			json_t *ver = json_object_get(root, "version");
			const char *dist = json_string_value(json_object_get(ver, "distribution"));
			const char *num = json_string_value(json_object_get(ver, "number"));

			if (status == 200 && num) {
				int os = dist && strcmp(dist, "opensearch") == 0;

				legacy = !os && before_7_8(num);
				log_debug("%s: %s %s", host, os ? "OpenSearch" : "Elasticsearch", num);
			} else {
				log_warn("%s: GET / answered %ld: server version unknown, "
				    "assuming a composable index template works", host, status);
			}
			json_decref(root);
			body = template_json(cfg, r, legacy);
			if (body == NULL) {
				log_err("cannot build the index template");
				return KES_EXIT_SOFTWARE;
			}
			snprintf(path, sizeof(path), "/%s/%s",
			    legacy ? "_template" : "_index_template", name);
			step = 1;
			attempt = 0;
			continue;
		}
		free(body);
		if (status == 200 || status == 201) {
			log_debug("%s: index template %s installed for %s*", host, name,
			    route_literal_prefix(r));
			return KES_EXIT_OK;
		}
		response_error(resp, resp_len, type, sizeof(type), reason, sizeof(reason));
		if (status == 403) {
			log_err("%s: not allowed to install the index template %s (403 %s: %s); "
			    "use --no-template if it is managed elsewhere", host, name, type, reason);
			return KES_EXIT_NOPERM;
		}
		log_err("%s: index template %s refused (%ld %s: %s)", host, name, status,
		    type, reason);
		return KES_EXIT_UNAVAIL;
	}
}
