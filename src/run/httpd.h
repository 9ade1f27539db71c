/* A minimal HTTP/1.1 server inside superd's loop, for the metrics
 * endpoint: GET of one path answered with what a callback renders, 404
 * for any other path, one request per connection.  Bounded in every way
 * a hostile client could push: HTTPD_CONNS_MAX connections (the listener
 * leaves the epoll set while they are all taken, so the rest wait in the
 * backlog), HTTPD_REQUEST_MAX bytes of request, HTTPD_TIMEOUT_MS for the
 * whole exchange; nothing in it ever waits. */
#ifndef SUPERD_HTTPD_H
#define SUPERD_HTTPD_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define HTTPD_CONNS_MAX 16
/* Clients that wait in the kernel while every slot is taken. */
#define HTTPD_BACKLOG 64
#define HTTPD_REQUEST_MAX 2048
#define HTTPD_TIMEOUT_MS 5000

/* Renders the body for the served path; a malloc'd buffer, or NULL. */
typedef char *(*httpd_render)(void *arg, size_t *len);

struct httpd_conn {
	int fd; /* -1: a free slot */
	long long deadline;
	size_t inlen;
	char in[HTTPD_REQUEST_MAX];
	char *out; /* the response, once the request is whole */
	size_t outlen, outoff;
};

struct httpd {
	int fd;       /* listening; -1: none */
	int epfd;     /* the loop's epoll set */
	uint64_t tag; /* epoll data: tag | 0 the listener, tag | k+1 conn k */
	bool polled;  /* the listener is in the epoll set */
	const char *path;
	httpd_render render;
	void *arg;
	char label[ADDR_TEXT_MAX]; /* the bound address, for logs */
	size_t nconn;
	struct httpd_conn conn[HTTPD_CONNS_MAX];
};

/*
 * Listens on ss (port 0: any, which label then shows) and puts the
 * listener into epfd with data tag.  path is served by render(arg).
 * Returns 0, or -1 with errno.
 */
int httpd_open(struct httpd *h, const struct sockaddr_storage *ss,
    socklen_t len, int epfd, uint64_t tag, const char *path,
    httpd_render render, void *arg);

/* An epoll event whose data has h's tag. */
void httpd_event(struct httpd *h, uint64_t data, long long now);

/* The earlier of next (-1: none) and the next connection deadline. */
long long httpd_deadline(const struct httpd *h, long long next);

/* Closes the connections whose time is up. */
void httpd_timers(struct httpd *h, long long now);

/* Closes the listener and every connection. */
void httpd_close(struct httpd *h);

#endif
