/* The supervisor: one loop over the signal fd and the listeners that
 * accepts, spawns, reaps and shuts down. */
#ifndef SUPERD_SUPERVISOR_H
#define SUPERD_SUPERVISOR_H

#include <stddef.h>

#include "config.h"
#include "listen.h"

/*
 * Serves until SIGTERM or SIGINT, then stops like init: closes the
 * listeners, sends SIGTERM and SIGCONT to every handler's process group,
 * waits up to cfg->shutdown_timeout_ms (a second SIGTERM/SIGINT cuts the
 * wait short), SIGKILLs what is left, and reaps every child.  Takes
 * ownership of the listeners and closes them.  sigfd comes from sig_init.
 *
 * Returns 0 after a clean stop, or -1 if the loop itself failed (poll or
 * the signal fd), after stopping the handlers the same way.
 */
int supervisor_run(const struct config *cfg, struct listener *ls, size_t nls,
    int sigfd);

#endif
