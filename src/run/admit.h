/* Admission: whether a service may accept now, and whether an accepted
 * connection may have a handler.  Holds the per-service runtime state and
 * the counters, in one place, so a later status report reads them here. */
#ifndef SUPERD_ADMIT_H
#define SUPERD_ADMIT_H

#include <sys/socket.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"
#include "config.h"
#include "hist.h"
#include "sources.h"

/* Why a connection got no handler.  The names are the fixed reason codes
 * of the log ("reason=max"). */
enum refusal {
	REFUSE_MAX,
	REFUSE_PER_SOURCE,
	REFUSE_RATE,
	REFUSE_ACL,
	REFUSE_FORK_FAILED,
	/* Behind a balancer (proxy_protocol), before any of the above: */
	REFUSE_PROXY_UNTRUSTED, /* not from proxy_from */
	REFUSE_PROXY_TIMEOUT,   /* no whole header within proxy_timeout */
	REFUSE_PROXY_INVALID,   /* an invalid or partial header */
	/* After admission: the TLS relay's handshake failed or timed out,
	 * and the handler never ran. */
	REFUSE_TLS,
	/* protocol = websocket: the relay refused the upgrade and no
	 * handler ran (its exit status said why, wsexit.h). */
	REFUSE_WEBSOCKET_INVALID, /* not an upgrade, or not a valid one */
	REFUSE_WEBSOCKET_ORIGIN,  /* Origin not in websocket_origin */
	REFUSE_WEBSOCKET_PATH,    /* not websocket_path */
	REFUSE_WEBSOCKET_TIMEOUT, /* no whole request head in time */
	REFUSALS
};

extern const char *const admit_reason[REFUSALS];

/* The counters of a service, since superd started.  The names are those
 * of the SIGUSR1 line and the final counters ("refused_max=3"), in this
 * order; REFUSED_* follow enum refusal. */
enum stat_counter {
	STAT_ACCEPTED, /* handlers started */
	STAT_REFUSED,  /* first of REFUSALS counters, one per reason */
	/* Times the service's connections waiting for a PROXY header
	 * reached the cap (supervisor_proxy.c). */
	STAT_PROXY_FULL = STAT_REFUSED + REFUSALS,
	/* Every reaped handler is one of these three. */
	STAT_EXITED_OK,       /* exit status 0 */
	STAT_EXITED_ERROR,    /* another exit status */
	STAT_EXITED_SIGNAL,   /* ended by a signal */
	STAT_KILLED,          /* by max_duration */
	STAT_EXEC_FAILED,     /* handlers that exited 126 or 127 */
	STAT_KILLED_SHUTDOWN, /* ended by SIGKILL at shutdown */
	STATS
};

extern const char *const admit_stat_name[STATS];

/* Per-service runtime state: admit.c's own (struct admit holds it). */
struct service_state;

struct admit {
	const struct config *cfg;
	struct service_state *svc; /* one per service */
	struct sources sources;
	unsigned long total; /* handlers running, all services */
	bool all_full;       /* at max_children */
	bool stopping;       /* shutdown began: no "accepting again" */
};

/* What admit_connection decided, and for a handler its source. */
struct admission {
	bool ok;
	enum refusal why;
	struct cidr peer;   /* the client, full length */
	struct cidr source; /* peer truncated to the prefix */
};

/*
 * A websocket service's relay that exited with one of wsexit.h's statuses
 * refused the upgrade: the connection is counted as refused for that
 * reason instead of accepted, and not as an exit.  Returns true if status
 * was such a refusal (the caller then skips admit_exited), else false.
 */
bool admit_upgrade_refused(struct admit *a, size_t s, int status);

/* Returns 0, or -1 with errno (ENOMEM). */
int admit_init(struct admit *a, const struct config *cfg);
void admit_free(struct admit *a);

/*
 * True if service s should be polled for new connections: it is below
 * max_children, below max_connections when on_max = defer, and has a
 * rate token when on_rate = defer.  *wake gets the time at which a
 * deferred rate will have a token again (unchanged otherwise).
 */
bool admit_open(struct admit *a, size_t s, long long now, long long *wake);

/* Decides for one accepted connection from peer, in this order: allow/
 * deny, per-source rate, service rate, max_connections, max_per_source,
 * max_children.  Counts a refusal; logs only transitions. */
struct admission admit_connection(struct admit *a, size_t s,
    const struct sockaddr *peer, long long now);

/* Supplementary groups of a unix client looked at; more are not seen. */
#define UNIX_PEER_GROUPS 64

/* A unix-domain client as the kernel vouches for it (SO_PEERCRED, and
 * SO_PEERGROUPS for its groups). */
struct unix_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	gid_t groups[UNIX_PEER_GROUPS];
	size_t ngroups;
};

/* The same for a unix-domain client: allow_users/allow_groups first (its
 * uid, its gid or one of its groups listed), then the same limits, its
 * uid being its source. */
struct admission admit_connection_unix(struct admit *a, size_t s,
    const struct unix_peer *p, long long now);

/* A wait service's socket is readable: true (and *ad, with no client) if
 * a handler may start now, taking a rate token; false if a limit says
 * wait (nothing is refused or counted: the client waits in the socket's
 * queue).  admit_open has said yes already; this holds for a second
 * listener of the same service in the same wakeup. */
bool admit_wait(struct admit *a, size_t s, long long now, struct admission *ad);

/* A handler is about to start for an admitted connection (call before
 * fork, so the count can go into its environment): returns how many
 * handlers then run for its source (the handler's TCPCONCURRENCY). */
unsigned long admit_started(struct admit *a, size_t s,
    const struct cidr *source, long long now);

/* A handler ended (reaped). */
void admit_ended(struct admit *a, size_t s, const struct cidr *source,
    long long now);

/* How a reaped handler of service s ended (its wait status), after how
 * many seconds: counted as one of the STAT_EXITED_* outcomes and in the
 * service's duration histogram. */
void admit_exited(struct admit *a, size_t s, int status, double seconds);

/* The duration histogram of service s (bounds: hist_duration). */
const struct hist *admit_durations(const struct admit *a, size_t s);

/* A TLS relay of service s ended: refused (its handshake failed; it
 * counts as refused_tls, not as a handler started) or not.  Returns true
 * when the log should say so: the first refusal of an episode, or the
 * first success after refusals (*refused: how many the episode had). */
bool admit_tls_ended(struct admit *a, size_t s, bool refused,
    unsigned long *refused_count);

/* Shutdown began: limits that clear from now on are not logged, since
 * nothing accepts again. */
void admit_stop(struct admit *a);

/* fork failed after admit_started: undoes it and counts the refusal. */
void admit_fork_failed(struct admit *a, size_t s, const struct cidr *source,
    long long now);

/* A reload: counters, state and rate buckets of the services that keep
 * their name move from old into a (freshly from admit_init). */
void admit_carry(struct admit *a, const struct admit *old);

/* A reload: a handler still running counts again, for service s (from the
 * new configuration) and its source under s's prefix.  Returns the
 * source key to store with the child. */
struct cidr admit_adopt(struct admit *a, size_t s, const struct cidr *peer);

/* After the adoptions: full/not full again, logged if it changed. */
void admit_settle(struct admit *a);

/* SIGUSR1: one "NAME: stats key=value …" line per service. */
void admit_log_stats(const struct admit *a);

/* Counts one event of service s. */
void admit_count(struct admit *a, size_t s, enum stat_counter st);

/* What the counters and the state say now. */
unsigned long admit_stat(const struct admit *a, size_t s, enum stat_counter st);
unsigned long admit_active(const struct admit *a, size_t s);
unsigned long admit_total(const struct admit *a);
bool admit_full(const struct admit *a, size_t s);
bool admit_all_full(const struct admit *a);
bool admit_rate_limited(const struct admit *a, size_t s);

/* superctl drain / resume: a draining service accepts nothing (its
 * listeners leave the poll set; running handlers finish).  Carried by a
 * reload while the service keeps its name. */
void admit_set_draining(struct admit *a, size_t s, bool on);
bool admit_draining(const struct admit *a, size_t s);

#endif
