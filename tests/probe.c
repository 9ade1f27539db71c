/* A handler for the tests: reports on stdout what a spawned process sees
 * (open fds, signal mask and dispositions, ids and groups, umask, session,
 * working directory, niceness, resource limits, arguments, environment),
 * one "key: value" line each, then exits 0.  As a wait handler it takes
 * its client first and reports to it: --accept accepts one connection on
 * fd 0 (--accept-fd3: on fd 3, systemd's way), --recv answers one
 * datagram on fd 0 with the report.  --try attempts what a confined
 * handler must not do (mount, init_module, ptrace of another process,
 * unshare) and reports each as "try_NAME: ok" or its errno's name,
 * before the report; and as the environment asks: PROBE_WRITE, blank-
 * separated directories to create a file in ("try_write DIR: ..."),
 * PROBE_CREATE, a file to create and keep, PROBE_READ, a file to open
 * ("try_create: ...", "try_read: ..."), PROBE_CONNECT, a port on
 * 127.0.0.1 to connect to ("try_connect: ..."); then its network
 * interfaces ("ifaces: lo ..."). */
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* Where the report goes: stdout, or the client of a wait handler. */
static FILE *out;

static void
probe_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (d == NULL)
		exit(1);
	fprintf(out, "fds:");
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strtol(de->d_name, NULL, 10) == dirfd(d))
			continue;
		fprintf(out, " %s", de->d_name);
	}
	fprintf(out, "\n");
	closedir(d);
}

static void
probe_status(void)
{
	static const char *const keys[] = { "SigBlk:", "SigIgn:", "SigCgt:",
		"Uid:", "Gid:", "Groups:", "Umask:", "CapInh:", "CapPrm:",
		"CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:" };
	char line[256];
	FILE *fp = fopen("/proc/self/status", "re");
	size_t i;

	if (fp == NULL)
		exit(1);
	while (fgets(line, sizeof(line), fp) != NULL)
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strncmp(line, keys[i], strlen(keys[i])) == 0)
				fputs(line, out);
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
	fprintf(out, "%s: %s\n", name, target);
}

static void
probe_limit(const char *name, int resource)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) == -1)
		exit(1);
	fprintf(out, "%s:", name);
	if (rl.rlim_cur == RLIM_INFINITY)
		fprintf(out, " unlimited");
	else
		fprintf(out, " %llu", (unsigned long long)rl.rlim_cur);
	if (rl.rlim_max == RLIM_INFINITY)
		fprintf(out, " unlimited\n");
	else
		fprintf(out, " %llu\n", (unsigned long long)rl.rlim_max);
}

static void
probe_world(void)
{
	char cwd[PATH_MAX];
	int prio;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		exit(1);
	fprintf(out, "cwd: %s\n", cwd);
	errno = 0;
	prio = getpriority(PRIO_PROCESS, 0);
	if (prio == -1 && errno != 0)
		exit(1);
	fprintf(out, "nice: %d\n", prio);
	probe_limit("rlimit_nofile", RLIMIT_NOFILE);
	probe_limit("rlimit_nproc", RLIMIT_NPROC);
	probe_limit("rlimit_as", RLIMIT_AS);
	probe_limit("rlimit_cpu", RLIMIT_CPU);
	probe_limit("rlimit_core", RLIMIT_CORE);
}

static void
probe_result(const char *name, long rc)
{
	if (rc != -1)
		fprintf(out, "try_%s: ok\n", name);
	else
		fprintf(out, "try_%s: %s\n", name,
		    errno == EPERM        ? "EPERM"
		        : errno == ENOSYS ? "ENOSYS"
		        : errno == ENOENT ? "ENOENT"
		                          : strerrorname_np(errno));
}

/* PTRACE_ATTACH to a child of its own, which nothing else forbids. */
static void
probe_ptrace(void)
{
	pid_t kid = fork();
	long rc;

	if (kid == -1)
		exit(1);
	if (kid == 0) {
		pause();
		_exit(0);
	}
	rc = ptrace(PTRACE_ATTACH, kid, NULL, NULL);
	probe_result("ptrace_attach", rc);
	kill(kid, SIGKILL);
	(void)waitpid(kid, NULL, 0);
}

static void
probe_writes(const char *dirs)
{
	char list[1024], path[PATH_MAX], name[PATH_MAX + 16];
	char *dir, *save;
	int fd;

	snprintf(list, sizeof(list), "%s", dirs);
	for (dir = strtok_r(list, " ", &save); dir != NULL;
	     dir = strtok_r(NULL, " ", &save)) {
		snprintf(path, sizeof(path), "%s/superd-probe-%d", dir,
		    (int)getpid());
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		snprintf(name, sizeof(name), "write %s", dir);
		probe_result(name, fd);
		if (fd != -1) {
			close(fd);
			unlink(path);
		}
	}
}

static void
probe_connect(const char *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_port = htons((unsigned short)atoi(port));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	probe_result("connect",
	    s == -1 ? -1 : connect(s, (struct sockaddr *)&sin, sizeof(sin)));
	if (s != -1)
		close(s);
}

static void
probe_ifaces(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;

	fprintf(out, "ifaces:");
	for (i = ifs; i != NULL && i->if_index != 0; i++)
		fprintf(out, " %s", i->if_name);
	fprintf(out, "\n");
	if (ifs != NULL)
		if_freenameindex(ifs);
}

static void
probe_env_tries(void)
{
	const char *v;
	int fd;

	if ((v = getenv("PROBE_WRITE")) != NULL)
		probe_writes(v);
	if ((v = getenv("PROBE_CREATE")) != NULL) {
		fd = open(v, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		probe_result("create", fd);
		if (fd != -1)
			close(fd);
	}
	if ((v = getenv("PROBE_READ")) != NULL) {
		fd = open(v, O_RDONLY | O_CLOEXEC);
		probe_result("read", fd);
		if (fd != -1)
			close(fd);
	}
	if ((v = getenv("PROBE_CONNECT")) != NULL)
		probe_connect(v);
	probe_ifaces();
}

static void
probe_try(void)
{
	probe_result("mount",
	    mount("none", "/nonexistent-superd-probe", "tmpfs", 0, NULL));
	probe_result("init_module", syscall(SYS_init_module, NULL, 0, ""));
	probe_ptrace();
	probe_result("unshare", unshare(CLONE_NEWUTS));
	probe_env_tries();
}

/* A wait handler's client: a connection accepted on fd, whose stream
 * the report goes to. */
static void
probe_accept(int fd)
{
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	if (c == -1 || (out = fdopen(c, "w")) == NULL)
		exit(1);
}

/* A datagram on fd 0: its sender gets the report, as one datagram. */
static struct sockaddr_storage probe_from;
static socklen_t probe_fromlen = sizeof(probe_from);
static char *probe_buf;
static size_t probe_len;

static void
probe_recv(void)
{
	char in[2048];

	if (recvfrom(0, in, sizeof(in), 0, (struct sockaddr *)&probe_from,
	        &probe_fromlen) == -1 ||
	    (out = open_memstream(&probe_buf, &probe_len)) == NULL)
		exit(1);
}

static int
probe_finish(void)
{
	if (fflush(out) != 0)
		return 1;
	if (probe_buf != NULL &&
	    sendto(1, probe_buf, probe_len, 0, (struct sockaddr *)&probe_from,
	        probe_fromlen) == -1)
		return 1;
	return 0;
}

int
main(int argc, char *argv[])
{
	char **e;
	int i;

	out = stdout;
	if (argc == 2 && strcmp(argv[1], "--accept") == 0)
		probe_accept(0);
	else if (argc == 2 && strcmp(argv[1], "--accept-fd3") == 0)
		probe_accept(3);
	else if (argc == 2 && strcmp(argv[1], "--recv") == 0)
		probe_recv();
	else if (argc == 2 && strcmp(argv[1], "--try") == 0)
		probe_try();
	probe_fds();
	probe_status();
	fprintf(out, "pid: %d\n", (int)getpid());
	fprintf(out, "session_leader: %s\n",
	    getsid(0) == getpid() ? "yes" : "no");
	fprintf(out, "pgrp_is_pid: %s\n", getpgrp() == getpid() ? "yes" : "no");
	probe_link("fd0", 0);
	probe_link("fd1", 1);
	probe_link("fd2", 2);
	probe_link("fd3", 3);
	probe_world();
	fprintf(out, "argc: %d\n", argc);
	for (i = 0; i < argc; i++)
		fprintf(out, "argv[%d]: %s\n", i, argv[i]);
	for (e = environ; *e != NULL; e++)
		fprintf(out, "env: %s\n", *e);
	fprintf(out, "end\n");
	return probe_finish();
}
