/* Listeners behind a load balancer (proxy_protocol): a connection from a
 * proxy_from address waits, in the loop and never blocking it, until its
 * PROXY header is whole; then the header is read off (and not a byte
 * more: the client's first bytes stay for the handler) and the client it
 * names is admitted as if it had connected itself.  The header is looked
 * at with MSG_PEEK and the socket is watched edge-triggered, so a partial
 * header costs no buffer and no spinning.  At most max_connections
 * connections of a service wait at once (its listener leaves the epoll
 * set meanwhile), each at most proxy_timeout. */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admit.h"
#include "clock.h"
#include "events.h"
#include "log.h"
#include "proxyhdr.h"
#include "spawn.h"
#include "supervisor_int.h"

/* The environment a proxied handler gets besides UCSPI's: the balancer's
 * address and port, and one variable per TLV. */
#define PROXY_ENV_BUF                                                          \
	(2 * (24 + ADDR_IP_MAX) + PROXYHDR_TLVS * (24 + PROXYHDR_VALUE_MAX))

int
supervisor_proxy_init(struct supervisor *sv)
{
	struct proxy_table *t = &sv->proxy;
	size_t cap = sv->gen->cfg.max_children;

	memset(t, 0, sizeof(*t));
	t->cap = cap;
	t->slot = calloc(cap, sizeof(*t->slot));
	t->used = calloc(cap, sizeof(*t->used));
	t->pos = calloc(cap, sizeof(*t->pos));
	t->free_ids = calloc(cap, sizeof(*t->free_ids));
	t->buf = malloc(PROXYHDR_MAX);
	t->nservices = sv->gen->cfg.nservices;
	t->waiting = calloc(t->nservices + 1, sizeof(*t->waiting));
	t->full = calloc(t->nservices + 1, sizeof(*t->full));
	if (t->slot == NULL || t->used == NULL || t->pos == NULL ||
	    t->free_ids == NULL || t->buf == NULL || t->waiting == NULL ||
	    t->full == NULL)
		return -1;
	/* Nothing is written now: slots are handed out from the first
	 * (fresh), freed ones first, so the pages of a table no connection
	 * used are never touched. */
	return 0;
}

void
supervisor_proxy_free(struct supervisor *sv)
{
	struct proxy_table *t = &sv->proxy;

	free(t->slot);
	free(t->used);
	free(t->pos);
	free(t->free_ids);
	free(t->buf);
	free(t->waiting);
	free(t->full);
	memset(t, 0, sizeof(*t));
}

bool
supervisor_proxy_open(const struct supervisor *sv, const struct listener *l)
{
	const struct proxy_table *t = &sv->proxy;

	if (l->kind != LISTEN_PROXY)
		return true;
	return t->n < t->cap && l->service < t->nservices &&
	    t->waiting[l->service] <
	    sv->gen->cfg.services[l->service].max_connections;
}

/* The cap of service s reached, or left: logged and counted once. */
static void
supervisor_proxy_full(struct supervisor *sv, size_t s)
{
	struct proxy_table *t = &sv->proxy;
	const struct service *svc = &sv->gen->cfg.services[s];
	bool full = t->waiting[s] >= svc->max_connections;

	if (full == t->full[s])
		return;
	t->full[s] = full;
	if (full)
		admit_count(&sv->gen->admit, s, STAT_PROXY_FULL);
	if (!sv->stopping)
		event_limit_proxy(svc->name, full, t->waiting[s]);
}

/* Takes connection w into the table and the epoll set.  -1 if it cannot
 * be watched. */
static int
supervisor_proxy_add(struct supervisor *sv, const struct proxy_wait *w)
{
	struct proxy_table *t = &sv->proxy;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET };
	size_t id, s = sv->gen->ls[w->listener].service;

	if (t->n == t->cap)
		return -1;
	id = t->nfree > 0 ? t->free_ids[t->nfree - 1] : t->fresh;
	ev.data.u64 = SUPERVISOR_EVENT_PROXY | id;
	if (epoll_ctl(sv->epfd, EPOLL_CTL_ADD, w->fd, &ev) == -1)
		return -1;
	if (t->nfree > 0)
		t->nfree--;
	else
		t->fresh++;
	t->slot[id] = *w;
	t->pos[id] = t->n;
	t->used[t->n++] = id;
	t->waiting[s]++;
	supervisor_proxy_full(sv, s);
	return 0;
}

/* Slot id leaves the table and the epoll set; its fd is the caller's. */
static void
supervisor_proxy_remove(struct supervisor *sv, size_t id)
{
	struct proxy_table *t = &sv->proxy;
	size_t i = t->pos[id], last = t->used[--t->n];
	size_t s = t->slot[id].service;

	if (epoll_ctl(sv->epfd, EPOLL_CTL_DEL, t->slot[id].fd, NULL) == -1)
		log_warn("epoll_ctl: a connection waiting for its PROXY "
		         "header");
	t->used[i] = last;
	t->pos[last] = i;
	t->free_ids[t->nfree++] = id;
	t->slot[id].fd = -1;
	if (s < t->nservices) {
		t->waiting[s]--;
		supervisor_proxy_full(sv, s);
		supervisor_refresh_service(sv, s, clock_ms());
	}
}

/* A connection refused before admission: counted (the caller closes
 * it). */
static void
supervisor_proxy_refuse(struct supervisor *sv, const struct proxy_wait *w,
    enum refusal why, const char *reason)
{
	char from[ADDR_TEXT_MAX];

	admit_count(&sv->gen->admit, w->service, STAT_REFUSED + why);
	addr_format((const struct sockaddr *)&w->peer, from, sizeof(from));
	log_debug("%s: refused %s (reason=%s): %s",
	    sv->gen->cfg.services[w->service].name, from, admit_reason[why],
	    reason);
}

/* Reads the header's len bytes off the socket (they are there: peeked). */
static int
supervisor_proxy_consume(int fd, unsigned char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* "NAME=value" into env[*n], from buf[*used...]. */
static void
supervisor_proxy_env(char **env, size_t *n, char *buf, size_t *used,
    const char *name, const char *value, size_t len)
{
	int k = snprintf(buf + *used, PROXY_ENV_BUF - *used, "%s=%.*s", name,
	    (int)len, value);

	if (k < 0 || (size_t)k >= PROXY_ENV_BUF - *used)
		return;
	env[(*n)++] = buf + *used;
	*used += (size_t)k + 1;
	env[*n] = NULL;
}

/* The balancer's address and the TLVs, for the handler. */
static void
supervisor_proxy_envs(const struct proxy_wait *w, const struct proxyhdr *h,
    const unsigned char *hdr, char **env, char *buf)
{
	char ip[ADDR_IP_MAX], port[8];
	size_t n = 0, used = 0;
	int t;

	env[0] = NULL;
	snprintf(port, sizeof(port), "%u",
	    addr_text((const struct sockaddr *)&w->peer, ip, sizeof(ip)));
	supervisor_proxy_env(env, &n, buf, &used, "PROXYREMOTEIP", ip,
	    strlen(ip));
	supervisor_proxy_env(env, &n, buf, &used, "PROXYREMOTEPORT", port,
	    strlen(port));
	for (t = 0; t < PROXYHDR_TLVS; t++)
		if (h->tlv[t].len > 0)
			supervisor_proxy_env(env, &n, buf, &used,
			    proxyhdr_tlv_env[t],
			    (const char *)hdr + h->tlv[t].off, h->tlv[t].len);
}

/* The header is whole: read it off, admit the client it names (the
 * balancer itself for LOCAL and UNKNOWN), start its handler (the caller
 * closes the connection, which the handler has its own copy of). */
static void
supervisor_proxy_admit(struct supervisor *sv, const struct proxy_wait *w,
    const struct proxyhdr *h)
{
	const struct listener *l = &sv->gen->ls[w->listener];
	const struct service *svc = &sv->gen->cfg.services[w->service];
	char *env[SPAWN_EXTRA_MAX + 1], envbuf[PROXY_ENV_BUF];
	char from[ADDR_TEXT_MAX], proxy[ADDR_TEXT_MAX];
	struct spawn_conn conn = { .fd = w->fd };
	struct admission ad;

	if (supervisor_proxy_consume(w->fd, sv->proxy.buf, h->len) == -1) {
		supervisor_proxy_refuse(sv, w, REFUSE_PROXY_INVALID,
		    "the header could not be read off");
		return;
	}
	conn.peer = h->local ? (const struct sockaddr *)&w->peer
	                     : (const struct sockaddr *)&h->src;
	conn.local = h->local ? NULL : (const struct sockaddr *)&h->dst;
	ad = admit_connection(&sv->gen->admit, w->service, conn.peer,
	    clock_ms());
	if (ad.ok) {
		supervisor_proxy_envs(w, h, sv->proxy.buf, env, envbuf);
		addr_format(conn.peer, from, sizeof(from));
		addr_format((const struct sockaddr *)&w->peer, proxy,
		    sizeof(proxy));
		conn.extra_env = env;
		conn.proxy = proxy;
		(void)supervisor_spawn(sv, l, &conn, &ad, from);
	} else {
		supervisor_refuse(svc, w->fd, ad.why);
	}
}

/* Looks at what w's client sent so far.  Returns true while the header
 * is still incomplete (w stays); false when w was admitted or refused
 * (the caller closes it).  hup: the client will send nothing more. */
static bool
supervisor_proxy_step(struct supervisor *sv, const struct proxy_wait *w,
    bool hup)
{
	unsigned versions = sv->gen->cfg.services[w->service].proxy_versions;
	size_t need = proxyhdr_first_need(versions), next = 0;
	enum proxyhdr_status st;
	struct proxyhdr h;
	const char *why;
	ssize_t n;

	for (;;) {
		n = recv(w->fd, sv->proxy.buf, need, MSG_PEEK | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    !hup)
			return true;
		if (n <= 0) {
			supervisor_proxy_refuse(sv, w, REFUSE_PROXY_INVALID,
			    n == 0 || errno == EAGAIN ? "closed before the "
			                                "whole header"
			                              : strerror(errno));
			return false;
		}
		st = proxyhdr_parse(sv->proxy.buf, (size_t)n, versions, &h,
		    &next, &why);
		if (st == PROXYHDR_DONE) {
			supervisor_proxy_admit(sv, w, &h);
			return false;
		}
		if (st == PROXYHDR_INVALID) {
			supervisor_proxy_refuse(sv, w, REFUSE_PROXY_INVALID,
			    why);
			return false;
		}
		/* Fewer bytes than asked for: the rest is still on its way,
		 * unless the client said it sends nothing more. */
		if ((size_t)n < need && hup) {
			supervisor_proxy_refuse(sv, w, REFUSE_PROXY_INVALID,
			    "closed before the whole header");
			return false;
		}
		if ((size_t)n < need)
			return true;
		need = next;
	}
}

/* Whether the balancer at peer is one of svc's proxy_from. */
static bool
supervisor_proxy_trusted(const struct service *svc,
    const struct sockaddr_storage *peer)
{
	struct cidr addr;

	return cidr_from_sockaddr((const struct sockaddr *)peer, &addr) &&
	    cidr_allowed(svc->proxy_from, svc->nproxy_from, NULL, 0, &addr);
}

void
supervisor_proxy_accepted(struct supervisor *sv, size_t li, int fd,
    const struct sockaddr_storage *peer)
{
	const struct listener *l = &sv->gen->ls[li];
	const struct service *svc = &sv->gen->cfg.services[l->service];
	struct proxy_wait w = { .fd = fd,
		.listener = li,
		.service = l->service,
		.sock_ino = l->sock_ino,
		.peer = *peer };

	w.deadline = clock_ms() + (long long)svc->proxy_timeout_ms;
	if (!supervisor_proxy_trusted(svc, peer)) {
		supervisor_proxy_refuse(sv, &w, REFUSE_PROXY_UNTRUSTED,
		    "not in proxy_from");
	} else if (supervisor_proxy_step(sv, &w, false)) {
		/* Not all there yet (it often comes with the connection). */
		if (supervisor_proxy_add(sv, &w) == 0)
			return;
		log_warn("%s: cannot wait for a PROXY header", svc->name);
	}
	if (close(fd) == -1)
		log_warn("%s: close connection", svc->name);
}

void
supervisor_proxy_ready(struct supervisor *sv, size_t id, uint32_t events)
{
	struct proxy_table *t = &sv->proxy;
	struct proxy_wait w;

	/* Gone earlier in this batch of events. */
	if (id >= t->fresh || t->slot[id].fd == -1)
		return;
	w = t->slot[id];
	/* The metrics' accept-to-exec time of a connection that waited for
	 * its header starts when the header may be whole: superd's part. */
	sv->accepted_ns = clock_ns();
	if (supervisor_proxy_step(sv, &w,
	        (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0))
		return;
	/* Out of the epoll set before the close: a handler holds the same
	 * socket, which would stay registered. */
	supervisor_proxy_remove(sv, id);
	if (close(w.fd) == -1)
		log_warn("close");
}

long long
supervisor_proxy_deadline(const struct supervisor *sv, long long next)
{
	const struct proxy_table *t = &sv->proxy;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (next == -1 || t->slot[t->used[i]].deadline < next)
			next = t->slot[t->used[i]].deadline;
	return next;
}

void
supervisor_proxy_timers(struct supervisor *sv, long long now)
{
	struct proxy_table *t = &sv->proxy;
	struct proxy_wait w;
	size_t i, id;

	/* From the end: a removal moves the last entry into its place. */
	for (i = t->n; i-- > 0;) {
		id = t->used[i];
		if (t->slot[id].deadline > now)
			continue;
		w = t->slot[id];
		supervisor_proxy_remove(sv, id);
		supervisor_proxy_refuse(sv, &w, REFUSE_PROXY_TIMEOUT,
		    "no whole header within proxy_timeout");
		if (close(w.fd) == -1)
			log_warn("close");
	}
}

void
supervisor_proxy_close_all(struct supervisor *sv)
{
	struct proxy_table *t = &sv->proxy;
	int fd;

	while (t->n > 0) {
		fd = t->slot[t->used[t->n - 1]].fd;
		supervisor_proxy_remove(sv, t->used[t->n - 1]);
		if (close(fd) == -1)
			log_warn("close");
	}
}

/* A reload: each waiting connection follows its listening socket (kept
 * by the reload, found by inode) to the service that now has it; one
 * whose socket is gone, or whose new service takes no PROXY header or
 * not from its balancer, is closed. */
static bool
supervisor_proxy_follow(struct supervisor *sv, struct proxy_wait *w)
{
	const struct generation *g = sv->gen;
	size_t i;

	for (i = 0; i < g->nls; i++) {
		if (g->ls[i].fd == -1 || g->ls[i].sock_ino != w->sock_ino ||
		    g->ls[i].kind != LISTEN_PROXY)
			continue;
		w->listener = i;
		w->service = g->ls[i].service;
		return supervisor_proxy_trusted(&g->cfg.services[w->service],
		    &w->peer);
	}
	return false;
}

/* A reload that raises max_children raises the table's cap with it.
 * Slot ids are epoll data, so the slots keep their places (realloc), and
 * the new ones, fresh, are not touched until used.  Never shrunk: a
 * lower max_children lets the extra slots drain.  Out of memory, the old
 * cap stays, which only holds clients in the backlog longer. */
static void
supervisor_proxy_grow(struct proxy_table *t, size_t cap)
{
	void *p;

	if (cap <= t->cap)
		return;
	if ((p = reallocarray(t->slot, cap, sizeof(*t->slot))) == NULL)
		return;
	t->slot = p;
	if ((p = reallocarray(t->used, cap, sizeof(*t->used))) == NULL)
		return;
	t->used = p;
	if ((p = reallocarray(t->pos, cap, sizeof(*t->pos))) == NULL)
		return;
	t->pos = p;
	if ((p = reallocarray(t->free_ids, cap, sizeof(*t->free_ids))) == NULL)
		return;
	t->free_ids = p;
	t->cap = cap;
}

int
supervisor_proxy_rehome(struct supervisor *sv)
{
	struct proxy_table *t = &sv->proxy;
	size_t ns = sv->gen->cfg.nservices, i, id;
	int fd;
	size_t *waiting = calloc(ns + 1, sizeof(*waiting));
	bool *full = calloc(ns + 1, sizeof(*full));

	if (waiting == NULL || full == NULL) {
		free(waiting);
		free(full);
		return -1;
	}
	free(t->waiting);
	free(t->full);
	t->waiting = waiting;
	t->full = full;
	t->nservices = ns;
	supervisor_proxy_grow(t, sv->gen->cfg.max_children);
	for (i = t->n; i-- > 0;) {
		id = t->used[i];
		if (supervisor_proxy_follow(sv, &t->slot[id])) {
			waiting[t->slot[id].service]++;
			continue;
		}
		log_debug("reload: closing a connection that waited for its "
		          "PROXY header");
		fd = t->slot[id].fd;
		t->slot[id].service = ns; /* counted nowhere */
		supervisor_proxy_remove(sv, id);
		if (close(fd) == -1)
			log_warn("close");
	}
	for (i = 0; i < ns; i++)
		full[i] =
		    waiting[i] >= sv->gen->cfg.services[i].max_connections;
	return 0;
}
