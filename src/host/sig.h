/* Signals: the one file that owns them.  superd blocks the signals it acts
 * on and reads them from a signalfd in its loop, so no code ever runs in
 * signal context and nothing is lost between a check and a wait. */
#ifndef SUPERD_SIG_H
#define SUPERD_SIG_H

#include <sys/types.h>

#include <stdbool.h>

/*
 * Resets every signal disposition to its default (so an ignored signal
 * inherited from our parent, such as nohup's SIGHUP, never reaches a
 * handler), blocks SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1 and SIGPIPE,
 * and returns
 * a non-blocking, close-on-exec signalfd for all but SIGPIPE (blocked so a
 * write to a dead peer or log returns EPIPE instead of killing superd).
 * Returns -1 with errno on failure.
 */
int sig_init(void);

/* Reads the next signal from fd; *pid is its sender (for SIGCHLD: the
 * child whose exit queued it, one of possibly several, since SIGCHLDs
 * coalesce).  Returns its number, 0 when none is left, or -1 with
 * errno. */
int sig_next(int fd, pid_t *pid);

/* True if SIGTERM or SIGINT waits to be read: lets long work (a load)
 * give way to a stop signal that the loop is not there to see yet. */
bool sig_stop_pending(void);

/* In a freshly forked child: unblocks every signal.  Async-signal-safe.
 * Returns 0 or -1 with errno. */
int sig_child_reset(void);

/* In the TLS relay (forked from superd, signals still blocked as
 * superd blocks them): a non-blocking, close-on-exec signalfd for
 * SIGCHLD, SIGTERM and SIGINT.  Returns it, or -1 with errno. */
int sig_relay_fd(void);

/* Ends the calling process by sig, as its handler ended (no core file):
 * its disposition default, unblocked, raised.  Returns only if sig did
 * not end it. */
void sig_die_by(int sig);

#endif
