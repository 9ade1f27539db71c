/* Prepared namespaces (see nsprep.h).  A helper forked from superd
 * unshares, shapes its namespaces and waits; superd opens them through
 * /proc/PID/ns and lets the helper go.  The namespaces live on as long
 * as superd holds the descriptors, and a handler joins them with setns,
 * which costs far less than making them per connection. */
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nsprep.h"

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* The helper's word to superd. */
struct nsprep_report {
	int err; /* 0: ready */
	enum service_key key;
	char what[160];
};

/* Writable views kept aside while the rest turns read-only. */
#define NSPREP_KEEP_MAX 64

static const char *const nsprep_homes[] = { "/home", "/root", "/run/user",
	NULL };

bool
nsprep_wants_mount(const struct service *svc)
{
	return svc->private_tmp || svc->protect_system != PROTECT_SYSTEM_NO ||
	    svc->protect_home != PROTECT_HOME_NO;
}

bool
nsprep_wants_net(const struct service *svc)
{
	return svc->private_network;
}

static int
nsprep_fail(struct nsprep_report *r, enum service_key key, const char *what,
    const char *path)
{
	r->err = errno ? errno : EINVAL;
	r->key = key;
	snprintf(r->what, sizeof(r->what), "%s%s%s", what, path ? " " : "",
	    path ? path : "");
	return -1;
}

static bool
nsprep_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* lo, up: the only interface of a fresh network namespace, down. */
static int
nsprep_net(struct nsprep_report *r)
{
	struct ifreq ifr;
	int s;

	if (unshare(CLONE_NEWNET) == -1)
		return nsprep_fail(r, KEY_PRIVATE_NETWORK,
		    "cannot make a network namespace", NULL);
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return nsprep_fail(r, KEY_PRIVATE_NETWORK, "socket", NULL);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1) {
		(void)close(s);
		return nsprep_fail(r, KEY_PRIVATE_NETWORK, "no lo", NULL);
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) == -1) {
		(void)close(s);
		return nsprep_fail(r, KEY_PRIVATE_NETWORK, "cannot bring up lo",
		    NULL);
	}
	(void)close(s);
	return 0;
}

/* path and everything below it read-only, as one subtree of its own. */
static int
nsprep_readonly(const char *path)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) == -1)
		return -1;
	return mount_setattr(AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof(attr));
}

static int
nsprep_tmp(struct nsprep_report *r)
{
	static const char *const dirs[] = { "/tmp", "/var/tmp", NULL };
	size_t i;

	for (i = 0; dirs[i] != NULL; i++)
		if (nsprep_exists(dirs[i]) &&
		    mount("tmpfs", dirs[i], "tmpfs", MS_NOSUID | MS_NODEV,
		        "mode=1777") == -1)
			return nsprep_fail(r, KEY_PRIVATE_TMP,
			    "cannot mount a tmpfs on", dirs[i]);
	return 0;
}

static int
nsprep_home(const struct service *svc, struct nsprep_report *r)
{
	size_t i;
	int rc;

	for (i = 0; nsprep_homes[i] != NULL; i++) {
		if (!nsprep_exists(nsprep_homes[i]))
			continue;
		if (svc->protect_home == PROTECT_HOME_YES)
			rc = mount("tmpfs", nsprep_homes[i], "tmpfs",
			    MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
			    "mode=0000");
		else
			rc = nsprep_readonly(nsprep_homes[i]);
		if (rc == -1)
			return nsprep_fail(r, KEY_PROTECT_HOME,
			    "cannot protect", nsprep_homes[i]);
	}
	return 0;
}

/* A writable view kept aside: a detached clone of a subtree, taken with
 * the attributes it has now and put back over its read-only self. */
struct nsprep_keep {
	const char *path;
	int fd;
};

static int
nsprep_keep_one(struct nsprep_keep *keep, size_t *n, const char *path,
    enum service_key key, struct nsprep_report *r)
{
	int fd;

	if (key != KEY_READ_WRITE_PATHS && !nsprep_exists(path))
		return 0;
	if (*n == NSPREP_KEEP_MAX) {
		errno = E2BIG;
		return nsprep_fail(r, key, "too many writable paths at", path);
	}
	fd = open_tree(AT_FDCWD, path,
	    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (fd == -1)
		return nsprep_fail(r, key, "cannot keep writable", path);
	keep[*n].path = path;
	keep[(*n)++].fd = fd;
	return 0;
}

/* What stays writable under protect_system: the read_write_paths, and
 * under strict /dev, /proc, /sys and a private /tmp. */
static int
nsprep_keep_take(const struct service *svc, struct nsprep_keep *keep, size_t *n,
    struct nsprep_report *r)
{
	static const char *const live[] = { "/dev", "/proc", "/sys", NULL };
	static const char *const tmp[] = { "/tmp", "/var/tmp", NULL };
	bool strict = svc->protect_system == PROTECT_SYSTEM_STRICT;
	size_t i;

	for (i = 0; strict && live[i] != NULL; i++)
		if (nsprep_keep_one(keep, n, live[i], KEY_PROTECT_SYSTEM, r) ==
		    -1)
			return -1;
	for (i = 0; strict && svc->private_tmp && tmp[i] != NULL; i++)
		if (nsprep_keep_one(keep, n, tmp[i], KEY_PRIVATE_TMP, r) == -1)
			return -1;
	for (i = 0; i < svc->nrw_paths; i++)
		if (nsprep_keep_one(keep, n, svc->rw_paths[i],
		        KEY_READ_WRITE_PATHS, r) == -1)
			return -1;
	return 0;
}

static int
nsprep_keep_put(struct nsprep_keep *keep, size_t n, struct nsprep_report *r)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (rc == 0 &&
		    move_mount(keep[i].fd, "", AT_FDCWD, keep[i].path,
		        MOVE_MOUNT_F_EMPTY_PATH) == -1)
			rc = nsprep_fail(r, KEY_READ_WRITE_PATHS,
			    "cannot put back writable", keep[i].path);
		(void)close(keep[i].fd);
	}
	return rc;
}

static int
nsprep_system(const struct service *svc, struct nsprep_report *r)
{
	static const char *const full[] = { "/usr", "/boot", "/etc", NULL };
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	size_t i;

	if (svc->protect_system == PROTECT_SYSTEM_STRICT) {
		if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &attr,
		        sizeof(attr)) == -1)
			return nsprep_fail(r, KEY_PROTECT_SYSTEM,
			    "cannot make read-only", "/");
		return 0;
	}
	for (i = 0; full[i] != NULL; i++)
		if (nsprep_exists(full[i]) && nsprep_readonly(full[i]) == -1)
			return nsprep_fail(r, KEY_PROTECT_SYSTEM,
			    "cannot make read-only", full[i]);
	return 0;
}

/* The key a failure to make the mount namespace itself is told under. */
static enum service_key
nsprep_mount_key(const struct service *svc)
{
	if (svc->private_tmp)
		return KEY_PRIVATE_TMP;
	return svc->protect_system != PROTECT_SYSTEM_NO ? KEY_PROTECT_SYSTEM
	                                                : KEY_PROTECT_HOME;
}

/* In the helper.  Slave propagation: the host's later mounts still
 * arrive, and nothing done here leaks back. */
static int
nsprep_mounts(const struct service *svc, struct nsprep_report *r)
{
	struct nsprep_keep keep[NSPREP_KEEP_MAX];
	size_t n = 0;
	int rc = 0;

	if (unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) == -1)
		return nsprep_fail(r, nsprep_mount_key(svc),
		    "cannot make a mount namespace", NULL);
	if (svc->private_tmp && nsprep_tmp(r) == -1)
		return -1;
	if (svc->protect_system != PROTECT_SYSTEM_NO)
		rc = nsprep_keep_take(svc, keep, &n, r);
	if (rc == 0 && svc->protect_system != PROTECT_SYSTEM_NO)
		rc = nsprep_system(svc, r);
	if (rc == 0 && svc->protect_home != PROTECT_HOME_NO)
		rc = nsprep_home(svc, r);
	if (nsprep_keep_put(keep, n, r) == -1)
		rc = -1;
	return rc;
}

static void __attribute__((noreturn))
nsprep_helper(const struct service *svc, int report, int release)
{
	struct nsprep_report r;
	char c;

	memset(&r, 0, sizeof(r));
	errno = 0;
	if (!nsprep_wants_net(svc) || nsprep_net(&r) == 0)
		if (nsprep_wants_mount(svc))
			(void)nsprep_mounts(svc, &r);
	(void)!write(report, &r, sizeof(r));
	/* Until superd has opened the namespaces (EOF). */
	(void)!read(release, &c, 1);
	_exit(0);
}

/* The helper's namespace of kind ("mnt", "net") as a descriptor. */
static int
nsprep_open(pid_t pid, const char *kind)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, kind);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Reads the helper's report, opens its namespaces, lets it go and
 * reaps it. */
static int
nsprep_collect(const struct service *svc, pid_t pid, int report, int release,
    int *mntfd, int *netfd, struct nsprep_report *r)
{
	ssize_t n;
	int rc = 0;

	do
		n = read(report, r, sizeof(*r));
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(*r)) {
		errno = EIO;
		rc = nsprep_fail(r,
		    nsprep_wants_net(svc) ? KEY_PRIVATE_NETWORK
		                          : nsprep_mount_key(svc),
		    "the namespace helper died", NULL);
	} else if (r->err != 0) {
		rc = -1;
	} else if ((nsprep_wants_mount(svc) &&
	               (*mntfd = nsprep_open(pid, "mnt")) == -1) ||
	    (nsprep_wants_net(svc) && (*netfd = nsprep_open(pid, "net")) == -1))
		rc = nsprep_fail(r, nsprep_mount_key(svc),
		    "cannot open the namespace", NULL);
	(void)close(release);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
	return rc;
}

int
nsprep_build(const struct service *svc, int *mntfd, int *netfd,
    enum service_key *key, char *why, size_t whylen)
{
	struct nsprep_report r;
	int rep[2], rel[2];
	pid_t pid;

	*mntfd = *netfd = -1;
	if (!nsprep_wants_mount(svc) && !nsprep_wants_net(svc))
		return 0;
	memset(&r, 0, sizeof(r));
	if (pipe2(rep, O_CLOEXEC) == -1) {
		nsprep_fail(&r, nsprep_mount_key(svc), "pipe", NULL);
		goto fail;
	}
	if (pipe2(rel, O_CLOEXEC) == -1) {
		nsprep_fail(&r, nsprep_mount_key(svc), "pipe", NULL);
		(void)close(rep[0]);
		(void)close(rep[1]);
		goto fail;
	}
	if ((pid = fork()) == 0) {
		(void)close(rep[0]);
		(void)close(rel[1]);
		nsprep_helper(svc, rep[1], rel[0]);
	}
	(void)close(rep[1]);
	(void)close(rel[0]);
	if (pid == -1) {
		nsprep_fail(&r, nsprep_mount_key(svc), "fork", NULL);
		(void)close(rel[1]);
	} else if (nsprep_collect(svc, pid, rep[0], rel[1], mntfd, netfd, &r) ==
	    0) {
		(void)close(rep[0]);
		return 0;
	}
	(void)close(rep[0]);
fail:
	if (*mntfd != -1)
		(void)close(*mntfd);
	*mntfd = -1;
	*key = r.key;
	snprintf(why, whylen, "%s: %s", r.what, strerror(r.err));
	return -1;
}
