/*
 * pump_impl.h - the state of buffer-spool's poll loop, shared by the loop
 * itself (pump.c: stdin into the spool, commits, when to stop) and its
 * consumer side (consumer.c: the spool out to stdout or a child, the acks
 * back, the child's restarts).  Private to those two files.
 */
#ifndef KES_SPOOL_PUMP_IMPL_H
#define KES_SPOOL_PUMP_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "ack.h"
#include "child.h"
#include "config.h"
#include "ndjson.h"
#include "progress.h"
#include "spool.h"

#define OBUF_TARGET	((size_t)256 * 1024)	/* bytes read from the spool at once */

/* Lines given to the consumer and not acked: runs of sequence numbers. */
struct seq_run {
	uint64_t first, count;
};

struct runq {
	struct seq_run *r;
	size_t head, len, cap;
};

struct pump {
	const struct config *cfg;
	struct spool *sp;
	struct line_reader in;
	int in_open;
	int sending;			/* pass, forward, drain */
	int out_fd;			/* stdout or the child's stdin; -1 */
	int out_gone;			/* stdout's reader went away (pass) */
	int stdout_fl;			/* stdout's flags to restore, or -1 */
	int ack_fd;			/* -1: none (or closed) */
	int no_acks;			/* pass without --acks */
	char abuf[ACK_LINE_MAX + 8];
	size_t alen;
	int abad;			/* the current ack line is too long */
	char *obuf;
	size_t ocap, olen, ooff;
	uint64_t cursor;		/* last seq put into obuf */
	struct runq q;
	uint64_t lines_out, lines_acked;	/* of the current consumer */
	int64_t commit_due;		/* ms; 0: not armed */
	int64_t ack_deadline;		/* pass: wait for acks until */
	struct child ch;
	int64_t restart_at;
	double delay;
	uint64_t fails;			/* restarts without progress */
	uint64_t progress_mark;		/* synced_upto when the child started */
	int stopping, closing, gave_up, fatal;
	int64_t stop_deadline;
	int rc;
	uint64_t n_read, n_stored, n_blank, n_rejected, n_sent, n_acked, n_starts;
	struct progress progress;	/* drain, on a terminal */
	uint64_t unsynced_at_start;	/* drain: what the line counts down */
};

/* consumer.c */
void session_reset(struct pump *p);		/* a new consumer (or none) */
void fill(struct pump *p);			/* refill the output buffer */
void write_out(struct pump *p);			/* write what the consumer takes */
void close_out(struct pump *p);			/* end the consumer's input */
int read_acks(struct pump *p);			/* 0 data, 1 end, 2 nothing, -1 */
void on_child_exit(struct pump *p, int64_t now);
void manage_child(struct pump *p, int64_t now);	/* reap, restart */
int open_acks(struct pump *p);			/* pass: --acks FD|PATH */

#endif
