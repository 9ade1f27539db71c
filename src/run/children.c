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
children_add(struct children *c, const struct child *child)
{
	c->v[c->n++] = *child;
}

struct child *
children_find_id(struct children *c, uint64_t id)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->v[i].id == id)
			return &c->v[i];
	return NULL;
}

void
children_remove_at(struct children *c, size_t i)
{
	c->v[i] = c->v[--c->n];
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

int
children_signal_one(pid_t pid, int sig)
{
	/* The group exists once the child has called setsid; the child
	 * itself is in our table until reaped, so its pid (and so its group
	 * id) cannot be reused meanwhile. */
	if (kill(-pid, sig) == 0)
		return 0;
	if (errno != ESRCH)
		return -1;
	return kill(pid, sig);
}

size_t
children_signal(const struct children *c, int sig)
{
	size_t i, sent = 0;

	for (i = 0; i < c->n; i++) {
		if (children_signal_one(c->v[i].pid, sig) == -1) {
			if (errno != ESRCH)
				log_warn("kill %d", (int)c->v[i].pid);
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
			/* As a subreaper superd inherits what handlers leave
			 * behind; reaping those is its job, not news. */
			log_debug("reaped %d, left behind by a handler",
			    (int)pid);
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
