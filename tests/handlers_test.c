/* Tests for the shipped handlers (echo, upper, daytime, time): each test
 * runs the built program with pipes on fds 0, 1 and 2 and checks its output
 * and exit status.  Self-contained: only libc and Check. */
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#ifndef HANDLER_DIR
#error "HANDLER_DIR must name the directory holding the built handlers"
#endif

/* Below Check's default 4 s timeout, so a hang fails with a clear message. */
#define DEADLINE_MS 3000
/* The pause that makes a handler see two writes as two reads. */
#define SPLIT_PAUSE_MS 50
#define MIB (1024 * 1024)

/* Ways to start a handler beyond plain pipes. */
#define RUN_IGNORE_SIGPIPE 0x1 /* SIG_IGN for SIGPIPE across the exec */
#define RUN_NO_READER 0x2      /* nobody reads the handler's stdout */

struct handler {
	pid_t pid; /* -1 once reaped */
	int to;    /* write end of its stdin, -1 once closed */
	int from;  /* read end of its stdout, -1 once at EOF */
	int err;   /* read end of its stderr, -1 once at EOF */
};

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

static long
now_ms(void)
{
	struct timespec ts;

	ck_assert_int_ne(clock_gettime(CLOCK_MONOTONIC, &ts), -1);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1)
		ck_assert_int_eq(errno, EINTR);
}

static void
close_fd(int *fd)
{
	if (*fd == -1)
		return;
	ck_assert_int_ne(close(*fd), -1);
	*fd = -1;
}

static void
buf_append(struct buf *b, const void *p, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->data = realloc(b->data, b->cap);
		ck_assert_ptr_nonnull(b->data);
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
}

static void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* Only async-signal-safe calls between fork and exec. */
_Noreturn static void
handler_exec(const char *name, const char *arg, int in[2], int out[2],
    int err[2], int flags)
{
	static const char msg[] = "handlers_test: cannot start handler\n";
	char path[512];
	char *argv[3] = { NULL, NULL, NULL };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	/* The test ignores SIGPIPE; SIG_IGN would survive exec. */
	sa.sa_handler = (flags & RUN_IGNORE_SIGPIPE) ? SIG_IGN : SIG_DFL;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		goto fail;
	if (dup2(in[0], STDIN_FILENO) == -1 ||
	    dup2(out[1], STDOUT_FILENO) == -1 ||
	    dup2(err[1], STDERR_FILENO) == -1)
		goto fail;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", HANDLER_DIR, name) >=
	    sizeof(path))
		goto fail;
	argv[0] = path;
	argv[1] = (char *)(uintptr_t)arg;
	execv(path, argv);
fail:
	(void)write(err[1], msg, sizeof(msg) - 1);
	_exit(127);
}

/* Start HANDLER_DIR/name [arg] with fresh pipes on fds 0, 1 and 2. */
static void
handler_start(struct handler *h, const char *name, const char *arg, int flags)
{
	int in[2], out[2], err[2];

	/* Writing to a handler that has quit must be EPIPE, not death. */
	ck_assert(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	ck_assert_int_ne(pipe2(in, O_CLOEXEC), -1);
	ck_assert_int_ne(pipe2(out, O_CLOEXEC), -1);
	ck_assert_int_ne(pipe2(err, O_CLOEXEC), -1);
	if (flags & RUN_NO_READER)
		close_fd(&out[0]);
	h->pid = fork();
	ck_assert_int_ne(h->pid, -1);
	if (h->pid == 0)
		handler_exec(name, arg, in, out, err, flags);
	close_fd(&in[0]);
	close_fd(&out[1]);
	close_fd(&err[1]);
	h->to = in[1];
	h->from = out[0];
	h->err = err[0];
}

static void
handler_send(struct handler *h, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;

	while (len > 0) {
		n = write(h->to, s, len);
		if (n == -1 && errno == EINTR)
			continue;
		ck_assert_int_gt(n, 0);
		s += n;
		len -= (size_t)n;
	}
}

/* Kill the handler by its PID and reap it, then fail the test. */
_Noreturn static void
handler_abort(struct handler *h, const char *why)
{
	int status;

	ck_assert_int_ne(kill(h->pid, SIGKILL), -1);
	ck_assert_int_eq(waitpid(h->pid, &status, 0), h->pid);
	h->pid = -1;
	ck_abort_msg("%s", why);
}

/* poll(2) the handler's pipes until something is ready or the deadline. */
static void
handler_poll(struct handler *h, struct pollfd *fds, nfds_t nfds, long deadline)
{
	long left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			handler_abort(h, "handler did not finish in time");
		n = poll(fds, nfds, (int)left);
		if (n == -1 && errno == EINTR)
			continue;
		ck_assert_int_ne(n, -1);
		if (n > 0)
			return;
	}
}

/* Read what is ready on *fd into b; close it at EOF. */
static void
drain_ready(int *fd, struct buf *b)
{
	char chunk[65536];
	ssize_t n;

	n = read(*fd, chunk, sizeof(chunk));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	ck_assert_int_ne(n, -1);
	if (n == 0)
		close_fd(fd);
	else
		buf_append(b, chunk, (size_t)n);
}

/* Write the rest of the input while there is room; EPIPE means it quit. */
static void
feed_ready(struct handler *h, const char **in, size_t *len)
{
	ssize_t n;

	n = write(h->to, *in, *len);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n == -1 && errno == EPIPE) {
		close_fd(&h->to);
		return;
	}
	ck_assert_int_ne(n, -1);
	*in += n;
	*len -= (size_t)n;
	if (*len == 0)
		close_fd(&h->to);
}

/*
 * Send in[0..len) to the handler, then EOF, while collecting its stdout and
 * stderr until both close.  Writing and reading together is what keeps a
 * large payload from filling both pipes and deadlocking.
 */
static void
handler_exchange(struct handler *h, const void *in, size_t len, struct buf *out,
    struct buf *err)
{
	const char *p = in;
	long deadline = now_ms() + DEADLINE_MS;
	struct pollfd fds[3];

	if (len == 0)
		close_fd(&h->to);
	if (h->to != -1)
		ck_assert_int_ne(fcntl(h->to, F_SETFL, O_NONBLOCK), -1);
	while (h->from != -1 || h->err != -1) {
		fds[0] = (struct pollfd){ .fd = h->to, .events = POLLOUT };
		fds[1] = (struct pollfd){ .fd = h->from, .events = POLLIN };
		fds[2] = (struct pollfd){ .fd = h->err, .events = POLLIN };
		handler_poll(h, fds, 3, deadline);
		if (fds[0].revents != 0)
			feed_ready(h, &p, &len);
		if (fds[1].revents != 0)
			drain_ready(&h->from, out);
		if (fds[2].revents != 0)
			drain_ready(&h->err, err);
	}
	close_fd(&h->to);
}

/* Read exactly want bytes of stdout, with stdin still open. */
static void
handler_expect(struct handler *h, const char *want)
{
	struct buf got = { 0 };
	size_t len = strlen(want);
	long deadline = now_ms() + DEADLINE_MS;
	struct pollfd fd;

	while (got.len < len && h->from != -1) {
		fd = (struct pollfd){ .fd = h->from, .events = POLLIN };
		handler_poll(h, &fd, 1, deadline);
		drain_ready(&h->from, &got);
	}
	ck_assert_uint_eq(got.len, len);
	ck_assert_mem_eq(got.data, want, len);
	buf_free(&got);
}

/* Reap the handler by its PID, killing it if it outstays the deadline. */
static int
handler_wait(struct handler *h)
{
	long deadline = now_ms() + DEADLINE_MS;
	int status;
	pid_t r;

	close_fd(&h->to);
	while (
	    (r = waitpid(h->pid, &status, WNOHANG)) == 0 && now_ms() < deadline)
		sleep_ms(5);
	if (r == 0)
		handler_abort(h, "handler did not exit in time");
	ck_assert_int_eq(r, h->pid);
	h->pid = -1;
	close_fd(&h->from);
	close_fd(&h->err);
	return status;
}

/* err, if not NULL, is what the handler said, to explain a wrong status. */
static void
assert_exited(int status, int code, const struct buf *err)
{
	int len = err != NULL ? (int)err->len : 0;
	const char *said = len > 0 ? err->data : "";

	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == code,
	    "handler ended with status 0x%x, not exit %d; stderr: %.*s",
	    (unsigned)status, code, len, said);
}

/*
 * Run name [arg] on the whole of in, expect exit status code, stdout equal to
 * want, and an empty stderr.
 */
static void
check_run(const char *name, const char *arg, const void *in, size_t inlen,
    const void *want, size_t wantlen, int code)
{
	struct handler h;
	struct buf out = { 0 }, err = { 0 };

	handler_start(&h, name, arg, 0);
	handler_exchange(&h, in, inlen, &out, &err);
	assert_exited(handler_wait(&h), code, &err);
	ck_assert_msg(err.len == 0, "unexpected stderr: %.*s", (int)err.len,
	    err.data);
	ck_assert_uint_eq(out.len, wantlen);
	if (wantlen > 0)
		ck_assert_mem_eq(out.data, want, wantlen);
	buf_free(&out);
	buf_free(&err);
}

static void
check_text(const char *name, const char *in, const char *want)
{
	check_run(name, NULL, in, strlen(in), want, strlen(want), 0);
}

START_TEST(echo_copies_every_byte_value_and_exits_0_on_eof)
{
	char in[256 * 4];
	size_t i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)(i % 256);
	check_run("echo", NULL, in, sizeof(in), in, sizeof(in), 0);
}
END_TEST

START_TEST(echo_exits_0_on_immediate_eof)
{
	check_run("echo", NULL, "", 0, "", 0, 0);
}
END_TEST

START_TEST(echo_round_trips_a_one_mebibyte_payload)
{
	char *in = malloc(MIB);
	uint32_t x = 12345;
	size_t i;

	ck_assert_ptr_nonnull(in);
	/* A pattern that never repeats within the payload's pipe-sized runs. */
	for (i = 0; i < MIB; i++) {
		x = x * 1103515245u + 12345u;
		in[i] = (char)(x >> 16);
	}
	check_run("echo", NULL, in, MIB, in, MIB, 0);
	free(in);
}
END_TEST

START_TEST(upper_uppercases_ascii_letters_only)
{
	char in[256], want[256];
	size_t i;

	for (i = 0; i < sizeof(in); i++) {
		in[i] = (char)i;
		want[i] =
		    (i >= 'a' && i <= 'z') ? (char)(i - 'a' + 'A') : (char)i;
	}
	check_run("upper", NULL, in, sizeof(in), want, sizeof(want), 0);
	check_text("upper", "caf\xc3\xa9 0123 xyz\n", "CAF\xc3\xa9 0123 XYZ\n");
}
END_TEST

START_TEST(upper_stops_at_quit_line_after_echoing_earlier_text)
{
	check_text("upper", "hello\nquit\nafter\n", "HELLO\n");
}
END_TEST

START_TEST(upper_stops_at_quit_line_ending_in_crlf)
{
	check_text("upper", "one\r\nquit\r\nafter\r\n", "ONE\r\n");
}
END_TEST

START_TEST(upper_stops_at_quit_without_newline_at_eof)
{
	check_text("upper", "a\nquit", "A\n");
	check_text("upper", "quit", "");
}
END_TEST

START_TEST(upper_does_not_stop_on_lines_that_only_contain_quit)
{
	check_text("upper", "quitx\n quit\nquit \nqui\nQUIT\nquit\r\r\nend\n",
	    "QUITX\n QUIT\nQUIT \nQUI\nQUIT\nQUIT\r\r\nEND\n");
}
END_TEST

START_TEST(upper_writes_a_held_back_prefix_at_eof)
{
	check_text("upper", "a\nqu", "A\nQU");
}
END_TEST

START_TEST(upper_handles_quit_split_across_two_writes)
{
	struct handler h;
	struct buf out = { 0 }, err = { 0 };
	static const char rest[] = "it\nafter\n";

	handler_start(&h, "upper", NULL, 0);
	handler_send(&h, "abc\n");
	handler_expect(&h, "ABC\n");
	handler_send(&h, "qu");
	sleep_ms(SPLIT_PAUSE_MS);
	handler_exchange(&h, rest, sizeof(rest) - 1, &out, &err);
	assert_exited(handler_wait(&h), 0, &err);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_uint_eq(err.len, 0);
	buf_free(&out);
	buf_free(&err);
}
END_TEST

START_TEST(upper_releases_a_split_prefix_when_the_line_is_not_quit)
{
	struct handler h;
	struct buf out = { 0 }, err = { 0 };
	static const char rest[] = "ick\n";

	handler_start(&h, "upper", NULL, 0);
	handler_send(&h, "qu");
	sleep_ms(SPLIT_PAUSE_MS);
	handler_exchange(&h, rest, sizeof(rest) - 1, &out, &err);
	assert_exited(handler_wait(&h), 0, &err);
	ck_assert_uint_eq(out.len, 6);
	ck_assert_mem_eq(out.data, "QUICK\n", 6);
	ck_assert_uint_eq(err.len, 0);
	buf_free(&out);
	buf_free(&err);
}
END_TEST

START_TEST(upper_answers_each_line_before_eof)
{
	struct handler h;
	struct buf out = { 0 }, err = { 0 };
	static const char last[] = "quit\n";

	handler_start(&h, "upper", NULL, 0);
	handler_send(&h, "first\n");
	handler_expect(&h, "FIRST\n");
	handler_send(&h, "second\n");
	handler_expect(&h, "SECOND\n");
	handler_exchange(&h, last, sizeof(last) - 1, &out, &err);
	assert_exited(handler_wait(&h), 0, &err);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_uint_eq(err.len, 0);
	buf_free(&out);
	buf_free(&err);
}
END_TEST

/*
 * Run name (daytime or time) with no input; return its stdout.  TZ five
 * hours off UTC (a POSIX rule, no tzdata needed) makes local time a
 * visible bug.
 */
static struct buf
run_clock(const char *name)
{
	struct handler h;
	struct buf out = { 0 }, err = { 0 };

	ck_assert_int_ne(setenv("TZ", "XST+5", 1), -1);
	handler_start(&h, name, NULL, 0);
	handler_exchange(&h, "", 0, &out, &err);
	assert_exited(handler_wait(&h), 0, &err);
	ck_assert_uint_eq(err.len, 0);
	buf_free(&err);
	return out;
}

START_TEST(daytime_prints_one_rfc3339_utc_line_near_now)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ\n";
	struct buf out = run_clock("daytime");
	struct tm tm;
	char line[sizeof(shape)];
	time_t then;
	size_t i;

	ck_assert_uint_eq(out.len, sizeof(shape) - 1);
	for (i = 0; i < out.len; i++) {
		if (shape[i] == 'd')
			ck_assert_msg(out.data[i] >= '0' && out.data[i] <= '9',
			    "not a digit at %zu", i);
		else
			ck_assert_int_eq(out.data[i], shape[i]);
	}
	memcpy(line, out.data, out.len);
	line[out.len] = '\0';
	memset(&tm, 0, sizeof(tm));
	ck_assert_ptr_nonnull(strptime(line, "%Y-%m-%dT%H:%M:%SZ", &tm));
	then = timegm(&tm);
	ck_assert_int_ne(then, -1);
	ck_assert_int_le(labs((long)(then - time(NULL))), 5);
	buf_free(&out);
}
END_TEST

/* RFC 868: seconds since 1900-01-01 00:00 UTC, 4 bytes, big-endian. */
START_TEST(time_prints_four_big_endian_bytes_near_now)
{
	struct buf out = run_clock("time");
	const unsigned char *b;
	uint32_t got, want;

	ck_assert_uint_eq(out.len, 4);
	b = (const unsigned char *)out.data;
	got = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	want = (uint32_t)((uint64_t)time(NULL) + UINT64_C(2208988800));
	/* Signed difference, so the 2036 wrap of the count does not matter. */
	ck_assert_int_le(labs((long)(int32_t)(got - want)), 5);
	buf_free(&out);
}
END_TEST

static const char *const clocks[] = { "daytime", "time" };

START_TEST(clock_rejects_an_argument_with_exit_2)
{
	struct handler h;
	struct buf out = { 0 }, err = { 0 };

	/* The old time's --rfc868 included: time is now always binary. */
	handler_start(&h, clocks[_i], "--rfc868", 0);
	handler_exchange(&h, "", 0, &out, &err);
	assert_exited(handler_wait(&h), 2, &err);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_uint_gt(err.len, 1);
	ck_assert_int_eq(err.data[err.len - 1], '\n');
	buf_free(&out);
	buf_free(&err);
}
END_TEST

static const char *const all_handlers[] = { "echo", "upper", "daytime",
	"time" };

/* echo and upper take no arguments: one they would ignore is refused. */
START_TEST(handler_without_arguments_refuses_one_with_exit_2)
{
	static const char *const names[] = { "echo", "upper" };
	struct handler h;
	struct buf out = { 0 }, err = { 0 };

	handler_start(&h, names[_i], "hello", 0);
	handler_exchange(&h, "", 0, &out, &err);
	assert_exited(handler_wait(&h), 2, &err);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_msg(err.len > 7 && memcmp(err.data, "usage: ", 7) == 0 &&
	        err.data[err.len - 1] == '\n',
	    "stderr: %.*s", (int)err.len, err.data);
	buf_free(&out);
	buf_free(&err);
}
END_TEST

/*
 * With SIGPIPE ignored a write to a reader-less pipe is EPIPE; each handler
 * must turn that into one line on stderr and exit 1, not exit 0 or loop.
 */
START_TEST(handler_exits_1_with_one_error_line_when_its_reader_is_gone)
{
	struct handler h;
	struct buf out = { 0 }, err = { 0 };
	static const char in[] = "hello\n";

	handler_start(&h, all_handlers[_i], NULL,
	    RUN_IGNORE_SIGPIPE | RUN_NO_READER);
	handler_exchange(&h, in, sizeof(in) - 1, &out, &err);
	assert_exited(handler_wait(&h), 1, &err);
	ck_assert_uint_gt(err.len, 1);
	ck_assert_int_eq(err.data[err.len - 1], '\n');
	ck_assert_ptr_eq(memchr(err.data, '\n', err.len),
	    err.data + err.len - 1);
	ck_assert_msg(memmem(err.data, err.len, ": write: ", 9) != NULL,
	    "stderr does not name the write: %.*s", (int)err.len, err.data);
	buf_free(&out);
	buf_free(&err);
}
END_TEST

static Suite *
make_handlers_suite(void)
{
	Suite *s = suite_create("handlers");
	TCase *echo = tcase_create("echo");
	TCase *upper = tcase_create("upper");
	TCase *time_tc = tcase_create("time");
	TCase *errors = tcase_create("errors");

	tcase_add_test(echo, echo_copies_every_byte_value_and_exits_0_on_eof);
	tcase_add_test(echo, echo_exits_0_on_immediate_eof);
	tcase_add_test(echo, echo_round_trips_a_one_mebibyte_payload);
	suite_add_tcase(s, echo);

	tcase_add_test(upper, upper_uppercases_ascii_letters_only);
	tcase_add_test(upper,
	    upper_stops_at_quit_line_after_echoing_earlier_text);
	tcase_add_test(upper, upper_stops_at_quit_line_ending_in_crlf);
	tcase_add_test(upper, upper_stops_at_quit_without_newline_at_eof);
	tcase_add_test(upper,
	    upper_does_not_stop_on_lines_that_only_contain_quit);
	tcase_add_test(upper, upper_writes_a_held_back_prefix_at_eof);
	tcase_add_test(upper, upper_handles_quit_split_across_two_writes);
	tcase_add_test(upper,
	    upper_releases_a_split_prefix_when_the_line_is_not_quit);
	tcase_add_test(upper, upper_answers_each_line_before_eof);
	suite_add_tcase(s, upper);

	tcase_add_test(time_tc, daytime_prints_one_rfc3339_utc_line_near_now);
	tcase_add_test(time_tc, time_prints_four_big_endian_bytes_near_now);
	tcase_add_loop_test(time_tc, clock_rejects_an_argument_with_exit_2, 0,
	    (int)(sizeof(clocks) / sizeof(clocks[0])));
	suite_add_tcase(s, time_tc);

	tcase_add_loop_test(errors,
	    handler_exits_1_with_one_error_line_when_its_reader_is_gone, 0,
	    (int)(sizeof(all_handlers) / sizeof(all_handlers[0])));
	tcase_add_loop_test(errors,
	    handler_without_arguments_refuses_one_with_exit_2, 0, 2);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	return harness_main(make_handlers_suite());
}
