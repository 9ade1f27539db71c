/* websocket_static: a plain GET (or HEAD) answered with one file from a
 * directory, read-only: no listing, no "..", no dot files, no symlinks,
 * nothing outside the directory. */
#ifndef SUPERD_WSSTATIC_H
#define SUPERD_WSSTATIC_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The file name a request path asks for, relative to the directory, into
 * out: percent-decoded, "index.html" for a path ending in '/'.  Returns 0,
 * or -1 if the path is not one to serve (a segment "." or ".." or starting
 * with '.', a NUL, a backslash, bad escapes, too long).  Pure.
 */
int wsstatic_name(const char *path, size_t len, char *out, size_t outlen);

/* The Content-Type for a file name, by its extension. */
const char *wsstatic_type(const char *name);

/*
 * Answers the request for path (len bytes) on fd from dir: 200 with the
 * file (its body only if head is false), 404 if there is none to serve,
 * 500 if it cannot be read.  Returns the status sent, or -1 if writing
 * to fd failed.
 */
int wsstatic_serve(int fd, const char *dir, const char *path, size_t len,
    bool head);

#endif
