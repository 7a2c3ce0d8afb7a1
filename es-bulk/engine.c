/*
 * engine.c - the single-threaded event loop of es-bulk (see engine.h).
 *
 * Batches live in one list in input order.  The last one takes lines
 * (B_FILLING); sealed ones wait for a worker, run, wait for a retry, and end
 * B_DONE when every item is indexed or dead-lettered.  The ack value is the
 * seq_last of the longest run of done batches at the head of the list, so
 * batches that finish out of order are acknowledged only once everything
 * before them is.  Input is read only while fewer than workers + 1 batches
 * are sealed and unresolved: memory stays at a few batches whatever the
 * input size, and a slow cluster slows the reader (back-pressure).
 * What a request's result does to its batch is outcome.c's.
 */
#include "engine.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acks.h"
#include "bulk.h"
#include "deadletter.h"
#include "exitcodes.h"
#include "fdio.h"
#include "input.h"
#include "log.h"
#include "route.h"
#include "sig.h"
#include "stats.h"
#include "template.h"
#include "timefmt.h"
#include "transport.h"

#include "engine_impl.h"

#define DL_TRUNCATED_MAX	((size_t)64 * 1024)

/* ---- dead letter --------------------------------------------------------- */

void
engine_reject_line(struct engine *e, const char *line, size_t len, int truncated,
    uint32_t src, uint64_t lineno, const char *error, const char *reason,
    int status, const char *index)
{
	struct dl_entry d = {
		.line = line, .len = len, .truncated = truncated,
		.source = input_name(e->in, src), .lineno = lineno,
		.error = error, .reason = reason, .status = status, .index = index,
	};

	if (dl_write(e->dl, &d) < 0) {
		e->io_error = 1;
		return;
	}
	e->st.dead_lettered++;
}

/* ---- the batch list ------------------------------------------------------ */

static struct batch *
filling_batch(struct engine *e)
{
	struct batch *b;

	if (e->filling)
		return e->filling;
	b = batch_new(++e->numbers);
	if (b == NULL)
		return NULL;
	b->seq_last = e->tail ? e->tail->seq_last : e->st.resolved;
	if (e->tail)
		e->tail->next = b;
	else
		e->head = b;
	e->tail = b;
	e->filling = b;
	e->nlist++;
	return b;
}

static void
seal(struct engine *e)
{
	struct batch *b = e->filling;

	if (b == NULL)
		return;
	e->filling = NULL;
	if (b->n == 0) {
		b->state = B_DONE;
		return;
	}
	b->state = B_READY;
	e->nsealed++;
	e->st.batches++;
}

void
engine_batch_done(struct engine *e, struct batch *b)
{
	b->state = B_DONE;
	e->nsealed--;
	/* Keep the list entry for the ack order, not the memory. */
	free(b->items);
	b->items = NULL;
	b->n = b->cap = 0;
	buf_free(&b->body);
}

/* Pop done batches from the head; write an ack when the prefix grew. */
static void
advance_acks(struct engine *e)
{
	uint64_t resolved = e->st.resolved;

	while (e->head && e->head->state == B_DONE) {
		struct batch *b = e->head;

		resolved = b->seq_last;
		e->head = b->next;
		if (e->tail == b)
			e->tail = NULL;
		batch_free(b);
		e->nlist--;
	}
	/* Empty and rejected lines of a filling batch with no items yet. */
	if (e->head && e->head == e->filling && e->head->n == 0)
		resolved = e->head->seq_last;
	if (resolved > e->st.resolved) {
		e->st.resolved = resolved;
		if (acks_write(e->acks, resolved) < 0)
			e->io_error = 1;
	}
}

/* ---- input --------------------------------------------------------------- */

/* Take one input line.  Returns 0, or -1 to stop reading. */
static int
take_line(struct engine *e, const struct in_line *l, int toolong)
{
	const struct config *cfg = e->cfg;
	struct route_out ro = { 0 };
	char reason[512], action[BULK_ACTION_MAX];
	const char *error = NULL;
	struct batch *b;
	size_t alen;

	e->st.lines++;
	if (!toolong && lr_blank(l->data, l->len)) {
		e->st.empty++;
		goto covered;
	}
	e->st.read++;
	if (toolong) {
		error = "line_too_long";
		snprintf(reason, sizeof(reason), "line longer than %llu bytes (--max-line)",
		    (unsigned long long)cfg->max_line);
	} else if (input_parse(l->data, l->len, route_keys(e->route), &e->rec, &error,
	    reason, sizeof(reason)) == 0) {
		if (route_record(e->route, &e->rec, l->data, l->len, &ro) < 0) {
			error = ro.error;
			snprintf(reason, sizeof(reason), "%s", ro.reason);
		}
	}
	if (error) {
		log_err("%s:%llu: %s", input_name(e->in, l->src),
		    (unsigned long long)l->lineno, reason);
		if (cfg->strict) {
			log_err("stopping at the first bad line (--strict)");
			e->st.read--;
			e->st.lines--;
			e->strict_stop = 1;
			return -1;
		}
		/* Of an over-long line, the dead letter keeps the start only. */
		engine_reject_line(e, l->data, toolong && l->len > DL_TRUNCATED_MAX ?
		    DL_TRUNCATED_MAX : l->len, toolong, l->src, l->lineno, error,
		    reason, 0, NULL);
		if (e->io_error)
			return -1;
		goto covered;
	}
	if (ro.no_time)
		e->st.no_time++;
	alen = bulk_action(action, cfg->op, ro.index, ro.id);
	b = filling_batch(e);
	if (b && !batch_fits(b, alen + l->len + 1, cfg)) {
		seal(e);
		b = filling_batch(e);
	}
	if (b == NULL || batch_add(b, &(struct item){.seq = l->seq,
	    .lineno = l->lineno, .src = l->src}, action, alen, l->data, l->len) < 0) {
		log_err("out of memory");
		e->fatal = KES_EXIT_SOFTWARE;
		return -1;
	}
	if (b->n == 1)
		b->first_ms = ts_now_ms();
	b->seq_last = l->seq;
	if (b->n >= cfg->batch_docs)
		seal(e);
	return 0;
covered:
	if ((b = filling_batch(e)) == NULL) {
		e->fatal = KES_EXIT_SOFTWARE;
		return -1;
	}
	b->seq_last = l->seq;
	return 0;
}

static int
can_read(const struct engine *e)
{
	return !e->input_done && !e->stopping && !e->fatal && !e->io_error &&
	    e->nsealed <= e->cfg->workers && e->nlist < 4 * e->cfg->workers + 8;
}

/* Take the lines that are buffered, as long as back-pressure allows. */
static void
read_lines(struct engine *e)
{
	struct in_line l;

	e->need_input = 0;
	while (can_read(e)) {
		enum in_status st = input_next(e->in, &l);

		if (st == IN_NEED_MORE) {
			e->need_input = 1;
			return;
		}
		if (st == IN_EOF || st == IN_ERROR) {
			if (st == IN_ERROR)
				e->io_error = 1;
			e->input_done = 1;
			seal(e);
			return;
		}
		if (take_line(e, &l, st == IN_TOOLONG) < 0) {
			e->input_done = 1;
			seal(e);
			return;
		}
	}
}

/* ---- sending ------------------------------------------------------------- */

static void
dry_run_send(struct engine *e, struct batch *b)
{
	if (fd_write_all(STDOUT_FILENO, b->body.data, b->body.len) < 0) {
		if (errno == EPIPE)
			log_err("stdout: the reader went away");
		else
			log_errno("stdout");
		e->io_error = 1;
		return;
	}
	e->st.bytes_sent += b->body.len;
	e->st.requests++;
	e->st.indexed += b->n;
	engine_batch_done(e, b);
}

static void
dispatch(struct engine *e)
{
	int64_t now = ts_now_ms();

	for (struct batch *b = e->head; b && !e->fatal && !e->io_error; b = b->next) {
		if (b->state == B_WAIT && b->due_ms <= now)
			b->state = B_READY;
		if (b->state != B_READY)
			continue;
		if (e->tx == NULL) {
			dry_run_send(e, b);
			continue;
		}
		if (transport_idle(e->tx) == 0)
			return;
		if (transport_send(e->tx, b->body.data, b->body.len, b) < 0) {
			e->fatal = KES_EXIT_SOFTWARE;
			return;
		}
		b->state = B_INFLIGHT;
		e->st.requests++;
		/* Sent gzipped: the transport holds the compressed copy, so
		 * the batch's memory shrinks to that while in flight. */
		if (e->cfg->gzip)
			batch_shed(b);
	}
}

/* ---- the loop ------------------------------------------------------------ */

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* How long the loop may sleep. */
static int
wait_ms(struct engine *e, int64_t now)
{
	int64_t until = now + 1000;

	if (e->filling && e->filling->n > 0)
		until = min64(until, e->filling->first_ms +
		    (int64_t)(e->cfg->flush_interval * 1000));
	for (struct batch *b = e->head; b; b = b->next)
		if (b->state == B_WAIT)
			until = min64(until, b->due_ms);
	if (e->cfg->stats_interval > 0)
		until = min64(until, e->next_stats);
	if (e->stopping)
		until = min64(until, e->stop_deadline);
	if (can_read(e) && !e->need_input)
		return 0;	/* buffered lines wait for no one */
	return until > now ? (int)(until - now) : 0;
}

/* The terminal line: counts, docs/s, and of regular files the share read. */
static void
show_progress(struct engine *e, int final)
{
	const struct stats *st = &e->st;

	progress_show(&e->progress, final, st->indexed, "docs", input_raw_bytes(e->in),
	    input_total_size(e->in), "%llu read, %llu indexed, %llu rejected, %llu pending",
	    (unsigned long long)st->read, (unsigned long long)st->indexed,
	    (unsigned long long)st->dead_lettered,
	    (unsigned long long)(st->read - st->indexed - st->dead_lettered));
}

static void
timers(struct engine *e, int64_t now)
{
	const struct config *cfg = e->cfg;

	if (e->filling && e->filling->n > 0 &&
	    now - e->filling->first_ms >= (int64_t)(cfg->flush_interval * 1000))
		seal(e);
	if (sig_stats) {
		sig_stats = 0;
		e->st.bytes_in = input_bytes(e->in);
		stats_print(&e->st, "stats");
	}
	if (cfg->stats_interval > 0 && now >= e->next_stats) {
		e->st.bytes_in = input_bytes(e->in);
		stats_print(&e->st, "stats");
		e->next_stats = now + (int64_t)(cfg->stats_interval * 1000);
	}
	if (progress_due(&e->progress, now))
		show_progress(e, 0);
	if ((sig_stop || e->io_error) && !e->stopping) {
		/* An I/O error stops the input like a signal: what is in
		 * flight is finished, nothing new is read. */
		e->stopping = 1;
		e->stop_deadline = now + (int64_t)(cfg->shutdown_timeout * 1000);
		seal(e);
		log_info("stopping: finishing %zu batches (at most %.1f s)", e->nsealed,
		    cfg->shutdown_timeout);
	}
}

static int
finished(const struct engine *e, int64_t now)
{
	if (e->fatal || (e->io_error && e->tx == NULL))
		return 1;
	if (e->nsealed == 0 && (e->input_done || e->stopping || e->io_error))
		return 1;
	if (e->stopping && (now >= e->stop_deadline || sig_stop >= 2))
		return 1;
	return 0;
}

static int
loop(struct engine *e)
{
	struct tx_result r;
	int ready;

	for (;;) {
		int64_t now = ts_now_ms();

		if (can_read(e))
			read_lines(e);
		timers(e, now);
		dispatch(e);
		advance_acks(e);
		if (finished(e, now))
			break;
		if (e->tx == NULL) {
			/* --dry-run: nothing in flight, only the input to wait for
			 * (with the same timers as a real run). */
			struct pollfd pfd = {.fd = -1, .events = POLLIN};

			if (e->need_input && can_read(e))
				pfd.fd = input_fd(e->in);
			if (poll(&pfd, 1, wait_ms(e, now)) > 0 && pfd.revents &&
			    input_fill(e->in) < 0)
				e->io_error = 1;
			continue;
		}
		if (transport_wait(e->tx, e->need_input && can_read(e) ?
		    input_fd(e->in) : -1, wait_ms(e, now), &ready) < 0) {
			e->fatal = KES_EXIT_SOFTWARE;
			break;
		}
		while (transport_done(e->tx, &r)) {
			outcome_handle(e, &r);
			transport_release(e->tx, &r);
		}
		if (ready && input_fill(e->in) < 0)
			e->io_error = 1;
		advance_acks(e);
	}
	return 0;
}

static int
exit_code(const struct engine *e)
{
	const struct stats *st = &e->st;
	uint64_t pending = st->read - st->indexed - st->dead_lettered;

	if (e->fatal)
		return e->fatal;
	if (e->io_error)
		return KES_EXIT_IOERR;
	if (pending > 0)
		return KES_EXIT_TEMPFAIL;
	if (e->strict_stop || st->dead_lettered > 0 || input_data_error(e->in))
		return KES_EXIT_DATAERR;
	return KES_EXIT_OK;
}

int
engine_run(const struct config *cfg)
{
	struct engine e = {.cfg = cfg};
	int missing = 0, rc;

	e.st.start_ms = ts_now_ms();
	e.route = route_create(cfg);
	if (e.route == NULL) {
		rc = KES_EXIT_USAGE;
		goto out;
	}
	e.rec.val = calloc(route_keys(e.route)->n + 1, sizeof(*e.rec.val));
	if (e.rec.val == NULL) {
		log_err("out of memory");
		rc = KES_EXIT_SOFTWARE;
		goto out;
	}
	if (!cfg->dry_run && (e.tx = transport_create(cfg)) == NULL) {
		rc = KES_EXIT_SOFTWARE;
		goto out;
	}
	if (cfg->template_only && cfg->dry_run) {
		char *t = template_json(cfg, e.route, 0, NULL);

		rc = t && printf("%s\n", t) > 0 && fflush(stdout) == 0 ?
		    KES_EXIT_OK : KES_EXIT_IOERR;
		free(t);
		goto out;
	}
	if (cfg->template && !cfg->dry_run) {
		rc = template_install(e.tx, cfg, e.route);
		if (rc != KES_EXIT_OK && !cfg->template_only) {
			/* Nothing was read: the stats say so. */
			stats_print(&e.st, "final");
			goto out;
		}
		if (cfg->template_only)
			goto out;
	}
	e.in = input_create(cfg->inputs, cfg->ninputs, cfg->max_line, &missing);
	if (e.in == NULL) {
		rc = missing ? KES_EXIT_NOINPUT : KES_EXIT_SOFTWARE;
		goto out;
	}
	e.dl = dl_create(cfg->dead_letter);
	if (e.dl == NULL) {
		rc = KES_EXIT_SOFTWARE;
		goto out;
	}
	if (cfg->acks && (e.acks = acks_open(cfg->acks)) == NULL) {
		rc = KES_EXIT_IOERR;
		goto out;
	}
	/* a JSON stats line every so often and the progress line would
	 * write over each other: asked for, the stats win */
	progress_init(&e.progress, cfg->progress == PROGRESS_AUTO &&
	    cfg->stats_interval > 0 ? PROGRESS_OFF : (enum progress_mode)cfg->progress);
	e.next_stats = e.st.start_ms + (int64_t)(cfg->stats_interval * 1000);

	loop(&e);

	show_progress(&e, 1);
	e.st.bytes_in = input_bytes(e.in);
	rc = exit_code(&e);
	if (e.stopping || e.fatal) {
		uint64_t pending = e.st.read - e.st.indexed - e.st.dead_lettered;

		if (pending > 0 || e.stopping)
			log_info("%llu input lines resolved, %llu records unresolved",
			    (unsigned long long)e.st.resolved, (unsigned long long)pending);
	}
	stats_print(&e.st, "final");
out:
	if (e.tx)
		transport_abort(e.tx);
	while (e.head) {
		struct batch *b = e.head;

		e.head = b->next;
		batch_free(b);
	}
	free(e.res);
	free(e.keep);
	free(e.rec.val);
	acks_close(e.acks);
	dl_destroy(e.dl);
	input_destroy(e.in);
	transport_destroy(e.tx);
	route_destroy(e.route);
	return rc;
}
