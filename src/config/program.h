/* Finding the program an `exec` names, once, at load time. */
#ifndef SUPERD_PROGRAM_H
#define SUPERD_PROGRAM_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

/* True if name is one of the handlers shipped with superd. */
bool program_is_shipped(const char *name);

/*
 * If argv[0] names a shipped handler, checks that the rest of argv is
 * an argument list it accepts (echo and upper take none, time takes
 * --rfc868, chat --room NAME).  Returns 0, or -1 with what it takes and
 * what it got in why.  Other programs' arguments are theirs to judge.
 */
int program_check_args(char *const *argv, char *why, size_t whylen);

/*
 * Resolves word (exec's first word) to an absolute path of an executable
 * regular file:
 *   - a word with a '/' is that path (relative to the current directory);
 *   - a shipped handler's bare name is looked up in handler_dirs only, so
 *     `echo` never becomes /bin/echo;
 *   - any other bare name is looked up in $PATH.
 * Returns a malloc'd path, or NULL with the reason in why.
 */
char *program_resolve(const char *word, const char *const *handler_dirs,
    char *why, size_t whylen);

/* What superd -t warns about in a program: allowed, but likely wrong. */
#define PROGRAM_SETID 0x1    /* setuid or setgid: gains its file's ids */
#define PROGRAM_NO_MAGIC 0x2 /* neither "#!" nor ELF: execve says ENOEXEC */

/*
 * The PROGRAM_ flags that apply to the file at path, with its mode in
 * *mode.  Returns 0 also when the file cannot be read: loading has
 * checked what must hold.
 */
unsigned program_inspect(const char *path, mode_t *mode);

#endif
