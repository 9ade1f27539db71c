/* A small server inside superd's loop, for its own endpoints (the
 * metrics endpoint, the control socket): a listening socket, a fixed
 * table of client connections, input gathered into a bounded buffer,
 * one reply at a time written without waiting, a deadline per client.
 * Bounded in every way a hostile client could push: ENDPOINT_CONNS_MAX
 * clients (the listener leaves the epoll set while every slot is taken,
 * so the rest wait in the kernel's backlog), ENDPOINT_IN_MAX bytes of
 * input waiting to be understood, and a deadline per client.  What the
 * input means is the owner's: its input callback. */
#ifndef SUPERD_ENDPOINT_H
#define SUPERD_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define ENDPOINT_CONNS_MAX 16
#define ENDPOINT_IN_MAX 2048
/* Clients that wait in the kernel while every slot is taken. */
#define ENDPOINT_BACKLOG 64

struct endpoint_conn {
	int fd; /* -1: a free slot */
	long long deadline;
	size_t inlen;
	char in[ENDPOINT_IN_MAX + 1]; /* NUL-terminated */
	char *out;                    /* the reply being written */
	size_t outlen, outoff;
	bool want_out; /* watched for room to write */
	bool closing;  /* close once the reply is out */
	bool eof;      /* the client sent all it will */
};

struct endpoint;

/* New input is in c->in (c->inlen bytes): take what is whole (removing
 * it with endpoint_consume), answer with endpoint_reply.  Not called
 * while a reply is being written. */
typedef void endpoint_input_fn(struct endpoint *e, struct endpoint_conn *c);

/* A new client: true to serve it; false to refuse it (the callback may
 * have queued a last reply; the connection then closes after it). */
typedef bool endpoint_admit_fn(struct endpoint *e, struct endpoint_conn *c);

struct endpoint {
	int fd;       /* listening; -1: none */
	int epfd;     /* the loop's epoll set */
	uint64_t tag; /* epoll data: tag | 0 the listener, tag | k+1 conn k */
	bool polled;  /* the listener is in the epoll set */
	long long paused_until; /* accepting stopped until then (0: not) */
	bool starved;           /* out of descriptors: logged once */
	int timeout_ms;
	endpoint_input_fn *input;
	endpoint_admit_fn *admit; /* NULL: everyone */
	void *arg;
	char label[ADDR_TEXT_MAX]; /* the bound address or path, for logs */
	size_t nconn;
	struct endpoint_conn conn[ENDPOINT_CONNS_MAX];
};

/* Takes over the listening socket fd (non-blocking, close-on-exec) and
 * puts it into epfd with data tag. */
void endpoint_start(struct endpoint *e, int fd, int epfd, uint64_t tag);

/* Sets c's reply (malloc'd, taken over; NULL: out of memory, the client
 * is dropped), written once the callback returns; with close, the
 * connection ends once it is out. */
void endpoint_reply(struct endpoint_conn *c, char *reply, size_t len,
    bool close);

/* Removes the first n bytes of c's input. */
void endpoint_consume(struct endpoint_conn *c, size_t n);

/* An epoll event whose data has e's tag. */
void endpoint_event(struct endpoint *e, uint64_t data, long long now);

/* The earlier of next (-1: none) and the next client deadline. */
long long endpoint_deadline(const struct endpoint *e, long long next);

/* Closes the clients whose time is up. */
void endpoint_timers(struct endpoint *e, long long now);

/* Closes the listener and every client. */
void endpoint_close(struct endpoint *e);

#endif
