/*
 * decompress.c - recognise and gunzip one input source (see decompress.h).
 * zlib's inflate in gzip mode; after each member's end the stream is reset
 * and, if more bytes follow, they must be another gzip member.
 */
#include "decompress.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define DEC_INCAP	((size_t)128 * 1024)

struct dec {
	int fd;
	enum dec_kind kind;
	unsigned char held;	/* a first byte 0x1f waiting for the second */
	int nheld;
	int eof;		/* the descriptor said end of input */
	int boundary;		/* between gzip members (or before the first) */
	int out_full;		/* inflate stopped for want of output space */
	int failed;		/* the error to report on the next call */
	int zinit;
	int may_read;
	z_stream z;
	unsigned char *in;
	uint64_t raw;		/* bytes read from fd */
	char err[160];
};

struct dec *
dec_new(int fd)
{
	struct dec *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->fd = fd;
	d->may_read = 1;
	return d;
}

void
dec_free(struct dec *d)
{
	if (d == NULL)
		return;
	if (d->zinit)
		inflateEnd(&d->z);
	free(d->in);
	free(d);
}

enum dec_kind
dec_kind(const struct dec *d)
{
	return d->kind;
}

void
dec_may_read(struct dec *d, int may)
{
	d->may_read = may;
}

int
dec_pending(const struct dec *d)
{
	return d->failed || (d->kind == DEC_GZIP && (d->z.avail_in > 0 || d->out_full));
}

uint64_t
dec_raw_bytes(const struct dec *d)
{
	return d->raw;
}

const char *
dec_error(const struct dec *d)
{
	return d->err;
}

/* The compressed byte the decoder stopped at. */
static unsigned long long
offset(const struct dec *d)
{
	return (unsigned long long)(d->raw - d->z.avail_in);
}

static ssize_t
fail(struct dec *d)
{
	d->failed = 1;
	errno = EBADMSG;
	return -1;
}

/* Other compressors: named, so that the user knows what to run. */
static const char *
foreign(const unsigned char *p, size_t n)
{
	if (n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0)
		return "zstd";
	if (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0)
		return "xz";
	if (n >= 3 && memcmp(p, "BZh", 3) == 0 && n >= 4 && p[3] >= '1' && p[3] <= '9')
		return "bzip2";
	return NULL;
}

static int
start_gzip(struct dec *d, const unsigned char *p, size_t n)
{
	d->in = malloc(DEC_INCAP > n ? DEC_INCAP : n);
	if (d->in == NULL)
		return -1;
	if (inflateInit2(&d->z, 15 + 16) != Z_OK) {
		free(d->in);
		d->in = NULL;
		return -1;
	}
	d->zinit = 1;
	memcpy(d->in, p, n);
	d->z.next_in = d->in;
	d->z.avail_in = (uInt)n;
	d->kind = DEC_GZIP;
	d->boundary = 1;
	return 0;
}

/* The first bytes decide.  Plain bytes stay in buf (no copy). */
static ssize_t
detect(struct dec *d, unsigned char *buf, size_t cap)
{
	ssize_t r;
	size_t n;
	const char *f;

	if (d->nheld) {
		buf[0] = d->held;
		r = read(d->fd, buf + 1, cap - 1);
		if (r < 0)
			return -1;
		d->raw += (uint64_t)r;
		n = (size_t)r + 1;
		if (r == 0)
			d->eof = 1;
		d->nheld = 0;
	} else {
		r = read(d->fd, buf, cap);
		if (r <= 0) {
			if (r == 0)
				d->kind = DEC_PLAIN;	/* empty input */
			return r;
		}
		d->raw += (uint64_t)r;
		n = (size_t)r;
		if (n == 1 && buf[0] == 0x1f) {
			d->held = buf[0];
			d->nheld = 1;
			errno = EAGAIN;
			return -1;
		}
	}
	if (n >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
		if (start_gzip(d, buf, n) < 0) {
			snprintf(d->err, sizeof(d->err), "out of memory");
			return fail(d);
		}
		return 0;	/* caller goes on inflating */
	}
	if ((f = foreign(buf, n)) != NULL) {
		snprintf(d->err, sizeof(d->err), "%s-compressed input is not read "
		    "(decompress it first: %s -dc FILE | es-bulk)", f,
		    strcmp(f, "bzip2") == 0 ? "bzip2" : f);
		return fail(d);
	}
	d->kind = DEC_PLAIN;
	return (ssize_t)n;
}

static ssize_t
inflate_some(struct dec *d, unsigned char *out, size_t cap, int did_read)
{
	size_t produced = 0;

	for (;;) {
		int ret;

		if (d->z.avail_in == 0 && !d->eof) {
			ssize_t r;

			if (produced > 0)
				return (ssize_t)produced;
			if (did_read) {
				errno = EAGAIN;
				return -1;
			}
			r = read(d->fd, d->in, DEC_INCAP);
			if (r < 0)
				return -1;
			did_read = 1;
			if (r == 0) {
				d->eof = 1;
			} else {
				d->raw += (uint64_t)r;
				d->z.next_in = d->in;
				d->z.avail_in = (uInt)r;
			}
			continue;
		}
		if (d->z.avail_in == 0 && d->eof) {
			if (d->boundary)
				return (ssize_t)produced;	/* 0: the end */
			if (produced > 0) {
				d->failed = 1;	/* reported on the next call */
				snprintf(d->err, sizeof(d->err),
				    "gzip data truncated at byte %llu", offset(d));
				return (ssize_t)produced;
			}
			snprintf(d->err, sizeof(d->err), "gzip data truncated at byte %llu",
			    offset(d));
			return fail(d);
		}
		if (produced == cap)
			return (ssize_t)produced;
		d->z.next_out = out + produced;
		d->z.avail_out = (uInt)(cap - produced > 1u << 30 ? 1u << 30 : cap - produced);
		{
			uInt before_in = d->z.avail_in, before_out = d->z.avail_out;

			ret = inflate(&d->z, Z_NO_FLUSH);
			produced += before_out - d->z.avail_out;
			if (d->z.avail_in != before_in)
				d->boundary = 0;
		}
		d->out_full = d->z.avail_out == 0;
		if (ret == Z_STREAM_END) {
			d->boundary = 1;
			d->out_full = 0;
			inflateReset(&d->z);
			continue;
		}
		if (ret == Z_OK || ret == Z_BUF_ERROR)
			continue;
		/* Z_DATA_ERROR (a bad header after a member: trailing bytes
		 * that are not gzip), Z_NEED_DICT, Z_MEM_ERROR */
		snprintf(d->err, sizeof(d->err), "gzip data corrupt at byte %llu: %s",
		    offset(d), ret == Z_MEM_ERROR ? "out of memory" :
		    d->z.msg ? d->z.msg : "invalid data");
		if (produced > 0) {
			d->failed = 1;
			return (ssize_t)produced;
		}
		return fail(d);
	}
}

ssize_t
dec_read(void *ctx, void *buf, size_t n)
{
	struct dec *d = ctx;
	ssize_t r;

	if (d->failed) {
		errno = EBADMSG;
		return -1;
	}
	if (n == 0)
		return 0;
	if (d->kind == DEC_PLAIN) {
		r = read(d->fd, buf, n);
		if (r > 0)
			d->raw += (uint64_t)r;
		return r;
	}
	if (d->kind == DEC_UNKNOWN) {
		r = detect(d, buf, n);
		if (d->kind != DEC_GZIP || r < 0)
			return r;
		return inflate_some(d, buf, n, 1);
	}
	return inflate_some(d, buf, n, !d->may_read);
}
