/*
 * template.h - setting up the cluster before the first write: find out
 * what the server is (GET /: Elasticsearch version, or OpenSearch by
 * version.distribution) and install the index template idempotently
 * (PUT _index_template/NAME, or the legacy PUT _template/NAME on
 * Elasticsearch before 7.8).
 */
#ifndef ESB_TEMPLATE_H
#define ESB_TEMPLATE_H

#include "config.h"
#include "route.h"
#include "transport.h"

/* settings + mappings of the template (mapping.c). */
extern const char esb_template_body[];
/* The properties of sighting records (mapping_sightings.c), added to the
 * body's where it has no field of that name. */
extern const char esb_sightings_properties[];

/*
 * Install the template for names starting with route_literal_prefix(),
 * retrying unreachable hosts like bulk requests do.  Returns KES_EXIT_OK,
 * or the exit code of a fatal failure (already reported).
 */
int template_install(struct transport *t, const struct config *cfg,
    const struct route *r);
/* The request body that would be sent (malloc'd), for --dry-run. */
char *template_json(const struct config *cfg, const struct route *r, int legacy,
    long long *version);

#endif
