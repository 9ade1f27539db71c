/* The supervisor loop: poll over {signal fd, listeners}.  Listeners are
 * switched off in the poll set (fd -1) rather than closed when accepting
 * must pause, so clients wait in the kernel backlog. */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

struct supervisor {
	const struct config *cfg;
	struct listener *ls;
	size_t nls;
	struct pollfd *pfd; /* [0]: signals, [1 + i]: ls[i] */
	struct children kids;
	bool stopping;       /* SIGTERM/SIGINT seen */
	bool killed;         /* SIGKILL sent */
	long long kill_at;   /* when stopping: the deadline */
	long long resume_at; /* accepts paused until; 0: not */
	bool starved;        /* in an EMFILE-like episode */
	bool failed;         /* the loop itself broke */
};

static void
supervisor_listen(struct supervisor *sv, bool on)
{
	size_t i;

	for (i = 0; i < sv->nls; i++)
		sv->pfd[1 + i].fd = on ? sv->ls[i].fd : -1;
}

static void
supervisor_log_exit(void *arg, const struct child *c, int status)
{
	const struct supervisor *sv = arg;
	const char *name = sv->cfg->services[c->service].name;
	long long ms = clock_ms() - c->start_ms;

	if (WIFEXITED(status))
		log_info("%s[%d]: exited %d after %lldms", name, (int)c->pid,
		    WEXITSTATUS(status), ms);
	else if (WIFSIGNALED(status))
		log_info("%s[%d]: killed by signal %d (%s) after %lldms", name,
		    (int)c->pid, WTERMSIG(status), strsignal(WTERMSIG(status)),
		    ms);
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
	supervisor_listen(sv, false);
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
			children_reap(&sv->kids, WNOHANG, supervisor_log_exit,
			    sv);
			break;
		case SIGTERM:
		case SIGINT:
			supervisor_stop(sv, sig);
			break;
		case SIGHUP:
			log_info(
			    "SIGHUP: reload is not supported yet; ignored");
			break;
		}
	}
	if (sig == -1) {
		log_warn("reading signals");
		sv->failed = true;
	}
}

static void
supervisor_spawn(struct supervisor *sv, const struct listener *l, int fd,
    const struct sockaddr *peer)
{
	const struct service *svc = &sv->cfg->services[l->service];
	char from[INET6_ADDRSTRLEN + 8];
	pid_t pid = -1;

	config_format_addr(peer, from, sizeof(from));
	if (children_reserve(&sv->kids) == 0)
		pid = spawn_handler(svc, l, fd, peer);
	if (pid == -1) {
		log_warn("%s: dropped connection from %s", svc->name, from);
	} else {
		children_add(&sv->kids, pid, l->service, clock_ms());
		log_info("%s[%d]: connection from %s to %s", svc->name,
		    (int)pid, from, l->label);
	}
	/* The handler has its own copy: with ours closed, the client sees
	 * EOF as soon as the handler exits. */
	if (close(fd) == -1)
		log_warn("%s: close connection", svc->name);
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
	sv->resume_at = clock_ms() + ACCEPT_PAUSE_MS;
	supervisor_listen(sv, false);
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

static void
supervisor_accept(struct supervisor *sv, const struct listener *l)
{
	struct sockaddr_storage peer;
	socklen_t len;
	int n, fd;

	for (n = 0; n < ACCEPT_BATCH && !sv->stopping; n++) {
		len = sizeof(peer);
		fd = accept4(l->fd, (struct sockaddr *)&peer, &len,
		    SOCK_CLOEXEC);
		if (fd == -1) {
			if (supervisor_accept_error(sv, l))
				continue;
			return;
		}
		if (sv->starved) {
			log_info("accepting connections again");
			sv->starved = false;
		}
		supervisor_spawn(sv, l, fd, (struct sockaddr *)&peer);
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
	if (next == -1)
		return -1;
	t = next - now;
	return t < 0 ? 0 : (int)(t > 60000 ? 60000 : t);
}

static void
supervisor_timers(struct supervisor *sv)
{
	long long now = clock_ms();

	if (sv->resume_at != 0 && now >= sv->resume_at) {
		log_debug("retrying accepts");
		sv->resume_at = 0;
		if (!sv->stopping)
			supervisor_listen(sv, true);
	}
	if (sv->stopping && !sv->killed && now >= sv->kill_at)
		supervisor_kill(sv, "shutdown_timeout expired");
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
			supervisor_accept(sv, &sv->ls[i]);
}

int
supervisor_run(const struct config *cfg, struct listener *ls, size_t nls,
    int sigfd)
{
	struct supervisor sv;

	memset(&sv, 0, sizeof(sv));
	sv.cfg = cfg;
	sv.ls = ls;
	sv.nls = nls;
	sv.pfd = calloc(nls + 1, sizeof(*sv.pfd));
	if (sv.pfd == NULL) {
		log_warn("supervisor");
		listen_close_all(ls, nls);
		return -1;
	}
	sv.pfd[0].fd = sigfd;
	sv.pfd[0].events = POLLIN;
	for (size_t i = 0; i < nls; i++)
		sv.pfd[1 + i].events = POLLIN;
	supervisor_listen(&sv, true);
	log_info("ready: %zu services on %zu listeners",
	    config_count_enabled(cfg), nls);
	while (!sv.failed && !(sv.stopping && sv.kids.n == 0))
		supervisor_poll(&sv);
	if (sv.failed)
		supervisor_abort(&sv);
	log_info("stopped");
	listen_close_all(ls, nls);
	children_free(&sv.kids);
	free(sv.pfd);
	return sv.failed ? -1 : 0;
}
