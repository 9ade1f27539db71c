/* time: tell the client the current time as the RFC 868 Time Protocol
 * answer (4 bytes, big-endian seconds since 1900-01-01 UTC), then exit:
 * what rdate(8) expects on port 37.  On a datagram socket (a dgram
 * service) it answers every datagram so, as RFC 868 over UDP says, until
 * a few idle seconds pass. */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "hdgram.h"
#include "hio.h"

#define PROG "time"
/* Seconds from 1900-01-01 (RFC 868's epoch) to 1970-01-01 (Unix's). */
#define RFC868_OFFSET UINT64_C(2208988800)

/* The answer into out; -1 if the clock cannot be read. */
static int
time_rfc868(unsigned char out[4])
{
	struct timespec ts;
	uint32_t secs;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return -1;
	/* The protocol's 32-bit count wraps in 2036: modulo 2^32 by design. */
	secs = (uint32_t)((uint64_t)ts.tv_sec + RFC868_OFFSET);
	out[0] = (unsigned char)(secs >> 24);
	out[1] = (unsigned char)(secs >> 16);
	out[2] = (unsigned char)(secs >> 8);
	out[3] = (unsigned char)secs;
	return 0;
}

/* Any datagram, whatever it holds, gets the answer. */
static ssize_t
time_datagram(unsigned char *buf, size_t n, size_t cap)
{
	(void)n;
	if (cap < 4 || time_rfc868(buf) == -1)
		return -1;
	return 4;
}

int
main(int argc, char *argv[])
{
	unsigned char out[4];

	(void)argv;
	if (argc != 1) {
		fputs("usage: " PROG "\n", stderr);
		return 2;
	}
	if (hdgram_is(STDIN_FILENO))
		return hdgram_serve(PROG, time_datagram);
	if (time_rfc868(out) == -1)
		hio_fail(PROG, "clock_gettime");
	if (hio_write_all(STDOUT_FILENO, out, sizeof(out)) == -1)
		hio_fail(PROG, "write");
	return 0;
}
