/*
 * consumer.c - buffer-spool's consumer side (see pump_impl.h): committed
 * records out of the spool, oldest first, through a non-blocking output
 * (stdout or the child's stdin); the k-th line given to the current consumer
 * maps to a sequence number through a FIFO of runs of sequence numbers, and
 * an ack "N" pops N lines and marks the spool synced up to the sequence of
 * the N-th.  A consumer that exits with lines not acked is started again
 * (doubling delay) from the first record not synced.
 */
#include "pump_impl.h"

#include "exitcodes.h"
#include "fdio.h"
#include "log.h"
#include "opt.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OBUF_RECORDS	4096
#define RESTART_MAX_S	60.0

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
void
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
void
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
int
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

void
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

void
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

void
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

void
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

/* pass: where acks come from (--acks FD|PATH). */
int
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
