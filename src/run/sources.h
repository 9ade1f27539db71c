/* The table of sources (service + address prefix) with their running
 * handlers and their own rate bucket: open addressing, sized once at
 * start-up. */
#ifndef SUPERD_SOURCES_H
#define SUPERD_SOURCES_H

#include <stdbool.h>
#include <stddef.h>

#include "bucket.h"
#include "cidr.h"

struct source {
	size_t service;
	struct cidr key;      /* the peer truncated to the service's prefix */
	unsigned long active; /* running handlers from this source */
	bool over;            /* at max_per_source (for the log) */
	struct bucket bucket; /* for rate_per_source */
	const struct rate *rate; /* its service's rate_per_source, or NULL */
	bool used;
};

struct sources {
	struct source *v;
	size_t cap; /* a power of two */
	size_t used;
	long long swept_ms;
};

/* Makes room for max_children sources with handlers plus a bounded number
 * of rate-only entries.  Returns 0 or -1 (ENOMEM). */
int sources_init(struct sources *t, unsigned long max_children);
void sources_free(struct sources *t);

/* The entry for (service, key), or NULL. */
struct source *sources_find(struct sources *t, size_t service,
    const struct cidr *key);

/*
 * The entry for (service, key), created if missing.  With rate NULL the
 * caller is about to start a handler, and there is always room for that.
 * An entry for a rate (the service's rate_per_source) may be refused
 * (NULL) when the table holds too many sources at once; the caller then
 * lets the connection through.
 */
struct source *sources_get(struct sources *t, size_t service,
    const struct cidr *key, const struct rate *rate, long long now);

/* Drops s if it holds nothing: no handler and a full (or no) bucket. */
void sources_release(struct sources *t, struct source *s, long long now);

#endif
