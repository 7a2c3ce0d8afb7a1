/*
 * fuzz_bulk_response.c - libFuzzer harness of es-bulk's pure _bulk
 * response parser (es-bulk/response.c): response_parse on a body for a
 * request of n items, response_error on the same body as an error
 * response, and the verdicts' consistency.
 *
 * Input: byte 0: bits 0-5 the item count n, bit 6 op create; the rest is
 * the response body.
 *
 * Known bug (README "Crashes found" 1, regress/bulk_response-status-*): an
 * item status outside int is undefined behaviour in response_parse.  With
 * FUZZ_SKIP_KNOWN=1 in the environment such inputs are skipped, so a long
 * run can look for other bugs until it is fixed; without it they crash.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../es-bulk/response.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An item status that response_parse would convert with undefined behaviour. */
static int
known_bug(const uint8_t *body, size_t len)
{
	json_t *root = json_loadb((const char *)body, len, JSON_DECODE_INT_AS_REAL, NULL);
	json_t *items = json_object_get(root, "items"), *wrap, *st;
	size_t i;
	int bad = 0;

	json_array_foreach(items, i, wrap) {
		void *it = json_object_iter(wrap);

		st = json_object_get(json_object_iter_value(it), "status");
		if (json_is_number(st) && !(json_number_value(st) > INT_MIN - 1.0 &&
		    json_number_value(st) < INT_MAX + 1.0))
			bad = 1;
	}
	json_decref(root);
	return bad;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct item_result res[64];
	char err[256], type[64], reason[320];
	enum esb_op op;
	size_t n;
	int all_ok = -1;

	if (size < 1)
		return 0;
	if (getenv("FUZZ_SKIP_KNOWN") && known_bug(data + 1, size - 1))
		return 0;
	n = data[0] & 63;
	op = (data[0] & 64) ? ESB_OP_CREATE : ESB_OP_INDEX;
	memset(res, 0xa5, sizeof(res));
	err[0] = '\0';
	if (response_parse((const char *)data + 1, size - 1, n, op, res, &all_ok,
	    err, sizeof(err)) == 0) {
		int any_bad = 0;

		for (size_t i = 0; i < n; i++) {
			CHECK(res[i].verdict <= V_REJECT);
			CHECK(memchr(res[i].type, '\0', sizeof(res[i].type)) != NULL);
			CHECK(memchr(res[i].reason, '\0', sizeof(res[i].reason)) != NULL);
			if (res[i].verdict != V_OK)
				any_bad = 1;
		}
		CHECK(!(all_ok && any_bad));
	} else {
		CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
	}
	response_error((const char *)data + 1, size - 1, type, sizeof(type), reason, sizeof(reason));
	CHECK(memchr(type, '\0', sizeof(type)) != NULL);
	CHECK(memchr(reason, '\0', sizeof(reason)) != NULL);
	return 0;
}
