/* The child checklist, run between clone (vfork-style) and exec.  The
 * environment is built before, so the child only makes syscalls; it never
 * allocates and leaves only through exec or _exit. */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sig.h"
#include "spawn.h"

#define SPAWN_STACK (64 * 1024)

/* The fixed variables (PATH, the login ones and the seven connection
 * ones), the service's own, and the NULL. */
#define ENV_FIXED (1 + SERVICE_LOGIN_VARS + 7)
#define ENV_MAX (ENV_FIXED + SERVICE_ENV_MAX + 1)
/* The fixed variables only: the service's entries are not copied. */
#define ENV_BUF 512

struct spawn_env {
	char *envp[ENV_MAX];
	char buf[ENV_BUF];
	size_t used, n;
};

/* The resources behind struct service's rlimit[], and their key names. */
static const struct {
	int resource;
	const char *step;
} spawn_limits[SERVICE_RLIMITS] = {
	[SERVICE_RLIMIT_NOFILE] = { RLIMIT_NOFILE,
	    "cannot set rlimit_nofile for" },
	[SERVICE_RLIMIT_NPROC] = { RLIMIT_NPROC,
	    "cannot set rlimit_nproc for" },
	[SERVICE_RLIMIT_AS] = { RLIMIT_AS, "cannot set rlimit_as for" },
	[SERVICE_RLIMIT_CPU] = { RLIMIT_CPU, "cannot set rlimit_cpu for" },
	[SERVICE_RLIMIT_CORE] = { RLIMIT_CORE, "cannot set rlimit_core for" },
};

/* Adds an entry that lives in the config, which outlives the child. */
static int
spawn_putenv(struct spawn_env *e, char *entry)
{
	if (e->n + 1 >= ENV_MAX) {
		errno = ENOBUFS;
		return -1;
	}
	e->envp[e->n++] = entry;
	e->envp[e->n] = NULL;
	return 0;
}

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
	snprintf(port, portlen, "%u", addr_text(sa, ip, iplen));
}

/* env or pass_env may replace the default PATH. */
static bool
spawn_sets_path(const struct service *svc)
{
	size_t i;

	for (i = 0; i < svc->nenv; i++)
		if (strncmp(svc->env[i], "PATH=", 5) == 0)
			return true;
	return false;
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
	size_t i;

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
	if (!spawn_sets_path(svc) && spawn_setenv(e, "PATH", SPAWN_PATH) == -1)
		return -1;
	for (i = 0; i < SERVICE_LOGIN_VARS; i++)
		if (svc->login_env[i] != NULL &&
		    spawn_putenv(e, svc->login_env[i]) == -1)
			return -1;
	if (spawn_setenv(e, "PROTO", "TCP") == -1 ||
	    spawn_setenv(e, "TCPLOCALIP", ip) == -1 ||
	    spawn_setenv(e, "TCPLOCALPORT", port) == -1 ||
	    spawn_setenv(e, "TCPREMOTEIP", rip) == -1 ||
	    spawn_setenv(e, "TCPREMOTEPORT", rport) == -1 ||
	    spawn_setenv(e, "TCPCONCURRENCY", conc) == -1 ||
	    spawn_setenv(e, "SUPERD_SERVICE", svc->name) == -1)
		return -1;
	for (i = 0; i < svc->nenv; i++)
		if (spawn_putenv(e, svc->env[i]) == -1)
			return -1;
	return 0;
}

/* What the child needs, passed through clone's one argument. */
struct spawn_args {
	const struct service *svc;
	int fd, errfd;
	char *const *envp;
	struct spawn_failure *fail; /* vfork builds: superd's own memory */
	int report;                 /* fork builds: a pipe to superd; -1 */
};

static void spawn_report(const struct spawn_args *a,
    const struct spawn_failure *f) __attribute__((noreturn));
static void spawn_die(const struct spawn_args *a, const char *step,
    const char *reason, int code) __attribute__((noreturn));
static void spawn_exec_failed(const struct spawn_args *a)
    __attribute__((noreturn));

/* Tells superd which step failed and why, then _exit(code).  superd logs
 * it in its own format; nothing goes to the handler's stderr, which may
 * be the client (stderr = client) or nowhere (stderr = null). */
static void
spawn_report(const struct spawn_args *a, const struct spawn_failure *f)
{
	if (a->report == -1)
		*a->fail = *f;
	else
		(void)!write(a->report, f, sizeof(*f));
	_exit(f->code);
}

static void
spawn_die(const struct spawn_args *a, const char *step, const char *reason,
    int code)
{
	struct spawn_failure f = { code, step, reason, errno, -1, "" };

	spawn_report(a, &f);
}

/* execve says ENOENT both for a missing program and for a script whose
 * #! interpreter is missing; the second gets named.  Only system calls
 * and work on the stack, as everywhere in the child. */
static void
spawn_exec_failed(const struct spawn_args *a)
{
	struct spawn_failure f = { errno == ENOENT ? 127 : 126, "cannot run",
		NULL, errno, -1, "" };
	char head[PROGRAM_INTERP_MAX + 16];
	ssize_t n;
	int fd;

	if (f.err == ENOENT &&
	    (fd = open(a->svc->path, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, head, sizeof(head));
		(void)close(fd);
		if (n > 0 &&
		    program_hashbang(head, (size_t)n, f.interp,
		        sizeof(f.interp)) > 0 &&
		    access(f.interp, F_OK) == 0)
			f.interp[0] = '\0';
	}
	spawn_report(a, &f);
}

/* The handler's surroundings, set before the drop: raising a hard limit
 * or lowering the niceness needs the privilege the drop gives up, and
 * chdir needs no search permission for the handler's user. */
static void
spawn_world(const struct spawn_args *a)
{
	const struct service *svc = a->svc;
	struct rlimit rl;
	size_t r;

	for (r = 0; r < SERVICE_RLIMITS; r++) {
		if (!svc->rlimit[r].set)
			continue;
		rl.rlim_cur = rl.rlim_max = svc->rlimit[r].value;
		if (setrlimit(spawn_limits[r].resource, &rl) == -1)
			spawn_die(a, spawn_limits[r].step, NULL, 126);
	}
	if (svc->nice_set && setpriority(PRIO_PROCESS, 0, svc->nice) == -1)
		spawn_die(a, "cannot set nice for", NULL, 126);
	umask(svc->umask);
	/* "/" by default, so no handler runs in wherever superd was started
	 * (a home directory, a build tree). */
	if (chdir(svc->workdir != NULL ? svc->workdir : "/") == -1)
		spawn_die(a, "cannot change to workdir for", NULL, 126);
}

/* Groups, then gid, then uid: after setuid the child could no longer
 * change the others.  As root all three always run, so the groups are
 * exactly the configured ones even for user = root; without root only
 * what differs is attempted (and fails, unless it is the real or saved
 * id). */
static void
spawn_drop(const struct spawn_args *a)
{
	const struct service *svc = a->svc;
	bool root = geteuid() == 0;

	if (!svc->user_set)
		return;
	if (root && setgroups(svc->ngroups, svc->groups) == -1)
		spawn_die(a, "cannot setgroups for", NULL, 126);
	if ((root || getgid() != svc->gid || getegid() != svc->gid) &&
	    setgid(svc->gid) == -1)
		spawn_die(a, "cannot setgid for", NULL, 126);
	if ((root || getuid() != svc->uid || geteuid() != svc->uid) &&
	    setuid(svc->uid) == -1)
		spawn_die(a, "cannot setuid for", NULL, 126);
	/* Trust, but verify: a drop that half worked must not exec. */
	if (getuid() != svc->uid || geteuid() != svc->uid ||
	    getgid() != svc->gid || getegid() != svc->gid ||
	    (root && getgroups(0, NULL) != (int)svc->ngroups))
		spawn_die(a, "privileges not dropped for",
		    "ids differ after setuid", 126);
	if (svc->uid != 0 && setuid(0) != -1)
		spawn_die(a, "privileges not dropped for",
		    "setuid(0) succeeded", 126);
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

/* Fork builds: the report pipe moves to fd 3 (still close-on-exec, so
 * exec closes it and superd reads EOF), above the handler's three. */
static int
spawn_keep_report(struct spawn_args *a)
{
	if (a->report == -1)
		return 3;
	if (a->report != 3 && dup3(a->report, 3, O_CLOEXEC) == -1)
		return -1;
	a->report = 3;
	return 4;
}

static void __attribute__((noreturn)) spawn_child(struct spawn_args *a)
{
	int lowfd;

	/* Dispositions are already default: sig_init reset them in superd
	 * and superd installs no handler.  The blocked mask survives exec,
	 * so it is cleared here. */
	if (sig_child_reset() == -1)
		spawn_die(a, "cannot reset the signal mask for", NULL, 126);
	/* Own session and process group: shutdown signals the group, so a
	 * handler's own children are stopped with it. */
	if (setsid() == -1)
		spawn_die(a, "cannot start a session for", NULL, 126);
	spawn_world(a);
	spawn_drop(a);
	if (dup2(a->fd, STDIN_FILENO) == -1 || dup2(a->fd, STDOUT_FILENO) == -1)
		spawn_die(a, "cannot set up stdin/stdout for", NULL, 126);
	if (a->errfd != -1 && dup2(a->errfd, STDERR_FILENO) == -1)
		spawn_die(a, "cannot set up stderr for", NULL, 126);
	/* Every fd of superd's is close-on-exec already; this also closes
	 * anything our own parent leaked to us, and fd itself. */
	if ((lowfd = spawn_keep_report(a)) == -1 ||
	    spawn_close_from(lowfd) == -1)
		spawn_die(a, "cannot close descriptors for", NULL, 126);
	execve(a->svc->path, a->svc->argv, a->envp);
	spawn_exec_failed(a);
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(SUPERD_SPAWN_FORK)
static int
spawn_child_main(void *arg)
{
	spawn_child(arg);
}
#endif

/*
 * vfork semantics: the child borrows superd's memory and superd waits
 * until it has called execve (or died), which saves copying page tables:
 * the largest part of superd's own cost per connection.  It is safe here
 * because the child only makes syscalls on data superd built beforehand,
 * superd has no signal handlers that could run on the shared memory, and
 * the child's stack is a region of this frame that superd does not touch
 * while it waits.  The shared memory also carries a failure report back.
 * Sanitizer builds use fork: their runtimes do not expect a second task
 * on one address space.  (So does -DSUPERD_SPAWN_FORK, for measuring the
 * difference.)
 */
#if defined(__SANITIZE_ADDRESS__) || defined(SUPERD_SPAWN_FORK)
/* fork: the report comes through a close-on-exec pipe that superd reads
 * when it reaps the child, so it never waits for the child here: under a
 * sanitizer a child takes long to reach exec. */
static pid_t
spawn_start(struct spawn_args *a)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	a->report = p[1];
	pid = fork();
	if (pid == 0) {
		(void)close(p[0]);
		spawn_child(a);
	}
	(void)close(p[1]);
	if (pid == -1) {
		(void)close(p[0]);
		return -1;
	}
	a->fail->pending = p[0];
	return pid;
}
#else
static pid_t
spawn_start(struct spawn_args *a)
{
	/* Enough for the checklist. */
	static_assert(SPAWN_STACK % 16 == 0, "stack alignment");
	char stack[SPAWN_STACK] __attribute__((aligned(16)));

	a->report = -1;
	return clone(spawn_child_main, stack + sizeof(stack),
	    CLONE_VM | CLONE_VFORK | SIGCHLD, a);
}
#endif

pid_t
spawn_handler(const struct service *svc, const struct listener *l, int fd,
    const struct sockaddr *peer, unsigned long concurrency, int errfd,
    struct spawn_failure *fail)
{
	struct spawn_env env;
	struct spawn_args a;

	fail->code = 0;
	fail->pending = -1;
	if (spawn_build_env(&env, svc, l, fd, peer, concurrency) == -1)
		return -1;
	a.svc = svc;
	a.fd = fd;
	a.errfd = errfd;
	a.envp = env.envp;
	a.fail = fail;
	return spawn_start(&a);
}

void
spawn_failure_collect(int pending, struct spawn_failure *f)
{
	ssize_t n;

	f->code = 0;
	if (pending == -1)
		return;
	do
		n = read(pending, f, sizeof(*f));
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(*f))
		f->code = 0;
	(void)close(pending);
}

int
spawn_failure_text(const struct service *svc, const struct spawn_failure *f,
    char *buf, size_t len)
{
	char interp[PROGRAM_INTERP_MAX + 128];

	if (f->interp[0] != '\0') {
		program_interpreter_text(f->interp, interp, sizeof(interp));
		return snprintf(buf, len, "%s %s: %s", f->step, svc->path,
		    interp);
	}
	return snprintf(buf, len, "%s %s: %s", f->step, svc->path,
	    f->reason != NULL ? f->reason : strerror(f->err));
}
