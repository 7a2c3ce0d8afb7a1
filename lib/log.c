/*
 * log.c - stderr diagnostics: "prog: message", written with one write(2)
 * per line so lines from several processes sharing a terminal do not mix.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *prog = "kismet-es";
static int level = LOG_LEVEL_INFO;
static enum log_clear clear_mode = LOG_CLEAR_NO;

void
log_clear_line(enum log_clear mode)
{
	if (clear_mode != LOG_CLEAR_ALWAYS)
		clear_mode = mode;
}

void
log_raw(const char *line, size_t len)
{
	if (clear_mode != LOG_CLEAR_NO) {
		if (write(STDERR_FILENO, "\r\033[K", 4) < 0)
			return;
		if (clear_mode == LOG_CLEAR_ONCE)
			clear_mode = LOG_CLEAR_NO;
	}
	if (write(STDERR_FILENO, line, len) < 0)
		return;
}

void
log_init(const char *progname)
{
	const char *slash = strrchr(progname, '/');

	prog = slash ? slash + 1 : progname;
}

const char *
log_progname(void)
{
	return prog;
}

void
log_set_level(int l)
{
	level = l < LOG_LEVEL_ERR ? LOG_LEVEL_ERR : l;
}

int
log_get_level(void)
{
	return level;
}

int
log_enabled(int l)
{
	return l <= level;
}

static void
emit(const char *tag, const char *fmt, va_list ap, int errnum)
{
	char line[4096];
	int n, m;

	n = snprintf(line, sizeof(line), "%s%s: %s",
	    clear_mode != LOG_CLEAR_NO ? "\r\033[K" : "", prog, tag);
	if (clear_mode == LOG_CLEAR_ONCE)
		clear_mode = LOG_CLEAR_NO;
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	/* ap was started by the caller (LOG_FN, log_errno): the analyzer's
	 * valist.Uninitialized here is a known false positive */
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	if (m < 0)
		m = 0;
	n = (size_t)n + (size_t)m >= sizeof(line) - 2 ? (int)sizeof(line) - 2 : n + m;
	if (errnum) {
		m = snprintf(line + n, sizeof(line) - (size_t)n, ": %s",
		    strerror(errnum));
		if (m > 0)
			n = (size_t)n + (size_t)m >= sizeof(line) - 2 ?
			    (int)sizeof(line) - 2 : n + m;
	}
	line[n++] = '\n';
	/* A failing stderr has nowhere to report to: ignore the result. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

#define LOG_FN(name, lvl, tag)					\
	void							\
	name(const char *fmt, ...)				\
	{							\
		va_list ap;					\
		if (!log_enabled(lvl))				\
			return;					\
		va_start(ap, fmt);				\
		emit(tag, fmt, ap, 0);				\
		va_end(ap);					\
	}

LOG_FN(log_err, LOG_LEVEL_ERR, "")
LOG_FN(log_warn, LOG_LEVEL_WARN, "warning: ")
LOG_FN(log_info, LOG_LEVEL_INFO, "")
LOG_FN(log_debug, LOG_LEVEL_DEBUG, "")
LOG_FN(log_trace, LOG_LEVEL_TRACE, "")

void
log_errno(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	emit("", fmt, ap, saved);
	va_end(ap);
	errno = saved;
}
