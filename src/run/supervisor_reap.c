/* How the supervisor learns that handlers have exited, at a cost that does
 * not grow with the number running.  waitpid(-1) makes the kernel walk
 * every child (0.7 ms with 10,000 alive), so each exit must be named
 * instead: by the handler's stderr pipe reaching end of file, by a pidfd
 * when it has no pipe, or by the pid a SIGCHLD carries.  SIGCHLDs
 * coalesce, so after one a waitpid(-1) sweep still follows, at most once
 * a second, for any exit nothing named. */
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/wait.h>

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "admit.h"
#include "clock.h"
#include "spawn.h"
#include "supervisor_int.h"

/* A child's epoll data must not look like another kind's. */
static_assert((CHILD_EVENT_PID_MASK &
                  (EXIT_EVENT | HSTDERR_EVENT | SUPERVISOR_EVENT_METRICS |
                      SUPERVISOR_EVENT_CONTROL | SUPERVISOR_EVENT_PROXY)) == 0,
    "child event bits overlap a kind bit");

/*
 * Whether a sweep has come across an exit that is named anyway: the child
 * has a pidfd, or its pipe has no writer left (no leftover holds it).
 * Its notification is waiting to be read, as are, most likely, those of
 * the zombies after it: under load they pile up while a wakeup runs (35
 * a sweep at 700 conn/s with 10,000 alive), and reaping each by
 * waitpid(-1) would cost a walk over every child.  The sweep stops there;
 * what it is for (orphans, pipes a leftover holds) is older, so found
 * first, or comes in the next sweep, which a sweep cut short asks for.
 * While stopping it is never cut: then every handler exits at once, and
 * reaping them all by waitpid(-1) is faster than waiting for each
 * notification (10,000 handlers took 105 s instead of 3 s, as the loop
 * also walks /proc for leftovers every SWEEP_POLL_MS).
 */
static bool
supervisor_named(void *arg, const struct child *c)
{
	struct pollfd p = { .fd = c->err.fd, .events = POLLIN };
	struct supervisor *sv = arg;

	if (sv->stopping)
		return false;
	if (c->pidfd == -1 &&
	    (c->err.fd == -1 || poll(&p, 1, 0) != 1 ||
	        (p.revents & POLLHUP) == 0))
		return false;
	sv->sweep_cut = true;
	return true;
}

/*
 * Reaps pid, if it has exited (pid > 0: waitpid(pid), constant time), or
 * the children that have (pid -1: waitpid(-1) until none is left, or
 * until one whose exit is named anyway), and lets the listeners accept
 * again if that freed room.  Returns the number of handlers reaped.
 */
size_t
supervisor_reap(struct supervisor *sv, pid_t pid)
{
	bool all = admit_all_full(&sv->gen->admit);
	size_t n;

	if (pid > 0) {
		n = children_reap_pid(&sv->kids, pid, supervisor_log_exit, sv);
	} else {
		sv->sweep_cut = false;
		n = children_reap(&sv->kids, WNOHANG, supervisor_named,
		    supervisor_log_exit, sv);
		sv->swept_at = clock_ms();
		sv->sweep_wanted = sv->sweep_cut;
	}
	if (admit_all_full(&sv->gen->admit) != all)
		supervisor_refresh(sv, clock_ms());
	return n;
}

/* A pidfd becomes readable when its process has exited: one descriptor,
 * as a pipe would have cost, and no coalescing.  Without one (out of
 * descriptors, a kernel before 5.3) the child is unwatched, and every
 * SIGCHLD sweeps at once while any is. */
void
supervisor_watch_exit(struct supervisor *sv, struct child *c)
{
	struct epoll_event ev = { .events = EPOLLIN,
		.data.u64 = children_event(c, EXIT_EVENT) };
	int fd = pidfd_open(c->pid, 0), kept;

	if (fd != -1) {
		kept = spawn_keep_fd(fd);
		if (kept == -1)
			(void)close(fd);
		fd = kept;
	}
	if (fd != -1 && epoll_ctl(sv->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		(void)close(fd);
		fd = -1;
	}
	c->pidfd = fd;
	c->unwatched = fd == -1;
	sv->unwatched += c->unwatched;
}

/* c has been reaped: what watched it goes.  Taken out of the epoll set
 * first: closing alone does not while any other process has a copy of
 * the descriptor (a TLS relay forked since, until it closes superd's),
 * and a reaped child's pidfd stays readable: with TLS relays, superd
 * was seen waking some 200 times per connection for it. */
void
supervisor_unwatch_exit(struct supervisor *sv, const struct child *c)
{
	if (c->pidfd != -1) {
		(void)epoll_ctl(sv->epfd, EPOLL_CTL_DEL, c->pidfd, NULL);
		(void)close(c->pidfd);
	}
	if (c->unwatched)
		sv->unwatched--;
}

/* A pidfd is readable: its process has exited. */
void
supervisor_exit_ready(struct supervisor *sv, uint64_t data)
{
	struct child *c = children_find_event(&sv->kids, data);

	if (c != NULL)
		supervisor_reap(sv, c->pid);
}

/*
 * Running handlers whose stderr pipe reached end of file in this wakeup.
 * A process closes its descriptors before it becomes a zombie, so about
 * half of the time the pipe ends a few microseconds before waitpid can
 * see the exit: they are looked at after the wakeup's other events and
 * its signals, by then mostly reapable.  One that still is not (it is
 * about to be, or it closed its stderr and runs on) gets a pidfd
 * instead of its pipe.
 */
void
supervisor_pipes_ended(struct supervisor *sv, const uint64_t *ended, size_t n)
{
	struct child *c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = children_find_event(&sv->kids, ended[i]);
		if (c == NULL || supervisor_reap(sv, c->pid) == 1)
			continue;
		/* Still in the table: reaping nothing changed it. */
		supervisor_watch_exit(sv, c);
	}
}

/* When the next sweep may run: an interval after the last one, shorter
 * while stopping, where superd waits for its last children, orphans
 * included. */
static long long
supervisor_sweep_time(const struct supervisor *sv)
{
	return sv->swept_at + (sv->stopping ? SWEEP_POLL_MS : REAP_SWEEP_MS);
}

/*
 * SIGCHLD names one child that exited (a handler, or an orphan handed to
 * superd); others may have coalesced into it: handlers whose pipe is held
 * by something they left running, orphans, unwatched children.  A sweep
 * finds them: at once while a child is unwatched, else at the end of a
 * wakeup (supervisor_sweep_exits), once an interval has passed since the
 * last.  Each exit a sweep finds costs a walk over every child, so it
 * comes after the wakeup's pipes and pidfds have named theirs.
 */
void
supervisor_sigchld(struct supervisor *sv, pid_t pid)
{
	if (pid > 0)
		supervisor_reap(sv, pid);
	sv->sweep_wanted = true;
	if (sv->unwatched > 0)
		supervisor_reap(sv, -1);
}

/* The earlier of next and a sweep that is wanted (-1: none). */
long long
supervisor_sweep_due(const struct supervisor *sv, long long next)
{
	long long at = supervisor_sweep_time(sv);

	if (sv->sweep_wanted && (next == -1 || at < next))
		return at;
	return next;
}

void
supervisor_sweep_exits(struct supervisor *sv, long long now)
{
	if (sv->sweep_wanted && now >= supervisor_sweep_time(sv))
		supervisor_reap(sv, -1);
}
