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

int
response_parse(const char *body, size_t len, size_t n, enum esb_op op,
    struct item_result *out, int *all_ok, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *items, *errors;
	size_t i;
	int ok = 1;

	*all_ok = 0;
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
	if (json_is_false(errors)) {
		/* Fast path: every item was indexed. */
		for (i = 0; i < n; i++) {
			out[i].verdict = V_OK;
			out[i].status = 200;
			out[i].type[0] = out[i].reason[0] = '\0';
		}
		*all_ok = 1;
		json_decref(root);
		return 0;
	}
	if (!json_is_array(items) || json_array_size(items) != n) {
		snprintf(err, errlen, "bulk response has %zu items for %zu sent",
		    json_is_array(items) ? json_array_size(items) : 0, n);
		json_decref(root);
		return -1;
	}
	for (i = 0; i < n; i++) {
		json_t *wrap = json_array_get(items, i), *it, *st, *e;
		const char *key;

		/* {"index":{...}} or {"create":{...}}: one key, whatever it is. */
		it = NULL;
		if (json_is_object(wrap) && json_object_size(wrap) == 1) {
			void *iter = json_object_iter(wrap);

			key = json_object_iter_key(iter);
			(void)key;
			it = json_object_iter_value(iter);
		}
		st = json_object_get(it, "status");
		if (!json_is_number(st)) {
			snprintf(err, errlen, "bulk response item %zu has no status", i);
			json_decref(root);
			return -1;
		}
		out[i].status = (int)json_number_value(st);
		out[i].type[0] = out[i].reason[0] = '\0';
		e = json_object_get(it, "error");
		if (e)
			error_text(e, out[i].type, sizeof(out[i].type),
			    out[i].reason, sizeof(out[i].reason));
		out[i].verdict = response_classify(out[i].status, out[i].type, op);
		if (out[i].verdict != V_OK)
			ok = 0;
	}
	*all_ok = ok;
	json_decref(root);
	return 0;
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
		for (char *p = reason; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
	}
	json_decref(root);
}
