/* Signals to whole process trees, found through proctree. */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "children.h"
#include "log.h"
#include "sweep.h"

static void
sweep_kill(pid_t pid, int sig)
{
	/* ESRCH: it ended between the look and the signal. */
	if (kill(pid, sig) == -1 && errno != ESRCH)
		log_warn("kill %d", (int)pid);
}

long
sweep_signal(struct sweep *s, pid_t root, bool kill,
    const struct pidlist *groups)
{
	struct pidlist found = { 0 };
	size_t i;
	long n;

	if (proctree_collect(root, &found) == -1) {
		proctree_free(&found);
		return -1;
	}
	for (i = 0; i < found.n; i++) {
		if (kill) {
			sweep_kill(found.v[i], SIGKILL);
			continue;
		}
		if (proctree_has(&s->termed, found.v[i]))
			continue;
		if (groups == NULL ||
		    !proctree_has(groups, getpgid(found.v[i]))) {
			sweep_kill(found.v[i], SIGTERM);
			sweep_kill(found.v[i], SIGCONT);
		}
		/* Without room to remember it, it may get SIGTERM again. */
		(void)proctree_insert(&s->termed, found.v[i]);
	}
	n = (long)found.n;
	proctree_free(&found);
	return n;
}

void
sweep_group_and_tree(pid_t root, const int *sigs, size_t nsigs)
{
	struct pidlist found = { 0 };
	size_t i, k;

	/* The tree first: once the group's signal has ended root, what it
	 * started belongs to superd and is no longer below it. */
	(void)proctree_collect(root, &found);
	for (k = 0; k < nsigs; k++) {
		if (children_signal_one(root, sigs[k]) == -1 && errno != ESRCH)
			log_warn("kill %d", (int)root);
		/* The group's members had it with the group. */
		for (i = 0; i < found.n; i++)
			if (getpgid(found.v[i]) != root)
				sweep_kill(found.v[i], sigs[k]);
	}
	proctree_free(&found);
}

bool
sweep_has_children(void)
{
	siginfo_t si;

	/* WNOWAIT: look without reaping, so the reap loop still logs it. */
	return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

void
sweep_free(struct sweep *s)
{
	proctree_free(&s->termed);
}
