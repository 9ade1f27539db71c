/* Building PROXY protocol version 2 headers for the tests, as a balancer
 * would send them: the 16 fixed bytes, an address block, TLVs.  Header
 * only (static functions), for the unit tests, the integration tests and
 * the fuzzer's seed corpus alike. */
#ifndef SUPERD_TESTS_PP2_H
#define SUPERD_TESTS_PP2_H

#include <arpa/inet.h>

#include <stddef.h>
#include <string.h>

#include "proxyhdr.h"

struct pp2 {
	unsigned char b[PROXYHDR_MAX];
	size_t n;
};

/* Starts a header: command (0 LOCAL, 1 PROXY) and family/protocol byte;
 * the length field is set by pp2_done. */
static inline void
pp2_start(struct pp2 *p, unsigned cmd, unsigned fam)
{
	static const unsigned char sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00,
		0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

	memcpy(p->b, sig, 12);
	p->b[12] = (unsigned char)(0x20 | cmd);
	p->b[13] = (unsigned char)fam;
	p->n = 16;
}

static inline void
pp2_bytes(struct pp2 *p, const void *v, size_t len)
{
	memcpy(p->b + p->n, v, len);
	p->n += len;
}

/* A TCP4 address block: src, dst, ports. */
static inline void
pp2_tcp4(struct pp2 *p, const char *src, const char *dst, unsigned sport,
    unsigned dport)
{
	unsigned char a[4];
	unsigned short port;

	inet_pton(AF_INET, src, a);
	pp2_bytes(p, a, 4);
	inet_pton(AF_INET, dst, a);
	pp2_bytes(p, a, 4);
	port = htons((unsigned short)sport);
	pp2_bytes(p, &port, 2);
	port = htons((unsigned short)dport);
	pp2_bytes(p, &port, 2);
}

static inline void
pp2_tcp6(struct pp2 *p, const char *src, const char *dst, unsigned sport,
    unsigned dport)
{
	unsigned char a[16];
	unsigned short port;

	inet_pton(AF_INET6, src, a);
	pp2_bytes(p, a, 16);
	inet_pton(AF_INET6, dst, a);
	pp2_bytes(p, a, 16);
	port = htons((unsigned short)sport);
	pp2_bytes(p, &port, 2);
	port = htons((unsigned short)dport);
	pp2_bytes(p, &port, 2);
}

static inline void
pp2_tlv(struct pp2 *p, unsigned type, const void *v, size_t len)
{
	p->b[p->n++] = (unsigned char)type;
	p->b[p->n++] = (unsigned char)(len >> 8);
	p->b[p->n++] = (unsigned char)len;
	pp2_bytes(p, v, len);
}

/* Sets the length field to what was added after the fixed part. */
static inline void
pp2_done(struct pp2 *p)
{
	size_t len = p->n - 16;

	p->b[14] = (unsigned char)(len >> 8);
	p->b[15] = (unsigned char)len;
}

/* Adds a CRC32C TLV last and fills it in (after pp2_done's length). */
static inline void
pp2_crc(struct pp2 *p)
{
	size_t at;
	unsigned crc;

	pp2_tlv(p, 0x03, "\0\0\0\0", 4);
	at = p->n - 4;
	pp2_done(p);
	crc = proxyhdr_crc32c(p->b, p->n, at);
	p->b[at] = (unsigned char)(crc >> 24);
	p->b[at + 1] = (unsigned char)(crc >> 16);
	p->b[at + 2] = (unsigned char)(crc >> 8);
	p->b[at + 3] = (unsigned char)crc;
}

#endif
