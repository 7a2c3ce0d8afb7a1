/*
 * acks.c - write "N\n" lines to the ack descriptor (acks.h).
 */
#include "acks.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "ack.h"
#include "fdio.h"
#include "log.h"
#include "opt.h"

struct acks {
	int fd;
	int own;		/* opened here: close it */
	const char *spec;
	uint64_t last;
	int failed;
};

struct acks *
acks_open(const char *spec)
{
	struct acks *a = calloc(1, sizeof(*a));
	uint64_t fd;
	const char *p = spec;

	if (a == NULL)
		return NULL;
	a->spec = spec;
	while (*p && isdigit((unsigned char)*p))
		p++;
	if (*spec && *p == '\0') {
		if (opt_uint("--acks", spec, 0, 65535, &fd) < 0)
			goto fail;
		if (fd <= STDERR_FILENO && fd != STDOUT_FILENO) {
			log_err("--acks %s: not usable as the ack channel", spec);
			goto fail;
		}
		if (fcntl((int)fd, F_GETFD) < 0) {
			log_errno("--acks %s: no such open descriptor", spec);
			goto fail;
		}
		a->fd = (int)fd;
		fd_set_cloexec(a->fd);
	} else {
		/* A FIFO blocks here until the reader opens it, as it should. */
		a->fd = open(spec, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (a->fd < 0) {
			log_errno("--acks %s", spec);
			goto fail;
		}
		a->own = 1;
	}
	return a;
fail:
	free(a);
	return NULL;
}

int
acks_write(struct acks *a, uint64_t resolved)
{
	char line[ACK_LINE_MAX];
	size_t n;

	if (a == NULL || resolved <= a->last || a->failed)
		return a && a->failed ? -1 : 0;
	n = ack_format(line, resolved);
	if (fd_write_all(a->fd, line, n) < 0) {
		log_errno("ack channel %s", a->spec);
		a->failed = 1;
		return -1;
	}
	a->last = resolved;
	return 0;
}

void
acks_close(struct acks *a)
{
	if (a == NULL)
		return;
	if (a->own)
		close(a->fd);
	free(a);
}
