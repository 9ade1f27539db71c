/* The HTTP side of a WebSocket service: one request head parsed from
 * bytes, the opening handshake's answer (RFC 6455 section 4), and the
 * fixed answers for a refusal.  Pure functions over buffers, with no I/O,
 * so they can be tested and fuzzed on their own. */
#ifndef SUPERD_WSHTTP_H
#define SUPERD_WSHTTP_H

#include <stdbool.h>
#include <stddef.h>

/* The most a request head may take, blank line included. */
#define WSHTTP_HEAD_MAX 8192
#define WSHTTP_TARGET_MAX 2048
#define WSHTTP_VALUE_MAX 512
/* Sec-WebSocket-Key: base64 of 16 bytes; the accept value: of 20. */
#define WSHTTP_KEY_LEN 24
#define WSHTTP_ACCEPT_LEN 28

/* What the relay needs of a request. */
struct wsrequest {
	char method[8];
	char target[WSHTTP_TARGET_MAX + 1]; /* as sent: path and query */
	int minor;                          /* HTTP/1.minor */
	bool host;                          /* a Host header was sent */
	bool upgrade_websocket;             /* Upgrade: websocket */
	bool connection_upgrade;            /* Connection: ... upgrade ... */
	char key[WSHTTP_KEY_LEN + 1];       /* "" if absent or not 24 long */
	bool key_seen;
	int version; /* Sec-WebSocket-Version; -1 if absent or not a number */
	bool origin_seen, agent_seen;
	char origin[WSHTTP_VALUE_MAX + 1];
	char agent[WSHTTP_VALUE_MAX + 1];
};

/*
 * Parses the head of one HTTP/1.x request at buf[0..n): the request line,
 * the header lines, the blank line (CRLF; a bare LF is taken too).
 * Returns the head's length once it is all there, 0 if more bytes are
 * needed (n < WSHTTP_HEAD_MAX), or -1 if it is not a request this relay
 * takes: malformed, control bytes, a line or value too long, a head over
 * WSHTTP_HEAD_MAX, HTTP/2 or later.
 */
long wshttp_parse(const char *buf, size_t n, struct wsrequest *r);

/* Whether r asks for a WebSocket (Upgrade: websocket and Connection:
 * upgrade), whether or not it asks correctly. */
bool wshttp_is_upgrade(const struct wsrequest *r);

/* r's path: the target up to '?', as its length. */
size_t wshttp_path_len(const struct wsrequest *r);

/* r's query: after the '?', or "". */
const char *wshttp_query(const struct wsrequest *r);

/* Whether key is base64 of 16 bytes, as section 4.1 asks. */
bool wshttp_key_ok(const char *key);

/* The Sec-WebSocket-Accept value for key, NUL-terminated. */
void wshttp_accept(const char *key, char out[WSHTTP_ACCEPT_LEN + 1]);

/* The 101 answer that completes the handshake for key, into buf; its
 * length, or 0 if len is too short. */
size_t wshttp_switching(const char *key, char *buf, size_t len);

/* A refusal: "HTTP/1.1 CODE TEXT" with a short text body and Connection:
 * close (426 also names version 13), into buf; its length, or 0. */
size_t wshttp_refusal(int code, char *buf, size_t len);

#endif
