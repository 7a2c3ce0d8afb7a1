/*
 * input.c - input files as one numbered line stream, and line validation
 * (see input.h).  Files are opened one at a time, in order; all of them are
 * checked before anything is read so that a typo fails fast (exit 66).
 * Each source's bytes pass through decompress.c until its first bytes say
 * plain text; from then on the line reader reads the file itself.
 */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "decompress.h"
#include "log.h"

struct input {
	char **names;
	size_t n, cur;
	int stdin_default;	/* no names: read stdin */
	size_t max_line;
	int fd;
	int open;
	struct line_reader lr;
	struct dec *dec;	/* the open source's decoder */
	int broken;		/* it is corrupt: skip the rest */
	int data_error;		/* a source was corrupt or truncated */
	uint64_t seq;
	uint64_t bytes;		/* decompressed bytes of closed sources */
	uint64_t raw;		/* bytes read from closed sources' files */
	uint64_t total;		/* size of all sources, 0 when unknown */
};

static int
is_stdin(const char *name)
{
	return strcmp(name, "-") == 0;
}

/* The size of every source when all are regular files (stdin too, when
 * redirected from one), else 0. */
static uint64_t
total_size(char **names, size_t n)
{
	uint64_t total = 0;
	struct stat sb;

	for (size_t i = 0; i < (n ? n : 1); i++) {
		int r = n == 0 || is_stdin(names[i]) ? fstat(STDIN_FILENO, &sb) :
		    stat(names[i], &sb);

		if (r < 0 || !S_ISREG(sb.st_mode))
			return 0;
		total += (uint64_t)sb.st_size;
	}
	return total;
}

struct input *
input_create(char **names, size_t n, size_t max_line, int *missing)
{
	struct input *in = calloc(1, sizeof(*in));

	*missing = 0;
	if (in == NULL)
		return NULL;
	in->names = names;
	in->n = n;
	in->stdin_default = n == 0;
	in->max_line = max_line;
	in->fd = -1;
	in->total = total_size(names, n);
	for (size_t i = 0; i < n; i++) {
		int fd;

		if (is_stdin(names[i]))
			continue;
		fd = open(names[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			log_errno("%s", names[i]);
			*missing = 1;
			free(in);
			return NULL;
		}
		close(fd);
	}
	return in;
}

/* Bytes of the open source's file read so far. */
static uint64_t
raw_bytes(const struct input *in)
{
	return dec_kind(in->dec) == DEC_GZIP ? dec_raw_bytes(in->dec) : in->lr.bytes;
}

static void
close_current(struct input *in)
{
	if (!in->open)
		return;
	in->bytes += in->lr.bytes;
	in->raw += raw_bytes(in);
	lr_free(&in->lr);
	dec_free(in->dec);
	in->dec = NULL;
	in->broken = 0;
	if (in->fd > STDERR_FILENO)
		close(in->fd);
	in->fd = -1;
	in->open = 0;
}

void
input_destroy(struct input *in)
{
	if (in == NULL)
		return;
	close_current(in);
	free(in);
}

const char *
input_name(const struct input *in, uint32_t src)
{
	if (in->stdin_default || is_stdin(in->names[src]))
		return "<stdin>";
	return in->names[src];
}

uint64_t
input_bytes(const struct input *in)
{
	return in->bytes + (in->open ? in->lr.bytes : 0);
}

uint64_t
input_raw_bytes(const struct input *in)
{
	return in->raw + (in->open ? raw_bytes(in) : 0);
}

uint64_t
input_total_size(const struct input *in)
{
	return in->total;
}

int
input_data_error(const struct input *in)
{
	return in->data_error;
}

/* Open the next source; 0, 1 when there is none left, -1 on error. */
static int
open_next(struct input *in)
{
	size_t total = in->stdin_default ? 1 : in->n;
	const char *name;

	if (in->cur >= total)
		return 1;
	name = in->stdin_default ? "-" : in->names[in->cur];
	if (is_stdin(name)) {
		in->fd = STDIN_FILENO;
	} else if ((in->fd = open(name, O_RDONLY | O_CLOEXEC)) < 0) {
		log_errno("%s", name);
		return -1;
	}
	if (lr_init(&in->lr, in->fd, input_name(in, (uint32_t)in->cur),
	    in->max_line) < 0 || (in->dec = dec_new(in->fd)) == NULL) {
		log_err("out of memory");
		lr_free(&in->lr);
		if (in->fd > STDERR_FILENO)
			close(in->fd);
		return -1;
	}
	in->lr.read_fn = dec_read;
	in->lr.read_ctx = in->dec;
	in->open = 1;
	return 0;
}

static int fill(struct input *in, int may_read);

enum in_status
input_next(struct input *in, struct in_line *l)
{
	struct lr_line ll;
	enum lr_status st;

	for (;;) {
		if (!in->open) {
			int r = open_next(in);

			if (r == 1)
				return IN_EOF;
			if (r < 0)
				return IN_ERROR;
		}
		if (in->broken) {
			/* what was decoded of the line the fault cut is dropped */
			close_current(in);
			in->cur++;
			continue;
		}
		st = lr_next(&in->lr, &ll);
		if (st == LR_NEED_MORE) {
			/* the decoder holds bytes: decode them now, without
			 * reading the file (that waits for poll) */
			if (in->lr.read_fn && dec_pending(in->dec)) {
				if (fill(in, 0) < 0)
					return IN_ERROR;
				continue;
			}
			return IN_NEED_MORE;
		}
		if (st == LR_EOF) {
			close_current(in);
			in->cur++;
			continue;
		}
		l->data = ll.data;
		l->len = ll.len;
		l->lineno = ll.lineno;
		l->seq = ++in->seq;
		l->src = (uint32_t)in->cur;
		return st == LR_TOOLONG ? IN_TOOLONG : IN_LINE;
	}
}

int
input_fd(const struct input *in)
{
	return in->open ? in->fd : -1;
}

/* Read (or only decode what is buffered, may_read 0) once. */
static int
fill(struct input *in, int may_read)
{
	ssize_t r;

	dec_may_read(in->dec, may_read);
	r = lr_fill(&in->lr);
	if (in->lr.read_fn && dec_kind(in->dec) == DEC_PLAIN)
		in->lr.read_fn = NULL;	/* plain text: read(2) straight */
	if (r >= 0)
		return 0;
	if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	if (errno == EBADMSG) {
		if (in->lr.lineno > 0)
			log_err("%s: %s, after line %llu: the rest of it is skipped",
			    in->lr.name, dec_error(in->dec),
			    (unsigned long long)in->lr.lineno);
		else
			log_err("%s: %s: none of it is read", in->lr.name,
			    dec_error(in->dec));
		in->broken = 1;
		in->data_error = 1;
		return 0;
	}
	log_errno("%s: read error", in->lr.name);
	return -1;
}

int
input_fill(struct input *in)
{
	if (!in->open)
		return 0;
	return fill(in, 1);
}

/* ---- line validation ----------------------------------------------------- */

int
input_key_eq(const struct jspan *k, const char *name, size_t len)
{
	return jspan_eqn(k, name, len);
}

/* Scan a line expected to be an object, filling rec.  0, 1 when it is a
 * valid value that is not an object, -1 when it is not valid (as far as
 * jansson is concerned). */
static int
scan_line(const char *s, size_t n, const struct in_keys *keys, struct in_record *rec)
{
	struct jscan js;
	struct jspan key;
	int r;

	jscan_init(&js, s, n);
	js.flags = JSCAN_JANSSON;	/* refuse what jansson refuses */
	for (size_t i = 0; i < keys->n; i++)
		rec->val[i].type = JSCAN_NONE;
	if (jscan_peek(&js) != JSCAN_OBJECT) {
		if (jscan_value(&js, NULL) < 0 || jscan_end(&js) < 0)
			return -1;
		return 1;
	}
	rec->obj = (const char *)js.p;
	if (jscan_object(&js) < 0)
		return -1;
	while ((r = jscan_member(&js, &key)) == 1) {
		size_t k;

		for (k = 0; k < keys->n; k++)
			if (input_key_eq(&key, keys->name[k], keys->len[k]))
				break;
		/* a wanted member keeps its span (the last duplicate wins) */
		if (jscan_value(&js, k == keys->n ? NULL : &rec->val[k]) < 0)
			return -1;
	}
	if (r < 0)
		return -1;
	rec->objlen = (size_t)((const char *)js.p - rec->obj);
	return jscan_end(&js) < 0 ? -1 : 0;
}

/* The old, exact path for a line the scanner refused: the first NUL byte,
 * the first invalid UTF-8 sequence, else jansson's own diagnosis. */
static int
diagnose(const char *s, size_t n, const char **error, char *reason, size_t rlen)
{
	json_error_t je;
	const char *nul = memchr(s, '\0', n);
	long bad;
	json_t *v;

	if (nul) {
		*error = "nul_byte";
		snprintf(reason, rlen, "NUL byte at column %zu", (size_t)(nul - s) + 1);
		return -1;
	}
	if ((bad = utf8_check(s, n)) >= 0) {
		*error = "invalid_utf8";
		snprintf(reason, rlen, "invalid UTF-8 at column %ld", bad + 1);
		return -1;
	}
	/* Integers as reals: jansson refuses integers beyond 64 bits, which
	 * Elasticsearch takes. */
	v = json_loadb(s, n, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL,
	    &je);
	if (v == NULL) {
		*error = "invalid_json";
		snprintf(reason, rlen, "invalid JSON at column %d: %s", je.column, je.text);
		return -1;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		*error = "not_an_object";
		snprintf(reason, rlen, "a JSON value that is not an object");
		return -1;
	}
	/* jansson takes what the scanner refused: should not happen. */
	json_decref(v);
	*error = "invalid_json";
	snprintf(reason, rlen, "invalid JSON (refused by the scanner, taken by jansson)");
	return -1;
}

int
input_parse(const char *s, size_t n, const struct in_keys *keys,
    struct in_record *rec, const char **error, char *reason, size_t rlen)
{
	int r = scan_line(s, n, keys, rec);

	if (r == 0)
		return 0;
	if (r == 1) {
		*error = "not_an_object";
		snprintf(reason, rlen, "a JSON value that is not an object");
		return -1;
	}
	return diagnose(s, n, error, reason, rlen);
}
