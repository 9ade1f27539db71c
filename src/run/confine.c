/* Confinement (see confine.h): the checks and plans made in superd, once
 * per configuration, and the child's steps, which only make syscalls on
 * the plan. */
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capname.h"
#include "confine.h"
#include "nsprep.h"
#include "sysfilter.h"

/* superd's own capability sets, as capget gives them. */
struct confine_self {
	uint64_t effective, permitted;
	int last_cap; /* the kernel's highest, -1 if unknown */
};

static int
confine_capget(struct confine_self *self)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int cap;

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) == -1)
		return -1;
	self->effective = d[0].effective | (uint64_t)d[1].effective << 32;
	self->permitted = d[0].permitted | (uint64_t)d[1].permitted << 32;
	/* PR_CAPBSET_READ says EINVAL past the kernel's last one. */
	for (cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != -1;
	     cap++)
		;
	self->last_cap = cap - 1;
	return 0;
}

/* Whether svc's handlers run as a user other than root: superd's own
 * when `user` is not set. */
static bool
confine_unprivileged(const struct service *svc)
{
	return svc->user_set ? svc->uid != 0 : geteuid() != 0;
}

static bool
confine_has(uint64_t set, int cap)
{
	return (set & (1ULL << cap)) != 0;
}

/* `capabilities` given: superd must be able to shape the sets. */
static int
confine_check_caps(const struct config *cfg, const struct service *svc,
    const struct confine_self *self, char *err, size_t errlen)
{
	int cap;

	if (!confine_has(self->effective, CAP_SETPCAP))
		return config_key_error(cfg, svc, KEY_CAPABILITIES, err, errlen,
		    "superd lacks CAP_SETPCAP (it is not root): it cannot "
		    "limit a handler's capabilities");
	for (cap = 0; cap <= CAPNAME_LAST; cap++) {
		if (!confine_has(svc->caps, cap))
			continue;
		if (cap > self->last_cap)
			return config_key_error(cfg, svc, KEY_CAPABILITIES, err,
			    errlen, "this kernel does not know %s",
			    capname_of(cap));
		if (confine_unprivileged(svc) &&
		    !confine_has(self->permitted, cap))
			return config_key_error(cfg, svc, KEY_CAPABILITIES, err,
			    errlen, "superd does not hold %s itself",
			    capname_of(cap));
	}
	if (svc->caps != 0 && confine_unprivileged(svc) &&
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 0, 0, 0) == -1)
		return config_key_error(cfg, svc, KEY_CAPABILITIES, err, errlen,
		    "this kernel has no ambient capabilities (Linux 4.3), so a "
		    "handler not run as root cannot keep any: %s",
		    strerror(errno));
	return 0;
}

/* The kernel's side of no_new_privileges and system_call_filter. */
static int
confine_check_kernel(const struct config *cfg, const struct service *svc,
    char *err, size_t errlen)
{
	enum service_key key =
	    svc->no_new_privs ? KEY_NO_NEW_PRIVILEGES : KEY_SYSTEM_CALL_FILTER;

	if ((svc->no_new_privs || svc->syscall_filter != SYSCALL_FILTER_OFF) &&
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == -1)
		return config_key_error(cfg, svc, key, err, errlen,
		    "this kernel cannot set no_new_privs (Linux 3.5): %s",
		    strerror(errno));
	if (svc->syscall_filter != SYSCALL_FILTER_OFF &&
	    prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == -1)
		return config_key_error(cfg, svc, KEY_SYSTEM_CALL_FILTER, err,
		    errlen, "this kernel has no seccomp: %s", strerror(errno));
	return 0;
}

/* svc's plan; the filter is filled in by the caller. */
static int
confine_plan(const struct config *cfg, const struct service *svc,
    const struct confine_self *self, struct confine_plan *p, char *err,
    size_t errlen)
{
	enum service_key key;
	char why[256];

	memset(p, 0, sizeof(*p));
	p->mntfd = p->netfd = -1;
	if (!svc->enabled)
		return 0;
	if (confine_check_kernel(cfg, svc, err, errlen) == -1)
		return -1;
	if (svc->caps_set &&
	    confine_check_caps(cfg, svc, self, err, errlen) == -1)
		return -1;
	/* A filter without no_new_privs needs CAP_SYS_ADMIN, and would let
	 * a setuid program run under rules it was not written for. */
	p->nnp = svc->no_new_privs || svc->syscall_filter != SYSCALL_FILTER_OFF;
	if (nsprep_build(svc, &p->mntfd, &p->netfd, &key, why, sizeof(why)) ==
	    -1)
		return config_key_error(cfg, svc, key, err, errlen, "%s", why);
	p->last_cap = self->last_cap;
	if (svc->caps_set) {
		p->bound = true;
		p->caps = svc->caps;
		p->ambient = svc->caps != 0 && confine_unprivileged(svc);
	} else if (confine_unprivileged(svc) &&
	    confine_has(self->effective, CAP_SETPCAP)) {
		/* The default for a user other than root: nothing, so a
		 * setuid or file-capability program gains nothing either. */
		p->bound = true;
	}
	return 0;
}

/* The filters some service uses, each compiled once. */
static int
confine_filters(struct confine *c, const struct config *cfg, char *err,
    size_t errlen)
{
	const struct service *svc;
	char why[256];
	size_t i;
	int level;

	for (i = 0; i < cfg->nservices; i++) {
		svc = &cfg->services[i];
		level = svc->enabled ? (int)svc->syscall_filter : 0;
		if (level == SYSCALL_FILTER_OFF)
			continue;
		if (c->progs[level].filter == NULL &&
		    sysfilter_build(svc->syscall_filter, &c->progs[level], why,
		        sizeof(why)) == -1)
			return config_key_error(cfg, svc,
			    KEY_SYSTEM_CALL_FILTER, err, errlen, "%s", why);
		c->plans[i].filter = &c->progs[level];
	}
	return 0;
}

int
confine_prepare(struct confine *c, const struct config *cfg, char *err,
    size_t errlen)
{
	struct confine_self self;
	size_t i;

	memset(c, 0, sizeof(*c));
	if (confine_capget(&self) == -1) {
		snprintf(err, errlen, "capget: %s", strerror(errno));
		return -1;
	}
	if ((c->plans = calloc(cfg->nservices ? cfg->nservices : 1,
	         sizeof(*c->plans))) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	/* c->n counts the plans made, whose descriptors confine_free
	 * closes. */
	for (i = 0; i < cfg->nservices; i++, c->n++)
		if (confine_plan(cfg, &cfg->services[i], &self, &c->plans[i],
		        err, errlen) == -1)
			goto fail;
	if (confine_filters(c, cfg, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	confine_free(c);
	return -1;
}

int
confine_check(const struct config *cfg, char *err, size_t errlen)
{
	struct confine c;

	if (confine_prepare(&c, cfg, err, errlen) == -1)
		return -1;
	confine_free(&c);
	return 0;
}

void
confine_free(struct confine *c)
{
	size_t i;

	for (i = 0; i < SYSCALL_FILTERS; i++)
		sysfilter_free(&c->progs[i]);
	for (i = 0; i < c->n; i++) {
		if (c->plans[i].mntfd != -1)
			(void)close(c->plans[i].mntfd);
		if (c->plans[i].netfd != -1)
			(void)close(c->plans[i].netfd);
	}
	free(c->plans);
	memset(c, 0, sizeof(*c));
}

/* Whether svc sets any of the confinement keys. */
static bool
confine_any_key(const struct service *svc)
{
	static const enum service_key keys[] = { KEY_NO_NEW_PRIVILEGES,
		KEY_CAPABILITIES, KEY_SYSTEM_CALL_FILTER, KEY_PRIVATE_TMP,
		KEY_PROTECT_SYSTEM, KEY_READ_WRITE_PATHS, KEY_PROTECT_HOME,
		KEY_PRIVATE_NETWORK };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (svc->key_line[keys[i]] != 0)
			return true;
	return false;
}

/* The namespace keys, for confine_describe to append. */
static void
confine_describe_ns(const struct service *svc, char *buf, size_t len)
{
	static const char *const systems[] = { "no", "full", "strict" };
	static const char *const homes[] = { "no", "yes", "read-only" };
	size_t used, i;
	int n;

	n = snprintf(buf, len,
	    " private_tmp=%s protect_system=%s protect_home=%s "
	    "private_network=%s",
	    svc->private_tmp ? "yes" : "no", systems[svc->protect_system],
	    homes[svc->protect_home], svc->private_network ? "yes" : "no");
	used = n > 0 ? (size_t)n : 0;
	for (i = 0; i < svc->nrw_paths && used < len; i++) {
		n = snprintf(buf + used, len - used, "%s%s",
		    i ? "," : " read_write_paths=", svc->rw_paths[i]);
		used += n > 0 ? (size_t)n : 0;
	}
}

void
confine_describe(const struct service *svc, char *buf, size_t len)
{
	static const char *const filters[] = { "off", "default", "strict" };
	char caps[512];
	size_t used;
	bool nnp;
	int n;

	buf[0] = '\0';
	if (!confine_any_key(svc))
		return;
	nnp = svc->no_new_privs || svc->syscall_filter != SYSCALL_FILTER_OFF;
	if (svc->caps_set)
		capname_list(svc->caps, caps, sizeof(caps));
	else
		snprintf(caps, sizeof(caps), "%s",
		    confine_unprivileged(svc) && geteuid() == 0 ? "none"
		                                                : "unchanged");
	n = snprintf(buf, len,
	    "no_new_privileges=%s%s capabilities=%s system_call_filter=%s",
	    nnp ? "yes" : "no",
	    nnp && !svc->no_new_privs ? " (implied by system_call_filter)" : "",
	    caps, filters[svc->syscall_filter]);
	used = n > 0 ? (size_t)n : 0;
	if (used < len)
		confine_describe_ns(svc, buf + used, len - used);
}

/* ---- in the child ---- */

const char *
confine_enter(const struct confine_plan *p)
{
	if (p->netfd != -1 && setns(p->netfd, CLONE_NEWNET) == -1)
		return "cannot join the private_network of";
	if (p->mntfd != -1 && setns(p->mntfd, CLONE_NEWNS) == -1)
		return "cannot join the mount namespace of";
	return NULL;
}

const char *
confine_before_drop(const struct confine_plan *p)
{
	int cap;

	for (cap = 0; p->bound && cap <= p->last_cap; cap++)
		if (!confine_has(p->caps, cap) &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
			return "cannot drop capabilities for";
	if (p->ambient && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1)
		return "cannot keep capabilities for";
	return NULL;
}

/* setuid kept the permitted set (PR_SET_KEEPCAPS); caps become the
 * permitted, effective and inheritable sets, then ambient, which is what
 * survives the exec of a program without file capabilities. */
const char *
confine_after_drop(const struct confine_plan *p)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int cap;

	if (!p->ambient)
		return NULL;
	d[0].permitted = d[0].effective = d[0].inheritable = (uint32_t)p->caps;
	d[1].permitted = d[1].effective = d[1].inheritable =
	    (uint32_t)(p->caps >> 32);
	if (syscall(SYS_capset, &h, d) == -1)
		return "cannot set capabilities for";
	for (cap = 0; cap <= p->last_cap; cap++)
		if (confine_has(p->caps, cap) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) ==
		        -1)
			return "cannot raise ambient capabilities for";
	return NULL;
}

const char *
confine_seal(const struct confine_plan *p)
{
	if (p->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return "cannot set no_new_privileges for";
	if (p->filter != NULL &&
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, p->filter, 0, 0) == -1)
		return "cannot load system_call_filter for";
	return NULL;
}
