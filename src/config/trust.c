/* Whether root may trust a file and the directories on the way to it: the
 * one rule behind config_check_privileges, for the config file, each
 * handler program and the directory of each unix socket. */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trust.h"

/* What lets someone but root change a file or a directory, with the fix
 * for a file; a directory needs another home rather than a chmod, since
 * /tmp itself must stay writable by all. */
enum trust_flaw {
	TRUST_OK,
	TRUST_OTHERS,
	TRUST_GROUP,
	TRUST_OWNER,
};

static enum trust_flaw
trust_flaw(uid_t uid, gid_t gid, mode_t mode)
{
	if (mode & S_IWOTH)
		return TRUST_OTHERS;
	if ((mode & S_IWGRP) && gid != 0)
		return TRUST_GROUP;
	if (uid != 0)
		return TRUST_OWNER;
	return TRUST_OK;
}

/* "writable by every user (mode 0777" without the closing parenthesis:
 * the caller adds the fix. */
static void
trust_describe(enum trust_flaw flaw, uid_t uid, gid_t gid, mode_t mode,
    char *why, size_t whylen)
{
	unsigned perm = (unsigned)(mode & 07777);

	if (flaw == TRUST_OTHERS)
		snprintf(why, whylen, "writable by every user (mode %04o",
		    perm);
	else if (flaw == TRUST_GROUP)
		snprintf(why, whylen, "writable by group %u (mode %04o",
		    (unsigned)gid, perm);
	else
		snprintf(why, whylen, "owned by uid %u, not root (mode %04o",
		    (unsigned)uid, perm);
}

bool
trust_file(uid_t uid, gid_t gid, mode_t mode, char *why, size_t whylen)
{
	enum trust_flaw flaw = trust_flaw(uid, gid, mode);

	if (flaw == TRUST_OK)
		return true;
	if (flaw == TRUST_OTHERS)
		snprintf(why, whylen,
		    "writable by every user (mode %04o; chmod o-w)",
		    (unsigned)(mode & 07777));
	else if (flaw == TRUST_GROUP)
		snprintf(why, whylen,
		    "writable by group %u (mode %04o; chmod g-w, or chgrp "
		    "root)",
		    (unsigned)gid, (unsigned)(mode & 07777));
	else
		snprintf(why, whylen, "owned by uid %u, not root (chown root)",
		    (unsigned)uid);
	return false;
}

bool
trust_secret(gid_t gid, mode_t mode, char *why, size_t whylen)
{
	if (mode & S_IROTH) {
		snprintf(why, whylen,
		    "readable by every user (mode %04o; chmod o-r)",
		    (unsigned)(mode & 07777));
		return false;
	}
	if ((mode & S_IRGRP) && gid != 0) {
		snprintf(why, whylen,
		    "readable by group %u (mode %04o; chmod g-r, or chgrp "
		    "root)",
		    (unsigned)gid, (unsigned)(mode & 07777));
		return false;
	}
	return true;
}

/* Checks the directory dir (a prefix of path, the path stat follows) on
 * the way to path. */
static int
trust_dir(const char *dir, const char *path, char *why, size_t whylen)
{
	char what[128];
	enum trust_flaw flaw;
	struct stat st;

	if (stat(dir, &st) == -1) {
		snprintf(why, whylen, "%s cannot be resolved: %s", dir,
		    strerror(errno));
		return -1;
	}
	flaw = trust_flaw(st.st_uid, st.st_gid, st.st_mode);
	if (flaw == TRUST_OK)
		return 0;
	trust_describe(flaw, st.st_uid, st.st_gid, st.st_mode, what,
	    sizeof(what));
	snprintf(why, whylen,
	    "the directory %s above %s is %s; move it where only root can "
	    "write every directory on the way)",
	    dir, path, what);
	return -1;
}

/* Every directory of the absolute path, from "/" down to its parent. */
static int
trust_walk(const char *path, char *why, size_t whylen)
{
	char dir[PATH_MAX];
	const char *slash;
	size_t len;

	if (trust_dir("/", path, why, whylen) == -1)
		return -1;
	for (slash = strchr(path + 1, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		len = (size_t)(slash - path);
		/* "//": the same directory again. */
		if (slash[-1] == '/')
			continue;
		memcpy(dir, path, len);
		dir[len] = '\0';
		if (trust_dir(dir, path, why, whylen) == -1)
			return -1;
	}
	return 0;
}

int
trust_dirs(const char *path, char *why, size_t whylen)
{
	char abs[PATH_MAX], real[PATH_MAX], cwd[PATH_MAX];
	int n;

	if (path[0] == '/') {
		n = snprintf(abs, sizeof(abs), "%s", path);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL) {
			snprintf(why, whylen, "%s cannot be resolved: %s", path,
			    strerror(errno));
			return -1;
		}
		n = snprintf(abs, sizeof(abs), "%s/%s", cwd, path);
	}
	if (n < 0 || (size_t)n >= sizeof(abs)) {
		snprintf(why, whylen, "%s cannot be resolved: %s", path,
		    strerror(ENAMETOOLONG));
		return -1;
	}
	if (trust_walk(abs, why, whylen) == -1)
		return -1;
	if (realpath(abs, real) == NULL) {
		snprintf(why, whylen, "%s cannot be resolved: %s", path,
		    strerror(errno));
		return -1;
	}
	return strcmp(real, abs) == 0 ? 0 : trust_walk(real, why, whylen);
}

int
trust_dirs_new(const char *path, char *why, size_t whylen)
{
	char dir[PATH_MAX], real[PATH_MAX], again[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t len;
	int n;

	if (path[0] != '/' || slash == NULL ||
	    (len = (size_t)(slash - path)) >= sizeof(dir)) {
		snprintf(why, whylen, "%s cannot be resolved: %s", path,
		    strerror(EINVAL));
		return -1;
	}
	if (trust_walk(path, why, whylen) == -1)
		return -1;
	memcpy(dir, path, len);
	dir[len] = '\0';
	if (realpath(len ? dir : "/", real) == NULL) {
		snprintf(why, whylen, "%s cannot be resolved: %s",
		    len ? dir : "/", strerror(errno));
		return -1;
	}
	if (strcmp(real, len ? dir : "/") == 0)
		return 0;
	n = snprintf(again, sizeof(again), "%s/%s",
	    strcmp(real, "/") == 0 ? "" : real, slash + 1);
	if (n < 0 || (size_t)n >= sizeof(again)) {
		snprintf(why, whylen, "%s cannot be resolved: %s", path,
		    strerror(ENAMETOOLONG));
		return -1;
	}
	return trust_walk(again, why, whylen);
}
