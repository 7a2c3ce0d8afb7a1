/*
 * spool.h - the durable spool behind buffer-spool: one interface, two
 * backends (SQLite database, directory of NDJSON segment files).
 *
 * Every stored record gets a sequence number, one global counter that only
 * grows.  Records are sent oldest first and acks are cumulative, so the
 * synced records are always a prefix: "synced up to sequence S".  The caller
 * appends records (held in a batch), commits the batch, reads committed
 * records after a sequence number and marks records synced up to one.
 */
#ifndef KES_SPOOL_H
#define KES_SPOOL_H

#include <stddef.h>
#include <stdint.h>

enum spool_backend { SPOOL_SQLITE, SPOOL_FILE };
enum spool_sync { SPOOL_SYNC_OFF, SPOOL_SYNC_NORMAL, SPOOL_SYNC_FULL };
enum spool_onfull { SPOOL_FULL_REFUSE, SPOOL_FULL_DROP_SYNCED };

/* spool_append() result when a limit (or the disk) is full. */
#define SPOOL_EFULL	(-2)

struct spool_opts {
	enum spool_backend backend;
	const char *path;		/* database file or spool directory */
	int readonly;			/* status: no lock, no writes */
	int nolock;			/* take no writer lock (never for writers) */
	int create;			/* create the spool if it does not exist */
	enum spool_sync sync;
	uint64_t max_bytes;		/* 0: no limit */
	uint64_t max_records;		/* 0: no limit */
	enum spool_onfull on_full;
	uint64_t segment_size;		/* file backend: roll segments at this size */
};

/* Timestamps are SQLite datetime() text, "YYYY-MM-DD HH:MM:SS" UTC. */
#define SPOOL_TS_LEN 20

struct spool_group {
	char name[32];			/* "devices", "events", "other" */
	char table[32];			/* where they are: "device_buffer" */
	uint64_t total, unsynced;
	char oldest[SPOOL_TS_LEN], newest[SPOOL_TS_LEN];	/* "" if none */
};

#define SPOOL_MAX_GROUPS 3

struct spool_stats {
	const char *backend;		/* "sqlite" or "file" */
	uint64_t total, unsynced;
	uint64_t bytes;			/* size on disk */
	uint64_t last_seq, synced_upto;
	char oldest[SPOOL_TS_LEN], newest[SPOOL_TS_LEN];
	char oldest_unsynced[SPOOL_TS_LEN];
	size_t ngroups;
	struct spool_group group[SPOOL_MAX_GROUPS];
};

/* Called for each record read; data is valid during the call only.
 * Return 0 to go on, 1 to stop reading. */
typedef int (*spool_read_cb)(void *arg, uint64_t seq, const char *data, size_t len);

struct spool;

/*
 * Open (and with o->create, create) a spool.  Writers take an exclusive
 * lock; a second writer is refused.  Returns NULL with *exitcode set (and
 * the reason already logged).
 */
struct spool *spool_open(const struct spool_opts *o, int *exitcode);
void spool_close(struct spool *sp);

/* Add one record to the current batch.  0, -1 on error (logged), or
 * SPOOL_EFULL when a limit is reached and the policy refuses. */
int spool_append(struct spool *sp, const char *rec, size_t len);
/* Make the batch durable (per the sync policy).  0 or -1 (logged; the
 * batch is lost, the spool stays as it was before the batch). */
int spool_commit(struct spool *sp);
/* Records appended but not committed. */
uint64_t spool_pending(const struct spool *sp);
/* Records appended or marked synced since the last commit. */
int spool_needs_commit(const struct spool *sp);
/* Highest committed sequence number (0: none yet). */
uint64_t spool_committed(const struct spool *sp);
/* Every record up to this sequence number is synced. */
uint64_t spool_synced(const struct spool *sp);

/* Read committed records with sequence > after, oldest first, at most
 * max_records records or about max_bytes bytes.  Returns the number of
 * records passed to cb, or -1. */
long spool_read(struct spool *sp, uint64_t after, size_t max_records,
    size_t max_bytes, spool_read_cb cb, void *arg);
/* Mark every record up to upto synced (made durable by the next commit). */
int spool_mark_synced(struct spool *sp, uint64_t upto);

int spool_stats(struct spool *sp, struct spool_stats *st);
/* Delete synced records created more than days days ago and reclaim the
 * space; never touches unsynced records. */
int spool_purge(struct spool *sp, unsigned days, uint64_t *removed);

#endif
