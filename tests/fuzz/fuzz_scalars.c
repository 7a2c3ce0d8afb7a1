/*
 * fuzz_scalars.c - libFuzzer harness of the small text parsers of lib/:
 * ack_parse (the ack channel), ts_parse_iso (record timestamps), opt_uint,
 * opt_size and opt_double (command-line and config numbers).
 *
 * Input: byte 0 picks the parser, the rest is its text.  Results are
 * checked for consistency: an accepted ack number formats back to a line
 * that parses to the same number, an accepted timestamp in range formats
 * and parses back to the same millisecond, accepted numbers lie in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ack.h"
#include "log.h"
#include "opt.h"
#include "timefmt.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t bounds[][2] = {
		{ 0, UINT64_MAX }, { 1, 65535 }, { 4096, 1ULL << 32 }, { 0, 0 },
	};
	const char *text;
	size_t len;
	char *z;
	unsigned sel;

	if (size < 1)
		return 0;
	log_init("fuzz");
	sel = data[0];
	text = (const char *)data + 1;
	len = size - 1;

	switch (sel % 4) {
	case 0: {
		uint64_t v = 0, w = 0;
		char buf[ACK_LINE_MAX];
		size_t n;

		if (ack_parse(text, len, &v) == 0) {
			n = ack_format(buf, v);
			CHECK(n >= 2 && buf[n - 1] == '\n');
			CHECK(ack_parse(buf, n - 1, &w) == 0 && w == v);
		}
		break;
	}
	case 1: {
		int64_t ms = 0, back = 0;
		char ts[TS_ISO_LEN];
		struct tm tm;

		if (ts_parse_iso(text, len, &ms) == 0 && ts_format_ms(ts, ms) == 0) {
			CHECK(strlen(ts) == TS_ISO_LEN - 1);
			CHECK(ts_parse_iso(ts, strlen(ts), &back) == 0 && back == ms);
			ts_to_tm(ms, &tm);
		}
		break;
	}
	default:
		/* the opt_* functions take a C string */
		if ((z = malloc(len + 1)) == NULL)
			return 0;
		memcpy(z, text, len);
		z[len] = '\0';
		if (sel % 4 == 2) {
			const uint64_t *b = bounds[(sel >> 2) % 4];
			uint64_t v = 0;

			if (opt_uint("--fuzz", z, b[0], b[1], &v) == 0)
				CHECK(v >= b[0] && v <= b[1]);
			if (opt_size("--fuzz", z, b[0], b[1], &v) == 0)
				CHECK(v >= b[0] && v <= b[1]);
		} else {
			double d = 0;

			if (opt_double("--fuzz", z, 0, 86400, &d) == 0)
				CHECK(d >= 0 && d <= 86400);
		}
		free(z);
		break;
	}
	return 0;
}
