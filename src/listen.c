/* Opening listeners: non-blocking (the loop drains accept until EAGAIN),
 * close-on-exec, SO_REUSEADDR so a restart is not refused while old
 * connections sit in TIME_WAIT, and IPV6_V6ONLY so a client's address is
 * never an IPv4-mapped one. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
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
	return svc->bind_default && ba->ss.ss_family == AF_INET6 &&
	    (err == EAFNOSUPPORT || err == EADDRNOTAVAIL);
}

/* A running listener this bind may keep (see listen_build). */
static long
listen_find_old(const struct service *svc, const struct bind_addr *ba,
    unsigned short port, struct listener *old, size_t nold,
    const struct config *oldcfg, const struct listener *made, size_t nmade)
{
	size_t i, j;

	for (i = 0; i < nold; i++) {
		if (old[i].fd == -1 || old[i].origin == LISTEN_ADOPTED ||
		    !addr_same_host(&old[i].bind.ss, &ba->ss))
			continue;
		if (port != 0
		        ? old[i].portnum != port
		        : (old[i].want_port != 0 ||
		              strcmp(oldcfg->services[old[i].service].name,
		                  svc->name) != 0))
			continue;
		for (j = 0; j < nmade; j++)
			if (made[j].from_old == (long)i)
				break;
		if (j == nmade)
			return (long)i;
	}
	return -1;
}

/* An inherited socket bound to ba's address and port, or NULL. */
static struct inherited *
listen_find_inherited(struct activation *act, const struct bind_addr *ba,
    unsigned short port)
{
	size_t i;

	for (i = 0; act != NULL && i < act->n && port != 0; i++)
		if (!act->v[i].taken &&
		    addr_same_host(&act->v[i].addr, &ba->ss) &&
		    addr_port(&act->v[i].addr) == port)
			return &act->v[i];
	return NULL;
}

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
	in->taken = true;
	return 0;
}

/* One listener for bind ba of service idx, into l. */
static int
listen_one(const struct config *cfg, size_t idx, const struct bind_addr *ba,
    unsigned short port, struct activation *act, struct listener *old,
    size_t nold, const struct config *oldcfg, struct listener *made,
    size_t nmade)
{
	const struct service *svc = &cfg->services[idx];
	struct listener *l = &made[nmade];
	struct inherited *in;
	long o;

	memset(l, 0, sizeof(*l));
	l->service = idx;
	l->from_old = -1;
	if ((in = listen_find_inherited(act, ba, port)) != NULL)
		return listen_take_inherited(l, in);
	o = listen_find_old(svc, ba, port, old, nold, oldcfg, made, nmade);
	if (o != -1) {
		*l = old[o];
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

/* svc's listeners into made[*n…]: every inherited socket named after it,
 * or one per bind.  Port 0 asks the kernel for a port once; the service's
 * other addresses then use the same one. */
static int
listen_service(const struct config *cfg, size_t idx, struct activation *act,
    struct listener *old, size_t nold, const struct config *oldcfg,
    struct listener *made, size_t *n, char *err, size_t errlen)
{
	const struct service *svc = &cfg->services[idx];
	unsigned short port = svc->port;
	char addr[INET6_ADDRSTRLEN + 8];
	bool named = false;
	size_t i;

	for (i = 0; act != NULL && i < act->n; i++) {
		if (act->v[i].taken || strcmp(act->v[i].name, svc->name) != 0)
			continue;
		made[*n].service = idx;
		made[*n].from_old = -1;
		if (listen_take_inherited(&made[*n], &act->v[i]) == -1)
			goto fail;
		(*n)++;
		named = true;
	}
	for (i = 0; !named && i < svc->nbinds; i++) {
		if (listen_one(cfg, idx, &svc->binds[i], port, act, old, nold,
		        oldcfg, made, *n) == -1) {
			if (listen_skippable(svc, &svc->binds[i], errno))
				continue;
			goto fail;
		}
		port = made[*n].portnum;
		(*n)++;
	}
	return 0;
fail:
	addr_format_bind(&svc->binds[i < svc->nbinds ? i : 0], port, addr,
	    sizeof(addr));
	snprintf(err, errlen, "%s: cannot listen on %s: %s", svc->name, addr,
	    strerror(errno));
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
listen_unbuild(struct listener *made, size_t n, struct activation *act)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (made[i].origin == LISTEN_OPENED && close(made[i].fd) == -1)
			log_warn("close listener %s", made[i].label);
		for (j = 0; made[i].origin == LISTEN_ADOPTED && j < act->n; j++)
			if (act->v[j].fd == made[i].fd)
				act->v[j].taken = false;
	}
	free(made);
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
			log_event("listen", "service=%s address=%s origin=kept",
			    "%s: keeping %s", name, l->label);
	} else if (l->origin == LISTEN_ADOPTED) {
		log_event("listen", "service=%s address=%s origin=passed",
		    "%s: listening on %s (socket passed by the service "
		    "manager)",
		    name, l->label);
	} else {
		log_event("listen", "service=%s address=%s origin=opened",
		    "%s: listening on %s", name, l->label);
	}
}

static void
listen_report(const struct config *cfg, struct listener *made, size_t n,
    struct listener *old, size_t nold)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (made[i].origin == LISTEN_KEPT)
			old[made[i].from_old].fd = -1;
		else if (made[i].origin == LISTEN_ADOPTED && nold > 0)
			listen_unhook(old, nold, made[i].fd);
		listen_log(cfg->services[made[i].service].name, &made[i],
		    nold > 0);
	}
}

int
listen_build(const struct config *cfg, struct activation *act,
    struct listener *old, size_t nold, const struct config *oldcfg,
    struct listener **out, size_t *nout, char *err, size_t errlen)
{
	struct listener *made;
	size_t i, n = 0;

	made = calloc(listen_capacity(cfg, act), sizeof(*made));
	if (made == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	for (i = 0; i < cfg->nservices; i++) {
		if (!cfg->services[i].enabled)
			continue;
		if (listen_service(cfg, i, act, old, nold, oldcfg, made, &n,
		        err, errlen) == -1) {
			listen_unbuild(made, n, act);
			return -1;
		}
	}
	listen_report(cfg, made, n, old, nold);
	*out = made;
	*nout = n;
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
