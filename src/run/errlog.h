/* A handler's stderr, read by superd through a pipe and turned into log
 * lines: split at newlines, long lines cut (and the cut marked), control
 * bytes escaped, so one line of the handler is one line of the log and
 * never more; at most stderr_rate lines, the rest counted. */
#ifndef SUPERD_ERRLOG_H
#define SUPERD_ERRLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "parse.h"
#include "bucket.h"

#define ERRLOG_LINE_MAX 256

/* How a piece of a line relates to its neighbours. */
#define ERRLOG_CUT 1u  /* the line goes on in the next piece */
#define ERRLOG_CONT 2u /* this piece goes on from the last one */

struct errlog {
	int fd;           /* read end, non-blocking; -1: none */
	size_t len;       /* bytes of a line not yet ended */
	bool cont;        /* that line continues a cut one */
	bool line_ok;     /* the line being cut was within the rate */
	struct rate rate; /* n == 0: every line */
	struct bucket bucket;
	bool suppressing;      /* over the rate, until the bucket refills */
	unsigned long dropped; /* lines suppressed in this episode */
	char line[ERRLOG_LINE_MAX + 1];
};

/* Where lines go: each complete (or cut, or final) line, NUL-terminated,
 * with its ERRLOG_* flags; and, when an episode of suppression ends, how
 * many lines it cost. */
struct errlog_sink {
	void (*line)(void *arg, const char *text, unsigned flags);
	void (*suppressed)(void *arg, unsigned long count);
	void *arg;
};

/*
 * Makes a pipe for a handler's stderr: *wr (close-on-exec; the child's
 * dup2 onto fd 2 clears that) goes to the handler, the non-blocking read
 * end to e, which then logs at most rate (n == 0: no cap).  Returns 0, or
 * -1 with errno.
 */
int errlog_open(struct errlog *e, int *wr, const struct rate *rate);

/* Takes bytes as they were read, emitting every line they complete. */
void errlog_feed(struct errlog *e, const char *buf, size_t n, long long now,
    const struct errlog_sink *sink);

/*
 * Reads what the pipe holds, at most budget bytes, and feeds it.  At end
 * of file (every writer gone: the handler and whatever it left running
 * with the pipe) or on a read error, finishes: emits what is left, closes
 * the pipe, sets fd to -1 and returns true.
 */
bool errlog_drain(struct errlog *e, size_t budget, long long now,
    const struct errlog_sink *sink);

/* Finishes without waiting for end of file (superd is stopping). */
void errlog_close(struct errlog *e, long long now,
    const struct errlog_sink *sink);

#endif
