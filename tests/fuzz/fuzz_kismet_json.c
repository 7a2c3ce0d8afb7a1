/*
 * fuzz_kismet_json.c - libFuzzer harness of kismet-tap's Kismet JSON
 * projection (kismet-tap/device.c, project.c) and MAC pseudonyms
 * (pseudo.c): the pure functions every source ends in.
 *
 * Input: byte 0 holds flags (bit 0 --raw, bit 1 --keep-oui, bit 2 --probed-ssids), the rest is
 * one JSON document taken as a device object (REST element, NEW_DEVICE
 * payload, kismetdb devices.device), as an eventbus message {"NAME":
 * payload}, and as a field list.  Every record made is pseudonymized and
 * serialised as NDJSON and as text; records must be objects with a
 * timestamp, and the pseudonymized NDJSON line must parse back.  The
 * device path from text (device_scan, device_line: what kismet-tap runs)
 * must accept whatever jansson accepts and make the same record as the
 * same device held by jansson (project_device).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../kismet-tap/device.h"
#include "../../kismet-tap/project.h"
#include "../../kismet-tap/pseudo.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
emit(json_t *rec, const struct pseudo *ps)
{
	size_t len = 0;
	char *line;
	json_t *back;

	if (rec == NULL)
		return;
	CHECK(json_is_object(rec));
	CHECK(json_is_string(json_object_get(rec, "timestamp")));
	line = project_line(rec, 1, &len);
	CHECK(line == NULL || (len > 0 && line[len - 1] == '\n'));
	free(line);
	CHECK(pseudo_json(ps, rec) == 0);
	line = project_line(rec, 0, &len);
	if (line) {
		CHECK(len > 0 && line[len - 1] == '\n' && memchr(line, '\n', len - 1) == NULL);
		back = json_loadb(line, len, 0, NULL);
		CHECK(back != NULL);
		json_decref(back);
		free(line);
	}
	json_decref(rec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pseudo ps;
	struct device_view dv;
	struct buf line = { NULL, 0, 0 };
	const char *why = NULL;
	char key[512];
	json_t *v, *from_text = NULL, *from_tree;
	unsigned flags;
	int scanned;

	if (size < 1)
		return 0;
	memset(&ps, 0, sizeof(ps));
	memcpy(ps.key, "fuzzing-key-0123456789", 22);
	ps.len = 22;
	ps.keep_oui = (data[0] >> 1) & 1;
	flags = (data[0] & 1 ? PROJECT_RAW : 0) | ((data[0] >> 2) & 1 ? DEVICE_PROBED_SSIDS : 0);

	scanned = device_scan(&dv, (const char *)data + 1, size - 1, &why) == 0;
	if (scanned) {
		if (device_ident(&dv, key, sizeof(key), &why) == 0)
			CHECK(key[0] != '\0');
		if (device_line(&dv, "sensor-1", flags & ~PROJECT_RAW, &line, &why) == 0) {
			CHECK(line.len > 0 && line.data[line.len - 1] == '\n');
			CHECK((from_text = json_loadb(line.data, line.len, 0, NULL)) != NULL);
		}
	}
	v = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (v == NULL) {
		json_decref(from_text);
		buf_free(&line);
		return 0;
	}
	/* jansson takes a raw NUL byte after a number; jscan does not */
	CHECK(scanned || !json_is_object(v) || memchr(data + 1, '\0', size - 1) != NULL);
	from_tree = project_device(v, "sensor-1", flags & ~PROJECT_RAW, &why);
	if (scanned && json_is_object(v))
		CHECK((from_tree == NULL) == (from_text == NULL) &&
		    (from_tree == NULL || json_equal(from_tree, from_text)));
	json_decref(from_text);
	buf_free(&line);
	emit(from_tree, &ps);
	if (scanned)
		emit(project_raw(v, &dv, "sensor-1", &why), &ps);
	emit(project_event(v, "sensor-1", flags, 1737476445123LL, &why), &ps);
	(void)project_fields_check(v, &why);
	if (json_is_string(v)) {
		char mac[32];
		size_t n;
		char *t;

		(void)device_mac(json_string_value(v), mac);
		t = pseudo_text(&ps, json_string_value(v), json_string_length(v), &n);
		CHECK(t == NULL ? n == 0 : strlen(t) == n);
		free(t);
	}
	CHECK(pseudo_json(&ps, v) == 0);
	json_decref(v);
	return 0;
}
