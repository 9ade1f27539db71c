/* Datagram mode for the shipped handlers.  Under a dgram (wait = yes)
 * service, fd 0 is not a connection but the bound UDP or unix datagram
 * socket itself, as inetd hands it over: the handler answers each
 * datagram to its sender, and exits once none has come for a few
 * seconds, so that superd watches the socket again and starts it anew
 * for the next one. */
#ifndef HDGRAM_H
#define HDGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* How long a datagram handler waits for the next datagram. */
#define HDGRAM_IDLE_MS 5000

/* True if fd is a datagram socket (superd's dgram services). */
bool hdgram_is(int fd);

/* Turns the datagram in buf (n bytes, in a buffer of cap) into the answer
 * in buf; returns the answer's length, or -1 for none. */
typedef ssize_t hdgram_answer_fn(unsigned char *buf, size_t n, size_t cap);

/* Answers datagrams on fd 0 with answer until HDGRAM_IDLE_MS pass without
 * one; returns 0 then.  A datagram that cannot be read is fatal (prog:
 * what: reason on stderr, exit 1); an answer that cannot be sent is
 * reported and the next datagram served. */
int hdgram_serve(const char *prog, hdgram_answer_fn *answer);

#endif
