/* The processes below a process: its children, theirs, and so on, as
 * /proc/PID/task/TID/children lists them.  superd is its handlers'
 * subreaper, so at shutdown this finds everything a handler started,
 * also what left the handler's process group (setsid, setpgid). */
#ifndef SUPERD_PROCTREE_H
#define SUPERD_PROCTREE_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

struct pidlist {
	pid_t *v;
	size_t n, cap;
};

/*
 * Appends every descendant of pid (not pid itself) to out, parents
 * before their children.  The kernel's lists are only a snapshot: a
 * process that forks meanwhile may be missed, so callers look again
 * later.  A process that is gone is skipped.  Returns 0, or -1 with errno
 * (ENOMEM; or ENOENT if this kernel has no children lists).
 */
int proctree_collect(pid_t pid, struct pidlist *out);

/* True if pid is in the sorted list. */
bool proctree_has(const struct pidlist *sorted, pid_t pid);

/* Adds pid to the sorted list, keeping it sorted.  Returns 0, or -1 with
 * errno ENOMEM. */
int proctree_insert(struct pidlist *sorted, pid_t pid);

/* Appends pid (the list is then unsorted).  Returns 0, or -1 with errno
 * ENOMEM. */
int proctree_add(struct pidlist *l, pid_t pid);

/* Sorts the list, for proctree_has. */
void proctree_sort(struct pidlist *l);

void proctree_free(struct pidlist *l);

#endif
