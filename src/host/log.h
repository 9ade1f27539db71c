/* Logging: one event per line on stderr, prefixed "superd: ".  The OpenBSD
 * daemon vocabulary: log_warn appends strerror(errno), log_warnx does not.
 * Two formats ([supervisor] log_format): text, for people, and kv, where
 * every line is "superd: event=NAME key=value ..." for programs. */
#ifndef SUPERD_LOG_H
#define SUPERD_LOG_H

#include <stddef.h>

#define LOG_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum log_format {
	LOG_FORMAT_TEXT, /* the default */
	LOG_FORMAT_KV
};

/* The most bytes log_value writes, its NUL included: a kv line holding two
 * such values and its fixed keys still fits in one line, uncut. */
#define LOG_VALUE_MAX 1100

/* verbose > 0 enables log_debug. */
void log_init(int verbose);
int log_verbose(void);

/* The format of every line from now on; text until this is called. */
void log_set_format(enum log_format f);
enum log_format log_get_format(void);

void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);

/*
 * One event with a fixed name.  Both formats take the same arguments in
 * the same order: text mode prints "superd: " and textfmt, kv mode
 * "superd: event=EVENT " and kvfmt, which is a list of key=value pairs
 * (NULL for an event without keys).  An argument one of the two does not
 * show is passed to it as "%.0s", which prints nothing.  A string value
 * that may hold a blank, a quote or a control byte goes through log_value.
 * In kv mode the plain calls above print "event=message level=info|
 * warning|debug msg=\"...\"".  Only events.c calls it: each event has its
 * function there (events.h).
 */
void log_event(const char *event, const char *kvfmt, const char *textfmt, ...)
    __attribute__((format(printf, 2, 4), format(printf, 3, 4)));

/* The same for a line that carries a handler's words: while stderr lags,
 * it may not take the part of the buffer kept for superd's own lines
 * (LOGOUT_OWN_RESERVE), so a flood from a handler is what gets dropped. */
void log_relay(const char *event, const char *kvfmt, const char *textfmt, ...)
    __attribute__((format(printf, 2, 4), format(printf, 3, 4)));

/*
 * Writes s into buf as a kv value: in double quotes, with '"' and '\'
 * escaped by a backslash, and newline, carriage return and tab as \n, \r,
 * \t, other control bytes and DEL as \xNN, so a value never breaks a
 * line.  A value that does not fit is cut before an escape, never inside
 * one, and keeps its closing quote.  len must be at least 3.  Returns the
 * length written, the NUL not counted.
 */
size_t log_quote(char *buf, size_t len, const char *s);

/* s as the value of a key in the current format: s itself in text mode,
 * quoted into buf by log_quote in kv mode, using at most LOG_VALUE_MAX of
 * its len bytes (at least 3). */
const char *log_value(char *buf, size_t len, const char *s);

#endif
