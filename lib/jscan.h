/*
 * jscan.h - a validating JSON scanner over one buffer: no tree, no
 * allocation.  kismet-tap projects Kismet's device JSON with it and es-bulk
 * checks and routes every input line with it; both read a handful of fields
 * out of objects that are mostly skipped, which is where building a jansson
 * tree cost them most of their time.
 *
 * The caller walks the value it expects, and everything it does not want is
 * skipped with jscan_value(), which validates as strictly as jansson does:
 * RFC 8259 grammar, UTF-8 (no overlongs, no surrogates, nothing past
 * U+10FFFF), escapes (a \u surrogate must be a proper pair), nesting at most
 * JSCAN_MAX_DEPTH.  Unlike jansson it takes numbers of any size (they are
 * only checked for grammar; converting is the caller's choice) and \u0000
 * inside strings (jspan_string() refuses to unescape it) -- unless the flag
 * JSCAN_JANSSON is set, which refuses what jansson refuses: a number beyond
 * a double, \u0000 in an object key.
 *
 *	struct jscan js;
 *	struct jspan key, v;
 *
 *	jscan_init(&js, buf, len);
 *	if (jscan_object(&js) < 0) ...			// consumes '{'
 *	while ((r = jscan_member(&js, &key)) == 1) {	// key, then ':'
 *		if (jspan_eq(&key, "name"))
 *			r = jscan_value(&js, &v);	// the whole value
 *		else
 *			r = jscan_value(&js, NULL);	// skipped, validated
 *		if (r < 0) ...
 *	}
 *	if (r < 0 || jscan_end(&js) < 0) ... js.err, js.err_off
 *
 * Every function returns -1 on malformed input and sets err (a static
 * message) and err_off (the byte offset where it was noticed); once an
 * error is set every later call fails too.
 */
#ifndef KES_JSCAN_H
#define KES_JSCAN_H

#include <stddef.h>
#include <stdint.h>

#define JSCAN_MAX_DEPTH 2048	/* as jansson's parser */

enum jscan_type {
	JSCAN_NONE = 0,
	JSCAN_OBJECT,
	JSCAN_ARRAY,
	JSCAN_STRING,
	JSCAN_NUMBER,
	JSCAN_TRUE,
	JSCAN_FALSE,
	JSCAN_NULL,
};

#define JSCAN_JANSSON	1u	/* flags: refuse exactly what jansson refuses */
#define JSCAN_TRUSTED	2u	/* flags: the buffer is a span an earlier scan
				 * validated: jscan_value() only matches the
				 * brackets of a container it skips (a second
				 * walk over it costs a fraction of the first) */

struct jscan {
	const unsigned char *start, *p, *end;
	unsigned flags;		/* JSCAN_JANSSON; jscan_init clears it */
	const char *err;	/* NULL, or what was wrong */
	size_t err_off;		/* where, in bytes from the start */
	unsigned depth;		/* containers entered with jscan_object/array */
};

/* A scanned value: its bytes in the buffer.  A string's span excludes the
 * quotes; escaped is set when it holds a backslash (read it then with
 * jspan_string).  A number's span is its literal text. */
struct jspan {
	const char *s;
	size_t n;
	enum jscan_type type;
	int escaped;
};

void jscan_init(struct jscan *js, const void *buf, size_t len);

/* The type of the next value (after whitespace) without consuming it;
 * JSCAN_NONE at the end of the input or before a character that starts no
 * value. */
enum jscan_type jscan_peek(struct jscan *js);

/* Scan one whole value, validating it; fill *v (may be NULL). 0 or -1. */
int jscan_value(struct jscan *js, struct jspan *v);

/* Enter an object: consume '{'. 0, or -1 if the next value is not one. */
int jscan_object(struct jscan *js);

/* The next member of the object entered last: 1 with *key filled and the
 * ':' consumed (the caller must then consume the value: jscan_value,
 * jscan_object or jscan_array), 0 after the closing '}', -1 on error. */
int jscan_member(struct jscan *js, struct jspan *key);

/* Enter an array: consume '['.  jscan_element: 1 when an element follows
 * (consume it), 0 after the closing ']', -1 on error. */
int jscan_array(struct jscan *js);
int jscan_element(struct jscan *js);

/* 0 if nothing but whitespace is left, else -1 ("trailing data"). */
int jscan_end(struct jscan *js);

/* Convenience: the whole buffer is exactly one valid JSON value. */
int jscan_validate(const void *buf, size_t len, const char **err, size_t *err_off);

/* ---- span values (jspan.c) ---- */

/* String span content equals the NUL-terminated lit, or the n bytes at s
 * (escapes decoded). */
int jspan_eq(const struct jspan *v, const char *lit);
int jspan_eqn(const struct jspan *v, const char *s, size_t n);

/* Decode a string span into out (NUL-terminated).  Its length, or -1 if
 * it is not a string, does not fit in cap, or contains U+0000. */
long jspan_string(const struct jspan *v, char *out, size_t cap);

/* A number span as an int64: integral literals exactly; 1.0e3 style and
 * fractional ones rounded to nearest.  0, or -1 if not a number or out of
 * the int64 range. */
int jspan_int64(const struct jspan *v, int64_t *out);

/* A number span as a double (strtod; may be +-inf for huge literals).
 * 0 or -1 if not a number. */
int jspan_double(const struct jspan *v, double *out);

/* For jscan.c and jspan.c: the 4 hex digits at p (a \u escape) into *out;
 * -1 if one is not a hex digit. */
int jscan_hex4(const unsigned char *p, unsigned *out);

#endif
