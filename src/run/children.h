/* The table of running handlers: who they are, for which service, since
 * when.  Sized to fit before each fork, so recording a child never fails
 * after it exists. */
#ifndef SUPERD_CHILDREN_H
#define SUPERD_CHILDREN_H

#include <sys/types.h>
#include <netinet/in.h>

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
};

struct children {
	struct child *v;
	size_t n, cap;
};

/* The child with this id, or NULL. */
struct child *children_find_id(struct children *c, uint64_t id);

/* Removes the entry at v[i] (swapping the last one in). */
void children_remove_at(struct children *c, size_t i);

/* Makes room for one more child.  Returns 0, or -1 with errno ENOMEM. */
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

/*
 * Reaps children with waitpid(-1, …, flags) until none is left to reap
 * (flags WNOHANG: none has exited; 0: none exists), calling on_exit for
 * each one in the table and logging any other.  Signals coalesce, so one
 * SIGCHLD may stand for many exits: this is always a loop.  Returns the
 * number of table entries reaped.
 */
size_t children_reap(struct children *c, int flags, children_exit_fn *on_exit,
    void *arg);

void children_free(struct children *c);

#endif
