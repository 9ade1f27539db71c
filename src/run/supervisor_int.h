/* The supervisor's own state, shared by its files: supervisor.c (the
 * loop, signals, timers, reload), supervisor_accept.c (a readable
 * listener: accept, admit, spawn or refuse), supervisor_wait.c (wait
 * listeners: one handler holds the socket; the back-off),
 * supervisor_proxy.c (connections waiting for a PROXY header),
 * supervisor_reap.c (learning of exits), supervisor_stop.c (shutdown
 * and max_duration), supervisor_control.c and supervisor_commands.c (the
 * control socket).  Not for any other module. */
#ifndef SUPERD_SUPERVISOR_INT_H
#define SUPERD_SUPERVISOR_INT_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admit.h"
#include "children.h"
#include "endpoint.h"
#include "generation.h"
#include "hist.h"
#include "hstderr.h"
#include "httpd.h"
#include "sockfile.h"
#include "sweep.h"

/* Accepts per listener per wakeup: enough to drain a burst, small enough
 * that one busy service does not starve the others or the signal fd. */
#define ACCEPT_BATCH 32
/* How long to stop accepting when out of descriptors or memory. */
#define ACCEPT_PAUSE_MS 200
/* fork failures back off from here, doubling up to the maximum. */
#define FORK_BACKOFF_MIN_MS 100
#define FORK_BACKOFF_MAX_MS 3200
/* A wait handler that exits sooner than this and leaves its socket as it
 * found it (readable; a datagram socket with the same datagram first)
 * makes the next start wait: from the minimum, doubling to the maximum,
 * and back to none once a handler takes something or runs longer. */
#define WAIT_QUICK_MS 1000
#define WAIT_BACKOFF_MIN_MS 100
#define WAIT_BACKOFF_MAX_MS 3200
/* A second stop signal sooner than this after the first is the same
 * request delivered twice (a wrapper forwarding Ctrl-C to the process
 * group that also holds superd), not a request to hurry. */
#define SECOND_SIGNAL_MS 1000
/* While stopping, how often to look for processes below superd, and how
 * long to wait for them after SIGKILL. */
#define SWEEP_POLL_MS 100
#define SWEEP_GRACE_MS 2000
#define LOG_RETRY_MS 100
/* After a SIGCHLD, waitpid(-1) looks at every child for exits nothing
 * named (coalesced SIGCHLDs), at most this often; with 10,000 handlers
 * running one look costs the kernel about 0.7 ms.  SWEEP_POLL_MS while
 * stopping. */
#define REAP_SWEEP_MS 1000
/* epoll data: the kind bit of a handler's pidfd (children_event); 62 is
 * a stderr pipe's, 61 and 60 the endpoints', 59 a PROXY wait's (below). */
#define EXIT_EVENT (1ULL << 63)

/* A connection waiting for its PROXY header (supervisor_proxy.c). */
struct proxy_wait {
	int fd;                 /* -1: a free slot (freed) */
	size_t listener;        /* in gen->ls */
	size_t service;         /* in gen->cfg.services */
	unsigned long sock_ino; /* the listener's socket, followed across a
	                         * reload */
	long long deadline;     /* proxy_timeout */
	struct sockaddr_storage peer; /* the balancer */
};

/* The waiting connections: fixed slots (their index is their epoll
 * data, so it never moves), a dense list of the used ones for the
 * timers, and a count per service against its cap. */
struct proxy_table {
	struct proxy_wait *slot;
	size_t cap;       /* the highest max_children loaded */
	size_t *used, n;  /* used slot ids, in no order */
	size_t *pos;      /* slot id -> its place in used */
	size_t *free_ids; /* a stack of the freed slot ids */
	size_t nfree;
	size_t fresh;    /* slots from here on never used yet */
	size_t *waiting; /* per service of the running generation */
	bool *full;      /* per service: at its cap (logged once) */
	size_t nservices;
	unsigned char *buf; /* PROXYHDR_MAX: the bytes looked at */
};

struct supervisor {
	struct generation *gen; /* config, admission, listeners: swapped
	                         * whole by a reload */
	const char *file;
	const char *const *handler_dirs;
	struct activation *act;
	int epfd; /* the signal fd and the polled listeners */
	int sigfd;
	struct hstderr err; /* handlers' stderr */
	uint64_t next_id;   /* for the next child */
	struct children kids;
	bool stopping;       /* SIGTERM/SIGINT seen */
	bool killed;         /* SIGKILL sent */
	long long stop_ms;   /* when the first stop signal came */
	long long kill_at;   /* when stopping: the deadline */
	long long resume_at; /* accepts paused until; 0: not */
	long long rate_wake; /* a deferred rate has a token; 0: none */
	bool starved;        /* in an EMFILE-like episode */
	int fork_backoff;    /* ms; 0: fork works */
	bool failed;         /* the loop itself broke */
	bool log_watched;    /* the log's fd is in the epoll set */
	bool log_unpollable; /* it cannot be: retry on a timer instead */
	struct sweep sweep;  /* while stopping: what got SIGTERM */
	bool abandoned;   /* leftovers that outlived SIGKILL: not waited for */
	size_t ntimed;    /* children with a max_duration deadline */
	size_t nbackoff;  /* wait listeners backing off */
	size_t unwatched; /* children with neither pipe nor pidfd */
	long long swept_at; /* the last waitpid(-1) sweep */
	bool sweep_wanted;  /* a SIGCHLD came since, or it was cut short */
	bool sweep_cut;     /* the sweep stopped at an exit named anyway */
	/* For the metrics endpoint (NULL: off): what the log's counters
	 * do not hold. */
	struct httpd *metrics;
	struct hist spawn;     /* accept to exec */
	long long accepted_ns; /* when the connection being served was
	                        * accepted */
	unsigned long reloads_ok, reloads_failed;
	double start_time;        /* seconds since the epoch */
	long long start_ms;       /* clock_ms() at start */
	unsigned long generation; /* 1, and one more per reload */
	/* The control socket (NULL: none) and its file. */
	struct endpoint *control;
	struct sockfile control_file;
	struct proxy_table proxy; /* connections waiting for a header */
};

/* epoll data tags of superd's own endpoints (endpoint.h), and of the
 * connections waiting for their PROXY header (this bit and the slot in
 * struct proxy_table); each its own bit, apart from bit 62 (a handler's
 * stderr, HSTDERR_EVENT) and from the all-ones of the signal fd and the
 * log. */
#define SUPERVISOR_EVENT_METRICS (1ULL << 61)
#define SUPERVISOR_EVENT_CONTROL (1ULL << 60)
#define SUPERVISOR_EVENT_PROXY (1ULL << 59)

struct text;
/* The control socket (supervisor_control.c) and its commands
 * (supervisor_commands.c): one command line, its whole reply into t. */
int supervisor_control_open(struct supervisor *sv);
void supervisor_control_close(struct supervisor *sv);
void supervisor_command(struct supervisor *sv, char *line, struct text *t);

/* The loop's side (supervisor.c).  supervisor_reload: SIGHUP's work;
 * -1 with the reason in why (if not NULL) when the old state stays. */
int supervisor_reload(struct supervisor *sv, char *why, size_t whylen);
void supervisor_watch(struct supervisor *sv, size_t i, bool on);
void supervisor_refresh(struct supervisor *sv, long long now);
void supervisor_refresh_service(struct supervisor *sv, size_t s, long long now);

void supervisor_log_exit(void *arg, const struct child *c, int status);

/* Learning of exits (supervisor_reap.c). */
size_t supervisor_reap(struct supervisor *sv, pid_t pid);
void supervisor_watch_exit(struct supervisor *sv, struct child *c);
void supervisor_unwatch_exit(struct supervisor *sv, const struct child *c);
void supervisor_exit_ready(struct supervisor *sv, uint64_t data);
void supervisor_pipes_ended(struct supervisor *sv, const uint64_t *ended,
    size_t n);
void supervisor_sigchld(struct supervisor *sv, pid_t pid);
long long supervisor_sweep_due(const struct supervisor *sv, long long next);
void supervisor_sweep_exits(struct supervisor *sv, long long now);

/* A readable listener (supervisor_accept.c). */
void supervisor_ready(struct supervisor *sv, size_t i);
void supervisor_pause(struct supervisor *sv, int ms);

struct spawn_conn;
struct admission;
/* Starts a handler on listener l for conn (admitted as ad; from: the
 * client for the log), records and logs it.  Returns 0, or -1 when fork
 * failed (counted, and accepts back off). */
int supervisor_spawn(struct supervisor *sv, const struct listener *l,
    struct spawn_conn *conn, const struct admission *ad, const char *from);

/* Wait listeners (supervisor_wait.c): readable; whether one may be
 * polled besides what admit says; a handler exited; the back-off's
 * timers, and counting them again after a reload. */
void supervisor_wait_ready(struct supervisor *sv, size_t i);
bool supervisor_wait_idle(const struct listener *l);
void supervisor_wait_exited(struct supervisor *sv, const struct child *c,
    long long now);
long long supervisor_wait_deadline(const struct supervisor *sv, long long t);
void supervisor_wait_timers(struct supervisor *sv, long long now);
void supervisor_wait_recount(struct supervisor *sv);

/* A connection that gets no handler: the reject_message, unless it was
 * denied by the access list (supervisor_accept.c). */
void supervisor_refuse(const struct service *svc, int fd, enum refusal why);

/* Listeners behind a balancer (supervisor_proxy.c): the table, made at
 * start (-1: no memory) and freed at the end; whether listener l may be
 * polled (room in its service's table); a connection accepted on
 * listener li, from peer, taken over; a waiting one readable (events:
 * epoll's); the timers; after a reload, each waiting connection follows
 * its socket (-1: no memory, nothing changed); at stop, all closed. */
int supervisor_proxy_init(struct supervisor *sv);
void supervisor_proxy_free(struct supervisor *sv);
bool supervisor_proxy_open(const struct supervisor *sv,
    const struct listener *l);
void supervisor_proxy_accepted(struct supervisor *sv, size_t li, int fd,
    const struct sockaddr_storage *peer);
void supervisor_proxy_ready(struct supervisor *sv, size_t id, uint32_t events);
long long supervisor_proxy_deadline(const struct supervisor *sv,
    long long next);
void supervisor_proxy_timers(struct supervisor *sv, long long now);
int supervisor_proxy_rehome(struct supervisor *sv);
void supervisor_proxy_close_all(struct supervisor *sv);

/* Shutdown and max_duration (supervisor_stop.c). */
void supervisor_stop(struct supervisor *sv, int sig);
void supervisor_kill(struct supervisor *sv, const char *why, const char *words);
void supervisor_leftovers(struct supervisor *sv, long long now);
bool supervisor_done(const struct supervisor *sv);
void supervisor_expire(struct supervisor *sv, struct child *c, long long now);
/* superctl kill: SIGTERM and SIGCONT to c's group and tree now, SIGKILL
 * after its service's stop_timeout (supervisor_expire sends it). */
void supervisor_terminate(struct supervisor *sv, struct child *c,
    long long now);
long long supervisor_child_deadline(const struct supervisor *sv, long long t);

#endif
