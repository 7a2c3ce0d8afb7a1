/*
 * fuzz_jscan.c - libFuzzer harness of lib/jscan.c and jspan.c, differential against
 * jansson (the project's JSON library).
 *
 * Every input is validated by both; they must agree, except where jscan is
 * documented to be more liberal (numbers too large for a double and
 * \u0000 in object keys, which jansson refuses) and stricter (a raw NUL byte after a number, which
 * jansson takes).  For a valid object, a walk with jscan_member must see
 * the same keys in the same order as jansson's object, decoded to the same
 * bytes, and the same numbers where both can read them.  With the flag
 * JSCAN_JANSSON the verdicts must be the same, full stop.
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Members walked by jscan, or -1 if a key holds U+0000. */
static long
count_members(const uint8_t *data, size_t size, char *kb)
{
	struct jscan js;
	struct jspan k;
	long n = 0;
	int r;

	jscan_init(&js, data, size);
	CHECK(jscan_object(&js) == 0);
	while ((r = jscan_member(&js, &k)) == 1) {
		if (jspan_string(&k, kb, size + 1) < 0)
			return -1;
		CHECK(jscan_value(&js, NULL) == 0);
		n++;
	}
	CHECK(r == 0 && jscan_end(&js) == 0);
	return n;
}

static void
compare_object(const uint8_t *data, size_t size, json_t *obj)
{
	struct jscan js;
	struct jspan k, v;
	char *kb = malloc(size + 1), *vb = malloc(size + 1);
	long n;

	CHECK(kb && vb);
	n = count_members(data, size, kb);
	/* duplicate keys: jansson keeps one; values are not comparable */
	if (n >= 0 && (size_t)n == json_object_size(obj)) {
		jscan_init(&js, data, size);
		CHECK(jscan_object(&js) == 0);
		while (jscan_member(&js, &k) == 1) {
			json_t *jv;

			CHECK(jspan_string(&k, kb, size + 1) >= 0);
			CHECK((jv = json_object_get(obj, kb)) != NULL);
			CHECK(jscan_value(&js, &v) == 0);
			if (json_is_string(jv) && jspan_string(&v, vb, size + 1) >= 0)
				CHECK(strcmp(vb, json_string_value(jv)) == 0);
			if (json_is_integer(jv)) {
				int64_t i;

				CHECK(jspan_int64(&v, &i) == 0 && i == (int64_t)json_integer_value(jv));
			}
			if (json_is_real(jv)) {
				double d;

				CHECK(jspan_double(&v, &d) == 0 && d == json_real_value(jv));
			}
		}
	}
	free(kb);
	free(vb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *j = json_loadb((const char *)data, size,
	    JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &je);
	const char *err = NULL;
	size_t off = 0;
	int ok = jscan_validate(data, size, &err, &off) == 0;

	if (j != NULL) {
		/* jansson takes a raw NUL byte right after a number ("1\0");
		 * jscan refuses it, as RFC 8259 does */
		CHECK(ok || memchr(data, '\0', size) != NULL);
		if (ok && json_is_object(j)) {
			json_t *j2 = json_loadb((const char *)data, size, JSON_ALLOW_NUL, &je);

			if (j2 != NULL)
				compare_object(data, size, j2);
			json_decref(j2);
		}
		json_decref(j);
	} else if (ok) {
		/* only a number that overflows a double, or \u0000 in a key
		 * (jansson cannot hold it), may pass jscan alone */
		CHECK(strstr(je.text, "overflow") != NULL || strstr(je.text, "NUL") != NULL);
	} else {
		CHECK(err != NULL && off <= size);
	}
	/* JSCAN_JANSSON: exactly jansson's verdict (but for the raw NUL) */
	{
		struct jscan js;

		jscan_init(&js, data, size);
		js.flags = JSCAN_JANSSON;
		ok = jscan_value(&js, NULL) == 0 && jscan_end(&js) == 0;
		j = json_loadb((const char *)data, size,
		    JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &je);
		CHECK(ok == (j != NULL) || (j != NULL && memchr(data, '\0', size) != NULL));
		json_decref(j);
	}
	return 0;
}
