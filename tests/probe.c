/* A handler for the tests: reports on stdout what a spawned process sees
 * (open fds, signal mask and dispositions, session, environment), one
 * "key: value" line each, then exits 0. */
#include <sys/stat.h>

#include <dirent.h>
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
	static const char *const keys[] = { "SigBlk:", "SigIgn:", "SigCgt:" };
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

int
main(void)
{
	char **e;

	probe_fds();
	probe_status();
	printf("session_leader: %s\n", getsid(0) == getpid() ? "yes" : "no");
	printf("pgrp_is_pid: %s\n", getpgrp() == getpid() ? "yes" : "no");
	probe_link("fd0", 0);
	probe_link("fd1", 1);
	probe_link("fd2", 2);
	for (e = environ; *e != NULL; e++)
		printf("env: %s\n", *e);
	printf("end\n");
	return fflush(stdout) == 0 ? 0 : 1;
}
