/* Behind a load balancer: the PROXY protocol (proxy_protocol, proxy_from,
 * proxy_timeout) and several instances on one port (reuse_port).  The
 * real superd on loopback, first with headers written by the test (every
 * form, split, late, invalid, from strangers, a flood of silent
 * connections), then with Debian's haproxy in front of two superd
 * instances, clients bound to 127.0.0.2 and 127.0.0.3 so that the limits
 * are seen acting on the real client and not on the balancer. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "pp2.h"

#define HEAD "[defaults]\nuser = root\nbind = 127.0.0.1\n"
#define WAIT_MS 5000
#define HAPROXY "/usr/sbin/haproxy"
#define V1_HDR "PROXY TCP4 192.0.2.7 198.51.100.1 40000 443\r\n"

static struct superd sd, sd2;
static pid_t haproxy_pid = -1;
static char out[65536];

static void
teardown(void)
{
	if (haproxy_pid > 0) {
		(void)kill(haproxy_pid, SIGKILL);
		(void)waitpid(haproxy_pid, NULL, 0);
		haproxy_pid = -1;
	}
	superd_cleanup(&sd);
	superd_cleanup(&sd2);
}

static void
start_on(struct superd *s, const char *name, const char *text)
{
	char *self = harness_as_self(text);
	const char *path = harness_file(name, self);

	free(self);
	superd_start_file(s, path, NULL);
	ck_assert_msg(superd_wait_log(s, "ready:", WAIT_MS, NULL) != NULL,
	    "superd did not start:\n%s", s->log);
}

/* A config from fmt (printf-style) for sd. */
static void start(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
start(const char *fmt, ...)
{
	char conf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(conf, sizeof(conf), fmt, ap);
	va_end(ap);
	start_on(&sd, "proxy.ini", conf);
}

/* Connects, sends len bytes of msg, half-closes, reads to EOF into out.
 * A refused connection may be closed before the bytes go: that is no
 * error here, the reply is then empty. */
static size_t
exchange(int port, const void *msg, size_t len)
{
	int fd = tcp_connect("127.0.0.1", port);
	size_t n;

	ck_assert_int_ge(fd, 0);
	(void)send(fd, msg, len, MSG_NOSIGNAL);
	(void)shutdown(fd, SHUT_WR);
	n = tcp_read_all(fd, out, sizeof(out) - 1, WAIT_MS);
	out[n] = '\0';
	close(fd);
	return n;
}

static void
expect_env(const char *name_value)
{
	char want[512];

	snprintf(want, sizeof(want), "env: %s\n", name_value);
	ck_assert_msg(strstr(out, want) != NULL, "no %s in the report:\n%s",
	    name_value, out);
}

/* SIGUSR1, then the stats line of service name must contain want. */
static void
expect_stat(struct superd *s, const char *name, const char *want)
{
	const char *line = superd_stats(s, name);

	ck_assert_msg(strstr(line, want) != NULL, "%s: no %s", line, want);
}

/* Half-closes fd and reads the handler's whole answer into out. */
static const char *
answer(int fd)
{
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	out[tcp_read_all(fd, out, sizeof(out) - 1, WAIT_MS)] = '\0';
	return out;
}

START_TEST(a_v1_header_gives_the_handler_the_real_client)
{
	int port;

	start(HEAD "[p]\nport = 0\nexec = %s\nproxy_protocol = v1\n"
	           "proxy_from = 127.0.0.1\n",
	    harness_probe_bin());
	port = superd_port(&sd, "p");
	exchange(port, V1_HDR, strlen(V1_HDR));
	expect_env("TCPREMOTEIP=192.0.2.7");
	expect_env("TCPREMOTEPORT=40000");
	expect_env("TCPLOCALIP=198.51.100.1");
	expect_env("TCPLOCALPORT=443");
	expect_env("PROXYREMOTEIP=127.0.0.1");
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "connection from 192.0.2.7:40000 via 127.0.0.1:", WAIT_MS, NULL));
}
END_TEST

START_TEST(the_bytes_after_the_header_reach_the_handler_untouched)
{
	static struct pp2 p;
	const char *v1 = V1_HDR "hello\nworld\n";
	int port;

	start(HEAD "[e]\nport = 0\nexec = echo\nproxy_protocol = any\n"
	           "proxy_from = 127.0.0.1\n");
	port = superd_port(&sd, "e");
	exchange(port, v1, strlen(v1));
	ck_assert_str_eq(out, "hello\nworld\n");
	pp2_start(&p, 1, 0x11);
	pp2_tcp4(&p, "192.0.2.7", "198.51.100.1", 40000, 443);
	pp2_tlv(&p, 0x05, "id-1", 4);
	pp2_done(&p);
	memcpy(p.b + p.n, "PROXY but payload\n", 18);
	exchange(port, p.b, p.n + 18);
	ck_assert_str_eq(out, "PROXY but payload\n");
}
END_TEST

START_TEST(a_v2_header_passes_its_tlvs_and_local_keeps_the_socket)
{
	static const unsigned char ssl[] = { 0x01, 0, 0, 0, 0, 0x21, 0, 7, 'T',
		'L', 'S', 'v', '1', '.', '3', 0x22, 0, 5, 'a', 'l', 'i', 'c',
		'e', 0x23, 0, 6, 'A', 'E', 'S', '1', '2', '8' };
	static struct pp2 p;
	char want[64];
	int port;

	start(HEAD "[p]\nport = 0\nexec = %s\nproxy_protocol = v2\n"
	           "proxy_from = 127.0.0.0/8\n",
	    harness_probe_bin());
	port = superd_port(&sd, "p");
	pp2_start(&p, 1, 0x21);
	pp2_tcp6(&p, "2001:db8::7", "2001:db8::1", 40000, 443);
	pp2_tlv(&p, 0x02, "example.org", 11);
	pp2_tlv(&p, 0x01, "h2", 2);
	pp2_tlv(&p, 0x05, "conn-42", 7);
	pp2_tlv(&p, 0x20, ssl, sizeof(ssl));
	pp2_crc(&p);
	exchange(port, p.b, p.n);
	expect_env("TCPREMOTEIP=2001:db8::7");
	expect_env("TCPLOCALIP=2001:db8::1");
	expect_env("PROXY_AUTHORITY=example.org");
	expect_env("PROXY_ALPN=h2");
	expect_env("PROXY_UNIQUE_ID=conn-42");
	expect_env("PROXY_SSL_VERSION=TLSv1.3");
	expect_env("PROXY_SSL_CN=alice");
	expect_env("PROXY_SSL_CIPHER=AES128");
	/* LOCAL: a balancer's health check, the socket's own addresses. */
	pp2_start(&p, 0, 0x00);
	pp2_done(&p);
	exchange(port, p.b, p.n);
	expect_env("TCPREMOTEIP=127.0.0.1");
	expect_env("TCPLOCALIP=127.0.0.1");
	snprintf(want, sizeof(want), "TCPLOCALPORT=%d", port);
	expect_env(want);
	expect_env("PROXYREMOTEIP=127.0.0.1");
	ck_assert_ptr_null(strstr(out, "PROXY_UNIQUE_ID"));
}
END_TEST

START_TEST(untrusted_invalid_and_late_headers_are_refused_and_counted)
{
	static struct pp2 p;
	int pu, pv, pt, fd;

	start(HEAD "[u]\nport = 0\nexec = echo\nproxy_protocol = v1\n"
	           "proxy_from = 127.0.0.9\n"
	           "[v]\nport = 0\nexec = echo\nproxy_protocol = v1\n"
	           "proxy_from = 127.0.0.1\n"
	           "[t]\nport = 0\nexec = echo\nproxy_protocol = any\n"
	           "proxy_from = 127.0.0.1\nproxy_timeout = 300ms\n");
	pu = superd_port(&sd, "u");
	pv = superd_port(&sd, "v");
	pt = superd_port(&sd, "t");
	/* Not a balancer: refused before a byte is read. */
	ck_assert_uint_eq(exchange(pu, V1_HDR "hi\n", strlen(V1_HDR) + 3), 0);
	expect_stat(&sd, "u", "refused_proxy_untrusted=1 ");
	/* Not a header, a v2 header where v1 is configured, a partial
	 * header and then EOF. */
	ck_assert_uint_eq(exchange(pv, "GET / HTTP/1.0\r\n\r\n", 18), 0);
	pp2_start(&p, 1, 0x11);
	pp2_tcp4(&p, "192.0.2.7", "198.51.100.1", 1, 2);
	pp2_done(&p);
	ck_assert_uint_eq(exchange(pv, p.b, p.n), 0);
	ck_assert_uint_eq(exchange(pv, "PROXY TCP4 1.2.3.4", 18), 0);
	expect_stat(&sd, "v", "refused_proxy_invalid=3 ");
	/* Half a header and silence: closed at proxy_timeout. */
	fd = tcp_connect("127.0.0.1", pt);
	tcp_send(fd, p.b, 10);
	ck_assert_uint_eq(tcp_read_all(fd, out, sizeof(out), WAIT_MS), 0);
	close(fd);
	expect_stat(&sd, "t", "refused_proxy_timeout=1 ");
	expect_stat(&sd, "t", "accepted=0 ");
}
END_TEST

/* Sends buf one byte per write, TCP_NODELAY, a pause between writes. */
static void
send_bytewise(int fd, const unsigned char *buf, size_t len)
{
	int on = 1;
	size_t i;

	ck_assert_int_eq(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
	                     sizeof(on)),
	    0);
	for (i = 0; i < len; i++) {
		tcp_send(fd, buf + i, 1);
		harness_sleep_ms(5);
	}
}

START_TEST(a_header_split_into_many_writes_is_accepted_in_time)
{
	static struct pp2 p;
	int port, fd;

	start(HEAD "[p]\nport = 0\nexec = %s\nproxy_protocol = any\n"
	           "proxy_from = 127.0.0.1\nproxy_timeout = 20s\n",
	    harness_probe_bin());
	port = superd_port(&sd, "p");
	fd = tcp_connect("127.0.0.1", port);
	send_bytewise(fd, (const unsigned char *)V1_HDR, strlen(V1_HDR));
	(void)answer(fd);
	close(fd);
	expect_env("TCPREMOTEIP=192.0.2.7");
	pp2_start(&p, 1, 0x11);
	pp2_tcp4(&p, "192.0.2.8", "198.51.100.1", 40000, 443);
	pp2_tlv(&p, 0x05, "split", 5);
	pp2_crc(&p);
	fd = tcp_connect("127.0.0.1", port);
	send_bytewise(fd, p.b, p.n);
	(void)answer(fd);
	close(fd);
	expect_env("TCPREMOTEIP=192.0.2.8");
	expect_env("PROXY_UNIQUE_ID=split");
}
END_TEST

/* max_per_source, deny and TCPCONCURRENCY see the header's client: two
 * clients behind one balancer address are told apart. */
START_TEST(limits_apply_to_the_client_the_header_names)
{
	const char *a = "PROXY TCP4 192.0.2.1 198.51.100.1 1000 7\r\n";
	const char *b = "PROXY TCP4 192.0.2.2 198.51.100.1 1000 7\r\n";
	const char *c = "PROXY TCP4 192.0.2.3 198.51.100.1 1000 7\r\n";
	char line[256];
	int port, fa, fb;

	start(HEAD "[h]\nport = 0\nproxy_protocol = v1\n"
	           "proxy_from = 127.0.0.1\nmax_per_source = 1\n"
	           "reject_message = busy\\n\ndeny = 192.0.2.3\n"
	           "exec = sh -c 'echo \"$TCPREMOTEIP $TCPCONCURRENCY\"; read "
	           "x'\n");
	port = superd_port(&sd, "h");
	fa = tcp_connect("127.0.0.1", port);
	tcp_send(fa, a, strlen(a));
	tcp_read_line(fa, line, sizeof(line));
	ck_assert_str_eq(line, "192.0.2.1 1\n");
	fb = tcp_connect("127.0.0.1", port);
	tcp_send(fb, b, strlen(b));
	tcp_read_line(fb, line, sizeof(line));
	ck_assert_str_eq(line, "192.0.2.2 1\n");
	exchange(port, a, strlen(a));
	ck_assert_str_eq(out, "busy\n");
	ck_assert_uint_eq(exchange(port, c, strlen(c)), 0);
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "source 192.0.2.1/32 at max_per_source", WAIT_MS, NULL));
	expect_stat(&sd, "h",
	    "refused_per_source=1 refused_rate=0 "
	    "refused_acl=1 ");
	close(fa);
	close(fb);
}
END_TEST

/* Silent connections fill the flooded service's waiting table (its
 * max_connections) and then wait in the backlog: the other services,
 * proxied or not, answer at once, while every silent one still waits. */
START_TEST(a_flood_of_silent_connections_does_not_delay_other_services)
{
	enum { FLOOD = 40 };
	int fds[FLOOD], pf, pp, pe, i;
	size_t n;

	start(HEAD "[flood]\nport = 0\nexec = echo\nproxy_protocol = v1\n"
	           "proxy_from = 127.0.0.1\nproxy_timeout = 60s\n"
	           "max_connections = 8\n"
	           "[other]\nport = 0\nexec = echo\nproxy_protocol = v1\n"
	           "proxy_from = 127.0.0.1\n"
	           "[plain]\nport = 0\nexec = echo\n");
	pf = superd_port(&sd, "flood");
	pp = superd_port(&sd, "other");
	pe = superd_port(&sd, "plain");
	for (i = 0; i < FLOOD; i++) {
		fds[i] = tcp_connect("127.0.0.1", pf);
		ck_assert_int_ge(fds[i], 0);
	}
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "flood: 8 connections wait for a PROXY header", WAIT_MS, NULL));
	n = exchange(pp, V1_HDR "other\n", strlen(V1_HDR) + 6);
	ck_assert_uint_eq(n, 6);
	ck_assert_str_eq(out, "other\n");
	n = exchange(pe, "plain\n", 6);
	ck_assert_str_eq(out, "plain\n");
	/* Nothing of the flood was closed or timed out meanwhile. */
	expect_stat(&sd, "flood", "refused_proxy_timeout=0 ");
	expect_stat(&sd, "flood", "proxy_full=1");
	/* One of the waiting ones speaks: served, and one more waits. */
	tcp_send(fds[0], V1_HDR "late\n", strlen(V1_HDR) + 5);
	ck_assert_str_eq(answer(fds[0]), "late\n");
	for (i = 0; i < FLOOD; i++)
		close(fds[i]);
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "flood: fewer connections wait for a PROXY header", WAIT_MS, NULL));
}
END_TEST

/* Rewrites proxy.ini with text, SIGHUP, waits for "reloaded". */
static void
reload(const char *text)
{
	char *self = harness_as_self(text);
	size_t from;

	harness_file("proxy.ini", self);
	free(self);
	superd_drain(&sd);
	from = sd.loglen;
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	ck_assert_msg(superd_wait_log(&sd, "reloaded", WAIT_MS, &from) != NULL,
	    "no reload:\n%s", sd.log);
}

/* A connection from 127.0.0.1:client to 127.0.0.1:server. */
struct conn_ports {
	int server, client;
};

/* Whether superd has accepted it: in /proc/net/tcp, a connection still
 * in the listen backlog has no socket inode yet (0); accept gives it one.
 * (Counting superd's fds would race with its other fds.) */
static bool
accepted(void *arg)
{
	const struct conn_ports *c = arg;
	char line[512], want[64];
	unsigned long inode;
	FILE *fp = fopen("/proc/net/tcp", "re");
	bool found = false;

	if (fp == NULL)
		return false;
	snprintf(want, sizeof(want), "0100007F:%04X 0100007F:%04X", c->server,
	    c->client);
	while (!found && fgets(line, sizeof(line), fp) != NULL)
		found = strstr(line, want) != NULL &&
		    sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %lu",
		        &inode) == 1 &&
		    inode != 0;
	fclose(fp);
	return found;
}

/* Connects and sends half a header; returns once superd holds it. */
static int
half_a_header(int port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct conn_ports c = { port, 0 };
	int fd = tcp_connect("127.0.0.1", port);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	c.client = ntohs(sin.sin_port);
	tcp_send(fd, "PROXY TCP4 192.0.2.5 ", 21);
	ck_assert(harness_until(accepted, &c, WAIT_MS));
	return fd;
}

START_TEST(a_reload_keeps_connections_waiting_for_their_header)
{
	const char *conf = HEAD "[p]\nport = 0\nexec = echo\n"
	                        "proxy_protocol = v1\nproxy_from = 127.0.0.1\n"
	                        "proxy_timeout = 20s\n";
	const char *rest = "198.51.100.1 1 2\r\nstill here\n";
	char conf2[512];
	int port, fd;

	start("%s", conf);
	port = superd_port(&sd, "p");
	fd = half_a_header(port);
	snprintf(conf2, sizeof(conf2), "%s[other]\nport = 0\nexec = echo\n",
	    conf);
	reload(conf2);
	tcp_send(fd, rest, strlen(rest));
	ck_assert_str_eq(answer(fd), "still here\n");
	close(fd);
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "connection from 192.0.2.5:1 via 127.0.0.1:", WAIT_MS, NULL));
	/* The service no longer takes a header: the waiting one is closed. */
	fd = half_a_header(port);
	reload(HEAD "[p]\nport = 0\nexec = echo\n");
	ck_assert_uint_eq(tcp_read_all(fd, out, sizeof(out), WAIT_MS), 0);
	close(fd);
}
END_TEST

/* The table of waiting connections is as big as max_children: a reload
 * that raises it makes room at once for a client held in the backlog. */
START_TEST(a_reload_raising_max_children_lets_more_connections_wait)
{
	const char *svc = "[p]\nport = 0\nexec = echo\nproxy_protocol = v1\n"
	                  "proxy_from = 127.0.0.1\nproxy_timeout = 20s\n";
	char conf[512];
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct conn_ports c;
	int port, fd[3], i;

	start("[supervisor]\nmax_children = 2\n" HEAD "%s", svc);
	port = superd_port(&sd, "p");
	fd[0] = half_a_header(port);
	fd[1] = half_a_header(port);
	fd[2] = tcp_connect("127.0.0.1", port);
	ck_assert_int_ge(fd[2], 0);
	ck_assert_int_eq(getsockname(fd[2], (struct sockaddr *)&sin, &len), 0);
	c.server = port;
	c.client = ntohs(sin.sin_port);
	harness_sleep_ms(300);
	ck_assert_msg(!accepted(&c),
	    "a third connection waits with "
	    "max_children = 2");
	snprintf(conf, sizeof(conf),
	    "[supervisor]\nmax_children = 4\n" HEAD "%s", svc);
	reload(conf);
	ck_assert(harness_until(accepted, &c, WAIT_MS));
	tcp_send(fd[2], V1_HDR "third\n", strlen(V1_HDR) + 6);
	ck_assert_str_eq(answer(fd[2]), "third\n");
	for (i = 0; i < 3; i++)
		close(fd[i]);
}
END_TEST

/* The metrics endpoint and the waiting connections share the loop: each
 * is told apart (its own epoll tag), and the refusals show by reason. */
START_TEST(metrics_are_served_while_connections_wait_for_a_header)
{
	const char *get = "GET /metrics HTTP/1.0\r\n\r\n";
	const char *rest = "198.51.100.1 1 2\r\nlate\n";
	int mport = harness_free_port(), port, fd;

	start("[supervisor]\nmetrics = 127.0.0.1:%d\n" HEAD
	      "[p]\nport = 0\nexec = echo\nproxy_protocol = v1\n"
	      "proxy_from = 127.0.0.1\nproxy_timeout = 20s\n",
	    mport);
	port = superd_port(&sd, "p");
	ck_assert_uint_eq(exchange(port, "GET /\r\n", 7), 0);
	fd = half_a_header(port);
	exchange(mport, get, strlen(get));
	ck_assert_msg(strstr(out,
	                  "superd_connections_refused_total{service="
	                  "\"p\",reason=\"proxy_invalid\"} 1\n") != NULL,
	    "%s", out);
	ck_assert_msg(strstr(out,
	                  "superd_proxy_full_total{service=\"p\"} 0\n") != NULL,
	    "%s", out);
	tcp_send(fd, rest, strlen(rest));
	ck_assert_str_eq(answer(fd), "late\n");
	close(fd);
}
END_TEST

/* A connection that waited for its header was accepted already: if the
 * service filled up meanwhile, it is refused (reason max), even with
 * on_max = defer. */
START_TEST(a_header_completed_at_max_connections_is_refused_as_max)
{
	const char *a = "PROXY TCP4 192.0.2.1 198.51.100.1 1 7\r\n";
	const char *b = "PROXY TCP4 192.0.2.2 198.51.100.1 1 7\r\n";
	const char *rest = "198.51.100.1 1 7\r\n";
	char line[256];
	int port, fw, f1, f2;

	start(HEAD "[h]\nport = 0\nproxy_protocol = v1\n"
	           "proxy_from = 127.0.0.1\nmax_connections = 2\n"
	           "reject_message = busy\\n\n"
	           "exec = sh -c 'echo \"$TCPREMOTEIP\"; read x'\n");
	port = superd_port(&sd, "h");
	fw = half_a_header(port);
	f1 = tcp_connect("127.0.0.1", port);
	tcp_send(f1, a, strlen(a));
	tcp_read_line(f1, line, sizeof(line));
	ck_assert_str_eq(line, "192.0.2.1\n");
	f2 = tcp_connect("127.0.0.1", port);
	tcp_send(f2, b, strlen(b));
	tcp_read_line(f2, line, sizeof(line));
	ck_assert_str_eq(line, "192.0.2.2\n");
	tcp_send(fw, rest, strlen(rest));
	tcp_read_line(fw, line, sizeof(line));
	ck_assert_str_eq(line, "busy\n");
	expect_stat(&sd, "h", "refused_max=1 ");
	close(fw);
	close(f1);
	close(f2);
}
END_TEST

/* The same with the control socket: its clients and the waiting
 * connections are told apart too. */
START_TEST(the_control_socket_answers_while_connections_wait_for_a_header)
{
	const char *ctl = harness_path("ctl");
	const char *rest = "198.51.100.1 1 2\r\nlate\n";
	int port, fd, cfd;

	start("[supervisor]\ncontrol = %s\n" HEAD
	      "[p]\nport = 0\nexec = echo\nproxy_protocol = v1\n"
	      "proxy_from = 127.0.0.1\nproxy_timeout = 20s\n",
	    ctl);
	port = superd_port(&sd, "p");
	fd = half_a_header(port);
	cfd = unix_connect(ctl);
	ck_assert_int_ne(cfd, -1);
	tcp_send(cfd, "status\n", 7);
	tcp_read_line(cfd, out, sizeof(out));
	ck_assert_str_eq(out, "ok\n");
	close(cfd);
	tcp_send(fd, rest, strlen(rest));
	ck_assert_str_eq(answer(fd), "late\n");
	close(fd);
}
END_TEST

START_TEST(two_instances_with_reuse_port_share_one_port)
{
	char conf[512];
	int port = harness_free_port(), i;
	size_t a, b;

	snprintf(conf, sizeof(conf),
	    HEAD "[e]\nport = %d\nexec = echo\nreuse_port = yes\n", port);
	start_on(&sd, "a.ini", conf);
	start_on(&sd2, "b.ini", conf);
	for (i = 0; i < 64; i++) {
		exchange(port, "x\n", 2);
		ck_assert_str_eq(out, "x\n");
	}
	superd_drain(&sd);
	superd_drain(&sd2);
	a = superd_log_count(&sd, "e[");
	b = superd_log_count(&sd2, "e[");
	/* Each accept and exit logs "e[pid]": both instances served. */
	ck_assert_msg(a > 0 && b > 0 && a + b >= 2 * 64 - 4,
	    "instance a: %zu lines, b: %zu", a, b);
}
END_TEST

START_TEST(without_reuse_port_a_second_instance_cannot_bind)
{
	char conf[512], *self;
	int port = harness_free_port();

	snprintf(conf, sizeof(conf), HEAD "[e]\nport = %d\nexec = echo\n",
	    port);
	start_on(&sd, "a.ini", conf);
	self = harness_as_self(conf);
	superd_start_file(&sd2, harness_file("b.ini", self), NULL);
	free(self);
	ck_assert(superd_wait_exit(&sd2, WAIT_MS));
	ck_assert_ptr_nonnull(strstr(sd2.log, "cannot listen"));
}
END_TEST

/* ---- HAProxy in front of two instances ---- */

/* Whether something listens on 127.0.0.1:port (/proc/net/tcp). */
static bool
listening(void *arg)
{
	char line[512], want[32];
	FILE *fp = fopen("/proc/net/tcp", "re");
	bool found = false;

	if (fp == NULL)
		return false;
	snprintf(want, sizeof(want), "0100007F:%04X 00000000:0000 0A",
	    *(int *)arg);
	while (!found && fgets(line, sizeof(line), fp) != NULL)
		found = strstr(line, want) != NULL;
	fclose(fp);
	return found;
}

/* Runs haproxy -f cfg in the foreground, its log to a file. */
static void
haproxy_start(const char *cfg, int port)
{
	const char *logf = harness_file("haproxy.log", "");
	int fd;

	haproxy_pid = fork();
	ck_assert_int_ne(haproxy_pid, -1);
	if (haproxy_pid == 0) {
		fd = open(logf, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
			_exit(127);
		execl(HAPROXY, "haproxy", "-f", cfg, "-db", (char *)NULL);
		_exit(127);
	}
	if (!harness_until(listening, &port, WAIT_MS)) {
		fd = open(logf, O_RDONLY | O_CLOEXEC);
		out[fd == -1 ? 0 : read(fd, out, sizeof(out) - 1)] = '\0';
		ck_abort_msg("haproxy does not listen on %d:\n%s", port, out);
	}
}

/* A client bound to src through the balancer: the first line its
 * handler says, "" if none before EOF.  The connection stays open in
 * *fd (or -1 when it ended). */
static const char *
via_balancer(const char *src, int port, int *fd)
{
	static char line[512];

	*fd = tcp_connect_from(src, "127.0.0.1", port);
	ck_assert_int_ge(*fd, 0);
	tcp_read_line(*fd, line, sizeof(line));
	if (line[0] == '\0' || strcmp(line, "busy\n") == 0) {
		close(*fd);
		*fd = -1;
	}
	return line;
}

/* Two superd (sd, sd2) behind haproxy, round robin, with health checks
 * (the server options in send): returns the frontend's port. */
static int
haproxy_two_instances(const char *mode, const char *send)
{
	char conf[1024], cfg[2048], hc[1024];
	int pa, pb, fe = harness_free_port();

	snprintf(conf, sizeof(conf),
	    HEAD "[hold]\nport = 0\nproxy_protocol = %s\n"
	         "proxy_from = 127.0.0.1\nmax_per_source = 1\n"
	         "reject_message = busy\\n\ndeny = 127.0.0.4\n"
	         "exec = sh -c 'echo \"$TCPREMOTEIP $PROXYREMOTEIP "
	         "$TCPLOCALPORT id=$PROXY_UNIQUE_ID\"; read x'\n",
	    mode);
	start_on(&sd, "a.ini", conf);
	start_on(&sd2, "b.ini", conf);
	pa = superd_port(&sd, "hold");
	pb = superd_port(&sd2, "hold");
	snprintf(cfg, sizeof(cfg),
	    "defaults\n  mode tcp\n  timeout connect 5s\n"
	    "  timeout client 60s\n  timeout server 60s\n"
	    "frontend fe\n  bind 127.0.0.1:%d\n"
	    "  unique-id-format %%{+X}o\\ %%ci:%%cp_%%Ts_%%rt\n"
	    "  default_backend be\n"
	    "backend be\n  balance roundrobin\n"
	    "  server a 127.0.0.1:%d %s check inter 300ms\n"
	    "  server b 127.0.0.1:%d %s check inter 300ms\n",
	    fe, pa, send, pb, send);
	/* harness_file's buffer is reused by the next call. */
	snprintf(hc, sizeof(hc), "%s", harness_file("haproxy.cfg", cfg));
	haproxy_start(hc, fe);
	return fe;
}

/* Through haproxy (v2 adds unique-id and a CRC32C TLV, which a bad
 * checksum would have refused): each client is seen as itself, limits
 * and deny act on it, and health checks are served. */
static void
haproxy_case(const char *mode, const char *send)
{
	char want[64];
	const char *line;
	int fe, f1, f2, f3, f4, f5;

	if (access(HAPROXY, X_OK) == -1) {
		harness_skip("%s is not installed (apt-get install haproxy)",
		    HAPROXY);
		return;
	}
	fe = haproxy_two_instances(mode, send);
	/* Health checks reach both and are served, as the balancer. */
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "connection from 127.0.0.1:", WAIT_MS, NULL));
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd2, "connection from 127.0.0.1:", WAIT_MS, NULL));
	snprintf(want, sizeof(want), "127.0.0.2 127.0.0.1 %d id=", fe);
	line = via_balancer("127.0.0.2", fe, &f1);
	ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "%s", line);
	if (strcmp(mode, "v2") == 0)
		ck_assert_msg(strlen(line) > strlen(want) + 1, "%s", line);
	line = via_balancer("127.0.0.2", fe, &f2);
	ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "%s", line);
	/* A third from 127.0.0.2: whichever instance it lands on has one. */
	line = via_balancer("127.0.0.2", fe, &f3);
	ck_assert_str_eq(line, "busy\n");
	/* The same balancer address, another client: served. */
	line = via_balancer("127.0.0.3", fe, &f4);
	ck_assert_msg(strncmp(line, "127.0.0.3 127.0.0.1 ", 20) == 0, "%s",
	    line);
	/* deny names a client, not the balancer. */
	line = via_balancer("127.0.0.4", fe, &f5);
	ck_assert_str_eq(line, "");
	superd_drain(&sd);
	superd_drain(&sd2);
	ck_assert(
	    strstr(sd.log, "source 127.0.0.2/32 at max_per_source") != NULL ||
	    strstr(sd2.log, "source 127.0.0.2/32 at max_per_source") != NULL);
	ck_assert_ptr_nonnull(strstr(sd.log, "connection from 127.0.0.2:"));
	ck_assert_ptr_nonnull(strstr(sd2.log, "connection from 127.0.0.2:"));
	expect_stat(&sd, "hold", "refused_proxy_invalid=0 ");
	expect_stat(&sd2, "hold", "refused_proxy_invalid=0 ");
	close(f1);
	close(f2);
	close(f4);
}

START_TEST(haproxy_send_proxy_v1_in_front_of_two_instances)
{
	haproxy_case("v1", "send-proxy");
}
END_TEST

START_TEST(haproxy_send_proxy_v2_with_tlvs_in_front_of_two_instances)
{
	haproxy_case("v2", "send-proxy-v2 proxy-v2-options unique-id,crc32c");
}
END_TEST

static Suite *
make_proxy_suite(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("proxy");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, a_v1_header_gives_the_handler_the_real_client);
	tcase_add_test(tc,
	    the_bytes_after_the_header_reach_the_handler_untouched);
	tcase_add_test(tc,
	    a_v2_header_passes_its_tlvs_and_local_keeps_the_socket);
	tcase_add_test(tc,
	    untrusted_invalid_and_late_headers_are_refused_and_counted);
	tcase_add_test(tc, a_header_split_into_many_writes_is_accepted_in_time);
	tcase_add_test(tc, limits_apply_to_the_client_the_header_names);
	tcase_add_test(tc,
	    a_flood_of_silent_connections_does_not_delay_other_services);
	tcase_add_test(tc, a_reload_keeps_connections_waiting_for_their_header);
	tcase_add_test(tc,
	    a_reload_raising_max_children_lets_more_connections_wait);
	tcase_add_test(tc,
	    metrics_are_served_while_connections_wait_for_a_header);
	tcase_add_test(tc,
	    a_header_completed_at_max_connections_is_refused_as_max);
	tcase_add_test(tc,
	    the_control_socket_answers_while_connections_wait_for_a_header);
	tcase_add_test(tc, two_instances_with_reuse_port_share_one_port);
	tcase_add_test(tc, without_reuse_port_a_second_instance_cannot_bind);
	suite_add_tcase(s, tc);

	tc = tcase_create("programs");
	tcase_set_tags(tc, "programs");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, haproxy_send_proxy_v1_in_front_of_two_instances);
	tcase_add_test(tc,
	    haproxy_send_proxy_v2_with_tlvs_in_front_of_two_instances);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_proxy_suite());
}
