/* The Prometheus text format (version 0.0.4) of superd's counters: the
 * same per-service table SIGUSR1 logs (admit.c), the histograms, reloads,
 * dropped log lines and the standard process_* metrics.  Rendering only;
 * the HTTP side is httpd.c. */
#ifndef SUPERD_METRICS_H
#define SUPERD_METRICS_H

#include <stddef.h>

#include "admit.h"
#include "hist.h"

/* What a scrape shows besides the admission table. */
struct metrics_source {
	const struct admit *admit; /* its cfg names the services */
	const struct hist *spawn;  /* accept to exec (hist_spawn) */
	unsigned long reloads_ok;
	unsigned long reloads_failed;
	double start_time; /* superd's start, seconds since the epoch */
};

/* The whole exposition, in a buffer the caller frees; *len gets its
 * length.  NULL (errno ENOMEM) if memory ran out. */
char *metrics_render(const struct metrics_source *m, size_t *len);

#endif
