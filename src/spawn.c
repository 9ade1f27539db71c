/* The child checklist, run between fork and exec.  The environment is
 * built before fork so the child only makes syscalls; it never allocates
 * and leaves only through exec or _exit. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sig.h"
#include "spawn.h"

#define ENV_MAX 10
#define ENV_BUF 512

struct spawn_env {
	char *envp[ENV_MAX];
	char buf[ENV_BUF];
	size_t used, n;
};

static int
spawn_setenv(struct spawn_env *e, const char *name, const char *value)
{
	size_t left = sizeof(e->buf) - e->used;
	int len;

	len = snprintf(e->buf + e->used, left, "%s=%s", name, value);
	if (len < 0 || (size_t)len >= left || e->n + 1 >= ENV_MAX) {
		errno = ENOBUFS;
		return -1;
	}
	e->envp[e->n++] = e->buf + e->used;
	e->envp[e->n] = NULL;
	e->used += (size_t)len + 1;
	return 0;
}

/* Address and port of sa as text. */
static void
spawn_addr(const struct sockaddr *sa, char *ip, size_t iplen, char *port,
    size_t portlen)
{
	const struct sockaddr_in *sin = (const void *)sa;
	const struct sockaddr_in6 *sin6 = (const void *)sa;

	if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, (socklen_t)iplen);
		snprintf(port, portlen, "%u", ntohs(sin6->sin6_port));
	} else {
		inet_ntop(AF_INET, &sin->sin_addr, ip, (socklen_t)iplen);
		snprintf(port, portlen, "%u", ntohs(sin->sin_port));
	}
}

static int
spawn_build_env(struct spawn_env *e, const struct service *svc,
    const struct listener *l, int fd, const struct sockaddr *peer,
    unsigned long concurrency)
{
	char lip[INET6_ADDRSTRLEN], lport[6], rip[INET6_ADDRSTRLEN], rport[6];
	char conc[24];
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	const char *ip = l->ip, *port = l->port;

	/* Only a wildcard listener needs asking which address was hit. */
	if (l->wildcard) {
		if (getsockname(fd, (struct sockaddr *)&local, &len) == -1)
			return -1;
		spawn_addr((struct sockaddr *)&local, lip, sizeof(lip), lport,
		    sizeof(lport));
		ip = lip;
		port = lport;
	}
	spawn_addr(peer, rip, sizeof(rip), rport, sizeof(rport));
	snprintf(conc, sizeof(conc), "%lu", concurrency);
	e->used = e->n = 0;
	if (spawn_setenv(e, "PATH", SPAWN_PATH) == -1 ||
	    spawn_setenv(e, "PROTO", "TCP") == -1 ||
	    spawn_setenv(e, "TCPLOCALIP", ip) == -1 ||
	    spawn_setenv(e, "TCPLOCALPORT", port) == -1 ||
	    spawn_setenv(e, "TCPREMOTEIP", rip) == -1 ||
	    spawn_setenv(e, "TCPREMOTEPORT", rport) == -1 ||
	    spawn_setenv(e, "TCPCONCURRENCY", conc) == -1 ||
	    spawn_setenv(e, "SUPERD_SERVICE", svc->name) == -1)
		return -1;
	return 0;
}

/* One line on stderr, then _exit: 127 if the program is missing. */
static void __attribute__((noreturn))
spawn_die(const struct service *svc, const char *what)
{
	char line[512];
	int err = errno, len;

	len = snprintf(line, sizeof(line), "superd: %s[%d]: %s %s: %s\n",
	    svc->name, (int)getpid(), what, svc->path, strerror(err));
	if (len > 0)
		(void)!write(STDERR_FILENO, line,
		    (size_t)len < sizeof(line) ? (size_t)len
		                               : sizeof(line) - 1);
	_exit(err == ENOENT ? 127 : 126);
}

/* close_range needs Linux 5.9; older kernels get the loop. */
static int
spawn_close_from(int lowfd)
{
	long max, fd;

	if (close_range((unsigned)lowfd, ~0U, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	max = sysconf(_SC_OPEN_MAX);
	for (fd = lowfd; fd < max; fd++)
		(void)close((int)fd);
	return 0;
}

static void __attribute__((noreturn))
spawn_child(const struct service *svc, int fd, char *const envp[])
{
	/* Dispositions are already default: sig_init reset them in superd
	 * and superd installs no handler.  The blocked mask survives exec,
	 * so it is cleared here. */
	if (sig_child_reset() == -1)
		spawn_die(svc, "cannot reset the signal mask for");
	/* Own session and process group: shutdown signals the group, so a
	 * handler's own children are stopped with it. */
	if (setsid() == -1)
		spawn_die(svc, "cannot start a session for");
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1)
		spawn_die(svc, "cannot set up stdin/stdout for");
	/* Every fd of superd's is close-on-exec already; this also closes
	 * anything our own parent leaked to us, and fd itself. */
	if (spawn_close_from(3) == -1)
		spawn_die(svc, "cannot close descriptors for");
	execve(svc->path, svc->argv, envp);
	spawn_die(svc, "cannot run");
}

pid_t
spawn_handler(const struct service *svc, const struct listener *l, int fd,
    const struct sockaddr *peer, unsigned long concurrency)
{
	struct spawn_env env;
	pid_t pid;

	if (spawn_build_env(&env, svc, l, fd, peer, concurrency) == -1)
		return -1;
	pid = fork();
	if (pid == 0)
		spawn_child(svc, fd, env.envp);
	return pid;
}
