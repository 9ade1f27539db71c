/* Frames to messages, one byte-stream position at a time: the payload is
 * unmasked straight into its place, so a message costs one copy. */
#include <stdlib.h>
#include <string.h>

#include "wsmsg.h"

int
wsmsg_init(struct wsmsg *m, size_t max, const struct wsmsg_ops *ops, void *ctx)
{
	memset(m, 0, sizeof(*m));
	m->ops = ops;
	m->ctx = ctx;
	m->cap = max;
	/* One byte more, for the newline text mode appends. */
	m->msg = malloc(max + 1);
	return m->msg == NULL ? -1 : 0;
}

void
wsmsg_free(struct wsmsg *m)
{
	free(m->msg);
	m->msg = NULL;
}

/* A frame's header is read: does it fit what came before? */
static unsigned
wsmsg_begin(struct wsmsg *m)
{
	const struct wsframe *f = &m->f;

	if ((f->opcode & 0x8) != 0)
		return 0;
	if (f->opcode == WS_CONT && m->msg_opcode == 0)
		return WS_CLOSE_PROTOCOL;
	if (f->opcode != WS_CONT && m->msg_opcode != 0)
		return WS_CLOSE_PROTOCOL;
	if (f->len > m->cap - m->len)
		return WS_CLOSE_TOO_BIG;
	if (f->opcode != WS_CONT)
		m->msg_opcode = f->opcode;
	return 0;
}

static unsigned
wsmsg_close(struct wsmsg *m, size_t len)
{
	unsigned code = WS_CLOSE_NO_STATUS;

	if (len == 1)
		return WS_CLOSE_PROTOCOL;
	if (len >= 2) {
		code = (unsigned)m->control[0] << 8 | m->control[1];
		if (!wsframe_close_code_ok(code))
			return WS_CLOSE_PROTOCOL;
		if (!wsframe_utf8_ok(m->control + 2, len - 2))
			return WS_CLOSE_INVALID_DATA;
	}
	m->closed = true;
	m->ops->close(m->ctx, code, m->control + (len >= 2 ? 2 : 0),
	    len >= 2 ? len - 2 : 0);
	return 0;
}

/* A frame's payload is all read. */
static unsigned
wsmsg_end(struct wsmsg *m)
{
	size_t len = (size_t)m->f.len, mlen;
	unsigned op = m->msg_opcode;

	m->in_frame = false;
	switch (m->f.opcode) {
	case WS_PING:
		m->ops->ping(m->ctx, m->control, len);
		return 0;
	case WS_PONG:
		return 0;
	case WS_CLOSE:
		return wsmsg_close(m, len);
	}
	m->len += len;
	if (!m->f.fin)
		return 0;
	mlen = m->len;
	m->len = 0;
	m->msg_opcode = 0;
	if (op == WS_TEXT && !wsframe_utf8_ok(m->msg, mlen))
		return WS_CLOSE_INVALID_DATA;
	return m->ops->message(m->ctx, op, m->msg, mlen);
}

/* Takes what it can of a header from buf; returns the bytes used, with
 * *code set if the header is bad or does not fit. */
static size_t
wsmsg_header(struct wsmsg *m, const unsigned char *buf, size_t n,
    unsigned *code)
{
	size_t take = WSFRAME_HEAD_MAX - m->nhead, had = m->nhead;
	int rc;

	if (take > n)
		take = n;
	memcpy(m->head + m->nhead, buf, take);
	rc = wsframe_parse(m->head, m->nhead + take, &m->f, code);
	if (rc == -1)
		return 0;
	*code = 0;
	if (rc == 0) {
		m->nhead += take;
		return take;
	}
	m->nhead = 0;
	m->in_frame = true;
	m->got = 0;
	if ((*code = wsmsg_begin(m)) == 0 && m->f.len == 0)
		*code = wsmsg_end(m);
	return m->f.header - had;
}

unsigned
wsmsg_feed(struct wsmsg *m, const unsigned char *buf, size_t n)
{
	unsigned char *dest;
	unsigned code = 0;
	size_t take;

	while (n > 0 && !m->closed) {
		if (!m->in_frame) {
			take = wsmsg_header(m, buf, n, &code);
			if (code != 0)
				return code;
			buf += take;
			n -= take;
			continue;
		}
		take = m->f.len - m->got < n ? (size_t)(m->f.len - m->got) : n;
		dest = (m->f.opcode & 0x8) != 0 ? m->control + m->got
		                                : m->msg + m->len + m->got;
		memcpy(dest, buf, take);
		wsframe_unmask(dest, take, m->f.mask, m->got);
		m->got += take;
		buf += take;
		n -= take;
		if (m->got == m->f.len && (code = wsmsg_end(m)) != 0)
			return code;
	}
	return 0;
}
