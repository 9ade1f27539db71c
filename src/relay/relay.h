/* A per-connection relay's process plumbing, apart from any protocol:
 * the handler started on a socketpair in the relay's own process group,
 * the stop signals taken through a signalfd and passed on, the loop that
 * moves bytes between the client and the handler through a protocol's
 * callbacks, half-closes, and the relay's exit with the handler's status.
 * superd-ws (WebSocket) is its first user; a TLS relay can be another. */
#ifndef SUPERD_RELAY_H
#define SUPERD_RELAY_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

/* What a protocol does with the bytes and events of the loop.  Each
 * returns 0, or -1 when the relay cannot go on (it then ends the
 * connection and waits for the handler as if the client had left). */
struct relay_ops {
	int (*from_client)(void *ctx, unsigned char *buf, size_t n);
	int (*from_handler)(void *ctx, unsigned char *buf, size_t n);
	/* The handler closed its stdout (or exited). */
	void (*handler_eof)(void *ctx);
	/* The client closed its side, or reading from it failed. */
	void (*client_eof)(void *ctx);
	/* A stop signal came (already passed on to the handler). */
	void (*stop)(void *ctx);
	/* relay_deadline's time came. */
	void (*deadline)(void *ctx);
};

struct relay {
	int client;  /* the connection */
	int handler; /* the relay's end of the handler's socketpair */
	int sigfd;
	pid_t pid; /* the handler; -1 before relay_start */
	int status;
	bool reaped;
	bool client_done;      /* nothing more is read from the client */
	bool handler_done;     /* nothing more is read from the handler */
	bool finished;         /* the protocol is done with the client */
	long long deadline_ms; /* CLOCK_MONOTONIC; 0: none */
};

/*
 * Takes fd 0 as the client (moved to a close-on-exec descriptor, fds 0
 * and 1 then on /dev/null), blocks the stop signals and SIGCHLD into a
 * signalfd and ignores SIGPIPE.  Returns 0, or -1 with errno.
 */
int relay_init(struct relay *r);

/*
 * Starts path with argv and the relay's environment, its stdin and
 * stdout one end of a socketpair, its stderr the relay's, in the relay's
 * process group (so superd's signals to the group reach both), with the
 * signal mask and SIGPIPE as superd gave them.  Returns 0, or -1 with
 * errno (the socketpair or fork failed).  A failed exec exits the child
 * 127 or 126 after a line on stderr.
 */
int relay_start(struct relay *r, const char *path, char *const argv[]);

/* Milliseconds from now after which ops->deadline runs once. */
void relay_deadline(struct relay *r, long long ms);

/*
 * Moves bytes until the protocol has finished (r->finished) and the
 * handler is reaped: reads the client and the handler and hands each to
 * ops, reaps the handler, passes a stop signal on (SIGTERM, then SIGCONT,
 * superd's order) and calls ops->stop.  Returns 0, or -1 with errno if
 * poll or the signalfd fail.
 */
int relay_run(struct relay *r, const struct relay_ops *ops, void *ctx);

/* Ends the handler's input (it reads end of file); idempotent. */
void relay_close_handler(struct relay *r);

/* Exits as the handler did: its exit status, or the same signal.  Never
 * returns. */
void relay_exit(const struct relay *r) __attribute__((noreturn));

/* Dies of sig (its default action), as a handler told to stop would.
 * Never returns. */
void relay_die(int sig) __attribute__((noreturn));

/* Before relay_run: the stop signal waiting in the signalfd, or 0. */
int relay_stop_signal(struct relay *r);

#endif
