/* The supervisor loop: epoll over {signal fd, listeners, stderr pipes},
 * signals, timers and reload; what a readable listener means is in
 * supervisor_accept.c, stopping in supervisor_stop.c.  A listener that
 * must not accept (a limit, a pause) is taken out of the epoll set rather
 * than closed, so clients wait in the kernel backlog and no
 * load ever closes a listening socket. */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admit.h"
#include "children.h"
#include "clock.h"
#include "events.h"
#include "generation.h"
#include "hstderr.h"
#include "log.h"
#include "logout.h"
#include "metrics.h"
#include "notify.h"
#include "sig.h"
#include "spawn.h"
#include "supervisor.h"
#include "supervisor_int.h"
#include "sweep.h"
#include "tlsrelay.h"

/* epoll data of the signal fd; listeners carry their index. */
#define EVENT_SIGNALS UINT64_MAX
/* epoll data of superd's own log output, while lines wait for it. */
#define EVENT_LOG (UINT64_MAX - 1)
#define EVENTS_PER_WAIT 64

/* Adds listener i to the epoll set or takes it out, if that changes. */
void
supervisor_watch(struct supervisor *sv, size_t i, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = i };

	if (sv->gen->ls[i].polled == on)
		return;
	if (epoll_ctl(sv->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
	        sv->gen->ls[i].fd, &ev) == -1) {
		log_warn("epoll_ctl %s", sv->gen->ls[i].label);
		sv->failed = true;
		return;
	}
	sv->gen->ls[i].polled = on;
}

/* While log lines wait, the log's fd is watched for room; a stuck reader
 * of stderr then costs lines, never the loop. */
static void
supervisor_watch_log(struct supervisor *sv)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = EVENT_LOG };
	bool want = logout_pending();

	if (want == sv->log_watched || sv->log_unpollable)
		return;
	if (epoll_ctl(sv->epfd, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
	        logout_fd(), &ev) == -1) {
		sv->log_unpollable = true;
		return;
	}
	sv->log_watched = want;
}

/* Whether listener i may be polled now: nothing paused, no wait
 * handler holding it or back-off keeping it, and its service may take
 * a client. */
static bool
supervisor_open(struct supervisor *sv, size_t i, long long now)
{
	const struct listener *l = &sv->gen->ls[i];

	return !sv->stopping && sv->resume_at == 0 && supervisor_wait_idle(l) &&
	    supervisor_proxy_open(sv, l) &&
	    admit_open(&sv->gen->admit, l->service, now, &sv->rate_wake);
}

/* Polls each listener whose service may accept now, and no other.  Only
 * changes cost a syscall, so this is cheap with many idle services. */
void
supervisor_refresh(struct supervisor *sv, long long now)
{
	size_t i;

	sv->rate_wake = 0;
	for (i = 0; i < sv->gen->nls; i++)
		supervisor_watch(sv, i, supervisor_open(sv, i, now));
}

/* The same for one service's listeners: what an accept or an exit in
 * that service can change, without walking every listener. */
void
supervisor_refresh_service(struct supervisor *sv, size_t s, long long now)
{
	size_t i, end;

	if (s >= sv->gen->cfg.nservices)
		return;
	for (i = sv->gen->first[s], end = i + sv->gen->count[s]; i < end; i++)
		supervisor_watch(sv, i, supervisor_open(sv, i, now));
}

/* Fork builds learn at reap whether a child failed before exec. */
static void
supervisor_late_report(const struct supervisor *sv, const struct child *c)
{
	struct spawn_failure f;

	if (c->report == -1)
		return;
	spawn_failure_collect(c->report, &f);
	if (f.code != 0 && c->service != CHILD_NO_SERVICE)
		hstderr_spawn_failed(&sv->gen->cfg.services[c->service], c->pid,
		    &f);
}

/* A TLS relay whose handshake failed: a refusal, not a handler's exit;
 * the episode's first is logged.  Returns false for any other child. */
static bool
supervisor_tls_refused(struct supervisor *sv, const struct child *c, int status)
{
	bool refused =
	    WIFEXITED(status) && WEXITSTATUS(status) == TLSRELAY_REFUSED;
	const char *name = sv->gen->cfg.services[c->service].name;
	unsigned long n = 0;

	/* One the shutdown ended mid-handshake tells nothing either way. */
	if (!c->tls_relay || !WIFEXITED(status))
		return false;
	if (admit_tls_ended(&sv->gen->admit, c->service, refused, &n))
		event_tls_refused(name, refused, c->from, n);
	if (refused)
		log_debug("%s[%d]: refused (reason=tls)", c->name, (int)c->pid);
	return refused;
}

void
supervisor_log_exit(void *arg, const struct child *c, int status)
{
	struct supervisor *sv = arg;
	const char *name = c->name;
	long long now = clock_ms(), ms = now - c->start_ms;

	/* Why it never ran, and its last words, come before the line saying
	 * it is gone. */
	supervisor_late_report(sv, c);
	hstderr_exited(&sv->err, c);
	supervisor_unwatch_exit(sv, c);
	if (c->max_duration_ms != 0 || c->ctl_killed)
		sv->ntimed--;
	if (c->wait_sock != 0)
		supervisor_wait_exited(sv, c, now);
	if (c->service != CHILD_NO_SERVICE) {
		admit_ended(&sv->gen->admit, c->service, &c->source, now);
		if (supervisor_tls_refused(sv, c, status)) {
			supervisor_refresh_service(sv, c->service, now);
			return;
		}
		if (!admit_upgrade_refused(&sv->gen->admit, c->service, status))
			admit_exited(&sv->gen->admit, c->service, status,
			    (double)ms / 1000);
		supervisor_refresh_service(sv, c->service, now);
		if (WIFEXITED(status) && WEXITSTATUS(status) >= 126 &&
		    WEXITSTATUS(status) <= 127)
			admit_count(&sv->gen->admit, c->service,
			    STAT_EXEC_FAILED);
		/* Only what the SIGKILL ended: one that obeyed SIGTERM
		 * stopped cleanly, even if late. */
		if (sv->killed && WIFSIGNALED(status) &&
		    WTERMSIG(status) == SIGKILL)
			admit_count(&sv->gen->admit, c->service,
			    STAT_KILLED_SHUTDOWN);
	}
	event_exit(name, c->pid, status, ms);
}

/* The metrics endpoint's body: rendered per scrape from the current
 * generation's table. */
static char *
supervisor_metrics_render(void *arg, size_t *len)
{
	struct supervisor *sv = arg;
	struct metrics_source m = {
		.admit = &sv->gen->admit,
		.spawn = &sv->spawn,
		.reloads_ok = sv->reloads_ok,
		.reloads_failed = sv->reloads_failed,
		.start_time = sv->start_time,
	};

	return metrics_render(&m, len);
}

/* [supervisor] metrics: the endpoint opens at start; a failure to listen
 * fails the start like a service's. */
static int
supervisor_metrics_open(struct supervisor *sv)
{
	const struct bind_addr *ba = &sv->gen->cfg.metrics;
	char want[ADDR_TEXT_MAX];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	sv->start_time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (ba->ss.ss_family == AF_UNSPEC)
		return 0;
	sv->metrics = calloc(1, sizeof(*sv->metrics));
	if (sv->metrics == NULL) {
		log_warn("metrics");
		return -1;
	}
	if (httpd_open(sv->metrics, &ba->ss, ba->len, sv->epfd,
	        SUPERVISOR_EVENT_METRICS, "/metrics", supervisor_metrics_render,
	        sv) == -1) {
		addr_format((const struct sockaddr *)&ba->ss, want,
		    sizeof(want));
		event_metrics_failed(want, errno);
		free(sv->metrics);
		sv->metrics = NULL;
		return -1;
	}
	event_metrics(sv->metrics->ep.label);
	return 0;
}

/* A reload keeps the endpoint where it is: moving it would need a socket
 * bound before the swap, for a value that rarely changes. */
static void
supervisor_metrics_moved(const struct supervisor *sv, const struct config *next)
{
	const struct bind_addr *was = &sv->gen->cfg.metrics,
	                       *now = &next->metrics;

	if (was->len != now->len || memcmp(&was->ss, &now->ss, was->len) != 0)
		event_metrics_kept(
		    sv->metrics != NULL ? sv->metrics->ep.label : "off");
}

static void
supervisor_signals(struct supervisor *sv)
{
	pid_t pid;
	int sig;

	while ((sig = sig_next(sv->sigfd, &pid)) > 0) {
		log_debug("signal %d (%s)", sig, strsignal(sig));
		switch (sig) {
		case SIGCHLD:
			supervisor_sigchld(sv, pid);
			break;
		case SIGTERM:
		case SIGINT:
			supervisor_stop(sv, sig);
			break;
		case SIGHUP:
			if (!sv->stopping)
				(void)supervisor_reload(sv, NULL, 0);
			break;
		case SIGUSR1:
			admit_log_stats(&sv->gen->admit);
			break;
		}
	}
	if (sig == -1) {
		log_warn("reading signals");
		sv->failed = true;
	}
}

/* Milliseconds until the next deadline, or -1 for none. */
static int
supervisor_timeout(const struct supervisor *sv)
{
	long long now = clock_ms(), next = -1, t;

	if (sv->stopping && !sv->killed)
		next = sv->kill_at;
	if (sv->resume_at != 0 && (next == -1 || sv->resume_at < next))
		next = sv->resume_at;
	if (sv->rate_wake != 0 && (next == -1 || sv->rate_wake < next))
		next = sv->rate_wake;
	if (!sv->stopping && sv->ntimed > 0)
		next = supervisor_child_deadline(sv, next);
	if (!sv->stopping && sv->nbackoff > 0)
		next = supervisor_wait_deadline(sv, next);
	if (sv->proxy.n > 0)
		next = supervisor_proxy_deadline(sv, next);
	/* New leftovers (orphans handed to superd, forks) are looked for
	 * while stopping. */
	if (sv->stopping && (next == -1 || now + SWEEP_POLL_MS < next))
		next = now + SWEEP_POLL_MS;
	next = supervisor_sweep_due(sv, next);
	if (sv->log_unpollable && logout_pending() &&
	    (next == -1 || now + LOG_RETRY_MS < next))
		next = now + LOG_RETRY_MS;
	if (sv->metrics != NULL)
		next = endpoint_deadline(&sv->metrics->ep, next);
	if (sv->control != NULL)
		next = endpoint_deadline(sv->control, next);
	if (next == -1)
		return -1;
	t = next - now;
	return t < 0 ? 0 : (int)(t > 60000 ? 60000 : t);
}

static void
supervisor_timers(struct supervisor *sv)
{
	long long now = clock_ms();
	bool resumed = false;
	size_t i;

	if (sv->resume_at != 0 && now >= sv->resume_at) {
		log_debug("retrying accepts");
		sv->resume_at = 0;
		resumed = true;
	}
	supervisor_sweep_exits(sv, now);
	if (sv->stopping)
		supervisor_leftovers(sv, now);
	if (sv->stopping && !sv->killed && now >= sv->kill_at)
		supervisor_kill(sv, "shutdown_timeout",
		    "shutdown_timeout expired");
	if (!sv->stopping && sv->ntimed > 0)
		for (i = 0; i < sv->kids.n; i++)
			supervisor_expire(sv, &sv->kids.v[i], now);
	if (!sv->stopping && sv->nbackoff > 0)
		supervisor_wait_timers(sv, now);
	if (sv->metrics != NULL)
		endpoint_timers(&sv->metrics->ep, now);
	if (sv->control != NULL)
		endpoint_timers(sv->control, now);
	if (sv->proxy.n > 0)
		supervisor_proxy_timers(sv, now);
	/* Only time-driven changes need every listener looked at again. */
	if (resumed || (sv->rate_wake != 0 && now >= sv->rate_wake))
		supervisor_refresh(sv, now);
}

/* The loop broke: stop everything without it, waiting in waitpid. */
static void
supervisor_abort(struct supervisor *sv)
{
	if (!sv->stopping)
		supervisor_stop(sv, SIGTERM);
	supervisor_kill(sv, "failure", "supervisor failure");
	children_reap(&sv->kids, 0, NULL, supervisor_log_exit, sv);
}

/* Listeners first, then signals: a reload (SIGHUP) renumbers the
 * listeners, so it comes after every event of this batch is served. */
static void
supervisor_poll(struct supervisor *sv)
{
	struct epoll_event ev[EVENTS_PER_WAIT];
	uint64_t ended[EVENTS_PER_WAIT];
	struct child *c;
	bool signals = false;
	size_t nended = 0;
	int n, i;

	n = epoll_wait(sv->epfd, ev, EVENTS_PER_WAIT, supervisor_timeout(sv));
	if (n == -1) {
		if (errno != EINTR) {
			log_warn("epoll_wait");
			sv->failed = true;
		}
		return;
	}
	for (i = 0; i < n; i++) {
		if (ev[i].data.u64 == EVENT_SIGNALS)
			signals = true;
		else if (ev[i].data.u64 == EVENT_LOG)
			event_flush();
		else if (ev[i].data.u64 & SUPERVISOR_EVENT_PROXY)
			supervisor_proxy_ready(sv,
			    (size_t)(ev[i].data.u64 & ~SUPERVISOR_EVENT_PROXY),
			    ev[i].events);
		else if (ev[i].data.u64 & HSTDERR_EVENT) {
			c = hstderr_ready(&sv->err, &sv->kids, ev[i].data.u64);
			if (c != NULL)
				ended[nended++] = children_event(c, 0);
		} else if (ev[i].data.u64 & EXIT_EVENT)
			supervisor_exit_ready(sv, ev[i].data.u64);
		else if ((ev[i].data.u64 & SUPERVISOR_EVENT_METRICS) &&
		    sv->metrics != NULL)
			endpoint_event(&sv->metrics->ep, ev[i].data.u64,
			    clock_ms());
		else if ((ev[i].data.u64 & SUPERVISOR_EVENT_CONTROL) &&
		    sv->control != NULL)
			endpoint_event(sv->control, ev[i].data.u64, clock_ms());
		else if (ev[i].data.u64 < sv->gen->nls && !sv->stopping)
			supervisor_ready(sv, (size_t)ev[i].data.u64);
	}
	if (signals)
		supervisor_signals(sv);
	supervisor_pipes_ended(sv, ended, nended);
	supervisor_timers(sv);
	if (sv->log_unpollable)
		event_flush();
	supervisor_watch_log(sv);
}

/* The epoll set: the signal fd, then the listeners refresh adds. */
static int
supervisor_pollset(struct supervisor *sv)
{
	struct epoll_event ev = { .events = EPOLLIN,
		.data.u64 = EVENT_SIGNALS };

	sv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sv->epfd == -1)
		return -1;
	if (epoll_ctl(sv->epfd, EPOLL_CTL_ADD, sv->sigfd, &ev) == -1)
		return -1;
	supervisor_refresh(sv, clock_ms());
	return 0;
}

/* Before the listeners change: none stays in the epoll set under an old
 * index. */
static void
supervisor_unwatch_all(struct supervisor *sv)
{
	size_t i;

	for (i = 0; i < sv->gen->nls; i++)
		supervisor_watch(sv, i, false);
}

static void
supervisor_status(const struct supervisor *sv)
{
	notify_send("READY=1\nSTATUS=%zu services on %zu listeners",
	    config_count_enabled(&sv->gen->cfg), sv->gen->nls);
}

static void
supervisor_reload_failed(struct supervisor *sv, const char *err)
{

	/* The running listeners may have left the epoll set for the attempt:
	 * back they go. */
	sv->reloads_failed++;
	supervisor_refresh(sv, clock_ms());
	event_reload_failed(err);
	notify_send("READY=1\nSTATUS=reload failed: %s", err);
}

/* Listeners a reload kept rather than opened anew. */
static size_t
supervisor_count_kept(const struct generation *g)
{
	size_t i, kept = 0;

	for (i = 0; i < g->nls; i++)
		kept += g->ls[i].origin == LISTEN_KEPT;
	return kept;
}

/*
 * SIGHUP: the next generation is built aside (the file loaded and checked,
 * its listeners built keeping the sockets of unchanged addresses, so
 * nothing waiting in a backlog is lost), adopts the running handlers, and
 * replaces the running one in one assignment.  Any failure leaves
 * everything as it was.
 */
int
supervisor_reload(struct supervisor *sv, char *why, size_t whylen)
{
	char err[CONFIG_ERR_MAX];
	struct generation *next;
	size_t kept;

	notify_reloading();
	event_reloading(sv->file);
	/* Kept sockets move to new indices: out of the epoll set first (the
	 * next refresh puts back what should be there). */
	supervisor_unwatch_all(sv);
	next = generation_load(sv->file, sv->handler_dirs, sv->act, sv->gen,
	    err, sizeof(err));
	if (next == NULL) {
		supervisor_reload_failed(sv, err);
		if (why != NULL)
			snprintf(why, whylen, "%s", err);
		return -1;
	}
	kept = supervisor_count_kept(next);
	supervisor_metrics_moved(sv, &next->cfg);
	generation_adopt(next, sv->gen, &sv->kids, sv->act);
	sv->gen = next;
	supervisor_wait_recount(sv);
	if (supervisor_proxy_rehome(sv) == -1) {
		log_warn("reload: connections waiting for a PROXY header");
		supervisor_proxy_close_all(sv);
	}
	log_set_format(sv->gen->cfg.log_format);
	supervisor_refresh(sv, clock_ms());
	sv->reloads_ok++;
	sv->generation++;
	event_reload(sv->file, config_count_enabled(&sv->gen->cfg),
	    sv->gen->nls, kept);
	supervisor_status(sv);
	return 0;
}

/* The loop's own resources; -1 if one cannot be had. */
static int
supervisor_setup(struct supervisor *sv, struct supervisor_args *args)
{
	memset(sv, 0, sizeof(*sv));
	sv->gen = args->gen;
	sv->file = args->file;
	sv->handler_dirs = args->handler_dirs;
	sv->act = args->act;
	sv->sigfd = args->sigfd;
	sv->epfd = -1;
	sv->err.devnull = -1;
	sv->start_ms = clock_ms();
	sv->generation = 1;
	sv->swept_at = clock_ms();
	/* The proxy table first: the poll set asks it which listeners may
	 * be polled. */
	if (supervisor_proxy_init(sv) == -1 || supervisor_pollset(sv) == -1 ||
	    hstderr_init(&sv->err, sv->epfd, sv->gen->cfg.max_children) == -1)
		log_warn("supervisor");
	else if (supervisor_metrics_open(sv) == 0 &&
	    supervisor_control_open(sv) == 0)
		return 0;
	if (sv->metrics != NULL)
		endpoint_close(&sv->metrics->ep);
	free(sv->metrics);
	if (sv->epfd != -1)
		(void)close(sv->epfd);
	hstderr_free(&sv->err);
	supervisor_proxy_free(sv);
	generation_free(sv->gen);
	return -1;
}

int
supervisor_run(struct supervisor_args *args)
{
	struct supervisor sv;

	if (supervisor_setup(&sv, args) == -1)
		return -1;
	event_ready(config_count_enabled(&sv.gen->cfg), sv.gen->nls,
	    sv.gen->cfg.max_children);
	supervisor_status(&sv);
	while (!sv.failed && !supervisor_done(&sv))
		supervisor_poll(&sv);
	if (sv.failed)
		supervisor_abort(&sv);
	/* What leftovers wrote last, then the final counters. */
	if (sv.metrics != NULL)
		endpoint_close(&sv.metrics->ep);
	supervisor_control_close(&sv);
	free(sv.metrics);
	hstderr_free(&sv.err);
	supervisor_proxy_close_all(&sv);
	supervisor_proxy_free(&sv);
	admit_log_stats(&sv.gen->admit);
	event_stopped(false);
	generation_free(sv.gen);
	children_free(&sv.kids);
	sweep_free(&sv.sweep);
	if (close(sv.epfd) == -1)
		log_warn("close");
	return sv.failed ? -1 : 0;
}
