/* Token buckets: a rate (COUNT per DURATION) as a bucket of COUNT tokens
 * that refills continuously; one token per event.  Used for rate,
 * rate_per_source and stderr_rate. */
#ifndef SUPERD_BUCKET_H
#define SUPERD_BUCKET_H

#include <stdbool.h>

#include "parse.h"

struct bucket {
	double tokens;
	long long last_ms;
	bool primed; /* starts full on first use */
};

/* Refills b for rate r up to now, then takes one token if there is one.
 * Returns true if it took one. */
bool bucket_take(struct bucket *b, const struct rate *r, long long now);

/* When b will next hold a whole token (now if it does). */
long long bucket_ready_at(const struct bucket *b, const struct rate *r,
    long long now);

/* True if b would be full at now: it then carries no state worth keeping. */
bool bucket_full(const struct bucket *b, const struct rate *r, long long now);

#endif
