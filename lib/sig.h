/*
 * sig.h - the only mutable file-scope state of the tools: signal flags.
 *
 * SIGINT/SIGTERM ask for a clean stop (finish or persist what is in flight,
 * print final stats, exit 0); a third one exits at once with status 75.
 * SIGUSR1 asks for a stats line now.  SIGPIPE is ignored: every write to
 * stdout is checked for EPIPE instead (libwebsockets ignores it anyway).
 */
#ifndef KES_SIG_H
#define KES_SIG_H

#include <signal.h>

extern volatile sig_atomic_t sig_stop;	/* number of stop signals seen */
extern volatile sig_atomic_t sig_stats;	/* SIGUSR1 seen, not yet served */
extern volatile sig_atomic_t sig_child;	/* SIGCHLD seen, not yet served */

/* Install the handlers (SA_RESTART off, so blocking calls return EINTR). */
void sig_setup(void);

#endif
