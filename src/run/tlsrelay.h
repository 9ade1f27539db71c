/* The TLS relay: a process per TLS connection, in place of the handler,
 * that does the handshake, starts the handler on a socketpair with the
 * TLS_* variables, and pumps plaintext between the two. */
#ifndef SUPERD_TLSRELAY_H
#define SUPERD_TLSRELAY_H

#include <sys/types.h>

#include "spawn.h"
#include "tlsctx.h"

/* The relay's exit status when the handshake failed or timed out: the
 * handler never ran (superd counts refused_tls).  A handler's own exit
 * 125 would read the same, so it is passed on as 124. */
#define TLSRELAY_REFUSED 125

/* What the relay starts the handler with: spawn_handler's arguments. */
struct tlsrelay_job {
	const struct tls_service *ts;
	const struct service *svc;
	const struct confine_plan *plan;
	const struct listener *l;
	const struct spawn_conn *conn; /* conn->fd: the client's socket */
	int errfd; /* the handler's stderr, as for spawn_handler; equal to
	            * conn->fd for stderr = client */
};

/*
 * Forks the relay for j.  The child runs in its own session and process
 * group (the handler joins that group), keeps only the client's socket,
 * errfd and fd 2 (superd's stderr, where it logs the `tls` line), does the
 * handshake within j->ts->handshake_timeout_ms (none of it in superd),
 * then starts the handler through spawn_handler and relays (relay.h's
 * loop, tlspump.h's callbacks) until it is done, and exits with the
 * handler's status (by its signal if one ended it).  A handshake that
 * fails or times out exits TLSRELAY_REFUSED without starting the
 * handler.
 *
 * Returns the relay's pid, or -1 with errno if fork failed.  The caller
 * still owns conn->fd and errfd.
 */
pid_t tlsrelay_start(const struct tlsrelay_job *j);

#endif
