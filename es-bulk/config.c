/*
 * config.c - es-bulk's command line: the option table, --help, --version,
 * strict value parsing, the environment layer (ES_HOSTS, ES_USERNAME,
 * ES_PASSWORD, ES_API_KEY) and the one block of combination checks.
 */
#include "cli.h"
#include "config.h"

#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/opensslv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>
#include <zlib.h>

#include "log.h"
#include "progress.h"
#include "opt.h"
#include "version.h"

enum {
	O_HOSTS = 256, O_USER, O_PASS, O_PASSFILE, O_APIKEY, O_APIKEYFILE,
	O_CACERT, O_CERT, O_KEY, O_INSECURE, O_PREFIX, O_INDEX, O_TIMEFIELD,
	O_IDFIELD, O_NOID, O_OP, O_BATCHSIZE, O_BATCHBYTES, O_FLUSH, O_MAXLINE,
	O_WORKERS, O_NOGZIP, O_RETRIES, O_TIMEOUT, O_CTIMEOUT, O_SHUTDOWN,
	O_NOTEMPLATE, O_TEMPLATEONLY, O_ACKS, O_DEADLETTER, O_STRICT, O_STATS,
	O_DRYRUN,
};

static const struct option options[] = {
	{"es-hosts",		required_argument, NULL, O_HOSTS},
	{"es-username",		required_argument, NULL, O_USER},
	{"es-password",		required_argument, NULL, O_PASS},
	{"es-password-file",	required_argument, NULL, O_PASSFILE},
	{"es-api-key",		required_argument, NULL, O_APIKEY},
	{"es-api-key-file",	required_argument, NULL, O_APIKEYFILE},
	{"cacert",		required_argument, NULL, O_CACERT},
	{"cert",		required_argument, NULL, O_CERT},
	{"key",			required_argument, NULL, O_KEY},
	{"insecure",		no_argument,       NULL, O_INSECURE},
	{"index-prefix",	required_argument, NULL, O_PREFIX},
	{"index",		required_argument, NULL, O_INDEX},
	{"time-field",		required_argument, NULL, O_TIMEFIELD},
	{"id-field",		required_argument, NULL, O_IDFIELD},
	{"no-id",		no_argument,       NULL, O_NOID},
	{"op",			required_argument, NULL, O_OP},
	{"batch-size",		required_argument, NULL, O_BATCHSIZE},
	{"batch-bytes",		required_argument, NULL, O_BATCHBYTES},
	{"flush-interval",	required_argument, NULL, O_FLUSH},
	{"max-line",		required_argument, NULL, O_MAXLINE},
	{"workers",		required_argument, NULL, O_WORKERS},
	{"no-gzip",		no_argument,       NULL, O_NOGZIP},
	{"max-retries",		required_argument, NULL, O_RETRIES},
	{"timeout",		required_argument, NULL, O_TIMEOUT},
	{"connect-timeout",	required_argument, NULL, O_CTIMEOUT},
	{"shutdown-timeout",	required_argument, NULL, O_SHUTDOWN},
	{"no-template",		no_argument,       NULL, O_NOTEMPLATE},
	{"template-only",	no_argument,       NULL, O_TEMPLATEONLY},
	{"acks",		required_argument, NULL, O_ACKS},
	{"dead-letter",		required_argument, NULL, O_DEADLETTER},
	{"strict",		no_argument,       NULL, O_STRICT},
	{"stats-interval",	required_argument, NULL, O_STATS},
	{"dry-run",		no_argument,       NULL, O_DRYRUN},
	KES_PROGRESS_OPTIONS,
	KES_COMMON_OPTIONS,
	{NULL, 0, NULL, 0},
};

static const char help_text[] =
"Usage: es-bulk [OPTION]... [FILE]...\n"
"Bulk-index NDJSON records (stdin, or FILEs in order; - is stdin) into\n"
"Elasticsearch or OpenSearch.  gzip-compressed input (recognised by its\n"
"first bytes, members concatenated or not) is decompressed as it is read.\n"
"\n"
"Server:\n"
"      --es-hosts URL[,URL]   server base URLs, repeatable (env ES_HOSTS;\n"
"                             default http://localhost:9200)\n"
"      --es-username USER     basic auth user (env ES_USERNAME)\n"
"      --es-password PASS     basic auth password (env ES_PASSWORD; prefer\n"
"                             the environment or --es-password-file)\n"
"      --es-password-file F   read the password from the first line of F\n"
"      --es-api-key KEY       API key, sent as 'Authorization: ApiKey KEY'\n"
"                             (env ES_API_KEY)\n"
"      --es-api-key-file F    read the API key from the first line of F\n"
"      --cacert FILE          CA bundle to verify the server's certificate\n"
"      --cert FILE            client certificate (PEM)\n"
"      --key FILE             client private key (PEM)\n"
"      --insecure             do not verify the server's certificate\n"
"\n"
"Indices and documents:\n"
"      --index-prefix P       index names P-devices-YYYY.MM, P-events-YYYY.MM,\n"
"                             P-other-YYYY.MM by record_type (default kismet)\n"
"      --index TEMPLATE       index name template for any NDJSON: {field} is a\n"
"                             record field, %Y %m %d %H %j %G %V %% parts of\n"
"                             the record's time\n"
"      --time-field F         the record's time field (default timestamp)\n"
"      --id-field F           take _id from field F (default: hash of the line)\n"
"      --no-id                let the server generate ids (replays duplicate)\n"
"      --op index|create      bulk action (default index); create: an existing\n"
"                             id (409) counts as indexed; data streams need it\n"
"      --no-template          do not install the index template\n"
"      --template-only        install the index template and exit\n"
"\n"
"Batching and delivery:\n"
"      --batch-size N         documents per bulk request (default 1000)\n"
"      --batch-bytes SIZE     bytes per bulk request, k/m/g suffix (default 5m)\n"
"      --flush-interval S     send a partial batch after S seconds (default 1)\n"
"      --max-line SIZE        longest accepted input line (default 16m)\n"
"      --workers N            concurrent bulk requests (default 2)\n"
"      --no-gzip              send uncompressed request bodies\n"
"      --max-retries N        give up after N retries of an unreachable server\n"
"                             (default: retry forever)\n"
"      --timeout S            seconds per request (default 60)\n"
"      --connect-timeout S    seconds to connect (default 10)\n"
"      --shutdown-timeout S   on SIGINT/SIGTERM, give in-flight requests S\n"
"                             seconds (default 10)\n"
"      --strict               stop at the first invalid input line\n"
"      --dead-letter PATH     rejected lines go here (default\n"
"                             es-bulk.rejects.ndjson)\n"
"      --acks FD|PATH         write the count of resolved input lines after\n"
"                             each batch to descriptor FD or file/FIFO PATH\n"
"      --dry-run              print the bulk bodies on stdout, send nothing\n"
"\n"
"Diagnostics:\n"
"      --stats-interval S     print a JSON stats line on stderr every S seconds\n"
"      --progress             draw the progress line (counts, docs/s, share of\n"
"                             the files read, ETA) even when stderr is not a\n"
"                             terminal\n"
"      --no-progress          never draw it (default: on a terminal, unless -q\n"
"                             or --stats-interval)\n"
"  -v, --verbose              more detail (repeat for more)\n"
"  -q, --quiet                warnings and errors only\n"
"  -h, --help                 show this help and exit\n"
"  -V, --version              show version information and exit\n"
"\n"
"Exit status: 0 all indexed, 65 lines dead-lettered or an archive truncated\n"
"or corrupt, 64 usage, 66 input missing, 69 no server reachable, 74 I/O\n"
"error, 75 interrupted with lines pending, 77 authentication refused.\n";

static int
usage_error(void)
{
	fprintf(stderr, "try 'es-bulk --help'\n");
	return -1;
}

static void
print_version(void)
{
	printf("es-bulk %s\n", KES_VERSION);
	printf("jansson %s\n", JANSSON_VERSION);
	printf("%s\n", curl_version());
	printf("zlib %s\n", zlibVersion());
	printf("libdeflate %s\n", LIBDEFLATE_VERSION_STRING);
	printf("%s\n", OPENSSL_VERSION_TEXT);
}

/* Append the comma- or space-separated URLs of s to cfg->hosts. */
static int
add_hosts(struct config *cfg, const char *s)
{
	while (*s) {
		size_t skip = strspn(s, ", "), n;
		char **nh, *h;

		s += skip;
		n = strcspn(s, ", ");
		if (n == 0)
			break;
		nh = realloc(cfg->hosts, (cfg->nhosts + 1) * sizeof(*nh));
		if (nh == NULL)
			return -1;
		cfg->hosts = nh;
		h = strndup(s, n);
		/* "host:9200" without a scheme means plain HTTP, as in curl. */
		if (h && strstr(h, "://") == NULL) {
			char *full = malloc(n + 8);

			if (full)
				snprintf(full, n + 8, "http://%s", h);
			free(h);
			h = full;
		}
		if (h == NULL)
			return -1;
		http_url_trim(h);
		cfg->hosts[cfg->nhosts++] = h;
		s += n;
	}
	return 0;
}

static int
parse_seconds(const char *opt, const char *s, double min, double *out)
{
	return opt_double(opt, s, min, 86400.0 * 365, out);
}

int
config_parse(struct config *cfg, int argc, char **argv)
{
	const char *pass_arg = NULL, *pass_file = NULL, *key_arg = NULL,
	    *key_file = NULL, *user_arg = NULL, *env;
	char *pass_copy = NULL, *key_copy = NULL;
	int c, level = LOG_LEVEL_INFO, rc = 0;
	uint64_t u;

	memset(cfg, 0, sizeof(*cfg));
	cfg->index_prefix = "kismet";
	cfg->time_field = "timestamp";
	cfg->op = ESB_OP_INDEX;
	cfg->batch_docs = 1000;
	cfg->batch_bytes = (uint64_t)5 * 1024 * 1024;
	cfg->flush_interval = 1.0;
	cfg->max_line = (uint64_t)16 * 1024 * 1024;
	cfg->workers = 2;
	cfg->gzip = 1;
	cfg->max_retries = -1;
	cfg->timeout = 60;
	cfg->connect_timeout = 10;
	cfg->shutdown_timeout = 10;
	cfg->template = 1;
	cfg->dead_letter = "es-bulk.rejects.ndjson";

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vqhV", options, NULL)) != -1) {
		switch (c) {
		case O_HOSTS:
			if (add_hosts(cfg, optarg) < 0)
				rc = -2;
			break;
		case O_USER: user_arg = optarg; break;
		case O_PASS:
			/* Copy, then hide the value from /proc/PID/cmdline. */
			free(pass_copy);
			pass_copy = strdup(optarg);
			opt_scrub_arg(optarg);
			pass_arg = pass_copy;
			break;
		case O_PASSFILE: pass_file = optarg; break;
		case O_APIKEY:
			free(key_copy);
			key_copy = strdup(optarg);
			opt_scrub_arg(optarg);
			key_arg = key_copy;
			break;
		case O_APIKEYFILE: key_file = optarg; break;
		case O_CACERT: cfg->tls.cacert = optarg; break;
		case O_CERT: cfg->tls.cert = optarg; break;
		case O_KEY: cfg->tls.key = optarg; break;
		case O_INSECURE: cfg->tls.insecure = 1; break;
		case O_PREFIX: cfg->index_prefix = optarg; break;
		case O_INDEX: cfg->index_tmpl = optarg; break;
		case O_TIMEFIELD: cfg->time_field = optarg; break;
		case O_IDFIELD: cfg->id_field = optarg; break;
		case O_NOID: cfg->no_id = 1; break;
		case O_OP:
			if (strcmp(optarg, "index") == 0) {
				cfg->op = ESB_OP_INDEX;
			} else if (strcmp(optarg, "create") == 0) {
				cfg->op = ESB_OP_CREATE;
			} else {
				log_err("--op '%s': must be index or create", optarg);
				rc = -1;
			}
			break;
		case O_BATCHSIZE:
			if (opt_uint("--batch-size", optarg, 1, 1000000, &cfg->batch_docs) < 0)
				rc = -1;
			break;
		case O_BATCHBYTES:
			if (opt_size("--batch-bytes", optarg, 1024, 1024ULL * 1024 * 1024,
			    &cfg->batch_bytes) < 0)
				rc = -1;
			break;
		case O_FLUSH:
			if (parse_seconds("--flush-interval", optarg, 0.001, &cfg->flush_interval) < 0)
				rc = -1;
			break;
		case O_MAXLINE:
			if (opt_size("--max-line", optarg, 16, 1024ULL * 1024 * 1024,
			    &cfg->max_line) < 0)
				rc = -1;
			break;
		case O_WORKERS:
			if (opt_uint("--workers", optarg, 1, 64, &cfg->workers) < 0)
				rc = -1;
			break;
		case O_NOGZIP: cfg->gzip = 0; break;
		case O_RETRIES:
			if (opt_uint("--max-retries", optarg, 0, 1000000000, &u) < 0)
				rc = -1;
			else
				cfg->max_retries = (int64_t)u;
			break;
		case O_TIMEOUT:
			if (parse_seconds("--timeout", optarg, 0.1, &cfg->timeout) < 0)
				rc = -1;
			break;
		case O_CTIMEOUT:
			if (parse_seconds("--connect-timeout", optarg, 0.1, &cfg->connect_timeout) < 0)
				rc = -1;
			break;
		case O_SHUTDOWN:
			if (parse_seconds("--shutdown-timeout", optarg, 0, &cfg->shutdown_timeout) < 0)
				rc = -1;
			break;
		case O_NOTEMPLATE: cfg->template = 0; break;
		case O_TEMPLATEONLY: cfg->template_only = 1; break;
		case O_ACKS: cfg->acks = optarg; break;
		case O_DEADLETTER: cfg->dead_letter = optarg; break;
		case O_STRICT: cfg->strict = 1; break;
		case O_STATS:
			if (parse_seconds("--stats-interval", optarg, 0.01, &cfg->stats_interval) < 0)
				rc = -1;
			break;
		case O_DRYRUN: cfg->dry_run = 1; break;
		case KES_OPT_PROGRESS: cfg->progress = PROGRESS_ON; break;
		case KES_OPT_NO_PROGRESS: cfg->progress = PROGRESS_OFF; break;
		case 'v': level++; break;
		case 'q': level = LOG_LEVEL_WARN; break;
		case 'h':
			fputs(help_text, stdout);
			rc = 1;
			goto out;
		case 'V':
			print_version();
			rc = 1;
			goto out;
		case ':':
			log_err("option '%s' needs a value", argv[optind - 1]);
			rc = -1;
			break;
		default:
			log_err("unknown option '%s'", argv[optind - 1]);
			rc = -1;
			break;
		}
		if (rc != 0)
			goto out;
	}
	log_set_level(level);
	cfg->inputs = argv + optind;
	cfg->ninputs = (size_t)(argc - optind);

	/* Environment layer: only where the command line said nothing. */
	if (cfg->nhosts == 0 && (env = opt_env("ES_HOSTS")) != NULL)
		add_hosts(cfg, env);
	if (cfg->nhosts == 0)
		add_hosts(cfg, "http://localhost:9200");
	if (user_arg == NULL)
		user_arg = opt_env("ES_USERNAME");

	/* Combination checks: one rule per sentence, as in the man page. */
	if (cfg->no_id && cfg->id_field) {
		log_err("--no-id and --id-field cannot be used together");
		rc = -1;
	} else if (cfg->template_only && !cfg->template) {
		log_err("--template-only and --no-template cannot be used together");
		rc = -1;
	} else if (cfg->template_only && cfg->ninputs > 0) {
		log_err("--template-only reads no input files");
		rc = -1;
	} else if (pass_arg && pass_file) {
		log_err("--es-password and --es-password-file cannot be used together");
		rc = -1;
	} else if (key_arg && key_file) {
		log_err("--es-api-key and --es-api-key-file cannot be used together");
		rc = -1;
	} else if (cfg->dry_run && cfg->acks && strcmp(cfg->acks, "1") == 0) {
		log_err("--acks 1 cannot be used with --dry-run (stdout holds the bodies)");
		rc = -1;
	} else if (cfg->tls.key && !cfg->tls.cert) {
		log_err("--key needs --cert");
		rc = -1;
	} else if (cfg->index_tmpl && cfg->index_tmpl[0] == '\0') {
		log_err("--index: empty template");
		rc = -1;
	} else if (cfg->index_prefix[0] == '\0') {
		log_err("--index-prefix: empty prefix");
		rc = -1;
	} else if (cfg->time_field[0] == '\0' ||
	    (cfg->id_field && cfg->id_field[0] == '\0')) {
		log_err("field names cannot be empty");
		rc = -1;
	}
	if (rc < 0)
		goto out;

	if (opt_secret("the Elasticsearch password", pass_file, pass_arg,
	    "ES_PASSWORD", &cfg->password) < 0 ||
	    opt_secret("the Elasticsearch API key", key_file, key_arg,
	    "ES_API_KEY", &cfg->api_key) < 0) {
		rc = -2;
		goto out;
	}
	if (user_arg && (cfg->username = strdup(user_arg)) == NULL) {
		rc = -2;
		goto out;
	}
	if (cfg->password && cfg->username == NULL) {
		log_err("a password needs a user name (--es-username or ES_USERNAME)");
		rc = -1;
		goto out;
	}
	if (cfg->api_key && cfg->username) {
		log_err("use either an API key or a user name and password, not both");
		rc = -1;
		goto out;
	}
	if (cfg->tls.insecure)
		log_warn("--insecure: the server's TLS certificate is NOT verified; "
		    "anyone on the path can read the credentials and the data");
out:
	opt_secret_free(pass_copy);
	opt_secret_free(key_copy);
	if (rc == -1)
		return usage_error();
	return rc;
}

void
config_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->nhosts; i++)
		free(cfg->hosts[i]);
	free(cfg->hosts);
	free(cfg->username);
	opt_secret_free(cfg->password);
	opt_secret_free(cfg->api_key);
	memset(cfg, 0, sizeof(*cfg));
}
