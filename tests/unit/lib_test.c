/*
 * lib_test.c - unit tests of lib/: the NDJSON line reader, timestamps, the
 * ack line format, strict number parsing and the JSON scanner.  Prints one TAP-like line per
 * check; exits 1 if any failed.  Run by tests/lib.bats.
 */
#include "ack.h"
#include "jscan.h"
#include "log.h"
#include "ndjson.h"
#include "opt.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...) do {						\
	if (cond) { printf("ok - "); }					\
	else { printf("FAIL - "); failures++; }				\
	printf(__VA_ARGS__); printf("\n");				\
} while (0)

static int
pipe_with(const char *data, size_t len)
{
	int p[2];

	if (pipe(p) < 0 || write(p[1], data, len) != (ssize_t)len)
		exit(2);
	close(p[1]);
	return p[0];
}

static void
test_reader(void)
{
	static const char in[] = "{\"a\":1}\r\n\n0123456789ABCDEF\n{\"b\":2}\n{\"c\":3}";
	struct line_reader lr;
	struct lr_line l;
	int fd = pipe_with(in, sizeof(in) - 1), st;

	lr_init(&lr, fd, "<pipe>", 10);
	st = lr_next_blocking(&lr, &l);
	CHECK(st == LR_LINE && l.len == 7 && memcmp(l.data, "{\"a\":1}", 7) == 0 &&
	    (l.flags & LR_FLAG_CRLF) && l.lineno == 1, "CRLF line, CR stripped");
	st = lr_next_blocking(&lr, &l);
	CHECK(st == LR_LINE && l.len == 0 && l.lineno == 2, "empty line counted");
	st = lr_next_blocking(&lr, &l);
	CHECK(st == LR_TOOLONG && l.len == 10 && l.lineno == 3, "overlong line reported once");
	st = lr_next_blocking(&lr, &l);
	CHECK(st == LR_LINE && l.lineno == 4 && l.len == 7, "line after overlong one");
	st = lr_next_blocking(&lr, &l);
	CHECK(st == LR_LINE && l.lineno == 5 && (l.flags & LR_FLAG_NOEOL), "last line without newline");
	st = lr_next_blocking(&lr, &l);
	CHECK(st == LR_EOF, "EOF");
	lr_free(&lr);
	close(fd);
}

static void
test_reader_big(void)
{
	/* An overlong line much larger than the read buffer is skipped whole. */
	size_t n = 3 * 1024 * 1024;
	char *big = malloc(n + 16);
	struct line_reader lr;
	struct lr_line l;
	int p[2], st;
	pid_t pid;

	memset(big, 'x', n);
	memcpy(big + n, "\n{}\n", 4);
	if (pipe(p) < 0)
		exit(2);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (write(p[1], big, n + 4) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	lr_init(&lr, p[0], "<pipe>", 1024 * 1024);
	st = lr_next_blocking(&lr, &l);
	CHECK(st == LR_TOOLONG && l.lineno == 1, "3 MiB line over a 1 MiB limit");
	st = lr_next_blocking(&lr, &l);
	CHECK(st == LR_LINE && l.len == 2 && l.lineno == 2, "next line intact");
	CHECK(lr.cap <= 1024 * 1024 + 256 * 1024, "buffer bounded (%zu bytes)", lr.cap);
	lr_free(&lr);
	close(p[0]);
	free(big);
}

static void
test_time(void)
{
	char buf[TS_ISO_LEN];
	int64_t ms;

	CHECK(ts_format_ms(buf, 1795704286000LL) == 0 &&
	    strcmp(buf, "2026-11-26T14:44:46.000Z") == 0, "format %s", buf);
	CHECK(ts_format_ms(buf, 0) == 0 && strcmp(buf, "1970-01-01T00:00:00.000Z") == 0,
	    "epoch");
	CHECK(ts_parse_iso("2025-01-21T16:30:45.123Z", 24, &ms) == 0 && ms == 1737477045123LL,
	    "parse Z with ms");
	CHECK(ts_parse_iso("2025-01-21T17:30:45+01:00", 25, &ms) == 0 && ms == 1737477045000LL,
	    "parse offset");
	CHECK(ts_parse_iso("2024-02-29", 10, &ms) == 0 && ms == 1709164800000LL, "date only, leap day");
	CHECK(ts_parse_iso("2025-13-01T00:00:00Z", 20, &ms) < 0, "month 13 refused");
	CHECK(ts_parse_iso("2025-01-21T16:30:45.123Zjunk", 28, &ms) < 0, "trailing junk refused");
	CHECK(ts_from_epoch(1795704018.026128, &ms) == 0 && ms == 1795704018026LL, "float seconds");
	CHECK(ts_from_epoch(1795704018026.0, &ms) == 0 && ms == 1795704018026LL, "milliseconds");
	for (int64_t t = -86400000LL * 800; t < 86400000LL * 40000; t += 86400000LL * 7 + 12345) {
		int64_t back;

		if (ts_format_ms(buf, t) || ts_parse_iso(buf, strlen(buf), &back) || back != t) {
			CHECK(0, "round trip %lld", (long long)t);
			return;
		}
	}
	CHECK(1, "format/parse round trip over 110 years");
}

static void
test_ack_opt(void)
{
	char buf[ACK_LINE_MAX];
	uint64_t v;

	CHECK(ack_format(buf, 2417) == 5 && strcmp(buf, "2417\n") == 0, "ack format");
	CHECK(ack_parse("2417", 4, &v) == 0 && v == 2417, "ack parse");
	CHECK(ack_parse("24a7", 4, &v) < 0 && ack_parse("", 0, &v) < 0, "ack parse refuses junk");
	CHECK(ack_parse("99999999999999999999", 20, &v) < 0, "ack parse refuses overflow");
	CHECK(opt_uint("--n", "42", 1, 100, &v) == 0 && v == 42, "opt_uint");
	CHECK(opt_uint("--n", "0x10", 1, 100, &v) < 0, "opt_uint refuses hex");
	CHECK(opt_uint("--n", "101", 1, 100, &v) < 0, "opt_uint range");
	CHECK(opt_uint("--n", "-1", 0, 100, &v) < 0, "opt_uint refuses negative");
	CHECK(opt_size("--s", "16m", 1, UINT64_MAX, &v) == 0 && v == 16777216, "opt_size 16m");
}

static int
valid(const char *s)
{
	return jscan_validate(s, strlen(s), NULL, NULL) == 0;
}

static void
test_jscan(void)
{
	static const char *const good[] = {
		"{}", "[]", " {\"a\" : [1, -0.5e+3, true, false, null, \"x\"]}\n", "0", "-0",
		"\"\\u00e9\\ud83d\\ude00\\n\\/\"", "\"\xc3\xa9\xf0\x9f\x98\x80\"",
		"123456789012345678901234567890", "[[[{\"a\":{}}]]]", "\"\\u0000\"",
	};
	static const char *const bad[] = {
		"", " ", "{", "[1,]", "{\"a\":1,}", "{,}", "[,1]", "{\"a\" 1}", "{a:1}",
		"01", "1.", ".5", "1e", "-", "+1", "tru", "nul", "\"abc", "\"\\x\"",
		"\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\x01\"", "\"\xc0\xaf\"",
		"\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x82\"", "{} {}", "[1 2]",
		"{\"a\":1 \"b\":2}", "[1}", "{\"a\":1]",
	};
	struct jscan js;
	struct jspan k, v;
	char buf[64];
	int64_t i64;
	double d;
	int r, seen = 0;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(valid(good[i]), "jscan accepts %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!valid(bad[i]), "jscan refuses [%s]", bad[i]);

	/* depth: 2048 levels are fine, 2049 are not (as jansson) */
	{
		char deep[2 * 2049 + 1];

		memset(deep, '[', 2048);
		memset(deep + 2048, ']', 2048);
		CHECK(jscan_validate(deep, 4096, NULL, NULL) == 0, "2048 levels");
		memset(deep, '[', 2049);
		memset(deep + 2049, ']', 2049);
		CHECK(jscan_validate(deep, 4098, NULL, NULL) < 0, "2049 levels refused");
	}

	/* walking an object: pick two members, skip the rest */
	static const char doc[] = "{\"skip\":{\"x\":[1,{\"y\":\"}\"}]},\"n\":-42,"
	    "\"s\":\"caf\\u00e9 \\\"q\\\"\",\"f\":1.5e2,\"big\":1e30}";
	jscan_init(&js, doc, sizeof(doc) - 1);
	r = jscan_object(&js);
	while (r == 0 && (r = jscan_member(&js, &k)) == 1) {
		r = jscan_value(&js, &v);
		if (jspan_eq(&k, "n"))
			seen += jspan_int64(&v, &i64) == 0 && i64 == -42;
		else if (jspan_eq(&k, "s"))
			seen += jspan_string(&v, buf, sizeof(buf)) == 9 &&
			    strcmp(buf, "caf\xc3\xa9 \"q\"") == 0 && jspan_eq(&v, "caf\xc3\xa9 \"q\"");
		else if (jspan_eq(&k, "f"))
			seen += jspan_int64(&v, &i64) == 0 && i64 == 150 &&
			    jspan_double(&v, &d) == 0 && d == 150.0;
		else if (jspan_eq(&k, "big"))
			seen += jspan_int64(&v, &i64) < 0;
		else if (jspan_eq(&k, "skip"))
			seen += v.type == JSCAN_OBJECT && v.n == 19;
	}
	CHECK(r == 0 && jscan_end(&js) == 0 && seen == 5, "walk an object (%d of 5 fields)", seen);

	jscan_init(&js, "[1,2,3]", 7);
	seen = 0;
	r = jscan_array(&js);
	while (r == 0 && (r = jscan_element(&js)) == 1) {
		r = jscan_value(&js, &v);
		seen++;
	}
	CHECK(r == 0 && seen == 3 && jscan_end(&js) == 0, "walk an array");

	jscan_init(&js, "{\"a\":[1,2 3]}", 13);
	CHECK(jscan_value(&js, NULL) < 0 && js.err_off == 10 && js.err != NULL,
	    "error offset (%zu: %s)", js.err_off, js.err ? js.err : "-");
	jscan_init(&js, "\"\\u0000\"", 8);
	CHECK(jscan_value(&js, &v) == 0 && jspan_string(&v, buf, sizeof(buf)) < 0,
	    "U+0000 is valid JSON but never decoded into a C string");
	CHECK(jspan_int64(&(struct jspan){"9223372036854775807", 19, JSCAN_NUMBER, 0}, &i64) == 0 &&
	    i64 == INT64_MAX, "int64 max");
	CHECK(jspan_int64(&(struct jspan){"-9223372036854775808", 20, JSCAN_NUMBER, 0}, &i64) == 0 &&
	    i64 == INT64_MIN, "int64 min");
	CHECK(jspan_int64(&(struct jspan){"9223372036854775808", 19, JSCAN_NUMBER, 0}, &i64) < 0,
	    "int64 overflow refused");
	/* JSCAN_JANSSON: what jansson refuses */
	{
		static const char *const only_plain[] = { "[1e400]", "{\"a\\u0000\":1}", "-1E+999" };

		for (i = 0; i < sizeof(only_plain) / sizeof(only_plain[0]); i++) {
			jscan_init(&js, only_plain[i], strlen(only_plain[i]));
			r = jscan_value(&js, NULL);
			jscan_init(&js, only_plain[i], strlen(only_plain[i]));
			js.flags = JSCAN_JANSSON;
			CHECK(r == 0 && jscan_value(&js, NULL) < 0, "JSCAN_JANSSON refuses %s", only_plain[i]);
		}
		jscan_init(&js, "[1e300,\"\\u0000\"]", 16);
		js.flags = JSCAN_JANSSON;
		CHECK(jscan_value(&js, NULL) == 0, "JSCAN_JANSSON takes 1e300 and U+0000 in a value");
	}
}

int
main(void)
{
	log_init("lib-test");
	log_set_level(LOG_LEVEL_ERR - 1);
	test_reader();
	test_reader_big();
	test_time();
	test_ack_opt();
	test_jscan();
	printf("%s\n", failures ? "FAILED" : "ALL OK");
	return failures ? 1 : 0;
}
