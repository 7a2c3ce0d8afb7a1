/*
 * config.h - es-bulk's one configuration struct, filled by config_parse()
 * from the command line and the environment, then passed down as a const
 * pointer to every module.  config_free() releases it (secrets are wiped).
 */
#ifndef ESB_CONFIG_H
#define ESB_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

enum esb_op {
	ESB_OP_INDEX,		/* overwrite: replays of the same id replace */
	ESB_OP_CREATE,		/* create: 409 on an existing id = indexed */
};

struct config {
	char **hosts;		/* base URLs, trailing '/' removed */
	size_t nhosts;
	char *username;		/* basic auth, or NULL */
	char *password;		/* secret, wiped on free */
	char *api_key;		/* "ApiKey" auth, secret, or NULL */
	struct http_tls tls;

	const char *index_prefix;	/* default naming: <prefix>-devices-... */
	const char *index_tmpl;		/* --index TEMPLATE, or NULL */
	const char *time_field;
	const char *id_field;		/* --id-field, or NULL */
	int no_id;			/* --no-id: server-generated ids */
	enum esb_op op;

	uint64_t batch_docs;
	uint64_t batch_bytes;
	double flush_interval;		/* seconds */
	uint64_t max_line;
	uint64_t workers;
	int gzip;
	int64_t max_retries;		/* -1 = forever */
	double timeout;			/* seconds per request */
	double connect_timeout;
	double shutdown_timeout;	/* after SIGINT/SIGTERM */

	int template;			/* install the index template */
	int template_only;
	const char *acks;		/* --acks FD|PATH, or NULL */
	const char *dead_letter;
	int strict;
	double stats_interval;		/* 0 = only at exit and on SIGUSR1 */
	int progress;			/* enum progress_mode */
	int dry_run;

	char **inputs;			/* file names, "-" = stdin */
	size_t ninputs;
};

/*
 * Parse argv into *cfg (defaults first, then environment, then options),
 * check option combinations, and scrub secrets from argv.  Returns 0 to run,
 * 1 when --help/--version was served (exit 0), or -1 after a usage error was
 * printed (exit KES_EXIT_USAGE), -2 on a configuration error (bad secret
 * file: KES_EXIT_CONFIG).
 */
int config_parse(struct config *cfg, int argc, char **argv);
void config_free(struct config *cfg);

#endif
