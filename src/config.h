/* The parsed configuration: pure data, built once by config_load and never
 * changed afterwards.  Runtime state lives in the supervisor. */
#ifndef SUPERD_CONFIG_H
#define SUPERD_CONFIG_H

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"
#include "log.h"
#include "parse.h"

#define SERVICE_NAME_MAX 32
#define CONFIG_ERR_MAX 1024

/* One address a service listens on. */
struct bind_addr {
	struct sockaddr_storage ss; /* family and address; port is 0 */
	socklen_t len;
};

/* Service keys; key_line[] is indexed by these. */
enum service_key {
	KEY_PORT,
	KEY_BIND,
	KEY_EXEC,
	KEY_ENABLED,
	KEY_MAX_CONNECTIONS,
	KEY_ON_MAX,
	KEY_REJECT_MESSAGE,
	KEY_MAX_PER_SOURCE,
	KEY_SOURCE_PREFIX_V4,
	KEY_SOURCE_PREFIX_V6,
	KEY_RATE,
	KEY_RATE_PER_SOURCE,
	KEY_ON_RATE,
	KEY_ALLOW,
	KEY_DENY,
	KEY_MAX_DURATION,
	KEY_STOP_TIMEOUT,
	KEY_USER,
	KEY_GROUP,
	KEY_SUPPLEMENTARY_GROUPS,
	KEY_ENV,
	KEY_PASS_ENV,
	KEY_WORKDIR,
	KEY_UMASK,
	KEY_NICE,
	KEY_RLIMIT_NOFILE,
	KEY_RLIMIT_NPROC,
	KEY_RLIMIT_AS,
	KEY_RLIMIT_CPU,
	KEY_RLIMIT_CORE,
	KEY_STDERR,
	KEY_STDERR_RATE,
	SERVICE_KEYS
};

/* Where a handler's stderr goes. */
enum stderr_to {
	STDERR_LOG,     /* a pipe superd reads: lines tagged in its log */
	STDERR_INHERIT, /* superd's own stderr, shared */
	STDERR_NULL,    /* /dev/null */
	STDERR_CLIENT   /* the connection, as inetd does */
};

/* What to do with a connection over a limit. */
enum overload { OVERLOAD_DEFER, OVERLOAD_REJECT };

#define REJECT_MESSAGE_MAX 512

/* Where a handler's supplementary groups come from. */
enum groups_from {
	GROUPS_USER, /* the user's groups in the group database */
	GROUPS_NONE, /* none at all */
	GROUPS_LIST  /* exactly the supplementary_groups list */
};

/* The resource limits a service may set, in the order of rlimit[]. */
enum service_rlimit {
	SERVICE_RLIMIT_NOFILE,
	SERVICE_RLIMIT_NPROC,
	SERVICE_RLIMIT_AS,
	SERVICE_RLIMIT_CPU,
	SERVICE_RLIMIT_CORE,
	SERVICE_RLIMITS
};

struct service_limit {
	bool set;     /* false: the handler keeps superd's limit */
	rlim_t value; /* soft and hard; RLIM_INFINITY for unlimited */
};

/* env and pass_env entries together, so the child's environment fits a
 * fixed array on the parent's stack. */
#define SERVICE_ENV_MAX 64
#define UMASK_DEFAULT 022

struct service {
	char name[SERVICE_NAME_MAX + 1];
	int line;                /* of the [name] header */
	unsigned short port;     /* 0: the kernel picks one */
	struct bind_addr *binds; /* never empty after config_load */
	size_t nbinds;
	bool bind_default; /* no `bind`: 0.0.0.0 and :: */
	char **argv;       /* exec words, argv[0] is the name */
	char *exec;        /* exec as written */
	char *path;        /* program resolved at load; NULL if
	                    * the service is disabled */
	bool enabled;

	unsigned long max_connections; /* concurrent handlers */
	enum overload on_max;
	char *reject_message; /* NULL: none */
	size_t reject_len;
	unsigned long max_per_source; /* 0: no limit */
	unsigned source_prefix_v4, source_prefix_v6;
	struct rate rate, rate_per_source; /* n == 0: off */
	enum overload on_rate;
	struct cidr *allow, *deny;
	size_t nallow, ndeny;
	unsigned long max_duration_ms; /* 0: no limit */
	unsigned long stop_timeout_ms; /* TERM -> KILL for max_duration */
	enum stderr_to stderr_to;
	struct rate stderr_rate; /* lines a handler may log; n == 0: all */

	/*
	 * Whom the handler runs as.  Names are resolved at load, so the
	 * child only calls setgroups, setgid and setuid with these numbers
	 * and never asks NSS anything after fork.
	 */
	bool user_set; /* `user` given: the child switches to these ids */
	char *user;    /* for messages: passwd name, or the number */
	uid_t uid;
	bool user_known; /* uid has a passwd entry (user_gid is valid) */
	gid_t user_gid;  /* the user's primary group, from passwd */
	gid_t gid;       /* `group`, else user_gid */
	enum groups_from groups_from;
	gid_t *groups; /* the exact supplementary list; may be NULL */
	size_t ngroups;

	/* The handler's world besides its ids. */
	char **env; /* "NAME=value": env lines in order, then the
	             * pass_env values found in superd's environment */
	size_t nenv;
	char **pass_env; /* names; their values are read at load */
	size_t npass_env;
	char *workdir; /* absolute; NULL: "/" */
	mode_t umask;  /* UMASK_DEFAULT unless set */
	bool nice_set; /* false: superd's own niceness */
	int nice;
	struct service_limit rlimit[SERVICE_RLIMITS];

	/* Where each key was set (0: not set), for messages. */
	int key_line[SERVICE_KEYS];
};

struct config {
	char *file;
	uid_t file_uid; /* the file as it was read, for */
	gid_t file_gid; /* config_check_privileges */
	mode_t file_mode;
	unsigned long shutdown_timeout_ms;
	unsigned long max_children; /* all handlers together */
	enum log_format log_format;
	struct service *services;
	size_t nservices;
};

#define MAX_CONNECTIONS_DEFAULT 64UL
#define STOP_TIMEOUT_DEFAULT_MS 5000UL
/* stderr_rate: a burst of this many lines, then this many a second. */
#define STDERR_RATE_DEFAULT 200UL
#define DURATION_MAX_MS (24UL * 60 * 60 * 1000)
#define MAX_CHILDREN_DEFAULT 1024UL
#define MAX_CHILDREN_MAX 65536UL
#define SHUTDOWN_TIMEOUT_DEFAULT_MS 10000UL
#define SHUTDOWN_TIMEOUT_MAX_MS (60UL * 60 * 1000)

/*
 * Reads and validates the file at path.  handler_dirs is a NULL-terminated
 * list of directories searched, in order, for the shipped handlers (echo,
 * upper, time) when exec names one of them bare; other bare names are
 * looked up in PATH.
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

/* Releases everything config_load allocated; cfg may be zeroed. */
void config_free(struct config *cfg);

/* Formats addr with port as "127.0.0.1:7" or "[::1]:7". */
void config_format_addr(const struct sockaddr *sa, char *buf, size_t len);

/* The address of sa as text into ip (INET6_ADDRSTRLEN bytes will do);
 * returns its port.  The one place addresses become text. */
unsigned short config_addr_text(const struct sockaddr *sa, char *ip,
    size_t iplen);

/* The same for a bind address with the given port. */
void config_format_bind(const struct bind_addr *ba, unsigned short port,
    char *buf, size_t len);

/* The index of the service called name, or -1. */
long long config_find_service(const struct config *cfg, const char *name);

/* Number of enabled services. */
size_t config_count_enabled(const struct config *cfg);

#endif
