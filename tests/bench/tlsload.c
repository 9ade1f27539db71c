/* tlsload: the TLS benchmark's client.  N connections to 127.0.0.1:PORT,
 * C at a time (C processes, each making its share one after the other):
 * each a full TLS handshake (no session resumption), one line written
 * and read back through the echo handler, close_notify, and the server's
 * close_notify awaited.  Prints {"cps":...,"errors":...} (JSON, one
 * line), like loadgen -j.
 *
 * usage: tlsload -p PORT [-c C] [-n N] */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#define LINE "ping over tls\n"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A connected TCP socket with 10 s I/O timeouts, or -1. */
static int
dial(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct timeval tv = { 10, 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd == -1)
		return -1;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One connection; 0 if the echo came back whole and the server closed
 * with close_notify, else -1. */
static int
one(SSL_CTX *ctx, int port)
{
	char buf[64];
	size_t got = 0;
	int fd = dial(port), n, rc = -1;
	SSL *ssl;

	if (fd == -1)
		return -1;
	if ((ssl = SSL_new(ctx)) == NULL)
		goto out;
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1 ||
	    SSL_write(ssl, LINE, (int)strlen(LINE)) != (int)strlen(LINE) ||
	    SSL_shutdown(ssl) < 0)
		goto out;
	while (got < sizeof(buf) &&
	    (n = SSL_read(ssl, buf + got, (int)(sizeof(buf) - got))) > 0)
		got += (size_t)n;
	if (got == strlen(LINE) && memcmp(buf, LINE, got) == 0 &&
	    SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN)
		rc = 0;
out:
	SSL_free(ssl);
	close(fd);
	return rc;
}

/* A worker: count connections, reports its error count as exit status
 * (capped). */
static int
worker(int port, long count)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	long i, errors = 0;

	if (ctx == NULL)
		return 255;
	/* Every connection a full handshake, as a new client's. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	for (i = 0; i < count; i++)
		if (one(ctx, port) == -1)
			errors++;
	SSL_CTX_free(ctx);
	return errors > 254 ? 254 : (int)errors;
}

int
main(int argc, char *argv[])
{
	long conns = 1000, conc = 1, i, errors = 0;
	int port = 0, opt, status;
	double start;
	pid_t pid;

	while ((opt = getopt(argc, argv, "p:c:n:")) != -1) {
		if (opt == 'p')
			port = atoi(optarg);
		else if (opt == 'c')
			conc = atol(optarg);
		else if (opt == 'n')
			conns = atol(optarg);
		else
			return 2;
	}
	if (port <= 0 || port > 65535 || conc < 1 || conc > 1024 ||
	    conns < conc) {
		fprintf(stderr, "usage: tlsload -p PORT [-c C] [-n N >= C]\n");
		return 2;
	}
	start = now_s();
	for (i = 0; i < conc; i++) {
		if ((pid = fork()) == -1)
			return 1;
		if (pid == 0)
			_exit(worker(port, conns / conc + (i < conns % conc)));
	}
	while ((pid = wait(&status)) > 0)
		errors += WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	printf("{\"cps\":%.1f,\"errors\":%ld}\n",
	    (double)conns / (now_s() - start), errors);
	return 0;
}
