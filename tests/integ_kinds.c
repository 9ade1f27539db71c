/* The classic inetd rows beside TCP nowait: UDP (socket = dgram), wait
 * services that get the listening socket itself (and, with listen_fds,
 * get it systemd's way), and unix-domain services (path).  The real
 * superd on loopback, with its own clients and with the real programs a
 * user would run: socat, nc, rdate, tftp against in.tftpd, and
 * systemd-socket-proxyd. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define HEAD "[defaults]\nuser = root\nbind = 127.0.0.1\n"
#define WAIT_MS 5000
#define NOBODY 65534 /* Debian's nobody and nogroup */
/* What a real client may take, at most: run through timeout(1). */
#define CLIENT_TIMEOUT "20"
#define TIMEOUT_BIN "/usr/bin/timeout"
/* Seconds from 1900 (RFC 868) to 1970. */
#define RFC868_OFFSET 2208988800LL

static struct superd sd;
static char conf_path[1024];
static char out[65536];

static void
teardown(void)
{
	superd_cleanup(&sd);
}

/* ---- superd ---- */

/* (Re)writes the config file; not root, superd runs handlers as itself. */
static void
write_conf(const char *text)
{
	char *self = harness_as_self(text);

	snprintf(conf_path, sizeof(conf_path), "%s",
	    harness_file("kinds.ini", self));
	free(self);
}

static void
start(const char *text)
{
	write_conf(text);
	superd_start_file(&sd, conf_path, NULL);
	ck_assert_msg(superd_wait_log(&sd, "ready:", WAIT_MS, NULL) != NULL,
	    "superd did not start:\n%s", sd.log);
}

/* Sends SIGHUP and waits for the outcome line after it. */
static void
reload(const char *text, const char *outcome)
{
	size_t from;

	write_conf(text);
	superd_drain(&sd);
	from = sd.loglen;
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	ck_assert_msg(superd_wait_log(&sd, outcome, WAIT_MS, &from) != NULL,
	    "no \"%s\" after SIGHUP; log:\n%s", outcome, sd.log);
}

/* The number after "service: listening on 127.0.0.1:" (a UDP one too:
 * "127.0.0.1:69/udp"). */
static int
port_of(const char *service)
{
	return superd_port(&sd, service);
}

/* The value of "key: " in a probe's report, up to the end of its line,
 * into a static buffer; "" when absent. */
static const char *
report_value(const char *report, const char *key)
{
	static char val[512];
	char needle[128];
	const char *p;

	snprintf(needle, sizeof(needle), "\n%s", key);
	p = strncmp(report, key, strlen(key)) == 0 ? report - 1
	                                           : strstr(report, needle);
	val[0] = '\0';
	if (p != NULL)
		snprintf(val, sizeof(val), "%.*s",
		    (int)strcspn(p + strlen(needle), "\n"), p + strlen(needle));
	return val;
}

/* ---- clients ---- */

/* Sends msg as one datagram; the answer (5 s at most) into buf,
 * NUL-terminated.  Returns its length, or -1 with errno. */
static ssize_t
udp_ask(int fd, const char *msg, char *buf, size_t len)
{
	ssize_t n;

	ck_assert_int_eq(send(fd, msg, strlen(msg), 0), (ssize_t)strlen(msg));
	n = recv(fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* Connects to path, sends msg, half-closes and reads to EOF into buf. */
static size_t
unix_exchange(const char *path, const char *msg, char *buf, size_t len)
{
	int fd = unix_connect(path);
	size_t n;

	ck_assert_msg(fd != -1, "connect %s: %s", path, strerror(errno));
	tcp_send(fd, msg, strlen(msg));
	shutdown(fd, SHUT_WR);
	n = tcp_read_all(fd, buf, len - 1, WAIT_MS);
	buf[n] = '\0';
	close(fd);
	return n;
}

/* Runs argv (a real client) under timeout(1), as uid unless it is 0,
 * with input on its stdin; its stdout (and stderr) into out.  Returns its
 * wait status. */
static int
run_client(uid_t uid, const char *input, const char *const *argv)
{
	const char *full[16] = { TIMEOUT_BIN, CLIENT_TIMEOUT };
	int in[2], po[2], status;
	size_t n = 2, got = 0;
	ssize_t r;
	pid_t pid;

	while (*argv != NULL && n < 15)
		full[n++] = *argv++;
	full[n] = NULL;
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(po, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (dup2(in[0], 0) == -1 || dup2(po[1], 1) == -1 ||
		    dup2(po[1], 2) == -1)
			_exit(126);
		if (uid != 0 &&
		    (setgroups(0, NULL) == -1 || setgid(NOBODY) == -1 ||
		        setuid(uid) == -1))
			_exit(126);
		harness_execv(full[0], full);
		_exit(127);
	}
	close(in[0]);
	close(po[1]);
	if (input[0] != '\0')
		(void)!write(in[1], input, strlen(input));
	close(in[1]);
	while (got + 1 < sizeof(out) &&
	    (r = read(po[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(po[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

#define CLIENT(input, ...)                                                     \
	run_client(0, input, (const char *const[]){ __VA_ARGS__, NULL })

static void
assert_exit0(int status, const char *what)
{
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: status %d, output: %s\nsuperd: %s", what, status, out,
	    sd.log != NULL ? sd.log : "");
}

/* True if path is there to run; else records the skip, naming package. */
static bool
have(const char *path, const char *package)
{
	if (access(path, X_OK) == 0)
		return true;
	harness_skip("no %s (Debian package %s)", path, package);
	return false;
}

/* Waits for SIGUSR1's stats line of service and returns it. */
static const char *
stats_of(const char *service)
{
	return superd_stats(&sd, service);
}

/* ---- UDP ---- */

START_TEST(udp_echo_answers_every_datagram_from_one_handler_until_idle)
{
	char buf[256];
	int fd, port;

	start(HEAD "[uecho]\nsocket = dgram\nport = 0\nexec = echo\n");
	port = port_of("uecho");
	ck_assert_ptr_nonnull(strstr(sd.log, "uecho: listening on 127.0.0.1:"));
	ck_assert_ptr_nonnull(strstr(sd.log, "/udp\n"));
	fd = udp_client(port);
	ck_assert_int_eq(udp_ask(fd, "one", buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "one");
	ck_assert_int_eq(udp_ask(fd, "two", buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "two");
	ck_assert_int_eq(udp_ask(fd, "", buf, sizeof(buf)), 0);
	/* One handler took them all: it holds the socket while it runs. */
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "]: started for 127.0.0.1:", WAIT_MS, NULL));
	ck_assert_uint_eq(superd_log_count(&sd, "uecho["), 1);
	/* A few idle seconds, and it is gone; the next datagram starts
	 * another. */
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "]: exited 0 after", 10000, NULL));
	ck_assert_int_eq(udp_ask(fd, "three", buf, sizeof(buf)), 5);
	ck_assert_uint_eq(superd_wait_count(&sd, "]: started for", 2, WAIT_MS),
	    2);
	close(fd);
}
END_TEST

START_TEST(udp_time_answers_any_datagram_with_the_rfc868_count)
{
	unsigned char buf[16];
	long long secs;
	int fd;

	start(HEAD "[utime]\nsocket = dgram\nport = 0\nexec = time\n");
	fd = udp_client(port_of("utime"));
	ck_assert_int_eq(send(fd, "x", 1, 0), 1);
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), 0), 4);
	secs = (long long)buf[0] << 24 | buf[1] << 16 | buf[2] << 8 | buf[3];
	ck_assert_msg(llabs(secs - RFC868_OFFSET - (long long)time(NULL)) <= 5,
	    "%lld", secs);
	close(fd);
}
END_TEST

START_TEST(udp_wait_handler_gets_the_bound_socket_and_proto_udp)
{
	char conf[512], buf[8192], want[32];
	int fd, port;

	snprintf(conf, sizeof(conf),
	    HEAD "[uprobe]\nsocket = dgram\nport = 0\nexec = %s --recv\n",
	    harness_probe_bin());
	start(conf);
	port = port_of("uprobe");
	fd = udp_client(port);
	ck_assert_int_gt(udp_ask(fd, "hi", buf, sizeof(buf)), 0);
	ck_assert_str_eq(report_value(buf, "env: PROTO="), "UDP");
	ck_assert_str_eq(report_value(buf, "env: UDPLOCALIP="), "127.0.0.1");
	snprintf(want, sizeof(want), "%d", port);
	ck_assert_str_eq(report_value(buf, "env: UDPLOCALPORT="), want);
	ck_assert_str_eq(report_value(buf, "env: SUPERD_SERVICE="), "uprobe");
	ck_assert_ptr_null(strstr(buf, "TCPREMOTEIP"));
	ck_assert_ptr_null(strstr(buf, "LISTEN_FDS"));
	ck_assert_ptr_nonnull(strstr(report_value(buf, "fd0: "), "socket:"));
	ck_assert_str_eq(report_value(buf, "fd0: "),
	    report_value(buf, "fd1: "));
	close(fd);
}
END_TEST

/* CPU time of pid and of the children it has reaped (utime, stime,
 * cutime, cstime: fields 14 to 17 of /proc/PID/stat), in clock ticks. */
static long
cpu_with_children(pid_t pid)
{
	char path[64], buf[1024], *p;
	long u, s, cu, cs;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fp = fopen(path, "re");
	ck_assert_ptr_nonnull(fp);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	p = strrchr(buf, ')');
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sscanf(p + 2,
	                     "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	                     "%ld %ld %ld %ld",
	                     &u, &s, &cu, &cs),
	    4);
	return u + s + cu + cs;
}

/* The measure: CPU time from /proc over 2 s (superd's own, and
 * with the handlers it started), while a handler that never reads keeps
 * exiting at once.  With the back-off turned off this measured 641
 * starts, 13 ticks of superd's own and 196 (of 200) with its handlers. */
START_TEST(a_wait_handler_that_exits_at_once_does_not_make_superd_spin)
{
	char conf[512], buf[64];
	const char *quitter = harness_script("quit.sh", "#!/bin/sh\nexit 0\n");
	long before, ticks, all;
	size_t starts;
	int fd;

	snprintf(conf, sizeof(conf),
	    HEAD "[quick]\nsocket = dgram\nport = 0\nexec = %s\n", quitter);
	start(conf);
	fd = udp_client(port_of("quick"));
	ck_assert_int_eq(send(fd, "x", 1, 0), 1);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "quick[", WAIT_MS, NULL));
	before = proc_cpu_ticks(sd.pid);
	all = cpu_with_children(sd.pid);
	harness_sleep_ms(2000);
	ticks = proc_cpu_ticks(sd.pid) - before;
	all = cpu_with_children(sd.pid) - all;
	superd_drain(&sd);
	starts = superd_log_count(&sd, "]: started for");
	ck_assert_msg(ticks <= 5 && all <= 20,
	    "in 2 s superd used %ld ticks, %ld with its handlers (%zu "
	    "starts)",
	    ticks, all, starts);
	/* 100, 200, 400, 800 ms... apart: a handful, not thousands. */
	ck_assert_msg(starts >= 2 && starts <= 10, "%zu starts", starts);
	ck_assert_ptr_nonnull(strstr(sd.log, "quick: handler left 127.0.0.1:"));
	ck_assert_ptr_nonnull(strstr(sd.log, "next start in 200ms"));
	/* Never given up on: a handler that reads gets the datagram. */
	reload(HEAD "[quick]\nsocket = dgram\nport = 0\nexec = echo\n",
	    "reloaded");
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), 0), 1);
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "quick: a handler took from 127.0.0.1:", 10000, NULL));
	close(fd);
}
END_TEST

/* ---- wait = yes on TCP, and listen_fds ---- */

START_TEST(a_tcp_wait_handler_accepts_on_the_listening_socket_itself)
{
	char conf[512], buf[8192], want[32];
	int port, fd;

	snprintf(conf, sizeof(conf),
	    HEAD "[tprobe]\nwait = yes\nport = 0\nexec = %s --accept\n",
	    harness_probe_bin());
	start(conf);
	port = port_of("tprobe");
	tcp_exchange(port, "", buf, sizeof(buf));
	ck_assert_str_eq(report_value(buf, "env: PROTO="), "TCP");
	ck_assert_str_eq(report_value(buf, "env: TCPLOCALIP="), "127.0.0.1");
	snprintf(want, sizeof(want), "%d", port);
	ck_assert_str_eq(report_value(buf, "env: TCPLOCALPORT="), want);
	/* No client was known when it started. */
	ck_assert_ptr_null(strstr(buf, "TCPREMOTEIP"));
	ck_assert_ptr_nonnull(strstr(report_value(buf, "fd0: "), "socket:"));
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "tprobe[", WAIT_MS, NULL));
	ck_assert_ptr_nonnull(strstr(sd.log, "]: started for 127.0.0.1:"));
	/* Watched again after its exit: a second client, a second one. */
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "]: exited 0", WAIT_MS, NULL));
	fd = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(fd, -1);
	ck_assert_uint_gt(tcp_read_all(fd, buf, sizeof(buf), WAIT_MS), 0);
	close(fd);
	ck_assert_uint_eq(superd_wait_count(&sd, "]: started for", 2, WAIT_MS),
	    2);
}
END_TEST

START_TEST(listen_fds_passes_the_socket_as_fd_3_the_way_systemd_does)
{
	char conf[512], buf[8192];
	int port;

	snprintf(conf, sizeof(conf),
	    HEAD "[lprobe]\nwait = yes\nlisten_fds = yes\nport = 0\n"
	         "exec = %s --accept-fd3\n",
	    harness_probe_bin());
	start(conf);
	port = port_of("lprobe");
	tcp_exchange(port, "", buf, sizeof(buf));
	ck_assert_str_eq(report_value(buf, "env: LISTEN_FDS="), "1");
	ck_assert_str_eq(report_value(buf, "env: LISTEN_PID="),
	    report_value(buf, "pid: "));
	ck_assert_str_eq(report_value(buf, "env: LISTEN_FDNAMES="), "lprobe");
	ck_assert_str_eq(report_value(buf, "fd0: "), "/dev/null");
	ck_assert_str_eq(report_value(buf, "fd1: "), "/dev/null");
	ck_assert_ptr_nonnull(strstr(report_value(buf, "fd3: "), "socket:"));
	/* 0, 1, 2, the socket, and the connection it accepted. */
	ck_assert_str_eq(report_value(buf, "fds: "), "0 1 2 3 4");
}
END_TEST

/* ---- unix-domain ---- */

START_TEST(unix_handler_gets_proto_unix_and_the_client_credentials)
{
	char conf[512], buf[8192], want[64];
	const char *path = harness_path("probe.sock");

	snprintf(conf, sizeof(conf), HEAD "[xprobe]\npath = %s\nexec = %s\n",
	    path, harness_probe_bin());
	start(conf);
	snprintf(want, sizeof(want), "xprobe: listening on %s\n", path);
	ck_assert_ptr_nonnull(strstr(sd.log, want));
	unix_exchange(path, "", buf, sizeof(buf));
	ck_assert_str_eq(report_value(buf, "env: PROTO="), "UNIX");
	ck_assert_str_eq(report_value(buf, "env: UNIXLOCALPATH="), path);
	snprintf(want, sizeof(want), "%u", (unsigned)geteuid());
	ck_assert_str_eq(report_value(buf, "env: UNIXREMOTEEUID="), want);
	snprintf(want, sizeof(want), "%u", (unsigned)getegid());
	ck_assert_str_eq(report_value(buf, "env: UNIXREMOTEEGID="), want);
	snprintf(want, sizeof(want), "%d", (int)getpid());
	ck_assert_str_eq(report_value(buf, "env: UNIXREMOTEPID="), want);
	ck_assert_ptr_null(strstr(buf, "TCP"));
	snprintf(want, sizeof(want), "]: connection from uid=%u,pid=%d to %s",
	    (unsigned)geteuid(), (int)getpid(), path);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, want, WAIT_MS, NULL));
}
END_TEST

START_TEST(unix_socket_file_has_socket_mode_and_goes_at_shutdown)
{
	char conf[512], buf[64];
	const char *path = harness_path("echo.sock");
	struct stat st;

	snprintf(conf, sizeof(conf),
	    HEAD "[xecho]\npath = %s\nsocket_mode = 0600\nexec = echo\n", path);
	start(conf);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_uid, geteuid());
	unix_exchange(path, "kept\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "kept\n");
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	ck_assert(superd_wait_exit(&sd, WAIT_MS));
	ck_assert(WIFEXITED(sd.status) && WEXITSTATUS(sd.status) == 0);
	ck_assert_int_eq(lstat(path, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* Binds a unix socket at path and, if live, listens on it; returns it. */
static int
squat(const char *path, bool live)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ne(fd, -1);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	if (live)
		ck_assert_int_eq(listen(fd, 8), 0);
	return fd;
}

START_TEST(a_stale_unix_socket_is_replaced_but_a_live_one_or_a_file_is_not)
{
	char conf[512], buf[64];
	const char *path = harness_path("taken.sock");
	struct stat st;
	int fd;

	snprintf(conf, sizeof(conf), HEAD "[xecho]\npath = %s\nexec = echo\n",
	    path);
	/* Something answers there: superd must not steal its name. */
	fd = squat(path, true);
	write_conf(conf);
	superd_start_file(&sd, conf_path, NULL);
	ck_assert(superd_wait_exit(&sd, WAIT_MS));
	ck_assert(WIFEXITED(sd.status) && WEXITSTATUS(sd.status) == 3);
	ck_assert_ptr_nonnull(
	    strstr(sd.log, "something answers on this socket already"));
	ck_assert_int_eq(lstat(path, &st), 0);
	superd_cleanup(&sd);
	/* The same socket with nobody listening (a crashed daemon's). */
	close(fd);
	start(conf);
	unix_exchange(path, "fresh\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "fresh\n");
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	ck_assert(superd_wait_exit(&sd, WAIT_MS));
	superd_cleanup(&sd);
	/* A file that is not a socket stays. */
	harness_file("taken.sock", "data\n");
	superd_start_file(&sd, conf_path, NULL);
	ck_assert(superd_wait_exit(&sd, WAIT_MS));
	ck_assert(WIFEXITED(sd.status) && WEXITSTATUS(sd.status) == 3);
	ck_assert_ptr_nonnull(
	    strstr(sd.log, "a file that is not a socket is in the way"));
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
}
END_TEST

START_TEST(max_per_source_counts_a_unix_client_by_its_uid)
{
	char conf[512], buf[64], want[64];
	const char *path = harness_path("one.sock");
	int first;

	snprintf(conf, sizeof(conf),
	    HEAD "[xcat]\npath = %s\nmax_per_source = 1\n"
	         "reject_message = busy\\n\nexec = echo\n",
	    path);
	start(conf);
	first = unix_connect(path);
	ck_assert_int_ne(first, -1);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "xcat[", WAIT_MS, NULL));
	/* The same uid again, from another process even: over its share. */
	unix_exchange(path, "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "busy\n");
	snprintf(want, sizeof(want), "xcat: source uid:%u at max_per_source",
	    (unsigned)geteuid());
	ck_assert_ptr_nonnull(superd_wait_log(&sd, want, WAIT_MS, NULL));
	ck_assert_ptr_nonnull(strstr(stats_of("xcat"), "refused_per_source=1"));
	close(first);
}
END_TEST

/* ---- limits, reload, shutdown, counters: every kind ---- */

START_TEST(max_children_defers_a_udp_wait_service_until_a_handler_ends)
{
	char buf[64];
	int hold, fd;

	start("[supervisor]\nmax_children = 1\n" HEAD
	      "[hold]\nport = 0\nexec = echo\n"
	      "[uecho]\nsocket = dgram\nport = 0\nexec = echo\n");
	hold = tcp_connect("127.0.0.1", port_of("hold"));
	ck_assert_int_ne(hold, -1);
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "max_children reached", WAIT_MS, NULL));
	fd = udp_client(port_of("uecho"));
	ck_assert_int_eq(send(fd, "wait", 4, 0), 4);
	harness_sleep_ms(500);
	superd_drain(&sd);
	ck_assert_ptr_null(strstr(sd.log, "uecho["));
	/* The datagram waited in the socket, not refused. */
	close(hold);
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), 0), 4);
	ck_assert_ptr_nonnull(strstr(stats_of("uecho"), "accepted=1 "));
	close(fd);
}
END_TEST

START_TEST(reload_adds_changes_and_removes_udp_and_unix_services)
{
	char conf[1024], buf[64];
	const char *path = harness_path("r.sock");
	struct stat st, again;
	int fd, port;

	start(HEAD "[echo]\nport = 0\nexec = echo\n");
	snprintf(conf, sizeof(conf),
	    HEAD "[echo]\nport = 0\nexec = echo\n"
	         "[uecho]\nsocket = dgram\nport = 0\nexec = echo\n"
	         "[xecho]\npath = %s\nexec = echo\n",
	    path);
	reload(conf, "reloaded");
	port = port_of("uecho");
	fd = udp_client(port);
	ck_assert_int_eq(udp_ask(fd, "added", buf, sizeof(buf)), 5);
	unix_exchange(path, "added\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "added\n");
	ck_assert_int_eq(lstat(path, &st), 0);
	/* Changed: the same UDP socket, the same socket file, new mode. */
	snprintf(conf, sizeof(conf),
	    HEAD "[echo]\nport = 0\nexec = echo\n"
	         "[uecho]\nsocket = dgram\nport = %d\nexec = time\n"
	         "[xecho]\npath = %s\nsocket_mode = 0600\nexec = echo\n",
	    port, path);
	reload(conf, "(3 kept)");
	ck_assert_int_eq(lstat(path, &again), 0);
	ck_assert_uint_eq(again.st_ino, st.st_ino);
	ck_assert_uint_eq(again.st_mode & 07777, 0600);
	unix_exchange(path, "changed\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "changed\n");
	/* The echo handler keeps the socket until it is idle; then the new
	 * program answers on it. */
	ck_assert_uint_eq(superd_wait_count(&sd, "]: exited 0", 3, 10000), 3);
	ck_assert_int_eq(udp_ask(fd, "changed", buf, sizeof(buf)), 4);
	/* Removed (once its handler is gone, which holds the socket too):
	 * the socket file goes, the UDP port closes. */
	ck_assert_uint_eq(superd_wait_count(&sd, "]: exited 0", 4, 10000), 4);
	reload(HEAD "[echo]\nport = 0\nexec = echo\n", "reloaded");
	ck_assert_int_eq(lstat(path, &st), -1);
	ck_assert_int_eq(unix_connect(path), -1);
	close(fd);
	fd = udp_client(port);
	ck_assert_int_eq(send(fd, "gone", 4, 0), 4);
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), 0), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	close(fd);
}
END_TEST

START_TEST(shutdown_stops_every_kind_and_counts_each)
{
	char conf[1024], buf[8192];
	const char *path = harness_path("s.sock");
	int fd, hold;

	snprintf(conf, sizeof(conf),
	    HEAD "[uecho]\nsocket = dgram\nport = 0\nexec = echo\n"
	         "[xecho]\npath = %s\nexec = echo\n"
	         "[tprobe]\nwait = yes\nport = 0\nexec = %s --accept\n",
	    path, harness_probe_bin());
	start(conf);
	fd = udp_client(port_of("uecho"));
	ck_assert_int_eq(udp_ask(fd, "ping", buf, sizeof(buf)), 4);
	unix_exchange(path, "x\n", buf, sizeof(buf));
	unix_exchange(path, "y\n", buf, sizeof(buf));
	tcp_exchange(port_of("tprobe"), "", buf, sizeof(buf));
	ck_assert_uint_eq(superd_wait_count(&sd, "]: exited 0", 3, WAIT_MS), 3);
	hold = unix_connect(path);
	ck_assert_int_ne(hold, -1);
	/* connect returns before superd accepts: count once it has. */
	ck_assert_uint_eq(superd_wait_count(&sd, ": connection from uid=", 3,
	                      WAIT_MS),
	    3);
	ck_assert_ptr_nonnull(
	    strstr(stats_of("uecho"), "active=1 accepted=1 "));
	ck_assert_ptr_nonnull(strstr(stats_of("xecho"), "accepted=3 "));
	ck_assert_ptr_nonnull(strstr(stats_of("tprobe"), "accepted=1 "));
	/* The UDP handler (waiting for more) and the unix one (waiting for
	 * its client) get SIGTERM; the socket file goes. */
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	ck_assert(superd_wait_exit(&sd, WAIT_MS));
	ck_assert(WIFEXITED(sd.status) && WEXITSTATUS(sd.status) == 0);
	ck_assert_ptr_nonnull(
	    strstr(sd.log, "stopping (Terminated): 2 handlers"));
	ck_assert_ptr_nonnull(
	    strstr(sd.log, "uecho: stats active=0 accepted=1"));
	ck_assert_ptr_nonnull(
	    strstr(sd.log, "xecho: stats active=0 accepted=3"));
	ck_assert_int_eq(access(path, F_OK), -1);
	close(hold);
	close(fd);
}
END_TEST

/* ---- as root ---- */

/* The test's directory (mkdtemp's 0700) becomes 0755, so nobody can
 * reach what is in it. */
static void
open_to_nobody(void)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s", harness_path(""));
	dir[strlen(dir) - 1] = '\0';
	ck_assert_int_eq(chmod(dir, 0755), 0);
}

/* Connects to path as nobody (a forked child); returns what it read
 * before EOF, into buf. */
static size_t
unix_exchange_as_nobody(const char *path, char *buf, size_t len)
{
	int p[2], status;
	size_t n;
	pid_t pid;

	open_to_nobody();
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int fd;

		if (setgroups(0, NULL) == -1 || setgid(NOBODY) == -1 ||
		    setuid(NOBODY) == -1 || (fd = unix_connect(path)) == -1)
			_exit(1);
		shutdown(fd, SHUT_WR);
		n = tcp_read_all(fd, buf, len - 1, WAIT_MS);
		(void)!write(p[1], buf, n);
		_exit(0);
	}
	close(p[1]);
	n = tcp_read_all(p[0], buf, len - 1, WAIT_MS);
	buf[n] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "nobody could not connect to %s", path);
	return n;
}

START_TEST(allow_users_lets_root_in_and_refuses_a_client_run_as_nobody)
{
	char conf[512], buf[8192];
	const char *path = harness_path("root-only.sock");

	if (geteuid() != 0) {
		harness_skip("needs root, to run a client as nobody");
		return;
	}
	snprintf(conf, sizeof(conf),
	    HEAD "[xprobe]\npath = %s\nallow_users = root\nexec = %s\n", path,
	    harness_probe_bin());
	start(conf);
	unix_exchange(path, "", buf, sizeof(buf));
	ck_assert_str_eq(report_value(buf, "env: UNIXREMOTEEUID="), "0");
	/* The file lets nobody connect (0666): allow_users does not. */
	ck_assert_uint_eq(unix_exchange_as_nobody(path, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(strstr(stats_of("xprobe"), "refused_acl=1"));
	ck_assert_uint_eq(superd_log_count(&sd, "]: connection from"), 1);
}
END_TEST

START_TEST(unix_socket_file_belongs_to_socket_user_and_socket_group)
{
	char conf[512], buf[8192];
	const char *path = harness_path("nobodys.sock");
	struct stat st;

	if (geteuid() != 0) {
		harness_skip("needs root, to give a file away");
		return;
	}
	snprintf(conf, sizeof(conf),
	    HEAD "[xprobe]\npath = %s\nsocket_user = nobody\n"
	         "socket_group = nogroup\nsocket_mode = 0660\n"
	         "allow_groups = nogroup\nexec = %s\n",
	    path, harness_probe_bin());
	start(conf);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, NOBODY);
	ck_assert_uint_eq(st.st_gid, NOBODY);
	ck_assert_uint_eq(st.st_mode & 07777, 0660);
	unix_exchange_as_nobody(path, buf, sizeof(buf));
	ck_assert_str_eq(report_value(buf, "env: UNIXREMOTEEUID="), "65534");
	ck_assert_str_eq(report_value(buf, "env: UNIXREMOTEEGID="), "65534");
}
END_TEST

/* Fetches name from the tftp server on port into dir/got-name with the
 * real client; the client's status. */
static int
tftp_get(int port, const char *dir, const char *name)
{
	char portarg[16], local[256];

	snprintf(portarg, sizeof(portarg), "%d", port);
	snprintf(local, sizeof(local), "%s/got-%s", dir, name);
	return CLIENT("", "/usr/bin/tftp", "-m", "octet", "127.0.0.1", portarg,
	    "-c", "get", name, local);
}

static void
assert_same_file(const char *a, const char *b)
{
	char ta[256], tb[256];
	FILE *fa = fopen(a, "re"), *fb = fopen(b, "re");
	size_t na, nb;

	ck_assert_msg(fa != NULL && fb != NULL, "%s or %s missing", a, b);
	na = fread(ta, 1, sizeof(ta), fa);
	nb = fread(tb, 1, sizeof(tb), fb);
	fclose(fa);
	fclose(fb);
	ck_assert_uint_eq(na, nb);
	ck_assert_int_eq(memcmp(ta, tb, na), 0);
}

START_TEST(tftp_fetches_and_stores_files_through_in_tftpd_under_superd)
{
	char conf[512], portarg[16], local[256], remote[256], root[256],
	    got[256];
	int port, status[2], i;
	pid_t kids[2];

	if (geteuid() != 0) {
		harness_skip("in.tftpd drops to its -u user, which needs root");
		return;
	}
	if (!have("/usr/sbin/in.tftpd", "tftpd-hpa") ||
	    !have("/usr/bin/tftp", "tftp-hpa"))
		return;
	/* tftp exits 0 whatever happened: the files say how it went. */
	snprintf(root, sizeof(root), "%s", harness_path("tftp"));
	snprintf(got, sizeof(got), "%s", harness_path("got"));
	ck_assert_int_eq(mkdir(root, 0755), 0);
	ck_assert_int_eq(chown(root, NOBODY, NOBODY), 0);
	ck_assert_int_eq(mkdir(got, 0755), 0);
	harness_file("tftp/a.txt", "the first file\n");
	harness_file("tftp/b.txt", "the second file\n");
	snprintf(conf, sizeof(conf),
	    HEAD "[tftp]\nsocket = dgram\nport = 0\n"
	         "exec = /usr/sbin/in.tftpd -s %s -c -u nobody -t 3\n",
	    root);
	start(conf);
	port = port_of("tftp");
	/* Several in a row. */
	for (i = 0; i < 3; i++) {
		assert_exit0(tftp_get(port, got, i == 1 ? "b.txt" : "a.txt"),
		    "tftp get");
	}
	assert_same_file(harness_path("tftp/a.txt"),
	    harness_path("got/got-a.txt"));
	assert_same_file(harness_path("tftp/b.txt"),
	    harness_path("got/got-b.txt"));
	/* Stored (-c lets in.tftpd create it). */
	snprintf(local, sizeof(local), "%s",
	    harness_file("up.txt", "sent up\n"));
	snprintf(portarg, sizeof(portarg), "%d", port);
	assert_exit0(CLIENT("", "/usr/bin/tftp", "-m", "octet", "127.0.0.1",
	                 portarg, "-c", "put", local, "up.txt"),
	    "tftp put");
	snprintf(remote, sizeof(remote), "%s", harness_path("tftp/up.txt"));
	assert_same_file(local, remote);
	/* Two at once. */
	for (i = 0; i < 2; i++) {
		kids[i] = fork();
		ck_assert_int_ne(kids[i], -1);
		if (kids[i] == 0)
			_exit(tftp_get(port, got, i ? "b.txt" : "up.txt"));
	}
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(waitpid(kids[i], &status[i], 0), kids[i]);
		/* The child's exit status is the client's wait status. */
		ck_assert_msg(WIFEXITED(status[i]) &&
		        WEXITSTATUS(status[i]) == 0,
		    "tftp get %d failed", i);
	}
	assert_same_file(local, harness_path("got/got-up.txt"));
}
END_TEST

/* ---- real clients ---- */

START_TEST(socat_and_nc_talk_to_the_udp_echo_service)
{
	char addr[64], portarg[16];
	int port;

	if (!have("/usr/bin/socat", "socat") ||
	    !have("/usr/bin/nc", "netcat-openbsd"))
		return;
	start(HEAD "[uecho]\nsocket = dgram\nport = 0\nexec = echo\n");
	port = port_of("uecho");
	snprintf(addr, sizeof(addr), "UDP:127.0.0.1:%d", port);
	assert_exit0(CLIENT("over socat\n", "/usr/bin/socat", "-t", "2", "-",
	                 addr),
	    "socat");
	ck_assert_str_eq(out, "over socat\n");
	snprintf(portarg, sizeof(portarg), "%d", port);
	assert_exit0(CLIENT("over nc\n", "/usr/bin/nc", "-u", "-w", "1",
	                 "127.0.0.1", portarg),
	    "nc -u");
	ck_assert_str_eq(out, "over nc\n");
}
END_TEST

START_TEST(rdate_reads_the_udp_time_service)
{
	char portarg[16];
	struct tm tm = { 0 };
	const char *rest;
	time_t then;

	if (!have("/usr/sbin/rdate", "rdate"))
		return;
	start(HEAD "[utime]\nsocket = dgram\nport = 0\nexec = time\n");
	snprintf(portarg, sizeof(portarg), "%d", port_of("utime"));
	ck_assert_int_eq(setenv("TZ", "UTC0", 1), 0);
	assert_exit0(CLIENT("", "/usr/sbin/rdate", "-u", "-p", "-o", portarg,
	                 "127.0.0.1"),
	    "rdate -u");
	rest = strptime(out, "%a %b %e %H:%M:%S UTC %Y", &tm);
	ck_assert_msg(rest != NULL && *rest == '\n', "rdate said: %s", out);
	then = timegm(&tm);
	ck_assert_msg(labs((long)(then - time(NULL))) <= 5, "rdate said %s",
	    out);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "utime[", WAIT_MS, NULL));
}
END_TEST

START_TEST(socat_and_nc_reach_a_unix_service)
{
	char conf[512], addr[256];
	const char *path = harness_path("x.sock");

	if (!have("/usr/bin/socat", "socat") ||
	    !have("/usr/bin/nc", "netcat-openbsd"))
		return;
	snprintf(conf, sizeof(conf), HEAD "[xecho]\npath = %s\nexec = echo\n",
	    path);
	start(conf);
	snprintf(addr, sizeof(addr), "UNIX-CONNECT:%s", path);
	assert_exit0(CLIENT("over socat\n", "/usr/bin/socat", "-", addr),
	    "socat");
	ck_assert_str_eq(out, "over socat\n");
	assert_exit0(CLIENT("over nc\n", "/usr/bin/nc", "-N", "-U", path),
	    "nc -U");
	ck_assert_str_eq(out, "over nc\n");
	ck_assert_uint_eq(superd_wait_count(&sd, "]: exited 0", 2, WAIT_MS), 2);
}
END_TEST

#define PROXYD "/lib/systemd/systemd-socket-proxyd"

/* One line through the proxy: connect, send, read the echo, close
 * (systemd-socket-proxyd ends a connection at the client's EOF). */
static void
through_proxy(int port, const char *line)
{
	char buf[128];
	int fd = tcp_connect("127.0.0.1", port);

	ck_assert_int_ne(fd, -1);
	tcp_send(fd, line, strlen(line));
	ck_assert_uint_eq(tcp_read_line(fd, buf, sizeof(buf)), strlen(line));
	ck_assert_str_eq(buf, line);
	close(fd);
}

START_TEST(systemd_socket_proxyd_is_started_on_demand_in_front_of_echo)
{
	char conf[1024], needle[64];
	const char *hit;
	int echo, proxy;

	if (!have(PROXYD, "systemd"))
		return;
	start(HEAD "[echo]\nport = 0\nexec = echo\n");
	echo = port_of("echo");
	snprintf(conf, sizeof(conf),
	    HEAD "[echo]\nport = 0\nexec = echo\n"
	         "[proxy]\nport = 0\nwait = yes\nlisten_fds = yes\n"
	         "exec = " PROXYD " --exit-idle-time=2s 127.0.0.1:%d\n",
	    echo);
	reload(conf, "reloaded");
	proxy = port_of("proxy");
	through_proxy(proxy, "first\n");
	through_proxy(proxy, "second\n");
	/* One proxy served both, then left when idle; the next client
	 * starts another. */
	hit = superd_wait_log(&sd, "proxy[", WAIT_MS, NULL);
	ck_assert_ptr_nonnull(hit);
	ck_assert_uint_eq(superd_log_count(&sd, "proxy["), 1);
	snprintf(needle, sizeof(needle), "proxy[%ld]: exited 0",
	    strtol(hit + strlen("proxy["), NULL, 10));
	ck_assert_ptr_nonnull(superd_wait_log(&sd, needle, 10000, NULL));
	through_proxy(proxy, "third\n");
	ck_assert_uint_eq(superd_wait_count(&sd, "proxy[", 3, WAIT_MS), 3);
	ck_assert_uint_eq(superd_wait_count(&sd, "]: connection from 127.0.0.1",
	                      3, WAIT_MS),
	    3);
}
END_TEST

/* ---- socket activation ---- */

#define SOCKET_ACTIVATE "/usr/bin/systemd-socket-activate"

START_TEST(socket_activation_passes_a_udp_socket_by_name)
{
	char conf[512], listen_udp[64], needle[256], buf[64];
	int port = harness_free_port(), fd;
	const char *argv[] = { SOCKET_ACTIVATE, "--datagram", "-l", listen_udp,
		"--fdname=uecho", SUPERD_BIN, "-c", conf_path, NULL };

	if (access(SOCKET_ACTIVATE, X_OK) == -1) {
		harness_skip("no %s", SOCKET_ACTIVATE);
		return;
	}
	snprintf(listen_udp, sizeof(listen_udp), "127.0.0.1:%d", port);
	snprintf(conf, sizeof(conf),
	    HEAD "[uecho]\nsocket = dgram\nport = 1\nexec = echo\n");
	write_conf(conf);
	superd_start_argv(&sd, argv);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "Listening on", 5000, NULL));
	/* systemd-socket-activate starts superd at the first datagram,
	 * which waits in the passed socket meanwhile. */
	fd = udp_client(port);
	ck_assert_int_eq(udp_ask(fd, "passed", buf, sizeof(buf)), 6);
	snprintf(needle, sizeof(needle),
	    "uecho: listening on 127.0.0.1:%d/udp (socket passed by the "
	    "service manager)",
	    port);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, needle, WAIT_MS, NULL));
	close(fd);
}
END_TEST

START_TEST(socket_activation_passes_a_unix_socket_matched_by_path)
{
	char conf[512], listen_unix[256], needle[512], buf[64];
	const char *path = harness_path("act.sock");
	const char *argv[] = { SOCKET_ACTIVATE, "-l", listen_unix, SUPERD_BIN,
		"-c", conf_path, NULL };

	if (access(SOCKET_ACTIVATE, X_OK) == -1) {
		harness_skip("no %s", SOCKET_ACTIVATE);
		return;
	}
	snprintf(listen_unix, sizeof(listen_unix), "%s", path);
	snprintf(conf, sizeof(conf), HEAD "[xecho]\npath = %s\nexec = echo\n",
	    path);
	write_conf(conf);
	superd_start_argv(&sd, argv);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "Listening on", 5000, NULL));
	unix_exchange(path, "passed\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "passed\n");
	snprintf(needle, sizeof(needle),
	    "xecho: listening on %s (socket passed by the service manager)",
	    path);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, needle, WAIT_MS, NULL));
}
END_TEST

static Suite *
make_kinds_suite(void)
{
	Suite *s = suite_create("kinds");
	TCase *tc = tcase_create("kinds");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc,
	    udp_echo_answers_every_datagram_from_one_handler_until_idle);
	tcase_add_test(tc, udp_time_answers_any_datagram_with_the_rfc868_count);
	tcase_add_test(tc,
	    udp_wait_handler_gets_the_bound_socket_and_proto_udp);
	tcase_add_test(tc,
	    a_wait_handler_that_exits_at_once_does_not_make_superd_spin);
	tcase_add_test(tc,
	    a_tcp_wait_handler_accepts_on_the_listening_socket_itself);
	tcase_add_test(tc,
	    listen_fds_passes_the_socket_as_fd_3_the_way_systemd_does);
	tcase_add_test(tc,
	    unix_handler_gets_proto_unix_and_the_client_credentials);
	tcase_add_test(tc,
	    unix_socket_file_has_socket_mode_and_goes_at_shutdown);
	tcase_add_test(tc,
	    a_stale_unix_socket_is_replaced_but_a_live_one_or_a_file_is_not);
	tcase_add_test(tc, max_per_source_counts_a_unix_client_by_its_uid);
	tcase_add_test(tc,
	    max_children_defers_a_udp_wait_service_until_a_handler_ends);
	tcase_add_test(tc,
	    reload_adds_changes_and_removes_udp_and_unix_services);
	tcase_add_test(tc, shutdown_stops_every_kind_and_counts_each);
	suite_add_tcase(s, tc);

	tc = tcase_create("as_root");
	tcase_set_tags(tc, "root");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc,
	    allow_users_lets_root_in_and_refuses_a_client_run_as_nobody);
	tcase_add_test(tc,
	    unix_socket_file_belongs_to_socket_user_and_socket_group);
	tcase_add_test(tc,
	    tftp_fetches_and_stores_files_through_in_tftpd_under_superd);
	suite_add_tcase(s, tc);

	tc = tcase_create("programs");
	tcase_set_tags(tc, "programs");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, socat_and_nc_talk_to_the_udp_echo_service);
	tcase_add_test(tc, rdate_reads_the_udp_time_service);
	tcase_add_test(tc, socat_and_nc_reach_a_unix_service);
	tcase_add_test(tc,
	    systemd_socket_proxyd_is_started_on_demand_in_front_of_echo);
	suite_add_tcase(s, tc);

	tc = tcase_create("socket_activate");
	tcase_set_tags(tc, "socket_activate");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, socket_activation_passes_a_udp_socket_by_name);
	tcase_add_test(tc,
	    socket_activation_passes_a_unix_socket_matched_by_path);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_kinds_suite());
}
