/* WebSocket frames (RFC 6455 section 5): the header read from bytes and
 * written for the server's frames, unmasking, UTF-8 and close codes.
 * Pure functions, tested and fuzzed on their own. */
#ifndef SUPERD_WSFRAME_H
#define SUPERD_WSFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_opcode {
	WS_CONT = 0x0,
	WS_TEXT = 0x1,
	WS_BINARY = 0x2,
	WS_CLOSE = 0x8,
	WS_PING = 0x9,
	WS_PONG = 0xa
};

/* The close codes the relay sends (section 7.4.1). */
enum ws_close {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001,
	WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_UNSUPPORTED = 1003,
	WS_CLOSE_NO_STATUS = 1005, /* never sent: "no code in the frame" */
	WS_CLOSE_INVALID_DATA = 1007,
	WS_CLOSE_TOO_BIG = 1009,
	WS_CLOSE_ERROR = 1011
};

/* A header is at most 2 + 8 + 4 bytes; a control payload at most 125. */
#define WSFRAME_HEAD_MAX 14
#define WSFRAME_CONTROL_MAX 125

struct wsframe {
	bool fin;
	unsigned opcode;
	bool masked;
	unsigned char mask[4];
	uint64_t len;  /* payload */
	size_t header; /* bytes the header took */
};

/*
 * Reads a client's frame header at buf[0..n).  Returns 1 with *f filled,
 * 0 if more bytes are needed, or -1 with *code the close code to send:
 * 1002 for reserved bits, an unknown opcode, a fragmented or long
 * control frame, an unmasked frame (a client must mask) or a length with
 * its top bit set.
 */
int wsframe_parse(const unsigned char *buf, size_t n, struct wsframe *f,
    unsigned *code);

/* XORs n bytes at p with mask, the first of them being payload byte at
 * (offset) of its frame. */
void wsframe_unmask(unsigned char *p, size_t n, const unsigned char mask[4],
    uint64_t offset);

/* A server's (unmasked) header for a final frame of opcode and len bytes
 * into out (WSFRAME_HEAD_MAX); returns its length. */
size_t wsframe_header(unsigned char *out, unsigned opcode, uint64_t len);

/* Whether p[0..n) is well-formed UTF-8 (no surrogates, no overlongs, at
 * most U+10FFFF). */
bool wsframe_utf8_ok(const unsigned char *p, size_t n);

/* Replaces each byte of p[0..n) that starts no well-formed sequence with
 * '?', so a text frame the relay sends is valid UTF-8.  Returns how many
 * it replaced. */
size_t wsframe_utf8_fix(unsigned char *p, size_t n);

/* Whether a client may send code in a close frame (section 7.4). */
bool wsframe_close_code_ok(unsigned code);

#endif
