/*
 * input.h - es-bulk's input: the files named on the command line in order
 * ("-" or none = stdin) read as one stream of lines through lib/ndjson, each
 * line numbered within its file and over the whole input (the number the
 * ack channel counts), and the validation of one line into a JSON object.
 */
#ifndef ESB_INPUT_H
#define ESB_INPUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ndjson.h"

enum in_status {
	IN_LINE,	/* a line (possibly empty) */
	IN_TOOLONG,	/* a line over --max-line; data holds its start */
	IN_NEED_MORE,	/* poll input_fd() for reading, then input_fill() */
	IN_EOF,		/* every input is done */
	IN_ERROR,	/* a read or open error (reported) */
};

struct in_line {
	const char *data;	/* valid until the next input_fill() */
	size_t len;
	uint64_t seq;		/* over all inputs, from 1 */
	uint64_t lineno;	/* within the source */
	uint32_t src;		/* source index for input_name() */
};

struct input;

/* Open-check every named file (the first missing one is reported, *missing
 * set).  NULL on failure. */
struct input *input_create(char **names, size_t n, size_t max_line, int *missing);
void input_destroy(struct input *in);
enum in_status input_next(struct input *in, struct in_line *l);
int input_fd(const struct input *in);
/* Read once; -1 on a read error other than EINTR (reported). */
int input_fill(struct input *in);
const char *input_name(const struct input *in, uint32_t src);
uint64_t input_bytes(const struct input *in);

/* Whitespace only (or nothing)? */
int input_blank(const char *s, size_t n);

/*
 * Validate one line: no NUL byte, valid UTF-8, a JSON object.  Returns the
 * parsed object (caller json_decref()s it), or NULL with *error (a short
 * code) and reason filled.
 */
json_t *input_parse(const char *s, size_t n, const char **error,
    char *reason, size_t rlen);

#endif
