/* upper: copy the client's bytes back with ASCII a-z upper-cased, answering
 * each read at once so an interactive session works; a line "quit" ends it. */
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include "hio.h"

#define PROG "upper"
#define BUF_SIZE 16384
/* "quit" and its optional \r: the most bytes ever held back from a read. */
#define QUIT_LINE "quit\r"
#define QUIT_HELD_MAX (sizeof(QUIT_LINE) - 1)
#define NOT_MATCHING (-1)

/*
 * A line may arrive over several reads, so whether the current line can still
 * be "quit" outlives one read.  The bytes held back while it can are always a
 * prefix of QUIT_LINE, so their count is all we need to keep.
 */
struct upper_state {
	int held; /* QUIT_LINE bytes matched at line start, or NOT_MATCHING */
};

static char
upper_char(char c)
{
	/* Not toupper(3): no locale may change bytes >= 0x80. */
	if (c >= 'a' && c <= 'z')
		return (char)(c - 'a' + 'A');
	return c;
}

/* Move the bytes held back for a line that turned out not to be "quit". */
static size_t
upper_release(struct upper_state *st, char *out)
{
	size_t i, n = (size_t)st->held;

	for (i = 0; i < n; i++)
		out[i] = upper_char(QUIT_LINE[i]);
	st->held = NOT_MATCHING;
	return n;
}

/* All of "quit", with or without its \r: a quit line if \n or EOF follows. */
static int
upper_is_quit(const struct upper_state *st)
{
	return st->held >= (int)QUIT_HELD_MAX - 1;
}

/*
 * Translate in[0..len) into out, which has room for len + QUIT_HELD_MAX
 * bytes, and store the count in *outlen.  Returns 1 if a quit line ended, in
 * which case out holds only what came before it, else 0.
 */
static int
upper_feed(struct upper_state *st, const char *in, size_t len, char *out,
    size_t *outlen)
{
	size_t i, o = 0;
	char c;

	for (i = 0; i < len; i++) {
		c = in[i];
		if (st->held != NOT_MATCHING) {
			if ((size_t)st->held < QUIT_HELD_MAX &&
			    c == QUIT_LINE[st->held]) {
				st->held++;
				continue;
			}
			if (c == '\n' && upper_is_quit(st)) {
				*outlen = o;
				return 1;
			}
			o += upper_release(st, out + o);
		}
		out[o++] = upper_char(c);
		if (c == '\n')
			st->held = 0;
	}
	*outlen = o;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct upper_state st = { .held = 0 }; /* sessions start a line */
	char in[BUF_SIZE], out[BUF_SIZE + QUIT_HELD_MAX];
	size_t outlen;
	ssize_t n;
	int quit;

	(void)argv;
	/* An argument would be ignored: refuse it rather than pretend. */
	if (argc != 1) {
		fputs("usage: " PROG "\n", stderr);
		return 2;
	}
	while ((n = hio_read(STDIN_FILENO, in, sizeof(in))) > 0) {
		quit = upper_feed(&st, in, (size_t)n, out, &outlen);
		if (outlen > 0 &&
		    hio_write_all(STDOUT_FILENO, out, outlen) == -1)
			hio_fail(PROG, "write");
		if (quit)
			return 0;
	}
	if (n == -1)
		hio_fail(PROG, "read");
	if (st.held == NOT_MATCHING || upper_is_quit(&st))
		return 0;
	outlen = upper_release(&st, out);
	if (outlen > 0 && hio_write_all(STDOUT_FILENO, out, outlen) == -1)
		hio_fail(PROG, "write");
	return 0;
}
