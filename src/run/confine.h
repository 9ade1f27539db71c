/* Confinement of handlers (no_new_privileges, capabilities,
 * system_call_filter, and the namespaces of private_tmp, protect_system,
 * read_write_paths, protect_home, private_network): planned and built
 * once per configuration, in superd, and applied by each child in four
 * syscall-only steps. */
#ifndef SUPERD_CONFINE_H
#define SUPERD_CONFINE_H

#include <linux/filter.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* What one service's child does, decided at load. */
struct confine_plan {
	bool nnp;      /* PR_SET_NO_NEW_PRIVS */
	bool bound;    /* the bounding set becomes caps */
	bool ambient;  /* caps kept across setuid, raised as ambient */
	uint64_t caps; /* 1 << CAP_... */
	int last_cap;  /* the kernel's highest capability */
	const struct sock_fprog *filter; /* NULL: none */
	int mntfd, netfd; /* prepared namespaces (nsprep.h); -1: none */
};

/* One configuration's plans, index by service, and the compiled filters
 * they point into (the same for every service of a level). */
struct confine {
	struct confine_plan *plans;
	size_t n;
	struct sock_fprog progs[SYSCALL_FILTERS];
};

/*
 * Plans every service of cfg into c, after checking that this kernel and
 * this superd can do what each asks: no_new_privileges (Linux 3.5),
 * capabilities (CAP_SETPCAP in superd, the named ones known to the kernel
 * and held by superd; ambient capabilities, Linux 4.3, for a user other
 * than root), system_call_filter (seccomp filters, and libseccomp able
 * to compile them), and the namespaces, which it builds (nsprep.h).
 * Returns 0, or -1 with "FILE:LINE: [service] key: what" in err; c is
 * then empty.
 */
int confine_prepare(struct confine *c, const struct config *cfg, char *err,
    size_t errlen);

/* The checks of confine_prepare alone, for superd -t and superctl
 * check. */
int confine_check(const struct config *cfg, char *err, size_t errlen);

/* Frees what confine_prepare made (the namespaces' descriptors too: a
 * namespace lives on while a handler is in it); a zeroed c is fine. */
void confine_free(struct confine *c);

/* svc's confinement as one line for -t, "" when it sets none of the
 * keys. */
void confine_describe(const struct service *svc, char *buf, size_t len);

/*
 * The child's steps, syscalls only; each returns NULL, or the step that
 * failed ("cannot drop capabilities for") with errno set.
 * confine_enter: the prepared namespaces (setns), first of all, since it
 * resets the working directory and needs superd's descriptors.
 * confine_before_drop: the bounding set, and keeping capabilities across
 * setuid; while still privileged.  confine_after_drop: the ambient
 * capabilities, once setuid has run.  confine_seal: no_new_privileges,
 * then the filter; last before exec.
 */
const char *confine_enter(const struct confine_plan *p);
const char *confine_before_drop(const struct confine_plan *p);
const char *confine_after_drop(const struct confine_plan *p);
const char *confine_seal(const struct confine_plan *p);

#endif
