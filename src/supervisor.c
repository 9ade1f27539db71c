/* The supervisor loop: poll over {signal fd, listeners}.  A listener that
 * must not accept (a limit, a pause) is switched off in the poll set
 * (fd -1) rather than closed, so clients wait in the kernel backlog and no
 * load ever closes a listening socket. */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admit.h"
#include "children.h"
#include "clock.h"
#include "log.h"
#include "sig.h"
#include "spawn.h"
#include "supervisor.h"

/* Accepts per listener per wakeup: enough to drain a burst, small enough
 * that one busy service does not starve the others or the signal fd. */
#define ACCEPT_BATCH 32
/* How long to stop accepting when out of descriptors or memory. */
#define ACCEPT_PAUSE_MS 200
/* fork failures back off from here, doubling up to the maximum. */
#define FORK_BACKOFF_MIN_MS 100
#define FORK_BACKOFF_MAX_MS 3200

struct supervisor {
	const struct config *cfg;
	struct listener *ls;
	size_t nls;
	struct pollfd *pfd; /* [0]: signals, [1 + i]: ls[i] */
	struct children kids;
	struct admit admit;
	bool stopping;       /* SIGTERM/SIGINT seen */
	bool killed;         /* SIGKILL sent */
	long long kill_at;   /* when stopping: the deadline */
	long long resume_at; /* accepts paused until; 0: not */
	long long rate_wake; /* a deferred rate has a token; 0: none */
	bool starved;        /* in an EMFILE-like episode */
	int fork_backoff;    /* ms; 0: fork works */
	bool failed;         /* the loop itself broke */
};

/* Polls each listener whose service may accept now, and no other. */
static void
supervisor_refresh(struct supervisor *sv, long long now)
{
	bool paused = sv->stopping || sv->resume_at != 0;
	size_t i;

	sv->rate_wake = 0;
	for (i = 0; i < sv->nls; i++)
		sv->pfd[1 + i].fd = !paused &&
		        admit_open(&sv->admit, sv->ls[i].service, now,
		            &sv->rate_wake)
		    ? sv->ls[i].fd
		    : -1;
}

static void
supervisor_log_exit(void *arg, const struct child *c, int status)
{
	struct supervisor *sv = arg;
	const char *name = sv->cfg->services[c->service].name;
	long long now = clock_ms(), ms = now - c->start_ms;

	admit_ended(&sv->admit, c->service, &c->source, now);
	if (WIFEXITED(status))
		log_info("%s[%d]: exited %d after %lldms", name, (int)c->pid,
		    WEXITSTATUS(status), ms);
	else if (WIFSIGNALED(status))
		log_info("%s[%d]: killed by signal %d (%s) after %lldms", name,
		    (int)c->pid, WTERMSIG(status), strsignal(WTERMSIG(status)),
		    ms);
}

static void
supervisor_reap(struct supervisor *sv, int flags)
{
	if (children_reap(&sv->kids, flags, supervisor_log_exit, sv) > 0)
		supervisor_refresh(sv, clock_ms());
}

static void
supervisor_kill(struct supervisor *sv, const char *why)
{
	if (sv->killed)
		return;
	sv->killed = true;
	if (sv->kids.n > 0) {
		log_warnx("%s: killing %zu handlers", why, sv->kids.n);
		children_signal(&sv->kids, SIGKILL);
	}
}

/* Like init: no new connections, TERM (and CONT, so a stopped handler can
 * act on it) to every handler's group, then KILL at the deadline. */
static void
supervisor_stop(struct supervisor *sv, int sig)
{
	size_t i;

	if (sv->stopping) {
		supervisor_kill(sv, "second stop signal");
		return;
	}
	sv->stopping = true;
	supervisor_refresh(sv, clock_ms());
	for (i = 0; i < sv->nls; i++) {
		if (close(sv->ls[i].fd) == -1)
			log_warn("close listener %s", sv->ls[i].label);
		sv->ls[i].fd = -1;
	}
	log_info("stopping (%s): %zu handlers running, waiting up to %lums",
	    strsignal(sig), sv->kids.n, sv->cfg->shutdown_timeout_ms);
	children_signal(&sv->kids, SIGTERM);
	children_signal(&sv->kids, SIGCONT);
	sv->kill_at = clock_ms() + (long long)sv->cfg->shutdown_timeout_ms;
}

static void
supervisor_signals(struct supervisor *sv)
{
	int sig;

	while ((sig = sig_next(sv->pfd[0].fd)) > 0) {
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
			log_info(
			    "SIGHUP: reload is not supported yet; ignored");
			break;
		case SIGUSR1:
			admit_log_stats(&sv->admit);
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
	if (sv->fork_backoff == 0) {
		log_warn("%s: fork failed: pausing accepts, backing off "
		         "(reason=fork_failed)",
		    svc->name);
		sv->fork_backoff = FORK_BACKOFF_MIN_MS;
	} else if (sv->fork_backoff < FORK_BACKOFF_MAX_MS) {
		sv->fork_backoff *= 2;
	}
	supervisor_pause(sv, sv->fork_backoff);
}

static void
supervisor_spawn(struct supervisor *sv, const struct listener *l, int fd,
    const struct sockaddr *peer, const struct admission *ad)
{
	const struct service *svc = &sv->cfg->services[l->service];
	char from[INET6_ADDRSTRLEN + 8];
	struct child c;
	unsigned long conc;

	memset(&c, 0, sizeof(c));
	c.service = l->service;
	c.source = ad->source;
	c.start_ms = clock_ms();
	if (svc->max_duration_ms != 0)
		c.stop_at = c.start_ms + (long long)svc->max_duration_ms;
	config_format_addr(peer, from, sizeof(from));
	conc = admit_started(&sv->admit, l->service, &c.source, c.start_ms);
	c.pid = -1;
	if (children_reserve(&sv->kids) == 0)
		c.pid = spawn_handler(svc, l, fd, peer, conc);
	if (c.pid == -1) {
		admit_fork_failed(&sv->admit, l->service, &c.source,
		    clock_ms());
		log_debug("%s: dropped connection from %s", svc->name, from);
		supervisor_fork_failed(sv, svc);
		return;
	}
	if (sv->fork_backoff != 0) {
		log_info("fork works again");
		sv->fork_backoff = 0;
	}
	children_add(&sv->kids, &c);
	log_info("%s[%d]: connection from %s to %s", svc->name, (int)c.pid,
	    from, l->label);
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
	if (!sv->starved)
		log_warn("%s: accept on %s (pausing all accepts, retrying "
		         "every "
		         "%dms)",
		    sv->cfg->services[l->service].name, l->label,
		    ACCEPT_PAUSE_MS);
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
	const struct service *svc = &sv->cfg->services[l->service];
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	struct admission ad;
	int fd;

	fd = accept4(l->fd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
	if (fd == -1)
		return supervisor_accept_error(sv, l);
	if (sv->starved) {
		log_info("accepting connections again");
		sv->starved = false;
	}
	ad = admit_connection(&sv->admit, l->service, (struct sockaddr *)&peer,
	    clock_ms());
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
	int n;

	for (n = 0; n < ACCEPT_BATCH; n++) {
		/* A limit reached in this batch stops it at once. */
		if (sv->pfd[1 + i].fd == -1 ||
		    !admit_open(&sv->admit, sv->ls[i].service, clock_ms(),
		        &wake))
			break;
		if (!supervisor_accept_one(sv, &sv->ls[i]))
			break;
	}
	supervisor_refresh(sv, clock_ms());
}

/* max_duration: TERM+CONT to the group at the deadline, KILL after the
 * service's stop_timeout. */
static void
supervisor_expire(struct supervisor *sv, struct child *c, long long now)
{
	const struct service *svc = &sv->cfg->services[c->service];

	if (c->kill_at != 0 && now >= c->kill_at) {
		log_info("%s[%d]: still running %lums after max_duration: "
		         "killing",
		    svc->name, (int)c->pid, svc->stop_timeout_ms);
		if (children_signal_one(c->pid, SIGKILL) == -1)
			log_warn("kill %d", (int)c->pid);
		c->kill_at = 0;
		c->stop_at = 0;
		return;
	}
	if (c->stop_at == 0 || now < c->stop_at || c->kill_at != 0)
		return;
	log_info("%s[%d]: running longer than max_duration (%lums): stopping",
	    svc->name, (int)c->pid, svc->max_duration_ms);
	sv->admit.svc[c->service].stats.killed++;
	if (children_signal_one(c->pid, SIGTERM) == -1 ||
	    children_signal_one(c->pid, SIGCONT) == -1)
		log_warn("kill %d", (int)c->pid);
	c->kill_at = now + (long long)svc->stop_timeout_ms;
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
	if (!sv->stopping)
		next = supervisor_child_deadline(sv, next);
	if (next == -1)
		return -1;
	t = next - now;
	return t < 0 ? 0 : (int)(t > 60000 ? 60000 : t);
}

static void
supervisor_timers(struct supervisor *sv)
{
	long long now = clock_ms();
	size_t i;

	if (sv->resume_at != 0 && now >= sv->resume_at) {
		log_debug("retrying accepts");
		sv->resume_at = 0;
	}
	if (sv->stopping && !sv->killed && now >= sv->kill_at)
		supervisor_kill(sv, "shutdown_timeout expired");
	if (!sv->stopping)
		for (i = 0; i < sv->kids.n; i++)
			supervisor_expire(sv, &sv->kids.v[i], now);
	supervisor_refresh(sv, now);
}

/* The loop broke: stop everything without it, waiting in waitpid. */
static void
supervisor_abort(struct supervisor *sv)
{
	if (!sv->stopping)
		supervisor_stop(sv, SIGTERM);
	supervisor_kill(sv, "supervisor failure");
	children_reap(&sv->kids, 0, supervisor_log_exit, sv);
}

static void
supervisor_poll(struct supervisor *sv)
{
	size_t i;

	if (poll(sv->pfd, sv->nls + 1, supervisor_timeout(sv)) == -1) {
		if (errno != EINTR) {
			log_warn("poll");
			sv->failed = true;
		}
		return;
	}
	if (sv->pfd[0].revents != 0)
		supervisor_signals(sv);
	supervisor_timers(sv);
	for (i = 0; i < sv->nls && !sv->stopping; i++)
		if (sv->pfd[1 + i].fd != -1 && sv->pfd[1 + i].revents != 0)
			supervisor_accept(sv, i);
}

int
supervisor_run(const struct config *cfg, struct listener *ls, size_t nls,
    int sigfd)
{
	struct supervisor sv;
	size_t i;

	memset(&sv, 0, sizeof(sv));
	sv.cfg = cfg;
	sv.ls = ls;
	sv.nls = nls;
	sv.pfd = calloc(nls + 1, sizeof(*sv.pfd));
	if (sv.pfd == NULL || admit_init(&sv.admit, cfg) == -1) {
		log_warn("supervisor");
		free(sv.pfd);
		listen_close_all(ls, nls);
		return -1;
	}
	sv.pfd[0].fd = sigfd;
	sv.pfd[0].events = POLLIN;
	for (i = 0; i < nls; i++)
		sv.pfd[1 + i].events = POLLIN;
	supervisor_refresh(&sv, clock_ms());
	log_info("ready: %zu services on %zu listeners, max_children %lu",
	    config_count_enabled(cfg), nls, cfg->max_children);
	while (!sv.failed && !(sv.stopping && sv.kids.n == 0))
		supervisor_poll(&sv);
	if (sv.failed)
		supervisor_abort(&sv);
	log_info("stopped");
	listen_close_all(ls, nls);
	children_free(&sv.kids);
	admit_free(&sv.admit);
	free(sv.pfd);
	return sv.failed ? -1 : 0;
}
