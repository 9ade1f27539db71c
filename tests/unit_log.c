/* Unit tests for log.c: the quoting of kv values, and the lines each call
 * writes in either format (read back from a pipe standing in for stderr;
 * each test runs in its own process, so it may take fd 2). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "logout.h"

#include "harness.h"

static void
expect_quote(const char *s, const char *want)
{
	char buf[256];
	size_t n;

	memset(buf, 'X', sizeof(buf));
	n = log_quote(buf, sizeof(buf), s);
	ck_assert_str_eq(buf, want);
	ck_assert_uint_eq(n, strlen(want));
}

START_TEST(log_quote_puts_plain_text_in_double_quotes)
{
	expect_quote("plain", "\"plain\"");
	expect_quote("two words", "\"two words\"");
	expect_quote("", "\"\"");
	expect_quote("a=b c:d/e", "\"a=b c:d/e\"");
}
END_TEST

START_TEST(log_quote_escapes_quotes_and_backslashes)
{
	expect_quote("say \"hi\"", "\"say \\\"hi\\\"\"");
	expect_quote("C:\\dir\\", "\"C:\\\\dir\\\\\"");
	expect_quote("\\\"", "\"\\\\\\\"\"");
}
END_TEST

START_TEST(log_quote_escapes_control_bytes_so_a_value_stays_on_its_line)
{
	expect_quote("a\nb", "\"a\\nb\"");
	expect_quote("a\rb\tc", "\"a\\rb\\tc\"");
	expect_quote("\x1b[31m", "\"\\x1b[31m\"");
	expect_quote("del\x7f", "\"del\\x7f\"");
	/* Bytes above 0x7f (UTF-8) pass as they are. */
	expect_quote("caf\xc3\xa9", "\"caf\xc3\xa9\"");
}
END_TEST

START_TEST(log_quote_cuts_a_long_value_before_an_escape_and_keeps_the_quote)
{
	char buf[8];

	/* 8 bytes: the quotes, the NUL and five of the value. */
	ck_assert_uint_eq(log_quote(buf, sizeof(buf), "abcdefgh"), 7);
	ck_assert_str_eq(buf, "\"abcde\"");
	/* With the escape \" it would take 9 bytes: left out whole. */
	ck_assert_uint_eq(log_quote(buf, sizeof(buf), "abcd\"x"), 6);
	ck_assert_str_eq(buf, "\"abcd\"");
	ck_assert_uint_eq(log_quote(buf, sizeof(buf), "ab\x01"), 4);
	ck_assert_str_eq(buf, "\"ab\"");
	ck_assert_uint_eq(log_quote(buf, 3, "anything"), 2);
	ck_assert_str_eq(buf, "\"\"");
}
END_TEST

START_TEST(log_value_quotes_only_in_kv_mode)
{
	char buf[LOG_VALUE_MAX];
	const char *s = "a \"b\"";

	ck_assert_ptr_eq(log_value(buf, sizeof(buf), s), s);
	log_set_format(LOG_FORMAT_KV);
	ck_assert_str_eq(log_value(buf, sizeof(buf), s), "\"a \\\"b\\\"\"");
	log_set_format(LOG_FORMAT_TEXT);
	ck_assert_ptr_eq(log_value(buf, sizeof(buf), s), s);
}
END_TEST

START_TEST(log_value_never_writes_more_than_log_value_max)
{
	static char big[4 * LOG_VALUE_MAX], s[2 * LOG_VALUE_MAX];
	size_t n;

	memset(s, 'x', sizeof(s) - 1);
	memset(big, 'Y', sizeof(big));
	log_set_format(LOG_FORMAT_KV);
	log_value(big, sizeof(big), s);
	n = strlen(big);
	ck_assert_uint_eq(n, LOG_VALUE_MAX - 1);
	ck_assert_int_eq(big[n - 1], '"');
	ck_assert_int_eq(big[LOG_VALUE_MAX], 'Y');
}
END_TEST

/* stderr into a pipe, read back after the calls. */
static int capture_fd = -1;

static void
capture_start(void)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_ne(dup2(p[1], STDERR_FILENO), -1);
	close(p[1]);
	capture_fd = p[0];
}

/* Everything written since capture_start, NUL-terminated. */
static const char *
captured(void)
{
	static char buf[16384];
	ssize_t n;

	n = read(capture_fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

START_TEST(log_event_in_text_mode_prints_the_text_format_only)
{
	capture_start();
	log_event("exit", "service=%s pid=%d status=%d duration_ms=%lld",
	    "%s[%d]: exited %d after %lldms", "echo", 42, 0, 7LL);
	log_event("kill", "reason=%s%.0s running=%zu",
	    "%.0s%s: killing %zu handlers", "shutdown_timeout",
	    "shutdown_timeout expired", (size_t)2);
	log_event("stopped", NULL, "stopped");
	ck_assert_str_eq(captured(),
	    "superd: echo[42]: exited 0 after 7ms\n"
	    "superd: shutdown_timeout expired: killing 2 handlers\n"
	    "superd: stopped\n");
}
END_TEST

START_TEST(log_event_in_kv_mode_prints_the_event_and_its_keys)
{
	char buf[LOG_VALUE_MAX];

	capture_start();
	log_set_format(LOG_FORMAT_KV);
	log_event("exit", "service=%s pid=%d status=%d duration_ms=%lld",
	    "%s[%d]: exited %d after %lldms", "echo", 42, 0, 7LL);
	log_event("kill", "reason=%s%.0s running=%zu",
	    "%.0s%s: killing %zu handlers", "shutdown_timeout",
	    "shutdown_timeout expired", (size_t)2);
	log_event("stopped", NULL, "stopped");
	log_event("stderr", "service=%s line=%s", "%s: %s", "svc",
	    log_value(buf, sizeof(buf), "say \"hi\" to C:\\"));
	ck_assert_str_eq(captured(),
	    "superd: event=exit service=echo pid=42 status=0 duration_ms=7\n"
	    "superd: event=kill reason=shutdown_timeout running=2\n"
	    "superd: event=stopped\n"
	    "superd: event=stderr service=svc line=\"say \\\"hi\\\" to "
	    "C:\\\\\"\n");
}
END_TEST

START_TEST(plain_lines_in_kv_mode_become_messages_with_a_level)
{
	capture_start();
	log_init(1);
	log_set_format(LOG_FORMAT_KV);
	log_info("%s: hello", "echo");
	log_warnx("a \"quoted\" word");
	errno = ENOENT;
	log_warn("open %s", "/x y");
	ck_assert_int_eq(errno, ENOENT);
	log_debug("signal %d", 17);
	ck_assert_str_eq(captured(),
	    "superd: event=message level=info msg=\"echo: hello\"\n"
	    "superd: event=message level=warning msg=\"a \\\"quoted\\\" "
	    "word\"\n"
	    "superd: event=message level=warning msg=\"open /x y: No such "
	    "file or directory\"\n"
	    "superd: event=message level=debug msg=\"signal 17\"\n");
}
END_TEST

START_TEST(plain_lines_in_text_mode_are_unchanged)
{
	capture_start();
	log_init(0);
	log_info("%s: hello", "echo");
	errno = ENOENT;
	log_warn("open %s", "/x");
	log_debug("not shown");
	ck_assert_str_eq(captured(),
	    "superd: echo: hello\n"
	    "superd: open /x: No such file or directory\n");
}
END_TEST

START_TEST(a_long_kv_line_is_never_cut_inside_its_quotes)
{
	static char s[3000];
	const char *line;
	size_t n;

	memset(s, '"', sizeof(s) - 1);
	capture_start();
	log_set_format(LOG_FORMAT_KV);
	log_info("%s", s);
	line = captured();
	n = strlen(line);
	ck_assert_uint_gt(n, 1024);
	/* The last escaped quote, the closing one, the newline. */
	ck_assert_str_eq(line + n - 4, "\\\"\"\n");
}
END_TEST

/* Reads the pipe dry, flushing the logger's queue into it as it empties;
 * counts the lines that contain what. */
static size_t
drain_counting(const char *what, const char *other, size_t *nother)
{
	static char buf[LOGOUT_BUF_MAX + 8192];
	size_t len = 0, n = 0;
	ssize_t r;
	const char *p;

	*nother = 0;
	for (;;) {
		(void)logout_flush();
		r = read(capture_fd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0 && !logout_pending())
			break;
		if (r > 0)
			len += (size_t)r;
		ck_assert_uint_lt(len, sizeof(buf) - 1);
	}
	buf[len] = '\0';
	for (p = buf; (p = strstr(p, what)) != NULL; p++)
		n++;
	for (p = buf; (p = strstr(p, other)) != NULL; p++)
		(*nother)++;
	return n;
}

START_TEST(a_handler_flood_never_pushes_out_superds_own_lines)
{
	size_t own, relayed;
	int i;

	capture_start();
	/* Non-blocking, like superd's, and small: the reader lags. */
	logout_open();
	ck_assert_int_ne(fcntl(STDERR_FILENO, F_SETPIPE_SZ, 4096), -1);
	for (i = 0; i < 2000; i++)
		log_relay("stderr", "line=%s", "spam[1]: stderr from x: %s",
		    "spam spam spam spam spam spam spam spam spam spam spam");
	for (i = 0; i < 100; i++)
		log_event("exit", "n=%d", "echo[%d]: exited 0 after 1ms", i);
	own = drain_counting("]: exited 0 after", "spam[1]", &relayed);
	ck_assert_uint_eq(own, 100);
	/* The flood was cut, not held back whole. */
	ck_assert_uint_lt(relayed, 2000);
	ck_assert_uint_gt(relayed, 100);
}
END_TEST

static Suite *
make_log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc;

	tc = tcase_create("quote");
	tcase_add_test(tc, log_quote_puts_plain_text_in_double_quotes);
	tcase_add_test(tc, log_quote_escapes_quotes_and_backslashes);
	tcase_add_test(tc,
	    log_quote_escapes_control_bytes_so_a_value_stays_on_its_line);
	tcase_add_test(tc,
	    log_quote_cuts_a_long_value_before_an_escape_and_keeps_the_quote);
	tcase_add_test(tc, log_value_quotes_only_in_kv_mode);
	tcase_add_test(tc, log_value_never_writes_more_than_log_value_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("lines");
	tcase_add_test(tc, log_event_in_text_mode_prints_the_text_format_only);
	tcase_add_test(tc, log_event_in_kv_mode_prints_the_event_and_its_keys);
	tcase_add_test(tc, plain_lines_in_kv_mode_become_messages_with_a_level);
	tcase_add_test(tc, plain_lines_in_text_mode_are_unchanged);
	tcase_add_test(tc, a_long_kv_line_is_never_cut_inside_its_quotes);
	tcase_add_test(tc, a_handler_flood_never_pushes_out_superds_own_lines);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_log_suite());
}
