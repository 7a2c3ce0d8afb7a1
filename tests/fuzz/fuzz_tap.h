/*
 * fuzz_tap.h - the kismet-tap set-up the kismetdb harnesses share
 * (fuzz_kismetdb_row.c, fuzz_sightings.c): a --kismetdb configuration with
 * the chosen output options, a tap writing to /dev/null, and the sensor
 * name of the field log.
 */
#ifndef FUZZ_TAP_H
#define FUZZ_TAP_H

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "../../kismet-tap/tap.h"
#include "log.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* cfg and t for one input: --raw, --format text, --pseudonymize-macs as asked. */
static inline void
fuzz_tap_open(struct config *cfg, struct tap *t, int raw, int text, int pseudo)
{
	static int devnull = -1;
	static struct pseudo ps;

	if (devnull < 0) {
		log_init("fuzz");
		log_set_level(LOG_LEVEL_ERR);
		devnull = open("/dev/null", O_WRONLY);
		CHECK(devnull >= 0);
		memcpy(ps.key, "fuzzing-key-0123456789", 22);
		ps.len = 22;
	}
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = MODE_KISMETDB;
	cfg->queue_max = 1 << 20;
	cfg->raw = raw;
	cfg->format = text && !raw ? FMT_TEXT : FMT_NDJSON;
	cfg->pseudo = pseudo ? &ps : NULL;
	CHECK(tap_init(t, cfg) == 0);
	t->out.fd = devnull;
	CHECK(tap_set_sensor(t, "74DAB15A-E9A4-11F1-8C91-4B49534D4554") == 0);
}

#endif
