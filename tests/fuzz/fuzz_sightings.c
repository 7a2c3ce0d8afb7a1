/*
 * fuzz_sightings.c - libFuzzer harness of kismet-tap --sightings
 * (kismet-tap/sightings.c): an in-memory Kismet log (the devices and
 * packets tables of Kismet's schema) made from the input, through
 * sightings_run, output to /dev/null.  Every packet column gets arbitrary
 * values (times before 1970 or past 9999, usec out of range, NaN and huge
 * reals), and the device blob arbitrary bytes.
 *
 * Input: byte 0: bit 0 --pseudonymize-macs, bit 1 --format text; byte 1:
 * the window - 1 (1..256 s); byte 2: n, the length of the device blob of
 * device 0 (devices 1 and 2 have none; device 2 has no MAC); then the blob,
 * then packets of 33 bytes, little endian: device (1; % 3), ts_sec (8),
 * ts_usec (4), frequency, lat, lon, alt (4 each, float bits), signal (4).
 */
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include "../../kismet-tap/sightings.h"
#include "fuzz_tap.h"
#define PKT 33

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return (int64_t)v;
}

static int32_t
get32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

static double
getf(const uint8_t *p)
{
	float f;

	memcpy(&f, p, sizeof(f));
	return (double)f;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *macs[] = { "A0:40:A0:11:22:01", "50:C7:BF:33:44:02", "nomac" };
	struct config cfg;
	struct tap t;
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t off;

	if (size < 3 || (size_t)data[2] + 3 > size)
		return 0;
	fuzz_tap_open(&cfg, &t, 0, (data[0] & 2) != 0, data[0] & 1);

	CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "CREATE TABLE devices (first_time INT, last_time INT, devkey TEXT, "
	    "phyname TEXT, devmac TEXT, device BLOB, UNIQUE(phyname, devmac) ON CONFLICT REPLACE);"
	    "CREATE TABLE packets (ts_sec INT, ts_usec INT, phyname TEXT, sourcemac TEXT, "
	    "frequency REAL, lat REAL, lon REAL, alt REAL, signal INT);", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "INSERT INTO devices (devkey, phyname, devmac, device) "
	    "VALUES ('4202770D00000000_12211A040A0', 'IEEE802.11', ?, ?)", -1, &st, NULL) == SQLITE_OK);
	for (int i = 0; i < 3; i++) {
		sqlite3_bind_text(st, 1, macs[i], -1, SQLITE_STATIC);
		if (i == 0)
			sqlite3_bind_blob(st, 2, data + 3, data[2], SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 2);
		CHECK(sqlite3_step(st) == SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	CHECK(sqlite3_prepare_v2(db, "INSERT INTO packets VALUES (?, ?, 'IEEE802.11', ?, ?, ?, ?, ?, ?)",
	    -1, &st, NULL) == SQLITE_OK);
	for (off = 3 + (size_t)data[2]; off + PKT <= size; off += PKT) {
		const uint8_t *p = data + off;

		sqlite3_bind_int64(st, 1, get64(p + 1));
		sqlite3_bind_int64(st, 2, get32(p + 9));
		sqlite3_bind_text(st, 3, macs[p[0] % 3], -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 4, getf(p + 13));
		sqlite3_bind_double(st, 5, getf(p + 17));
		sqlite3_bind_double(st, 6, getf(p + 21));
		sqlite3_bind_double(st, 7, getf(p + 25));
		sqlite3_bind_int64(st, 8, get32(p + 29));
		CHECK(sqlite3_step(st) == SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	CHECK(sightings_run(&t, db, "fuzz", (uint64_t)data[1] + 1) == 0);
	CHECK(output_drain(&t.out) == 0);
	sqlite3_close(db);
	tap_free(&t);
	return 0;
}
