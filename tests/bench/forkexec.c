/* forkexec: the ceiling for any exec-per-connection server on this machine.
 * W workers each loop spawn + exec + wait of one program, with stdin and
 * stdout on /dev/null, no network; reports execs/s and what one spawn costs
 * the parent in CPU (the part a supervisor pays itself).  With -k, each
 * worker first starts that many idle copies of the program and keeps them
 * alive while it measures: what spawning and reaping cost the parent, in
 * the kernel, with that many live children. */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchtool.h"

extern char **environ;

enum mode { M_FORK, M_VFORK, M_SPAWN };

static const char *const mode_names[] = { "fork", "vfork", "posix_spawn" };

struct result {
	long execs, failed;
	long long cpu_us; /* the worker's own user + system time */
	double secs;      /* its measured window: idle children excluded */
};

struct opts {
	enum mode mode;
	int workers;
	double secs;
	long mbytes, keep;
	bool json;
	char **argv;
};

static char env_path[] = "PATH=/usr/bin:/bin";
static char *const child_env[] = { env_path, NULL };

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static _Noreturn void
usage(void)
{
	fprintf(stderr,
	    "usage: forkexec [-m fork|vfork|posix_spawn] [-w WORKERS] "
	    "[-d SECONDS]\n"
	    "                [-M MBYTES] [-k IDLE] [-j] PROGRAM [ARG...]\n"
	    "  -m  how to start the child (default fork)\n"
	    "  -w  parallel workers, each a spawn+exec+wait loop (default "
	    "1)\n"
	    "  -d  how long to run (default 2)\n"
	    "  -M  touch this much memory first, as a bigger parent would\n"
	    "  -k  keep this many idle children (PROGRAM reading a pipe) "
	    "alive\n"
	    "  -j  one JSON line instead of text\n");
	exit(2);
}

/* The child's part: the socket would be on 0 and 1; here /dev/null. */
static pid_t
spawn_fork(const struct opts *o, int null, bool use_vfork)
{
	pid_t pid = use_vfork ? vfork() : fork();

	if (pid != 0)
		return pid;
	if (dup2(null, 0) == -1 || dup2(null, 1) == -1)
		_exit(126);
	execve(o->argv[0], o->argv, child_env);
	_exit(127);
}

static pid_t
spawn_posix(const struct opts *o, int null)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, null, 0) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, null, 1) != 0)
		return -1;
	rc = posix_spawn(&pid, o->argv[0], &fa, NULL, o->argv, child_env);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return pid;
}

/* Whether pid is asleep (state S in /proc/PID/stat): an idle child that
 * has finished starting and blocks on its pipe.  A pid that cannot be
 * read is gone, and counts as settled. */
static bool
idle_asleep(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	/* The state follows the command's closing parenthesis. */
	p = strrchr(buf, ')');
	return p == NULL || p[1] == '\0' || p[2] == 'S';
}

/* Waits until every idle child is asleep: their start-up (the dynamic
 * loader, the program's own set-up) would otherwise run on the other core
 * during the measured window and lower its execs/s. */
static void
idle_settle(const pid_t *pids, long n)
{
	struct timespec ms = { 0, 1000000 };
	long i;

	for (i = 0; i < n; i++)
		while (!idle_asleep(pids[i]))
			nanosleep(&ms, NULL);
}

/* -k: n children blocked reading a pipe nobody writes; returns its write
 * end, whose close lets them all exit, once they have all started. */
static int
keep_idle(const struct opts *o, long n, int null)
{
	int p[2], saved = dup(null);
	pid_t *pids = calloc((size_t)n, sizeof(*pids));
	long i;

	if (pids == NULL)
		die("calloc");
	if (pipe2(p, O_CLOEXEC) == -1 || saved == -1)
		die("pipe2");
	/* The children get the read end on 0, /dev/null on 1. */
	if (dup2(p[0], null) == -1)
		die("dup2");
	for (i = 0; i < n; i++)
		if ((pids[i] = spawn_fork(o, null, true)) == -1)
			die("vfork");
	if (dup2(saved, null) == -1)
		die("dup2");
	close(saved);
	close(p[0]);
	idle_settle(pids, n);
	free(pids);
	return p[1];
}

static long long
cpu_now_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		die("getrusage");
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static void
worker(const struct opts *o, int out)
{
	struct result r = { 0, 0, 0, 0 };
	int null, status, idle = -1;
	long long cpu0;
	double start, end;
	pid_t pid;

	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null == -1)
		die("/dev/null");
	if (o->keep > 0)
		idle = keep_idle(o, o->keep, null);
	cpu0 = cpu_now_us();
	start = now_s();
	end = start + o->secs;
	while (now_s() < end) {
		if (o->mode == M_SPAWN)
			pid = spawn_posix(o, null);
		else
			pid = spawn_fork(o, null, o->mode == M_VFORK);
		if (pid == -1)
			die("spawn");
		if (waitpid(pid, &status, 0) == -1)
			die("waitpid");
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			r.execs++;
		else
			r.failed++;
	}
	r.cpu_us = cpu_now_us() - cpu0;
	r.secs = now_s() - start;
	if (idle != -1) {
		close(idle);
		while (wait(&status) > 0)
			;
	}
	if (write(out, &r, sizeof(r)) != (ssize_t)sizeof(r))
		die("write");
	_exit(0);
}

static void
opt_parse(struct opts *o, int argc, char *argv[])
{
	char *end;
	int ch;

	memset(o, 0, sizeof(*o));
	o->workers = 1;
	o->secs = 2;
	while ((ch = getopt(argc, argv, "+m:w:d:M:k:j")) != -1) {
		switch (ch) {
		case 'm':
			if (strcmp(optarg, "fork") == 0)
				o->mode = M_FORK;
			else if (strcmp(optarg, "vfork") == 0)
				o->mode = M_VFORK;
			else if (strcmp(optarg, "posix_spawn") == 0)
				o->mode = M_SPAWN;
			else
				usage();
			break;
		case 'w':
			o->workers = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || o->workers < 1 || o->workers > 64)
				usage();
			break;
		case 'd':
			o->secs = strtod(optarg, &end);
			if (*end != '\0' || o->secs <= 0 || o->secs > 600)
				usage();
			break;
		case 'M':
			o->mbytes = strtol(optarg, &end, 10);
			if (*end != '\0' || o->mbytes < 0 || o->mbytes > 16384)
				usage();
			break;
		case 'k':
			o->keep = strtol(optarg, &end, 10);
			if (*end != '\0' || o->keep < 0 || o->keep > 30000)
				usage();
			break;
		case 'j':
			o->json = true;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc || argv[optind][0] != '/')
		usage(); /* an absolute path: no PATH search in the loop */
	o->argv = argv + optind;
}

/* A parent with more resident memory makes fork copy more page tables;
 * vfork and posix_spawn copy none. */
static void
touch_memory(long mbytes)
{
	size_t len = (size_t)mbytes << 20;
	char *p;

	if (len == 0)
		return;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	memset(p, 1, len);
}

int
main(int argc, char *argv[])
{
	struct result sum = { 0, 0, 0, 0 }, r;
	struct opts o;
	double rate;
	int pfd[2], i, status, bad = 0;
	pid_t pid;

	opt_parse(&o, argc, argv);
	touch_memory(o.mbytes);
	if (pipe2(pfd, O_CLOEXEC) == -1)
		die("pipe2");
	for (i = 0; i < o.workers; i++) {
		pid = fork();
		if (pid == -1)
			die("fork");
		if (pid == 0)
			worker(&o, pfd[1]);
	}
	close(pfd[1]);
	for (i = 0; i < o.workers; i++) {
		if (read(pfd[0], &r, sizeof(r)) != (ssize_t)sizeof(r)) {
			bad = 1;
			continue;
		}
		sum.execs += r.execs;
		sum.failed += r.failed;
		sum.cpu_us += r.cpu_us;
		/* The workers' windows overlap: the longest is the run's. */
		if (r.secs > sum.secs)
			sum.secs = r.secs;
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad = 1;
	rate = sum.secs > 0 ? (double)sum.execs / sum.secs : 0.0;
	if (o.json)
		printf("{\"mode\":\"%s\",\"workers\":%d,\"secs\":%.3f,"
		       "\"execs\":%ld,\"failed\":%ld,\"rate\":%.1f,"
		       "\"parent_cpu_us\":%.1f}\n",
		    mode_names[o.mode], o.workers, sum.secs, sum.execs,
		    sum.failed, rate,
		    sum.execs ? (double)sum.cpu_us / (double)sum.execs : 0.0);
	else
		printf("forkexec: %s, %d worker(s), %.2fs: %.1f execs/s, "
		       "%ld failed; parent CPU %.1f us per spawn\n",
		    mode_names[o.mode], o.workers, sum.secs, rate, sum.failed,
		    sum.execs ? (double)sum.cpu_us / (double)sum.execs : 0.0);
	return bad || sum.failed > 0 ? 1 : 0;
}
