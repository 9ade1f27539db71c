/* Every event superd logs, one function each (see events.h).  Both forms
 * take the same arguments in the same order; an argument that one form
 * does not show is given to it as "%.0s" (log.h). */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>

#include "events.h"
#include "log.h"
#include "logout.h"

/* What an overload action does to new connections, as a key value and
 * as a verb. */
static const char *
event_action(enum overload o)
{
	return o == OVERLOAD_DEFER ? "defer" : "reject";
}

static const char *
event_verb(enum overload o)
{
	return o == OVERLOAD_DEFER ? "deferring" : "refusing";
}

void
event_config_error(const char *err)
{
	char q[LOG_VALUE_MAX];

	log_event("config_error", "error=%s", "%s",
	    log_value(q, sizeof(q), err));
}

void
event_config_ok(const char *file)
{
	char q[LOG_VALUE_MAX];

	log_event("config_ok", "file=%s", "%s: configuration OK",
	    log_value(q, sizeof(q), file));
}

void
event_listen_failed(const char *err)
{
	char q[LOG_VALUE_MAX];

	log_event("listen_failed", "error=%s", "%s",
	    log_value(q, sizeof(q), err));
}

void
event_socket_unmatched(int fd, const char *name)
{
	char q[LOG_VALUE_MAX];

	log_event("socket_unmatched", "fd=%d name=%s",
	    "LISTEN_FDS: fd %d (name \"%s\") matches no service: closing it",
	    fd, log_value(q, sizeof(q), name));
}

void
event_listen(const char *service, const char *address, enum event_origin origin)
{
	switch (origin) {
	case EVENT_KEPT:
		log_event("listen", "service=%s address=%s origin=kept",
		    "%s: keeping %s", service, address);
		break;
	case EVENT_PASSED:
		log_event("listen", "service=%s address=%s origin=passed",
		    "%s: listening on %s (socket passed by the service "
		    "manager)",
		    service, address);
		break;
	default:
		log_event("listen", "service=%s address=%s origin=opened",
		    "%s: listening on %s", service, address);
	}
}

void
event_ready(size_t services, size_t listeners, unsigned long max_children)
{
	log_event("ready", "services=%zu listeners=%zu max_children=%lu",
	    "ready: %zu services on %zu listeners, max_children %lu", services,
	    listeners, max_children);
}

void
event_metrics(const char *address)
{
	log_event("metrics", "address=%s", "metrics on http://%s/metrics",
	    address);
}

void
event_metrics_failed(const char *address, int err)
{
	char q[LOG_VALUE_MAX];

	log_event("metrics_failed", "address=%s error=%s",
	    "metrics: cannot listen on %s: %s", address,
	    log_value(q, sizeof(q), strerror(err)));
}

void
event_metrics_kept(const char *address)
{
	log_event("metrics_kept", "address=%s",
	    "metrics: still on %s; a changed metrics address takes effect at "
	    "restart",
	    address);
}

void
event_control(const char *path)
{
	char q[LOG_VALUE_MAX];

	log_event("control", "path=%s", "control socket on %s",
	    log_value(q, sizeof(q), path));
}

void
event_control_failed(const char *path, const char *reason, bool fatal)
{
	char q[LOG_VALUE_MAX], e[LOG_VALUE_MAX];
	const char *p = log_value(q, sizeof(q), path);
	const char *r = log_value(e, sizeof(e), reason);

	/* The default path taken by another superd is no failure. */
	if (fatal)
		log_event("control_failed", "path=%s error=%s fatal=yes",
		    "control: cannot listen on %s: %s", p, r);
	else
		log_event("control_failed", "path=%s error=%s fatal=no",
		    "control: running without a control socket (%s: %s)", p, r);
}

void
event_control_kill(const char *service, pid_t pid, const char *sig)
{
	log_event("control_kill", "service=%s pid=%d signal=%s",
	    "%s[%d]: %s (superctl kill)", service, (int)pid, sig);
}

void
event_control_drain(const char *service, bool on)
{
	log_event("control_drain", "service=%s %.0sstate=%s%.0s",
	    "%s: %s (superctl %.0s%s)", service,
	    on ? "draining: accepting nothing" : "accepting again",
	    on ? "on" : "off", on ? "drain" : "resume");
}

void
event_reloading(const char *file)
{
	char q[LOG_VALUE_MAX];

	log_event("reloading", "file=%s", "SIGHUP: reloading %s",
	    log_value(q, sizeof(q), file));
}

void
event_reload(const char *file, size_t services, size_t listeners, size_t kept)
{
	char q[LOG_VALUE_MAX];

	log_event("reload", "file=%s services=%zu listeners=%zu kept=%zu",
	    "reloaded %s: %zu services on %zu listeners (%zu kept)",
	    log_value(q, sizeof(q), file), services, listeners, kept);
}

void
event_reload_failed(const char *err)
{
	char q[LOG_VALUE_MAX];

	log_event("reload_failed", "error=%s",
	    "reload failed, keeping the running configuration: %s",
	    log_value(q, sizeof(q), err));
}

void
event_stopping(int sig, size_t running, unsigned long timeout_ms)
{
	log_event("stopping", "signal=%s%.0s running=%zu timeout_ms=%lu",
	    "stopping (%.0s%s): %zu handlers running, waiting up to %lums",
	    sigabbrev_np(sig), strsignal(sig), running, timeout_ms);
}

void
event_kill(const char *reason, const char *words, size_t running)
{
	log_event("kill", "reason=%s%.0s running=%zu",
	    "%.0s%s: killing %zu handlers", reason, words, running);
}

void
event_stopped(bool loading)
{
	if (loading)
		log_event("stopped", NULL, "stopped while loading");
	else
		log_event("stopped", NULL, "stopped");
}

void
event_accept(const char *service, pid_t pid, const char *peer,
    const char *local)
{
	log_event("accept", "service=%s pid=%d peer=%s local=%s",
	    "%s[%d]: connection from %s to %s", service, (int)pid, peer, local);
}

void
event_accept_proxied(const char *service, pid_t pid, const char *peer,
    const char *proxy, const char *local)
{
	log_event("accept", "service=%s pid=%d peer=%s proxy=%s local=%s",
	    "%s[%d]: connection from %s via %s to %s", service, (int)pid, peer,
	    proxy, local);
}

void
event_start(const char *service, pid_t pid, const char *local)
{
	log_event("start", "service=%s pid=%d local=%s",
	    "%s[%d]: started for %s (wait)", service, (int)pid, local);
}

void
event_wait_backoff(const char *service, const char *local, int ms)
{
	if (ms != 0)
		log_event("wait_backoff",
		    "state=full service=%s local=%s delay_ms=%d",
		    "%s: handler left %s untouched at once: next start in "
		    "%dms",
		    service, local, ms);
	else
		log_event("wait_backoff", "state=clear service=%s local=%s",
		    "%s: a handler took from %s: starting at once again",
		    service, local);
}

void
event_accept_paused(const char *service, const char *address, int retry_ms,
    int err)
{
	char q[LOG_VALUE_MAX];

	log_event("accept_paused", "service=%s address=%s retry_ms=%d error=%s",
	    "%s: accept on %s (pausing all accepts, retrying every %dms): %s",
	    service, address, retry_ms, log_value(q, sizeof(q), strerror(err)));
}

void
event_accept_resumed(void)
{
	log_event("accept_resumed", NULL, "accepting connections again");
}

void
event_fork_failed(const char *service, int err)
{
	char q[LOG_VALUE_MAX];

	log_event("fork_failed", "service=%s reason=fork_failed error=%s",
	    "%s: fork failed: pausing accepts, backing off "
	    "(reason=fork_failed): %s",
	    service, log_value(q, sizeof(q), strerror(err)));
}

void
event_fork_ok(void)
{
	log_event("fork_ok", NULL, "fork works again");
}

void
event_exec_failed(const char *service, pid_t pid, const char *text)
{
	char q[LOG_VALUE_MAX];

	log_event("exec_failed", "service=%s pid=%d error=%s", "%s[%d]: %s",
	    service, (int)pid, log_value(q, sizeof(q), text));
}

void
event_exit(const char *service, pid_t pid, int status, long long ms)
{
	if (WIFEXITED(status))
		log_event("exit",
		    "service=%s pid=%d status=%d duration_ms=%lld",
		    "%s[%d]: exited %d after %lldms", service, (int)pid,
		    WEXITSTATUS(status), ms);
	else if (WIFSIGNALED(status))
		log_event("exit",
		    "service=%s pid=%d signal=%d%.0s duration_ms=%lld",
		    "%s[%d]: killed by signal %d (%s) after %lldms", service,
		    (int)pid, WTERMSIG(status), strsignal(WTERMSIG(status)),
		    ms);
}

void
event_max_duration_stop(const char *service, pid_t pid,
    unsigned long max_duration_ms)
{
	log_event("max_duration",
	    "service=%s pid=%d action=stop max_duration_ms=%lu",
	    "%s[%d]: running longer than max_duration (%lums): stopping",
	    service, (int)pid, max_duration_ms);
}

void
event_max_duration_kill(const char *service, pid_t pid,
    unsigned long stop_timeout_ms)
{
	log_event("max_duration",
	    "service=%s pid=%d action=kill stop_timeout_ms=%lu",
	    "%s[%d]: still running %lums after max_duration: killing", service,
	    (int)pid, stop_timeout_ms);
}

void
event_stderr(const char *service, pid_t pid, const char *peer, const char *line,
    bool cont, bool cut)
{
	char q[LOG_VALUE_MAX];

	/* Text marks the cut in the line; kv with keys after it. */
	log_relay("stderr", "service=%s pid=%d peer=%s %.0sline=%s%.0s%s%s",
	    "%s[%d]: stderr from %s: %s%s%s%.0s%.0s", service, (int)pid, peer,
	    cont ? "[cont] " : "", log_value(q, sizeof(q), line),
	    cut ? " [cut]" : "", cont ? " cont=yes" : "",
	    cut ? " cut=yes" : "");
}

void
event_stderr_suppressed(const char *service, pid_t pid, unsigned long count)
{
	log_event("stderr_suppressed", "service=%s pid=%d count=%lu",
	    "%s[%d]: %lu stderr lines suppressed (stderr_rate)", service,
	    (int)pid, count);
}

void
event_limit_max(const char *service, bool full, unsigned long active,
    enum overload action)
{
	if (full)
		log_event("limit",
		    "state=full reason=max limit=max_connections service=%s "
		    "active=%lu action=%s%.0s",
		    "%s: full (%lu handlers): %.0s%s new connections "
		    "(reason=max)",
		    service, active, event_action(action), event_verb(action));
	else
		log_event("limit",
		    "state=clear reason=max limit=max_connections service=%s "
		    "active=%lu",
		    "%s: below max_connections (%lu handlers): accepting "
		    "again",
		    service, active);
}

void
event_limit_children(bool full, unsigned long active)
{
	if (full)
		log_event("limit",
		    "state=full reason=max limit=max_children active=%lu "
		    "action=defer",
		    "max_children reached (%lu handlers): deferring new "
		    "connections on every service (reason=max)",
		    active);
	else
		log_event("limit",
		    "state=clear reason=max limit=max_children active=%lu",
		    "below max_children (%lu handlers): accepting again",
		    active);
}

void
event_limit_rate(const char *service, bool full, const struct rate *r,
    enum overload action)
{
	if (full)
		log_event("limit",
		    "state=full reason=rate limit=rate service=%s count=%lu "
		    "per_ms=%lu action=%s%.0s",
		    "%s: rate limited (%lu per %lums): %.0s%s new connections "
		    "(reason=rate)",
		    service, r->n, r->per_ms, event_action(action),
		    event_verb(action));
	else
		log_event("limit",
		    "state=clear reason=rate limit=rate service=%s",
		    "%s: rate limit lifted", service);
}

void
event_limit_source(const char *service, const char *source, bool full,
    unsigned long active)
{
	/* Only a handler's own exit clears it: no count then. */
	if (full)
		log_event("limit",
		    "state=full reason=per_source limit=max_per_source "
		    "service=%s source=%s active=%lu action=reject",
		    "%s: source %s at max_per_source (%lu handlers): refusing "
		    "its new connections (reason=per_source)",
		    service, source, active);
	else
		log_event("limit",
		    "state=clear reason=per_source limit=max_per_source "
		    "service=%s source=%s",
		    "%s: source %s below max_per_source: accepting again",
		    service, source);
}

void
event_limit_proxy(const char *service, bool full, size_t waiting)
{
	if (full)
		log_event("limit",
		    "state=full reason=proxy_full limit=max_connections "
		    "service=%s waiting=%zu action=defer",
		    "%s: %zu connections wait for a PROXY header: deferring "
		    "new connections (reason=proxy_full)",
		    service, waiting);
	else
		log_event("limit",
		    "state=clear reason=proxy_full limit=max_connections "
		    "service=%s waiting=%zu",
		    "%s: fewer connections wait for a PROXY header (%zu): "
		    "accepting again",
		    service, waiting);
}

void
event_tls(const char *service, pid_t pid, pid_t handler, const char *version,
    const char *cipher, const char *sni, const char *client, const char *mode)
{
	char qs[LOG_VALUE_MAX], qc[LOG_VALUE_MAX];

	log_event("tls",
	    "service=%s pid=%d handler=%d version=%s cipher=%s sni=%s "
	    "client=%s mode=%s",
	    "%s[%d]: TLS handler %d: %s %s, sni %s, client %s, via %s", service,
	    (int)pid, (int)handler, version, cipher,
	    log_value(qs, sizeof(qs), sni[0] != '\0' ? sni : "-"),
	    log_value(qc, sizeof(qc), client[0] != '\0' ? client : "-"), mode);
}

void
event_tls_refused(const char *service, bool full, const char *peer,
    unsigned long refused)
{
	if (full)
		log_event("tls_refused", "state=full service=%s peer=%s",
		    "%s: TLS handshake with %s failed: refusing such "
		    "connections, counting without logging each "
		    "(reason=tls)",
		    service, peer);
	else
		log_event("tls_refused", "state=clear service=%s refused=%lu",
		    "%s: a TLS handshake succeeded again after %lu refused "
		    "(reason=tls)",
		    service, refused);
}

void
event_stats(const char *service, const char *counters)
{
	log_event("stats", "service=%s %s", "%s: stats %s", service, counters);
}

void
event_flush(void)
{
	unsigned long dropped = logout_flush();

	if (dropped > 0)
		log_event("log_dropped", "count=%lu",
		    "%lu log lines dropped (stderr was not read)", dropped);
}
