/* The frame codec.  The masking, length and opcode rules are those of
 * RFC 6455 section 5.2; a violation is answered with close code 1002. */
#include <string.h>

#include "wsframe.h"

static bool
wsframe_opcode_known(unsigned op)
{
	return op == WS_CONT || op == WS_TEXT || op == WS_BINARY ||
	    op == WS_CLOSE || op == WS_PING || op == WS_PONG;
}

int
wsframe_parse(const unsigned char *buf, size_t n, struct wsframe *f,
    unsigned *code)
{
	size_t need = 2, ext, i;

	*code = WS_CLOSE_PROTOCOL;
	if (n < 2)
		return 0;
	f->fin = (buf[0] & 0x80) != 0;
	f->opcode = buf[0] & 0x0f;
	f->masked = (buf[1] & 0x80) != 0;
	f->len = buf[1] & 0x7f;
	if ((buf[0] & 0x70) != 0 || !wsframe_opcode_known(f->opcode) ||
	    !f->masked)
		return -1;
	if ((f->opcode & 0x8) != 0 && (!f->fin || f->len > WSFRAME_CONTROL_MAX))
		return -1;
	ext = f->len == 126 ? 2 : f->len == 127 ? 8 : 0;
	need += ext + 4;
	if (n < need)
		return 0;
	if (ext > 0) {
		f->len = 0;
		for (i = 0; i < ext; i++)
			f->len = f->len << 8 | buf[2 + i];
		if (ext == 8 && (f->len >> 63) != 0)
			return -1;
	}
	memcpy(f->mask, buf + 2 + ext, 4);
	f->header = need;
	return 1;
}

void
wsframe_unmask(unsigned char *p, size_t n, const unsigned char mask[4],
    uint64_t offset)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] ^= mask[(offset + i) & 3];
}

size_t
wsframe_header(unsigned char *out, unsigned opcode, uint64_t len)
{
	size_t i;

	out[0] = (unsigned char)(0x80 | (opcode & 0x0f));
	if (len < 126) {
		out[1] = (unsigned char)len;
		return 2;
	}
	if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (unsigned char)(len >> 8);
		out[3] = (unsigned char)len;
		return 4;
	}
	out[1] = 127;
	for (i = 0; i < 8; i++)
		out[2 + i] = (unsigned char)(len >> (56 - 8 * i));
	return 10;
}

/* The length of the well-formed sequence at p[0..n), or 0 if none starts
 * there (RFC 3629's table). */
static size_t
wsframe_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f; /* no surrogates */
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f; /* at most U+10FFFF */
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

bool
wsframe_utf8_ok(const unsigned char *p, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if ((k = wsframe_utf8_seq(p + i, n - i)) == 0)
			return false;
		i += k;
	}
	return true;
}

size_t
wsframe_utf8_fix(unsigned char *p, size_t n)
{
	size_t i = 0, k, fixed = 0;

	while (i < n) {
		if ((k = wsframe_utf8_seq(p + i, n - i)) == 0) {
			p[i] = '?';
			fixed++;
			k = 1;
		}
		i += k;
	}
	return fixed;
}

bool
wsframe_close_code_ok(unsigned code)
{
	if (code >= 3000 && code <= 4999)
		return true;
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011);
}
