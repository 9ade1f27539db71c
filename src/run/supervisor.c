/* The supervisor loop: epoll over {signal fd, listeners}.  A listener that
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
#include <unistd.h>

#include "admit.h"
#include "children.h"
#include "clock.h"
#include "generation.h"
#include "hstderr.h"
#include "log.h"
#include "logout.h"
#include "notify.h"
#include "sig.h"
#include "spawn.h"
#include "sweep.h"
#include "supervisor.h"

/* Accepts per listener per wakeup: enough to drain a burst, small enough
 * that one busy service does not starve the others or the signal fd. */
#define ACCEPT_BATCH 32
/* How long to stop accepting when out of descriptors or memory. */
#define ACCEPT_PAUSE_MS 200
/* fork failures back off from here, doubling up to the maximum. */
#define FORK_BACKOFF_MIN_MS 100
#define FORK_BACKOFF_MAX_MS 3200
/* A second stop signal sooner than this after the first is the same
 * request delivered twice (a wrapper forwarding Ctrl-C to the process
 * group that also holds superd), not a request to hurry. */
#define SECOND_SIGNAL_MS 1000
/* While stopping, how often to look for processes below superd, and how
 * long to wait for them after SIGKILL. */
#define SWEEP_POLL_MS 100
#define SWEEP_GRACE_MS 2000
/* How often to retry a log output that epoll cannot watch. */
#define LOG_RETRY_MS 100

struct supervisor {
	struct generation *gen; /* config, admission, listeners: swapped
	                         * whole by a reload */
	const char *file;
	const char *const *handler_dirs;
	struct activation *act;
	int epfd; /* the signal fd and the polled listeners */
	int sigfd;
	struct hstderr err; /* handlers' stderr */
	uint64_t next_id;   /* for the next child */
	struct children kids;
	bool stopping;       /* SIGTERM/SIGINT seen */
	bool killed;         /* SIGKILL sent */
	long long stop_ms;   /* when the first stop signal came */
	long long kill_at;   /* when stopping: the deadline */
	long long resume_at; /* accepts paused until; 0: not */
	long long rate_wake; /* a deferred rate has a token; 0: none */
	bool starved;        /* in an EMFILE-like episode */
	int fork_backoff;    /* ms; 0: fork works */
	bool failed;         /* the loop itself broke */
	bool log_watched;    /* the log's fd is in the epoll set */
	bool log_unpollable; /* it cannot be: retry on a timer instead */
	struct sweep sweep;  /* while stopping: what got SIGTERM */
	bool abandoned; /* leftovers that outlived SIGKILL: not waited for */
	size_t ntimed;  /* children with a max_duration deadline */
};

/* epoll data of the signal fd; listeners carry their index. */
#define EVENT_SIGNALS UINT64_MAX
/* epoll data of superd's own log output, while lines wait for it. */
#define EVENT_LOG (UINT64_MAX - 1)
#define EVENTS_PER_WAIT 64

/* Adds listener i to the epoll set or takes it out, if that changes. */
static void
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

/* Polls each listener whose service may accept now, and no other.  Only
 * changes cost a syscall, so this is cheap with many idle services. */
static void
supervisor_refresh(struct supervisor *sv, long long now)
{
	bool paused = sv->stopping || sv->resume_at != 0;
	size_t i;

	sv->rate_wake = 0;
	for (i = 0; i < sv->gen->nls; i++)
		supervisor_watch(sv, i,
		    !paused &&
		        admit_open(&sv->gen->admit, sv->gen->ls[i].service, now,
		            &sv->rate_wake));
}

/* The same for one service's listeners: what an accept or an exit in
 * that service can change, without walking every listener. */
static void
supervisor_refresh_service(struct supervisor *sv, size_t s, long long now)
{
	bool paused = sv->stopping || sv->resume_at != 0;
	size_t i, end;

	if (s >= sv->gen->cfg.nservices)
		return;
	for (i = sv->gen->first[s], end = i + sv->gen->count[s]; i < end; i++)
		supervisor_watch(sv, i,
		    !paused &&
		        admit_open(&sv->gen->admit, s, now, &sv->rate_wake));
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

static void
supervisor_log_exit(void *arg, const struct child *c, int status)
{
	struct supervisor *sv = arg;
	const char *name = c->name;
	long long now = clock_ms(), ms = now - c->start_ms;

	/* Why it never ran, and its last words, come before the line saying
	 * it is gone. */
	supervisor_late_report(sv, c);
	hstderr_exited(&sv->err, c);
	if (c->max_duration_ms != 0)
		sv->ntimed--;
	if (c->service != CHILD_NO_SERVICE) {
		admit_ended(&sv->gen->admit, c->service, &c->source, now);
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
	if (WIFEXITED(status))
		log_event("exit",
		    "service=%s pid=%d status=%d duration_ms=%lld",
		    "%s[%d]: exited %d after %lldms", name, (int)c->pid,
		    WEXITSTATUS(status), ms);
	else if (WIFSIGNALED(status))
		log_event("exit",
		    "service=%s pid=%d signal=%d%.0s duration_ms=%lld",
		    "%s[%d]: killed by signal %d (%s) after %lldms", name,
		    (int)c->pid, WTERMSIG(status), strsignal(WTERMSIG(status)),
		    ms);
}

static void
supervisor_reap(struct supervisor *sv, int flags)
{
	bool all = admit_all_full(&sv->gen->admit);

	children_reap(&sv->kids, flags, supervisor_log_exit, sv);
	if (admit_all_full(&sv->gen->admit) != all)
		supervisor_refresh(sv, clock_ms());
}

/* why: the kv token, then the words of the text line. */
static void
supervisor_kill(struct supervisor *sv, const char *why, const char *words)
{

	if (sv->killed)
		return;
	sv->killed = true;
	if (sv->kids.n > 0) {
		log_event("kill", "reason=%s%.0s running=%zu",
		    "%.0s%s: killing %zu handlers", why, words, sv->kids.n);
		children_signal(&sv->kids, SIGKILL);
	}
	(void)sweep_signal(&sv->sweep, getpid(), true, NULL);
}

/* The first look below superd at shutdown: what the handlers' groups
 * just got is not sent twice, so a handler that traps SIGTERM runs its
 * trap once. */
static void
supervisor_sweep_first(struct supervisor *sv)
{
	struct pidlist groups = { 0 };
	size_t i;

	for (i = 0; i < sv->kids.n; i++)
		if (proctree_add(&groups, sv->kids.v[i].pid) == -1)
			break;
	proctree_sort(&groups);
	if (sweep_signal(&sv->sweep, getpid(), false, &groups) == -1)
		log_warn("listing the processes below superd");
	proctree_free(&groups);
}

/* Like init: no new connections, TERM (and CONT, so a stopped handler can
 * act on it) to every handler's group, then KILL at the deadline. */
static void
supervisor_stop(struct supervisor *sv, int sig)
{
	size_t i;

	if (sv->stopping) {
		if (clock_ms() - sv->stop_ms < SECOND_SIGNAL_MS)
			log_debug("%s within %dms of the first: the same "
			          "request",
			    sigabbrev_np(sig), SECOND_SIGNAL_MS);
		else
			supervisor_kill(sv, "second_signal",
			    "second stop signal");
		return;
	}
	sv->stopping = true;
	sv->stop_ms = clock_ms();
	admit_stop(&sv->gen->admit);
	notify_send("STOPPING=1\nSTATUS=stopping: %zu handlers running",
	    sv->kids.n);
	supervisor_refresh(sv, clock_ms());
	for (i = 0; i < sv->gen->nls; i++) {
		supervisor_watch(sv, i, false);
		if (close(sv->gen->ls[i].fd) == -1)
			log_warn("close listener %s", sv->gen->ls[i].label);
		sv->gen->ls[i].fd = -1;
	}
	log_event("stopping", "signal=%s%.0s running=%zu timeout_ms=%lu",
	    "stopping (%.0s%s): %zu handlers running, waiting up to %lums",
	    sigabbrev_np(sig), strsignal(sig), sv->kids.n,
	    sv->gen->cfg.shutdown_timeout_ms);
	children_signal(&sv->kids, SIGTERM);
	children_signal(&sv->kids, SIGCONT);
	/* Everything below superd, also what left its handler's group. */
	supervisor_sweep_first(sv);
	sv->kill_at = clock_ms() + (long long)sv->gen->cfg.shutdown_timeout_ms;
}

static void supervisor_reload(struct supervisor *sv);

static void
supervisor_signals(struct supervisor *sv)
{
	int sig;

	while ((sig = sig_next(sv->sigfd)) > 0) {
		log_debug("signal %d (%s)", sig, strsignal(sig));
		switch (sig) {
		case SIGCHLD:
			supervisor_reap(sv, WNOHANG);
			break;
		case SIGTERM:
		case SIGINT:
			supervisor_stop(sv, sig);
			break;
		case SIGHUP:
			if (!sv->stopping)
				supervisor_reload(sv);
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

/* Stops all accepting for ms; clients wait in the backlogs meanwhile. */
static void
supervisor_pause(struct supervisor *sv, int ms)
{
	sv->resume_at = clock_ms() + ms;
	supervisor_refresh(sv, clock_ms());
}

/* fork failing (RLIMIT_NPROC, memory): that client is closed, accepting
 * backs off, doubling, and the episode is logged once. */
static void
supervisor_fork_failed(struct supervisor *sv, const struct service *svc)
{
	char quoted[LOG_VALUE_MAX];

	if (sv->fork_backoff == 0) {
		log_event("fork_failed",
		    "service=%s reason=fork_failed error=%s",
		    "%s: fork failed: pausing accepts, backing off "
		    "(reason=fork_failed): %s",
		    svc->name,
		    log_value(quoted, sizeof(quoted), strerror(errno)));
		sv->fork_backoff = FORK_BACKOFF_MIN_MS;
	} else if (sv->fork_backoff < FORK_BACKOFF_MAX_MS) {
		sv->fork_backoff *= 2;
	}
	supervisor_pause(sv, sv->fork_backoff);
}

/* A new child's record, before its fork. */
static void
supervisor_child_init(struct supervisor *sv, struct child *c, size_t s,
    const struct sockaddr *peer, const struct admission *ad)
{
	const struct service *svc = &sv->gen->cfg.services[s];

	memset(c, 0, sizeof(*c));
	c->err.fd = -1;
	c->report = -1;
	c->id = ++sv->next_id;
	c->service = s;
	snprintf(c->name, sizeof(c->name), "%s", svc->name);
	c->peer = ad->peer;
	c->source = ad->source;
	c->start_ms = clock_ms();
	c->max_duration_ms = svc->max_duration_ms;
	c->stop_timeout_ms = svc->stop_timeout_ms;
	if (svc->max_duration_ms != 0)
		c->stop_at = c->start_ms + (long long)svc->max_duration_ms;
	addr_format(peer, c->from, sizeof(c->from));
}

static void
supervisor_spawn(struct supervisor *sv, const struct listener *l, int fd,
    const struct sockaddr *peer, const struct admission *ad)
{
	const struct service *svc = &sv->gen->cfg.services[l->service];
	struct spawn_failure fail;
	struct child c;
	unsigned long conc;
	int errfd;

	supervisor_child_init(sv, &c, l->service, peer, ad);
	conc =
	    admit_started(&sv->gen->admit, l->service, &c.source, c.start_ms);
	errfd = hstderr_for(&sv->err, svc, fd, &c);
	c.pid = -1;
	if (children_reserve(&sv->kids) == 0)
		c.pid = spawn_handler(svc, l, fd, peer, conc, errfd, &fail);
	hstderr_done(svc, errfd);
	c.report = c.pid != -1 ? fail.pending : -1;
	if (c.pid == -1) {
		if (c.err.fd != -1)
			(void)close(c.err.fd);
		admit_fork_failed(&sv->gen->admit, l->service, &c.source,
		    clock_ms());
		log_debug("%s: dropped connection from %s", svc->name, c.from);
		supervisor_fork_failed(sv, svc);
		return;
	}
	if (sv->fork_backoff != 0) {
		log_event("fork_ok", NULL, "fork works again");
		sv->fork_backoff = 0;
	}
	children_add(&sv->kids, &c);
	if (c.max_duration_ms != 0)
		sv->ntimed++;
	log_event("accept", "service=%s pid=%d peer=%s local=%s",
	    "%s[%d]: connection from %s to %s", svc->name, (int)c.pid, c.from,
	    l->label);
	if (fail.code != 0)
		hstderr_spawn_failed(svc, c.pid, &fail);
	hstderr_watch(&sv->err, &c);
}

/* A connection that gets no handler: the reject_message if there is one
 * (never for an access-list denial), then the caller closes it.  Linux
 * delivers queued data before a reset, so unread client input does not
 * cost the client the message (a test checks this). */
static void
supervisor_refuse(const struct service *svc, int fd, enum refusal why)
{
	if (why == REFUSE_ACL || svc->reject_message == NULL)
		return;
	if (send(fd, svc->reject_message, svc->reject_len,
	        MSG_NOSIGNAL | MSG_DONTWAIT) == -1)
		log_debug("%s: reject_message: %s", svc->name, strerror(errno));
}

/* Out of descriptors or memory: a listener stays readable, so retrying at
 * once would spin.  Stop accepting for a moment; clients wait in the
 * backlog.  Logged once per episode. */
static void
supervisor_starve(struct supervisor *sv, const struct listener *l)
{
	char quoted[LOG_VALUE_MAX];

	if (!sv->starved)
		log_event("accept_paused",
		    "service=%s address=%s retry_ms=%d error=%s",
		    "%s: accept on %s (pausing all accepts, retrying every "
		    "%dms): %s",
		    sv->gen->cfg.services[l->service].name, l->label,
		    ACCEPT_PAUSE_MS,
		    log_value(quoted, sizeof(quoted), strerror(errno)));
	sv->starved = true;
	supervisor_pause(sv, ACCEPT_PAUSE_MS);
}

/* Returns true if accept should simply be tried again. */
static bool
supervisor_accept_error(struct supervisor *sv, const struct listener *l)
{
	switch (errno) {
	case EAGAIN:
		return false;
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	/* Linux reports pending network errors of the new socket here. */
	case ENETDOWN:
	case ENOPROTOOPT:
	case EHOSTDOWN:
	case ENONET:
	case EHOSTUNREACH:
	case EOPNOTSUPP:
	case ENETUNREACH:
		return true;
	default:
		supervisor_starve(sv, l);
		return false;
	}
}

/* Accepts one connection and gives it a handler or a refusal.  Returns
 * false when this listener has nothing more for now. */
static bool
supervisor_accept_one(struct supervisor *sv, const struct listener *l)
{
	const struct service *svc = &sv->gen->cfg.services[l->service];
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	struct admission ad;
	int fd;

	fd = accept4(l->fd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
	if (fd == -1)
		return supervisor_accept_error(sv, l);
	if (sv->starved) {
		log_event("accept_resumed", NULL,
		    "accepting connections again");
		sv->starved = false;
	}
	ad = admit_connection(&sv->gen->admit, l->service,
	    (struct sockaddr *)&peer, clock_ms());
	if (ad.ok)
		supervisor_spawn(sv, l, fd, (struct sockaddr *)&peer, &ad);
	else
		supervisor_refuse(svc, fd, ad.why);
	/* The handler has its own copy: with ours closed, the client sees
	 * EOF as soon as the handler exits. */
	if (close(fd) == -1)
		log_warn("%s: close connection", svc->name);
	return true;
}

static void
supervisor_accept(struct supervisor *sv, size_t i)
{
	long long wake = 0;
	bool all = admit_all_full(&sv->gen->admit);
	int n;

	for (n = 0; n < ACCEPT_BATCH; n++) {
		/* A limit reached in this batch stops it at once. */
		if (!sv->gen->ls[i].polled ||
		    !admit_open(&sv->gen->admit, sv->gen->ls[i].service,
		        clock_ms(), &wake))
			break;
		if (!supervisor_accept_one(sv, &sv->gen->ls[i]))
			break;
	}
	if (admit_all_full(&sv->gen->admit) != all || sv->resume_at != 0)
		supervisor_refresh(sv, clock_ms());
	else
		supervisor_refresh_service(sv, sv->gen->ls[i].service,
		    clock_ms());
}

/* A listener is readable: what that means depends on its kind (inetd's
 * per-socket handler); a new kind adds its case here. */
static void
supervisor_ready(struct supervisor *sv, size_t i)
{
	switch (sv->gen->ls[i].kind) {
	case LISTEN_STREAM:
		supervisor_accept(sv, i);
		break;
	}
}

/* max_duration: TERM+CONT to the group at the deadline, KILL after the
 * service's stop_timeout. */
static void
supervisor_expire(struct supervisor *sv, struct child *c, long long now)
{
	if (c->kill_at != 0 && now >= c->kill_at) {
		log_event("max_duration",
		    "service=%s pid=%d action=kill stop_timeout_ms=%lu",
		    "%s[%d]: still running %lums after max_duration: killing",
		    c->name, (int)c->pid, c->stop_timeout_ms);
		sweep_group_and_tree(c->pid, (const int[]){ SIGKILL }, 1);
		c->kill_at = 0;
		c->stop_at = 0;
		return;
	}
	if (c->stop_at == 0 || now < c->stop_at || c->kill_at != 0)
		return;
	log_event("max_duration",
	    "service=%s pid=%d action=stop max_duration_ms=%lu",
	    "%s[%d]: running longer than max_duration (%lums): stopping",
	    c->name, (int)c->pid, c->max_duration_ms);
	if (c->service != CHILD_NO_SERVICE)
		admit_count(&sv->gen->admit, c->service, STAT_KILLED);
	/* Also what left the handler's group (setsid) but is still below
	 * it. */
	sweep_group_and_tree(c->pid, (const int[]){ SIGTERM, SIGCONT }, 2);
	c->kill_at = now + (long long)c->stop_timeout_ms;
	if (c->kill_at == now)
		c->kill_at = now + 1;
}

/* The earliest of t and every child's next deadline. */
static long long
supervisor_child_deadline(const struct supervisor *sv, long long t)
{
	const struct child *c;
	long long at;
	size_t i;

	for (i = 0; i < sv->kids.n; i++) {
		c = &sv->kids.v[i];
		at = c->kill_at != 0 ? c->kill_at : c->stop_at;
		if (at != 0 && (t == -1 || at < t))
			t = at;
	}
	return t;
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
	/* New leftovers (orphans handed to superd, forks) are looked for
	 * while stopping. */
	if (sv->stopping && (next == -1 || now + SWEEP_POLL_MS < next))
		next = now + SWEEP_POLL_MS;
	if (sv->log_unpollable && logout_pending() &&
	    (next == -1 || now + LOG_RETRY_MS < next))
		next = now + LOG_RETRY_MS;
	if (next == -1)
		return -1;
	t = next - now;
	return t < 0 ? 0 : (int)(t > 60000 ? 60000 : t);
}

/* While stopping: processes below superd that were not there at the
 * first look (forked since, or handed to superd as orphans) get the same
 * signals; one that outlasts the SIGKILL by SWEEP_GRACE_MS (stuck in the
 * kernel) is given up on. */
static void
supervisor_leftovers(struct supervisor *sv, long long now)
{
	if (sweep_signal(&sv->sweep, getpid(), sv->killed, NULL) == 0 ||
	    !sv->killed || now < sv->kill_at + SWEEP_GRACE_MS)
		return;
	if (sv->kids.n == 0 && sweep_has_children()) {
		log_warnx("processes left by handlers did not end after "
		          "SIGKILL: stopping without them");
		sv->abandoned = true;
	}
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
	if (sv->stopping)
		supervisor_leftovers(sv, now);
	if (sv->stopping && !sv->killed && now >= sv->kill_at)
		supervisor_kill(sv, "shutdown_timeout",
		    "shutdown_timeout expired");
	if (!sv->stopping && sv->ntimed > 0)
		for (i = 0; i < sv->kids.n; i++)
			supervisor_expire(sv, &sv->kids.v[i], now);
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
	children_reap(&sv->kids, 0, supervisor_log_exit, sv);
}

/* Listeners first, then signals: a reload (SIGHUP) renumbers the
 * listeners, so it comes after every event of this batch is served. */
static void
supervisor_poll(struct supervisor *sv)
{
	struct epoll_event ev[EVENTS_PER_WAIT];
	bool signals = false;
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
			log_flush();
		else if (ev[i].data.u64 & HSTDERR_EVENT)
			hstderr_ready(&sv->err, &sv->kids,
			    ev[i].data.u64 & ~HSTDERR_EVENT);
		else if (ev[i].data.u64 < sv->gen->nls && !sv->stopping)
			supervisor_ready(sv, (size_t)ev[i].data.u64);
	}
	if (signals)
		supervisor_signals(sv);
	supervisor_timers(sv);
	if (sv->log_unpollable)
		log_flush();
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
	char quoted[LOG_VALUE_MAX];

	/* The running listeners may have left the epoll set for the attempt:
	 * back they go. */
	supervisor_refresh(sv, clock_ms());
	log_event("reload_failed", "error=%s",
	    "reload failed, keeping the running configuration: %s",
	    log_value(quoted, sizeof(quoted), err));
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
static void
supervisor_reload(struct supervisor *sv)
{
	char err[CONFIG_ERR_MAX], quoted[LOG_VALUE_MAX];
	struct generation *next;
	size_t kept;

	notify_reloading();
	log_event("reloading", "file=%s", "SIGHUP: reloading %s",
	    log_value(quoted, sizeof(quoted), sv->file));
	/* Kept sockets move to new indices: out of the epoll set first (the
	 * next refresh puts back what should be there). */
	supervisor_unwatch_all(sv);
	next = generation_load(sv->file, sv->handler_dirs, sv->act, sv->gen,
	    err, sizeof(err));
	if (next == NULL) {
		supervisor_reload_failed(sv, err);
		return;
	}
	kept = supervisor_count_kept(next);
	generation_adopt(next, sv->gen, &sv->kids, sv->act);
	sv->gen = next;
	log_set_format(sv->gen->cfg.log_format);
	supervisor_refresh(sv, clock_ms());
	log_event("reload", "file=%s services=%zu listeners=%zu kept=%zu",
	    "reloaded %s: %zu services on %zu listeners (%zu kept)",
	    log_value(quoted, sizeof(quoted), sv->file),
	    config_count_enabled(&sv->gen->cfg), sv->gen->nls, kept);
	supervisor_status(sv);
}

/* Stopping is done when nothing is left below superd: no handler and no
 * process any handler left behind, reaped or not. */
static bool
supervisor_done(const struct supervisor *sv)
{
	return sv->stopping && sv->kids.n == 0 &&
	    (sv->abandoned || !sweep_has_children());
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
	if (supervisor_pollset(sv) == -1 ||
	    hstderr_init(&sv->err, sv->epfd, sv->gen->cfg.max_children) == -1) {
		log_warn("supervisor");
		if (sv->epfd != -1)
			(void)close(sv->epfd);
		hstderr_free(&sv->err);
		generation_free(sv->gen);
		return -1;
	}
	return 0;
}

int
supervisor_run(struct supervisor_args *args)
{
	struct supervisor sv;

	if (supervisor_setup(&sv, args) == -1)
		return -1;
	log_event("ready", "services=%zu listeners=%zu max_children=%lu",
	    "ready: %zu services on %zu listeners, max_children %lu",
	    config_count_enabled(&sv.gen->cfg), sv.gen->nls,
	    sv.gen->cfg.max_children);
	supervisor_status(&sv);
	while (!sv.failed && !supervisor_done(&sv))
		supervisor_poll(&sv);
	if (sv.failed)
		supervisor_abort(&sv);
	/* What leftovers wrote last, then the final counters. */
	hstderr_free(&sv.err);
	admit_log_stats(&sv.gen->admit);
	log_event("stopped", NULL, "stopped");
	generation_free(sv.gen);
	children_free(&sv.kids);
	sweep_free(&sv.sweep);
	if (close(sv.epfd) == -1)
		log_warn("close");
	return sv.failed ? -1 : 0;
}
