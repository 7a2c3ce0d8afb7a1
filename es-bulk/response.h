/*
 * response.h - the pure _bulk response parser: what happened to each item.
 * No I/O; unit-tested with responses captured from real nodes.
 *
 * Works with and without filter_path (es-bulk asks for
 * filter_path=errors,items.*.status,items.*.error, which keeps one object
 * per item because every item has a status).
 */
#ifndef ESB_RESPONSE_H
#define ESB_RESPONSE_H

#include <stddef.h>

#include "config.h"

enum verdict {
	V_OK,		/* indexed (2xx, or 409 on create: already there) */
	V_RETRY,	/* 429 or 5xx: send this item again */
	V_BLOCKED,	/* 403 cluster_block_exception: retry after a long pause */
	V_REJECT,	/* permanent: dead-letter with type and reason */
};

struct item_result {
	enum verdict verdict;
	int status;
	char type[64];		/* error.type, "" when none */
	char reason[320];	/* error.reason (+ caused_by.reason) */
};

/*
 * Parse a 200 response to a request of n items into out[n].  Returns 0, or
 * -1 with a sentence in err when the body is not a usable bulk response
 * (not JSON, truncated, the item count differs, an item without an integer
 * status, or "errors":false with an item that is not indexed -- even then
 * only the items are trusted): the caller then retries the whole request.
 * *all_ok is set when no item needs attention.
 */
int response_parse(const char *body, size_t len, size_t n, enum esb_op op,
    struct item_result *out, int *all_ok, char *err, size_t errlen);

/* error.type and error.reason of an error response ({"error":{...}}), or
 * the body's start when it has no such object, for a log line (control
 * characters as spaces).  Always fills both. */
void response_error(const char *body, size_t len, char *type, size_t tlen,
    char *reason, size_t rlen);

/* Server text (a reason, a type) for a log line: copied to out with every
 * control character (a reason's "\n at [Source: ...]") turned into a space,
 * so that each diagnostic stays one line.  Returns out. */
const char *response_oneline(char *out, size_t outlen, const char *s);

/* Verdict for one item status (and error type). */
enum verdict response_classify(int status, const char *type, enum esb_op op);

#endif
