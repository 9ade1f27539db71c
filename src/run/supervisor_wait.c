/* Wait listeners (wait = yes, and every datagram socket): inetd's
 * contract.  superd accepts nothing; when the socket is readable one
 * handler starts with the socket itself, the socket leaves the epoll set
 * while it runs and comes back at its exit.  A handler that exits at once
 * and leaves the socket as it found it would be started again at once,
 * forever: the next start then waits, longer each time up to a cap, and
 * the service is never given up on. */
#include <sys/socket.h>

#include <poll.h>
#include <string.h>

#include "admit.h"
#include "clock.h"
#include "events.h"
#include "log.h"
#include "spawn.h"
#include "supervisor_int.h"

/* Remembers the datagram first in l's queue (its sender, length and first
 * bytes), to compare at the handler's exit. */
static void
supervisor_wait_mark(struct listener *l)
{
	struct listen_wait *w = &l->wait;
	ssize_t n;

	w->marked = false;
	if (l->type != SOCK_DGRAM)
		return;
	w->mark_fromlen = sizeof(w->mark_from);
	n = recvfrom(l->fd, w->mark_head, sizeof(w->mark_head),
	    MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC,
	    (struct sockaddr *)&w->mark_from, &w->mark_fromlen);
	if (n == -1)
		return;
	w->marked = true;
	w->mark_len = (size_t)n;
}

/* Whether the datagram first in the queue is still the marked one. */
static bool
supervisor_wait_same_head(const struct listener *l)
{
	const struct listen_wait *w = &l->wait;
	unsigned char head[LISTEN_MARK_BYTES];
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	ssize_t n;

	if (!w->marked)
		return false;
	n = recvfrom(l->fd, head, sizeof(head),
	    MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from,
	    &fromlen);
	if (n == -1 || (size_t)n != w->mark_len || fromlen != w->mark_fromlen ||
	    memcmp(&from, &w->mark_from, fromlen) != 0)
		return false;
	return memcmp(head, w->mark_head,
	           w->mark_len < sizeof(head) ? w->mark_len : sizeof(head)) ==
	    0;
}

/* Whether the handler took nothing: the socket is still readable, and a
 * datagram socket still has the same datagram first.  (A stream socket's
 * queue cannot be looked into: still readable is all there is.) */
static bool
supervisor_wait_untouched(const struct listener *l)
{
	struct pollfd p = { .fd = l->fd, .events = POLLIN };

	if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN))
		return false;
	return l->type != SOCK_DGRAM || supervisor_wait_same_head(l);
}

void
supervisor_wait_ready(struct supervisor *sv, size_t i)
{
	struct listener *l = &sv->gen->ls[i];
	struct spawn_conn conn = { .fd = l->fd };
	struct admission ad;

	/* A limit reached by another listener of the service in this same
	 * wakeup. */
	if (!admit_wait(&sv->gen->admit, l->service, clock_ms(), &ad)) {
		supervisor_refresh_service(sv, l->service, clock_ms());
		return;
	}
	supervisor_wait_mark(l);
	if (supervisor_spawn(sv, l, &conn, &ad, "-") == -1)
		return;
	l->wait.busy = true;
	supervisor_refresh_service(sv, l->service, clock_ms());
}

bool
supervisor_wait_idle(const struct listener *l)
{
	return l->kind != LISTEN_WAIT ||
	    (!l->wait.busy && l->wait.resume_at == 0);
}

/* The listener with this socket in the running generation (a reload may
 * have moved it, or closed it), or NULL. */
static struct listener *
supervisor_wait_find(struct supervisor *sv, unsigned long sock)
{
	size_t i;

	for (i = 0; i < sv->gen->nls; i++)
		if (sv->gen->ls[i].fd != -1 &&
		    sv->gen->ls[i].sock_ino == sock &&
		    sv->gen->ls[i].kind == LISTEN_WAIT)
			return &sv->gen->ls[i];
	return NULL;
}

/* One more handler left the socket untouched: wait longer before the
 * next, logging each new length (at the cap, nothing more). */
static void
supervisor_wait_backoff(struct supervisor *sv, struct listener *l,
    long long now)
{
	struct listen_wait *w = &l->wait;
	int ms = w->backoff_ms == 0 ? WAIT_BACKOFF_MIN_MS : w->backoff_ms * 2;

	if (ms > WAIT_BACKOFF_MAX_MS)
		ms = WAIT_BACKOFF_MAX_MS;
	if (ms != w->backoff_ms)
		event_wait_backoff(sv->gen->cfg.services[l->service].name,
		    l->label, ms);
	w->backoff_ms = ms;
	if (w->resume_at == 0)
		sv->nbackoff++;
	w->resume_at = now + ms;
}

void
supervisor_wait_exited(struct supervisor *sv, const struct child *c,
    long long now)
{
	struct listener *l = supervisor_wait_find(sv, c->wait_sock);

	if (l == NULL)
		return;
	l->wait.busy = false;
	if (!sv->stopping && now - c->start_ms < WAIT_QUICK_MS &&
	    supervisor_wait_untouched(l)) {
		supervisor_wait_backoff(sv, l, now);
	} else if (l->wait.backoff_ms != 0) {
		l->wait.backoff_ms = 0;
		event_wait_backoff(sv->gen->cfg.services[l->service].name,
		    l->label, 0);
	}
	supervisor_refresh_service(sv, l->service, now);
}

long long
supervisor_wait_deadline(const struct supervisor *sv, long long t)
{
	const struct listener *l;
	size_t i;

	for (i = 0; sv->nbackoff > 0 && i < sv->gen->nls; i++) {
		l = &sv->gen->ls[i];
		if (l->wait.resume_at != 0 &&
		    (t == -1 || l->wait.resume_at < t))
			t = l->wait.resume_at;
	}
	return t;
}

void
supervisor_wait_timers(struct supervisor *sv, long long now)
{
	struct listener *l;
	size_t i;

	for (i = 0; sv->nbackoff > 0 && i < sv->gen->nls; i++) {
		l = &sv->gen->ls[i];
		if (l->wait.resume_at == 0 || now < l->wait.resume_at)
			continue;
		l->wait.resume_at = 0;
		sv->nbackoff--;
		log_debug("%s: retrying %s",
		    sv->gen->cfg.services[l->service].name, l->label);
		supervisor_refresh_service(sv, l->service, now);
	}
}

void
supervisor_wait_recount(struct supervisor *sv)
{
	size_t i;

	sv->nbackoff = 0;
	for (i = 0; i < sv->gen->nls; i++)
		sv->nbackoff += sv->gen->ls[i].wait.resume_at != 0;
}
