/* Integration tests of running as a host service: reload on SIGHUP (same
 * listening sockets, no lost connection, a bad file changes nothing),
 * sd_notify messages, and socket activation by systemd-socket-activate. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"

static struct superd sd;
static char conf_path[1024];

static void
teardown(void)
{
	superd_cleanup(&sd);
}

#define HEAD "[defaults]\nuser = root\nbind = 127.0.0.1\n"

/* (Re)writes the config file; the first call starts superd on it.  Not
 * root, superd runs its handlers as itself. */
static void
write_conf(const char *text)
{
	char *self = harness_as_self(text);

	snprintf(conf_path, sizeof(conf_path), "%s",
	    harness_file("reload.ini", self));
	free(self);
}

static void
start(const char *text)
{
	write_conf(text);
	superd_start_file(&sd, conf_path, NULL);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "ready:", 5000, NULL));
}

/* Sends SIGHUP and waits for the outcome line after it. */
static const char *
reload(const char *outcome)
{
	size_t from = sd.loglen;
	const char *hit;

	superd_drain(&sd);
	from = sd.loglen;
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	hit = superd_wait_log(&sd, outcome, 5000, &from);
	ck_assert_msg(hit != NULL, "no \"%s\" after SIGHUP; log:\n%s", outcome,
	    sd.log);
	return hit;
}

/* The inodes of superd's sockets, sorted into buf; returns the count. */
static size_t
socket_inodes(unsigned long *buf, size_t max)
{
	char dir[64], path[600], link[128];
	struct dirent *de;
	size_t n = 0, i, j;
	unsigned long t;
	ssize_t len;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)sd.pid);
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL && n < max) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%lu]", &buf[n]) == 1)
			n++;
	}
	closedir(d);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (buf[j] < buf[i]) {
				t = buf[i];
				buf[i] = buf[j];
				buf[j] = t;
			}
	return n;
}

START_TEST(reload_keeps_the_same_listening_sockets)
{
	unsigned long before[16], after[16];
	size_t nb, na;
	char buf[64];
	int port;

	start(HEAD "[echo]\nport = 0\nexec = echo\n"
	           "[upper]\nport = 0\nexec = upper\n");
	port = superd_port(&sd, "echo");
	nb = socket_inodes(before, 16);
	write_conf(HEAD "[echo]\nport = 0\nexec = upper\n"
	                "[upper]\nport = 0\nexec = upper\n");
	reload("reloaded");
	na = socket_inodes(after, 16);
	ck_assert_uint_eq(na, nb);
	ck_assert(memcmp(before, after, nb * sizeof(before[0])) == 0);
	/* The changed setting applies to new connections. */
	tcp_exchange(port, "same port\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "SAME PORT\n");
}
END_TEST

START_TEST(an_invalid_new_file_keeps_the_running_services)
{
	char buf[64];
	int port;

	start(HEAD "[echo]\nport = 0\nexec = echo\n");
	port = superd_port(&sd, "echo");
	write_conf(HEAD "[echo]\nport = 0\nexec = echo\nbogus = 1\n");
	ck_assert_ptr_nonnull(strstr(reload("reload failed"),
	    "reload failed, keeping the running configuration: "));
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "reload.ini:7: [echo] bogus: unknown key", 5000, NULL));
	tcp_exchange(port, "still\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "still\n");
}
END_TEST

START_TEST(a_reload_keeps_the_rule_that_root_names_a_user)
{
	char buf[64];
	int port;

	if (geteuid() != 0) {
		harness_skip("not root: the rule is root's");
		return;
	}
	start(HEAD "[echo]\nport = 0\nexec = echo\n");
	port = superd_port(&sd, "echo");
	write_conf("[echo]\nport = 0\nbind = 127.0.0.1\nexec = echo\n");
	ck_assert_ptr_nonnull(
	    strstr(reload("reload failed"), "runs as root without saying so"));
	tcp_exchange(port, "kept\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "kept\n");
}
END_TEST

/* A handler that anyone could swap is refused at reload as at start. */
START_TEST(a_reload_onto_a_handler_in_an_unsafe_directory_changes_nothing)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], text[2 * PATH_MAX];
	char want[3 * PATH_MAX], buf[64];
	const char *hit;
	int port;
	FILE *fp;

	if (geteuid() != 0) {
		harness_skip("not root: the directory rule is root's");
		return;
	}
	start(HEAD "[echo]\nport = 0\nexec = echo\n");
	port = superd_port(&sd, "echo");
	snprintf(dir, sizeof(dir), "%s.d", harness_file("open", ""));
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(chmod(dir, 0777), 0);
	snprintf(path, sizeof(path), "%s/upper.sh", dir);
	fp = fopen(path, "we");
	ck_assert_ptr_nonnull(fp);
	fputs("#!/bin/sh\nexec tr a-z A-Z\n", fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(chmod(path, 0755), 0);
	snprintf(text, sizeof(text), HEAD "[echo]\nport = 0\nexec = %s\n",
	    path);
	write_conf(text);
	hit = reload("reload failed");
	snprintf(want, sizeof(want),
	    "reload.ini:6: [echo] exec: superd runs as root, and the "
	    "directory %s above %s is writable by every user (mode 0777;",
	    dir, path);
	ck_assert_msg(superd_wait_log(&sd, want, 5000, NULL) != NULL,
	    "want %s after:\n%s", want, hit);
	tcp_exchange(port, "kept\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "kept\n");
}
END_TEST

START_TEST(a_new_port_in_use_fails_the_reload_and_changes_nothing)
{
	struct sockaddr_in sin = { 0 };
	socklen_t len = sizeof(sin);
	char text[512], buf[64];
	int blocker, port;

	blocker = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(blocker, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	ck_assert_int_eq(listen(blocker, 1), 0);
	ck_assert_int_eq(getsockname(blocker, (struct sockaddr *)&sin, &len),
	    0);
	start(HEAD "[echo]\nport = 0\nexec = echo\n");
	port = superd_port(&sd, "echo");
	snprintf(text, sizeof(text),
	    HEAD "[echo]\nport = 0\nexec = echo\n[busy]\nport = %d\n"
	         "exec = echo\n",
	    ntohs(sin.sin_port));
	write_conf(text);
	ck_assert_ptr_nonnull(
	    strstr(reload("reload failed"), "Address already in use"));
	tcp_exchange(port, "ok\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "ok\n");
	close(blocker);
}
END_TEST

START_TEST(a_removed_service_closes_its_port_and_its_connection_completes)
{
	char line[64];
	int port, fd;
	size_t n;

	start(HEAD "[gone]\nport = 0\nexec = sh -c 'echo ready; read x; "
	           "echo \"bye $x\"'\n"
	           "[echo]\nport = 0\nexec = echo\n");
	port = superd_port(&sd, "gone");
	fd = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(tcp_read_all(fd, line, 6, 5000), 6);
	write_conf(HEAD "[echo]\nport = 0\nexec = echo\n");
	reload("reloaded");
	ck_assert_int_eq(tcp_connect("127.0.0.1", port), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	tcp_send(fd, "now\n", 4);
	shutdown(fd, SHUT_WR);
	n = tcp_read_all(fd, line, sizeof(line) - 1, 5000);
	line[n] = '\0';
	ck_assert_str_eq(line, "bye now\n");
	close(fd);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "gone[", 5000, NULL));
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "exited 0", 5000, NULL));
}
END_TEST

START_TEST(a_running_handler_still_counts_against_its_limit_after_reload)
{
	char line[64], buf[64];
	int port, fd;

	start(HEAD "[one]\nport = 0\nmax_connections = 1\non_max = reject\n"
	           "reject_message = full\\n\n"
	           "exec = sh -c 'echo ready; read x'\n");
	port = superd_port(&sd, "one");
	fd = tcp_connect("127.0.0.1", port);
	ck_assert_int_eq(tcp_read_all(fd, line, 6, 5000), 6);
	/* The same file again: the running handler keeps its place. */
	reload("reloaded");
	tcp_exchange(port, "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "full\n");
	close(fd);
}
END_TEST

/* Handlers started before a reload still count for their own source
 * after it, both against max_per_source and in TCPCONCURRENCY. */
START_TEST(per_source_counts_survive_a_reload)
{
	char line[64], buf[64];
	int port, a, b, c;

	start(HEAD "[one]\nport = 0\nmax_per_source = 2\n"
	           "reject_message = busy\\n\n"
	           "exec = sh -c 'echo $TCPCONCURRENCY; read x'\n");
	port = superd_port(&sd, "one");
	a = tcp_connect_from("127.0.0.2", "127.0.0.1", port);
	ck_assert_int_ne(a, -1);
	ck_assert_uint_gt(tcp_read_line(a, line, sizeof(line)), 0);
	ck_assert_str_eq(line, "1\n");
	reload("reloaded");
	b = tcp_connect_from("127.0.0.2", "127.0.0.1", port);
	ck_assert_int_ne(b, -1);
	ck_assert_uint_gt(tcp_read_line(b, line, sizeof(line)), 0);
	ck_assert_str_eq(line, "2\n");
	/* The third from the same source is one too many... */
	c = tcp_connect_from("127.0.0.2", "127.0.0.1", port);
	ck_assert_int_ne(c, -1);
	tcp_read_all(c, buf, sizeof(buf) - 1, 5000);
	ck_assert_mem_eq(buf, "busy\n", 5);
	close(c);
	/* ...and another source is counted on its own. */
	c = tcp_connect_from("127.0.0.3", "127.0.0.1", port);
	ck_assert_int_ne(c, -1);
	ck_assert_uint_gt(tcp_read_line(c, line, sizeof(line)), 0);
	ck_assert_str_eq(line, "1\n");
	close(a);
	close(b);
	close(c);
}
END_TEST

/* A FIFO put in place of the file: the reload fails at once (nobody
 * will ever write to it) and the running services go on. */
START_TEST(a_fifo_in_place_of_the_file_fails_the_reload_without_waiting)
{
	char buf[64];
	int port;

	start(HEAD "[echo]\nport = 0\nexec = echo\n");
	port = superd_port(&sd, "echo");
	ck_assert_int_eq(unlink(conf_path), 0);
	ck_assert_int_eq(mkfifo(conf_path, 0600), 0);
	ck_assert_ptr_nonnull(
	    strstr(reload("reload failed"), "not a regular file"));
	tcp_exchange(port, "still here\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "still here\n");
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	ck_assert(superd_wait_exit(&sd, 5000));
}
END_TEST

/* A config long enough to take a while to load. */
static const char *
write_huge_conf(void)
{
	size_t len = 0, cap = 100000 * 24 + 128, i;
	char *text = malloc(cap);
	const char *path;

	ck_assert_ptr_nonnull(text);
	len += (size_t)snprintf(text, cap, "%s", HEAD "exec = /bin/cat\n");
	for (i = 0; i < 100000; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "[s%zu]\nport = 0\n", i);
	path = harness_file("reload.ini", text);
	free(text);
	return path;
}

/* SIGTERM during a long load (at start, and at a reload) is honoured
 * then, not after the load. */
START_TEST(a_stop_signal_is_honoured_during_a_long_load)
{
	long long t0;
	int i;

	snprintf(conf_path, sizeof(conf_path), "%s", write_huge_conf());
	superd_start_file(&sd, conf_path, NULL);
	/* Not before superd blocks it: a slow start (a sanitizer build on a
	 * busy machine) would die of it instead. */
	for (i = 0; i < 1000 && !proc_blocks(sd.pid, SIGTERM); i++)
		harness_sleep_ms(10);
	/* At once: superd blocks the signal before it loads, and a fast
	 * machine loads the 100,000 services in about 200 ms. */
	t0 = clock_ms();
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	ck_assert(superd_wait_exit(&sd, 20000));
	ck_assert_msg(WIFEXITED(sd.status) && WEXITSTATUS(sd.status) == 0,
	    "status %d; log:\n%s", sd.status, sd.log);
	ck_assert_msg(strstr(sd.log, "stopped while loading") != NULL,
	    "took %lldms; log:\n%s", clock_ms() - t0, sd.log);
	superd_cleanup(&sd);

	start(HEAD "[echo]\nport = 0\nexec = echo\n");
	write_huge_conf();
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "reloading", 5000, NULL));
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	ck_assert(superd_wait_exit(&sd, 20000));
	ck_assert_msg(strstr(sd.log, "stopped while loading") != NULL,
	    "log:\n%s", sd.log);
	ck_assert_ptr_nonnull(strstr(sd.log, "superd: stopped\n"));
}
END_TEST

/* Fewer in a sanitizer build, where each handler starts in ~50 ms. */
#if defined(__SANITIZE_ADDRESS__)
#define LOAD_CONNECTIONS 150
#else
#define LOAD_CONNECTIONS 400
#endif
#define RELOADS 25

/* Makes LOAD_CONNECTIONS echo exchanges in a row; exits with the number
 * that did not come back right (0 on success). */
static void __attribute__((noreturn)) load_client(int port)
{
	int i, bad = 0, fd;
	char buf[64];
	size_t n;

	for (i = 0; i < LOAD_CONNECTIONS; i++) {
		fd = tcp_connect("127.0.0.1", port);
		if (fd == -1) {
			bad++;
			continue;
		}
		if (send(fd, "x\n", 2, MSG_NOSIGNAL) != 2 ||
		    shutdown(fd, SHUT_WR) == -1)
			bad++;
		n = tcp_read_all(fd, buf, sizeof(buf), 5000);
		if (n != 2 || memcmp(buf, "x\n", 2) != 0)
			bad++;
		close(fd);
	}
	_exit(bad > 125 ? 125 : bad);
}

START_TEST(a_reload_storm_under_load_loses_no_connection_and_no_fd)
{
	int port, i, status, fds_before;
	pid_t pids[2];

	start(HEAD "[echo]\nport = 0\nexec = echo\n");
	port = superd_port(&sd, "echo");
	fds_before = proc_fd_count(sd.pid);
	for (i = 0; i < 2; i++) {
		pids[i] = fork();
		ck_assert_int_ne(pids[i], -1);
		if (pids[i] == 0)
			load_client(port);
	}
	for (i = 0; i < RELOADS; i++) {
		ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
		superd_drain(&sd);
		harness_sleep_ms(20);
	}
	for (i = 0; i < 2; i++) {
		while (waitpid(pids[i], &status, WNOHANG) == 0) {
			superd_drain(&sd);
			harness_sleep_ms(10);
		}
		ck_assert(WIFEXITED(status));
		ck_assert_msg(WEXITSTATUS(status) == 0,
		    "%d connections failed during the reloads",
		    WEXITSTATUS(status));
	}
	superd_wait_count(&sd, "]: exited 0", 2 * LOAD_CONNECTIONS, 5000);
	ck_assert_int_ge(superd_log_count(&sd, "reloaded"), 1);
	ck_assert_int_eq(proc_fd_count(sd.pid), fds_before);
}
END_TEST

/* A datagram socket standing in for systemd's notification socket. */
static int
notify_socket(char *path, size_t len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ne(fd, -1);
	ck_assert_uint_lt(len, sizeof(sun.sun_path));
	ck_assert_int_lt(snprintf(path, len, "%s.sock",
	                     harness_file("notify", "")),
	    (int)len);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* The next datagram within 5 s, NUL-terminated in buf. */
static const char *
notify_next(int fd, char *buf, size_t len)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t n;

	ck_assert_msg(poll(&pfd, 1, 5000) == 1, "no notification");
	n = recv(fd, buf, len - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	return buf;
}

START_TEST(sd_notify_reports_ready_reloading_and_stopping)
{
	char path[100], msg[512];
	int fd = notify_socket(path, sizeof(path));

	ck_assert_int_eq(setenv("NOTIFY_SOCKET", path, 1), 0);
	start(HEAD "[echo]\nport = 0\nexec = echo\n");
	notify_next(fd, msg, sizeof(msg));
	ck_assert_msg(strncmp(msg, "READY=1\nSTATUS=1 services on 1 listeners",
	                  40) == 0,
	    "%s", msg);
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	notify_next(fd, msg, sizeof(msg));
	ck_assert_msg(strncmp(msg, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0,
	    "%s", msg);
	ck_assert(strtoull(msg + 27, NULL, 10) > 0);
	ck_assert_str_eq(notify_next(fd, msg, sizeof(msg)),
	    "READY=1\nSTATUS=1 services on 1 listeners");
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	ck_assert(strncmp(notify_next(fd, msg, sizeof(msg)), "STOPPING=1\n",
	              11) == 0);
	ck_assert(superd_wait_exit(&sd, 5000));
	close(fd);
}
END_TEST

#define SOCKET_ACTIVATE "/usr/bin/systemd-socket-activate"

/* Runs superd under systemd-socket-activate listening on port. */
static void
start_activated(int port, const char *fdname, const char *text)
{
	char listen_arg[64], name_arg[128];
	const char *argv[10] = { SOCKET_ACTIVATE, "-l", listen_arg };
	size_t n = 3;

	snprintf(listen_arg, sizeof(listen_arg), "127.0.0.1:%d", port);
	if (fdname != NULL) {
		snprintf(name_arg, sizeof(name_arg), "--fdname=%s", fdname);
		argv[n++] = name_arg;
	}
	write_conf(text);
	argv[n++] = SUPERD_BIN;
	argv[n++] = "-c";
	argv[n++] = conf_path;
	argv[n] = NULL;
	superd_start_argv(&sd, argv);
}

START_TEST(socket_activation_adopts_a_socket_by_name)
{
	char buf[64], needle[128];
	int port = harness_free_port();

	if (access(SOCKET_ACTIVATE, X_OK) == -1) {
		harness_skip("no %s", SOCKET_ACTIVATE);
		return;
	}
	/* The name decides, whatever the service's own port says. */
	start_activated(port, "echo", HEAD "[echo]\nport = 1\nexec = echo\n");
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "Listening on", 5000, NULL));
	/* systemd-socket-activate starts superd at the first connection,
	 * which waits in the passed socket's backlog meanwhile. */
	tcp_exchange(port, "activated\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "activated\n");
	snprintf(needle, sizeof(needle),
	    "echo: listening on 127.0.0.1:%d (socket passed by the service "
	    "manager)",
	    port);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, needle, 5000, NULL));
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "ready:", 5000, NULL));
	/* A reload keeps the passed socket. */
	reload("reloaded");
	tcp_exchange(port, "again\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "again\n");
}
END_TEST

START_TEST(socket_activation_adopts_a_socket_by_address)
{
	char buf[64], text[256];
	int port = harness_free_port();

	if (access(SOCKET_ACTIVATE, X_OK) == -1) {
		harness_skip("no %s", SOCKET_ACTIVATE);
		return;
	}
	snprintf(text, sizeof(text),
	    HEAD "[other]\nport = 0\nexec = echo\n[echo]\nport = %d\n"
	         "exec = echo\n",
	    port);
	start_activated(port, NULL, text);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "Listening on", 5000, NULL));
	tcp_exchange(port, "by address\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "by address\n");
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "(socket passed by the service manager)", 5000, NULL));
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "echo[", 5000, NULL));
}
END_TEST

START_TEST(handler_stderr_reaches_the_log_tagged_and_never_the_client)
{
	char buf[256];
	const char *err, *exited;
	int port;

	start(HEAD "[svc]\nport = 0\n"
	           "exec = sh -c 'echo out; echo \"oops 1\" >&2; "
	           "printf \"last words\" >&2'\n");
	port = superd_port(&sd, "svc");
	tcp_exchange(port, "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "out\n");
	err = superd_wait_log(&sd, "]: stderr from 127.0.0.1:", 5000, NULL);
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, ": oops 1\n", 5000, NULL));
	/* A last line without a newline is still logged, before the exit. */
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, ": last words\n", 5000, NULL));
	exited = superd_wait_log(&sd, "]: exited 0", 5000, NULL);
	ck_assert_ptr_nonnull(exited);
	ck_assert(strstr(sd.log, ": last words\n") < exited);
}
END_TEST

START_TEST(stderr_null_and_inherit_do_what_they_say)
{
	char buf[256];

	start(HEAD "[quiet]\nport = 0\nstderr = null\n"
	           "exec = sh -c 'echo hush-hush >&2'\n"
	           "[raw]\nport = 0\nstderr = inherit\n"
	           "exec = sh -c 'echo plain-line >&2'\n");
	tcp_exchange(superd_port(&sd, "quiet"), "", buf, sizeof(buf));
	tcp_exchange(superd_port(&sd, "raw"), "", buf, sizeof(buf));
	superd_wait_count(&sd, "]: exited 0", 2, 5000);
	ck_assert_ptr_null(strstr(sd.log, "hush-hush"));
	/* Inherited: the handler's own line, untagged. */
	ck_assert_ptr_nonnull(strstr(sd.log, "\nplain-line\n"));
}
END_TEST

/* Starts superd through sh, which sets the environment and fd 3 for it;
 * $$ is superd's pid after the exec, as LISTEN_PID must be. */
static void
start_through_sh(const char *env, const char *redirect)
{
	char cmd[2048];
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

	write_conf(HEAD "[echo]\nport = 0\nexec = echo\n");
	snprintf(cmd, sizeof(cmd), "%s exec %s -c %s %s", env, SUPERD_BIN,
	    conf_path, redirect);
	superd_start_argv(&sd, argv);
}

START_TEST(a_bad_listen_fds_count_is_a_runtime_error)
{
	start_through_sh("LISTEN_PID=$$ LISTEN_FDS=lots", "");
	ck_assert(superd_wait_exit(&sd, 5000));
	ck_assert(WIFEXITED(sd.status) && WEXITSTATUS(sd.status) == 3);
	ck_assert_ptr_nonnull(
	    strstr(sd.log, "superd: LISTEN_FDS: \"lots\" is not a count\n"));
}
END_TEST

START_TEST(a_passed_fd_that_is_not_a_listening_socket_is_refused)
{
	start_through_sh("LISTEN_PID=$$ LISTEN_FDS=1", "3</dev/null");
	ck_assert(superd_wait_exit(&sd, 5000));
	ck_assert(WIFEXITED(sd.status) && WEXITSTATUS(sd.status) == 3);
	ck_assert_ptr_nonnull(strstr(sd.log,
	    "superd: LISTEN_FDS: fd 3 is not a listening TCP or unix socket, "
	    "nor a UDP or unix datagram socket\n"));
}
END_TEST

START_TEST(listen_fds_meant_for_another_process_are_left_alone)
{
	start_through_sh("LISTEN_PID=1 LISTEN_FDS=1", "");
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "ready:", 5000, NULL));
	ck_assert_ptr_null(strstr(sd.log, "LISTEN_FDS"));
}
END_TEST

START_TEST(an_unusable_notify_socket_is_ignored_with_a_warning)
{
	start_through_sh("NOTIFY_SOCKET=relative", "");
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "NOTIFY_SOCKET ignored: Invalid argument", 5000, NULL));
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "ready:", 5000, NULL));
}
END_TEST

static Suite *
make_reload_suite(void)
{
	Suite *s = suite_create("reload");
	TCase *tc = tcase_create("reload");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, reload_keeps_the_same_listening_sockets);
	tcase_add_test(tc, an_invalid_new_file_keeps_the_running_services);
	tcase_add_test(tc,
	    a_new_port_in_use_fails_the_reload_and_changes_nothing);
	tcase_add_test(tc,
	    a_removed_service_closes_its_port_and_its_connection_completes);
	tcase_add_test(tc,
	    a_running_handler_still_counts_against_its_limit_after_reload);
	tcase_add_test(tc,
	    a_reload_storm_under_load_loses_no_connection_and_no_fd);
	tcase_add_test(tc, per_source_counts_survive_a_reload);
	tcase_add_test(tc,
	    a_fifo_in_place_of_the_file_fails_the_reload_without_waiting);
	tcase_add_test(tc, a_stop_signal_is_honoured_during_a_long_load);
	tcase_add_test(tc, sd_notify_reports_ready_reloading_and_stopping);
	tcase_add_test(tc,
	    handler_stderr_reaches_the_log_tagged_and_never_the_client);
	tcase_add_test(tc, stderr_null_and_inherit_do_what_they_say);
	tcase_add_test(tc, a_bad_listen_fds_count_is_a_runtime_error);
	tcase_add_test(tc,
	    a_passed_fd_that_is_not_a_listening_socket_is_refused);
	tcase_add_test(tc, listen_fds_meant_for_another_process_are_left_alone);
	tcase_add_test(tc, an_unusable_notify_socket_is_ignored_with_a_warning);
	suite_add_tcase(s, tc);

	tc = tcase_create("as_root");
	tcase_set_tags(tc, "root");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, a_reload_keeps_the_rule_that_root_names_a_user);
	tcase_add_test(tc,
	    a_reload_onto_a_handler_in_an_unsafe_directory_changes_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("socket_activate");
	tcase_set_tags(tc, "socket_activate");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, socket_activation_adopts_a_socket_by_name);
	tcase_add_test(tc, socket_activation_adopts_a_socket_by_address);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_reload_suite());
}
