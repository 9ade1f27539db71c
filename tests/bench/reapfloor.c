/* reapfloor: what this kernel allows for the benchmark's two mass-exit
 * rows, with no supervisor bookkeeping at all.  Starts N copies of a
 * handler (vfork+exec, a socketpair on fds 0 and 1, as superd gives one a
 * connection), waits until all of them run, then ends them together: -m
 * eof closes every connection (the clients leave), -m term sends each
 * SIGTERM (a shutdown).  Reaps with blocking waitpid(-1) and prints the
 * time from the first close or kill to the last reap. */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchtool.h"

/* One handler on its own end of a socketpair; *mine is the other end. */
static pid_t
start(char *prog, int *mine)
{
	char *argv[] = { prog, NULL };
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		die("socketpair");
	pid = vfork();
	if (pid == 0) {
		if (dup2(sv[1], 0) == -1 || dup2(sv[1], 1) == -1)
			_exit(126);
		execv(prog, argv);
		_exit(127);
	}
	if (pid == -1)
		die("vfork");
	close(sv[1]);
	*mine = sv[0];
	return pid;
}

int
main(int argc, char *argv[])
{
	struct rlimit rl;
	long n = 10000, i, reaped = 0;
	const char *mode = "eof";
	long long t0, t1;
	pid_t *pids;
	int *fds, ch;

	while ((ch = getopt(argc, argv, "n:m:")) != -1) {
		if (ch == 'n')
			n = strtol(optarg, NULL, 10);
		else if (ch == 'm')
			mode = optarg;
		else
			return 2;
	}
	if (optind != argc - 1 || n < 1 ||
	    (strcmp(mode, "eof") != 0 && strcmp(mode, "term") != 0)) {
		fprintf(stderr,
		    "usage: reapfloor [-n N] [-m eof|term] HANDLER\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	pids = calloc((size_t)n, sizeof(*pids));
	fds = calloc((size_t)n, sizeof(*fds));
	if (pids == NULL || fds == NULL)
		die("calloc");
	for (i = 0; i < n; i++)
		pids[i] = start(argv[optind], &fds[i]);
	/* Each handler is in its first read once it answers. */
	for (i = 0; i < n; i++) {
		char c = 'x';
		if (write(fds[i], &c, 1) != 1 || read(fds[i], &c, 1) != 1)
			die("echo");
	}
	t0 = now_us();
	for (i = 0; i < n; i++) {
		if (mode[0] == 'e')
			close(fds[i]);
		else
			kill(pids[i], SIGTERM);
	}
	t1 = now_us();
	while (waitpid(-1, NULL, 0) > 0)
		reaped++;
	printf("{\"mode\":\"%s\",\"n\":%ld,\"reaped\":%ld,\"end_ms\":%.1f,"
	       "\"total_ms\":%.1f}\n",
	    mode, n, reaped, (double)(t1 - t0) / 1000,
	    (double)(now_us() - t0) / 1000);
	return reaped == n ? 0 : 1;
}
