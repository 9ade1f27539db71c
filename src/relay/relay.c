/* The relay's loop: one client, one handler, one poll over them and the
 * signalfd, for superd-ws and the TLS relay alike.  Signals only through
 * the signalfd. */
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "relay.h"

#define RELAY_BUF 16384

void
relay_adopt(struct relay *r, int client, int sigfd)
{
	memset(r, 0, sizeof(*r));
	r->pid = -1;
	r->handler = -1;
	r->client = client;
	r->sigfd = sigfd;
	r->pass_as_is = true;
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

/* waitpid's ECHILD means nothing is left to wait for: as good as
 * reaped, or the loop would wait for ever. */
static void
relay_reap(struct relay *r)
{
	pid_t pid;

	if (r->reaped || r->pid == -1)
		return;
	do
		pid = waitpid(r->pid, &r->status, WNOHANG);
	while (pid == -1 && errno == EINTR);
	if (pid == r->pid || pid == -1)
		r->reaped = true;
}

/* The handler may have had it from superd too (the group).  Passed on
 * as SIGTERM then SIGCONT, superd's order, a handler waiting for SIGCONT
 * after a stop signal (chat) gets what it waits for; the TLS relay,
 * which never sees SIGHUP, passes on the signal as it came. */
static void
relay_pass_on(const struct relay *r, int sig)
{
	if (r->pass_as_is) {
		(void)kill(r->pid, sig);
		return;
	}
	(void)kill(r->pid, SIGTERM);
	(void)kill(r->pid, SIGCONT);
}

/* Drains the signalfd: a stop signal is passed on and told to the
 * protocol; SIGCHLD reaps. */
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
		if (r->pid > 0 && !r->reaped)
			relay_pass_on(r, (int)si.ssi_signo);
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

/* Without ops->move: one read of each side poll found ready, and both
 * sides watched for input until they are done. */
static void
relay_stream(struct relay *r, const struct relay_ops *ops, void *ctx,
    const struct pollfd *p)
{
	if (p[1].revents != 0)
		relay_read(r, true, ops, ctx);
	if (p[2].revents != 0)
		relay_read(r, false, ops, ctx);
	r->client_ev = r->client_done ? 0 : POLLIN;
	r->handler_ev = r->handler_done ? 0 : POLLIN;
}

/* A descriptor nobody waits on is left out: its hang-up would wake the
 * poll for nothing, again and again.  Returns poll's count, or -1. */
static int
relay_poll(struct relay *r, struct pollfd *p)
{
	int n;

	p[0] = (struct pollfd){ r->sigfd, POLLIN, 0 };
	p[1] = (struct pollfd){ r->client_ev != 0 ? r->client : -1,
		r->client_ev, 0 };
	p[2] = (struct pollfd){ r->handler_ev != 0 ? r->handler : -1,
		r->handler_ev, 0 };
	do
		n = poll(p, 3, relay_timeout(r));
	while (n == -1 && errno == EINTR);
	return n;
}

int
relay_run(struct relay *r, const struct relay_ops *ops, void *ctx)
{
	struct pollfd p[3] = { { -1, 0, 0 }, { -1, 0, 0 }, { -1, 0, 0 } };
	int n;

	for (;;) {
		if (ops->move != NULL)
			ops->move(ctx);
		else
			relay_stream(r, ops, ctx, p);
		relay_reap(r);
		if (r->finished && r->reaped && r->handler_done)
			return 0;
		if ((n = relay_poll(r, p)) == -1)
			return -1;
		if (n == 0 && r->deadline_ms != 0) {
			r->deadline_ms = 0;
			ops->deadline(ctx);
		}
		if (p[0].revents != 0 && relay_signals(r, ops, ctx) == -1)
			return -1;
	}
}
