/* Signal set-up for superd and the signal half of the child checklist. */
#include <sys/resource.h>
#include <sys/signalfd.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sig.h"

static int
sig_defaults(void)
{
	struct sigaction sa;
	int s;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (s = 1; s < NSIG; s++) {
		if (s == SIGKILL || s == SIGSTOP)
			continue;
		/* glibc reserves a few real-time signals: EINVAL there. */
		if (sigaction(s, &sa, NULL) == -1 && errno != EINVAL)
			return -1;
	}
	return 0;
}

int
sig_init(void)
{
	sigset_t set;

	if (sig_defaults() == -1)
		return -1;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	sigdelset(&set, SIGPIPE);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int
sig_next(int fd, pid_t *pid)
{
	struct signalfd_siginfo si;
	ssize_t n;

	for (;;) {
		n = read(fd, &si, sizeof(si));
		if (n == (ssize_t)sizeof(si)) {
			*pid = (pid_t)si.ssi_pid;
			return (int)si.ssi_signo;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n != -1)
			errno = EIO;
		return -1;
	}
}

bool
sig_stop_pending(void)
{
	sigset_t set;

	if (sigpending(&set) == -1)
		return false;
	return sigismember(&set, SIGTERM) == 1 ||
	    sigismember(&set, SIGINT) == 1;
}

int
sig_child_reset(void)
{
	sigset_t empty;

	sigemptyset(&empty);
	return sigprocmask(SIG_SETMASK, &empty, NULL);
}

int
sig_relay_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

void
sig_die_by(int sig)
{
	struct rlimit none = { 0, 0 };
	sigset_t set;

	(void)setrlimit(RLIMIT_CORE, &none);
	(void)signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void)raise(sig);
}
