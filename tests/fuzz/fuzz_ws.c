/* libFuzzer harness for superd-ws's pure parsers.  The first byte picks:
 * the HTTP request head (a head found keeps its length whatever follows,
 * and one byte less of it asks for more), the frame reader (the same
 * bytes fed whole or split at any point give the same messages and the
 * same close code, no message over the limit, text always UTF-8), or a
 * static file name (never absolute, never an empty segment or one that
 * starts with a dot: "..", dot files). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsframe.h"
#include "wshttp.h"
#include "wsmsg.h"
#include "wsstatic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void __attribute__((noreturn)) fuzz_fail(const char *what, size_t n)
{
	fprintf(stderr, "fuzz_ws: %s (%zu bytes)\n", what, n);
	abort();
}

/* A malloc'd copy of exactly n bytes, so a read past them is caught. */
static char *
fuzz_copy(const uint8_t *data, size_t n)
{
	char *copy = malloc(n ? n : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, data, n);
	return copy;
}

static void
fuzz_http(const uint8_t *data, size_t n)
{
	struct wsrequest r;
	char *copy = fuzz_copy(data, n);
	long head = wshttp_parse(copy, n, &r);
	char accept[WSHTTP_ACCEPT_LEN + 1];

	if (head > (long)n)
		fuzz_fail("a head longer than the input", n);
	if (head > 0) {
		if (wshttp_parse(copy, (size_t)head, &r) != head)
			fuzz_fail("a head that depends on what follows", n);
		if (wshttp_parse(copy, (size_t)head - 1, &r) != 0)
			fuzz_fail("a head cut short that does not ask for more",
			    n);
		if (wshttp_path_len(&r) > strlen(r.target))
			fuzz_fail("a path longer than the target", n);
		if (wshttp_key_ok(r.key))
			wshttp_accept(r.key, accept);
	}
	free(copy);
}

struct fuzz_seen {
	size_t max, messages, bytes, pings;
	unsigned close;
};

static unsigned
fuzz_message(void *ctx, unsigned opcode, unsigned char *p, size_t len)
{
	struct fuzz_seen *s = ctx;

	if (len > s->max)
		fuzz_fail("a message over the limit", len);
	if (opcode == WS_TEXT && !wsframe_utf8_ok(p, len))
		fuzz_fail("a text message that is not UTF-8", len);
	s->messages++;
	s->bytes += len;
	return 0;
}

static void
fuzz_ping(void *ctx, const unsigned char *p, size_t len)
{
	(void)p;
	if (len > WSFRAME_CONTROL_MAX)
		fuzz_fail("a long ping", len);
	((struct fuzz_seen *)ctx)->pings++;
}

static void
fuzz_close(void *ctx, unsigned code, const unsigned char *p, size_t len)
{
	(void)p;
	(void)len;
	((struct fuzz_seen *)ctx)->close = code;
}

static const struct wsmsg_ops fuzz_ops = { fuzz_message, fuzz_ping,
	fuzz_close };

/* Feeds n bytes at once or split at cut; the close code returned. */
static unsigned
fuzz_feed(const uint8_t *data, size_t n, size_t max, size_t cut,
    struct fuzz_seen *s)
{
	char *copy = fuzz_copy(data, n);
	struct wsmsg m;
	unsigned code;

	memset(s, 0, sizeof(*s));
	s->max = max;
	if (wsmsg_init(&m, max, &fuzz_ops, s) == -1)
		abort();
	code = wsmsg_feed(&m, (unsigned char *)copy, cut);
	if (code == 0)
		code = wsmsg_feed(&m, (unsigned char *)copy + cut, n - cut);
	wsmsg_free(&m);
	free(copy);
	return code;
}

static void
fuzz_frames(const uint8_t *data, size_t n)
{
	struct fuzz_seen whole, split;
	size_t max, cut;
	unsigned a, b;

	if (n < 2)
		return;
	max = 1 + data[0];
	cut = data[1] % (n - 1);
	data += 2;
	n -= 2;
	a = fuzz_feed(data, n, max, n, &whole);
	b = fuzz_feed(data, n, max, cut > n ? n : cut, &split);
	if (a != b || whole.messages != split.messages ||
	    whole.bytes != split.bytes || whole.pings != split.pings ||
	    whole.close != split.close)
		fuzz_fail("a split changes what the frames say", n);
}

static void
fuzz_static(const uint8_t *data, size_t n)
{
	char *copy = fuzz_copy(data, n), out[512];

	if (wsstatic_name(copy, n, out, sizeof(out)) == 0 &&
	    (out[0] == '/' || out[0] == '.' || strstr(out, "//") != NULL ||
	        strstr(out, "/.") != NULL))
		fuzz_fail("a name outside the directory or a dot file", n);
	(void)wsstatic_type(out);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_http(data + 1, size - 1);
		break;
	case 1:
		fuzz_frames(data + 1, size - 1);
		break;
	default:
		fuzz_static(data + 1, size - 1);
	}
	return 0;
}
