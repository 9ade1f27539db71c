/* The PROXY protocol header (haproxy's doc/proxy-protocol.txt), version 1
 * (one text line) and version 2 (binary, with TLVs), parsed from bytes
 * alone: no sockets, so the unit tests and the fuzzer call it as the
 * loop does. */
#ifndef SUPERD_PROXYHDR_H
#define SUPERD_PROXYHDR_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>

/* Which versions a service accepts (bits). */
#define PROXYHDR_V1 1u
#define PROXYHDR_V2 2u

/* A version 1 line, CRLF included, is at most this long. */
#define PROXYHDR_V1_MAX 107
/* A version 2 header: 16 fixed bytes, then up to 65535 announced. */
#define PROXYHDR_V2_FIXED 16
#define PROXYHDR_MAX (PROXYHDR_V2_FIXED + 65535)
/* A TLV value longer than this is not passed to the handler. */
#define PROXYHDR_VALUE_MAX 255

/* The TLVs passed to the handler, each as the environment variable
 * proxyhdr_tlv_env names. */
enum proxyhdr_tlv {
	PROXYHDR_AUTHORITY, /* 0x02: the client's SNI */
	PROXYHDR_ALPN,      /* 0x01 */
	PROXYHDR_UNIQUE_ID, /* 0x05 */
	PROXYHDR_SSL_VERSION,
	PROXYHDR_SSL_CN,
	PROXYHDR_SSL_CIPHER,
	PROXYHDR_TLVS
};

extern const char *const proxyhdr_tlv_env[PROXYHDR_TLVS];

struct proxyhdr_value {
	size_t off, len; /* in the parsed bytes; len 0: absent */
};

struct proxyhdr {
	int version; /* 1 or 2 */
	/* LOCAL (v2), UNKNOWN (v1), or an address family or protocol
	 * superd does not take (unix, UDP, unspecified): the connection's
	 * own addresses stand, src and dst are not set. */
	bool local;
	struct sockaddr_storage src, dst; /* the client, and whom it
	                                   * reached (AF_INET/AF_INET6) */
	size_t len;                       /* the header's bytes, to read off */
	bool crc_checked;                 /* a CRC32C TLV was there and held */
	struct proxyhdr_value tlv[PROXYHDR_TLVS];
};

enum proxyhdr_status {
	PROXYHDR_MORE,   /* too few bytes yet: look again at *need */
	PROXYHDR_DONE,   /* *h is filled */
	PROXYHDR_INVALID /* *why says what is wrong */
};

/* How many bytes to look at first for these versions. */
size_t proxyhdr_first_need(unsigned versions);

/*
 * Parses the first n bytes a connection sent (with what follows the
 * header, if any; it is never looked at).  versions: PROXYHDR_V1 and/or
 * PROXYHDR_V2.  Returns PROXYHDR_MORE when the bytes so far are a valid
 * beginning, with *need (> n) the bytes to look at next; PROXYHDR_DONE
 * with *h (h->len: the header's length, at most n); PROXYHDR_INVALID with
 * a fixed reason in *why.  A TLV value is recorded only if it is at most
 * PROXYHDR_VALUE_MAX bytes with no control byte; a CRC32C TLV is checked.
 * Never reads past buf[n - 1].
 */
enum proxyhdr_status proxyhdr_parse(const unsigned char *buf, size_t n,
    unsigned versions, struct proxyhdr *h, size_t *need, const char **why);

/* The CRC32C (Castagnoli) of buf, with the 4 bytes at skip (if skip < n)
 * counted as zeros: a version 2 header's own checksum field. */
unsigned proxyhdr_crc32c(const unsigned char *buf, size_t n, size_t skip);

#endif
