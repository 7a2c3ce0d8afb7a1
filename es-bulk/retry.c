/*
 * retry.c - es-bulk's retry policies: quick for transient failures, slow
 * for a write-blocked cluster (disk watermark, read-only index).
 */
#include "retry.h"

const struct backoff backoff_request = {.base_ms = 250, .cap_ms = 30000};
const struct backoff backoff_blocked = {.base_ms = 5000, .cap_ms = 120000};
