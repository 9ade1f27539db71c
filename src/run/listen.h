/* Listening sockets: one per (service, bind address), or the one unix
 * socket of a service with `path`, opened at start and kept by reloads. */
#ifndef SUPERD_LISTEN_H
#define SUPERD_LISTEN_H

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>

#include "activate.h"
#include "config.h"
#include "service.h"
#include "sockfile.h"

#define LISTEN_BACKLOG 128

/* Where a listener's socket came from. */
enum listen_origin { LISTEN_OPENED, LISTEN_KEPT, LISTEN_ADOPTED };

/* What a listener is, and so what the loop does when it is readable:
 * the one place a new kind is added, with its case in the supervisor's
 * dispatch (supervisor_ready). */
enum listen_kind {
	LISTEN_STREAM, /* TCP: accept, then a handler per connection */
	LISTEN_UNIX,   /* the same on a unix socket: the client's uid is
	                * checked, and counts as its source */
	LISTEN_WAIT,   /* wait = yes (and every dgram socket): no accept;
	                * one handler at a time gets the socket itself */
	LISTEN_PROXY   /* TCP behind a balancer (proxy_protocol): accept,
	                * read the PROXY header without blocking
	                * (supervisor_proxy.c), then admit the client it
	                * names */
};

/* Bytes of a waiting datagram remembered, to tell whether a handler took
 * it. */
#define LISTEN_MARK_BYTES 64

/* A wait listener's runtime state (supervisor_wait.c): the handler that
 * holds the socket, and the back-off for handlers that leave it as they
 * found it. */
struct listen_wait {
	bool busy;           /* a handler holds the socket: not polled */
	long long resume_at; /* backing off: not polled until then; 0: not */
	int backoff_ms;      /* the current back-off; 0: none */
	/* The datagram at the head of the queue when the handler started
	 * (dgram only): the same one there at its exit means it read
	 * nothing. */
	bool marked;
	size_t mark_len;
	struct sockaddr_storage mark_from;
	socklen_t mark_fromlen;
	unsigned char mark_head[LISTEN_MARK_BYTES];
};

struct listener {
	int fd; /* close-on-exec; non-blocking but for LISTEN_WAIT, whose
	         * handlers expect a blocking socket */
	enum listen_kind kind;
	int type;                 /* SOCK_STREAM or SOCK_DGRAM */
	size_t service;           /* index in config.services */
	struct bind_addr bind;    /* as configured (port 0) */
	unsigned short want_port; /* as configured; 0: any */
	enum listen_origin origin;
	bool polled;                   /* in the supervisor's epoll set */
	long from_old;                 /* kept: index in the old array */
	struct sockaddr_storage local; /* bound address, real port */
	socklen_t locallen;
	bool wildcard;        /* bound to 0.0.0.0 or :: */
	char ip[ADDR_IP_MAX]; /* local address (a path for unix),
	                       * when not wildcard */
	unsigned short portnum;
	char port[6];              /* local port, as text */
	char label[ADDR_TEXT_MAX]; /* "127.0.0.1:7007", "127.0.0.1:69/udp",
	                            * "/run/x.sock": for logs */
	unsigned long sock_ino;    /* the socket's inode: who it is, across
	                            * reloads, while it is open */
	bool owns_path;            /* a unix socket file superd made: */
	struct sockfile file;      /* removed when closed, if still there */
	struct listen_wait wait;
};

/* The listeners running before a reload, and their configuration. */
struct listen_old {
	struct listener *ls;
	size_t nls;
	const struct config *cfg;
};

/*
 * Builds a listener for every bind address of every enabled service, of
 * the service's socket type and kind, and logs each one with its real
 * port.  A socket comes, in this order:
 *   - from act (socket activation): every socket named after the service
 *     (LISTEN_FDNAMES) is the service's, whatever its binds say, if it is
 *     of the service's type and family (unix or not); otherwise a socket
 *     of its type bound to one of its addresses and its (non-zero) port,
 *     or to its path;
 *   - from old (the listeners running before a reload, with oldcfg): one
 *     of the same type with the same configured address and port (for
 *     port 0 the same service name and address), or the same path, is
 *     kept as it is, so no connection waiting in its backlog is lost; a
 *     kept unix socket file gets the new socket_mode, socket_user and
 *     socket_group;
 *   - else a new socket: close-on-exec, SO_REUSEADDR, and v6-only for
 *     IPv6.  A service on the default binds skips :: on a host without
 *     IPv6, with a warning.  A unix socket's file is made with
 *     socket_mode and given to socket_user and socket_group; a file
 *     already at its path is replaced only if it is a socket that nothing
 *     answers on.
 * Listeners that accept are non-blocking; wait listeners are blocking.
 * act and old may be NULL.  On success the kept sockets are marked
 * fd = -1 in old->ls, so the caller closes only the rest.  On failure
 * nothing changes in old or act and nothing new is left open: returns -1
 * and writes "service: cannot listen on ADDR: reason" to err, or
 * "stopped while loading" when stop (if not NULL, asked every few
 * services) returned true: thousands of sockets take a while to open.
 */
int listen_build(const struct config *cfg, config_stop_fn *stop,
    struct activation *act, const struct listen_old *old, struct listener **out,
    size_t *nout, char *err, size_t errlen);

/* Closes one listener (fd != -1), removing its unix socket file if superd
 * made it and it is still there; fd becomes -1. */
void listen_close(struct listener *l);

/* Closes every listener (fd != -1) as listen_close, and frees the array. */
void listen_close_all(struct listener *ls, size_t n);

#endif
