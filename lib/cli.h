/*
 * cli.h - the options every kismet-es tool has, with one meaning everywhere
 * (tests/cli.bats): -v/--verbose (repeatable), -q/--quiet (warnings and
 * errors only), -h/--help (stdout, exit 0), -V/--version (release and the
 * linked libraries, one per line).  Put KES_COMMON_OPTIONS last in a tool's
 * option table, before the terminating zero entry.
 */
#ifndef KES_CLI_H
#define KES_CLI_H

#include <getopt.h>

#define KES_COMMON_OPTIONS					\
	{ "verbose", no_argument, NULL, 'v' },			\
	{ "quiet", no_argument, NULL, 'q' },			\
	{ "help", no_argument, NULL, 'h' },			\
	{ "version", no_argument, NULL, 'V' }

/* The progress line (lib/progress.h): --progress / --no-progress, in the
 * tools that draw one.  getopt values beyond every tool's own. */
#define KES_OPT_PROGRESS	0x4000
#define KES_OPT_NO_PROGRESS	0x4001
#define KES_PROGRESS_OPTIONS						\
	{ "progress", no_argument, NULL, KES_OPT_PROGRESS },		\
	{ "no-progress", no_argument, NULL, KES_OPT_NO_PROGRESS }

#endif
