/*
 * config.c - buffer-spool's command line: the subcommand, one getopt_long
 * table, the per-mode option rules (one block), --help and --version, and
 * the consumer command line of forward/drain (with its ack fd).
 */
#include "cli.h"
#include "config.h"

#include "exitcodes.h"
#include "log.h"
#include "progress.h"
#include "opt.h"
#include "version.h"

#include <ctype.h>
#include <getopt.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fd number the consumer finds its ack channel on. */
#define CHILD_ACK_FD 3

static const char usage_text[] =
"usage: buffer-spool store|pass|forward|drain|status|purge [options] [-- command...]\n"
"\n"
"Durable store-and-forward spool for NDJSON records (SQLite or files).\n"
"\n"
"Subcommands:\n"
"  store     read NDJSON on stdin and persist it; print nothing\n"
"  pass      persist stdin and forward it to stdout; spool while stdout blocks\n"
"  forward   persist stdin and feed a consumer started as a child (es-bulk)\n"
"  drain     send every unsynced record to a child, wait for its acks, exit\n"
"  status    report what the spool holds (read-only)\n"
"  purge     delete synced records older than --older-than days\n"
"\n"
"Spool:\n"
"  --buffer-db PATH        SQLite spool (default " DEFAULT_BUFFER_DB ")\n"
"  --spool-dir DIR         file spool: a directory of NDJSON segments\n"
"  --sync MODE             off, normal (default) or full (fsync every commit)\n"
"  --commit-interval MS    commit at least every MS milliseconds (default 250)\n"
"  --commit-records N      ... or every N records (default 10000)\n"
"  --max-records N         hold at most N records (default: no limit)\n"
"  --max-bytes SIZE        hold at most SIZE bytes of records (k, m, g)\n"
"  --on-full POLICY        refuse (default) or drop-synced\n"
"  --segment-size SIZE     file spool: start a new segment at SIZE (default 64m)\n"
"  --max-line SIZE         longest accepted input line (default 16m)\n"
"\n"
"Consumer (pass, forward, drain):\n"
"  --acks FD|PATH          pass: read the consumer's acks from FD or a FIFO\n"
"  --restart-delay SECS    forward/drain: first restart delay (default 1)\n"
"  --max-restarts N        give up after N restarts without progress\n"
"                          (default: forward 0 = never, drain 5)\n"
"  --stop-timeout SECS     wait this long for the consumer at exit (default 30)\n"
"  --progress              drain: draw the progress line (records left, rate,\n"
"                          ETA) even when stderr is not a terminal\n"
"  --no-progress           drain: never draw it (default: on a terminal)\n"
"\n"
"Status and purge:\n"
"  --json                  status as one JSON object\n"
"  --max-unsynced N        status: unhealthy if more than N records unsynced\n"
"  --max-age DURATION      status: unhealthy if the oldest unsynced record is\n"
"                          older (seconds, or with s, m, h, d)\n"
"  --older-than DAYS       purge: age of the synced records to delete (default 7)\n"
"\n"
"  -v, --verbose           more messages (repeatable)\n"
"  -q, --quiet             warnings and errors only\n"
"  -h, --help              this help\n"
"  -V, --version           version and library versions\n";

enum {
	O_BUFFER_DB = 256, O_SPOOL_DIR, O_SYNC, O_COMMIT_INTERVAL, O_COMMIT_RECORDS,
	O_MAX_RECORDS, O_MAX_BYTES, O_ON_FULL, O_SEGMENT_SIZE, O_MAX_LINE,
	O_ACKS, O_RESTART_DELAY, O_MAX_RESTARTS, O_STOP_TIMEOUT, O_JSON,
	O_MAX_UNSYNCED, O_MAX_AGE, O_OLDER_THAN,
};

static const struct option options[] = {
	{ "buffer-db", required_argument, NULL, O_BUFFER_DB },
	{ "spool-dir", required_argument, NULL, O_SPOOL_DIR },
	{ "sync", required_argument, NULL, O_SYNC },
	{ "commit-interval", required_argument, NULL, O_COMMIT_INTERVAL },
	{ "commit-records", required_argument, NULL, O_COMMIT_RECORDS },
	{ "max-records", required_argument, NULL, O_MAX_RECORDS },
	{ "max-bytes", required_argument, NULL, O_MAX_BYTES },
	{ "on-full", required_argument, NULL, O_ON_FULL },
	{ "segment-size", required_argument, NULL, O_SEGMENT_SIZE },
	{ "max-line", required_argument, NULL, O_MAX_LINE },
	{ "acks", required_argument, NULL, O_ACKS },
	{ "restart-delay", required_argument, NULL, O_RESTART_DELAY },
	{ "max-restarts", required_argument, NULL, O_MAX_RESTARTS },
	{ "stop-timeout", required_argument, NULL, O_STOP_TIMEOUT },
	{ "json", no_argument, NULL, O_JSON },
	{ "max-unsynced", required_argument, NULL, O_MAX_UNSYNCED },
	{ "max-age", required_argument, NULL, O_MAX_AGE },
	{ "older-than", required_argument, NULL, O_OLDER_THAN },
	KES_PROGRESS_OPTIONS,
	KES_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

#define M(m) (1u << (m))
#define M_WRITERS (M(MODE_STORE) | M(MODE_PASS) | M(MODE_FORWARD))
#define M_SENDERS (M(MODE_PASS) | M(MODE_FORWARD) | M(MODE_DRAIN))
#define M_ALL 0xffu

/* Which subcommands accept which option (checked in one place). */
static const struct {
	int opt;
	unsigned modes;
} option_modes[] = {
	{ O_SYNC, M_WRITERS | M(MODE_DRAIN) },
	{ O_COMMIT_INTERVAL, M_WRITERS | M(MODE_DRAIN) },
	{ O_COMMIT_RECORDS, M_WRITERS },
	{ O_MAX_RECORDS, M_WRITERS },
	{ O_MAX_BYTES, M_WRITERS },
	{ O_ON_FULL, M_WRITERS },
	{ O_SEGMENT_SIZE, M_WRITERS },
	{ O_MAX_LINE, M_WRITERS },
	{ O_ACKS, M(MODE_PASS) },
	{ O_RESTART_DELAY, M(MODE_FORWARD) | M(MODE_DRAIN) },
	{ O_MAX_RESTARTS, M(MODE_FORWARD) | M(MODE_DRAIN) },
	{ O_STOP_TIMEOUT, M_SENDERS },
	{ O_JSON, M(MODE_STATUS) },
	{ O_MAX_UNSYNCED, M(MODE_STATUS) },
	{ O_MAX_AGE, M(MODE_STATUS) },
	{ O_OLDER_THAN, M(MODE_PURGE) },
};

static const char *const mode_names[] = {
	"store", "pass", "forward", "drain", "status", "purge"
};

static int
usage_error(const char *msg, const char *arg)
{
	if (arg)
		log_err("%s: %s", msg, arg);
	else
		log_err("%s", msg);
	fprintf(stderr, "try 'buffer-spool --help'\n");
	return -1;
}

static void
print_version(void)
{
	printf("buffer-spool %s\nsqlite %s\njansson %s\n", KES_VERSION,
	    sqlite3_libversion(), JANSSON_VERSION);
}

/* A duration: seconds, or a number with s, m, h or d. */
static int
parse_duration(const char *opt, const char *s, int64_t *out)
{
	char buf[32];
	uint64_t v, mult = 1;
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(buf)) {
		log_err("%s '%s': not a duration", opt, s);
		return -1;
	}
	memcpy(buf, s, n + 1);
	switch (buf[n - 1]) {
	case 's': mult = 1; buf[n - 1] = '\0'; break;
	case 'm': mult = 60; buf[n - 1] = '\0'; break;
	case 'h': mult = 3600; buf[n - 1] = '\0'; break;
	case 'd': mult = 86400; buf[n - 1] = '\0'; break;
	default: break;
	}
	if (opt_uint(opt, buf, 0, 100ULL * 365 * 86400 / mult, &v) < 0)
		return -1;
	*out = (int64_t)(v * mult);
	return 0;
}

static int
parse_enum(const char *opt, const char *s, const char *const *names, int n, int *out)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	log_err("%s '%s': unknown value", opt, s);
	return -1;
}

/* A copy of arg with every "{acks}" replaced by fd; NULL when out of
 * memory. */
static char *
place_acks(const char *arg, const char *fd)
{
	size_t n = 0, flen = strlen(fd);
	const char *p;
	char *out, *o;

	for (p = arg; (p = strstr(p, "{acks}")) != NULL; p += 6)
		n++;
	out = malloc(strlen(arg) - n * 6 + n * flen + 1);
	if (out == NULL)
		return NULL;
	for (o = out, p = arg; *p;) {
		if (strncmp(p, "{acks}", 6) == 0) {
			memcpy(o, fd, flen);
			o += flen;
			p += 6;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

static int
is_es_bulk(const char *arg)
{
	const char *base = strrchr(arg, '/');

	return strcmp(base ? base + 1 : arg, "es-bulk") == 0;
}

/*
 * The consumer's argv.  "{acks}" anywhere in an argument (also inside a
 * `sh -c '...'` script) becomes the ack channel's descriptor number.
 * Without it, es-bulk named as the command or behind a wrapper (`time
 * es-bulk`, `nice -n 5 es-bulk`, `env A=1 es-bulk`) gets "--acks N"
 * appended; a consumer --acks of the user's own would not be the channel
 * buffer-spool reads, so it is refused unless "{acks}" places it.
 */
static int
build_cmd(struct config *cfg, int argc, char **argv)
{
	int placeholder = 0, own_acks = 0, es_bulk = 0, n = 0;
	char fdstr[16];

	snprintf(fdstr, sizeof(fdstr), "%d", cfg->ack_child_fd);
	cfg->cmd = calloc((size_t)argc + 3, sizeof(*cfg->cmd));
	if (cfg->cmd == NULL)
		return -1;
	for (int i = 0; i < argc; i++) {
		placeholder |= strstr(argv[i], "{acks}") != NULL;
		own_acks |= strcmp(argv[i], "--acks") == 0 ||
		    strncmp(argv[i], "--acks=", 7) == 0;
		es_bulk |= is_es_bulk(argv[i]);
	}
	if (own_acks && !placeholder)
		return usage_error("the consumer's --acks is set by "
		    "buffer-spool; use {acks} to place it", NULL);
	for (int i = 0; i < argc; i++)
		if ((cfg->cmd[n++] = place_acks(argv[i], fdstr)) == NULL)
			return -1;
	/* es-bulk is told where its ack channel is; other commands find it
	 * in KES_ACK_FD or where they put "{acks}". */
	if (!placeholder && es_bulk) {
		cfg->cmd[n++] = strdup("--acks");
		cfg->cmd[n++] = strdup(fdstr);
		if (cfg->cmd[n - 1] == NULL || cfg->cmd[n - 2] == NULL)
			return -1;
	}
	return 0;
}

int
config_parse(struct config *cfg, int argc, char **argv, int *exitcode)
{
	unsigned char seen[O_OLDER_THAN + 1] = { 0 };
	int c, mode, verbosity = LOG_LEVEL_INFO, v;
	uint64_t u;
	double d;

	memset(cfg, 0, sizeof(*cfg));
	cfg->spool.backend = SPOOL_SQLITE;
	cfg->spool.path = DEFAULT_BUFFER_DB;
	cfg->spool.sync = SPOOL_SYNC_NORMAL;
	cfg->spool.on_full = SPOOL_FULL_REFUSE;
	cfg->spool.segment_size = 64ULL << 20;
	cfg->commit_ms = 250;
	cfg->commit_records = 10000;
	cfg->max_line = 16 << 20;
	cfg->restart_delay = 1;
	cfg->stop_timeout = 30;
	cfg->max_age = -1;
	cfg->older_than = 7;
	cfg->ack_child_fd = CHILD_ACK_FD;
	*exitcode = KES_EXIT_USAGE;

	if (argc < 2)
		return usage_error("a subcommand is needed", NULL);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, stdout);
		*exitcode = KES_EXIT_OK;
		return -1;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		print_version();
		*exitcode = KES_EXIT_OK;
		return -1;
	}
	if (parse_enum("subcommand", argv[1], mode_names, 6, &mode) < 0)
		return usage_error("unknown subcommand", argv[1]);
	cfg->mode = (enum spool_mode)mode;
	cfg->mode_name = mode_names[mode];
	if (cfg->mode == MODE_DRAIN)
		cfg->max_restarts = 5;
	argc--;
	argv++;
	optind = 1;
	opterr = 0;	/* getopt would name the subcommand, not the program */
	while ((c = getopt_long(argc, argv, "+:vqhV", options, NULL)) != -1) {
		if (c >= O_BUFFER_DB && c <= O_OLDER_THAN)
			seen[c] = 1;
		switch (c) {
		case O_BUFFER_DB:
			cfg->spool.backend = SPOOL_SQLITE;
			cfg->spool.path = optarg;
			break;
		case O_SPOOL_DIR:
			cfg->spool.backend = SPOOL_FILE;
			cfg->spool.path = optarg;
			break;
		case O_SYNC: {
			static const char *const n[] = { "off", "normal", "full" };
			if (parse_enum("--sync", optarg, n, 3, &v) < 0)
				return usage_error("bad option value", "--sync");
			cfg->spool.sync = (enum spool_sync)v;
			break;
		}
		case O_ON_FULL: {
			static const char *const n[] = { "refuse", "drop-synced" };
			if (parse_enum("--on-full", optarg, n, 2, &v) < 0)
				return usage_error("bad option value", "--on-full");
			cfg->spool.on_full = (enum spool_onfull)v;
			break;
		}
		case O_COMMIT_INTERVAL:
			if (opt_uint("--commit-interval", optarg, 1, 3600000, &cfg->commit_ms) < 0)
				return usage_error("bad option value", "--commit-interval");
			break;
		case O_COMMIT_RECORDS:
			if (opt_uint("--commit-records", optarg, 1, 10000000, &cfg->commit_records) < 0)
				return usage_error("bad option value", "--commit-records");
			break;
		case O_MAX_RECORDS:
			if (opt_uint("--max-records", optarg, 1, UINT64_MAX / 2, &cfg->spool.max_records) < 0)
				return usage_error("bad option value", "--max-records");
			break;
		case O_MAX_BYTES:
			if (opt_size("--max-bytes", optarg, 1024, UINT64_MAX / 2, &cfg->spool.max_bytes) < 0)
				return usage_error("bad option value", "--max-bytes");
			break;
		case O_SEGMENT_SIZE:
			if (opt_size("--segment-size", optarg, 1024, 1ULL << 40, &cfg->spool.segment_size) < 0)
				return usage_error("bad option value", "--segment-size");
			break;
		case O_MAX_LINE:
			if (opt_size("--max-line", optarg, 64, 256ULL << 20, &cfg->max_line) < 0)
				return usage_error("bad option value", "--max-line");
			break;
		case O_ACKS:
			cfg->acks = optarg;
			break;
		case O_RESTART_DELAY:
			if (opt_double("--restart-delay", optarg, 0, 3600, &d) < 0)
				return usage_error("bad option value", "--restart-delay");
			cfg->restart_delay = d;
			break;
		case O_MAX_RESTARTS:
			if (opt_uint("--max-restarts", optarg, 0, 1000000, &u) < 0)
				return usage_error("bad option value", "--max-restarts");
			cfg->max_restarts = u;
			break;
		case O_STOP_TIMEOUT:
			if (opt_double("--stop-timeout", optarg, 0, 86400, &d) < 0)
				return usage_error("bad option value", "--stop-timeout");
			cfg->stop_timeout = d;
			break;
		case O_JSON:
			cfg->json = 1;
			break;
		case KES_OPT_PROGRESS:
		case KES_OPT_NO_PROGRESS:
			cfg->progress = c == KES_OPT_PROGRESS ? PROGRESS_ON : PROGRESS_OFF;
			break;
		case O_MAX_UNSYNCED:
			if (opt_uint("--max-unsynced", optarg, 0, UINT64_MAX / 2, &cfg->max_unsynced) < 0)
				return usage_error("bad option value", "--max-unsynced");
			cfg->have_max_unsynced = 1;
			break;
		case O_MAX_AGE:
			if (parse_duration("--max-age", optarg, &cfg->max_age) < 0)
				return usage_error("bad option value", "--max-age");
			break;
		case O_OLDER_THAN:
			if (opt_uint("--older-than", optarg, 0, 36500, &cfg->older_than) < 0)
				return usage_error("bad option value", "--older-than");
			break;
		case 'v':
			verbosity++;
			break;
		case 'q':
			verbosity = LOG_LEVEL_WARN;
			break;
		case 'h':
			fputs(usage_text, stdout);
			*exitcode = KES_EXIT_OK;
			return -1;
		case 'V':
			print_version();
			*exitcode = KES_EXIT_OK;
			return -1;
		case ':':
			return usage_error("option needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option", argv[optind - 1]);
		}
	}
	log_set_level(verbosity);

	/* Rules on combinations, one sentence each (also in the man page). */
	if (cfg->progress != PROGRESS_AUTO && cfg->mode != MODE_DRAIN) {
		log_err("--%s does not apply to '%s'", cfg->progress == PROGRESS_ON ?
		    "progress" : "no-progress", cfg->mode_name);
		fprintf(stderr, "try 'buffer-spool --help'\n");
		return -1;
	}
	if (seen[O_BUFFER_DB] && seen[O_SPOOL_DIR])
		return usage_error("--buffer-db and --spool-dir exclude each other", NULL);
	for (size_t i = 0; i < sizeof(option_modes) / sizeof(option_modes[0]); i++) {
		if (seen[option_modes[i].opt] && !(option_modes[i].modes & M(cfg->mode))) {
			for (const struct option *o = options; o->name; o++)
				if (o->val == option_modes[i].opt) {
					log_err("--%s does not apply to '%s'", o->name, cfg->mode_name);
					break;
				}
			fprintf(stderr, "try 'buffer-spool --help'\n");
			return -1;
		}
	}
	if (seen[O_SEGMENT_SIZE] && cfg->spool.backend != SPOOL_FILE)
		return usage_error("--segment-size needs --spool-dir", NULL);
	if (cfg->mode == MODE_FORWARD || cfg->mode == MODE_DRAIN) {
		if (optind >= argc)
			return usage_error("a consumer command is needed after '--'", cfg->mode_name);
		if (build_cmd(cfg, argc - optind, argv + optind) < 0)
			return -1;
	} else if (optind < argc) {
		return usage_error("unexpected argument", argv[optind]);
	}
	cfg->spool.readonly = cfg->mode == MODE_STATUS;
	cfg->spool.create = cfg->mode == MODE_STORE || cfg->mode == MODE_PASS ||
	    cfg->mode == MODE_FORWARD;
	return 0;
}

void
config_free(struct config *cfg)
{
	if (cfg->cmd) {
		for (char **p = cfg->cmd; *p; p++)
			free(*p);
		free(cfg->cmd);
	}
	cfg->cmd = NULL;
}
