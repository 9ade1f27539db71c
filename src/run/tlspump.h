/* The TLS relay's side of relay.c's loop: TLS records on the client's
 * socket, plaintext on the handler's, both ways, with half-close both
 * ways, as relay_ops's move (an SSL object may want to write in order to
 * read, so the plain read-and-hand of the loop does not fit). */
#ifndef SUPERD_TLSPUMP_H
#define SUPERD_TLSPUMP_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "relay.h"

#define TLSPUMP_BUF (16 * 1024)

struct tlspump {
	struct relay *r; /* r->client: the socket under ssl; r->handler:
	                  * the relay's end of the handler's socketpair;
	                  * both non-blocking */
	SSL *ssl;        /* handshake done */
	bool stop;       /* a stop signal came after the handler exited */
	/* Client to handler. */
	bool client_eof; /* close_notify or end of TCP input */
	bool c2p_done;   /* the handler has had its end of input (or reads
	                  * no more) */
	size_t c2p_off, c2p_len;
	/* Handler to client. */
	bool handler_eof; /* the handler's output ended */
	bool notified;    /* close_notify sent */
	bool tls_dead;    /* the client's side failed: nothing more goes
	                   * through it */
	size_t p2c_off, p2c_len;
	unsigned char c2p[TLSPUMP_BUF], p2c[TLSPUMP_BUF];
};

/*
 * relay_run with these and a struct tlspump (zeroed but for r and ssl)
 * pumps until the handler has exited, its output has ended and gone out
 * with a close_notify (or the client's side failed).  The client's end
 * of input (close_notify, or its TCP FIN) reaches the handler as end of
 * input (shutdown SHUT_WR of its socket); the handler's end of output
 * sends close_notify and a FIN.  If the client's side fails, the
 * handler's socket is shut both ways (it reads end of input, writes get
 * EPIPE).  A stop signal after the handler exited ends the pump (the
 * relay passes one before on to the handler).
 */
extern const struct relay_ops tlspump_ops;

#endif
