/*
 * bulk.c - batch bodies (see bulk.h).  Everything spliced into an action
 * line is JSON-escaped: index names are checked by route.c, but ids taken
 * from a record field can hold anything.
 */
#include "bulk.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct batch *
batch_new(uint64_t number)
{
	struct batch *b = calloc(1, sizeof(*b));

	if (b)
		b->number = number;
	return b;
}

void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	free(b->items);
	buf_free(&b->body);
	free(b);
}

/* Escape s into out as JSON string content; returns bytes written. */
static size_t
escape(char *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			out[o++] = '\\';
			out[o++] = (char)*p;
		} else if (*p < 0x20) {
			memcpy(out + o, "\\u00", 4);
			out[o + 4] = hex[*p >> 4];
			out[o + 5] = hex[*p & 15];
			o += 6;
		} else {
			out[o++] = (char)*p;
		}
	}
	return o;
}

size_t
bulk_action(char *out, enum esb_op op, const char *index, const char *id)
{
	size_t o = 0;
	const char *head = op == ESB_OP_CREATE ? "{\"create\":{\"_index\":\"" :
	    "{\"index\":{\"_index\":\"";

	memcpy(out, head, strlen(head));
	o += strlen(head);
	o += escape(out + o, index);
	out[o++] = '"';
	if (id[0]) {
		memcpy(out + o, ",\"_id\":\"", 8);
		o += 8;
		o += escape(out + o, id);
		out[o++] = '"';
	}
	memcpy(out + o, "}}\n", 3);
	return o + 3;
}

int
batch_fits(const struct batch *b, size_t bytes, const struct config *cfg)
{
	if (b->n >= cfg->batch_docs)
		return 0;
	/* A single item larger than the limit still goes, alone. */
	return b->n == 0 || b->body.len + bytes <= cfg->batch_bytes;
}

int
batch_add(struct batch *b, const struct item *meta, const char *action,
    size_t alen, const char *doc, size_t dlen)
{
	struct item *it;

	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 64;
		struct item *ni = realloc(b->items, ncap * sizeof(*ni));

		if (ni == NULL)
			return -1;
		b->items = ni;
		b->cap = ncap;
	}
	if (buf_reserve(&b->body, alen + dlen + 1) < 0)
		return -1;
	it = &b->items[b->n++];
	*it = *meta;
	it->off = b->body.len;
	it->action_len = (uint32_t)alen;
	it->doc_len = dlen;
	buf_append(&b->body, action, alen);
	buf_append(&b->body, doc, dlen);
	buf_append(&b->body, "\n", 1);
	return 0;
}

int
batch_keep(struct batch *b, const unsigned char *keep)
{
	struct buf nb = {0};
	size_t j = 0;

	for (size_t i = 0; i < b->n; i++) {
		struct item it = b->items[i];
		size_t sz = it.action_len + it.doc_len + 1;

		if (!keep[i])
			continue;
		if (buf_append(&nb, b->body.data + it.off, sz) < 0) {
			buf_free(&nb);
			return -1;
		}
		it.off = nb.len - sz;
		b->items[j++] = it;
	}
	buf_free(&b->body);
	b->body = nb;
	b->n = j;
	return 0;
}

struct batch *
batch_split(struct batch *b, uint64_t number)
{
	struct batch *nb;
	size_t half = b->n / 2;
	unsigned char *keep;

	if (b->n < 2 || (nb = batch_new(number)) == NULL)
		return NULL;
	keep = calloc(b->n, 1);
	if (keep == NULL) {
		batch_free(nb);
		return NULL;
	}
	for (size_t i = half; i < b->n; i++) {
		const struct item *it = &b->items[i];

		if (batch_add(nb, it, b->body.data + it->off, it->action_len,
		    item_doc(b, it), it->doc_len) < 0)
			goto fail;
	}
	for (size_t i = 0; i < half; i++)
		keep[i] = 1;
	if (batch_keep(b, keep) < 0)
		goto fail;
	free(keep);
	nb->seq_last = b->seq_last;
	/* b->n >= 2, so the loop above gave nb at least one item. */
	b->seq_last = nb->items[0].seq - 1;	/* NOLINT(clang-analyzer-core.NullDereference) */
	nb->state = b->state;
	nb->first_ms = b->first_ms;
	nb->next = b->next;
	b->next = nb;
	return nb;
fail:
	free(keep);
	batch_free(nb);
	return NULL;
}

void
batch_shed(struct batch *b)
{
	if (b->shed)
		return;
	b->shed_len = b->body.len;
	buf_free(&b->body);
	b->shed = 1;
}

int
batch_unshed(struct batch *b, const char *gz, size_t gzlen)
{
	z_stream z = {0};
	int zr;

	if (!b->shed)
		return 0;
	if (gz == NULL || b->shed_len > UINT32_MAX || gzlen > UINT32_MAX ||
	    buf_reserve(&b->body, b->shed_len + 1) < 0 ||
	    inflateInit2(&z, 15 + 16) != Z_OK)
		return -1;
	z.next_in = (Bytef *)(uintptr_t)gz;
	z.avail_in = (uInt)gzlen;
	z.next_out = (Bytef *)b->body.data;
	z.avail_out = (uInt)b->shed_len + 1;
	zr = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if (zr != Z_STREAM_END || z.total_out != b->shed_len)
		return -1;
	b->body.len = b->shed_len;
	b->shed = 0;
	return 0;
}
