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
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "config.h"
#include "engine.h"
#include "exitcodes.h"
#include "log.h"
#include "sig.h"

static int
is_https(const char *url)
{
	return url && strncasecmp(url, "https:", 6) == 0;
}

/* Will any connection use TLS: an https host, or an https proxy? */
static int
tls_used(const struct config *cfg)
{
	static const char *const proxies[] = {"http_proxy", "HTTP_PROXY",
	    "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};

	for (size_t i = 0; i < cfg->nhosts; i++)
		if (is_https(cfg->hosts[i]))
			return 1;
	for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		if (is_https(getenv(proxies[i])))
			return 1;
	return 0;
}

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
	/* Without TLS, OpenSSL's configuration file and error strings are
	 * never used, and loading them costs a megabyte of RSS: initialise it
	 * without them before libcurl does (its later request is then a
	 * no-op).  --dry-run sends nothing and needs no libcurl at all. */
	if (!cfg.dry_run && !tls_used(&cfg))
		OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG |
		    OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
		    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL);
	if (!cfg.dry_run && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_err("libcurl: initialisation failed");
		config_free(&cfg);
		return KES_EXIT_SOFTWARE;
	}

	rc = engine_run(&cfg);

	if (!cfg.dry_run)
		curl_global_cleanup();
	config_free(&cfg);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_errno("stdout");
		if (rc == KES_EXIT_OK)
			rc = KES_EXIT_IOERR;
	}
	return rc;
}
