/* A relay that is a program of its own (superd-ws), run by superd in a
 * handler's place: its client taken off fds 0 and 1, its signals into a
 * signalfd, its handler forked and exec'd on a socketpair, its exit as
 * the handler's.  The loop itself is relay.c's. */
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relayproc.h"

extern char **environ;

static void
relayproc_stop_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
}

/* fds 0 and 1 go to /dev/null: the client lives on a close-on-exec
 * descriptor, so the handler never holds the raw connection. */
static int
relayproc_take_client(void)
{
	int client, null;

	if ((client = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)) == -1)
		return -1;
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		return -1;
	if (dup2(null, STDIN_FILENO) == -1 || dup2(null, STDOUT_FILENO) == -1) {
		(void)close(null);
		return -1;
	}
	return close(null) == -1 ? -1 : client;
}

int
relayproc_init(struct relay *r)
{
	struct sigaction sa;
	sigset_t set;
	int client, sigfd;

	if ((client = relayproc_take_client()) == -1)
		return -1;
	relayproc_stop_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	if ((sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		return -1;
	relay_adopt(r, client, sigfd);
	/* SIGTERM then SIGCONT, superd's order: SIGHUP is a stop here too,
	 * and the chat handler waits for SIGCONT after a stop signal. */
	r->pass_as_is = false;
	/* A client gone mid-write is an EPIPE to handle, not a death. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

/* In the child: the handler's fds and signals, then exec. */
static void __attribute__((noreturn))
relayproc_child(int end, const char *path, char *const argv[])
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&set);
	if (sigaction(SIGPIPE, &sa, NULL) == -1 ||
	    sigprocmask(SIG_SETMASK, &set, NULL) == -1 ||
	    dup2(end, STDIN_FILENO) == -1 || dup2(end, STDOUT_FILENO) == -1) {
		fprintf(stderr, "superd-ws: cannot set up %s: %s\n", path,
		    strerror(errno));
		_exit(126);
	}
	execve(path, argv, environ);
	fprintf(stderr, "superd-ws: cannot run %s: %s\n", path,
	    strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

int
relayproc_start(struct relay *r, const char *path, char *const argv[])
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	r->pid = fork();
	if (r->pid == 0)
		relayproc_child(sv[1], path, argv);
	(void)close(sv[1]);
	if (r->pid == -1) {
		(void)close(sv[0]);
		return -1;
	}
	r->handler = sv[0];
	return 0;
}

int
relayproc_stop_signal(struct relay *r)
{
	struct signalfd_siginfo si;

	while (read(r->sigfd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo != SIGCHLD)
			return (int)si.ssi_signo;
	return 0;
}

void
relayproc_exit(const struct relay *r)
{
	if (!r->reaped || WIFEXITED(r->status))
		exit(r->reaped ? WEXITSTATUS(r->status) : 1);
	/* The same signal, so superd logs the handler's end as it was. */
	relayproc_die(WTERMSIG(r->status));
}

void
relayproc_die(int sig)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void)raise(sig);
	exit(128 + sig);
}
