/* The supervisor: one loop over the signal fd and the listeners that
 * accepts, spawns, reaps and shuts down. */
#ifndef SUPERD_SUPERVISOR_H
#define SUPERD_SUPERVISOR_H

#include <stddef.h>

#include "activate.h"
#include "generation.h"

/* What the loop starts with; it takes ownership of gen (and frees it)
 * and of act's sockets. */
struct supervisor_args {
	struct generation *gen; /* the first: from generation_make */
	const char *file;       /* reread on SIGHUP */
	const char *const *handler_dirs;
	struct activation *act; /* sockets from a service manager */
	int sigfd;              /* from sig_init */
};

/*
 * Serves until SIGTERM or SIGINT, then stops like init: closes the
 * listeners, sends SIGTERM and SIGCONT to every handler's process group,
 * waits up to shutdown_timeout (a second SIGTERM/SIGINT cuts the
 * wait short), SIGKILLs what is left, and reaps every child.
 *
 * SIGHUP rereads the file: a valid new configuration replaces the old one
 * (listeners on unchanged addresses stay open; running handlers finish);
 * an invalid one is logged and the old one stays.
 *
 * Returns 0 after a clean stop, or -1 if the loop itself failed (poll or
 * the signal fd), after stopping the handlers the same way.
 */
int supervisor_run(struct supervisor_args *args);

#endif
