/* The source table: open addressing with linear probing and
 * backward-shift deletion, so there are no tombstones and lookups stay
 * short however long superd runs. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sources.h"

/* Sources tracked only for their rate, at most: past this, a new source
 * is not rate-limited per source (the service rate still applies). */
#define RATE_ONLY_SOURCES 8192
/* A full table is swept for droppable entries at most this often. */
#define SWEEP_INTERVAL_MS 100

int
sources_init(struct sources *t, unsigned long max_children)
{
	size_t want = 2 * (max_children + RATE_ONLY_SOURCES), cap = 64;

	while (cap < want)
		cap *= 2;
	memset(t, 0, sizeof(*t));
	t->v = calloc(cap, sizeof(*t->v));
	if (t->v == NULL)
		return -1;
	t->cap = cap;
	return 0;
}

void
sources_free(struct sources *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* FNV-1a over the service index and the address bytes. */
static size_t
sources_hash(size_t service, const struct cidr *key)
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *p = key->addr;
	size_t i;

	h = (h ^ service) * 1099511628211ULL;
	h = (h ^ key->family) * 1099511628211ULL;
	for (i = 0; i < sizeof(key->addr); i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return (size_t)h;
}

static bool
sources_same(const struct source *s, size_t service, const struct cidr *key)
{
	return s->service == service && s->key.family == key->family &&
	    memcmp(s->key.addr, key->addr, sizeof(key->addr)) == 0;
}

struct source *
sources_find(struct sources *t, size_t service, const struct cidr *key)
{
	size_t i = sources_hash(service, key) & (t->cap - 1);

	for (; t->v[i].used; i = (i + 1) & (t->cap - 1))
		if (sources_same(&t->v[i], service, key))
			return &t->v[i];
	return NULL;
}

/* Removes slot i, moving later entries of the probe run back into the
 * hole so no lookup ever stops early. */
static void
sources_delete(struct sources *t, size_t i)
{
	size_t j = i, home, mask = t->cap - 1;

	for (;;) {
		t->v[i].used = false;
		for (;;) {
			j = (j + 1) & mask;
			if (!t->v[j].used) {
				t->used--;
				return;
			}
			home =
			    sources_hash(t->v[j].service, &t->v[j].key) & mask;
			/* Stay if home lies cyclically in (i, j]. */
			if (i <= j ? (i < home && home <= j)
			           : (i < home || home <= j))
				continue;
			break;
		}
		t->v[i] = t->v[j];
		i = j;
	}
}

/* Nothing to keep: no handler, and a full bucket (or none). */
static bool
sources_idle(const struct source *s, long long now)
{
	return s->active == 0 &&
	    (s->rate == NULL || bucket_full(&s->bucket, s->rate, now));
}

static void
sources_sweep(struct sources *t, long long now)
{
	size_t i = 0;

	t->swept_ms = now;
	while (i < t->cap) {
		if (t->v[i].used && sources_idle(&t->v[i], now)) {
			sources_delete(t, i);
			continue; /* slot i now holds a moved entry */
		}
		i++;
	}
}

struct source *
sources_get(struct sources *t, size_t service, const struct cidr *key,
    const struct rate *rate, long long now)
{
	struct source *s = sources_find(t, service, key);
	size_t i;

	if (s != NULL) {
		if (rate != NULL)
			s->rate = rate;
		return s;
	}
	if (rate != NULL && t->used >= t->cap / 2) {
		if (now - t->swept_ms >= SWEEP_INTERVAL_MS)
			sources_sweep(t, now);
		if (t->used >= t->cap / 2)
			return NULL;
	}
	i = sources_hash(service, key) & (t->cap - 1);
	while (t->v[i].used)
		i = (i + 1) & (t->cap - 1);
	memset(&t->v[i], 0, sizeof(t->v[i]));
	t->v[i].used = true;
	t->v[i].service = service;
	t->v[i].key = *key;
	t->v[i].rate = rate;
	t->used++;
	return &t->v[i];
}

void
sources_release(struct sources *t, struct source *s, long long now)
{
	if (sources_idle(s, now))
		sources_delete(t, (size_t)(s - t->v));
}
