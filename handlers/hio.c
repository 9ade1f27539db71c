/* Shared I/O for the shipped handlers: whole writes and reads that survive
 * signals, and the one-line error exit that superd's log expects on fd 2. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hio.h"

int
hio_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		/* Cannot happen for len > 0, but must not become a spin. */
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t
hio_read(int fd, void *buf, size_t len)
{
	ssize_t n;

	do {
		n = read(fd, buf, len);
	} while (n == -1 && errno == EINTR);
	return n;
}

void
hio_fail(const char *prog, const char *what)
{
	char line[256];
	const char *reason = strerror(errno);
	int n;

	/*
	 * One write(2) of a whole line, so the message cannot interleave with
	 * other processes sharing superd's log on fd 2.
	 */
	n = snprintf(line, sizeof(line), "%s: %s: %s\n", prog, what, reason);
	if (n < 0)
		exit(1);
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* If even the log is gone there is no one left to tell: exit 1. */
	(void)hio_write_all(STDERR_FILENO, line, (size_t)n);
	exit(1);
}
