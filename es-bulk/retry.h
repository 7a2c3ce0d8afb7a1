/*
 * retry.h - es-bulk's retry policies (the delays themselves: lib/backoff.h).
 */
#ifndef ESB_RETRY_H
#define ESB_RETRY_H

#include "backoff.h"

extern const struct backoff backoff_request;	/* unreachable, 429, 5xx */
extern const struct backoff backoff_blocked;	/* cluster_block_exception */

#endif
