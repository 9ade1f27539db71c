/* The seccomp filters of system_call_filter, compiled once with
 * libseccomp into classic BPF that a child loads with one prctl. */
#ifndef SUPERD_SYSFILTER_H
#define SUPERD_SYSFILTER_H

#include <linux/filter.h>

#include <stddef.h>

#include "service.h"

/*
 * Compiles level's filter (not SYSCALL_FILTER_OFF) into *prog, whose
 * instructions are malloc'd: every system call of the level's groups
 * (docs/superd.ini.5) fails with EPERM, except clone3 under strict, which
 * fails with ENOSYS so that libc falls back to clone, whose flags the
 * filter can see.  A call made through another architecture's ABI fails
 * with EPERM too.  Returns 0, or -1 with the reason in err.
 */
int sysfilter_build(enum syscall_filter level, struct sock_fprog *prog,
    char *err, size_t errlen);

/* Frees what sysfilter_build allocated; a zeroed prog is fine. */
void sysfilter_free(struct sock_fprog *prog);

#endif
