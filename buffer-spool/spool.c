/*
 * spool.c - the backend-independent part of the spool: the writer lock,
 * the permission checks, sequence numbers, the size limits and the
 * overflow policy.  The storage itself is in spool_sqlite.c/spool_file.c.
 */
#include "spool_impl.h"

#include "exitcodes.h"
#include "log.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void
spool_datetime(char out[SPOOL_TS_LEN], int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	if (strftime(out, SPOOL_TS_LEN, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		out[0] = '\0';
}

/*
 * Refuse a spool that other users may write to: anyone could then insert
 * records that we would forward, or delete unsynced ones.
 */
static int
check_perms(const char *path, int *exitcode)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	if (st.st_mode & S_IWOTH) {
		log_err("%s: refusing a world-writable spool (mode %03o); "
		    "chmod o-w it", path, (unsigned)(st.st_mode & 0777));
		*exitcode = KES_EXIT_CONFIG;
		return -1;
	}
	return 0;
}

/* Take the writer lock: flock() on "<db>.lock" or "<dir>/lock". */
static int
take_lock(struct spool *sp, int *exitcode)
{
	char path[4096], pid[32];
	ssize_t n;
	int fd, len;

	if (sp->opts.backend == SPOOL_SQLITE)
		len = snprintf(path, sizeof(path), "%s.lock", sp->opts.path);
	else
		len = snprintf(path, sizeof(path), "%s/lock", sp->opts.path);
	if (len < 0 || (size_t)len >= sizeof(path)) {
		log_err("%s: path too long", sp->opts.path);
		*exitcode = KES_EXIT_USAGE;
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_errno("%s: cannot open the lock file", path);
		*exitcode = KES_EXIT_CANTCREAT;
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (e == EWOULDBLOCK)
			log_err("%s: spool is in use by another buffer-spool "
			    "process (pid %s); only 'status' may run beside it",
			    sp->opts.path, pid[0] ? pid : "unknown");
		else
			log_errno("%s: cannot lock", path);
		close(fd);
		*exitcode = KES_EXIT_TEMPFAIL;
		return -1;
	}
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) < 0)
		log_warn("%s: cannot write the pid: %s", path, strerror(errno));
	sp->lock_fd = fd;
	return 0;
}

struct spool *
spool_open(const struct spool_opts *o, int *exitcode)
{
	struct spool *sp;

	sp = calloc(1, sizeof(*sp));
	if (sp == NULL) {
		log_errno("spool");
		*exitcode = KES_EXIT_SOFTWARE;
		return NULL;
	}
	sp->opts = *o;
	sp->lock_fd = -1;
	sp->ops = o->backend == SPOOL_SQLITE ? &spool_sqlite_ops : &spool_file_ops;
	if (o->backend == SPOOL_FILE && o->create && !o->readonly &&
	    mkdir(o->path, 0700) < 0 && errno != EEXIST) {
		log_errno("%s: cannot create the spool directory", o->path);
		*exitcode = KES_EXIT_CANTCREAT;
		goto fail;
	}
	if (access(o->path, F_OK) < 0 &&
	    (o->backend == SPOOL_FILE || !o->create || o->readonly)) {
		log_errno("%s", o->path);
		*exitcode = KES_EXIT_NOINPUT;
		goto fail;
	}
	if (check_perms(o->path, exitcode) < 0)
		goto fail;
	if (!o->readonly && !o->nolock && take_lock(sp, exitcode) < 0)
		goto fail;
	if (sp->ops->open(sp, exitcode) < 0)
		goto fail;
	sp->committed_seq = sp->last_seq;
	return sp;
fail:
	if (sp->lock_fd >= 0)
		close(sp->lock_fd);
	free(sp);
	return NULL;
}

void
spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	sp->ops->close(sp);
	if (sp->lock_fd >= 0)
		close(sp->lock_fd);
	free(sp);
}

static int
over_limit(const struct spool *sp, size_t len)
{
	return (sp->opts.max_records && sp->n_records + 1 > sp->opts.max_records) ||
	    (sp->opts.max_bytes && sp->n_bytes + len + 1 > sp->opts.max_bytes);
}

int
spool_append(struct spool *sp, const char *rec, size_t len)
{
	int rc;

	if (over_limit(sp, len) && sp->opts.on_full == SPOOL_FULL_DROP_SYNCED) {
		/* Make room in chunks, not one record at a time. */
		uint64_t wr = sp->opts.max_records ? sp->opts.max_records / 100 + 1 : 0;
		uint64_t wb = sp->opts.max_bytes ? sp->opts.max_bytes / 100 + len + 1 : 0;

		if (sp->ops->drop_synced(sp, wr, wb) < 0)
			return -1;
	}
	if (over_limit(sp, len)) {
		log_err("%s: spool full (%llu records, %llu bytes held; limits "
		    "--max-records %llu --max-bytes %llu): refusing new records",
		    sp->opts.path, (unsigned long long)sp->n_records,
		    (unsigned long long)sp->n_bytes,
		    (unsigned long long)sp->opts.max_records,
		    (unsigned long long)sp->opts.max_bytes);
		return SPOOL_EFULL;
	}
	rc = sp->ops->append(sp, sp->last_seq + 1, rec, len);
	if (rc < 0)
		return rc;
	sp->last_seq++;
	sp->n_records++;
	sp->n_bytes += len + 1;
	sp->batch_records++;
	sp->batch_bytes += len + 1;
	return 0;
}

int
spool_commit(struct spool *sp)
{
	int rc;

	rc = sp->ops->commit(sp);
	if (rc < 0) {
		sp->ops->rollback(sp);
		sp->last_seq = sp->committed_seq;
		sp->n_records -= sp->batch_records;
		sp->n_bytes -= sp->batch_bytes;
	} else {
		sp->committed_seq = sp->last_seq;
	}
	sp->batch_records = sp->batch_bytes = 0;
	sp->marks_dirty = 0;
	return rc;
}

uint64_t
spool_pending(const struct spool *sp)
{
	return sp->batch_records;
}

int
spool_needs_commit(const struct spool *sp)
{
	return sp->batch_records > 0 || sp->marks_dirty;
}

uint64_t
spool_committed(const struct spool *sp)
{
	return sp->committed_seq;
}

uint64_t
spool_synced(const struct spool *sp)
{
	return sp->synced_upto;
}

long
spool_read(struct spool *sp, uint64_t after, size_t max_records,
    size_t max_bytes, spool_read_cb cb, void *arg)
{
	if (after >= sp->committed_seq)
		return 0;
	return sp->ops->read(sp, after, sp->committed_seq, max_records,
	    max_bytes, cb, arg);
}

int
spool_mark_synced(struct spool *sp, uint64_t upto)
{
	if (upto > sp->committed_seq)
		upto = sp->committed_seq;
	if (upto <= sp->synced_upto)
		return 0;
	if (sp->ops->mark_synced(sp, sp->synced_upto, upto) < 0)
		return -1;
	sp->synced_upto = upto;
	sp->marks_dirty = 1;
	return 0;
}

int
spool_stats(struct spool *sp, struct spool_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->backend = sp->ops->name;
	return sp->ops->stats(sp, st);
}

int
spool_purge(struct spool *sp, unsigned days, uint64_t *removed)
{
	return sp->ops->purge(sp, days, removed);
}
