/*
 * response.c - classify _bulk response items (see response.h).
 *
 * Item rules (ARCHITECTURE §4): 2xx indexed; 409 on create means a document
 * with this id exists, and since ids are hashes of the line that is the
 * same document, so it counts as indexed; 429 and 5xx are retried; 403
 * cluster_block_exception (read-only index, flood-stage disk) waits and
 * retries; anything else is permanent and goes to the dead-letter file.
 */
#include "response.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

enum verdict
response_classify(int status, const char *type, enum esb_op op)
{
	if (status >= 200 && status < 300)
		return V_OK;
	if (status == 409 && op == ESB_OP_CREATE)
		return V_OK;
	if (status == 429 || status >= 500)
		return V_RETRY;
	if (status == 403 && type && strcmp(type, "cluster_block_exception") == 0)
		return V_BLOCKED;
	return V_REJECT;
}

static void
copy_str(char *out, size_t outlen, const char *s)
{
	snprintf(out, outlen, "%s", s ? s : "");
}

/* Fill type/reason from an "error" value (object, or string on old nodes). */
static void
error_text(json_t *err, char *type, size_t tlen, char *reason, size_t rlen)
{
	json_t *cb;

	if (json_is_string(err)) {
		copy_str(type, tlen, "error");
		copy_str(reason, rlen, json_string_value(err));
		return;
	}
	copy_str(type, tlen, json_string_value(json_object_get(err, "type")));
	copy_str(reason, rlen, json_string_value(json_object_get(err, "reason")));
	cb = json_object_get(err, "caused_by");
	if (json_is_object(cb)) {
		size_t n = strlen(reason);
		const char *ct = json_string_value(json_object_get(cb, "type"));
		const char *cr = json_string_value(json_object_get(cb, "reason"));

		if (n + 4 < rlen && (ct || cr))
			snprintf(reason + n, rlen - n, " (caused by %s: %s)",
			    ct ? ct : "?", cr ? cr : "");
	}
}

/* The status of an item: an integer HTTP status, or -1. */
static int
item_status(json_t *st)
{
	double v;

	if (!json_is_number(st))
		return -1;
	v = json_number_value(st);
	if (!(v >= 100 && v <= 599) || v != (double)(int)v)
		return -1;
	return (int)v;
}

/* Consume the literal lit at *p (before e).  1 if it was there. */
static int
eat(const char **p, const char *e, const char *lit, size_t n)
{
	if ((size_t)(e - *p) < n || memcmp(*p, lit, n) != 0)
		return 0;
	*p += n;
	return 1;
}
#define EAT(p, e, lit)	eat(p, e, lit, sizeof(lit) - 1)

/*
 * The usual answer, byte for byte as Elasticsearch and OpenSearch write it
 * with es-bulk's filter_path, every item 2xx:
 *   {"errors":false,"items":[{"index":{"status":201}},{"create":{...}}...]}
 * Recognised without building a tree (jansson costs a tenth of es-bulk's
 * CPU time on it); anything else at all is left to the parser below.
 */
static int
all_ok_fast(const char *body, size_t len, size_t n, struct item_result *out)
{
	const char *p = body, *e = body + len;

	if (!EAT(&p, e, "{\"errors\":false,\"items\":["))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && !EAT(&p, e, ","))
			return 0;
		if (!EAT(&p, e, "{\"index\":{\"status\":") &&
		    !EAT(&p, e, "{\"create\":{\"status\":"))
			return 0;
		if (e - p < 5 || p[0] != '2' || p[1] < '0' || p[1] > '9' ||
		    p[2] < '0' || p[2] > '9' || p[3] != '}' || p[4] != '}')
			return 0;
		out[i].status = 200 + (p[1] - '0') * 10 + (p[2] - '0');
		out[i].verdict = V_OK;
		out[i].type[0] = out[i].reason[0] = '\0';
		p += 5;
	}
	return EAT(&p, e, "]}") && p == e;
}

int
response_parse(const char *body, size_t len, size_t n, enum esb_op op,
    struct item_result *out, int *all_ok, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *items, *errors;
	size_t i, bad = n;

	*all_ok = 0;
	if (all_ok_fast(body, len, n, out)) {
		*all_ok = 1;
		return 0;
	}
	root = json_loadb(body, len, JSON_DECODE_INT_AS_REAL, &je);
	if (root == NULL) {
		snprintf(err, errlen, "unreadable bulk response: %s", je.text);
		return -1;
	}
	errors = json_object_get(root, "errors");
	items = json_object_get(root, "items");
	if (!json_is_boolean(errors)) {
		snprintf(err, errlen, "bulk response without \"errors\"");
		json_decref(root);
		return -1;
	}
	/*
	 * "errors":false is not taken on trust: a proxy or a broken node may
	 * answer it with no items, or items that are not ours.  Only one
	 * item with a 2xx status per document sent counts as indexed.
	 */
	if (!json_is_array(items) || json_array_size(items) != n) {
		snprintf(err, errlen, "bulk response has %zu items for %zu sent",
		    json_is_array(items) ? json_array_size(items) : 0, n);
		json_decref(root);
		return -1;
	}
	for (i = 0; i < n; i++) {
		json_t *wrap = json_array_get(items, i), *it = NULL, *e;

		/* {"index":{...}} or {"create":{...}}: one key, whatever it is. */
		if (json_is_object(wrap) && json_object_size(wrap) == 1)
			it = json_object_iter_value(json_object_iter(wrap));
		out[i].status = item_status(json_object_get(it, "status"));
		if (!json_is_object(it) || out[i].status < 0) {
			snprintf(err, errlen, "bulk response item %zu has no valid status", i);
			json_decref(root);
			return -1;
		}
		out[i].type[0] = out[i].reason[0] = '\0';
		e = json_object_get(it, "error");
		if (e)
			error_text(e, out[i].type, sizeof(out[i].type),
			    out[i].reason, sizeof(out[i].reason));
		out[i].verdict = response_classify(out[i].status, out[i].type, op);
		if (out[i].verdict != V_OK && bad == n)
			bad = i;
	}
	if (json_is_false(errors) && bad < n) {
		snprintf(err, errlen, "bulk response says \"errors\":false but "
		    "item %zu has status %d", bad, out[bad].status);
		json_decref(root);
		return -1;
	}
	*all_ok = bad == n;
	json_decref(root);
	return 0;
}

const char *
response_oneline(char *out, size_t outlen, const char *s)
{
	if (out != s)
		copy_str(out, outlen, s);
	for (unsigned char *p = (unsigned char *)out; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return out;
}

void
response_error(const char *body, size_t len, char *type, size_t tlen,
    char *reason, size_t rlen)
{
	json_t *root = NULL, *e;

	type[0] = reason[0] = '\0';
	if (body && len)
		root = json_loadb(body, len, 0, NULL);
	e = json_object_get(root, "error");
	if (e) {
		json_t *rc = json_object_get(e, "root_cause");

		/* A 403 block names its type in root_cause as well. */
		error_text(e, type, tlen, reason, rlen);
		if (type[0] == '\0' && json_is_array(rc))
			error_text(json_array_get(rc, 0), type, tlen, reason, rlen);
	} else if (body && len) {
		snprintf(reason, rlen, "%.*s", (int)(len > 200 ? 200 : len), body);
	}
	json_decref(root);
	/* Only ever logged: one line. */
	response_oneline(type, tlen, type);
	response_oneline(reason, rlen, reason);
}
