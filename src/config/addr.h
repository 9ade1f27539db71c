/* Socket addresses: the one place that knows the families (IPv4, IPv6,
 * and unix-domain paths).  Every other module asks here for text, ports,
 * wildcards and equality, so a new family is taught in this file alone;
 * each function switches on the family with an explicit default. */
#ifndef SUPERD_ADDR_H
#define SUPERD_ADDR_H

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>

/* An address without its port: an IP address, or a unix socket's path
 * (sun_path, 108 bytes with its NUL), the longer. */
#define ADDR_IP_MAX (sizeof(((struct sockaddr_un *)0)->sun_path))
/* With its port and a "/udp": "[" INET6_ADDRSTRLEN "]:65535/udp", or a
 * path, and the NUL. */
#define ADDR_TEXT_MAX (ADDR_IP_MAX + 8)

/* One address a service listens on. */
struct bind_addr {
	struct sockaddr_storage ss; /* family and address; port is 0 */
	socklen_t len;
};

/* A unix socket's path: absolute, at most this long (sun_path and its
 * NUL). */
#define ADDR_PATH_MAX (ADDR_IP_MAX - 1)

/*
 * Parses an IPv4 or IPv6 address ("127.0.0.1", "::1", "[::1]") into ba,
 * port 0.  Returns 0, or -1 with errno EINVAL (not an address) or
 * EAFNOSUPPORT (an IPv4-mapped IPv6 address, which a v6-only socket
 * cannot bind).
 */
int addr_parse(const char *text, struct bind_addr *ba);

/* A unix-domain socket path into ba.  Returns 0, or -1 with errno
 * ENAMETOOLONG (more than ADDR_PATH_MAX bytes). */
int addr_parse_path(const char *path, struct bind_addr *ba);

/* A unix address's path, or NULL for another family. */
const char *addr_path(const struct sockaddr_storage *ss);

/* True for a family whose addresses have ports (IPv4, IPv6); a unix
 * socket is its path alone. */
bool addr_has_ports(int family);

/* The address of sa as text into ip (ADDR_IP_MAX bytes will do): an IP
 * address, or a unix socket's path ("" for an unnamed peer); returns its
 * port (0 for a path).  The one place addresses become text; an unknown
 * family gives "?" and port 0. */
unsigned short addr_text(const struct sockaddr *sa, char *ip, size_t iplen);

/* sa with its port as "127.0.0.1:7" or "[::1]:7", or a unix socket's
 * path (ADDR_TEXT_MAX bytes). */
void addr_format(const struct sockaddr *sa, char *buf, size_t len);

/* The same for a socket of type (SOCK_STREAM, SOCK_DGRAM): a UDP address
 * says so ("127.0.0.1:69/udp"), since TCP and UDP ports are apart. */
void addr_label(const struct sockaddr *sa, int type, char *buf, size_t len);

/* The same for a bind address with the given port. */
void addr_format_bind(const struct bind_addr *ba, unsigned short port,
    char *buf, size_t len);

/* The port of ss (0 for a family without ports). */
unsigned short addr_port(const struct sockaddr_storage *ss);

/* Sets the port of ss. */
void addr_set_port(struct sockaddr_storage *ss, unsigned short port);

/* True if sa is the wildcard address of its family (0.0.0.0, ::). */
bool addr_is_wildcard(const struct sockaddr_storage *ss);

/* True for the families superd listens on. */
bool addr_family_known(int family);

/* Sets what a listening socket of family needs before bind: an IP
 * socket SO_REUSEADDR (a restart is not refused while old connections
 * sit in TIME_WAIT), an IPv6 one IPv6 only too, so "::" and "0.0.0.0" can
 * both be bound and a peer is never an IPv4-mapped address; a unix
 * socket nothing.  0, or -1 with errno set. */
int addr_prepare_listener(int fd, int family);

/* True for a family the host may lack (IPv6 can be compiled out or
 * disabled): a service that only defaulted to it is not stopped by that. */
bool addr_family_optional(int family);

/* True if a and b hold the same family and address, ports aside (for
 * unix sockets: the same path). */
bool addr_same_host(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b);

#endif
