/*
 * output.c - stdout with a bounded queue (see output.h).
 *
 * On a pipe or socket stdout is made non-blocking: a record is written at
 * once if the reader keeps up, else kept in one contiguous buffer and
 * written from the event loop; callers stop polling (and pause the
 * websocket) while output_full().  Files and terminals are written
 * blocking, they never stall for long.  libwebsockets ignores SIGPIPE, so
 * every write is checked and EPIPE ends the run.
 */
#include "output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fdio.h"
#include "log.h"

int
output_init(struct output *o, int fd, size_t max, int queue)
{
	struct stat st;

	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->max = max;
	if (queue && fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
		if (fd_set_nonblock(fd, 1) == 0)
			o->nonblock = 1;
	}
	return 0;
}

static int
fail(struct output *o, int err)
{
	if (!o->failed) {
		o->failed = err ? err : EIO;
		if (o->failed == EPIPE)
			log_info("stdout: the reader went away (EPIPE), stopping");
		else
			log_err("stdout: write failed: %s", strerror(o->failed));
	}
	return -1;
}

int
output_flush_some(struct output *o)
{
	ssize_t n;

	if (o->failed)
		return -1;
	while (o->len > 0) {
		n = fd_write_some(o->fd, o->buf + o->head, o->len);
		if (n < 0)
			return fail(o, errno);
		if (n == 0)
			break;
		o->head += (size_t)n;
		o->len -= (size_t)n;
	}
	if (o->len == 0)
		o->head = 0;
	return 0;
}

int
output_put(struct output *o, const char *line, size_t len)
{
	ssize_t n = 0;

	if (o->failed)
		return -1;
	o->records++;
	o->bytes += len;
	if (!o->nonblock) {
		if (fd_write_all(o->fd, line, len) < 0)
			return fail(o, errno);
		return 0;
	}
	if (o->len == 0) {
		n = fd_write_some(o->fd, line, len);
		if (n < 0)
			return fail(o, errno);
		if ((size_t)n == len)
			return 0;
		line += n;
		len -= (size_t)n;
	}
	if (o->head > 0 && o->head + o->len + len > o->cap) {
		memmove(o->buf, o->buf + o->head, o->len);
		o->head = 0;
	}
	if (o->len + len > o->cap) {
		size_t ncap = o->cap ? o->cap : 65536;
		char *nb;

		while (ncap < o->len + len)
			ncap *= 2;
		if ((nb = realloc(o->buf, ncap)) == NULL)
			return fail(o, ENOMEM);
		o->buf = nb;
		o->cap = ncap;
	}
	memcpy(o->buf + o->head + o->len, line, len);
	o->len += len;
	return 0;
}

int
output_drain(struct output *o)
{
	if (o->failed)
		return -1;
	if (o->len > 0 && fd_write_all(o->fd, o->buf + o->head, o->len) < 0)
		return fail(o, errno);
	o->head = o->len = 0;
	return 0;
}

int
output_full(const struct output *o)
{
	return o->len > o->max;
}

size_t
output_pending(const struct output *o)
{
	return o->len;
}

void
output_free(struct output *o)
{
	if (o->nonblock)
		fd_set_nonblock(o->fd, 0);
	free(o->buf);
	o->buf = NULL;
}
