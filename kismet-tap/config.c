/*
 * config.c - kismet-tap's command line: getopt_long table, --help,
 * --version, environment fallbacks, secrets and the combination checks.
 */
#include "cli.h"
#include "config.h"

#include <ctype.h>
#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "log.h"
#include "progress.h"
#include "opt.h"
#include "sightings.h"
#include "version.h"

enum {
	O_HOST = 256, O_PORT, O_URL, O_CACERT, O_INSECURE, O_APIKEY, O_APIKEY_FILE,
	O_USER, O_PASSWORD_FILE, O_UPDATE_RATE, O_SINCE, O_ONCE, O_KISMETDB,
	O_EVENTS, O_RAW, O_FORMAT, O_SENSOR, O_QUEUE, O_TIMEOUT, O_RESYNC,
	O_PSEUDO, O_KEEP_OUI, O_MONITOR_WS, O_PROBED_SSIDS, O_SIGHTINGS,
};

static const struct option long_opts[] = {
	{ "kismet-host",		required_argument, NULL, O_HOST },
	{ "kismet-port",		required_argument, NULL, O_PORT },
	{ "kismet-url",			required_argument, NULL, O_URL },
	{ "cacert",			required_argument, NULL, O_CACERT },
	{ "insecure",			no_argument,       NULL, O_INSECURE },
	{ "kismet-apikey",		required_argument, NULL, O_APIKEY },
	{ "kismet-apikey-file",		required_argument, NULL, O_APIKEY_FILE },
	{ "kismet-username",		required_argument, NULL, O_USER },
	{ "kismet-password-file",	required_argument, NULL, O_PASSWORD_FILE },
	{ "update-rate",		required_argument, NULL, O_UPDATE_RATE },
	{ "resync",			required_argument, NULL, O_RESYNC },
	{ "since",			required_argument, NULL, O_SINCE },
	{ "once",			no_argument,       NULL, O_ONCE },
	{ "kismetdb",			required_argument, NULL, O_KISMETDB },
	{ "sightings",			required_argument, NULL, O_SIGHTINGS },
	{ "events",			required_argument, NULL, O_EVENTS },
	{ "raw",			no_argument,       NULL, O_RAW },
	{ "monitor-ws",			no_argument,       NULL, O_MONITOR_WS },
	{ "format",			required_argument, NULL, O_FORMAT },
	{ "sensor",			required_argument, NULL, O_SENSOR },
	{ "queue-size",			required_argument, NULL, O_QUEUE },
	{ "timeout",			required_argument, NULL, O_TIMEOUT },
	{ "pseudonymize-macs",		required_argument, NULL, O_PSEUDO },
	{ "keep-oui",			no_argument,       NULL, O_KEEP_OUI },
	{ "probed-ssids",		no_argument,       NULL, O_PROBED_SSIDS },
	KES_PROGRESS_OPTIONS,
	KES_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static void
help(void)
{
	fputs(
"usage: kismet-tap [options]                    live: poll + eventbus, NDJSON on stdout\n"
"       kismet-tap --once [--since S] [options] one snapshot, then exit\n"
"       kismet-tap --kismetdb FILE.kismet ...   last state of every device in Kismet logs\n"
"\n"
"Source:\n"
"      --once                 one poll of the devices seen in the last --since seconds\n"
"      --since S              only devices seen in the last S seconds (default 0: all)\n"
"      --kismetdb FILE        read a Kismet SQLite log (repeatable), no server needed\n"
"      --sightings S          with --kismetdb: also one sighting record per device and\n"
"                             per S-second window (aligned to Unix time) in which the\n"
"                             log's packets show it: time, packets, signal, frequency,\n"
"                             position (1 to 31622400)\n"
"      --update-rate S        seconds between device polls (default 5)\n"
"      --resync S             seconds in which a light sweep reads every device, to\n"
"                             catch counters moved without a new last_time (default\n"
"                             60, 0 = never)\n"
"      --events LIST          eventbus topics, comma separated (default NEW_DEVICE,ALERT;\n"
"                             'none' for no events); with --kismetdb: ALERT,MESSAGE\n"
"      --monitor-ws           also take device updates from /devices/monitor.ws, ticking\n"
"                             at --update-rate; polling stays on.  Only for a Kismet\n"
"                             whose monitor is fixed: 2025-09-R1 crashes with it\n"
"Connection:\n"
"      --kismet-host HOST     Kismet server (env KISMET_HOST, default 127.0.0.1)\n"
"      --kismet-port PORT     Kismet port (default 2501)\n"
"      --kismet-url URL       base URL instead of host and port (http:// or https://)\n"
"      --cacert FILE          CA bundle to verify an https server\n"
"      --insecure             do not verify the server's certificate\n"
"      --kismet-apikey-file FILE  API key from a file (env KISMET_APIKEY)\n"
"      --kismet-apikey KEY    API key on the command line (visible in ps)\n"
"      --kismet-username USER HTTP basic user (env KISMET_USERNAME)\n"
"      --kismet-password-file FILE  HTTP basic password from a file (env KISMET_PASSWORD)\n"
"      --timeout S            seconds for one REST request (default 30)\n"
"Output:\n"
"      --format FMT           ndjson (default) or text (one readable line per record)\n"
"      --raw                  Kismet's own device JSON (dots in keys made '_')\n"
"      --sensor NAME          sensor name for every record (default: Kismet's server name\n"
"                             or UUID; for --kismetdb the log's, else the file name)\n"
"      --queue-size SIZE      output held for a slow reader before polling pauses (default 1m)\n"
"Privacy:\n"
"      --pseudonymize-macs KEYFILE  replace every MAC address and device key in the\n"
"                             output by a keyed pseudonym (HMAC-SHA256 with the key in\n"
"                             KEYFILE, >= 16 bytes, not group/world-readable): a locally\n"
"                             administered MAC, the same for the same key\n"
"      --keep-oui             with --pseudonymize-macs: keep the real first 3 octets\n"
"                             (manufacturer) and pseudonymize the other 3\n"
"      --probed-ssids         add probed_ssids (the networks a device asked for) to\n"
"                             device records; off by default: probe requests reveal\n"
"                             the networks a person has used, so where they have been\n"
"      --progress             --kismetdb: draw the progress line (devices, events\n"
"                             and, with --sightings, packets done of the log's,\n"
"                             rate, ETA) even when stderr is not a terminal\n"
"      --no-progress          never draw it (default: on a terminal)\n"
"  -v, --verbose              more diagnostics (repeatable)\n"
"  -q, --quiet                warnings and errors only\n"
"  -h, --help                 this help\n"
"  -V, --version              version and library versions\n", stdout);
}

static int
usage_error(void)
{
	fprintf(stderr, "try 'kismet-tap --help'\n");
	return KES_EXIT_USAGE;
}

static void
version(void)
{
	printf("kismet-tap %s\n", KES_VERSION);
	printf("jansson %s\n%s\nlibwebsockets %s\nsqlite %s\n", JANSSON_VERSION,
	    curl_version(), lws_get_library_version(), sqlite3_libversion());
}

/* A topic is upper-case letters, digits and '_' (or "*"): nothing else is
 * ever sent to the eventbus. */
static int
topic_valid(const char *t)
{
	if (strcmp(t, "*") == 0)
		return 1;
	if (*t == '\0' || strlen(t) > 64)
		return 0;
	for (; *t; t++)
		if (!(isupper((unsigned char)*t) || isdigit((unsigned char)*t) || *t == '_'))
			return 0;
	return 1;
}

static int
parse_events(struct config *cfg, const char *list)
{
	char *p, *tok, *save = NULL;

	free(cfg->events_buf);
	/* list is a required_argument's optarg, never NULL */
	cfg->events_buf = strdup(list); /* NOLINT(clang-analyzer-core.NonNullParamChecker) */
	if (cfg->events_buf == NULL) {
		log_errno("--events");
		return -1;
	}
	cfg->n_events = 0;
	cfg->events_given = 1;
	if (strcmp(list, "none") == 0 || *list == '\0')
		return 0;
	for (p = cfg->events_buf; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL) {
		if (!topic_valid(tok)) {
			log_err("--events %s: not an event name (A-Z, 0-9, _ or *)", tok);
			return -1;
		}
		if (cfg->n_events == TAP_MAX_EVENTS) {
			log_err("--events: more than %d topics", TAP_MAX_EVENTS);
			return -1;
		}
		cfg->events[cfg->n_events++] = tok;
	}
	return 0;
}

static int
build_urls(struct config *cfg, const char *url, const char *host, uint64_t port)
{
	char buf[1024];
	int n;

	if (url) {
		if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
			log_err("--kismet-url %s: must start with http:// or https://", url);
			return -1;
		}
		n = snprintf(buf, sizeof(buf), "%s", url);
	} else {
		n = snprintf(buf, sizeof(buf), strchr(host, ':') ? "http://[%s]:%llu" :
		    "http://%s:%llu", host, (unsigned long long)port);
	}
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		log_err("Kismet URL too long");
		return -1;
	}
	http_url_trim(buf);
	if ((cfg->base_url = strdup(buf)) == NULL) {
		log_errno("URL");
		return -1;
	}
	/* ws:// or wss:// for the same place (not longer than the base URL) */
	n = snprintf(buf, sizeof(buf), "%s%s", strncmp(cfg->base_url, "https", 5) == 0 ?
	    "wss" : "ws", strchr(cfg->base_url, ':'));
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		log_err("Kismet URL too long");
		return -1;
	}
	cfg->ws_url = strdup(buf);
	if (cfg->ws_url == NULL) {
		log_errno("URL");
		return -1;
	}
	return 0;
}

int
config_parse(struct config *cfg, int argc, char **argv)
{
	const char *host = NULL, *url = NULL, *apikey_file = NULL;
	const char *user = NULL, *pw_file = NULL, *fmt = "ndjson", *pseudo_file = NULL;
	uint64_t port = 2501;
	int c, level = LOG_LEVEL_INFO, quiet = 0, once = 0, keep_oui = 0;
	char **dbs;

	memset(cfg, 0, sizeof(*cfg));
	cfg->update_rate = 5;
	cfg->resync = 60;
	cfg->overlap = 10;	/* device times are packet times: they lag mod_time by seconds */
	cfg->queue_max = 1024ULL * 1024;
	cfg->max_response = 64ULL * 1024 * 1024;
	cfg->timeout = 30;
	dbs = calloc((size_t)argc + 1, sizeof(*dbs));
	if (dbs == NULL) {
		log_errno("memory");
		return KES_EXIT_SOFTWARE;
	}
	cfg->dbfiles = dbs;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vqhV", long_opts, NULL)) != -1) {
		switch (c) {
		case O_HOST: host = optarg; break;
		case O_PORT:
			if (opt_uint("--kismet-port", optarg, 1, 65535, &port) < 0)
				return usage_error();
			break;
		case O_URL: url = optarg; break;
		case O_CACERT: cfg->tls.cacert = optarg; break;
		case O_INSECURE: cfg->tls.insecure = 1; break;
		case O_APIKEY:
			opt_secret_free(cfg->apikey_arg);
			/* getopt_long sets optarg for required_argument */
			cfg->apikey_arg = strdup(optarg); /* NOLINT(clang-analyzer-core.NonNullParamChecker) */
			if (cfg->apikey_arg == NULL) {
				log_errno("memory");
				return KES_EXIT_SOFTWARE;
			}
			opt_scrub_arg(optarg);
			break;
		case O_APIKEY_FILE: apikey_file = optarg; break;
		case O_USER: user = optarg; break;
		case O_PASSWORD_FILE: pw_file = optarg; break;
		case O_UPDATE_RATE:
			if (opt_double("--update-rate", optarg, 0.05, 86400, &cfg->update_rate) < 0)
				return usage_error();
			break;
		case O_RESYNC:
			if (opt_double("--resync", optarg, 0, 86400 * 365, &cfg->resync) < 0)
				return usage_error();
			break;
		case O_SINCE:
			if (opt_uint("--since", optarg, 0, 100ULL * 365 * 86400, &cfg->since) < 0)
				return usage_error();
			break;
		case O_ONCE: once = 1; break;
		case O_KISMETDB: cfg->dbfiles[cfg->n_dbfiles++] = optarg; break;
		case O_SIGHTINGS:
			if (opt_uint("--sightings", optarg, 1, SIGHTINGS_MAX_WINDOW,
			    &cfg->sightings) < 0)
				return usage_error();
			break;
		case O_EVENTS:
			if (parse_events(cfg, optarg) < 0)
				return usage_error();
			break;
		case O_RAW: cfg->raw = 1; break;
		case O_PROBED_SSIDS: cfg->probed_ssids = 1; break;
		case O_MONITOR_WS: cfg->monitor_ws = 1; break;
		case O_FORMAT: fmt = optarg; break;
		case O_SENSOR: cfg->sensor = optarg; break;
		case O_QUEUE:
			if (opt_size("--queue-size", optarg, 4096, 1ULL << 32, &cfg->queue_max) < 0)
				return usage_error();
			break;
		case O_TIMEOUT:
			if (opt_double("--timeout", optarg, 0.1, 3600, &cfg->timeout) < 0)
				return usage_error();
			break;
		case O_PSEUDO: pseudo_file = optarg; break;
		case O_KEEP_OUI: keep_oui = 1; break;
		case 'v': level++; break;
		case 'q': quiet = 1; break;
		case KES_OPT_PROGRESS: cfg->progress = PROGRESS_ON; break;
		case KES_OPT_NO_PROGRESS: cfg->progress = PROGRESS_OFF; break;
		case 'h': help(); return KES_EXIT_OK;
		case 'V': version(); return KES_EXIT_OK;
		case ':':
			log_err("option %s needs a value", argv[optind - 1]);
			return usage_error();
		default:
			log_err("unknown option %s", argv[optind - 1]);
			return usage_error();
		}
	}
	log_set_level(quiet ? LOG_LEVEL_WARN : level);
	if (cfg->tls.insecure)
		log_warn("--insecure: the server's TLS certificate is NOT verified; "
		    "anyone on the path can read the API key and the data");

	/* Combinations, one rule each (the man page says the same). */
	if (optind < argc) {
		log_err("unexpected argument %s", argv[optind]);
		return usage_error();
	}
	if (once && cfg->n_dbfiles > 0) {
		log_err("--once and --kismetdb cannot be combined");
		return usage_error();
	}
	if (cfg->sightings > 0 && cfg->n_dbfiles == 0) {
		log_err("--sightings reads the packets of a Kismet log: only with --kismetdb");
		return usage_error();
	}
	if (cfg->n_dbfiles > 0 && (host || url || cfg->apikey_arg || apikey_file || user || pw_file)) {
		log_err("--kismetdb reads files: no connection options with it");
		return usage_error();
	}
	if (host && url) {
		log_err("--kismet-host and --kismet-url cannot be combined");
		return usage_error();
	}
	/* fmt: "ndjson" or a required_argument's optarg, never NULL */
	if (strcmp(fmt, "ndjson") == 0) { /* NOLINT(clang-analyzer-core.NonNullParamChecker) */
		cfg->format = FMT_NDJSON;
	} else if (strcmp(fmt, "text") == 0) {
		cfg->format = FMT_TEXT;
	} else {
		log_err("--format %s: must be ndjson or text", fmt);
		return usage_error();
	}
	if (cfg->raw && cfg->format == FMT_TEXT) {
		log_err("--raw and --format text cannot be combined");
		return usage_error();
	}
	if (cfg->sensor && *cfg->sensor == '\0') {
		log_err("--sensor: empty name");
		return usage_error();
	}
	if (keep_oui && pseudo_file == NULL) {
		log_err("--keep-oui needs --pseudonymize-macs");
		return usage_error();
	}
	if (pseudo_file) {
		cfg->pseudo = malloc(sizeof(*cfg->pseudo));
		if (cfg->pseudo == NULL) {
			log_errno("memory");
			return KES_EXIT_SOFTWARE;
		}
		if (pseudo_load(cfg->pseudo, pseudo_file, keep_oui) < 0)
			return KES_EXIT_CONFIG;
	}
	cfg->mode = cfg->n_dbfiles > 0 ? MODE_KISMETDB : once ? MODE_ONCE : MODE_LIVE;
	if (cfg->monitor_ws && cfg->mode != MODE_LIVE) {
		log_err("--monitor-ws is a live source: not with --once or --kismetdb");
		return usage_error();
	}
	if (cfg->monitor_ws)
		log_warn("--monitor-ws: Kismet 2025-09-R1's device monitor websocket crashes the "
		    "server within about 30 s and skips updates even when fixed; use it only "
		    "with a patched server (REST polling stays the source of truth)");
	if (cfg->mode == MODE_KISMETDB) {
		for (size_t i = 0; i < cfg->n_events; i++)
			if (strcmp(cfg->events[i], "ALERT") != 0 &&
			    strcmp(cfg->events[i], "MESSAGE") != 0 &&
			    strcmp(cfg->events[i], "*") != 0) {
				log_err("--events %s: a Kismet log holds only ALERT and MESSAGE",
				    cfg->events[i]);
				return usage_error();
			}
		return -1;
	}
	if (cfg->mode == MODE_ONCE && cfg->events_given && cfg->n_events > 0) {
		log_err("--once takes a device snapshot: no --events with it");
		return usage_error();
	}
	if (!cfg->events_given) {
		cfg->events[0] = "NEW_DEVICE";
		cfg->events[1] = "ALERT";
		cfg->n_events = 2;
	}

	if (host == NULL)
		host = opt_env("KISMET_HOST");
	if (host == NULL)
		host = "127.0.0.1";
	if (build_urls(cfg, url, host, port) < 0)
		return KES_EXIT_USAGE;

	if (opt_secret("Kismet API key", apikey_file, cfg->apikey_arg, "KISMET_APIKEY",
	    &cfg->apikey) < 0)
		return KES_EXIT_CONFIG;
	opt_secret_free(cfg->apikey_arg);
	cfg->apikey_arg = NULL;
	if (user == NULL)
		user = opt_env("KISMET_USERNAME");
	if (opt_secret("Kismet password", pw_file, NULL, "KISMET_PASSWORD", &cfg->password) < 0)
		return KES_EXIT_CONFIG;
	if (user && (cfg->username = strdup(user)) == NULL)
		return KES_EXIT_SOFTWARE;
	if (cfg->apikey) {
		for (const char *k = cfg->apikey; *k; k++)
			if (!isalnum((unsigned char)*k)) {
				log_err("Kismet API key: not a Kismet key (letters and digits)");
				return KES_EXIT_CONFIG;
			}
	}
	if (cfg->password && cfg->username == NULL)
		cfg->username = strdup("");
	return -1;
}

void
config_free(struct config *cfg)
{
	free(cfg->base_url);
	free(cfg->ws_url);
	opt_secret_free(cfg->apikey);
	opt_secret_free(cfg->apikey_arg);
	opt_secret_free(cfg->password);
	free(cfg->username);
	free(cfg->events_buf);
	free(cfg->dbfiles);
	if (cfg->pseudo) {
		pseudo_clear(cfg->pseudo);
		free(cfg->pseudo);
	}
	memset(cfg, 0, sizeof(*cfg));
}

const struct backoff tap_reconnect = {.base_ms = 500, .cap_ms = 30000};
