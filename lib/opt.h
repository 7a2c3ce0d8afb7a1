/*
 * opt.h - command-line helpers shared by the tools: strict number parsing
 * with ranges, environment fallbacks and secrets read from files.
 *
 * Every function that fails has already printed "prog: --opt VALUE: why".
 */
#ifndef KES_OPT_H
#define KES_OPT_H

#include <stdint.h>

/* Parse a whole unsigned decimal number in [min, max].  0 on success, -1 on error. */
int opt_uint(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Parse a non-negative decimal number (seconds etc.) in [min, max]. */
int opt_double(const char *opt, const char *s, double min, double max, double *out);
/* Parse a size with an optional k/m/g suffix (powers of 1024) in [min, max]. */
int opt_size(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* getenv() that treats an empty value as unset. */
const char *opt_env(const char *name);

/*
 * Resolve a secret from, in order: a file (first line, trailing CR/LF
 * stripped; refused if group- or world-readable unless it is a FIFO or a
 * /dev/fd or /proc path), the command line (a warning says it is visible in
 * ps), then the environment variable.  *out is malloc'd or NULL when no source
 * gives a value.  Returns 0, or -1 on error (already reported).
 */
int opt_secret(const char *what, const char *file, const char *argv_value,
    const char *envname, char **out);

/* Overwrite and free a secret. */
void opt_secret_free(char *secret);

/* Hide an option's value in /proc/PID/cmdline (best effort; argv is still
 * visible to anyone who looked before).  Call with argv[i] of the secret. */
void opt_scrub_arg(char *arg);

#endif
