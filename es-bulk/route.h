/*
 * route.h - where a record goes: its index name (from record_type and the
 * record's time, or an --index TEMPLATE) and its _id (a hash of the line,
 * a field, or none).  No I/O.
 */
#ifndef ESB_ROUTE_H
#define ESB_ROUTE_H

#include <stddef.h>

#include "config.h"
#include "input.h"

#define ROUTE_INDEX_MAX	256	/* Elasticsearch's limit is 255 bytes */
#define ROUTE_ID_MAX	513	/* ... and 512 bytes for an _id */

struct route;

/* Check the index template and prefix; NULL after printing why not. */
struct route *route_create(const struct config *cfg);
void route_destroy(struct route *r);

struct route_out {
	char index[ROUTE_INDEX_MAX];
	char id[ROUTE_ID_MAX];	/* "" with --no-id */
	int no_time;		/* no usable time: the current month was used */
	const char *error;	/* on failure: a short error code ... */
	char reason[256];	/* ... and a sentence */
};

/* The top-level members route_record() reads (give them to input_parse). */
const struct in_keys *route_keys(const struct route *r);

/*
 * Route one validated record (input_parse() with route_keys()) whose exact
 * line bytes are line/len.  Returns 0, or -1 with out->error and
 * out->reason set (the line is dead-lettered).
 */
int route_record(struct route *r, const struct in_record *rec, const char *line,
    size_t len, struct route_out *out);

/* The literal start of the index names this configuration produces (the
 * index template's pattern is this plus "*"); "" if the names start with a
 * variable part. */
const char *route_literal_prefix(const struct route *r);

#endif
