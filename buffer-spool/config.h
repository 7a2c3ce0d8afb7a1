/*
 * config.h - buffer-spool's one configuration struct, filled from the
 * command line by config_parse() and passed down as a const pointer.
 */
#ifndef KES_SPOOL_CONFIG_H
#define KES_SPOOL_CONFIG_H

#include "spool.h"

#include <stdint.h>

enum spool_mode {
	MODE_STORE, MODE_PASS, MODE_FORWARD, MODE_DRAIN, MODE_STATUS, MODE_PURGE
};

#define DEFAULT_BUFFER_DB "kismet_offline_buffer.db"

struct config {
	enum spool_mode mode;
	const char *mode_name;
	struct spool_opts spool;
	const char *acks;		/* pass: --acks FD|PATH */
	uint64_t commit_ms;		/* commit at least this often */
	uint64_t commit_records;	/* ... or after this many records */
	uint64_t max_line;
	double restart_delay;		/* forward/drain: first restart delay */
	uint64_t max_restarts;		/* failed restarts in a row; 0: no limit */
	double stop_timeout;		/* wait this long for the consumer */
	int json;			/* status --json */
	int progress;			/* drain: enum progress_mode */
	int have_max_unsynced;
	uint64_t max_unsynced;
	int64_t max_age;		/* seconds; -1: not checked */
	uint64_t older_than;		/* purge: days */
	char **cmd;			/* forward/drain: the consumer, NULL-ended */
	int ack_child_fd;		/* the ack fd number in the child */
};

/*
 * Parse argv into cfg.  Returns -1 and prints nothing more for --help and
 * --version (*exitcode 0), or -1 with a message (*exitcode 64), or 0.
 * The consumer command (after "--") is built into cfg->cmd (malloc'd;
 * config_free() frees it).
 */
int config_parse(struct config *cfg, int argc, char **argv, int *exitcode);
void config_free(struct config *cfg);

#endif
