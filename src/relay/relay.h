/* A per-connection relay's loop, apart from any protocol: the stop
 * signals taken through a signalfd and passed on to the handler, the
 * poll that moves bytes between the client and the handler through a
 * protocol's callbacks, half-close of the handler's input, the handler
 * reaped.  Its two users: superd-ws (WebSocket, a program of its own that
 * sets itself up with relayproc.h) and the TLS relay (a fork of superd
 * that starts its handler through spawn_handler and moves its own bytes
 * through an SSL object). */
#ifndef SUPERD_RELAY_H
#define SUPERD_RELAY_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

/* What a protocol does with the bytes and events of the loop.  Either
 * move is set, or the four stream callbacks are.  Each of those returns
 * 0, or -1 when the relay cannot go on (it then ends the connection and
 * waits for the handler as if the client had left). */
struct relay_ops {
	/* A protocol whose client side is not plain reads and writes (an
	 * SSL object may want to write in order to read, and holds what it
	 * decrypted where poll cannot see it) moves the bytes itself: called
	 * once before the first poll and after every wake, it moves what it
	 * can without blocking, sets r->client_ev and r->handler_ev to what
	 * it waits for next, and r->handler_done and r->finished as it gets
	 * there.  NULL: the loop reads whichever side poll found readable,
	 * one read, and hands the bytes to the four below. */
	void (*move)(void *ctx);
	int (*from_client)(void *ctx, unsigned char *buf, size_t n);
	int (*from_handler)(void *ctx, unsigned char *buf, size_t n);
	/* The handler closed its stdout (or exited). */
	void (*handler_eof)(void *ctx);
	/* The client closed its side, or reading from it failed. */
	void (*client_eof)(void *ctx);
	/* A stop signal came (already passed on to the handler, unless it
	 * was reaped). */
	void (*stop)(void *ctx);
	/* relay_deadline's time came; NULL if the protocol sets none. */
	void (*deadline)(void *ctx);
};

struct relay {
	int client;  /* the connection */
	int handler; /* the relay's end of the handler's socketpair */
	int sigfd;
	pid_t pid; /* the handler; -1 before it runs */
	int status;
	bool reaped;
	bool client_done;            /* nothing more is read from the client */
	bool handler_done;           /* nothing more is read from the handler */
	bool finished;               /* the protocol is done with the client */
	bool pass_as_is;             /* a stop signal goes on as it came, not as
	                              * SIGTERM then SIGCONT */
	short client_ev, handler_ev; /* ops->move's: what to poll for */
	long long deadline_ms;       /* CLOCK_MONOTONIC; 0: none */
};

/*
 * Makes r a relay with no handler yet: client is the connection, sigfd a
 * signalfd for SIGCHLD and the stop signals (non-blocking), both
 * close-on-exec; a stop signal is passed on as it came (r->pass_as_is).
 * The caller sets r->handler and r->pid once the handler runs.
 */
void relay_adopt(struct relay *r, int client, int sigfd);

/* Milliseconds from now after which ops->deadline runs once. */
void relay_deadline(struct relay *r, long long ms);

/*
 * Moves bytes until the protocol has finished (r->finished), the
 * handler's output has ended (r->handler_done) and the handler is
 * reaped: after each poll, the deadline, then the signals (a stop signal
 * passed on, as SIGTERM then SIGCONT, superd's order, or as it came,
 * then ops->stop), then the bytes (ops->move, or a read of each ready
 * side handed to ops), then the reaping.  Returns 0, or -1 with errno if
 * poll or the signalfd fail.
 */
int relay_run(struct relay *r, const struct relay_ops *ops, void *ctx);

/* Ends the handler's input (it reads end of file); idempotent. */
void relay_close_handler(struct relay *r);

#endif
