/* Integration tests of [supervisor] log_format = kv: the fixed event names
 * and keys of superd(8), values quoted where they may hold blanks, a
 * reload switching formats, and a session exercising most events whose
 * every line must parse as "superd: event=WORD( key=value)*". */
#include <sys/socket.h>
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static struct superd sd;
static char conf_path[1024];

static void
teardown(void)
{
	superd_cleanup(&sd);
}

#define KV "[supervisor]\nlog_format = kv\nshutdown_timeout = 300ms\n"

/* (Re)writes the config file: [defaults] binding to 127.0.0.1 (and, for
 * a root test, naming root as the user), then sections. */
static void
write_conf(const char *supervisor, const char *services)
{
	char text[4096];

	snprintf(text, sizeof(text), "%s[defaults]\nbind = 127.0.0.1\n%s%s",
	    supervisor, geteuid() == 0 ? "user = root\n" : "", services);
	snprintf(conf_path, sizeof(conf_path), "%s",
	    harness_file("logformat.ini", text));
}

static void
start(const char *supervisor, const char *services, const char *flag)
{
	const char *extra[] = { flag, NULL };

	write_conf(supervisor, services);
	superd_start_file(&sd, conf_path, extra);
}

/* Waits for needle; fails the test with the log if it does not come. */
static const char *
expect(const char *needle)
{
	const char *hit = superd_wait_log(&sd, needle, 5000, NULL);

	ck_assert_msg(hit != NULL, "no \"%s\" in the log:\n%s", needle, sd.log);
	return hit;
}

/* The port of service's listener, from its kv listen line. */
static int
kv_port(const char *service)
{
	char needle[128];
	int port = 0;

	snprintf(needle, sizeof(needle),
	    "superd: event=listen service=%s address=127.0.0.1:", service);
	ck_assert_int_eq(sscanf(expect(needle) + strlen(needle), "%d", &port),
	    1);
	return port;
}

/* The pid of the next accept line of service, from *from on. */
static int
kv_accepted(const char *service, size_t *from)
{
	char needle[128];
	const char *hit;
	int pid = 0;

	snprintf(needle, sizeof(needle),
	    "event=accept service=%s pid=", service);
	hit = superd_wait_log(&sd, needle, 5000, from);
	ck_assert_msg(hit != NULL, "no \"%s\" in the log:\n%s", needle, sd.log);
	ck_assert_int_eq(sscanf(hit + strlen(needle), "%d", &pid), 1);
	return pid;
}

/* Connects to port and reads the handler's "ready\n". */
static int
connect_ready(int port)
{
	char buf[8];
	int fd = tcp_connect("127.0.0.1", port);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(tcp_read_all(fd, buf, 6, 5000), 6);
	return fd;
}

static bool
kv_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static bool
kv_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* A quoted value from p (at its opening quote): the end, or NULL. */
static const char *
kv_quoted(const char *p, const char *end)
{
	for (p++; p < end && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return NULL;
		if (*p != '\\')
			continue;
		if (++p == end)
			return NULL;
		if (*p == 'x') {
			if (end - p < 3 || !kv_hex(p[1]) || !kv_hex(p[2]))
				return NULL;
			p += 2;
		} else if (strchr("\"\\nrt", *p) == NULL || *p == '\0') {
			return NULL;
		}
	}
	return p < end ? p + 1 : NULL;
}

/* A bare value from p: the end, or NULL if empty or holding a quote, a
 * backslash or a control byte. */
static const char *
kv_bare(const char *p, const char *end)
{
	const char *start = p;

	while (p < end && *p != ' ') {
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20 ||
		    *p == 0x7f)
			return NULL;
		p++;
	}
	return p > start ? p : NULL;
}

/*
 * Checks that the line [p, end) is "superd: event=WORD( key=value)*",
 * a value being a bare token or a quoted string.  Returns NULL, or what
 * is wrong.  The event name goes to event.
 */
static const char *
kv_check(const char *p, const char *end, char *event, size_t elen)
{
	static const char head[] = "superd: event=";
	const char *q;

	if ((size_t)(end - p) < sizeof(head) - 1 ||
	    memcmp(p, head, sizeof(head) - 1) != 0)
		return "does not start with \"superd: event=\"";
	for (q = p += sizeof(head) - 1; p < end && kv_word_char(*p); p++)
		;
	if (p == q || (size_t)(p - q) >= elen)
		return "no event name";
	memcpy(event, q, (size_t)(p - q));
	event[p - q] = '\0';
	while (p < end) {
		if (*p++ != ' ')
			return "no blank before a key";
		for (q = p; p < end && kv_word_char(*p); p++)
			;
		if (p == q || p == end || *p++ != '=')
			return "not a key=";
		p = p < end && *p == '"' ? kv_quoted(p, end) : kv_bare(p, end);
		if (p == NULL)
			return "a bad value";
		if (p < end && *p != ' ')
			return "text after a value";
	}
	return NULL;
}

static const char *
kv_check_str(const char *line)
{
	char event[64];

	return kv_check(line, line + strlen(line), event, sizeof(event));
}

START_TEST(the_line_checker_tells_good_lines_from_bad)
{
	ck_assert_ptr_null(kv_check_str("superd: event=stopped"));
	ck_assert_ptr_null(kv_check_str("superd: event=stderr service=a "
	                                "line=\"x \\\"y\\\" \\\\ \\x1b\" n=1"));
	ck_assert_ptr_null(kv_check_str("superd: event=x a=\"\""));
	ck_assert_ptr_nonnull(kv_check_str("superd: stopped"));
	ck_assert_ptr_nonnull(kv_check_str("superd: event="));
	ck_assert_ptr_nonnull(kv_check_str("superd: event=x a=b c"));
	ck_assert_ptr_nonnull(kv_check_str("superd: event=x a="));
	ck_assert_ptr_nonnull(kv_check_str("superd: event=x a=two words"));
	ck_assert_ptr_nonnull(kv_check_str("superd: event=x a=\"open"));
	ck_assert_ptr_nonnull(kv_check_str("superd: event=x a=\"\\q\""));
	ck_assert_ptr_nonnull(kv_check_str("superd: event=x a=\"b\"c"));
	ck_assert_ptr_nonnull(kv_check_str("superd: event=x a=b\"c\""));
	ck_assert_ptr_nonnull(kv_check_str("superd: event=x  a=b"));
	ck_assert_ptr_nonnull(kv_check_str("superd: event=x a=b "));
}
END_TEST

START_TEST(a_connection_logs_accept_and_exit_with_keys)
{
	char buf[64], needle[160];
	const char *line;
	size_t len, n;
	int port, pid;

	start(KV, "[echo]\nport = 0\nexec = echo\n", NULL);
	port = kv_port("echo");
	expect("superd: event=ready services=1 listeners=1 max_children=");
	tcp_exchange(port, "hi\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "hi\n");
	pid = kv_accepted("echo", NULL);
	snprintf(needle, sizeof(needle),
	    "superd: event=accept service=echo pid=%d peer=127.0.0.1:", pid);
	line = expect(needle);
	len = strcspn(line, "\n");
	n = (size_t)snprintf(needle, sizeof(needle), " local=127.0.0.1:%d",
	    port);
	ck_assert_msg(len > n && memcmp(line + len - n, needle, n) == 0,
	    "accept line: %.*s", (int)len, line);
	snprintf(needle, sizeof(needle),
	    "superd: event=exit service=echo pid=%d status=0 duration_ms=",
	    pid);
	expect(needle);
}
END_TEST

START_TEST(handler_stderr_is_one_quoted_value_with_escapes)
{
	const char *script;
	char text[512], buf[64], needle[256];
	const char *last, *exited;
	int pid;

	script = harness_script("err.sh",
	    "#!/bin/sh\n"
	    "echo out\n"
	    "printf '%s\\n' 'he said \"hi\" in C:\\temp' >&2\n"
	    "printf 'last words' >&2\n");
	snprintf(text, sizeof(text), "[err]\nport = 0\nexec = %s\n", script);
	start(KV, text, NULL);
	tcp_exchange(kv_port("err"), "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "out\n");
	pid = kv_accepted("err", NULL);
	snprintf(needle, sizeof(needle),
	    "superd: event=stderr service=err pid=%d peer=127.0.0.1:", pid);
	expect(needle);
	expect(" line=\"he said \\\"hi\\\" in C:\\\\temp\"\n");
	last = expect(" line=\"last words\"\n");
	snprintf(needle, sizeof(needle), "event=exit service=err pid=%d", pid);
	exited = expect(needle);
	ck_assert(last < exited);
}
END_TEST

START_TEST(sigusr1_logs_stats_as_keys)
{
	char buf[64];

	start(KV, "[echo]\nport = 0\nexec = echo\n", NULL);
	tcp_exchange(kv_port("echo"), "x\n", buf, sizeof(buf));
	expect("event=exit service=echo");
	ck_assert_int_eq(kill(sd.pid, SIGUSR1), 0);
	expect(
	    "superd: event=stats service=echo active=0 accepted=1 "
	    "refused_max=0 refused_per_source=0 refused_rate=0 "
	    "refused_acl=0 refused_fork_failed=0 "
	    "refused_proxy_untrusted=0 refused_proxy_timeout=0 "
	    "refused_proxy_invalid=0 refused_tls=0 refused_websocket_invalid=0 "
	    "refused_websocket_origin=0 refused_websocket_path=0 "
	    "refused_websocket_timeout=0 proxy_full=0 exited_ok=1 "
	    "exited_error=0 exited_signal=0 killed=0 exec_failed=0 "
	    "killed_shutdown=0\n");
}
END_TEST

START_TEST(a_full_service_logs_a_limit_transition_with_reason_max)
{
	char buf[64];
	int port, fd;

	start(KV,
	    "[one]\nport = 0\nmax_connections = 1\non_max = reject\n"
	    "reject_message = full\\n\nexec = sh -c 'echo ready; read x'\n",
	    NULL);
	port = kv_port("one");
	fd = connect_ready(port);
	expect("superd: event=limit state=full reason=max "
	       "limit=max_connections service=one active=1 action=reject\n");
	tcp_exchange(port, "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "full\n");
	close(fd);
	expect("superd: event=limit state=clear reason=max "
	       "limit=max_connections service=one active=0\n");
	ck_assert_int_eq(kill(sd.pid, SIGUSR1), 0);
	expect("event=stats service=one active=0 accepted=1 refused_max=1 ");
}
END_TEST

START_TEST(a_reload_switches_the_format_both_ways)
{
	char buf[64];
	size_t from = 0;
	int port;

	start("", "[echo]\nport = 0\nexec = echo\n", NULL);
	port = superd_port(&sd, "echo");
	expect("superd: ready: ");
	write_conf(KV, "[echo]\nport = 0\nexec = echo\n");
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	/* The reload line itself comes in the new format. */
	expect("superd: SIGHUP: reloading ");
	expect("superd: event=reload file=\"");
	expect(" services=1 listeners=1 kept=1\n");
	tcp_exchange(port, "kv\n", buf, sizeof(buf));
	kv_accepted("echo", &from);
	/* A file that does not load: reported in the running format. */
	write_conf(KV, "[echo]\nport = 0\nexec = echo\nbogus = 1\n");
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	expect("superd: event=reload_failed error=\"");
	expect("] bogus: unknown key");
	write_conf("", "[echo]\nport = 0\nexec = echo\n");
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	expect("superd: reloaded ");
	tcp_exchange(port, "text\n", buf, sizeof(buf));
	expect("superd: echo[");
}
END_TEST

/* Services that between them produce most events: a plain one, one
 * whose handler writes odd stderr and fails, one killed by a signal, one
 * over max_duration, one at max_connections, one rate limited, one at
 * max_per_source, one whose program is gone, one that ignores SIGTERM. */
#define SESSION                                                                \
	"[echo]\nport = 0\nexec = echo\n"                                      \
	"[err]\nport = 0\nexec = %s\n"                                         \
	"[crash]\nport = 0\nexec = sh -c 'kill -KILL $$'\n"                    \
	"[slow]\nport = 0\nmax_duration = 200ms\nstop_timeout = 100ms\n"       \
	"exec = sh -c 'trap \"\" TERM; echo ready; sleep 5'\n"                 \
	"[one]\nport = 0\nmax_connections = 1\non_max = reject\n"              \
	"exec = sh -c 'echo ready; read x'\n"                                  \
	"[rated]\nport = 0\nrate = 1/1h\nexec = echo\n"                        \
	"[persrc]\nport = 0\nmax_per_source = 1\n"                             \
	"exec = sh -c 'echo ready; read x'\n"                                  \
	"[gone]\nport = 0\nexec = %s\n"                                        \
	"[stubborn]\nport = 0\n"                                               \
	"exec = sh -c 'trap \"\" TERM; echo ready; sleep 30'\n"

static char gone_path[1024];

static void
session_start(void)
{
	char errpath[1024], text[4096];

	/* harness_* return one static buffer: copy each path at once. */
	snprintf(errpath, sizeof(errpath), "%s",
	    harness_script("odd.sh",
	        "#!/bin/sh\n"
	        "printf 'tab\\there \"q\" back\\\\slash \\033[1mbold\\r\\n' "
	        ">&2\n"
	        "printf 'x%.0s' $(seq 300) >&2\n"
	        "exit 3\n"));
	snprintf(gone_path, sizeof(gone_path), "%s",
	    harness_script("gone.sh", "#!/bin/sh\nexit 0\n"));
	snprintf(text, sizeof(text), SESSION, errpath, gone_path);
	start(KV, text, "-v");
	expect("event=ready ");
	/* Resolved at load, removed now: exit 127 at the connection. */
	ck_assert_int_eq(unlink(gone_path), 0);
}

/* Every connection of the session, each waited for in the log. */
static void
session_connections(void)
{
	char buf[64];
	int one, persrc, stubborn, port;

	tcp_exchange(kv_port("echo"), "e\n", buf, sizeof(buf));
	expect("event=exit service=echo pid=");
	tcp_exchange(kv_port("err"), "", buf, sizeof(buf));
	expect("event=exit service=err pid=");
	tcp_exchange(kv_port("crash"), "", buf, sizeof(buf));
	expect("event=exit service=crash pid=");
	close(connect_ready(kv_port("slow")));
	expect("action=kill stop_timeout_ms=100");
	expect("event=exit service=slow pid=");
	one = connect_ready(kv_port("one"));
	tcp_exchange(kv_port("one"), "", buf, sizeof(buf));
	close(one);
	expect("state=clear reason=max limit=max_connections service=one");
	port = kv_port("rated");
	tcp_exchange(port, "", buf, sizeof(buf));
	tcp_exchange(port, "", buf, sizeof(buf));
	expect("state=full reason=rate limit=rate service=rated");
	expect("event=exit service=rated pid=");
	port = kv_port("persrc");
	persrc = connect_ready(port);
	tcp_exchange(port, "", buf, sizeof(buf));
	close(persrc);
	expect("state=clear reason=per_source limit=max_per_source");
	tcp_exchange(kv_port("gone"), "", buf, sizeof(buf));
	expect("event=exit service=gone pid=");
	stubborn = connect_ready(kv_port("stubborn"));
	close(stubborn);
}

/* Signals of the session: stats, a reload, a failed one, then stop. */
static void
session_signals(void)
{
	size_t from = sd.loglen;

	ck_assert_int_eq(kill(sd.pid, SIGUSR1), 0);
	expect("event=stats service=stubborn ");
	/* Back, so the same file loads again. */
	harness_script("gone.sh", "#!/bin/sh\nexit 0\n");
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "event=reload file=", 5000, &from));
	write_conf(KV, "[echo]\nport = 0\nexec = echo\nbogus = 1\n");
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	expect("event=reload_failed ");
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	ck_assert(superd_wait_exit(&sd, 10000));
	ck_assert(WIFEXITED(sd.status));
	ck_assert_int_eq(WEXITSTATUS(sd.status), 0);
}

START_TEST(every_line_of_a_kv_session_parses_as_event_and_keys)
{
	static const char *const want[] = { "listen", "ready", "accept", "exit",
		"stderr", "limit", "max_duration", "stats", "reloading",
		"reload", "reload_failed", "stopping", "kill", "stopped",
		"message" };
	char event[64], word[68], seen[2048] = " ";
	const char *p, *nl, *why;
	size_t i, lines = 0;

	session_start();
	session_connections();
	session_signals();
	for (p = sd.log; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		ck_assert_msg(nl != NULL, "unterminated last line: %s", p);
		why = kv_check(p, nl, event, sizeof(event));
		ck_assert_msg(why == NULL, "%s: %.*s", why, (int)(nl - p), p);
		lines++;
		snprintf(word, sizeof(word), " %s ", event);
		if (strlen(seen) + strlen(word) < sizeof(seen) &&
		    strstr(seen, word) == NULL)
			strcat(seen, word + 1);
	}
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(event, sizeof(event), " %s ", want[i]);
		ck_assert_msg(strstr(seen, event) != NULL,
		    "no event=%s in the session; seen:%s", want[i], seen);
	}
	ck_assert_uint_gt(lines, 40);
	ck_assert_ptr_nonnull(strstr(sd.log,
	    "line=\"tab\\there \\\"q\\\" back\\\\slash \\\\x1b[1mbold\"\n"));
	ck_assert_ptr_nonnull(strstr(sd.log, "signal=9 duration_ms="));
	ck_assert_ptr_nonnull(strstr(sd.log, " status=127 duration_ms="));
	ck_assert_ptr_nonnull(strstr(sd.log,
	    "event=stopping signal=TERM running=1 timeout_ms=300\n"));
	ck_assert_ptr_nonnull(
	    strstr(sd.log, "event=kill reason=shutdown_timeout running=1\n"));
}
END_TEST

static Suite *
make_logformat_suite(void)
{
	Suite *s = suite_create("logformat");
	TCase *tc = tcase_create("kv");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, the_line_checker_tells_good_lines_from_bad);
	tcase_add_test(tc, a_connection_logs_accept_and_exit_with_keys);
	tcase_add_test(tc, handler_stderr_is_one_quoted_value_with_escapes);
	tcase_add_test(tc, sigusr1_logs_stats_as_keys);
	tcase_add_test(tc,
	    a_full_service_logs_a_limit_transition_with_reason_max);
	tcase_add_test(tc, a_reload_switches_the_format_both_ways);
	tcase_add_test(tc, every_line_of_a_kv_session_parses_as_event_and_keys);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_logformat_suite());
}
