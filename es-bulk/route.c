/*
 * route.c - index names and document ids (see route.h).
 *
 * Default names are <prefix>-devices-YYYY.MM / <prefix>-events-YYYY.MM /
 * <prefix>-sightings-YYYY.MM by record_type (device, event, sighting), and
 * <prefix>-other-YYYY.MM for any other or missing record_type, so that
 * nothing is lost and nothing pollutes the Kismet index families.  The month is the record's time in UTC; a record without a
 * usable time goes to the current month (counted as no_time).
 * Ids: the first 144 bits of SHA-256 over the exact line bytes (after CRLF
 * stripping), base64url, 24 characters: a replay overwrites, never duplicates.
 * The hash uses OpenSSL's low-level SHA-256 (deprecated in 3.0, not removed):
 * the same code as EVP, without EVP's provider machinery, whose set-up
 * (configuration, algorithm tables) costs ~1.7 MB of RSS and a context
 * reset per line.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "route.h"

#include <ctype.h>
#include <math.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jscan.h"
#include "log.h"
#include "timefmt.h"

/* A field route_record() reads: the whole name as a top-level member
 * first, then, for a dotted name, a path into nested objects. */
struct target {
	const char *name;	/* NUL-terminated */
	size_t len;
	int full;		/* key index of the whole name */
	int first;		/* key index of its first part, -1 if no dot */
};

struct route {
	const struct config *cfg;
	char literal[ROUTE_INDEX_MAX];
	struct in_keys keys;
	struct target time, id, record_type;
	struct target *fields;	/* the --index template's {field}s, in order */
	size_t prefix_len;	/* of cfg->index_prefix */
	size_t nfields;
	char **owned;		/* field names cut out of the template */
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

/* The key index of a top-level name, added when new; -1 out of memory. */
static int
key_index(struct route *r, const char *name, size_t len)
{
	struct in_keys *k = &r->keys;
	const char **nn;
	size_t *nl;

	for (size_t i = 0; i < k->n; i++)
		if (k->len[i] == len && memcmp(k->name[i], name, len) == 0)
			return (int)i;
	nn = realloc(k->name, (k->n + 1) * sizeof(*nn));
	if (nn == NULL)
		return -1;
	k->name = nn;
	nl = realloc(k->len, (k->n + 1) * sizeof(*nl));
	if (nl == NULL)
		return -1;
	k->len = nl;
	k->name[k->n] = name;
	k->len[k->n] = len;
	return (int)k->n++;
}

static int
target_init(struct route *r, struct target *t, const char *name)
{
	const char *dot = strchr(name, '.');

	t->name = name;
	t->len = strlen(name);
	t->first = -1;
	if ((t->full = key_index(r, name, t->len)) < 0)
		return -1;
	/* A first part of 256 bytes or more is never looked up. */
	if (dot && (size_t)(dot - name) < 256 &&
	    (t->first = key_index(r, name, (size_t)(dot - name))) < 0)
		return -1;
	return 0;
}

/* Every field a record is read for; their names stay valid as long as r
 * (config strings, or copies cut out of the template). */
static int
build_targets(struct route *r)
{
	const struct config *cfg = r->cfg;

	if (target_init(r, &r->time, cfg->time_field) < 0)
		return -1;
	if (!cfg->index_tmpl && target_init(r, &r->record_type, "record_type") < 0)
		return -1;
	if (!cfg->no_id && cfg->id_field && target_init(r, &r->id, cfg->id_field) < 0)
		return -1;
	if (!cfg->index_tmpl)
		return 0;
	for (const char *p = cfg->index_tmpl; *p; p++) {
		const char *e;
		size_t n;
		struct target *nf;
		char **no, *name;

		if (*p == '%' && p[1]) {
			p++;
			continue;
		}
		if (*p != '{')
			continue;
		e = strchr(p, '}');	/* checked by check_template */
		n = (size_t)(e - p - 1);
		if (n > 255)
			n = 255;	/* as expand_template always cut it */
		nf = realloc(r->fields, (r->nfields + 1) * sizeof(*nf));
		if (nf == NULL)
			return -1;
		r->fields = nf;
		no = realloc(r->owned, (r->nfields + 1) * sizeof(*no));
		if (no == NULL)
			return -1;
		r->owned = no;
		if ((name = strndup(p + 1, n)) == NULL)
			return -1;
		r->owned[r->nfields] = name;
		if (target_init(r, &r->fields[r->nfields], name) < 0) {
			r->nfields++;
			return -1;
		}
		r->nfields++;
		p = e;
	}
	return 0;
}

const struct in_keys *
route_keys(const struct route *r)
{
	return &r->keys;
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
		r->prefix_len = strlen(cfg->index_prefix);
	}
	if (build_targets(r) < 0) {
		log_err("out of memory");
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
	for (size_t i = 0; i < r->nfields; i++)
		free(r->owned[i]);
	free(r->owned);
	free(r->fields);
	free(r->keys.name);
	free(r->keys.len);
	free(r);
}

const char *
route_literal_prefix(const struct route *r)
{
	return r->literal;
}

/* The last member called name/len of a (valid) object span. */
static int
find_member(const struct jspan *obj, const char *name, size_t len, struct jspan *out)
{
	struct jscan js;
	struct jspan key;
	int found = 0;

	jscan_init(&js, obj->s, obj->n);
	if (jscan_object(&js) < 0)
		return 0;
	while (jscan_member(&js, &key) == 1) {
		if (input_key_eq(&key, name, len)) {
			if (jscan_value(&js, out) < 0)
				return 0;
			found = 1;
		} else if (jscan_value(&js, NULL) < 0) {
			return 0;
		}
	}
	return found;
}

/* A top-level field, or a dotted path into nested objects: 1 with *out
 * filled, or 0. */
static int
lookup(const struct in_record *rec, const struct target *t, struct jspan *out)
{
	const char *p, *dot;
	struct jspan v;

	if (rec->val[t->full].type != JSCAN_NONE) {
		*out = rec->val[t->full];
		return 1;
	}
	if (t->first < 0 || rec->val[t->first].type == JSCAN_NONE)
		return 0;
	v = rec->val[t->first];
	p = strchr(t->name, '.') + 1;
	for (;;) {
		size_t n;

		if (v.type != JSCAN_OBJECT)
			return 0;
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= 256 || !find_member(&v, p, n, &v))
			return 0;
		if (dot == NULL) {
			*out = v;
			return 1;
		}
		p = dot + 1;
	}
}

/* A string value decoded (NUL-terminated) into buf, or into a malloc()ed
 * copy when it does not fit (*heap set; free it).  NULL when it holds
 * U+0000 or memory is short. */
static const char *
decoded(const struct jspan *v, char *buf, size_t cap, char **heap, size_t *len)
{
	char *out = buf;
	long m;

	*heap = NULL;
	if (v->n + 8 > cap) {
		if ((*heap = malloc(v->n + 8)) == NULL)
			return NULL;
		out = *heap;
		cap = v->n + 8;
	}
	if ((m = jspan_string(v, out, cap)) < 0)
		return NULL;
	*len = (size_t)m;
	return out;
}

/* The record's time in ms, or -1 if it has none that can be used. */
static int
record_time(const struct jspan *v, int64_t *ms)
{
	char buf[128], *heap;
	const char *s;
	size_t n;
	double d;
	int rc;

	if (v->type == JSCAN_STRING) {
		if (!v->escaped)
			return ts_parse_iso(v->s, v->n, ms);
		if ((s = decoded(v, buf, sizeof(buf), &heap, &n)) == NULL) {
			free(heap);
			return -1;
		}
		rc = ts_parse_iso(s, n, ms);
		free(heap);
		return rc;
	}
	if (v->type == JSCAN_NUMBER && jspan_double(v, &d) == 0)
		return ts_from_epoch(d, ms);
	return -1;
}

/* A scalar as text: strings as they are, integral numbers without ".0". */
static int
scalar_text(const struct jspan *v, char *out, size_t outlen)
{
	char buf[ROUTE_ID_MAX + 8], *heap;
	const char *s;
	size_t len;
	int n;

	switch (v->type) {
	case JSCAN_STRING:
		if ((s = decoded(v, buf, sizeof(buf), &heap, &len)) == NULL ||
		    len >= outlen) {
			free(heap);
			return -1;
		}
		memcpy(out, s, len + 1);
		free(heap);
		return 0;
	case JSCAN_NUMBER: {
		/* every number as a double, as jansson read them */
		double d;

		if (jspan_double(v, &d) < 0)
			return -1;
		if (d == floor(d) && fabs(d) < 9007199254740992.0)
			n = snprintf(out, outlen, "%.0f", d);
		else
			n = snprintf(out, outlen, "%.17g", d);
		break;
	}
	case JSCAN_TRUE:
	case JSCAN_FALSE:
		n = snprintf(out, outlen, "%s", v->type == JSCAN_TRUE ? "true" : "false");
		break;
	default:
		return -1;
	}
	return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

/* Append a field value to an index name, made safe for one. */
static size_t
append_field(char *out, size_t pos, size_t max, const struct jspan *v)
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
expand_template(struct route *r, const struct in_record *rec, const struct tm *tm,
    char *out, size_t max)
{
	const char *t = r->cfg->index_tmpl;
	size_t pos = 0, field = 0;

	for (const char *p = t; *p && pos + 1 < max; p++) {
		if (*p == '{') {
			struct jspan v;

			pos = append_field(out, pos, max, field < r->nfields &&
			    lookup(rec, &r->fields[field], &v) ? &v : NULL);
			field++;
			p = strchr(p, '}');
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
hash_id(const char *line, size_t len, char *out)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256_CTX c;
	size_t o = 0;

	if (SHA256_Init(&c) != 1 || SHA256_Update(&c, line, len) != 1 ||
	    SHA256_Final(md, &c) != 1)
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

/* <prefix>-<kind>-YYYY.MM, as snprintf("%s-%s-%04d.%02d") would make it
 * (that costs as much as the rest of the routing, once per line). */
static void
default_name(const struct route *r, const char *kind, const struct tm *tm,
    char *out, size_t max)
{
	int y = tm->tm_year + 1900, m = tm->tm_mon + 1;
	size_t kl = strlen(kind), o = r->prefix_len;

	if (y < 0 || y > 9999 || m < 1 || m > 12 || o + kl + 10 >= max) {
		snprintf(out, max, "%s-%s-%04d.%02d", r->cfg->index_prefix, kind, y, m);
		return;
	}
	memcpy(out, r->cfg->index_prefix, o);
	out[o++] = '-';
	memcpy(out + o, kind, kl);
	o += kl;
	out[o++] = '-';
	out[o++] = (char)('0' + y / 1000);
	out[o++] = (char)('0' + y / 100 % 10);
	out[o++] = (char)('0' + y / 10 % 10);
	out[o++] = (char)('0' + y % 10);
	out[o++] = '.';
	out[o++] = (char)('0' + m / 10);
	out[o++] = (char)('0' + m % 10);
	out[o] = '\0';
}

int
route_record(struct route *r, const struct in_record *rec, const char *line,
    size_t len, struct route_out *out)
{
	const struct config *cfg = r->cfg;
	struct jspan v;
	struct tm tm;
	int64_t ms;

	out->error = NULL;
	out->no_time = 0;
	if (!lookup(rec, &r->time, &v) || record_time(&v, &ms) < 0) {
		out->no_time = 1;
		ms = ts_now_ms();
	}
	ts_to_tm(ms, &tm);
	if (cfg->index_tmpl) {
		expand_template(r, rec, &tm, out->index, sizeof(out->index));
	} else {
		const struct jspan *rt = &rec->val[r->record_type.full];
		const char *kind = "other";

		if (rt->type == JSCAN_STRING && input_key_eq(rt, "device", 6))
			kind = "devices";
		else if (rt->type == JSCAN_STRING && input_key_eq(rt, "event", 5))
			kind = "events";
		else if (rt->type == JSCAN_STRING && input_key_eq(rt, "sighting", 8))
			kind = "sightings";
		default_name(r, kind, &tm, out->index, sizeof(out->index));
	}

	if (cfg->no_id) {
		out->id[0] = '\0';
	} else if (cfg->id_field) {
		if (!lookup(rec, &r->id, &v)) {
			out->error = "id_missing";
			snprintf(out->reason, sizeof(out->reason),
			    "no field '%s' for the document id", cfg->id_field);
			return -1;
		}
		if (scalar_text(&v, out->id, sizeof(out->id)) < 0 || out->id[0] == '\0') {
			out->error = "id_invalid";
			snprintf(out->reason, sizeof(out->reason),
			    "field '%s' is not a usable id (a non-empty string or "
			    "number of at most 512 bytes)", cfg->id_field);
			return -1;
		}
	} else if (hash_id(line, len, out->id) < 0) {
		out->error = "hash_failed";
		snprintf(out->reason, sizeof(out->reason), "SHA-256 failed");
		return -1;
	}
	return 0;
}
