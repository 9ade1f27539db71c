/* Splitting an `exec` value into an argument vector with shell-like quoting
 * but no shell: words split on blanks; '…' is literal; "…" is literal but
 * for \" and \\; outside quotes a backslash takes the next byte literally.
 * Nothing is expanded: $, *, ~, | and friends are ordinary bytes. */
#ifndef SUPERD_ARGV_H
#define SUPERD_ARGV_H

#include <stddef.h>

/* On success *argvp is a NULL-terminated vector in one allocation (release
 * it with one free()) holding at least one word, and 0 is returned.  On
 * failure returns -1 and writes the reason to err: unterminated quote,
 * trailing backslash, no words; or errno ENOMEM. */
int argv_split(const char *s, char ***argvp, char *err, size_t errlen);

#endif
