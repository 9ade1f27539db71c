/* Fixed-bound histograms (see hist.h). */
#include "hist.h"

static const double duration_le[] = { 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300,
	3600 };
static const double spawn_le[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
	0.005, 0.01, 0.025, 0.05, 0.1, 0.5 };

const struct hist_bounds hist_duration = { duration_le,
	sizeof(duration_le) / sizeof(duration_le[0]) };
const struct hist_bounds hist_spawn = { spawn_le,
	sizeof(spawn_le) / sizeof(spawn_le[0]) };

void
hist_observe(struct hist *h, const struct hist_bounds *b, double v)
{
	size_t i = 0;

	while (i < b->n && v > b->le[i])
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum += v;
}

unsigned long
hist_cumulative(const struct hist *h, const struct hist_bounds *b, size_t i)
{
	unsigned long n = 0;
	size_t k;

	for (k = 0; k <= i && k <= b->n; k++)
		n += h->bucket[k];
	return n;
}
