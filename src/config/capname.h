/* Linux capability names (CAP_NET_BIND_SERVICE, ...) and their numbers,
 * for the `capabilities` key and for -t. */
#ifndef SUPERD_CAPNAME_H
#define SUPERD_CAPNAME_H

#include <stddef.h>

/* The highest capability superd knows by name (CAP_CHECKPOINT_RESTORE,
 * Linux 5.9); a set of them fits in 64 bits. */
#define CAPNAME_LAST 40

/* The number of name ("CAP_" and the name, any case), or -1 with errno
 * EINVAL when it names no capability. */
int capname_parse(const char *name);

/* The name of capability n ("CAP_CHOWN"), or NULL past CAPNAME_LAST. */
const char *capname_of(int n);

/* The set as names, blank-separated, into buf ("none" when empty);
 * truncated to len. */
void capname_list(unsigned long long set, char *buf, size_t len);

#endif
