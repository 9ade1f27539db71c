/* Token buckets. */
#include "bucket.h"

static void
bucket_refill(struct bucket *b, const struct rate *r, long long now)
{
	if (!b->primed) {
		b->tokens = (double)r->n;
		b->last_ms = now;
		b->primed = true;
		return;
	}
	b->tokens +=
	    (double)(now - b->last_ms) * (double)r->n / (double)r->per_ms;
	if (b->tokens > (double)r->n)
		b->tokens = (double)r->n;
	b->last_ms = now;
}

bool
bucket_take(struct bucket *b, const struct rate *r, long long now)
{
	bucket_refill(b, r, now);
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

long long
bucket_ready_at(const struct bucket *b, const struct rate *r, long long now)
{
	struct bucket copy = *b;
	double missing;

	bucket_refill(&copy, r, now);
	if (copy.tokens >= 1.0)
		return now;
	missing = 1.0 - copy.tokens;
	/* Round up: waking a millisecond early would find no token. */
	return now + (long long)(missing * (double)r->per_ms / (double)r->n) +
	    1;
}

bool
bucket_full(const struct bucket *b, const struct rate *r, long long now)
{
	struct bucket copy = *b;

	if (!b->primed || r->n == 0)
		return true;
	bucket_refill(&copy, r, now);
	return copy.tokens >= (double)r->n;
}
