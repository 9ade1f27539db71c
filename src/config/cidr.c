/* Prefix arithmetic on raw address bytes, shared by the access lists and
 * the per-source limits. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "parse.h"

/* The first 12 bytes of an IPv4-mapped IPv6 address, ::ffff:0:0/96. */
static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
	0xff };

/* A uid (AF_UNIX) is 32 bits, like an IPv4 address. */
static unsigned
cidr_bits(sa_family_t family)
{
	return family == AF_INET || family == AF_UNIX ? 32 : 128;
}

void
cidr_truncate(struct cidr *addr, unsigned len)
{
	unsigned i, bytes = cidr_bits(addr->family) / 8;

	for (i = 0; i < bytes; i++) {
		if (len >= 8 * (i + 1))
			continue;
		if (len <= 8 * i)
			addr->addr[i] = 0;
		else
			addr->addr[i] &=
			    (unsigned char)(0xff << (8 - (len - 8 * i)));
	}
	addr->prefix = (unsigned char)len;
}

int
cidr_parse(const char *s, struct cidr *out, char *why, size_t whylen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	unsigned long len;
	struct cidr masked;

	memset(out, 0, sizeof(*out));
	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf)) {
		snprintf(why, whylen, "\"%s\" is not an address or prefix", s);
		return -1;
	}
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, out->addr) == 1)
		out->family = AF_INET6;
	else {
		snprintf(why, whylen,
		    "\"%s\" is not an IPv4 or IPv6 address or prefix", s);
		return -1;
	}
	len = cidr_bits(out->family);
	if (slash != NULL &&
	    parse_ulong(slash + 1, 0, cidr_bits(out->family), &len) == -1) {
		snprintf(why, whylen, "\"%s\": prefix length must be 0-%u", s,
		    cidr_bits(out->family));
		return -1;
	}
	/* Peers arrive as plain IPv4, so a mapped prefix would never match. */
	if (out->family == AF_INET6 && len >= 96 &&
	    memcmp(out->addr, v4mapped, sizeof(v4mapped)) == 0) {
		snprintf(why, whylen,
		    "\"%s\" is an IPv4-mapped prefix: write it as IPv4", s);
		return -1;
	}
	masked = *out;
	cidr_truncate(&masked, (unsigned)len);
	if (memcmp(masked.addr, out->addr, sizeof(out->addr)) != 0) {
		cidr_format(&masked, buf, sizeof(buf));
		snprintf(why, whylen,
		    "\"%s\" has host bits set (did you mean %s?)", s, buf);
		return -1;
	}
	*out = masked;
	return 0;
}

bool
cidr_from_sockaddr(const struct sockaddr *sa, struct cidr *out)
{
	const struct sockaddr_in *sin = (const void *)sa;
	const struct sockaddr_in6 *sin6 = (const void *)sa;

	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		out->family = AF_INET;
		memcpy(out->addr, &sin->sin_addr, 4);
		out->prefix = 32;
		return true;
	}
	if (sa->sa_family != AF_INET6)
		return false;
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		out->family = AF_INET;
		memcpy(out->addr, &sin6->sin6_addr.s6_addr[12], 4);
		out->prefix = 32;
		return true;
	}
	out->family = AF_INET6;
	memcpy(out->addr, &sin6->sin6_addr, 16);
	out->prefix = 128;
	return true;
}

void
cidr_from_uid(uid_t uid, struct cidr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = AF_UNIX;
	out->addr[0] = (unsigned char)(uid >> 24);
	out->addr[1] = (unsigned char)(uid >> 16);
	out->addr[2] = (unsigned char)(uid >> 8);
	out->addr[3] = (unsigned char)uid;
	out->prefix = 32;
}

bool
cidr_contains(const struct cidr *c, const struct cidr *addr)
{
	struct cidr masked = *addr;

	if (c->family != addr->family)
		return false;
	cidr_truncate(&masked, c->prefix);
	return memcmp(masked.addr, c->addr, sizeof(c->addr)) == 0;
}

/* Length of the longest prefix in list containing addr, or -1. */
static int
cidr_longest(const struct cidr *list, size_t n, const struct cidr *addr)
{
	int best = -1;
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i].prefix > best && cidr_contains(&list[i], addr))
			best = list[i].prefix;
	return best;
}

bool
cidr_allowed(const struct cidr *allow, size_t nallow, const struct cidr *deny,
    size_t ndeny, const struct cidr *addr)
{
	int a = cidr_longest(allow, nallow, addr);
	int d = cidr_longest(deny, ndeny, addr);

	if (a == -1 && d == -1)
		return nallow == 0;
	return a > d;
}

void
cidr_format(const struct cidr *c, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (c->family == AF_UNIX) {
		snprintf(buf, len, "uid:%lu",
		    (unsigned long)c->addr[0] << 24 |
		        (unsigned long)c->addr[1] << 16 |
		        (unsigned long)c->addr[2] << 8 | c->addr[3]);
		return;
	}
	if (c->family != AF_INET && c->family != AF_INET6) {
		snprintf(buf, len, "any");
		return;
	}
	inet_ntop(c->family, c->addr, ip, sizeof(ip));
	snprintf(buf, len, "%s/%u", ip, c->prefix);
}
