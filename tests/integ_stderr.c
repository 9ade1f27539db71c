/* Integration tests of stderr: superd's own log when nobody reads it
 * (the loop must go on, lines are dropped and counted), and what handlers
 * write to theirs. */
#include <sys/socket.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"

static struct superd sd;

static void
teardown(void)
{
	superd_cleanup(&sd);
}

/* A service whose one connection writes 3,000 lines to stderr, far more
 * than a 4 KB pipe and superd's buffer hold, and an echo service. */
#define FLOOD_CONF                                                             \
	"[flood]\nport = 0\nbind = 127.0.0.1\nstderr_rate = 0\n"               \
	"exec = /bin/sh -c 'seq 1 3000 >&2; echo done'\n"                      \
	"[echo]\nport = 0\nbind = 127.0.0.1\nexec = echo\n"

/* Fills superd's stderr: a 4 KB pipe, then a flood that nobody reads. */
static void
fill_stderr(int flood)
{
	char buf[64];

	superd_drain(&sd);
	ck_assert_int_ge(fcntl(sd.errfd, F_SETPIPE_SZ, 4096), 4096);
	tcp_exchange(flood, "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "done\n");
}

/* Waits for superd to exit without reading its stderr. */
static bool
wait_exit_unread(int timeout_ms)
{
	long long end = clock_ms() + timeout_ms;

	while (clock_ms() < end) {
		if (waitpid(sd.pid, &sd.status, WNOHANG) == sd.pid) {
			sd.reaped = true;
			return true;
		}
		harness_sleep_ms(10);
	}
	return false;
}

START_TEST(a_stderr_nobody_reads_never_stops_the_loop)
{
	int flood, echo, i;
	char buf[64];

	superd_start(&sd, FLOOD_CONF, NULL);
	flood = superd_port(&sd, "flood");
	echo = superd_port(&sd, "echo");
	fill_stderr(flood);
	/* superd's stderr is full and unread: it serves on all the same. */
	for (i = 0; i < 20; i++) {
		tcp_exchange(echo, "x\n", buf, sizeof(buf));
		ck_assert_str_eq(buf, "x\n");
	}
	/* Once the log drains, what was lost is counted. */
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "log lines dropped", 5000, NULL));
}
END_TEST

START_TEST(sigterm_is_honoured_with_stderr_full)
{
	superd_start(&sd, FLOOD_CONF, NULL);
	fill_stderr(superd_port(&sd, "flood"));
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	ck_assert_msg(wait_exit_unread(10000), "superd did not stop");
	ck_assert(WIFEXITED(sd.status) && WEXITSTATUS(sd.status) == 0);
}
END_TEST

/* Starts superd with one service [svc] on port 0 with these keys; returns
 * its port. */
static int
start_svc(const char *keys)
{
	char conf[2048];

	snprintf(conf, sizeof(conf), "[svc]\nport = 0\nbind = 127.0.0.1\n%s",
	    keys);
	superd_start(&sd, conf, NULL);
	return superd_port(&sd, "svc");
}

/* A handler may reopen /dev/stderr even as another user: its log pipe is
 * its own. */
START_TEST(a_handler_of_another_user_can_open_dev_stderr)
{
	char buf[64];
	int port;

	if (geteuid() != 0) {
		harness_skip("not root: cannot run a handler as nobody");
		return;
	}
	port = start_svc("user = nobody\n"
	                 "exec = /bin/sh -c 'echo opened >/dev/stderr; "
	                 "echo ok'\n");
	tcp_exchange(port, "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "ok\n");
	ck_assert_ptr_nonnull(superd_wait_log(&sd, ": opened\n", 5000, NULL));
	ck_assert_ptr_null(strstr(sd.log, "Permission denied"));
}
END_TEST

/* What a handler leaves running may write to stderr after the handler is
 * gone: it is read and logged, and the writer is not killed by SIGPIPE. */
START_TEST(stderr_of_what_a_handler_left_behind_is_still_logged)
{
	char buf[64];
	int port;

	port = start_svc("exec = /bin/sh -c '(sleep 0.3; echo late >&2; "
	                 "echo still alive >&2) </dev/null >/dev/null & "
	                 "echo ok'\n");
	tcp_exchange(port, "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "ok\n");
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "exited 0", 5000, NULL));
	ck_assert_ptr_nonnull(superd_wait_log(&sd, ": late\n", 5000, NULL));
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, ": still alive\n", 5000, NULL));
}
END_TEST

/* stderr_rate: the first lines pass, the rest are counted in one line. */
START_TEST(stderr_rate_caps_the_lines_and_counts_the_rest)
{
	char buf[64];
	int port;

	port = start_svc("stderr_rate = 10/1m\n"
	                 "exec = /bin/sh -c 'seq 1 50 >&2; echo ok'\n");
	tcp_exchange(port, "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "ok\n");
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "40 stderr lines suppressed (stderr_rate)", 5000, NULL));
	ck_assert_uint_eq(superd_log_count(&sd, "stderr from"), 10);
	ck_assert_ptr_nonnull(strstr(sd.log, ": 10\n"));
	ck_assert_ptr_null(strstr(sd.log, ": 11\n"));
}
END_TEST

/* A line longer than a log line is cut, and both sides of each cut say
 * so. */
START_TEST(a_cut_line_is_marked_on_both_sides_of_the_cut)
{
	char buf[64];
	const char *first, *second, *third;
	int port;

	port = start_svc(
	    "exec = /bin/sh -c 'printf %0600d 0 >&2; echo >&2; echo ok'\n");
	tcp_exchange(port, "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "ok\n");
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "exited 0", 5000, NULL));
	first = strstr(sd.log, "stderr from");
	ck_assert_ptr_nonnull(first);
	second = strstr(first + 1, "stderr from");
	ck_assert_ptr_nonnull(second);
	third = strstr(second + 1, "stderr from");
	ck_assert_ptr_nonnull(third);
	ck_assert_ptr_null(strstr(third + 1, "stderr from"));
	ck_assert(strstr(first, "0 [cut]\n") < second);
	ck_assert(strstr(second, ": [cont] 0") < third);
	ck_assert(strstr(second, "0 [cut]\n") < third);
	ck_assert_ptr_nonnull(strstr(third, ": [cont] 0"));
	ck_assert_ptr_null(strstr(third, "[cut]"));
}
END_TEST

/* stderr = client: fd 2 is the connection, as inetd does. */
START_TEST(stderr_client_sends_fd_2_to_the_client)
{
	char buf[64];
	int port;

	port = start_svc("stderr = client\n"
	                 "exec = /bin/sh -c 'echo to the client >&2'\n");
	tcp_exchange(port, "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "to the client\n");
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "exited 0", 5000, NULL));
	ck_assert_ptr_null(strstr(sd.log, "stderr from"));
}
END_TEST

/* A handler that cannot be run is logged once, by superd, whatever its
 * stderr: never tagged twice, never lost, never sent to the client. */
START_TEST(an_exec_failure_is_logged_once_by_superd)
{
	static const char *const modes[] = { "log", "null", "client" };
	char keys[1200], buf[64];
	char script[1024];
	size_t i;
	int port;

	for (i = 0; i < 3; i++) {
		snprintf(script, sizeof(script), "%s",
		    harness_script("gone.sh", "#!/bin/sh\necho ok\n"));
		snprintf(keys, sizeof(keys), "stderr = %s\nexec = %s\n",
		    modes[i], script);
		port = start_svc(keys);
		ck_assert_int_eq(unlink(script), 0);
		tcp_exchange(port, "", buf, sizeof(buf));
		ck_assert_str_eq(buf, "");
		ck_assert_ptr_nonnull(
		    superd_wait_log(&sd, "]: cannot run ", 5000, NULL));
		ck_assert_ptr_nonnull(superd_wait_log(&sd,
		    ": No such file or directory\n", 5000, NULL));
		ck_assert_ptr_nonnull(
		    superd_wait_log(&sd, "exited 127", 5000, NULL));
		ck_assert_uint_eq(superd_log_count(&sd, "cannot run"), 1);
		ck_assert_ptr_null(strstr(sd.log, "stderr from"));
		superd_cleanup(&sd);
	}
}
END_TEST

static Suite *
make_stderr_suite(void)
{
	Suite *s = suite_create("stderr");
	TCase *tc = tcase_create("stderr");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, a_stderr_nobody_reads_never_stops_the_loop);
	tcase_add_test(tc, sigterm_is_honoured_with_stderr_full);
	tcase_add_test(tc,
	    stderr_of_what_a_handler_left_behind_is_still_logged);
	tcase_add_test(tc, stderr_rate_caps_the_lines_and_counts_the_rest);
	tcase_add_test(tc, a_cut_line_is_marked_on_both_sides_of_the_cut);
	tcase_add_test(tc, stderr_client_sends_fd_2_to_the_client);
	tcase_add_test(tc, an_exec_failure_is_logged_once_by_superd);
	suite_add_tcase(s, tc);
	/* Needs root, to run a handler as nobody. */
	tc = tcase_create("root");
	tcase_set_tags(tc, "root");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, a_handler_of_another_user_can_open_dev_stderr);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_stderr_suite());
}
