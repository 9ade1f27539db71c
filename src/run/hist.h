/* Histograms with fixed bucket bounds, as Prometheus shows them: a count
 * per bucket, the sum and the count of what was observed.  No allocation:
 * a histogram is a plain struct, so it lives in a table and is copied
 * across a reload like any counter. */
#ifndef SUPERD_HIST_H
#define SUPERD_HIST_H

#include <stddef.h>

/* Upper bounds a histogram may have, +Inf not counted. */
#define HIST_BOUNDS_MAX 12

/* A set of upper bounds ("le"), increasing; +Inf is implied. */
struct hist_bounds {
	const double *le;
	size_t n; /* at most HIST_BOUNDS_MAX */
};

struct hist {
	unsigned long bucket[HIST_BOUNDS_MAX + 1]; /* not cumulative; the
	                                            * last is +Inf */
	unsigned long count;
	double sum;
};

/* How long handlers ran, in seconds: a quick request to a day-long
 * session. */
extern const struct hist_bounds hist_duration;
/* From accept to the handler's exec, in seconds. */
extern const struct hist_bounds hist_spawn;

/* Counts value v (>= 0) in h, whose bounds are b. */
void hist_observe(struct hist *h, const struct hist_bounds *b, double v);

/* The cumulative count of bucket i (i == b->n: +Inf, the count). */
unsigned long hist_cumulative(const struct hist *h, const struct hist_bounds *b,
    size_t i);

#endif
