/* TLS (tls_cert, tls_key, tls_client_ca, tls_min_version,
 * tls_handshake_timeout): the real superd on loopback with real clients,
 * `openssl s_client` and a client of the test's own on OpenSSL (for what
 * a command cannot show: half-close, a connection held across a reload),
 * and, tagged `programs`, curl and gnutls-cli.  Certificates are made by
 * `openssl req` in the test's directory. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "harness.h"

#define WAIT_MS 5000
#define RUN_MS 10000
#define OPENSSL "/usr/bin/openssl"
#define CURL "/usr/bin/curl"
#define GNUTLS_CLI "/usr/bin/gnutls-cli"

static struct superd sd;
static char out[65536];
static char dir[256];

static void
teardown(void)
{
	superd_cleanup(&sd);
}

/* The test's directory (harness_file's), once. */
static const char *
tls_dir(void)
{
	char *slash;

	/* Each test runs in a process of its own, with its own directory. */
	if (dir[0] != '\0')
		return dir;
	snprintf(dir, sizeof(dir), "%s", harness_file("placeholder", ""));
	slash = strrchr(dir, '/');
	ck_assert_ptr_nonnull(slash);
	*slash = '\0';
	return dir;
}

/* Runs a shell command line of the test's own (file names it made),
 * failing the test if it fails. */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* DIR/name.crt and DIR/name.key: a P-256 certificate for dns (its CN and
 * subjectAltName) with serial, self-signed, or signed by DIR/ca when
 * ca is true; the key mode 0600 (superd as root insists). */
static void
make_cert(const char *name, const char *dns, int serial, bool ca)
{
	const char *d = tls_dir();

	if (!ca) {
		sh(OPENSSL
		    " req -x509 -newkey ec -pkeyopt "
		    "ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=%s "
		    "-addext subjectAltName=DNS:%s -set_serial %d "
		    "-keyout %s/%s.key -out %s/%s.crt 2>/dev/null",
		    dns, dns, serial, d, name, d, name);
	} else {
		sh(OPENSSL
		    " req -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		    "-nodes -subj /CN=%s -keyout %s/%s.key -out %s/%s.csr "
		    "2>/dev/null && " OPENSSL " x509 -req -days 2 -in "
		    "%s/%s.csr -CA %s/ca.crt -CAkey %s/ca.key -set_serial %d "
		    "-out %s/%s.crt 2>/dev/null",
		    dns, d, name, d, name, d, name, d, d, serial, d, name);
	}
	sh("chmod 600 %s/%s.key", d, name);
}

/* DIR/ca.crt and DIR/ca.key: a certificate authority for clients. */
static void
make_ca(void)
{
	make_cert("ca", "TestCA", 1, false);
}

/* The path of DIR/name, in one of four buffers. */
static const char *
in_dir(const char *name)
{
	static char buf[4][512];
	static int next;
	char *b = buf[next++ % 4];

	snprintf(b, sizeof(buf[0]), "%s/%s", tls_dir(), name);
	return b;
}

/* Starts superd with conf (printf-style) and waits until it is ready. */
static void start(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
start(const char *fmt, ...)
{
	char conf[4096], *self;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(conf, sizeof(conf), fmt, ap);
	va_end(ap);
	/* user = root, or this user's name when the tests run as another. */
	self = harness_as_self(conf);
	superd_start(&sd, self, NULL);
	free(self);
	ck_assert_msg(superd_wait_log(&sd,
	                  strstr(conf, "= kv") ? "event=ready" : "ready:",
	                  WAIT_MS, NULL) != NULL,
	    "superd did not start:\n%s", sd.log);
}

/* A service "t" on a port of the kernel's choice running exec with the
 * "srv" pair and extra keys; returns its port. */
static int
start_tls(const char *exec, const char *extra)
{
	start("[defaults]\nuser = root\nbind = 127.0.0.1\n"
	      "[t]\nport = 0\nexec = %s\ntls_cert = %s\ntls_key = %s\n%s",
	    exec, in_dir("srv.crt"), in_dir("srv.key"), extra);
	return superd_port(&sd, "t");
}

/* Runs argv with input on its stdin, its stdout and stderr into out;
 * killed after RUN_MS.  Returns its wait status. */
static int
run(const char *const *argv, const char *input)
{
	int in[2], o[2], status;
	size_t used = 0;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(o, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		alarm(RUN_MS / 1000);
		if (dup2(in[0], 0) == -1 || dup2(o[1], 1) == -1 ||
		    dup2(o[1], 2) == -1)
			_exit(126);
		harness_execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(o[1]);
	if (input != NULL)
		(void)!write(in[1], input, strlen(input));
	close(in[1]);
	while (used + 1 < sizeof(out) &&
	    (n = read(o[0], out + used, sizeof(out) - 1 - used)) > 0)
		used += (size_t)n;
	out[used] = '\0';
	close(o[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

/* openssl s_client to port with args (NULL-ended, at most 12), input
 * sent, then end of input; the handler's reply and s_client's report in
 * out.  Returns its exit status. */
static int
s_client(int port, const char *input, ...)
{
	const char *argv[24] = { OPENSSL, "s_client", "-connect", NULL,
		"-ign_eof", "-CAfile", NULL };
	char addr[32];
	size_t n = 7;
	const char *a;
	va_list ap;
	int status;

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	argv[3] = addr;
	argv[6] = in_dir("srv.crt");
	va_start(ap, input);
	while ((a = va_arg(ap, const char *)) != NULL && n < 22)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	status = run(argv, input);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- the test's own client ---- */

struct client {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
};

/* A TLS connection to port, handshake done (fails the test if not);
 * sni NULL for none; with a client pair name, that certificate. */
static void
client_open(struct client *c, int port, const char *sni, const char *pair)
{
	char crt[64], key[64];

	c->ctx = SSL_CTX_new(TLS_client_method());
	ck_assert_ptr_nonnull(c->ctx);
	if (pair != NULL) {
		snprintf(crt, sizeof(crt), "%s.crt", pair);
		snprintf(key, sizeof(key), "%s.key", pair);
		ck_assert_int_eq(SSL_CTX_use_certificate_file(c->ctx,
		                     in_dir(crt), SSL_FILETYPE_PEM),
		    1);
		ck_assert_int_eq(SSL_CTX_use_PrivateKey_file(c->ctx,
		                     in_dir(key), SSL_FILETYPE_PEM),
		    1);
	}
	c->fd = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(c->fd, -1);
	c->ssl = SSL_new(c->ctx);
	ck_assert_ptr_nonnull(c->ssl);
	SSL_set_fd(c->ssl, c->fd);
	if (sni != NULL)
		SSL_set_tlsext_host_name(c->ssl, sni);
	ck_assert_msg(SSL_connect(c->ssl) == 1, "handshake failed: %s",
	    ERR_reason_error_string(ERR_peek_last_error()));
}

static void
client_send(struct client *c, const char *s)
{
	ck_assert_int_eq(SSL_write(c->ssl, s, (int)strlen(s)), (int)strlen(s));
}

/* Reads until close_notify (true) or another end (false) into out. */
static bool
client_read_all(struct client *c)
{
	size_t used = 0;
	int n;

	while ((n = SSL_read(c->ssl, out + used,
	            (int)(sizeof(out) - 1 - used))) > 0)
		used += (size_t)n;
	out[used] = '\0';
	return SSL_get_error(c->ssl, n) == SSL_ERROR_ZERO_RETURN;
}

/* Reads one line into out. */
static void
client_read_line(struct client *c)
{
	size_t used = 0;
	int n;

	while (used + 1 < sizeof(out) && (used == 0 || out[used - 1] != '\n') &&
	    (n = SSL_read(c->ssl, out + used, 1)) > 0)
		used += (size_t)n;
	out[used] = '\0';
}

/* The serial of the server's certificate, in hex. */
static long
client_serial(struct client *c)
{
	X509 *x = SSL_get1_peer_certificate(c->ssl);
	long serial;

	ck_assert_ptr_nonnull(x);
	serial = ASN1_INTEGER_get(X509_get0_serialNumber(x));
	X509_free(x);
	return serial;
}

static void
client_close(struct client *c)
{
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	close(c->fd);
}

/* The value of "env: NAME=" in a probe's report in out, or "" */
static const char *
probe_env(const char *name)
{
	static char value[1024];
	char key[128];
	const char *at, *end;

	snprintf(key, sizeof(key), "env: %s=", name);
	value[0] = '\0';
	if ((at = strstr(out, key)) == NULL)
		return NULL;
	at += strlen(key);
	end = strchr(at, '\n');
	snprintf(value, sizeof(value), "%.*s",
	    (int)(end != NULL ? end - at : (long)strlen(at)), at);
	return value;
}

/* The stats line of service t, after SIGUSR1, once every relay is
 * reaped (a client may be gone before its relay is: the counters are
 * then final). */
static const char *
stats(void)
{
	size_t from;

	ck_assert(superd_wait_childless(&sd, WAIT_MS));
	from = sd.loglen;
	ck_assert_int_eq(kill(sd.pid, SIGUSR1), 0);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "t: stats", WAIT_MS, &from));
	return strstr(sd.log + from - strlen("t: stats"), "t: stats");
}

/* ---- tests ---- */

START_TEST(s_client_gets_the_reply_over_tls_1_3_and_1_2)
{
	int port;

	make_cert("srv", "localhost", 10, false);
	port = start_tls(harness_probe_bin(), "");
	ck_assert_int_eq(s_client(port, "", "-tls1_3", NULL), 0);
	ck_assert_msg(strstr(out, "env: TLS_VERSION=TLSv1.3\n") != NULL, "%s",
	    out);
	ck_assert_msg(strstr(out, "Verify return code: 0 (ok)") != NULL, "%s",
	    out);
	ck_assert_int_eq(s_client(port, "", "-tls1_2", NULL), 0);
	ck_assert_msg(strstr(out, "env: TLS_VERSION=TLSv1.2\n") != NULL, "%s",
	    out);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "via relay", WAIT_MS, NULL));
}
END_TEST

START_TEST(the_handler_gets_plaintext_and_a_clean_start_with_tls_variables)
{
	struct client c;
	int port;

	make_cert("srv", "localhost", 11, false);
	port = start_tls(harness_probe_bin(), "");
	client_open(&c, port, "localhost", NULL);
	/* The relay's close_notify ends the report. */
	ck_assert(client_read_all(&c));
	client_close(&c);
	/* Exactly fds 0-2, 0 and 1 one socket (the relay's socketpair), an
	 * empty mask; not a session leader: it shares the relay's group. */
	ck_assert_msg(strstr(out, "fds: 0 1 2\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "SigBlk:\t0000000000000000") != NULL, "%s",
	    out);
	ck_assert_msg(strstr(out, "SigIgn:\t0000000000000000") != NULL, "%s",
	    out);
	ck_assert_msg(strstr(out, "session_leader: no") != NULL, "%s", out);
	ck_assert_str_eq(probe_env("TLS_VERSION"), "TLSv1.3");
	ck_assert_str_eq(probe_env("TLS_SNI"), "localhost");
	ck_assert_msg(strlen(probe_env("TLS_CIPHER")) > 0, "%s", out);
	ck_assert_str_eq(probe_env("TCPREMOTEIP"), "127.0.0.1");
	ck_assert_str_eq(probe_env("TCPLOCALIP"), "127.0.0.1");
	ck_assert_ptr_null(probe_env("TLS_CLIENT_SUBJECT"));
}
END_TEST

START_TEST(half_close_works_both_ways)
{
	struct client c;
	int port;

	make_cert("srv", "localhost", 12, false);
	port = start_tls("echo", "");
	client_open(&c, port, NULL, NULL);
	client_send(&c, "one\n");
	client_read_line(&c);
	ck_assert_str_eq(out, "one\n");
	client_send(&c, "two\n");
	/* The client's close_notify is the handler's end of input: echo
	 * answers what it had and exits, and its exit is a close_notify. */
	ck_assert_int_ge(SSL_shutdown(c.ssl), 0);
	ck_assert(client_read_all(&c));
	ck_assert_str_eq(out, "two\n");
	client_close(&c);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "exited 0", WAIT_MS, NULL));
}
END_TEST

START_TEST(sni_picks_the_certificate_the_client_names)
{
	char conf[1024], want[1200], err[4096];
	int port;

	make_cert("srv", "a.test", 20, false);
	make_cert("b", "b.test", 21, false);
	snprintf(conf, sizeof(conf), "tls_cert = %s\ntls_key = %s\n",
	    in_dir("b.crt"), in_dir("b.key"));
	port = start_tls(harness_probe_bin(), conf);
	/* -t shows both, the default first. */
	ck_assert_int_eq(superd_run(out, sizeof(out), err, sizeof(err), "-t",
	                     "-c", in_dir("superd.ini"), NULL),
	    0);
	snprintf(want, sizeof(want),
	    "  tls: %s %s min_version=1.2 client_ca=none\n", in_dir("srv.crt"),
	    in_dir("b.crt"));
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	ck_assert_int_eq(s_client(port, "", "-servername", "b.test", NULL), 0);
	ck_assert_msg(strstr(out, "subject=CN = b.test") != NULL, "%s", out);
	ck_assert_str_eq(probe_env("TLS_SNI"), "b.test");
	ck_assert_int_eq(s_client(port, "", "-servername", "a.test", NULL), 0);
	ck_assert_msg(strstr(out, "subject=CN = a.test") != NULL, "%s", out);
	/* No name, or one no certificate has: the first pair. */
	ck_assert_int_eq(s_client(port, "", "-noservername", NULL), 0);
	ck_assert_msg(strstr(out, "subject=CN = a.test") != NULL, "%s", out);
	ck_assert_int_eq(s_client(port, "", "-servername", "c.test", NULL), 0);
	ck_assert_msg(strstr(out, "subject=CN = a.test") != NULL, "%s", out);
}
END_TEST

START_TEST(mtls_accepts_a_good_client_certificate_and_refuses_none)
{
	char conf[512], fp[256];
	const char *at;
	int port;

	make_cert("srv", "localhost", 30, false);
	make_ca();
	make_cert("cl", "alice", 0x1234, true);
	snprintf(conf, sizeof(conf), "tls_client_ca = %s\n", in_dir("ca.crt"));
	port = start_tls(harness_probe_bin(), conf);
	ck_assert_int_eq(s_client(port, "", "-cert", in_dir("cl.crt"), "-key",
	                     in_dir("cl.key"), NULL),
	    0);
	ck_assert_str_eq(probe_env("TLS_CLIENT_SUBJECT"), "CN=alice");
	ck_assert_str_eq(probe_env("TLS_CLIENT_ISSUER"), "CN=TestCA");
	ck_assert_str_eq(probe_env("TLS_CLIENT_SERIAL"), "1234");
	snprintf(fp, sizeof(fp), "%s", probe_env("TLS_CLIENT_SHA256"));
	{
		const char *argv[] = { OPENSSL, "x509", "-noout",
			"-fingerprint", "-sha256", "-in", in_dir("cl.crt"),
			NULL };
		ck_assert_int_eq(run(argv, NULL), 0);
	}
	at = strchr(out, '=');
	ck_assert_ptr_nonnull(at);
	ck_assert_msg(strncmp(at + 1, fp, strlen(fp)) == 0 && strlen(fp) == 95,
	    "%s vs %s", fp, out);
	/* Without a certificate: refused, the handler never started. */
	s_client(port, "", NULL);
	ck_assert_ptr_null(strstr(out, "env: "));
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "TLS handshake with 127.0.0.1", WAIT_MS, NULL));
	ck_assert_msg(strstr(stats(), "refused_tls=1 ") != NULL, "%s", sd.log);
	ck_assert_uint_eq(superd_log_count(&sd, "TLS handler"), 1);
}
END_TEST

START_TEST(tls_min_version_1_3_refuses_a_1_2_client)
{
	int port;

	make_cert("srv", "localhost", 31, false);
	port = start_tls(harness_probe_bin(), "tls_min_version = 1.3\n");
	ck_assert_int_ne(s_client(port, "", "-tls1_2", NULL), 0);
	ck_assert_ptr_null(strstr(out, "env: "));
	ck_assert_int_eq(s_client(port, "", "-tls1_3", NULL), 0);
	ck_assert_msg(strstr(stats(), "refused_tls=1 ") != NULL, "%s", sd.log);
}
END_TEST

/* Whether fd is still open at the other end: no end of file yet. */
static bool
still_open(int fd)
{
	char b;

	return recv(fd, &b, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN;
}

START_TEST(a_silent_client_is_cut_at_the_timeout_without_delaying_others)
{
	struct client c;
	char b;
	int port, silent;

	make_cert("srv", "localhost", 40, false);
	port = start_tls("echo", "tls_handshake_timeout = 1s\n");
	silent = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(silent, -1);
	/* Served while the silent one still waits for its handshake. */
	client_open(&c, port, NULL, NULL);
	client_send(&c, "hi\n");
	client_read_line(&c);
	ck_assert_str_eq(out, "hi\n");
	ck_assert(still_open(silent));
	client_close(&c);
	/* Then the silent one is cut (tcp_connect's 5 s receive timeout is
	 * longer than the handshake's). */
	ck_assert_int_eq(recv(silent, &b, 1, 0), 0);
	close(silent);
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "reason=tls", WAIT_MS, NULL));
	ck_assert_msg(strstr(stats(), "refused_tls=1 ") != NULL, "%s", sd.log);
}
END_TEST

START_TEST(garbage_instead_of_a_client_hello_is_refused_logged_once_and_counted)
{
	char exec[600], extra[700];
	struct client c;
	int port, fd, i;

	make_cert("srv", "localhost", 41, false);
	snprintf(extra, sizeof(extra), "env = MARK=%s\n", in_dir("started"));
	snprintf(exec, sizeof(exec), "%s",
	    harness_script("mark.sh",
	        "#!/bin/sh\n: > \"$MARK\"\n"
	        "exec cat\n"));
	port = start_tls(exec, extra);
	for (i = 0; i < 3; i++) {
		fd = tcp_connect("127.0.0.1", port);
		ck_assert_int_ne(fd, -1);
		tcp_send(fd, "GET / HTTP/1.0\r\n\r\n", 18);
		/* An alert, or nothing, then the end. */
		(void)tcp_read_all(fd, out, sizeof(out), WAIT_MS);
		close(fd);
	}
	ck_assert(superd_wait_childless(&sd, WAIT_MS));
	ck_assert_msg(strstr(stats(), "refused_tls=3 ") != NULL, "%s", sd.log);
	ck_assert_msg(strstr(stats(), " accepted=0 ") != NULL, "%s", sd.log);
	/* One line for the episode, none per connection; no handler. */
	ck_assert_uint_eq(superd_log_count(&sd, "refusing such connections"),
	    1);
	ck_assert_msg(superd_log_count(&sd, "]: exited") == 0, "%s", sd.log);
	ck_assert_int_eq(access(in_dir("started"), F_OK), -1);
	/* A handshake that works ends the episode. */
	client_open(&c, port, NULL, NULL);
	client_close(&c);
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "a TLS handshake succeeded again after 3 refused", WAIT_MS, NULL));
}
END_TEST

START_TEST(a_reload_serves_a_renewed_certificate_to_new_clients_only)
{
	struct client old, fresh;
	size_t from;
	int port;

	make_cert("srv", "localhost", 50, false);
	port = start_tls("echo", "");
	client_open(&old, port, NULL, NULL);
	ck_assert_int_eq(client_serial(&old), 50);
	make_cert("srv", "localhost", 51, false);
	from = sd.loglen;
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "reloaded", WAIT_MS, &from));
	client_open(&fresh, port, NULL, NULL);
	ck_assert_int_eq(client_serial(&fresh), 51);
	client_close(&fresh);
	/* The old connection works on, with its handshake's certificate. */
	client_send(&old, "still here\n");
	client_read_line(&old);
	ck_assert_str_eq(out, "still here\n");
	client_close(&old);
}
END_TEST

START_TEST(a_reload_with_a_broken_key_keeps_serving_the_old_certificate)
{
	struct client c;
	size_t from;
	int port;

	make_cert("srv", "localhost", 60, false);
	port = start_tls("echo", "");
	sh("echo broken > %s && chmod 600 %s", in_dir("srv.key"),
	    in_dir("srv.key"));
	from = sd.loglen;
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "reload failed", WAIT_MS, &from));
	/* The key's own line: [defaults] has 3, [t] starts on line 4. */
	ck_assert_msg(strstr(sd.log, ":8: [t] tls_key: ") != NULL, "%s",
	    sd.log);
	client_open(&c, port, NULL, NULL);
	ck_assert_int_eq(client_serial(&c), 60);
	client_send(&c, "ok\n");
	client_read_line(&c);
	ck_assert_str_eq(out, "ok\n");
	client_close(&c);
}
END_TEST

/* The handler's pid from the `tls` line ("TLS handler PID:"). */
static pid_t
handler_pid(void)
{
	const char *at = superd_wait_log(&sd, "TLS handler ", WAIT_MS, NULL);

	ck_assert_ptr_nonnull(at);
	return (pid_t)atoi(at + strlen("TLS handler "));
}

START_TEST(max_duration_ends_relay_and_handler_together)
{
	struct client c;
	pid_t h;
	int port;

	make_cert("srv", "localhost", 70, false);
	port = start_tls("/bin/sleep 60",
	    "max_duration = 200ms\nstop_timeout = 2s\n");
	client_open(&c, port, NULL, NULL);
	h = handler_pid();
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "killed by signal 15", WAIT_MS, NULL));
	ck_assert(superd_wait_childless(&sd, WAIT_MS));
	ck_assert(!proc_alive(h));
	ck_assert(client_read_all(&c) || true);
	client_close(&c);
	ck_assert_msg(strstr(stats(), "exited_signal=1 ") != NULL, "%s",
	    sd.log);
	ck_assert_msg(strstr(stats(), "accepted=1 ") != NULL, "%s", sd.log);
}
END_TEST

START_TEST(shutdown_leaves_no_relay_or_handler_behind)
{
	struct client c;
	pid_t h;
	int port;

	make_cert("srv", "localhost", 71, false);
	port = start_tls("echo", "");
	client_open(&c, port, NULL, NULL);
	h = handler_pid();
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	ck_assert(superd_wait_exit(&sd, WAIT_MS));
	ck_assert(!proc_alive(h));
	client_close(&c);
}
END_TEST

START_TEST(a_proxy_header_comes_before_the_handshake)
{
	static const char hdr[] =
	    "PROXY TCP4 192.0.2.7 198.51.100.1 40000 443\r\n";
	SSL_CTX *ctx;
	SSL *ssl;
	int port, fd;
	size_t used = 0;
	int n;

	make_cert("srv", "localhost", 80, false);
	port = start_tls(harness_probe_bin(),
	    "proxy_protocol = v1\nproxy_from = 127.0.0.1\n");
	fd = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(fd, -1);
	tcp_send(fd, hdr, strlen(hdr));
	ctx = SSL_CTX_new(TLS_client_method());
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	ck_assert_int_eq(SSL_connect(ssl), 1);
	while (
	    (n = SSL_read(ssl, out + used, (int)(sizeof(out) - 1 - used))) > 0)
		used += (size_t)n;
	out[used] = '\0';
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	ck_assert_str_eq(probe_env("TCPREMOTEIP"), "192.0.2.7");
	ck_assert_str_eq(probe_env("TCPLOCALPORT"), "443");
	ck_assert_str_eq(probe_env("PROXYREMOTEIP"), "127.0.0.1");
	ck_assert_str_eq(probe_env("TLS_VERSION"), "TLSv1.3");
}
END_TEST

START_TEST(the_kv_log_has_the_tls_events)
{
	struct client c;
	int port, fd, mport = harness_free_port();
	char get[] = "GET /metrics HTTP/1.0\r\n\r\n";

	make_cert("srv", "localhost", 90, false);
	start("[supervisor]\nlog_format = kv\nmetrics = 127.0.0.1:%d\n"
	      "[defaults]\nuser = root\n"
	      "bind = 127.0.0.1\n[t]\nport = 0\nexec = echo\ntls_cert = %s\n"
	      "tls_key = %s\n",
	    mport, in_dir("srv.crt"), in_dir("srv.key"));
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "event=listen service=t", WAIT_MS, NULL));
	port = atoi(strstr(sd.log, "address=127.0.0.1:") +
	    strlen("address=127.0.0.1:"));
	fd = tcp_connect("127.0.0.1", port);
	tcp_send(fd, "x", 1);
	(void)tcp_read_all(fd, out, sizeof(out), WAIT_MS);
	close(fd);
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "event=tls_refused state=full service=t peer=127.0.0.1:", WAIT_MS,
	    NULL));
	client_open(&c, port, NULL, NULL);
	client_close(&c);
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "event=tls service=t pid=", WAIT_MS, NULL));
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "version=TLSv1.3 cipher=TLS_", WAIT_MS, NULL));
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "sni=\"-\" client=\"-\" mode=relay", WAIT_MS, NULL));
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "event=tls_refused state=clear service=t refused=1", WAIT_MS,
	    NULL));
	/* The refusal is in the metrics, under its reason. */
	ck_assert(superd_wait_childless(&sd, WAIT_MS));
	tcp_exchange(mport, get, out, sizeof(out));
	ck_assert_msg(strstr(out,
	                  "superd_connections_refused_total{service="
	                  "\"t\",reason=\"tls\"} 1\n") != NULL,
	    "%s", out);
}
END_TEST

START_TEST(the_handlers_stderr_is_logged_and_its_exit_125_is_not_a_refusal)
{
	char exec[600];
	struct client c;
	int port;

	make_cert("srv", "localhost", 120, false);
	snprintf(exec, sizeof(exec), "%s",
	    harness_script("err.sh",
	        "#!/bin/sh\necho 'to the log' >&2\n"
	        "echo out\nexit 125\n"));
	port = start_tls(exec, "");
	client_open(&c, port, NULL, NULL);
	ck_assert(client_read_all(&c));
	ck_assert_str_eq(out, "out\n");
	client_close(&c);
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "to the log", WAIT_MS, NULL));
	/* 125 is the relay's "refused": a handler's own is passed on as
	 * 124, an exit like any other. */
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "exited 124", WAIT_MS, NULL));
	ck_assert_msg(strstr(stats(), "refused_tls=0 ") != NULL, "%s", sd.log);
	ck_assert_msg(strstr(stats(), "exited_error=1 ") != NULL, "%s", sd.log);
}
END_TEST

START_TEST(stderr_client_is_the_plaintext_stream_not_the_tls_socket)
{
	char exec[600];
	struct client c;
	int port;

	make_cert("srv", "localhost", 121, false);
	snprintf(exec, sizeof(exec), "%s",
	    harness_script("client.sh", "#!/bin/sh\necho 'on stderr' >&2\n"));
	port = start_tls(exec, "stderr = client\n");
	client_open(&c, port, NULL, NULL);
	ck_assert(client_read_all(&c));
	ck_assert_str_eq(out, "on stderr\n");
	client_close(&c);
}
END_TEST

/* Whether the relay pid is set up: it has a signalfd, which it makes
 * once it has taken its ids, right before its handshake, and no longer
 * superd's epoll.  Between its fork and its close_range it holds copies
 * of all of superd's descriptors, superd's own signalfd among them, and
 * still root's ids. */
static bool
relay_set_up(pid_t pid)
{
	char path[PATH_MAX], link[64];
	bool sigfd = false, epoll = false;
	struct dirent *e;
	ssize_t n;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return false;
	while ((e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid,
		    e->d_name);
		if ((n = readlink(path, link, sizeof(link) - 1)) <= 0)
			continue;
		link[n] = '\0';
		sigfd |= strcmp(link, "anon_inode:[signalfd]") == 0;
		epoll |= strcmp(link, "anon_inode:[eventpoll]") == 0;
	}
	(void)closedir(d);
	return sigfd && !epoll;
}

/* /proc/PID/status's Uid line of the one child superd has (its relay),
 * into out, once it is set up. */
static void
relay_uid_line(void)
{
	char path[64];
	const char *at;
	pid_t kids[4];
	size_t n = 0;
	int i, fd;

	for (i = 0; i < WAIT_MS / 10; i++) {
		n = proc_children(sd.pid, kids, 4);
		if (n == 1 && relay_set_up(kids[0]))
			break;
		harness_sleep_ms(10);
	}
	ck_assert_uint_eq(n, 1);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)kids[0]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ne(fd, -1);
	harness_slurp(fd, out, sizeof(out));
	close(fd);
	at = strstr(out, "Uid:");
	ck_assert_ptr_nonnull(at);
	memmove(out, at, strcspn(at, "\n") + 1);
	out[strcspn(out, "\n")] = '\0';
}

START_TEST(the_relay_takes_the_services_user_before_its_handshake)
{
	struct client c;
	int port, silent;

	if (geteuid() != 0) {
		harness_skip("not root: the relay has the tests' own ids");
		return;
	}
	make_cert("srv", "localhost", 130, false);
	port = start_tls(harness_probe_bin(), "user = nobody\n");
	silent = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(silent, -1);
	relay_uid_line();
	ck_assert_str_eq(out, "Uid:\t65534\t65534\t65534\t65534");
	close(silent);
	ck_assert(superd_wait_childless(&sd, WAIT_MS));
	/* The handler's start is the same. */
	client_open(&c, port, NULL, NULL);
	ck_assert(client_read_all(&c));
	client_close(&c);
	ck_assert_msg(strstr(out, "Uid:\t65534\t65534\t65534\t65534\n") != NULL,
	    "%s", out);
	/* The bounding set the relay cut is the one a non-root handler
	 * gets anyway. */
	ck_assert_msg(strstr(out, "CapBnd:\t0000000000000000\n") != NULL, "%s",
	    out);
	ck_assert_str_eq(probe_env("USER"), "nobody");
	ck_assert_str_eq(probe_env("TLS_VERSION"), "TLSv1.3");
	/* A service whose handler needs root to start (here, to set a
	 * limit) keeps a root relay. */
	superd_cleanup(&sd);
	port = start_tls(harness_probe_bin(),
	    "user = nobody\nrlimit_nofile = 64\n");
	silent = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(silent, -1);
	relay_uid_line();
	ck_assert_str_eq(out, "Uid:\t0\t0\t0\t0");
	close(silent);
}
END_TEST

/* ---- other programs ---- */

START_TEST(curl_gets_an_http_reply_over_tls_1_2_and_1_3)
{
	char resolve[64], url[64];
	int port;

	if (access(CURL, X_OK) == -1) {
		harness_skip("%s is not installed (apt-get install curl)",
		    CURL);
		return;
	}
	make_cert("srv", "localhost", 100, false);
	port = start_tls(harness_script("http.sh",
	                     "#!/bin/sh\nread -r line\n"
	                     "printf 'HTTP/1.0 200 OK\\r\\nContent-Type: "
	                     "text/plain\\r\\n\\r\\n%s %s\\n' "
	                     "\"$TLS_VERSION\" \"$TLS_SNI\"\n"),
	    "");
	snprintf(resolve, sizeof(resolve), "localhost:%d:127.0.0.1", port);
	snprintf(url, sizeof(url), "https://localhost:%d/", port);
	{
		const char *argv[] = { CURL, "-sS", "--tlsv1.2", "--tls-max",
			"1.2", "--cacert", in_dir("srv.crt"), "--resolve",
			resolve, url, NULL };
		ck_assert_int_eq(run(argv, NULL), 0);
		ck_assert_str_eq(out, "TLSv1.2 localhost\n");
	}
	{
		const char *argv[] = { CURL, "-sS", "--tlsv1.3", "--cacert",
			in_dir("srv.crt"), "--resolve", resolve, url, NULL };
		ck_assert_int_eq(run(argv, NULL), 0);
		ck_assert_str_eq(out, "TLSv1.3 localhost\n");
	}
}
END_TEST

/* gnutls-cli to port with args: the reply in out; its exit status. */
static int
gnutls(int port, const char *prio, const char *extra1, const char *extra2)
{
	char p[16], ca[600], pr[64];
	const char *argv[16] = { GNUTLS_CLI, "--logfile=/dev/null", "-p", p, ca,
		pr, "localhost" };
	size_t n = 7;

	snprintf(p, sizeof(p), "%d", port);
	snprintf(ca, sizeof(ca), "--x509cafile=%s", in_dir("srv.crt"));
	snprintf(pr, sizeof(pr), "--priority=%s", prio);
	if (extra1 != NULL)
		argv[n++] = extra1;
	if (extra2 != NULL)
		argv[n++] = extra2;
	argv[n] = NULL;
	(void)prio;
	{
		int status = run(argv, "");

		return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}
}

START_TEST(gnutls_cli_speaks_tls_1_2_and_1_3_with_sni_and_client_certs)
{
	char conf[512], cert[600], key[600];
	int port;

	if (access(GNUTLS_CLI, X_OK) == -1) {
		harness_skip("%s is not installed (apt-get install gnutls-bin)",
		    GNUTLS_CLI);
		return;
	}
	make_cert("srv", "localhost", 110, false);
	make_ca();
	make_cert("cl", "bob", 0x77, true);
	snprintf(conf, sizeof(conf), "tls_client_ca = %s\n", in_dir("ca.crt"));
	port = start_tls(harness_probe_bin(), conf);
	snprintf(cert, sizeof(cert), "--x509certfile=%s", in_dir("cl.crt"));
	snprintf(key, sizeof(key), "--x509keyfile=%s", in_dir("cl.key"));
	ck_assert_int_eq(gnutls(port, "NORMAL:-VERS-ALL:+VERS-TLS1.2", cert,
	                     key),
	    0);
	ck_assert_str_eq(probe_env("TLS_VERSION"), "TLSv1.2");
	ck_assert_str_eq(probe_env("TLS_SNI"), "localhost");
	ck_assert_str_eq(probe_env("TLS_CLIENT_SUBJECT"), "CN=bob");
	ck_assert_int_eq(gnutls(port, "NORMAL:-VERS-ALL:+VERS-TLS1.3", cert,
	                     key),
	    0);
	ck_assert_str_eq(probe_env("TLS_VERSION"), "TLSv1.3");
	ck_assert_str_eq(probe_env("TLS_CLIENT_SERIAL"), "77");
	/* No client certificate: refused. */
	gnutls(port, "NORMAL", NULL, NULL);
	ck_assert_ptr_null(strstr(out, "env: "));
	ck_assert_msg(strstr(stats(), "refused_tls=1 ") != NULL, "%s", sd.log);
}
END_TEST

static Suite *
make_tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("tls");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, s_client_gets_the_reply_over_tls_1_3_and_1_2);
	tcase_add_test(tc,
	    the_handler_gets_plaintext_and_a_clean_start_with_tls_variables);
	tcase_add_test(tc, half_close_works_both_ways);
	tcase_add_test(tc, sni_picks_the_certificate_the_client_names);
	tcase_add_test(tc,
	    mtls_accepts_a_good_client_certificate_and_refuses_none);
	tcase_add_test(tc, tls_min_version_1_3_refuses_a_1_2_client);
	tcase_add_test(tc,
	    a_silent_client_is_cut_at_the_timeout_without_delaying_others);
	tcase_add_test(tc,
	    garbage_instead_of_a_client_hello_is_refused_logged_once_and_counted);
	tcase_add_test(tc,
	    a_reload_serves_a_renewed_certificate_to_new_clients_only);
	tcase_add_test(tc,
	    a_reload_with_a_broken_key_keeps_serving_the_old_certificate);
	tcase_add_test(tc, max_duration_ends_relay_and_handler_together);
	tcase_add_test(tc, shutdown_leaves_no_relay_or_handler_behind);
	tcase_add_test(tc, a_proxy_header_comes_before_the_handshake);
	tcase_add_test(tc, the_kv_log_has_the_tls_events);
	tcase_add_test(tc,
	    the_handlers_stderr_is_logged_and_its_exit_125_is_not_a_refusal);
	tcase_add_test(tc,
	    stderr_client_is_the_plaintext_stream_not_the_tls_socket);
	suite_add_tcase(s, tc);

	tc = tcase_create("root");
	tcase_set_tags(tc, "root");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc,
	    the_relay_takes_the_services_user_before_its_handshake);
	suite_add_tcase(s, tc);

	tc = tcase_create("programs");
	tcase_set_tags(tc, "programs");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, curl_gets_an_http_reply_over_tls_1_2_and_1_3);
	tcase_add_test(tc,
	    gnutls_cli_speaks_tls_1_2_and_1_3_with_sni_and_client_certs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_tls_suite());
}
