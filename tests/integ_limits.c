/* Integration tests of the limits: real clients on loopback from several
 * source addresses, assertions on counts and outcomes (from the log and
 * the SIGUSR1 counters), never on speed. */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"

static struct superd sd;

/* Says "ready N" (N = TCPCONCURRENCY), waits for a line, says "bye". */
#define WAITER                                                                 \
	"#!/bin/sh\necho \"ready $TCPCONCURRENCY\"\nread line\necho bye\n"
/* Echoes one line after a short pause, so a burst piles up. */
#define SLOW_ECHO "#!/bin/sh\nread line\nsleep 0.05\necho \"$line\"\n"

static void
teardown(void)
{
	superd_cleanup(&sd);
	harness_run_as(0, 0, 0);
}

/* Starts superd with [svc] running script, plus extra service keys. */
static int
start_service(const char *script, const char *keys)
{
	char conf[2048];

	snprintf(conf, sizeof(conf),
	    "[svc]\nport = 0\nbind = 127.0.0.1\nexec = %s\n%s",
	    harness_script("handler.sh", script), keys);
	superd_start(&sd, conf, NULL);
	return superd_port(&sd, "svc");
}

/* Connects from src and returns the fd; *line gets the first line. */
static int
client(const char *src, int port, char *line, size_t len)
{
	int fd = tcp_connect_from(src, "127.0.0.1", port);

	ck_assert_msg(fd != -1, "connect: %s", strerror(errno));
	tcp_read_line(fd, line, len);
	return fd;
}

/* Asks superd for its counters and returns the stats line of svc. */
static const char *
stats(void)
{
	size_t from = sd.loglen;
	const char *hit;

	ck_assert_int_eq(kill(sd.pid, SIGUSR1), 0);
	hit = superd_wait_log(&sd, "svc: stats", 5000, &from);
	ck_assert_ptr_nonnull(hit);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "\n", 5000, &from));
	return hit;
}

static void
assert_stat(const char *line, const char *kv)
{
	const char *end = strchr(line, '\n');
	char want[64];

	snprintf(want, sizeof(want), " %s", kv);
	ck_assert_msg(strstr(line, want) != NULL &&
	        strstr(line, want) < (end ? end : line + strlen(line)),
	    "want %s in: %.*s", kv, (int)(end ? end - line : 200), line);
}

/* The most handlers of svc running at once, replayed from the log.  A
 * log in which it finds no handler started is a failure, not a 0 that
 * would pass any "at most" check. */
static int
max_running(void)
{
	const char *p = sd.log;
	int running = 0, most = 0, starts = 0;

	while ((p = strstr(p, "superd: svc[")) != NULL &&
	    (p = strchr(p, ']')) != NULL) {
		if (strncmp(p, "]: connection from", 18) == 0) {
			starts++;
			if (++running > most)
				most = running;
		} else if (strncmp(p, "]: exited", 9) == 0 ||
		    strncmp(p, "]: killed", 9) == 0) {
			running--;
		}
	}
	if (starts == 0)
		ck_abort_msg("no \"svc[PID]: connection from\" line in the "
		             "log:\n%s",
		    sd.log);
	return most;
}

#define BURST 20

START_TEST(defer_serves_every_client_of_a_ten_times_oversubscribed_burst)
{
	int fds[BURST], port, i;
	char msg[32], buf[64];

	port =
	    start_service(SLOW_ECHO, "max_connections = 2\non_max = defer\n");
	for (i = 0; i < BURST; i++) {
		fds[i] = tcp_connect("127.0.0.1", port);
		ck_assert_int_ne(fds[i], -1);
		snprintf(msg, sizeof(msg), "client %d\n", i);
		tcp_send(fds[i], msg, strlen(msg));
		shutdown(fds[i], SHUT_WR);
	}
	for (i = 0; i < BURST; i++) {
		snprintf(msg, sizeof(msg), "client %d\n", i);
		ck_assert_int_gt(tcp_read_line(fds[i], buf, sizeof(buf)), 0);
		ck_assert_str_eq(buf, msg);
		close(fds[i]);
	}
	ck_assert_uint_eq(superd_wait_count(&sd, "]: exited 0", BURST, 5000),
	    BURST);
	/* max_connections, and reached: 20 clients wait for 2 places. */
	ck_assert_int_eq(max_running(), 2);
	ck_assert_ptr_nonnull(strstr(sd.log,
	    "svc: full (2 handlers): deferring new connections (reason=max)"));
	ck_assert_ptr_nonnull(strstr(sd.log, "svc: below max_connections"));
	assert_stat(stats(), "accepted=20");
	assert_stat(stats(), "refused_max=0");
}
END_TEST

START_TEST(reject_refuses_exactly_the_excess_and_never_more)
{
	int held[3], port, i, fd;
	char line[64];

	port = start_service(WAITER,
	    "max_connections = 3\non_max = reject\n"
	    "reject_message = busy, try later\\n\n");
	for (i = 0; i < 3; i++) {
		held[i] = client(NULL, port, line, sizeof(line));
		ck_assert_str_eq(line,
		    i == 0       ? "ready 1\n"
		        : i == 1 ? "ready 2\n"
		                 : "ready 3\n");
	}
	for (i = 0; i < 5; i++) {
		fd = tcp_connect("127.0.0.1", port);
		ck_assert_int_ne(fd, -1);
		/* Input superd never reads must not cost the message. */
		tcp_send(fd, "hello?\n", 7);
		tcp_read_line(fd, line, sizeof(line));
		ck_assert_str_eq(line, "busy, try later\n");
		ck_assert_int_eq(tcp_read_line(fd, line, sizeof(line)), 0);
		close(fd);
	}
	for (i = 0; i < 3; i++) {
		tcp_send(held[i], "x\n", 2);
		tcp_read_line(held[i], line, sizeof(line));
		ck_assert_str_eq(line, "bye\n");
		close(held[i]);
	}
	superd_wait_count(&sd, "]: exited 0", 3, 5000);
	fd = client(NULL, port, line, sizeof(line));
	ck_assert_str_eq(line, "ready 1\n");
	close(fd);
	assert_stat(stats(), "refused_max=5");
	assert_stat(stats(), "accepted=4");
	ck_assert_int_eq(superd_log_count(&sd, "svc: full (3 handlers)"), 1);
}
END_TEST

START_TEST(per_source_limit_applies_to_each_source_separately)
{
	int a1, a2, a3, b1, port;
	char line[64];

	port = start_service(WAITER,
	    "max_per_source = 2\nreject_message = too many\\n\n");
	a1 = client("127.0.0.2", port, line, sizeof(line));
	ck_assert_str_eq(line, "ready 1\n");
	a2 = client("127.0.0.2", port, line, sizeof(line));
	ck_assert_str_eq(line, "ready 2\n");
	a3 = client("127.0.0.2", port, line, sizeof(line));
	ck_assert_str_eq(line, "too many\n");
	b1 = client("127.0.0.3", port, line, sizeof(line));
	ck_assert_str_eq(line, "ready 1\n");
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "svc: source 127.0.0.2/32 at max_per_source (2 handlers)", 5000,
	    NULL));
	assert_stat(stats(), "refused_per_source=1");
	close(a1);
	close(a2);
	close(a3);
	close(b1);
}
END_TEST

START_TEST(source_prefix_groups_addresses_into_one_source)
{
	int a, b, port;
	char line[64];

	port = start_service(WAITER,
	    "max_per_source = 1\nsource_prefix_v4 = 24\n");
	a = client("127.0.0.2", port, line, sizeof(line));
	ck_assert_str_eq(line, "ready 1\n");
	/* 127.0.0.3 is in the same /24: refused (closed, no message). */
	b = client("127.0.0.3", port, line, sizeof(line));
	ck_assert_str_eq(line, "");
	close(b);
	close(a);
	assert_stat(stats(), "refused_per_source=1");
}
END_TEST

#define RATE_TRIES 12

START_TEST(rate_limit_refuses_the_excess_and_accepts_again_later)
{
	int port, i, served = 0, refused = 0;
	char buf[64];

	port = start_service("#!/bin/sh\necho hi\n",
	    "rate = 5/1s\nreject_message = slow down\\n\n");
	for (i = 0; i < RATE_TRIES; i++) {
		tcp_exchange(port, "", buf, sizeof(buf));
		if (strcmp(buf, "hi\n") == 0)
			served++;
		else if (strcmp(buf, "slow down\n") == 0)
			refused++;
	}
	/* The bucket holds 5; one more token comes every 200 ms. */
	ck_assert_msg(served >= 5 && served <= 6, "served %d", served);
	ck_assert_int_eq(served + refused, RATE_TRIES);
	superd_wait_log(&sd, "svc: rate limited", 5000, NULL);
	ck_assert_int_eq(superd_log_count(&sd, "svc: rate limited"), 1);
	harness_sleep_ms(1100); /* the bucket is full again */
	tcp_exchange(port, "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "hi\n");
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "svc: rate limit lifted", 5000, NULL));
	ck_assert(proc_alive(sd.pid));
}
END_TEST

#define DEFER_BURST 15

START_TEST(rate_defer_makes_clients_wait_instead_of_refusing)
{
	int fds[DEFER_BURST], port, i;
	char buf[64];

	port = start_service("#!/bin/sh\nread line\necho \"$line\"\n",
	    "rate = 10/1s\non_rate = defer\n");
	for (i = 0; i < DEFER_BURST; i++) {
		fds[i] = tcp_connect("127.0.0.1", port);
		ck_assert_int_ne(fds[i], -1);
		tcp_send(fds[i], "x\n", 2);
		shutdown(fds[i], SHUT_WR);
	}
	for (i = 0; i < DEFER_BURST; i++) {
		tcp_read_line(fds[i], buf, sizeof(buf));
		ck_assert_str_eq(buf, "x\n");
		close(fds[i]);
	}
	assert_stat(stats(), "refused_rate=0");
	ck_assert_ptr_nonnull(strstr(sd.log,
	    "deferring new connections "
	    "(reason=rate)"));
}
END_TEST

/* Connects from src; true if a handler answered, false if superd closed
 * the connection without a word. */
static bool
served_from(const char *src, int port)
{
	char line[64];
	int fd = client(src, port, line, sizeof(line));

	close(fd);
	return strncmp(line, "ready", 5) == 0;
}

START_TEST(allow_and_deny_pick_the_longest_prefix_and_a_tie_denies)
{
	int port;

	port = start_service(WAITER,
	    "allow = 127.0.0.2, 127.0.0.4\n"
	    "deny = 127.0.0.0/8\n"
	    "deny = 127.0.0.4\n");
	ck_assert(served_from("127.0.0.2", port));  /* /32 allow > /8 */
	ck_assert(!served_from("127.0.0.3", port)); /* only the /8 deny */
	ck_assert(!served_from("127.0.0.4", port)); /* /32 tie: deny */
	ck_assert_ptr_null(strstr(sd.log, "connection from 127.0.0.3"));
	assert_stat(stats(), "refused_acl=2");
}
END_TEST

START_TEST(allow_alone_denies_everyone_else)
{
	int port = start_service(WAITER, "allow = 127.0.0.5\n");

	ck_assert(!served_from("127.0.0.1", port));
	ck_assert(served_from("127.0.0.5", port));
}
END_TEST

START_TEST(max_duration_stops_a_handler_and_its_grandchild)
{
	char line[64], *end;
	pid_t grandchild;
	int port, fd;

	port = start_service("#!/bin/sh\ntrap '' TERM\nsleep 30 &\n"
	                     "echo $!\nwait\n",
	    "max_duration = 300ms\nstop_timeout = 300ms\n");
	fd = client(NULL, port, line, sizeof(line));
	grandchild = (pid_t)strtol(line, &end, 10);
	ck_assert_int_gt(grandchild, 0);
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "running longer than max_duration (300ms): stopping", 5000, NULL));
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "still running 300ms after max_duration: killing", 5000, NULL));
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "killed by signal 9", 5000, NULL));
	ck_assert_int_eq(tcp_read_line(fd, line, sizeof(line)), 0);
	harness_sleep_ms(100);
	ck_assert(!proc_alive(grandchild));
	assert_stat(stats(), "killed=1");
	close(fd);
}
END_TEST

START_TEST(max_children_caps_all_services_together)
{
	const char *script = harness_script("w.sh", WAITER);
	char conf[2048], line[64];
	int pa, pb, a1, b1, a2;
	struct pollfd pfd;

	snprintf(conf, sizeof(conf),
	    "[supervisor]\nmax_children = 2\n"
	    "[a]\nport = 0\nbind = 127.0.0.1\nexec = %s\n"
	    "[b]\nport = 0\nbind = 127.0.0.1\nexec = %s\n",
	    script, script);
	superd_start(&sd, conf, NULL);
	pa = superd_port(&sd, "a");
	pb = superd_port(&sd, "b");
	a1 = client(NULL, pa, line, sizeof(line));
	b1 = client(NULL, pb, line, sizeof(line));
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "max_children reached", 5000, NULL));
	a2 = tcp_connect("127.0.0.1", pa); /* waits in the backlog */
	pfd.fd = a2;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 300), 0);
	tcp_send(a1, "x\n", 2);
	close(a1);
	tcp_read_line(a2, line, sizeof(line));
	ck_assert_str_eq(line, "ready 1\n");
	close(a2);
	close(b1);
}
END_TEST

/* Processes whose real uid is uid. */
static int
processes_of(uid_t uid)
{
	char path[300], buf[256];
	struct dirent *de;
	DIR *d = opendir("/proc");
	unsigned long ruid;
	int n = 0;
	FILE *fp;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", de->d_name);
		if ((fp = fopen(path, "re")) == NULL)
			continue;
		while (fgets(buf, sizeof(buf), fp) != NULL)
			if (sscanf(buf, "Uid: %lu", &ruid) == 1 && ruid == uid)
				n++;
		fclose(fp);
	}
	closedir(d);
	return n;
}

/* A uid that no account and no other process has: RLIMIT_NPROC counts
 * every process of the real uid, so with nobody's (65534) the limit moved
 * whenever another test's handler of nobody came or went (ctest -j2). */
#define LONELY_UID 64999

/* A process of LONELY_UID that holds one slot of its RLIMIT_NPROC. */
static pid_t
placeholder_of_lonely(void)
{
	pid_t pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (setgid(LONELY_UID) == -1 || setuid(LONELY_UID) == -1)
			_exit(1);
		pause();
		_exit(0);
	}
	return pid;
}

START_TEST(fork_failure_closes_clients_without_spinning_and_recovers)
{
	char line[64];
	long cpu0, cpu1;
	int port, fd, i, status;
	pid_t holder;

	if (geteuid() != 0) {
		harness_skip("not root: superd must run as nobody under a "
		             "process limit that root would ignore");
		return;
	}
	/* Root ignores RLIMIT_NPROC, so superd runs as a uid of its own,
	 * with a limit that it and a placeholder fill. */
	/* The last run's handler may still be a zombie that init has not
	 * reaped yet (the harness ends superd with SIGKILL). */
	for (i = 0; i < 500 && processes_of(LONELY_UID) > 0; i++)
		harness_sleep_ms(10);
	holder = placeholder_of_lonely();
	for (i = 0; i < 500 && processes_of(LONELY_UID) == 0; i++)
		harness_sleep_ms(10);
	ck_assert_uint_eq(processes_of(LONELY_UID), 1);
	harness_run_as(LONELY_UID, LONELY_UID, 2);
	port = start_service(WAITER, "");
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "ready:", 5000, NULL));
	for (i = 0; i < 3; i++) {
		fd = client(NULL, port, line, sizeof(line));
		ck_assert_str_eq(line, ""); /* closed: no handler */
		close(fd);
	}
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "(reason=fork_failed)", 5000, NULL));
	cpu0 = proc_cpu_ticks(sd.pid);
	harness_sleep_ms(1000);
	cpu1 = proc_cpu_ticks(sd.pid);
	ck_assert_msg(cpu1 - cpu0 < 30, "superd used %ld ticks in 1s",
	    cpu1 - cpu0);
	ck_assert_int_eq(superd_log_count(&sd, "fork failed"), 1);
	/* Free a slot: the next client gets a handler. */
	ck_assert_int_eq(kill(holder, SIGKILL), 0);
	ck_assert_int_eq(waitpid(holder, &status, 0), holder);
	fd = client(NULL, port, line, sizeof(line));
	ck_assert_str_eq(line, "ready 1\n");
	close(fd);
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "fork works again", 5000, NULL));
	assert_stat(stats(), "refused_fork_failed=3");
}
END_TEST

#define OVERLOAD_PROCS 6
#define OVERLOAD_EACH 50

#define OVERLOAD_WAVE 5

/* One client process: OVERLOAD_EACH connections from src, in waves of
 * OVERLOAD_WAVE at once; writes how many got "ok" (served) and how many
 * got anything else (refused). */
static void __attribute__((noreturn))
overload_client(const char *src, int port, int report)
{
	int counts[2] = { 0, 0 }, fds[OVERLOAD_WAVE], i, j;
	char line[64];

	for (i = 0; i < OVERLOAD_EACH; i += OVERLOAD_WAVE) {
		for (j = 0; j < OVERLOAD_WAVE; j++)
			if ((fds[j] = tcp_connect_from(src, "127.0.0.1",
			         port)) == -1)
				_exit(1);
		for (j = 0; j < OVERLOAD_WAVE; j++) {
			tcp_read_line(fds[j], line, sizeof(line));
			counts[strcmp(line, "ok\n") == 0 ? 0 : 1]++;
			close(fds[j]);
		}
	}
	_exit(write(report, counts, sizeof(counts)) == sizeof(counts) ? 0 : 1);
}

/* The number after " key=" in a stats line. */
static unsigned long
stat_of(const char *line, const char *key)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), " %s=", key);
	p = strstr(line, want);
	ck_assert_ptr_nonnull(p);
	return strtoul(p + strlen(want), NULL, 10);
}

START_TEST(overload_run_accounts_for_every_client_and_keeps_serving)
{
	static const char *const srcs[] = { "127.0.0.2", "127.0.0.3",
		"127.0.0.4" };
	int port, i, p[2], counts[2], served = 0, refused = 0, status;
	unsigned long accepted, by_reason;
	const char *st;
	long long cpu0, cpu1, t0;
	pid_t pids[OVERLOAD_PROCS];
	char line[64];

	port = start_service("#!/bin/sh\nsleep 0.2\necho ok\n",
	    "max_connections = 8\non_max = reject\nmax_per_source = 4\n"
	    "rate = 100/1s\nreject_message = busy\\n\n");
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "ready:", 5000, NULL));
	ck_assert_int_eq(pipe(p), 0);
	cpu0 = proc_cpu_ns(sd.pid);
	t0 = clock_ms();
	for (i = 0; i < OVERLOAD_PROCS; i++) {
		pids[i] = fork();
		ck_assert_int_ne(pids[i], -1);
		if (pids[i] == 0)
			overload_client(srcs[i % 3], port, p[1]);
	}
	for (i = 0; i < OVERLOAD_PROCS; i++) {
		superd_drain(&sd);
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		ck_assert_int_eq(read(p[0], counts, sizeof(counts)),
		    sizeof(counts));
		served += counts[0];
		refused += counts[1];
	}
	cpu1 = proc_cpu_ns(sd.pid);
	superd_wait_count(&sd, "]: exited 0", (size_t)served, 5000);
	st = stats();
	accepted = stat_of(st, "accepted");
	by_reason = stat_of(st, "refused_max") +
	    stat_of(st, "refused_per_source") + stat_of(st, "refused_rate");
	fprintf(stderr,
	    "overload: %d clients from 3 sources in %lldms: %d served, %d "
	    "refused (max %lu, per_source %lu, rate %lu); superd CPU %.1fms\n",
	    OVERLOAD_PROCS * OVERLOAD_EACH, clock_ms() - t0, served, refused,
	    stat_of(st, "refused_max"), stat_of(st, "refused_per_source"),
	    stat_of(st, "refused_rate"), (double)(cpu1 - cpu0) / 1e6);
	ck_assert_int_eq(served + refused, OVERLOAD_PROCS * OVERLOAD_EACH);
	ck_assert_uint_eq(accepted, (unsigned long)served);
	ck_assert_uint_eq(by_reason, (unsigned long)refused);
	ck_assert_int_gt(refused, 0);
	/* Load never closed the listener: the service still serves. */
	close(client(NULL, port, line, sizeof(line)));
	ck_assert_str_eq(line, "ok\n");
	close(p[0]);
	close(p[1]);
}
END_TEST

static Suite *
make_limits_suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("limits");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc,
	    defer_serves_every_client_of_a_ten_times_oversubscribed_burst);
	tcase_add_test(tc, reject_refuses_exactly_the_excess_and_never_more);
	tcase_add_test(tc, per_source_limit_applies_to_each_source_separately);
	tcase_add_test(tc, source_prefix_groups_addresses_into_one_source);
	tcase_add_test(tc,
	    rate_limit_refuses_the_excess_and_accepts_again_later);
	tcase_add_test(tc, rate_defer_makes_clients_wait_instead_of_refusing);
	tcase_add_test(tc,
	    allow_and_deny_pick_the_longest_prefix_and_a_tie_denies);
	tcase_add_test(tc, allow_alone_denies_everyone_else);
	tcase_add_test(tc, max_duration_stops_a_handler_and_its_grandchild);
	tcase_add_test(tc, max_children_caps_all_services_together);
	tcase_add_test(tc,
	    overload_run_accounts_for_every_client_and_keeps_serving);
	suite_add_tcase(s, tc);

	tc = tcase_create("as_root");
	tcase_set_tags(tc, "root");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc,
	    fork_failure_closes_clients_without_spinning_and_recovers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_limits_suite());
}
