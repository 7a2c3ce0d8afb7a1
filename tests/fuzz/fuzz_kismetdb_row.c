/*
 * fuzz_kismetdb_row.c - libFuzzer harness of the per-row part of
 * kismet-tap --kismetdb (kismet-tap/kismetdb.c): a devices.device blob
 * through tap_device_text (parse, dedup, project, serialise, write), an
 * alerts.json blob wrapped as {"ALERT": ...} and a messages.message text
 * wrapped as {"MESSAGE": {...}}, exactly as read_devices / read_alerts /
 * read_messages do, with the output going to /dev/null.
 *
 * Input: byte 0: bits 0-1 the table (device, device twice, alert,
 * message), bit 2 --raw, bit 3 --format text, bit 4 --pseudonymize-macs;
 * the rest is the column's bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	struct tap t;
	const char *text;
	size_t len;
	json_t *payload, *msg;
	char *z;

	if (size < 1)
		return 0;
	fuzz_tap_open(&cfg, &t, (data[0] >> 2) & 1, (data[0] & 8) != 0, (data[0] & 16) != 0);
	text = (const char *)data + 1;
	len = size - 1;

	switch (data[0] & 3) {
	case 0:
	case 1:
		CHECK(tap_device_text(&t, text, len, "fuzz: devices row 1") == 0);
		if (data[0] & 1) {
			/* the same row again: unchanged, skipped by the dedup */
			uint64_t out = t.st.devices_out;

			CHECK(tap_device_text(&t, text, len, "fuzz: devices row 2") == 0);
			CHECK(t.st.devices_out == out);
		}
		break;
	case 2:
		payload = json_loadb(text, len, 0, NULL);
		if (payload == NULL)
			break;
		msg = json_pack("{so}", "ALERT", payload);
		CHECK(msg == NULL || tap_event(&t, msg, "fuzz: alerts row 1") == 0);
		json_decref(msg);
		break;
	default:
		/* sqlite3_column_text: NUL-terminated, whatever the bytes */
		if ((z = malloc(len + 1)) == NULL)
			break;
		memcpy(z, text, len);
		z[len] = '\0';
		msg = json_pack("{s{sssI}}", "MESSAGE", "kismet.messagebus.message_string", z,
		    "kismet.messagebus.message_time", (json_int_t)1795704018);
		free(z);
		if (msg == NULL)
			break;
		CHECK(tap_event(&t, msg, "fuzz: messages row 1") == 0);
		json_decref(msg);
		break;
	}
	CHECK(output_drain(&t.out) == 0);
	tap_free(&t);
	return 0;
}
