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
 * (PROTO, TCPLOCALIP, TCPLOCALPORT, TCPREMOTEIP, TCPREMOTEPORT) plus PATH
 * (unless svc's env replaces it), SUPERD_SERVICE, TCPCONCURRENCY
 * (handlers of this service running for the same source, this one
 * included) and svc's env and pass_env entries.  Before exec the child
 * sets svc's rlimits, nice, umask and working directory ("/" by default),
 * then drops to svc's groups, gid and uid when `user` is set, and checks
 * the drop.  This is the only way superd starts a handler.
 *
 * If any step fails the child writes one line to stderr naming the service
 * and the step, and exits 126; if exec fails, 127 (not found) or 126 (any
 * other reason).
 *
 * errfd, unless -1, becomes the handler's stderr (the log pipe or
 * /dev/null); with -1 the handler shares superd's.
 *
 * The caller still owns fd and closes it.  Returns the child's pid, or -1
 * with errno if the environment could not be built or fork failed.
 */
pid_t spawn_handler(const struct service *svc, const struct listener *l, int fd,
    const struct sockaddr *peer, unsigned long concurrency, int errfd);

#endif
