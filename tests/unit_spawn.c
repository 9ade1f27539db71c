/* Unit tests of the child checklist (through the probe handler) and of
 * reaping many children that exit at once. */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "children.h"
#include "config.h"
#include "harness.h"
#include "sig.h"
#include "spawn.h"

static char probe_report[16384];

/* A service that runs path with argv, as the tests below build it: no
 * config file, superd's defaults where the loader would put them. */
static void
probe_service(struct service *svc, char **argv, const char *path)
{
	static char path_buf[PATH_MAX];

	memset(svc, 0, sizeof(*svc));
	snprintf(svc->name, sizeof(svc->name), "probe");
	snprintf(path_buf, sizeof(path_buf), "%s", path);
	svc->path = path_buf;
	svc->argv = argv;
	svc->umask = UMASK_DEFAULT;
}

/* What the last spawn_service's child reported, if it failed. */
static struct spawn_failure last_failure;

/* Spawns svc on one end of a socketpair, as if it were a connection to
 * 127.0.0.1:7007 from 127.0.0.1:4242, and collects its report. */
static int
spawn_service(const struct service *svc)
{
	struct spawn_conn conn = { 0 };
	struct listener l;
	struct sockaddr_in peer;
	int sv[2], status;
	pid_t pid;
	size_t n;

	memset(&l, 0, sizeof(l));
	snprintf(l.ip, sizeof(l.ip), "127.0.0.1");
	snprintf(l.port, sizeof(l.port), "7007");
	memset(&peer, 0, sizeof(peer));
	peer.sin_family = AF_INET;
	peer.sin_port = htons(4242);
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
	    0);
	conn.fd = sv[0];
	conn.peer = (struct sockaddr *)&peer;
	conn.concurrency = 3;
	pid = spawn_handler(svc, NULL, &l, &conn, -1, &last_failure);
	ck_assert_int_gt(pid, 0);
	close(sv[0]);
	n = tcp_read_all(sv[1], probe_report, sizeof(probe_report) - 1, 5000);
	probe_report[n] = '\0';
	close(sv[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	/* Fork builds (sanitizers) hand the report over at reap. */
	if (last_failure.pending != -1)
		spawn_failure_collect(last_failure.pending, &last_failure);
	return status;
}

/* Spawns the probe (or path) with superd's defaults. */
static int
spawn_probe(char **argv, const char *path)
{
	struct service svc;

	probe_service(&svc, argv, path);
	return spawn_service(&svc);
}

/* The value of "key" in the report (a "key:" line, blanks and tabs around
 * the value removed), in static storage; fails the test if missing. */
static const char *
probe_value(const char *key)
{
	static char value[512];
	char needle[64];
	const char *p;
	size_t len;

	snprintf(needle, sizeof(needle), "\n%s:", key);
	p = strstr(probe_report, needle);
	ck_assert_msg(p != NULL, "no %s in %s", key, probe_report);
	p += strlen(needle);
	p += strspn(p, " \t");
	len = strcspn(p, "\n");
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	snprintf(value, sizeof(value), "%.*s", (int)len, p);
	return value;
}

static void
expect_value(const char *key, const char *want)
{
	ck_assert_msg(strcmp(probe_value(key), want) == 0,
	    "%s is \"%s\", want \"%s\"; report:\n%s", key, probe_value(key),
	    want, probe_report);
}

#define NOT_ROOT "not root: switching users needs root"

/* Makes this test process unprivileged: root becomes nobody, anyone else
 * already is. */
static void
drop_root_if_root(void)
{
	if (geteuid() != 0)
		return;
	ck_assert_int_eq(setgroups(0, NULL), 0);
	ck_assert_int_eq(setgid(65534), 0);
	ck_assert_int_eq(setuid(65534), 0);
}

static void
spawn_setup_like_superd(void)
{
	/* What a careless parent might hand superd: ignored signals and a
	 * descriptor without close-on-exec. */
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_ge(open("/dev/null", O_RDONLY), 3);
	ck_assert_int_ge(sig_init(), 0);
}

START_TEST(spawn_gives_handler_exactly_fds_0_1_2)
{
	char a0[] = "probe", *argv[] = { a0, NULL };
	int status;

	spawn_setup_like_superd();
	status = spawn_probe(argv, harness_probe_bin());
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %d", status);
	ck_assert_msg(strstr(probe_report, "fds: 0 1 2\n") != NULL, "%s",
	    probe_report);
}
END_TEST

/* Many descriptors open in superd, below and above the connection's:
 * the child starts on superd's table (CLONE_FILES) and copies only what
 * it needs, and neither its copy nor its dup2s touch superd's own. */
START_TEST(spawn_shares_nothing_of_superds_descriptors_with_the_handler)
{
	char a0[] = "probe", *argv[] = { a0, NULL };
	struct stat before[3], after[3];
	int i, fd, status, nfds;

	spawn_setup_like_superd();
	for (i = 0; i < 300; i++)
		ck_assert_int_ge(open("/dev/null", O_RDONLY | O_CLOEXEC), 3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(fstat(i, &before[i]), 0);
	nfds = proc_fd_count(getpid());
	status = spawn_probe(argv, harness_probe_bin());
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %d", status);
	ck_assert_msg(strstr(probe_report, "fds: 0 1 2\n") != NULL, "%s",
	    probe_report);
	ck_assert_int_eq(proc_fd_count(getpid()), nfds);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(fstat(i, &after[i]), 0);
		ck_assert(after[i].st_ino == before[i].st_ino &&
		    after[i].st_dev == before[i].st_dev);
	}
	/* A kept descriptor moves up, past where the next ones go. */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(spawn_keep_fd(fd), fd + SPAWN_FD_ROOM);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
}
END_TEST

START_TEST(spawn_clears_signal_mask_and_ignored_set)
{
	char a0[] = "probe", *argv[] = { a0, NULL };

	spawn_setup_like_superd();
	spawn_probe(argv, harness_probe_bin());
	ck_assert_msg(strstr(probe_report, "SigBlk:\t0000000000000000\n") !=
	        NULL,
	    "%s", probe_report);
	ck_assert_msg(strstr(probe_report, "SigIgn:\t0000000000000000\n") !=
	        NULL,
	    "%s", probe_report);
}
END_TEST

START_TEST(spawn_puts_socket_on_stdin_stdout_only)
{
	char a0[] = "probe", *argv[] = { a0, NULL };
	const char *fd0, *fd1, *fd2;
	char sock[64];

	spawn_setup_like_superd();
	spawn_probe(argv, harness_probe_bin());
	fd0 = strstr(probe_report, "fd0: ");
	fd1 = strstr(probe_report, "fd1: ");
	fd2 = strstr(probe_report, "fd2: ");
	ck_assert(fd0 && fd1 && fd2);
	ck_assert_msg(strncmp(fd0 + 5, "socket:[", 8) == 0, "%s", probe_report);
	snprintf(sock, sizeof(sock), "%.*s", (int)strcspn(fd0 + 5, "\n"),
	    fd0 + 5);
	ck_assert_msg(strncmp(fd1 + 5, sock, strlen(sock)) == 0, "%s",
	    probe_report);
	ck_assert_msg(strncmp(fd2 + 5, sock, strlen(sock)) != 0,
	    "stderr must not be the client: %s", probe_report);
}
END_TEST

START_TEST(spawn_starts_handler_in_its_own_session)
{
	char a0[] = "probe", *argv[] = { a0, NULL };

	spawn_setup_like_superd();
	spawn_probe(argv, harness_probe_bin());
	ck_assert_msg(strstr(probe_report, "session_leader: yes\n") != NULL,
	    "%s", probe_report);
	ck_assert_msg(strstr(probe_report, "pgrp_is_pid: yes\n") != NULL, "%s",
	    probe_report);
}
END_TEST

START_TEST(spawn_gives_exactly_the_documented_environment)
{
	static const char *const want[] = {
		"env: PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
		"/sbin:/bin\n",
		"env: PROTO=TCP\n",
		"env: TCPLOCALIP=127.0.0.1\n",
		"env: TCPLOCALPORT=7007\n",
		"env: TCPREMOTEIP=127.0.0.1\n",
		"env: TCPREMOTEPORT=4242\n",
		"env: TCPCONCURRENCY=3\n",
		"env: SUPERD_SERVICE=probe\n",
	};
	char a0[] = "probe", *argv[] = { a0, NULL };
	const char *p;
	size_t i, n = 0;

	setenv("SECRET_FROM_PARENT", "leak", 1);
	spawn_setup_like_superd();
	spawn_probe(argv, harness_probe_bin());
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(strstr(probe_report, want[i]) != NULL,
		    "missing %s in %s", want[i], probe_report);
	for (p = probe_report; (p = strstr(p, "env: ")) != NULL; p++)
		n++;
	ck_assert_int_eq(n, sizeof(want) / sizeof(want[0]));
}
END_TEST

START_TEST(spawn_exits_127_with_one_line_when_program_is_missing)
{
	char a0[] = "gone", *argv[] = { a0, NULL };
	int status;

	spawn_setup_like_superd();
	status = spawn_probe(argv, "/nonexistent/superd-test-handler");
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 127);
	ck_assert_str_eq(probe_report, "");
}
END_TEST

/* execve's ENOENT for a script whose interpreter went away (after the
 * load checked it) names the interpreter, not the script. */
START_TEST(spawn_names_a_missing_interpreter_when_exec_fails)
{
	char a0[] = "nope", *argv[] = { a0, NULL }, text[512];
	const char *path =
	    harness_script("nope.sh", "#!/nonexistent/interp\necho hi\n");
	struct service svc;
	int status;

	spawn_setup_like_superd();
	probe_service(&svc, argv, path);
	status = spawn_service(&svc);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 127);
	ck_assert_str_eq(last_failure.interp, "/nonexistent/interp");
	spawn_failure_text(&svc, &last_failure, text, sizeof(text));
	ck_assert_msg(strstr(text,
	                  ": interpreter /nonexistent/interp (from "
	                  "#!) not found") != NULL,
	    "%s", text);

	/* A missing script is still just missing. */
	status = spawn_probe(argv, "/nonexistent/superd-test-handler");
	ck_assert_int_eq(WEXITSTATUS(status), 127);
	ck_assert_str_eq(last_failure.interp, "");
	spawn_failure_text(&svc, &last_failure, text, sizeof(text));
	ck_assert_msg(strstr(text, ": No such file or directory") != NULL, "%s",
	    text);
}
END_TEST

START_TEST(spawn_exits_126_when_program_is_not_executable)
{
	char a0[] = "noexec", *argv[] = { a0, NULL };
	const char *path = harness_file("noexec", "#!/bin/sh\necho hi\n");
	int status;

	spawn_setup_like_superd();
	status = spawn_probe(argv, path);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 126);
}
END_TEST

/* ---- privileges and the handler's world ---- */

START_TEST(spawn_drops_to_nobody_with_no_supplementary_groups)
{
	char a0[] = "probe", *argv[] = { a0, NULL };
	struct service svc;
	int status;

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	spawn_setup_like_superd();
	probe_service(&svc, argv, harness_probe_bin());
	svc.user_set = true;
	svc.uid = 65534;
	svc.gid = 65534;
	status = spawn_service(&svc);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %d", status);
	expect_value("Uid", "65534\t65534\t65534\t65534");
	expect_value("Gid", "65534\t65534\t65534\t65534");
	expect_value("Groups", "");
}
END_TEST

START_TEST(spawn_drops_to_exactly_the_listed_supplementary_groups)
{
	char a0[] = "probe", *argv[] = { a0, NULL };
	gid_t groups[] = { 4, 27, 100 };
	struct service svc;

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	spawn_setup_like_superd();
	probe_service(&svc, argv, harness_probe_bin());
	svc.user_set = true;
	svc.uid = 65534;
	svc.gid = 33;
	svc.groups = groups;
	svc.ngroups = 3;
	spawn_service(&svc);
	expect_value("Uid", "65534\t65534\t65534\t65534");
	expect_value("Gid", "33\t33\t33\t33");
	expect_value("Groups", "4 27 100");
}
END_TEST

START_TEST(spawn_as_root_sets_the_groups_even_for_user_root)
{
	char a0[] = "probe", *argv[] = { a0, NULL };
	gid_t superd_groups[] = { 4, 27 }, groups[] = { 0 };
	struct service svc;

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	/* superd's own groups must not reach the handler. */
	ck_assert_int_eq(setgroups(2, superd_groups), 0);
	spawn_setup_like_superd();
	probe_service(&svc, argv, harness_probe_bin());
	svc.user_set = true;
	svc.groups = groups;
	svc.ngroups = 1;
	spawn_service(&svc);
	expect_value("Uid", "0\t0\t0\t0");
	expect_value("Groups", "0");
}
END_TEST

/* Reads what the child wrote to fd 2 (redirected to a pipe by the test). */
static void
read_stderr(int fd, char *buf, size_t len)
{
	size_t n = tcp_read_all(fd, buf, len - 1, 5000);

	buf[n] = '\0';
}

/* Makes fd 2 a pipe; returns its read end. */
static int
capture_stderr(void)
{
	int p[2];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	close(p[1]);
	return p[0];
}

START_TEST(spawn_exits_126_naming_the_step_when_setgroups_fails)
{
	char a0[] = "probe", *argv[] = { a0, NULL }, line[512];
	char want[PATH_MAX + 64];
	static gid_t groups[65537]; /* one more than NGROUPS_MAX */
	struct service svc;
	int status, errfd;

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	spawn_setup_like_superd();
	errfd = capture_stderr();
	probe_service(&svc, argv, harness_probe_bin());
	svc.user_set = true;
	svc.uid = 65534;
	svc.gid = 65534;
	svc.groups = groups;
	svc.ngroups = sizeof(groups) / sizeof(groups[0]);
	status = spawn_service(&svc);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 126,
	    "status %d", status);
	ck_assert_str_eq(probe_report, "");
	/* The child reports to superd, and writes nothing itself. */
	close(STDERR_FILENO);
	read_stderr(errfd, line, sizeof(line));
	ck_assert_str_eq(line, "");
	ck_assert_int_eq(last_failure.code, 126);
	spawn_failure_text(&svc, &last_failure, line, sizeof(line));
	snprintf(want, sizeof(want), "cannot setgroups for %s: %s",
	    harness_probe_bin(), "Invalid argument");
	ck_assert_str_eq(line, want);
}
END_TEST

/* What an unprivileged superd does: it cannot switch, and says so. */
START_TEST(spawn_without_root_fails_to_switch_users_with_126)
{
	char a0[] = "probe", *argv[] = { a0, NULL }, line[512];
	char want[PATH_MAX + 64];
	struct service svc;
	int status, errfd;

	drop_root_if_root();
	spawn_setup_like_superd();
	errfd = capture_stderr();
	probe_service(&svc, argv, harness_probe_bin());
	svc.user_set = true; /* root, uid 0 and gid 0 */
	status = spawn_service(&svc);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 126,
	    "status %d", status);
	close(STDERR_FILENO);
	read_stderr(errfd, line, sizeof(line));
	ck_assert_str_eq(line, "");
	spawn_failure_text(&svc, &last_failure, line, sizeof(line));
	snprintf(want, sizeof(want), "cannot setgid for %s: %s",
	    harness_probe_bin(), "Operation not permitted");
	ck_assert_str_eq(line, want);
}
END_TEST

START_TEST(spawn_without_root_keeps_its_own_ids_when_asked_for_them)
{
	char a0[] = "probe", *argv[] = { a0, NULL }, ids[64];
	struct service svc;
	int status;

	drop_root_if_root();
	spawn_setup_like_superd();
	probe_service(&svc, argv, harness_probe_bin());
	svc.user_set = true;
	svc.uid = getuid();
	svc.gid = getgid();
	status = spawn_service(&svc);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %d", status);
	snprintf(ids, sizeof(ids), "%u\t%u\t%u\t%u", (unsigned)svc.uid,
	    (unsigned)svc.uid, (unsigned)svc.uid, (unsigned)svc.uid);
	expect_value("Uid", ids);
	snprintf(ids, sizeof(ids), "%u\t%u\t%u\t%u", (unsigned)svc.gid,
	    (unsigned)svc.gid, (unsigned)svc.gid, (unsigned)svc.gid);
	expect_value("Gid", ids);
}
END_TEST

START_TEST(spawn_adds_env_entries_after_the_fixed_ones)
{
	char a0[] = "probe", *argv[] = { a0, NULL };
	char e0[] = "GREETING=hello world",
	     e1[] = "EMPTY=", e2[] = "EQUALS=a=b";
	char *env[] = { e0, e1, e2 };
	struct service svc;
	const char *sup, *greet;

	spawn_setup_like_superd();
	probe_service(&svc, argv, harness_probe_bin());
	svc.env = env;
	svc.nenv = 3;
	spawn_service(&svc);
	ck_assert_ptr_nonnull(strstr(probe_report,
	    "env: PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
	    "/sbin:/bin\n"));
	sup = strstr(probe_report, "env: SUPERD_SERVICE=probe\n");
	greet = strstr(probe_report,
	    "env: GREETING=hello world\nenv: EMPTY=\nenv: EQUALS=a=b\nend\n");
	ck_assert_msg(sup != NULL && greet != NULL && sup < greet, "%s",
	    probe_report);
}
END_TEST

START_TEST(spawn_lets_env_replace_path)
{
	char a0[] = "probe", *argv[] = { a0, NULL }, e0[] = "PATH=/opt/x/bin";
	char *env[] = { e0 };
	struct service svc;
	const char *p;
	size_t n = 0;

	spawn_setup_like_superd();
	probe_service(&svc, argv, harness_probe_bin());
	svc.env = env;
	svc.nenv = 1;
	spawn_service(&svc);
	ck_assert_ptr_nonnull(strstr(probe_report, "env: PATH=/opt/x/bin\n"));
	for (p = probe_report; (p = strstr(p, "env: PATH=")) != NULL; p++)
		n++;
	ck_assert_int_eq(n, 1);
}
END_TEST

START_TEST(spawn_passes_pass_env_values_read_at_load)
{
	static const char *const dirs[] = { NULL };
	char conf[512], err[CONFIG_ERR_MAX];
	struct config cfg;
	int status;

	setenv("PROBE_PASSED", "from superd", 1);
	setenv("PROBE_LATER", "at load", 1);
	snprintf(conf, sizeof(conf),
	    "[probe]\nport = 7\nexec = %s\nenv = A=1\n"
	    "pass_env = PROBE_PASSED PROBE_UNSET, PROBE_LATER\n",
	    harness_probe_bin());
	unsetenv("PROBE_UNSET");
	ck_assert_msg(config_load(harness_file("p.ini", conf), dirs, &cfg, err,
	                  sizeof(err)) == 0,
	    "%s", err);
	/* The value in effect at load is the one the handler sees. */
	setenv("PROBE_LATER", "changed after load", 1);
	spawn_setup_like_superd();
	status = spawn_service(&cfg.services[0]);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %d", status);
	ck_assert_msg(strstr(probe_report,
	                  "env: A=1\nenv: PROBE_PASSED=from superd\n"
	                  "env: PROBE_LATER=at load\nend\n") != NULL,
	    "%s", probe_report);
	ck_assert_ptr_null(strstr(probe_report, "PROBE_UNSET"));
	config_free(&cfg);
}
END_TEST

/* Loads a one-service file running the probe with the given extra keys
 * and spawns it; the report is in probe_report. */
static void
spawn_loaded(const char *keys)
{
	static const char *const dirs[] = { NULL };
	char conf[1024], err[CONFIG_ERR_MAX];
	struct config cfg;
	int status;

	snprintf(conf, sizeof(conf), "[probe]\nport = 7\nexec = %s\n%s",
	    harness_probe_bin(), keys);
	ck_assert_msg(config_load(harness_file("p.ini", conf), dirs, &cfg, err,
	                  sizeof(err)) == 0,
	    "%s", err);
	spawn_setup_like_superd();
	status = spawn_service(&cfg.services[0]);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %d: %s", status, probe_report);
	config_free(&cfg);
}

/* How often "env: NAME=" occurs in the report. */
static size_t
env_count(const char *name)
{
	char needle[64];
	const char *p;
	size_t n = 0;

	snprintf(needle, sizeof(needle), "env: %s=", name);
	for (p = probe_report; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* As systemd does for User=: a handler finds its user's home, name and
 * shell, from the passwd entry read at load.  The test's own user, so it
 * runs as root and as anyone. */
START_TEST(spawn_gives_a_user_service_home_user_logname_and_shell)
{
	const struct passwd *pw = getpwuid(geteuid());
	char keys[256], want[PATH_MAX + 16];

	ck_assert_ptr_nonnull(pw);
	snprintf(keys, sizeof(keys), "user = %s\n", pw->pw_name);
	spawn_loaded(keys);
	snprintf(want, sizeof(want), "env: HOME=%s\n", pw->pw_dir);
	ck_assert_msg(strstr(probe_report, want) != NULL, "%s", probe_report);
	snprintf(want, sizeof(want), "env: USER=%s\n", pw->pw_name);
	ck_assert_msg(strstr(probe_report, want) != NULL, "%s", probe_report);
	snprintf(want, sizeof(want), "env: LOGNAME=%s\n", pw->pw_name);
	ck_assert_msg(strstr(probe_report, want) != NULL, "%s", probe_report);
	snprintf(want, sizeof(want), "env: SHELL=%s\n",
	    *pw->pw_shell ? pw->pw_shell : "/bin/sh");
	ck_assert_msg(strstr(probe_report, want) != NULL, "%s", probe_report);

	/* Without user, none of them: superd's own are not passed on. */
	setenv("HOME", "/superd-home", 1);
	spawn_loaded("");
	ck_assert_int_eq(env_count("HOME"), 0);
	ck_assert_int_eq(env_count("USER"), 0);
	ck_assert_int_eq(env_count("LOGNAME"), 0);
	ck_assert_int_eq(env_count("SHELL"), 0);
}
END_TEST

START_TEST(spawn_lets_env_and_pass_env_replace_the_login_variables)
{
	const struct passwd *pw = getpwuid(geteuid());
	char keys[256];

	ck_assert_ptr_nonnull(pw);
	setenv("SHELL", "/bin/from-superd", 1);
	snprintf(keys, sizeof(keys),
	    "user = %s\nenv = HOME=/srv/git\npass_env = SHELL\n", pw->pw_name);
	spawn_loaded(keys);
	ck_assert_msg(strstr(probe_report, "env: HOME=/srv/git\n") != NULL,
	    "%s", probe_report);
	ck_assert_msg(strstr(probe_report, "env: SHELL=/bin/from-superd\n") !=
	        NULL,
	    "%s", probe_report);
	ck_assert_int_eq(env_count("HOME"), 1);
	ck_assert_int_eq(env_count("SHELL"), 1);
	ck_assert_int_eq(env_count("USER"), 1);
}
END_TEST

START_TEST(spawn_runs_the_handler_in_root_by_default_and_in_workdir)
{
	char a0[] = "probe", *argv[] = { a0, NULL }, dir[512], *slash;
	struct service svc;

	ck_assert_int_eq(chdir(BUILD_DIR), 0);
	spawn_setup_like_superd();
	spawn_probe(argv, harness_probe_bin());
	expect_value("cwd", "/");

	snprintf(dir, sizeof(dir), "%s", harness_file("x", ""));
	slash = strrchr(dir, '/');
	*slash = '\0';
	probe_service(&svc, argv, harness_probe_bin());
	svc.workdir = dir;
	spawn_service(&svc);
	expect_value("cwd", dir);
}
END_TEST

START_TEST(spawn_sets_umask_022_by_default_and_as_configured)
{
	char a0[] = "probe", *argv[] = { a0, NULL };
	struct service svc;

	umask(0);
	spawn_setup_like_superd();
	spawn_probe(argv, harness_probe_bin());
	expect_value("Umask", "0022");
	probe_service(&svc, argv, harness_probe_bin());
	svc.umask = 0027;
	spawn_service(&svc);
	expect_value("Umask", "0027");
}
END_TEST

START_TEST(spawn_sets_nice_only_when_asked)
{
	char a0[] = "probe", *argv[] = { a0, NULL };
	struct service svc;

	ck_assert_int_eq(setpriority(PRIO_PROCESS, 0, 2), 0);
	spawn_setup_like_superd();
	spawn_probe(argv, harness_probe_bin());
	expect_value("nice", "2");
	probe_service(&svc, argv, harness_probe_bin());
	svc.nice_set = true;
	svc.nice = 7;
	spawn_service(&svc);
	expect_value("nice", "7");
}
END_TEST

START_TEST(spawn_sets_each_configured_rlimit_soft_and_hard)
{
	char a0[] = "probe", *argv[] = { a0, NULL };
	struct service svc;

	spawn_setup_like_superd();
	probe_service(&svc, argv, harness_probe_bin());
	svc.rlimit[SERVICE_RLIMIT_NOFILE] = (struct service_limit){ true, 64 };
	svc.rlimit[SERVICE_RLIMIT_NPROC] = (struct service_limit){ true, 1000 };
	svc.rlimit[SERVICE_RLIMIT_CPU] = (struct service_limit){ true, 30 };
	svc.rlimit[SERVICE_RLIMIT_CORE] = (struct service_limit){ true, 0 };
	spawn_service(&svc);
	expect_value("rlimit_nofile", "64 64");
	expect_value("rlimit_nproc", "1000 1000");
	expect_value("rlimit_cpu", "30 30");
	expect_value("rlimit_core", "0 0");
}
END_TEST

/* The probe may be built with AddressSanitizer, which cannot start under
 * a small RLIMIT_AS: the shell reports that one. */
START_TEST(spawn_sets_rlimit_as)
{
	char a0[] = "sh", a1[] = "-c",
	     a2[] = "echo \"as: $(ulimit -S -v) $(ulimit -H -v)\"";
	char *argv[] = { a0, a1, a2, NULL };
	struct service svc;

	spawn_setup_like_superd();
	probe_service(&svc, argv, "/bin/sh");
	svc.rlimit[SERVICE_RLIMIT_AS] =
	    (struct service_limit){ true, 256UL << 20 };
	spawn_service(&svc);
	ck_assert_str_eq(probe_report, "as: 262144 262144\n");
}
END_TEST

/* ---- reaping ---- */

static size_t exits_seen;

static void
count_exit(void *arg, const struct child *c, int status)
{
	(void)arg;
	(void)c;
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	exits_seen++;
}

#define MANY 100

START_TEST(reap_collects_many_children_exiting_at_once)
{
	struct children kids = { 0 };
	struct pollfd pfd;
	int gate[2], sigfd, sig, signals = 0, i;
	pid_t pid, from;
	char c;

	sigfd = sig_init();
	ck_assert_int_ge(sigfd, 0);
	ck_assert_int_eq(pipe2(gate, O_CLOEXEC), 0);
	for (i = 0; i < MANY; i++) {
		ck_assert_int_eq(children_reserve(&kids), 0);
		pid = fork();
		ck_assert_int_ne(pid, -1);
		if (pid == 0) {
			/* All wait on the same gate, then exit together. */
			close(gate[1]);
			while (read(gate[0], &c, 1) == -1 && errno == EINTR)
				;
			_exit(7);
		}
		children_add(&kids, &(struct child){ .pid = pid });
	}
	close(gate[0]);
	close(gate[1]);
	exits_seen = 0;
	pfd.fd = sigfd;
	pfd.events = POLLIN;
	while (kids.n > 0) {
		ck_assert_msg(poll(&pfd, 1, 5000) == 1, "%zu never reaped",
		    kids.n);
		while ((sig = sig_next(sigfd, &from)) > 0) {
			ck_assert_int_eq(sig, SIGCHLD);
			signals++;
			children_reap(&kids, WNOHANG, NULL, count_exit, NULL);
		}
	}
	ck_assert_int_eq(exits_seen, MANY);
	ck_assert_int_eq(proc_zombie_children(getpid()), 0);
	/* Coalescing is what makes the loop necessary. */
	ck_assert_int_le(signals, MANY);
	children_free(&kids);
}
END_TEST

/* A stand-in for a child, by pid: the table does not look at the rest. */
static struct child
fake_child(pid_t pid)
{
	struct child c = { .pid = pid, .id = (uint64_t)pid * 7 };

	return c;
}

START_TEST(children_finds_each_pid_while_thousands_come_and_go)
{
	struct children kids = { 0 };
	static bool in[40000];
	struct child *c, out, fake;
	pid_t pid;
	int i;

	srand(13);
	for (i = 0; i < 30000; i++) {
		pid = 2 + rand() % 39990;
		if (in[pid]) {
			ck_assert_int_eq(children_remove(&kids, pid, &out), 0);
			ck_assert_int_eq(out.pid, pid);
			ck_assert_uint_eq(out.id, (uint64_t)pid * 7);
			in[pid] = false;
			continue;
		}
		ck_assert_int_eq(children_reserve(&kids), 0);
		fake = fake_child(pid);
		children_add(&kids, &fake);
		in[pid] = true;
	}
	for (pid = 0; pid < 40000; pid++) {
		c = children_find_pid(&kids, pid);
		ck_assert_msg((c != NULL) == in[pid], "pid %d", (int)pid);
		if (c != NULL)
			ck_assert_int_eq(c->pid, pid);
	}
	children_free(&kids);
}
END_TEST

/* hstderr keeps exited handlers whose pid may be reused: entries with
 * the same pid come and go by position. */
START_TEST(children_keeps_entries_with_the_same_pid_apart)
{
	struct children kids = { 0 };
	struct child a = fake_child(42), b = fake_child(42);

	a.id = 1;
	b.id = 2;
	ck_assert_int_eq(children_reserve(&kids), 0);
	children_add(&kids, &a);
	ck_assert_int_eq(children_reserve(&kids), 0);
	children_add(&kids, &b);
	children_remove_at(&kids, 0);
	ck_assert_uint_eq(kids.n, 1);
	ck_assert_uint_eq(children_find_pid(&kids, 42)->id, 2);
	children_remove_at(&kids, 0);
	ck_assert_ptr_null(children_find_pid(&kids, 42));
	children_free(&kids);
}
END_TEST

static void
record_exit(void *arg, const struct child *c, int status)
{
	*(int *)arg = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	(void)c;
}

/* Forks a child that exits with code once its gate pipe is closed. */
static pid_t
gated_child(int code, int *gate)
{
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe2(gate, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(gate[1]);
		while (read(gate[0], &c, 1) == -1 && errno == EINTR)
			;
		_exit(code);
	}
	close(gate[0]);
	return pid;
}

START_TEST(reap_pid_reaps_the_named_child_and_no_other)
{
	struct children kids = { 0 };
	int gate_a[2], gate_b[2], status = -1;
	struct child fake;
	pid_t a, b;

	a = gated_child(3, gate_a);
	b = gated_child(4, gate_b);
	ck_assert_int_eq(children_reserve(&kids), 0);
	fake = fake_child(a);
	children_add(&kids, &fake);
	ck_assert_int_eq(children_reserve(&kids), 0);
	fake = fake_child(b);
	children_add(&kids, &fake);
	close(gate_b[1]);
	/* a runs on: nothing to reap. */
	ck_assert_uint_eq(children_reap_pid(&kids, a, record_exit, &status), 0);
	ck_assert_uint_eq(kids.n, 2);
	while (children_reap_pid(&kids, b, record_exit, &status) == 0)
		harness_sleep_ms(5);
	ck_assert_int_eq(status, 4);
	ck_assert_uint_eq(kids.n, 1);
	ck_assert_ptr_nonnull(children_find_pid(&kids, a));
	/* Reaped already: nothing, and no complaint. */
	ck_assert_uint_eq(children_reap_pid(&kids, b, record_exit, &status), 0);
	close(gate_a[1]);
	ck_assert_int_eq(waitpid(a, NULL, 0), a);
	children_free(&kids);
}
END_TEST

static bool
named_always(void *arg, const struct child *c)
{
	(void)arg;
	(void)c;
	return true;
}

static bool
three_zombies(void *arg)
{
	(void)arg;
	return proc_zombie_children(getpid()) == 3;
}

/* A sweep stops at an exit that is named anyway (its pipe or pidfd will
 * tell): each further waitpid(-1) would walk every child again. */
START_TEST(reap_stops_after_a_child_whose_exit_is_named_anyway)
{
	struct children kids = { 0 };
	int gate[3][2], status = -1, i;
	struct child fake;

	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(children_reserve(&kids), 0);
		fake = fake_child(gated_child(5, gate[i]));
		children_add(&kids, &fake);
		close(gate[i][1]);
	}
	ck_assert(harness_until(three_zombies, NULL, 5000));
	ck_assert_uint_eq(children_reap(&kids, WNOHANG, named_always,
	                      record_exit, &status),
	    1);
	ck_assert_int_eq(status, 5);
	ck_assert_uint_eq(kids.n, 2);
	ck_assert_uint_eq(children_reap(&kids, WNOHANG, NULL, record_exit,
	                      &status),
	    2);
	ck_assert_uint_eq(kids.n, 0);
	ck_assert_int_eq(proc_zombie_children(getpid()), 0);
	children_free(&kids);
}
END_TEST

static Suite *
make_spawn_suite(void)
{
	Suite *s = suite_create("spawn");
	TCase *tc = tcase_create("spawn");

	tcase_add_test(tc, spawn_gives_handler_exactly_fds_0_1_2);
	tcase_add_test(tc,
	    spawn_shares_nothing_of_superds_descriptors_with_the_handler);
	tcase_add_test(tc, spawn_clears_signal_mask_and_ignored_set);
	tcase_add_test(tc, spawn_puts_socket_on_stdin_stdout_only);
	tcase_add_test(tc, spawn_starts_handler_in_its_own_session);
	tcase_add_test(tc, spawn_gives_exactly_the_documented_environment);
	tcase_add_test(tc,
	    spawn_exits_127_with_one_line_when_program_is_missing);
	tcase_add_test(tc, spawn_names_a_missing_interpreter_when_exec_fails);
	tcase_add_test(tc, spawn_exits_126_when_program_is_not_executable);
	tcase_add_test(tc, spawn_without_root_fails_to_switch_users_with_126);
	tcase_add_test(tc,
	    spawn_without_root_keeps_its_own_ids_when_asked_for_them);
	tcase_add_test(tc, spawn_adds_env_entries_after_the_fixed_ones);
	tcase_add_test(tc, spawn_lets_env_replace_path);
	tcase_add_test(tc, spawn_passes_pass_env_values_read_at_load);
	tcase_add_test(tc,
	    spawn_gives_a_user_service_home_user_logname_and_shell);
	tcase_add_test(tc,
	    spawn_lets_env_and_pass_env_replace_the_login_variables);
	tcase_add_test(tc,
	    spawn_runs_the_handler_in_root_by_default_and_in_workdir);
	tcase_add_test(tc, spawn_sets_umask_022_by_default_and_as_configured);
	tcase_add_test(tc, spawn_sets_nice_only_when_asked);
	tcase_add_test(tc, spawn_sets_each_configured_rlimit_soft_and_hard);
	tcase_add_test(tc, spawn_sets_rlimit_as);
	tcase_add_test(tc, reap_collects_many_children_exiting_at_once);
	tcase_add_test(tc, children_finds_each_pid_while_thousands_come_and_go);
	tcase_add_test(tc, children_keeps_entries_with_the_same_pid_apart);
	tcase_add_test(tc, reap_pid_reaps_the_named_child_and_no_other);
	tcase_add_test(tc, reap_stops_after_a_child_whose_exit_is_named_anyway);
	suite_add_tcase(s, tc);

	tc = tcase_create("as_root");
	tcase_set_tags(tc, "root");
	tcase_add_test(tc, spawn_drops_to_nobody_with_no_supplementary_groups);
	tcase_add_test(tc,
	    spawn_drops_to_exactly_the_listed_supplementary_groups);
	tcase_add_test(tc, spawn_as_root_sets_the_groups_even_for_user_root);
	tcase_add_test(tc,
	    spawn_exits_126_naming_the_step_when_setgroups_fails);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_spawn_suite());
}
