/* Handler stderr to log lines.  The pipe is read non-blocking and in
 * bounded bites, so a handler that writes forever costs superd a share of
 * its loop, never all of it; and only stderr_rate of its lines reach the
 * log, so it cannot fill the disk either. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "errlog.h"
#include "log.h"

int
errlog_open(struct errlog *e, int *wr, const struct rate *rate)
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
	e->cont = false;
	e->line_ok = true;
	e->rate = *rate;
	e->bucket = (struct bucket){ 0 };
	e->suppressing = false;
	e->dropped = 0;
	*wr = p[1];
	return 0;
}

static void
errlog_end_episode(struct errlog *e, const struct errlog_sink *sink)
{
	if (e->dropped > 0)
		sink->suppressed(sink->arg, e->dropped);
	e->dropped = 0;
	e->suppressing = false;
}

/* Whether this line may be logged.  An episode of suppression lasts until
 * the bucket is full again, so a steady flood logs one summary, not one
 * per token. */
static bool
errlog_admit(struct errlog *e, long long now, const struct errlog_sink *sink)
{
	if (e->rate.n == 0)
		return true;
	if (e->suppressing && bucket_full(&e->bucket, &e->rate, now))
		errlog_end_episode(e, sink);
	if (!e->suppressing && bucket_take(&e->bucket, &e->rate, now))
		return true;
	e->suppressing = true;
	e->dropped++;
	return false;
}

static void
errlog_emit(struct errlog *e, bool cut, long long now,
    const struct errlog_sink *sink)
{
	unsigned flags = (cut ? ERRLOG_CUT : 0) | (e->cont ? ERRLOG_CONT : 0);

	if (e->len > 0 && e->line[e->len - 1] == '\r')
		e->len--;
	e->line[e->len] = '\0';
	/* The pieces of a cut line stand or fall with its first piece. */
	if (!e->cont)
		e->line_ok = errlog_admit(e, now, sink);
	if (e->line_ok)
		sink->line(sink->arg, e->line, flags);
	e->len = 0;
	e->cont = cut;
}

/* Appends one byte, escaping what would break a log line. */
static void
errlog_put(struct errlog *e, unsigned char c, long long now,
    const struct errlog_sink *sink)
{
	char esc[5];
	size_t i, n = 1;

	if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
		n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
	else
		esc[0] = (char)c;
	if (e->len + n > ERRLOG_LINE_MAX)
		errlog_emit(e, true, now, sink);
	for (i = 0; i < n; i++)
		e->line[e->len++] = esc[i];
}

void
errlog_feed(struct errlog *e, const char *buf, size_t n, long long now,
    const struct errlog_sink *sink)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\n')
			errlog_emit(e, false, now, sink);
		else
			errlog_put(e, (unsigned char)buf[i], now, sink);
	}
}

void
errlog_close(struct errlog *e, long long now, const struct errlog_sink *sink)
{
	if (e->fd == -1)
		return;
	if (e->len > 0)
		errlog_emit(e, false, now, sink);
	errlog_end_episode(e, sink);
	if (close(e->fd) == -1)
		log_warn("close stderr pipe");
	e->fd = -1;
}

bool
errlog_drain(struct errlog *e, size_t budget, long long now,
    const struct errlog_sink *sink)
{
	char buf[4096];
	ssize_t n = 0;

	while (budget > 0) {
		n = read(e->fd, buf,
		    budget < sizeof(buf) ? budget : sizeof(buf));
		if (n <= 0)
			break;
		errlog_feed(e, buf, (size_t)n, now, sink);
		budget -= (size_t)n;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n > 0)
		return false;
	if (n == -1)
		log_warn("reading a handler's stderr");
	errlog_close(e, now, sink);
	return true;
}
