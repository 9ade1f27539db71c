/* Shared I/O for the shipped handlers: whole writes and reads that survive
 * signals, and the one-line error exit that superd's log expects on fd 2. */
#ifndef HIO_H
#define HIO_H

#include <sys/types.h>

#include <stddef.h>

/*
 * Write all len bytes of buf to fd, retrying on EINTR and after short
 * writes.  Returns 0, or -1 with errno set (EPIPE when the peer is gone and
 * SIGPIPE is ignored, ECONNRESET, EIO if write(2) makes no progress, ...).
 */
int hio_write_all(int fd, const void *buf, size_t len);

/*
 * read(2) into buf, retrying on EINTR.  Returns the byte count, 0 at end of
 * file, or -1 with errno set.
 */
ssize_t hio_read(int fd, void *buf, size_t len);

/*
 * Print "prog: what: strerror(errno)" as one line on stderr and exit 1.
 * Never returns.
 */
_Noreturn void hio_fail(const char *prog, const char *what);

#endif
