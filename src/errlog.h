/* A handler's stderr, read by superd through a pipe and turned into log
 * lines: split at newlines, long lines cut, control bytes escaped, so one
 * line of the handler is one line of the log and never more. */
#ifndef SUPERD_ERRLOG_H
#define SUPERD_ERRLOG_H

#include <stdbool.h>
#include <stddef.h>

#define ERRLOG_LINE_MAX 256

struct errlog {
	int fd;     /* read end, non-blocking; -1: none */
	size_t len; /* bytes of a line not yet ended */
	char line[ERRLOG_LINE_MAX + 1];
};

/* Called for each complete (or cut, or final) line, NUL-terminated. */
typedef void errlog_emit_fn(void *arg, const char *line);

/*
 * Makes a pipe for a handler's stderr: *wr (close-on-exec; the child's
 * dup2 onto fd 2 clears that) goes to the handler, the non-blocking read
 * end to e.  Returns 0, or -1 with errno.
 */
int errlog_open(struct errlog *e, int *wr);

/* Takes bytes as they were read, emitting every line they complete. */
void errlog_feed(struct errlog *e, const char *buf, size_t n,
    errlog_emit_fn *emit, void *arg);

/*
 * Reads what the pipe holds, at most budget bytes, and feeds it.  At end
 * of file (every writer gone) or with final set (the handler has exited:
 * what a grandchild still writes is not waited for), emits what is left,
 * closes the pipe and sets fd to -1.  Returns true if the pipe is closed.
 */
bool errlog_drain(struct errlog *e, size_t budget, bool final,
    errlog_emit_fn *emit, void *arg);

#endif
