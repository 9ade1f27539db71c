/* The children table: an array with swap-remove.  Lookups are linear; the
 * table holds only handlers alive right now. */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "children.h"
#include "log.h"

int
children_reserve(struct children *c)
{
	struct child *grown;
	size_t cap;

	if (c->n < c->cap)
		return 0;
	cap = c->cap ? c->cap * 2 : 64;
	grown = realloc(c->v, cap * sizeof(*grown));
	if (grown == NULL)
		return -1;
	c->v = grown;
	c->cap = cap;
	return 0;
}

void
children_add(struct children *c, pid_t pid, size_t service, long long start_ms)
{
	c->v[c->n].pid = pid;
	c->v[c->n].service = service;
	c->v[c->n].start_ms = start_ms;
	c->n++;
}

int
children_remove(struct children *c, pid_t pid, struct child *out)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (c->v[i].pid != pid)
			continue;
		*out = c->v[i];
		c->v[i] = c->v[--c->n];
		return 0;
	}
	return -1;
}

size_t
children_signal(const struct children *c, int sig)
{
	size_t i, sent = 0;
	pid_t pid;

	for (i = 0; i < c->n; i++) {
		pid = c->v[i].pid;
		/* The group exists once the child has called setsid; the
		 * child itself is in our table until reaped, so its pid (and
		 * so its group id) cannot be reused meanwhile. */
		if (kill(-pid, sig) == -1 &&
		    (errno != ESRCH || kill(pid, sig) == -1)) {
			if (errno != ESRCH)
				log_warn("kill %d", (int)pid);
			continue;
		}
		sent++;
	}
	return sent;
}

size_t
children_reap(struct children *c, int flags, children_exit_fn *on_exit,
    void *arg)
{
	struct child gone;
	size_t n = 0;
	int status;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &status, flags);
		if (pid == 0)
			return n;
		if (pid == -1) {
			if (errno == EINTR)
				continue;
			if (errno != ECHILD)
				log_warn("waitpid");
			return n;
		}
		if (children_remove(c, pid, &gone) == -1) {
			log_warnx("reaped unknown child %d", (int)pid);
			continue;
		}
		n++;
		on_exit(arg, &gone, status);
	}
}

void
children_free(struct children *c)
{
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}
