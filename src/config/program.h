/* Finding the program an `exec` names, once, at load time. */
#ifndef SUPERD_PROGRAM_H
#define SUPERD_PROGRAM_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

/* True if name is one of the handlers shipped with superd. */
bool program_is_shipped(const char *name);

/* The i-th shipped handler's name, in the order the docs list them; NULL
 * past the last (for the docs test). */
const char *program_shipped_at(size_t i);

/*
 * If argv[0] names a shipped handler, checks that the rest of argv is
 * an argument list it accepts (echo, upper, daytime and time take none,
 * chat --room NAME).  Returns 0, or -1 with what it takes and
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

/*
 * superd's own helper program word (superd-ws, the WebSocket relay), or a
 * shipped handler: the first executable dir/word of handler_dirs.
 * Returns a malloc'd path, or NULL with the reason in why.
 */
char *program_helper(const char *word, const char *const *handler_dirs,
    char *why, size_t whylen);

/*
 * A shipped data directory (the chat's page, "chat"): share/superd/name
 * beside the handler directories (PREFIX/share/superd for an installed
 * PREFIX/libexec/superd, build/share/superd for build/handlers).  Returns
 * a malloc'd real path, or NULL with the reason in why.
 */
char *program_data_dir(const char *name, const char *const *handler_dirs,
    char *why, size_t whylen);

/* The longest #! interpreter name superd reports. */
#define PROGRAM_INTERP_MAX 128

/*
 * If head[0..n) starts with "#!", copies the interpreter's name (as the
 * kernel reads it, a trailing '\r' included) to interp (len bytes with
 * its NUL) and returns its length; otherwise, or if it does not fit,
 * returns 0.  Pure, so the child can call it after a failed execve.
 */
size_t program_hashbang(const char *head, size_t n, char *interp, size_t len);

/* "interpreter NAME (from #!) not found", with a word on a '\r' at its
 * end, into buf. */
void program_interpreter_text(const char *interp, char *buf, size_t len);

/*
 * If path is a script whose absolute #! interpreter does not exist,
 * returns -1 with "\"path\": interpreter ... not found" in why: every
 * execve of it would fail with ENOENT, as if the script were missing.
 * Returns 0 otherwise, and when path cannot be read.
 */
int program_check_interpreter(const char *path, char *why, size_t whylen);

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
