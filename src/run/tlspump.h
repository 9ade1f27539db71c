/* The TLS relay's byte pump: TLS records on the client's socket,
 * plaintext on the handler's, both ways, with half-close both ways, until
 * the handler has exited and its output is out. */
#ifndef SUPERD_TLSPUMP_H
#define SUPERD_TLSPUMP_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#define TLSPUMP_BUF (16 * 1024)

struct tlspump {
	SSL *ssl;    /* on sock, handshake done, non-blocking */
	int plain;   /* the relay's end of the handler's socketpair,
	              * non-blocking */
	int sigfd;   /* signalfd for SIGCHLD, SIGTERM, SIGINT */
	pid_t child; /* the handler */
	int status;  /* its wait status, once exited */
	bool exited;
	bool stop; /* a stop signal came after the handler exited */
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
	short sock_ev, plain_ev; /* what each blocked on, this round */
	unsigned char c2p[TLSPUMP_BUF], p2c[TLSPUMP_BUF];
};

/*
 * Pumps until the handler has exited, its output has ended and gone out
 * with a close_notify (or the client's side failed).  The client's end of
 * input (close_notify, or its TCP FIN) reaches the handler as end of
 * input (shutdown SHUT_WR of its socket); the handler's end of output
 * sends close_notify and a FIN.  If the client's side fails, the
 * handler's socket is shut both ways (it reads end of input, writes get
 * EPIPE).  SIGTERM and SIGINT go on to the handler; one after it exited
 * ends the pump.  p is zeroed but for ssl, plain, sigfd and child.
 * Returns the handler's wait status (p->exited), or -1 if poll failed.
 */
int tlspump_run(struct tlspump *p);

#endif
