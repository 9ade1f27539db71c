/* The WebSocket contract of websocketd: each text message from the client
 * is one line on the handler's stdin, each line the handler writes is one
 * text message; with websocket_binary the bytes pass through as binary
 * messages.  Writes block: a client that does not read holds only its
 * own relay and handler. */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hio.h"
#include "wsframe.h"
#include "wsrelay.h"

/* One frame, header and payload in one writev. */
static int
wsrelay_send(struct wsrelay *w, unsigned opcode, const void *data, size_t len)
{
	unsigned char head[WSFRAME_HEAD_MAX];
	struct iovec iov[2];
	size_t hlen = wsframe_header(head, opcode, len), done = 0, total;
	ssize_t n;

	if (w->gone)
		return -1;
	iov[0] = (struct iovec){ head, hlen };
	iov[1] = (struct iovec){ (void *)(uintptr_t)data, len };
	total = hlen + len;
	n = writev(w->r->client, iov, 2);
	if (n == -1 && errno != EINTR) {
		w->gone = true;
		return -1;
	}
	done = n > 0 ? (size_t)n : 0;
	if (done >= total)
		return 0;
	if ((done < hlen &&
	        hio_write_all(w->r->client, head + done, hlen - done) == -1) ||
	    hio_write_all(w->r->client,
	        (const char *)data + (done > hlen ? done - hlen : 0),
	        len - (done > hlen ? done - hlen : 0)) == -1) {
		w->gone = true;
		return -1;
	}
	return 0;
}

void
wsrelay_close(struct wsrelay *w, unsigned code)
{
	unsigned char body[2] = { (unsigned char)(code >> 8),
		(unsigned char)code };

	if (!w->close_sent)
		(void)wsrelay_send(w, WS_CLOSE, body,
		    code == WS_CLOSE_NO_STATUS ? 0 : 2);
	w->close_sent = true;
}

/* The client is over (closed, failed, or the handshake finished): the
 * handler reads end of file, and the TCP connection goes, server first
 * as section 7.1.1 wants. */
static void
wsrelay_end_client(struct wsrelay *w)
{
	relay_close_handler(w->r);
	(void)shutdown(w->r->client, SHUT_RDWR);
	w->r->client_done = true;
	w->r->finished = true;
	w->gone = true;
}

static unsigned
wsrelay_message(void *ctx, unsigned opcode, unsigned char *data, size_t len)
{
	struct wsrelay *w = ctx;

	if (!w->binary && opcode == WS_BINARY)
		return WS_CLOSE_UNSUPPORTED;
	/* wsmsg keeps a byte free past the message for the newline. */
	if (!w->binary)
		data[len++] = '\n';
	/* A handler gone is seen as its end of file, not here. */
	(void)hio_write_all(w->r->handler, data, len);
	return 0;
}

static void
wsrelay_ping(void *ctx, const unsigned char *data, size_t len)
{
	struct wsrelay *w = ctx;

	if (!w->close_sent)
		(void)wsrelay_send(w, WS_PONG, data, len);
}

static void
wsrelay_peer_close(void *ctx, unsigned code, const unsigned char *reason,
    size_t len)
{
	struct wsrelay *w = ctx;

	(void)reason;
	(void)len;
	w->close_received = true;
	wsrelay_close(w, code);
	wsrelay_end_client(w);
}

static const struct wsmsg_ops wsrelay_msg_ops = {
	.message = wsrelay_message,
	.ping = wsrelay_ping,
	.close = wsrelay_peer_close,
};

static int
wsrelay_from_client(void *ctx, unsigned char *buf, size_t n)
{
	struct wsrelay *w = ctx;
	unsigned code = wsmsg_feed(&w->in, buf, n);

	if (code == 0)
		return 0;
	wsrelay_close(w, code);
	return -1;
}

/* Text mode: a line (without its newline, or CR LF) as one message. */
static int
wsrelay_line(struct wsrelay *w, unsigned char *p, size_t n)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	(void)wsframe_utf8_fix(p, n);
	return wsrelay_send(w, WS_TEXT, p, n);
}

static int
wsrelay_from_handler(void *ctx, unsigned char *buf, size_t n)
{
	struct wsrelay *w = ctx;
	unsigned char *nl;
	size_t take;

	if (w->close_sent)
		return 0; /* nothing may follow a close frame */
	if (w->binary)
		return wsrelay_send(w, WS_BINARY, buf, n);
	while (n > 0) {
		nl = memchr(buf, '\n', n);
		take = nl != NULL ? (size_t)(nl - buf) : n;
		if (take > w->cap - w->len)
			take = w->cap - w->len;
		memcpy(w->line + w->len, buf, take);
		w->len += take;
		buf += take;
		n -= take;
		/* A line as long as a message may be goes out as it is. */
		if (nl == NULL && w->len < w->cap)
			break;
		if (wsrelay_line(w, w->line, w->len) == -1)
			return -1;
		w->len = 0;
		if (n > 0 && *buf == '\n')
			buf++, n--;
	}
	return 0;
}

static void
wsrelay_handler_eof(void *ctx)
{
	struct wsrelay *w = ctx;

	if (w->close_sent || w->gone) {
		w->r->finished = true;
		return;
	}
	if (!w->binary && w->len > 0)
		(void)wsrelay_line(w, w->line, w->len);
	wsrelay_close(w, w->stopping ? WS_CLOSE_GOING_AWAY : WS_CLOSE_NORMAL);
	/* A client that has stopped sending cannot answer the close. */
	if (w->r->client_done)
		wsrelay_end_client(w);
	else
		relay_deadline(w->r, WSRELAY_CLOSE_WAIT_MS);
}

/* The client sent end of file (or its reads failed) without a close
 * frame: the handler reads end of file too, and what it still writes
 * goes out (a half-closed client can still read) before the close. */
static void
wsrelay_client_eof(void *ctx)
{
	struct wsrelay *w = ctx;

	relay_close_handler(w->r);
	if (w->close_sent || w->gone)
		wsrelay_end_client(w);
}

static void
wsrelay_stop(void *ctx)
{
	struct wsrelay *w = ctx;

	w->stopping = true;
}

static void
wsrelay_deadline(void *ctx)
{
	wsrelay_end_client(ctx);
}

const struct relay_ops wsrelay_ops = {
	.from_client = wsrelay_from_client,
	.from_handler = wsrelay_from_handler,
	.handler_eof = wsrelay_handler_eof,
	.client_eof = wsrelay_client_eof,
	.stop = wsrelay_stop,
	.deadline = wsrelay_deadline,
};

int
wsrelay_init(struct wsrelay *w, struct relay *r, size_t max, bool binary)
{
	memset(w, 0, sizeof(*w));
	w->r = r;
	w->binary = binary;
	w->cap = max;
	if (wsmsg_init(&w->in, max, &wsrelay_msg_ops, w) == -1)
		return -1;
	if (!binary && (w->line = malloc(max)) == NULL) {
		wsmsg_free(&w->in);
		return -1;
	}
	return 0;
}

void
wsrelay_free(struct wsrelay *w)
{
	wsmsg_free(&w->in);
	free(w->line);
}
