/*
 * fuzz_ndjson.c - libFuzzer harness of the NDJSON line reader (lib/ndjson.c).
 *
 * Input: byte 0 picks max_line (1..64, or 200..4096), bytes 1-2 seed the
 * split of the rest into reads of random size; the rest is the stream.
 * The stream goes through a non-blocking pipe one chunk at a time, so the
 * reader sees partial lines, EAGAIN and the end of input at every offset.
 * Every result is checked against a model: lines split at '\n', a line
 * longer than max_line (CR included) is LR_TOOLONG with its first max_line
 * bytes, else LR_LINE without its CR; the last line without '\n' has
 * LR_FLAG_NOEOL; line numbers count every line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ndjson.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

struct model {
	const uint8_t *p;
	size_t n, off;
	uint64_t lineno;
	size_t max_line;
};

/* The next expected result; returns LR_EOF at the end. */
static enum lr_status
model_next(struct model *m, const uint8_t **data, size_t *len, unsigned *flags)
{
	const uint8_t *nl;
	size_t raw;

	if (m->off >= m->n)
		return LR_EOF;
	nl = memchr(m->p + m->off, '\n', m->n - m->off);
	raw = nl ? (size_t)(nl - (m->p + m->off)) : m->n - m->off;
	*data = m->p + m->off;
	*flags = nl ? 0 : LR_FLAG_NOEOL;
	m->off += raw + (nl ? 1 : 0);
	m->lineno++;
	if (raw > m->max_line) {
		*len = m->max_line;
		*flags = 0;
		return LR_TOOLONG;
	}
	*len = raw;
	if (raw > 0 && (*data)[raw - 1] == '\r') {
		(*len)--;
		*flags |= LR_FLAG_CRLF;
	}
	return LR_LINE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct line_reader lr;
	struct lr_line line;
	struct model m;
	uint32_t rng;
	size_t max_line, pos = 0;
	int fds[2], closed = 0;
	enum lr_status st, want;

	if (size < 3)
		return 0;
	max_line = data[0] < 200 ? (size_t)(data[0] % 64) + 1 : (size_t)(data[0] - 199) * 73;
	rng = (uint32_t)data[1] << 8 | data[2] | 1;
	data += 3;
	size -= 3;
	memset(&m, 0, sizeof(m));
	m.p = data;
	m.n = size;
	m.max_line = max_line;

	CHECK(pipe(fds) == 0);
	CHECK(fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0);
	CHECK(lr_init(&lr, fds[0], "<fuzz>", max_line) == 0);
	for (;;) {
		st = lr_next(&lr, &line);
		if (st == LR_NEED_MORE) {
			ssize_t n;

			if (pos < size) {
				size_t chunk;

				rng ^= rng << 13;
				rng ^= rng >> 17;
				rng ^= rng << 5;
				chunk = 1 + rng % 97;
				if (chunk > size - pos)
					chunk = size - pos;
				CHECK(write(fds[1], data + pos, chunk) == (ssize_t)chunk);
				pos += chunk;
			} else if (!closed) {
				close(fds[1]);
				closed = 1;
			}
			n = lr_fill(&lr);
			if (n < 0) {
				CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
				CHECK(!closed);
			}
			/* a second read finds the pipe empty (or at its end) */
			if (rng & 0x100) {
				n = lr_fill(&lr);
				CHECK(n <= 0);
			}
			continue;
		}
		{
			const uint8_t *wd = NULL;
			size_t wl = 0;
			unsigned wf = 0;

			want = model_next(&m, &wd, &wl, &wf);
			CHECK(st == want);
			if (st == LR_EOF)
				break;
			CHECK(line.len == wl);
			CHECK(line.len == 0 || memcmp(line.data, wd, wl) == 0);
			CHECK(line.lineno == m.lineno);
			if (st == LR_LINE)
				CHECK(line.flags == wf);
			CHECK(lr.bytes <= size);
		}
	}
	CHECK(m.off >= m.n);
	CHECK(lr_pending(&lr) == 0);
	lr_free(&lr);
	close(fds[0]);
	if (!closed)
		close(fds[1]);
	return 0;
}
