/* Listening sockets: one per (service, bind address), opened at start. */
#ifndef SUPERD_LISTEN_H
#define SUPERD_LISTEN_H

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define LISTEN_BACKLOG 128

struct listener {
	int fd;                        /* non-blocking, close-on-exec */
	size_t service;                /* index in config.services */
	struct sockaddr_storage local; /* bound address, real port */
	socklen_t locallen;
	bool wildcard;             /* bound to 0.0.0.0 or :: */
	char ip[INET6_ADDRSTRLEN]; /* local address, when not wildcard */
	unsigned short portnum;
	char port[6];                     /* local port, as text */
	char label[INET6_ADDRSTRLEN + 8]; /* "127.0.0.1:7007" for logs */
};

/*
 * Opens a listener for every bind address of every enabled service and
 * logs each one with its real port.  IPv6 sockets are v6-only.  Where a
 * service uses the default binds and this host has no IPv6, the :: socket
 * is skipped with a warning.  On failure nothing is left open: returns -1
 * and writes "service: cannot listen on ADDR: reason" to err.
 */
int listen_open_all(const struct config *cfg, struct listener **out,
    size_t *nout, char *err, size_t errlen);

/* Closes every listener and frees the array. */
void listen_close_all(struct listener *ls, size_t n);

#endif
