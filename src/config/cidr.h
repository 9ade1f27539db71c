/* Address prefixes: parsing "10.0.0.0/8" or "fd00::/8", matching a peer,
 * and reducing a peer to its prefix (a "source" for per-source limits). */
#ifndef SUPERD_CIDR_H
#define SUPERD_CIDR_H

#include <sys/socket.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

struct cidr {
	sa_family_t family;     /* AF_INET or AF_INET6; AF_UNIX: a unix
	                         * client's uid (a source, never a prefix
	                         * of allow or deny); 0: no client at all */
	unsigned char addr[16]; /* network order; 4 bytes used for IPv4 */
	unsigned char prefix;   /* 0-32 or 0-128 */
};

/*
 * Parses "ADDR" (a full-length prefix) or "ADDR/LEN".  Host bits beyond
 * LEN must be zero, so a typo such as 10.0.0.1/8 is caught.  Returns 0,
 * or -1 with the reason in why.
 */
int cidr_parse(const char *s, struct cidr *out, char *why, size_t whylen);

/* Reduces a peer address to its family and 16 address bytes; an
 * IPv4-mapped IPv6 address becomes the IPv4 address.  Returns false for
 * other families. */
bool cidr_from_sockaddr(const struct sockaddr *sa, struct cidr *out);

/* A unix-domain client as a source: its uid, 32 bits. */
void cidr_from_uid(uid_t uid, struct cidr *out);

/* True if addr (a full-length cidr from cidr_from_sockaddr) is in c. */
bool cidr_contains(const struct cidr *c, const struct cidr *addr);

/* Clears the bits of addr beyond its first len bits and sets its prefix
 * length to len. */
void cidr_truncate(struct cidr *addr, unsigned len);

/* Longest-prefix decision: the longest prefix in allow or deny that
 * contains addr decides; a tie goes to deny; if none contains it, addr is
 * allowed only when allow is empty. */
bool cidr_allowed(const struct cidr *allow, size_t nallow,
    const struct cidr *deny, size_t ndeny, const struct cidr *addr);

/* Formats c as "10.0.0.0/8", "uid:1000", or "any" for no client. */
void cidr_format(const struct cidr *c, char *buf, size_t len);

#endif
