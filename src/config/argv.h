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

/* Splits s as argv_split does and appends its words to *argvp, a vector
 * from argv_split or argv_append, which is replaced by a new one in one
 * allocation (the old one is freed).  Returns 0, or -1 with the reason in
 * err (argv_split's, or errno ENOMEM) and *argvp unchanged. */
int argv_append(char ***argvp, const char *s, char *err, size_t errlen);

/* The offset in s of the first word that starts with an unquoted,
 * unescaped '#', which a reader may take for a comment (superd passes it
 * on as an argument), or -1 if there is none or s does not split. */
long argv_comment(const char *s);

#endif
