/* loadgen: a closed-loop TCP load generator for the benchmark.  One thread,
 * one epoll loop, non-blocking sockets; keeps -c connections in flight on a
 * loopback address until -n have finished.  Also a non-forking echo server
 * (-S) to measure loadgen against itself, a hold mode (-H) that keeps
 * the connections open once echoed, and a latency mode (-L) against the
 * stamp handler, which writes the time it started. */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchtool.h"

#define EVENTS_MAX 256
#define READ_BUF 16384

enum err_kind { E_REFUSED, E_RESET, E_TIMEOUT, E_WRONG, E_OTHER, E_KINDS };

static const char *const err_names[E_KINDS] = { "refused", "reset", "timeout",
	"wrong", "other" };

enum conn_state { C_FREE, C_CONNECTING, C_WRITING, C_READING };

struct conn {
	int fd;
	enum conn_state state;
	uint32_t events; /* registered with epoll; 0: not registered */
	size_t sent, got;
	long long start_us, deadline_us;
	char stamp[24]; /* -L: what the handler wrote */
};

struct opts {
	long conc, total, timeout_ms, hold_s;
	const char *msg;
	size_t msglen;
	/* What is sent: a PROXY header line (-x, not echoed), then msg. */
	char *out;
	size_t outlen;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char label[INET6_ADDRSTRLEN + 8];
	bool json, serve, free_port, stamp, ws;
};

struct lg {
	const struct opts *o;
	int ep;
	struct conn *slots;
	long *freelist, nfree;
	long started, finished, ok;
	uint32_t *lat; /* µs, one per successful connection */
	long errs[E_KINDS];
	int other_errno;
	int *held;
	long nheld;
	long long t0, t1;
};

static _Noreturn void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen [-c CONC] [-n CONNS] [-m MSG] [-h HOST] -p PORT\n"
	    "               [-t TIMEOUT_MS] [-H HOLD_S] [-x HEADER] [-L] [-W] "
	    "[-j]\n"
	    "       loadgen -S [-h HOST] [-p PORT] [-H LIFETIME_S]\n"
	    "       loadgen -P [-h HOST]\n"
	    "  -c  connections in flight (default 8)\n"
	    "  -n  connections in all (default 5000)\n"
	    "  -m  message sent and expected back (default \"ping\\n\")\n"
	    "  -x  a line sent first, CRLF added, not expected back (a PROXY\n"
	    "      protocol v1 header: \"PROXY TCP4 192.0.2.1 127.0.0.1 1 "
	    "7\")\n"
	    "  -h  loopback address only: 127.0.0.0/8 or ::1 (default "
	    "127.0.0.1)\n"
	    "  -t  per-connection timeout in ms (default 10000)\n"
	    "  -H  hold: keep each connection open once echoed, no "
	    "half-close;\n"
	    "      print \"held N\" when all are, then wait HOLD_S seconds\n"
	    "  -L  latency: send nothing, read the stamp handler's start time\n"
	    "      (CLOCK_MONOTONIC us); a connection's latency is that minus\n"
	    "      the time just before its connect\n"
	    "  -W  WebSocket (a protocol = websocket echo service): the\n"
	    "      upgrade and one masked text frame of MSG (without its\n"
	    "      newline), then the half-close; expects the 101, MSG back\n"
	    "      as a text frame and close 1000\n"
	    "  -j  one JSON line instead of text\n"
	    "  -S  serve: non-forking echo server (measures loadgen "
	    "itself)\n"
	    "  -P  print a free port on HOST and exit\n");
	exit(2);
}

static long
opt_num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "loadgen: %s: not a number in %ld-%ld\n", s,
		    min, max);
		exit(2);
	}
	return v;
}

/* Loopback only: this tool must never load anything but this machine. */
static void
opt_host(struct opts *o, const char *host, long port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&o->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&o->ss;

	memset(&o->ss, 0, sizeof(o->ss));
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
			goto refuse;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)port);
		o->sslen = sizeof(*sin);
		snprintf(o->label, sizeof(o->label), "%s:%ld", host, port);
		return;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			goto refuse;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)port);
		o->sslen = sizeof(*sin6);
		snprintf(o->label, sizeof(o->label), "[%s]:%ld", host, port);
		return;
	}
refuse:
	fprintf(stderr,
	    "loadgen: %s: not a loopback address (127.0.0.0/8 "
	    "or ::1)\n",
	    host);
	exit(2);
}

/* The bytes each connection sends: "HEADER\r\n" (for a superd service
 * with proxy_protocol, which reads it off), then the message. */
static void
opt_out(struct opts *o, const char *header)
{
	size_t hlen = header != NULL ? strlen(header) + 2 : 0;

	o->outlen = hlen + o->msglen;
	if ((o->out = malloc(o->outlen + 1)) == NULL)
		die("malloc");
	if (header != NULL)
		snprintf(o->out, hlen + 1, "%s\r\n", header);
	memcpy(o->out + hlen, o->msg, o->msglen + 1);
}

/* -W: the client's bytes (the upgrade, MSG as one masked text frame; its
 * key is RFC 6455's example, so the 101 is known) and the bytes expected
 * back (the 101, MSG as a text frame, close 1000), both fixed. */
static void
opt_ws(struct opts *o)
{
	static const char req[] =
	    "GET / HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
	static const char ok[] =
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
	static const unsigned char mask[4] = { 0x5a, 0x3c, 0x11, 0x77 };
	size_t len = strcspn(o->msg, "\n"), i;
	char *exp, *out;

	if (len > 125)
		usage();
	out = malloc(sizeof(req) + 6 + len);
	exp = malloc(sizeof(ok) + 2 + len + 4);
	if (out == NULL || exp == NULL)
		die("malloc");
	memcpy(out, req, sizeof(req) - 1);
	o->outlen = sizeof(req) - 1;
	out[o->outlen++] = (char)0x81;
	out[o->outlen++] = (char)(0x80 | len);
	memcpy(out + o->outlen, mask, 4);
	o->outlen += 4;
	for (i = 0; i < len; i++)
		out[o->outlen++] = (char)(o->msg[i] ^ mask[i & 3]);
	memcpy(exp, ok, sizeof(ok) - 1);
	o->msglen = sizeof(ok) - 1;
	exp[o->msglen++] = (char)0x81;
	exp[o->msglen++] = (char)len;
	memcpy(exp + o->msglen, o->msg, len);
	o->msglen += len;
	memcpy(exp + o->msglen, "\x88\x02\x03\xe8", 4);
	o->msglen += 4;
	o->out = out;
	o->msg = exp;
}

static void
opt_parse(struct opts *o, int argc, char *argv[])
{
	const char *host = "127.0.0.1", *header = NULL;
	long port = -1;
	int ch;

	memset(o, 0, sizeof(*o));
	o->conc = 8;
	o->total = 5000;
	o->timeout_ms = 10000;
	o->msg = "ping\n";
	while ((ch = getopt(argc, argv, "c:n:m:p:h:t:H:x:LWjSP")) != -1) {
		switch (ch) {
		case 'c':
			o->conc = opt_num(optarg, 1, 100000);
			break;
		case 'n':
			o->total = opt_num(optarg, 1, 100000000);
			break;
		case 'm':
			o->msg = optarg;
			break;
		case 'p':
			port = opt_num(optarg, 0, 65535);
			break;
		case 'h':
			host = optarg;
			break;
		case 't':
			o->timeout_ms = opt_num(optarg, 1, 3600000);
			break;
		case 'H':
			o->hold_s = opt_num(optarg, 0, 3600);
			break;
		case 'x':
			header = optarg;
			break;
		case 'L':
			o->stamp = true;
			break;
		case 'W':
			o->ws = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'S':
			o->serve = true;
			break;
		case 'P':
			o->free_port = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (port == -1 && !o->serve && !o->free_port)
		usage();
	opt_host(o, host, port == -1 ? 0 : port);
	if (o->stamp)
		o->msg = "";
	o->msglen = strlen(o->msg);
	if (o->ws)
		opt_ws(o);
	else
		opt_out(o, header);
	if (o->conc > o->total)
		o->conc = o->total;
}

/* Room for every socket in flight and every one held; need 0 just takes
 * the soft limit up to the hard one. */
static void
raise_nofile(long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		die("getrlimit");
	if (need > 0 && (rlim_t)need <= rl.rlim_cur)
		return;
	rl.rlim_cur =
	    need > 0 && (rlim_t)need < rl.rlim_max ? (rlim_t)need : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		die("setrlimit");
	if (need > 0 && (rlim_t)need > rl.rlim_cur) {
		fprintf(stderr, "loadgen: need %ld fds, hard limit is %lu\n",
		    need, (unsigned long)rl.rlim_max);
		exit(2);
	}
}

static void
conn_watch(struct lg *g, long i, uint32_t events)
{
	struct conn *c = &g->slots[i];
	struct epoll_event ev;

	if (c->events == events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = (uint64_t)i;
	if (epoll_ctl(g->ep, c->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD,
	        c->fd, &ev) == -1)
		die("epoll_ctl");
	c->events = events;
}

static void
conn_release(struct lg *g, long i)
{
	g->slots[i].state = C_FREE;
	g->slots[i].fd = -1;
	g->slots[i].events = 0;
	g->freelist[g->nfree++] = i;
	g->finished++;
	g->t1 = now_us();
}

static void
conn_fail(struct lg *g, long i, enum err_kind kind, int err)
{
	if (kind == E_OTHER && g->other_errno == 0)
		g->other_errno = err;
	g->errs[kind]++;
	if (g->slots[i].fd != -1)
		close(g->slots[i].fd);
	conn_release(g, i);
}

static void
conn_fail_errno(struct lg *g, long i, int err)
{
	switch (err) {
	case ECONNREFUSED:
		conn_fail(g, i, E_REFUSED, err);
		break;
	case ECONNRESET:
	case EPIPE:
		conn_fail(g, i, E_RESET, err);
		break;
	default:
		conn_fail(g, i, E_OTHER, err);
	}
}

static void
conn_done(struct lg *g, long i)
{
	struct conn *c = &g->slots[i];
	long long t = now_us();

	if (g->o->stamp)
		t = strtoll(c->stamp, NULL, 10);
	g->lat[g->ok++] = t > c->start_us ? (uint32_t)(t - c->start_us) : 0;
	if (g->o->hold_s > 0) {
		if (epoll_ctl(g->ep, EPOLL_CTL_DEL, c->fd, NULL) == -1)
			die("epoll_ctl");
		g->held[g->nheld++] = c->fd;
	} else {
		close(c->fd);
	}
	conn_release(g, i);
}

/* -L: the stamp handler's one line, then end of file. */
static void
conn_read_stamp(struct lg *g, long i)
{
	struct conn *c = &g->slots[i];
	ssize_t n;

	for (;;) {
		n = read(c->fd, c->stamp + c->got,
		    sizeof(c->stamp) - 1 - c->got);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			conn_fail_errno(g, i, errno);
			return;
		}
		if (n == 0) {
			c->stamp[c->got] = '\0';
			if (c->got > 1 && c->stamp[c->got - 1] == '\n')
				conn_done(g, i);
			else
				conn_fail(g, i, E_WRONG, 0);
			return;
		}
		c->got += (size_t)n;
		if (c->got == sizeof(c->stamp) - 1) {
			conn_fail(g, i, E_WRONG, 0);
			return;
		}
	}
}

/* Reads what has arrived; the reply must be exactly the message. */
static void
conn_read(struct lg *g, long i)
{
	struct conn *c = &g->slots[i];
	char buf[READ_BUF];
	ssize_t n;

	for (;;) {
		n = read(c->fd, buf, sizeof(buf));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			conn_fail_errno(g, i, errno);
			return;
		}
		if (n == 0) {
			if (c->got == g->o->msglen && g->o->hold_s == 0)
				conn_done(g, i);
			else
				conn_fail(g, i, E_WRONG, 0);
			return;
		}
		if (c->got + (size_t)n > g->o->msglen ||
		    memcmp(buf, g->o->msg + c->got, (size_t)n) != 0) {
			conn_fail(g, i, E_WRONG, 0);
			return;
		}
		c->got += (size_t)n;
		if (g->o->hold_s > 0 && c->got == g->o->msglen) {
			conn_done(g, i);
			return;
		}
	}
}

/* Sends the message, then half-closes so the handler sees EOF (not in hold
 * mode: there the handler must stay). */
static void
conn_write(struct lg *g, long i)
{
	struct conn *c = &g->slots[i];
	ssize_t n;

	while (c->sent < g->o->outlen) {
		n = send(c->fd, g->o->out + c->sent, g->o->outlen - c->sent,
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				conn_watch(g, i, EPOLLOUT);
				return;
			}
			conn_fail_errno(g, i, errno);
			return;
		}
		c->sent += (size_t)n;
	}
	if (g->o->hold_s == 0 && shutdown(c->fd, SHUT_WR) == -1) {
		conn_fail_errno(g, i, errno);
		return;
	}
	c->state = C_READING;
	conn_watch(g, i, EPOLLIN);
}

static void
conn_step(struct lg *g, long i)
{
	struct conn *c = &g->slots[i];
	socklen_t len = sizeof(int);
	int err = 0;

	switch (c->state) {
	case C_CONNECTING:
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0) {
			conn_fail_errno(g, i, err);
			return;
		}
		c->state = C_WRITING;
		conn_write(g, i);
		return;
	case C_WRITING:
		conn_write(g, i);
		return;
	case C_READING:
		if (g->o->stamp)
			conn_read_stamp(g, i);
		else
			conn_read(g, i);
		return;
	case C_FREE:
		return;
	}
}

static void
conn_start(struct lg *g)
{
	long i = g->freelist[--g->nfree];
	struct conn *c = &g->slots[i];

	memset(c, 0, sizeof(*c));
	g->started++;
	c->start_us = now_us();
	c->deadline_us = c->start_us + g->o->timeout_ms * 1000;
	c->fd = socket(g->o->ss.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		conn_fail(g, i, E_OTHER, errno);
		return;
	}
	if (connect(c->fd, (const struct sockaddr *)&g->o->ss, g->o->sslen) ==
	    0) {
		c->state = C_WRITING;
		conn_write(g, i);
		return;
	}
	if (errno != EINPROGRESS) {
		conn_fail_errno(g, i, errno);
		return;
	}
	c->state = C_CONNECTING;
	conn_watch(g, i, EPOLLOUT);
}

/* Fails connections past their deadline; returns ms to the next one. */
static int
conn_sweep(struct lg *g)
{
	long long now = now_us(), next = -1;
	long i;

	for (i = 0; i < g->o->conc; i++) {
		if (g->slots[i].state == C_FREE)
			continue;
		if (g->slots[i].deadline_us <= now) {
			conn_fail(g, i, E_TIMEOUT, 0);
			continue;
		}
		if (next == -1 || g->slots[i].deadline_us < next)
			next = g->slots[i].deadline_us;
	}
	if (next == -1)
		return -1;
	return (int)((next - now + 999) / 1000);
}

static void
lg_init(struct lg *g, const struct opts *o)
{
	long i;

	memset(g, 0, sizeof(*g));
	g->o = o;
	raise_nofile(o->conc + (o->hold_s > 0 ? o->total : 0) + 16);
	g->ep = epoll_create1(EPOLL_CLOEXEC);
	g->slots = calloc((size_t)o->conc, sizeof(*g->slots));
	g->freelist = calloc((size_t)o->conc, sizeof(*g->freelist));
	g->lat = calloc((size_t)o->total, sizeof(*g->lat));
	g->held =
	    calloc(o->hold_s > 0 ? (size_t)o->total : 1, sizeof(*g->held));
	if (g->ep == -1 || g->slots == NULL || g->freelist == NULL ||
	    g->lat == NULL || g->held == NULL)
		die("init");
	for (i = o->conc - 1; i >= 0; i--)
		g->freelist[g->nfree++] = i;
}

static void
lg_run(struct lg *g)
{
	struct epoll_event evs[EVENTS_MAX];
	int n, k, timeout;

	g->t0 = g->t1 = now_us();
	while (g->finished < g->o->total) {
		while (g->nfree > 0 && g->started < g->o->total)
			conn_start(g);
		timeout = conn_sweep(g);
		if (g->finished >= g->o->total)
			break;
		n = epoll_wait(g->ep, evs, EVENTS_MAX, timeout);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (k = 0; k < n; k++)
			conn_step(g, (long)evs[k].data.u64);
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of the sorted latencies. */
static uint32_t
pct(const struct lg *g, int p)
{
	long rank;

	if (g->ok == 0)
		return 0;
	rank = (g->ok * p + 99) / 100;
	return g->lat[rank < 1 ? 0 : rank - 1];
}

static long
lg_errors(const struct lg *g)
{
	long sum = 0;
	int k;

	for (k = 0; k < E_KINDS; k++)
		sum += g->errs[k];
	return sum;
}

static void
lg_report(struct lg *g)
{
	double secs = (double)(g->t1 - g->t0) / 1e6;
	double cps = secs > 0 ? (double)g->ok / secs : 0;
	int k;

	qsort(g->lat, (size_t)g->ok, sizeof(*g->lat), cmp_u32);
	if (g->o->json) {
		printf("{\"target\":\"%s\",\"conc\":%ld,\"conns\":%ld,"
		       "\"ok\":%ld,\"secs\":%.4f,\"cps\":%.1f,\"p50_us\":%u,"
		       "\"p99_us\":%u,\"max_us\":%u,\"errors\":%ld",
		    g->o->label, g->o->conc, g->o->total, g->ok, secs, cps,
		    pct(g, 50), pct(g, 99), pct(g, 100), lg_errors(g));
		for (k = 0; k < E_KINDS; k++)
			printf(",\"%s\":%ld", err_names[k], g->errs[k]);
		printf(",\"other_errno\":\"%s\"}\n",
		    g->other_errno ? strerror(g->other_errno) : "");
	} else {
		printf("loadgen: %s c=%ld n=%ld: %.1f conn/s in %.3fs; "
		       "latency us p50 %u p99 %u max %u; errors %ld",
		    g->o->label, g->o->conc, g->o->total, cps, secs, pct(g, 50),
		    pct(g, 99), pct(g, 100), lg_errors(g));
		for (k = 0; k < E_KINDS; k++)
			printf("%s%s %ld", k ? ", " : " (", err_names[k],
			    g->errs[k]);
		if (g->other_errno)
			printf(": %s", strerror(g->other_errno));
		printf(")\n");
	}
	fflush(stdout);
}

/* Hold mode: every connection is open and echoed; say so, then wait. */
static void
lg_hold(struct lg *g)
{
	struct timespec ts;
	long i;

	printf("held %ld\n", g->nheld);
	fflush(stdout);
	ts.tv_sec = g->o->hold_s;
	ts.tv_nsec = 0;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	for (i = 0; i < g->nheld; i++)
		close(g->held[i]);
}

static int
listen_loopback(const struct opts *o)
{
	int fd, on = 1;

	fd = socket(o->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		die("setsockopt");
	if (bind(fd, (const struct sockaddr *)&o->ss, o->sslen) == -1)
		die("bind");
	if (listen(fd, 1024) == -1)
		die("listen");
	return fd;
}

static unsigned
local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		die("getsockname");
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)(void *)&ss)->sin_port);
}

/* -S: echo each chunk back as it arrives, close at EOF.  No fork, so what
 * limits a run against it is loadgen and the kernel's loopback. */
static void
serve_echo(int ep, int fd)
{
	char buf[READ_BUF];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0 && send(fd, buf, (size_t)n, MSG_NOSIGNAL) == n)
			continue;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
		close(fd);
		return;
	}
}

static int
serve(const struct opts *o)
{
	struct epoll_event ev, evs[EVENTS_MAX];
	long long end = now_us() + (o->hold_s ? o->hold_s : 300) * 1000000LL;
	int lfd, ep, fd, n, k;

	raise_nofile(0);
	lfd = listen_loopback(o);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep == -1)
		die("epoll_create1");
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1)
		die("epoll_ctl");
	printf("listening on port %u\n", local_port(lfd));
	fflush(stdout);
	while (now_us() < end) {
		n = epoll_wait(ep, evs, EVENTS_MAX, 1000);
		for (k = 0; k < n; k++) {
			if (evs[k].data.fd != lfd) {
				serve_echo(ep, evs[k].data.fd);
				continue;
			}
			while ((fd = accept4(lfd, NULL, NULL,
			            SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
				ev.events = EPOLLIN;
				ev.data.fd = fd;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
					close(fd);
			}
		}
	}
	return 0;
}

static void
lg_free(struct lg *g)
{
	close(g->ep);
	free(g->slots);
	free(g->freelist);
	free(g->lat);
	free(g->held);
}

int
main(int argc, char *argv[])
{
	struct opts o;
	struct lg g;
	int fd, rc;

	opt_parse(&o, argc, argv);
	signal(SIGPIPE, SIG_IGN);
	if (o.free_port) {
		fd = listen_loopback(&o);
		printf("%u\n", local_port(fd));
		rc = 0;
	} else if (o.serve) {
		rc = serve(&o);
	} else {
		lg_init(&g, &o);
		lg_run(&g);
		lg_report(&g);
		if (o.hold_s > 0 && lg_errors(&g) == 0)
			lg_hold(&g);
		rc = lg_errors(&g) == 0 ? 0 : 1;
		lg_free(&g);
	}
	free(o.out); /* a sanitizer build counts it as a leak otherwise */
	return rc;
}
