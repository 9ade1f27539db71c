/* A client's frames turned into whole messages: a streaming reader that
 * takes bytes as they come from the socket, unmasks them into one buffer
 * of websocket_max_message, joins fragments and checks the rules between
 * frames (section 5.4, 5.5).  No I/O: what it finds goes to callbacks. */
#ifndef SUPERD_WSMSG_H
#define SUPERD_WSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wsframe.h"

struct wsmsg_ops {
	/* A whole text or binary message (text is valid UTF-8).  Returns 0,
	 * or a close code to end the connection with. */
	unsigned (*message)(void *ctx, unsigned opcode, unsigned char *data,
	    size_t len);
	/* A ping, whose payload the pong must carry back. */
	void (*ping)(void *ctx, const unsigned char *data, size_t len);
	/* The client's close frame: its code (1005 if it had none) and
	 * reason.  Nothing after it is read. */
	void (*close)(void *ctx, unsigned code, const unsigned char *reason,
	    size_t len);
};

struct wsmsg {
	const struct wsmsg_ops *ops;
	void *ctx;
	unsigned char head[WSFRAME_HEAD_MAX]; /* a header arriving in parts */
	size_t nhead;
	struct wsframe f;
	bool in_frame;
	uint64_t got;       /* of f's payload */
	unsigned char *msg; /* the message so far */
	size_t cap, len;
	unsigned msg_opcode; /* WS_TEXT or WS_BINARY while one is open */
	unsigned char control[WSFRAME_CONTROL_MAX];
	bool closed; /* the client's close frame came */
};

/* Returns 0, or -1 with errno (ENOMEM) if the max-byte buffer cannot be
 * had. */
int wsmsg_init(struct wsmsg *m, size_t max, const struct wsmsg_ops *ops,
    void *ctx);
void wsmsg_free(struct wsmsg *m);

/*
 * Reads n bytes from the client.  Returns 0, or the close code the
 * connection must end with: 1002 for a frame or sequence the RFC
 * forbids, 1007 for a text message or close reason that is not UTF-8,
 * 1009 for a message over max, or what a callback returned.
 */
unsigned wsmsg_feed(struct wsmsg *m, const unsigned char *buf, size_t n);

#endif
