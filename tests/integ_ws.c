/* protocol = websocket through the real superd on loopback, driven by an
 * independent client: Python's websockets (Debian python3-websockets)
 * and raw sockets in tests/ws_client.py, one case per test; without
 * python3-websockets each test is skipped.  The chat room's two doors (a
 * browser's socket and nc's raw TCP), limits, reload, shutdown, the
 * counters of refused upgrades. */
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define PYTHON "/usr/bin/python3"
#define OPENSSL "/usr/bin/openssl"
#define CLIENT TEST_SRC_DIR "/ws_client.py"
#define BROWSER TEST_SRC_DIR "/ws_browser.py"
#define CHROMIUM "/usr/bin/chromium"
/* Where the browser test leaves its screenshot (docs/chat-web.png is
 * one such). */
#define SCREENSHOT BUILD_DIR "/tests/chat-web.png"
#define WAIT_MS 5000

static struct superd sd;
static char room[32];

static void
teardown(void)
{
	superd_cleanup(&sd);
}

/* superd on conf (user = root as harness_as_self makes it), ready. */
static void
start_on(const char *conf)
{
	char *self = harness_as_self(conf);

	superd_start_file(&sd, harness_file("ws.ini", self), NULL);
	free(self);
	ck_assert_msg(superd_wait_log(&sd, "ready:", WAIT_MS, NULL) != NULL,
	    "superd did not start:\n%s", sd.log);
}

/* Every service of the tests, on ports the kernel picks; the chat room
 * is this test's own, so tests running at once do not meet. */
static void
start(void)
{
	char conf[4096];

	snprintf(room, sizeof(room), "ws%d", (int)getpid());
	snprintf(conf, sizeof(conf),
	    "[defaults]\nuser = root\nbind = 127.0.0.1\n"
	    "[chat]\nport = 0\nexec = chat --room %s\n"
	    "[chat-web]\nport = 0\nexec = chat --room %s\nprotocol = "
	    "websocket\n"
	    "websocket_static = chat\n"
	    "[echo-ws]\nport = 0\nexec = echo\nprotocol = websocket\n"
	    "websocket_origin = http://good.example\n"
	    "websocket_path = /echo\nwebsocket_max_message = 1K\n"
	    "[bin-ws]\nport = 0\nexec = echo\nprotocol = websocket\n"
	    "websocket_binary = yes\n"
	    "[daytime-ws]\nport = 0\nexec = daytime\nprotocol = websocket\n"
	    "[probe-ws]\nport = 0\nexec = %s\nprotocol = websocket\n"
	    "[short-ws]\nport = 0\nexec = echo\nprotocol = websocket\n"
	    "max_duration = 1s\n"
	    "[one-ws]\nport = 0\nexec = echo\nprotocol = websocket\n"
	    "max_connections = 1\non_max = reject\n",
	    room, room, harness_probe_bin());
	start_on(conf);
}

/* Runs argv (a python3 script) with its stderr into err; returns its
 * exit status, 77 if PYTHON is missing. */
static int
run_python(const char *const *argv, char *err, size_t errlen)
{
	int p[2], status;
	pid_t pid;

	if (access(PYTHON, X_OK) == -1)
		return 77;
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		harness_execv(PYTHON, argv);
		_exit(127);
	}
	close(p[1]);
	harness_slurp(p[0], err, errlen);
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "%s: status %d", argv[1], status);
	return WEXITSTATUS(status);
}

/* Runs ws_client.py's case against the services; a missing
 * python3-websockets skips the test. */
static bool
run_case(const char *name)
{
	char args[8][64], err[4096];
	const char *argv[16];
	static const char *const keys[][2] = { { "chat", "chat" },
		{ "web", "chat-web" }, { "echo", "echo-ws" },
		{ "bin", "bin-ws" }, { "daytime", "daytime-ws" },
		{ "probe", "probe-ws" }, { "short", "short-ws" },
		{ "one", "one-ws" } };
	char pidarg[32];
	int i, n = 0, rc;

	argv[n++] = PYTHON;
	argv[n++] = CLIENT;
	argv[n++] = name;
	for (i = 0; i < 8; i++) {
		snprintf(args[i], sizeof(args[i]), "%s=%d", keys[i][0],
		    superd_port(&sd, keys[i][1]));
		argv[n++] = args[i];
	}
	snprintf(pidarg, sizeof(pidarg), "superd=%d", (int)sd.pid);
	argv[n++] = pidarg;
	argv[n] = NULL;
	rc = run_python(argv, err, sizeof(err));
	if (rc == 77) {
		harness_skip("%s or python3-websockets missing (Debian "
		             "python3-websockets)",
		    PYTHON);
		return false;
	}
	ck_assert_msg(rc == 0, "case %s failed: %s\nsuperd's log:\n%s", name,
	    err, sd.log);
	return true;
}

/* SIGUSR1's stats line of service name must contain want. */
static void
expect_counter(const char *name, const char *want)
{
	const char *line = superd_stats(&sd, name);

	ck_assert_msg(strstr(line, want) != NULL, "%s: no %s", line, want);
}

#define CASE_TEST(test, name)                                                  \
	START_TEST(test)                                                       \
	{                                                                      \
		start();                                                       \
		run_case(name);                                                \
	}                                                                      \
	END_TEST

CASE_TEST(each_text_message_is_a_line_and_each_line_a_message, "echo")
CASE_TEST(a_fragmented_message_reaches_the_handler_as_one_line, "fragmented")
CASE_TEST(a_ping_gets_its_pong, "ping")
CASE_TEST(a_close_from_the_client_is_echoed_with_its_code, "close_normal")
CASE_TEST(a_handler_that_exits_closes_with_1000, "handler_exit_closes_1000")
CASE_TEST(a_message_over_websocket_max_message_closes_with_1009, "oversized")
CASE_TEST(a_binary_message_in_text_mode_closes_with_1003, "binary_in_text_mode")
CASE_TEST(websocket_binary_passes_bytes_through, "binary_mode")
CASE_TEST(an_unmasked_frame_closes_with_1002, "bad_masking")
CASE_TEST(broken_frames_close_with_the_rfcs_codes, "bad_frames")
CASE_TEST(a_page_and_only_the_page_is_served_from_websocket_static, "static")
CASE_TEST(the_handler_gets_the_cgi_variables_beside_the_tcp_ones, "env")
CASE_TEST(a_browser_socket_and_nc_share_the_chat_room, "chat_with_nc")
CASE_TEST(max_duration_stops_a_websocket_handler_with_1001, "max_duration")
CASE_TEST(a_reload_keeps_websocket_connections_and_takes_new_ones, "reload")
CASE_TEST(max_connections_holds_for_websocket_services, "max_connections")

START_TEST(refused_upgrades_never_start_the_handler_and_are_counted)
{
	start();
	if (!run_case("bad_origin") || !run_case("bad_path") ||
	    !run_case("not_an_upgrade"))
		return;
	/* Two origins (a wrong one, none), one path, three invalid. */
	expect_counter("echo-ws", "refused_websocket_origin=2");
	expect_counter("echo-ws", "refused_websocket_path=1");
	expect_counter("echo-ws", "refused_websocket_invalid=2");
	expect_counter("echo-ws", "accepted=0");
	ck_assert_msg(strstr(sd.log, "origin not in websocket_origin") != NULL,
	    "the relay did not say why:\n%s", sd.log);
}
END_TEST

START_TEST(stopping_superd_closes_browser_clients_with_1001)
{
	start();
	if (!run_case("shutdown"))
		return;
	ck_assert(superd_wait_exit(&sd, 15000));
	ck_assert_msg(WIFEXITED(sd.status) && WEXITSTATUS(sd.status) == 0,
	    "superd: status %d\n%s", sd.status, sd.log);
}
END_TEST

/* A relay still waiting for its request head does not hold superd's
 * shutdown up for the head's 10 s: it dies of the SIGTERM. */
START_TEST(a_relay_waiting_for_a_request_stops_with_superd)
{
	int fd;

	start();
	fd = tcp_connect("127.0.0.1", superd_port(&sd, "echo-ws"));
	ck_assert_int_ne(fd, -1);
	ck_assert_msg(superd_wait_log(&sd, "echo-ws[", WAIT_MS, NULL) != NULL,
	    "no connection line:\n%s", sd.log);
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	ck_assert_msg(superd_wait_exit(&sd, 3000),
	    "superd still waits for the relay:\n%s", sd.log);
	ck_assert_msg(strstr(sd.log, "killed by signal 15") != NULL,
	    "the relay did not die of the SIGTERM:\n%s", sd.log);
	close(fd);
}
END_TEST

/* wss://: tls_cert and protocol = websocket on one service put superd's
 * TLS relay in front of superd-ws; Python's websockets over TLS gets the
 * handler with both sets of variables, and a refused upgrade inside the
 * tunnel is counted as the websocket refusal it is, not a TLS one. */
START_TEST(wss_is_the_tls_relay_in_front_of_the_websocket_relay)
{
	char cmd[2048], conf[2048], port[32], err[4096];
	const char *argv[6];
	char crt[256], key[256];
	int rc;

	if (access(OPENSSL, X_OK) == -1) {
		harness_skip("%s missing (Debian openssl)", OPENSSL);
		return;
	}
	snprintf(crt, sizeof(crt), "%s", harness_path("wss.crt"));
	snprintf(key, sizeof(key), "%s", harness_path("wss.key"));
	snprintf(cmd, sizeof(cmd),
	    OPENSSL " req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	            "-nodes -days 2 -subj /CN=localhost -keyout %s -out %s "
	            "2>/dev/null && chmod 600 %s",
	    key, crt, key);
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
	snprintf(conf, sizeof(conf),
	    "[defaults]\nuser = root\nbind = 127.0.0.1\n"
	    "[wss-probe]\nport = 0\nexec = %s\nprotocol = websocket\n"
	    "websocket_origin = http://good.example\n"
	    "tls_cert = %s\ntls_key = %s\n",
	    harness_probe_bin(), crt, key);
	start_on(conf);
	snprintf(port, sizeof(port), "wss=%d", superd_port(&sd, "wss-probe"));
	argv[0] = PYTHON;
	argv[1] = CLIENT;
	argv[2] = "wss";
	argv[3] = port;
	argv[4] = NULL;
	rc = run_python(argv, err, sizeof(err));
	if (rc == 77) {
		harness_skip("python3-websockets missing");
		return;
	}
	ck_assert_msg(rc == 0, "%s\nsuperd's log:\n%s", err, sd.log);
	expect_counter("wss-probe", "refused_websocket_origin=1");
	expect_counter("wss-probe", "refused_tls=0");
	expect_counter("wss-probe", "accepted=1");
}
END_TEST

/*
 * The two windows: headless Chromium opens the page of a
 * [chat-web] that allows only its own origin, sets a nickname and sends a
 * line that a raw client of [chat] receives; the raw client's answer
 * shows on the page, and the page's screenshot is saved (SCREENSHOT).
 */
START_TEST(a_browser_and_nc_talk_in_the_same_chat_room)
{
	char conf[1024], url[64], chat[16], err[8192];
	const char *argv[8];
	int port = harness_free_port(), rc;

	if (access(CHROMIUM, X_OK) == -1) {
		harness_skip("%s missing (Debian chromium)", CHROMIUM);
		return;
	}
	snprintf(room, sizeof(room), "br%d", (int)getpid());
	snprintf(conf, sizeof(conf),
	    "[defaults]\nuser = root\nbind = 127.0.0.1\n"
	    "[chat]\nport = 0\nexec = chat --room %s\n"
	    "[chat-web]\nport = %d\nexec = chat --room %s\n"
	    "protocol = websocket\nwebsocket_static = chat\n"
	    "websocket_origin = http://127.0.0.1:%d\n",
	    room, port, room, port);
	start_on(conf);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	snprintf(chat, sizeof(chat), "%d", superd_port(&sd, "chat"));
	argv[0] = PYTHON;
	argv[1] = BROWSER;
	argv[2] = CHROMIUM;
	argv[3] = url;
	argv[4] = chat;
	argv[5] = SCREENSHOT;
	argv[6] = NULL;
	rc = run_python(argv, err, sizeof(err));
	if (rc == 77) {
		harness_skip("python3-websockets missing");
		return;
	}
	ck_assert_msg(rc == 0, "%s\nsuperd's log:\n%s", err, sd.log);
	ck_assert_int_eq(access(SCREENSHOT, R_OK), 0);
	printf("screenshot: %s\n", SCREENSHOT);
}
END_TEST

static Suite *
make_ws_suite(void)
{
	Suite *s = suite_create("integ_ws");
	TCase *tc = tcase_create("websocket");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, each_text_message_is_a_line_and_each_line_a_message);
	tcase_add_test(tc,
	    a_fragmented_message_reaches_the_handler_as_one_line);
	tcase_add_test(tc, a_ping_gets_its_pong);
	tcase_add_test(tc, a_close_from_the_client_is_echoed_with_its_code);
	tcase_add_test(tc, a_handler_that_exits_closes_with_1000);
	tcase_add_test(tc,
	    a_message_over_websocket_max_message_closes_with_1009);
	tcase_add_test(tc, a_binary_message_in_text_mode_closes_with_1003);
	tcase_add_test(tc, websocket_binary_passes_bytes_through);
	tcase_add_test(tc, an_unmasked_frame_closes_with_1002);
	tcase_add_test(tc, broken_frames_close_with_the_rfcs_codes);
	tcase_add_test(tc,
	    a_page_and_only_the_page_is_served_from_websocket_static);
	tcase_add_test(tc,
	    the_handler_gets_the_cgi_variables_beside_the_tcp_ones);
	tcase_add_test(tc, a_browser_socket_and_nc_share_the_chat_room);
	tcase_add_test(tc, max_duration_stops_a_websocket_handler_with_1001);
	tcase_add_test(tc,
	    a_reload_keeps_websocket_connections_and_takes_new_ones);
	tcase_add_test(tc, max_connections_holds_for_websocket_services);
	tcase_add_test(tc,
	    refused_upgrades_never_start_the_handler_and_are_counted);
	tcase_add_test(tc, stopping_superd_closes_browser_clients_with_1001);
	tcase_add_test(tc, a_relay_waiting_for_a_request_stops_with_superd);
	tcase_add_test(tc,
	    wss_is_the_tls_relay_in_front_of_the_websocket_relay);
	suite_add_tcase(s, tc);
	/* Chromium, which a host may lack: integ_ws_programs. */
	tc = tcase_create("browser");
	tcase_set_tags(tc, "programs");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, a_browser_and_nc_talk_in_the_same_chat_room);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_ws_suite());
}
