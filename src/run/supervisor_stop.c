/* Stopping, the way init does: listeners closed, SIGTERM and SIGCONT to
 * every handler's group and every process below superd, SIGKILL at the
 * deadline, done when superd has no child left; and max_duration, the
 * same for one handler's tree. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admit.h"
#include "clock.h"
#include "events.h"
#include "log.h"
#include "notify.h"
#include "supervisor_int.h"
#include "sweep.h"

/* why: the kv token, then the words of the text line. */
void
supervisor_kill(struct supervisor *sv, const char *why, const char *words)
{

	if (sv->killed)
		return;
	sv->killed = true;
	if (sv->kids.n > 0) {
		event_kill(why, words, sv->kids.n);
		children_signal(&sv->kids, SIGKILL);
	}
	(void)sweep_signal(&sv->sweep, getpid(), true, NULL);
}

/* The first look below superd at shutdown: what the handlers' groups
 * just got is not sent twice, so a handler that traps SIGTERM runs its
 * trap once. */
static void
supervisor_sweep_first(struct supervisor *sv)
{
	struct pidlist groups = { 0 };
	size_t i;

	for (i = 0; i < sv->kids.n; i++)
		if (proctree_add(&groups, sv->kids.v[i].pid) == -1)
			break;
	proctree_sort(&groups);
	if (sweep_signal(&sv->sweep, getpid(), false, &groups) == -1)
		log_warn("listing the processes below superd");
	proctree_free(&groups);
}

/* Like init: no new connections, TERM (and CONT, so a stopped handler can
 * act on it) to every handler's group, then KILL at the deadline. */
void
supervisor_stop(struct supervisor *sv, int sig)
{
	size_t i;

	if (sv->stopping) {
		if (clock_ms() - sv->stop_ms < SECOND_SIGNAL_MS)
			log_debug("%s within %dms of the first: the same "
			          "request",
			    sigabbrev_np(sig), SECOND_SIGNAL_MS);
		else
			supervisor_kill(sv, "second_signal",
			    "second stop signal");
		return;
	}
	sv->stopping = true;
	sv->stop_ms = clock_ms();
	admit_stop(&sv->gen->admit);
	notify_send("STOPPING=1\nSTATUS=stopping: %zu handlers running",
	    sv->kids.n);
	supervisor_refresh(sv, clock_ms());
	for (i = 0; i < sv->gen->nls; i++) {
		supervisor_watch(sv, i, false);
		/* A unix socket's file goes with it. */
		listen_close(&sv->gen->ls[i]);
	}
	/* No header will make a handler now. */
	supervisor_proxy_close_all(sv);
	event_stopping(sig, sv->kids.n, sv->gen->cfg.shutdown_timeout_ms);
	children_signal(&sv->kids, SIGTERM);
	children_signal(&sv->kids, SIGCONT);
	/* Everything below superd, also what left its handler's group. */
	supervisor_sweep_first(sv);
	sv->kill_at = clock_ms() + (long long)sv->gen->cfg.shutdown_timeout_ms;
}

/* max_duration: TERM+CONT to the group at the deadline, KILL after the
 * service's stop_timeout. */
void
supervisor_expire(struct supervisor *sv, struct child *c, long long now)
{
	if (c->kill_at != 0 && now >= c->kill_at) {
		if (c->ctl_killed)
			event_control_kill(c->name, c->pid, "SIGKILL");
		else
			event_max_duration_kill(c->name, c->pid,
			    c->stop_timeout_ms);
		sweep_group_and_tree(c->pid, (const int[]){ SIGKILL }, 1);
		c->kill_at = 0;
		c->stop_at = 0;
		return;
	}
	if (c->stop_at == 0 || now < c->stop_at || c->kill_at != 0)
		return;
	event_max_duration_stop(c->name, c->pid, c->max_duration_ms);
	if (c->service != CHILD_NO_SERVICE)
		admit_count(&sv->gen->admit, c->service, STAT_KILLED);
	/* Also what left the handler's group (setsid) but is still below
	 * it. */
	sweep_group_and_tree(c->pid, (const int[]){ SIGTERM, SIGCONT }, 2);
	c->kill_at = now + (long long)c->stop_timeout_ms;
	if (c->kill_at == now)
		c->kill_at = now + 1;
}

void
supervisor_terminate(struct supervisor *sv, struct child *c, long long now)
{
	if (c->kill_at != 0)
		return; /* on its way already */
	if (c->max_duration_ms == 0 && !c->ctl_killed)
		sv->ntimed++;
	c->ctl_killed = true;
	event_control_kill(c->name, c->pid, "SIGTERM");
	sweep_group_and_tree(c->pid, (const int[]){ SIGTERM, SIGCONT }, 2);
	c->kill_at = now + (long long)c->stop_timeout_ms;
	if (c->kill_at == now)
		c->kill_at = now + 1;
}

/* The earliest of t and every child's next deadline. */
long long
supervisor_child_deadline(const struct supervisor *sv, long long t)
{
	const struct child *c;
	long long at;
	size_t i;

	for (i = 0; i < sv->kids.n; i++) {
		c = &sv->kids.v[i];
		at = c->kill_at != 0 ? c->kill_at : c->stop_at;
		if (at != 0 && (t == -1 || at < t))
			t = at;
	}
	return t;
}

/* While stopping: processes below superd that were not there at the
 * first look (forked since, or handed to superd as orphans) get the same
 * signals; one that outlasts the SIGKILL by SWEEP_GRACE_MS (stuck in the
 * kernel) is given up on. */
void
supervisor_leftovers(struct supervisor *sv, long long now)
{
	if (sweep_signal(&sv->sweep, getpid(), sv->killed, NULL) == 0 ||
	    !sv->killed || now < sv->kill_at + SWEEP_GRACE_MS)
		return;
	if (sv->kids.n == 0 && sweep_has_children()) {
		log_warnx("processes left by handlers did not end after "
		          "SIGKILL: stopping without them");
		sv->abandoned = true;
	}
}

/* Stopping is done when nothing is left below superd: no handler and no
 * process any handler left behind, reaped or not. */
bool
supervisor_done(const struct supervisor *sv)
{
	return sv->stopping && sv->kids.n == 0 &&
	    (sv->abandoned || !sweep_has_children());
}
