/* Capability names, in the kernel's order (see capname.h).  Spelt out
 * rather than taken from libcap: superd needs nothing else of it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "capname.h"

static const char *const capname_names[CAPNAME_LAST + 1] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

int
capname_parse(const char *name)
{
	int i;

	for (i = 0; i <= CAPNAME_LAST; i++)
		if (strcasecmp(name, capname_names[i]) == 0)
			return i;
	errno = EINVAL;
	return -1;
}

const char *
capname_of(int n)
{
	return n >= 0 && n <= CAPNAME_LAST ? capname_names[n] : NULL;
}

void
capname_list(unsigned long long set, char *buf, size_t len)
{
	size_t used = 0;
	int i, n;

	snprintf(buf, len, "none");
	for (i = 0; i <= CAPNAME_LAST && used < len; i++) {
		if (!(set & (1ULL << i)))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? " " : "",
		    capname_names[i]);
		used += n > 0 ? (size_t)n : 0;
	}
}
