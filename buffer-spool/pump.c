/*
 * pump.c - the poll loop behind store, pass, forward and drain.
 *
 * stdin is read whenever it has data and every record is appended to the
 * spool; batches are committed every --commit-interval ms, every
 * --commit-records records, when the consumer is waiting for data and at
 * exit.  Only committed records are sent (consumer.c), so a slow or dead
 * consumer never blocks the producer.
 */
#include "pump.h"
#include "pump_impl.h"

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
	if (cfg->mode == MODE_DRAIN) {
		progress_init(&p->progress, (enum progress_mode)cfg->progress);
		p->unsynced_at_start = spool_committed(sp) - spool_synced(sp);
		p->ch.parent_progress = p->progress.on;
	}
	session_reset(p);
	return 0;
}

/* drain's terminal line: records left of those unsynced at the start. */
static void
show_progress(struct pump *p, int final)
{
	uint64_t left = spool_committed(p->sp) - spool_synced(p->sp);
	uint64_t done = p->unsynced_at_start > left ? p->unsynced_at_start - left : 0;

	progress_show(&p->progress, final, done, "records", done, p->unsynced_at_start,
	    "%" PRIu64 " of %" PRIu64 " records left, %" PRIu64 " sent", left,
	    p->unsynced_at_start, p->n_sent);
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
		if (progress_due(&p.progress, now))
			show_progress(&p, 0);
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
	show_progress(&p, 1);
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
