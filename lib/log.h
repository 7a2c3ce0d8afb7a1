/*
 * log.h - diagnostics on stderr, one line each, prefixed with the program name.
 *
 * stdout is data only; everything a human reads goes through here.  The level
 * is global: -q lowers it, each -v raises it.
 */
#ifndef KES_LOG_H
#define KES_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERR = 0,	/* always shown, even with -q */
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_INFO = 2,	/* default */
	LOG_LEVEL_DEBUG = 3,	/* -v */
	LOG_LEVEL_TRACE = 4,	/* -vv */
};

void log_init(const char *progname);

/* A progress line (lib/progress) may be on the terminal: a log line first
 * clears it.  ONCE: until the next log line; ALWAYS: every log line (a
 * parent process draws one). */
enum log_clear { LOG_CLEAR_NO, LOG_CLEAR_ONCE, LOG_CLEAR_ALWAYS };
void log_clear_line(enum log_clear mode);
/* Write a ready line (a JSON stats line) to stderr, clearing a progress
 * line first as the log lines do. */
void log_raw(const char *line, size_t len);
const char *log_progname(void);
void log_set_level(int level);
int log_get_level(void);
int log_enabled(int level);

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_errno: like log_err with ": strerror(errno)" appended. */
void log_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
