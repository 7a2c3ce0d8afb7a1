/*
 * buf.h - a growable byte buffer (es-bulk's request bodies and dead-letter
 * lines, kismet-tap's record lines), JSON string escaping, and the UTF-8
 * rules every JSON check here uses (jscan included).
 * The buffer owns data; buf_free() releases it.
 */
#ifndef KES_BUF_H
#define KES_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t len, cap;
};

/* Make room for n more bytes.  0, or -1 when out of memory. */
int buf_reserve(struct buf *b, size_t n);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_str(struct buf *b, const char *s);
/* Append s as a quoted JSON string.  Bytes that are not valid UTF-8 become
 * U+FFFD; *lossy (if not NULL) is set to 1 when that happened. */
int buf_append_json(struct buf *b, const char *s, size_t n, int *lossy);
void buf_free(struct buf *b);

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
size_t utf8_seq(const unsigned char *s, size_t n);
/* -1 if s is valid UTF-8, else the offset of the first bad byte. */
long utf8_check(const char *s, size_t n);

#endif
