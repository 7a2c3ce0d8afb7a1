/*
 * spool_file.c - the file spool: a directory of append-only NDJSON segment
 * files and a durable committed-offset file.
 *
 *   DIR/<first-seq, 20 digits>-<creation time>.ndjson   the records, in order
 *   DIR/acked      "S\n": every record up to sequence S is synced
 *   DIR/lock       the writer lock
 *
 * A segment's record count is the next segment's first sequence minus its
 * own; only the last (active) segment is scanned at open, and a torn last
 * line (kill -9 in the middle of a write) is cut off there.  Segments whose
 * records are all acked are deleted.
 *
 * This file is the backend's operations: the writer (a batch buffered,
 * written and synced at commit, cut at rollback) and the reader (records
 * by sequence number across segments).  The directory itself (segment
 * list, acked file, recovery at open, deletion) is spool_file_dir.c.
 */
#include "spool_file.h"

#include "exitcodes.h"
#include "fdio.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WBUF_MAX	((size_t)1024 * 1024)
#define RBUF_MIN	((size_t)256 * 1024)

static int
fs_open(struct spool *sp, int *exitcode)
{
	struct file_spool *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		*exitcode = KES_EXIT_SOFTWARE;
		return -1;
	}
	sp->be = f;
	f->wfd = f->rfd = f->dirfd = -1;
	if (fs_dir_load(sp, exitcode) < 0) {
		sp->ops->close(sp);
		return -1;
	}
	return 0;
}

static void
fs_close(struct spool *sp)
{
	struct file_spool *f = sp->be;

	if (f == NULL)
		return;
	if (f->wfd >= 0) {
		if (sp->opts.sync != SPOOL_SYNC_OFF)
			fsync(f->wfd);
		close(f->wfd);
	}
	if (f->rfd >= 0)
		close(f->rfd);
	if (f->dirfd >= 0)
		close(f->dirfd);
	free(f->seg);
	free(f->wbuf);
	free(f->rbuf);
	free(f);
	sp->be = NULL;
}

/* Write the buffered batch to the active segment. */
static int
flush_wbuf(struct spool *sp)
{
	struct file_spool *f = sp->be;

	if (f->wlen == 0)
		return 0;
	if (fd_write_all(f->wfd, f->wbuf, f->wlen) < 0) {
		int err = errno;

		log_errno("%s: writing a segment", sp->opts.path);
		/* Cut what a full disk took of it: the buffer goes in whole
		 * (a later commit) or not at all (rollback). */
		if (ftruncate(f->wfd, (off_t)f->wsize) < 0)
			log_warn("%s: cannot cut a partial write: %s", sp->opts.path,
			    strerror(errno));
		errno = err;
		return -1;
	}
	f->wsize += f->wlen;
	f->wlen = 0;
	return 0;
}

static int
fs_append(struct spool *sp, uint64_t seq, const char *rec, size_t len)
{
	struct file_spool *f = sp->be;

	if (f->wfd < 0) {
		struct segment s = { .first = seq, .ctime = (int64_t)time(NULL) };
		char name[64];

		seg_name(name, sizeof(name), &s);
		f->wfd = openat(f->dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (f->wfd < 0 || seg_push(f, &s) < 0) {
			log_errno("%s/%s: cannot create a segment", sp->opts.path, name);
			if (f->wfd >= 0)
				close(f->wfd);
			f->wfd = -1;
			return errno == ENOSPC || errno == EDQUOT ? SPOOL_EFULL : -1;
		}
		f->wsize = 0;
		f->created = 1;
	}
	if (f->wlen + len + 1 > f->wcap) {
		size_t ncap;
		char *nb;

		if (f->wlen > 0 && f->wlen + len + 1 > WBUF_MAX && flush_wbuf(sp) < 0)
			return errno == ENOSPC || errno == EDQUOT ? SPOOL_EFULL : -1;
		ncap = f->wcap ? f->wcap : 65536;
		while (ncap < f->wlen + len + 1)
			ncap *= 2;
		if (ncap > f->wcap) {
			nb = realloc(f->wbuf, ncap);
			if (nb == NULL) {
				log_errno("%s: buffer", sp->opts.path);
				return -1;
			}
			f->wbuf = nb;
			f->wcap = ncap;
		}
	}
	memcpy(f->wbuf + f->wlen, rec, len);
	f->wbuf[f->wlen + len] = '\n';
	f->wlen += len + 1;
	return 0;
}

static int
fs_commit(struct spool *sp)
{
	struct file_spool *f = sp->be;

	if (f->wfd >= 0) {
		if (flush_wbuf(sp) < 0)
			return -1;
		if (sp->opts.sync == SPOOL_SYNC_FULL && fsync(f->wfd) < 0) {
			log_errno("%s: fsync", sp->opts.path);
			return -1;
		}
		if (f->created && sync_dir(sp) < 0)
			return -1;
		f->created = 0;
		f->seg[f->nseg - 1].size = f->wsize;
		if (f->wsize >= sp->opts.segment_size) {
			/* Seal it: the next record starts a new segment. */
			if (sp->opts.sync != SPOOL_SYNC_OFF && fsync(f->wfd) < 0) {
				log_errno("%s: fsync", sp->opts.path);
				return -1;
			}
			close(f->wfd);
			f->wfd = -1;
		}
	}
	if (f->acked_dirty) {
		if (write_acked(sp) < 0)
			return -1;
		f->acked_dirty = 0;
		/* The batch is committed: spool.c moves committed_seq after
		 * this returns, delete_acked() only needs synced_upto. */
		delete_acked(sp);
	}
	return 0;
}

static void
fs_rollback(struct spool *sp)
{
	struct file_spool *f = sp->be;

	f->wlen = 0;
	if (f->wfd < 0)
		return;
	f->wsize = f->seg[f->nseg - 1].size;
	if (ftruncate(f->wfd, (off_t)f->wsize) < 0)
		log_errno("%s: cannot cut the failed batch", sp->opts.path);
	if (f->created) {
		close(f->wfd);
		f->wfd = -1;
		unlink_seg(sp, f->nseg - 1);
		f->nseg--;
		f->created = 0;
	}
}

/* Index of the segment holding seq, or nseg. */
static size_t
find_seg(const struct file_spool *f, uint64_t seq)
{
	size_t i;

	for (i = f->nseg; i > 0; i--)
		if (f->seg[i - 1].first <= seq)
			return i - 1;
	return f->nseg ? 0 : f->nseg;
}

static int
open_reader(struct spool *sp, size_t i)
{
	struct file_spool *f = sp->be;
	char name[64];

	if (f->rfd >= 0)
		close(f->rfd);
	seg_name(name, sizeof(name), &f->seg[i]);
	f->rfd = openat(f->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (f->rfd < 0) {
		log_errno("%s/%s", sp->opts.path, name);
		return -1;
	}
	f->rfirst = f->seg[i].first;
	f->roff = 0;
	f->rseq = f->seg[i].first;
	return 0;
}

static long
fs_read(struct spool *sp, uint64_t after, uint64_t upto, size_t max_records,
    size_t max_bytes, spool_read_cb cb, void *arg)
{
	struct file_spool *f = sp->be;
	size_t i, bytes = 0;
	long n = 0;

	if (f->rbuf == NULL) {
		f->rbuf = malloc(RBUF_MIN);
		if (f->rbuf == NULL)
			return -1;
		f->rcap = RBUF_MIN;
	}
	i = find_seg(f, after + 1);
	if (i == f->nseg)
		return 0;
	if (f->rfd < 0 || f->rfirst != f->seg[i].first || f->rseq > after + 1) {
		if (open_reader(sp, i) < 0)
			return -1;
	}
	while ((size_t)n < max_records && bytes < max_bytes && f->rseq <= upto) {
		uint64_t end = f->seg[i].size;
		size_t want, have, p = 0;
		ssize_t r;

		if (f->roff >= end) {
			if (i + 1 >= f->nseg)
				break;
			i++;
			if (open_reader(sp, i) < 0)
				return -1;
			continue;
		}
		want = end - f->roff < f->rcap ? (size_t)(end - f->roff) : f->rcap;
		r = pread(f->rfd, f->rbuf, want, (off_t)f->roff);
		if (r <= 0) {
			log_errno("%s: reading a segment", sp->opts.path);
			return -1;
		}
		have = (size_t)r;
		for (;;) {
			char *nl = memchr(f->rbuf + p, '\n', have - p);
			size_t len;

			if (nl == NULL)
				break;
			len = (size_t)(nl - (f->rbuf + p));
			if (f->rseq > after) {
				if (f->rseq > upto || (size_t)n >= max_records || bytes >= max_bytes)
					return n;
				n++;
				bytes += len + 1;
				if (cb(arg, f->rseq, f->rbuf + p, len)) {
					f->rseq++;
					f->roff += len + 1;
					return n;
				}
			}
			f->rseq++;
			p += len + 1;
			f->roff += len + 1;
		}
		if (p == 0) {
			/* A line longer than the buffer: grow it. */
			char *nb = realloc(f->rbuf, f->rcap * 2);

			if (nb == NULL)
				return -1;
			f->rbuf = nb;
			f->rcap *= 2;
		}
	}
	return n;
}

static int
fs_mark_synced(struct spool *sp, uint64_t from, uint64_t upto)
{
	struct file_spool *f = sp->be;

	(void)from;
	(void)upto;
	f->acked_dirty = 1;
	return 0;
}

static int
fs_stats(struct spool *sp, struct spool_stats *st)
{
	struct file_spool *f = sp->be;
	struct spool_group *g = &st->group[0];
	struct stat sb;
	char name[64];

	st->synced_upto = sp->synced_upto;
	st->last_seq = sp->last_seq;
	st->ngroups = 1;
	snprintf(g->name, sizeof(g->name), "records");
	snprintf(g->table, sizeof(g->table), "segments");
	st->total = sp->n_records;
	st->unsynced = sp->last_seq - sp->synced_upto;
	st->bytes = sp->n_bytes;
	if (f->nseg > 0) {
		spool_datetime(st->oldest, f->seg[0].ctime);
		seg_name(name, sizeof(name), &f->seg[f->nseg - 1]);
		if (fstatat(f->dirfd, name, &sb, 0) == 0)
			spool_datetime(st->newest, (int64_t)sb.st_mtime);
		if (st->unsynced > 0) {
			size_t i = find_seg(f, sp->synced_upto + 1);

			spool_datetime(st->oldest_unsynced, f->seg[i].ctime);
		}
	}
	g->total = st->total;
	g->unsynced = st->unsynced;
	memcpy(g->oldest, st->oldest, sizeof(g->oldest));
	memcpy(g->newest, st->newest, sizeof(g->newest));
	return 0;
}

const struct spool_ops spool_file_ops = {
	.name = "file",
	.open = fs_open,
	.close = fs_close,
	.append = fs_append,
	.commit = fs_commit,
	.rollback = fs_rollback,
	.read = fs_read,
	.mark_synced = fs_mark_synced,
	.stats = fs_stats,
	.purge = fs_purge,
	.drop_synced = fs_drop_synced,
};
