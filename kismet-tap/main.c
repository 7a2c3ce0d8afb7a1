/*
 * main.c - kismet-tap: what a Kismet server (or its log) sees, as NDJSON
 * records on stdout (ARCHITECTURE.md section 2).  Table of contents:
 *
 *   config.c    options, environment, secrets, combination checks
 *   project.c   Kismet JSON -> record (the one mapping every source uses)
 *   tap.c       the emit path: dedup -> project -> output, counters
 *   dedup.c     per-device last_time/packets table
 *   output.c    stdout: bounded queue, EPIPE
 *   live.c      --once and the live loop (lws_service + poll timer)
 *   poll.c      REST through libcurl (status, timestamp, device poll)
 *   eventbus.c  /eventbus/events.ws through libwebsockets
 *   kismetdb.c  --kismetdb: Kismet's SQLite log
 *   sightings.c --sightings: per-device, per-window history from its packets
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "exitcodes.h"
#include "kismetdb.h"
#include "live.h"
#include "log.h"
#include "sig.h"
#include "tap.h"

static int
run(struct tap *t, const struct config *cfg)
{
	int rc = KES_EXIT_OK, r;
	size_t i;

	switch (cfg->mode) {
	case MODE_KISMETDB:
		for (i = 0; i < cfg->n_dbfiles && !sig_stop; i++) {
			r = kismetdb_run(t, cfg->dbfiles[i]);
			if (r == KES_EXIT_IOERR)
				return r;
			if (r != KES_EXIT_OK)
				rc = r;
		}
		if (output_drain(&t->out) < 0)
			return KES_EXIT_IOERR;
		return rc;
	case MODE_ONCE:
		return live_once(t, cfg);
	default:
		return live_run(t, cfg);
	}
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct tap t;
	int rc;

	log_init(argv[0]);
	if ((rc = config_parse(&cfg, argc, argv)) >= 0) {
		config_free(&cfg);
		return rc;
	}

	sig_setup();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_err("curl: global init failed");
		config_free(&cfg);
		return KES_EXIT_SOFTWARE;
	}
	if (tap_init(&t, &cfg) < 0) {
		log_err("out of memory");
		config_free(&cfg);
		return KES_EXIT_SOFTWARE;
	}

	rc = run(&t, &cfg);

	if (log_enabled(LOG_LEVEL_INFO) || rc != KES_EXIT_OK)
		tap_print_stats(&t, "exit");
	tap_free(&t);
	curl_global_cleanup();
	config_free(&cfg);
	return rc;
}
