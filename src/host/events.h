/* Every event superd logs, one function each.  This file and events.c are
 * the one list of events that superd(8)'s EVENTS table documents
 * (tests/unit_docs.c holds the two in step, and fails when log_event is
 * called anywhere else).  Each function writes its event in the current
 * log format (log.h): the text line for people or the kv line for
 * programs, quoting the values that may hold blanks itself, so a caller
 * passes plain values and never formats a log line.
 *
 * A new event is a new function here, a row in superd(8), and a call at
 * the one place where it happens. */
#ifndef SUPERD_EVENTS_H
#define SUPERD_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "service.h"

/* Loading and checking the configuration (main.c). */
void event_config_error(const char *err);
void event_config_ok(const char *file);
void event_listen_failed(const char *err);
void event_socket_unmatched(int fd, const char *name);

/* Where a listener came from: how event_listen words it. */
enum event_origin {
	EVENT_OPENED, /* superd bound it */
	EVENT_PASSED, /* the service manager passed it */
	EVENT_KEPT    /* a reload kept it (logged only with -v) */
};
void event_listen(const char *service, const char *address,
    enum event_origin origin);

/* The life of the loop (supervisor*.c). */
void event_ready(size_t services, size_t listeners, unsigned long max_children);
void event_reloading(const char *file);
void event_reload(const char *file, size_t services, size_t listeners,
    size_t kept);
void event_reload_failed(const char *err);
/* The metrics endpoint listens; cannot listen at start; a reload changed
 * its address (kept until restart). */
void event_metrics(const char *address);
void event_metrics_failed(const char *address, int err);
void event_metrics_kept(const char *address);
/* The control socket listens; cannot (fatal: superd stops; else it runs
 * on without one); a handler is killed through it; a service drains or
 * resumes through it. */
void event_control(const char *path);
void event_control_failed(const char *path, const char *reason, bool fatal);
void event_control_kill(const char *service, pid_t pid, const char *sig);
void event_control_drain(const char *service, bool on);
void event_stopping(int sig, size_t running, unsigned long timeout_ms);
void event_kill(const char *reason, const char *words, size_t running);
/* loading: the stop came while the configuration was still being read. */
void event_stopped(bool loading);

/* Connections and handlers. */
void event_accept(const char *service, pid_t pid, const char *peer,
    const char *local);
/* The same behind a balancer: peer from the PROXY header, proxy the
 * balancer the connection came from. */
void event_accept_proxied(const char *service, pid_t pid, const char *peer,
    const char *proxy, const char *local);
/* A wait handler started with the socket at local. */
void event_start(const char *service, pid_t pid, const char *local);
/* Wait handlers leave local as they found it: the next starts after ms;
 * ms 0: one took something, the back-off is over. */
void event_wait_backoff(const char *service, const char *local, int ms);
void event_accept_paused(const char *service, const char *address, int retry_ms,
    int err);
void event_accept_resumed(void);
void event_fork_failed(const char *service, int err);
void event_fork_ok(void);
void event_exec_failed(const char *service, pid_t pid, const char *text);
void event_exit(const char *service, pid_t pid, int status, long long ms);
void event_max_duration_stop(const char *service, pid_t pid,
    unsigned long max_duration_ms);
void event_max_duration_kill(const char *service, pid_t pid,
    unsigned long stop_timeout_ms);

/* A handler's stderr (hstderr.c): one line, with [cont] when it goes on
 * from a line cut before, [cut] when it was cut itself. */
void event_stderr(const char *service, pid_t pid, const char *peer,
    const char *line, bool cont, bool cut);
void event_stderr_suppressed(const char *service, pid_t pid,
    unsigned long count);

/* Limits (admit.c): each state change once, full or clear again. */
void event_limit_max(const char *service, bool full, unsigned long active,
    enum overload action);
void event_limit_children(bool full, unsigned long active);
void event_limit_rate(const char *service, bool full, const struct rate *r,
    enum overload action);
void event_limit_source(const char *service, const char *source, bool full,
    unsigned long active);
/* Connections waiting for a PROXY header reached the service's cap
 * (max_connections), or fell below it again (supervisor_proxy.c). */
void event_limit_proxy(const char *service, bool full, size_t waiting);
/* The TLS relay of a connection (pid) finished its handshake and
 * started the handler (handler): what was agreed, the server name asked
 * for ("" for none), the client certificate's subject ("" for none), and
 * how the bytes flow: "relay", or "ktls" (the kernel). */
void event_tls(const char *service, pid_t pid, pid_t handler,
    const char *version, const char *cipher, const char *sni,
    const char *client, const char *mode);
/* TLS handshakes of a service fail (full: the first of an episode, with
 * the client's address), or one succeeded again after refused failures
 * (refused_tls); logged once per episode. */
void event_tls_refused(const char *service, bool full, const char *peer,
    unsigned long refused);
/* counters: "active=N name=value ..." for every counter of the service. */
void event_stats(const char *service, const char *counters);

/* Writes what waits for stderr, then logs how many lines were dropped
 * because stderr was not read, if any (log_flush). */
void event_flush(void);

#endif
