/* The data model: what a configuration file says, as C data.  Filled by
 * config.c (through config_keys.c's setters) and read by everything that
 * runs services; nothing here changes after the load. */
#ifndef SUPERD_SERVICE_H
#define SUPERD_SERVICE_H

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "cidr.h"
#include "log.h"
#include "parse.h"

#define SERVICE_NAME_MAX 32

/* Service keys; key_line[] is indexed by these. */
enum service_key {
	KEY_PORT,
	KEY_BIND,
	KEY_EXEC,
	KEY_ARGS,
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
	KEY_SOCKET,
	KEY_WAIT,
	KEY_LISTEN_FDS,
	KEY_PATH,
	KEY_SOCKET_MODE,
	KEY_SOCKET_USER,
	KEY_SOCKET_GROUP,
	KEY_ALLOW_USERS,
	KEY_ALLOW_GROUPS,
	KEY_PROXY_PROTOCOL,
	KEY_PROXY_FROM,
	KEY_PROXY_TIMEOUT,
	KEY_REUSE_PORT,
	KEY_NO_NEW_PRIVILEGES,
	KEY_CAPABILITIES,
	KEY_SYSTEM_CALL_FILTER,
	KEY_PRIVATE_TMP,
	KEY_PROTECT_SYSTEM,
	KEY_READ_WRITE_PATHS,
	KEY_PROTECT_HOME,
	KEY_PRIVATE_NETWORK,
	KEY_TLS_CERT,
	KEY_TLS_KEY,
	KEY_TLS_CLIENT_CA,
	KEY_TLS_MIN_VERSION,
	KEY_TLS_HANDSHAKE_TIMEOUT,
	KEY_TLS_CIPHERS,
	KEY_TLS_CIPHERSUITES,
	KEY_PROTOCOL,
	KEY_WEBSOCKET_BINARY,
	KEY_WEBSOCKET_ORIGIN,
	KEY_WEBSOCKET_PATH,
	KEY_WEBSOCKET_STATIC,
	KEY_WEBSOCKET_MAX_MESSAGE,
	SERVICE_KEYS
};

/* Where a handler's stderr goes. */
enum stderr_to {
	STDERR_LOG,     /* a pipe superd reads: lines tagged in its log */
	STDERR_INHERIT, /* superd's own stderr, shared */
	STDERR_NULL,    /* /dev/null */
	STDERR_CLIENT   /* the connection, as inetd does */
};

/* protocol: what the client speaks.  With websocket, superd-ws (the
 * relay, src/relay/) runs in the handler's place and starts the handler
 * itself once the upgrade is done. */
enum service_protocol { PROTOCOL_RAW, PROTOCOL_WEBSOCKET };

/* What to do with a connection over a limit. */
enum overload { OVERLOAD_DEFER, OVERLOAD_REJECT };

#define REJECT_MESSAGE_MAX 512

/* Where a handler's supplementary groups come from. */
enum groups_from {
	GROUPS_USER, /* the user's groups in the group database */
	GROUPS_NONE, /* none at all */
	GROUPS_LIST  /* exactly the supplementary_groups list */
};

/* system_call_filter: which seccomp filter a handler runs under. */
enum syscall_filter {
	SYSCALL_FILTER_OFF,
	SYSCALL_FILTER_DEFAULT, /* what no network service needs */
	SYSCALL_FILTER_STRICT,  /* ... and tracing, namespaces */
	SYSCALL_FILTERS
};

/* protect_system: what of the file system a handler cannot write. */
enum protect_system {
	PROTECT_SYSTEM_NO,
	PROTECT_SYSTEM_FULL,  /* /usr, /boot, /etc */
	PROTECT_SYSTEM_STRICT /* all but /dev, /proc, /sys, read_write_paths */
};

/* protect_home: /home, /root and /run/user. */
enum protect_home {
	PROTECT_HOME_NO,
	PROTECT_HOME_YES,      /* empty and inaccessible */
	PROTECT_HOME_READ_ONLY /* as they are, read-only */
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
/* A unix socket's file: connectable by everyone unless socket_mode says
 * otherwise (allow_users, allow_groups can still refuse). */
#define SOCKET_MODE_DEFAULT 0666

/* The PATH a handler gets unless env or pass_env sets one (systemd's), and
 * the one superd searches when its own is unset: root's sbin included, so
 * a daemon such as sshd is found. */
#define SERVICE_PATH_DEFAULT                                                   \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Certificate and key pairs of one service (SNI). */
#define TLS_PAIRS_MAX 16

/* The login variables a handler of a service with `user` gets from the
 * user's passwd entry, as systemd's User= gives them. */
enum service_login_var {
	LOGIN_HOME,
	LOGIN_LOGNAME,
	LOGIN_SHELL,
	LOGIN_USER,
	SERVICE_LOGIN_VARS
};

struct service {
	char name[SERVICE_NAME_MAX + 1];
	int line;                /* of the [name] header */
	unsigned short port;     /* 0: the kernel picks one */
	struct bind_addr *binds; /* never empty after config_load; with
	                          * `path`, its one unix address */
	size_t nbinds;
	bool bind_default; /* no `bind`: 0.0.0.0 and :: */

	/* The kind of socket and what a handler gets of it. */
	int sock_type;      /* SOCK_STREAM or SOCK_DGRAM (UDP) */
	bool wait;          /* no accept: the handler gets the socket */
	bool listen_fds;    /* ... as fd 3, systemd's way */
	bool unix_socket;   /* `path`: binds[0] is AF_UNIX */
	mode_t socket_mode; /* the socket file's */
	bool socket_uid_set, socket_gid_set;
	uid_t socket_uid;
	gid_t socket_gid;
	uid_t *allow_uids; /* unix clients allowed by uid, */
	size_t nallow_uids;
	gid_t *allow_gids; /* or by group; both empty: everyone */
	size_t nallow_gids;

	char **argv;    /* exec words, then args words; argv[0] is
	                 * the name */
	char *exec;     /* exec as written */
	char **args;    /* args lines as written, in order; their
	                 * words join argv when the service is done */
	int *args_line; /* the line of each, for -t's warnings */
	size_t nargs;
	char *path; /* program resolved at load; NULL if
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

	/* Behind a load balancer: the PROXY protocol versions read before
	 * admission (PROXYHDR_V1, PROXYHDR_V2 bits; 0: off), from whom
	 * (the balancers), and how long the header may take. */
	unsigned proxy_versions;
	struct cidr *proxy_from;
	size_t nproxy_from;
	unsigned long proxy_timeout_ms;
	bool reuse_port; /* SO_REUSEPORT: instances share the port */

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
	/* "HOME=...", "LOGNAME=...", "SHELL=...", "USER=..." from the
	 * passwd entry; NULL where there is none or env sets the name. */
	char *login_env[SERVICE_LOGIN_VARS];
	gid_t gid; /* `group`, else user_gid */
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

	/* Confinement, applied by confine.c in the child. */
	bool no_new_privs; /* PR_SET_NO_NEW_PRIVS; also implied by a filter */
	bool caps_set;     /* `capabilities` given: the bounding set */
	uint64_t caps;     /* ... as bits, 1 << CAP_... */
	enum syscall_filter syscall_filter;
	/* The namespaces a handler joins, built once per generation. */
	bool private_tmp; /* its own /tmp and /var/tmp */
	enum protect_system protect_system;
	char **rw_paths; /* read_write_paths, absolute */
	size_t nrw_paths;
	enum protect_home protect_home;
	bool private_network; /* a network namespace with only lo */

	/* TLS, done by a relay process between the connection and the
	 * handler (tlsrelay.c): certificate and key files in pairs (the
	 * first pair the default, the others chosen by SNI), absolute
	 * paths read when a generation is made; none: no TLS. */
	char **tls_certs, **tls_keys;
	size_t ntls_certs, ntls_keys;
	int tls_cert_line[TLS_PAIRS_MAX], tls_key_line[TLS_PAIRS_MAX];
	char *tls_client_ca; /* NULL: no client certificates asked */
	int tls_min_version; /* TLS1_2_VERSION or TLS1_3_VERSION's minor:
	                      * 2 or 3 */
	unsigned long tls_handshake_timeout_ms;
	char *tls_ciphers, *tls_ciphersuites; /* NULL: OpenSSL's */
	/* protocol = websocket (wskeys.c): the keys as given, and what the
	 * load made of them: the relay's program and its whole argument
	 * vector (its options, "--", the handler's path and argv), so the
	 * child execs it as it would the handler. */
	enum service_protocol protocol;
	bool ws_binary;
	char **ws_origins; /* allowed Origin values; none: any */
	size_t nws_origins;
	char *ws_path;       /* the one upgrade path; NULL: any */
	char *ws_static;     /* as written; NULL: no static files */
	char *ws_static_dir; /* ... resolved, absolute */
	unsigned long ws_max_message;
	char *relay_path;
	char **relay_argv;

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
	/* [supervisor] metrics: the Prometheus endpoint's address and
	 * port; family AF_UNSPEC when off. */
	struct bind_addr metrics;
	/* [supervisor] control: the control socket's path; "" for off.
	 * Unset: CONTROL_DEFAULT when superd runs as root, else off. */
	bool control_set;
	char control[ADDR_PATH_MAX + 1];
	bool control_gid_set; /* control_group: lets that group in */
	gid_t control_gid;
	struct service *services;
	size_t nservices;
};

#define CONTROL_DEFAULT "/run/superd/control"
#define MAX_CONNECTIONS_DEFAULT 64UL
#define WS_MAX_MESSAGE_DEFAULT (64UL * 1024)
#define WS_MAX_MESSAGE_MAX (16UL * 1024 * 1024)
#define PROXY_TIMEOUT_DEFAULT_MS 3000UL
#define PROXY_TIMEOUT_MAX_MS (60UL * 1000)
#define STOP_TIMEOUT_DEFAULT_MS 5000UL
/* stderr_rate: a burst of this many lines, then this many a second. */
#define STDERR_RATE_DEFAULT 200UL
#define DURATION_MAX_MS (24UL * 60 * 60 * 1000)
#define MAX_CHILDREN_DEFAULT 1024UL
#define MAX_CHILDREN_MAX 65536UL
#define SHUTDOWN_TIMEOUT_DEFAULT_MS 10000UL
#define SHUTDOWN_TIMEOUT_MAX_MS (60UL * 60 * 1000)
#define TLS_HANDSHAKE_TIMEOUT_DEFAULT_MS 10000UL
#define TLS_HANDSHAKE_TIMEOUT_MAX_MS (5UL * 60 * 1000)

#endif
