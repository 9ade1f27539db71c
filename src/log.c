/* Logging to stderr, one event per line.  Each line is built in one buffer
 * and written with one write(2), so lines from superd and from handlers
 * sharing the same stderr do not interleave mid-line. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int log_level_debug;

void
log_init(int verbose)
{
	log_level_debug = verbose > 0;
}

int
log_verbose(void)
{
	return log_level_debug;
}

static void
log_emit(const char *fmt, va_list ap, const char *suffix)
{
	char line[1024];
	size_t len;
	int n;

	n = snprintf(line, sizeof(line), "superd: ");
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	if (suffix != NULL) {
		n = snprintf(line + len, sizeof(line) - len, ": %s", suffix);
		len += (size_t)n;
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
	}
	if (len >= sizeof(line) - 1)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	/* Nothing useful can be done if stderr is gone. */
	while (write(STDERR_FILENO, line, len) == -1 && errno == EINTR)
		;
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_level_debug)
		return;
	va_start(ap, fmt);
	log_emit(fmt, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_emit(fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(fmt, ap, NULL);
	va_end(ap);
}
