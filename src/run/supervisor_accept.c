/* A readable listener: accept in bounded batches, admit (by address, or a
 * unix client by its uid) or refuse, spawn the handler; pause accepting
 * when descriptors, memory or fork run out, so no error makes the loop
 * spin.  Starting a handler, for a connection or a wait listener, is
 * supervisor_spawn's. */
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admit.h"
#include "clock.h"
#include "events.h"
#include "log.h"
#include "spawn.h"
#include "supervisor_int.h"
#include "tlsrelay.h"

/* Stops all accepting for ms; clients wait in the backlogs meanwhile. */
void
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
		event_fork_failed(svc->name, errno);
		sv->fork_backoff = FORK_BACKOFF_MIN_MS;
	} else if (sv->fork_backoff < FORK_BACKOFF_MAX_MS) {
		sv->fork_backoff *= 2;
	}
	supervisor_pause(sv, sv->fork_backoff);
}

/* A new child's record, before its fork. */
static void
supervisor_child_init(struct supervisor *sv, struct child *c,
    const struct listener *l, const char *from, const struct admission *ad)
{
	const struct service *svc = &sv->gen->cfg.services[l->service];

	memset(c, 0, sizeof(*c));
	c->err.fd = -1;
	c->report = -1;
	c->pidfd = -1;
	c->id = ++sv->next_id;
	c->service = l->service;
	snprintf(c->name, sizeof(c->name), "%s", svc->name);
	c->peer = ad->peer;
	c->source = ad->source;
	c->start_ms = clock_ms();
	c->max_duration_ms = svc->max_duration_ms;
	c->stop_timeout_ms = svc->stop_timeout_ms;
	if (svc->max_duration_ms != 0)
		c->stop_at = c->start_ms + (long long)svc->max_duration_ms;
	snprintf(c->from, sizeof(c->from), "%s", from);
	c->wait_sock = l->kind == LISTEN_WAIT ? l->sock_ino : 0;
	snprintf(c->local, sizeof(c->local), "%s", l->label);
}

/* The handler, or for a TLS service its relay (which starts it). */
static pid_t
supervisor_start(struct supervisor *sv, const struct listener *l,
    const struct spawn_conn *conn, int errfd, struct spawn_failure *fail,
    struct child *c)
{
	const struct service *svc = &sv->gen->cfg.services[l->service];
	const struct confine_plan *plan = &sv->gen->confine.plans[l->service];
	struct tlsrelay_job job = { &sv->gen->tls.svc[l->service], svc, plan, l,
		conn, errfd };

	if (job.ts->n == 0)
		return spawn_handler(svc, plan, l, conn, errfd, fail);
	fail->code = 0;
	fail->pending = -1;
	c->tls_relay = true;
	return tlsrelay_start(&job);
}

int
supervisor_spawn(struct supervisor *sv, const struct listener *l,
    struct spawn_conn *conn, const struct admission *ad, const char *from)
{
	const struct service *svc = &sv->gen->cfg.services[l->service];
	struct spawn_failure fail;
	struct child c;
	int errfd;

	supervisor_child_init(sv, &c, l, from, ad);
	conn->concurrency =
	    admit_started(&sv->gen->admit, l->service, &c.source, c.start_ms);
	errfd = hstderr_for(&sv->err, svc, conn->fd, &c);
	c.pid = -1;
	if (children_reserve(&sv->kids) == 0)
		c.pid = supervisor_start(sv, l, conn, errfd, &fail, &c);
	hstderr_done(svc, errfd);
	c.report = c.pid != -1 ? fail.pending : -1;
	if (c.pid == -1) {
		if (c.err.fd != -1)
			(void)close(c.err.fd);
		admit_fork_failed(&sv->gen->admit, l->service, &c.source,
		    clock_ms());
		log_debug("%s: dropped connection from %s", svc->name, c.from);
		supervisor_fork_failed(sv, svc);
		return -1;
	}
	/* spawn_handler returns once the child has exec'd (vfork). */
	if (l->kind != LISTEN_WAIT)
		hist_observe(&sv->spawn, &hist_spawn,
		    (double)(clock_ns() - sv->accepted_ns) / 1e9);
	if (sv->fork_backoff != 0) {
		event_fork_ok();
		sv->fork_backoff = 0;
	}
	/* Its pipe tells when it ends; without one, a pidfd does. */
	if (c.err.fd == -1)
		supervisor_watch_exit(sv, &c);
	children_add(&sv->kids, &c);
	if (c.max_duration_ms != 0)
		sv->ntimed++;
	if (l->kind == LISTEN_WAIT)
		event_start(svc->name, c.pid, l->label);
	else if (conn->proxy != NULL)
		event_accept_proxied(svc->name, c.pid, c.from, conn->proxy,
		    l->label);
	else
		event_accept(svc->name, c.pid, c.from, l->label);
	if (fail.code != 0)
		hstderr_spawn_failed(svc, c.pid, &fail);
	hstderr_watch(&sv->err, &c);
	return 0;
}

/* A connection that gets no handler: the reject_message if there is one
 * (never for an access-list denial), then the caller closes it.  Linux
 * delivers queued data before a reset, so unread client input does not
 * cost the client the message (a test checks this). */
void
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
		event_accept_paused(sv->gen->cfg.services[l->service].name,
		    l->label, ACCEPT_PAUSE_MS, errno);
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

/* A unix client as the kernel vouches for it.  Its groups are a bonus:
 * a client in more than UNIX_PEER_GROUPS of them (ERANGE) is judged by its
 * uid and gid alone. */
static int
supervisor_unix_peer(int fd, struct unix_peer *p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return -1;
	p->pid = cred.pid;
	p->uid = cred.uid;
	p->gid = cred.gid;
	len = sizeof(p->groups);
	p->ngroups =
	    getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, p->groups, &len) == 0
	    ? len / sizeof(p->groups[0])
	    : 0;
	return 0;
}

/* A TCP connection: admitted by its address. */
static void
supervisor_admit_tcp(struct supervisor *sv, const struct listener *l, int fd,
    const struct sockaddr *peer)
{
	struct spawn_conn conn = { .fd = fd, .peer = peer };
	char from[ADDR_TEXT_MAX];
	struct admission ad;

	ad = admit_connection(&sv->gen->admit, l->service, peer, clock_ms());
	if (!ad.ok) {
		supervisor_refuse(&sv->gen->cfg.services[l->service], fd,
		    ad.why);
		return;
	}
	addr_format(peer, from, sizeof(from));
	(void)supervisor_spawn(sv, l, &conn, &ad, from);
}

/* A unix connection: admitted by its uid and groups. */
static void
supervisor_admit_unix(struct supervisor *sv, const struct listener *l, int fd)
{
	struct spawn_conn conn = { .fd = fd };
	struct unix_peer p;
	struct admission ad;
	char from[64];

	if (supervisor_unix_peer(fd, &p) == -1) {
		log_warn("%s: SO_PEERCRED",
		    sv->gen->cfg.services[l->service].name);
		return;
	}
	ad = admit_connection_unix(&sv->gen->admit, l->service, &p, clock_ms());
	if (!ad.ok) {
		supervisor_refuse(&sv->gen->cfg.services[l->service], fd,
		    ad.why);
		return;
	}
	snprintf(from, sizeof(from), "uid=%u,pid=%d", (unsigned)p.uid,
	    (int)p.pid);
	conn.unix_peer = &p;
	(void)supervisor_spawn(sv, l, &conn, &ad, from);
}

/* Accepts one connection and gives it a handler or a refusal.  Returns
 * false when this listener has nothing more for now. */
static bool
supervisor_accept_one(struct supervisor *sv, const struct listener *l)
{
	const struct service *svc = &sv->gen->cfg.services[l->service];
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	int fd;

	fd = accept4(l->fd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
	if (fd == -1)
		return supervisor_accept_error(sv, l);
	sv->accepted_ns = clock_ns();
	if (sv->starved) {
		event_accept_resumed();
		sv->starved = false;
	}
	/* Behind a balancer the connection waits for its header: it is
	 * supervisor_proxy.c's now. */
	if (l->kind == LISTEN_PROXY) {
		supervisor_proxy_accepted(sv, (size_t)(l - sv->gen->ls), fd,
		    &peer);
		return true;
	}
	if (l->kind == LISTEN_UNIX)
		supervisor_admit_unix(sv, l, fd);
	else
		supervisor_admit_tcp(sv, l, fd, (struct sockaddr *)&peer);
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
		        clock_ms(), &wake) ||
		    !supervisor_proxy_open(sv, &sv->gen->ls[i]))
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
void
supervisor_ready(struct supervisor *sv, size_t i)
{
	switch (sv->gen->ls[i].kind) {
	case LISTEN_STREAM:
	case LISTEN_UNIX:
	case LISTEN_PROXY:
		supervisor_accept(sv, i);
		break;
	case LISTEN_WAIT:
		supervisor_wait_ready(sv, i);
		break;
	}
}
