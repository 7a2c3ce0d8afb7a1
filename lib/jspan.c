/*
 * jspan.c - the values of jscan.h's spans: a string unescaped into a
 * buffer, compared with a literal, a number as int64 or double.  Every
 * span comes from the scanner (jscan.c), so its escapes and number syntax
 * are known to be well-formed and are decoded without checking again.
 */
#include "jscan.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t
put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

long
jspan_string(const struct jspan *v, char *out, size_t cap)
{
	const unsigned char *p, *e;
	size_t o = 0;
	unsigned u = 0, u2 = 0;
	char c;

	if (v->type != JSCAN_STRING || cap == 0)
		return -1;
	p = (const unsigned char *)v->s;
	e = p + v->n;
	if (!v->escaped) {
		if (v->n >= cap)
			return -1;
		memcpy(out, v->s, v->n);
		out[v->n] = '\0';
		return (long)v->n;
	}
	/* a scanned span: escapes are known to be well-formed */
	while (p < e) {
		if (o + 5 > cap)
			return -1;
		if (*p != '\\') {
			out[o++] = (char)*p++;
			continue;
		}
		switch (p[1]) {
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			jscan_hex4(p + 2, &u);
			p += 6;
			if (u >= 0xd800 && u <= 0xdbff) {
				jscan_hex4(p + 2, &u2);
				p += 6;
				u = 0x10000 + ((u - 0xd800) << 10) + (u2 - 0xdc00);
			}
			if (u == 0)
				return -1;
			o += put_utf8(out + o, u);
			continue;
		default: c = (char)p[1]; break;
		}
		out[o++] = c;
		p += 2;
	}
	if (o >= cap)
		return -1;
	out[o] = '\0';
	return (long)o;
}

int
jspan_eqn(const struct jspan *v, const char *s, size_t n)
{
	char small[256], *buf = small;
	long m;

	if (v->type != JSCAN_STRING)
		return 0;
	if (!v->escaped)
		return v->n == n && memcmp(v->s, s, n) == 0;
	if (n > v->n)
		return 0;	/* escapes only make a string shorter */
	if (v->n + 1 > sizeof(small) && (buf = malloc(v->n + 1)) == NULL)
		return 0;
	m = jspan_string(v, buf, v->n + 1);
	m = m >= 0 && (size_t)m == n && memcmp(buf, s, n) == 0;
	if (buf != small)
		free(buf);
	return (int)m;
}

int
jspan_eq(const struct jspan *v, const char *lit)
{
	return jspan_eqn(v, lit, strlen(lit));
}

int
jspan_double(const struct jspan *v, double *out)
{
	char buf[64], *end, *heap = NULL, *s = buf;

	if (v->type != JSCAN_NUMBER)
		return -1;
	if (v->n >= sizeof(buf) && (s = heap = malloc(v->n + 1)) == NULL)
		return -1;
	memcpy(s, v->s, v->n);
	s[v->n] = '\0';
	errno = 0;
	*out = strtod(s, &end);
	free(heap);
	return 0;
}

int
jspan_int64(const struct jspan *v, int64_t *out)
{
	const char *p, *e;
	uint64_t acc = 0;
	int neg = 0;
	double d;

	if (v->type != JSCAN_NUMBER || v->n == 0)
		return -1;
	p = v->s;
	e = v->s + v->n;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	for (; p < e && *p >= '0' && *p <= '9'; p++) {
		if (acc > (UINT64_MAX - 9) / 10)
			goto real;
		acc = acc * 10 + (uint64_t)(*p - '0');
	}
	if (p < e)
		goto real;
	if (neg ? acc > (uint64_t)INT64_MAX + 1 : acc > (uint64_t)INT64_MAX)
		return -1;
	*out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return 0;
real:
	if (jspan_double(v, &d) < 0 || !isfinite(d) || fabs(d) >= 9.2e18)
		return -1;
	*out = (int64_t)llround(d);
	return 0;
}
