/* chat_text: the chat handler's rules for text from the client: room and
 * nick names, splitting bytes into bounded lines, what may reach other
 * clients, and the per-client rate limit.  Pure functions, no I/O. */
#ifndef CHAT_TEXT_H
#define CHAT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes in a room name or a chosen nick (the service name rule). */
#define CHAT_NAME_MAX 32
/* Bytes of text in one client line, not counting its \r\n. */
#define CHAT_LINE_MAX 512
/* Lines a client may send at once, then lines per second after that. */
#define CHAT_RATE_BURST 40
#define CHAT_RATE_PER_S 10

/*
 * True if name is 1 to CHAT_NAME_MAX bytes of A-Z a-z 0-9 _ . - and does not
 * start with '.' or '-': safe in a shm name, a log line and a chat line.
 */
bool chat_name_valid(const char *name);

/* Line assembly state: one partial line, at most CHAT_LINE_MAX bytes. */
struct chat_lines {
	char buf[CHAT_LINE_MAX + 1]; /* + 1: a \r that may be followed by \n */
	size_t len;
	bool discarding; /* inside a line already reported as too long */
};

enum chat_line_kind {
	CHAT_LINE_NONE,     /* input used up; no complete line */
	CHAT_LINE_READY,    /* *line, *len: one line without \r\n */
	CHAT_LINE_TOO_LONG, /* a line passed CHAT_LINE_MAX: reported once */
};

/*
 * Consumes bytes from *in (advancing *in and *inlen) until one line is
 * complete or the input is used up.  A line ends at \n; one \r before it
 * is dropped.  A line longer than CHAT_LINE_MAX is reported once, and the
 * rest of it up to its \n is discarded.  *line points into st and is valid
 * until the next call.
 */
enum chat_line_kind chat_lines_next(struct chat_lines *st, const char **in,
    size_t *inlen, const char **line, size_t *len);

/*
 * At end of input: the partial line st holds, which had no \n, as a last
 * line (CHAT_LINE_READY; one \r at its end is dropped), or CHAT_LINE_NONE
 * if there is none or it was already reported as too long.
 */
enum chat_line_kind chat_lines_finish(struct chat_lines *st, const char **line,
    size_t *len);

/*
 * Replaces control bytes (below 0x20 except tab, and 0x7f) with '?', so no
 * client can send terminal escapes or fake line breaks to the others.
 * Bytes from 0x80 up pass unchanged (UTF-8).
 */
void chat_text_clean(char *text, size_t len);

/* A token bucket: CHAT_RATE_BURST lines, refilled at CHAT_RATE_PER_S. */
struct chat_rate {
	int64_t milli;   /* tokens in thousandths */
	int64_t last_ms; /* when milli was last refilled */
};

/* A full bucket at now_ms. */
void chat_rate_init(struct chat_rate *r, int64_t now_ms);

/* Takes one line's token at now_ms (monotonic).  False: over the limit. */
bool chat_rate_take(struct chat_rate *r, int64_t now_ms);

#endif
