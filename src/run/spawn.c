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
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sig.h"
#include "spawn.h"

#define SPAWN_STACK (64 * 1024)

/* The fixed variables (PATH, the login ones, PROTO, five for the
 * connection or the socket, SUPERD_SERVICE, and listen_fds' three), the
 * service's own, and the NULL. */
#define ENV_FIXED (1 + SERVICE_LOGIN_VARS + 10)
#define ENV_MAX (ENV_FIXED + SPAWN_EXTRA_MAX + SERVICE_ENV_MAX + 1)
/* The fixed variables only: the service's entries are not copied.  A
 * unix socket's path takes up to 108 of it. */
#define ENV_BUF 768
/* "LISTEN_PID=" and room for any pid, which the child writes itself. */
#define ENV_PID_DIGITS 10

struct spawn_env {
	char *envp[ENV_MAX];
	char buf[ENV_BUF];
	size_t used, n;
	char *listen_pid; /* listen_fds: the digits of LISTEN_PID */
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

/* A TCP connection: UCSPI's tcpserver variables. */
static int
spawn_env_tcp(struct spawn_env *e, const struct listener *l,
    const struct spawn_conn *conn)
{
	char lip[INET6_ADDRSTRLEN], lport[6], rip[INET6_ADDRSTRLEN], rport[6];
	char conc[24];
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	const char *ip = l->ip, *port = l->port;

	/* Behind a balancer, the address the client reached is the
	 * header's; else only a wildcard listener needs asking which
	 * address was hit. */
	if (conn->local != NULL) {
		spawn_addr(conn->local, lip, sizeof(lip), lport, sizeof(lport));
		ip = lip;
		port = lport;
	} else if (l->wildcard) {
		if (getsockname(conn->fd, (struct sockaddr *)&local, &len) ==
		    -1)
			return -1;
		spawn_addr((struct sockaddr *)&local, lip, sizeof(lip), lport,
		    sizeof(lport));
		ip = lip;
		port = lport;
	}
	spawn_addr(conn->peer, rip, sizeof(rip), rport, sizeof(rport));
	snprintf(conc, sizeof(conc), "%lu", conn->concurrency);
	if (spawn_setenv(e, "PROTO", "TCP") == -1 ||
	    spawn_setenv(e, "TCPLOCALIP", ip) == -1 ||
	    spawn_setenv(e, "TCPLOCALPORT", port) == -1 ||
	    spawn_setenv(e, "TCPREMOTEIP", rip) == -1 ||
	    spawn_setenv(e, "TCPREMOTEPORT", rport) == -1 ||
	    spawn_setenv(e, "TCPCONCURRENCY", conc) == -1)
		return -1;
	return 0;
}

/* A unix-domain connection: UCSPI's unixserver variables, the client as
 * the kernel vouches for it. */
static int
spawn_env_unix(struct spawn_env *e, const struct listener *l,
    const struct spawn_conn *conn)
{
	char uid[16], gid[16], pid[16];

	if (spawn_setenv(e, "PROTO", "UNIX") == -1 ||
	    spawn_setenv(e, "UNIXLOCALPATH", l->ip) == -1)
		return -1;
	if (conn->unix_peer == NULL)
		return 0;
	snprintf(uid, sizeof(uid), "%u", (unsigned)conn->unix_peer->uid);
	snprintf(gid, sizeof(gid), "%u", (unsigned)conn->unix_peer->gid);
	snprintf(pid, sizeof(pid), "%d", (int)conn->unix_peer->pid);
	if (spawn_setenv(e, "UNIXREMOTEEUID", uid) == -1 ||
	    spawn_setenv(e, "UNIXREMOTEEGID", gid) == -1 ||
	    spawn_setenv(e, "UNIXREMOTEPID", pid) == -1)
		return -1;
	return 0;
}

/* A wait handler's socket: where it listens, no client yet. */
static int
spawn_env_wait(struct spawn_env *e, const struct listener *l)
{
	bool udp = l->type == SOCK_DGRAM;

	if (spawn_setenv(e, "PROTO", udp ? "UDP" : "TCP") == -1 ||
	    spawn_setenv(e, udp ? "UDPLOCALIP" : "TCPLOCALIP", l->ip) == -1 ||
	    spawn_setenv(e, udp ? "UDPLOCALPORT" : "TCPLOCALPORT", l->port) ==
	        -1)
		return -1;
	return 0;
}

/* listen_fds: systemd's variables; LISTEN_PID is the child's own pid,
 * which only the child knows, so its digits are left for it to write. */
static int
spawn_env_listen(struct spawn_env *e, const struct service *svc)
{
	char blank[ENV_PID_DIGITS + 1];

	memset(blank, ' ', ENV_PID_DIGITS);
	blank[ENV_PID_DIGITS] = '\0';
	if (spawn_setenv(e, "LISTEN_FDS", "1") == -1 ||
	    spawn_setenv(e, "LISTEN_FDNAMES", svc->name) == -1 ||
	    spawn_setenv(e, "LISTEN_PID", blank) == -1)
		return -1;
	e->listen_pid = e->envp[e->n - 1] + strlen("LISTEN_PID=");
	return 0;
}

static int
spawn_build_env(struct spawn_env *e, const struct service *svc,
    const struct listener *l, const struct spawn_conn *conn)
{
	size_t i;
	int rc;

	e->used = e->n = 0;
	e->listen_pid = NULL;
	if (!spawn_sets_path(svc) && spawn_setenv(e, "PATH", SPAWN_PATH) == -1)
		return -1;
	for (i = 0; i < SERVICE_LOGIN_VARS; i++)
		if (svc->login_env[i] != NULL &&
		    spawn_putenv(e, svc->login_env[i]) == -1)
			return -1;
	if (addr_path(&l->local) != NULL)
		rc = spawn_env_unix(e, l, conn);
	else if (l->kind == LISTEN_WAIT)
		rc = spawn_env_wait(e, l);
	else
		rc = spawn_env_tcp(e, l, conn);
	if (rc == -1 || spawn_setenv(e, "SUPERD_SERVICE", svc->name) == -1)
		return -1;
	for (i = 0; conn->extra_env != NULL && conn->extra_env[i] != NULL; i++)
		if (i == SPAWN_EXTRA_MAX ||
		    spawn_putenv(e, conn->extra_env[i]) == -1)
			return -1;
	if (svc->listen_fds && spawn_env_listen(e, svc) == -1)
		return -1;
	for (i = 0; i < svc->nenv; i++)
		if (spawn_putenv(e, svc->env[i]) == -1)
			return -1;
	return 0;
}

/* What the child needs, passed through clone's one argument. */
struct spawn_args {
	const struct service *svc;
	const struct confine_plan *plan; /* NULL: none */
	int fd, errfd;
	char *const *envp;
	char *listen_pid; /* listen_fds: where its pid goes; else NULL */
	struct spawn_failure *fail; /* vfork builds: superd's own memory */
	int report;                 /* fork builds: a pipe to superd; -1 */
	bool shared_fds;            /* born on superd's descriptor table */
	bool keep_group;            /* no setsid: the TLS relay's handler */
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
 * id).  Only system calls, as everywhere in the child. */
const char *
spawn_drop_ids(const struct service *svc, const char **reason)
{
	bool root = geteuid() == 0;

	*reason = NULL;
	if (root && setgroups(svc->ngroups, svc->groups) == -1)
		return "cannot setgroups for";
	if ((root || getgid() != svc->gid || getegid() != svc->gid) &&
	    setgid(svc->gid) == -1)
		return "cannot setgid for";
	if ((root || getuid() != svc->uid || geteuid() != svc->uid) &&
	    setuid(svc->uid) == -1)
		return "cannot setuid for";
	/* Trust, but verify: a drop that half worked must not exec. */
	*reason = "ids differ after setuid";
	if (getuid() != svc->uid || geteuid() != svc->uid ||
	    getgid() != svc->gid || getegid() != svc->gid ||
	    (root && getgroups(0, NULL) != (int)svc->ngroups))
		return "privileges not dropped for";
	*reason = "setuid(0) succeeded";
	if (svc->uid != 0 && setuid(0) != -1)
		return "privileges not dropped for";
	*reason = NULL;
	return NULL;
}

static void
spawn_drop(const struct spawn_args *a)
{
	const char *step, *reason;

	if (a->svc->user_set &&
	    (step = spawn_drop_ids(a->svc, &reason)) != NULL)
		spawn_die(a, step, reason, 126);
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

/* Fork builds: the report pipe moves to fd at (still close-on-exec, so
 * exec closes it and superd reads EOF), above the handler's own.  Returns
 * the first fd to close. */
static int
spawn_keep_report(struct spawn_args *a, int at)
{
	if (a->report == -1)
		return at;
	if (a->report != at && dup3(a->report, at, O_CLOEXEC) == -1)
		return -1;
	a->report = at;
	return at + 1;
}

/* The connection (or a wait handler's socket) on fds 0 and 1, errfd on
 * 2.  Returns the first fd to close, or -1. */
static int
spawn_fds_conn(struct spawn_args *a)
{
	if (dup2(a->fd, STDIN_FILENO) == -1 || dup2(a->fd, STDOUT_FILENO) == -1)
		spawn_die(a, "cannot set up stdin/stdout for", NULL, 126);
	if (a->errfd != -1 && dup2(a->errfd, STDERR_FILENO) == -1)
		spawn_die(a, "cannot set up stderr for", NULL, 126);
	return spawn_keep_report(a, 3);
}

/* Moves fd above the handler's five (0-2, the socket at 3, a report at
 * 4), keeping close-on-exec: a passed socket may well be fd 3 itself. */
static int
spawn_lift(int fd)
{
	return fd < 5 ? fcntl(fd, F_DUPFD_CLOEXEC, 5) : fd;
}

/* Writes pid's digits and a NUL at at, in the room left for them (the
 * child allocates nothing). */
static void
spawn_put_pid(char *at, long pid)
{
	char digits[ENV_PID_DIGITS];
	int n = 0, i;

	do
		digits[n++] = (char)('0' + pid % 10);
	while ((pid /= 10) > 0 && n < ENV_PID_DIGITS);
	for (i = 0; i < n; i++)
		at[i] = digits[n - 1 - i];
	at[n] = '\0';
}

/* listen_fds: fds 0 and 1 on /dev/null, errfd on 2, the socket on 3
 * (SD_LISTEN_FDS_START), LISTEN_PID filled in.  Returns the first fd to
 * close, or -1. */
static int
spawn_fds_listen(struct spawn_args *a)
{
	int sock = spawn_lift(a->fd), null;

	if (sock == -1 ||
	    (a->report != -1 && (a->report = spawn_lift(a->report)) == -1))
		spawn_die(a, "cannot set up fd 3 for", NULL, 126);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null == -1 || dup2(null, STDIN_FILENO) == -1 ||
	    dup2(null, STDOUT_FILENO) == -1)
		spawn_die(a, "cannot set up stdin/stdout for", NULL, 126);
	if (a->errfd != -1 && dup2(a->errfd, STDERR_FILENO) == -1)
		spawn_die(a, "cannot set up stderr for", NULL, 126);
	if (dup2(sock, 3) == -1)
		spawn_die(a, "cannot set up fd 3 for", NULL, 126);
	spawn_put_pid(a->listen_pid, (long)getpid());
	return spawn_keep_report(a, 4);
}

/*
 * A child born on superd's descriptor table takes a copy of its own, of
 * only what it needs (the descriptors up to the higher of fd and errfd),
 * before it changes any: close_range with CLOSE_RANGE_UNSHARE copies just
 * what lies below the range it closes.  A copy of the whole table, as
 * fork or a plain clone makes, cost superd a reference and the child a
 * close per descriptor: with 10,000 handlers' pipes open, about 600 us
 * per connection.  Kernels before 5.9 get the whole copy.
 */
static int
spawn_own_fds(const struct spawn_args *a)
{
	int keep = a->fd > a->errfd ? a->fd : a->errfd;

	if (!a->shared_fds)
		return 0;
	if (close_range((unsigned int)keep + 1, ~0U, CLOSE_RANGE_UNSHARE) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return -1;
	return unshare(CLONE_FILES);
}

/* One of confine.h's child steps, if the service has a plan. */
static void
spawn_confine(const struct spawn_args *a,
    const char *(*step)(const struct confine_plan *))
{
	const char *failed;

	if (a->plan != NULL && (failed = step(a->plan)) != NULL)
		spawn_die(a, failed, NULL, 126);
}

static void __attribute__((noreturn)) spawn_child(struct spawn_args *a)
{
	int lowfd;

	/* Before the descriptors go: the namespaces' are among them.
	 * setns changes nothing of superd's, the table included. */
	spawn_confine(a, confine_enter);
	/* Then: until now the table is superd's. */
	if (spawn_own_fds(a) == -1)
		spawn_die(a, "cannot close descriptors for", NULL, 126);
	/* Dispositions are already default: sig_init reset them in superd
	 * and superd installs no handler.  The blocked mask survives exec,
	 * so it is cleared here. */
	if (sig_child_reset() == -1)
		spawn_die(a, "cannot reset the signal mask for", NULL, 126);
	/* Own session and process group: shutdown signals the group, so a
	 * handler's own children are stopped with it. */
	if (!a->keep_group && setsid() == -1)
		spawn_die(a, "cannot start a session for", NULL, 126);
	spawn_world(a);
	spawn_confine(a, confine_before_drop);
	spawn_drop(a);
	spawn_confine(a, confine_after_drop);
	lowfd = a->listen_pid != NULL ? spawn_fds_listen(a) : spawn_fds_conn(a);
	/* Every fd of superd's is close-on-exec already; this also closes
	 * anything our own parent leaked to us, and fd itself. */
	if (lowfd == -1 || spawn_close_from(lowfd) == -1)
		spawn_die(a, "cannot close descriptors for", NULL, 126);
	/* Last: the filter would otherwise judge superd's own set-up. */
	spawn_confine(a, confine_seal);
	/* A websocket service runs its relay, which starts the handler
	 * once the upgrade is done (wskeys.c built its command line). */
	if (a->svc->relay_argv != NULL)
		execve(a->svc->relay_path, a->svc->relay_argv, a->envp);
	else
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
	a->shared_fds = false;
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
	/* Kept until the reap, so above the numbers a connection takes, as
	 * the pipe and pidfd are (spawn_keep_fd); where it is does not
	 * matter to correctness, so a failed move keeps it where it is. */
	a->fail->pending = spawn_keep_fd(p[0]);
	if (a->fail->pending == -1)
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
	a->shared_fds = true;
	return clone(spawn_child_main, stack + sizeof(stack),
	    CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, a);
}
#endif

pid_t
spawn_handler(const struct service *svc, const struct confine_plan *plan,
    const struct listener *l, const struct spawn_conn *conn, int errfd,
    struct spawn_failure *fail)
{
	struct spawn_env env;
	struct spawn_args a;

	fail->code = 0;
	fail->pending = -1;
	if (spawn_build_env(&env, svc, l, conn) == -1)
		return -1;
	a.svc = svc;
	a.plan = plan;
	a.fd = conn->fd;
	a.errfd = errfd;
	a.envp = env.envp;
	a.listen_pid = env.listen_pid;
	a.fail = fail;
	a.keep_group = conn->keep_group;
	return spawn_start(&a);
}

int
spawn_keep_fd(int fd)
{
	int moved = fcntl(fd, F_DUPFD_CLOEXEC, fd + SPAWN_FD_ROOM);

	if (moved == -1)
		return -1;
	(void)close(fd);
	return moved;
}

int
spawn_keep_high(int fd)
{
	static long floor = -1;
	struct rlimit rl;
	int moved;

	if (floor == -1) {
		floor = 0;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
			floor = SPAWN_HIGH_MAX;
		if (floor != 0 && rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur / 2 < SPAWN_HIGH_MAX)
			floor = (long)(rl.rlim_cur / 2);
	}
	if (fd >= floor)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, (int)floor);
	if (moved == -1)
		return fd;
	(void)close(fd);
	return moved;
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
