/*
 * opt.c - strict option parsing helpers and secret resolution.
 */
#include "opt.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
opt_uint(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0' || !isdigit((unsigned char)*s)) {
		log_err("%s '%s': not a number", opt, s ? s : "");
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		log_err("%s '%s': not a number", opt, s);
		return -1;
	}
	if (errno == ERANGE || v > max) {
		log_err("%s '%s': too large (max %llu)", opt, s, (unsigned long long)max);
		return -1;
	}
	if (v < min) {
		log_err("%s '%s': too small (min %llu)", opt, s, (unsigned long long)min);
		return -1;
	}
	*out = v;
	return 0;
}

int
opt_double(const char *opt, const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || !(isdigit((unsigned char)*s) || *s == '.')) {
		log_err("%s '%s': not a number", opt, s ? s : "");
		return -1;
	}
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || errno == ERANGE || !isfinite(v)) {
		log_err("%s '%s': not a number", opt, s);
		return -1;
	}
	if (v < min || v > max) {
		log_err("%s '%s': out of range (%g to %g)", opt, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
opt_size(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char buf[64];
	size_t n;
	uint64_t mult = 1, v;

	if (s == NULL || (n = strlen(s)) == 0 || n >= sizeof(buf)) {
		log_err("%s '%s': not a size", opt, s ? s : "");
		return -1;
	}
	memcpy(buf, s, n + 1);
	switch (tolower((unsigned char)buf[n - 1])) {
	case 'k': mult = 1024ULL; break;
	case 'm': mult = 1024ULL * 1024; break;
	case 'g': mult = 1024ULL * 1024 * 1024; break;
	default: break;
	}
	if (mult != 1)
		buf[n - 1] = '\0';
	if (opt_uint(opt, buf, 0, UINT64_MAX / mult, &v) < 0)
		return -1;
	v *= mult;
	if (v < min || v > max) {
		log_err("%s '%s': out of range (%llu to %llu bytes)", opt, s,
		    (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

const char *
opt_env(const char *name)
{
	const char *v = getenv(name);

	return (v && *v) ? v : NULL;
}

static int
read_secret_file(const char *what, const char *path, char **out)
{
	struct stat st;
	char buf[4096];
	ssize_t n;
	size_t len = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_errno("%s file %s", what, path);
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & (S_IRWXG | S_IRWXO)) &&
	    strncmp(path, "/dev/fd/", 8) != 0 && strncmp(path, "/proc/", 6) != 0)
		log_warn("%s file %s is readable by group or others (mode %03o)",
		    what, path, (unsigned)(st.st_mode & 0777));
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_errno("%s file %s", what, path);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	if (len == 0) {
		log_err("%s file %s: empty", what, path);
		return -1;
	}
	*out = strdup(buf);
	memset(buf, 0, sizeof(buf));
	if (*out == NULL) {
		log_errno("%s", what);
		return -1;
	}
	return 0;
}

int
opt_secret(const char *what, const char *file, const char *argv_value,
    const char *envname, char **out)
{
	const char *env;

	*out = NULL;
	if (file)
		return read_secret_file(what, file, out);
	if (argv_value) {
		log_warn("%s given on the command line is visible to other users "
		    "in ps; prefer %s or a file", what, envname ? envname : "a file");
		*out = strdup(argv_value);
	} else if (envname && (env = opt_env(envname)) != NULL) {
		*out = strdup(env);
	} else {
		return 0;
	}
	if (*out == NULL) {
		log_errno("%s", what);
		return -1;
	}
	return 0;
}

void
opt_secret_free(char *secret)
{
	if (secret == NULL)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}

void
opt_scrub_arg(char *arg)
{
	if (arg)
		memset(arg, '*', strlen(arg));
}
