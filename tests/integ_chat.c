/* Integration tests of the chat handler: the real superd serving chat on
 * 127.0.0.1, many clients in one room, participants killed, clients that
 * never read.  Each test uses its own room (named after the test process),
 * so concurrent runs never share a segment. */
#include <sys/mman.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define SEG_PREFIX "/superd-chat."
#define CLIENTS_MAX 66
#define FIFTY 50
#define TWENTY 20
#define RATE_BURST 40                      /* the handler's CHAT_RATE_BURST */
#define ROOM_SLOTS 64                      /* the handler's CHAT_SLOTS */
#define RING (2 * ROOM_SLOTS * RATE_BURST) /* the handler's CHAT_RING */
#define WAIT_MS 5000
/* The handler's answer to /help, without its newline. */
#define CHAT_HELP_LINE                                                         \
	"* /nick NAME: change your name; /who: who is here; /quit: leave"

struct client {
	int fd;
	char nick[64];
	bool eof;
	size_t len;
	char buf[64 * 1024];
};

static struct superd sd;
static struct client cl[CLIENTS_MAX];
static char room[48];
static char room2[48];

static void
seg_unlink(const char *name)
{
	char seg[96];

	if (name[0] == '\0')
		return;
	snprintf(seg, sizeof(seg), "%s%s", SEG_PREFIX, name);
	(void)shm_unlink(seg);
}

static bool
seg_exists(const char *name)
{
	char seg[96];
	int fd;

	snprintf(seg, sizeof(seg), "%s%s", SEG_PREFIX, name);
	fd = shm_open(seg, O_RDONLY | O_CLOEXEC, 0);
	if (fd == -1) {
		ck_assert_int_eq(errno, ENOENT);
		return false;
	}
	close(fd);
	return true;
}

static void
teardown(void)
{
	int i;

	/* Handlers log to superd's stderr: a sanitizer report lands there. */
	if (sd.log != NULL) {
		superd_drain(&sd);
		ck_assert_msg(strstr(sd.log, "Sanitizer") == NULL &&
		        strstr(sd.log, "runtime error") == NULL,
		    "%s", sd.log);
	}
	superd_cleanup(&sd);
	for (i = 0; i < CLIENTS_MAX; i++)
		if (cl[i].fd > 0)
			close(cl[i].fd);
	/* Only rooms a failed test left behind: normally already gone. */
	seg_unlink(room);
	seg_unlink(room2);
}

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Starts superd with one chat service on a room private to this test. */
static int
start_chat(const char *tag)
{
	char conf[256];

	snprintf(room, sizeof(room), "it%d-%s", (int)getpid(), tag);
	snprintf(conf, sizeof(conf),
	    "[chat]\nport = 0\nbind = 127.0.0.1\nexec = chat --room %s\n",
	    room);
	superd_start(&sd, conf, NULL);
	return superd_port(&sd, "chat");
}

/* A decimal number at p, which the test itself put there. */
static int
num(const char *p)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(p, &end, 10);
	ck_assert_msg(errno == 0 && end != p, "not a number: %s", p);
	return (int)v;
}

/* ---- clients ---- */

static int
connect_rcvbuf(int port, int rcvbuf)
{
	struct sockaddr_in sin = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ne(fd, -1);
	/* Before connect, so the window is small from the start. */
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	                     sizeof(rcvbuf)),
	    0);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

/* Reads what is there within timeout_ms.  False at EOF or timeout. */
static bool
client_fill(struct client *c, int timeout_ms)
{
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	ssize_t n;

	if (c->eof || poll(&pfd, 1, timeout_ms) != 1)
		return false;
	ck_assert_uint_lt(c->len, sizeof(c->buf));
	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n <= 0) {
		c->eof = true;
		return false;
	}
	c->len += (size_t)n;
	return true;
}

/* Takes one buffered line (without \n) into line, if there is one. */
static bool
client_pop(struct client *c, char *line, size_t cap)
{
	char *nl = memchr(c->buf, '\n', c->len);
	size_t n;

	if (nl == NULL)
		return false;
	n = (size_t)(nl - c->buf);
	ck_assert_uint_lt(n, cap);
	memcpy(line, c->buf, n);
	line[n] = '\0';
	c->len -= n + 1;
	memmove(c->buf, nl + 1, c->len);
	return true;
}

/* The next line within timeout_ms, or false. */
static bool
client_line(struct client *c, char *line, size_t cap, int timeout_ms)
{
	long long end = now_us() + (long long)timeout_ms * 1000;

	while (!client_pop(c, line, cap)) {
		long long left = (end - now_us()) / 1000;
		if (left <= 0 || !client_fill(c, (int)left))
			return false;
	}
	return true;
}

/*
 * Reads lines until one contains needle, and returns it (static storage);
 * fails the test after WAIT_MS.
 */
static const char *
client_expect(struct client *c, const char *needle)
{
	static char line[2048];

	for (;;) {
		ck_assert_msg(client_line(c, line, sizeof(line), WAIT_MS),
		    "%s: no line with \"%s\"", c->nick, needle);
		if (strstr(line, needle) != NULL)
			return line;
	}
}

/* The next line must be exactly want. */
static void
client_next_is(struct client *c, const char *want)
{
	char line[2048];

	ck_assert_msg(client_line(c, line, sizeof(line), WAIT_MS),
	    "%s: no line, wanted \"%s\"", c->nick, want);
	ck_assert_str_eq(line, want);
}

static void __attribute__((format(printf, 2, 3)))
client_say(struct client *c, const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ck_assert(n > 0 && (size_t)n < sizeof(buf));
	tcp_send(c->fd, buf, (size_t)n);
}

/* Waits for the client's end of file (the handler closed). */
static bool
client_eof(struct client *c, int timeout_ms)
{
	long long end = now_us() + (long long)timeout_ms * 1000;

	while (!c->eof) {
		c->len = 0;
		if (!client_fill(c, (int)((end - now_us()) / 1000)) && !c->eof)
			return false;
	}
	return true;
}

/* Connects and reads the greeting; returns the participant count. */
static int
client_join_fd(struct client *c, int fd)
{
	char line[512], *p, *q;

	memset(c, 0, offsetof(struct client, buf));
	c->fd = fd;
	snprintf(c->nick, sizeof(c->nick), "fd%d", fd);
	ck_assert_msg(client_line(c, line, sizeof(line), WAIT_MS),
	    "no greeting");
	/* "* welcome to ROOM, NICK (N here); /help for commands" */
	ck_assert_msg(strncmp(line, "* welcome to ", 13) == 0, "%s", line);
	p = strstr(line, ", ");
	q = strstr(line, " (");
	ck_assert(p != NULL && q != NULL && q > p);
	snprintf(c->nick, sizeof(c->nick), "%.*s", (int)(q - p - 2), p + 2);
	return num(q + 2);
}

static int
client_join(struct client *c, int port)
{
	int fd = tcp_connect("127.0.0.1", port);

	ck_assert_msg(fd != -1, "connect: %s", strerror(errno));
	return client_join_fd(c, fd);
}

static void
client_close(struct client *c)
{
	close(c->fd);
	c->fd = -1;
}

/* The pid of the handler serving c, from superd's connection line. */
static pid_t
client_handler(struct client *c)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char needle[64];
	const char *hit, *p;

	ck_assert_int_eq(getsockname(c->fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(needle, sizeof(needle), "]: connection from 127.0.0.1:%d to",
	    ntohs(sin.sin_port));
	hit = superd_wait_log(&sd, needle, WAIT_MS, NULL);
	ck_assert_ptr_nonnull(hit);
	for (p = hit; p > sd.log && p[-1] != '['; p--)
		;
	return (pid_t)strtol(p, NULL, 10);
}

/* ---- tests ---- */

START_TEST(three_clients_see_each_others_messages_in_order)
{
	struct client *a = &cl[0], *b = &cl[1], *c = &cl[2], *who;
	char line[256], want[128], from[128];
	int port = start_chat("three"), i, k, s, seen[3][3] = { { 0 } };

	ck_assert_int_eq(client_join(a, port), 1);
	ck_assert_int_eq(client_join(b, port), 2);
	ck_assert_int_eq(client_join(c, port), 3);
	snprintf(want, sizeof(want), "* %s joined", b->nick);
	client_next_is(a, want);
	snprintf(want, sizeof(want), "* %s joined", c->nick);
	client_next_is(a, want);
	client_next_is(b, want);
	for (k = 1; k <= 5; k++)
		for (i = 0; i < 3; i++)
			client_say(&cl[i], "%c%d\n", 'a' + i, k);
	/* Each sees the other two, each sender's lines in order, exactly. */
	for (i = 0; i < 3; i++) {
		for (k = 0; k < 10; k++) {
			ck_assert(
			    client_line(&cl[i], line, sizeof(line), WAIT_MS));
			ck_assert_msg(line[0] != '*', "%s", line);
			s = line[strlen(line) - 2] - 'a';
			ck_assert(s >= 0 && s < 3 && s != i);
			who = &cl[s];
			snprintf(from, sizeof(from), "%s: %c%d", who->nick,
			    'a' + s, ++seen[i][s]);
			ck_assert_str_eq(line, from);
		}
		ck_assert(!client_line(&cl[i], line, sizeof(line), 100));
	}
}
END_TEST

START_TEST(joins_and_leaves_are_announced)
{
	struct client *a = &cl[0], *b = &cl[1], *c = &cl[2];
	char want[128];
	int port = start_chat("joins");

	client_join(a, port);
	client_join(b, port);
	snprintf(want, sizeof(want), "* %s joined", b->nick);
	client_next_is(a, want);
	client_close(b);
	snprintf(want, sizeof(want), "* %s left", b->nick);
	client_next_is(a, want);
	ck_assert_int_eq(client_join(c, port), 2);
	snprintf(want, sizeof(want), "* %s joined", c->nick);
	client_next_is(a, want);
	client_say(c, "/quit\n");
	client_next_is(c, "* bye");
	ck_assert(client_eof(c, WAIT_MS));
	snprintf(want, sizeof(want), "* %s left", c->nick);
	client_next_is(a, want);
}
END_TEST

START_TEST(nick_who_and_quit_work)
{
	struct client *a = &cl[0], *b = &cl[1];
	char want[160];
	int port = start_chat("nick");

	client_join(a, port);
	client_join(b, port);
	client_expect(a, " joined");
	client_say(a, "/nick alice\n");
	client_next_is(a, "* you are now alice");
	snprintf(want, sizeof(want), "* %s is now alice", a->nick);
	client_next_is(b, want);
	client_say(a, "hello\n");
	client_next_is(b, "alice: hello");
	client_say(b, "/nick alice\n/nick .dot\n/nick\n/frob\n");
	client_next_is(b, "* alice is taken");
	client_expect(b, "* a nick is 1 to 32 of A-Z a-z 0-9 _ . -");
	client_next_is(b, "* unknown command /nick; /help lists them");
	client_next_is(b, "* unknown command /frob; /help lists them");
	client_say(b, "/who\n");
	snprintf(want, sizeof(want), "* 2 here: alice, %s", b->nick);
	client_next_is(b, want);
	client_say(a, "/quit\n");
	client_next_is(a, "* bye");
	ck_assert(client_eof(a, WAIT_MS));
	client_next_is(b, "* alice left");
	client_say(b, "/who\n");
	snprintf(want, sizeof(want), "* 1 here: %s", b->nick);
	client_next_is(b, want);
}
END_TEST

/* b reads until the ghost is announced; a's lines must all come in order. */
static void
read_through_kill(struct client *b, const struct client *a,
    const struct client *v, int round)
{
	char line[256], left[128], mine[128];
	int next_a = 0, next_v = 0, n;
	bool gone = false;

	snprintf(left, sizeof(left), "* %s left (connection lost)", v->nick);
	while (next_a < 10 || !gone) {
		ck_assert_msg(client_line(b, line, sizeof(line), WAIT_MS),
		    "round %d: %d of a's lines, ghost %s", round, next_a,
		    gone ? "gone" : "still there");
		if (strcmp(line, left) == 0) {
			gone = true;
			continue;
		}
		snprintf(mine, sizeof(mine), "%s: a%d-", a->nick, round);
		if (strncmp(line, mine, strlen(mine)) == 0) {
			n = num(line + strlen(mine));
			ck_assert_int_eq(n, next_a++);
			continue;
		}
		/* The victim's lines: some, in order, or none. */
		snprintf(mine, sizeof(mine), "%s: v%d-", v->nick, round);
		ck_assert_msg(strncmp(line, mine, strlen(mine)) == 0, "%s",
		    line);
		ck_assert(!gone);
		ck_assert_int_eq(num(line + strlen(mine)), next_v++);
	}
}

START_TEST(a_killed_participant_is_dropped_and_the_room_goes_on)
{
	struct client *a = &cl[0], *b = &cl[1], *v;
	char want[160];
	int port = start_chat("kill"), round, i;
	pid_t pid;

	client_join(a, port);
	client_join(b, port);
	client_expect(a, " joined");
	for (round = 0; round < 3; round++) {
		v = &cl[2 + round];
		client_join(v, port);
		client_expect(a, " joined");
		client_expect(b, " joined");
		pid = client_handler(v);
		for (i = 0; i < 30; i++)
			client_say(v, "v%d-%d\n", round, i);
		for (i = 0; i < 5; i++)
			client_say(a, "a%d-%d\n", round, i);
		/* Wherever it is: reading, posting, holding the lock. */
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		for (i = 5; i < 10; i++)
			client_say(a, "a%d-%d\n", round, i);
		read_through_kill(b, a, v, round);
		client_expect(a, "left (connection lost)");
		client_say(a, "/who\n");
		snprintf(want, sizeof(want), "* 2 here: %s, %s", a->nick,
		    b->nick);
		ck_assert_str_eq(client_expect(a, " here: "), want);
		client_close(v);
	}
	client_say(b, "/who\n");
	client_next_is(b, want);
}
END_TEST

/*
 * Talkers come one after the other, each sending a burst of long lines
 * and leaving, while one participant never reads.  Its handler falls a
 * ring behind and is dropped; the listener and every talker go on.
 */
START_TEST(a_client_that_never_reads_does_not_stall_the_others)
{
	struct client *n = &cl[0], *l = &cl[1], *t = &cl[2];
	char line[1024], body[501], left[128];
	int port = start_chat("slow"), talker, i, tk, k, got = 0, sent = 0;
	bool dropped = false;

	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	client_join_fd(n, connect_rcvbuf(port, 4096));
	client_join(l, port);
	snprintf(left, sizeof(left), "* %s left (too slow)", n->nick);
	for (talker = 0; talker < 2 * RING / RATE_BURST && !dropped; talker++) {
		client_join(t, port);
		for (i = 0; i < RATE_BURST; i++)
			client_say(t, "%d %d %s\n", talker, i, body);
		client_say(t, "/quit\n");
		sent += RATE_BURST;
		/* Its handler got through all of it: nobody waited for n. */
		client_expect(t, "* bye");
		ck_assert(client_eof(t, WAIT_MS));
		client_close(t);
		/* The listener gets every line, in order. */
		for (i = 0; i < RATE_BURST; i++) {
			do {
				ck_assert(client_line(l, line, sizeof(line),
				    WAIT_MS));
				dropped = dropped || strcmp(line, left) == 0;
			} while (line[0] == '*');
			ck_assert_int_eq(sscanf(strstr(line, ": ") + 2, "%d %d",
			                     &tk, &k),
			    2);
			ck_assert_int_eq(tk, talker);
			ck_assert_int_eq(k, i);
			got++;
		}
	}
	while (!dropped && client_line(l, line, sizeof(line), 1000))
		dropped = strcmp(line, left) == 0;
	ck_assert_msg(dropped, "never-reader not dropped after %d lines", sent);
	/* Not dropped before the ring was overtaken: each talker's lines and
	 * its joined and left notices. */
	ck_assert_int_gt(sent + 2 * talker, RING);
	ck_assert_int_eq(got, sent);
	snprintf(line, sizeof(line), "more than %d messages behind", RING);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, line, WAIT_MS, NULL));
	fprintf(stderr, "never-reader dropped after %d lines of %zu bytes\n",
	    sent, strlen(body) + 8);
}
END_TEST

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static void
report_latency(const char *what, long long *us, size_t n)
{
	qsort(us, n, sizeof(*us), cmp_ll);
	fprintf(stderr,
	    "%s: %zu deliveries, latency p50 %lldus p90 %lldus p99 %lldus "
	    "max %lldus\n",
	    what, n, us[n / 2], us[n * 90 / 100], us[n * 99 / 100], us[n - 1]);
}

static void
join_fifty(int port)
{
	int i;

	for (i = 0; i < FIFTY; i++) {
		ck_assert_int_eq(client_join(&cl[i], port), i + 1);
		superd_drain(&sd);
	}
}

/* "NICK: m SENDER K T": checks K against the next expected from SENDER. */
static void
check_burst_line(int r, const char *line, int next[FIFTY][FIFTY],
    long long *lat, size_t *nlat)
{
	int s, k;
	long long t;
	const char *p = strstr(line, ": m ");

	ck_assert_msg(p != NULL, "client %d: %s", r, line);
	ck_assert_int_eq(sscanf(p + 4, "%d %d %lld", &s, &k, &t), 3);
	ck_assert(s >= 0 && s < FIFTY && s != r);
	ck_assert_int_eq(strncmp(line, cl[s].nick, strlen(cl[s].nick)), 0);
	ck_assert_msg(k == next[r][s], "client %d got %d's message %d, not %d",
	    r, s, k, next[r][s]);
	next[r][s]++;
	lat[(*nlat)++] = now_us() - t;
}

START_TEST(fifty_participants_sending_twenty_each_all_get_all_once_in_order)
{
	static int next[FIFTY][FIFTY];
	static long long lat[FIFTY * (FIFTY - 1) * TWENTY];
	struct pollfd pfd[FIFTY];
	char line[256];
	int port = start_chat("fifty"), i, k, done = 0, got[FIFTY] = { 0 };
	size_t nlat = 0;
	long long t0;

	join_fifty(port);
	t0 = now_us();
	for (k = 0; k < TWENTY; k++)
		for (i = 0; i < FIFTY; i++)
			client_say(&cl[i], "m %d %d %lld\n", i, k, now_us());
	while (done < FIFTY) {
		for (i = 0; i < FIFTY; i++)
			pfd[i] = (struct pollfd){ cl[i].fd, POLLIN, 0 };
		ck_assert_msg(poll(pfd, FIFTY, 10000) > 0, "stalled at %d",
		    done);
		for (i = 0; i < FIFTY; i++) {
			if (pfd[i].revents == 0)
				continue;
			ck_assert(client_fill(&cl[i], 0));
			while (client_pop(&cl[i], line, sizeof(line))) {
				if (line[0] == '*')
					continue; /* later joins */
				check_burst_line(i, line, next, lat, &nlat);
				if (++got[i] == (FIFTY - 1) * TWENTY)
					done++;
			}
		}
		superd_drain(&sd);
	}
	for (i = 0; i < FIFTY; i++) {
		for (k = 0; k < FIFTY; k++)
			ck_assert_int_eq(next[i][k], i == k ? 0 : TWENTY);
		ck_assert(!client_line(&cl[i], line, sizeof(line), 0));
	}
	fprintf(stderr, "50x20: %zu deliveries in %lldms\n", nlat,
	    (now_us() - t0) / 1000);
	report_latency("50x20 burst", lat, nlat);
}
END_TEST

/* "NICK: m SENDER K ...": checks K against the next expected from SENDER. */
static void
check_room_line(int r, const char *line, int next[ROOM_SLOTS][ROOM_SLOTS])
{
	int s, k;
	const char *p = strstr(line, ": m ");

	ck_assert_msg(line[0] != '*' && p != NULL, "client %d: %s", r, line);
	ck_assert_int_eq(sscanf(p + 4, "%d %d", &s, &k), 2);
	ck_assert(s >= 0 && s < ROOM_SLOTS && s != r);
	ck_assert_int_eq(strncmp(line, cl[s].nick, strlen(cl[s].nick)), 0);
	ck_assert_msg(k == next[r][s], "client %d got %d's message %d, not %d",
	    r, s, k, next[r][s]);
	next[r][s]++;
}

/* Reads every client until each has want room lines, checking each. */
static void
read_all_room_lines(int want, int next[ROOM_SLOTS][ROOM_SLOTS])
{
	struct pollfd pfd[ROOM_SLOTS];
	int i, done = 0, got[ROOM_SLOTS] = { 0 };
	char line[1024];

	while (done < ROOM_SLOTS) {
		for (i = 0; i < ROOM_SLOTS; i++)
			pfd[i] = (struct pollfd){ cl[i].fd, POLLIN, 0 };
		ck_assert_msg(poll(pfd, ROOM_SLOTS, 10000) > 0,
		    "stalled with %d done", done);
		for (i = 0; i < ROOM_SLOTS; i++) {
			if (pfd[i].revents == 0)
				continue;
			ck_assert_msg(client_fill(&cl[i], 0),
			    "client %d: end of file after %d lines", i, got[i]);
			while (client_pop(&cl[i], line, sizeof(line))) {
				check_room_line(i, line, next);
				if (++got[i] == want)
					done++;
			}
		}
		superd_drain(&sd);
	}
}

/*
 * The documented rate lets every participant of a full room send a burst
 * at once: 64 x 40 lines.  Every client reads all the time, so none may be
 * dropped as a slow reader, and each gets every line of the others, in
 * each sender's order.
 */
START_TEST(a_full_room_bursting_at_once_drops_no_reader_and_loses_nothing)
{
	static int next[ROOM_SLOTS][ROOM_SLOTS];
	static char burst[RATE_BURST * 160];
	char last[128];
	int port = start_chat("burst"), i, k;
	long long t0;
	size_t n;

	for (i = 0; i < ROOM_SLOTS; i++) {
		ck_assert_int_eq(client_join(&cl[i], port), i + 1);
		superd_drain(&sd);
	}
	/* The burst starts in a quiet room: every join has been read. */
	snprintf(last, sizeof(last), "* %s joined", cl[ROOM_SLOTS - 1].nick);
	for (i = 0; i < ROOM_SLOTS - 1; i++)
		client_expect(&cl[i], last);
	t0 = now_us();
	for (i = 0; i < ROOM_SLOTS; i++) {
		for (n = 0, k = 0; k < RATE_BURST; k++)
			n += (size_t)snprintf(burst + n, sizeof(burst) - n,
			    "m %d %d %0100d\n", i, k, 0);
		tcp_send(cl[i].fd, burst, n);
	}
	read_all_room_lines((ROOM_SLOTS - 1) * RATE_BURST, next);
	fprintf(stderr, "64x40: %d deliveries in %lldms\n",
	    ROOM_SLOTS * (ROOM_SLOTS - 1) * RATE_BURST, (now_us() - t0) / 1000);
	for (i = 0; i < ROOM_SLOTS; i++)
		for (k = 0; k < ROOM_SLOTS; k++)
			ck_assert_int_eq(next[i][k], i == k ? 0 : RATE_BURST);
	superd_drain(&sd);
	ck_assert_ptr_null(strstr(sd.log, "behind"));
}
END_TEST

/* A client's last line may lack its newline: it is said all the same. */
START_TEST(a_last_line_without_a_newline_is_delivered_at_end_of_file)
{
	struct client *a = &cl[0], *b = &cl[1];
	char want[128];
	int port = start_chat("eof");

	client_join(a, port);
	client_join(b, port);
	client_expect(a, " joined");
	client_say(a, "first\nlast words");
	ck_assert_int_eq(shutdown(a->fd, SHUT_WR), 0);
	snprintf(want, sizeof(want), "%s: first", a->nick);
	client_next_is(b, want);
	snprintf(want, sizeof(want), "%s: last words", a->nick);
	client_next_is(b, want);
	snprintf(want, sizeof(want), "* %s left", a->nick);
	client_next_is(b, want);
	ck_assert(client_eof(a, WAIT_MS));
}
END_TEST

/*
 * A /who just after a participant died: every asker gets the death notice
 * first, then a list without it.  The list reflects exactly the joins and
 * leaves delivered before it, for every reader alike.
 */
START_TEST(who_comes_after_the_notice_of_a_lost_participant_for_everyone)
{
	struct client *v;
	char want[256], left[128], line[256];
	int port = start_chat("whokill"), round, i;
	pid_t pid;

	for (i = 0; i < 3; i++)
		client_join(&cl[i], port);
	client_expect(&cl[0], " joined");
	client_expect(&cl[0], " joined");
	client_expect(&cl[1], " joined");
	snprintf(want, sizeof(want), "* 3 here: %s, %s, %s", cl[0].nick,
	    cl[1].nick, cl[2].nick);
	for (round = 0; round < 3; round++) {
		v = &cl[3 + round];
		client_join(v, port);
		for (i = 0; i < 3; i++)
			client_expect(&cl[i], " joined");
		pid = client_handler(v);
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		while (proc_alive(pid))
			harness_sleep_ms(1);
		for (i = 0; i < 3; i++)
			client_say(&cl[i], "/who\n");
		snprintf(left, sizeof(left), "* %s left (connection lost)",
		    v->nick);
		for (i = 0; i < 3; i++) {
			ck_assert(
			    client_line(&cl[i], line, sizeof(line), WAIT_MS));
			ck_assert_msg(strcmp(line, left) == 0,
			    "round %d, client %d: %s before the notice", round,
			    i, line);
			client_next_is(&cl[i], want);
		}
		client_close(v);
	}
}
END_TEST

/*
 * A /who from a client whose backlog is full waits behind what the room
 * said before it, and the client's later commands wait behind the /who:
 * its replies come in the order it asked.
 */
START_TEST(who_waits_behind_a_full_backlog_and_replies_stay_in_order)
{
	enum { SENDERS = 10 };
	struct client *b = &cl[0], *r = &cl[1];
	static char body[501];
	char line[1024], want[128];
	int port = start_chat("whofull"), i, k, s, got, next[SENDERS] = { 0 };

	/* 10 x 40 lines of 500 bytes: more than b's socket buffers and its
	 * handler's 64 KiB hold, far less than the ring. */
	memset(body, 'x', sizeof(body) - 1);
	client_join_fd(b, connect_rcvbuf(port, 4096));
	client_join(r, port);
	for (i = 0; i < SENDERS; i++)
		client_join(&cl[2 + i], port);
	for (i = 0; i < SENDERS + 1; i++)
		client_expect(b, " joined");
	for (i = 0; i < SENDERS; i++)
		for (k = 0; k < RATE_BURST; k++)
			client_say(&cl[2 + i], "%d %d %s\n", i, k, body);
	/* Everything is in the room once r has it all. */
	for (got = 0; got < SENDERS * RATE_BURST;)
		if (client_line(r, line, sizeof(line), WAIT_MS) &&
		    line[0] != '*')
			got++;
	client_say(b, "/who\n/help\n");
	for (got = 0; got < SENDERS * RATE_BURST; got++) {
		ck_assert(client_line(b, line, sizeof(line), WAIT_MS));
		ck_assert_msg(line[0] != '*', "after %d lines: %s", got, line);
		ck_assert_int_eq(sscanf(strstr(line, ": ") + 2, "%d %d", &s,
		                     &k),
		    2);
		ck_assert(s >= 0 && s < SENDERS);
		ck_assert_int_eq(k, next[s]++);
	}
	ck_assert(client_line(b, line, sizeof(line), WAIT_MS));
	snprintf(want, sizeof(want), "* %d here: ", SENDERS + 2);
	ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "%s", line);
	client_next_is(b, CHAT_HELP_LINE);
}
END_TEST

#define LATENCY_ROUNDS 200

/* Looks through c's buffered lines for want; records when it is there. */
static bool
latency_seen(struct client *c, const char *want, long long sent, long long *lat,
    size_t *nlat)
{
	char line[256];

	while (client_pop(c, line, sizeof(line))) {
		if (strstr(line, want) == NULL)
			continue;
		lat[(*nlat)++] = now_us() - sent;
		return true;
	}
	return false;
}

/* Waits until every client but the sender has line "L round". */
static void
latency_round(int round, int sender, long long sent, long long *lat,
    size_t *nlat)
{
	struct pollfd pfd[FIFTY];
	bool have[FIFTY] = { false };
	char want[32];
	int i, left = FIFTY - 1;

	snprintf(want, sizeof(want), ": L %d", round);
	have[sender] = true;
	for (;;) {
		for (i = 0; i < FIFTY; i++) {
			if (!have[i] &&
			    latency_seen(&cl[i], want, sent, lat, nlat)) {
				have[i] = true;
				left--;
			}
			pfd[i] = (struct pollfd){ have[i] ? -1 : cl[i].fd,
				POLLIN, 0 };
		}
		if (left == 0)
			return;
		ck_assert_msg(poll(pfd, FIFTY, WAIT_MS) > 0, "round %d", round);
		for (i = 0; i < FIFTY; i++)
			if (pfd[i].revents != 0)
				ck_assert(client_fill(&cl[i], 0));
	}
}

/* Not an assertion on speed: prints p50/p99 for the closing note. */
START_TEST(delivery_latency_with_fifty_participants_is_reported)
{
	static long long lat[LATENCY_ROUNDS * (FIFTY - 1)];
	int port = start_chat("latency"), round, s;
	size_t nlat = 0;
	long long sent;
	char line[256];

	join_fifty(port);
	/* Everyone has seen the last join before the clock starts. */
	snprintf(line, sizeof(line), "* %s joined", cl[FIFTY - 1].nick);
	for (s = 0; s < FIFTY - 1; s++)
		client_expect(&cl[s], line);
	for (round = 0; round < LATENCY_ROUNDS; round++) {
		s = round % FIFTY;
		sent = now_us();
		client_say(&cl[s], "L %d\n", round);
		latency_round(round, s, sent, lat, &nlat);
		superd_drain(&sd);
	}
	report_latency("50 participants, one message at a time", lat, nlat);
}
END_TEST

START_TEST(overlong_lines_and_floods_get_clear_answers)
{
	struct client *a = &cl[0], *b = &cl[1];
	static char big[600];
	char line[256], want[128];
	int port = start_chat("limits"), i, got = 0;

	client_join(a, port);
	client_join(b, port);
	client_expect(a, " joined");
	memset(big, 'y', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	client_say(a, "%s", big);
	client_next_is(a, "* line too long: at most 512 bytes; dropped");
	for (i = 0; i < 2 * RATE_BURST; i++)
		client_say(a, "flood %d\n", i);
	client_next_is(a,
	    "* too fast: at most 10 lines a second (bursts of "
	    "40); dropping lines");
	/* The burst gets through in order, then (nearly) nothing. */
	while (client_line(b, line, sizeof(line), 1000)) {
		snprintf(want, sizeof(want), "%s: flood %d", a->nick, got);
		ck_assert_str_eq(line, want);
		got++;
	}
	ck_assert_int_ge(got, RATE_BURST);
	ck_assert_int_le(got, RATE_BURST + 5);
}
END_TEST

/*
 * Two services on one room, so that superd's own per-service limit (if
 * any) is not what turns the newcomer away.
 */
START_TEST(a_full_room_turns_newcomers_away)
{
	struct client *late = &cl[ROOM_SLOTS];
	char conf[512], line[256];
	int port[2], i;

	snprintf(room, sizeof(room), "it%d-full", (int)getpid());
	snprintf(conf, sizeof(conf),
	    "[chat]\nport = 0\nbind = 127.0.0.1\nexec = chat --room %s\n"
	    "[chat2]\nport = 0\nbind = 127.0.0.1\nexec = chat --room %s\n",
	    room, room);
	superd_start(&sd, conf, NULL);
	port[0] = superd_port(&sd, "chat");
	port[1] = superd_port(&sd, "chat2");
	for (i = 0; i < ROOM_SLOTS; i++) {
		ck_assert_int_eq(client_join(&cl[i], port[i % 2]), i + 1);
		superd_drain(&sd);
	}
	late->fd = tcp_connect("127.0.0.1", port[0]);
	ck_assert_int_ne(late->fd, -1);
	ck_assert(client_line(late, line, sizeof(line), WAIT_MS));
	ck_assert_str_eq(line, "* the room is full; try again later");
	ck_assert(client_eof(late, WAIT_MS));
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "turned away: room full", WAIT_MS, NULL));
	client_say(&cl[1], "/quit\n");
	client_expect(&cl[1], "* bye");
	ck_assert(client_eof(&cl[1], WAIT_MS));
	ck_assert_int_eq(client_join(&cl[ROOM_SLOTS + 1], port[1]), ROOM_SLOTS);
}
END_TEST

START_TEST(services_share_a_room_by_name_and_default_to_their_own)
{
	char conf[512], want[128];
	int p1, p2, p3;

	snprintf(room, sizeof(room), "it%d-shared", (int)getpid());
	snprintf(room2, sizeof(room2), "c%d", (int)getpid());
	snprintf(conf, sizeof(conf),
	    "[one]\nport = 0\nbind = 127.0.0.1\nexec = chat --room %s\n"
	    "[two]\nport = 0\nbind = 127.0.0.1\nexec = chat --room %s\n"
	    "[%s]\nport = 0\nbind = 127.0.0.1\nexec = chat\n",
	    room, room, room2);
	superd_start(&sd, conf, NULL);
	p1 = superd_port(&sd, "one");
	p2 = superd_port(&sd, "two");
	p3 = superd_port(&sd, room2);
	ck_assert_int_eq(client_join(&cl[0], p1), 1);
	ck_assert_int_eq(client_join(&cl[1], p2), 2);
	ck_assert_int_eq(client_join(&cl[2], p3), 1);
	client_say(&cl[1], "across\n");
	snprintf(want, sizeof(want), "%s: across", cl[1].nick);
	client_expect(&cl[0], want);
	client_say(&cl[2], "/who\n");
	snprintf(want, sizeof(want), "* 1 here: %s", cl[2].nick);
	client_next_is(&cl[2], want);
	ck_assert(seg_exists(room2));
}
END_TEST

START_TEST(the_last_to_leave_removes_the_segment)
{
	int port = start_chat("last"), i;

	for (i = 0; i < 3; i++)
		client_join(&cl[i], port);
	ck_assert(seg_exists(room));
	for (i = 0; i < 3; i++) {
		client_say(&cl[i], "/quit\n");
		ck_assert(client_eof(&cl[i], WAIT_MS));
	}
	ck_assert_int_eq(superd_wait_count(&sd, "exited 0", 3, WAIT_MS), 3);
	ck_assert(!seg_exists(room));
}
END_TEST

START_TEST(a_room_left_by_a_crash_is_reset_on_the_next_join)
{
	int port = start_chat("crash"), i;
	char want[128];

	for (i = 0; i < 3; i++)
		client_join(&cl[i], port);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(kill(client_handler(&cl[i]), SIGKILL), 0);
	ck_assert_int_eq(superd_wait_count(&sd, "killed by signal 9", 3,
	                     WAIT_MS),
	    3);
	ck_assert(seg_exists(room));
	ck_assert_int_eq(client_join(&cl[3], port), 1);
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "reset a room left by dead participants", WAIT_MS, NULL));
	client_say(&cl[3], "/who\n");
	snprintf(want, sizeof(want), "* 1 here: %s", cl[3].nick);
	client_next_is(&cl[3], want);
	client_say(&cl[3], "/quit\n");
	ck_assert(client_eof(&cl[3], WAIT_MS));
	ck_assert_int_eq(superd_wait_count(&sd, "exited 0", 1, WAIT_MS), 1);
	ck_assert(!seg_exists(room));
}
END_TEST

/*
 * The last participant leaves (and removes the segment) just as another
 * joins: the newcomer must end up in the room the next one finds.
 */
START_TEST(a_newcomer_racing_the_last_leaver_is_never_stranded)
{
	struct client *x = &cl[0], *y = &cl[1], *z = &cl[2];
	int port = start_chat("race"), i, fd;
	char want[128];

	for (i = 0; i < 30; i++) {
		client_join(x, port);
		client_say(x, "/quit\n");
		fd = tcp_connect("127.0.0.1", port);
		ck_assert_int_ne(fd, -1);
		client_join_fd(y, fd);
		ck_assert(client_eof(x, WAIT_MS));
		client_close(x);
		ck_assert_int_eq(client_join(z, port), 2);
		snprintf(want, sizeof(want), "* %s joined", z->nick);
		client_expect(y, want);
		/* Both gone (EOF comes after leaving) before the next round. */
		client_say(y, "/quit\n");
		client_say(z, "/quit\n");
		ck_assert(client_eof(y, WAIT_MS) && client_eof(z, WAIT_MS));
		client_close(y);
		client_close(z);
		superd_drain(&sd);
		harness_sleep_ms(i % 3 == 0 ? 20 : 0);
	}
}
END_TEST

START_TEST(stopping_superd_makes_everyone_leave_cleanly)
{
	int port = start_chat("stop"), i;

	for (i = 0; i < 3; i++)
		client_join(&cl[i], port);
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	for (i = 0; i < 3; i++) {
		client_expect(&cl[i], "* the server is stopping");
		ck_assert(client_eof(&cl[i], WAIT_MS));
	}
	ck_assert(superd_wait_exit(&sd, WAIT_MS));
	ck_assert_int_eq(superd_log_count(&sd, "]: exited 0"), 3);
	ck_assert(!seg_exists(room));
}
END_TEST

/*
 * superd sends SIGTERM and then SIGCONT; under load the SIGCONT can come
 * late.  A SIGCONT during LeakSanitizer's check at exit hangs the check,
 * so the handler hangs up at once but exits only after the SIGCONT.
 */
START_TEST(a_handler_told_to_stop_hangs_up_then_exits_after_the_sigcont)
{
	struct client *a = &cl[0], *b = &cl[1];
	char want[128];
	int port = start_chat("cont");
	pid_t pid;

	client_join(a, port);
	client_join(b, port);
	pid = client_handler(a);
	/* A SIGCONT on its own changes nothing. */
	ck_assert_int_eq(kill(pid, SIGCONT), 0);
	client_say(a, "still here\n");
	snprintf(want, sizeof(want), "%s: still here", a->nick);
	client_expect(b, want);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	client_expect(a, "* the server is stopping");
	ck_assert(client_eof(a, WAIT_MS));
	snprintf(want, sizeof(want), "* %s left", a->nick);
	client_next_is(b, want);
	harness_sleep_ms(100);
	ck_assert_msg(proc_alive(pid), "exited before its SIGCONT");
	snprintf(want, sizeof(want), "chat[%d]: exited", (int)pid);
	superd_drain(&sd);
	ck_assert_int_eq(superd_log_count(&sd, want), 0);
	ck_assert_int_eq(kill(pid, SIGCONT), 0);
	snprintf(want, sizeof(want), "chat[%d]: exited 0", (int)pid);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, want, WAIT_MS, NULL));
}
END_TEST

/* Not every SIGTERM comes from superd: without a SIGCONT it still exits. */
START_TEST(a_handler_told_to_stop_without_a_sigcont_exits_all_the_same)
{
	struct client *a = &cl[0];
	char want[64];
	int port = start_chat("nocont");
	pid_t pid;

	client_join(a, port);
	pid = client_handler(a);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	client_expect(a, "* the server is stopping");
	ck_assert(client_eof(a, WAIT_MS));
	snprintf(want, sizeof(want), "chat[%d]: exited 0", (int)pid);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, want, WAIT_MS, NULL));
	ck_assert(!seg_exists(room));
}
END_TEST

START_TEST(a_bad_room_name_is_logged_and_the_client_told)
{
	char line[256];

	superd_start(&sd,
	    "[chat]\nport = 0\nbind = 127.0.0.1\nexec = chat --room ../x\n",
	    NULL);
	cl[0].fd = tcp_connect("127.0.0.1", superd_port(&sd, "chat"));
	ck_assert_int_ne(cl[0].fd, -1);
	ck_assert(client_line(&cl[0], line, sizeof(line), WAIT_MS));
	ck_assert_str_eq(line, "* chat is misconfigured");
	ck_assert(client_eof(&cl[0], WAIT_MS));
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "chat: ?: invalid room name", WAIT_MS, NULL));
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "]: exited 2", WAIT_MS, NULL));
}
END_TEST

static Suite *
make_chat_suite(void)
{
	Suite *s = suite_create("integ_chat");
	TCase *tc = tcase_create("chat");

	tcase_add_checked_fixture(tc, NULL, teardown);
	/* Check's 4s (run by hand) and ctest's 30s are too short for the
	 * 64-client burst, the 50-client tests and the race under ASan on a
	 * loaded machine; every wait inside a test is bounded anyway. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, three_clients_see_each_others_messages_in_order);
	tcase_add_test(tc, joins_and_leaves_are_announced);
	tcase_add_test(tc, nick_who_and_quit_work);
	tcase_add_test(tc,
	    a_killed_participant_is_dropped_and_the_room_goes_on);
	tcase_add_test(tc, a_client_that_never_reads_does_not_stall_the_others);
	tcase_add_test(tc,
	    fifty_participants_sending_twenty_each_all_get_all_once_in_order);
	tcase_add_test(tc,
	    delivery_latency_with_fifty_participants_is_reported);
	tcase_add_test(tc,
	    a_full_room_bursting_at_once_drops_no_reader_and_loses_nothing);
	tcase_add_test(tc,
	    a_last_line_without_a_newline_is_delivered_at_end_of_file);
	tcase_add_test(tc,
	    who_comes_after_the_notice_of_a_lost_participant_for_everyone);
	tcase_add_test(tc,
	    who_waits_behind_a_full_backlog_and_replies_stay_in_order);
	tcase_add_test(tc, overlong_lines_and_floods_get_clear_answers);
	tcase_add_test(tc, a_full_room_turns_newcomers_away);
	tcase_add_test(tc,
	    services_share_a_room_by_name_and_default_to_their_own);
	tcase_add_test(tc, the_last_to_leave_removes_the_segment);
	tcase_add_test(tc, a_room_left_by_a_crash_is_reset_on_the_next_join);
	tcase_add_test(tc, a_newcomer_racing_the_last_leaver_is_never_stranded);
	tcase_add_test(tc, stopping_superd_makes_everyone_leave_cleanly);
	tcase_add_test(tc,
	    a_handler_told_to_stop_hangs_up_then_exits_after_the_sigcont);
	tcase_add_test(tc,
	    a_handler_told_to_stop_without_a_sigcont_exits_all_the_same);
	tcase_add_test(tc, a_bad_room_name_is_logged_and_the_client_told);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_chat_suite());
}
