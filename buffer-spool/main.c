/*
 * main.c - buffer-spool: a durable store-and-forward spool for NDJSON.
 *
 * Table of contents: parse the command line (config.c) -> set up signals
 * -> open the spool (spool.c; spool_sqlite.c or spool_file.c with
 * spool_file_dir.c) -> run the subcommand (pump.c for
 * store/pass/forward/drain with child.c for the consumer; status.c for
 * status/purge) -> close -> exit code.
 */
#include "config.h"
#include "exitcodes.h"
#include "log.h"
#include "pump.h"
#include "sig.h"
#include "spool.h"
#include "status.h"

#include <signal.h>
#include <stdio.h>

int
main(int argc, char **argv)
{
	struct config cfg;
	struct spool *sp = NULL;
	int rc;

	log_init(argv[0]);
	if (config_parse(&cfg, argc, argv, &rc) < 0)
		goto out;

	sig_setup();
	/* A file size limit is a full disk to us, not a reason to die. */
	signal(SIGXFSZ, SIG_IGN);

	sp = spool_open(&cfg.spool, &rc);
	if (sp == NULL)
		goto out;

	switch (cfg.mode) {
	case MODE_STATUS:
		rc = status_run(&cfg, sp);
		break;
	case MODE_PURGE:
		rc = purge_run(&cfg, sp);
		break;
	default:
		rc = pump_run(&cfg, sp);
		break;
	}

	spool_close(sp);
out:
	config_free(&cfg);
	if (fflush(stdout) != 0 && rc == KES_EXIT_OK)
		rc = KES_EXIT_IOERR;
	return rc;
}
