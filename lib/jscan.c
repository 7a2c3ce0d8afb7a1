/*
 * jscan.c - the validating JSON scanner of jscan.h.
 *
 * Strings are the bulk of Kismet's JSON (long dotted keys) and are scanned
 * through a byte-class table, four bytes a round while they are plain
 * ASCII; everything else is a small hand-written state machine.  Skipping a
 * container keeps one bit per open level (object or array) instead of
 * recursing, so a deep input costs no stack.
 */
#include "jscan.h"

#include "buf.h"

#include <math.h>
#include <string.h>

/* Byte classes inside a string: 0 plain, 1 '"', 2 '\\', 3 control (bad),
 * 4 a UTF-8 lead or continuation byte (checked by utf8_seq). */
static const unsigned char str_class[256] = {
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

/* Eight bytes that need no look in a string: all in 0x20..0x7f and
 * none a '"' or '\\'.  Each term sets a byte's high bit for the bytes it
 * is about (a byte < 0x20, == '"', == '\\', >= 0x80); a borrow can only
 * start at such a byte, so a clear mask means all eight are plain. */
static inline int
plain8(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t x;

	memcpy(&x, p, 8);
	return (((x - 0x20 * ones) | ((x ^ ('"' * ones)) - ones) |
	    ((x ^ ('\\' * ones)) - ones) | x) & high) == 0;
}

static int
fail(struct jscan *js, const unsigned char *at, const char *why)
{
	if (js->err == NULL) {
		js->err = why;
		js->err_off = (size_t)(at - js->start);
	}
	js->p = js->end;
	return -1;
}

static inline void
skip_ws(struct jscan *js)
{
	const unsigned char *p = js->p, *e = js->end;

	while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	js->p = p;
}

void
jscan_init(struct jscan *js, const void *buf, size_t len)
{
	js->start = js->p = buf;
	js->end = js->start + len;
	js->err = NULL;
	js->err_off = 0;
	js->depth = 0;
	js->flags = 0;
}

int
jscan_hex4(const unsigned char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned c = p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/* A string, p at the opening quote.  Leaves p after the closing quote.
 * key: it is an object key (JSCAN_JANSSON refuses \u0000 in one). */
static int
scan_string(struct jscan *js, struct jspan *v, int key)
{
	const unsigned char *p = js->p + 1, *e = js->end, *s = p;
	int escaped = 0;
	unsigned u, u2;
	size_t n;

	for (;;) {
		while (e - p >= 8 && plain8(p))
			p += 8;
		while (e - p >= 1 && str_class[*p] == 0)
			p++;
		if (p >= e)
			return fail(js, p, "unterminated string");
		switch (str_class[*p]) {
		case 0:
			p++;
			break;
		case 1:
			if (v) {
				v->s = (const char *)s;
				v->n = (size_t)(p - s);
				v->type = JSCAN_STRING;
				v->escaped = escaped;
			}
			js->p = p + 1;
			return 0;
		case 2:
			escaped = 1;
			if (e - p < 2)
				return fail(js, p, "unterminated string");
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				p += 2;
				break;
			case 'u':
				if (e - p < 6 || jscan_hex4(p + 2, &u) < 0)
					return fail(js, p, "invalid \\u escape");
				p += 6;
				if (u == 0 && key && (js->flags & JSCAN_JANSSON))
					return fail(js, p - 6, "NUL byte in object key not supported");
				if (u >= 0xdc00 && u <= 0xdfff)
					return fail(js, p - 6, "invalid Unicode escape (lone low surrogate)");
				if (u >= 0xd800 && u <= 0xdbff) {
					if (e - p < 6 || p[0] != '\\' || p[1] != 'u' ||
					    jscan_hex4(p + 2, &u2) < 0 || u2 < 0xdc00 || u2 > 0xdfff)
						return fail(js, p - 6, "invalid Unicode escape (lone high surrogate)");
					p += 6;
				}
				break;
			default:
				return fail(js, p, "invalid escape");
			}
			break;
		case 3:
			return fail(js, p, "control character in a string");
		default:
			if ((n = utf8_seq(p, (size_t)(e - p))) == 0)
				return fail(js, p, "invalid UTF-8 in a string");
			p += n;
		}
	}
}

static int
scan_number(struct jscan *js, struct jspan *v)
{
	const unsigned char *p = js->p, *e = js->end, *s = p;
	int exp = 0;

	if (p < e && *p == '-')
		p++;
	if (p >= e || *p < '0' || *p > '9')
		return fail(js, p, "invalid number");
	if (*p == '0') {
		p++;
	} else {
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && *p == '.') {
		p++;
		if (p >= e || *p < '0' || *p > '9')
			return fail(js, p, "invalid number (no digit after '.')");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		exp = 1;
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return fail(js, p, "invalid number (no digit in the exponent)");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	/* jansson reads every number as a double (integers as reals): below
	 * 300 digits and without an exponent none overflows */
	if ((js->flags & JSCAN_JANSSON) && ((size_t)(p - s) >= 300 || exp)) {
		struct jspan n = { (const char *)s, (size_t)(p - s), JSCAN_NUMBER, 0 };
		double d;

		if (jspan_double(&n, &d) == 0 && isinf(d))
			return fail(js, s, "real number overflow");
	}
	if (v) {
		v->s = (const char *)s;
		v->n = (size_t)(p - s);
		v->type = JSCAN_NUMBER;
		v->escaped = 0;
	}
	js->p = p;
	return 0;
}

static int
scan_word(struct jscan *js, const char *w, size_t n, enum jscan_type t, struct jspan *v)
{
	if ((size_t)(js->end - js->p) < n || memcmp(js->p, w, n) != 0)
		return fail(js, js->p, "invalid literal");
	if (v) {
		v->s = (const char *)js->p;
		v->n = n;
		v->type = t;
		v->escaped = 0;
	}
	js->p += n;
	return 0;
}

enum jscan_type
jscan_peek(struct jscan *js)
{
	skip_ws(js);
	if (js->err || js->p >= js->end)
		return JSCAN_NONE;
	switch (*js->p) {
	case '{': return JSCAN_OBJECT;
	case '[': return JSCAN_ARRAY;
	case '"': return JSCAN_STRING;
	case 't': return JSCAN_TRUE;
	case 'f': return JSCAN_FALSE;
	case 'n': return JSCAN_NULL;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return JSCAN_NUMBER;
	default:
		return JSCAN_NONE;
	}
}

/* A scalar at p (after whitespace). */
static int
scan_scalar(struct jscan *js, struct jspan *v)
{
	switch (jscan_peek(js)) {
	case JSCAN_STRING:
		return scan_string(js, v, 0);
	case JSCAN_NUMBER:
		return scan_number(js, v);
	case JSCAN_TRUE:
		return scan_word(js, "true", 4, JSCAN_TRUE, v);
	case JSCAN_FALSE:
		return scan_word(js, "false", 5, JSCAN_FALSE, v);
	case JSCAN_NULL:
		return scan_word(js, "null", 4, JSCAN_NULL, v);
	default:
		if (js->err)
			return -1;
		return fail(js, js->p, js->p >= js->end ? "unexpected end of input" :
		    "unexpected character, a value was expected");
	}
}

/* A whole container, p at its '{' or '['.  One bit per open level
 * (1 = object); after a value inside an object, a ',' must be followed by
 * a key. */
static int
scan_container(struct jscan *js, struct jspan *v)
{
	unsigned char stack[(JSCAN_MAX_DEPTH + 7) / 8] = { 0 };
	const unsigned char *s = js->p;
	unsigned depth = 0, base = js->depth;
	int obj;

	for (;;) {
		/* here: p at a value's first byte (after whitespace) */
		if (*js->p == '{' || *js->p == '[') {
			obj = *js->p == '{';
			if (base + depth >= JSCAN_MAX_DEPTH)
				return fail(js, js->p, "nesting too deep");
			if (obj)
				stack[depth / 8] |= (unsigned char)(1u << (depth % 8));
			else
				stack[depth / 8] &= (unsigned char)~(1u << (depth % 8));
			depth++;
			js->p++;
			skip_ws(js);
			if (js->p < js->end && *js->p == (obj ? '}' : ']')) {
				js->p++;
				depth--;
				goto closed;
			}
			if (obj)
				goto key;
			goto value;
		}
		switch (*js->p) {	/* scan_scalar without the peek */
		case '"':
			if (scan_string(js, NULL, 0) < 0)
				return -1;
			break;
		case '-': case '0': case '1': case '2': case '3': case '4':
		case '5': case '6': case '7': case '8': case '9':
			if (scan_number(js, NULL) < 0)
				return -1;
			break;
		default:
			if (scan_scalar(js, NULL) < 0)
				return -1;
		}
closed:
		/* after a value: ',' or the closing bracket of the level */
		while (depth > 0) {
			if (js->p < js->end && (*js->p == ' ' || *js->p == '\n' ||
			    *js->p == '\r' || *js->p == '\t'))
				skip_ws(js);
			obj = stack[(depth - 1) / 8] >> ((depth - 1) % 8) & 1;
			if (js->p >= js->end)
				return fail(js, js->p, "unexpected end of input");
			if (*js->p == ',') {
				js->p++;
				if (obj)
					goto key;
				goto value;
			}
			if (*js->p != (obj ? '}' : ']'))
				return fail(js, js->p, obj ? "expected ',' or '}'" :
				    "expected ',' or ']'");
			js->p++;
			depth--;
		}
		if (v) {
			v->s = (const char *)s;
			v->n = (size_t)(js->p - s);
			v->type = *s == '{' ? JSCAN_OBJECT : JSCAN_ARRAY;
			v->escaped = 0;
		}
		return 0;
key:
		if (js->p < js->end && *js->p != '"')
			skip_ws(js);
		if (js->p >= js->end || *js->p != '"')
			return fail(js, js->p, "expected a string key");
		if (scan_string(js, NULL, 1) < 0)
			return -1;
		if (js->p < js->end && *js->p != ':')
			skip_ws(js);
		if (js->p >= js->end || *js->p != ':')
			return fail(js, js->p, "expected ':'");
		js->p++;
value:
		if (js->p < js->end && (*js->p == ' ' || *js->p == '\n' ||
		    *js->p == '\r' || *js->p == '\t'))
			skip_ws(js);
		if (js->p >= js->end)
			return fail(js, js->p, "unexpected end of input");
	}
}

/* JSCAN_TRUSTED: a container already validated, matched only: its
 * brackets counted outside strings, nothing else looked at. */
static int
skip_trusted(struct jscan *js, struct jspan *v)
{
	const unsigned char *s = js->p, *p = js->p, *e = js->end;
	size_t depth = 0;

	while (p < e) {
		switch (*p++) {
		case '"':
			while (p < e && *p != '"')
				p += *p == '\\' ? 2 : 1;
			p++;
			break;
		case '{': case '[':
			depth++;
			break;
		case '}': case ']':
			if (--depth == 0) {
				js->p = p;
				if (v) {
					v->s = (const char *)s;
					v->n = (size_t)(p - s);
					v->type = *s == '{' ? JSCAN_OBJECT : JSCAN_ARRAY;
					v->escaped = 0;
				}
				return 0;
			}
			break;
		}
	}
	return fail(js, e, "unexpected end of input");
}

int
jscan_value(struct jscan *js, struct jspan *v)
{
	enum jscan_type t = jscan_peek(js);

	if (t == JSCAN_OBJECT || t == JSCAN_ARRAY)
		return (js->flags & JSCAN_TRUSTED) ? skip_trusted(js, v) : scan_container(js, v);
	return scan_scalar(js, v);
}

/* Enter a container of type t: consume its opening bracket. */
static int
enter(struct jscan *js, enum jscan_type t, const char *expected)
{
	if (jscan_peek(js) != t)
		return fail(js, js->p, expected);
	if (js->depth >= JSCAN_MAX_DEPTH)
		return fail(js, js->p, "nesting too deep");
	js->depth++;
	js->p++;
	return 0;
}

int
jscan_object(struct jscan *js)
{
	return enter(js, JSCAN_OBJECT, "expected an object");
}

int
jscan_array(struct jscan *js)
{
	return enter(js, JSCAN_ARRAY, "expected an array");
}

/* The last non-whitespace byte before p: the container's opening bracket
 * right after it was entered (no value ends in '{' or '['). */
static unsigned char
prev_token(const struct jscan *js)
{
	const unsigned char *q = js->p;

	while (q > js->start && (q[-1] == ' ' || q[-1] == '\n' || q[-1] == '\r' || q[-1] == '\t'))
		q--;
	return q > js->start ? q[-1] : 0;
}

/* Shared by member and element: 1 an item follows, 0 closed. */
static int
next_item(struct jscan *js, unsigned char open, unsigned char close)
{
	int first;

	if (js->err)
		return -1;
	first = prev_token(js) == open;
	skip_ws(js);
	if (js->p >= js->end)
		return fail(js, js->p, "unexpected end of input");
	if (*js->p == close) {
		if (!first && prev_token(js) == ',')
			return fail(js, js->p, "trailing comma");
		js->p++;
		js->depth--;
		return 0;
	}
	if (!first) {
		if (*js->p != ',')
			return fail(js, js->p, close == '}' ? "expected ',' or '}'" :
			    "expected ',' or ']'");
		js->p++;
		skip_ws(js);
		if (js->p < js->end && *js->p == close)
			return fail(js, js->p, "trailing comma");
	}
	return 1;
}

int
jscan_member(struct jscan *js, struct jspan *key)
{
	int r = next_item(js, '{', '}');

	if (r <= 0)
		return r;
	if (js->p >= js->end || *js->p != '"')
		return fail(js, js->p, "expected a string key");
	if (scan_string(js, key, 1) < 0)
		return -1;
	skip_ws(js);
	if (js->p >= js->end || *js->p != ':')
		return fail(js, js->p, "expected ':'");
	js->p++;
	return 1;
}

int
jscan_element(struct jscan *js)
{
	return next_item(js, '[', ']');
}

int
jscan_end(struct jscan *js)
{
	skip_ws(js);
	if (js->err)
		return -1;
	if (js->p != js->end)
		return fail(js, js->p, "trailing data after the value");
	return 0;
}

int
jscan_validate(const void *buf, size_t len, const char **err, size_t *err_off)
{
	struct jscan js;

	jscan_init(&js, buf, len);
	if (jscan_value(&js, NULL) < 0 || jscan_end(&js) < 0) {
		if (err)
			*err = js.err;
		if (err_off)
			*err_off = js.err_off;
		return -1;
	}
	return 0;
}
