/* The parsed configuration: pure data, built once by config_load and never
 * changed afterwards.  Runtime state lives in the supervisor. */
#ifndef SUPERD_CONFIG_H
#define SUPERD_CONFIG_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>

#define SERVICE_NAME_MAX 32
#define CONFIG_ERR_MAX 1024

/* One address a service listens on. */
struct bind_addr {
	struct sockaddr_storage ss; /* family and address; port is 0 */
	socklen_t len;
};

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
	/* Where each key was set, 0 if it was not: for messages. */
	int port_line, bind_line, exec_line, enabled_line;
};

struct config {
	char *file;
	unsigned long shutdown_timeout_ms;
	struct service *services;
	size_t nservices;
};

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

/* Releases everything config_load allocated; cfg may be zeroed. */
void config_free(struct config *cfg);

/* Formats addr with port as "127.0.0.1:7" or "[::1]:7". */
void config_format_addr(const struct sockaddr *sa, char *buf, size_t len);

/* The same for a bind address with the given port. */
void config_format_bind(const struct bind_addr *ba, unsigned short port,
    char *buf, size_t len);

/* Number of enabled services. */
size_t config_count_enabled(const struct config *cfg);

#endif
