/* Socket activation: listening sockets handed over by a service manager
 * (systemd's LISTEN_FDS protocol), adopted instead of opened. */
#ifndef SUPERD_ACTIVATE_H
#define SUPERD_ACTIVATE_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>

#define ACTIVATE_NAME_MAX 255

struct inherited {
	int fd;
	int type;                         /* SOCK_STREAM or SOCK_DGRAM */
	char name[ACTIVATE_NAME_MAX + 1]; /* from LISTEN_FDNAMES, or "" */
	struct sockaddr_storage addr;     /* what it is bound to */
	bool taken;                       /* adopted by a service */
};

struct activation {
	struct inherited *v;
	size_t n;
};

/*
 * Takes the sockets passed in fds 3 and up when LISTEN_PID is this
 * process, and removes LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES from the
 * environment.  Each must be a listening stream socket (TCP or unix) or
 * a datagram socket (UDP or unix); each is made close-on-exec and
 * non-blocking.  Returns 0 (with a->n == 0 when nothing
 * was passed), or -1 with the reason in err.
 */
int activate_take(struct activation *a, char *err, size_t errlen);

/* Closes the sockets no service took (logging each) and forgets them;
 * the taken ones stay in a, so a reload can hand them out again. */
void activate_release(struct activation *a);

/* Before a reload: every remaining socket is up for adoption again. */
void activate_reset(struct activation *a);

/* The next socket named name not yet claimed, from index *from on (moved
 * past it), or NULL. */
struct inherited *activate_named(struct activation *a, const char *name,
    size_t *from);

/* A socket of type not yet claimed, bound to ss's address and to port
 * (never for port 0), or to ss's path, or NULL. */
struct inherited *activate_bound(struct activation *a,
    const struct sockaddr_storage *ss, unsigned short port, int type);

/* A listener now owns in. */
void activate_claim(struct inherited *in);

/* The socket fd is claimed (taken true) or up for adoption again. */
void activate_mark(struct activation *a, int fd, bool taken);

/* Frees a (the sockets themselves are the listeners' to close). */
void activate_free(struct activation *a);

#endif
