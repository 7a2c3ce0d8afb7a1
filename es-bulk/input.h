/*
 * input.h - es-bulk's input: the files named on the command line in order
 * ("-" or none = stdin) read as one stream of lines through lib/ndjson, each
 * line numbered within its file and over the whole input (the number the
 * ack channel counts), and the validation of one line into a JSON object.
 * gzip sources are decompressed (decompress.h); line numbers count
 * decompressed lines.
 */
#ifndef ESB_INPUT_H
#define ESB_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "jscan.h"
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
/* Bytes of lines (decompressed) so far. */
uint64_t input_bytes(const struct input *in);
/* Bytes read from the sources' files (compressed, for gzip) so far, and
 * the size of them all (0 when one is not a regular file). */
uint64_t input_raw_bytes(const struct input *in);
uint64_t input_total_size(const struct input *in);
/* A source was a truncated or corrupt archive (reported; its complete
 * lines were taken, the rest of it skipped). */
int input_data_error(const struct input *in);

/* Top-level member names whose values the caller wants from each line
 * (route.c asks for the time, id and --index fields). */
struct in_keys {
	size_t n;
	const char **name;
	size_t *len;
};

/* A validated line: the object's bytes and, per wanted key, the span of
 * its value (type JSCAN_NONE when absent; the last one when repeated, as
 * a JSON parser keeps it). */
struct in_record {
	const char *obj;
	size_t objlen;
	struct jspan *val;	/* keys->n of them, the caller's array */
};

/*
 * Validate one line: no NUL byte, valid UTF-8, a JSON object, with what
 * jansson refuses refused too (a number beyond a double's range, a key
 * holding \u0000), and fill rec.  Returns 0, or -1 with *error (a short
 * code: nul_byte, invalid_utf8, invalid_json, not_an_object) and reason
 * filled.  Good lines are scanned once by lib/jscan, without allocating;
 * a bad one is looked at again by jansson so that its reason reads as
 * before ("invalid JSON at column N: <jansson's words>").
 */
int input_parse(const char *s, size_t n, const struct in_keys *keys,
    struct in_record *rec, const char **error, char *reason, size_t rlen);

/* A scanned key (string span) equals name/len, escapes decoded? */
int input_key_eq(const struct jspan *k, const char *name, size_t len);

#endif
