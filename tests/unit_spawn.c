/* Unit tests of the child checklist (through the probe handler) and of
 * reaping many children that exit at once. */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "children.h"
#include "harness.h"
#include "sig.h"
#include "spawn.h"

static char probe_report[16384];

/* Spawns the probe on one end of a socketpair, as if it were a connection
 * to 127.0.0.1:7007 from 127.0.0.1:4242, and collects its report. */
static int
spawn_probe(char **argv, const char *path)
{
	struct service svc;
	struct listener l;
	struct sockaddr_in peer;
	int sv[2], status;
	pid_t pid;
	size_t n;

	memset(&svc, 0, sizeof(svc));
	snprintf(svc.name, sizeof(svc.name), "probe");
	svc.path = strdup(path);
	ck_assert_ptr_nonnull(svc.path);
	svc.argv = argv;
	memset(&l, 0, sizeof(l));
	snprintf(l.ip, sizeof(l.ip), "127.0.0.1");
	snprintf(l.port, sizeof(l.port), "7007");
	memset(&peer, 0, sizeof(peer));
	peer.sin_family = AF_INET;
	peer.sin_port = htons(4242);
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
	    0);
	pid = spawn_handler(&svc, &l, sv[0], (struct sockaddr *)&peer, 3);
	ck_assert_int_gt(pid, 0);
	close(sv[0]);
	n = tcp_read_all(sv[1], probe_report, sizeof(probe_report) - 1, 5000);
	probe_report[n] = '\0';
	close(sv[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	free(svc.path);
	return status;
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
	status = spawn_probe(argv, PROBE_BIN);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %d", status);
	ck_assert_msg(strstr(probe_report, "fds: 0 1 2\n") != NULL, "%s",
	    probe_report);
}
END_TEST

START_TEST(spawn_clears_signal_mask_and_ignored_set)
{
	char a0[] = "probe", *argv[] = { a0, NULL };

	spawn_setup_like_superd();
	spawn_probe(argv, PROBE_BIN);
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
	spawn_probe(argv, PROBE_BIN);
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
	spawn_probe(argv, PROBE_BIN);
	ck_assert_msg(strstr(probe_report, "session_leader: yes\n") != NULL,
	    "%s", probe_report);
	ck_assert_msg(strstr(probe_report, "pgrp_is_pid: yes\n") != NULL, "%s",
	    probe_report);
}
END_TEST

START_TEST(spawn_gives_exactly_the_documented_environment)
{
	static const char *const want[] = {
		"env: PATH=" SPAWN_PATH "\n",
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
	spawn_probe(argv, PROBE_BIN);
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
	char c;
	pid_t pid;

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
		while ((sig = sig_next(sigfd)) > 0) {
			ck_assert_int_eq(sig, SIGCHLD);
			signals++;
			children_reap(&kids, WNOHANG, count_exit, NULL);
		}
	}
	ck_assert_int_eq(exits_seen, MANY);
	ck_assert_int_eq(proc_zombie_children(getpid()), 0);
	/* Coalescing is what makes the loop necessary. */
	ck_assert_int_le(signals, MANY);
	children_free(&kids);
}
END_TEST

static Suite *
make_spawn_suite(void)
{
	Suite *s = suite_create("spawn");
	TCase *tc = tcase_create("spawn");

	tcase_add_test(tc, spawn_gives_handler_exactly_fds_0_1_2);
	tcase_add_test(tc, spawn_clears_signal_mask_and_ignored_set);
	tcase_add_test(tc, spawn_puts_socket_on_stdin_stdout_only);
	tcase_add_test(tc, spawn_starts_handler_in_its_own_session);
	tcase_add_test(tc, spawn_gives_exactly_the_documented_environment);
	tcase_add_test(tc,
	    spawn_exits_127_with_one_line_when_program_is_missing);
	tcase_add_test(tc, spawn_exits_126_when_program_is_not_executable);
	tcase_add_test(tc, reap_collects_many_children_exiting_at_once);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_spawn_suite());
}
