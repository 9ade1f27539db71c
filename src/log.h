/* Logging: one event per line on stderr, prefixed "superd: ".  The OpenBSD
 * daemon vocabulary: log_warn appends strerror(errno), log_warnx does not. */
#ifndef SUPERD_LOG_H
#define SUPERD_LOG_H

#define LOG_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* verbose > 0 enables log_debug. */
void log_init(int verbose);
int log_verbose(void);

void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);

#endif
