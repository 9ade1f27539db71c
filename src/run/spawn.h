/* Starting one handler for one accepted connection, or for a wait
 * listener's socket. */
#ifndef SUPERD_SPAWN_H
#define SUPERD_SPAWN_H

#include <sys/socket.h>
#include <sys/types.h>

#include <stdbool.h>

#include "admit.h"
#include "config.h"
#include "confine.h"
#include "listen.h"
#include "program.h"

/* The fixed PATH a handler gets. */
#define SPAWN_PATH SERVICE_PATH_DEFAULT

/* How far above a connection's own descriptors the kept ones go: the
 * socket, the pipe's two ends and the fork builds' report pipe fit. */
#define SPAWN_FD_ROOM 8
/* spawn_keep_high's floor at most: the kernel sizes superd's table to
 * its highest descriptor, and a huge RLIMIT_NOFILE should not mean a
 * table of megabytes. */
#define SPAWN_HIGH_MAX 16384

/* Why a child did not reach exec.  code 0: it did. */
struct spawn_failure {
	int code;           /* its exit status: 126, or 127 (not found) */
	const char *step;   /* "cannot run", "cannot setuid for", ... */
	const char *reason; /* fixed text, or NULL: strerror(err) */
	int err;            /* errno at the failure */
	int pending;        /* fork builds: where the report will be, to
	                     * read at reap (spawn_failure_collect); -1 */
	/* exec failed with ENOENT because the script's #! interpreter is
	 * missing: its name, else "". */
	char interp[PROGRAM_INTERP_MAX];
};

/* What a handler is started for: a connection, or a wait listener's
 * socket. */
struct spawn_conn {
	int fd;                      /* its stdin and stdout: the connection,
	                              * or the listening (bound) socket */
	const struct sockaddr *peer; /* TCP: the client; else NULL */
	const struct unix_peer *unix_peer; /* unix: the client; else NULL */
	unsigned long concurrency;         /* TCP: TCPCONCURRENCY */
	/* Behind a balancer (PROXY header): whom the client reached, for
	 * TCPLOCALIP and TCPLOCALPORT (NULL: the socket's own address);
	 * "NAME=value" entries for the handler (PROXYREMOTEIP, the TLVs),
	 * NULL-terminated, at most SPAWN_EXTRA_MAX (NULL: none); the
	 * balancer as text for the log (NULL: no balancer). */
	const struct sockaddr *local;
	char *const *extra_env;
	const char *proxy;
	/* The TLS relay's handler: it stays in the relay's process group
	 * (no session of its own), so that what superd sends the group
	 * reaches both. */
	bool keep_group;
};

/* Entries extra_env may hold: a PROXY header's (at most 8) and the TLS
 * relay's (7). */
#define SPAWN_EXTRA_MAX 16

/*
 * Forks a child that runs svc's program with conn->fd on its stdin and
 * stdout, errfd on fd 2, no other fd, an empty signal mask, default
 * dispositions, its own session (unless conn->keep_group), and the UCSPI
 * environment of l's kind: for TCP PROTO, TCPLOCALIP, TCPLOCALPORT,
 * TCPREMOTEIP, TCPREMOTEPORT and TCPCONCURRENCY (handlers of this service
 * running for the same source, this one included; behind a balancer TCPLOCALIP,
 * TCPLOCALPORT and TCPREMOTEIP, TCPREMOTEPORT are those of conn->local and
 * conn->peer, the header's, and conn->extra_env follows); for a unix socket
 * PROTO=UNIX, UNIXLOCALPATH, UNIXREMOTEEUID, UNIXREMOTEEGID and UNIXREMOTEPID;
 * for a wait handler only the local ones (PROTO=UDP with UDPLOCALIP and
 * UDPLOCALPORT for a datagram socket).  Then PATH (unless svc's env replaces
 * it), the login variables of svc's user (svc->login_env: HOME, LOGNAME, SHELL,
 * USER), SUPERD_SERVICE, and svc's env and pass_env entries.  With listen_fds,
 * fds 0 and 1 are /dev/null instead and the socket is fd 3, with
 * LISTEN_FDS=1, LISTEN_PID (the child's) and LISTEN_FDNAMES (the
 * service's name).  Before exec the child sets svc's rlimits, nice,
 * umask and working directory ("/" by default), then drops to svc's
 * groups, gid and uid when `user` is set, and checks the drop; plan (NULL:
 * none) confines it around the drop and last before exec (confine.h).
 * This is the only way superd starts a handler.
 *
 * superd waits until the child has exec'd or failed (vfork).  If a step
 * fails, the child exits 126 (127 if exec found no program) and *fail
 * says which step and why, for superd to log; the child itself writes
 * nothing anywhere.  Otherwise fail->code is 0.  Fork builds (sanitizers)
 * do not wait: fail->pending is then a descriptor to hand to
 * spawn_failure_collect once the child is reaped.
 *
 * errfd, unless -1, becomes the handler's stderr (the log pipe, the
 * connection or /dev/null); with -1 the handler shares superd's.
 *
 * The child starts on superd's own descriptor table (CLONE_FILES) and
 * copies of it only the descriptors numbered up to the highest of
 * conn->fd and errfd, so its cost follows those numbers, not how many
 * descriptors superd holds.  The descriptors superd keeps per handler go
 * through spawn_keep_fd, which keeps those numbers low.
 *
 * The caller still owns conn->fd and closes it (or keeps it: a wait
 * listener).  Returns the child's pid, or -1 with errno if the
 * environment could not be built or fork failed.
 */
pid_t spawn_handler(const struct service *svc, const struct confine_plan *plan,
    const struct listener *l, const struct spawn_conn *conn, int errfd,
    struct spawn_failure *fail);

/*
 * For a descriptor superd keeps for as long as a handler lives (its stderr
 * pipe, its pidfd): moves it to the lowest free number at least
 * SPAWN_FD_ROOM above the one it has, and closes that one.  A new
 * descriptor takes the lowest free number, so a connection's own (the
 * socket, a pipe's write end) are the lowest free ones, and the ones kept
 * are moved above them: those numbers are then free again for the next
 * connection, however many handlers run.  Left in place, each kept
 * descriptor would push the next connection's numbers up, and the copy a
 * child makes (spawn_handler) would grow with the number of handlers.
 * Returns the new descriptor (close-on-exec), or -1 with errno and fd
 * still open.
 */
int spawn_keep_fd(int fd);

/*
 * For a descriptor superd keeps for long and no handler is given (an
 * accepting listener): moves it to the upper half of what RLIMIT_NOFILE
 * allows (at most SPAWN_HIGH_MAX), far above the numbers connections
 * take, and closes the old one.  Each child copies every descriptor below
 * its connection's: with 1,000 listeners at the bottom of the table that
 * copy cost each handler about 40 us.  Where the move cannot be made (no
 * room up there) fd stays where it is, which is only slower.  Returns the
 * descriptor to use.
 */
int spawn_keep_high(int fd);

/*
 * Drops the calling process to svc's supplementary groups, gid and uid (a
 * service with `user`), and checks that it cannot get root back: the
 * child checklist's step, also for the TLS relay, which drops before its
 * handshake.  Returns NULL, or the step that failed ("cannot setuid
 * for", ...) with *reason a fixed text, or NULL for strerror(errno).
 */
const char *spawn_drop_ids(const struct service *svc, const char **reason);

/* Fork builds: reads the report of a reaped child from pending (and
 * closes it) into *f; f->code is 0 if the child reached exec. */
void spawn_failure_collect(int pending, struct spawn_failure *f);

/* "STEP PATH: REASON" for a failure, as snprintf. */
int spawn_failure_text(const struct service *svc, const struct spawn_failure *f,
    char *buf, size_t len);

#endif
