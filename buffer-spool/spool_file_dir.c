/*
 * spool_file_dir.c - the file spool's directory (see spool_file.c for the
 * layout): the segment list and its names, the acked file, what open
 * finds and recovers (a torn last record, an empty last segment), and
 * deleting segments (all acked, purge, the spool limits).  The writer and
 * the reader are in spool_file.c.
 */
#include "spool_file.h"

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

void
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

int
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
uint64_t
seg_records(const struct spool *sp, const struct file_spool *f, size_t i)
{
	if (i + 1 < f->nseg)
		return f->seg[i + 1].first - f->seg[i].first;
	return sp->last_seq >= f->seg[i].first ? sp->last_seq - f->seg[i].first + 1 : 0;
}

int
sync_dir(struct spool *sp)
{
	struct file_spool *f = sp->be;

	if (sp->opts.sync == SPOOL_SYNC_FULL && fsync(f->dirfd) < 0) {
		log_errno("%s: fsync", sp->opts.path);
		return -1;
	}
	return 0;
}

void
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

int
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
void
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

/* Open the directory and find what it holds: the segments in order, the
 * acked offset, the last record (a torn tail cut, an empty last segment
 * deleted); then delete what is all acked.  -1 with *exitcode. */
int
fs_dir_load(struct spool *sp, int *exitcode)
{
	struct file_spool *f = sp->be;
	struct dirent *de;
	uint64_t lines = 0;
	DIR *d;

	*exitcode = KES_EXIT_IOERR;
	f->dirfd = open(sp->opts.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0) {
		log_errno("%s", sp->opts.path);
		*exitcode = KES_EXIT_NOINPUT;
		return -1;
	}
	d = fdopendir(dup(f->dirfd));
	if (d == NULL) {
		log_errno("%s", sp->opts.path);
		return -1;
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
			return -1;
		}
	}
	closedir(d);
	if (f->nseg > 1)
		qsort(f->seg, f->nseg, sizeof(*f->seg), seg_cmp);
	if (read_acked(sp, &sp->synced_upto) < 0)
		return -1;
	sp->last_seq = sp->synced_upto;
	/* The last segment with a record says where the records end; an
	 * empty one after it (killed between its creation and the batch's
	 * write) is deleted, then the one before it is scanned. */
	for (size_t i = f->nseg; i > 0; i--) {
		struct segment *last = &f->seg[i - 1];

		if (scan_last(sp, last, &lines) < 0)
			return -1;
		if (lines > 0) {
			uint64_t end = last->first + lines - 1;

			/* Records are acked only once written: an acked file
			 * past the last one is not trusted to delete anything. */
			if (sp->synced_upto > end) {
				log_err("%s/acked: says %" PRIu64 " records are synced, "
				    "the segments end at %" PRIu64 "; nothing deleted -- "
				    "check it, or remove it to send every record again",
				    sp->opts.path, sp->synced_upto, end);
				return -1;
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
}

int
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

long
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
