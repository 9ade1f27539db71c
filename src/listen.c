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

	if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)&ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)(void *)&ss)->sin_port = htons(port);
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
	const struct sockaddr_in *sin = (const void *)&l->local;
	const struct sockaddr_in6 *sin6 = (const void *)&l->local;
	unsigned short port;

	l->locallen = sizeof(l->local);
	if (getsockname(l->fd, (struct sockaddr *)&l->local, &l->locallen) ==
	    -1)
		return -1;
	if (l->local.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, l->ip, sizeof(l->ip));
		l->wildcard = IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
		port = ntohs(sin6->sin6_port);
	} else {
		inet_ntop(AF_INET, &sin->sin_addr, l->ip, sizeof(l->ip));
		l->wildcard = sin->sin_addr.s_addr == htonl(INADDR_ANY);
		port = ntohs(sin->sin_port);
	}
	l->portnum = port;
	snprintf(l->port, sizeof(l->port), "%u", port);
	config_format_addr((struct sockaddr *)&l->local, l->label,
	    sizeof(l->label));
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

/* Opens svc's listeners into ls[*n…].  Port 0 asks the kernel for a port
 * once; the service's other addresses then use the same one. */
static int
listen_service(const struct config *cfg, size_t idx, struct listener *ls,
    size_t *n, char *err, size_t errlen)
{
	const struct service *svc = &cfg->services[idx];
	unsigned short port = svc->port;
	char addr[INET6_ADDRSTRLEN + 8];
	struct listener *l;
	size_t i;

	for (i = 0; i < svc->nbinds; i++) {
		l = &ls[*n];
		memset(l, 0, sizeof(*l));
		l->service = idx;
		l->fd = listen_socket(&svc->binds[i], port);
		if (l->fd != -1 && listen_describe(l) == -1) {
			close(l->fd);
			l->fd = -1;
		}
		if (l->fd == -1) {
			config_format_bind(&svc->binds[i], port, addr,
			    sizeof(addr));
			if (listen_skippable(svc, &svc->binds[i], errno)) {
				log_warn("%s: skipping %s", svc->name, addr);
				continue;
			}
			snprintf(err, errlen, "%s: cannot listen on %s: %s",
			    svc->name, addr, strerror(errno));
			return -1;
		}
		port = l->portnum;
		log_info("%s: listening on %s", svc->name, l->label);
		(*n)++;
	}
	return 0;
}

int
listen_open_all(const struct config *cfg, struct listener **out, size_t *nout,
    char *err, size_t errlen)
{
	struct listener *ls;
	size_t i, total = 0, n = 0;

	for (i = 0; i < cfg->nservices; i++)
		if (cfg->services[i].enabled)
			total += cfg->services[i].nbinds;
	ls = calloc(total ? total : 1, sizeof(*ls));
	if (ls == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	for (i = 0; i < cfg->nservices; i++) {
		if (!cfg->services[i].enabled)
			continue;
		if (listen_service(cfg, i, ls, &n, err, errlen) == -1) {
			listen_close_all(ls, n);
			return -1;
		}
	}
	*out = ls;
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
