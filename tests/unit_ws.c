/* superd-ws's pure parts: the request head, the handshake's accept value,
 * frame headers, messages from frames (fragments, control frames, limits,
 * UTF-8) and the names of static files; and the relay loop's signals,
 * which superd-ws and the TLS relay pass on each in their own way. */
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "relay.h"
#include "sha1.h"
#include "wsframe.h"
#include "wshttp.h"
#include "wsmsg.h"
#include "wsstatic.h"

#define UPGRADE                                                                \
	"GET /chat?room=lobby HTTP/1.1\r\n"                                    \
	"Host: example.com\r\n"                                                \
	"Upgrade: websocket\r\n"                                               \
	"Connection: keep-alive, Upgrade\r\n"                                  \
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"                      \
	"Origin: http://example.com\r\n"                                       \
	"User-Agent: test/1.0\r\n"                                             \
	"Sec-WebSocket-Version: 13\r\n\r\n"

START_TEST(sha1_matches_the_fips_vectors)
{
	static const unsigned char abc[SHA1_LEN] = { 0xa9, 0x99, 0x3e, 0x36,
		0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e, 0x25, 0x71, 0x78, 0x50,
		0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d };
	static const unsigned char two[SHA1_LEN] = { 0x84, 0x98, 0x3e, 0x44,
		0x1c, 0x3b, 0xd2, 0x6e, 0xba, 0xae, 0x4a, 0xa1, 0xf9, 0x51,
		0x29, 0xe5, 0xe5, 0x46, 0x70, 0xf1 };
	unsigned char out[SHA1_LEN];

	sha1("abc", 3, out);
	ck_assert_mem_eq(out, abc, SHA1_LEN);
	sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    out);
	ck_assert_mem_eq(out, two, SHA1_LEN);
}
END_TEST

START_TEST(the_accept_value_is_rfc_6455s_example)
{
	char accept[WSHTTP_ACCEPT_LEN + 1], buf[256];

	wshttp_accept("dGhlIHNhbXBsZSBub25jZQ==", accept);
	ck_assert_str_eq(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	ck_assert_uint_gt(wshttp_switching("dGhlIHNhbXBsZSBub25jZQ==", buf,
	                      sizeof(buf)),
	    0);
	ck_assert_ptr_nonnull(
	    strstr(buf, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
}
END_TEST

START_TEST(a_whole_upgrade_request_is_parsed)
{
	struct wsrequest r;

	ck_assert_int_eq(wshttp_parse(UPGRADE, strlen(UPGRADE), &r),
	    (long)strlen(UPGRADE));
	ck_assert_str_eq(r.method, "GET");
	ck_assert_str_eq(r.target, "/chat?room=lobby");
	ck_assert_uint_eq(wshttp_path_len(&r), 5);
	ck_assert_str_eq(wshttp_query(&r), "room=lobby");
	ck_assert(wshttp_is_upgrade(&r));
	ck_assert(r.host);
	ck_assert_int_eq(r.version, 13);
	ck_assert(wshttp_key_ok(r.key));
	ck_assert_str_eq(r.origin, "http://example.com");
	ck_assert_str_eq(r.agent, "test/1.0");
}
END_TEST

START_TEST(a_request_in_parts_waits_and_a_bad_one_is_refused)
{
	struct wsrequest r;
	char big[WSHTTP_HEAD_MAX + 64];
	size_t i;

	for (i = 0; i < strlen(UPGRADE) - 1; i++)
		ck_assert_int_eq(wshttp_parse(UPGRADE, i, &r), 0);
	ck_assert_int_gt(wshttp_parse("GET / HTTP/1.1\nHost: a\n\n", 24, &r),
	    0);
	ck_assert(!wshttp_is_upgrade(&r));
	ck_assert_int_eq(wshttp_parse("GET / HTTP/2.0\r\n\r\n", 18, &r), -1);
	ck_assert_int_eq(wshttp_parse("GET x HTTP/1.1\r\n\r\n", 18, &r), -1);
	ck_assert_int_eq(wshttp_parse("GET / HTTP/1.1\r\nNo colon\r\n\r\n", 28,
	                     &r),
	    -1);
	ck_assert_int_eq(wshttp_parse("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", 25,
	                     &r),
	    -1);
	/* A head that never ends within the limit. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	ck_assert_int_eq(wshttp_parse(big, sizeof(big), &r), -1);
}
END_TEST

START_TEST(only_a_base64_nonce_of_16_bytes_is_a_key)
{
	ck_assert(wshttp_key_ok("dGhlIHNhbXBsZSBub25jZQ=="));
	ck_assert(!wshttp_key_ok("dGhlIHNhbXBsZSBub25jZQ="));
	ck_assert(!wshttp_key_ok("dGhlIHNhbXBsZSBub25jZR=="));
	ck_assert(!wshttp_key_ok("dGhlIHNhbXBsZSBub25j!Q=="));
	ck_assert(!wshttp_key_ok(""));
}
END_TEST

START_TEST(frame_headers_follow_the_rules_for_clients)
{
	static const unsigned char masked[] = { 0x81, 0x85, 1, 2, 3, 4 };
	static const unsigned char unmasked[] = { 0x81, 0x05 };
	static const unsigned char rsv[] = { 0xc1, 0x80, 0, 0, 0, 0 };
	static const unsigned char long_ping[] = { 0x89, 0xfe, 0, 200, 0, 0, 0,
		0 };
	static const unsigned char frag_ping[] = { 0x09, 0x80, 0, 0, 0, 0 };
	static const unsigned char op3[] = { 0x83, 0x80, 0, 0, 0, 0 };
	static const unsigned char len16[] = { 0x82, 0xfe, 0x01, 0x00, 9, 9, 9,
		9 };
	static const unsigned char top[] = { 0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0,
		0, 1, 2, 3, 4 };
	struct wsframe f;
	unsigned code;

	ck_assert_int_eq(wsframe_parse(masked, 1, &f, &code), 0);
	ck_assert_int_eq(wsframe_parse(masked, 5, &f, &code), 0);
	ck_assert_int_eq(wsframe_parse(masked, sizeof(masked), &f, &code), 1);
	ck_assert(f.fin);
	ck_assert_uint_eq(f.opcode, WS_TEXT);
	ck_assert_uint_eq(f.len, 5);
	ck_assert_uint_eq(f.header, 6);
	ck_assert_int_eq(wsframe_parse(len16, sizeof(len16), &f, &code), 1);
	ck_assert_uint_eq(f.len, 256);
	ck_assert_uint_eq(f.header, 8);
	ck_assert_int_eq(wsframe_parse(unmasked, 2, &f, &code), -1);
	ck_assert_uint_eq(code, WS_CLOSE_PROTOCOL);
	ck_assert_int_eq(wsframe_parse(rsv, sizeof(rsv), &f, &code), -1);
	ck_assert_int_eq(wsframe_parse(long_ping, sizeof(long_ping), &f, &code),
	    -1);
	ck_assert_int_eq(wsframe_parse(frag_ping, sizeof(frag_ping), &f, &code),
	    -1);
	ck_assert_int_eq(wsframe_parse(op3, sizeof(op3), &f, &code), -1);
	ck_assert_int_eq(wsframe_parse(top, sizeof(top), &f, &code), -1);
}
END_TEST

START_TEST(server_headers_use_the_shortest_length)
{
	unsigned char h[WSFRAME_HEAD_MAX];

	ck_assert_uint_eq(wsframe_header(h, WS_TEXT, 125), 2);
	ck_assert_uint_eq(h[0], 0x81);
	ck_assert_uint_eq(h[1], 125);
	ck_assert_uint_eq(wsframe_header(h, WS_BINARY, 126), 4);
	ck_assert_uint_eq(h[1], 126);
	ck_assert_uint_eq(wsframe_header(h, WS_CLOSE, 70000), 10);
	ck_assert_uint_eq(h[0], 0x88);
	ck_assert_uint_eq(h[1], 127);
	ck_assert_uint_eq(h[9], 70000 & 0xff);
}
END_TEST

START_TEST(utf8_is_checked_and_fixed)
{
	ck_assert(wsframe_utf8_ok((const unsigned char *)"h\xc3\xa9llo", 6));
	ck_assert(
	    wsframe_utf8_ok((const unsigned char *)"\xf0\x9f\x98\x80", 4));
	ck_assert(!wsframe_utf8_ok((const unsigned char *)"\xc0\xaf", 2));
	ck_assert(!wsframe_utf8_ok((const unsigned char *)"\xed\xa0\x80", 3));
	ck_assert(
	    !wsframe_utf8_ok((const unsigned char *)"\xf4\x90\x80\x80", 4));
	ck_assert(!wsframe_utf8_ok((const unsigned char *)"\xe2\x82", 2));
	{
		unsigned char s[] = "a\xffz\xc3";

		ck_assert_uint_eq(wsframe_utf8_fix(s, 4), 2);
		ck_assert_str_eq((char *)s, "a?z?");
	}
}
END_TEST

/* What a wsmsg handed out, for the tests. */
struct seen {
	char messages[8][256];
	unsigned opcodes[8];
	size_t nmessages, npings;
	unsigned close_code;
	char reason[128];
};

static unsigned
seen_message(void *ctx, unsigned opcode, unsigned char *data, size_t len)
{
	struct seen *s = ctx;

	if (s->nmessages < 8) {
		snprintf(s->messages[s->nmessages], 256, "%.*s", (int)len,
		    (char *)data);
		s->opcodes[s->nmessages] = opcode;
	}
	s->nmessages++;
	return 0;
}

static void
seen_ping(void *ctx, const unsigned char *data, size_t len)
{
	(void)data;
	(void)len;
	((struct seen *)ctx)->npings++;
}

static void
seen_close(void *ctx, unsigned code, const unsigned char *reason, size_t len)
{
	struct seen *s = ctx;

	s->close_code = code;
	snprintf(s->reason, sizeof(s->reason), "%.*s", (int)len,
	    (const char *)reason);
}

static const struct wsmsg_ops seen_ops = { seen_message, seen_ping,
	seen_close };

/* A masked client frame of payload into out; its length. */
static size_t
client_frame(unsigned char *out, unsigned first, const char *payload,
    size_t len)
{
	static const unsigned char mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t h = wsframe_header(out, first & 0x0f, len), i;

	out[0] = (unsigned char)first;
	out[1] |= 0x80;
	memcpy(out + h, mask, 4);
	for (i = 0; i < len; i++)
		out[h + 4 + i] = (unsigned char)payload[i] ^ mask[i & 3];
	return h + 4 + len;
}

START_TEST(fragments_join_around_a_ping_even_byte_by_byte)
{
	unsigned char wire[512];
	struct seen s = { 0 };
	struct wsmsg m;
	size_t n = 0, i;

	n += client_frame(wire + n, 0x01, "Hel", 3); /* text, not fin */
	n += client_frame(wire + n, 0x89, "p", 1);   /* ping between */
	n += client_frame(wire + n, 0x00, "lo, ", 4);
	n += client_frame(wire + n, 0x80, "world", 5);
	n += client_frame(wire + n, 0x82, "\x01\x02", 2);
	n += client_frame(wire + n, 0x88,
	    "\x03\xe8"
	    "bye",
	    5);
	ck_assert_int_eq(wsmsg_init(&m, 64, &seen_ops, &s), 0);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(wsmsg_feed(&m, wire + i, 1), 0);
	ck_assert_uint_eq(s.nmessages, 2);
	ck_assert_str_eq(s.messages[0], "Hello, world");
	ck_assert_uint_eq(s.opcodes[0], WS_TEXT);
	ck_assert_uint_eq(s.opcodes[1], WS_BINARY);
	ck_assert_uint_eq(s.npings, 1);
	ck_assert_uint_eq(s.close_code, 1000);
	ck_assert_str_eq(s.reason, "bye");
	wsmsg_free(&m);
}
END_TEST

/* Feeds one frame sequence; returns wsmsg_feed's close code. */
static unsigned
feed(const unsigned char *wire, size_t n, size_t max)
{
	struct seen s = { 0 };
	struct wsmsg m;
	unsigned code;

	ck_assert_int_eq(wsmsg_init(&m, max, &seen_ops, &s), 0);
	code = wsmsg_feed(&m, wire, n);
	wsmsg_free(&m);
	return code;
}

START_TEST(broken_sequences_get_their_close_codes)
{
	unsigned char wire[512];
	size_t n;

	n = client_frame(wire, 0x80, "orphan", 6); /* continuation first */
	ck_assert_uint_eq(feed(wire, n, 64), WS_CLOSE_PROTOCOL);
	n = client_frame(wire, 0x01, "a", 1);
	n += client_frame(wire + n, 0x81, "b", 1); /* new text mid-message */
	ck_assert_uint_eq(feed(wire, n, 64), WS_CLOSE_PROTOCOL);
	n = client_frame(wire, 0x81, "0123456789", 10);
	ck_assert_uint_eq(feed(wire, n, 9), WS_CLOSE_TOO_BIG);
	n = client_frame(wire, 0x01, "01234", 5);
	n += client_frame(wire + n, 0x80, "56789", 5); /* too big together */
	ck_assert_uint_eq(feed(wire, n, 9), WS_CLOSE_TOO_BIG);
	n = client_frame(wire, 0x81, "\xc3\x28", 2);
	ck_assert_uint_eq(feed(wire, n, 64), WS_CLOSE_INVALID_DATA);
	n = client_frame(wire, 0x88, "\x03", 1); /* a one-byte close */
	ck_assert_uint_eq(feed(wire, n, 64), WS_CLOSE_PROTOCOL);
	n = client_frame(wire, 0x88, "\x03\xed", 2); /* 1005 is not sent */
	ck_assert_uint_eq(feed(wire, n, 64), WS_CLOSE_PROTOCOL);
	n = client_frame(wire, 0x88, "\x0b\xb8", 2); /* 3000 is fine */
	ck_assert_uint_eq(feed(wire, n, 64), 0);
}
END_TEST

START_TEST(static_names_stay_inside_the_directory)
{
	char out[256];

	ck_assert_int_eq(wsstatic_name("/", 1, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "index.html");
	ck_assert_int_eq(wsstatic_name("/a/b.css", 8, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a/b.css");
	ck_assert_int_eq(wsstatic_name("/sub/", 5, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "sub/index.html");
	ck_assert_int_eq(wsstatic_name("/a%20b", 6, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a b");
	ck_assert_int_eq(wsstatic_name("/../etc/passwd", 14, out, sizeof(out)),
	    -1);
	ck_assert_int_eq(wsstatic_name("/a/../../x", 10, out, sizeof(out)), -1);
	ck_assert_int_eq(wsstatic_name("/%2e%2e/x", 9, out, sizeof(out)), -1);
	ck_assert_int_eq(wsstatic_name("/.git/config", 12, out, sizeof(out)),
	    -1);
	ck_assert_int_eq(wsstatic_name("/x%00y", 6, out, sizeof(out)), -1);
	ck_assert_int_eq(wsstatic_name("/x%2", 4, out, sizeof(out)), -1);
	ck_assert_int_eq(wsstatic_name("/a\\b", 4, out, sizeof(out)), -1);
	/* An empty segment would make the name absolute. */
	ck_assert_int_eq(wsstatic_name("//etc/passwd", 12, out, sizeof(out)),
	    -1);
	ck_assert_int_eq(wsstatic_name("/a//b", 5, out, sizeof(out)), -1);
	ck_assert_str_eq(wsstatic_type("index.html"),
	    "text/html; charset=utf-8");
	ck_assert_str_eq(wsstatic_type("x.PNG"), "image/png");
	ck_assert_str_eq(wsstatic_type("README"), "application/octet-stream");
}
END_TEST

/* A protocol done with its client at once: the loop then waits only for
 * the handler, which a passed-on stop signal ends. */
struct loop_probe {
	struct relay *r;
	int stops;
};

static void
loop_probe_move(void *ctx)
{
	struct loop_probe *lp = ctx;

	lp->r->client_ev = lp->r->handler_ev = 0;
	lp->r->finished = lp->r->handler_done = true;
}

static void
loop_probe_stop(void *ctx)
{
	((struct loop_probe *)ctx)->stops++;
}

/* Runs the loop over a handler that waits to be signalled, after sig
 * came to the relay; returns the handler's wait status. */
static int
loop_run_after(int sig, bool as_is, int *stops)
{
	static const struct relay_ops ops = { .move = loop_probe_move,
		.stop = loop_probe_stop };
	struct relay r;
	struct loop_probe lp = { &r, 0 };
	sigset_t set, none;
	int sv[2], sigfd;

	/* All blocked: the handler must not take a signal before its
	 * dispositions are its own. */
	sigfillset(&set);
	sigemptyset(&none);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, sig);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	ck_assert_int_ne(sigfd, -1);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
	    0);
	relay_adopt(&r, sv[0], sigfd);
	r.pass_as_is = as_is;
	r.handler = sv[1];
	if ((r.pid = fork()) == 0) {
		/* Check's handlers would kill the test's whole group. */
		(void)signal(SIGINT, SIG_DFL);
		(void)signal(SIGTERM, SIG_DFL);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		for (;;)
			(void)pause();
	}
	ck_assert_int_ne(r.pid, -1);
	ck_assert_int_eq(raise(sig), 0);
	ck_assert_int_eq(relay_run(&r, &ops, &lp), 0);
	ck_assert(r.reaped);
	*stops = lp.stops;
	return r.status;
}

/* The TLS relay passes a stop signal on as it came; superd-ws passes
 * any (SIGHUP too) on as SIGTERM, then SIGCONT. */
static const struct {
	int sig;
	bool as_is;
	int seen;
} loop_cases[] = { { SIGINT, true, SIGINT }, { SIGHUP, false, SIGTERM } };

START_TEST(the_loop_passes_a_stop_signal_on_as_its_relay_wants)
{
	int stops,
	    status = loop_run_after(loop_cases[_i].sig, loop_cases[_i].as_is,
	        &stops);

	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), loop_cases[_i].seen);
	ck_assert_int_eq(stops, 1);
}
END_TEST

static Suite *
make_ws_suite(void)
{
	Suite *s = suite_create("ws");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, sha1_matches_the_fips_vectors);
	tcase_add_test(tc, the_accept_value_is_rfc_6455s_example);
	tcase_add_test(tc, a_whole_upgrade_request_is_parsed);
	tcase_add_test(tc, a_request_in_parts_waits_and_a_bad_one_is_refused);
	tcase_add_test(tc, only_a_base64_nonce_of_16_bytes_is_a_key);
	tcase_add_test(tc, frame_headers_follow_the_rules_for_clients);
	tcase_add_test(tc, server_headers_use_the_shortest_length);
	tcase_add_test(tc, utf8_is_checked_and_fixed);
	tcase_add_test(tc, fragments_join_around_a_ping_even_byte_by_byte);
	tcase_add_test(tc, broken_sequences_get_their_close_codes);
	tcase_add_test(tc, static_names_stay_inside_the_directory);
	suite_add_tcase(s, tc);
	tc = tcase_create("loop");
	tcase_add_loop_test(tc,
	    the_loop_passes_a_stop_signal_on_as_its_relay_wants, 0,
	    (int)(sizeof(loop_cases) / sizeof(loop_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_ws_suite());
}
