/* Integration tests of reaping with many handlers alive: every exit is
 * found and logged, whichever way it is learnt (a handler's stderr pipe,
 * its pidfd, SIGCHLD, the sweep after a SIGCHLD), for every kind of
 * socket (TCP, unix, and wait handlers on UDP and TCP), none is left a
 * zombie, and the descriptors superd keeps per handler stay off the
 * numbers a new connection takes.  Sized for CI; no timing is asserted. */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* Live handlers held open while others come and go. */
#define HELD 200
/* Connections opened at once per service, so their exits coincide and
 * their SIGCHLDs coalesce. */
#define BURST 60
#define WAIT_MS 20000
/* What superd holds per running handler: its stderr pipe or its pidfd,
 * and in fork builds (the sanitizers') also the pipe its spawn report
 * comes through, read at the reap. */
#if defined(__SANITIZE_ADDRESS__)
#define FDS_PER_HANDLER 2
#else
#define FDS_PER_HANDLER 1
#endif

static struct superd sd;

static void
teardown(void)
{
	superd_cleanup(&sd);
}

static bool
no_zombies(void *arg)
{
	return proc_zombie_children(*(pid_t *)arg) == 0;
}

/* Connects n clients to port, each with its line sent, and returns
 * their fds in fds. */
static void
connect_all(int port, int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		fds[i] = tcp_connect("127.0.0.1", port);
		ck_assert_int_ne(fds[i], -1);
		tcp_send(fds[i], "x\n", 2);
	}
}

/* Reads each client's echo of its line: its handler is running. */
static void
read_echoes(int *fds, int n)
{
	char buf[8];
	int i;

	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(tcp_read_line(fds[i], buf, sizeof(buf)), 2);
		superd_drain(&sd);
	}
}

/* Half-closes every client, so their handlers exit together, then reads
 * each to end of file. */
static void
end_all(int *fds, int n)
{
	char buf[64];
	int i;

	for (i = 0; i < n; i++)
		ck_assert_int_eq(shutdown(fds[i], SHUT_WR), 0);
	for (i = 0; i < n; i++) {
		(void)tcp_read_all(fds[i], buf, sizeof(buf), WAIT_MS);
		close(fds[i]);
		superd_drain(&sd);
	}
}

/* The third lowest descriptor number free in pid: the highest a new
 * connection takes (its socket and its pipe's two ends), and so how much
 * of superd's table its child copies. */
static int
third_free_fd(pid_t pid)
{
	char path[64];
	int fd, nfree = 0;

	for (fd = 0;; fd++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
		if (access(path, F_OK) == -1 && ++nfree == 3)
			return fd;
	}
}

/* What superd's table should come to: fds descriptors, and top as
 * third_free_fd. */
struct table_want {
	int fds, top;
};

/* True once superd's table is as w says.  Counts taken just after a
 * handler answered wait for this: superd closes its copies of the
 * connection and of the stderr pipe's write end, and moves the read end
 * up, after the clone returns, and the handler may answer before that. */
static bool
table_is(void *arg)
{
	const struct table_want *w = arg;

	return proc_fd_count(sd.pid) == w->fds &&
	    third_free_fd(sd.pid) == w->top;
}

/* Waits for superd's table to be fds descriptors with the numbers a
 * connection takes where they were with none, then asserts it (so a
 * failure names what differs). */
static void
assert_table(int fds, int top)
{
	struct table_want w = { fds, top };

	(void)harness_until(table_is, &w, WAIT_MS);
	ck_assert_int_eq(proc_fd_count(sd.pid), fds);
	ck_assert_int_eq(third_free_fd(sd.pid), top);
}

#define CONF                                                                   \
	"[supervisor]\nmax_children = 1000\ncontrol = off\n"                   \
	"[defaults]\nbind = 127.0.0.1\nexec = echo\nmax_connections = 1000\n"  \
	"[held]\nport = 0\n"                                                   \
	"[piped]\nport = 0\n"                                                  \
	"[nopipe]\nport = 0\nstderr = null\n"                                  \
	"[inherit]\nport = 0\nstderr = inherit\n"

START_TEST(many_live_handlers_every_exit_is_logged_and_none_left_a_zombie)
{
	static int held[HELD], burst[3][BURST];
	const char *names[3] = { "piped", "nopipe", "inherit" };
	int fds_idle, top_idle, fds_held, k;

	superd_start(&sd, CONF, NULL);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "ready:", 5000, NULL));
	fds_idle = proc_fd_count(sd.pid);
	top_idle = third_free_fd(sd.pid);
	connect_all(superd_port(&sd, "held"), held, HELD);
	read_echoes(held, HELD);
	/* One pipe per held handler, and each kept above the numbers the
	 * next connection takes: those are where they were with none. */
	fds_held = fds_idle + FDS_PER_HANDLER * HELD;
	assert_table(fds_held, top_idle);
	/* Bursts that end together, on each kind of stderr: the pipe, a
	 * pidfd (null), a pidfd and superd's own stderr (inherit). */
	for (k = 0; k < 3; k++)
		connect_all(superd_port(&sd, names[k]), burst[k], BURST);
	for (k = 0; k < 3; k++)
		read_echoes(burst[k], BURST);
	/* Their pipes and pidfds are kept above those numbers too. */
	assert_table(fds_held + FDS_PER_HANDLER * 3 * BURST, top_idle);
	for (k = 0; k < 3; k++)
		end_all(burst[k], BURST);
	ck_assert_uint_eq(superd_wait_count(&sd, "exited 0 after", 3 * BURST,
	                      WAIT_MS),
	    3 * BURST);
	ck_assert(harness_until(no_zombies, &sd.pid, WAIT_MS));
	assert_table(fds_held, top_idle);
	/* Then the held ones, all at once. */
	end_all(held, HELD);
	ck_assert_uint_eq(superd_wait_count(&sd, "exited 0 after",
	                      3 * BURST + HELD, WAIT_MS),
	    3 * BURST + HELD);
	ck_assert(harness_until(no_zombies, &sd.pid, WAIT_MS));
	assert_table(fds_idle, top_idle);
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	ck_assert(superd_wait_exit(&sd, WAIT_MS));
	ck_assert_uint_eq(superd_log_count(&sd, "]: connection from "),
	    3 * BURST + HELD);
	ck_assert_uint_eq(superd_log_count(&sd, "exited 0 after"),
	    3 * BURST + HELD);
}
END_TEST

/* The index in the log of the nth occurrence of needle (0 first), or -1. */
static long
log_nth(const char *needle, size_t nth)
{
	const char *p = sd.log;
	size_t i;

	for (i = 0; (p = strstr(p, needle)) != NULL; i++, p++)
		if (i == nth)
			return p - sd.log;
	return -1;
}

/*
 * A handler whose stderr pipe outlives it (it left a process holding the
 * pipe) ends without end of file on the pipe: superd learns of it from
 * SIGCHLD, and of the ones whose SIGCHLDs coalesced from the sweep that
 * follows.  So every exit is logged while the leftovers still run, not
 * when they end.
 */
START_TEST(handlers_whose_pipe_outlives_them_are_reaped_before_their_leftovers)
{
	const char *script = harness_script("leave.sh",
	    "#!/bin/sh\nsleep 4 </dev/null >/dev/null &\nexec cat\n");
	static int fds[BURST], held[HELD];
	char conf[512];
	long last_exit, first_leftover;

	snprintf(conf, sizeof(conf),
	    "[supervisor]\nmax_children = 1000\ncontrol = off\n"
	    "[defaults]\nbind = 127.0.0.1\nmax_connections = 1000\n"
	    "[held]\nport = 0\nexec = echo\n"
	    "[leave]\nport = 0\nexec = %s\n",
	    script);
	superd_start(&sd, conf, "-v", NULL);
	connect_all(superd_port(&sd, "held"), held, HELD);
	read_echoes(held, HELD);
	connect_all(superd_port(&sd, "leave"), fds, BURST);
	read_echoes(fds, BURST);
	end_all(fds, BURST);
	ck_assert_uint_eq(superd_wait_count(&sd, "]: exited 0 after", BURST,
	                      WAIT_MS),
	    BURST);
	/* The leftovers (sleep 4), orphans of superd now, end later. */
	ck_assert_uint_eq(superd_wait_count(&sd, ", left behind by a handler",
	                      BURST, WAIT_MS),
	    BURST);
	last_exit = log_nth("]: exited 0 after", BURST - 1);
	first_leftover = log_nth(", left behind by a handler", 0);
	ck_assert_msg(last_exit != -1 && last_exit < first_leftover,
	    "an exit logged after the leftovers ended; log:\n%s", sd.log);
	ck_assert(harness_until(no_zombies, &sd.pid, WAIT_MS));
	end_all(held, HELD);
	ck_assert_uint_eq(superd_wait_count(&sd, "]: exited 0 after",
	                      BURST + HELD, WAIT_MS),
	    BURST + HELD);
	ck_assert(harness_until(no_zombies, &sd.pid, WAIT_MS));
}
END_TEST

/* One datagram to a wait service whose handler answers one and exits:
 * an answer means a handler ran for it. */
static void
udp_round(int fd, int round)
{
	char msg[16], buf[8192];

	/* Each its own, so no handler finds the one before it. */
	snprintf(msg, sizeof(msg), "round %d", round);
	ck_assert_int_eq(send(fd, msg, strlen(msg), 0), (ssize_t)strlen(msg));
	ck_assert_int_gt(recv(fd, buf, sizeof(buf), 0), 0);
}

/* n unix clients of path at once, each echoed, then all ended. */
static void
unix_burst(const char *path, int n)
{
	int fds[BURST], i;
	char buf[8];

	for (i = 0; i < n; i++) {
		fds[i] = unix_connect(path);
		ck_assert_int_ne(fds[i], -1);
		tcp_send(fds[i], "x\n", 2);
	}
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(tcp_read_line(fds[i], buf, sizeof(buf)), 2);
	end_all(fds, n);
}

/* Rounds of each kind below, and unix clients per round. */
#define ROUNDS 10
#define UNIX_BURST 20

/*
 * Wait handlers hold their socket while they run: superd polls it again
 * only once it has learnt of the exit, so every round's answer shows that
 * the exit before it was found, with 200 other handlers alive.  The UDP
 * ones have a pipe (stderr = log) or a pidfd (stderr = null); unix
 * handlers come in bursts that end together.
 */
START_TEST(wait_udp_tcp_and_unix_handlers_among_many_live_ones_are_each_reaped)
{
	const char *probe = harness_probe_bin(), *path = harness_path("r.sock");
	static int held[HELD];
	int udp, udpnull, k, exits = ROUNDS * (3 + UNIX_BURST);
	char conf[1024], buf[8192];

	snprintf(conf, sizeof(conf),
	    "[supervisor]\nmax_children = 1000\ncontrol = off\n"
	    "[defaults]\nmax_connections = 1000\n"
	    "[held]\nport = 0\nbind = 127.0.0.1\nexec = echo\n"
	    "[udp]\nsocket = dgram\nport = 0\nbind = 127.0.0.1\n"
	    "exec = %s --recv\n"
	    "[udpnull]\nsocket = dgram\nport = 0\nbind = 127.0.0.1\n"
	    "stderr = null\nexec = %s --recv\n"
	    "[tcpwait]\nwait = yes\nport = 0\nbind = 127.0.0.1\n"
	    "exec = %s --accept\n"
	    "[unix]\npath = %s\nexec = echo\n",
	    probe, probe, probe, path);
	superd_start(&sd, conf, NULL);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "ready:", 5000, NULL));
	connect_all(superd_port(&sd, "held"), held, HELD);
	read_echoes(held, HELD);
	udp = udp_client(superd_port(&sd, "udp"));
	udpnull = udp_client(superd_port(&sd, "udpnull"));
	for (k = 0; k < ROUNDS; k++) {
		udp_round(udp, k);
		udp_round(udpnull, k);
		ck_assert_uint_gt(tcp_exchange(superd_port(&sd, "tcpwait"), "",
		                      buf, sizeof(buf)),
		    0);
		unix_burst(path, UNIX_BURST);
		superd_drain(&sd);
	}
	ck_assert_uint_eq(superd_wait_count(&sd, "exited 0 after", exits,
	                      WAIT_MS),
	    exits);
	ck_assert(harness_until(no_zombies, &sd.pid, WAIT_MS));
	ck_assert_uint_eq(superd_log_count(&sd, "]: started for "), 3 * ROUNDS);
	end_all(held, HELD);
	ck_assert_uint_eq(superd_wait_count(&sd, "exited 0 after", exits + HELD,
	                      WAIT_MS),
	    exits + HELD);
	ck_assert(harness_until(no_zombies, &sd.pid, WAIT_MS));
	close(udp);
	close(udpnull);
}
END_TEST

static Suite *
make_reap_suite(void)
{
	Suite *s = suite_create("reap");
	TCase *tc = tcase_create("reap");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc,
	    many_live_handlers_every_exit_is_logged_and_none_left_a_zombie);
	tcase_add_test(tc,
	    handlers_whose_pipe_outlives_them_are_reaped_before_their_leftovers);
	tcase_add_test(tc,
	    wait_udp_tcp_and_unix_handlers_among_many_live_ones_are_each_reaped);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_reap_suite());
}
