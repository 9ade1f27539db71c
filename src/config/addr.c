/* Socket addresses by family: IPv4, IPv6 and unix-domain paths. */
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

int
addr_parse(const char *text, struct bind_addr *ba)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ba->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&ba->ss;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t len = strlen(text);

	memset(ba, 0, sizeof(*ba));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		ba->len = sizeof(*sin);
		return 0;
	}
	/* Accept the bracketed form too, as in URLs: [::1]. */
	if (len > 2 && len < sizeof(buf) && text[0] == '[' &&
	    text[len - 1] == ']') {
		memcpy(buf, text + 1, len - 2);
		buf[len - 2] = '\0';
		text = buf;
	}
	if (inet_pton(AF_INET6, text, &sin6->sin6_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	/* A v6-only socket cannot bind one; say so now, not at start. */
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	sin6->sin6_family = AF_INET6;
	ba->len = sizeof(*sin6);
	return 0;
}

int
addr_parse_path(const char *path, struct bind_addr *ba)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)(void *)&ba->ss;
	size_t len = strlen(path);

	memset(ba, 0, sizeof(*ba));
	if (len > ADDR_PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len + 1);
	ba->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	return 0;
}

const char *
addr_path(const struct sockaddr_storage *ss)
{
	const struct sockaddr_un *sun = (const void *)ss;

	return ss->ss_family == AF_UNIX ? sun->sun_path : NULL;
}

bool
addr_has_ports(int family)
{
	switch (family) {
	case AF_INET:
	case AF_INET6:
		return true;
	default:
		return false;
	}
}

unsigned short
addr_text(const struct sockaddr *sa, char *ip, size_t iplen)
{
	const struct sockaddr_in *sin = (const void *)sa;
	const struct sockaddr_in6 *sin6 = (const void *)sa;
	const struct sockaddr_un *sun = (const void *)sa;

	switch (sa->sa_family) {
	case AF_INET:
		inet_ntop(AF_INET, &sin->sin_addr, ip, (socklen_t)iplen);
		return ntohs(sin->sin_port);
	case AF_INET6:
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, (socklen_t)iplen);
		return ntohs(sin6->sin6_port);
	case AF_UNIX:
		/* An unnamed peer has no path; the kernel ends a named one
		 * with a NUL when there is room, and sockaddr_storage has. */
		snprintf(ip, iplen, "%.*s", (int)sizeof(sun->sun_path),
		    sun->sun_path);
		return 0;
	default:
		snprintf(ip, iplen, "?");
		return 0;
	}
}

void
addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[ADDR_IP_MAX];
	unsigned short port = addr_text(sa, ip, sizeof(ip));

	if (!addr_has_ports(sa->sa_family))
		snprintf(buf, len, "%s", ip);
	else
		snprintf(buf, len,
		    sa->sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, port);
}

void
addr_label(const struct sockaddr *sa, int type, char *buf, size_t len)
{
	size_t used;

	addr_format(sa, buf, len);
	used = strlen(buf);
	if (type == SOCK_DGRAM && addr_has_ports(sa->sa_family))
		snprintf(buf + used, len - used, "/udp");
}

void
addr_format_bind(const struct bind_addr *ba, unsigned short port, char *buf,
    size_t len)
{
	struct sockaddr_storage ss = ba->ss;

	addr_set_port(&ss, port);
	addr_format((struct sockaddr *)(void *)&ss, buf, len);
}

unsigned short
addr_port(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const void *)ss;
	const struct sockaddr_in6 *sin6 = (const void *)ss;

	switch (ss->ss_family) {
	case AF_INET:
		return ntohs(sin->sin_port);
	case AF_INET6:
		return ntohs(sin6->sin6_port);
	default:
		return 0;
	}
}

void
addr_set_port(struct sockaddr_storage *ss, unsigned short port)
{
	struct sockaddr_in *sin = (void *)ss;
	struct sockaddr_in6 *sin6 = (void *)ss;

	switch (ss->ss_family) {
	case AF_INET:
		sin->sin_port = htons(port);
		break;
	case AF_INET6:
		sin6->sin6_port = htons(port);
		break;
	default:
		break;
	}
}

bool
addr_is_wildcard(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const void *)ss;
	const struct sockaddr_in6 *sin6 = (const void *)ss;

	switch (ss->ss_family) {
	case AF_INET:
		return sin->sin_addr.s_addr == htonl(INADDR_ANY);
	case AF_INET6:
		return IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
	default:
		return false;
	}
}

bool
addr_same_host(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;
	const struct sockaddr_un *au = (const void *)a, *bu = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	switch (a->ss_family) {
	case AF_INET:
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	case AF_INET6:
		return memcmp(&a6->sin6_addr, &b6->sin6_addr,
		           sizeof(a6->sin6_addr)) == 0;
	case AF_UNIX:
		return strncmp(au->sun_path, bu->sun_path,
		           sizeof(au->sun_path)) == 0;
	default:
		return false;
	}
}

int
addr_prepare_listener(int fd, int family)
{
	int on = 1;

	switch (family) {
	case AF_INET6:
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		        sizeof(on)) == -1)
			return -1;
		/* fall through */
	case AF_INET:
		/* A restart is not refused while old connections sit in
		 * TIME_WAIT. */
		return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on));
	case AF_UNIX:
		return 0;
	default:
		errno = EAFNOSUPPORT;
		return -1;
	}
}

bool
addr_family_optional(int family)
{
	switch (family) {
	case AF_INET6:
		return true;
	default:
		return false;
	}
}

bool
addr_family_known(int family)
{
	switch (family) {
	case AF_INET:
	case AF_INET6:
	case AF_UNIX:
		return true;
	default:
		return false;
	}
}
