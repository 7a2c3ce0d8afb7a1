/*
 * deadletter.c - writes rejected lines as NDJSON (see deadletter.h).
 */
#include "deadletter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "log.h"
#include "timefmt.h"

struct deadletter {
	const char *path;
	int fd;
	struct buf out;
};

struct deadletter *
dl_create(const char *path)
{
	struct deadletter *dl = calloc(1, sizeof(*dl));

	if (dl == NULL)
		return NULL;
	dl->path = path;
	dl->fd = -1;
	return dl;
}

void
dl_destroy(struct deadletter *dl)
{
	if (dl == NULL)
		return;
	if (dl->fd >= 0 && close(dl->fd) < 0)
		log_errno("dead-letter file %s", dl->path);
	buf_free(&dl->out);
	free(dl);
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
append_base64(struct buf *b, const unsigned char *s, size_t n)
{
	if (buf_reserve(b, (n + 2) / 3 * 4 + 2) < 0)
		return -1;
	b->data[b->len++] = '"';
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		b->data[b->len++] = b64[v >> 18 & 63];
		b->data[b->len++] = b64[v >> 12 & 63];
		b->data[b->len++] = (char)(i + 1 < n ? b64[v >> 6 & 63] : '=');
		b->data[b->len++] = (char)(i + 2 < n ? b64[v & 63] : '=');
	}
	b->data[b->len++] = '"';
	return 0;
}

/*
 * Open (create) the file for appending.  A run that died in the middle of a
 * write may have left a torn last record: it is ended with a newline, so
 * that ours start on lines of their own.
 */
static int
dl_open(struct deadletter *dl)
{
	struct stat st;
	char last = '\n';
	int rfd;

	dl->fd = fd_open_private(dl->path, 0);
	if (dl->fd < 0) {
		log_errno("cannot open the dead-letter file %s", dl->path);
		return -1;
	}
	if (fstat(dl->fd, &st) == 0 && st.st_size > 0 &&
	    (rfd = open(dl->path, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (pread(rfd, &last, 1, st.st_size - 1) != 1)
			last = '\n';
		close(rfd);
	}
	if (last != '\n' && fd_write_all(dl->fd, "\n", 1) < 0) {
		log_errno("dead-letter file %s", dl->path);
		close(dl->fd);
		dl->fd = -1;
		return -1;
	}
	return 0;
}

int
dl_write(struct deadletter *dl, const struct dl_entry *e)
{
	struct buf *b = &dl->out;
	char ts[TS_ISO_LEN], num[64];
	struct stat st;
	int lossy = 0, rc = 0;

	b->len = 0;
	rc |= buf_append_str(b, "{\"line\":");
	rc |= buf_append_json(b, e->line, e->len, &lossy);
	if (lossy || memchr(e->line, '\0', e->len)) {
		rc |= buf_append_str(b, ",\"line_base64\":");
		rc |= append_base64(b, (const unsigned char *)e->line, e->len);
	}
	if (e->truncated)
		rc |= buf_append_str(b, ",\"truncated\":true");
	rc |= buf_append_str(b, ",\"source\":");
	rc |= buf_append_json(b, e->source, strlen(e->source), NULL);
	snprintf(num, sizeof(num), ",\"lineno\":%llu", (unsigned long long)e->lineno);
	rc |= buf_append_str(b, num);
	if (e->index) {
		rc |= buf_append_str(b, ",\"index\":");
		rc |= buf_append_json(b, e->index, strlen(e->index), NULL);
	}
	if (e->status) {
		snprintf(num, sizeof(num), ",\"status\":%d", e->status);
		rc |= buf_append_str(b, num);
	}
	rc |= buf_append_str(b, ",\"error\":");
	rc |= buf_append_json(b, e->error, strlen(e->error), NULL);
	rc |= buf_append_str(b, ",\"reason\":");
	rc |= buf_append_json(b, e->reason, strlen(e->reason), NULL);
	if (ts_format_ms(ts, ts_now_ms()) < 0)
		ts[0] = '\0';
	rc |= buf_append_str(b, ",\"time\":\"");
	rc |= buf_append_str(b, ts);
	rc |= buf_append_str(b, "\"}\n");
	if (rc) {
		log_err("dead-letter file %s: out of memory", dl->path);
		return -1;
	}
	if (dl->fd < 0 && dl_open(dl) < 0)
		return -1;
	if (fstat(dl->fd, &st) < 0)
		st.st_size = -1;
	if (fd_write_all(dl->fd, b->data, b->len) < 0) {
		int err = errno;

		/* A full disk takes part of a record: cut it off, the file
		 * holds whole records only (this one is not acknowledged). */
		if (st.st_size >= 0 && ftruncate(dl->fd, st.st_size) < 0)
			log_warn("dead-letter file %s: cannot cut a partial record: %s",
			    dl->path, strerror(errno));
		errno = err;
		log_errno("dead-letter file %s", dl->path);
		return -1;
	}
	return 0;
}
