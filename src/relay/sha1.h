/* SHA-1 (FIPS 180-4), for the one thing RFC 6455 uses it for: the
 * Sec-WebSocket-Accept value.  Not for anything that needs security. */
#ifndef SUPERD_SHA1_H
#define SUPERD_SHA1_H

#include <stddef.h>

#define SHA1_LEN 20

/* The digest of len bytes at data into out. */
void sha1(const void *data, size_t len, unsigned char out[SHA1_LEN]);

#endif
