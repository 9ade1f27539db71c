/* Where superd's log lines go, without ever waiting: stderr through a
 * descriptor of superd's own in non-blocking mode, and a bounded buffer
 * for what stderr cannot take right now.  A line that does not fit in the
 * buffer is dropped and counted; the logger reports the count once the
 * log drains (log_flush).
 * The loop watches logout_fd for writability while logout_pending. */
#ifndef SUPERD_LOGOUT_H
#define SUPERD_LOGOUT_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of log held back while stderr is full (some hundreds of lines). */
#define LOGOUT_BUF_MAX (64 * 1024)

/* Of that buffer, the part only superd's own lines may fill: a handler
 * that floods its stderr must not push out the lines that say what
 * superd did (connections, exits, limits) while the reader lags. */
#define LOGOUT_OWN_RESERVE (16 * 1024)

/* Whose words a line carries: superd's own, or a handler's relayed. */
enum logout_origin { LOGOUT_OWN, LOGOUT_RELAYED };

/*
 * Sets up the output on fd 2, which must be open: a pipe, FIFO or
 * terminal is reopened through /proc/self/fd/2 as a new, non-blocking
 * open file description (setting O_NONBLOCK on fd 2 itself would change
 * it for whoever shares it: the shell, handlers with stderr = inherit);
 * a socket is written with MSG_DONTWAIT; a regular file as it is.  If the
 * reopen fails, fd 2 is used as it is.  Returns nothing: logging has no
 * way to report its own failure.
 */
void logout_open(void);

/* Writes one line (ending in '\n', at most PIPE_BUF bytes, so one write
 * is atomic), or queues it behind earlier ones, or drops and counts it.
 * A relayed line is queued only while LOGOUT_OWN_RESERVE stays free. */
void logout_line(const char *line, size_t len, enum logout_origin origin);

/* Writes what is queued, as far as stderr takes it now.  Once all is out,
 * returns how many lines were dropped since the last report (and forgets
 * them: the caller reports them), else 0. */
unsigned long logout_flush(void);

/* True while lines wait in the buffer, or a drop count to be reported. */
bool logout_pending(void);

/* Lines dropped since superd started (for the metrics). */
unsigned long logout_dropped_total(void);

/* The descriptor to watch for EPOLLOUT while logout_pending. */
int logout_fd(void);

/* In a process forked from superd that lives on without exec (the TLS
 * relay): lines go straight to fd 2 (superd's stderr as it was given),
 * and what superd had queued is its own to write, not this process's. */
void logout_detach(void);

/* At exit: flushes, waiting up to timeout_ms for stderr to take it. */
void logout_finish(int timeout_ms);

#endif
