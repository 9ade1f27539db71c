/* superd-ws's WebSocket side once the handshake is done: client messages
 * to handler lines (or bytes), handler lines (or bytes) to messages, the
 * control frames and the closing handshake, as relay.h's callbacks. */
#ifndef SUPERD_WSRELAY_H
#define SUPERD_WSRELAY_H

#include <stdbool.h>
#include <stddef.h>

#include "relay.h"
#include "wsmsg.h"

/* How long the client has to answer the relay's close frame. */
#define WSRELAY_CLOSE_WAIT_MS 2000

struct wsrelay {
	struct relay *r;
	struct wsmsg in;
	bool binary;         /* websocket_binary: bytes both ways */
	unsigned char *line; /* text mode: the handler's line so far */
	size_t cap, len;
	bool close_sent, close_received, stopping;
	bool gone; /* nothing more can be written to the client */
};

extern const struct relay_ops wsrelay_ops;

/* Returns 0, or -1 with errno (ENOMEM: two max-byte buffers). */
int wsrelay_init(struct wsrelay *w, struct relay *r, size_t max, bool binary);
void wsrelay_free(struct wsrelay *w);

/* Sends a close frame with code (none for 1005) and ends the client's
 * side; used for a protocol error too. */
void wsrelay_close(struct wsrelay *w, unsigned code);

#endif
