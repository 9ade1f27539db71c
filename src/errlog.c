/* Handler stderr to log lines.  The pipe is read non-blocking and in
 * bounded bites, so a handler that writes forever costs superd a share of
 * its loop, never all of it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "errlog.h"
#include "log.h"

int
errlog_open(struct errlog *e, int *wr)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	/* Only superd's end is non-blocking: the handler's stderr stays
	 * blocking, as programs expect. */
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) == -1) {
		(void)close(p[0]);
		(void)close(p[1]);
		return -1;
	}
	e->fd = p[0];
	e->len = 0;
	*wr = p[1];
	return 0;
}

static void
errlog_emit(struct errlog *e, errlog_emit_fn *emit, void *arg)
{
	if (e->len > 0 && e->line[e->len - 1] == '\r')
		e->len--;
	e->line[e->len] = '\0';
	emit(arg, e->line);
	e->len = 0;
}

/* Appends one byte, escaping what would break a log line. */
static void
errlog_put(struct errlog *e, unsigned char c, errlog_emit_fn *emit, void *arg)
{
	char esc[5];
	size_t i, n = 1;

	if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
		n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
	else
		esc[0] = (char)c;
	if (e->len + n > ERRLOG_LINE_MAX)
		errlog_emit(e, emit, arg);
	for (i = 0; i < n; i++)
		e->line[e->len++] = esc[i];
}

void
errlog_feed(struct errlog *e, const char *buf, size_t n, errlog_emit_fn *emit,
    void *arg)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\n')
			errlog_emit(e, emit, arg);
		else
			errlog_put(e, (unsigned char)buf[i], emit, arg);
	}
}

bool
errlog_drain(struct errlog *e, size_t budget, bool final, errlog_emit_fn *emit,
    void *arg)
{
	char buf[4096];
	ssize_t n = 0;

	while (budget > 0) {
		n = read(e->fd, buf,
		    budget < sizeof(buf) ? budget : sizeof(buf));
		if (n <= 0)
			break;
		errlog_feed(e, buf, (size_t)n, emit, arg);
		budget -= (size_t)n;
	}
	if (n == -1 && errno != EAGAIN && errno != EINTR)
		log_warn("reading a handler's stderr");
	if (n != 0 && !final)
		return false;
	if (e->len > 0)
		errlog_emit(e, emit, arg);
	if (close(e->fd) == -1)
		log_warn("close stderr pipe");
	e->fd = -1;
	return true;
}
