/*
 * decompress.h - es-bulk's compressed input: one source's bytes, recognised
 * by their first bytes (not the file name), handed to the line reader as
 * they are (plain text) or gunzipped (gzip, any number of concatenated
 * members, as `cat a.gz b.gz` makes).  Other compressors' magic bytes (zstd,
 * xz, bzip2) are refused with a message saying how to feed them.
 *
 * dec_read() has read(2)'s contract for lib/ndjson's read_fn: it reads the
 * descriptor at most once per call (so a poll()ed pipe never blocks), and
 * returns -1/EAGAIN when that read gave no output yet.  A truncated or
 * corrupt archive is -1/EBADMSG, after every byte decoded before the fault
 * was handed out; dec_error() then says what and at which compressed byte.
 */
#ifndef ESB_DECOMPRESS_H
#define ESB_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum dec_kind {
	DEC_UNKNOWN,	/* nothing read yet */
	DEC_PLAIN,
	DEC_GZIP,
};

struct dec;

struct dec *dec_new(int fd);
void dec_free(struct dec *d);
ssize_t dec_read(void *ctx, void *buf, size_t n);
enum dec_kind dec_kind(const struct dec *d);
/* 0: the next dec_read() only decodes what is buffered (no read(2)). */
void dec_may_read(struct dec *d, int may);
/* Output can be produced without reading the descriptor (call dec_read
 * again before waiting on the fd). */
int dec_pending(const struct dec *d);
/* Bytes read from the descriptor (compressed bytes for gzip). */
uint64_t dec_raw_bytes(const struct dec *d);
/* After EBADMSG: "gzip data truncated at byte N" and the like. */
const char *dec_error(const struct dec *d);

#endif
