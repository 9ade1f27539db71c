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
	"[flood]\nport = 0\nbind = 127.0.0.1\n\n"                              \
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

static Suite *
make_stderr_suite(void)
{
	Suite *s = suite_create("stderr");
	TCase *tc = tcase_create("stderr");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, a_stderr_nobody_reads_never_stops_the_loop);
	tcase_add_test(tc, sigterm_is_honoured_with_stderr_full);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_stderr_suite());
}
