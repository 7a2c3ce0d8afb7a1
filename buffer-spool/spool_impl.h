/*
 * spool_impl.h - what spool.c shares with the two backends: the common
 * part of a spool (sequence numbers, limits, lock) and the backend table.
 * Not used outside the spool_*.c files.
 */
#ifndef KES_SPOOL_IMPL_H
#define KES_SPOOL_IMPL_H

#include "spool.h"

struct spool_ops {
	const char *name;
	/* Open or create; fill in last_seq, committed_seq, synced_upto and,
	 * when limits are set, n_records/n_bytes.  -1 with *exitcode. */
	int (*open)(struct spool *sp, int *exitcode);
	void (*close)(struct spool *sp);
	int (*append)(struct spool *sp, uint64_t seq, const char *rec, size_t len);
	int (*commit)(struct spool *sp);
	/* Roll back the uncommitted batch (after a failed commit). */
	void (*rollback)(struct spool *sp);
	long (*read)(struct spool *sp, uint64_t after, uint64_t upto,
	    size_t max_records, size_t max_bytes, spool_read_cb cb, void *arg);
	int (*mark_synced)(struct spool *sp, uint64_t from, uint64_t upto);
	int (*stats)(struct spool *sp, struct spool_stats *st);
	int (*purge)(struct spool *sp, unsigned days, uint64_t *removed);
	/* Delete the oldest synced records, at least want records or bytes;
	 * updates n_records/n_bytes.  Returns records removed or -1. */
	long (*drop_synced)(struct spool *sp, uint64_t want_records, uint64_t want_bytes);
};

struct spool {
	const struct spool_ops *ops;
	struct spool_opts opts;
	int lock_fd;
	uint64_t last_seq;		/* last sequence number handed out */
	uint64_t committed_seq;		/* last one committed */
	uint64_t synced_upto;		/* in memory; durable at next commit */
	uint64_t n_records, n_bytes;	/* held records, for the limits */
	uint64_t batch_records, batch_bytes;
	int marks_dirty;		/* synced_upto moved since the commit */
	void *be;			/* the backend's state */
};

extern const struct spool_ops spool_sqlite_ops;
extern const struct spool_ops spool_file_ops;

/* "YYYY-MM-DD HH:MM:SS" UTC of a Unix time, as SQLite's datetime(). */
void spool_datetime(char out[SPOOL_TS_LEN], int64_t t);

#endif
