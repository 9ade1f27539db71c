/* The TLS relay process: forked from superd with the service's contexts
 * already in memory, so a connection costs a fork and a handshake, no
 * exec and no file read.  Everything slow or hostile (a client that never
 * finishes its handshake) happens here, never in the loop. */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "clock.h"
#include "events.h"
#include "log.h"
#include "logout.h"
#include "relay.h"
#include "sig.h"
#include "tlsinfo.h"
#include "tlspump.h"
#include "tlsrelay.h"

/* Where the relay keeps its two descriptors (fd 2 stays superd's
 * stderr). */
#define RELAY_SOCK 3
#define RELAY_ERR 4
#define RELAY_MNT 5 /* the plan's namespaces */
#define RELAY_NET 6
#define RELAY_FDS 4

/* The relay's state; one per process, so static storage (the pump's
 * buffers are larger than a stack needs to be). */
struct tlsrelay {
	int errfd; /* RELAY_ERR, -1, or -2: the handler's own socket
	            * (stderr = client) */
	int sigfd;
	struct confine_plan plan; /* the service's, its fds renumbered */
	SSL *ssl;
	struct spawn_failure fail;
	struct tlsinfo info;
	char *env[SPAWN_EXTRA_MAX + 1];
	struct relay relay; /* relay.pid: the handler */
	struct tlspump pump;
};

static void tlsrelay_main(const struct tlsrelay_job *j)
    __attribute__((noreturn));

/* Why the relay could not go on, for the log, and its exit. */
static void __attribute__((noreturn))
tlsrelay_fail(const struct tlsrelay_job *j, const char *step, int code)
{
	log_warn("%s[%d]: TLS relay: %s", j->svc->name, (int)getpid(), step);
	_exit(code);
}

/* Moves what it keeps to fixed numbers: src[k] (or nothing, -1) to
 * RELAY_SOCK + k.  Returns 0 or -1 with errno. */
static int
tlsrelay_place(const int *src, size_t n)
{
	int copy[RELAY_FDS];
	size_t k;

	/* Copies first, far above: a source may sit on another's target. */
	for (k = 0; k < n; k++)
		if ((copy[k] = src[k] == -1
		            ? -1
		            : fcntl(src[k], F_DUPFD_CLOEXEC, 16)) == -1 &&
		    src[k] != -1)
			return -1;
	for (k = 0; k < n; k++) {
		if (copy[k] == -1)
			(void)close(RELAY_SOCK + (int)k);
		else if (dup3(copy[k], RELAY_SOCK + (int)k, O_CLOEXEC) == -1)
			return -1;
	}
	return close_range(RELAY_SOCK + (unsigned)n, ~0U, 0);
}

/* The client's socket, the handler's stderr and the namespaces it joins
 * (the plan's, renumbered in the relay's copy), all else but fds 0-2
 * closed: the listeners, the epoll and signal fds, other connections. */
static int
tlsrelay_fds(const struct tlsrelay_job *j, struct tlsrelay *r)
{
	int src[RELAY_FDS] = { j->conn->fd, -1, j->plan->mntfd,
		j->plan->netfd };

	r->plan = *j->plan;
	r->errfd = j->errfd == j->conn->fd ? -2 : j->errfd;
	if (r->errfd >= 0)
		src[1] = j->errfd;
	if (tlsrelay_place(src, RELAY_FDS) == -1)
		return -1;
	if (r->errfd >= 0)
		r->errfd = RELAY_ERR;
	r->plan.mntfd = r->plan.mntfd == -1 ? -1 : RELAY_MNT;
	r->plan.netfd = r->plan.netfd == -1 ? -1 : RELAY_NET;
	return fcntl(RELAY_SOCK, F_SETFL, O_NONBLOCK);
}

/* Whether the relay can take the service's ids before its handshake,
 * losing nothing its handler needs root for: the handler then starts
 * from those ids, so the child checklist's steps that need privilege
 * (joining namespaces, ambient capabilities, raising limits or priority)
 * must have nothing to do, and the working directory must be "/", which
 * any user may enter.  The bounding set the relay cuts itself: children
 * inherit it. */
static bool
tlsrelay_may_drop(const struct service *svc, const struct confine_plan *plan)
{
	size_t r;

	if (geteuid() != 0 || !svc->user_set || svc->uid == 0)
		return false;
	if (plan->mntfd != -1 || plan->netfd != -1 || plan->ambient ||
	    svc->nice_set || svc->workdir != NULL)
		return false;
	for (r = 0; r < SERVICE_RLIMITS; r++)
		if (svc->rlimit[r].set)
			return false;
	return true;
}

/* OpenSSL parses what a client sends: with the service's ids and
 * bounding set rather than root's, where that costs the handler
 * nothing. */
static void
tlsrelay_drop(const struct tlsrelay_job *j, struct tlsrelay *r)
{
	const char *step, *reason = NULL;

	if (!tlsrelay_may_drop(j->svc, &r->plan))
		return;
	step = confine_before_drop(&r->plan);
	/* Done: the handler could no longer do it, nor needs to. */
	r->plan.bound = false;
	if (step == NULL)
		step = spawn_drop_ids(j->svc, &reason);
	if (step == NULL)
		return;
	if (reason != NULL)
		log_warnx("%s[%d]: TLS relay: %s %s: %s", j->svc->name,
		    (int)getpid(), step, j->svc->user, reason);
	else
		log_warn("%s[%d]: TLS relay: %s %s", j->svc->name,
		    (int)getpid(), step, j->svc->user);
	_exit(126);
}

/* Waits until fd is ready for ev, the deadline passes (0) or a stop
 * signal comes (the relay dies by it). */
static int
tlsrelay_wait(struct tlsrelay *r, short ev, long long deadline)
{
	struct pollfd fds[2] = { { RELAY_SOCK, ev, 0 },
		{ r->sigfd, POLLIN, 0 } };
	long long left = deadline - clock_ms();
	int sig;
	pid_t pid;

	if (left <= 0)
		return 0;
	if (poll(fds, 2, (int)left) == -1 && errno != EINTR)
		return -1;
	while ((sig = sig_next(r->sigfd, &pid)) > 0)
		if (sig == SIGTERM || sig == SIGINT)
			sig_die_by(sig);
	return 1;
}

/* The handshake, within the service's timeout.  Returns 0, or -1 (a
 * refusal: garbage, a failed verification, silence). */
static int
tlsrelay_handshake(const struct tlsrelay_job *j, struct tlsrelay *r)
{
	long long deadline =
	    clock_ms() + (long long)j->ts->handshake_timeout_ms;
	const char *reason;
	int rc, err;

	if ((r->ssl = SSL_new(j->ts->ctx[0])) == NULL ||
	    SSL_set_fd(r->ssl, RELAY_SOCK) != 1)
		return -1;
	for (;;) {
		ERR_clear_error();
		if ((rc = SSL_accept(r->ssl)) == 1)
			return 0;
		err = SSL_get_error(r->ssl, rc);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			reason = ERR_reason_error_string(ERR_peek_last_error());
			log_debug("%s[%d]: TLS handshake failed: %s",
			    j->svc->name, (int)getpid(),
			    reason != NULL ? reason : "connection closed");
			return -1;
		}
		if (tlsrelay_wait(r,
		        err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
		        deadline) != 1) {
			log_debug("%s[%d]: TLS handshake timed out",
			    j->svc->name, (int)getpid());
			return -1;
		}
	}
}

/* The handler's variables: the PROXY header's, if any, then TLS_*. */
static void
tlsrelay_env(const struct tlsrelay_job *j, struct tlsrelay *r)
{
	size_t n = 0;

	while (j->conn->extra_env != NULL && j->conn->extra_env[n] != NULL &&
	    n + TLSINFO_VARS < SPAWN_EXTRA_MAX) {
		r->env[n] = j->conn->extra_env[n];
		n++;
	}
	tlsinfo_collect(r->ssl, &r->info, r->env, &n);
}

/* Starts the handler on a socketpair whose other end the relay pumps
 * (r->relay.handler; r->relay.pid the handler).  Returns 0, or -1 with
 * errno. */
static int
tlsrelay_handler(const struct tlsrelay_job *j, struct tlsrelay *r)
{
	struct spawn_conn c = *j->conn;
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	int sp[2], errfd;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		return -1;
	/* The address the client reached, not the socketpair's. */
	if (c.local == NULL) {
		if (getsockname(RELAY_SOCK, (struct sockaddr *)&local, &len) ==
		    -1)
			return -1;
		c.local = (struct sockaddr *)&local;
	}
	tlsrelay_env(j, r);
	c.fd = sp[1];
	c.extra_env = r->env;
	c.keep_group = true;
	errfd = r->errfd == -2 ? sp[1] : r->errfd;
	r->relay.pid =
	    spawn_handler(j->svc, &r->plan, j->l, &c, errfd, &r->fail);
	(void)close(sp[1]);
	if (r->errfd == RELAY_ERR)
		(void)close(RELAY_ERR);
	r->relay.handler = sp[0];
	if (r->relay.pid == -1)
		return -1;
	return fcntl(sp[0], F_SETFL, O_NONBLOCK);
}

/* A handler that could not be run says why, as superd would. */
static void
tlsrelay_exec_failed(const struct tlsrelay_job *j, struct spawn_failure *f)
{
	char text[512];

	if (f->pending != -1)
		spawn_failure_collect(f->pending, f);
	if (f->code == 0)
		return;
	spawn_failure_text(j->svc, f, text, sizeof(text));
	event_exec_failed(j->svc->name, getpid(), text);
}

/* Ends as the handler ended. */
static void __attribute__((noreturn)) tlsrelay_exit(int status)
{
	if (WIFSIGNALED(status))
		sig_die_by(WTERMSIG(status));
	if (!WIFEXITED(status))
		_exit(1);
	_exit(WEXITSTATUS(status) == TLSRELAY_REFUSED ? TLSRELAY_REFUSED - 1
	                                              : WEXITSTATUS(status));
}

static void
tlsrelay_main(const struct tlsrelay_job *j)
{
	static struct tlsrelay r;
	const int one = 1;
	int rc;

	logout_detach();
	if (setsid() == -1 || tlsrelay_fds(j, &r) == -1)
		tlsrelay_fail(j, "set-up", 1);
	/* Before the signalfd, which tells the tests the relay is set up. */
	tlsrelay_drop(j, &r);
	if ((r.sigfd = sig_relay_fd()) == -1)
		tlsrelay_fail(j, "set-up", 1);
	relay_adopt(&r.relay, RELAY_SOCK, r.sigfd);
	if (tlsrelay_handshake(j, &r) == -1)
		_exit(TLSRELAY_REFUSED);
	(void)setsockopt(RELAY_SOCK, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one));
	if (tlsrelay_handler(j, &r) == -1)
		tlsrelay_fail(j, "cannot start the handler", 126);
	event_tls(j->svc->name, getpid(), r.relay.pid, r.info.version,
	    r.info.cipher, r.info.sni, r.info.subject, "relay");
	r.pump.r = &r.relay;
	r.pump.ssl = r.ssl;
	rc = relay_run(&r.relay, &tlspump_ops, &r.pump);
	tlsrelay_exec_failed(j, &r.fail);
	if (rc == -1)
		tlsrelay_fail(j, "poll", 1);
	tlsrelay_exit(r.relay.status);
}

pid_t
tlsrelay_start(const struct tlsrelay_job *j)
{
	pid_t pid = fork();

	if (pid == 0)
		tlsrelay_main(j);
	return pid;
}
