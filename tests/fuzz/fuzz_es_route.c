/*
 * fuzz_es_route.c - libFuzzer harness of es-bulk's per-line routing
 * (es-bulk/route.c): every NDJSON input line is validated and scanned
 * (es-bulk/input.c, lib/jscan) and given an index
 * name (record_type + the record's time, or an --index TEMPLATE with
 * {field} and %Y-style parts) and an _id (hash of the line, --id-field, or
 * none).  Both the line and the template are fuzzed.
 *
 * Input: byte 0: bit 0 an --index TEMPLATE (the first line of the rest),
 * bit 1 --id-field (mac_addr, or a nested path with bit 2), bit 3 --no-id,
 * bit 4 --time-field last_seen; the rest (after the template) is one line.
 * Checked: a routed record has a non-empty index name within the limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../es-bulk/route.h"
#include "log.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct config cfg;
	struct route *r;
	struct route_out out;
	const char *line;
	char *tmpl = NULL;
	size_t len;
	struct in_record rec;
	const char *error;
	char reason[512];

	if (size < 1)
		return 0;
	if (!init) {
		log_init("fuzz");
		log_set_level(LOG_LEVEL_ERR);
		init = 1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.index_prefix = "kismet";
	cfg.time_field = (data[0] & 16) ? "last_seen" : "timestamp";
	if (data[0] & 2)
		cfg.id_field = (data[0] & 4) ? "event_data.kismet.alert.hash" : "mac_addr";
	cfg.no_id = (data[0] >> 3) & 1;
	line = (const char *)data + 1;
	len = size - 1;
	if (data[0] & 1) {
		const char *nl = memchr(line, '\n', len);
		size_t tl = nl ? (size_t)(nl - line) : len;

		if ((tmpl = malloc(tl + 1)) == NULL)
			return 0;
		memcpy(tmpl, line, tl);
		tmpl[tl] = '\0';
		/* config_parse refuses an empty --index before route_create */
		if (tmpl[0] == '\0') {
			free(tmpl);
			return 0;
		}
		cfg.index_tmpl = tmpl;
		line += nl ? tl + 1 : tl;
		len -= nl ? tl + 1 : tl;
	}
	r = route_create(&cfg);
	if (r == NULL) {
		free(tmpl);
		return 0;
	}
	(void)route_literal_prefix(r);
	rec.val = calloc(route_keys(r)->n + 1, sizeof(*rec.val));
	if (rec.val == NULL) {
		route_destroy(r);
		free(tmpl);
		return 0;
	}
	if (input_parse(line, len, route_keys(r), &rec, &error, reason, sizeof(reason)) < 0) {
		CHECK(error != NULL && strnlen(reason, sizeof(reason)) < sizeof(reason));
	} else {
		memset(&out, 0, sizeof(out));
		if (route_record(r, &rec, line, len, &out) == 0) {
			size_t il = strnlen(out.index, sizeof(out.index));

			CHECK(il > 0 && il < sizeof(out.index));
			CHECK(strnlen(out.id, sizeof(out.id)) < sizeof(out.id));
			CHECK(!cfg.no_id || out.id[0] == '\0');
		} else {
			CHECK(out.error != NULL);
			CHECK(strnlen(out.reason, sizeof(out.reason)) < sizeof(out.reason));
		}
	}
	free(rec.val);
	route_destroy(r);
	free(tmpl);
	return 0;
}
