/* Resolving exec's program: shipped handlers from superd's own directory,
 * explicit paths as given, other names through PATH, checked to exist and
 * to be executable so a typo fails at load, not at the first connection. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "program.h"
#include "service.h"

static const char *const shipped_handlers[] = { "echo", "upper", "time",
	"chat" };

bool
program_is_shipped(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(shipped_handlers) / sizeof(shipped_handlers[0]);
	     i++)
		if (strcmp(name, shipped_handlers[i]) == 0)
			return true;
	return false;
}

/* 0 if path is an executable regular file, else -1 with errno set
 * (EACCES for a file that is there but not executable). */
static int
program_check(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EACCES;
		return -1;
	}
	return access(path, X_OK);
}

static const char *
program_reason(int err)
{
	switch (err) {
	case EACCES:
		return "not an executable file";
	case EISDIR:
		return "is a directory";
	default:
		return strerror(err);
	}
}

/* Tries dir/word; returns a malloc'd path or NULL (errno from the check). */
static char *
program_try(const char *dir, size_t dirlen, const char *word)
{
	char buf[PATH_MAX];
	int n;

	n = snprintf(buf, sizeof(buf), "%.*s/%s", (int)dirlen, dir, word);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (program_check(buf) == -1)
		return NULL;
	return strdup(buf);
}

static char *
program_from_path(const char *word, const char *path)
{
	const char *p = path, *colon;
	char *found;
	int firsterr = ENOENT;

	for (;;) {
		colon = strchr(p, ':');
		if (colon == NULL)
			colon = p + strlen(p);
		/* An empty PATH entry means the current directory. */
		found = colon == p ? program_try(".", 1, word)
		                   : program_try(p, (size_t)(colon - p), word);
		if (found != NULL)
			return found;
		if (errno != ENOENT && firsterr == ENOENT)
			firsterr = errno;
		if (*colon == '\0')
			break;
		p = colon + 1;
	}
	errno = firsterr;
	return NULL;
}

static char *
program_absolute(const char *word)
{
	char cwd[PATH_MAX];

	if (word[0] == '/')
		return program_try("", 0, word + 1);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	return program_try(cwd, strlen(cwd), word);
}

static void
program_not_shipped(const char *word, const char *const *handler_dirs,
    char *why, size_t whylen)
{
	size_t i, len;
	int n;

	n = snprintf(why, whylen,
	    "shipped handler \"%s\" not found in superd's handler directories"
	    " (",
	    word);
	for (i = 0; handler_dirs != NULL && handler_dirs[i] != NULL; i++) {
		len = strlen(why);
		n = snprintf(why + len, whylen - len, "%s%s", i ? ", " : "",
		    handler_dirs[i]);
		if (n < 0 || (size_t)n >= whylen - len)
			return;
	}
	len = strlen(why);
	snprintf(why + len, whylen - len, ")");
}

char *
program_resolve(const char *word, const char *const *handler_dirs, char *why,
    size_t whylen)
{
	const char *path;
	char *found;
	size_t i;

	if (strchr(word, '/') != NULL) {
		if ((found = program_absolute(word)) == NULL)
			snprintf(why, whylen, "\"%s\": %s", word,
			    program_reason(errno));
		return found;
	}
	if (program_is_shipped(word)) {
		for (i = 0; handler_dirs != NULL && handler_dirs[i] != NULL;
		     i++) {
			found = program_try(handler_dirs[i],
			    strlen(handler_dirs[i]), word);
			if (found != NULL)
				return found;
		}
		program_not_shipped(word, handler_dirs, why, whylen);
		return NULL;
	}
	if ((path = getenv("PATH")) == NULL || *path == '\0')
		path = SERVICE_PATH_DEFAULT;
	if ((found = program_from_path(word, path)) == NULL)
		snprintf(why, whylen, "\"%s\": %s in PATH", word,
		    errno == ENOENT ? "not found" : program_reason(errno));
	return found;
}

unsigned
program_inspect(const char *path, mode_t *mode)
{
	unsigned char head[4] = { 0 };
	unsigned flags = 0;
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return 0;
	}
	n = read(fd, head, sizeof(head));
	close(fd);
	*mode = st.st_mode;
	if (st.st_mode & (S_ISUID | S_ISGID))
		flags |= PROGRAM_SETID;
	/* The two formats the kernel runs here; a script without "#!" is
	 * refused by execve (a shell would guess, superd does not). */
	if (n >= 0 && memcmp(head, "#!", 2) != 0 &&
	    memcmp(head, "\177ELF", 4) != 0)
		flags |= PROGRAM_NO_MAGIC;
	return flags;
}
