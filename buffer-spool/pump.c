/*
 * pump.c - the poll loop behind store, pass, forward and drain.
 *
 * stdin is read whenever it has data and every record is appended to the
 * spool; batches are committed every --commit-interval ms, every
 * --commit-records records, when the consumer is waiting for data and at
 * exit.  Only committed records are sent, oldest first, through a
 * non-blocking output (stdout or the child's stdin), so a slow or dead
 * consumer never blocks the producer.  The k-th line given to the current
 * consumer maps to a sequence number through a FIFO of runs of sequence
 * numbers; an ack "N" pops N lines and marks the spool synced up to the
 * sequence of the N-th.  A new consumer starts again at line 1 from the
 * first record not synced.
 */
#include "pump.h"

#include "ack.h"
#include "child.h"
#include "exitcodes.h"
#include "fdio.h"
#include "log.h"
#include "ndjson.h"
#include "opt.h"
#include "sig.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OBUF_TARGET	((size_t)256 * 1024)	/* bytes read from the spool at once */
#define OBUF_RECORDS	4096
#define RESTART_MAX_S	60.0

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
};

static int
runq_push(struct runq *q, uint64_t seq)
{
	if (q->len > 0) {
		struct seq_run *t = &q->r[(q->head + q->len - 1) % q->cap];

		if (t->first + t->count == seq) {
			t->count++;
			return 0;
		}
	}
	if (q->len == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 64;
		struct seq_run *n = malloc(ncap * sizeof(*n));

		if (n == NULL)
			return -1;
		for (size_t i = 0; i < q->len; i++)
			n[i] = q->r[(q->head + i) % q->cap];
		free(q->r);
		q->r = n;
		q->cap = ncap;
		q->head = 0;
	}
	q->r[(q->head + q->len) % q->cap] = (struct seq_run){ seq, 1 };
	q->len++;
	return 0;
}

/* Take n lines off the front; returns the sequence of the last one. */
static uint64_t
runq_pop(struct runq *q, uint64_t n)
{
	uint64_t last = 0;

	while (n > 0 && q->len > 0) {
		struct seq_run *h = &q->r[q->head];
		uint64_t take = n < h->count ? n : h->count;

		last = h->first + take - 1;
		h->first += take;
		h->count -= take;
		n -= take;
		if (h->count == 0) {
			q->head = (q->head + 1) % q->cap;
			q->len--;
		}
	}
	return last;
}

/* A new consumer (or none): forget what the old one was given. */
static void
session_reset(struct pump *p)
{
	p->q.head = p->q.len = 0;
	p->lines_out = p->lines_acked = 0;
	p->olen = p->ooff = 0;
	p->cursor = spool_synced(p->sp);
	p->alen = 0;
	p->abad = 0;
	p->closing = 0;
}

static void
print_stats(const struct pump *p)
{
	uint64_t c = spool_committed(p->sp), s = spool_synced(p->sp);

	dprintf(STDERR_FILENO, "{\"buffer-spool\":\"stats\",\"mode\":\"%s\","
	    "\"read\":%" PRIu64 ",\"stored\":%" PRIu64 ",\"blank\":%" PRIu64
	    ",\"rejected\":%" PRIu64 ",\"sent\":%" PRIu64 ",\"acked\":%" PRIu64
	    ",\"consumer_starts\":%" PRIu64 ",\"last_seq\":%" PRIu64
	    ",\"synced_upto\":%" PRIu64 ",\"unsynced\":%" PRIu64 "}\n",
	    p->cfg->mode_name, p->n_read, p->n_stored, p->n_blank, p->n_rejected,
	    p->n_sent, p->n_acked, p->n_starts, c, s, c - s);
}

static int
commit(struct pump *p)
{
	uint64_t batch = spool_pending(p->sp);

	p->commit_due = 0;
	if (!spool_needs_commit(p->sp))
		return 0;
	if (spool_commit(p->sp) < 0) {
		/* The spool said why (one line) and is as it was before the
		 * batch: its records are not stored. */
		p->n_stored -= batch;
		p->rc = KES_EXIT_IOERR;
		p->fatal = 1;
		return -1;
	}
	return 0;
}

/* One read from stdin, and every complete line into the spool. */
static void
read_input(struct pump *p)
{
	struct lr_line line;
	enum lr_status st;
	ssize_t n;
	int rc;

	n = lr_fill(&p->in);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		log_errno("<stdin>: read");
		p->in_open = 0;
		p->rc = KES_EXIT_IOERR;
		return;
	}
	for (;;) {
		st = lr_next(&p->in, &line);
		if (st == LR_NEED_MORE || st == LR_EOF)
			break;
		p->n_read++;
		if (st == LR_TOOLONG) {
			log_err("<stdin>:%" PRIu64 ": line longer than --max-line "
			    "(%" PRIu64 " bytes): rejected", line.lineno, p->cfg->max_line);
			p->n_rejected++;
			continue;
		}
		if (lr_blank(line.data, line.len)) {
			p->n_blank++;
			continue;
		}
		rc = spool_append(p->sp, line.data, line.len);
		if (rc < 0) {
			log_err("<stdin>:%" PRIu64 ": not stored; stopping", line.lineno);
			p->rc = KES_EXIT_IOERR;
			p->fatal = 1;
			p->in_open = 0;
			return;
		}
		p->n_stored++;
		if (spool_pending(p->sp) >= p->cfg->commit_records && commit(p) < 0)
			return;
	}
	if (n == 0)
		p->in_open = 0;
	if (spool_needs_commit(p->sp) && p->commit_due == 0)
		p->commit_due = ts_now_ms() + (int64_t)p->cfg->commit_ms;
}

static int
fill_cb(void *arg, uint64_t seq, const char *data, size_t len)
{
	struct pump *p = arg;

	if (p->olen + len + 1 > p->ocap) {
		size_t ncap = p->ocap * 2;
		char *nb;

		while (ncap < p->olen + len + 1)
			ncap *= 2;
		nb = realloc(p->obuf, ncap);
		if (nb == NULL)
			return 1;
		p->obuf = nb;
		p->ocap = ncap;
	}
	if (runq_push(&p->q, seq) < 0)
		return 1;
	memcpy(p->obuf + p->olen, data, len);
	p->obuf[p->olen + len] = '\n';
	p->olen += len + 1;
	p->cursor = seq;
	p->lines_out++;
	p->n_sent++;
	return 0;
}

/* Refill the output buffer from the spool when it runs low. */
static void
fill(struct pump *p)
{
	if (p->closing || p->cursor >= spool_committed(p->sp) ||
	    p->olen - p->ooff >= OBUF_TARGET / 4)
		return;
	if (p->ooff > 0) {
		memmove(p->obuf, p->obuf + p->ooff, p->olen - p->ooff);
		p->olen -= p->ooff;
		p->ooff = 0;
	}
	if (spool_read(p->sp, p->cursor, OBUF_RECORDS, OBUF_TARGET, fill_cb, p) < 0) {
		p->rc = KES_EXIT_IOERR;
		p->fatal = 1;
	}
}

static int
on_ack(struct pump *p, uint64_t n)
{
	uint64_t seq;

	if (n > p->lines_out) {
		log_warn("ack %" PRIu64 " is beyond the %" PRIu64 " lines sent: "
		    "ignored", n, p->lines_out);
		return 0;
	}
	if (n <= p->lines_acked)
		return 0;
	seq = runq_pop(&p->q, n - p->lines_acked);
	p->n_acked += n - p->lines_acked;
	p->lines_acked = n;
	if (seq && spool_mark_synced(p->sp, seq) < 0) {
		p->rc = KES_EXIT_IOERR;
		p->fatal = 1;
		return -1;
	}
	if (p->commit_due == 0)
		p->commit_due = ts_now_ms() + (int64_t)p->cfg->commit_ms;
	return 0;
}

/* Read the ack channel once: 0 data, 1 end, 2 nothing now, -1 error. */
static int
read_acks(struct pump *p)
{
	char buf[4096];
	ssize_t n;

	n = read(p->ack_fd, buf, sizeof(buf));
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 2 : -1;
	if (n == 0)
		return 1;
	for (ssize_t i = 0; i < n; i++) {
		uint64_t v;

		if (buf[i] != '\n') {
			if (p->alen < sizeof(p->abuf))
				p->abuf[p->alen++] = buf[i];
			else
				p->abad = 1;
			continue;
		}
		if (p->abad || ack_parse(p->abuf, p->alen, &v) < 0)
			log_warn("ack channel: not an ack line: ignored");
		else if (on_ack(p, v) < 0)
			return -1;
		p->alen = 0;
		p->abad = 0;
	}
	return 0;
}

static void
close_out(struct pump *p)
{
	if (p->out_fd < 0)
		return;
	if (p->ch.pid > 0 || p->ch.in_fd >= 0)
		child_close_stdin(&p->ch);
	else
		close(p->out_fd);
	p->out_fd = -1;
	p->ack_deadline = ts_now_ms() + (int64_t)(p->cfg->stop_timeout * 1000);
}

static void
write_out(struct pump *p)
{
	while (p->out_fd >= 0 && p->ooff < p->olen) {
		ssize_t n = fd_write_some(p->out_fd, p->obuf + p->ooff, p->olen - p->ooff);

		if (n < 0) {
			if (errno == EPIPE) {
				if (p->cfg->mode == MODE_PASS) {
					log_warn("stdout: the reader went away; "
					    "storing only from now on");
					p->out_gone = 1;
				}
			} else {
				log_errno("writing to the consumer");
			}
			close_out(p);
			return;
		}
		if (n == 0)
			return;
		if (p->no_acks) {
			uint64_t lines = 0;

			for (ssize_t i = 0; i < n; i++)
				lines += p->obuf[p->ooff + (size_t)i] == '\n';
			if (lines && on_ack(p, p->lines_acked + lines) < 0)
				return;
		}
		p->ooff += (size_t)n;
	}
}

/* Everything that can be sent is sent and no more input is coming. */
static int
all_sent(const struct pump *p)
{
	return !p->in_open && p->ooff == p->olen &&
	    (p->closing || (p->cursor >= spool_committed(p->sp) &&
	    !spool_needs_commit(p->sp)));
}

static void
begin_stop(struct pump *p, int64_t now)
{
	char *nl;

	p->stopping = 1;
	p->in_open = 0;
	p->stop_deadline = now + (int64_t)(p->cfg->stop_timeout * 1000);
	/* Finish the line being written, send nothing after it. */
	nl = p->ooff < p->olen ? memchr(p->obuf + p->ooff, '\n', p->olen - p->ooff) : NULL;
	if (nl)
		p->olen = (size_t)(nl - p->obuf) + 1;
	p->closing = 1;
}

static void
on_child_exit(struct pump *p, int64_t now)
{
	uint64_t left;
	char how[64];

	if (p->ack_fd >= 0) {
		while (read_acks(p) == 0)
			;
		close(p->ack_fd);
		p->ack_fd = -1;
	}
	if (p->out_fd >= 0 || p->ch.in_fd >= 0)
		child_close_stdin(&p->ch);
	p->out_fd = -1;
	child_describe(&p->ch, how, sizeof(how));
	left = spool_committed(p->sp) - spool_synced(p->sp);
	if (spool_synced(p->sp) > p->progress_mark) {
		p->fails = 0;
		p->delay = p->cfg->restart_delay;
	}
	if (left == 0 && !p->in_open) {
		log_info("%s %s; everything acked", p->cfg->cmd[0], how);
	} else if (p->stopping || p->fatal) {
		log_info("%s %s; %" PRIu64 " records not acked stay in the spool",
		    p->cfg->cmd[0], how, left);
	} else {
		p->fails++;
		if (p->cfg->max_restarts && p->fails > p->cfg->max_restarts) {
			log_err("%s %s; giving up after %" PRIu64 " restarts without "
			    "progress, %" PRIu64 " records not acked stay in the spool",
			    p->cfg->cmd[0], how, p->cfg->max_restarts, left);
			p->gave_up = 1;
		} else {
			log_warn("%s %s with %" PRIu64 " records not acked; "
			    "restarting it in %.1f s", p->cfg->cmd[0], how, left, p->delay);
		}
		p->restart_at = now + (int64_t)(p->delay * 1000);
		p->delay = p->delay * 2 > RESTART_MAX_S ? RESTART_MAX_S : p->delay * 2;
		if (p->delay <= 0)
			p->delay = 0.1;
	}
	session_reset(p);
}

static void
manage_child(struct pump *p, int64_t now)
{
	int fatal, r;

	if (p->ch.pid > 0) {
		r = child_reap(&p->ch);
		if (r == 1) {
			on_child_exit(p, now);
		} else if (p->stopping && now >= p->stop_deadline) {
			child_kill(&p->ch, 2000);
			on_child_exit(p, now);
		}
	}
	if (p->ch.pid > 0 || p->stopping || p->gave_up || p->fatal || now < p->restart_at)
		return;
	/* forward keeps a consumer while input may come; drain only while
	 * something is not acked. */
	if (!p->in_open && spool_synced(p->sp) >= spool_committed(p->sp) &&
	    spool_pending(p->sp) == 0)
		return;
	if (child_start(&p->ch, &fatal) < 0) {
		if (fatal) {
			p->rc = KES_EXIT_UNAVAIL;
			p->fatal = 1;
			return;
		}
		p->restart_at = now + (int64_t)(p->delay * 1000);
		return;
	}
	p->n_starts++;
	session_reset(p);
	p->out_fd = p->ch.in_fd;
	p->ack_fd = p->ch.ack_fd;	/* the pump owns it from here */
	p->ch.ack_fd = -1;
	p->progress_mark = spool_synced(p->sp);
}

static int
done(const struct pump *p, int64_t now)
{
	uint64_t unacked = spool_committed(p->sp) - spool_synced(p->sp);

	if (p->fatal)
		return 1;
	if (p->in_open || spool_needs_commit(p->sp))
		return 0;
	switch (p->cfg->mode) {
	case MODE_STORE:
		return 1;
	case MODE_PASS:
		if (p->out_gone)
			return 1;
		if (p->stopping && (p->out_fd < 0 || now >= p->stop_deadline))
			return 1;
		return p->out_fd < 0 && (p->no_acks || unacked == 0 ||
		    p->ack_fd < 0 || now >= p->ack_deadline);
	default:
		if (p->ch.pid > 0)
			return 0;
		return p->stopping || p->gave_up || unacked == 0;
	}
}

/* pass: where acks come from (--acks FD|PATH). */
static int
open_acks(struct pump *p)
{
	const char *a = p->cfg->acks;
	struct stat st;

	if (a == NULL) {
		p->no_acks = 1;
		log_debug("no --acks: records count as synced once written to stdout");
		return 0;
	}
	if (a[strspn(a, "0123456789")] == '\0') {
		uint64_t fd;

		if (opt_uint("--acks", a, 0, 1 << 20, &fd) < 0)
			return -1;
		p->ack_fd = (int)fd;
		if (fstat(p->ack_fd, &st) < 0) {
			log_errno("--acks %s", a);
			return -1;
		}
		fd_set_nonblock(p->ack_fd, 1);
		return 0;
	}
	if (stat(a, &st) < 0 && errno == ENOENT && mkfifo(a, 0600) < 0) {
		log_errno("--acks %s: cannot create the FIFO", a);
		return -1;
	}
	/* Opened read-write: no EOF when a writer goes away, no blocking
	 * until one comes. */
	p->ack_fd = open(a, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (p->ack_fd < 0) {
		log_errno("--acks %s", a);
		return -1;
	}
	return 0;
}

static int
setup(struct pump *p, const struct config *cfg, struct spool *sp)
{
	struct stat st;

	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->sp = sp;
	p->out_fd = p->ack_fd = p->stdout_fl = -1;
	p->ch.argv = cfg->cmd;
	p->ch.ack_child_fd = cfg->ack_child_fd;
	p->ch.in_fd = p->ch.ack_fd = -1;
	p->delay = cfg->restart_delay > 0 ? cfg->restart_delay : 0.1;
	p->sending = cfg->mode != MODE_STORE;
	p->ocap = OBUF_TARGET * 2;
	p->obuf = malloc(p->ocap);
	if (p->obuf == NULL)
		return -1;
	if (cfg->mode != MODE_DRAIN) {
		if (lr_init(&p->in, STDIN_FILENO, "<stdin>", cfg->max_line) < 0)
			return -1;
		p->in_open = 1;
	}
	if (cfg->mode == MODE_PASS) {
		p->out_fd = STDOUT_FILENO;
		if (fstat(STDOUT_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
			p->stdout_fl = fcntl(STDOUT_FILENO, F_GETFL);
			fd_set_nonblock(STDOUT_FILENO, 1);
		}
		if (open_acks(p) < 0)
			return -1;
	}
	session_reset(p);
	return 0;
}

static int
poll_timeout(const struct pump *p, int64_t now)
{
	int64_t t = p->ch.pid > 0 ? 200 : 1000;

	if (p->commit_due && p->commit_due - now < t)
		t = p->commit_due - now;
	if (p->cfg->cmd && p->ch.pid == 0 && p->restart_at && p->restart_at - now < t)
		t = p->restart_at - now;
	if (p->stopping && p->stop_deadline - now < t)
		t = p->stop_deadline - now;
	if (p->out_fd < 0 && p->ack_deadline && p->ack_deadline - now < t)
		t = p->ack_deadline - now;
	/* More to send and the consumer took everything: go on at once. */
	if (p->out_fd >= 0 && p->ooff == p->olen && !p->closing &&
	    p->cursor < spool_committed(p->sp))
		t = 0;
	return t < 0 ? 0 : (int)t;
}

int
pump_run(const struct config *cfg, struct spool *sp)
{
	struct pump p;
	struct pollfd pfd[3];
	int64_t now;
	int nfd, iin, iout, iack;

	if (setup(&p, cfg, sp) < 0) {
		log_errno("setting up");
		p.rc = KES_EXIT_SOFTWARE;
		goto out;
	}
	for (;;) {
		now = ts_now_ms();
		if (sig_stop && !p.stopping)
			begin_stop(&p, now);
		if (sig_stats) {
			sig_stats = 0;
			print_stats(&p);
		}
		if (cfg->cmd)
			manage_child(&p, now);
		if (spool_needs_commit(sp)) {
			int idle = p.sending && p.ooff == p.olen &&
			    p.cursor >= spool_committed(sp);

			if (p.commit_due == 0)
				p.commit_due = now + (int64_t)cfg->commit_ms;
			if ((now >= p.commit_due || idle || !p.in_open) && commit(&p) < 0)
				break;
		}
		/* Send while the consumer takes it (bounded, so that stdin
		 * and the acks are looked at in between). */
		for (int i = 0; i < 16 && p.out_fd >= 0 && !p.fatal; i++) {
			fill(&p);
			write_out(&p);
			if (p.ooff < p.olen || p.cursor >= spool_committed(sp))
				break;
		}
		if (p.out_fd >= 0 && all_sent(&p))
			close_out(&p);
		if (done(&p, now))
			break;

		nfd = 0;
		iin = iout = iack = -1;
		if (p.in_open) {
			iin = nfd;
			pfd[nfd++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		}
		if (p.out_fd >= 0 && p.ooff < p.olen) {
			iout = nfd;
			pfd[nfd++] = (struct pollfd){ .fd = p.out_fd, .events = POLLOUT };
		}
		if (p.ack_fd >= 0) {
			iack = nfd;
			pfd[nfd++] = (struct pollfd){ .fd = p.ack_fd, .events = POLLIN };
		}
		if (poll(pfd, (nfds_t)nfd, poll_timeout(&p, now)) < 0) {
			if (errno == EINTR)
				continue;
			log_errno("poll");
			p.rc = KES_EXIT_SOFTWARE;
			break;
		}
		if (iin >= 0 && pfd[iin].revents)
			read_input(&p);
		if (iack >= 0 && pfd[iack].revents) {
			int r = read_acks(&p);

			if (r == 1 || r < 0) {
				if (r < 0)
					log_errno("reading acks");
				close(p.ack_fd);
				p.ack_fd = -1;
			}
		}
		(void)iout;
	}
	/* Acks that came in with the end (a consumer that went away). */
	if (p.ack_fd >= 0 && !p.fatal)
		while (read_acks(&p) == 0)
			;
	if (commit(&p) < 0)
		p.rc = KES_EXIT_IOERR;
	if (p.ch.pid > 0) {
		/* A fatal error: the child is not needed any more. */
		child_close_stdin(&p.ch);
		child_kill(&p.ch, (int64_t)(cfg->stop_timeout * 1000));
		on_child_exit(&p, ts_now_ms());
		commit(&p);
	}
	if (p.rc == 0) {
		uint64_t unacked = spool_committed(sp) - spool_synced(sp);

		if (p.gave_up || (p.sending && !p.stopping && unacked > 0))
			p.rc = KES_EXIT_TEMPFAIL;
		else if (p.n_rejected > 0)
			p.rc = KES_EXIT_DATAERR;
	}
out:
	print_stats(&p);
	if (p.stdout_fl >= 0)
		fcntl(STDOUT_FILENO, F_SETFL, p.stdout_fl);
	if (p.ack_fd >= 0)
		close(p.ack_fd);
	child_close_stdin(&p.ch);
	lr_free(&p.in);
	free(p.obuf);
	free(p.q.r);
	return p.rc;
}
