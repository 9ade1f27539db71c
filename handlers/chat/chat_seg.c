/* chat_seg: the named POSIX shared memory segment that holds a room:
 * create, check, reset, remove, all under flock(2) on the segment. */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "chat_seg.h"

/* Each retry means someone else removed or replaced the segment. */
#define CHAT_SEG_TRIES 16

int
chat_seg_name(char *buf, size_t len, const char *room)
{
	int n;

	if (!chat_name_valid(room)) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(buf, len, "%s%s", CHAT_SEG_PREFIX, room);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
chat_seg_flock(int fd, int op)
{
	int r;

	do {
		r = flock(fd, op);
	} while (r == -1 && errno == EINTR);
	return r;
}

int
chat_seg_lock(struct chat_seg *seg)
{
	return chat_seg_flock(seg->fd, LOCK_EX);
}

int
chat_seg_unlock(struct chat_seg *seg)
{
	return chat_seg_flock(seg->fd, LOCK_UN);
}

int
chat_seg_remove(struct chat_seg *seg)
{
	return shm_unlink(seg->name);
}

void
chat_seg_close(struct chat_seg *seg)
{
	/* Both only fail for arguments that are not ours: nothing to do. */
	if (seg->room != NULL)
		(void)munmap(seg->room, sizeof(*seg->room));
	if (seg->fd != -1)
		(void)close(seg->fd);
	seg->room = NULL;
	seg->fd = -1;
}

/* Only our own user may have made it or be able to write it. */
static int
chat_seg_trusted(const struct stat *st)
{
	if (st->st_uid != geteuid() || (st->st_mode & 077) != 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

static int
chat_seg_map(struct chat_seg *seg)
{
	void *p = mmap(NULL, sizeof(*seg->room), PROT_READ | PROT_WRITE,
	    MAP_SHARED, seg->fd, 0);

	if (p == MAP_FAILED)
		return -1;
	seg->room = p;
	return 0;
}

/* An empty segment, just made by us or by someone who died: make a room. */
static int
chat_seg_create(struct chat_seg *seg)
{
	int r;

	/* Whatever the umask, every participant (same user) must write it. */
	if (fchmod(seg->fd, 0600) == -1)
		return -1;
	do {
		r = ftruncate(seg->fd, (off_t)sizeof(*seg->room));
	} while (r == -1 && errno == EINTR);
	if (r == -1 || chat_seg_map(seg) == -1)
		return -1;
	return chat_room_init(seg->room);
}

/*
 * One attempt with the lock held: 1 when seg holds a usable room, 0 when
 * the name must be opened again, -1 on error.
 */
static int
chat_seg_check(struct chat_seg *seg)
{
	struct stat st;

	if (fstat(seg->fd, &st) == -1 || chat_seg_trusted(&st) == -1)
		return -1;
	/* Unlinked while we waited for the lock: the last one just left. */
	if (st.st_nlink == 0)
		return 0;
	if (st.st_size == 0)
		return chat_seg_create(seg) == -1 ? -1 : 1;
	/*
	 * Another layout, or a creator that died before finishing: nobody
	 * can be using it the way we would.  Whoever still maps it keeps
	 * its own copy; the name gets a fresh segment.
	 */
	if (st.st_size == (off_t)sizeof(*seg->room)) {
		if (chat_seg_map(seg) == -1)
			return -1;
		if (chat_room_valid(seg->room))
			return 1;
	}
	if (shm_unlink(seg->name) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

static int
chat_seg_try(struct chat_seg *seg)
{
	int r, saved;

	seg->fd = shm_open(seg->name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (seg->fd == -1)
		return -1;
	if (chat_seg_lock(seg) == -1)
		r = -1;
	else
		r = chat_seg_check(seg);
	if (r != 1) {
		saved = errno;
		chat_seg_close(seg);
		errno = saved;
	}
	return r;
}

int
chat_seg_enter(struct chat_seg *seg, const char *room)
{
	int i, r;

	seg->fd = -1;
	seg->room = NULL;
	if (chat_seg_name(seg->name, sizeof(seg->name), room) == -1)
		return -1;
	for (i = 0; i < CHAT_SEG_TRIES; i++) {
		r = chat_seg_try(seg);
		if (r != 0)
			return r == 1 ? 0 : -1;
	}
	errno = EAGAIN;
	return -1;
}
