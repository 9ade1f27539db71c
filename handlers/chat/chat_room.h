/* chat_room: one chat room as laid out in memory shared by all of its
 * participants (a header, a participant table and a ring of recent
 * messages, under one robust process-shared mutex), and the operations
 * each participant performs on it.  Where the memory comes from is
 * chat_seg's job; the unit tests use an anonymous shared mapping. */
#ifndef CHAT_ROOM_H
#define CHAT_ROOM_H

#include <sys/types.h>

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat_text.h"

#define CHAT_ROOM_MAGIC 0x54414843u /* "CHAT" */
#define CHAT_ROOM_VERSION 2u
#define CHAT_SLOTS 64 /* participants per room */
/*
 * Messages kept for participants still reading: twice what the rate lets
 * a full room send at once (every participant's burst), so that a reader
 * whose handler the scheduler reaches late in a room-wide burst is never
 * taken for one that stopped reading (docs/design.md, "Slow readers").
 */
#define CHAT_RING (2 * CHAT_SLOTS * CHAT_RATE_BURST)
/* A nick: CHAT_NAME_MAX chosen bytes, or "[IPv6]:port" (47) by default. */
#define CHAT_NICK_SIZE 64
/* One delivered line: "nick: text\n". */
#define CHAT_MSG_SIZE (CHAT_NICK_SIZE + CHAT_LINE_MAX + 8)
/* How often, at most, some participant looks for dead ones. */
#define CHAT_SWEEP_MS 1000

/*
 * A table entry.  used is stored last when joining and first when leaving,
 * so a participant killed half-way leaves either a free slot or a whole
 * one, which the next sweep finds dead.
 */
struct chat_slot {
	uint32_t used;
	int32_t pid;
	uint64_t start; /* pid's start time, to tell a reused pid; 0: unknown */
	uint64_t id;    /* unique in the room; 0 is the room itself */
	char nick[CHAT_NICK_SIZE];
};

/* Message number seq lives in ring[seq % CHAT_RING] until overwritten. */
struct chat_msg {
	uint64_t seq;
	uint64_t from; /* sender's id: not delivered back to the sender */
	uint32_t len;
	char text[CHAT_MSG_SIZE];
};

struct chat_room {
	uint32_t magic; /* stored last by chat_room_init */
	uint32_t version;
	uint64_t size; /* sizeof(struct chat_room) of whoever made it */
	pthread_mutex_t lock;
	uint32_t wake;    /* futex word, bumped after every change */
	uint64_t seq;     /* number of the next message; stored to publish */
	uint64_t next_id; /* last id handed out */
	int64_t swept_ms; /* CLOCK_MONOTONIC of the last sweep */
	struct chat_slot slot[CHAT_SLOTS];
	struct chat_msg ring[CHAT_RING];
};

/* A participant's own view of its membership: private, never shared. */
struct chat_member {
	struct chat_room *room;
	int slot;        /* index in room->slot, -1 when not a member */
	uint64_t id;     /* to check that the slot is still ours */
	uint64_t cursor; /* number of the next message to deliver */
};

enum chat_fetch {
	CHAT_FETCH_DONE, /* caught up with the room */
	CHAT_FETCH_FULL, /* the next message did not fit in the buffer */
	CHAT_FETCH_LOST, /* messages were overwritten before we read them */
};

/*
 * Makes room an empty room: zeroed, a robust process-shared mutex, and the
 * header stored last so a half-made room never looks valid.  Only for
 * memory no live process is using.  Returns 0 or -1 with errno set.
 */
int chat_room_init(struct chat_room *room);

/* True if room was made by chat_room_init of this layout. */
bool chat_room_valid(const struct chat_room *room);

/*
 * True if no live process holds a slot: the room is left over from a
 * crash and may be reset.  Reads without the lock, so call it only while
 * nobody can join (chat_seg's lock).
 */
bool chat_room_idle(const struct chat_room *room);

/*
 * Adds the calling process to room as nick (shorter than CHAT_NICK_SIZE)
 * and announces "* nick joined" to the others.  m then delivers messages
 * from now on.  Returns the number of participants, this one included; or
 * -1 with errno ENOSPC (room full), EINVAL (nick too long) or from the lock
 * (ENOTRECOVERABLE).
 */
int chat_room_join(struct chat_room *room, struct chat_member *m,
    const char *nick);

/*
 * Removes m from its room and announces "* nick left" followed by why
 * (e.g. " (too slow)", or ""), for the others.  Returns the number of
 * participants left; or -1 with errno ENOENT (m was no longer a member) or
 * from the lock.
 */
int chat_room_leave(struct chat_member *m, const char *why);

/*
 * Sends "nick: text\n" to every other participant.  text (len up to
 * CHAT_LINE_MAX) must be clean (chat_text_clean).  Never waits for a
 * reader.  Returns 0; or -1 with errno ENOENT (m was removed as dead) or
 * from the lock.
 */
int chat_room_say(struct chat_member *m, const char *text, size_t len);

/*
 * Renames m to nick (chat_name_valid) and announces it.  Returns 0; or -1
 * with errno EEXIST (another participant has it), ENOENT or from the lock.
 */
int chat_room_rename(struct chat_member *m, const char *nick);

/*
 * Writes "* N here: a, b, c\n" (in joining order) into buf.  Returns its
 * length; or -1 with errno ENOSPC (cap too small), ENOENT or from the lock.
 */
ssize_t chat_room_who(struct chat_member *m, char *buf, size_t cap);

/*
 * Copies the messages from m's cursor on, except m's own, into buf, in
 * order, while they fit in cap bytes; *len gets the byte count.  Returns
 * CHAT_FETCH_DONE, CHAT_FETCH_FULL or CHAT_FETCH_LOST (nothing copied, the
 * cursor is not moved); or -1 with errno ENOENT (m was removed) or from the
 * lock.
 */
int chat_room_fetch(struct chat_member *m, char *buf, size_t cap, size_t *len);

/*
 * chat_room_fetch, and once caught up, the who line of chat_room_who right
 * after the messages, under the same lock: the list shows exactly the
 * joins, leaves and renames delivered before it.  CHAT_FETCH_DONE only
 * with the list written; CHAT_FETCH_FULL when the messages or the list
 * did not fit (call again once the buffer has room).  Otherwise as
 * chat_room_fetch.
 */
int chat_room_fetch_who(struct chat_member *m, char *buf, size_t cap,
    size_t *len);

/*
 * Frees the slots of dead participants, announcing "* nick left
 * (connection lost)".  Unless force, does nothing if anyone swept less
 * than CHAT_SWEEP_MS before now_ms (monotonic), so a room of many
 * participants costs one sweep a second.  Returns the number freed, or -1
 * with errno from the lock.
 */
int chat_room_sweep(struct chat_room *room, int64_t now_ms, bool force);

#endif
