/*
 * ndjson.c - bounded line reader (see ndjson.h).
 */
#include "ndjson.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LR_MIN_CAP	((size_t)256 * 1024)

int
lr_init(struct line_reader *lr, int fd, const char *name, size_t max_line)
{
	memset(lr, 0, sizeof(*lr));
	lr->fd = fd;
	lr->name = name;
	lr->max_line = max_line ? max_line : 1;
	lr->cap = LR_MIN_CAP;
	lr->buf = malloc(lr->cap);
	return lr->buf ? 0 : -1;
}

void
lr_free(struct line_reader *lr)
{
	free(lr->buf);
	lr->buf = NULL;
}

size_t
lr_pending(const struct line_reader *lr)
{
	return lr->end - lr->start;
}

ssize_t
lr_fill(struct line_reader *lr)
{
	ssize_t n;

	if (lr->eof)
		return 0;
	if (lr->start > 0) {
		memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
		lr->end -= lr->start;
		lr->scanned = lr->scanned > lr->start ? lr->scanned - lr->start : 0;
		lr->start = 0;
	}
	if (lr->end == lr->cap) {
		/* Only reached while a line is shorter than max_line. */
		size_t ncap = lr->cap * 2;
		char *nb;

		if (ncap > lr->max_line + LR_MIN_CAP)
			ncap = lr->max_line + LR_MIN_CAP;
		if (ncap <= lr->cap) {
			errno = ENOBUFS;
			return -1;
		}
		nb = realloc(lr->buf, ncap);
		if (nb == NULL)
			return -1;
		lr->buf = nb;
		lr->cap = ncap;
	}
	if (lr->read_fn)
		n = lr->read_fn(lr->read_ctx, lr->buf + lr->end, lr->cap - lr->end);
	else
		n = read(lr->fd, lr->buf + lr->end, lr->cap - lr->end);
	if (n > 0) {
		lr->end += (size_t)n;
		lr->bytes += (uint64_t)n;
	} else if (n == 0) {
		lr->eof = 1;
	}
	return n;
}

enum lr_status
lr_next(struct line_reader *lr, struct lr_line *out)
{
	char *nl;
	size_t avail;

	if (lr->skipping) {
		nl = memchr(lr->buf + lr->start, '\n', lr->end - lr->start);
		if (nl == NULL) {
			lr->start = lr->end = lr->scanned = 0;
			return lr->eof ? LR_EOF : LR_NEED_MORE;
		}
		lr->start = (size_t)(nl - lr->buf) + 1;
		lr->scanned = lr->start;
		lr->skipping = 0;
	}
	if (lr->scanned < lr->start)
		lr->scanned = lr->start;
	nl = memchr(lr->buf + lr->scanned, '\n', lr->end - lr->scanned);
	avail = (nl ? (size_t)(nl - lr->buf) : lr->end) - lr->start;
	if (avail > lr->max_line) {
		out->data = lr->buf + lr->start;
		out->len = lr->max_line;
		out->lineno = ++lr->lineno;
		out->flags = 0;
		if (nl) {
			lr->start = (size_t)(nl - lr->buf) + 1;
		} else {
			lr->start = lr->end;
			lr->skipping = 1;
		}
		lr->scanned = lr->start;
		return LR_TOOLONG;
	}
	if (nl == NULL) {
		lr->scanned = lr->end;
		if (!lr->eof)
			return LR_NEED_MORE;
		if (lr->start == lr->end)
			return LR_EOF;
		out->data = lr->buf + lr->start;
		out->len = lr->end - lr->start;
		out->flags = LR_FLAG_NOEOL;
		lr->start = lr->scanned = lr->end;
	} else {
		out->data = lr->buf + lr->start;
		out->len = (size_t)(nl - lr->buf) - lr->start;
		out->flags = 0;
		lr->start = lr->scanned = (size_t)(nl - lr->buf) + 1;
	}
	if (out->len > 0 && out->data[out->len - 1] == '\r') {
		out->len--;
		out->flags |= LR_FLAG_CRLF;
	}
	out->lineno = ++lr->lineno;
	return LR_LINE;
}

int
lr_next_blocking(struct line_reader *lr, struct lr_line *out)
{
	enum lr_status st;
	ssize_t n;

	for (;;) {
		st = lr_next(lr, out);
		if (st != LR_NEED_MORE)
			return (int)st;
		n = lr_fill(lr);
		if (n < 0)
			return -1;
	}
}

int
lr_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}
