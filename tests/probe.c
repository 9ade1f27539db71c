/* A handler for the tests: reports on stdout what a spawned process sees
 * (open fds, signal mask and dispositions, ids and groups, umask, session,
 * working directory, niceness, resource limits, arguments, environment),
 * one "key: value" line each, then exits 0. */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void
probe_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (d == NULL)
		exit(1);
	printf("fds:");
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strtol(de->d_name, NULL, 10) == dirfd(d))
			continue;
		printf(" %s", de->d_name);
	}
	printf("\n");
	closedir(d);
}

static void
probe_status(void)
{
	static const char *const keys[] = { "SigBlk:", "SigIgn:", "SigCgt:",
		"Uid:", "Gid:", "Groups:", "Umask:" };
	char line[256];
	FILE *fp = fopen("/proc/self/status", "re");
	size_t i;

	if (fp == NULL)
		exit(1);
	while (fgets(line, sizeof(line), fp) != NULL)
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strncmp(line, keys[i], strlen(keys[i])) == 0)
				fputs(line, stdout);
	fclose(fp);
}

static void
probe_link(const char *name, int fd)
{
	char path[64], target[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	printf("%s: %s\n", name, target);
}

static void
probe_limit(const char *name, int resource)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) == -1)
		exit(1);
	printf("%s:", name);
	if (rl.rlim_cur == RLIM_INFINITY)
		printf(" unlimited");
	else
		printf(" %llu", (unsigned long long)rl.rlim_cur);
	if (rl.rlim_max == RLIM_INFINITY)
		printf(" unlimited\n");
	else
		printf(" %llu\n", (unsigned long long)rl.rlim_max);
}

static void
probe_world(void)
{
	char cwd[PATH_MAX];
	int prio;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		exit(1);
	printf("cwd: %s\n", cwd);
	errno = 0;
	prio = getpriority(PRIO_PROCESS, 0);
	if (prio == -1 && errno != 0)
		exit(1);
	printf("nice: %d\n", prio);
	probe_limit("rlimit_nofile", RLIMIT_NOFILE);
	probe_limit("rlimit_nproc", RLIMIT_NPROC);
	probe_limit("rlimit_as", RLIMIT_AS);
	probe_limit("rlimit_cpu", RLIMIT_CPU);
	probe_limit("rlimit_core", RLIMIT_CORE);
}

int
main(int argc, char *argv[])
{
	char **e;
	int i;

	probe_fds();
	probe_status();
	printf("session_leader: %s\n", getsid(0) == getpid() ? "yes" : "no");
	printf("pgrp_is_pid: %s\n", getpgrp() == getpid() ? "yes" : "no");
	probe_link("fd0", 0);
	probe_link("fd1", 1);
	probe_link("fd2", 2);
	probe_world();
	printf("argc: %d\n", argc);
	for (i = 0; i < argc; i++)
		printf("argv[%d]: %s\n", i, argv[i]);
	for (e = environ; *e != NULL; e++)
		printf("env: %s\n", *e);
	printf("end\n");
	return fflush(stdout) == 0 ? 0 : 1;
}
