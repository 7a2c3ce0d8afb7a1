/*
 * route.c - index names and document ids (see route.h).
 *
 * Default names are <prefix>-devices-YYYY.MM / <prefix>-events-YYYY.MM by
 * record_type, and <prefix>-other-YYYY.MM for any other or missing
 * record_type, so that nothing is lost and nothing pollutes the two Kismet
 * index families.  The month is the record's time in UTC; a record without a
 * usable time goes to the current month (counted as no_time).
 * Ids: the first 144 bits of SHA-256 over the exact line bytes (after CRLF
 * stripping), base64url, 24 characters: a replay overwrites, never duplicates.
 */
#include "route.h"

#include <ctype.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "timefmt.h"

struct route {
	const struct config *cfg;
	EVP_MD *sha256;
	EVP_MD_CTX *md;
	char literal[ROUTE_INDEX_MAX];
};

/* Characters Elasticsearch accepts in index names (lower case only). */
static int
index_char_ok(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_' || c == '.' || c == '+';
}

static int
check_prefix(const char *p)
{
	if (*p == '-' || *p == '_' || *p == '+')
		return -1;
	for (; *p; p++)
		if (!index_char_ok((unsigned char)*p))
			return -1;
	return 0;
}

/* Validate an --index template; fill r->literal with its constant start. */
static int
check_template(struct route *r, const char *t)
{
	size_t lit = 0;
	int in_lit = 1;

	for (const char *p = t; *p; p++) {
		if (*p == '{') {
			const char *e = strchr(p, '}');

			if (e == NULL || e == p + 1) {
				log_err("--index '%s': unbalanced or empty {field}", t);
				return -1;
			}
			p = e;
			in_lit = 0;
		} else if (*p == '%') {
			if (p[1] == '\0' || strchr("YmdHjGV%", p[1]) == NULL) {
				log_err("--index '%s': unknown time part '%%%c' "
				    "(use %%Y %%m %%d %%H %%j %%G %%V %%%%)", t,
				    p[1] ? p[1] : ' ');
				return -1;
			}
			if (p[1] == '%' && in_lit && lit + 1 < sizeof(r->literal))
				r->literal[lit++] = '%';
			else
				in_lit = 0;
			p++;
		} else if (!index_char_ok((unsigned char)*p)) {
			log_err("--index '%s': '%c' is not allowed in index names "
			    "(lower case letters, digits, - _ . +)", t, *p);
			return -1;
		} else if (in_lit && lit + 1 < sizeof(r->literal)) {
			r->literal[lit++] = *p;
		}
	}
	r->literal[lit] = '\0';
	return 0;
}

struct route *
route_create(const struct config *cfg)
{
	struct route *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->cfg = cfg;
	if (cfg->index_tmpl) {
		if (check_template(r, cfg->index_tmpl) < 0)
			goto fail;
	} else {
		if (check_prefix(cfg->index_prefix) < 0) {
			log_err("--index-prefix '%s': use lower case letters, "
			    "digits, - _ . + (not first)", cfg->index_prefix);
			goto fail;
		}
		snprintf(r->literal, sizeof(r->literal), "%s-", cfg->index_prefix);
	}
	r->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	r->md = EVP_MD_CTX_new();
	if (r->sha256 == NULL || r->md == NULL) {
		log_err("OpenSSL: SHA-256 not available");
		goto fail;
	}
	return r;
fail:
	route_destroy(r);
	return NULL;
}

void
route_destroy(struct route *r)
{
	if (r == NULL)
		return;
	EVP_MD_CTX_free(r->md);
	EVP_MD_free(r->sha256);
	free(r);
}

const char *
route_literal_prefix(const struct route *r)
{
	return r->literal;
}

/* A top-level field, or a dotted path into nested objects. */
static json_t *
lookup(json_t *rec, const char *name)
{
	json_t *v = json_object_get(rec, name);
	char part[256];
	const char *p = name, *dot;

	if (v || strchr(name, '.') == NULL)
		return v;
	v = rec;
	while (v && json_is_object(v)) {
		dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (n >= sizeof(part))
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		v = json_object_get(v, part);
		if (dot == NULL)
			return v;
		p = dot + 1;
	}
	return NULL;
}

/* The record's time in ms, or -1 if it has none that can be used. */
static int
record_time(json_t *v, int64_t *ms)
{
	if (json_is_string(v))
		return ts_parse_iso(json_string_value(v), json_string_length(v), ms);
	if (json_is_number(v))
		return ts_from_epoch(json_number_value(v), ms);
	return -1;
}

/* A scalar as text: strings as they are, integral numbers without ".0". */
static int
scalar_text(json_t *v, char *out, size_t outlen)
{
	int n;

	if (json_is_string(v)) {
		if (json_string_length(v) >= outlen)
			return -1;
		memcpy(out, json_string_value(v), json_string_length(v) + 1);
		return memchr(out, '\0', json_string_length(v)) ? -1 : 0;
	}
	if (json_is_integer(v)) {
		n = snprintf(out, outlen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		double d = json_real_value(v);

		if (d == floor(d) && fabs(d) < 9007199254740992.0)
			n = snprintf(out, outlen, "%.0f", d);
		else
			n = snprintf(out, outlen, "%.17g", d);
	} else if (json_is_boolean(v)) {
		n = snprintf(out, outlen, "%s", json_is_true(v) ? "true" : "false");
	} else {
		return -1;
	}
	return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

/* Append a field value to an index name, made safe for one. */
static size_t
append_field(char *out, size_t pos, size_t max, json_t *v)
{
	char buf[ROUTE_INDEX_MAX];

	if (v == NULL || scalar_text(v, buf, sizeof(buf)) < 0 || buf[0] == '\0')
		snprintf(buf, sizeof(buf), "none");
	for (char *p = buf; *p && pos + 1 < max; p++) {
		int c = tolower((unsigned char)*p);

		out[pos++] = (char)(index_char_ok(c) ? c : '_');
	}
	return pos;
}

static void
expand_template(struct route *r, json_t *rec, const struct tm *tm,
    char *out, size_t max)
{
	const char *t = r->cfg->index_tmpl;
	size_t pos = 0;

	for (const char *p = t; *p && pos + 1 < max; p++) {
		if (*p == '{') {
			const char *e = strchr(p, '}');
			char name[256];
			size_t n = (size_t)(e - p - 1);

			if (n >= sizeof(name))
				n = sizeof(name) - 1;
			memcpy(name, p + 1, n);
			name[n] = '\0';
			pos = append_field(out, pos, max, lookup(rec, name));
			p = e;
		} else if (*p == '%') {
			char fmt[3] = {'%', p[1], '\0'}, buf[16];
			size_t n = strftime(buf, sizeof(buf), fmt, tm);

			for (size_t i = 0; i < n && pos + 1 < max; i++)
				out[pos++] = buf[i];
			p++;
		} else {
			out[pos++] = *p;
		}
	}
	out[pos] = '\0';
}

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
hash_id(struct route *r, const char *line, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t o = 0;

	if (EVP_DigestInit_ex(r->md, r->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(r->md, line, len) != 1 ||
	    EVP_DigestFinal_ex(r->md, md, &mdlen) != 1 || mdlen < 18)
		return -1;
	for (size_t i = 0; i < 18; i += 3) {
		unsigned v = (unsigned)md[i] << 16 | (unsigned)md[i + 1] << 8 | md[i + 2];

		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	out[o] = '\0';
	return 0;
}

int
route_record(struct route *r, json_t *rec, const char *line, size_t len,
    struct route_out *out)
{
	const struct config *cfg = r->cfg;
	struct tm tm;
	int64_t ms;

	out->error = NULL;
	out->no_time = 0;
	if (record_time(lookup(rec, cfg->time_field), &ms) < 0) {
		out->no_time = 1;
		ms = ts_now_ms();
	}
	ts_to_tm(ms, &tm);
	if (cfg->index_tmpl) {
		expand_template(r, rec, &tm, out->index, sizeof(out->index));
	} else {
		json_t *rt = json_object_get(rec, "record_type");
		const char *kind = "other", *s = json_string_value(rt);

		if (s && strcmp(s, "device") == 0)
			kind = "devices";
		else if (s && strcmp(s, "event") == 0)
			kind = "events";
		snprintf(out->index, sizeof(out->index), "%s-%s-%04d.%02d",
		    cfg->index_prefix, kind, tm.tm_year + 1900, tm.tm_mon + 1);
	}

	if (cfg->no_id) {
		out->id[0] = '\0';
	} else if (cfg->id_field) {
		json_t *v = lookup(rec, cfg->id_field);

		if (v == NULL) {
			out->error = "id_missing";
			snprintf(out->reason, sizeof(out->reason),
			    "no field '%s' for the document id", cfg->id_field);
			return -1;
		}
		if (scalar_text(v, out->id, sizeof(out->id)) < 0 || out->id[0] == '\0') {
			out->error = "id_invalid";
			snprintf(out->reason, sizeof(out->reason),
			    "field '%s' is not a usable id (a non-empty string or "
			    "number of at most 512 bytes)", cfg->id_field);
			return -1;
		}
	} else if (hash_id(r, line, len, out->id) < 0) {
		out->error = "hash_failed";
		snprintf(out->reason, sizeof(out->reason), "SHA-256 failed");
		return -1;
	}
	return 0;
}
