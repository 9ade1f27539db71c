/* Opening listeners: non-blocking (the loop drains accept until EAGAIN),
 * close-on-exec, SO_REUSEADDR so a restart is not refused while old
 * connections sit in TIME_WAIT, and IPV6_V6ONLY so a client's address is
 * never an IPv4-mapped one. */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "listen.h"
#include "log.h"

static int
listen_socket(const struct bind_addr *ba, unsigned short port)
{
	struct sockaddr_storage ss = ba->ss;
	int fd, on = 1, saved;

	addr_set_port(&ss, port);
	fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	if (addr_prepare_listener(fd, ss.ss_family) == -1)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, ba->len) == -1)
		goto fail;
	if (listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* Fills in what the supervisor needs per connection, once, here. */
static int
listen_describe(struct listener *l)
{
	unsigned short port;

	l->locallen = sizeof(l->local);
	if (getsockname(l->fd, (struct sockaddr *)&l->local, &l->locallen) ==
	    -1)
		return -1;
	port = addr_text((struct sockaddr *)&l->local, l->ip, sizeof(l->ip));
	l->wildcard = addr_is_wildcard(&l->local);
	l->portnum = port;
	snprintf(l->port, sizeof(l->port), "%u", port);
	addr_format((struct sockaddr *)&l->local, l->label, sizeof(l->label));
	return 0;
}

/* A host without IPv6 must not stop a service that merely defaulted to
 * "every address". */
static bool
listen_skippable(const struct service *svc, const struct bind_addr *ba, int err)
{
	return svc->bind_default && addr_family_optional(ba->ss.ss_family) &&
	    (err == EAFNOSUPPORT || err == EADDRNOTAVAIL);
}

/* One build: what it works from (the configuration, the service
 * manager's sockets, the running listeners) and what it has made. */
struct listen_ctx {
	const struct config *cfg;
	struct activation *act; /* NULL: none */
	struct listener *old;   /* the running listeners; NULL at start */
	size_t nold;
	const struct config *oldcfg;
	struct listener *made;
	size_t n;
	char *err;
	size_t errlen;
};

/* Whether made[] already keeps old listener i. */
static bool
listen_kept(const struct listen_ctx *x, size_t i)
{
	size_t j;

	for (j = 0; j < x->n; j++)
		if (x->made[j].from_old == (long)i)
			return true;
	return false;
}

/* A running listener this bind may keep (see listen_build). */
static long
listen_find_old(const struct listen_ctx *x, const struct service *svc,
    const struct bind_addr *ba, unsigned short port)
{
	const struct listener *o;
	size_t i;

	for (i = 0; i < x->nold; i++) {
		o = &x->old[i];
		if (o->fd == -1 || o->origin == LISTEN_ADOPTED ||
		    o->kind != LISTEN_STREAM ||
		    !addr_same_host(&o->bind.ss, &ba->ss))
			continue;
		if (port != 0 ? o->portnum != port
		              : (o->want_port != 0 ||
		                    strcmp(x->oldcfg->services[o->service].name,
		                        svc->name) != 0))
			continue;
		if (!listen_kept(x, i))
			return (long)i;
	}
	return -1;
}

/* l adopts a socket of the service manager's. */
static int
listen_take_inherited(struct listener *l, struct inherited *in)
{
	l->fd = in->fd;
	l->origin = LISTEN_ADOPTED;
	if (listen_describe(l) == -1)
		return -1;
	memset(&l->bind, 0, sizeof(l->bind));
	l->bind.ss = l->local;
	l->bind.len = l->locallen;
	activate_claim(in);
	return 0;
}

/* The next listener, for service idx: cleared, of the one kind there is
 * so far. */
static struct listener *
listen_next(struct listen_ctx *x, size_t idx)
{
	struct listener *l = &x->made[x->n];

	memset(l, 0, sizeof(*l));
	l->service = idx;
	l->kind = LISTEN_STREAM;
	l->from_old = -1;
	return l;
}

/* One listener for bind ba of service idx: passed, kept or opened. */
static int
listen_one(struct listen_ctx *x, size_t idx, const struct bind_addr *ba,
    unsigned short port)
{
	const struct service *svc = &x->cfg->services[idx];
	struct listener *l = listen_next(x, idx);
	struct inherited *in;
	long o;

	if (x->act != NULL &&
	    (in = activate_bound(x->act, &ba->ss, port)) != NULL)
		return listen_take_inherited(l, in);
	if ((o = listen_find_old(x, svc, ba, port)) != -1) {
		*l = x->old[o];
		l->service = idx;
		l->origin = LISTEN_KEPT;
		l->from_old = o;
		return 0;
	}
	l->bind = *ba;
	l->want_port = svc->port;
	l->origin = LISTEN_OPENED;
	if ((l->fd = listen_socket(ba, port)) == -1)
		return -1;
	if (listen_describe(l) == -1) {
		close(l->fd);
		l->fd = -1;
		return -1;
	}
	return 0;
}

/* Every passed socket named after service idx; returns how many. */
static long
listen_named(struct listen_ctx *x, size_t idx)
{
	const char *name = x->cfg->services[idx].name;
	struct inherited *in;
	size_t from = 0;
	long n = 0;

	while (x->act != NULL &&
	    (in = activate_named(x->act, name, &from)) != NULL) {
		if (listen_take_inherited(listen_next(x, idx), in) == -1)
			return -1;
		x->n++;
		n++;
	}
	return n;
}

/* Service idx's listeners: every inherited socket named after it, or one
 * per bind.  Port 0 asks the kernel for a port once; the service's other
 * addresses then use the same one. */
static int
listen_service(struct listen_ctx *x, size_t idx)
{
	const struct service *svc = &x->cfg->services[idx];
	unsigned short port = svc->port;
	char addr[ADDR_TEXT_MAX];
	long named;
	size_t i = 0;

	if ((named = listen_named(x, idx)) == -1)
		goto fail;
	for (i = 0; named == 0 && i < svc->nbinds; i++) {
		if (listen_one(x, idx, &svc->binds[i], port) == -1) {
			if (listen_skippable(svc, &svc->binds[i], errno))
				continue;
			goto fail;
		}
		port = x->made[x->n].portnum;
		x->n++;
	}
	return 0;
fail:
	addr_format_bind(&svc->binds[i < svc->nbinds ? i : 0], port, addr,
	    sizeof(addr));
	snprintf(x->err, x->errlen, "%s: cannot listen on %s: %s", svc->name,
	    addr, strerror(errno));
	return -1;
}

static size_t
listen_capacity(const struct config *cfg, const struct activation *act)
{
	size_t i, total = act != NULL ? act->n : 0;

	for (i = 0; i < cfg->nservices; i++)
		if (cfg->services[i].enabled)
			total += cfg->services[i].nbinds;
	return total ? total : 1;
}

/* Undoes a failed build: what it opened is closed, what it took from
 * act is handed back; old was never touched. */
static void
listen_unbuild(struct listen_ctx *x)
{
	const struct listener *l;
	size_t i;

	for (i = 0; i < x->n; i++) {
		l = &x->made[i];
		if (l->origin == LISTEN_OPENED && close(l->fd) == -1)
			log_warn("close listener %s", l->label);
		if (l->origin == LISTEN_ADOPTED)
			activate_mark(x->act, l->fd, false);
	}
	free(x->made);
}

/* A socket of the service manager's, adopted again on a reload, moves
 * out of old like a kept one. */
static void
listen_unhook(struct listener *old, size_t nold, int fd)
{
	size_t i;

	for (i = 0; i < nold; i++)
		if (old[i].fd == fd)
			old[i].fd = -1;
}

/* The line for a listener; one kept across a reload only with -v. */
static void
listen_log(const char *name, const struct listener *l, bool reload)
{
	if (l->origin == LISTEN_KEPT ||
	    (l->origin == LISTEN_ADOPTED && reload)) {
		if (log_verbose())
			event_listen(name, l->label, EVENT_KEPT);
	} else if (l->origin == LISTEN_ADOPTED) {
		event_listen(name, l->label, EVENT_PASSED);
	} else {
		event_listen(name, l->label, EVENT_OPENED);
	}
}

/* The build succeeded: what it kept leaves old, and each is logged. */
static void
listen_report(const struct listen_ctx *x)
{
	const struct listener *l;
	size_t i;

	for (i = 0; i < x->n; i++) {
		l = &x->made[i];
		if (l->origin == LISTEN_KEPT)
			x->old[l->from_old].fd = -1;
		else if (l->origin == LISTEN_ADOPTED && x->nold > 0)
			listen_unhook(x->old, x->nold, l->fd);
		listen_log(x->cfg->services[l->service].name, l, x->nold > 0);
	}
}

int
listen_build(const struct config *cfg, struct activation *act,
    const struct listen_old *old, struct listener **out, size_t *nout,
    char *err, size_t errlen)
{
	struct listen_ctx x = { .cfg = cfg,
		.act = act,
		.err = err,
		.errlen = errlen };
	size_t i;

	if (old != NULL) {
		x.old = old->ls;
		x.nold = old->nls;
		x.oldcfg = old->cfg;
	}
	x.made = calloc(listen_capacity(cfg, act), sizeof(*x.made));
	if (x.made == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	for (i = 0; i < cfg->nservices; i++) {
		if (cfg->services[i].enabled && listen_service(&x, i) == -1) {
			listen_unbuild(&x);
			return -1;
		}
	}
	listen_report(&x);
	*out = x.made;
	*nout = x.n;
	return 0;
}

void
listen_close_all(struct listener *ls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ls[i].fd != -1 && close(ls[i].fd) == -1)
			log_warn("close listener %s", ls[i].label);
	free(ls);
}
