/* echo: copy the client's bytes back until end of file.  superd runs it with
 * the socket on fds 0 and 1; it works as well on pipes and terminals.  On
 * a datagram socket (a dgram service) it sends each datagram back to its
 * sender (RFC 862), until a few idle seconds pass. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hdgram.h"
#include "hio.h"

#define PROG "echo"

static ssize_t
echo_datagram(unsigned char *buf, size_t n, size_t cap)
{
	(void)buf;
	(void)cap;
	return (ssize_t)n;
}

int
main(int argc, char *argv[])
{
	char buf[16384];
	ssize_t n;

	(void)argv;
	/* An argument would be ignored: refuse it rather than pretend. */
	if (argc != 1) {
		fputs("usage: " PROG "\n", stderr);
		return 2;
	}
	if (hdgram_is(STDIN_FILENO))
		return hdgram_serve(PROG, echo_datagram);
	while ((n = hio_read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
		if (hio_write_all(STDOUT_FILENO, buf, (size_t)n) == -1)
			hio_fail(PROG, "write");
	}
	if (n == -1)
		hio_fail(PROG, "read");
	return 0;
}
