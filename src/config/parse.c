/* Checked number parsing: strtoul with an end pointer, errno and a range,
 * plus a leading-digit check because strtoul accepts signs and spaces. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

/* Parses the leading digits of s; *end is left after them. */
static int
parse_digits(const char *s, unsigned long *out, const char **end)
{
	char *e;
	unsigned long v;

	if (*s < '0' || *s > '9') {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoul(s, &e, 10);
	if (errno == ERANGE)
		return -1;
	*out = v;
	*end = e;
	return 0;
}

int
parse_ulong(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	unsigned long v;
	const char *end;

	if (parse_digits(s, &v, &end) == -1)
		return -1;
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int
parse_long(const char *s, long min, long max, long *out)
{
	unsigned long mag;
	const char *end;
	bool neg = *s == '-';
	long v;

	if (*s == '-' || *s == '+')
		s++;
	if (parse_digits(s, &mag, &end) == -1)
		return -1;
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	/* Beyond LONG_MAX either way is out of any range we are given. */
	if (mag > (unsigned long)LONG_MAX) {
		errno = ERANGE;
		return -1;
	}
	v = neg ? -(long)mag : (long)mag;
	if (v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int
parse_octal(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (*s == '\0') {
		errno = EINVAL;
		return -1;
	}
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '7') {
			errno = EINVAL;
			return -1;
		}
		/* Checked per digit, so no overflow can hide a large value. */
		v = v * 8 + (unsigned long)(*s - '0');
		if (v > max) {
			errno = ERANGE;
			return -1;
		}
	}
	*out = v;
	return 0;
}

int
parse_size(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	static const char units[] = "KMGT";
	unsigned long v, mult = 1;
	const char *unit, *u;
	size_t n;

	if (parse_digits(s, &v, &unit) == -1)
		return -1;
	if (*unit != '\0') {
		if (unit[1] != '\0' || (u = strchr(units, *unit)) == NULL) {
			errno = EINVAL;
			return -1;
		}
		/* A loop, not a shift: T does not fit a 32-bit long. */
		for (n = (size_t)(u - units) + 1; n > 0; n--) {
			if (mult > ULONG_MAX / 1024) {
				errno = ERANGE;
				return -1;
			}
			mult *= 1024;
		}
	}
	if (v > ULONG_MAX / mult || v * mult < min || v * mult > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v * mult;
	return 0;
}

static const struct {
	const char *name;
	unsigned long ms;
} duration_units[] = {
	{ "ms", 1 },
	{ "s", 1000 },
	{ "m", 60 * 1000 },
	{ "h", 60 * 60 * 1000 },
};

int
parse_duration(const char *s, unsigned long max_ms, unsigned long *out)
{
	unsigned long v;
	const char *unit;
	size_t i;

	if (parse_digits(s, &v, &unit) == -1)
		return -1;
	if (*unit == '\0' && v == 0) {
		*out = 0;
		return 0;
	}
	for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]);
	     i++) {
		if (strcmp(unit, duration_units[i].name) != 0)
			continue;
		if (v > max_ms / duration_units[i].ms) {
			errno = ERANGE;
			return -1;
		}
		*out = v * duration_units[i].ms;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

int
parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}

int
parse_rate(const char *s, unsigned long max_n, struct rate *out)
{
	char buf[64], *slash, *per;
	unsigned long n, ms;

	if (strcmp(s, "0") == 0) {
		out->n = out->per_ms = 0;
		return 0;
	}
	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf) ||
	    (slash = strchr(buf, '/')) == NULL) {
		errno = EINVAL;
		return -1;
	}
	*slash = '\0';
	per = slash + 1;
	if (parse_ulong(buf, 1, max_n, &n) == -1)
		return -1;
	/* "50/s" reads as "50/1s". */
	if (*per >= 'a' && *per <= 'z') {
		per = slash;
		*per = '1';
	}
	if (parse_duration(per, 60UL * 60 * 1000, &ms) == -1)
		return -1;
	if (ms == 0) {
		errno = ERANGE;
		return -1;
	}
	out->n = n;
	out->per_ms = ms;
	return 0;
}

int
parse_text(const char *s, char *out, size_t outlen, size_t *len)
{
	size_t n = 0;
	char c;

	for (; *s != '\0'; s++) {
		c = *s;
		if (c == '\\') {
			switch (*++s) {
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case '\\':
				c = '\\';
				break;
			default:
				errno = EINVAL;
				return -1;
			}
		}
		if (n + 1 >= outlen) {
			errno = ERANGE;
			return -1;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	*len = n;
	return 0;
}
