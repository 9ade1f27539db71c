/* chat: every connection to a chat service joins one room, shared through
 * POSIX shared memory by the independent handler processes (chat_seg,
 * chat_room); lines go to everyone else in the room, in order. */
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chat_room.h"
#include "chat_seg.h"
#include "chat_text.h"
#include "chat_wake.h"

#define PROG "chat"
/*
 * A client's backlog in this process.  Behind it, messages wait in the
 * shared ring (up to CHAT_RING); in front, in the kernel (CHAT_SNDBUF).
 */
#define CHAT_OUT_MAX (64 * 1024)
/* Kept free of room messages for the last words to a dropped client. */
#define CHAT_OUT_RESERVE 512
/* Requested send buffer: bounds the kernel's share (Linux doubles it). */
#define CHAT_SNDBUF (32 * 1024)
#define CHAT_READ_MAX 4096
/* How long the last lines may take to reach a client that is leaving. */
#define CHAT_LINGER_MS 1000
/* How long a handler told to stop waits for the SIGCONT that follows. */
#define CHAT_CONT_WAIT_MS 1000
#define CHAT_WHO_MAX (CHAT_SLOTS * (CHAT_NICK_SIZE + 2) + 32)
#define CHAT_HELP                                                              \
	"* /nick NAME: change your name; /who: who is here; /quit: leave\n"
#define EXIT_USAGE 2
/* The longest address text superd sets: INET6_ADDRSTRLEN - 1. */
#define CHAT_IP_MAX 45

struct chat {
	const char *room_name;
	char nick[CHAT_NICK_SIZE];
	struct chat_seg seg;
	struct chat_member me;
	struct chat_wake wake;
	int sigfd;
	struct chat_lines in;
	struct chat_rate rate;
	bool member;      /* in the room's table */
	bool throttled;   /* told about the rate limit since the last line */
	bool reading;     /* the client may still send */
	bool who_pending; /* a /who waits for the room's messages before it */
	bool writable;    /* the client can still be written to */
	bool slow;        /* dropped for not reading */
	bool stopped;     /* got SIGTERM, SIGINT or SIGHUP */
	bool continued;   /* got SIGCONT since */
	/* Set to leave; what the others see after "left": "", " (too slow)" */
	const char *why;
	/* Read from the client, not yet split into lines: a /who holds the
	 * lines after it here until it is answered. */
	size_t inoff, inlen;
	char inbuf[CHAT_READ_MAX];
	size_t outlen;
	char out[CHAT_OUT_MAX];
};

static int64_t
chat_now_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One line on superd's log, in one write: "chat: ROOM: what". */
static void __attribute__((format(printf, 2, 3)))
chat_log(const struct chat *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n, m;

	n = snprintf(line, sizeof(line), "%s: %s: ", PROG,
	    c->room_name != NULL ? c->room_name : "?");
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* If the log is gone there is nobody to tell. */
	if (write(STDERR_FILENO, line, (size_t)n) == -1)
		return;
}

/* Queues a line for the client; a client that cannot take it is dropped. */
static void __attribute__((format(printf, 2, 3)))
chat_reply(struct chat *c, const char *fmt, ...)
{
	size_t room = sizeof(c->out) - c->outlen;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->out + c->outlen, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		c->slow = true;
		c->why = " (too slow)";
		return;
	}
	c->outlen += (size_t)n;
}

/* A room operation failed; ENOENT: a sweep judged us dead. */
static void
chat_fail(struct chat *c, const char *what)
{
	if (errno == ENOENT) {
		c->member = false;
		chat_reply(c, "* you were removed from the room\n");
	} else {
		chat_log(c, "%s: %s", what, strerror(errno));
		chat_reply(c, "* the room failed; disconnecting\n");
	}
	c->why = "";
}

/* Writes what the socket takes now.  -1 only when the client is gone. */
static int
chat_flush(struct chat *c)
{
	ssize_t n;

	while (c->outlen > 0 && c->writable) {
		n = write(STDOUT_FILENO, c->out, c->outlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			c->writable = false;
			return -1;
		}
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	return c->writable ? 0 : -1;
}

/*
 * Moves the room's new messages into the client's backlog, as far as it
 * takes them; the rest waits in the ring.  A client so far behind that
 * the ring overtook it is dropped: writers never wait for a reader.
 */
static void
chat_pull(struct chat *c)
{
	size_t limit = sizeof(c->out) - CHAT_OUT_RESERVE, cap, n;
	int r;

	cap = c->outlen < limit ? limit - c->outlen : 0;
	/* A /who is answered once everything before it is delivered. */
	r = c->who_pending
	    ? chat_room_fetch_who(&c->me, c->out + c->outlen, cap, &n)
	    : chat_room_fetch(&c->me, c->out + c->outlen, cap, &n);
	if (r == -1) {
		chat_fail(c, "fetch");
		return;
	}
	c->outlen += n;
	if (r == CHAT_FETCH_DONE)
		c->who_pending = false;
	if (r != CHAT_FETCH_LOST)
		return;
	chat_log(c, "%s: dropped: more than %d messages behind", c->nick,
	    CHAT_RING);
	chat_reply(c, "* you are not reading fast enough; disconnecting\n");
	c->slow = true;
	c->why = " (too slow)";
}

static void
chat_cmd_nick(struct chat *c, const char *arg)
{
	if (chat_room_rename(&c->me, arg) == 0) {
		snprintf(c->nick, sizeof(c->nick), "%s", arg);
		chat_reply(c, "* you are now %s\n", c->nick);
	} else if (errno == EINVAL) {
		chat_reply(c,
		    "* a nick is 1 to %d of A-Z a-z 0-9 _ . - "
		    "(not starting with . or -)\n",
		    CHAT_NAME_MAX);
	} else if (errno == EEXIST) {
		chat_reply(c, "* %s is taken\n", arg);
	} else {
		chat_fail(c, "rename");
	}
}

/*
 * The list must not show a participant we could know is dead, and it
 * comes after every message the room had before it (chat_pull answers):
 * a "left" notice is never delivered after a list without its name.
 */
static void
chat_cmd_who(struct chat *c)
{
	if (chat_room_sweep(c->seg.room, chat_now_ms(), true) == -1)
		chat_fail(c, "sweep");
	else
		c->who_pending = true;
}

/* line is NUL-ended, starts with '/', and has been cleaned. */
static void
chat_command(struct chat *c, char *line)
{
	char *arg = strchr(line, ' ');

	if (arg != NULL) {
		*arg++ = '\0';
		arg += strspn(arg, " \t");
	}
	if (strcmp(line, "/nick") == 0 && arg != NULL)
		chat_cmd_nick(c, arg);
	else if (strcmp(line, "/who") == 0 && arg == NULL)
		chat_cmd_who(c);
	else if (strcmp(line, "/quit") == 0) {
		chat_reply(c, "* bye\n");
		c->why = "";
	} else if (strcmp(line, "/help") == 0)
		chat_reply(c, CHAT_HELP);
	else
		chat_reply(c, "* unknown command %.*s; /help lists them\n",
		    CHAT_NAME_MAX, line);
}

static bool
chat_limited(struct chat *c, const char *line)
{
	/* Leaving is never refused. */
	if (strcmp(line, "/quit") == 0 ||
	    chat_rate_take(&c->rate, chat_now_ms())) {
		c->throttled = false;
		return false;
	}
	if (!c->throttled)
		chat_reply(c,
		    "* too fast: at most %d lines a second (bursts of %d); "
		    "dropping lines\n",
		    CHAT_RATE_PER_S, CHAT_RATE_BURST);
	c->throttled = true;
	return true;
}

static void
chat_line(struct chat *c, const char *text, size_t len)
{
	char line[CHAT_LINE_MAX + 1];

	if (len == 0)
		return;
	memcpy(line, text, len);
	line[len] = '\0';
	chat_text_clean(line, len);
	if (chat_limited(c, line))
		return;
	if (line[0] == '/')
		chat_command(c, line);
	else if (chat_room_say(&c->me, line, len) == -1)
		chat_fail(c, "say");
}

static void
chat_input_line(struct chat *c, enum chat_line_kind k, const char *line,
    size_t len)
{
	if (k == CHAT_LINE_TOO_LONG)
		chat_reply(c, "* line too long: at most %d bytes; dropped\n",
		    CHAT_LINE_MAX);
	else if (k == CHAT_LINE_READY)
		chat_line(c, line, len);
}

/*
 * Acts on the complete lines read so far, in order, until one says to
 * leave or a /who must wait for the room (the rest stays in inbuf).
 */
static void
chat_input_lines(struct chat *c)
{
	const char *p = c->inbuf + c->inoff, *line;
	size_t left = c->inlen, len;
	enum chat_line_kind k;

	while (c->why == NULL && !c->who_pending &&
	    (k = chat_lines_next(&c->in, &p, &left, &line, &len)) !=
	        CHAT_LINE_NONE)
		chat_input_line(c, k, line, len);
	c->inoff = left > 0 ? (size_t)(p - c->inbuf) : 0;
	c->inlen = left;
}

/*
 * Reads once, if nothing is left from the last read, and acts on the
 * lines.  At end of file a last line without its newline counts too;
 * chat_loop leaves once what the client asked is answered.
 */
static void
chat_input(struct chat *c)
{
	const char *line = NULL;
	enum chat_line_kind k;
	ssize_t n;
	size_t len = 0;

	if (c->inlen == 0) {
		n = read(STDIN_FILENO, c->inbuf, sizeof(c->inbuf));
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			c->reading = false;
			k = chat_lines_finish(&c->in, &line, &len);
			chat_input_line(c, k, line, len);
			return;
		}
		c->inoff = 0;
		c->inlen = (size_t)n;
	}
	chat_input_lines(c);
}

/* Takes one signal off the signalfd and notes it; false if none was. */
static bool
chat_signal_take(struct chat *c)
{
	struct signalfd_siginfo si;

	if (read(c->sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return false;
	if (si.ssi_signo != SIGCONT)
		c->stopped = true;
	else if (c->stopped)
		c->continued = true;
	return true;
}

static void
chat_signal(struct chat *c)
{
	if (!chat_signal_take(c) || !c->stopped)
		return;
	chat_reply(c, "* the server is stopping\n");
	c->why = "";
}

/* Waits for the client, the room or a signal.  -1 if poll fails. */
static int
chat_wait(struct chat *c)
{
	/* Lines already read go first; a /who holds them and the socket. */
	bool ready = c->inlen > 0 && !c->who_pending;
	struct pollfd pfd[4] = {
		{ c->reading && c->inlen == 0 && !c->who_pending ? STDIN_FILENO
		                                                 : -1,
		    POLLIN, 0 },
		{ c->outlen > 0 ? STDOUT_FILENO : -1, POLLOUT, 0 },
		{ c->wake.fd, POLLIN, 0 },
		{ c->sigfd, POLLIN, 0 },
	};

	/* The timeout is the sweep's tick: dead participants go within 1s. */
	if (poll(pfd, 4, ready ? 0 : CHAT_SWEEP_MS) == -1)
		return errno == EINTR ? 0 : -1;
	if (pfd[3].revents != 0)
		chat_signal(c);
	if (pfd[2].revents != 0 && chat_wake_clear(&c->wake) == -1)
		return -1;
	if ((ready || pfd[0].revents != 0) && c->why == NULL)
		chat_input(c);
	if (c->why == NULL &&
	    chat_room_sweep(c->seg.room, chat_now_ms(), false) == -1)
		chat_fail(c, "sweep");
	return 0;
}

static void
chat_loop(struct chat *c)
{
	while (c->why == NULL) {
		if (chat_flush(c) == -1) {
			c->why = "";
			break;
		}
		chat_pull(c);
		if (chat_flush(c) == -1 && c->why == NULL)
			c->why = "";
		/* End of file: leave once its last line is acted on. */
		if (!c->reading && !c->who_pending && c->why == NULL)
			c->why = "";
		if (c->why != NULL)
			break;
		if (chat_wait(c) == -1) {
			chat_log(c, "poll: %s", strerror(errno));
			c->why = "";
		}
	}
}

/* Gives the last lines up to ms to leave; the socket is non-blocking. */
static void
chat_linger(struct chat *c, int ms)
{
	int64_t end = chat_now_ms() + ms, left;
	struct pollfd pfd = { STDOUT_FILENO, POLLOUT, 0 };

	while (chat_flush(c) == 0 && c->outlen > 0) {
		left = end - chat_now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
			return;
	}
}

/*
 * Ends the connection now, so the client never waits for what the process
 * still does before it is gone (chat_await_cont, exit-time work).
 * shutdown rather than close: fds 0 and 1 stay open, so nothing opened
 * later can land on them.
 */
static void
chat_hangup(void)
{
	if (shutdown(STDOUT_FILENO, SHUT_RDWR) == 0 || errno != ENOTSOCK)
		return;
	(void)close(STDIN_FILENO);
	(void)close(STDOUT_FILENO);
}

/*
 * superd stops a handler with SIGTERM and then SIGCONT (superd(8)).  A
 * SIGCONT throws away a pending SIGSTOP, and LeakSanitizer's check at
 * exit stops each thread with PTRACE_ATTACH, which queues exactly that:
 * a SIGCONT arriving then leaves the check waiting forever, and the
 * handler is killed at superd's deadline.  So a handler told to stop
 * exits only once the SIGCONT is in, or after ms.
 */
static void
chat_await_cont(struct chat *c, int ms)
{
	int64_t end = chat_now_ms() + ms, left;
	struct pollfd pfd = { c->sigfd, POLLIN, 0 };

	for (;;) {
		while (chat_signal_take(c))
			;
		left = end - chat_now_ms();
		if (!c->stopped || c->continued || left <= 0)
			return;
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
			return;
	}
}

/* True if v is 1 to max bytes, all from set. */
static bool
chat_env_is(const char *v, size_t max, const char *set)
{
	size_t n;

	if (v == NULL)
		return false;
	n = strlen(v);
	return n > 0 && n <= max && strspn(v, set) == n;
}

/*
 * The default nick is the client's address as superd tells it; it holds
 * a ':', which a chosen nick cannot, so nobody can take another's.
 */
static void
chat_default_nick(char *buf, size_t len)
{
	const char *ip = getenv("TCPREMOTEIP"), *port = getenv("TCPREMOTEPORT");

	if (chat_env_is(ip, CHAT_IP_MAX, "0123456789abcdefABCDEF.:") &&
	    chat_env_is(port, 5, "0123456789"))
		snprintf(buf, len, strchr(ip, ':') ? "[%s]:%s" : "%s:%s", ip,
		    port);
	else
		snprintf(buf, len, "pid%d", (int)getpid());
}

/*
 * Signals arrive on a signalfd, so a stopping superd makes every
 * participant leave properly.  Blocked before the wake thread starts, so
 * the thread inherits the mask.  SIGCONT still continues a stopped
 * process when blocked; blocking only lets chat_await_cont see it.
 * SIGPIPE: a gone client is an EPIPE.
 */
static int
chat_signals(struct chat *c)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };
	sigset_t set;

	if (sigemptyset(&set) == -1 || sigaddset(&set, SIGTERM) == -1 ||
	    sigaddset(&set, SIGINT) == -1 || sigaddset(&set, SIGHUP) == -1 ||
	    sigaddset(&set, SIGCONT) == -1)
		return -1;
	if (sigaction(SIGPIPE, &sa, NULL) == -1 ||
	    sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	c->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return c->sigfd == -1 ? -1 : 0;
}

/*
 * superd hands the socket over blocking; one stalled client must never
 * stall this loop.  fds 0 and 1 share one open file description when they
 * are the socket; both are set in case they are not.
 */
static int
chat_client_setup(void)
{
	int fd, fl, sndbuf = CHAT_SNDBUF, one = 1;

	for (fd = STDIN_FILENO; fd <= STDOUT_FILENO; fd++) {
		if ((fl = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
			return -1;
	}
	if (setsockopt(STDOUT_FILENO, SOL_SOCKET, SO_SNDBUF, &sndbuf,
	        sizeof(sndbuf)) == -1 &&
	    errno != ENOTSOCK)
		return -1;
	/*
	 * Lines go out as they come: Nagle would hold one back until the
	 * client's delayed ACK (40ms), for every line after the first.
	 */
	if (setsockopt(STDOUT_FILENO, IPPROTO_TCP, TCP_NODELAY, &one,
	        sizeof(one)) == -1 &&
	    errno != ENOTSOCK && errno != EOPNOTSUPP)
		return -1;
	return 0;
}

/*
 * Joins under the segment's lock, where nobody else joins or leaves: a
 * room whose participants are all dead is left over from a crash and is
 * reset.  Returns the number of participants, or -1 with errno set.
 */
static int
chat_enter(struct chat *c)
{
	struct chat_room *room;
	int n, saved;

	if (chat_seg_enter(&c->seg, c->room_name) == -1)
		return -1;
	room = c->seg.room;
	if (chat_room_idle(room)) {
		if (room->next_id != 0)
			chat_log(c, "reset a room left by dead participants");
		n = chat_room_init(room);
	} else {
		n = chat_room_sweep(room, chat_now_ms(), true);
	}
	if (n != -1)
		n = chat_room_join(room, &c->me, c->nick);
	saved = errno;
	if (chat_seg_unlock(&c->seg) == -1)
		chat_log(c, "unlock: %s", strerror(errno));
	if (n == -1)
		chat_seg_close(&c->seg);
	errno = saved;
	return n;
}

/* The last one out removes the segment, under the lock joiners take. */
static void
chat_leave(struct chat *c)
{
	bool locked = chat_seg_lock(&c->seg) == 0;
	int n;

	if (!locked)
		chat_log(c, "lock: %s", strerror(errno));
	if (chat_room_sweep(c->seg.room, chat_now_ms(), true) == -1)
		chat_log(c, "sweep: %s", strerror(errno));
	n = chat_room_leave(&c->me, c->why);
	if (n == -1 && errno != ENOENT)
		chat_log(c, "leave: %s", strerror(errno));
	if (n == 0 && locked && chat_seg_remove(&c->seg) == -1)
		chat_log(c, "shm_unlink: %s", strerror(errno));
	if (locked && chat_seg_unlock(&c->seg) == -1)
		chat_log(c, "unlock: %s", strerror(errno));
	c->member = false;
}

/* Says no to the client before anything else happened, and exits. */
static _Noreturn void
chat_refuse(struct chat *c, const char *why, int status)
{
	chat_reply(c, "* %s\n", why);
	chat_linger(c, CHAT_LINGER_MS);
	exit(status);
}

static int
chat_args(int argc, char *argv[], const char **room)
{
	if (argc == 3 && strcmp(argv[1], "--room") == 0)
		*room = argv[2];
	else if (argc == 1)
		*room = getenv("SUPERD_SERVICE");
	else
		return -1;
	return *room == NULL ? -1 : 0;
}

/* Everything up to the greeting: the room joined, the wake-up running. */
static void
chat_start(struct chat *c)
{
	int n;

	if (chat_signals(c) == -1 || chat_client_setup() == -1) {
		chat_log(c, "setup: %s", strerror(errno));
		chat_refuse(c, "chat is unavailable", 1);
	}
	chat_default_nick(c->nick, sizeof(c->nick));
	if ((n = chat_enter(c)) == -1) {
		if (errno == ENOSPC) {
			chat_log(c, "%s: turned away: room full", c->nick);
			chat_refuse(c, "the room is full; try again later", 0);
		}
		chat_log(c, "join: %s", strerror(errno));
		chat_refuse(c, "chat is unavailable", 1);
	}
	c->member = true;
	if (chat_wake_start(&c->wake, &c->seg.room->wake) == -1) {
		chat_log(c, "wake-up thread: %s", strerror(errno));
		chat_reply(c, "* chat is unavailable\n");
		c->why = "";
		return;
	}
	chat_reply(c, "* welcome to %s, %s (%d here); /help for commands\n",
	    c->room_name, c->nick, n);
}

int
main(int argc, char *argv[])
{
	struct chat c = { 0 };

	c.writable = c.reading = true;
	c.sigfd = c.wake.fd = c.seg.fd = -1;
	if (chat_args(argc, argv, &c.room_name) == -1) {
		fputs("usage: " PROG
		      " [--room NAME]  (or SUPERD_SERVICE set)\n",
		    stderr);
		chat_refuse(&c, "chat is misconfigured", EXIT_USAGE);
	}
	if (!chat_name_valid(c.room_name)) {
		c.room_name = NULL; /* not for the log as it is */
		chat_log(&c,
		    "invalid room name: 1 to %d of A-Z a-z 0-9 _ . -, "
		    "not starting with . or -",
		    CHAT_NAME_MAX);
		chat_refuse(&c, "chat is misconfigured", EXIT_USAGE);
	}
	chat_rate_init(&c.rate, chat_now_ms());
	chat_start(&c);
	chat_loop(&c);
	if (c.member)
		chat_leave(&c);
	/* A client too slow for its backlog will not take the last line. */
	chat_linger(&c, c.slow ? 0 : CHAT_LINGER_MS);
	chat_hangup();
	chat_await_cont(&c, CHAT_CONT_WAIT_MS);
	return 0;
}
