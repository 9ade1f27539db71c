/* Whether root may trust a file: nobody but root may be able to change
 * it, nor to rename it away and put another in its place, so every
 * directory on the way to it counts as much as the file itself (as
 * OpenSSH's StrictModes does for key files). */
#ifndef SUPERD_TRUST_H
#define SUPERD_TRUST_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether a file with this owner, group and mode is root's alone: owned by
 * root, not writable by others, nor by a group other than root (group 0
 * holds only root, normally).  Returns false with the reason and its fix
 * in why, e.g. "writable by every user (mode 0666; chmod o-w)".
 */
bool trust_file(uid_t uid, gid_t gid, mode_t mode, char *why, size_t whylen);

/*
 * Whether a secret (a TLS private key) with this group and mode is
 * unreadable by others: not by every user, nor by a group other than
 * root.  Returns false with the reason and its fix in why, e.g.
 * "readable by every user (mode 0644; chmod o-r)".
 */
bool trust_secret(gid_t gid, mode_t mode, char *why, size_t whylen);

/*
 * Checks every directory on the way to path by the same rule: those of
 * path as written (made absolute against the current directory), each as
 * it resolves, and those of its realpath, so that a symlink placed in an
 * unsafe directory, or pointing into one, is caught.  The file itself is
 * not checked.
 *
 * Returns 0, or -1 with the reason in why: "the directory D above P is
 * writable by every user (mode 1777; ...)", or "P cannot be resolved: ..."
 * when a directory cannot be examined.
 */
int trust_dirs(const char *path, char *why, size_t whylen);

/*
 * The same for a file that superd itself will create (a unix socket):
 * the directories of the absolute path as written, and those of the
 * realpath of its directory (the file need not exist yet).  Returns 0, or
 * -1 with the reason in why, as trust_dirs.
 */
int trust_dirs_new(const char *path, char *why, size_t whylen);

#endif
