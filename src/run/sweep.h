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

/* Each of sigs, in order, to root's process group (root itself if it
 * has none yet) and to every process below root outside that group: the
 * whole tree a handler started, also what left its group (max_duration).
 * The tree is listed before the first signal. */
void sweep_group_and_tree(pid_t root, const int *sigs, size_t nsigs);

/* True while superd has any child at all, running or not yet reaped. */
bool sweep_has_children(void);

void sweep_free(struct sweep *s);

#endif
