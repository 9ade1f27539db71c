/* The relay's process: one client, one handler, one loop over poll.  All
 * fds close-on-exec; signals only through the signalfd. */
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "relay.h"

#define RELAY_BUF 16384

extern char **environ;

static void
relay_stop_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
}

/* fds 0 and 1 go to /dev/null: the client lives on a close-on-exec
 * descriptor, so the handler never holds the raw connection. */
static int
relay_take_client(struct relay *r)
{
	int null;

	if ((r->client = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)) == -1)
		return -1;
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		return -1;
	if (dup2(null, STDIN_FILENO) == -1 || dup2(null, STDOUT_FILENO) == -1) {
		(void)close(null);
		return -1;
	}
	return close(null);
}

int
relay_init(struct relay *r)
{
	struct sigaction sa;
	sigset_t set;

	memset(r, 0, sizeof(*r));
	r->pid = -1;
	r->handler = r->sigfd = -1;
	if (relay_take_client(r) == -1)
		return -1;
	relay_stop_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	if ((r->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		return -1;
	/* A client gone mid-write is an EPIPE to handle, not a death. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

/* In the child: the handler's fds and signals, then exec. */
static void __attribute__((noreturn))
relay_child(int end, const char *path, char *const argv[])
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&set);
	if (sigaction(SIGPIPE, &sa, NULL) == -1 ||
	    sigprocmask(SIG_SETMASK, &set, NULL) == -1 ||
	    dup2(end, STDIN_FILENO) == -1 || dup2(end, STDOUT_FILENO) == -1) {
		fprintf(stderr, "superd-ws: cannot set up %s: %s\n", path,
		    strerror(errno));
		_exit(126);
	}
	execve(path, argv, environ);
	fprintf(stderr, "superd-ws: cannot run %s: %s\n", path,
	    strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

int
relay_start(struct relay *r, const char *path, char *const argv[])
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	r->pid = fork();
	if (r->pid == 0)
		relay_child(sv[1], path, argv);
	(void)close(sv[1]);
	if (r->pid == -1) {
		(void)close(sv[0]);
		return -1;
	}
	r->handler = sv[0];
	return 0;
}

void
relay_deadline(struct relay *r, long long ms)
{
	r->deadline_ms = clock_ms() + ms;
}

void
relay_close_handler(struct relay *r)
{
	if (r->handler != -1)
		(void)shutdown(r->handler, SHUT_WR);
}

static void
relay_reap(struct relay *r)
{
	int status;

	if (r->reaped || r->pid == -1)
		return;
	if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
		r->status = status;
		r->reaped = true;
	}
}

/* Drains the signalfd: a stop signal is passed on and told to the
 * protocol once; SIGCHLD reaps. */
static int
relay_signals(struct relay *r, const struct relay_ops *ops, void *ctx)
{
	struct signalfd_siginfo si;
	ssize_t n;

	while ((n = read(r->sigfd, &si, sizeof(si))) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			relay_reap(r);
			continue;
		}
		/* The handler may have had it from superd too (the
		 * group); a handler waiting for SIGCONT after a stop
		 * signal (chat) gets it in superd's order. */
		if (r->pid > 0 && !r->reaped) {
			(void)kill(r->pid, SIGTERM);
			(void)kill(r->pid, SIGCONT);
		}
		ops->stop(ctx);
	}
	if (n == -1 && errno != EAGAIN && errno != EINTR)
		return -1;
	return 0;
}

/* The client is over: nothing more is read from it, once. */
static void
relay_client_over(struct relay *r, const struct relay_ops *ops, void *ctx)
{
	if (r->client_done)
		return;
	r->client_done = true;
	ops->client_eof(ctx);
}

/* One read from fd into the protocol.  End of file marks that side done;
 * a protocol that cannot go on (a bad frame, the client gone while
 * writing) ends the client's side, while the handler is still read so it
 * is never stuck writing. */
static void
relay_read(struct relay *r, bool client, const struct relay_ops *ops, void *ctx)
{
	unsigned char buf[RELAY_BUF];
	int fd = client ? r->client : r->handler;
	ssize_t n;
	int rc;

	do
		n = read(fd, buf, sizeof(buf));
	while (n == -1 && errno == EINTR);
	if (n > 0) {
		rc = client ? ops->from_client(ctx, buf, (size_t)n)
		            : ops->from_handler(ctx, buf, (size_t)n);
		if (rc == -1)
			relay_client_over(r, ops, ctx);
		return;
	}
	if (client) {
		relay_client_over(r, ops, ctx);
	} else {
		r->handler_done = true;
		ops->handler_eof(ctx);
	}
}

static int
relay_timeout(const struct relay *r)
{
	long long left;

	if (r->deadline_ms == 0)
		return -1;
	left = r->deadline_ms - clock_ms();
	return left < 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

int
relay_run(struct relay *r, const struct relay_ops *ops, void *ctx)
{
	struct pollfd p[3];
	int n;

	while (!(r->finished && r->reaped && r->handler_done)) {
		p[0] = (struct pollfd){ r->sigfd, POLLIN, 0 };
		p[1] = (struct pollfd){ r->client_done ? -1 : r->client, POLLIN,
			0 };
		p[2] = (struct pollfd){ r->handler_done ? -1 : r->handler,
			POLLIN, 0 };
		n = poll(p, 3, relay_timeout(r));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0 && r->deadline_ms != 0) {
			r->deadline_ms = 0;
			ops->deadline(ctx);
		}
		if (p[0].revents != 0 && relay_signals(r, ops, ctx) == -1)
			return -1;
		if (p[1].revents != 0)
			relay_read(r, true, ops, ctx);
		if (p[2].revents != 0)
			relay_read(r, false, ops, ctx);
		relay_reap(r);
	}
	return 0;
}

int
relay_stop_signal(struct relay *r)
{
	struct signalfd_siginfo si;

	while (read(r->sigfd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo != SIGCHLD)
			return (int)si.ssi_signo;
	return 0;
}

void
relay_exit(const struct relay *r)
{
	if (!r->reaped || WIFEXITED(r->status))
		exit(r->reaped ? WEXITSTATUS(r->status) : 1);
	/* The same signal, so superd logs the handler's end as it was. */
	relay_die(WTERMSIG(r->status));
}

void
relay_die(int sig)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void)raise(sig);
	exit(128 + sig);
}
