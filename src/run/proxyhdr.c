/* PROXY protocol headers from bytes: the version 1 line and the version 2
 * block with its TLVs, strictly, since anything that does not match the
 * specification must end the connection. */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <string.h>

#include "proxyhdr.h"

const char *const proxyhdr_tlv_env[PROXYHDR_TLVS] = {
	[PROXYHDR_AUTHORITY] = "PROXY_AUTHORITY",
	[PROXYHDR_ALPN] = "PROXY_ALPN",
	[PROXYHDR_UNIQUE_ID] = "PROXY_UNIQUE_ID",
	[PROXYHDR_SSL_VERSION] = "PROXY_SSL_VERSION",
	[PROXYHDR_SSL_CN] = "PROXY_SSL_CN",
	[PROXYHDR_SSL_CIPHER] = "PROXY_SSL_CIPHER",
};

static const unsigned char proxyhdr_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00,
	0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

/* Version 2 TLV types, and the SSL TLV's subtypes. */
enum {
	TLV_ALPN = 0x01,
	TLV_AUTHORITY = 0x02,
	TLV_CRC32C = 0x03,
	TLV_UNIQUE_ID = 0x05,
	TLV_SSL = 0x20,
	TLV_SSL_VERSION = 0x21,
	TLV_SSL_CN = 0x22,
	TLV_SSL_CIPHER = 0x23,
};
#define UNIQUE_ID_MAX 128
/* The SSL TLV's own fields before its sub-TLVs: client, verify. */
#define SSL_FIXED 5

static enum proxyhdr_status
proxyhdr_bad(const char **why, const char *reason)
{
	*why = reason;
	return PROXYHDR_INVALID;
}

size_t
proxyhdr_first_need(unsigned versions)
{
	return (versions & PROXYHDR_V2) ? PROXYHDR_V2_FIXED : PROXYHDR_V1_MAX;
}

unsigned
proxyhdr_crc32c(const unsigned char *buf, size_t n, size_t skip)
{
	uint32_t crc = 0xffffffffu;
	unsigned char b;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		b = skip < n && i >= skip && i - skip < 4 ? 0 : buf[i];
		crc ^= b;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* ---- version 1 ---- */

/* A port: 1 to 5 digits, no leading zero, at most 65535. */
static int
proxyhdr_v1_port(const char *s, in_port_t *out)
{
	unsigned long v = 0;
	size_t i, len = strlen(s);

	if (len == 0 || len > 5 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = htons((in_port_t)v);
	return 0;
}

/* Splits s at single blanks into exactly want non-empty fields. */
static int
proxyhdr_v1_fields(char *s, char **f, size_t want)
{
	size_t k = 0;

	for (;;) {
		if (k == want || *s == '\0')
			return -1;
		f[k++] = s;
		s = strchr(s, ' ');
		if (s == NULL)
			break;
		*s++ = '\0';
	}
	return k == want ? 0 : -1;
}

/* One address and port of a TCP4 or TCP6 line into ss. */
static int
proxyhdr_v1_addr(int af, const char *ip, const char *port,
    struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)af;
	if (af == AF_INET)
		return inet_pton(af, ip, &sin->sin_addr) == 1 &&
		        proxyhdr_v1_port(port, &sin->sin_port) == 0
		    ? 0
		    : -1;
	return inet_pton(af, ip, &sin6->sin6_addr) == 1 &&
	        proxyhdr_v1_port(port, &sin6->sin6_port) == 0
	    ? 0
	    : -1;
}

/* The line without its CRLF (len bytes, all printable). */
static enum proxyhdr_status
proxyhdr_v1_line(const unsigned char *buf, size_t len, struct proxyhdr *h,
    const char **why)
{
	char line[PROXYHDR_V1_MAX + 1], *f[5];
	int af;

	memcpy(line, buf, len);
	line[len] = '\0';
	/* UNKNOWN: whatever follows it is to be ignored. */
	if (strncmp(line + 6, "UNKNOWN", 7) == 0 &&
	    (line[13] == '\0' || line[13] == ' ')) {
		h->local = true;
		return PROXYHDR_DONE;
	}
	if (proxyhdr_v1_fields(line + 6, f, 5) == -1)
		return proxyhdr_bad(why,
		    "version 1: not five fields after "
		    "PROXY");
	if (strcmp(f[0], "TCP4") == 0)
		af = AF_INET;
	else if (strcmp(f[0], "TCP6") == 0)
		af = AF_INET6;
	else
		return proxyhdr_bad(why,
		    "version 1: protocol not TCP4, TCP6 "
		    "or UNKNOWN");
	if (proxyhdr_v1_addr(af, f[1], f[3], &h->src) == -1 ||
	    proxyhdr_v1_addr(af, f[2], f[4], &h->dst) == -1)
		return proxyhdr_bad(why, "version 1: bad address or port");
	return PROXYHDR_DONE;
}

static enum proxyhdr_status
proxyhdr_v1(const unsigned char *buf, size_t n, struct proxyhdr *h,
    size_t *need, const char **why)
{
	size_t lim = n < PROXYHDR_V1_MAX ? n : PROXYHDR_V1_MAX, i;

	if (memcmp(buf, "PROXY ", lim < 6 ? lim : 6) != 0)
		return proxyhdr_bad(why, "not a PROXY header");
	for (i = 0; i < lim; i++) {
		if (buf[i] == '\r') {
			if (i + 1 >= lim)
				break;
			if (buf[i + 1] != '\n')
				return proxyhdr_bad(why,
				    "version 1: CR without LF");
			if (i < 6)
				return proxyhdr_bad(why, "not a PROXY header");
			h->version = 1;
			h->len = i + 2;
			return proxyhdr_v1_line(buf, i, h, why);
		}
		if (buf[i] == '\n')
			return proxyhdr_bad(why, "version 1: LF without CR");
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return proxyhdr_bad(why,
			    "version 1: a byte that is "
			    "not printable ASCII");
	}
	if (lim == PROXYHDR_V1_MAX)
		return proxyhdr_bad(why, "version 1: no CRLF within 107 bytes");
	*need = PROXYHDR_V1_MAX;
	return PROXYHDR_MORE;
}

/* ---- version 2 ---- */

static size_t
proxyhdr_be16(const unsigned char *p)
{
	return (size_t)p[0] << 8 | p[1];
}

/* A value for the handler: printable (UTF-8 allowed), not too long. */
static void
proxyhdr_value(struct proxyhdr *h, enum proxyhdr_tlv t,
    const unsigned char *buf, size_t off, size_t len)
{
	size_t i;

	if (len == 0 || len > PROXYHDR_VALUE_MAX)
		return;
	for (i = off; i < off + len; i++)
		if (buf[i] < 0x20 || buf[i] == 0x7f)
			return;
	h->tlv[t].off = off;
	h->tlv[t].len = len;
}

/* The next TLV in buf[*off, end): its type, value offset and length;
 * *off moves past it.  -1 if it does not fit. */
static int
proxyhdr_tlv_next(const unsigned char *buf, size_t *off, size_t end,
    unsigned *type, size_t *voff, size_t *vlen)
{
	if (end - *off < 3)
		return -1;
	*type = buf[*off];
	*vlen = proxyhdr_be16(buf + *off + 1);
	*voff = *off + 3;
	if (*vlen > end - *voff)
		return -1;
	*off = *voff + *vlen;
	return 0;
}

static enum proxyhdr_status
proxyhdr_v2_ssl(const unsigned char *buf, size_t off, size_t end,
    struct proxyhdr *h, const char **why)
{
	size_t voff, vlen;
	unsigned type;

	if (end - off < SSL_FIXED)
		return proxyhdr_bad(why, "version 2: SSL TLV too short");
	for (off += SSL_FIXED; off < end;) {
		if (proxyhdr_tlv_next(buf, &off, end, &type, &voff, &vlen) ==
		    -1)
			return proxyhdr_bad(why,
			    "version 2: SSL sub-TLV past its TLV");
		if (type == TLV_SSL_VERSION)
			proxyhdr_value(h, PROXYHDR_SSL_VERSION, buf, voff,
			    vlen);
		else if (type == TLV_SSL_CN)
			proxyhdr_value(h, PROXYHDR_SSL_CN, buf, voff, vlen);
		else if (type == TLV_SSL_CIPHER)
			proxyhdr_value(h, PROXYHDR_SSL_CIPHER, buf, voff, vlen);
	}
	return PROXYHDR_DONE;
}

/* One TLV superd looks at (the others are skipped). */
static enum proxyhdr_status
proxyhdr_v2_tlv(const unsigned char *buf, size_t end, unsigned type,
    size_t voff, size_t vlen, struct proxyhdr *h, const char **why)
{
	unsigned long want;

	switch (type) {
	case TLV_ALPN:
		proxyhdr_value(h, PROXYHDR_ALPN, buf, voff, vlen);
		break;
	case TLV_AUTHORITY:
		proxyhdr_value(h, PROXYHDR_AUTHORITY, buf, voff, vlen);
		break;
	case TLV_UNIQUE_ID:
		if (vlen > UNIQUE_ID_MAX)
			return proxyhdr_bad(why,
			    "version 2: UNIQUE_ID over 128 bytes");
		proxyhdr_value(h, PROXYHDR_UNIQUE_ID, buf, voff, vlen);
		break;
	case TLV_CRC32C:
		if (vlen != 4)
			return proxyhdr_bad(why,
			    "version 2: CRC32C TLV not 4 bytes");
		want = (unsigned long)proxyhdr_be16(buf + voff) << 16 |
		    proxyhdr_be16(buf + voff + 2);
		if (proxyhdr_crc32c(buf, end, voff) != want)
			return proxyhdr_bad(why, "version 2: CRC32C mismatch");
		h->crc_checked = true;
		break;
	case TLV_SSL:
		return proxyhdr_v2_ssl(buf, voff, voff + vlen, h, why);
	}
	return PROXYHDR_DONE;
}

static enum proxyhdr_status
proxyhdr_v2_tlvs(const unsigned char *buf, size_t off, size_t end,
    struct proxyhdr *h, const char **why)
{
	size_t voff, vlen;
	unsigned type;

	while (off < end) {
		if (proxyhdr_tlv_next(buf, &off, end, &type, &voff, &vlen) ==
		    -1)
			return proxyhdr_bad(why,
			    "version 2: TLV past the "
			    "header's end");
		if (proxyhdr_v2_tlv(buf, end, type, voff, vlen, h, why) ==
		    PROXYHDR_INVALID)
			return PROXYHDR_INVALID;
	}
	return PROXYHDR_DONE;
}

/* The addresses of a TCP4 or TCP6 block at buf + 16. */
static void
proxyhdr_v2_addrs(const unsigned char *a, int af, struct proxyhdr *h)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&h->src,
	                   *d4 = (struct sockaddr_in *)&h->dst;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&h->src,
	                    *d6 = (struct sockaddr_in6 *)&h->dst;

	memset(&h->src, 0, sizeof(h->src));
	memset(&h->dst, 0, sizeof(h->dst));
	h->src.ss_family = h->dst.ss_family = (sa_family_t)af;
	if (af == AF_INET) {
		memcpy(&s4->sin_addr, a, 4);
		memcpy(&d4->sin_addr, a + 4, 4);
		memcpy(&s4->sin_port, a + 8, 2);
		memcpy(&d4->sin_port, a + 10, 2);
	} else {
		memcpy(&s6->sin6_addr, a, 16);
		memcpy(&d6->sin6_addr, a + 16, 16);
		memcpy(&s6->sin6_port, a + 32, 2);
		memcpy(&d6->sin6_port, a + 34, 2);
	}
}

/* A PROXY command's address block and TLVs (total bytes in all). */
static enum proxyhdr_status
proxyhdr_v2_body(const unsigned char *buf, size_t total, struct proxyhdr *h,
    const char **why)
{
	static const size_t addr_len[4] = { 0, 12, 36, 216 };
	unsigned fam = buf[13] >> 4;
	size_t alen = addr_len[fam];

	if (total - PROXYHDR_V2_FIXED < alen)
		return proxyhdr_bad(why,
		    "version 2: address block longer "
		    "than the header");
	if (buf[13] == 0x11)
		proxyhdr_v2_addrs(buf + PROXYHDR_V2_FIXED, AF_INET, h);
	else if (buf[13] == 0x21)
		proxyhdr_v2_addrs(buf + PROXYHDR_V2_FIXED, AF_INET6, h);
	else
		h->local = true;
	/* Unspecified: where TLVs would start is unknown. */
	if (fam == 0)
		return PROXYHDR_DONE;
	return proxyhdr_v2_tlvs(buf, PROXYHDR_V2_FIXED + alen, total, h, why);
}

static enum proxyhdr_status
proxyhdr_v2(const unsigned char *buf, size_t n, struct proxyhdr *h,
    size_t *need, const char **why)
{
	size_t total;

	if (memcmp(buf, proxyhdr_sig, n < 12 ? n : 12) != 0)
		return proxyhdr_bad(why, "not a PROXY header");
	if (n < PROXYHDR_V2_FIXED) {
		*need = PROXYHDR_V2_FIXED;
		return PROXYHDR_MORE;
	}
	if (buf[12] >> 4 != 2)
		return proxyhdr_bad(why, "version 2: version is not 2");
	if ((buf[12] & 0x0f) > 1)
		return proxyhdr_bad(why, "version 2: unknown command");
	if (buf[13] >> 4 > 3 || (buf[13] & 0x0f) > 2)
		return proxyhdr_bad(why,
		    "version 2: unknown family or "
		    "protocol");
	total = PROXYHDR_V2_FIXED + proxyhdr_be16(buf + 14);
	if (n < total) {
		*need = total;
		return PROXYHDR_MORE;
	}
	h->version = 2;
	h->len = total;
	/* LOCAL: a health check; its block, whatever it holds, is skipped. */
	if ((buf[12] & 0x0f) == 0) {
		h->local = true;
		return PROXYHDR_DONE;
	}
	return proxyhdr_v2_body(buf, total, h, why);
}

enum proxyhdr_status
proxyhdr_parse(const unsigned char *buf, size_t n, unsigned versions,
    struct proxyhdr *h, size_t *need, const char **why)
{
	memset(h, 0, sizeof(*h));
	*why = NULL;
	if (n == 0) {
		*need = proxyhdr_first_need(versions);
		return PROXYHDR_MORE;
	}
	if (buf[0] == 'P' && (versions & PROXYHDR_V1))
		return proxyhdr_v1(buf, n, h, need, why);
	if (buf[0] == '\r' && (versions & PROXYHDR_V2))
		return proxyhdr_v2(buf, n, h, need, why);
	if (buf[0] == 'P')
		return proxyhdr_bad(why,
		    "a version 1 header, and only "
		    "version 2 is accepted");
	if (buf[0] == '\r')
		return proxyhdr_bad(why,
		    "a version 2 header, and only "
		    "version 1 is accepted");
	return proxyhdr_bad(why, "not a PROXY header");
}
