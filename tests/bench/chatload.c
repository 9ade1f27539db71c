/* chatload: the benchmark's chat client.  Joins N participants to each of
 * the chat services on the given loopback ports (one room per service:
 * a room holds 64), lets each send M lines carrying the time they were
 * sent, paced evenly, and measures the delivery latency of every copy that
 * reaches the other participants of its room.  One thread, one epoll
 * loop. */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchtool.h"

#define PORTS_MAX 16
#define LINE_MAX_IN 1024
#define EVENTS_MAX 256

struct part {
	int fd;
	int room;
	size_t have;
	char buf[LINE_MAX_IN];
};

struct cl {
	struct part *p;
	long n, per_room, rooms, msgs;
	int ep;
	uint32_t *lat;
	long nlat, expected, greeted;
};

static _Noreturn void
usage(void)
{
	fprintf(stderr,
	    "usage: chatload -p PORT[,PORT...] [-n PER_ROOM] [-m MSGS] "
	    "[-i INTERVAL_US] [-j]\n"
	    "  -p  chat services on 127.0.0.1, one room each\n"
	    "  -n  participants per room (default 50; a room holds 64)\n"
	    "  -m  lines each participant sends (default 5)\n"
	    "  -i  microseconds between two lines, all senders together "
	    "(default 2000)\n");
	exit(2);
}

static long
num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || (*end != '\0' && *end != ',') ||
	    v < min || v > max)
		usage();
	return v;
}

static int
join(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
		.sin_port = htons((unsigned short)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1)
		die("socket");
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("connect");
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		die("fcntl");
	return fd;
}

/* One line from participant p: a greeting, a notice, or a timed message
 * ("nick: T <us>"). */
static void
on_line(struct cl *c, const char *line, long long t)
{
	const char *m;

	if (strncmp(line, "* welcome", 9) == 0) {
		c->greeted++;
		return;
	}
	if (line[0] == '*' || (m = strstr(line, ": T ")) == NULL)
		return;
	if (c->nlat < c->expected)
		c->lat[c->nlat++] = (uint32_t)(t - strtoll(m + 4, NULL, 10));
}

static void
on_read(struct cl *c, struct part *p)
{
	long long t = now_us();
	char *nl;
	ssize_t n;

	for (;;) {
		n = read(p->fd, p->buf + p->have, sizeof(p->buf) - 1 - p->have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			fprintf(stderr, "chatload: a participant was closed\n");
			exit(1);
		}
		p->have += (size_t)n;
		p->buf[p->have] = '\0';
		while ((nl = memchr(p->buf, '\n', p->have)) != NULL) {
			*nl = '\0';
			on_line(c, p->buf, t);
			p->have -= (size_t)(nl + 1 - p->buf);
			memmove(p->buf, nl + 1, p->have);
		}
		if (p->have == sizeof(p->buf) - 1)
			p->have = 0; /* an over-long line: not ours */
	}
}

/* Reads whatever arrives until deadline (or until every copy came). */
static void
pump(struct cl *c, long long deadline)
{
	struct epoll_event ev[EVENTS_MAX];
	long long now;
	int n, k;

	while ((now = now_us()) < deadline) {
		n = epoll_wait(c->ep, ev, EVENTS_MAX,
		    (int)((deadline - now + 999) / 1000));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die("epoll_wait");
		for (k = 0; k < n; k++)
			on_read(c, &c->p[ev[k].data.u64]);
	}
}

static void
send_line(struct part *p)
{
	char line[64];
	int len = snprintf(line, sizeof(line), "T %lld\n", now_us());

	if (send(p->fd, line, (size_t)len, MSG_NOSIGNAL) != len)
		die("send");
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t
pct(const struct cl *c, int p)
{
	long rank = (c->nlat * p + 99) / 100;

	return c->nlat == 0 ? 0 : c->lat[rank < 1 ? 0 : rank - 1];
}

static void
setup(struct cl *c, const int *ports)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct rlimit rl;
	long i;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	c->n = c->rooms * c->per_room;
	c->expected = c->n * c->msgs * (c->per_room - 1);
	c->p = calloc((size_t)c->n, sizeof(*c->p));
	c->lat = calloc((size_t)c->expected + 1, sizeof(*c->lat));
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	if (c->p == NULL || c->lat == NULL || c->ep == -1)
		die("setup");
	for (i = 0; i < c->n; i++) {
		c->p[i].room = (int)(i % c->rooms);
		c->p[i].fd = join(ports[c->p[i].room]);
		ev.data.u64 = (uint64_t)i;
		if (epoll_ctl(c->ep, EPOLL_CTL_ADD, c->p[i].fd, &ev) == -1)
			die("epoll_ctl");
	}
}

int
main(int argc, char *argv[])
{
	struct cl c = { .per_room = 50, .msgs = 5 };
	int ports[PORTS_MAX], ch, json = 0;
	long interval = 2000, i, k;
	long long t0, t;
	char *s;

	while ((ch = getopt(argc, argv, "p:n:m:i:j")) != -1) {
		switch (ch) {
		case 'p':
			for (s = optarg; c.rooms < PORTS_MAX;) {
				ports[c.rooms++] = (int)num(s, 1, 65535);
				if ((s = strchr(s, ',')) == NULL)
					break;
				s++;
			}
			break;
		case 'n':
			c.per_room = num(optarg, 2, 64);
			break;
		case 'm':
			c.msgs = num(optarg, 1, 40);
			break;
		case 'i':
			interval = num(optarg, 0, 1000000);
			break;
		case 'j':
			json = 1;
			break;
		default:
			usage();
		}
	}
	if (c.rooms == 0 || optind != argc)
		usage();
	setup(&c, ports);
	/* Everyone greeted, and the join notices settled. */
	for (t = now_us() + 30000000; c.greeted < c.n && now_us() < t;)
		pump(&c, now_us() + 10000);
	pump(&c, now_us() + 500000);
	c.nlat = 0;
	t0 = now_us();
	for (k = 0; k < c.msgs; k++) {
		for (i = 0; i < c.n; i++) {
			send_line(&c.p[i]);
			pump(&c, t0 + (k * c.n + i + 1) * interval);
		}
	}
	for (t = now_us() + 10000000; c.nlat < c.expected && now_us() < t;)
		pump(&c, now_us() + 10000);
	qsort(c.lat, (size_t)c.nlat, sizeof(*c.lat), cmp_u32);
	printf(json ? "{\"participants\":%ld,\"rooms\":%ld,\"sent\":%ld,"
	              "\"expected\":%ld,\"delivered\":%ld,\"p50_us\":%u,"
	              "\"p99_us\":%u,\"max_us\":%u}\n"
	            : "chatload: %ld participants in %ld rooms, %ld lines "
	              "sent; %ld of %ld copies delivered; latency us p50 %u "
	              "p99 %u max %u\n",
	    c.n, c.rooms, c.n * c.msgs, c.expected, c.nlat, pct(&c, 50),
	    pct(&c, 99), pct(&c, 100));
	return c.nlat == c.expected ? 0 : 1;
}
