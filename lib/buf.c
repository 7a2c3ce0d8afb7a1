/*
 * buf.c - growable buffer, JSON escaping and UTF-8 validation (buf.h).
 */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
buf_reserve(struct buf *b, size_t n)
{
	size_t ncap;
	char *nd;

	if (b->len + n <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 4096;
	while (ncap < b->len + n) {
		if (ncap > SIZE_MAX / 2)
			return -1;
		ncap *= 2;
	}
	nd = realloc(b->data, ncap);
	if (nd == NULL)
		return -1;
	b->data = nd;
	b->cap = ncap;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int
buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (n >= 2 && (s[1] & 0xc0) == 0x80) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;	/* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0;	/* surrogates */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;
		if (c == 0xf4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

long
utf8_check(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t k;

		/* Fast path over ASCII. */
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_seq(u + i, n - i);
		if (k == 0)
			return (long)i;
		i += k;
	}
	return -1;
}

int
buf_append_json(struct buf *b, const char *s, size_t n, int *lossy)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run;

	/* Worst case: every byte becomes "\ufffd" (6 bytes). */
	if (buf_reserve(b, n * 6 + 2) < 0)
		return -1;
	b->data[b->len++] = '"';
	while (i < n) {
		unsigned c = u[i];
		char *o = b->data + b->len;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			/* copy a run of plain ASCII at once */
			run = 1;
			while (i + run < n && u[i + run] >= 0x20 && u[i + run] < 0x80 &&
			    u[i + run] != '"' && u[i + run] != '\\')
				run++;
			memcpy(o, s + i, run);
			b->len += run;
			i += run;
			continue;
		}
		if (c == '"' || c == '\\') {
			o[0] = '\\';
			o[1] = (char)c;
			b->len += 2;
			i++;
		} else if (c < 0x20) {
			static const char hex[] = "0123456789abcdef";

			switch (c) {
			case '\n': memcpy(o, "\\n", 2); b->len += 2; break;
			case '\r': memcpy(o, "\\r", 2); b->len += 2; break;
			case '\t': memcpy(o, "\\t", 2); b->len += 2; break;
			default:
				memcpy(o, "\\u00", 4);
				o[4] = hex[c >> 4];
				o[5] = hex[c & 15];
				b->len += 6;
			}
			i++;
		} else {
			size_t k = utf8_seq(u + i, n - i);

			if (k == 0) {
				memcpy(o, "\\ufffd", 6);
				b->len += 6;
				if (lossy)
					*lossy = 1;
				i++;
			} else {
				memcpy(o, s + i, k);
				b->len += k;
				i += k;
			}
		}
	}
	b->data[b->len++] = '"';
	return 0;
}
