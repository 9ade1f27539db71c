/* Loading the configuration file into the data model (service.h): pure
 * data, built once by config_load and never changed afterwards.  Runtime
 * state lives in the supervisor. */
#ifndef SUPERD_CONFIG_H
#define SUPERD_CONFIG_H

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "service.h"

#define CONFIG_ERR_MAX 1024

/*
 * Reads and validates the file at path.  handler_dirs is a NULL-terminated
 * list of directories searched, in order, for the shipped handlers (echo,
 * upper, daytime, time, chat) when exec names one of them bare; other bare
 * names are looked up in PATH.
 *
 * Returns 0 and fills *cfg, or -1 and writes one line to err naming the
 * file, the line, the section and key, and what is wrong; *cfg is then
 * empty and nothing needs freeing.
 */
int config_load(const char *path, const char *const *handler_dirs,
    struct config *cfg, char *err, size_t errlen);

/* Asked now and then during a load; true abandons it. */
typedef bool config_stop_fn(void);

/* config_load that also gives up, with "stopped while loading" in err,
 * as soon as stop (if not NULL) returns true: a stop signal is honoured
 * during a long load. */
int config_load_until(const char *path, const char *const *handler_dirs,
    config_stop_fn *stop, struct config *cfg, char *err, size_t errlen);

/*
 * The rules that depend on who runs superd, kept out of config_load so a
 * file can be checked for any euid.  When euid is 0: every enabled
 * service must set `user` (`user = root` to mean it), and neither the
 * file nor an enabled service's program, nor any directory on the way to
 * either (as written and as resolved, see trust_dirs), may be writable by
 * others, by a group other than root, or owned by anyone but root.
 * Otherwise no
 * service may ask for a user or group other than euid/egid, nor set
 * supplementary_groups.
 *
 * Returns 0, or -1 with the first violation in err as one line,
 * "FILE:LINE: [service] key: what" (no line for the file itself).
 */
int config_check_privileges(const struct config *cfg, uid_t euid, gid_t egid,
    char *err, size_t errlen);

/*
 * For superd -t: calls warn(arg, line) for each enabled service's program
 * that is allowed but likely a mistake, one line in the shape of the
 * errors ("FILE:LINE: [service] exec: warning: ..."): a setuid or setgid
 * program (it gains its file's ids whatever user and group say), and one
 * that is neither an ELF binary nor a script starting with "#!" (execve
 * refuses it).
 */
void config_lint(const struct config *cfg,
    void (*warn)(void *arg, const char *line), void *arg);

/*
 * For the checks made outside this file: "FILE:LINE: [service] key: what"
 * into err, with the line where svc set key (or [defaults] did for it;
 * the service's header when neither did).  Returns -1.
 */
int config_key_error(const struct config *cfg, const struct service *svc,
    enum service_key key, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* The same with the line given: one of a repeatable key's (0: the
 * service's header). */
int config_line_error(const struct config *cfg, const struct service *svc,
    enum service_key key, int line, char *err, size_t errlen, const char *fmt,
    ...) __attribute__((format(printf, 7, 8)));

/* Releases everything config_load allocated; cfg may be zeroed. */
void config_free(struct config *cfg);

/* The index of the service called name, or -1. */
long long config_find_service(const struct config *cfg, const char *name);

/* Number of enabled services. */
size_t config_count_enabled(const struct config *cfg);

#endif
