/* Socket addresses: the one place that knows the families.  Every other
 * module asks here for text, ports, wildcards and equality, so a new
 * family (AF_UNIX next) is taught in this file alone; each function
 * switches on the family with an explicit default. */
#ifndef SUPERD_ADDR_H
#define SUPERD_ADDR_H

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>

/* "[" INET6_ADDRSTRLEN "]:65535" and the NUL. */
#define ADDR_TEXT_MAX (INET6_ADDRSTRLEN + 8)

/* One address a service listens on. */
struct bind_addr {
	struct sockaddr_storage ss; /* family and address; port is 0 */
	socklen_t len;
};

/*
 * Parses an IPv4 or IPv6 address ("127.0.0.1", "::1", "[::1]") into ba,
 * port 0.  Returns 0, or -1 with errno EINVAL (not an address) or
 * EAFNOSUPPORT (an IPv4-mapped IPv6 address, which a v6-only socket
 * cannot bind).
 */
int addr_parse(const char *text, struct bind_addr *ba);

/* The address of sa as text into ip (INET6_ADDRSTRLEN bytes will do);
 * returns its port.  The one place addresses become text; an unknown
 * family gives "?" and port 0. */
unsigned short addr_text(const struct sockaddr *sa, char *ip, size_t iplen);

/* sa with its port as "127.0.0.1:7" or "[::1]:7" (ADDR_TEXT_MAX bytes). */
void addr_format(const struct sockaddr *sa, char *buf, size_t len);

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

/* Sets what a listening socket of family needs before bind: an IPv6
 * socket takes IPv6 only, so "::" and "0.0.0.0" can both be bound and a
 * peer is never an IPv4-mapped address.  0, or -1 with errno set. */
int addr_prepare_listener(int fd, int family);

/* True for a family the host may lack (IPv6 can be compiled out or
 * disabled): a service that only defaulted to it is not stopped by that. */
bool addr_family_optional(int family);

/* True if a and b hold the same family and address, ports aside. */
bool addr_same_host(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b);

#endif
