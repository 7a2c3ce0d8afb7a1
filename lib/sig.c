/*
 * sig.c - signal handlers that only set flags (and a forced exit on the
 * third stop signal, for a stuck shutdown).
 */
#include "sig.h"
#include "exitcodes.h"

#include <string.h>
#include <unistd.h>

volatile sig_atomic_t sig_stop;
volatile sig_atomic_t sig_stats;
volatile sig_atomic_t sig_child;

static void
on_stop(int signo)
{
	(void)signo;
	if (sig_stop < 100)
		sig_stop++;
	if (sig_stop >= 3) {
		static const char msg[] = "forced exit on third signal\n";
		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
			_exit(KES_EXIT_TEMPFAIL);
		_exit(KES_EXIT_TEMPFAIL);
	}
}

static void
on_usr1(int signo)
{
	(void)signo;
	sig_stats = 1;
}

static void
on_child(int signo)
{
	(void)signo;
	sig_child = 1;
}

void
sig_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}
