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

/* The handlers shipped with superd, and the argument lists each accepts,
 * so that arguments a handler would not take are refused at load instead
 * of being dropped or failing at every connection.  A form is a list of
 * words, "*" standing for any one word; "" is no arguments. */
static const struct shipped {
	const char *name;
	const char *takes; /* the forms, for messages */
	const char *forms[2];
} shipped_handlers[] = {
	{ "echo", "no arguments", { "" } },
	{ "upper", "no arguments", { "" } },
	{ "daytime", "no arguments", { "" } },
	{ "time", "no arguments", { "" } },
	{ "chat", "no arguments or --room NAME", { "", "--room *" } },
};

#define SHIPPED_N (sizeof(shipped_handlers) / sizeof(shipped_handlers[0]))

static const struct shipped *
program_shipped(const char *name)
{
	size_t i;

	for (i = 0; i < SHIPPED_N; i++)
		if (strcmp(name, shipped_handlers[i].name) == 0)
			return &shipped_handlers[i];
	return NULL;
}

bool
program_is_shipped(const char *name)
{
	return program_shipped(name) != NULL;
}

/* Whether args (NULL-terminated) are the blank-separated words of form. */
static bool
program_form_matches(const char *form, char *const *args)
{
	const char *p = form;
	size_t len;

	for (; *args != NULL; args++) {
		p += strspn(p, " ");
		len = strcspn(p, " ");
		if (len == 0)
			return false;
		if (!(len == 1 && *p == '*') &&
		    (strlen(*args) != len || strncmp(*args, p, len) != 0))
			return false;
		p += len;
	}
	return p[strspn(p, " ")] == '\0';
}

int
program_check_args(char *const *argv, char *why, size_t whylen)
{
	const struct shipped *sh = program_shipped(argv[0]);
	size_t i, used;
	int n;

	if (sh == NULL)
		return 0;
	for (i = 0; i < sizeof(sh->forms) / sizeof(sh->forms[0]); i++)
		if (sh->forms[i] != NULL &&
		    program_form_matches(sh->forms[i], argv + 1))
			return 0;
	n = snprintf(why, whylen, "the shipped handler %s takes %s (got \"",
	    sh->name, sh->takes);
	used = n > 0 ? (size_t)n : 0;
	for (i = 1; argv[i] != NULL && used < whylen; i++) {
		n = snprintf(why + used, whylen - used, "%s%s",
		    i > 1 ? " " : "", argv[i]);
		used += n > 0 ? (size_t)n : 0;
	}
	if (used < whylen)
		snprintf(why + used, whylen - used, "\")");
	errno = EINVAL;
	return -1;
}

const char *
program_shipped_at(size_t i)
{
	return i < SHIPPED_N ? shipped_handlers[i].name : NULL;
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

/* A word with a '/': as written from /, else from the current directory,
 * which a message about a relative word names. */
static char *
program_absolute(const char *word, char *why, size_t whylen)
{
	char cwd[PATH_MAX];
	char *found;

	if (word[0] == '/') {
		if ((found = program_try("", 0, word + 1)) == NULL)
			snprintf(why, whylen, "\"%s\": %s", word,
			    program_reason(errno));
		return found;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		snprintf(why, whylen,
		    "\"%s\": cannot tell superd's working directory: %s", word,
		    strerror(errno));
		return NULL;
	}
	if ((found = program_try(cwd, strlen(cwd), word)) == NULL)
		snprintf(why, whylen,
		    "\"%s\" (relative to %s, superd's working directory): %s",
		    word, cwd, program_reason(errno));
	return found;
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
program_helper(const char *word, const char *const *handler_dirs, char *why,
    size_t whylen)
{
	char *found;
	size_t i;

	for (i = 0; handler_dirs != NULL && handler_dirs[i] != NULL; i++) {
		found =
		    program_try(handler_dirs[i], strlen(handler_dirs[i]), word);
		if (found != NULL)
			return found;
	}
	program_not_shipped(word, handler_dirs, why, whylen);
	return NULL;
}

/* dir/rel/name as a real path if it is a directory; else NULL. */
static char *
program_data_try(const char *dir, const char *rel, const char *name)
{
	char buf[PATH_MAX];
	struct stat st;
	int n;

	n = snprintf(buf, sizeof(buf), "%s/%s/%s", dir, rel, name);
	if (n < 0 || (size_t)n >= sizeof(buf) || stat(buf, &st) == -1 ||
	    !S_ISDIR(st.st_mode))
		return NULL;
	return realpath(buf, NULL);
}

char *
program_data_dir(const char *name, const char *const *handler_dirs, char *why,
    size_t whylen)
{
	char *found;
	size_t i;

	/* Installed, handlers live in PREFIX/libexec/superd and data in
	 * PREFIX/share/superd; in the build tree, in build/handlers and
	 * build/share/superd. */
	for (i = 0; handler_dirs != NULL && handler_dirs[i] != NULL; i++) {
		if ((found = program_data_try(handler_dirs[i],
		         "../../share/superd", name)) != NULL ||
		    (found = program_data_try(handler_dirs[i],
		         "../share/superd", name)) != NULL)
			return found;
	}
	snprintf(why, whylen,
	    "\"%s\" is not a shipped page directory (share/superd/%s beside "
	    "superd's handler directories)",
	    name, name);
	errno = ENOENT;
	return NULL;
}

char *
program_resolve(const char *word, const char *const *handler_dirs, char *why,
    size_t whylen)
{
	const char *path;
	char *found;

	if (strchr(word, '/') != NULL)
		return program_absolute(word, why, whylen);
	if (program_is_shipped(word))
		return program_helper(word, handler_dirs, why, whylen);
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

size_t
program_hashbang(const char *head, size_t n, char *interp, size_t len)
{
	size_t i = 2, start, w;

	if (n < 2 || head[0] != '#' || head[1] != '!' || len == 0)
		return 0;
	/* As the kernel reads it: blanks, then the name up to a blank or the
	 * end of the line; a '\r' is part of the name. */
	while (i < n && (head[i] == ' ' || head[i] == '\t'))
		i++;
	start = i;
	while (i < n && head[i] != ' ' && head[i] != '\t' && head[i] != '\n' &&
	    head[i] != '\0')
		i++;
	w = i - start;
	if (w == 0 || w >= len)
		return 0;
	memcpy(interp, head + start, w);
	interp[w] = '\0';
	return w;
}

void
program_interpreter_text(const char *interp, char *buf, size_t len)
{
	size_t n = strlen(interp);

	if (n > 0 && interp[n - 1] == '\r')
		snprintf(buf, len,
		    "interpreter %.*s (from #!) not found: the #! line ends "
		    "in a carriage return (DOS line endings)",
		    (int)(n - 1), interp);
	else
		snprintf(buf, len, "interpreter %s (from #!) not found",
		    interp);
}

int
program_check_interpreter(const char *path, char *why, size_t whylen)
{
	char head[PROGRAM_INTERP_MAX + 16], interp[PROGRAM_INTERP_MAX];
	ssize_t n;
	int fd;

	/* Unreadable (a script superd may not read): execve will tell. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return 0;
	n = read(fd, head, sizeof(head));
	(void)close(fd);
	/* A relative interpreter depends on the handler's workdir. */
	if (n <= 0 ||
	    program_hashbang(head, (size_t)n, interp, sizeof(interp)) == 0 ||
	    interp[0] != '/')
		return 0;
	if (program_check(interp) == 0 || errno != ENOENT)
		return 0;
	program_interpreter_text(interp, head, sizeof(head));
	snprintf(why, whylen, "\"%s\": %s", path, head);
	errno = ENOENT;
	return -1;
}
