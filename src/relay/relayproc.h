/* A relay that is a program of its own (superd-ws), run by superd in a
 * handler's place: its process set up around relay.h's loop. */
#ifndef SUPERD_RELAYPROC_H
#define SUPERD_RELAYPROC_H

#include "relay.h"

/*
 * Takes fd 0 as the client (moved to a close-on-exec descriptor, fds 0
 * and 1 then on /dev/null), blocks the stop signals (SIGTERM, SIGINT,
 * SIGHUP) and SIGCHLD into a signalfd, to be passed on as SIGTERM then
 * SIGCONT, and ignores SIGPIPE.  Returns 0, or -1 with errno.
 */
int relayproc_init(struct relay *r);

/*
 * Starts path with argv and the relay's environment, its stdin and
 * stdout one end of a socketpair, its stderr the relay's, in the relay's
 * process group (so superd's signals to the group reach both), with the
 * signal mask and SIGPIPE as superd gave them.  Returns 0, or -1 with
 * errno (the socketpair or fork failed).  A failed exec exits the child
 * 127 or 126 after a line on stderr.
 */
int relayproc_start(struct relay *r, const char *path, char *const argv[]);

/* Exits as the handler did: its exit status, or the same signal.  Never
 * returns. */
void relayproc_exit(const struct relay *r) __attribute__((noreturn));

/* Dies of sig (its default action), as a handler told to stop would.
 * Never returns. */
void relayproc_die(int sig) __attribute__((noreturn));

/* Before relay_run: the stop signal waiting in the signalfd, or 0. */
int relayproc_stop_signal(struct relay *r);

#endif
