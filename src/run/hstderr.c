/* Handlers' stderr: one pipe per handler with stderr = log, read in
 * bounded bites by the loop and logged line by line.  A pipe outlives its
 * handler while a process the handler left behind still holds it, so that
 * process is not killed by SIGPIPE on its next complaint (tcpserver's
 * shared stderr behaves the same); those pipes are kept in a table of
 * their own, at most max_gone of them. */
#include <sys/epoll.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <unistd.h>

#include "clock.h"
#include "events.h"
#include "hstderr.h"
#include "log.h"

/* Bytes of one handler's stderr read per wakeup: a flood gets a share of
 * the loop, not all of it. */
#define HSTDERR_BUDGET 16384
/* What is read at once when the handler has exited. */
#define HSTDERR_FINAL_BUDGET (256 * 1024)

int
hstderr_init(struct hstderr *h, int epfd, size_t max_gone)
{
	h->epfd = epfd;
	h->root = geteuid() == 0;
	h->max_gone = max_gone > 0 ? max_gone : 1;
	h->gone = (struct children){ 0 };
	h->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	return h->devnull == -1 ? -1 : 0;
}

/* One line of a handler's stderr, tagged with who wrote it; the pieces of
 * a line cut at ERRLOG_LINE_MAX say so. */
static void
hstderr_line(void *arg, const char *line, unsigned flags)
{
	const struct child *c = arg;

	event_stderr(c->name, c->pid, c->from, line, flags & ERRLOG_CONT,
	    flags & ERRLOG_CUT);
}

static void
hstderr_suppressed(void *arg, unsigned long count)
{
	const struct child *c = arg;

	event_stderr_suppressed(c->name, c->pid, count);
}

static struct errlog_sink
hstderr_sink(const struct child *c)
{
	return (struct errlog_sink){ hstderr_line, hstderr_suppressed,
		(void *)(uintptr_t)c };
}

/* The read end stays as long as the handler: moved off the numbers the
 * next connection will use, while the write end still holds its own. */
static int
hstderr_keep(struct child *c, int wr)
{
	int rd = spawn_keep_fd(c->err.fd);

	if (rd == -1) {
		(void)close(c->err.fd);
		(void)close(wr);
		return -1;
	}
	c->err.fd = rd;
	return 0;
}

int
hstderr_for(struct hstderr *h, const struct service *svc, int conn,
    struct child *c)
{
	int wr;

	switch (svc->stderr_to) {
	case STDERR_NULL:
		return h->devnull;
	case STDERR_INHERIT:
		return -1;
	case STDERR_CLIENT:
		return conn;
	case STDERR_LOG:
		break;
	}
	if (errlog_open(&c->err, &wr, &svc->stderr_rate) == -1 ||
	    hstderr_keep(c, wr) == -1) {
		log_warn("%s: stderr pipe (the handler shares superd's)",
		    svc->name);
		c->err.fd = -1;
		return -1;
	}
	/* A pipe is root's, mode 0600: the handler could write to its fd 2
	 * but not open /dev/stderr, as shells do for `>/dev/stderr`. */
	if (svc->user_set && h->root && (svc->uid != 0 || svc->gid != 0) &&
	    fchown(wr, svc->uid, svc->gid) == -1)
		log_warn("%s: chown stderr pipe", svc->name);
	return wr;
}

void
hstderr_done(const struct service *svc, int errfd)
{
	if (svc->stderr_to == STDERR_LOG && errfd != -1 && close(errfd) == -1)
		log_warn("close stderr pipe");
}

void
hstderr_watch(struct hstderr *h, const struct child *c)
{
	struct epoll_event ev = { .events = EPOLLIN,
		.data.u64 = children_event(c, HSTDERR_EVENT) };

	if (c->err.fd != -1 &&
	    epoll_ctl(h->epfd, EPOLL_CTL_ADD, c->err.fd, &ev) == -1)
		log_warn("%s[%d]: epoll_ctl stderr", c->name, (int)c->pid);
}

/* The exited handler whose id ends in these bits: a linear search, as
 * this table holds only pipes that outlived their handler. */
static struct child *
hstderr_find_gone(struct hstderr *h, uint64_t idbits)
{
	size_t i;

	for (i = 0; i < h->gone.n; i++)
		if ((h->gone.v[i].id & CHILD_EVENT_ID_MASK) == idbits)
			return &h->gone.v[i];
	return NULL;
}

struct child *
hstderr_ready(struct hstderr *h, struct children *kids, uint64_t data)
{
	struct child *c = children_find_event(kids, data);
	struct errlog_sink sink;
	bool gone = c == NULL;

	if (gone)
		c = hstderr_find_gone(h, data & CHILD_EVENT_ID_MASK);
	if (c == NULL || c->err.fd == -1)
		return NULL;
	sink = hstderr_sink(c);
	/* Closing the pipe also takes it out of the epoll set. */
	if (!errlog_drain(&c->err, HSTDERR_BUDGET, clock_ms(), &sink))
		return NULL;
	if (!gone)
		return c;
	children_remove_at(&h->gone, (size_t)(c - h->gone.v));
	return NULL;
}

/* Makes room in the table of pipes left open by exited handlers: the
 * oldest gives way, a bound on the fds held for leftovers. */
static void
hstderr_evict(struct hstderr *h)
{
	struct errlog_sink sink;

	if (h->gone.n < h->max_gone)
		return;
	sink = hstderr_sink(&h->gone.v[0]);
	errlog_close(&h->gone.v[0].err, clock_ms(), &sink);
	children_remove_at(&h->gone, 0);
}

void
hstderr_exited(struct hstderr *h, const struct child *c)
{
	struct child kept = *c;
	struct errlog_sink sink = hstderr_sink(&kept);

	if (kept.err.fd == -1 ||
	    errlog_drain(&kept.err, HSTDERR_FINAL_BUDGET, clock_ms(), &sink))
		return;
	hstderr_evict(h);
	if (children_reserve(&h->gone) == -1) {
		errlog_close(&kept.err, clock_ms(), &sink);
		return;
	}
	children_add(&h->gone, &kept);
}

void
hstderr_spawn_failed(const struct service *svc, pid_t pid,
    const struct spawn_failure *f)
{
	char text[512];

	spawn_failure_text(svc, f, text, sizeof(text));
	event_exec_failed(svc->name, pid, text);
}

void
hstderr_free(struct hstderr *h)
{
	struct errlog_sink sink;
	size_t i;

	for (i = 0; i < h->gone.n; i++) {
		sink = hstderr_sink(&h->gone.v[i]);
		errlog_close(&h->gone.v[i].err, clock_ms(), &sink);
	}
	children_free(&h->gone);
	if (h->devnull != -1 && close(h->devnull) == -1)
		log_warn("close /dev/null");
	h->devnull = -1;
}
