/* Handlers' stderr as the supervisor sees it: which fd becomes a new
 * handler's fd 2, the log pipes of running handlers, and those of exited
 * handlers that something they left running still writes to.  Every line
 * is logged tagged with its handler ("echo[42]: stderr from ip:port: ..."),
 * at most stderr_rate of them. */
#ifndef SUPERD_HSTDERR_H
#define SUPERD_HSTDERR_H

#include <stdbool.h>
#include <stdint.h>

#include "children.h"
#include "config.h"
#include "spawn.h"

/* The kind bit of a handler's stderr pipe in its epoll data
 * (children_event). */
#define HSTDERR_EVENT (1ULL << 62)

struct hstderr {
	int epfd;             /* where pipes are watched */
	int devnull;          /* stderr = null */
	bool root;            /* superd is root (that never changes) */
	struct children gone; /* exited handlers whose pipe is still open */
	size_t max_gone;      /* past this, the oldest such pipe is closed */
};

/* Returns 0, or -1 with errno (opening /dev/null). */
int hstderr_init(struct hstderr *h, int epfd, size_t max_gone);

/*
 * The fd that becomes the handler's stderr for svc: a new log pipe's
 * write end (its read end goes to c->err; the pipe then belongs to the
 * handler's user, so it can reopen /dev/stderr), the connection fd itself
 * (stderr = client), /dev/null, or -1 for superd's own.  A pipe that
 * cannot be made leaves the handler on superd's stderr.  The caller closes
 * the fd after the spawn when it is a pipe (hstderr_done).
 */
int hstderr_for(struct hstderr *h, const struct service *svc, int conn,
    struct child *c);

/* After the spawn: closes superd's copy of the pipe's write end. */
void hstderr_done(const struct service *svc, int errfd);

/* Watches c's pipe, if it has one. */
void hstderr_watch(struct hstderr *h, const struct child *c);

/* A pipe is readable: data is its epoll data, naming a running child or
 * an exited one.  Returns the running child whose pipe this read found at
 * end of file (it has exited, or is about to, or closed its stderr), or
 * NULL. */
struct child *hstderr_ready(struct hstderr *h, struct children *kids,
    uint64_t data);

/* c has exited: logs what its pipe holds (its last words come before its
 * exit line) and, while something it left behind still holds the pipe,
 * keeps reading it. */
void hstderr_exited(struct hstderr *h, const struct child *c);

/* A handler that did not reach exec: why, in superd's own format. */
void hstderr_spawn_failed(const struct service *svc, pid_t pid,
    const struct spawn_failure *f);

/* Closes everything, logging what is left. */
void hstderr_free(struct hstderr *h);

#endif
