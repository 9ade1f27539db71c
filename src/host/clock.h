/* Monotonic time in milliseconds, for deadlines and durations. */
#ifndef SUPERD_CLOCK_H
#define SUPERD_CLOCK_H

long long clock_ms(void);

/* The same clock in nanoseconds, for short intervals (accept to exec). */
long long clock_ns(void);

#endif
