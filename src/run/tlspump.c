/* The relay's loop: one poll over the client's socket, the handler's and
 * a signalfd; each direction runs until it would block and says on what,
 * so the loop never spins and never waits on the wrong side.  A blocked
 * direction does not stop the other. */
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <openssl/err.h>

#include "tlspump.h"

/* What an SSL call that returned n <= 0 waits for: true with sock_ev
 * set, or false if the connection failed or ended. */
static bool
tlspump_wants(struct tlspump *p, int n, int *err)
{
	*err = SSL_get_error(p->ssl, n);
	if (*err == SSL_ERROR_WANT_READ)
		p->sock_ev |= POLLIN;
	else if (*err == SSL_ERROR_WANT_WRITE)
		p->sock_ev |= POLLOUT;
	else
		return false;
	return true;
}

/* The client is gone or broke the protocol: the handler reads end of
 * input and its writes fail, so it ends too. */
static void
tlspump_tls_failed(struct tlspump *p)
{
	p->tls_dead = p->client_eof = p->c2p_done = true;
	p->c2p_len = p->p2c_len = 0;
	(void)shutdown(p->plain, SHUT_RDWR);
}

/* One TLS record's plaintext (or less) from the client. */
static bool
tlspump_tls_read(struct tlspump *p)
{
	int n, err;

	ERR_clear_error();
	n = SSL_read(p->ssl, p->c2p, sizeof(p->c2p));
	if (n > 0) {
		p->c2p_off = 0;
		p->c2p_len = (size_t)n;
		return true;
	}
	if (tlspump_wants(p, n, &err))
		return false;
	if (err == SSL_ERROR_ZERO_RETURN)
		p->client_eof = true;
	else
		tlspump_tls_failed(p);
	return false;
}

/* Client to handler, until one side would block. */
static bool
tlspump_c2p(struct tlspump *p)
{
	bool moved = false;
	ssize_t w;

	while (!p->c2p_done) {
		if (p->c2p_len == 0 && (p->client_eof || !tlspump_tls_read(p)))
			break;
		w = write(p->plain, p->c2p + p->c2p_off, p->c2p_len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN) {
			p->plain_ev |= POLLOUT;
			break;
		}
		if (w == -1) {
			/* The handler reads no more (EPIPE): the client's
			 * further input has nowhere to go. */
			p->c2p_done = true;
			p->c2p_len = 0;
			break;
		}
		p->c2p_off += (size_t)w;
		p->c2p_len -= (size_t)w;
		moved = true;
	}
	if (p->client_eof && p->c2p_len == 0 && !p->c2p_done) {
		(void)shutdown(p->plain, SHUT_WR);
		p->c2p_done = true;
		moved = true;
	}
	return moved;
}

/* The handler's output ended: close_notify, then the TCP FIN.  The
 * client may still send (half-close). */
static void
tlspump_notify(struct tlspump *p)
{
	int n, err;

	ERR_clear_error();
	n = SSL_shutdown(p->ssl);
	if (n < 0 && tlspump_wants(p, n, &err))
		return;
	p->notified = true;
	(void)shutdown(SSL_get_fd(p->ssl), SHUT_WR);
}

/* Some of the handler's output into the TLS connection. */
static bool
tlspump_tls_write(struct tlspump *p)
{
	int n, err;

	ERR_clear_error();
	n = SSL_write(p->ssl, p->p2c + p->p2c_off, (int)p->p2c_len);
	if (n > 0) {
		p->p2c_off += (size_t)n;
		p->p2c_len -= (size_t)n;
		return true;
	}
	if (!tlspump_wants(p, n, &err))
		tlspump_tls_failed(p);
	return false;
}

/* Handler to client, until one side would block. */
static bool
tlspump_p2c(struct tlspump *p)
{
	bool moved = false;
	ssize_t r;

	for (;;) {
		if (p->p2c_len == 0) {
			if (p->handler_eof)
				break;
			r = read(p->plain, p->p2c, sizeof(p->p2c));
			if (r == -1 && errno == EINTR)
				continue;
			if (r == -1 && errno == EAGAIN) {
				p->plain_ev |= POLLIN;
				break;
			}
			if (r <= 0) {
				p->handler_eof = moved = true;
				break;
			}
			p->p2c_off = 0;
			p->p2c_len = (size_t)r;
			moved = true;
		}
		if (p->tls_dead)
			p->p2c_len = 0;
		else if (!tlspump_tls_write(p))
			break;
		moved = true;
	}
	if (p->handler_eof && p->p2c_len == 0 && !p->notified && !p->tls_dead)
		tlspump_notify(p);
	return moved;
}

/* SIGCHLD: the handler may have exited; a stop signal goes on to it. */
static void
tlspump_signals(struct tlspump *p)
{
	struct signalfd_siginfo si;
	pid_t pid;

	while (read(p->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo != SIGCHLD) {
			if (p->exited)
				p->stop = true;
			else
				(void)kill(p->child, (int)si.ssi_signo);
			continue;
		}
		while (!p->exited &&
		    (pid = waitpid(p->child, &p->status, WNOHANG)) != 0)
			if (pid == p->child || (pid == -1 && errno != EINTR))
				p->exited = true;
	}
}

static bool
tlspump_done(const struct tlspump *p)
{
	if (p->stop)
		return true;
	return p->exited && p->handler_eof && p->p2c_len == 0 &&
	    (p->notified || p->tls_dead);
}

int
tlspump_run(struct tlspump *p)
{
	struct pollfd fds[3];
	bool moved;

	for (;;) {
		do {
			p->sock_ev = p->plain_ev = 0;
			moved = tlspump_c2p(p);
			moved = tlspump_p2c(p) || moved;
		} while (moved);
		tlspump_signals(p);
		if (tlspump_done(p))
			return p->status;
		/* A descriptor nobody waits on is left out: its hang-up
		 * would wake the poll for nothing, again and again. */
		fds[0].fd = p->sock_ev != 0 ? SSL_get_fd(p->ssl) : -1;
		fds[0].events = p->sock_ev;
		fds[1].fd = p->plain_ev != 0 ? p->plain : -1;
		fds[1].events = p->plain_ev;
		fds[2].fd = p->sigfd;
		fds[2].events = POLLIN;
		if (poll(fds, 3, -1) == -1 && errno != EINTR)
			return -1;
	}
}
