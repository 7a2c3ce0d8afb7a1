/*
 * outcome.c - what es-bulk does with the result of one _bulk request (see
 * engine_impl.h): per-item verdicts, dead letters of rejected documents,
 * request and item retries with backoff, 413 splits, the errors that end
 * the run, and the one line saying the cluster answers again after an
 * outage.
 */
#include "engine_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "http.h"
#include "log.h"
#include "response.h"
#include "retry.h"
#include "route.h"
#include "timefmt.h"

static void
retry_later(struct batch *b, const struct backoff *bo,
    unsigned attempt, const char *why)
{
	int64_t d = backoff_delay(bo, attempt, backoff_random());

	b->state = B_WAIT;
	b->due_ms = ts_now_ms() + d;
	log_warn("batch %llu: %s; retrying %zu documents in %.1f s (retry %u)",
	    (unsigned long long)b->number, why, b->n, (double)d / 1000, attempt);
}

/* The _index of an item's action line (names hold no quotes). */
static void
item_index(const struct batch *b, const struct item *it, char *out, size_t outlen)
{
	const char *a = b->body.data + it->off, *p, *q;
	size_t n;

	out[0] = '\0';
	p = memmem(a, it->action_len, "\"_index\":\"", 10);
	if (p == NULL)
		return;
	p += 10;
	q = memchr(p, '"', it->action_len - (size_t)(p - a));
	if (q == NULL)
		return;
	n = (size_t)(q - p) < outlen - 1 ? (size_t)(q - p) : outlen - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* After a failed request, counted in b->attempts: 1 when --max-retries is
 * used up (said, and the run ends with 69). */
static int
out_of_retries(struct engine *e, const struct batch *b, const char *host,
    const char *why)
{
	if (e->cfg->max_retries < 0 || b->attempts <= (unsigned)e->cfg->max_retries)
		return 0;
	log_err("%s: %s; giving up after %u retries (--max-retries)", host, why,
	    b->attempts - 1);
	e->fatal = KES_EXIT_UNAVAIL;
	return 1;
}

static void
reject_item(struct engine *e, struct batch *b, const struct item *it,
    int status, const char *type, const char *reason)
{
	char index[ROUTE_INDEX_MAX], t[64], r[400];

	item_index(b, it, index, sizeof(index));
	/* The dead letter keeps the server's reason as it is, the log line
	 * gets it on one line. */
	log_warn("%s:%llu: rejected by the server (%d %s): %s",
	    input_name(e->in, it->src), (unsigned long long)it->lineno, status,
	    response_oneline(t, sizeof(t), type), response_oneline(r, sizeof(r), reason));
	engine_reject_line(e, item_doc(b, it), it->doc_len, 0, it->src, it->lineno,
	    type[0] ? type : "rejected", reason[0] ? reason : "rejected by the server",
	    status, index);
}

static int
ensure_results(struct engine *e, size_t n)
{
	if (n <= e->rescap)
		return 0;
	free(e->res);
	free(e->keep);
	e->res = calloc(n, sizeof(*e->res));
	e->keep = calloc(n, 1);
	e->rescap = e->res && e->keep ? n : 0;
	return e->rescap ? 0 : -1;
}

/* The body of a batch sent gzipped was freed while in flight: get it back
 * from the compressed copy before anything reads the items.  0 or -1
 * (fatal). */
static int
restore_body(struct engine *e, struct batch *b, const struct tx_result *r)
{
	if (!b->shed)
		return 0;
	if (batch_unshed(b, r->wire, r->sent) == 0)
		return 0;
	log_err("batch %llu: cannot restore its body from the gzip copy "
	    "(out of memory?)", (unsigned long long)b->number);
	e->fatal = KES_EXIT_SOFTWARE;
	return -1;
}

/* Items of a 200 response. */
static void
handle_items(struct engine *e, struct batch *b, const struct tx_result *r)
{
	const struct config *cfg = e->cfg;
	char err[256];
	size_t kept = 0, blocked = 0;
	int all_ok;

	if (ensure_results(e, b->n) < 0) {
		e->fatal = KES_EXIT_SOFTWARE;
		return;
	}
	if (r->truncated || response_parse(r->body, r->len, b->n, cfg->op, e->res,
	    &all_ok, err, sizeof(err)) < 0) {
		if (restore_body(e, b, r) < 0)
			return;
		/* Not a usable answer: nothing is known about the items, the
		 * request is retried as after a connection error. */
		if (r->truncated)
			snprintf(err, sizeof(err), "bulk response too large to read");
		response_oneline(err, sizeof(err), err);
		b->attempts++;
		e->st.retries++;
		if (out_of_retries(e, b, r->host_name, err))
			return;
		retry_later(b, &backoff_request, b->attempts, err);
		return;
	}
	b->attempts = 0;
	if (all_ok) {
		e->st.indexed += b->n;
		engine_batch_done(e, b);
		return;
	}
	if (restore_body(e, b, r) < 0)
		return;
	for (size_t i = 0; i < b->n; i++) {
		struct item_result *ir = &e->res[i];

		e->keep[i] = 0;
		switch (ir->verdict) {
		case V_OK:
			e->st.indexed++;
			break;
		case V_REJECT:
			reject_item(e, b, &b->items[i], ir->status, ir->type, ir->reason);
			break;
		case V_RETRY:
		case V_BLOCKED:
			if (cfg->max_retries >= 0 &&
			    b->item_retries + b->blocked >= (unsigned)cfg->max_retries) {
				char why[400];

				snprintf(why, sizeof(why), "still failing after %u retries: %s",
				    b->item_retries + b->blocked, ir->reason);
				reject_item(e, b, &b->items[i], ir->status,
				    "retries_exhausted", why);
				break;
			}
			log_trace("%s:%llu: retrying (%d %s): %s",
			    input_name(e->in, b->items[i].src),
			    (unsigned long long)b->items[i].lineno, ir->status,
			    ir->type, response_oneline(ir->reason, sizeof(ir->reason),
			    ir->reason));
			e->keep[i] = 1;
			kept++;
			blocked += ir->verdict == V_BLOCKED;
			break;
		}
	}
	if (kept == 0) {
		engine_batch_done(e, b);
		return;
	}
	if (batch_keep(b, e->keep) < 0) {
		e->fatal = KES_EXIT_SOFTWARE;
		return;
	}
	e->st.retries += kept;
	if (blocked) {
		b->blocked++;
		retry_later(b, &backoff_blocked, b->blocked,
		    "index blocked (cluster_block_exception)");
	} else {
		char why[128];

		b->item_retries++;
		snprintf(why, sizeof(why), "%zu documents refused for now (%d)",
		    kept, e->res[0].status);
		retry_later(b, &backoff_request, b->item_retries, why);
	}
}

/*
 * An outage: requests that got no answer from the cluster (no connection,
 * or a proxy's 502/503/504).  Each retry is logged where it is decided;
 * the first answer after them is said once: after how long, and what had
 * piled up meanwhile.
 */
static void
outage_track(struct engine *e, const struct tx_result *r)
{
	int64_t now = ts_now_ms();
	uint64_t docs = 0;

	if (r->cc != CURLE_OK || (r->status >= 502 && r->status <= 504)) {
		if (e->outage_ms == 0)
			e->outage_ms = now - (int64_t)(r->seconds * 1000);
		return;
	}
	if (e->outage_ms == 0)
		return;
	for (const struct batch *b = e->head; b; b = b->next)
		if (b->state != B_DONE && b->state != B_FILLING)
			docs += b->n;
	log_info("%s: reachable again after %.1f s; %zu batches (%llu documents) "
	    "were waiting", r->host_name, (double)(now - e->outage_ms) / 1000,
	    e->nsealed, (unsigned long long)docs);
	e->outage_ms = 0;
}

void
outcome_handle(struct engine *e, const struct tx_result *r)
{
	struct batch *b = r->user;
	char type[64], reason[320], why[512];

	e->st.bytes_sent += r->sent;
	log_debug("POST %s/_bulk: batch %llu, %zu docs, %zu bytes (%zu sent) -> %ld in %.3f s",
	    r->host_name, (unsigned long long)b->number, b->n, batch_body_len(b),
	    r->sent, r->status, r->seconds);
	b->state = B_READY;	/* until decided otherwise below */
	outage_track(e, r);
	if ((r->cc != CURLE_OK || r->status != 200) && restore_body(e, b, r) < 0)
		return;
	if (r->cc != CURLE_OK) {
		if (http_tls_fatal(r->cc)) {
			log_err("%s: TLS: %s", r->host_name, r->curl_err);
			e->fatal = KES_EXIT_UNAVAIL;
			return;
		}
		b->attempts++;
		e->st.retries++;
		if (out_of_retries(e, b, r->host_name, r->curl_err))
			return;
		snprintf(why, sizeof(why), "%s: %s", r->host_name, r->curl_err);
		transport_cool(e->tx, r->host, ts_now_ms() +
		    backoff_delay(&backoff_request, b->attempts, backoff_random()));
		retry_later(b, &backoff_request, b->attempts, why);
		return;
	}
	if (r->status == 200) {
		handle_items(e, b, r);
		return;
	}
	response_error(r->body, r->len, type, sizeof(type), reason, sizeof(reason));
	if (r->status == 413) {
		struct batch *nb;

		if (b->n == 1) {
			reject_item(e, b, &b->items[0], 413, "request_too_large",
			    "the document alone is larger than the server accepts "
			    "(http.max_content_length)");
			engine_batch_done(e, b);
			return;
		}
		nb = batch_split(b, ++e->numbers);
		if (nb == NULL) {
			e->fatal = KES_EXIT_SOFTWARE;
			return;
		}
		if (e->tail == b)
			e->tail = nb;
		e->nlist++;
		e->nsealed++;
		log_warn("%s: request too large (413): splitting batch %llu into "
		    "%zu + %zu documents", r->host_name, (unsigned long long)b->number,
		    b->n, nb->n);
		nb->state = B_READY;
		return;
	}
	if (r->status == 401 || (r->status == 403 &&
	    strcmp(type, "cluster_block_exception") != 0)) {
		log_err("%s: authentication failed (%ld)%s%s", r->host_name, r->status,
		    reason[0] ? ": " : "", reason);
		e->fatal = KES_EXIT_NOPERM;
		return;
	}
	if (r->status == 403) {
		b->blocked++;
		e->st.retries++;
		snprintf(why, sizeof(why), "%s: cluster_block_exception: %s", r->host_name,
		    reason);
		retry_later(b, &backoff_blocked, b->blocked, why);
		return;
	}
	if (r->status == 408 || r->status == 429 || r->status >= 500) {
		b->attempts++;
		e->st.retries++;
		snprintf(why, sizeof(why), "HTTP %ld", r->status);
		if (out_of_retries(e, b, r->host_name, why))
			return;
		if (r->status >= 502 && r->status <= 504)
			transport_cool(e->tx, r->host, ts_now_ms() +
			    backoff_delay(&backoff_request, b->attempts, backoff_random()));
		snprintf(why, sizeof(why), "%s: HTTP %ld %s", r->host_name, r->status, type);
		retry_later(b, &backoff_request, b->attempts, why);
		return;
	}
	log_err("%s: bulk request refused (%ld %s: %s)", r->host_name, r->status,
	    type, reason);
	e->fatal = KES_EXIT_UNAVAIL;
}