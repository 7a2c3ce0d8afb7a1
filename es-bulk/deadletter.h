/*
 * deadletter.h - the dead-letter file: one NDJSON object per rejected input
 * line, with the line as a JSON string (escaped; invalid UTF-8 replaced and
 * the exact bytes kept in line_base64), where it came from, why, and when:
 *   {"line":"...","source":"in.ndjson","lineno":3,"error":"invalid_json",
 *    "reason":"...","time":"2025-01-21T16:30:45.123Z"}
 * The file is created (mode 0600, appended to) only when the first line is
 * rejected.
 */
#ifndef ESB_DEADLETTER_H
#define ESB_DEADLETTER_H

#include <stddef.h>
#include <stdint.h>

struct deadletter;

struct dl_entry {
	const char *line;
	size_t len;
	int truncated;		/* only the first len bytes of a longer line */
	const char *source;
	uint64_t lineno;
	const char *error;	/* short code, e.g. invalid_json */
	const char *reason;	/* one sentence */
	int status;		/* HTTP status of a server rejection, or 0 */
	const char *index;	/* target index of a server rejection, or NULL */
};

/* path is not copied.  dl_destroy() closes the file. */
struct deadletter *dl_create(const char *path);
void dl_destroy(struct deadletter *dl);
/* Append one entry (opening the file on first use).  0, or -1 after an
 * I/O error was reported. */
int dl_write(struct deadletter *dl, const struct dl_entry *e);

#endif
