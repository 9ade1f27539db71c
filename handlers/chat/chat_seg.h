/* chat_seg: the named POSIX shared memory segment that holds a room
 * ("/superd-chat.ROOM"): created by the first participant, checked and
 * reset when stale or foreign, removed by the last one.  Joining and
 * leaving are serialised by flock(2) on the segment itself, so the last
 * leaver's shm_unlink can never strand a newcomer in a dead segment. */
#ifndef CHAT_SEG_H
#define CHAT_SEG_H

#include "chat_room.h"
#include "chat_text.h"

#define CHAT_SEG_PREFIX "/superd-chat."

struct chat_seg {
	char name[sizeof(CHAT_SEG_PREFIX) + CHAT_NAME_MAX];
	int fd;                 /* the segment, close-on-exec; -1 if none */
	struct chat_room *room; /* its mapping, or NULL */
};

/*
 * Writes the segment name of room into buf.  Returns 0, or -1 with errno
 * EINVAL if room is not a valid name (chat_name_valid) or ENAMETOOLONG.
 */
int chat_seg_name(char *buf, size_t len, const char *room);

/*
 * Opens (creating it if needed) and maps the segment of room, and returns
 * with its lock held, ready to join.  A segment found unlinked after
 * waiting for the lock (its last participant just left) is dropped and
 * the name opened again; one of another size or with a bad header is
 * unlinked and made afresh; an empty one is initialised.  Returns 0; or
 * -1 with errno EINVAL (bad room name), EPERM (the segment belongs to
 * another user or others may write it), EAGAIN (it kept changing under
 * us), or from shm_open, flock, ftruncate, mmap.  Nothing is left open on
 * failure.
 */
int chat_seg_enter(struct chat_seg *seg, const char *room);

/* Takes the lock again (to leave).  Returns 0 or -1 with errno set. */
int chat_seg_lock(struct chat_seg *seg);

/* Releases the lock.  Returns 0 or -1 with errno set. */
int chat_seg_unlock(struct chat_seg *seg);

/* Unlinks the name; with the lock held.  Returns 0 or -1 with errno. */
int chat_seg_remove(struct chat_seg *seg);

/* Unmaps and closes (also the lock).  For a room nobody waits on. */
void chat_seg_close(struct chat_seg *seg);

#endif
