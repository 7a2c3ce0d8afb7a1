/*
 * child.h - the consumer child of forward/drain: started with two pipes
 * (its stdin, and the ack channel on an inherited fd), reaped, and
 * restarted with a doubling delay.
 */
#ifndef KES_SPOOL_CHILD_H
#define KES_SPOOL_CHILD_H

#include <stdint.h>
#include <sys/types.h>

struct child {
	char *const *argv;	/* borrowed from the config */
	int ack_child_fd;	/* fd number of the ack channel in the child */
	pid_t pid;		/* 0: not running */
	int in_fd;		/* write end of its stdin, -1 when closed */
	int ack_fd;		/* read end of its ack channel, -1 when closed */
	int64_t started_ms;
	int status;		/* wait status of the last exit */
	int parent_progress;	/* our progress line covers its work */
};

/* Start the child.  0, or -1 (logged) when fork/exec failed: *fatal is set
 * when the command cannot be run at all (not found, not executable). */
int child_start(struct child *c, int *fatal);
/* Reap without blocking: 1 if the child has exited (c->status set,
 * c->pid 0), 0 if it runs, -1 on error. */
int child_reap(struct child *c);
/* Describe c->status ("exited with status 1", "killed by signal 9"). */
void child_describe(const struct child *c, char *buf, size_t len);
void child_close_stdin(struct child *c);
/* Stop a running child: SIGTERM, then SIGKILL after grace_ms. */
void child_kill(struct child *c, int64_t grace_ms);

#endif
