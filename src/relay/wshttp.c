/* One HTTP/1.1 request head, as RFC 9112 writes it and RFC 6455 extends
 * it.  Only the headers the relay acts on are kept; the rest are checked
 * for shape and skipped. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sha1.h"
#include "wshttp.h"

#define WSHTTP_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* The line at p (up to LF, CR dropped), or -1 if no LF within end. */
static long
wshttp_line(const char *p, const char *end, size_t *len)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));

	if (lf == NULL)
		return -1;
	*len = (size_t)(lf - p);
	if (*len > 0 && p[*len - 1] == '\r')
		(*len)--;
	return lf + 1 - p;
}

/* Visible ASCII and blanks only, as a header value or request line must
 * be (obs-text refused: none of what the relay reads needs it). */
static bool
wshttp_text_ok(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((p[i] < ' ' && p[i] != '\t') || p[i] == 0x7f ||
		    (unsigned char)p[i] > 0x7f)
			return false;
	return true;
}

/* "GET /target HTTP/1.1" */
static int
wshttp_request_line(const char *p, size_t n, struct wsrequest *r)
{
	const char *sp1 = memchr(p, ' ', n), *sp2;
	size_t mlen, tlen;

	if (sp1 == NULL || !wshttp_text_ok(p, n))
		return -1;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - p));
	if (sp2 == NULL)
		return -1;
	mlen = (size_t)(sp1 - p);
	tlen = (size_t)(sp2 - sp1 - 1);
	if (mlen == 0 || mlen >= sizeof(r->method) || tlen == 0 ||
	    tlen > WSHTTP_TARGET_MAX || sp1[1] != '/')
		return -1;
	memcpy(r->method, p, mlen);
	r->method[mlen] = '\0';
	memcpy(r->target, sp1 + 1, tlen);
	r->target[tlen] = '\0';
	if (memchr(r->target, '\t', tlen) != NULL)
		return -1;
	if (n - (size_t)(sp2 + 1 - p) != 8 || strncmp(sp2 + 1, "HTTP/1.", 7) ||
	    sp2[8] < '0' || sp2[8] > '9')
		return -1;
	r->minor = sp2[8] - '0';
	return 0;
}

/* Whether the comma-separated list v (len n) holds token, any case. */
static bool
wshttp_has_token(const char *v, size_t n, const char *token)
{
	size_t tlen = strlen(token), i = 0, start, end;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		start = i;
		while (i < n && v[i] != ',')
			i++;
		end = i;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (end - start == tlen &&
		    strncasecmp(v + start, token, tlen) == 0)
			return true;
	}
	return false;
}

static int
wshttp_copy(char *out, size_t outlen, const char *v, size_t n)
{
	if (n >= outlen)
		return -1;
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

static int
wshttp_version(const char *v, size_t n)
{
	int k = 0;
	size_t i;

	if (n == 0 || n > 3)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		k = k * 10 + (v[i] - '0');
	}
	return k;
}

/* One "Name: value" line, the value with its blanks trimmed. */
static int
wshttp_header(const char *p, size_t n, struct wsrequest *r)
{
	const char *colon = memchr(p, ':', n), *v;
	size_t nlen, vlen;

	if (colon == NULL || colon == p || !wshttp_text_ok(p, n))
		return -1;
	nlen = (size_t)(colon - p);
	if (memchr(p, ' ', nlen) != NULL || memchr(p, '\t', nlen) != NULL)
		return -1;
	v = colon + 1;
	vlen = n - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (vlen > WSHTTP_VALUE_MAX)
		return -1;
#define IS(name) (nlen == strlen(name) && strncasecmp(p, name, nlen) == 0)
	if (IS("Host"))
		r->host = true;
	else if (IS("Upgrade"))
		r->upgrade_websocket |= wshttp_has_token(v, vlen, "websocket");
	else if (IS("Connection"))
		r->connection_upgrade |= wshttp_has_token(v, vlen, "upgrade");
	else if (IS("Sec-WebSocket-Key")) {
		/* Sent twice is as bad as malformed. */
		if (r->key_seen ||
		    wshttp_copy(r->key, sizeof(r->key), v, vlen) == -1)
			r->key[0] = '\0';
		r->key_seen = true;
	} else if (IS("Sec-WebSocket-Version"))
		r->version = wshttp_version(v, vlen);
	else if (IS("Origin")) {
		if (r->origin_seen)
			return -1;
		r->origin_seen = true;
		return wshttp_copy(r->origin, sizeof(r->origin), v, vlen);
	} else if (IS("User-Agent")) {
		r->agent_seen = true;
		return wshttp_copy(r->agent, sizeof(r->agent), v, vlen);
	}
#undef IS
	return 0;
}

long
wshttp_parse(const char *buf, size_t n, struct wsrequest *r)
{
	const char *p = buf,
	           *end = buf + (n < WSHTTP_HEAD_MAX ? n : WSHTTP_HEAD_MAX);
	size_t len;
	long step;
	bool first = true;

	memset(r, 0, sizeof(*r));
	r->version = -1;
	for (;;) {
		if ((step = wshttp_line(p, end, &len)) == -1)
			return n < WSHTTP_HEAD_MAX ? 0 : -1;
		if (first) {
			if (wshttp_request_line(p, len, r) == -1)
				return -1;
			first = false;
		} else if (len == 0) {
			return p + step - buf;
		} else if (wshttp_header(p, len, r) == -1) {
			return -1;
		}
		p += step;
	}
}

bool
wshttp_is_upgrade(const struct wsrequest *r)
{
	return r->upgrade_websocket && r->connection_upgrade;
}

size_t
wshttp_path_len(const struct wsrequest *r)
{
	return strcspn(r->target, "?");
}

const char *
wshttp_query(const struct wsrequest *r)
{
	const char *q = strchr(r->target, '?');

	return q != NULL ? q + 1 : "";
}

static int
wshttp_b64_value(char c)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *at = c != '\0' ? strchr(alphabet, c) : NULL;

	return at != NULL ? (int)(at - alphabet) : -1;
}

bool
wshttp_key_ok(const char *key)
{
	size_t i;

	if (strlen(key) != WSHTTP_KEY_LEN || key[22] != '=' || key[23] != '=')
		return false;
	for (i = 0; i < 22; i++)
		if (wshttp_b64_value(key[i]) == -1)
			return false;
	/* 16 bytes leave the last character's low four bits zero. */
	return (wshttp_b64_value(key[21]) & 0xf) == 0;
}

static void
wshttp_base64(const unsigned char *in, size_t n, char *out)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;
	unsigned v;

	for (i = 0; i < n; i += 3) {
		v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
	}
	out[o] = '\0';
}

void
wshttp_accept(const char *key, char out[WSHTTP_ACCEPT_LEN + 1])
{
	char joined[WSHTTP_KEY_LEN + sizeof(WSHTTP_GUID)];
	unsigned char digest[SHA1_LEN];
	int n;

	n = snprintf(joined, sizeof(joined), "%.*s%s", WSHTTP_KEY_LEN, key,
	    WSHTTP_GUID);
	sha1(joined, n > 0 ? (size_t)n : 0, digest);
	wshttp_base64(digest, sizeof(digest), out);
}

static size_t
wshttp_fits(int n, size_t len)
{
	return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

size_t
wshttp_switching(const char *key, char *buf, size_t len)
{
	char accept[WSHTTP_ACCEPT_LEN + 1];

	wshttp_accept(key, accept);
	return wshttp_fits(snprintf(buf, len,
	                       "HTTP/1.1 101 Switching Protocols\r\n"
	                       "Upgrade: websocket\r\n"
	                       "Connection: Upgrade\r\n"
	                       "Sec-WebSocket-Accept: %s\r\n\r\n",
	                       accept),
	    len);
}

static const char *
wshttp_reason(int code)
{
	switch (code) {
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 426:
		return "Upgrade Required";
	case 431:
		return "Request Header Fields Too Large";
	default:
		return "Internal Server Error";
	}
}

size_t
wshttp_refusal(int code, char *buf, size_t len)
{
	const char *reason = wshttp_reason(code);

	return wshttp_fits(snprintf(buf, len,
	                       "HTTP/1.1 %d %s\r\n"
	                       "%s"
	                       "Content-Type: text/plain; charset=utf-8\r\n"
	                       "Content-Length: %zu\r\n"
	                       "Connection: close\r\n\r\n%s\n",
	                       code, reason,
	                       code == 426 ? "Sec-WebSocket-Version: 13\r\n"
	                                   : "",
	                       strlen(reason) + 1, reason),
	    len);
}
