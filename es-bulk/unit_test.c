/*
 * unit_test.c - table-driven unit tests of es-bulk's pure modules: the
 * bulk response parser (on responses captured from real Elasticsearch 8
 * and OpenSearch 2 nodes, tests/data/es-bulk/responses), item
 * classification, backoff, batch keep/split/shed, UTF-8 checks and
 * escaping.
 * Usage: es-bulk-test RESPONSES_DIR; prints FAIL lines and "ALL OK".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "retry.h"
#include "buf.h"
#include "bulk.h"
#include "response.h"

static int failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
		failures++;						\
	}								\
} while (0)

static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	char *data;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL) {
		printf("FAIL cannot open %s\n", path);
		failures++;
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	if (data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(data);
		failures++;
		return NULL;
	}
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

/* One captured response: expected verdicts and statuses per item. */
struct case_ {
	const char *file;
	enum esb_op op;
	size_t n;
	int all_ok;
	enum verdict v[4];
	int status[4];
	const char *type[4];
};

static const struct case_ cases[] = {
	{"es-ok.json", ESB_OP_INDEX, 2, 1, {V_OK, V_OK}, {200, 200}, {"", ""}},
	{"os-ok.json", ESB_OP_INDEX, 2, 1, {V_OK, V_OK}, {200, 200}, {"", ""}},
	{"es-mixed.json", ESB_OP_CREATE, 3, 0, {V_OK, V_REJECT, V_OK}, {409, 400, 201},
	    {"version_conflict_engine_exception", "document_parsing_exception", ""}},
	{"os-mixed.json", ESB_OP_CREATE, 3, 0, {V_OK, V_REJECT, V_OK}, {409, 400, 201},
	    {"version_conflict_engine_exception", "mapper_parsing_exception", ""}},
	/* 409 with op index is not "already there": it is a real conflict */
	{"es-mixed.json", ESB_OP_INDEX, 3, 0, {V_REJECT, V_REJECT, V_OK}, {409, 400, 201},
	    {"version_conflict_engine_exception", "document_parsing_exception", ""}},
	{"es-nofilter.json", ESB_OP_CREATE, 2, 1, {V_OK, V_OK}, {409, 201}, {"", ""}},
	{"os-nofilter.json", ESB_OP_CREATE, 2, 1, {V_OK, V_OK}, {409, 201}, {"", ""}},
	{"es-blocked.json", ESB_OP_INDEX, 1, 0, {V_BLOCKED}, {403}, {"cluster_block_exception"}},
	{"os-blocked.json", ESB_OP_INDEX, 1, 0, {V_BLOCKED}, {403}, {"cluster_block_exception"}},
};

static void
test_responses(const char *dir)
{
	struct item_result res[4];
	char err[256];

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct case_ *k = &cases[c];
		size_t len;
		char *body = slurp(dir, k->file, &len);
		int all_ok = -1;

		if (body == NULL)
			continue;
		if (response_parse(body, len, k->n, k->op, res, &all_ok, err, sizeof(err)) < 0) {
			printf("FAIL %s: %s\n", k->file, err);
			failures++;
			free(body);
			continue;
		}
		CHECK(all_ok == k->all_ok);
		for (size_t i = 0; i < k->n; i++) {
			if (res[i].verdict != k->v[i] ||
			    (!k->all_ok && res[i].status != k->status[i]) ||
			    (!k->all_ok && strcmp(res[i].type, k->type[i]) != 0)) {
				printf("FAIL %s item %zu: verdict %d status %d type '%s'\n",
				    k->file, i, res[i].verdict, res[i].status, res[i].type);
				failures++;
			}
		}
		/* a response for a different number of items is refused */
		if (!k->all_ok)
			CHECK(response_parse(body, len, k->n + 1, k->op, res, &all_ok,
			    err, sizeof(err)) < 0);
		free(body);
	}
	{
		size_t len;
		char *body = slurp(dir, "es-mixed.json", &len);

		if (body) {
			/* the reason carries the cause */
			int all_ok;

			CHECK(response_parse(body, len, 3, ESB_OP_CREATE, res, &all_ok, err,
			    sizeof(err)) == 0);
			CHECK(strstr(res[1].reason, "number_format_exception") != NULL);
			/* truncated bodies are not usable */
			CHECK(response_parse(body, len / 2, 3, ESB_OP_CREATE, res, &all_ok,
			    err, sizeof(err)) < 0);
			free(body);
		}
	}
	CHECK(response_parse("<html>", 6, 1, ESB_OP_INDEX, res, &(int){0}, err, sizeof(err)) < 0);
	CHECK(response_parse("{\"items\":[]}", 12, 0, ESB_OP_INDEX, res, &(int){0}, err,
	    sizeof(err)) < 0);
	{
		/* "errors":false is not enough: one 2xx item per document sent
		 * (a proxy answering {"errors":false} lost every document) */
		static const char *const bad[] = {
			"{\"took\":1,\"errors\":false}",
			"{\"errors\":false,\"items\":[1,2,3]}",
			"{\"errors\":false,\"items\":[{\"index\":{\"status\":201}}]}",
			"{\"errors\":false,\"items\":[{\"index\":{\"status\":201}},"
			    "{\"index\":{\"status\":201}},{\"index\":{\"status\":201}},"
			    "{\"index\":{\"status\":201}}]}",
			"{\"errors\":false,\"items\":[{\"index\":{\"status\":201}},"
			    "{\"index\":{\"status\":500}},{\"index\":{\"status\":201}}]}",
			"{\"errors\":false,\"items\":[{\"index\":{\"status\":201}},"
			    "{\"index\":{\"status\":\"201\"}},{\"index\":{\"status\":201}}]}",
			"{\"errors\":true,\"items\":[{\"index\":{\"status\":201.5}},"
			    "{\"index\":{\"status\":201}},{\"index\":{\"status\":201}}]}",
			"{\"errors\":false,\"items\":[{\"index\":201},"
			    "{\"index\":{\"status\":201}},{\"index\":{\"status\":201}}]}",
			"{\"errors\":false,\"items\":[{},"
			    "{\"index\":{\"status\":201}},{\"index\":{\"status\":201}}]}",
		};
		static const char ok3[] = "{\"errors\":false,\"items\":["
		    "{\"index\":{\"status\":201}},{\"index\":{\"status\":200}},"
		    "{\"index\":{\"status\":201}}]}";
		int all_ok = -1;

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (response_parse(bad[i], strlen(bad[i]), 3, ESB_OP_INDEX, res,
			    &all_ok, err, sizeof(err)) == 0) {
				printf("FAIL malformed response %zu accepted: %s\n", i, bad[i]);
				failures++;
			}
			CHECK(all_ok == 0);
		}
		CHECK(response_parse(ok3, strlen(ok3), 3, ESB_OP_INDEX, res, &all_ok,
		    err, sizeof(err)) == 0 && all_ok == 1);
		/* the usual answer, read without a tree: statuses and verdicts
		 * as the parser gives them */
		CHECK(res[0].status == 201 && res[1].status == 200 && res[2].status == 201);
		CHECK(res[1].verdict == V_OK && res[1].type[0] == '\0');
		{
			static const char create2[] = "{\"errors\":false,\"items\":["
			    "{\"create\":{\"status\":201}},{\"create\":{\"status\":201}}]}";
			/* near misses go to the parser, which decides as before */
			static const char ws[] = "{\"errors\":false, \"items\":["
			    "{\"index\":{\"status\":201}},{\"index\":{\"status\":201}}]}";
			static const char conflict[] = "{\"errors\":true,\"items\":["
			    "{\"create\":{\"status\":409}},{\"create\":{\"status\":201}}]}";

			CHECK(response_parse(create2, strlen(create2), 2, ESB_OP_CREATE, res,
			    &all_ok, err, sizeof(err)) == 0 && all_ok == 1);
			CHECK(response_parse(create2, strlen(create2) - 1, 2, ESB_OP_CREATE, res,
			    &all_ok, err, sizeof(err)) < 0);
			CHECK(response_parse(ws, strlen(ws), 2, ESB_OP_INDEX, res,
			    &all_ok, err, sizeof(err)) == 0 && all_ok == 1);
			CHECK(response_parse(conflict, strlen(conflict), 2, ESB_OP_CREATE, res,
			    &all_ok, err, sizeof(err)) == 0 && all_ok == 1 && res[0].status == 409);
			CHECK(response_parse(conflict, strlen(conflict), 2, ESB_OP_INDEX, res,
			    &all_ok, err, sizeof(err)) == 0 && all_ok == 0 &&
			    res[0].verdict == V_REJECT);
		}
	}
}

static void
test_classify(void)
{
	CHECK(response_classify(201, "", ESB_OP_INDEX) == V_OK);
	CHECK(response_classify(200, "", ESB_OP_CREATE) == V_OK);
	CHECK(response_classify(409, "x", ESB_OP_CREATE) == V_OK);
	CHECK(response_classify(409, "x", ESB_OP_INDEX) == V_REJECT);
	CHECK(response_classify(429, "es_rejected_execution_exception", ESB_OP_INDEX) == V_RETRY);
	CHECK(response_classify(500, "", ESB_OP_INDEX) == V_RETRY);
	CHECK(response_classify(503, "", ESB_OP_INDEX) == V_RETRY);
	CHECK(response_classify(403, "cluster_block_exception", ESB_OP_INDEX) == V_BLOCKED);
	CHECK(response_classify(403, "security_exception", ESB_OP_INDEX) == V_REJECT);
	CHECK(response_classify(400, "mapper_parsing_exception", ESB_OP_INDEX) == V_REJECT);
	CHECK(response_classify(404, "index_not_found_exception", ESB_OP_INDEX) == V_REJECT);
}

static void
test_response_error(void)
{
	const char *b = "{\"error\":{\"root_cause\":[{\"type\":\"cluster_block_exception\","
	    "\"reason\":\"blocked\"}],\"type\":\"cluster_block_exception\",\"reason\":"
	    "\"index blocked\"},\"status\":403}";
	char type[64], reason[256];

	response_error(b, strlen(b), type, sizeof(type), reason, sizeof(reason));
	CHECK(strcmp(type, "cluster_block_exception") == 0);
	CHECK(strcmp(reason, "index blocked") == 0);
	{
		/* server text is logged on one line; the item keeps it as sent */
		const char *nl = "{\"errors\":true,\"items\":[{\"index\":{\"status\":400,"
		    "\"error\":{\"type\":\"x\",\"reason\":\"bad\\n at [Source: y]\\r\\t\"}}}]}";
		struct item_result ir;
		char one[64];
		int all_ok;

		CHECK(response_parse(nl, strlen(nl), 1, ESB_OP_INDEX, &ir, &all_ok, reason,
		    sizeof(reason)) == 0 && strcmp(ir.reason, "bad\n at [Source: y]\r\t") == 0);
		CHECK(strcmp(response_oneline(one, sizeof(one), ir.reason),
		    "bad  at [Source: y]  ") == 0);
		b = "{\"error\":{\"type\":\"t\",\"reason\":\"a\\nb\"}}";
		response_error(b, strlen(b), type, sizeof(type), reason, sizeof(reason));
		CHECK(strcmp(reason, "a b") == 0);
	}
	response_error("<html>\n401\n</html>", 18, type, sizeof(type), reason, sizeof(reason));
	CHECK(type[0] == '\0');
	CHECK(strchr(reason, '\n') == NULL);
}

static void
test_backoff(void)
{
	int64_t prev_max = 0;

	for (unsigned a = 1; a < 40; a++) {
		int64_t lo = backoff_delay(&backoff_request, a, 0);
		int64_t hi = backoff_delay(&backoff_request, a, UINT32_MAX);

		for (int k = 0; k < 100; k++) {
			int64_t d = backoff_delay(&backoff_request, a, backoff_random());

			CHECK(d >= lo && d <= backoff_request.cap_ms);
		}
		CHECK(hi <= backoff_request.cap_ms);
		CHECK(hi >= prev_max / 2);
		prev_max = hi;
	}
	CHECK(backoff_delay(&backoff_request, 1, 0) == 125);
	CHECK(backoff_delay(&backoff_request, 1, 125) == 250);
	CHECK(backoff_delay(&backoff_request, 100, 0) == 15000);
	CHECK(backoff_delay(&backoff_blocked, 1, 0) == 2500);
}

static void
test_batches(void)
{
	struct config cfg = {.batch_docs = 100, .batch_bytes = 1 << 20};
	struct batch *b = batch_new(1), *nb;
	char action[BULK_ACTION_MAX], doc[32];
	unsigned char keep[10];
	size_t alen;

	for (unsigned i = 0; i < 10; i++) {
		struct item it = {.seq = 10 + 2 * i, .lineno = 10 + 2 * i};

		alen = bulk_action(action, ESB_OP_INDEX, "idx", "id");
		snprintf(doc, sizeof(doc), "{\"i\":%u}", i);
		CHECK(batch_fits(b, alen + strlen(doc) + 1, &cfg));
		CHECK(batch_add(b, &it, action, alen, doc, strlen(doc)) == 0);
	}
	b->seq_last = 30;
	nb = batch_split(b, 2);
	CHECK(nb != NULL && b->next == nb);
	CHECK(b->n == 5 && nb->n == 5);
	CHECK(b->seq_last == 19 && nb->seq_last == 30);
	CHECK(nb && strncmp(item_doc(nb, &nb->items[0]), "{\"i\":5}", 7) == 0);
	memset(keep, 0, sizeof(keep));
	keep[1] = keep[4] = 1;
	CHECK(batch_keep(b, keep) == 0);
	CHECK(b->n == 2);
	CHECK(strncmp(item_doc(b, &b->items[1]), "{\"i\":4}", 7) == 0);
	CHECK(b->body.len == 2 * (alen + 8));
	CHECK(memcmp(b->body.data + b->items[1].off, action, alen) == 0);
	batch_free(nb);
	batch_free(b);

	/* a body shed while in flight comes back from its gzip copy */
	b = batch_new(4);
	for (unsigned i = 0; i < 50; i++) {
		alen = bulk_action(action, ESB_OP_INDEX, "idx", "id");
		snprintf(doc, sizeof(doc), "{\"i\":%u}", i);
		CHECK(batch_add(b, &(struct item){.seq = i + 1}, action, alen, doc,
		    strlen(doc)) == 0);
	}
	{
		unsigned char gz[4096];
		z_stream z = {0};
		char *copy = malloc(b->body.len);
		size_t len = b->body.len, gzlen;

		CHECK(copy != NULL && deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8,
		    Z_DEFAULT_STRATEGY) == Z_OK);
		z.next_in = (Bytef *)b->body.data;
		z.avail_in = (uInt)len;
		z.next_out = gz;
		z.avail_out = sizeof(gz);
		CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
		gzlen = sizeof(gz) - z.avail_out;
		deflateEnd(&z);
		if (copy)
			memcpy(copy, b->body.data, len);
		batch_shed(b);
		CHECK(b->shed && b->body.data == NULL && batch_body_len(b) == len);
		CHECK(batch_unshed(b, (const char *)gz, gzlen / 2) < 0);	/* cut */
		CHECK(b->shed);
		CHECK(batch_unshed(b, (const char *)gz, gzlen) == 0);
		CHECK(!b->shed && b->body.len == len && copy &&
		    memcmp(b->body.data, copy, len) == 0);
		CHECK(strncmp(item_doc(b, &b->items[49]), "{\"i\":49}", 8) == 0);
		free(copy);
	}
	batch_free(b);

	/* a batch holds batch_docs items; a big item goes alone */
	b = batch_new(3);
	cfg.batch_bytes = 100;
	CHECK(batch_fits(b, 1000, &cfg));
	CHECK(batch_add(b, &(struct item){.seq = 1}, "x\n", 2, "{}", 2) == 0);
	CHECK(!batch_fits(b, 99, &cfg));
	batch_free(b);
}

static void
test_escaping(void)
{
	char action[BULK_ACTION_MAX];
	struct buf b = {0};
	size_t n;
	int lossy = 0;

	n = bulk_action(action, ESB_OP_CREATE, "i", "a\"b\\c\n");
	CHECK(n == strlen("{\"create\":{\"_index\":\"i\",\"_id\":\"a\\\"b\\\\c\\u000a\"}}\n"));
	CHECK(memcmp(action, "{\"create\":{\"_index\":\"i\",\"_id\":\"a\\\"b\\\\c\\u000a\"}}\n", n) == 0);
	n = bulk_action(action, ESB_OP_INDEX, "i", "");
	CHECK(memcmp(action, "{\"index\":{\"_index\":\"i\"}}\n", n) == 0);

	CHECK(buf_append_json(&b, "a\xff\"\x01\xc3\xa9", 6, &lossy) == 0);
	CHECK(lossy == 1);
	CHECK(b.len == strlen("\"a\\ufffd\\\"\\u0001\xc3\xa9\""));
	CHECK(memcmp(b.data, "\"a\\ufffd\\\"\\u0001\xc3\xa9\"", b.len) == 0);
	buf_free(&b);

	CHECK(utf8_check("plain", 5) == -1);
	CHECK(utf8_check("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9) == -1);
	CHECK(utf8_check("ab\xc3", 3) == 2);		/* truncated */
	CHECK(utf8_check("\xc0\xaf", 2) == 0);		/* overlong */
	CHECK(utf8_check("\xed\xa0\x80", 3) == 0);	/* surrogate */
	CHECK(utf8_check("\xf4\x90\x80\x80", 4) == 0);	/* > U+10FFFF */
	CHECK(utf8_check("x\x80", 2) == 1);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: es-bulk-test RESPONSES_DIR\n");
		return 2;
	}
	test_responses(argv[1]);
	test_classify();
	test_response_error();
	test_backoff();
	test_batches();
	test_escaping();
	if (failures) {
		printf("%d FAILED\n", failures);
		return 1;
	}
	printf("ALL OK\n");
	return 0;
}
