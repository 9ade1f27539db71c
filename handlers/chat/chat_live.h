/* chat_live: is the process that joined a room still the one running under
 * its pid?  A SIGKILLed participant cannot say goodbye; the others find
 * out here.  Linux: kill(2) and /proc/PID/stat. */
#ifndef CHAT_LIVE_H
#define CHAT_LIVE_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

/*
 * Reads the start time of pid (clock ticks after boot, field 22 of
 * /proc/PID/stat) into *start.  Returns 0; or -1 with errno ESRCH if pid
 * is gone or a zombie, or another errno if /proc cannot tell (not mounted,
 * hidden, malformed).
 */
int chat_live_start(pid_t pid, uint64_t *start);

/*
 * True unless pid is certainly not the participant that recorded start:
 * no such process, a zombie, a process we may not signal (every
 * participant of a room runs as the same user, so that is a stranger),
 * or a different start time (the pid was reused).  start 0 skips that
 * check.  When /proc cannot tell, the answer is "alive": a ghost that
 * stays is better than a participant thrown out.
 */
bool chat_live_is(pid_t pid, uint64_t start);

#endif
