/* chat_wake: turn "the room has a new message" into a readable fd.  poll(2)
 * cannot wait on a futex, so a helper thread waits on the room's futex word
 * and writes to an eventfd that the handler polls with its socket. */
#ifndef CHAT_WAKE_H
#define CHAT_WAKE_H

#include <pthread.h>
#include <stdint.h>

struct chat_wake {
	int fd;         /* eventfd, non-blocking, close-on-exec; -1 if none */
	uint32_t *word; /* the futex word in the shared room */
	uint32_t start; /* word at start: any change from it is passed on */
	pthread_t thread;
};

/*
 * Creates the eventfd and starts the waiting thread on word.  w and word
 * must stay valid until the process exits (the thread is never joined).  Any
 * change to word after this call makes the eventfd readable, so look at
 * the room after it, not before.  Start it with the signals that the main
 * thread takes through a signalfd already blocked: the thread inherits
 * the mask.  Returns 0, or -1 with errno set (nothing left open).
 */
int chat_wake_start(struct chat_wake *w, uint32_t *word);

/* Empties the eventfd after poll(2) saw it readable.  Returns 0 or -1. */
int chat_wake_clear(struct chat_wake *w);

/*
 * Tells every waiter on word that something changed: bumps it and wakes
 * all futex waiters.  Never blocks, whoever waits or has died.
 */
void chat_wake_all(uint32_t *word);

#endif
