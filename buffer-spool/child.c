/*
 * child.c - fork/exec of the consumer (es-bulk or any command) with its
 * stdin and ack channel wired to pipes, reaping and stopping it.
 *
 * exec failures are reported back over a close-on-exec pipe, so that a
 * mistyped command is a clear error and not a restart loop.
 */
#include "child.h"

#include "fdio.h"
#include "log.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* In the child, after fork: wire the fds and exec; never returns. */
static void
exec_child(const struct child *c, int in_r, int ack_w, int ex_w)
{
	char fdstr[16];
	int e;

	/* Keep the exec-error pipe out of the way of fd ack_child_fd. */
	ex_w = fcntl(ex_w, F_DUPFD_CLOEXEC, 64);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	if (dup2(in_r, STDIN_FILENO) < 0)
		goto fail;
	if (ack_w == c->ack_child_fd) {
		if (fcntl(ack_w, F_SETFD, 0) < 0)
			goto fail;
	} else if (dup2(ack_w, c->ack_child_fd) < 0) {
		goto fail;
	}
	snprintf(fdstr, sizeof(fdstr), "%d", c->ack_child_fd);
	setenv("KES_ACK_FD", fdstr, 1);
	/* lib/progress: the child draws no line of its own */
	if (c->parent_progress)
		setenv("KES_PROGRESS", "parent", 1);
	execvp(c->argv[0], c->argv);
fail:
	e = errno;
	if (ex_w >= 0 && write(ex_w, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int
child_start(struct child *c, int *fatal)
{
	int in[2] = { -1, -1 }, ack[2] = { -1, -1 }, ex[2] = { -1, -1 };
	ssize_t n;
	int e = 0;

	*fatal = 0;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(ack, O_CLOEXEC) < 0 ||
	    pipe2(ex, O_CLOEXEC) < 0) {
		log_errno("pipe");
		goto fail;
	}
	c->pid = fork();
	if (c->pid < 0) {
		log_errno("fork");
		c->pid = 0;
		goto fail;
	}
	if (c->pid == 0)
		exec_child(c, in[0], ack[1], ex[1]);
	close_fd(&in[0]);
	close_fd(&ack[1]);
	close_fd(&ex[1]);
	do {
		n = read(ex[0], &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	close_fd(&ex[0]);
	if (n == (ssize_t)sizeof(e)) {
		log_err("cannot run %s: %s", c->argv[0], strerror(e));
		while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
			;
		c->pid = 0;
		*fatal = 1;
		goto fail;
	}
	fd_set_nonblock(in[1], 1);
	fd_set_nonblock(ack[0], 1);
	c->in_fd = in[1];
	c->ack_fd = ack[0];
	c->started_ms = ts_now_ms();
	log_info("started %s (pid %ld)", c->argv[0], (long)c->pid);
	return 0;
fail:
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&ack[0]);
	close_fd(&ack[1]);
	close_fd(&ex[0]);
	close_fd(&ex[1]);
	return -1;
}

int
child_reap(struct child *c)
{
	pid_t r;

	if (c->pid == 0)
		return 1;
	r = waitpid(c->pid, &c->status, WNOHANG);
	if (r < 0 && errno != EINTR) {
		log_errno("waitpid");
		return -1;
	}
	if (r != c->pid)
		return 0;
	c->pid = 0;
	return 1;
}

void
child_describe(const struct child *c, char *buf, size_t len)
{
	if (WIFEXITED(c->status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(c->status));
	else
		snprintf(buf, len, "stopped (status 0x%x)", (unsigned)c->status);
}

void
child_close_stdin(struct child *c)
{
	close_fd(&c->in_fd);
}

void
child_kill(struct child *c, int64_t grace_ms)
{
	int64_t deadline = ts_now_ms() + grace_ms;
	struct timespec ts = { 0, 50 * 1000000L };

	if (c->pid == 0)
		return;
	kill(c->pid, SIGTERM);
	while (ts_now_ms() < deadline) {
		if (child_reap(c) != 0)
			return;
		nanosleep(&ts, NULL);
	}
	log_warn("%s (pid %ld) did not stop: killing it", c->argv[0], (long)c->pid);
	kill(c->pid, SIGKILL);
	while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
		;
	c->pid = 0;
}
