/* Logging to stderr, one event per line.  Each line is built in one buffer
 * and handed whole to logout, which writes it with one write(2) (so lines
 * from superd and from handlers sharing the same stderr do not interleave
 * mid-line) and never waits.  The level and the format are the logger's
 * file-level settings. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "logout.h"

/* A text line, as it always was: at most 1022 bytes and the newline. */
#define LOG_LINE_MAX 1024
/* A kv line: room for a whole text message quoted, or for an event with
 * two values of LOG_VALUE_MAX, so no kv line is ever cut. */
#define LOG_KV_LINE_MAX 4096
/* A text message quoted as msg="...", at worst every byte escaped. */
#define LOG_MSG_QUOTED_MAX (LOG_KV_LINE_MAX - 64)

static int log_level_debug;
static enum log_format log_fmt = LOG_FORMAT_TEXT;

void
log_init(int verbose)
{
	log_level_debug = verbose > 0;
}

int
log_verbose(void)
{
	return log_level_debug;
}

void
log_set_format(enum log_format f)
{
	log_fmt = f;
}

enum log_format
log_get_format(void)
{
	return log_fmt;
}

/* Appends to line (size bytes, len used), cutting at the end. */
static void log_vappend(char *line, size_t size, size_t *len, const char *fmt,
    va_list ap) LOG_PRINTF(4, 0);

static void
log_vappend(char *line, size_t size, size_t *len, const char *fmt, va_list ap)
{
	int n;

	if (*len >= size - 1)
		return;
	n = vsnprintf(line + *len, size - *len, fmt, ap);
	if (n < 0)
		return;
	*len = *len + (size_t)n < size ? *len + (size_t)n : size - 1;
}

static void log_append(char *line, size_t size, size_t *len, const char *fmt,
    ...) LOG_PRINTF(4, 5);

static void
log_append(char *line, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vappend(line, size, len, fmt, ap);
	va_end(ap);
}

/* Ends the line with a newline (in place of its last byte if it is
 * full) and hands it to the output. */
static void
log_write(char *line, size_t size, size_t len, enum logout_origin origin)
{
	if (len >= size - 1)
		len = size - 2;
	line[len++] = '\n';
	logout_line(line, len, origin);
}

/* The text of a message, and strerror's words after it if suffix is set,
 * into text (LOG_LINE_MAX bytes) behind prefix.  Returns its length. */
static size_t log_text(char *text, const char *prefix, const char *fmt,
    va_list ap, const char *suffix) LOG_PRINTF(3, 0);

static size_t
log_text(char *text, const char *prefix, const char *fmt, va_list ap,
    const char *suffix)
{
	size_t len = 0;

	log_append(text, LOG_LINE_MAX, &len, "%s", prefix);
	log_vappend(text, LOG_LINE_MAX, &len, fmt, ap);
	if (suffix != NULL)
		log_append(text, LOG_LINE_MAX, &len, ": %s", suffix);
	return len;
}

static void log_emit(const char *level, const char *fmt, va_list ap,
    const char *suffix) LOG_PRINTF(2, 0);

static void
log_emit(const char *level, const char *fmt, va_list ap, const char *suffix)
{
	char text[LOG_LINE_MAX], line[LOG_KV_LINE_MAX];
	char quoted[LOG_MSG_QUOTED_MAX];
	size_t len;

	if (log_fmt == LOG_FORMAT_TEXT) {
		len = log_text(text, "superd: ", fmt, ap, suffix);
		log_write(text, sizeof(text), len, LOGOUT_OWN);
		return;
	}
	/* The same message as in text mode, within the same bound. */
	(void)log_text(text, "", fmt, ap, suffix);
	log_quote(quoted, sizeof(quoted), text);
	len = 0;
	log_append(line, sizeof(line), &len,
	    "superd: event=message level=%s msg=%s", level, quoted);
	log_write(line, sizeof(line), len, LOGOUT_OWN);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit("info", fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_level_debug)
		return;
	va_start(ap, fmt);
	log_emit("debug", fmt, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_emit("warning", fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit("warning", fmt, ap, NULL);
	va_end(ap);
}

static void log_event_v(enum logout_origin origin, const char *event,
    const char *kvfmt, const char *textfmt, va_list ap) LOG_PRINTF(4, 0);

static void
log_event_v(enum logout_origin origin, const char *event, const char *kvfmt,
    const char *textfmt, va_list ap)
{
	char line[LOG_KV_LINE_MAX];
	size_t len = 0;
	int saved = errno;

	if (log_fmt == LOG_FORMAT_TEXT) {
		len = log_text(line, "superd: ", textfmt, ap, NULL);
		log_write(line, LOG_LINE_MAX, len, origin);
	} else {
		log_append(line, sizeof(line), &len, "superd: event=%s", event);
		if (kvfmt != NULL) {
			log_append(line, sizeof(line), &len, " ");
			log_vappend(line, sizeof(line), &len, kvfmt, ap);
		}
		log_write(line, sizeof(line), len, origin);
	}
	errno = saved;
}

void
log_event(const char *event, const char *kvfmt, const char *textfmt, ...)
{
	va_list ap;

	va_start(ap, textfmt);
	log_event_v(LOGOUT_OWN, event, kvfmt, textfmt, ap);
	va_end(ap);
}

void
log_relay(const char *event, const char *kvfmt, const char *textfmt, ...)
{
	va_list ap;

	va_start(ap, textfmt);
	log_event_v(LOGOUT_RELAYED, event, kvfmt, textfmt, ap);
	va_end(ap);
}

/* The escape for byte c inside a quoted value, into esc; its length. */
static size_t
log_escape(unsigned char c, char esc[5])
{
	switch (c) {
	case '"':
	case '\\':
		esc[0] = '\\';
		esc[1] = (char)c;
		return 2;
	case '\n':
		memcpy(esc, "\\n", 2);
		return 2;
	case '\r':
		memcpy(esc, "\\r", 2);
		return 2;
	case '\t':
		memcpy(esc, "\\t", 2);
		return 2;
	}
	if (c < 0x20 || c == 0x7f)
		return (size_t)snprintf(esc, 5, "\\x%02x", c);
	esc[0] = (char)c;
	return 1;
}

size_t
log_quote(char *buf, size_t len, const char *s)
{
	const unsigned char *p;
	size_t n = 0, k;
	char esc[5];

	buf[n++] = '"';
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		k = log_escape(*p, esc);
		/* Room for the closing quote and the NUL after it. */
		if (n + k + 2 > len)
			break;
		memcpy(buf + n, esc, k);
		n += k;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return n;
}

const char *
log_value(char *buf, size_t len, const char *s)
{
	if (log_fmt == LOG_FORMAT_TEXT)
		return s;
	log_quote(buf, len < LOG_VALUE_MAX ? len : LOG_VALUE_MAX, s);
	return buf;
}
