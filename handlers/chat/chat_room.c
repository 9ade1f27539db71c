/* chat_room: one chat room in shared memory (header, participant table,
 * message ring, one robust mutex) and what each participant does to it.
 * Every change keeps the room usable if its author is killed half-way. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chat_live.h"
#include "chat_room.h"
#include "chat_wake.h"

_Static_assert(CHAT_NAME_MAX < CHAT_NICK_SIZE, "a chosen nick fits a slot");
_Static_assert(CHAT_MSG_SIZE >= CHAT_NICK_SIZE + CHAT_LINE_MAX + 3,
    "\"nick: \" + a full line + \"\\n\" fits a message");

/* A slot seen during a sweep, checked for life without the lock. */
struct chat_seen {
	int idx;
	pid_t pid;
	uint64_t start;
	uint64_t id;
};

int
chat_room_init(struct chat_room *room)
{
	pthread_mutexattr_t attr;
	int err;

	memset(room, 0, sizeof(*room));
	if ((err = pthread_mutexattr_init(&attr)) != 0)
		goto fail;
	/* Shared by processes; and a holder's death must not block others. */
	if ((err = pthread_mutexattr_setpshared(&attr,
	         PTHREAD_PROCESS_SHARED)) != 0 ||
	    (err = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST)) !=
	        0 ||
	    (err = pthread_mutex_init(&room->lock, &attr)) != 0) {
		(void)pthread_mutexattr_destroy(&attr);
		goto fail;
	}
	(void)pthread_mutexattr_destroy(&attr);
	room->version = CHAT_ROOM_VERSION;
	room->size = sizeof(*room);
	__atomic_store_n(&room->magic, CHAT_ROOM_MAGIC, __ATOMIC_RELEASE);
	return 0;
fail:
	errno = err;
	return -1;
}

bool
chat_room_valid(const struct chat_room *room)
{
	return __atomic_load_n(&room->magic, __ATOMIC_ACQUIRE) ==
	    CHAT_ROOM_MAGIC &&
	    room->version == CHAT_ROOM_VERSION && room->size == sizeof(*room);
}

bool
chat_room_idle(const struct chat_room *room)
{
	const struct chat_slot *s;
	size_t i;

	for (i = 0; i < CHAT_SLOTS; i++) {
		s = &room->slot[i];
		if (__atomic_load_n(&s->used, __ATOMIC_ACQUIRE) &&
		    chat_live_is(s->pid, s->start))
			return false;
	}
	return true;
}

/*
 * Appends one message under the lock.  Its number is published last, so a
 * writer killed before that leaves an unpublished entry the next writer
 * overwrites, never a torn message.
 */
static void __attribute__((format(printf, 3, 4)))
chat_room_append(struct chat_room *room, uint64_t from, const char *fmt, ...)
{
	uint64_t seq = room->seq;
	struct chat_msg *msg = &room->ring[seq % CHAT_RING];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg->text, sizeof(msg->text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* Sizes make this impossible; if not, a cut line still ends. */
	if ((size_t)n >= sizeof(msg->text)) {
		n = sizeof(msg->text) - 1;
		msg->text[n - 1] = '\n';
	}
	msg->len = (uint32_t)n;
	msg->from = from;
	msg->seq = seq;
	__atomic_store_n(&room->seq, seq + 1, __ATOMIC_RELEASE);
}

/* Frees slot idx and says why to the others.  Under the lock. */
static void
chat_room_drop(struct chat_room *room, int idx, const char *why)
{
	struct chat_slot *s = &room->slot[idx];

	__atomic_store_n(&s->used, 0, __ATOMIC_RELEASE);
	chat_room_append(room, s->id, "* %s left%s\n", s->nick, why);
}

/*
 * The previous holder died inside the lock.  Each change is ordered so
 * that whatever it left is a valid room, but a half-copied nick may have
 * lost its terminator, and the dead holder is still in the table.
 */
static void
chat_room_repair(struct chat_room *room)
{
	struct chat_slot *s;
	int i;

	for (i = 0; i < CHAT_SLOTS; i++) {
		s = &room->slot[i];
		s->nick[CHAT_NICK_SIZE - 1] = '\0';
		if (s->used && !chat_live_is(s->pid, s->start))
			chat_room_drop(room, i, " (connection lost)");
	}
	chat_wake_all(&room->wake);
}

static int
chat_room_lock(struct chat_room *room)
{
	int err = pthread_mutex_lock(&room->lock);

	if (err == EOWNERDEAD) {
		chat_room_repair(room);
		err = pthread_mutex_consistent(&room->lock);
		if (err != 0)
			(void)pthread_mutex_unlock(&room->lock);
	}
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

/* Only fails for a mutex we do not hold: a bug, not a runtime condition. */
static void
chat_room_unlock(struct chat_room *room)
{
	(void)pthread_mutex_unlock(&room->lock);
}

static int
chat_room_count(const struct chat_room *room)
{
	int i, n = 0;

	for (i = 0; i < CHAT_SLOTS; i++)
		if (room->slot[i].used)
			n++;
	return n;
}

/* m's slot if it is still m's (a sweep may have judged m dead), or NULL. */
static struct chat_slot *
chat_room_mine(const struct chat_member *m)
{
	struct chat_slot *s;

	if (m->slot < 0 || m->slot >= CHAT_SLOTS)
		return NULL;
	s = &m->room->slot[m->slot];
	return s->used && s->id == m->id ? s : NULL;
}

/* Locks m's room, checking that m is still a member.  NULL: errno set. */
static struct chat_slot *
chat_room_enter(struct chat_member *m)
{
	struct chat_slot *s;

	if (chat_room_lock(m->room) == -1)
		return NULL;
	if ((s = chat_room_mine(m)) == NULL) {
		chat_room_unlock(m->room);
		errno = ENOENT;
	}
	return s;
}

/* Stores nick whole, so that a torn copy still ends within the slot. */
static void
chat_room_set_nick(struct chat_slot *s, const char *nick)
{
	char full[CHAT_NICK_SIZE] = { 0 };

	memcpy(full, nick, strlen(nick));
	memcpy(s->nick, full, sizeof(full));
}

static int
chat_room_free_slot(const struct chat_room *room)
{
	int i;

	for (i = 0; i < CHAT_SLOTS; i++)
		if (!room->slot[i].used)
			return i;
	return -1;
}

int
chat_room_join(struct chat_room *room, struct chat_member *m, const char *nick)
{
	struct chat_slot *s;
	uint64_t start;
	int idx, n;

	if (strlen(nick) >= CHAT_NICK_SIZE) {
		errno = EINVAL;
		return -1;
	}
	/* Unknown start time: only the pid is checked. */
	if (chat_live_start(getpid(), &start) == -1)
		start = 0;
	if (chat_room_lock(room) == -1)
		return -1;
	if ((idx = chat_room_free_slot(room)) == -1) {
		chat_room_unlock(room);
		errno = ENOSPC;
		return -1;
	}
	s = &room->slot[idx];
	s->pid = (int32_t)getpid();
	s->start = start;
	s->id = ++room->next_id;
	chat_room_set_nick(s, nick);
	__atomic_store_n(&s->used, 1, __ATOMIC_RELEASE);
	*m = (struct chat_member){ room, idx, s->id, room->seq };
	chat_room_append(room, m->id, "* %s joined\n", nick);
	n = chat_room_count(room);
	chat_room_unlock(room);
	chat_wake_all(&room->wake);
	return n;
}

int
chat_room_leave(struct chat_member *m, const char *why)
{
	struct chat_room *room = m->room;
	int n;

	if (chat_room_enter(m) == NULL)
		return -1;
	chat_room_drop(room, m->slot, why);
	n = chat_room_count(room);
	chat_room_unlock(room);
	chat_wake_all(&room->wake);
	m->slot = -1;
	return n;
}

int
chat_room_say(struct chat_member *m, const char *text, size_t len)
{
	struct chat_slot *s;

	if (len > CHAT_LINE_MAX) {
		errno = EINVAL;
		return -1;
	}
	if ((s = chat_room_enter(m)) == NULL)
		return -1;
	chat_room_append(m->room, m->id, "%s: %.*s\n", s->nick, (int)len, text);
	chat_room_unlock(m->room);
	chat_wake_all(&m->room->wake);
	return 0;
}

static bool
chat_room_taken(const struct chat_room *room, const char *nick, int except)
{
	int i;

	for (i = 0; i < CHAT_SLOTS; i++)
		if (i != except && room->slot[i].used &&
		    strcmp(room->slot[i].nick, nick) == 0)
			return true;
	return false;
}

int
chat_room_rename(struct chat_member *m, const char *nick)
{
	char old[CHAT_NICK_SIZE];
	struct chat_slot *s;

	if (!chat_name_valid(nick)) {
		errno = EINVAL;
		return -1;
	}
	if ((s = chat_room_enter(m)) == NULL)
		return -1;
	if (chat_room_taken(m->room, nick, m->slot)) {
		chat_room_unlock(m->room);
		errno = EEXIST;
		return -1;
	}
	memcpy(old, s->nick, sizeof(old));
	chat_room_set_nick(s, nick);
	chat_room_append(m->room, m->id, "* %s is now %s\n", old, nick);
	chat_room_unlock(m->room);
	chat_wake_all(&m->room->wake);
	return 0;
}

/* Slot indices of the participants in joining order (ids only grow). */
static int
chat_room_order(const struct chat_room *room, int *idx)
{
	int i, j, n = 0;

	for (i = 0; i < CHAT_SLOTS; i++) {
		if (!room->slot[i].used)
			continue;
		for (j = n++;
		     j > 0 && room->slot[idx[j - 1]].id > room->slot[i].id; j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
	}
	return n;
}

/* Formats the who line from the table; -1 (ENOSPC) if cap is too small. */
static ssize_t
chat_room_format_who(const struct chat_room *room, char *buf, size_t cap)
{
	int idx[CHAT_SLOTS], i, n = chat_room_order(room, idx), w;
	size_t len;

	w = snprintf(buf, cap, "* %d here:", n);
	for (i = 0; w >= 0 && (size_t)w < cap && i < n; i++) {
		len = (size_t)w;
		w = snprintf(buf + len, cap - len, "%s %s", i > 0 ? "," : "",
		    room->slot[idx[i]].nick);
		w = w < 0 ? w : w + (int)len;
	}
	if (w < 0 || (size_t)w + 1 >= cap) {
		errno = ENOSPC;
		return -1;
	}
	buf[w++] = '\n';
	buf[w] = '\0';
	return w;
}

ssize_t
chat_room_who(struct chat_member *m, char *buf, size_t cap)
{
	ssize_t n;

	if (chat_room_enter(m) == NULL)
		return -1;
	n = chat_room_format_who(m->room, buf, cap);
	chat_room_unlock(m->room);
	return n;
}

/* Copies what fits, in order, skipping m's own messages.  Under the lock. */
static int
chat_room_copy(struct chat_member *m, char *buf, size_t cap, size_t *len)
{
	const struct chat_room *room = m->room;
	const struct chat_msg *msg;

	*len = 0;
	if (room->seq - m->cursor > CHAT_RING)
		return CHAT_FETCH_LOST;
	for (; m->cursor < room->seq; m->cursor++) {
		msg = &room->ring[m->cursor % CHAT_RING];
		/* Only a bug or a foreign writer could break these. */
		if (msg->seq != m->cursor || msg->len > sizeof(msg->text))
			continue;
		if (msg->from == m->id)
			continue;
		if (msg->len > cap - *len)
			return CHAT_FETCH_FULL;
		memcpy(buf + *len, msg->text, msg->len);
		*len += msg->len;
	}
	return CHAT_FETCH_DONE;
}

int
chat_room_fetch(struct chat_member *m, char *buf, size_t cap, size_t *len)
{
	int r;

	*len = 0;
	if (chat_room_enter(m) == NULL)
		return -1;
	r = chat_room_copy(m, buf, cap, len);
	chat_room_unlock(m->room);
	return r;
}

int
chat_room_fetch_who(struct chat_member *m, char *buf, size_t cap, size_t *len)
{
	ssize_t w;
	int r;

	*len = 0;
	if (chat_room_enter(m) == NULL)
		return -1;
	r = chat_room_copy(m, buf, cap, len);
	if (r == CHAT_FETCH_DONE) {
		w = chat_room_format_who(m->room, buf + *len, cap - *len);
		if (w == -1)
			r = CHAT_FETCH_FULL;
		else
			*len += (size_t)w;
	}
	chat_room_unlock(m->room);
	return r;
}

/* Claims this round of sweeping and copies the table.  Under the lock. */
static int
chat_room_snapshot(struct chat_room *room, int64_t now_ms, bool force,
    struct chat_seen *seen)
{
	int i, n = 0;

	if (!force && now_ms - room->swept_ms < CHAT_SWEEP_MS)
		return 0;
	room->swept_ms = now_ms;
	for (i = 0; i < CHAT_SLOTS; i++) {
		if (!room->slot[i].used)
			continue;
		seen[n++] = (struct chat_seen){ i, room->slot[i].pid,
			room->slot[i].start, room->slot[i].id };
	}
	return n;
}

int
chat_room_sweep(struct chat_room *room, int64_t now_ms, bool force)
{
	struct chat_seen seen[CHAT_SLOTS];
	int i, n, dead = 0, gone = 0;

	/* Racy peek: the common "not yet" costs no lock. */
	if (!force &&
	    now_ms - __atomic_load_n(&room->swept_ms, __ATOMIC_RELAXED) <
	        CHAT_SWEEP_MS)
		return 0;
	if (chat_room_lock(room) == -1)
		return -1;
	n = chat_room_snapshot(room, now_ms, force, seen);
	chat_room_unlock(room);
	/* /proc reads take time: never under the lock. */
	for (i = 0; i < n; i++)
		if (!chat_live_is(seen[i].pid, seen[i].start))
			seen[dead++] = seen[i];
	if (dead == 0)
		return 0;
	if (chat_room_lock(room) == -1)
		return -1;
	for (i = 0; i < dead; i++) {
		if (!room->slot[seen[i].idx].used ||
		    room->slot[seen[i].idx].id != seen[i].id)
			continue;
		chat_room_drop(room, seen[i].idx, " (connection lost)");
		gone++;
	}
	chat_room_unlock(room);
	chat_wake_all(&room->wake);
	return gone;
}
