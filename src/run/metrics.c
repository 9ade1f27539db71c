/* Prometheus exposition of superd's state (see metrics.h).  Every number
 * comes from where the log's counters come from, so a scrape and a
 * SIGUSR1 line cannot disagree. */
#include <sys/resource.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logout.h"
#include "metrics.h"
#include "text.h"

#ifndef SUPERD_VERSION
#define SUPERD_VERSION "unknown"
#endif

/* A label value: backslash, double quote and newline escaped, as the
 * format asks.  Service names cannot hold them today; a later name rule
 * must not break the output. */
static const char *
metrics_label(char *buf, size_t len, const char *s)
{
	size_t o = 0;

	for (; *s != '\0' && o + 3 < len; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n')
			buf[o++] = '\\';
		buf[o++] = *s == '\n' ? 'n' : *s;
	}
	buf[o] = '\0';
	return buf;
}

static void
metrics_head(struct text *t, const char *name, const char *type,
    const char *help)
{
	text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One counter or gauge per enabled service, from the admission table. */
static void
metrics_per_service(struct text *t, const struct admit *a, const char *name,
    const char *type, const char *help, enum stat_counter st)
{
	const struct config *cfg = a->cfg;
	char svc[256];
	size_t i;

	metrics_head(t, name, type, help);
	for (i = 0; i < cfg->nservices; i++) {
		if (!cfg->services[i].enabled)
			continue;
		text_printf(t, "%s{service=\"%s\"} %lu\n", name,
		    metrics_label(svc, sizeof(svc), cfg->services[i].name),
		    st == STATS ? admit_active(a, i) : admit_stat(a, i, st));
	}
}

/* A per-service counter with a second label, one value per counter. */
static void
metrics_by_label(struct text *t, const struct admit *a, const char *name,
    const char *label, enum stat_counter first, size_t n,
    const char *const *values)
{
	const struct config *cfg = a->cfg;
	char svc[256];
	size_t i, k;

	for (i = 0; i < cfg->nservices; i++) {
		if (!cfg->services[i].enabled)
			continue;
		metrics_label(svc, sizeof(svc), cfg->services[i].name);
		for (k = 0; k < n; k++)
			text_printf(t, "%s{service=\"%s\",%s=\"%s\"} %lu\n",
			    name, svc, label, values[k],
			    admit_stat(a, i, (enum stat_counter)(first + k)));
	}
}

/* One histogram's lines; labels is "" or `service="x",`. */
static void
metrics_hist(struct text *t, const char *name, const char *labels,
    const struct hist *h, const struct hist_bounds *b)
{
	char set[320] = "";
	size_t i;

	for (i = 0; i < b->n; i++)
		text_printf(t, "%s_bucket{%sle=\"%g\"} %lu\n", name, labels,
		    b->le[i], hist_cumulative(h, b, i));
	text_printf(t, "%s_bucket{%sle=\"+Inf\"} %lu\n", name, labels,
	    h->count);
	/* _sum and _count: the same labels without the trailing comma. */
	if (labels[0] != '\0')
		snprintf(set, sizeof(set), "{%.*s}", (int)strlen(labels) - 1,
		    labels);
	text_printf(t, "%s_sum%s %.6f\n%s_count%s %lu\n", name, set, h->sum,
	    name, set, h->count);
}

static void
metrics_durations(struct text *t, const struct admit *a)
{
	const struct config *cfg = a->cfg;
	char svc[256], labels[300];
	size_t i;

	metrics_head(t, "superd_handler_duration_seconds", "histogram",
	    "How long handlers ran, by service.");
	for (i = 0; i < cfg->nservices; i++) {
		if (!cfg->services[i].enabled)
			continue;
		snprintf(labels, sizeof(labels), "service=\"%s\",",
		    metrics_label(svc, sizeof(svc), cfg->services[i].name));
		metrics_hist(t, "superd_handler_duration_seconds", labels,
		    admit_durations(a, i), &hist_duration);
	}
}

static void
metrics_services(struct text *t, const struct admit *a)
{
	static const char *const outcomes[] = { "ok", "error", "signal" };

	metrics_per_service(t, a, "superd_connections_accepted_total",
	    "counter", "Connections (or wait-mode starts) given a handler.",
	    STAT_ACCEPTED);
	metrics_head(t, "superd_connections_refused_total", "counter",
	    "Connections that got no handler, by reason.");
	metrics_by_label(t, a, "superd_connections_refused_total", "reason",
	    STAT_REFUSED, REFUSALS, admit_reason);
	metrics_per_service(t, a, "superd_handlers_active", "gauge",
	    "Handlers running now.", STATS);
	metrics_head(t, "superd_handler_exits_total", "counter",
	    "Handlers reaped, by how they ended: exit 0, another exit "
	    "status, or a signal.");
	metrics_by_label(t, a, "superd_handler_exits_total", "outcome",
	    STAT_EXITED_OK, 3, outcomes);
	metrics_per_service(t, a, "superd_proxy_full_total", "counter",
	    "Times the connections waiting for a PROXY header reached the "
	    "service's cap (max_connections).",
	    STAT_PROXY_FULL);
	metrics_durations(t, a);
}

/* Resident memory, from /proc/self/statm (kernel-made: reading it never
 * waits on anything outside); 0 if it cannot be read. */
static double
metrics_rss(void)
{
	char buf[128];
	unsigned long size, resident;
	ssize_t n;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%lu %lu", &size, &resident) != 2)
		return 0;
	return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

/* Descriptors open now, the directory's own not counted; -1 if unknown. */
static long
metrics_open_fds(void)
{
	struct dirent *de;
	long n = 0;
	DIR *d = opendir("/proc/self/fd");

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	(void)closedir(d);
	return n - 1;
}

static void
metrics_process(struct text *t, const struct metrics_source *m)
{
	struct rusage ru;
	struct rlimit rl;
	long fds = metrics_open_fds();

	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		metrics_head(t, "process_cpu_seconds_total", "counter",
		    "User and system CPU time spent by superd itself.");
		text_printf(t, "process_cpu_seconds_total %.6f\n",
		    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		        (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) /
		            1e6);
	}
	metrics_head(t, "process_resident_memory_bytes", "gauge",
	    "Resident memory size in bytes.");
	text_printf(t, "process_resident_memory_bytes %.0f\n", metrics_rss());
	if (fds >= 0) {
		metrics_head(t, "process_open_fds", "gauge",
		    "Number of open file descriptors.");
		text_printf(t, "process_open_fds %ld\n", fds);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY) {
		metrics_head(t, "process_max_fds", "gauge",
		    "Maximum number of open file descriptors.");
		text_printf(t, "process_max_fds %lu\n",
		    (unsigned long)rl.rlim_cur);
	}
	metrics_head(t, "process_start_time_seconds", "gauge",
	    "Start time of the process since the epoch, in seconds.");
	text_printf(t, "process_start_time_seconds %.3f\n", m->start_time);
}

static void
metrics_superd(struct text *t, const struct metrics_source *m)
{
	metrics_head(t, "superd_spawn_seconds", "histogram",
	    "From accepting a connection to its handler's exec.");
	metrics_hist(t, "superd_spawn_seconds", "", m->spawn, &hist_spawn);
	metrics_head(t, "superd_config_reloads_total", "counter",
	    "Reloads (SIGHUP), by result.");
	text_printf(t,
	    "superd_config_reloads_total{result=\"success\"} %lu\n"
	    "superd_config_reloads_total{result=\"failure\"} %lu\n",
	    m->reloads_ok, m->reloads_failed);
	metrics_head(t, "superd_log_lines_dropped_total", "counter",
	    "Log lines dropped because stderr was not read.");
	text_printf(t, "superd_log_lines_dropped_total %lu\n",
	    logout_dropped_total());
	metrics_head(t, "superd_build_info", "gauge",
	    "Always 1; the version is in the label.");
	text_printf(t, "superd_build_info{version=\"%s\"} 1\n", SUPERD_VERSION);
}

char *
metrics_render(const struct metrics_source *m, size_t *len)
{
	struct text t = { 0 };

	metrics_services(&t, m->admit);
	metrics_superd(&t, m);
	metrics_process(&t, m);
	if (t.failed) {
		free(t.p);
		errno = ENOMEM;
		return NULL;
	}
	*len = t.len;
	return t.p;
}
