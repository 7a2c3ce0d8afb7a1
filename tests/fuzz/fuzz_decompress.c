/*
 * fuzz_decompress.c - libFuzzer harness of es-bulk's input decoder
 * (es-bulk/decompress.c) behind the line reader's read_fn.
 *
 * Input: byte 0 picks the case: bit 0 set = the rest is gzipped here first
 * (as one member, or two when bit 1 is set: the first half and the second),
 * then cut at the length in bytes 1-2 when bit 2 is set, or one byte flipped
 * at that offset when bit 3 is set; else the rest is fed as it is (plain
 * text, or whatever bytes the fuzzer made: a gzip header, zstd magic...).
 * The stream goes through a pipe in reads of 1..256 bytes.  Checked: the
 * bytes handed out are exactly the stream when it is taken as plain text,
 * exactly the text for whole archives; a cut archive hands out a prefix of the text and then EBADMSG
 * (never a byte that was not in it); nothing ever crashes or leaks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../../es-bulk/decompress.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
gzip_into(uint8_t *out, size_t cap, const uint8_t *in, size_t n)
{
	z_stream z;
	size_t len;

	memset(&z, 0, sizeof(z));
	CHECK(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
	len = cap - z.avail_out;
	deflateEnd(&z);
	return len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *stream, *got;
	size_t n, cap, gotn = 0, text_n;
	const uint8_t *text;
	int p[2], whole = 1, gz;
	unsigned at;
	struct dec *d;

	if (size < 3 || size > 16384)
		return 0;
	gz = data[0] & 1;
	at = (unsigned)data[1] | (unsigned)data[2] << 8;
	text = data + 3;
	text_n = size - 3;
	cap = text_n * 2 + 256;
	stream = malloc(cap);
	got = malloc(text_n + cap + 1);
	CHECK(stream && got);
	if (gz) {
		size_t half = data[0] & 2 ? text_n / 2 : text_n;

		n = gzip_into(stream, cap, text, half);
		if (half < text_n)
			n += gzip_into(stream + n, cap - n, text + half, text_n - half);
		if ((data[0] & 4) && at < n) {
			n = at;
			whole = 0;
		} else if ((data[0] & 8) && at < n) {
			stream[at] ^= 0x5a;
			whole = 0;
		}
	} else {
		memcpy(stream, text, text_n);
		n = text_n;
	}
	CHECK(n <= 65536 && pipe(p) == 0);
	fcntl(p[1], F_SETPIPE_SZ, 1 << 17);
	CHECK(write(p[1], stream, n) == (ssize_t)n);
	close(p[1]);
	d = dec_new(p[0]);
	CHECK(d);
	for (unsigned i = 0;; i++) {
		size_t want = 1 + (size_t)((i * 37u + data[0]) % 256);
		ssize_t r;

		if (want > text_n + cap - gotn)
			want = text_n + cap - gotn;
		r = dec_read(d, got + gotn, want);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EAGAIN)
				continue;
			CHECK(errno == EBADMSG);
			CHECK(dec_error(d)[0] != '\0');
			break;
		}
		gotn += (size_t)r;
		CHECK(gotn <= text_n + cap);
	}
	if (dec_kind(d) == DEC_PLAIN) {
		/* not recognised (a cut to under 2 bytes too): the bytes as they are */
		CHECK(gotn == n && memcmp(got, stream, n) == 0);
	} else if (gz && whole) {
		CHECK(gotn == text_n && memcmp(got, text, text_n) == 0);
		CHECK(dec_kind(d) == DEC_GZIP);
	} else if (gz && (data[0] & 4)) {
		/* a cut archive: a prefix of the text */
		CHECK(gotn <= text_n && memcmp(got, text, gotn) == 0);
	}
	dec_free(d);
	close(p[0]);
	free(stream);
	free(got);
	return 0;
}
