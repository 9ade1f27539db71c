/* A minimal HTTP/1.1 server on an endpoint (endpoint.h), for the metrics
 * endpoint: GET or HEAD of one path answered with what a callback
 * renders, 404 for any other path, 405 for another method, one request
 * per connection, HTTPD_TIMEOUT_MS for the whole exchange. */
#ifndef SUPERD_HTTPD_H
#define SUPERD_HTTPD_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"

#define HTTPD_TIMEOUT_MS 5000

/* Renders the body for the served path; a malloc'd buffer, or NULL. */
typedef char *(*httpd_render)(void *arg, size_t *len);

struct httpd {
	struct endpoint ep;
	const char *path;
	httpd_render render;
	void *arg;
};

/*
 * Listens on ss (port 0: any, which ep.label then shows) and puts the
 * listener into epfd with data tag.  path is served by render(arg).
 * Returns 0, or -1 with errno.
 */
int httpd_open(struct httpd *h, const struct sockaddr_storage *ss,
    socklen_t len, int epfd, uint64_t tag, const char *path,
    httpd_render render, void *arg);

#endif
