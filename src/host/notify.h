/* Telling a service manager how superd is doing: the sd_notify protocol
 * (datagrams to $NOTIFY_SOCKET), written without libsystemd. */
#ifndef SUPERD_NOTIFY_H
#define SUPERD_NOTIFY_H

#include "log.h"

/* Reads NOTIFY_SOCKET (and removes it from the environment, so no handler
 * could ever inherit it) and opens a close-on-exec datagram socket for
 * it.  Without the variable every notify_send does nothing.  Returns 0,
 * or -1 with errno if the variable is set but unusable. */
int notify_init(void);

/* Sends one message such as "READY=1\nSTATUS=…".  A failure is logged
 * once and otherwise ignored: superd works without a service manager. */
void notify_send(const char *fmt, ...) LOG_PRINTF(1, 2);

/* Sends RELOADING=1 with MONOTONIC_USEC, as the protocol asks. */
void notify_reloading(void);

void notify_close(void);

#endif
