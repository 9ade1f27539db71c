/* The table of running handlers: who they are, for which service, since
 * when, found by pid in constant time.  Sized to fit before each fork, so
 * recording a child never fails after it exists. */
#ifndef SUPERD_CHILDREN_H
#define SUPERD_CHILDREN_H

#include <sys/types.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "config.h"
#include "errlog.h"

/* A child whose service a reload removed: it runs on, counted nowhere. */
#define CHILD_NO_SERVICE ((size_t)-1)

struct child {
	pid_t pid;      /* also its process group */
	uint64_t id;    /* unique for superd's lifetime, unlike a pid */
	size_t service; /* index in config.services, or CHILD_NO_SERVICE */
	char name[SERVICE_NAME_MAX + 1]; /* its service, for the log */
	long long start_ms;              /* clock_ms() at spawn */
	struct cidr peer;                /* the client, full length */
	struct cidr source; /* peer truncated: the per-source key */
	long long stop_at;  /* max_duration deadline; 0: none */
	long long kill_at;  /* SIGKILL after a stop; 0: not stopping */
	unsigned long max_duration_ms, stop_timeout_ms; /* as at spawn */
	char from[INET6_ADDRSTRLEN + 8]; /* "ip:port" of the client,
	                                  * "uid=U,pid=P" of a unix one,
	                                  * "-" for a wait handler */
	unsigned long wait_sock;   /* a wait handler: its listener's socket
	                            * (listener.sock_ino); 0: none */
	char local[ADDR_TEXT_MAX]; /* its listener's label */
	bool ctl_killed;           /* superctl kill: SIGTERM sent, SIGKILL
	                            * at kill_at */
	struct errlog err;         /* stderr = log: its pipe */
	int report;                /* fork builds: its spawn report */
	int pidfd;      /* watched for its exit while it has no pipe; -1 */
	bool unwatched; /* neither pipe nor pidfd: only SIGCHLD tells */
	bool tls_relay; /* a TLS relay (its handler below it): exit status
	                 * TLSRELAY_REFUSED is a failed handshake */
};

/* epoll data naming a child: a kind bit (1ULL << 62 or 63, chosen by the
 * caller; 59 to 61 are the supervisor's endpoints' and PROXY waits'), the
 * child's pid (below PID_MAX_LIMIT, 2^22) in bits 37-58, and the low 37
 * bits of its id, which tell a child from an earlier one with the same
 * pid. */
#define CHILD_EVENT_PID_SHIFT 37
#define CHILD_EVENT_ID_MASK ((1ULL << CHILD_EVENT_PID_SHIFT) - 1)
#define CHILD_EVENT_PID_MASK (((1ULL << 22) - 1) << CHILD_EVENT_PID_SHIFT)

/* An array (swap-remove) and an index by pid: open addressing, linear
 * probing, backward-shift deletion, 1 + the position in v (0: empty).  The
 * index has at least twice cap's slots, so a probe run stays short.  A pid
 * may appear twice (hstderr's table of exited handlers keeps entries
 * whose pid was reused); children_find_pid then finds one of them. */
struct children {
	struct child *v;
	size_t n, cap;
	uint32_t *index;
	size_t mask; /* slots in index - 1 */
};

/* The child with this pid, or NULL: constant time. */
struct child *children_find_pid(struct children *c, pid_t pid);

/* The epoll data of kind for child ch (see CHILD_EVENT_PID_SHIFT). */
uint64_t children_event(const struct child *ch, uint64_t kind);

/* The child in the table that epoll data names, or NULL (it has been
 * reaped, and the pid may be another's now). */
struct child *children_find_event(struct children *c, uint64_t data);

/* Removes the entry at v[i] (swapping the last one in). */
void children_remove_at(struct children *c, size_t i);

/* Makes room for one more child (and its place in the index).  Returns
 * 0, or -1 with errno ENOMEM. */
int children_reserve(struct children *c);

/* Records a child; children_reserve must have succeeded first. */
void children_add(struct children *c, const struct child *child);

/* Removes pid and copies its entry to *out.  Returns 0, or -1 if pid is
 * not in the table. */
int children_remove(struct children *c, pid_t pid, struct child *out);

/* Sends sig to one child's process group (to the child itself if its
 * group does not exist yet).  Returns 0, or -1 with errno. */
int children_signal_one(pid_t pid, int sig);

/* Sends sig to every child's process group (to the child itself if its
 * group does not exist yet: it may not have called setsid).  Returns the
 * number of children signalled. */
size_t children_signal(const struct children *c, int sig);

/* Called for each reaped child with its wait status. */
typedef void children_exit_fn(void *arg, const struct child *c, int status);

/* Whether the exit of c, a table entry about to be reaped, would have
 * been learnt without a sweep (children_reap). */
typedef bool children_named_fn(void *arg, const struct child *c);

/*
 * Reaps children with waitpid(-1, …, flags) until none is left to reap
 * (flags WNOHANG: none has exited; 0: none exists), calling on_exit for
 * each one in the table and logging any other.  Signals coalesce, so one
 * SIGCHLD may stand for many exits: this is always a loop.  The kernel
 * walks every live child on each call (0.7 ms with 10,000), so with many
 * running this is the expensive way: see children_reap_pid.  named (or
 * NULL) ends the loop after a child for which it returns true: the exits
 * still waiting are then most likely named too, only not read yet, and
 * each would cost another walk.  Returns the number of table entries
 * reaped.
 */
size_t children_reap(struct children *c, int flags, children_named_fn *named,
    children_exit_fn *on_exit, void *arg);

/*
 * Reaps pid if it has exited (waitpid(pid, WNOHANG)), calling
 * on_exit if it is in the table and logging it otherwise: the cost does
 * not grow with the number of live children.  A pid that is still
 * running, or is not a child (reaped already), is left alone.  Returns 1
 * if a table entry was reaped, else 0.
 */
size_t children_reap_pid(struct children *c, pid_t pid,
    children_exit_fn *on_exit, void *arg);

void children_free(struct children *c);

#endif
