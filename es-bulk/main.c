/*
 * main.c - es-bulk: NDJSON in, Elasticsearch/OpenSearch _bulk out.
 *
 * Table of contents: parse options (config.c) -> set up logging, signals
 * and libcurl -> engine_run() (engine.c: input.c, route.c, bulk.c,
 * transport.c, response.c, template.c, deadletter.c, acks.c, stats.c) ->
 * tear down -> exit status from lib/exitcodes.h.
 */
#include <curl/curl.h>
#include <malloc.h>
#include <stdio.h>

#include "config.h"
#include "engine.h"
#include "exitcodes.h"
#include "log.h"
#include "sig.h"

int
main(int argc, char **argv)
{
	struct config cfg;
	int rc;

	log_init("es-bulk");
	rc = config_parse(&cfg, argc, argv);
	if (rc != 0) {
		config_free(&cfg);
		if (rc == 1)
			return fflush(stdout) == 0 ? KES_EXIT_OK : KES_EXIT_IOERR;
		return rc == -2 ? KES_EXIT_CONFIG : KES_EXIT_USAGE;
	}

	sig_setup();
	/* Batch bodies come and go in megabytes: with a fixed threshold they
	 * are mmap()ed and given back on free, so RSS stays at what is live
	 * (glibc's sliding threshold would keep them on the heap). */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_err("libcurl: initialisation failed");
		config_free(&cfg);
		return KES_EXIT_SOFTWARE;
	}

	rc = engine_run(&cfg);

	curl_global_cleanup();
	config_free(&cfg);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_errno("stdout");
		if (rc == KES_EXIT_OK)
			rc = KES_EXIT_IOERR;
	}
	return rc;
}
