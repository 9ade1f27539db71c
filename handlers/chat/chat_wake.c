/* chat_wake: turn "the room has a new message" into a readable fd, with a
 * helper thread blocked in FUTEX_WAIT on the room's shared futex word. */
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <linux/futex.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chat_wake.h"

/* Not FUTEX_*_PRIVATE: waiters and wakers are different processes. */
static long
chat_futex(uint32_t *word, int op, uint32_t val)
{
	return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

static void
chat_wake_complain(const char *what)
{
	char line[160];
	int n;

	n = snprintf(line, sizeof(line),
	    "chat: %s: %s; new messages now wait for the 1s tick\n", what,
	    strerror(errno));
	/* One write, one line; if the log is gone there is no one to tell. */
	if (n > 0 && (size_t)n < sizeof(line) &&
	    write(STDERR_FILENO, line, (size_t)n) == -1)
		return;
}

/*
 * The value is re-read after every wake-up, and FUTEX_WAIT returns at once
 * if it no longer equals what was seen: no bump between the load and the
 * wait can be lost.
 */
static void *
chat_wake_loop(void *arg)
{
	struct chat_wake *w = arg;
	uint32_t seen = w->start, now;
	uint64_t one = 1;

	for (;;) {
		if (chat_futex(w->word, FUTEX_WAIT, seen) == -1 &&
		    errno != EAGAIN && errno != EINTR) {
			chat_wake_complain("futex wait");
			return NULL;
		}
		now = __atomic_load_n(w->word, __ATOMIC_ACQUIRE);
		if (now == seen)
			continue;
		seen = now;
		/* EAGAIN means the counter is already huge: still readable. */
		if (write(w->fd, &one, sizeof(one)) == -1 && errno != EAGAIN) {
			chat_wake_complain("eventfd write");
			return NULL;
		}
	}
}

int
chat_wake_start(struct chat_wake *w, uint32_t *word)
{
	int err;

	w->word = word;
	/*
	 * Read here, not in the thread, which may run much later: a bump
	 * between the caller's next look at the room and the thread's first
	 * read would otherwise be taken as already seen.
	 */
	w->start = __atomic_load_n(word, __ATOMIC_ACQUIRE);
	w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->fd == -1)
		return -1;
	err = pthread_create(&w->thread, NULL, chat_wake_loop, w);
	if (err != 0) {
		(void)close(w->fd);
		w->fd = -1;
		errno = err;
		return -1;
	}
	return 0;
}

int
chat_wake_clear(struct chat_wake *w)
{
	uint64_t count;

	if (read(w->fd, &count, sizeof(count)) == -1 && errno != EAGAIN)
		return -1;
	return 0;
}

void
chat_wake_all(uint32_t *word)
{
	__atomic_add_fetch(word, 1, __ATOMIC_RELEASE);
	/* It cannot fail on a valid mapped word; nothing to do if it did. */
	(void)chat_futex(word, FUTEX_WAKE, INT_MAX);
}
