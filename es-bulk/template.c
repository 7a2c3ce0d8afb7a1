/*
 * template.c - server detection and the index template (template.h).
 *
 * The template's pattern is <literal prefix>*, e.g. kismet-* for the
 * default names.  Its priority is 100 + the prefix length: Elasticsearch
 * refuses two composable templates with overlapping patterns and the same
 * priority, and a longer prefix (kismet-field-*) is the more specific one,
 * so it must win over a shorter one (kismet-*).
 *
 * The sighting fields (kismet-tap --sightings, ARCHITECTURE.md 2c) are a
 * block of their own (mapping_sightings.c), added to the properties where
 * the common mapping does not already define a field of the same name.
 *
 * The template carries a "version" that is a hash of its own text: a
 * template already on the server with that version is left alone (GET
 * works on a read-only cluster, PUT does not).  A PUT refused with 403
 * cluster_block_exception (read-only cluster, flood-stage disk) waits with
 * the long backoff and tries again, like a bulk request: never fatal.
 * Any other 403 on the template GET or PUT means credentials without the
 * cluster privilege: the least-privilege split of kismet-es(7), where an
 * administrator installs the template once (--template-only) and the
 * sensors only index.  It is an error for --template-only and a warning
 * otherwise: indexing goes on.
 */
#include "template.h"

#include <jansson.h>
#include <stdint.h>
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

/* Add the sighting properties that inner's mappings lack. */
static void
add_sightings(json_t *inner)
{
	json_t *props = json_object_get(json_object_get(inner, "mappings"), "properties");
	json_t *add = json_loads(esb_sightings_properties, 0, NULL), *v;
	const char *k;

	json_object_foreach(add, k, v)
		if (json_object_get(props, k) == NULL)
			json_object_set(props, k, v);
	json_decref(add);
}

char *
template_json(const struct config *cfg, const struct route *r, int legacy,
    long long *version)
{
	const char *prefix = route_literal_prefix(r);
	json_t *body, *inner, *root;
	char pattern[ROUTE_INDEX_MAX + 2];
	char *out = NULL;

	(void)cfg;
	inner = json_loads(esb_template_body, 0, NULL);
	if (inner == NULL)
		return NULL;
	add_sightings(inner);
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
	/* the version: FNV-1a of the template without it, 31 bits */
	out = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	if (out != NULL) {
		uint32_t h = 2166136261u;

		for (const char *p = out; *p; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
		free(out);
		json_object_set_new(root, "version", json_integer((json_int_t)(h & 0x7fffffff)));
		if (version)
			*version = (long long)(h & 0x7fffffff);
		out = json_dumps(root, JSON_COMPACT);
	}
	json_decref(root);
	json_decref(inner);
	return out;
}

/* The version of template name in a GET answer, or -1. */
static json_int_t
server_version(const char *resp, size_t len, const char *name, int legacy)
{
	json_t *j = json_loadb(resp, len, 0, NULL), *t = NULL, *e;
	json_int_t v = -1;
	size_t i;

	if (legacy) {
		t = json_object_get(j, name);
	} else {
		json_array_foreach(json_object_get(j, "index_templates"), i, e) {
			json_t *n = json_object_get(e, "name");

			if (json_is_string(n) && strcmp(json_string_value(n), name) == 0)
				t = json_object_get(e, "index_template");
		}
	}
	if (json_is_integer(json_object_get(t, "version")))
		v = json_integer_value(json_object_get(t, "version"));
	json_decref(j);
	return v;
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

/* A 403 that is not a cluster block on the template's GET or PUT (above). */
static int
template_forbidden(const struct config *cfg, const char *host, const char *what,
    const char *name, const char *resp, size_t resp_len)
{
	char type[64], reason[320];

	response_error(resp, resp_len, type, sizeof(type), reason, sizeof(reason));
	if (cfg->template_only) {
		log_err("%s: not allowed to %s the index template %s (403 %s: %s)", host,
		    what, name, type, reason);
		return KES_EXIT_NOPERM;
	}
	log_warn("%s: not allowed to %s the index template %s (403 %s); indexing "
	    "without it: an administrator installs it with es-bulk --template-only "
	    "(--no-template silences this)", host, what, name, type);
	return KES_EXIT_OK;
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
	int legacy = 0, step = 0;	/* 0: GET /, 1: GET template, 2: PUT it */
	int blocked = 0;
	long long version = -1;	/* of the template we install */
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
		if (step < 2)
			cc = transport_request(t, h, "GET", step == 0 ? "/" : path, NULL,
			    &status, &resp, &resp_len, errbuf);
		else
			cc = transport_request(t, h, "PUT", path, body, &status, &resp,
			    &resp_len, errbuf);
		if (cc != CURLE_OK || status == 429 || status >= 500) {
			int64_t d;

			if (cc != CURLE_OK && http_tls_fatal(cc)) {
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
			body = template_json(cfg, r, legacy, &version);
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
		if (step == 1) {
			if (status == 403) {
				free(body);
				return template_forbidden(cfg, host, "read", name, resp, resp_len);
			}
			if (status == 200 && server_version(resp, resp_len, name, legacy) ==
			    version) {
				log_debug("%s: index template %s is already installed", host, name);
				free(body);
				return KES_EXIT_OK;
			}
			step = 2;	/* missing (404) or another version */
			attempt = 0;
			continue;
		}
		if (status == 200 || status == 201) {
			free(body);
			if (blocked)
				log_info("%s: the cluster accepts writes again", host);
			log_debug("%s: index template %s installed for %s*", host, name,
			    route_literal_prefix(r));
			return KES_EXIT_OK;
		}
		response_error(resp, resp_len, type, sizeof(type), reason, sizeof(reason));
		if (status == 403 && strcmp(type, "cluster_block_exception") == 0) {
			int64_t d = backoff_delay(&backoff_blocked, ++attempt, backoff_random());

			if (!blocked++)
				log_warn("%s: index template %s: %s (%s); waiting for the block "
				    "to be lifted, retrying every %.0f s or so", host, name, type,
				    reason, (double)d / 1000);
			pause_ms(d);
			continue;
		}
		free(body);
		if (status == 403)
			return template_forbidden(cfg, host, "install", name, resp, resp_len);
		log_err("%s: index template %s refused (%ld %s: %s)", host, name, status,
		    type, reason);
		return KES_EXIT_UNAVAIL;
	}
}
