/* Unix socket files (see sockfile.h).  As root, config_check_privileges
 * has made sure that nobody else can write the directory, so the file
 * checked here is the file bound and changed here. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sockfile.h"

/* Whether something answers on the socket file at path: only a refused
 * connection says nothing does.  A listener that is busy (EAGAIN), of
 * another type (EPROTOTYPE) or out of our reach (EACCES) counts as
 * there. */
static bool
sockfile_answers(const char *path, int type)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc, err;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return true;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	err = errno;
	(void)close(fd);
	return !(rc == -1 && (err == ECONNREFUSED || err == ENOENT));
}

/* Makes room at path: nothing there, or a stale socket removed. */
static int
sockfile_clear(const char *path, int type, const char **why)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		*why = "a file that is not a socket is in the way";
		errno = EEXIST;
		return -1;
	}
	if (sockfile_answers(path, type)) {
		*why = "something answers on this socket already";
		errno = EADDRINUSE;
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

static int
sockfile_identify(const char *path, struct sockfile *f)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return -1;
	f->dev = (unsigned long)st.st_dev;
	f->ino = (unsigned long)st.st_ino;
	return 0;
}

/* Whether path is still the file f. */
static bool
sockfile_same(const char *path, const struct sockfile *f)
{
	struct sockfile now;

	return sockfile_identify(path, &now) == 0 && now.dev == f->dev &&
	    now.ino == f->ino;
}

static int
sockfile_chown(const struct service *svc, const char *path)
{
	if (!svc->socket_uid_set && !svc->socket_gid_set)
		return 0;
	return lchown(path, svc->socket_uid_set ? svc->socket_uid : (uid_t)-1,
	    svc->socket_gid_set ? svc->socket_gid : (gid_t)-1);
}

int
sockfile_bind(int fd, const struct service *svc, const char *path,
    struct sockfile *f, const char **why)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	int rc, saved;

	*why = NULL;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (sockfile_clear(path, svc->sock_type, why) == -1)
		return -1;
	/* bind makes the file 0777 less the umask: exactly socket_mode. */
	old = umask((mode_t)(~svc->socket_mode & 0777));
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	saved = errno;
	umask(old);
	errno = saved;
	if (rc == -1)
		return -1;
	if (sockfile_identify(path, f) == -1 || sockfile_chown(svc, path) == -1)
		goto fail;
	return 0;
fail:
	saved = errno;
	(void)unlink(path);
	errno = saved;
	return -1;
}

int
sockfile_perms(const struct service *svc, const char *path,
    const struct sockfile *f)
{
	if (!sockfile_same(path, f))
		return 0;
	if (fchmodat(AT_FDCWD, path, svc->socket_mode, 0) == -1)
		return -1;
	return sockfile_chown(svc, path);
}

int
sockfile_remove(const char *path, const struct sockfile *f)
{
	if (!sockfile_same(path, f))
		return 0;
	return unlink(path);
}
