/* daytime: tell the client the current UTC time as one text line, RFC 867
 * (Daytime Protocol) style, in RFC 3339 form, then exit. */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "hio.h"

#define PROG "daytime"

int
main(int argc, char *argv[])
{
	struct timespec ts;
	struct tm tm;
	char line[64];
	size_t len;

	(void)argv;
	if (argc != 1) {
		fputs("usage: " PROG "\n", stderr);
		return 2;
	}
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		hio_fail(PROG, "clock_gettime");
	if (gmtime_r(&ts.tv_sec, &tm) == NULL)
		hio_fail(PROG, "gmtime");
	len = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ\n", &tm);
	/* strftime does not set errno; 0 only means the buffer was short. */
	if (len == 0) {
		errno = EOVERFLOW;
		hio_fail(PROG, "strftime");
	}
	if (hio_write_all(STDOUT_FILENO, line, len) == -1)
		hio_fail(PROG, "write");
	return 0;
}
