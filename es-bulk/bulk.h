/*
 * bulk.h - one batch: the _bulk request body (action line + document line
 * per item) and, per item, where its input line came from.  No I/O.
 *
 * A batch is also the unit of acknowledgement: it covers every input line
 * after the previous batch's seq_last up to its own seq_last (empty and
 * rejected lines included), and is resolved when all its items are.  Item
 * retries shrink the batch in place (batch_keep), a 413 splits it in two
 * (batch_split); both keep the covered line ranges contiguous.
 */
#ifndef ESB_BULK_H
#define ESB_BULK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"

/* Longest action line: {"create":{"_index":"<255>","_id":"<512 x6>"}}\n */
#define BULK_ACTION_MAX	(64 + 255 + 512 * 6)

struct item {
	uint64_t seq;		/* input line number, counted over all inputs */
	uint64_t lineno;	/* line number within its source */
	uint32_t src;		/* index of the source name */
	uint32_t action_len;	/* bytes of the action line, '\n' included */
	size_t off;		/* where the action line starts in the body */
	size_t doc_len;		/* bytes of the document, without '\n' */
};

enum batch_state {
	B_FILLING,		/* taking input lines */
	B_READY,		/* sealed, waiting for a worker */
	B_INFLIGHT,		/* a request is running */
	B_WAIT,			/* waiting for a retry (due_ms) */
	B_DONE,			/* every item indexed or dead-lettered */
};

struct batch {
	struct batch *next;
	uint64_t number;	/* for log messages */
	uint64_t seq_last;	/* last input line this batch covers */
	struct item *items;
	size_t n, cap;
	struct buf body;
	size_t shed_len;	/* body freed while in flight: its length */
	int shed;		/* (it was sent gzipped; batch_unshed) */
	enum batch_state state;
	int64_t first_ms;	/* when the first line was taken (flush timer) */
	int64_t due_ms;		/* B_WAIT: when to send again */
	unsigned attempts;	/* request-level failures in a row */
	unsigned item_retries;	/* rounds of item-level retries */
	unsigned blocked;	/* rounds of cluster_block_exception */
};

struct batch *batch_new(uint64_t number);
void batch_free(struct batch *b);

/* Format the action line for an item into out (BULK_ACTION_MAX bytes);
 * id may be "" for a server-generated id.  Returns its length. */
size_t bulk_action(char *out, enum esb_op op, const char *index, const char *id);

/* Would an item of this many body bytes still fit the limits? */
int batch_fits(const struct batch *b, size_t bytes, const struct config *cfg);
/* Append an item.  0, or -1 when out of memory. */
int batch_add(struct batch *b, const struct item *meta, const char *action,
    size_t alen, const char *doc, size_t dlen);

static inline const char *
item_doc(const struct batch *b, const struct item *it)
{
	return b->body.data + it->off + it->action_len;
}

/* The body's length, also while it is shed. */
static inline size_t
batch_body_len(const struct batch *b)
{
	return b->shed ? b->shed_len : b->body.len;
}

/* Free the body of a batch in flight whose gzipped copy is held by the
 * transport: most requests succeed and never need it again. */
void batch_shed(struct batch *b);
/* Get the body back from that gzip copy (a response that needs the items,
 * or a retry).  0, or -1 (out of memory, or the copy does not inflate to
 * the same length). */
int batch_unshed(struct batch *b, const char *gz, size_t gzlen);

/* Keep only the items whose keep[i] is set, rebuilding the body.  0 or -1. */
int batch_keep(struct batch *b, const unsigned char *keep);
/* Move the second half of b's items into a new batch placed after b in the
 * list.  Returns the new batch, or NULL (b->n < 2 or out of memory). */
struct batch *batch_split(struct batch *b, uint64_t number);

#endif
