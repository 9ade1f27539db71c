/* Checked conversions of configuration text into numbers, durations and
 * booleans.  Each returns 0, or -1 with errno EINVAL (not of the form) or
 * ERANGE (of the form, but outside [min, max]); *out is untouched then. */
#ifndef SUPERD_PARSE_H
#define SUPERD_PARSE_H

#include <stdbool.h>

/* A plain decimal number: digits only, no sign, no spaces. */
int parse_ulong(const char *s, unsigned long min, unsigned long max,
    unsigned long *out);

/* A duration with a unit: "250ms", "10s", "5m", "1h"; "0" alone is allowed.
 * The result is in milliseconds and must not exceed max_ms. */
int parse_duration(const char *s, unsigned long max_ms, unsigned long *out);

/* yes/no, true/false, on/off, 1/0, in any case. */
int parse_bool(const char *s, bool *out);

#endif
