/*
 * ndjson.h - a line reader for NDJSON input with a maximum line length.
 *
 * Works on blocking and non-blocking descriptors alike: lr_next() hands out
 * complete lines from the buffer, lr_fill() reads once more.  Lines longer
 * than the limit are reported once (LR_TOOLONG, with their first max_line
 * bytes) and the rest of them is skipped, so memory stays bounded.  CRLF
 * endings are accepted (the CR is removed); a last line without a newline is
 * returned at end of input with LR_FLAG_NOEOL.
 *
 * By default bytes come from read(2) on fd; a caller that transforms its
 * input (es-bulk's decompression) sets read_fn, which must behave like
 * read(2): bytes, 0 only at end of input, -1 with errno.
 */
#ifndef KES_NDJSON_H
#define KES_NDJSON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum lr_status {
	LR_LINE,	/* a complete line in *out */
	LR_TOOLONG,	/* a line over the limit: *out holds its first bytes */
	LR_NEED_MORE,	/* call lr_fill() (after poll() on non-blocking fds) */
	LR_EOF,		/* end of input, nothing left */
};

#define LR_FLAG_CRLF	0x1	/* the line ended in \r\n */
#define LR_FLAG_NOEOL	0x2	/* last line, no terminating newline */

struct lr_line {
	char *data;		/* not NUL-terminated; valid until lr_fill() */
	size_t len;
	uint64_t lineno;	/* 1-based, counting every line of the input */
	unsigned flags;
};

struct line_reader {
	int fd;
	const char *name;	/* for messages: a path or "<stdin>" */
	char *buf;
	size_t cap, start, end, scanned;
	size_t max_line;
	uint64_t lineno;
	uint64_t bytes;		/* bytes read so far */
	int eof;
	int skipping;		/* discarding the tail of an overlong line */
	ssize_t (*read_fn)(void *ctx, void *buf, size_t n);	/* or NULL */
	void *read_ctx;
};

int lr_init(struct line_reader *lr, int fd, const char *name, size_t max_line);
void lr_free(struct line_reader *lr);
/* Read once.  Returns bytes read, 0 at end of input, -1 with errno set
 * (EAGAIN/EWOULDBLOCK on a non-blocking fd with nothing to read). */
ssize_t lr_fill(struct line_reader *lr);
enum lr_status lr_next(struct line_reader *lr, struct lr_line *out);
/* Blocking convenience: next line, filling as needed.  Returns LR_LINE,
 * LR_TOOLONG, LR_EOF; -1 on a read error (errno set, EINTR included so the
 * caller can look at its signal flags). */
int lr_next_blocking(struct line_reader *lr, struct lr_line *out);
/* Bytes buffered but not yet returned as lines. */
size_t lr_pending(const struct line_reader *lr);

/* A blank line: nothing but spaces, tabs and CRs.  Every tool skips such
 * lines silently (they are not records, not errors). */
int lr_blank(const char *s, size_t n);

#endif
