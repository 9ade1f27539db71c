/* Integration tests of the init-style shutdown: close listeners, TERM and
 * CONT the handlers' groups, KILL at the deadline or on a second signal,
 * reap everything, leave nothing running. */
#include <sys/socket.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"

static struct superd sd;

/* Handlers that say "ready" and then wait for a client that never
 * writes; the first also ignores SIGTERM. */
#define WAITS_FOR_INPUT "#!/bin/sh\necho ready\nread line\n"
#define IGNORES_TERM "#!/bin/sh\ntrap '' TERM\necho ready\nread line\n"

static void
teardown(void)
{
	superd_cleanup(&sd);
}

/* Starts superd with one service running script, on port 0. */
static int
start_with_script(const char *script_text, const char *timeout)
{
	const char *script = harness_script("handler.sh", script_text);
	char conf[1024];

	snprintf(conf, sizeof(conf),
	    "[supervisor]\nshutdown_timeout = %s\n"
	    "[svc]\nport = 0\nbind = 127.0.0.1\nexec = %s\n",
	    timeout, script);
	superd_start(&sd, conf, NULL);
	return superd_port(&sd, "svc");
}

/* Connects and waits for the handler's "ready" line; returns the fd and
 * the handler's pid from the log. */
static int
connect_ready(int port, pid_t *pid, size_t *logpos)
{
	char buf[16], *end;
	const char *hit;
	int fd = tcp_connect("127.0.0.1", port);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(tcp_read_all(fd, buf, 6, 5000), 6);
	ck_assert(strncmp(buf, "ready\n", 6) == 0);
	hit = superd_wait_log(&sd, "svc[", 5000, logpos);
	ck_assert_ptr_nonnull(hit);
	*pid = (pid_t)strtol(hit + 4, &end, 10);
	ck_assert(*end == ']' && *pid > 0);
	return fd;
}

static void
assert_clean_exit(void)
{
	ck_assert_msg(superd_wait_exit(&sd, 10000), "superd did not exit");
	ck_assert_msg(WIFEXITED(sd.status) && WEXITSTATUS(sd.status) == 0,
	    "status %d; log:\n%s", sd.status, sd.log);
	ck_assert_ptr_nonnull(strstr(sd.log, "superd: stopped\n"));
}

START_TEST(sigterm_when_idle_exits_0_and_closes_listeners)
{
	int port;

	superd_start(&sd, "[echo]\nport = 0\nbind = 127.0.0.1\nexec = echo\n",
	    NULL);
	port = superd_port(&sd, "echo");
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "ready:", 5000, NULL));
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	assert_clean_exit();
	ck_assert_int_eq(tcp_connect("127.0.0.1", port), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
}
END_TEST

START_TEST(sigint_stops_superd_like_sigterm)
{
	superd_start(&sd, "[echo]\nport = 0\nbind = 127.0.0.1\nexec = echo\n",
	    NULL);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "ready:", 5000, NULL));
	ck_assert_int_eq(kill(sd.pid, SIGINT), 0);
	assert_clean_exit();
}
END_TEST

#define LIVE 3

START_TEST(sigterm_with_live_connections_terminates_every_handler)
{
	pid_t pids[LIVE];
	int fds[LIVE], port, i;
	size_t pos = 0;

	port = start_with_script("#!/bin/sh\n"
	                         "trap 'echo \"handler $$ got SIGTERM\" >&2; "
	                         "exit 0' TERM\n"
	                         "echo ready\n"
	                         "while :; do sleep 0.05; done\n",
	    "10s");
	for (i = 0; i < LIVE; i++)
		fds[i] = connect_ready(port, &pids[i], &pos);
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	/* New connections are refused at once. */
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "stopping", 5000, NULL));
	ck_assert_int_eq(tcp_connect("127.0.0.1", port), -1);
	assert_clean_exit();
	ck_assert_int_eq(superd_log_count(&sd, "got SIGTERM"), LIVE);
	ck_assert_ptr_null(strstr(sd.log, "killing"));
	for (i = 0; i < LIVE; i++) {
		ck_assert(!proc_alive(pids[i]));
		close(fds[i]);
	}
}
END_TEST

START_TEST(handler_ignoring_sigterm_is_killed_after_shutdown_timeout)
{
	long long t0, ms;
	pid_t pid;
	size_t pos = 0;
	int fd;

	fd =
	    connect_ready(start_with_script(IGNORES_TERM, "300ms"), &pid, &pos);
	t0 = clock_ms();
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	assert_clean_exit();
	ms = clock_ms() - t0;
	ck_assert_ptr_nonnull(
	    strstr(sd.log, "shutdown_timeout expired: killing 1 handlers"));
	ck_assert_ptr_nonnull(strstr(sd.log, "killed by signal 9"));
	/* The final counters say so too. */
	ck_assert_ptr_nonnull(strstr(sd.log, " killed_shutdown=1\n"));
	/* It waited for the grace period rather than killing at once. */
	ck_assert_int_ge(ms, 300);
	ck_assert(!proc_alive(pid));
	close(fd);
}
END_TEST

START_TEST(second_sigterm_kills_at_once)
{
	pid_t pid;
	size_t pos = 0;
	int fd;

	fd = connect_ready(start_with_script(IGNORES_TERM, "1h"), &pid, &pos);
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "stopping", 5000, NULL));
	ck_assert(proc_alive(pid));
	/* A deliberate second request: more than a second later. */
	harness_sleep_ms(1100);
	ck_assert(proc_alive(pid));
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	/* Well under the hour of shutdown_timeout. */
	assert_clean_exit();
	ck_assert_ptr_nonnull(
	    strstr(sd.log, "second stop signal: killing 1 handlers"));
	ck_assert(!proc_alive(pid));
	close(fd);
}
END_TEST

/* One Ctrl-C forwarded twice (timeout --foreground, a terminal's process
 * group) is one request: the grace period still applies. */
START_TEST(a_stop_signal_delivered_twice_keeps_the_grace_period)
{
	pid_t pid;
	size_t pos = 0;
	int fd;

	fd = connect_ready(start_with_script(IGNORES_TERM, "1500ms"), &pid,
	    &pos);
	ck_assert_int_eq(kill(sd.pid, SIGINT), 0);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "stopping", 5000, NULL));
	/* The copy arrives after superd has taken the first. */
	ck_assert_int_eq(kill(sd.pid, SIGINT), 0);
	harness_sleep_ms(500);
	ck_assert_msg(proc_alive(pid), "killed at once; log:\n%s", sd.log);
	assert_clean_exit();
	ck_assert_ptr_null(strstr(sd.log, "second stop signal"));
	ck_assert_ptr_nonnull(
	    strstr(sd.log, "shutdown_timeout expired: killing 1 handlers"));
	close(fd);
}
END_TEST

/* killed_shutdown counts what needed SIGKILL, not what SIGTERM ended,
 * even when the KILL follows at once (shutdown_timeout = 0). */
START_TEST(killed_shutdown_counts_only_what_sigkill_ended)
{
	pid_t pid;
	size_t pos = 0;
	int fd;

	fd = connect_ready(
	    start_with_script("#!/bin/sh\necho ready\nexec sleep 30\n", "0"),
	    &pid, &pos);
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	assert_clean_exit();
	ck_assert_msg(strstr(sd.log, "killed by signal 15") != NULL, "log:\n%s",
	    sd.log);
	ck_assert_msg(strstr(sd.log, " killed_shutdown=0\n") != NULL,
	    "log:\n%s", sd.log);
	close(fd);
}
END_TEST

/* After "stopping", nothing may claim that accepting resumes. */
START_TEST(no_accepting_again_after_stopping)
{
	const char *script = harness_script("handler.sh", WAITS_FOR_INPUT);
	char conf[1024];
	size_t pos = 0;
	pid_t pid;
	int fd;

	snprintf(conf, sizeof(conf),
	    "[svc]\nport = 0\nbind = 127.0.0.1\nmax_connections = 1\n"
	    "max_per_source = 1\nexec = %s\n",
	    script);
	superd_start(&sd, conf, NULL);
	fd = connect_ready(superd_port(&sd, "svc"), &pid, &pos);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "svc: full", 5000, NULL));
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	assert_clean_exit();
	ck_assert_msg(strstr(strstr(sd.log, "stopping"), "accepting again") ==
	        NULL,
	    "log:\n%s", sd.log);
	close(fd);
}
END_TEST

START_TEST(stopped_handler_is_continued_so_it_can_terminate)
{
	pid_t pid;
	size_t pos = 0;
	int fd;

	fd =
	    connect_ready(start_with_script(WAITS_FOR_INPUT, "1h"), &pid, &pos);
	ck_assert_int_eq(kill(pid, SIGSTOP), 0);
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	/* Without SIGCONT the TERM would wait behind the stop for an hour. */
	assert_clean_exit();
	ck_assert_ptr_null(strstr(sd.log, "killing"));
	ck_assert(!proc_alive(pid));
	close(fd);
}
END_TEST

START_TEST(shutdown_kills_a_handlers_own_children_too)
{
	char buf[32], *end;
	pid_t pid, grandchild;
	size_t pos = 0;
	int fd;

	fd = connect_ready(start_with_script("#!/bin/sh\n"
	                                     "trap '' TERM\nsleep 30 &\necho "
	                                     "ready\necho $!\nwait\n",
	                       "200ms"),
	    &pid, &pos);
	ck_assert_int_gt(tcp_read_all(fd, buf, sizeof(buf) - 1, 2000), 0);
	grandchild = (pid_t)strtol(buf, &end, 10);
	ck_assert_int_gt(grandchild, 0);
	ck_assert(proc_alive(grandchild));
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	assert_clean_exit();
	/* The sleep ignores TERM too, but shares the handler's group: the
	 * KILL at the deadline reaches it. */
	harness_sleep_ms(100);
	ck_assert(!proc_alive(grandchild));
	close(fd);
}
END_TEST

/* Reads the "ready" line, then the pid the handler prints. */
static pid_t
read_pid(int fd)
{
	char line[64];

	ck_assert_uint_gt(tcp_read_line(fd, line, sizeof(line)), 0);
	ck_assert_str_eq(line, "ready\n");
	ck_assert_uint_gt(tcp_read_line(fd, line, sizeof(line)), 0);
	ck_assert_int_gt(atoi(line), 0);
	return (pid_t)atoi(line);
}

/* A process that left its handler's group (setsid) and outlived the
 * handler is still stopped at shutdown, and superd exits only after. */
START_TEST(shutdown_stops_what_left_the_group_after_the_handler_exited)
{
	pid_t escapee;
	int port, fd;

	port = start_with_script("#!/bin/sh\nsetsid sleep 30 </dev/null "
	                         ">/dev/null 2>&1 &\n"
	                         "echo ready\necho $!\n",
	    "10s");
	fd = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(fd, -1);
	escapee = read_pid(fd);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "exited 0", 5000, NULL));
	ck_assert(proc_alive(escapee));
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	assert_clean_exit();
	ck_assert_msg(!proc_alive(escapee), "%d still runs", (int)escapee);
	close(fd);
}
END_TEST

/* The same for one that ignores SIGTERM while its handler still runs:
 * SIGKILL at the deadline reaches it too. */
START_TEST(shutdown_kills_what_left_the_group_and_ignores_sigterm)
{
	pid_t escapee;
	int port, fd;

	port = start_with_script("#!/bin/sh\nsetsid sh -c 'trap \"\" TERM; "
	                         "while :; do sleep 0.1; done' </dev/null "
	                         ">/dev/null 2>&1 &\n"
	                         "echo ready\necho $!\nread x\n",
	    "300ms");
	fd = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(fd, -1);
	escapee = read_pid(fd);
	ck_assert(proc_alive(escapee));
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	assert_clean_exit();
	ck_assert_msg(!proc_alive(escapee), "%d still runs", (int)escapee);
	close(fd);
}
END_TEST

/* max_duration stops the whole tree the handler started, also what left
 * its group. */
START_TEST(max_duration_stops_what_left_the_group_too)
{
	const char *script = harness_script("handler.sh",
	    "#!/bin/sh\nsetsid sleep 30 </dev/null >/dev/null 2>&1 &\n"
	    "echo ready\necho $!\nsleep 30\n");
	char conf[1024];
	pid_t escapee;
	int fd;

	snprintf(conf, sizeof(conf),
	    "[svc]\nport = 0\nbind = 127.0.0.1\nmax_duration = 300ms\n"
	    "exec = %s\n",
	    script);
	superd_start(&sd, conf, NULL);
	fd = tcp_connect("127.0.0.1", superd_port(&sd, "svc"));
	ck_assert_int_ne(fd, -1);
	escapee = read_pid(fd);
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "killed by signal 15", 5000, NULL));
	harness_sleep_ms(200);
	ck_assert_msg(!proc_alive(escapee), "%d still runs", (int)escapee);
	close(fd);
}
END_TEST

static Suite *
make_shutdown_suite(void)
{
	Suite *s = suite_create("shutdown");
	TCase *tc = tcase_create("shutdown");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, sigterm_when_idle_exits_0_and_closes_listeners);
	tcase_add_test(tc, sigint_stops_superd_like_sigterm);
	tcase_add_test(tc,
	    sigterm_with_live_connections_terminates_every_handler);
	tcase_add_test(tc,
	    handler_ignoring_sigterm_is_killed_after_shutdown_timeout);
	tcase_add_test(tc, second_sigterm_kills_at_once);
	tcase_add_test(tc,
	    a_stop_signal_delivered_twice_keeps_the_grace_period);
	tcase_add_test(tc, killed_shutdown_counts_only_what_sigkill_ended);
	tcase_add_test(tc, no_accepting_again_after_stopping);
	tcase_add_test(tc, stopped_handler_is_continued_so_it_can_terminate);
	tcase_add_test(tc, shutdown_kills_a_handlers_own_children_too);
	tcase_add_test(tc,
	    shutdown_stops_what_left_the_group_after_the_handler_exited);
	tcase_add_test(tc,
	    shutdown_kills_what_left_the_group_and_ignores_sigterm);
	tcase_add_test(tc, max_duration_stops_what_left_the_group_too);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_shutdown_suite());
}
