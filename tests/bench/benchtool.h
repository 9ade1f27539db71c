/* What every benchmark tool needs: a microsecond clock and an exit that
 * names the tool, the call and the error.  Header-only, so each tool
 * stays one file to build. */
#ifndef SUPERD_BENCHTOOL_H
#define SUPERD_BENCHTOOL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Exit status 2 tells tests/bench/run the tool failed, not the server. */
static inline _Noreturn void
die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
	    strerror(errno));
	exit(2);
}

#endif
