/* Monotonic time in milliseconds, for deadlines and durations. */
#ifndef SUPERD_CLOCK_H
#define SUPERD_CLOCK_H

long long clock_ms(void);

#endif
