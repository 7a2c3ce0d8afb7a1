/*
 * acks.h - the ack channel writer (ARCHITECTURE §5, format in lib/ack.h):
 * --acks FD (an inherited descriptor) or --acks PATH (a file or FIFO,
 * opened for writing).  Values written never decrease.
 */
#ifndef ESB_ACKS_H
#define ESB_ACKS_H

#include <stdint.h>

struct acks;

/* NULL after printing why. */
struct acks *acks_open(const char *spec);
/* Write resolved if it is larger than the last value written.  0, or -1
 * on a write error (reported once). */
int acks_write(struct acks *a, uint64_t resolved);
void acks_close(struct acks *a);

#endif
