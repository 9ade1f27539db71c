/* system_call_filter's groups and their compilation (see sysfilter.h).
 * libseccomp turns names into this architecture's numbers and writes the
 * BPF, arch checks included; superd keeps the result, so a child loads a
 * ready program and allocates nothing. */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysfilter.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define GROUP_CALLS_MAX 12

/* A group of calls the filter denies, from the level on. */
struct sysfilter_group {
	const char *name;
	enum syscall_filter from;
	const char *calls[GROUP_CALLS_MAX];
};

/* Names a kernel or architecture lacks are skipped. */
static const struct sysfilter_group sysfilter_groups[] = {
	{ "mount", SYSCALL_FILTER_DEFAULT,
	    { "mount", "umount", "umount2", "pivot_root", "move_mount",
	        "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
	        "mount_setattr", NULL } },
	{ "module", SYSCALL_FILTER_DEFAULT,
	    { "init_module", "finit_module", "delete_module", NULL } },
	{ "kexec", SYSCALL_FILTER_DEFAULT,
	    { "kexec_load", "kexec_file_load", NULL } },
	{ "reboot", SYSCALL_FILTER_DEFAULT, { "reboot", NULL } },
	{ "swap", SYSCALL_FILTER_DEFAULT, { "swapon", "swapoff", NULL } },
	{ "clock", SYSCALL_FILTER_DEFAULT,
	    { "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	        "stime", NULL } },
	{ "bpf", SYSCALL_FILTER_DEFAULT, { "bpf", NULL } },
	{ "raw-io", SYSCALL_FILTER_DEFAULT, { "iopl", "ioperm", NULL } },
	{ "accounting", SYSCALL_FILTER_DEFAULT, { "acct", NULL } },
	/* ptrace itself: only PTRACE_ATTACH and PTRACE_SEIZE here, see
	 * sysfilter_ptrace. */
	{ "other-processes", SYSCALL_FILTER_DEFAULT,
	    { "process_vm_readv", "process_vm_writev", "pidfd_getfd", NULL } },
	{ "tracing", SYSCALL_FILTER_STRICT,
	    { "ptrace", "perf_event_open", "process_madvise", NULL } },
	/* clone's namespace flags and clone3: sysfilter_namespaces. */
	{ "namespaces", SYSCALL_FILTER_STRICT, { "unshare", "setns", NULL } },
};

/* Makes name fail with err.  Returns 0, or libseccomp's -errno. */
static int
sysfilter_deny(scmp_filter_ctx ctx, const char *name, int err)
{
	int nr = seccomp_syscall_resolve_name(name);

	/* Unknown here, or a pseudo-number: not on this architecture. */
	if (nr == __NR_SCMP_ERROR || nr < 0)
		return 0;
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO((unsigned)err), nr, 0);
}

/* default: attaching to another process; tracing one's own children
 * (PTRACE_TRACEME, as debuggers start them) stays. */
static int
sysfilter_ptrace(scmp_filter_ctx ctx)
{
	int rc;

	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ptrace), 1,
	    SCMP_A0(SCMP_CMP_EQ, PTRACE_ATTACH));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
		    SCMP_SYS(ptrace), 1, SCMP_A0(SCMP_CMP_EQ, PTRACE_SEIZE));
	return rc;
}

/* strict: clone with any CLONE_NEW* flag.  clone3 passes its flags in
 * memory a filter cannot read, so it says ENOSYS: glibc then uses clone
 * (EPERM would fail every pthread_create instead). */
static int
sysfilter_namespaces(scmp_filter_ctx ctx)
{
	static const unsigned long flags[] = { CLONE_NEWNS, CLONE_NEWUTS,
		CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
		CLONE_NEWCGROUP, CLONE_NEWTIME };
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < sizeof(flags) / sizeof(flags[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
		    SCMP_SYS(clone), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, flags[i], flags[i]));
	if (rc == 0)
		rc = sysfilter_deny(ctx, "clone3", ENOSYS);
	return rc;
}

static int
sysfilter_rules(scmp_filter_ctx ctx, enum syscall_filter level)
{
	const struct sysfilter_group *g;
	size_t i, j;
	int rc = 0;

	for (i = 0; i < sizeof(sysfilter_groups) / sizeof(sysfilter_groups[0]);
	     i++) {
		g = &sysfilter_groups[i];
		if (g->from > level)
			continue;
		for (j = 0; rc == 0 && g->calls[j] != NULL; j++)
			rc = sysfilter_deny(ctx, g->calls[j], EPERM);
	}
	/* strict denies all of ptrace already. */
	if (rc == 0 && level == SYSCALL_FILTER_DEFAULT)
		rc = sysfilter_ptrace(ctx);
	if (rc == 0 && level == SYSCALL_FILTER_STRICT)
		rc = sysfilter_namespaces(ctx);
	return rc;
}

/* The compiled program, read back from the memory file libseccomp wrote
 * it to (libseccomp 2.5 exports to a descriptor only). */
static int
sysfilter_export(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	struct stat st;
	void *buf = NULL;
	int fd, rc;

	if ((fd = memfd_create("superd-filter", MFD_CLOEXEC)) == -1)
		return -1;
	if ((rc = seccomp_export_bpf(ctx, fd)) < 0) {
		errno = -rc;
		goto fail;
	}
	if (fstat(fd, &st) == -1)
		goto fail;
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		errno = EINVAL;
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size)) == NULL ||
	    pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
		goto fail;
	(void)close(fd);
	prog->filter = buf;
	prog->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	return 0;
fail:
	free(buf);
	(void)close(fd);
	return -1;
}

int
sysfilter_build(enum syscall_filter level, struct sock_fprog *prog, char *err,
    size_t errlen)
{
	scmp_filter_ctx ctx;
	int rc;

	memset(prog, 0, sizeof(*prog));
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		snprintf(err, errlen, "libseccomp cannot start a filter");
		return -1;
	}
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_ERRNO(EPERM));
	if (rc == 0)
		rc = sysfilter_rules(ctx, level);
	if (rc < 0) {
		snprintf(err, errlen, "libseccomp: %s", strerror(-rc));
		seccomp_release(ctx);
		return -1;
	}
	rc = sysfilter_export(ctx, prog);
	if (rc == -1)
		snprintf(err, errlen, "cannot compile the filter: %s",
		    strerror(errno));
	seccomp_release(ctx);
	return rc;
}

void
sysfilter_free(struct sock_fprog *prog)
{
	free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}
