/* The children table: an array with swap-remove, and an index by pid so
 * that reaping one child, with thousands running, costs what it costs
 * with one.  The table holds only handlers alive right now. */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "children.h"
#include "log.h"

/* Sequential pids would do as their own hash; mixing keeps a run of pids
 * that are a multiple of the table size apart from clustering. */
static size_t
children_home(const struct children *c, pid_t pid)
{
	uint32_t h = (uint32_t)pid * 0x9E3779B1u;

	return (size_t)(h ^ (h >> 16)) & c->mask;
}

static void
children_index_put(struct children *c, size_t pos)
{
	size_t i = children_home(c, c->v[pos].pid);

	while (c->index[i] != 0)
		i = (i + 1) & c->mask;
	c->index[i] = (uint32_t)(pos + 1);
}

/* The index slot that holds pos. */
static size_t
children_index_slot(const struct children *c, size_t pos)
{
	size_t i = children_home(c, c->v[pos].pid);

	while (c->index[i] != pos + 1)
		i = (i + 1) & c->mask;
	return i;
}

/* Empties slot i, moving later entries of its probe run back into the
 * hole so no lookup ever stops early (no tombstones). */
static void
children_index_delete(struct children *c, size_t i)
{
	size_t j = i, home;

	for (;;) {
		c->index[i] = 0;
		for (;;) {
			j = (j + 1) & c->mask;
			if (c->index[j] == 0)
				return;
			home = children_home(c, c->v[c->index[j] - 1].pid);
			/* Stay if home lies cyclically in (i, j]. */
			if (i <= j ? (i < home && home <= j)
			           : (i < home || home <= j))
				continue;
			break;
		}
		c->index[i] = c->index[j];
		i = j;
	}
}

/* An index of at least 2 * cap slots, rebuilt from v. */
static int
children_index_grow(struct children *c, size_t cap)
{
	size_t slots = 128, i;
	uint32_t *index;

	while (slots < 2 * cap)
		slots *= 2;
	if (c->index != NULL && slots <= c->mask + 1)
		return 0;
	index = calloc(slots, sizeof(*index));
	if (index == NULL)
		return -1;
	free(c->index);
	c->index = index;
	c->mask = slots - 1;
	for (i = 0; i < c->n; i++)
		children_index_put(c, i);
	return 0;
}

int
children_reserve(struct children *c)
{
	struct child *grown;
	size_t cap;

	if (c->n < c->cap)
		return 0;
	cap = c->cap ? c->cap * 2 : 64;
	/* Positions are stored as uint32_t. */
	if (cap >= UINT32_MAX) {
		errno = ENOMEM;
		return -1;
	}
	grown = realloc(c->v, cap * sizeof(*grown));
	if (grown == NULL)
		return -1;
	c->v = grown;
	if (children_index_grow(c, cap) == -1)
		return -1;
	c->cap = cap;
	return 0;
}

void
children_add(struct children *c, const struct child *child)
{
	c->v[c->n] = *child;
	children_index_put(c, c->n);
	c->n++;
}

uint64_t
children_event(const struct child *ch, uint64_t kind)
{
	return kind | (uint64_t)ch->pid << CHILD_EVENT_PID_SHIFT |
	    (ch->id & CHILD_EVENT_ID_MASK);
}

struct child *
children_find_event(struct children *c, uint64_t data)
{
	pid_t pid =
	    (pid_t)((data & CHILD_EVENT_PID_MASK) >> CHILD_EVENT_PID_SHIFT);
	struct child *ch = children_find_pid(c, pid);

	if (ch == NULL ||
	    (ch->id & CHILD_EVENT_ID_MASK) != (data & CHILD_EVENT_ID_MASK))
		return NULL;
	return ch;
}

struct child *
children_find_pid(struct children *c, pid_t pid)
{
	size_t i;

	if (c->n == 0)
		return NULL;
	for (i = children_home(c, pid); c->index[i] != 0; i = (i + 1) & c->mask)
		if (c->v[c->index[i] - 1].pid == pid)
			return &c->v[c->index[i] - 1];
	return NULL;
}

void
children_remove_at(struct children *c, size_t i)
{
	size_t last = c->n - 1;

	children_index_delete(c, children_index_slot(c, i));
	if (i != last) {
		c->index[children_index_slot(c, last)] = (uint32_t)(i + 1);
		c->v[i] = c->v[last];
	}
	c->n--;
}

int
children_remove(struct children *c, pid_t pid, struct child *out)
{
	struct child *found = children_find_pid(c, pid);

	if (found == NULL)
		return -1;
	*out = *found;
	children_remove_at(c, (size_t)(found - c->v));
	return 0;
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

/* A reaped pid: its table entry out, and on_exit for it. */
static size_t
children_reaped(struct children *c, pid_t pid, int status,
    children_exit_fn *on_exit, void *arg)
{
	struct child gone;

	if (children_remove(c, pid, &gone) == -1) {
		/* As a subreaper superd inherits what handlers leave behind;
		 * reaping those is its job, not news. */
		log_debug("reaped %d, left behind by a handler", (int)pid);
		return 0;
	}
	on_exit(arg, &gone, status);
	return 1;
}

size_t
children_reap(struct children *c, int flags, children_named_fn *named,
    children_exit_fn *on_exit, void *arg)
{
	const struct child *ch;
	bool stop;
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
		ch = children_find_pid(c, pid);
		stop = named != NULL && ch != NULL && named(arg, ch);
		n += children_reaped(c, pid, status, on_exit, arg);
		if (stop)
			return n;
	}
}

size_t
children_reap_pid(struct children *c, pid_t pid, children_exit_fn *on_exit,
    void *arg)
{
	int status;
	pid_t got;

	do
		got = waitpid(pid, &status, WNOHANG);
	while (got == -1 && errno == EINTR);
	if (got <= 0) {
		/* ECHILD: a sweep reaped it first. */
		if (got == -1 && errno != ECHILD)
			log_warn("waitpid %d", (int)pid);
		return 0;
	}
	return children_reaped(c, got, status, on_exit, arg);
}

void
children_free(struct children *c)
{
	free(c->v);
	free(c->index);
	c->v = NULL;
	c->index = NULL;
	c->n = c->cap = 0;
	c->mask = 0;
}
