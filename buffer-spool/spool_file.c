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
 */
#include "spool_impl.h"

#include "exitcodes.h"
#include "fdio.h"
#include "log.h"

#include <dirent.h>
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

struct segment {
	uint64_t first;		/* sequence number of its first record */
	int64_t ctime;		/* creation time (from its name) */
	uint64_t size;		/* committed bytes */
};

struct file_spool {
	int dirfd;
	struct segment *seg;
	size_t nseg, segcap;
	int wfd;		/* active segment (the last one), or -1 */
	uint64_t wsize;		/* bytes of the active segment on disk */
	char *wbuf;
	size_t wlen, wcap;
	int created;		/* active segment created in this batch */
	int acked_dirty;
	/* read cursor: next record rseq at roff of segment first=rfirst */
	int rfd;
	uint64_t rfirst, roff, rseq;
	char *rbuf;
	size_t rcap;
};

static void
seg_name(char *out, size_t n, const struct segment *s)
{
	snprintf(out, n, "%020" PRIu64 "-%" PRId64 ".ndjson", s->first, s->ctime);
}

static int
seg_cmp(const void *a, const void *b)
{
	const struct segment *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

static int
seg_push(struct file_spool *f, const struct segment *s)
{
	if (f->nseg == f->segcap) {
		size_t ncap = f->segcap ? f->segcap * 2 : 16;
		struct segment *n = realloc(f->seg, ncap * sizeof(*n));

		if (n == NULL)
			return -1;
		f->seg = n;
		f->segcap = ncap;
	}
	f->seg[f->nseg++] = *s;
	return 0;
}

/* Number of records in segment i (the last one: counted at open). */
static uint64_t
seg_records(const struct spool *sp, const struct file_spool *f, size_t i)
{
	if (i + 1 < f->nseg)
		return f->seg[i + 1].first - f->seg[i].first;
	return sp->last_seq >= f->seg[i].first ? sp->last_seq - f->seg[i].first + 1 : 0;
}

static int
sync_dir(struct spool *sp)
{
	struct file_spool *f = sp->be;

	if (sp->opts.sync == SPOOL_SYNC_FULL && fsync(f->dirfd) < 0) {
		log_errno("%s: fsync", sp->opts.path);
		return -1;
	}
	return 0;
}

static void
unlink_seg(struct spool *sp, size_t i)
{
	struct file_spool *f = sp->be;
	char name[64];

	seg_name(name, sizeof(name), &f->seg[i]);
	if (unlinkat(f->dirfd, name, 0) < 0 && errno != ENOENT)
		log_warn("%s/%s: cannot delete: %s", sp->opts.path, name, strerror(errno));
}

/* Drop segments [0, n) from the list (files already deleted). */
static void
seg_shift(struct file_spool *f, size_t n)
{
	if (n == 0)
		return;
	memmove(f->seg, f->seg + n, (f->nseg - n) * sizeof(*f->seg));
	f->nseg -= n;
}

/* Count complete lines of the last segment; cut a torn tail (writer). */
static int
scan_last(struct spool *sp, struct segment *s, uint64_t *lines)
{
	struct file_spool *f = sp->be;
	char name[64], buf[65536];
	uint64_t off = 0, good = 0, n = 0;
	ssize_t r;
	int fd;

	seg_name(name, sizeof(name), s);
	fd = openat(f->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_errno("%s/%s", sp->opts.path, name);
		return -1;
	}
	while ((r = pread(fd, buf, sizeof(buf), (off_t)off)) > 0) {
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] == '\n') {
				n++;
				good = off + (uint64_t)i + 1;
			}
		off += (uint64_t)r;
	}
	close(fd);
	if (r < 0) {
		log_errno("%s/%s", sp->opts.path, name);
		return -1;
	}
	if (good < off && !sp->opts.readonly) {
		log_warn("%s/%s: cutting %" PRIu64 " bytes of an incomplete last "
		    "record (interrupted write)", sp->opts.path, name, off - good);
		fd = openat(f->dirfd, name, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || ftruncate(fd, (off_t)good) < 0) {
			log_errno("%s/%s: cannot cut", sp->opts.path, name);
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
	}
	s->size = good;
	*lines = n;
	return 0;
}

/*
 * The acked file, as write_acked() writes it: digits and a newline.  0,
 * -1 after an I/O error (reported), -2 when it holds anything else
 * (reported): what it says decides what is deleted, so it is not guessed.
 */
static int
read_acked(struct spool *sp, uint64_t *out)
{
	struct file_spool *f = sp->be;
	char buf[32], *end;
	ssize_t n;
	int fd;

	*out = 0;
	fd = openat(f->dirfd, "acked", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		log_errno("%s/acked", sp->opts.path);
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		log_errno("%s/acked", sp->opts.path);
		return -1;
	}
	buf[n] = '\0';
	errno = 0;
	end = buf;
	if (buf[0] >= '0' && buf[0] <= '9')
		*out = strtoull(buf, &end, 10);
	if (end == buf || errno == ERANGE ||
	    (*end != '\0' && strcmp(end, "\n") != 0)) {
		log_err("%s/acked: the acked file is corrupt (not a record number); "
		    "nothing deleted -- check it, or remove it to send every "
		    "record again", sp->opts.path);
		*out = 0;
		return -2;
	}
	return 0;
}

static int
write_acked(struct spool *sp)
{
	struct file_spool *f = sp->be;
	char buf[32];
	int fd, n;

	n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", sp->synced_upto);
	fd = openat(f->dirfd, "acked.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || fd_write_all(fd, buf, (size_t)n) < 0 ||
	    (sp->opts.sync != SPOOL_SYNC_OFF && fsync(fd) < 0)) {
		log_errno("%s/acked.tmp", sp->opts.path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (renameat(f->dirfd, "acked.tmp", f->dirfd, "acked") < 0) {
		log_errno("%s/acked", sp->opts.path);
		return -1;
	}
	return sync_dir(sp);
}

/* Delete the segments whose records are all synced (never the active
 * one while it is open for writing). */
static void
delete_acked(struct spool *sp)
{
	struct file_spool *f = sp->be;
	size_t n = 0;

	while (n < f->nseg) {
		int active = n + 1 == f->nseg && f->wfd >= 0;
		uint64_t cnt = seg_records(sp, f, n);

		if (active || f->seg[n].first + cnt - 1 > sp->synced_upto || cnt == 0)
			break;
		unlink_seg(sp, n);
		n++;
	}
	if (n > 0) {
		for (size_t i = 0; i < n; i++) {
			uint64_t c = seg_records(sp, f, i);

			sp->n_records -= c < sp->n_records ? c : sp->n_records;
			sp->n_bytes -= f->seg[i].size < sp->n_bytes ? f->seg[i].size : sp->n_bytes;
		}
		seg_shift(f, n);
	}
}

static int
fs_open(struct spool *sp, int *exitcode)
{
	struct file_spool *f;
	struct dirent *de;
	uint64_t lines = 0;
	DIR *d;

	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		*exitcode = KES_EXIT_SOFTWARE;
		return -1;
	}
	sp->be = f;
	f->wfd = f->rfd = -1;
	*exitcode = KES_EXIT_IOERR;
	f->dirfd = open(sp->opts.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0) {
		log_errno("%s", sp->opts.path);
		*exitcode = KES_EXIT_NOINPUT;
		goto fail;
	}
	d = fdopendir(dup(f->dirfd));
	if (d == NULL) {
		log_errno("%s", sp->opts.path);
		goto fail;
	}
	while ((de = readdir(d)) != NULL) {
		struct segment s = { 0 };
		char name[64];
		struct stat st;

		/* Strict: the name must also print back identically (below). */
		if (sscanf(de->d_name, "%20" SCNu64 "-%" SCNd64, &s.first, &s.ctime) != 2) /* NOLINT(cert-err34-c) */
			continue;
		seg_name(name, sizeof(name), &s);
		if (strcmp(name, de->d_name) != 0)
			continue;
		if (fstatat(f->dirfd, name, &st, 0) < 0)
			continue;
		s.size = (uint64_t)st.st_size;
		if (seg_push(f, &s) < 0) {
			closedir(d);
			goto fail;
		}
	}
	closedir(d);
	if (f->nseg > 1)
		qsort(f->seg, f->nseg, sizeof(*f->seg), seg_cmp);
	if (read_acked(sp, &sp->synced_upto) < 0)
		goto fail;
	sp->last_seq = sp->synced_upto;
	/* The last segment with a record says where the records end; an
	 * empty one after it (killed between its creation and the batch's
	 * write) is deleted, then the one before it is scanned. */
	for (size_t i = f->nseg; i > 0; i--) {
		struct segment *last = &f->seg[i - 1];

		if (scan_last(sp, last, &lines) < 0)
			goto fail;
		if (lines > 0) {
			uint64_t end = last->first + lines - 1;

			/* Records are acked only once written: an acked file
			 * past the last one is not trusted to delete anything. */
			if (sp->synced_upto > end) {
				log_err("%s/acked: says %" PRIu64 " records are synced, "
				    "the segments end at %" PRIu64 "; nothing deleted -- "
				    "check it, or remove it to send every record again",
				    sp->opts.path, sp->synced_upto, end);
				goto fail;
			}
			sp->last_seq = end;
			break;
		}
		if (!sp->opts.readonly) {
			unlink_seg(sp, i - 1);
			f->nseg--;
		}
	}
	sp->n_records = f->nseg ? sp->last_seq - f->seg[0].first + 1 : 0;
	for (size_t i = 0; i < f->nseg; i++)
		sp->n_bytes += f->seg[i].size;
	if (!sp->opts.readonly)
		delete_acked(sp);
	return 0;
fail:
	sp->ops->close(sp);
	return -1;
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

static int
fs_purge(struct spool *sp, unsigned days, uint64_t *removed)
{
	struct file_spool *f = sp->be;
	time_t cut = time(NULL) - (time_t)days * 86400;
	uint64_t before = sp->n_records;
	size_t n = 0;

	/* Fully synced segments are deleted as soon as they are acked;
	 * what is left here is what a crash left behind. */
	delete_acked(sp);
	while (n + 1 < f->nseg && f->seg[n + 1].first - 1 <= sp->synced_upto &&
	    f->seg[n].ctime < cut) {
		unlink_seg(sp, n);
		n++;
	}
	seg_shift(f, n);
	sp->n_records = f->nseg ? sp->last_seq - f->seg[0].first + 1 : 0;
	*removed = before - sp->n_records;
	return 0;
}

static long
fs_drop_synced(struct spool *sp, uint64_t want_records, uint64_t want_bytes)
{
	struct file_spool *f = sp->be;
	uint64_t nrec = 0, nbytes = 0;
	size_t n = 0;

	while (n + 1 < f->nseg && f->seg[n + 1].first - 1 <= sp->synced_upto &&
	    (nrec < want_records || nbytes < want_bytes)) {
		nrec += f->seg[n + 1].first - f->seg[n].first;
		nbytes += f->seg[n].size;
		unlink_seg(sp, n);
		n++;
	}
	seg_shift(f, n);
	if (n > 0)
		log_warn("%s: spool limit reached: dropped %" PRIu64 " synced records",
		    sp->opts.path, nrec);
	sp->n_records -= nrec;
	sp->n_bytes -= nbytes;
	return (long)nrec;
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
