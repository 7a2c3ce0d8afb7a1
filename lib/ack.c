/*
 * ack.c - ack channel line format, written by es-bulk, read by buffer-spool.
 */
#include "ack.h"

#include <stdio.h>

size_t
ack_format(char buf[ACK_LINE_MAX], uint64_t resolved)
{
	int n = snprintf(buf, ACK_LINE_MAX, "%llu\n", (unsigned long long)resolved);

	return n > 0 ? (size_t)n : 0;
}

int
ack_parse(const char *line, size_t len, uint64_t *resolved)
{
	uint64_t v = 0;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (line[i] < '0' || line[i] > '9')
			return -1;
		d = (unsigned)(line[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*resolved = v;
	return 0;
}
