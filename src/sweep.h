/* Stopping everything below superd, the way init does: SIGTERM and
 * SIGCONT once to each process, SIGKILL to each after the deadline, and
 * looking again until none is left, since processes fork meanwhile and
 * orphans are handed to superd (the subreaper) as their parents die. */
#ifndef SUPERD_SWEEP_H
#define SUPERD_SWEEP_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "proctree.h"

struct sweep {
	struct pidlist termed; /* sorted: already sent SIGTERM and SIGCONT */
};

/*
 * Every process below root gets SIGTERM and SIGCONT, once each (a handler
 * that traps SIGTERM is not interrupted again at every look), except
 * members of the process groups in groups (sorted, or NULL), which the
 * caller signalled as groups; or, with kill, SIGKILL every time.
 * Returns how many processes were found, or -1 with errno if they cannot
 * be listed (then only the process groups the caller signals itself are
 * reached).
 */
long sweep_signal(struct sweep *s, pid_t root, bool kill,
    const struct pidlist *groups);

/* sig to every process below root that is not in root's process group
 * (max_duration: the caller signals the group; this reaches the rest of
 * the tree the handler started, what left its group included). */
void sweep_tree(pid_t root, int sig);

/* True while superd has any child at all, running or not yet reaped. */
bool sweep_has_children(void);

void sweep_free(struct sweep *s);

#endif
