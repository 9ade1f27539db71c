/* The TLS relay's bytes: after every wake of relay.c's loop, each
 * direction runs until it would block and says on what, so the loop
 * never spins and never waits on the wrong side.  A blocked direction
 * does not stop the other. */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <openssl/err.h>

#include "tlspump.h"

/* What an SSL call that returned n <= 0 waits for: true with client_ev
 * set, or false if the connection failed or ended. */
static bool
tlspump_wants(struct tlspump *p, int n, int *err)
{
	*err = SSL_get_error(p->ssl, n);
	if (*err == SSL_ERROR_WANT_READ)
		p->r->client_ev |= POLLIN;
	else if (*err == SSL_ERROR_WANT_WRITE)
		p->r->client_ev |= POLLOUT;
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
	(void)shutdown(p->r->handler, SHUT_RDWR);
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
		w = write(p->r->handler, p->c2p + p->c2p_off, p->c2p_len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN) {
			p->r->handler_ev |= POLLOUT;
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
		relay_close_handler(p->r);
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
	(void)shutdown(p->r->client, SHUT_WR);
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
			r = read(p->r->handler, p->p2c, sizeof(p->p2c));
			if (r == -1 && errno == EINTR)
				continue;
			if (r == -1 && errno == EAGAIN) {
				p->r->handler_ev |= POLLIN;
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

/* Both directions until nothing moves; then what the loop needs to know
 * to poll, and to end. */
static void
tlspump_move(void *ctx)
{
	struct tlspump *p = ctx;
	bool moved;

	do {
		p->r->client_ev = p->r->handler_ev = 0;
		moved = tlspump_c2p(p);
		moved = tlspump_p2c(p) || moved;
	} while (moved);
	p->r->handler_done = p->stop || p->handler_eof;
	p->r->finished = p->stop ||
	    (p->handler_eof && p->p2c_len == 0 && (p->notified || p->tls_dead));
}

/* A stop signal (passed on by the loop while the handler runs): once it
 * has exited, there is nothing left to wait for. */
static void
tlspump_stop(void *ctx)
{
	struct tlspump *p = ctx;

	if (p->r->reaped)
		p->stop = true;
}

const struct relay_ops tlspump_ops = {
	.move = tlspump_move,
	.stop = tlspump_stop,
};
