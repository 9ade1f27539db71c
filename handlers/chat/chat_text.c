/* chat_text: the chat handler's rules for text from the client: room and
 * nick names, splitting bytes into bounded lines, what may reach other
 * clients, and the per-client rate limit. */
#include <string.h>

#include "chat_text.h"

#define MILLI 1000

static bool
chat_name_char(char c)
{
	/* Not isalnum(3): no locale may widen the set. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

bool
chat_name_valid(const char *name)
{
	size_t i;

	if (name[0] == '\0' || name[0] == '.' || name[0] == '-')
		return false;
	for (i = 0; name[i] != '\0'; i++)
		if (i >= CHAT_NAME_MAX || !chat_name_char(name[i]))
			return false;
	return true;
}

/* The line in st is complete: hand it out without its \r and reset. */
static enum chat_line_kind
chat_lines_end(struct chat_lines *st, const char **line, size_t *len)
{
	size_t n = st->len;

	st->len = 0;
	if (st->discarding) {
		st->discarding = false;
		return CHAT_LINE_NONE;
	}
	if (n > 0 && st->buf[n - 1] == '\r')
		n--;
	*line = st->buf;
	*len = n;
	return CHAT_LINE_READY;
}

enum chat_line_kind
chat_lines_next(struct chat_lines *st, const char **in, size_t *inlen,
    const char **line, size_t *len)
{
	enum chat_line_kind kind;
	char c;

	while (*inlen > 0) {
		c = **in;
		(*in)++;
		(*inlen)--;
		if (c == '\n') {
			kind = chat_lines_end(st, line, len);
			if (kind != CHAT_LINE_NONE)
				return kind;
			continue;
		}
		if (st->discarding)
			continue;
		/* One byte of slack holds a \r that the \n will remove. */
		if (st->len == CHAT_LINE_MAX + 1 ||
		    (st->len == CHAT_LINE_MAX && c != '\r')) {
			st->discarding = true;
			st->len = 0;
			return CHAT_LINE_TOO_LONG;
		}
		st->buf[st->len++] = c;
	}
	return CHAT_LINE_NONE;
}

enum chat_line_kind
chat_lines_finish(struct chat_lines *st, const char **line, size_t *len)
{
	if (st->len == 0 && !st->discarding)
		return CHAT_LINE_NONE;
	return chat_lines_end(st, line, len);
}

void
chat_text_clean(char *text, size_t len)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)text[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			text[i] = '?';
	}
}

void
chat_rate_init(struct chat_rate *r, int64_t now_ms)
{
	r->milli = (int64_t)CHAT_RATE_BURST * MILLI;
	r->last_ms = now_ms;
}

bool
chat_rate_take(struct chat_rate *r, int64_t now_ms)
{
	int64_t cap = (int64_t)CHAT_RATE_BURST * MILLI;

	/* Monotonic time never goes back, but a refill must not go down. */
	if (now_ms > r->last_ms) {
		r->milli += (now_ms - r->last_ms) * CHAT_RATE_PER_S;
		if (r->milli > cap)
			r->milli = cap;
		r->last_ms = now_ms;
	}
	if (r->milli < MILLI)
		return false;
	r->milli -= MILLI;
	return true;
}
