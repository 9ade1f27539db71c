/* Listening sockets: one per (service, bind address), opened at start. */
#ifndef SUPERD_LISTEN_H
#define SUPERD_LISTEN_H

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>

#include "activate.h"
#include "service.h"

#define LISTEN_BACKLOG 128

/* Where a listener's socket came from. */
enum listen_origin { LISTEN_OPENED, LISTEN_KEPT, LISTEN_ADOPTED };

/* What a listener is, and so what the loop does when it is readable:
 * the one place a new kind (a datagram socket, a wait-mode service, a
 * unix socket with its own checks) is added, with its case in the
 * supervisor's dispatch. */
enum listen_kind {
	LISTEN_STREAM /* accept, then a handler per connection */
};

struct listener {
	int fd; /* non-blocking, close-on-exec */
	enum listen_kind kind;
	size_t service;           /* index in config.services */
	struct bind_addr bind;    /* as configured (port 0) */
	unsigned short want_port; /* as configured; 0: any */
	enum listen_origin origin;
	bool polled;                   /* in the supervisor's epoll set */
	long from_old;                 /* kept: index in the old array */
	struct sockaddr_storage local; /* bound address, real port */
	socklen_t locallen;
	bool wildcard;             /* bound to 0.0.0.0 or :: */
	char ip[INET6_ADDRSTRLEN]; /* local address, when not wildcard */
	unsigned short portnum;
	char port[6];              /* local port, as text */
	char label[ADDR_TEXT_MAX]; /* "127.0.0.1:7007" for logs */
};

/* The listeners running before a reload, and their configuration. */
struct listen_old {
	struct listener *ls;
	size_t nls;
	const struct config *cfg;
};

/*
 * Builds a listener for every bind address of every enabled service and
 * logs each one with its real port.  A socket comes, in this order:
 *   - from act (socket activation): every socket named after the service
 *     (LISTEN_FDNAMES) is the service's, whatever its binds say; otherwise
 *     a socket bound to one of its addresses and its (non-zero) port;
 *   - from old (the listeners running before a reload, with oldcfg): one
 *     with the same configured address and port, or for port 0 the same
 *     service name and address, is kept as it is, so no connection waiting
 *     in its backlog is lost;
 *   - else a new socket: non-blocking, close-on-exec, SO_REUSEADDR, and
 *     v6-only for IPv6.  A service on the default binds skips :: on a host
 *     without IPv6, with a warning.
 * act and old may be NULL.  On success the kept sockets are marked
 * fd = -1 in old->ls, so the caller closes only the rest.  On failure
 * nothing changes in old or act and nothing new is left open: returns -1
 * and writes "service: cannot listen on ADDR: reason" to err.
 */
int listen_build(const struct config *cfg, struct activation *act,
    const struct listen_old *old, struct listener **out, size_t *nout,
    char *err, size_t errlen);

/* Closes every listener (fd != -1) and frees the array. */
void listen_close_all(struct listener *ls, size_t n);

#endif
