/* The LISTEN_FDS protocol, read without libsystemd: fds start at 3,
 * LISTEN_PID guards against variables meant for another process, and
 * LISTEN_FDNAMES gives colon-separated names (systemd's FileDescriptorName=,
 * or systemd-socket-activate --fdname=). */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "activate.h"
#include "addr.h"
#include "events.h"
#include "log.h"
#include "parse.h"

#define ACTIVATE_FIRST_FD 3
#define ACTIVATE_MAX_FDS 1024

/* "fd N is not ...": what a passed socket must be. */
static int
activate_refuse(const struct inherited *in, char *err, size_t errlen)
{
	snprintf(err, errlen,
	    "LISTEN_FDS: fd %d is not a listening TCP or unix socket, nor a "
	    "UDP or unix datagram socket",
	    in->fd);
	return -1;
}

/* A stream socket must listen; a datagram socket has nothing to listen
 * with. */
static int
activate_kind(struct inherited *in, char *err, size_t errlen)
{
	int listening = 0;
	socklen_t len = sizeof(in->type);

	if (getsockopt(in->fd, SOL_SOCKET, SO_TYPE, &in->type, &len) == -1) {
		if (errno == ENOTSOCK)
			return activate_refuse(in, err, errlen);
		snprintf(err, errlen, "LISTEN_FDS: fd %d: %s", in->fd,
		    strerror(errno));
		return -1;
	}
	len = sizeof(listening);
	if (in->type == SOCK_STREAM &&
	    getsockopt(in->fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) ==
	        -1) {
		snprintf(err, errlen, "LISTEN_FDS: fd %d: %s", in->fd,
		    strerror(errno));
		return -1;
	}
	if ((in->type != SOCK_STREAM || !listening) && in->type != SOCK_DGRAM)
		return activate_refuse(in, err, errlen);
	return 0;
}

/* Checks what fd is and prepares it for the loop. */
static int
activate_adopt(struct inherited *in, char *err, size_t errlen)
{
	socklen_t len = sizeof(in->addr);
	int fl;

	if (activate_kind(in, err, errlen) == -1)
		return -1;
	if (getsockname(in->fd, (struct sockaddr *)&in->addr, &len) == -1 ||
	    !addr_family_known(in->addr.ss_family))
		return activate_refuse(in, err, errlen);
	if ((fl = fcntl(in->fd, F_GETFL)) == -1 ||
	    fcntl(in->fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(in->fd, F_SETFD, FD_CLOEXEC) == -1) {
		snprintf(err, errlen, "LISTEN_FDS: fd %d: %s", in->fd,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* The i-th colon-separated name in names, or "". */
static void
activate_name(const char *names, size_t i, char *out, size_t outlen)
{
	const char *p = names, *end;

	out[0] = '\0';
	for (; p != NULL && i > 0; i--)
		p = (p = strchr(p, ':')) != NULL ? p + 1 : NULL;
	if (p == NULL)
		return;
	end = strchr(p, ':');
	snprintf(out, outlen, "%.*s", (int)(end ? end - p : (long)strlen(p)),
	    p);
}

int
activate_take(struct activation *a, char *err, size_t errlen)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	unsigned long want, n;
	size_t i;

	memset(a, 0, sizeof(*a));
	if (pid == NULL || fds == NULL)
		return 0;
	if (parse_ulong(pid, 1, 0x7fffffff, &want) == -1 ||
	    (pid_t)want != getpid()) {
		/* Meant for another process: leave it alone. */
		return 0;
	}
	if (parse_ulong(fds, 0, ACTIVATE_MAX_FDS, &n) == -1) {
		snprintf(err, errlen, "LISTEN_FDS: \"%s\" is not a count", fds);
		return -1;
	}
	if (n > 0 && (a->v = calloc(n, sizeof(*a->v))) == NULL) {
		snprintf(err, errlen, "LISTEN_FDS: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		a->v[i].fd = ACTIVATE_FIRST_FD + (int)i;
		activate_name(names, i, a->v[i].name, sizeof(a->v[i].name));
		a->n++;
		if (activate_adopt(&a->v[i], err, errlen) == -1) {
			activate_free(a);
			return -1;
		}
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 0;
}

void
activate_release(struct activation *a)
{
	size_t i, kept = 0;

	for (i = 0; i < a->n; i++) {
		if (a->v[i].taken) {
			a->v[kept++] = a->v[i];
			continue;
		}
		event_socket_unmatched(a->v[i].fd, a->v[i].name);
		if (close(a->v[i].fd) == -1)
			log_warn("close fd %d", a->v[i].fd);
	}
	a->n = kept;
}

void
activate_reset(struct activation *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		a->v[i].taken = false;
}

struct inherited *
activate_named(struct activation *a, const char *name, size_t *from)
{
	for (; *from < a->n; (*from)++)
		if (!a->v[*from].taken && strcmp(a->v[*from].name, name) == 0)
			return &a->v[(*from)++];
	return NULL;
}

struct inherited *
activate_bound(struct activation *a, const struct sockaddr_storage *ss,
    unsigned short port, int type)
{
	bool ports = addr_has_ports(ss->ss_family);
	size_t i;

	if (ports && port == 0)
		return NULL;
	for (i = 0; i < a->n; i++)
		if (!a->v[i].taken && a->v[i].type == type &&
		    addr_same_host(&a->v[i].addr, ss) &&
		    (!ports || addr_port(&a->v[i].addr) == port))
			return &a->v[i];
	return NULL;
}

void
activate_claim(struct inherited *in)
{
	in->taken = true;
}

void
activate_mark(struct activation *a, int fd, bool taken)
{
	size_t i;

	for (i = 0; a != NULL && i < a->n; i++)
		if (a->v[i].fd == fd)
			a->v[i].taken = taken;
}

void
activate_free(struct activation *a)
{
	free(a->v);
	memset(a, 0, sizeof(*a));
}
