/* The log's output side: never lets a slow or stuck reader of stderr stop
 * the loop.  Lines go out whole, one write each; what stderr cannot take
 * waits in a fixed buffer, in order; past that, lines are dropped and
 * counted, and the count is reported when the buffer empties. */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "logout.h"

/* The logger's output settings and its one buffer: file-level, like the
 * rest of the logger's settings, since every module logs. */
static struct {
	int fd;      /* where lines go */
	bool socket; /* fd is a socket: send with MSG_DONTWAIT */
	size_t len;  /* bytes queued in buf, whole lines */
	unsigned long dropped;
	unsigned long dropped_total; /* since start, never reset */
	char buf[LOGOUT_BUF_MAX];
} out = { .fd = STDERR_FILENO };

void
logout_open(void)
{
	struct stat st;
	int fd;

	if (fstat(STDERR_FILENO, &st) == -1)
		return;
	if (S_ISSOCK(st.st_mode)) {
		out.socket = true;
		return;
	}
	if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
		return;
	fd = open("/proc/self/fd/2",
	    O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd != -1)
		out.fd = fd;
}

void
logout_detach(void)
{
	out.fd = STDERR_FILENO;
	out.len = 0;
	out.dropped = 0;
}

/* One write that never waits; returns what write returns. */
static ssize_t
logout_try(const char *buf, size_t len)
{
	ssize_t n;

	do {
		if (out.socket)
			n = send(out.fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(out.fd, buf, len);
	} while (n == -1 && errno == EINTR);
	return n;
}

static void
logout_queue(const char *line, size_t len, enum logout_origin origin)
{
	size_t room = sizeof(out.buf) - out.len;

	if (origin == LOGOUT_RELAYED)
		room =
		    room > LOGOUT_OWN_RESERVE ? room - LOGOUT_OWN_RESERVE : 0;
	if (len > room) {
		out.dropped++;
		out.dropped_total++;
		return;
	}
	memcpy(out.buf + out.len, line, len);
	out.len += len;
}

void
logout_line(const char *line, size_t len, enum logout_origin origin)
{
	int saved = errno;
	ssize_t n;

	if (out.len > 0) {
		/* Behind what waits, to keep the order; a drop count that
		 * this frees is kept for the next logout_flush. */
		logout_queue(line, len, origin);
		out.dropped += logout_flush();
		errno = saved;
		return;
	}
	n = logout_try(line, len);
	/* A short write happens only to a regular file (a full disk):
	 * what is left waits like the rest, whoever wrote it, since half
	 * a line dropped would glue its head to the next line. */
	if (n >= 0 && (size_t)n < len)
		logout_queue(line + n, len - (size_t)n, LOGOUT_OWN);
	else if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		logout_queue(line, len, origin);
	/* Any other error: stderr is gone, and nothing can be done. */
	errno = saved;
}

unsigned long
logout_flush(void)
{
	size_t done = 0, line;
	unsigned long n;
	ssize_t w;
	char *nl;

	while (done < out.len) {
		nl = memchr(out.buf + done, '\n', out.len - done);
		line = nl != NULL ? (size_t)(nl - (out.buf + done)) + 1
		                  : out.len - done;
		w = logout_try(out.buf + done, line);
		if (w == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
			/* stderr is gone (EPIPE): waiting would never end. */
			out.len = 0;
			out.dropped = 0;
			return 0;
		}
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	memmove(out.buf, out.buf + done, out.len - done);
	out.len -= done;
	if (out.len > 0)
		return 0;
	n = out.dropped;
	out.dropped = 0;
	return n;
}

bool
logout_pending(void)
{
	/* A drop count not yet reported is pending too: the next flush,
	 * when stderr has room, reports it. */
	return out.len > 0 || out.dropped > 0;
}

unsigned long
logout_dropped_total(void)
{
	return out.dropped_total;
}

int
logout_fd(void)
{
	return out.fd;
}

void
logout_finish(int timeout_ms)
{
	long long end = clock_ms() + timeout_ms;
	struct pollfd p = { .fd = out.fd, .events = POLLOUT };
	long long left;

	(void)logout_flush();
	while (logout_pending() && (left = end - clock_ms()) > 0) {
		if (poll(&p, 1, (int)left) == -1 && errno != EINTR)
			return;
		(void)logout_flush();
	}
}
