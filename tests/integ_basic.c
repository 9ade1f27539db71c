/* Integration tests: the real superd binary serving real clients on
 * 127.0.0.1, ports chosen by the kernel (port = 0) and read from the log. */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "spawn.h"

#define HANDLERS_CONF(extra)                                                   \
	"[echo]\nport = 0\nbind = 127.0.0.1\nexec = echo\n"                    \
	"[upper]\nport = 0\nbind = 127.0.0.1\nexec = upper\n"                  \
	"[daytime]\nport = 0\nbind = 127.0.0.1\nexec = daytime\n"              \
	"[time]\nport = 0\nbind = 127.0.0.1\nexec = time\n" extra

static struct superd sd;

static void
teardown(void)
{
	superd_cleanup(&sd);
}

START_TEST(echo_round_trips_through_superd)
{
	char buf[256];

	superd_start(&sd, HANDLERS_CONF(""), NULL);
	tcp_exchange(superd_port(&sd, "echo"), "hello, superd\n", buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, "hello, superd\n");
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "]: exited 0 after", 5000, NULL));
}
END_TEST

START_TEST(upper_round_trips_and_stops_at_quit)
{
	char buf[256];

	superd_start(&sd, HANDLERS_CONF(""), NULL);
	tcp_exchange(superd_port(&sd, "upper"), "abc\nquit\nxyz\n", buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, "ABC\n");
}
END_TEST

START_TEST(daytime_answers_with_an_rfc3339_utc_line)
{
	char buf[256];
	int y, mo, d, h, mi, s;
	char z;

	superd_start(&sd, HANDLERS_CONF(""), NULL);
	tcp_exchange(superd_port(&sd, "daytime"), "", buf, sizeof(buf));
	ck_assert_msg(sscanf(buf, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h,
	                  &mi, &s, &z) == 7 &&
	        z == 'Z',
	    "%s", buf);
	ck_assert_int_eq(strlen(buf), 21);
}
END_TEST

/* RFC 868, what rdate reads: exactly 4 bytes, big-endian seconds since
 * 1900-01-01 UTC, then the server closes. */
START_TEST(time_answers_with_four_bytes_of_seconds_since_1900)
{
	unsigned char buf[16];
	uint32_t got, want;
	size_t n;
	int fd;

	superd_start(&sd, HANDLERS_CONF(""), NULL);
	fd = tcp_connect("127.0.0.1", superd_port(&sd, "time"));
	ck_assert_int_ne(fd, -1);
	n = tcp_read_all(fd, (char *)buf, sizeof(buf), 5000);
	close(fd);
	ck_assert_uint_eq(n, 4);
	got = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | buf[3];
	want = (uint32_t)((uint64_t)time(NULL) + UINT64_C(2208988800));
	/* Signed difference, so the 2036 wrap of the count does not matter. */
	ck_assert_int_le(labs((long)(int32_t)(got - want)), 5);
}
END_TEST

START_TEST(shell_script_handler_sees_ucspi_environment)
{
	const char *script = harness_script("env.sh",
	    "#!/bin/sh\n"
	    "read line\n"
	    "echo \"$line $SUPERD_SERVICE $PROTO $TCPREMOTEIP "
	    "$TCPLOCALIP $TCPLOCALPORT\"\n");
	char conf[1024], buf[256], want[256];
	int port;

	snprintf(conf, sizeof(conf),
	    "[shell]\nport = 0\nbind = 127.0.0.1\n"
	    "exec = %s\n",
	    script);
	superd_start(&sd, conf, NULL);
	port = superd_port(&sd, "shell");
	tcp_exchange(port, "hi\n", buf, sizeof(buf));
	snprintf(want, sizeof(want), "hi shell TCP 127.0.0.1 127.0.0.1 %d\n",
	    port);
	ck_assert_str_eq(buf, want);
}
END_TEST

/* A command line far over the 197-byte line limit, written as exec and
 * args lines (sshd -i's options, say): the handler gets every word, in
 * order, quoting undone. */
START_TEST(args_lines_give_the_handler_a_long_command_line_whole)
{
	static const char *const words[] = { "-i", "-o",
		"Ciphers=chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,"
		"aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr",
		"-o",
		"KexAlgorithms=sntrup761x25519-sha512@openssh.com,curve25519-"
		"sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-"
		"sha512",
		"-o",
		"MACs=hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh."
		"com,"
		"umac-128-etm@openssh.com",
		"-o", "Banner none", "", "last word" };
	char conf[4096], want[512], buf[16384];
	const char *at = buf, *p;
	size_t i, n = sizeof(words) / sizeof(words[0]);

	snprintf(conf, sizeof(conf),
	    "[probe]\nport = 0\nbind = 127.0.0.1\n"
	    "exec = %s -i\n"
	    "args = -o %s\n"
	    "args = -o %s\n"
	    "args = -o %s\n"
	    "args = -o 'Banner none' \"\" last\\ word\n",
	    harness_probe_bin(), words[2], words[4], words[6]);
	ck_assert_uint_gt(strlen(words[2]) + strlen(words[4]) +
	        strlen(words[6]),
	    300);
	superd_start(&sd, conf, NULL);
	tcp_exchange(superd_port(&sd, "probe"), "", buf, sizeof(buf));
	snprintf(want, sizeof(want), "argc: %zu\n", n + 1);
	ck_assert_msg(strstr(buf, want) != NULL, "no %s in %s", want, buf);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "\nargv[%zu]: %s\n", i + 1,
		    words[i]);
		p = strstr(at, want);
		ck_assert_msg(p != NULL, "no %s in order in %s", want, buf);
		at = p + 1;
	}
}
END_TEST

START_TEST(wildcard_listener_reports_the_local_address)
{
	const char *script =
	    harness_script("local.sh", "#!/bin/sh\necho \"$TCPLOCALIP\"\n");
	char conf[1024], buf[256], needle[64];
	const char *hit;
	int port;

	snprintf(conf, sizeof(conf),
	    "[any]\nport = 0\nbind = 0.0.0.0\n"
	    "exec = %s\n",
	    script);
	superd_start(&sd, conf, NULL);
	hit = superd_wait_log(&sd, "any: listening on 0.0.0.0:", 5000, NULL);
	ck_assert_ptr_nonnull(hit);
	port =
	    (int)strtol(hit + strlen("any: listening on 0.0.0.0:"), NULL, 10);
	snprintf(needle, sizeof(needle), "127.0.0.1\n");
	tcp_exchange(port, "", buf, sizeof(buf));
	ck_assert_str_eq(buf, needle);
}
END_TEST

START_TEST(ipv6_loopback_listener_serves_clients)
{
	char buf[64];
	const char *hit;
	int port, fd;

	superd_start(&sd, "[echo6]\nport = 0\nbind = ::1\nexec = echo\n", NULL);
	hit = superd_wait_log(&sd, "echo6: listening on [::1]:", 5000, NULL);
	if (hit == NULL && superd_wait_log(&sd, "cannot listen", 100, NULL)) {
		harness_skip("no IPv6 loopback on this host");
		return;
	}
	ck_assert_ptr_nonnull(hit);
	port =
	    (int)strtol(hit + strlen("echo6: listening on [::1]:"), NULL, 10);
	fd = tcp_connect("::1", port);
	ck_assert_int_ne(fd, -1);
	tcp_send(fd, "six\n", 4);
	shutdown(fd, SHUT_WR);
	ck_assert_int_eq(tcp_read_all(fd, buf, sizeof(buf), 5000), 4);
	close(fd);
}
END_TEST

#define CONCURRENT 64

START_TEST(sixty_four_concurrent_clients_are_all_served)
{
	int fds[CONCURRENT], port, i;
	char msg[32], buf[64];
	size_t n;

	superd_start(&sd, HANDLERS_CONF(""), NULL);
	port = superd_port(&sd, "echo");
	for (i = 0; i < CONCURRENT; i++) {
		fds[i] = tcp_connect("127.0.0.1", port);
		ck_assert_int_ne(fds[i], -1);
	}
	/* All 64 connected before any speaks: 64 handlers at once. */
	for (i = 0; i < CONCURRENT; i++) {
		snprintf(msg, sizeof(msg), "client %d\n", i);
		tcp_send(fds[i], msg, strlen(msg));
		shutdown(fds[i], SHUT_WR);
	}
	for (i = 0; i < CONCURRENT; i++) {
		snprintf(msg, sizeof(msg), "client %d\n", i);
		n = tcp_read_all(fds[i], buf, sizeof(buf) - 1, 5000);
		buf[n] = '\0';
		ck_assert_str_eq(buf, msg);
		close(fds[i]);
	}
	ck_assert_int_eq(superd_wait_count(&sd, "exited 0", CONCURRENT, 5000),
	    CONCURRENT);
}
END_TEST

/* A sanitizer build starts each (sanitized) handler in about 50 ms, so
 * it makes fewer connections: enough for the same zombie and fd checks,
 * within the timeout. */
#if defined(__SANITIZE_ADDRESS__)
#define SHORT_CONNECTIONS 1000
#else
#define SHORT_CONNECTIONS 5000
#endif

START_TEST(five_thousand_connections_leave_no_zombie_and_no_fd)
{
	int port, fds_before, i, max_zombies = 0, z;
	char buf[64];
	long long t0, ms;

	superd_start(&sd, HANDLERS_CONF(""), NULL);
	port = superd_port(&sd, "echo");
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "ready:", 5000, NULL));
	fds_before = proc_fd_count(sd.pid);
	t0 = clock_ms();
	for (i = 0; i < SHORT_CONNECTIONS; i++) {
		tcp_exchange(port, "x\n", buf, sizeof(buf));
		ck_assert_str_eq(buf, "x\n");
		superd_drain(&sd);
		if (i % 500 == 0 &&
		    (z = proc_zombie_children(sd.pid)) > max_zombies)
			max_zombies = z;
	}
	ms = clock_ms() - t0;
	fprintf(stderr,
	    "%d connections in %lldms: %.0f connections/s, "
	    "at most %d unreaped at a sample\n",
	    SHORT_CONNECTIONS, ms,
	    SHORT_CONNECTIONS * 1000.0 / (double)(ms ? ms : 1), max_zombies);
	/* superd holds a pidfd for each handler until it reaps it. */
	ck_assert(superd_wait_childless(&sd, 5000));
	ck_assert_int_eq(proc_fd_count(sd.pid), fds_before);
	kill(sd.pid, SIGTERM);
	ck_assert(superd_wait_exit(&sd, 10000));
	ck_assert_int_eq(superd_log_count(&sd, "]: exited 0 after"),
	    SHORT_CONNECTIONS);
}
END_TEST

/* How many of pid's descriptors at or above floor are sockets. */
static int
sockets_from(pid_t pid, long floor)
{
	char dir[64], path[320], link[64];
	struct dirent *e;
	DIR *d;
	ssize_t n;
	int count = 0;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pid);
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || atol(e->d_name) < floor)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0 && strncmp(link, "socket:", 7) == 0)
			count++;
	}
	closedir(d);
	return count;
}

/* Each handler's copy of superd's descriptor table ends at its
 * connection's number (spawn_keep_high): the listeners must sit above the
 * numbers connections take, or every handler copies all of them. */
START_TEST(listeners_sit_above_the_numbers_connections_take)
{
	struct rlimit rl;
	long floor = SPAWN_HIGH_MAX;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur != RLIM_INFINITY && (long)(rl.rlim_cur / 2) < floor)
		floor = (long)(rl.rlim_cur / 2);
	superd_start(&sd, HANDLERS_CONF(""), NULL);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "ready:", 5000, NULL));
	ck_assert_int_eq(sockets_from(sd.pid, floor), 4);
	ck_assert_int_eq(sockets_from(sd.pid, 0), 4);
}
END_TEST

START_TEST(port_in_use_is_an_error_naming_service_and_address)
{
	struct sockaddr_in sin = { 0 };
	socklen_t len = sizeof(sin);
	char conf[512], needle[128];
	const char *hit;
	int blocker, first, port;

	blocker = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(blocker, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	ck_assert_int_eq(listen(blocker, 1), 0);
	ck_assert_int_eq(getsockname(blocker, (struct sockaddr *)&sin, &len),
	    0);
	port = ntohs(sin.sin_port);
	/* A port that was free a moment ago, for the service that does get
	 * its socket before the other fails. */
	first = harness_free_port();
	snprintf(conf, sizeof(conf),
	    "[first]\nport = %d\nbind = 127.0.0.1\nexec = echo\n"
	    "[busy]\nport = %d\nbind = 127.0.0.1\nexec = echo\n",
	    first, port);
	superd_start(&sd, conf, NULL);
	ck_assert(superd_wait_exit(&sd, 5000));
	ck_assert(WIFEXITED(sd.status));
	ck_assert_int_eq(WEXITSTATUS(sd.status), 3);
	snprintf(needle, sizeof(needle),
	    "busy: cannot listen on 127.0.0.1:%d: Address already in use",
	    port);
	hit = strstr(sd.log, needle);
	ck_assert_msg(hit != NULL, "%s", sd.log);
	/* Nothing is left listening, and nothing claimed to be. */
	ck_assert_ptr_null(strstr(sd.log, "listening on"));
	ck_assert_int_eq(tcp_connect("127.0.0.1", first), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	close(blocker);
}
END_TEST

START_TEST(deleted_handler_fails_that_client_promptly_and_superd_serves_on)
{
	const char *script =
	    harness_script("doomed.sh", "#!/bin/sh\necho ok\n");
	char conf[2048], path[512], buf[64];
	int port, fd;
	long long t0;

	snprintf(path, sizeof(path), "%s", script);
	snprintf(conf, sizeof(conf),
	    "[doomed]\nport = 0\nbind = 127.0.0.1\n"
	    "exec = %s\n"
	    "[echo]\nport = 0\nbind = 127.0.0.1\nexec = echo\n",
	    path);
	superd_start(&sd, conf, NULL);
	port = superd_port(&sd, "doomed");
	tcp_exchange(port, "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "ok\n");
	ck_assert_int_eq(unlink(path), 0);
	fd = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(fd, -1);
	t0 = clock_ms();
	/* EOF, not a hang: superd closed its copy of the connection. */
	ck_assert_int_eq(tcp_read_all(fd, buf, sizeof(buf), 5000), 0);
	ck_assert_int_lt(clock_ms() - t0, 5000);
	close(fd);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "cannot run", 5000, NULL));
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "No such file or directory", 5000, NULL));
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "exited 127", 5000, NULL));
	ck_assert_int_eq(kill(sd.pid, SIGUSR1), 0);
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "doomed: stats", 5000, NULL));
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, " exec_failed=1 ", 5000, NULL));
	tcp_exchange(superd_port(&sd, "echo"), "still here\n", buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, "still here\n");
}
END_TEST

/* The interpreter of a script handler goes away after the load checked
 * it: the log names the interpreter, not "No such file" for a script
 * that is there. */
START_TEST(a_script_whose_interpreter_went_away_is_logged_naming_it)
{
	char interp[512], script[512], conf[2048], want[1200], buf[64];
	char *slash;

	snprintf(interp, sizeof(interp), "%s", harness_file("placeholder", ""));
	slash = strrchr(interp, '/');
	snprintf(slash + 1, sizeof(interp) - (size_t)(slash + 1 - interp),
	    "mysh");
	ck_assert_int_eq(symlink("/bin/sh", interp), 0);
	snprintf(conf, sizeof(conf), "#!%s\necho ok\n", interp);
	snprintf(script, sizeof(script), "%s",
	    harness_script("interp.sh", conf));
	snprintf(conf, sizeof(conf),
	    "[interp]\nport = 0\nbind = 127.0.0.1\nexec = %s\n", script);
	superd_start(&sd, conf, NULL);
	tcp_exchange(superd_port(&sd, "interp"), "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "ok\n");
	ck_assert_int_eq(unlink(interp), 0);
	tcp_exchange(superd_port(&sd, "interp"), "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	snprintf(want, sizeof(want),
	    "]: cannot run %s: interpreter %s (from #!) not found\n", script,
	    interp);
	ck_assert_msg(superd_wait_log(&sd, want, 5000, NULL) != NULL,
	    "no %s in:\n%s", want, sd.log);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "exited 127", 5000, NULL));
}
END_TEST

START_TEST(sighup_is_logged_and_does_not_stop_superd)
{
	char buf[64];

	superd_start(&sd, HANDLERS_CONF(""), NULL);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "ready:", 5000, NULL));
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "SIGHUP", 5000, NULL));
	tcp_exchange(superd_port(&sd, "echo"), "up\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "up\n");
	ck_assert(proc_alive(sd.pid));
}
END_TEST

START_TEST(fd_exhaustion_pauses_accepts_without_spinning_and_recovers)
{
	struct rlimit orig;
	int port, fd;
	char buf[64];

	superd_start(&sd, HANDLERS_CONF(""), NULL);
	port = superd_port(&sd, "echo");
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "ready:", 5000, NULL));
	proc_starve_fds(sd.pid, &orig);
	fd = tcp_connect("127.0.0.1", port); /* waits in the backlog */
	ck_assert_int_ne(fd, -1);
	tcp_send(fd, "later\n", 6);
	shutdown(fd, SHUT_WR);
	/* The listener's own line: as root, other superds starting beside
	 * this one may probe its control socket, which pauses (and logs) on
	 * its own. */
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "(pausing all accepts", 5000, NULL));
	proc_assert_not_spinning(sd.pid);
	superd_drain(&sd);
	ck_assert_int_eq(superd_log_count(&sd, "(pausing all accepts"), 1);
	ck_assert_int_eq(prlimit(sd.pid, RLIMIT_NOFILE, &orig, NULL), 0);
	ck_assert_int_eq(tcp_read_all(fd, buf, sizeof(buf) - 1, 5000), 6);
	close(fd);
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "accepting connections again", 5000, NULL));
}
END_TEST

static Suite *
make_basic_suite(void)
{
	Suite *s = suite_create("integration");
	TCase *tc = tcase_create("basic");

	tcase_add_checked_fixture(tc, NULL, teardown);
	/* Generous: the sanitizer build runs the 5,000 connections slowly. */
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, echo_round_trips_through_superd);
	tcase_add_test(tc, upper_round_trips_and_stops_at_quit);
	tcase_add_test(tc, daytime_answers_with_an_rfc3339_utc_line);
	tcase_add_test(tc, time_answers_with_four_bytes_of_seconds_since_1900);
	tcase_add_test(tc, shell_script_handler_sees_ucspi_environment);
	tcase_add_test(tc,
	    args_lines_give_the_handler_a_long_command_line_whole);
	tcase_add_test(tc, wildcard_listener_reports_the_local_address);
	tcase_add_test(tc, sixty_four_concurrent_clients_are_all_served);
	tcase_add_test(tc, five_thousand_connections_leave_no_zombie_and_no_fd);
	tcase_add_test(tc, listeners_sit_above_the_numbers_connections_take);
	tcase_add_test(tc, port_in_use_is_an_error_naming_service_and_address);
	tcase_add_test(tc,
	    deleted_handler_fails_that_client_promptly_and_superd_serves_on);
	tcase_add_test(tc,
	    a_script_whose_interpreter_went_away_is_logged_naming_it);
	tcase_add_test(tc, sighup_is_logged_and_does_not_stop_superd);
	tcase_add_test(tc,
	    fd_exhaustion_pauses_accepts_without_spinning_and_recovers);
	suite_add_tcase(s, tc);

	tc = tcase_create("ipv6");
	tcase_set_tags(tc, "ipv6");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ipv6_loopback_listener_serves_clients);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_basic_suite());
}
