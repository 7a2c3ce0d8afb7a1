/*
 * fdio.h - writing whole buffers to descriptors, with EINTR, EAGAIN (poll)
 * and EPIPE handled the same way in every tool.
 */
#ifndef KES_FDIO_H
#define KES_FDIO_H

#include <stddef.h>
#include <sys/types.h>

/* Write all of buf.  Returns 0, or -1 with errno (EPIPE when the reader
 * went away).  Waits with poll() on a non-blocking fd. */
int fd_write_all(int fd, const void *buf, size_t len);
/* Write what can be written now without blocking.  Returns bytes written
 * (possibly 0), or -1 with errno. */
ssize_t fd_write_some(int fd, const void *buf, size_t len);
int fd_set_nonblock(int fd, int on);
int fd_set_cloexec(int fd);
/* Create/open a file for appending with mode 0600 (O_CLOEXEC). */
int fd_open_private(const char *path, int extra_flags);

#endif
