/* The sd_notify protocol: one datagram per state change to the socket
 * named in $NOTIFY_SOCKET, a path or, with a leading '@', an abstract
 * name.  State is the socket and its address: the logger's kind of
 * file-level static, since there is one manager per process. */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_len;
static bool notify_failed;

int
notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	if (path == NULL)
		return 0;
	len = strlen(path);
	if (len < 2 || len >= sizeof(notify_addr.sun_path) ||
	    (path[0] != '/' && path[0] != '@')) {
		unsetenv("NOTIFY_SOCKET");
		errno = EINVAL;
		return -1;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, len);
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	    (path[0] == '/'));
	unsetenv("NOTIFY_SOCKET");
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return notify_fd == -1 ? -1 : 0;
}

void
notify_send(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	if (notify_fd == -1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = (int)strlen(msg);
	if (sendto(notify_fd, msg, (size_t)n, MSG_NOSIGNAL,
	        (struct sockaddr *)&notify_addr, notify_len) == -1 &&
	    !notify_failed) {
		notify_failed = true;
		log_warn("sd_notify");
	}
}

void
notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify_send("RELOADING=1\nMONOTONIC_USEC=%lld",
	    (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

void
notify_close(void)
{
	if (notify_fd != -1)
		(void)close(notify_fd);
	notify_fd = -1;
}
