/* Starting one handler for one accepted connection. */
#ifndef SUPERD_SPAWN_H
#define SUPERD_SPAWN_H

#include <sys/socket.h>
#include <sys/types.h>

#include "config.h"
#include "listen.h"

/* The fixed PATH a handler gets. */
#define SPAWN_PATH "/usr/local/bin:/usr/bin:/bin"

/*
 * Forks a child that runs svc's program with the connection fd on its
 * stdin and stdout, superd's stderr on fd 2, no other fd, an empty signal
 * mask, default dispositions, its own session, and the UCSPI environment
 * (PROTO, TCPLOCALIP, TCPLOCALPORT, TCPREMOTEIP, TCPREMOTEPORT) plus PATH,
 * SUPERD_SERVICE and TCPCONCURRENCY (handlers of this service running
 * for the same source, this one included).  If exec fails the child writes one
 * line to stderr and exits 127 (not found) or 126 (any other reason).
 *
 * The caller still owns fd and closes it.  Returns the child's pid, or -1
 * with errno if the environment could not be built or fork failed.
 */
pid_t spawn_handler(const struct service *svc, const struct listener *l, int fd,
    const struct sockaddr *peer, unsigned long concurrency);

#endif
