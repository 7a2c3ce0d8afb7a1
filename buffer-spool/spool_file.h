/*
 * spool_file.h - what the file spool's two halves share: its state and the
 * directory functions (spool_file_dir.c) the operations (spool_file.c)
 * call.  Not used outside these two files.
 */
#ifndef KES_SPOOL_FILE_H
#define KES_SPOOL_FILE_H

#include "spool_impl.h"

#include <stddef.h>
#include <stdint.h>

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

/* "<first, 20 digits>-<ctime>.ndjson" into out (64 bytes suffice). */
void seg_name(char *out, size_t n, const struct segment *s);
int seg_push(struct file_spool *f, const struct segment *s);
uint64_t seg_records(const struct spool *sp, const struct file_spool *f, size_t i);
int sync_dir(struct spool *sp);
void unlink_seg(struct spool *sp, size_t i);
int write_acked(struct spool *sp);
void delete_acked(struct spool *sp);
int fs_dir_load(struct spool *sp, int *exitcode);
int fs_purge(struct spool *sp, unsigned days, uint64_t *removed);
long fs_drop_synced(struct spool *sp, uint64_t want_records, uint64_t want_bytes);

#endif
