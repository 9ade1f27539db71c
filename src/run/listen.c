/* Opening listeners: close-on-exec, non-blocking where the loop accepts
 * (it drains accept until EAGAIN), blocking where a wait handler gets the
 * socket itself; the family's own options (addr.c); for a unix socket,
 * its file (sockfile.c). */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "listen.h"
#include "log.h"
#include "spawn.h"

/* Services between two looks at the stop function: a socket takes
 * microseconds, so a stop is seen within milliseconds. */
#define LISTEN_STOP_EVERY 64

/* A new socket of svc's type bound to ba (and port); for a unix socket,
 * its file is recorded in l.  *why: see sockfile_bind. */
static int
listen_socket(const struct service *svc, const struct bind_addr *ba,
    unsigned short port, struct listener *l, const char **why)
{
	struct sockaddr_storage ss = ba->ss;
	int fd, saved, rc;

	addr_set_port(&ss, port);
	fd = socket(ss.ss_family, svc->sock_type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	/* A wait service's socket goes to its handler, which should copy
	 * little: it stays low. */
	if (!svc->wait)
		fd = spawn_keep_high(fd);
	if (addr_prepare_listener(fd, ss.ss_family) == -1)
		goto fail;
	/* Several processes (superd instances) bound to one port: the
	 * kernel spreads connections among them. */
	if (svc->reuse_port &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &(int){ 1 },
	        sizeof(int)) == -1)
		goto fail;
	if (addr_path(&ss) != NULL)
		rc = sockfile_bind(fd, svc, addr_path(&ss), &l->file, why);
	else
		rc = bind(fd, (struct sockaddr *)&ss, ba->len);
	if (rc == -1)
		goto fail;
	l->owns_path = addr_path(&ss) != NULL;
	if (svc->sock_type == SOCK_STREAM && listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	if (l->owns_path)
		(void)sockfile_remove(addr_path(&ss), &l->file);
	l->owns_path = false;
	close(fd);
	errno = saved;
	return -1;
}

/* Fills in what the supervisor needs per connection, once, here. */
static int
listen_describe(struct listener *l)
{
	struct stat st;
	unsigned short port;

	l->locallen = sizeof(l->local);
	if (getsockname(l->fd, (struct sockaddr *)&l->local, &l->locallen) ==
	        -1 ||
	    fstat(l->fd, &st) == -1)
		return -1;
	l->sock_ino = (unsigned long)st.st_ino;
	port = addr_text((struct sockaddr *)&l->local, l->ip, sizeof(l->ip));
	l->wildcard = addr_is_wildcard(&l->local);
	l->portnum = port;
	snprintf(l->port, sizeof(l->port), "%u", port);
	addr_label((struct sockaddr *)&l->local, l->type, l->label,
	    sizeof(l->label));
	return 0;
}

/* The loop accepts without waiting; a wait handler reads and accepts as
 * any program does, blocking (the flag is the socket's, shared). */
static int
listen_set_blocking(const struct listener *l)
{
	int fl = fcntl(l->fd, F_GETFL);

	if (fl == -1)
		return -1;
	fl = l->kind == LISTEN_WAIT ? fl & ~O_NONBLOCK : fl | O_NONBLOCK;
	return fcntl(l->fd, F_SETFL, fl);
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
	const char *why; /* the reason, when errno alone would mislead */
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

/* Whether running listener o has what this bind asks for: the same type
 * and address, and the same port (a port 0 bind: the same service, which
 * also asked for any port); a unix socket is its path alone. */
static bool
listen_matches(const struct listen_ctx *x, const struct listener *o,
    const struct service *svc, const struct bind_addr *ba, unsigned short port)
{
	if (o->fd == -1 || o->origin == LISTEN_ADOPTED ||
	    o->type != svc->sock_type || !addr_same_host(&o->bind.ss, &ba->ss))
		return false;
	if (!addr_has_ports(ba->ss.ss_family))
		return true;
	if (port != 0)
		return o->portnum == port;
	return o->want_port == 0 &&
	    strcmp(x->oldcfg->services[o->service].name, svc->name) == 0;
}

/* A running listener this bind may keep (see listen_build). */
static long
listen_find_old(const struct listen_ctx *x, const struct service *svc,
    const struct bind_addr *ba, unsigned short port)
{
	size_t i;

	for (i = 0; i < x->nold; i++)
		if (listen_matches(x, &x->old[i], svc, ba, port) &&
		    !listen_kept(x, i))
			return (long)i;
	return -1;
}

/* l adopts a socket of the service manager's, if it is of the kind the
 * service asks for: its type, and unix or not (the access rules of one
 * do not fit the other). */
static int
listen_take_inherited(struct listen_ctx *x, struct listener *l,
    struct inherited *in)
{
	const struct service *svc = &x->cfg->services[l->service];

	if (in->type != svc->sock_type ||
	    (in->addr.ss_family == AF_UNIX) != svc->unix_socket) {
		x->why = in->type != svc->sock_type
		    ? "the passed socket is of another type (socket = stream "
		      "or dgram)"
		    : "the passed socket is of another family (path for a "
		      "unix socket, port for the others)";
		errno = EPROTOTYPE;
		return -1;
	}
	l->fd = in->fd;
	l->origin = LISTEN_ADOPTED;
	if (listen_describe(l) == -1 || listen_set_blocking(l) == -1)
		return -1;
	memset(&l->bind, 0, sizeof(l->bind));
	l->bind.ss = l->local;
	l->bind.len = l->locallen;
	activate_claim(in);
	return 0;
}

/* The next listener, for service idx: cleared, of the service's kind. */
static struct listener *
listen_next(struct listen_ctx *x, size_t idx)
{
	const struct service *svc = &x->cfg->services[idx];
	struct listener *l = &x->made[x->n];

	memset(l, 0, sizeof(*l));
	l->service = idx;
	l->kind = svc->wait            ? LISTEN_WAIT
	    : svc->unix_socket         ? LISTEN_UNIX
	    : svc->proxy_versions != 0 ? LISTEN_PROXY
	                               : LISTEN_STREAM;
	l->type = svc->sock_type;
	l->from_old = -1;
	return l;
}

/* Running listener o moves into l, taking l's kind; a new kind starts
 * without the old one's wait state. */
static int
listen_keep(struct listen_ctx *x, struct listener *l, long o)
{
	const struct service *svc = &x->cfg->services[l->service];
	enum listen_kind kind = l->kind;
	size_t idx = l->service;

	*l = x->old[o];
	l->service = idx;
	l->origin = LISTEN_KEPT;
	l->from_old = o;
	if (l->kind != kind)
		memset(&l->wait, 0, sizeof(l->wait));
	l->kind = kind;
	if (l->owns_path && sockfile_perms(svc, l->ip, &l->file) == -1)
		return -1;
	return listen_set_blocking(l);
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
	    (in = activate_bound(x->act, &ba->ss, port, svc->sock_type)) !=
	        NULL)
		return listen_take_inherited(x, l, in);
	if ((o = listen_find_old(x, svc, ba, port)) != -1)
		return listen_keep(x, l, o);
	l->bind = *ba;
	l->want_port = svc->port;
	l->origin = LISTEN_OPENED;
	if ((l->fd = listen_socket(svc, ba, port, l, &x->why)) == -1)
		return -1;
	if (listen_describe(l) == -1 || listen_set_blocking(l) == -1) {
		listen_close(l);
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
		if (listen_take_inherited(x, listen_next(x, idx), in) == -1)
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
	    addr, x->why != NULL ? x->why : strerror(errno));
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

/* A kept listener stays the old one's: what the new kind and socket_*
 * keys changed goes back. */
static void
listen_unkeep(const struct listen_ctx *x, const struct listener *l)
{
	const struct listener *o = &x->old[l->from_old];

	if (o->owns_path)
		(void)sockfile_perms(&x->oldcfg->services[o->service], o->ip,
		    &o->file);
	(void)listen_set_blocking(o);
}

/* Undoes a failed build: what it opened is closed (a unix socket's file
 * removed), what it took from act is handed back, what it kept is as it
 * was. */
static void
listen_unbuild(struct listen_ctx *x)
{
	struct listener *l;
	size_t i;

	for (i = 0; i < x->n; i++) {
		l = &x->made[i];
		if (l->origin == LISTEN_OPENED)
			listen_close(l);
		else if (l->origin == LISTEN_KEPT)
			listen_unkeep(x, l);
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
listen_build(const struct config *cfg, config_stop_fn *stop,
    struct activation *act, const struct listen_old *old, struct listener **out,
    size_t *nout, char *err, size_t errlen)
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
		if (stop != NULL && i % LISTEN_STOP_EVERY == 0 && stop()) {
			snprintf(err, errlen, "stopped while loading");
			listen_unbuild(&x);
			return -1;
		}
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
listen_close(struct listener *l)
{
	if (l->fd == -1)
		return;
	/* First the name, so no client finds a socket about to go. */
	if (l->owns_path && sockfile_remove(l->ip, &l->file) == -1)
		log_warn("remove %s", l->ip);
	if (close(l->fd) == -1)
		log_warn("close listener %s", l->label);
	l->fd = -1;
}

void
listen_close_all(struct listener *ls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		listen_close(&ls[i]);
	free(ls);
}
