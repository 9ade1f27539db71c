/* stamp: the benchmark's latency handler.  Its first act is to read
 * CLOCK_MONOTONIC and write it to the client in microseconds ("N\n"), then
 * it exits: loadgen -L subtracts the time it called connect, which gives
 * the time from a connection to its handler's first instruction (accept,
 * spawn, exec and the start of the process).  Linked statically like
 * static_echo, so no dynamic loader runs before main. */
#include <time.h>
#include <unistd.h>

int
main(void)
{
	struct timespec ts;
	char buf[24], *p = buf + sizeof(buf);
	unsigned long long us;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 1;
	us = (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000;
	*--p = '\n';
	do
		*--p = (char)('0' + us % 10);
	while ((us /= 10) > 0);
	return write(STDOUT_FILENO, p, (size_t)(buf + sizeof(buf) - p)) ==
	        buf + sizeof(buf) - p
	    ? 0
	    : 1;
}
