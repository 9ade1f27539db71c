/* Unix socket files: the file a unix listener binds, made with the
 * service's mode and owner, a stale one replaced only when nothing answers
 * on it, and removed only while it is still the file superd made. */
#ifndef SUPERD_SOCKFILE_H
#define SUPERD_SOCKFILE_H

#include <stdbool.h>

#include "service.h"

/* Which file superd made: removing or changing another (put there since)
 * would be wrong. */
struct sockfile {
	unsigned long dev, ino;
};

/*
 * Binds fd (AF_UNIX, of svc's socket type) to path.  A file already at
 * path is removed first if it is a socket nothing answers on; anything
 * else there is left alone.  The new file is born with svc's socket_mode
 * (the umask is set around bind, so it never has more) and then given to
 * socket_user and socket_group.  Returns 0 with the file's identity in
 * *f, or -1 with errno set; *why is then a fixed reason for the log when
 * errno alone would mislead, else NULL.
 */
int sockfile_bind(int fd, const struct service *svc, const char *path,
    struct sockfile *f, const char **why);

/* Gives the file at path, if it is still f, svc's socket_mode, user and
 * group again (a reload that kept the socket).  0, or -1 with errno. */
int sockfile_perms(const struct service *svc, const char *path,
    const struct sockfile *f);

/* Removes the file at path if it is still f.  0, or -1 with errno. */
int sockfile_remove(const char *path, const struct sockfile *f);

#endif
