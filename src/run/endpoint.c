/* superd's own small servers (see endpoint.h): accept, gather input,
 * write one reply at a time, close on time. */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "endpoint.h"
#include "log.h"

#define ENDPOINT_LISTENER 0
/* How long accepting stops when descriptors or memory run out. */
#define ENDPOINT_PAUSE_MS 200

static int
endpoint_poll(struct endpoint *e, int op, int fd, uint32_t events,
    uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = e->tag | data };

	return epoll_ctl(e->epfd, op, fd, &ev);
}

/* The listener is polled exactly while a slot is free and accepting is
 * not paused. */
static void
endpoint_watch(struct endpoint *e)
{
	bool want = e->fd != -1 && e->nconn < ENDPOINT_CONNS_MAX &&
	    e->paused_until == 0;

	if (want == e->polled)
		return;
	if (endpoint_poll(e, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, e->fd,
	        EPOLLIN, ENDPOINT_LISTENER) == -1) {
		log_warn("%s: epoll_ctl", e->label);
		return;
	}
	e->polled = want;
}

void
endpoint_start(struct endpoint *e, int fd, int epfd, uint64_t tag)
{
	size_t i;

	e->fd = fd;
	e->epfd = epfd;
	e->tag = tag;
	e->polled = false;
	e->paused_until = 0;
	e->starved = false;
	e->nconn = 0;
	for (i = 0; i < ENDPOINT_CONNS_MAX; i++)
		e->conn[i].fd = -1;
	endpoint_watch(e);
}

static void
endpoint_drop(struct endpoint *e, struct endpoint_conn *c)
{
	if (close(c->fd) == -1)
		log_warn("%s: close", e->label);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	e->nconn--;
	endpoint_watch(e);
}

static uint64_t
endpoint_slot(const struct endpoint *e, const struct endpoint_conn *c)
{
	return (uint64_t)(c - e->conn) + 1;
}

/* Sends what is left of the reply: 1 when all is out, 0 when the client
 * must read first (then watched for room), -1 when it is dropped. */
static int
endpoint_write(struct endpoint *e, struct endpoint_conn *c)
{
	ssize_t n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN && !c->want_out &&
		    endpoint_poll(e, EPOLL_CTL_MOD, c->fd, EPOLLOUT,
		        endpoint_slot(e, c)) == 0)
			c->want_out = true;
		if (n == -1 && errno == EAGAIN && c->want_out)
			return 0;
		if (n == -1) {
			endpoint_drop(e, c);
			return -1;
		}
		c->outoff += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	if (c->want_out &&
	    endpoint_poll(e, EPOLL_CTL_MOD, c->fd, EPOLLIN,
	        endpoint_slot(e, c)) == -1) {
		endpoint_drop(e, c);
		return -1;
	}
	c->want_out = false;
	return 1;
}

/* Serves c until it waits on the network: writes the reply, lets the
 * owner answer whole input, ends the connection when it is done. */
static void
endpoint_serve(struct endpoint *e, struct endpoint_conn *c)
{
	for (;;) {
		if (c->out != NULL) {
			if (endpoint_write(e, c) <= 0)
				return;
			if (c->closing)
				break;
			continue;
		}
		if (c->inlen > 0 && !c->closing) {
			e->input(e, c);
			if (c->out != NULL)
				continue;
		}
		/* Nothing to write: an ended client, a refused one, or one
		 * whose full buffer the owner could make nothing of goes. */
		if (c->eof || c->closing || c->inlen == ENDPOINT_IN_MAX)
			break;
		return;
	}
	endpoint_drop(e, c);
}

void
endpoint_reply(struct endpoint_conn *c, char *reply, size_t len, bool close)
{
	free(c->out);
	c->out = reply;
	c->outlen = reply != NULL ? len : 0;
	c->outoff = 0;
	c->closing = close || reply == NULL;
}

void
endpoint_consume(struct endpoint_conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->inlen - n);
	c->inlen -= n;
	c->in[c->inlen] = '\0';
}

/* accept failed.  Out of descriptors or memory, the client stays in the
 * backlog and the listener stays readable: retrying at once would spin,
 * so the listener leaves the epoll set for a moment; logged once per
 * episode. */
static void
endpoint_accept_failed(struct endpoint *e, long long now)
{
	if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
		return;
	if (!e->starved)
		log_warn("%s: accept (pausing, retrying every %d ms)", e->label,
		    ENDPOINT_PAUSE_MS);
	e->starved = true;
	e->paused_until = now + ENDPOINT_PAUSE_MS;
	endpoint_watch(e);
}

static void
endpoint_accept(struct endpoint *e, long long now)
{
	struct endpoint_conn *c;
	size_t i;
	int fd;

	while (e->nconn < ENDPOINT_CONNS_MAX) {
		fd = accept4(e->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			endpoint_accept_failed(e, now);
			return;
		}
		if (e->starved)
			log_info("%s: accepting again", e->label);
		e->starved = false;
		for (i = 0; e->conn[i].fd != -1; i++)
			;
		c = &e->conn[i];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->deadline = now + e->timeout_ms;
		e->nconn++;
		endpoint_watch(e);
		if (endpoint_poll(e, EPOLL_CTL_ADD, fd, EPOLLIN,
		        endpoint_slot(e, c)) == -1) {
			log_warn("%s: epoll_ctl", e->label);
			endpoint_drop(e, c);
			return;
		}
		if (e->admit != NULL && !e->admit(e, c)) {
			c->closing = true;
			endpoint_serve(e, c);
		}
	}
}

static void
endpoint_read(struct endpoint *e, struct endpoint_conn *c)
{
	ssize_t n;

	do
		n = recv(c->fd, c->in + c->inlen, ENDPOINT_IN_MAX - c->inlen,
		    MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n == -1) {
		endpoint_drop(e, c);
		return;
	}
	if (n == 0)
		c->eof = true;
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	endpoint_serve(e, c);
}

void
endpoint_event(struct endpoint *e, uint64_t data, long long now)
{
	uint64_t k = data & ~e->tag;
	struct endpoint_conn *c;

	if (k == ENDPOINT_LISTENER) {
		endpoint_accept(e, now);
		return;
	}
	if (k > ENDPOINT_CONNS_MAX || e->conn[k - 1].fd == -1)
		return;
	c = &e->conn[k - 1];
	if (c->out != NULL)
		endpoint_serve(e, c);
	else
		endpoint_read(e, c);
}

long long
endpoint_deadline(const struct endpoint *e, long long next)
{
	size_t i;

	if (e->paused_until != 0 && (next == -1 || e->paused_until < next))
		next = e->paused_until;
	for (i = 0; i < ENDPOINT_CONNS_MAX && e->nconn > 0; i++)
		if (e->conn[i].fd != -1 &&
		    (next == -1 || e->conn[i].deadline < next))
			next = e->conn[i].deadline;
	return next;
}

void
endpoint_timers(struct endpoint *e, long long now)
{
	size_t i;

	if (e->paused_until != 0 && now >= e->paused_until) {
		e->paused_until = 0;
		endpoint_watch(e);
	}
	for (i = 0; i < ENDPOINT_CONNS_MAX && e->nconn > 0; i++)
		if (e->conn[i].fd != -1 && now >= e->conn[i].deadline)
			endpoint_drop(e, &e->conn[i]);
}

void
endpoint_close(struct endpoint *e)
{
	size_t i;

	/* The listener first, so no dropped client polls it again. */
	if (e->fd != -1 && close(e->fd) == -1)
		log_warn("%s: close", e->label);
	e->fd = -1;
	e->polled = false;
	for (i = 0; i < ENDPOINT_CONNS_MAX; i++)
		if (e->conn[i].fd != -1)
			endpoint_drop(e, &e->conn[i]);
}
