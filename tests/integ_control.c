/* The control socket ([supervisor] control) driven with the real
 * superctl against a live superd on loopback: every command in text and
 * JSON (the JSON parsed), kill, drain across a reload, reload and check
 * with their results, the errors a person meets, hostile clients. */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static struct superd sd;
static char ctl[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* the socket */
static char out[64 * 1024]; /* superctl's stdout */
static char err[8192];      /* and its stderr */

static void
teardown(void)
{
	superd_cleanup(&sd);
	harness_run_as(0, 0, 0);
}

/* Runs superctl -s ctl with the words (NULL-terminated), as uid/gid if
 * uid is not 0; stdout into out, stderr into err.  Returns its exit
 * status. */
static int
superctl_as(uid_t uid, gid_t gid, const char *first, ...)
{
	const char *argv[16] = { harness_superctl_bin(), "-s", ctl, first };
	int o[2], e[2], status;
	size_t n = 4;
	va_list ap;
	pid_t pid;

	va_start(ap, first);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	ck_assert_int_eq(pipe2(o, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(e, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (dup2(o[1], 1) == -1 || dup2(e[1], 2) == -1 ||
		    (uid != 0 &&
		        (setgroups(0, NULL) == -1 || setgid(gid) == -1 ||
		            setuid(uid) == -1)))
			_exit(126);
		harness_execv(argv[0], argv);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	harness_slurp(o[0], out, sizeof(out));
	harness_slurp(e[0], err, sizeof(err));
	close(o[0]);
	close(e[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

#define superctl(...) superctl_as(0, 0, __VA_ARGS__, (const char *)NULL)

/* ---- a small JSON checker: the reply must be one valid value ---- */

static const char *json_value(const char *p);

static const char *
json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *
json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if (*p == '\0' || (unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\' && *++p == '\0')
			return NULL;
	}
	return p + 1;
}

/* An object or array: items (members "k":v) between open and close. */
static const char *
json_list(const char *p, char close, bool members)
{
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (members) {
			p = json_string(json_ws(p));
			if (p == NULL || *(p = json_ws(p)) != ':')
				return NULL;
			p++;
		}
		if ((p = json_value(p)) == NULL)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *
json_value(const char *p)
{
	char *end;

	p = json_ws(p);
	if (*p == '{')
		return json_list(p, '}', true);
	if (*p == '[')
		return json_list(p, ']', false);
	if (*p == '"')
		return json_string(p);
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	(void)strtod(p, &end);
	return end == p ? NULL : end;
}

/* out holds exactly one JSON value (and a newline). */
static void
assert_json(void)
{
	const char *end = json_value(out);

	ck_assert_msg(end != NULL && *json_ws(end) == '\0', "not JSON: %s",
	    out);
}

/* ---- superd with a control socket ---- */

static const char *
control_conf(const char *services)
{
	static char conf[4096];
	const char *any = harness_file("any", "");

	snprintf(ctl, sizeof(ctl), "%.*s/ctl", (int)(strrchr(any, '/') - any),
	    any);
	snprintf(conf, sizeof(conf), "[supervisor]\ncontrol = %s\n%s", ctl,
	    services);
	return conf;
}

#define SLEEPER "#!/bin/sh\nexec sleep 60\n"
#define STUBBORN                                                               \
	"#!/bin/sh\ntrap '' TERM\necho ready\nwhile :; do sleep 1; done\n"

static void
start_control(const char *services)
{
	superd_start(&sd, control_conf(services), NULL);
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "control socket on ", 5000, NULL));
}

/* A connection to port that stays open; its handler is the only child
 * superd has started since *count such lines. */
static int
hold(int port)
{
	int fd = tcp_connect("127.0.0.1", port);

	ck_assert_int_ne(fd, -1);
	return fd;
}

START_TEST(status_shows_each_service_in_a_table_and_in_json)
{
	char buf[64], conf[512];
	int echo, fd;

	snprintf(conf, sizeof(conf),
	    "[echo]\nport = 0\nbind = 127.0.0.1\nexec = echo\n"
	    "[sleeper]\nport = 0\nbind = 127.0.0.1\nmax_connections = 3\n"
	    "exec = %s\n",
	    harness_script("sleeper.sh", SLEEPER));
	start_control(conf);
	echo = superd_port(&sd, "echo");
	fd = hold(superd_port(&sd, "sleeper"));
	tcp_exchange(echo, "x\n", buf, sizeof(buf));
	ck_assert_uint_eq(superd_wait_count(&sd, "]: exited", 1, 5000), 1);
	ck_assert_uint_eq(superd_wait_count(&sd, "sleeper[", 1, 5000), 1);
	ck_assert_int_eq(superctl("status"), 0);
	ck_assert_msg(strstr(out, "superd " SUPERD_VERSION ", pid ") == out,
	    "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "generation 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "SERVICE  LISTEN  "));
	ck_assert_msg(strstr(out,
	                  "  serving  1/3     1         0        "
	                  "0/0/0\n") != NULL,
	    "%s", out);
	ck_assert_msg(strstr(out,
	                  "  serving  0/64    1         0        "
	                  "1/0/0\n") != NULL,
	    "%s", out);
	ck_assert_int_eq(superctl("status", "--json"), 0);
	assert_json();
	ck_assert_ptr_nonnull(strstr(out, "{\"name\":\"echo\",\"listen\":[\""));
	ck_assert_ptr_nonnull(strstr(out,
	    "\"state\":\"serving\",\"active\":1,"
	    "\"max\":3,\"accepted\":1,"));
	ck_assert_ptr_nonnull(strstr(out,
	    "\"exited\":{\"ok\":1,\"error\":0,"
	    "\"signal\":0}"));
	close(fd);
}
END_TEST

START_TEST(connections_lists_each_live_handler)
{
	char conf[512], want[128];
	int port, fd;
	pid_t kids[4];

	snprintf(conf, sizeof(conf),
	    "[sleeper]\nport = 0\nbind = 127.0.0.1\nexec = %s\n"
	    "[echo]\nport = 0\nbind = 127.0.0.1\nexec = echo\n",
	    harness_script("sleeper.sh", SLEEPER));
	start_control(conf);
	port = superd_port(&sd, "sleeper");
	fd = hold(port);
	ck_assert_uint_eq(superd_wait_count(&sd, "sleeper[", 1, 5000), 1);
	ck_assert_uint_eq(proc_children(sd.pid, kids, 4), 1);
	ck_assert_int_eq(superctl("connections"), 0);
	ck_assert_msg(strncmp(out, "ID  PID ", 8) == 0, "%s", out);
	snprintf(want, sizeof(want), "%d  sleeper  127.0.0.1:", (int)kids[0]);
	ck_assert_msg(strstr(out, want) != NULL, "%s in %s", want, out);
	snprintf(want, sizeof(want), "127.0.0.1:%d", port);
	ck_assert_ptr_nonnull(strstr(out, want));
	ck_assert_int_eq(superctl("connections", "echo", "--json"), 0);
	ck_assert_str_eq(out, "[]\n");
	ck_assert_int_eq(superctl("connections", "sleeper", "--json"), 0);
	assert_json();
	snprintf(want, sizeof(want),
	    "{\"id\":1,\"pid\":%d,\"service\":"
	    "\"sleeper\",\"peer\":\"127.0.0.1:",
	    (int)kids[0]);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	ck_assert_int_eq(superctl("connections", "nosuch"), 1);
	ck_assert_str_eq(err, "superctl: no service nosuch\n");
	close(fd);
}
END_TEST

START_TEST(kill_stops_a_handler_and_kills_one_that_ignores_sigterm)
{
	char conf[512], pid[16], line[64];
	int fd1, fd2;
	pid_t kids[4];

	snprintf(conf, sizeof(conf),
	    "[stubborn]\nport = 0\nbind = 127.0.0.1\nstop_timeout = 300ms\n"
	    "exec = %s\n",
	    harness_script("stubborn.sh", STUBBORN));
	start_control(conf);
	fd1 = hold(superd_port(&sd, "stubborn"));
	ck_assert_uint_gt(tcp_read_line(fd1, line, sizeof(line)), 0);
	ck_assert_uint_eq(proc_children(sd.pid, kids, 4), 1);
	snprintf(pid, sizeof(pid), "%d", (int)kids[0]);
	ck_assert_int_eq(superctl("kill", pid), 0);
	ck_assert_str_eq(out, "1 handlers sent SIGTERM\n");
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "]: SIGKILL (superctl kill)", 5000, NULL));
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "]: killed by signal 9", 5000, NULL));
	/* By service name; and what is not there. */
	fd2 = hold(superd_port(&sd, "stubborn"));
	ck_assert_uint_gt(tcp_read_line(fd2, line, sizeof(line)), 0);
	ck_assert_int_eq(superctl("kill", "stubborn", "--json"), 0);
	ck_assert_str_eq(out, "{\"signalled\":1}\n");
	ck_assert_int_eq(superctl("kill", "999999"), 1);
	ck_assert_str_eq(err,
	    "superctl: 999999 is not the pid of a running handler\n");
	ck_assert_int_eq(superctl("kill", "nosuch"), 1);
	close(fd1);
	close(fd2);
}
END_TEST

START_TEST(drain_holds_new_clients_until_resume_even_across_a_reload)
{
	char buf[64], conf[512];
	const char *reply;
	int echo, fd;

	snprintf(conf, sizeof(conf),
	    "[echo]\nport = 0\nbind = 127.0.0.1\nexec = echo\n");
	start_control(conf);
	echo = superd_port(&sd, "echo");
	ck_assert_int_eq(superctl("drain", "echo"), 0);
	ck_assert_str_eq(out, "draining\n");
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "reloaded ", 5000, NULL));
	ck_assert_int_eq(superctl("status", "--json"), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"state\":\"draining\""));
	/* The client waits in the backlog: no handler for it. */
	fd = hold(echo);
	tcp_send(fd, "held\n", 5);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	harness_sleep_ms(300);
	ck_assert_uint_eq(superd_log_count(&sd, "echo["), 0);
	ck_assert_int_eq(superctl("resume", "echo"), 0);
	ck_assert_str_eq(out, "serving\n");
	reply = buf;
	buf[tcp_read_all(fd, buf, sizeof(buf) - 1, 5000)] = '\0';
	ck_assert_str_eq(reply, "held\n");
	close(fd);
	ck_assert_int_eq(superctl("drain", "nosuch"), 1);
	ck_assert_int_eq(superctl("drain"), 1);
	ck_assert_str_eq(err, "superctl: usage: drain SERVICE\n");
}
END_TEST

START_TEST(reload_and_check_return_the_result_and_the_message)
{
	char *conf;
	const char *line;

	start_control("[echo]\nport = 0\nbind = 127.0.0.1\nexec = echo\n");
	ck_assert_int_eq(superctl("check"), 0);
	ck_assert_msg(strstr(out, " is valid: 1 services\n") != NULL, "%s",
	    out);
	ck_assert_int_eq(superctl("reload"), 0);
	ck_assert_msg(strstr(out, ": 1 services, generation 2\n") != NULL, "%s",
	    out);
	/* A broken file: both say what a failed SIGHUP reload logs. */
	conf = harness_as_self(control_conf(
	    "[defaults]\nuser = root\n[echo]\nport = 0\nbogus = 1\n"));
	harness_file("superd.ini", conf);
	free(conf);
	ck_assert_int_eq(superctl("check"), 1);
	ck_assert_msg(strstr(err, "superd.ini:7: [echo] bogus: unknown key") !=
	        NULL,
	    "%s", err);
	ck_assert_int_eq(superctl("reload"), 1);
	line = superd_wait_log(&sd,
	    "reload failed, keeping the running "
	    "configuration: ",
	    5000, NULL);
	ck_assert_ptr_nonnull(line);
	ck_assert_msg(strncmp(line +
	                      strlen("reload failed, keeping the running "
	                             "configuration: "),
	                  err + strlen("superctl: "), strlen(err) - 11) == 0,
	    "log: %.200s\nsuperctl: %s", line, err);
	ck_assert_int_eq(superctl("status"), 0);
	ck_assert_ptr_nonnull(strstr(out, "generation 2\n"));
}
END_TEST

START_TEST(superctl_says_why_it_cannot_reach_superd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(ctl, sizeof(ctl), "%s", harness_file("ctl", ""));
	ck_assert_int_eq(unlink(ctl), 0);
	ck_assert_int_eq(superctl("status"), 3);
	ck_assert_msg(strstr(err, ": no such socket: is superd running") !=
	        NULL,
	    "%s", err);
	/* A socket file nothing listens on any more. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ctl);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	ck_assert_int_eq(superctl("status"), 3);
	ck_assert_msg(strstr(err, ": nothing answers: superd is not running") !=
	        NULL,
	    "%s", err);
	ck_assert_int_eq(superctl_as(0, 0, (const char *)NULL), 2);
	ck_assert_ptr_nonnull(strstr(err, "usage: superctl"));
}
END_TEST

START_TEST(a_bad_control_value_names_the_line_and_what_is_wrong)
{
	char out2[256], err2[1024];
	const char *file;

	file = harness_file("bad.ini",
	    "[supervisor]\ncontrol = run/ctl\n[echo]\nport = 0\n"
	    "exec = echo\nuser = root\n");
	superd_run(out2, sizeof(out2), err2, sizeof(err2), "-t", "-c", file,
	    NULL);
	ck_assert_msg(strstr(err2,
	                  "bad.ini:2: [supervisor] control: "
	                  "\"run/ctl\" is not off or an absolute "
	                  "path") != NULL,
	    "%s", err2);
	file = harness_file("bad.ini",
	    "[supervisor]\ncontrol_group = no-such-group-x\n[echo]\n"
	    "port = 0\nexec = echo\nuser = root\n");
	superd_run(out2, sizeof(out2), err2, sizeof(err2), "-t", "-c", file,
	    NULL);
	ck_assert_msg(strstr(err2, "bad.ini:2: [supervisor] control_group: ") !=
	        NULL,
	    "%s", err2);
}
END_TEST

/* True if the peer closes fd within timeout_ms (EOF, or a reset). */
static bool
closed_within(int fd, int timeout_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char c[256];
	ssize_t n;

	while (poll(&pfd, 1, timeout_ms) == 1) {
		n = read(fd, c, sizeof(c));
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return true;
		if (n == -1)
			return false;
	}
	return false;
}

static int
control_connect(void)
{
	int fd = unix_connect(ctl);

	ck_assert_msg(fd != -1, "connect %s: %s", ctl, strerror(errno));
	return fd;
}

START_TEST(hostile_control_clients_never_hold_up_a_service)
{
	static char big[1024 * 1024];
	char buf[64];
	int echo, silent[24], fd, i;

	start_control("[echo]\nport = 0\nbind = 127.0.0.1\nexec = echo\n");
	echo = superd_port(&sd, "echo");
	for (i = 0; i < 24; i++) {
		silent[i] = control_connect();
		tcp_send(silent[i], "sta", 3);
	}
	for (i = 0; i < 20; i++) {
		tcp_exchange(echo, "through\n", buf, sizeof(buf));
		ck_assert_str_eq(buf, "through\n");
	}
	for (i = 0; i < 24; i++) {
		ck_assert_msg(closed_within(silent[i], 30000),
		    "silent client %d still open", i);
		close(silent[i]);
	}
	/* A 1 MB line: refused, and closed. */
	fd = control_connect();
	memset(big, 'x', sizeof(big));
	(void)send(fd, big, sizeof(big), MSG_NOSIGNAL | MSG_DONTWAIT);
	buf[tcp_read_all(fd, buf, sizeof(buf) - 1, 5000)] = '\0';
	ck_assert_str_eq(buf, "error: a command is at most 2047 bytes\n\n");
	close(fd);
	ck_assert_int_eq(superctl("garbage"), 1);
	ck_assert_ptr_nonnull(strstr(err, "unknown command \"garbage\""));
	ck_assert_int_eq(superctl("status"), 0);
}
END_TEST

/* Out of descriptors, a control client waits in the backlog: the
 * listener leaves the loop for a moment instead of making it spin (and
 * log) on every pass, and the client is answered once descriptors are
 * back.  Other superds starting beside this one probe its socket, so
 * this is not only a test's client. */
START_TEST(a_control_client_out_of_descriptors_waits_without_a_spin)
{
	struct rlimit orig;
	char buf[4096];
	int fd;

	start_control("[echo]\nport = 0\nbind = 127.0.0.1\nexec = echo\n");
	proc_starve_fds(sd.pid, &orig);
	fd = control_connect();
	tcp_send(fd, "status\n", 7);
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "Too many open files", 5000, NULL));
	proc_assert_not_spinning(sd.pid);
	superd_drain(&sd);
	ck_assert_int_eq(superd_log_count(&sd, "Too many open files"), 1);
	ck_assert_int_eq(prlimit(sd.pid, RLIMIT_NOFILE, &orig, NULL), 0);
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, ": accepting again", 5000, NULL));
	shutdown(fd, SHUT_WR);
	buf[tcp_read_all(fd, buf, sizeof(buf) - 1, 5000)] = '\0';
	ck_assert_msg(strstr(buf, "echo") != NULL, "status said: %s", buf);
	close(fd);
}
END_TEST

START_TEST(only_root_superds_user_or_control_group_may_use_it)
{
	if (geteuid() != 0) {
		harness_skip("needs root, to run superctl as another user");
		return;
	}
	char dir[sizeof(ctl)];

	start_control("[echo]\nport = 0\nbind = 127.0.0.1\nexec = echo\n");
	/* The way to the socket is open: only the socket's mode decides. */
	snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(ctl, '/') - ctl), ctl);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(superctl_as(65534, 65534, "status", NULL), 3);
	ck_assert_msg(strstr(err,
	                  ": permission denied (root, superd's user "
	                  "or control_group") != NULL,
	    "%s", err);
	superd_cleanup(&sd);
	/* control_group lets a group in: 0660. */
	superd_start(&sd,
	    control_conf("control_group = 65534\n[echo]\nport = 0\n"
	                 "bind = 127.0.0.1\nexec = echo\n"),
	    NULL);
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "control socket on ", 5000, NULL));
	ck_assert_msg(superctl_as(65534, 65534, "status", NULL) == 0, "%s",
	    err);
	ck_assert_ptr_nonnull(strstr(out, "echo "));
	/* Another group, same file: the kernel says no. */
	ck_assert_int_eq(superctl_as(65534, 65533, "status", NULL), 3);
}
END_TEST

static Suite *
make_control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("control");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, status_shows_each_service_in_a_table_and_in_json);
	tcase_add_test(tc, connections_lists_each_live_handler);
	tcase_add_test(tc,
	    kill_stops_a_handler_and_kills_one_that_ignores_sigterm);
	tcase_add_test(tc,
	    drain_holds_new_clients_until_resume_even_across_a_reload);
	tcase_add_test(tc, reload_and_check_return_the_result_and_the_message);
	tcase_add_test(tc, superctl_says_why_it_cannot_reach_superd);
	tcase_add_test(tc, hostile_control_clients_never_hold_up_a_service);
	tcase_add_test(tc,
	    a_control_client_out_of_descriptors_waits_without_a_spin);
	tcase_add_test(tc,
	    a_bad_control_value_names_the_line_and_what_is_wrong);
	suite_add_tcase(s, tc);

	tc = tcase_create("as_root");
	tcase_set_tags(tc, "root");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, only_root_superds_user_or_control_group_may_use_it);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_control_suite());
}
