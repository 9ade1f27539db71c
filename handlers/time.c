/* time: tell the client the current UTC time, as an RFC 3339 line or, with
 * --rfc868, as the 4-byte binary Time Protocol answer, then exit. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hio.h"

#define PROG "time"
/* Seconds from 1900-01-01 (RFC 868's epoch) to 1970-01-01 (Unix's). */
#define RFC868_OFFSET UINT64_C(2208988800)

static void
time_write_rfc3339(time_t now)
{
	struct tm tm;
	char line[64];
	size_t len;

	if (gmtime_r(&now, &tm) == NULL)
		hio_fail(PROG, "gmtime");
	len = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ\n", &tm);
	/* strftime does not set errno; 0 only means the buffer was short. */
	if (len == 0) {
		errno = EOVERFLOW;
		hio_fail(PROG, "strftime");
	}
	if (hio_write_all(STDOUT_FILENO, line, len) == -1)
		hio_fail(PROG, "write");
}

static void
time_write_rfc868(time_t now)
{
	/* The protocol's 32-bit count wraps in 2036: modulo 2^32 by design. */
	uint32_t secs = (uint32_t)((uint64_t)now + RFC868_OFFSET);
	unsigned char out[4];

	out[0] = (unsigned char)(secs >> 24);
	out[1] = (unsigned char)(secs >> 16);
	out[2] = (unsigned char)(secs >> 8);
	out[3] = (unsigned char)secs;
	if (hio_write_all(STDOUT_FILENO, out, sizeof(out)) == -1)
		hio_fail(PROG, "write");
}

int
main(int argc, char *argv[])
{
	struct timespec ts;
	int rfc868 = 0;

	if (argc == 2 && strcmp(argv[1], "--rfc868") == 0) {
		rfc868 = 1;
	} else if (argc != 1) {
		fputs("usage: " PROG " [--rfc868]\n", stderr);
		return 2;
	}
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		hio_fail(PROG, "clock_gettime");
	if (rfc868)
		time_write_rfc868(ts.tv_sec);
	else
		time_write_rfc3339(ts.tv_sec);
	return 0;
}
