/* Checked conversions of configuration text into numbers, durations and
 * booleans.  Each returns 0, or -1 with errno EINVAL (not of the form) or
 * ERANGE (of the form, but outside [min, max]); *out is untouched then. */
#ifndef SUPERD_PARSE_H
#define SUPERD_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* A plain decimal number: digits only, no sign, no spaces. */
int parse_ulong(const char *s, unsigned long min, unsigned long max,
    unsigned long *out);

/* A decimal number with an optional sign ("-5", "+5", "5"). */
int parse_long(const char *s, long min, long max, long *out);

/* Octal digits only ("022", "0755"), at most max. */
int parse_octal(const char *s, unsigned long max, unsigned long *out);

/* A size in bytes: a number with an optional unit K, M, G or T (powers of
 * 1024): "4096", "64K", "512M".  The result must lie in [min, max]. */
int parse_size(const char *s, unsigned long min, unsigned long max,
    unsigned long *out);

/* A duration with a unit: "250ms", "10s", "5m", "1h"; "0" alone is allowed.
 * The result is in milliseconds and must not exceed max_ms. */
int parse_duration(const char *s, unsigned long max_ms, unsigned long *out);

/* A rate: n events per per_ms milliseconds; n == 0 means off. */
struct rate {
	unsigned long n;
	unsigned long per_ms;
};

/* "N/DURATION" ("50/1s", "600/1m") or "N/UNIT" ("50/s"); N is 1 to
 * max_n, the duration 1ms to 1h.  "0" alone turns the rate off. */
int parse_rate(const char *s, unsigned long max_n, struct rate *out);

/* Text with the escapes \n, \r, \t and \\ (a backslash before anything
 * else is an error), written to out (NUL-terminated, at most outlen - 1
 * bytes).  *len gets the byte count. */
int parse_text(const char *s, char *out, size_t outlen, size_t *len);

/* yes/no, true/false, on/off, 1/0, in any case. */
int parse_bool(const char *s, bool *out);

#endif
