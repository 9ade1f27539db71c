/* Faults around the real superd: clients that reset, idle or half-close;
 * superd stopped and continued, or reloaded by a storm of SIGHUPs, under
 * load; handlers that close their
 * stdout, leave a grandchild behind or flood stderr.  Two faults are
 * tested elsewhere and not repeated here: EMFILE at accept
 * (integ_basic: fd_exhaustion_pauses_accepts_without_spinning_and_recovers)
 * and fork failure (integ_limits:
 * fork_failure_closes_clients_without_spinning_and_recovers). */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"

static struct superd sd;

static void
setup(void)
{
	/* Whatever outlives its parent comes to us, so the tests can see
	 * it (and clean it up by PID). */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
}

static void
teardown(void)
{
	superd_cleanup(&sd);
}

/* Starts superd with [svc] running exec (a path or a shipped name) and
 * extra keys, and [echo] beside it, with flag (NULL for none) on its
 * command line; returns svc's port. */
static int
start_with_flag(const char *exec, const char *keys, const char *flag)
{
	char conf[2048];

	snprintf(conf, sizeof(conf),
	    "[supervisor]\nshutdown_timeout = 2s\ncontrol = off\n"
	    "[svc]\nport = 0\nbind = 127.0.0.1\nexec = %s\n%s"
	    "[echo]\nport = 0\nbind = 127.0.0.1\nexec = echo\n",
	    exec, keys);
	superd_start(&sd, conf, flag, NULL);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "ready:", 5000, NULL));
	return superd_port(&sd, "svc");
}

static int
start_with(const char *exec, const char *keys)
{
	return start_with_flag(exec, keys, NULL);
}

static size_t
handler_starts(void)
{
	return superd_log_count(&sd, "]: connection from ");
}

static size_t
handler_ends(void)
{
	return superd_log_count(&sd, "]: exited ") +
	    superd_log_count(&sd, "]: killed by signal ");
}

/* True once every handler but *running has ended. */
static bool
all_ended(void *running)
{
	superd_drain(&sd);
	return handler_ends() + *(size_t *)running == handler_starts();
}

/* The number after " key=" in the SIGUSR1 stats line of service name. */
static unsigned long
stat_of(const char *name, const char *key)
{
	size_t from = sd.loglen;
	char want[64];
	const char *hit, *p;

	ck_assert_int_eq(kill(sd.pid, SIGUSR1), 0);
	snprintf(want, sizeof(want), "superd: %s: stats ", name);
	hit = superd_wait_log(&sd, want, 5000, &from);
	ck_assert_ptr_nonnull(hit);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "\n", 5000, &from));
	snprintf(want, sizeof(want), " %s=", key);
	p = strstr(hit, want);
	ck_assert_ptr_nonnull(p);
	return strtoul(p + strlen(want), NULL, 10);
}

/* superd serves [echo], and its fds and children are as they should be
 * once every handler but `running` has ended; fds 0: not checked. */
static void
assert_healthy(int fds, size_t running)
{
	char buf[64];

	tcp_exchange(superd_port(&sd, "echo"), "alive\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "alive\n");
	ck_assert_msg(harness_until(all_ended, &running, 10000),
	    "%zu handlers started, %zu ended", handler_starts(),
	    handler_ends());
	ck_assert_int_eq(proc_zombie_children(sd.pid), 0);
	if (fds > 0)
		ck_assert_int_eq(proc_fd_count(sd.pid), fds);
	ck_assert_ptr_null(strstr(sd.log, "superd: waitpid: "));
	ck_assert_ptr_null(strstr(sd.log, ": accept on "));
}

/* Children of ours that are still running, after reaping the ones that
 * died (superd must be reaped already). */
static size_t
running_children(pid_t *out, size_t max)
{
	pid_t kids[64];
	size_t i, n, alive = 0;
	int status;

	while (waitpid(-1, &status, WNOHANG) > 0)
		;
	n = proc_children(getpid(), kids, 64);
	for (i = 0; i < n && i < 64; i++)
		if (proc_alive(kids[i]) && alive < max)
			out[alive++] = kids[i];
	return alive;
}

/* ---- clients ---- */

#define RESETS 20

START_TEST(clients_that_reset_before_accept_cost_nothing_and_superd_serves_on)
{
	struct linger rst = { 1, 0 };
	int port, held, fd, i, fds;
	char buf[64];

	port = start_with("echo", "max_connections = 1\n");
	fds = proc_fd_count(sd.pid);
	/* One held handler: superd defers, so the rest wait in the
	 * backlog, where they reset. */
	held = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(held, -1);
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "svc: full (1 handlers)", 5000, NULL));
	for (i = 0; i < RESETS; i++) {
		fd = tcp_connect("127.0.0.1", port);
		ck_assert_int_ne(fd, -1);
		if (i % 2 == 0)
			tcp_send(fd, "unread\n", 7);
		ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst,
		                     sizeof(rst)),
		    0);
		close(fd);
	}
	tcp_send(held, "x\n", 2);
	shutdown(held, SHUT_WR);
	ck_assert_int_eq(tcp_read_line(held, buf, sizeof(buf)), 2);
	close(held);
	/* Each reset connection got a handler that saw the reset, or none;
	 * either way superd accounts for it and serves on. */
	tcp_exchange(port, "after\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "after\n");
	assert_healthy(fds, 0);
	ck_assert_uint_le(handler_starts(), RESETS + 3);
	ck_assert_uint_eq(stat_of("svc", "active"), 0);
}
END_TEST

#define IDLE_CLIENTS 12

START_TEST(clients_that_connect_and_never_send_are_ended_by_max_duration)
{
	int fds[IDLE_CLIENTS], port, i, sdfds;
	long long t0;
	char buf[64];

	port = start_with("echo",
	    "max_connections = 4\nmax_duration = 300ms\n"
	    "stop_timeout = 200ms\n");
	sdfds = proc_fd_count(sd.pid);
	t0 = clock_ms();
	for (i = 0; i < IDLE_CLIENTS; i++) {
		fds[i] = tcp_connect("127.0.0.1", port);
		ck_assert_int_ne(fds[i], -1);
	}
	/* Idle clients fill svc; other services do not notice. */
	for (i = 0; i < 5; i++) {
		tcp_exchange(superd_port(&sd, "echo"), "other\n", buf,
		    sizeof(buf));
		ck_assert_str_eq(buf, "other\n");
	}
	/* Four at a time, 300 ms each: all twelve see EOF, in turn. */
	for (i = 0; i < IDLE_CLIENTS; i++) {
		ck_assert_int_eq(tcp_read_all(fds[i], buf, sizeof(buf),
		                     (int)(t0 + 15000 - clock_ms())),
		    0);
		close(fds[i]);
	}
	assert_healthy(sdfds, 0);
	ck_assert_uint_eq(superd_log_count(&sd,
	                      "running longer than max_duration (300ms)"),
	    IDLE_CLIENTS);
	ck_assert_uint_eq(stat_of("svc", "killed"), IDLE_CLIENTS);
}
END_TEST

#define HALF_CLOSERS 32

START_TEST(clients_that_half_close_get_their_whole_reply_then_eof)
{
	static const size_t sizes[] = { 0, 1, 100, 4096, 20000 };
	static char msg[20000], buf[20001];
	int fds[HALF_CLOSERS], port, i, sdfds;
	size_t len, n;

	for (n = 0; n < sizeof(msg); n++)
		msg[n] = (char)('a' + n % 26);
	port = start_with("echo", "");
	sdfds = proc_fd_count(sd.pid);
	for (i = 0; i < HALF_CLOSERS; i++) {
		fds[i] = tcp_connect("127.0.0.1", port);
		ck_assert_int_ne(fds[i], -1);
		len = sizes[i % 5];
		if (len > 0)
			tcp_send(fds[i], msg, len);
		ck_assert_int_eq(shutdown(fds[i], SHUT_WR), 0);
	}
	for (i = 0; i < HALF_CLOSERS; i++) {
		len = sizes[i % 5];
		n = tcp_read_all(fds[i], buf, sizeof(buf), 5000);
		ck_assert_uint_eq(n, len);
		ck_assert(memcmp(buf, msg, len) == 0);
		close(fds[i]);
	}
	assert_healthy(sdfds, 0);
	ck_assert_uint_eq(superd_log_count(&sd, "svc[") / 2, HALF_CLOSERS);
	ck_assert_uint_eq(superd_log_count(&sd, "]: exited 0 "),
	    HALF_CLOSERS + 1);
}
END_TEST

/* ---- superd stopped under load ---- */

#define STOP_CLIENTS 4
#define STOP_EACH 100

/* A client process: STOP_EACH exchanges, one after another; writes how
 * many got exactly their message back.  No Check calls: it is not the
 * test process. */
static void __attribute__((noreturn)) stop_client(int port, int report)
{
	int ok = 0, i, fd;
	char msg[32], buf[64];
	size_t n;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (i = 0; i < STOP_EACH; i++) {
		if ((fd = tcp_connect("127.0.0.1", port)) == -1)
			continue;
		n = (size_t)snprintf(msg, sizeof(msg), "m%d\n", i);
		if (send(fd, msg, n, MSG_NOSIGNAL) == (ssize_t)n &&
		    shutdown(fd, SHUT_WR) == 0 &&
		    tcp_read_all(fd, buf, sizeof(buf), 10000) == n &&
		    memcmp(buf, msg, n) == 0)
			ok++;
		close(fd);
	}
	_exit(write(report, &ok, sizeof(ok)) == sizeof(ok) ? 0 : 1);
}

START_TEST(superd_stopped_and_continued_under_load_loses_no_connection)
{
	int port, p[2], i, ok, total = 0, status, stops = 0, most = 0, z;
	pid_t pids[STOP_CLIENTS];

	port = start_with("echo", "");
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	for (i = 0; i < STOP_CLIENTS; i++) {
		pids[i] = fork();
		ck_assert_int_ne(pids[i], -1);
		if (pids[i] == 0)
			stop_client(port, p[1]);
	}
	/* Stop superd five times for 300 ms while the clients run. */
	for (stops = 0; stops < 5; stops++) {
		harness_sleep_ms(100);
		ck_assert_int_eq(kill(sd.pid, SIGSTOP), 0);
		harness_sleep_ms(300);
		z = proc_zombie_children(sd.pid);
		most = z > most ? z : most;
		ck_assert_int_eq(kill(sd.pid, SIGCONT), 0);
		superd_drain(&sd);
	}
	for (i = 0; i < STOP_CLIENTS; i++) {
		while (waitpid(pids[i], &status, WNOHANG) == 0) {
			superd_drain(&sd);
			harness_sleep_ms(10);
		}
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		ck_assert_int_eq(read(p[0], &ok, sizeof(ok)), sizeof(ok));
		total += ok;
	}
	close(p[0]);
	close(p[1]);
	fprintf(stderr,
	    "stopped 5 times under load: %d of %d exchanges complete, at "
	    "most %d handlers left unreaped while stopped\n",
	    total, STOP_CLIENTS * STOP_EACH, most);
	ck_assert_int_eq(total, STOP_CLIENTS * STOP_EACH);
	assert_healthy(0, 0);
	ck_assert_uint_eq(stat_of("svc", "accepted"), STOP_CLIENTS * STOP_EACH);
}
END_TEST

/* Two valid configurations that differ in one service; [svc] and [echo]
 * are the same in both, so their listeners must survive every reload. */
#define STORM_COMMON                                                           \
	"[supervisor]\nshutdown_timeout = 2s\ncontrol = off\n"                 \
	"[svc]\nport = 0\nbind = 127.0.0.1\nexec = echo\n"                     \
	"[echo]\nport = 0\nbind = 127.0.0.1\nexec = echo\n"
#define STORM_EXTRA "[extra]\nport = 0\nbind = 127.0.0.1\nexec = echo\n"
#define STORM_HUPS 50

/* Replaces path atomically (a reload never reads half a file) with one
 * of the two configurations. */
static void
storm_write(const char *path, bool extra)
{
	char text[1024], tmp[PATH_MAX];
	const char *made;

	/* The harness adds `user = root` only to the first file; say it
	 * here for the next ones. */
	snprintf(text, sizeof(text), "%s%s%s",
	    geteuid() == 0 ? "[defaults]\nuser = root\n" : "", STORM_COMMON,
	    extra ? STORM_EXTRA : "");
	made = harness_file("next.ini", text);
	snprintf(tmp, sizeof(tmp), "%s", made);
	ck_assert_int_eq(rename(tmp, path), 0);
}

START_TEST(sighup_storm_under_load_loses_no_connection)
{
	int port, p[2], i, ok, total = 0, status, fds;
	const char *made;
	size_t from;
	char path[PATH_MAX];
	pid_t pids[STOP_CLIENTS];

	superd_start(&sd, STORM_COMMON STORM_EXTRA, NULL);
	/* superd_start wrote superd.ini in the harness's directory. */
	made = harness_file("probe.ini", "");
	snprintf(path, sizeof(path), "%.*s/superd.ini",
	    (int)(strrchr(made, '/') - made), made);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "ready:", 5000, NULL));
	port = superd_port(&sd, "svc");
	fds = proc_fd_count(sd.pid);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	for (i = 0; i < STOP_CLIENTS; i++) {
		pids[i] = fork();
		ck_assert_int_ne(pids[i], -1);
		if (pids[i] == 0)
			stop_client(port, p[1]);
	}
	/* Every SIGHUP finds the other configuration: [extra] comes and
	 * goes, [svc] and [echo] stay. */
	for (i = 0; i < STORM_HUPS; i++) {
		storm_write(path, i % 2 == 1);
		ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
		superd_drain(&sd);
		harness_sleep_ms(20);
	}
	for (i = 0; i < STOP_CLIENTS; i++) {
		while (waitpid(pids[i], &status, WNOHANG) == 0) {
			superd_drain(&sd);
			harness_sleep_ms(10);
		}
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		ck_assert_int_eq(read(p[0], &ok, sizeof(ok)), sizeof(ok));
		total += ok;
	}
	close(p[0]);
	close(p[1]);
	/* One more, on the first configuration, to end where we began. */
	storm_write(path, true);
	from = sd.loglen;
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "reloaded ", 5000, &from));
	superd_drain(&sd);
	fprintf(stderr,
	    "SIGHUP storm: %d SIGHUPs, %zu reloads, %d of %d exchanges "
	    "complete\n",
	    STORM_HUPS + 1, superd_log_count(&sd, "reloaded "), total,
	    STOP_CLIENTS * STOP_EACH);
	ck_assert_int_eq(total, STOP_CLIENTS * STOP_EACH);
	ck_assert_ptr_null(strstr(sd.log, "reload failed"));
	ck_assert_uint_ge(superd_log_count(&sd, "reloaded "), 2);
	assert_healthy(fds, 0);
	ck_assert_uint_eq(stat_of("svc", "active"), 0);
}
END_TEST

/* ---- handlers that misbehave ---- */

START_TEST(handler_that_closes_stdout_and_keeps_running_is_stopped_at_shutdown)
{
	const char *script = harness_script("closer.sh",
	    "#!/bin/sh\necho $$\nexec >&-\nread line\nexec sleep 30\n");
	pid_t handler, left[8];
	char line[64];
	int port, fd;

	port = start_with(script, "");
	fd = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(fd, -1);
	tcp_read_line(fd, line, sizeof(line));
	handler = (pid_t)strtol(line, NULL, 10);
	ck_assert_int_gt(handler, 1);
	tcp_send(fd, "x\n", 2);
	/* No stdout, still running: superd counts it and serves on. */
	harness_sleep_ms(200);
	ck_assert(proc_alive(handler));
	ck_assert_uint_eq(stat_of("svc", "active"), 1);
	assert_healthy(0, 1);
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	ck_assert(superd_wait_exit(&sd, 10000));
	ck_assert(WIFEXITED(sd.status) && WEXITSTATUS(sd.status) == 0);
	ck_assert(!proc_alive(handler));
	ck_assert_uint_eq(running_children(left, 8), 0);
	ck_assert_int_eq(tcp_read_all(fd, line, sizeof(line), 5000), 0);
	close(fd);
}
END_TEST

/* Known gap, reported: once a handler has exited and been reaped, superd
 * no longer knows its process group, so a grandchild it left behind is
 * not stopped at shutdown (nor by max_duration).  Set to 0 when superd
 * tracks such groups; the test then requires the grandchild to be gone. */
#define GRANDCHILD_OUTLIVES_SUPERD 0

START_TEST(handler_that_forks_a_grandchild_and_exits_is_reaped_at_once)
{
	const char *script = harness_script("parent.sh",
	    "#!/bin/sh\nsleep 30 2>/dev/null &\necho $!\n");
	pid_t grandchild, left[8];
	char line[64], reaped[64];
	size_t n;
	int port, fd, status;

	/* -v: superd reaps what handlers leave behind at debug level. */
	port = start_with_flag(script, "", "-v");
	fd = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(fd, -1);
	tcp_read_line(fd, line, sizeof(line));
	grandchild = (pid_t)strtol(line, NULL, 10);
	ck_assert_int_gt(grandchild, 1);
	/* The handler is gone and reaped; its grandchild holds the client
	 * connection, which is no business of superd's.  (It does not hold
	 * superd's stderr, or reading the log to its end would wait for
	 * it.) */
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "]: exited 0 after", 5000, NULL));
	ck_assert(proc_alive(grandchild));
	ck_assert_uint_eq(stat_of("svc", "active"), 0);
	assert_healthy(0, 0);
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	ck_assert(superd_wait_exit(&sd, 10000));
	ck_assert(WIFEXITED(sd.status) && WEXITSTATUS(sd.status) == 0);
	n = running_children(left, 8);
	if (GRANDCHILD_OUTLIVES_SUPERD && n == 1 && left[0] == grandchild) {
		fprintf(stderr,
		    "known gap: the grandchild %d of an exited handler "
		    "outlived superd's shutdown\n",
		    (int)grandchild);
		ck_assert_int_eq(kill(grandchild, SIGKILL), 0);
		ck_assert_int_eq(waitpid(grandchild, &status, 0), grandchild);
		n = 0;
	}
	ck_assert_uint_eq(n, 0);
	/* superd stopped the orphan it inherited and reaped it itself, as
	 * one: not a zombie left to us, not an exit of a handler. */
	snprintf(reaped, sizeof(reaped),
	    "superd: reaped %d, left behind by "
	    "a handler\n",
	    (int)grandchild);
	ck_assert_msg(strstr(sd.log, reaped) != NULL, "no \"%s\" in:\n%s",
	    reaped, sd.log);
	close(fd);
}
END_TEST

/* superd's stderr read by a thread, as a log collector would: lines of
 * superd's own are kept, the rest (a handler's stderr, written straight
 * or relayed by superd) only counted. */
struct drain {
	pthread_mutex_t lock;
	pthread_t thread;
	int fd;
	bool stop;
	char *kept;
	size_t keptlen, other, total;
	char line[1024]; /* a line not yet ended */
	size_t linelen;
};

#define DRAIN_KEEP (1024 * 1024)

/* A write of superd's is one line, but the spammer's large writes are
 * split wherever the pipe is full, so a line of superd's can follow part
 * of a spam line. */
static void
drain_line(struct drain *d, const char *p, size_t len)
{
	const char *at = memmem(p, len, "superd: ", 8);
	size_t n = at != NULL ? len - (size_t)(at - p) : 0;

	d->other += len - n;
	/* A handler's stderr relayed by superd is spam all the same. */
	if (n != 0 && memmem(at, n, "]: stderr from ", 15) != NULL) {
		d->other += n;
		return;
	}
	if (n == 0 || d->keptlen + n >= DRAIN_KEEP)
		return;
	memcpy(d->kept + d->keptlen, at, n);
	d->keptlen += n;
	d->kept[d->keptlen] = '\0';
}

static void
drain_chunk(struct drain *d, const char *p, size_t n)
{
	const char *end = p + n, *nl;
	size_t len, room;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		room = sizeof(d->line) - d->linelen;
		/* Spam lines can be longer than any line of superd's: only
		 * their length matters. */
		memcpy(d->line + d->linelen, p, len < room ? len : room);
		d->linelen += len < room ? len : room;
		d->other += len < room ? 0 : len - room;
		if (nl == NULL)
			return;
		drain_line(d, d->line, d->linelen);
		d->linelen = 0;
	}
}

static void *
drain_run(void *arg)
{
	struct drain *d = arg;
	struct pollfd pfd = { d->fd, POLLIN, 0 };
	static char buf[65536];
	ssize_t n;
	bool stop = false;

	while (!stop) {
		if (poll(&pfd, 1, 50) == 1) {
			n = read(d->fd, buf, sizeof(buf));
			if (n <= 0)
				break;
			pthread_mutex_lock(&d->lock);
			d->total += (size_t)n;
			drain_chunk(d, buf, (size_t)n);
			pthread_mutex_unlock(&d->lock);
		}
		pthread_mutex_lock(&d->lock);
		stop = d->stop;
		pthread_mutex_unlock(&d->lock);
	}
	return NULL;
}

static size_t
drain_count(struct drain *d, const char *needle, size_t *total)
{
	const char *p;
	size_t n = 0;

	pthread_mutex_lock(&d->lock);
	for (p = d->kept; (p = strstr(p, needle)) != NULL; p++)
		n++;
	if (total != NULL)
		*total = d->total;
	pthread_mutex_unlock(&d->lock);
	return n;
}

static bool
drain_wait(struct drain *d, const char *needle, size_t count, int timeout_ms)
{
	long long end = clock_ms() + timeout_ms;

	while (drain_count(d, needle, NULL) < count) {
		if (clock_ms() >= end)
			return false;
		harness_sleep_ms(10);
	}
	return true;
}

#define SPAM_ROUND_TRIPS 20

START_TEST(handler_that_writes_to_stderr_forever_does_not_stall_superd)
{
	const char *script = harness_script("spam.sh",
	    "#!/bin/sh\nexec yes 'spam spam spam spam' >&2\n");
	struct drain d = { .fd = -1 };
	char buf[64];
	size_t total;
	int port, echo, fd, i;

	/* All of it, uncapped: the loop must cope with the whole flood. */
	port = start_with(script,
	    "max_duration = 1s\nstop_timeout = 500ms\nstderr_rate = 0\n");
	echo = superd_port(&sd, "echo");
	pthread_mutex_init(&d.lock, NULL);
	d.fd = sd.errfd;
	d.kept = calloc(1, DRAIN_KEEP + 1);
	ck_assert_ptr_nonnull(d.kept);
	ck_assert_int_eq(pthread_create(&d.thread, NULL, drain_run, &d), 0);
	fd = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(fd, -1);
	for (i = 0; i < SPAM_ROUND_TRIPS; i++) {
		tcp_exchange(echo, "through\n", buf, sizeof(buf));
		ck_assert_str_eq(buf, "through\n");
	}
	ck_assert(drain_wait(&d, "svc[", 1, 5000));
	ck_assert(drain_wait(&d, "running longer than max_duration (1000ms)", 1,
	    10000));
	ck_assert(drain_wait(&d, "killed by signal 15", 1, 10000));
	ck_assert_int_eq(tcp_read_all(fd, buf, sizeof(buf), 5000), 0);
	close(fd);
	/* Each of superd's lines arrived whole among the spam. */
	ck_assert(drain_wait(&d, "]: exited 0 after", SPAM_ROUND_TRIPS, 5000));
	ck_assert_uint_eq(drain_count(&d, "superd: echo[", NULL),
	    2 * SPAM_ROUND_TRIPS);
	ck_assert_uint_eq(drain_count(&d,
	                      "]: connection from 127.0.0.1:", &total),
	    SPAM_ROUND_TRIPS + 1);
	fprintf(stderr,
	    "stderr flood: %zu bytes on superd's stderr; %d round trips "
	    "through another service meanwhile\n",
	    total, SPAM_ROUND_TRIPS);
	ck_assert_uint_gt(total, 65536);
	pthread_mutex_lock(&d.lock);
	d.stop = true;
	pthread_mutex_unlock(&d.lock);
	pthread_join(d.thread, NULL);
	free(d.kept);
	ck_assert_int_eq(proc_zombie_children(sd.pid), 0);
}
END_TEST

static Suite *
make_faults_suite(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("faults");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc,
	    clients_that_reset_before_accept_cost_nothing_and_superd_serves_on);
	tcase_add_test(tc,
	    clients_that_connect_and_never_send_are_ended_by_max_duration);
	tcase_add_test(tc,
	    clients_that_half_close_get_their_whole_reply_then_eof);
	tcase_add_test(tc,
	    superd_stopped_and_continued_under_load_loses_no_connection);
	tcase_add_test(tc, sighup_storm_under_load_loses_no_connection);
	tcase_add_test(tc,
	    handler_that_closes_stdout_and_keeps_running_is_stopped_at_shutdown);
	tcase_add_test(tc,
	    handler_that_forks_a_grandchild_and_exits_is_reaped_at_once);
	tcase_add_test(tc,
	    handler_that_writes_to_stderr_forever_does_not_stall_superd);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_faults_suite());
}
