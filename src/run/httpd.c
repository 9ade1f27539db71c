/* The metrics endpoint's HTTP side (see httpd.h): accept, read one
 * request, answer, close. */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpd.h"
#include "log.h"

#define HTTPD_LISTENER 0

static int
httpd_poll(struct httpd *h, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = h->tag | data };

	return epoll_ctl(h->epfd, op, fd, &ev);
}

/* The listener is polled exactly while a slot is free. */
static void
httpd_watch(struct httpd *h)
{
	bool want = h->fd != -1 && h->nconn < HTTPD_CONNS_MAX;

	if (want == h->polled)
		return;
	if (httpd_poll(h, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, h->fd, EPOLLIN,
	        HTTPD_LISTENER) == -1) {
		log_warn("metrics: epoll_ctl");
		return;
	}
	h->polled = want;
}

int
httpd_open(struct httpd *h, const struct sockaddr_storage *ss, socklen_t len,
    int epfd, uint64_t tag, const char *path, httpd_render render, void *arg)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	int one = 1, saved;
	size_t i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < HTTPD_CONNS_MAX; i++)
		h->conn[i].fd = -1;
	h->epfd = epfd;
	h->tag = tag;
	h->path = path;
	h->render = render;
	h->arg = arg;
	h->fd = socket(ss->ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd == -1)
		return -1;
	if (setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	        -1 ||
	    addr_prepare_listener(h->fd, ss->ss_family) == -1 ||
	    bind(h->fd, (const struct sockaddr *)ss, len) == -1 ||
	    listen(h->fd, HTTPD_BACKLOG) == -1 ||
	    getsockname(h->fd, (struct sockaddr *)&bound, &blen) == -1) {
		saved = errno;
		(void)close(h->fd);
		h->fd = -1;
		errno = saved;
		return -1;
	}
	addr_format((struct sockaddr *)&bound, h->label, sizeof(h->label));
	httpd_watch(h);
	return 0;
}

static void
httpd_drop(struct httpd *h, struct httpd_conn *c)
{
	if (close(c->fd) == -1)
		log_warn("metrics: close");
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	h->nconn--;
	httpd_watch(h);
}

static void
httpd_accept(struct httpd *h, long long now)
{
	size_t i;
	int fd;

	while (h->nconn < HTTPD_CONNS_MAX) {
		fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("metrics: accept");
			return;
		}
		for (i = 0; h->conn[i].fd != -1; i++)
			;
		if (httpd_poll(h, EPOLL_CTL_ADD, fd, EPOLLIN, i + 1) == -1) {
			log_warn("metrics: epoll_ctl");
			(void)close(fd);
			return;
		}
		memset(&h->conn[i], 0, sizeof(h->conn[i]));
		h->conn[i].fd = fd;
		h->conn[i].deadline = now + HTTPD_TIMEOUT_MS;
		h->nconn++;
		httpd_watch(h);
	}
}

/* Sends what is left of the response; closes when all is out or the
 * client is gone, else waits for room. */
static void
httpd_write(struct httpd *h, struct httpd_conn *c, size_t k)
{
	ssize_t n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			if (httpd_poll(h, EPOLL_CTL_MOD, c->fd, EPOLLOUT,
			        k + 1) == -1)
				httpd_drop(h, c);
			return;
		}
		if (n == -1) {
			httpd_drop(h, c);
			return;
		}
		c->outoff += (size_t)n;
	}
	httpd_drop(h, c);
}

/* The response, header and body (none for HEAD) in one buffer. */
static void
httpd_respond(struct httpd_conn *c, const char *status, const char *type,
    const char *body, size_t bodylen, bool head)
{
	char hdr[256];
	int n;

	n = snprintf(hdr, sizeof(hdr),
	    "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n",
	    status, type, bodylen);
	if (head)
		bodylen = 0;
	c->out = malloc((size_t)n + bodylen);
	if (c->out == NULL)
		return;
	memcpy(c->out, hdr, (size_t)n);
	memcpy(c->out + n, body, bodylen);
	c->outlen = (size_t)n + bodylen;
}

static void
httpd_error(struct httpd_conn *c, const char *status)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%s\n", status);

	httpd_respond(c, status, "text/plain; charset=utf-8", body, (size_t)n,
	    false);
}

/* The status line for a request head in c->in (its first line decides),
 * NULL when it asks for the served path. */
static const char *
httpd_check(const struct httpd *h, char *line, bool *head)
{
	char *target, *version;
	size_t plen = strlen(h->path);

	line[strcspn(line, "\r\n")] = '\0';
	target = strchr(line, ' ');
	version = target != NULL ? strchr(target + 1, ' ') : NULL;
	if (version == NULL || strncmp(version + 1, "HTTP/1.", 7) != 0)
		return "400 Bad Request";
	*target++ = '\0';
	*head = strcmp(line, "HEAD") == 0;
	if (!*head && strcmp(line, "GET") != 0)
		return "405 Method Not Allowed";
	if (strncmp(target, h->path, plen) != 0 ||
	    (target[plen] != ' ' && target[plen] != '?'))
		return "404 Not Found";
	return NULL;
}

static void
httpd_request(struct httpd *h, struct httpd_conn *c)
{
	const char *status;
	bool head = false;
	char *body;
	size_t len;

	status = httpd_check(h, c->in, &head);
	if (status != NULL) {
		httpd_error(c, status);
		return;
	}
	body = h->render(h->arg, &len);
	if (body == NULL) {
		httpd_error(c, "503 Service Unavailable");
		return;
	}
	httpd_respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8",
	    body, len, head);
	free(body);
}

/* Reads what the client sent so far; a whole head gets its answer. */
static void
httpd_read(struct httpd *h, struct httpd_conn *c, size_t k)
{
	ssize_t n;

	if (c->out != NULL)
		return;
	do
		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen,
		    MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n <= 0) {
		httpd_drop(h, c);
		return;
	}
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	if (strstr(c->in, "\r\n\r\n") != NULL || strstr(c->in, "\n\n") != NULL)
		httpd_request(h, c);
	else if (c->inlen == sizeof(c->in) - 1)
		httpd_error(c, "431 Request Header Fields Too Large");
	else
		return;
	if (c->out == NULL)
		httpd_drop(h, c);
	else
		httpd_write(h, c, k);
}

void
httpd_event(struct httpd *h, uint64_t data, long long now)
{
	uint64_t k = data & ~h->tag;

	if (k == HTTPD_LISTENER) {
		httpd_accept(h, now);
		return;
	}
	if (k > HTTPD_CONNS_MAX || h->conn[k - 1].fd == -1)
		return;
	if (h->conn[k - 1].out != NULL)
		httpd_write(h, &h->conn[k - 1], k - 1);
	else
		httpd_read(h, &h->conn[k - 1], k - 1);
}

long long
httpd_deadline(const struct httpd *h, long long next)
{
	size_t i;

	for (i = 0; i < HTTPD_CONNS_MAX && h->nconn > 0; i++)
		if (h->conn[i].fd != -1 &&
		    (next == -1 || h->conn[i].deadline < next))
			next = h->conn[i].deadline;
	return next;
}

void
httpd_timers(struct httpd *h, long long now)
{
	size_t i;

	for (i = 0; i < HTTPD_CONNS_MAX && h->nconn > 0; i++)
		if (h->conn[i].fd != -1 && now >= h->conn[i].deadline)
			httpd_drop(h, &h->conn[i]);
}

void
httpd_close(struct httpd *h)
{
	size_t i;

	/* The listener first, so no dropped connection polls it again. */
	if (h->fd != -1 && close(h->fd) == -1)
		log_warn("metrics: close");
	h->fd = -1;
	h->polled = false;
	for (i = 0; i < HTTPD_CONNS_MAX; i++)
		if (h->conn[i].fd != -1)
			httpd_drop(h, &h->conn[i]);
}
