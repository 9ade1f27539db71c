#!/usr/bin/python3
"""Independent WebSocket client for tests/integ_ws.c: Python's websockets
(Debian python3-websockets) and raw sockets against superd-ws.

Usage: ws_client.py CASE NAME=VALUE...   (ports, superd's pid)
Exits 0 when the case holds, 1 with the reason on stderr when it does not,
77 when python3-websockets is missing.
"""
import asyncio
import os
import signal
import socket
import ssl
import struct
import sys
import time

try:
    import websockets
    from websockets.exceptions import ConnectionClosed, InvalidStatusCode
except ImportError:
    sys.exit(77)

ARGS = dict(a.split("=", 1) for a in sys.argv[2:])
HOST = "127.0.0.1"


def url(port_key, path="/"):
    return "ws://%s:%s%s" % (HOST, ARGS[port_key], path)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


async def closed_code(ws):
    """Waits for the server's close; returns its code."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    except ConnectionClosed as e:
        return e.code


# ---- raw sockets, for what a well-behaved client library cannot send ----

def raw_handshake(port, path="/echo", origin="http://good.example"):
    s = socket.create_connection((HOST, int(port)), timeout=5)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Origin: %s\r\n\r\n" % (path, origin)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        check(chunk, "connection closed during the handshake")
        head += chunk
    check(head.startswith(b"HTTP/1.1 101"), "no 101: %r" % head)
    check(b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head, "wrong accept: %r" % head)
    return s


def raw_frame(opcode, payload, mask=True, fin=True):
    first = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", first, (0x80 if mask else 0) | n)
    else:
        head = struct.pack("!BBH", first, (0x80 if mask else 0) | 126, n)
    if not mask:
        return head + payload
    key = b"\x12\x34\x56\x78"
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def raw_read_frame(s):
    def exact(n):
        data = b""
        while len(data) < n:
            chunk = s.recv(n - len(data))
            check(chunk, "connection closed before a whole frame")
            data += chunk
        return data
    b0, b1 = exact(2)
    n = b1 & 0x7f
    if n == 126:
        n = struct.unpack("!H", exact(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", exact(8))[0]
    check(not b1 & 0x80, "the server masked a frame")
    return b0 & 0x0f, exact(n)


def raw_http(port, request):
    s = socket.create_connection((HOST, int(port)), timeout=5)
    s.sendall(request.encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


# ---- the cases ----

async def case_echo():
    async with websockets.connect(url("echo", "/echo?x=1"),
                                  origin="http://good.example") as ws:
        await ws.send("hello")
        check(await ws.recv() == "hello", "no echo")
        await ws.send("two\nlines")
        got = [await ws.recv(), await ws.recv()]
        check(got == ["two", "lines"], "lines: %r" % got)


async def case_fragmented():
    async with websockets.connect(url("echo", "/echo"),
                                  origin="http://good.example") as ws:
        await ws.send(["frag", "men", "ted"])
        check(await ws.recv() == "fragmented", "fragments not joined")


async def case_ping():
    async with websockets.connect(url("echo", "/echo"),
                                  origin="http://good.example") as ws:
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 5)


async def case_close_normal():
    ws = await websockets.connect(url("echo", "/echo"),
                                  origin="http://good.example")
    await ws.close(code=4001, reason="done")
    check(ws.close_code == 4001, "close code echoed: %r" % ws.close_code)


async def case_handler_exit_closes_1000():
    # daytime writes one line and exits: a message, then close 1000.
    async with websockets.connect(url("daytime")) as ws:
        line = await ws.recv()
        check("UTC" in line or len(line) > 10, "daytime line: %r" % line)
        check(await closed_code(ws) == 1000, "not 1000")


async def case_oversized():
    async with websockets.connect(url("echo", "/echo"),
                                  origin="http://good.example",
                                  max_size=None) as ws:
        await ws.send("x" * 2048)
        code = await closed_code(ws)
        check(code == 1009, "oversized message closed with %r" % code)


async def case_binary_in_text_mode():
    async with websockets.connect(url("echo", "/echo"),
                                  origin="http://good.example") as ws:
        await ws.send(b"\x00\x01")
        code = await closed_code(ws)
        check(code == 1003, "binary in text mode closed with %r" % code)


async def case_binary_mode():
    async with websockets.connect(url("bin")) as ws:
        await ws.send(b"\x00\xffraw\n")
        got = b""
        while len(got) < 6:
            got += await ws.recv()
        check(got == b"\x00\xffraw\n", "bytes changed: %r" % got)


async def refused(status, uri, **kw):
    """The upgrade to uri is answered with status, not a 101."""
    try:
        await websockets.connect(uri, **kw)
    except InvalidStatusCode as e:
        check(e.status_code == status, "status %r" % e.status_code)
    else:
        raise AssertionError("%s %r accepted" % (uri, kw))


async def case_bad_origin():
    for origin in ("http://evil.example", None):
        await refused(403, url("echo", "/echo"), origin=origin)


async def case_bad_path():
    await refused(404, url("echo", "/other"), origin="http://good.example")


async def case_bad_masking():
    s = raw_handshake(ARGS["echo"])
    s.sendall(raw_frame(0x1, b"unmasked", mask=False))
    op, payload = raw_read_frame(s)
    check(op == 0x8 and payload[:2] == b"\x03\xea",
          "unmasked frame: %r %r" % (op, payload))


async def case_bad_frames():
    for wire, want in ((raw_frame(0x0, b"orphan"), 1002),
                       (raw_frame(0x9, b"p", fin=False), 1002),
                       (raw_frame(0x1, b"\xc3\x28"), 1007),
                       (raw_frame(0x3, b""), 1002)):
        s = raw_handshake(ARGS["echo"])
        s.sendall(wire)
        op, payload = raw_read_frame(s)
        check(op == 0x8, "no close frame")
        code = struct.unpack("!H", payload[:2])[0]
        check(code == want, "%r closed with %d, not %d" % (wire, code, want))


async def case_not_an_upgrade():
    reply = raw_http(ARGS["echo"], "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
    check(reply.startswith(b"HTTP/1.1 426"), "reply %r" % reply[:40])
    check(b"Sec-WebSocket-Version: 13" in reply, "no version named")
    reply = raw_http(ARGS["echo"], "HELLO\r\n\r\n")
    check(reply.startswith(b"HTTP/1.1 400"), "reply %r" % reply[:40])


async def case_static():
    reply = raw_http(ARGS["web"], "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    check(reply.startswith(b"HTTP/1.1 200"), "reply %r" % reply[:40])
    check(b"Content-Type: text/html; charset=utf-8" in reply, "type")
    check(b"new WebSocket(" in reply, "not the chat page")
    reply = raw_http(ARGS["web"], "HEAD /index.html HTTP/1.1\r\n\r\n")
    check(reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"\r\n\r\n"),
          "HEAD: %r" % reply[-40:])
    for bad in ("/../../etc/passwd", "/%2e%2e/etc/passwd", "/nothere.css",
                "/.hidden"):
        reply = raw_http(ARGS["web"], "GET %s HTTP/1.1\r\n\r\n" % bad)
        check(reply.startswith(b"HTTP/1.1 404"), "%s: %r" % (bad, reply[:40]))
    reply = raw_http(ARGS["web"], "POST / HTTP/1.1\r\n\r\n")
    check(reply.startswith(b"HTTP/1.1 405"), "POST: %r" % reply[:40])


async def probe_env(ws):
    """The probe handler's "env: NAME=VALUE" lines, until it closes."""
    env = set()
    try:
        while True:
            line = await asyncio.wait_for(ws.recv(), 5)
            if line.startswith("env: "):
                env.add(line[5:])
    except ConnectionClosed:
        pass
    return env


async def case_env():
    async with websockets.connect(url("probe", "/p/q?a=1&b=2"),
                                  origin="http://good.example",
                                  user_agent_header="ws-test/1") as ws:
        env = await probe_env(ws)
    for want in ("REQUEST_URI=/p/q?a=1&b=2", "QUERY_STRING=a=1&b=2",
                 "HTTP_ORIGIN=http://good.example",
                 "HTTP_USER_AGENT=ws-test/1", "PROTO=TCP",
                 "TCPREMOTEIP=127.0.0.1", "SUPERD_SERVICE=probe-ws"):
        check(want in env, "%s not in the handler's env" % want)


def no_verify():
    """The test's certificate is self-signed: encryption, not trust."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def case_wss():
    u = "wss://%s:%s/w?x=1" % (HOST, ARGS["wss"])
    async with websockets.connect(u, ssl=no_verify(),
                                  origin="http://good.example") as ws:
        env = await probe_env(ws)
    for want in ("REQUEST_URI=/w?x=1", "QUERY_STRING=x=1",
                 "HTTP_ORIGIN=http://good.example", "TLS_VERSION=TLSv1.3",
                 "TLS_SNI=", "PROTO=TCP", "SUPERD_SERVICE=wss-probe"):
        check(want in env, "%s not in the handler's env: %r" % (want, env))
    await refused(403, u, ssl=no_verify(), origin="http://evil.example")


async def case_chat_with_nc():
    raw = socket.create_connection((HOST, int(ARGS["chat"])), timeout=5)
    rf = raw.makefile("r")
    check(rf.readline().startswith("* welcome"), "no welcome on nc")
    async with websockets.connect(url("web")) as ws:
        check((await ws.recv()).startswith("* welcome"), "no welcome")
        await ws.send("/nick webby")
        await ws.send("hello from the web")
        deadline = time.time() + 5
        while time.time() < deadline:
            line = rf.readline()
            if line == "webby: hello from the web\n":
                break
        else:
            raise AssertionError("nc never got the web's line")
        raw.sendall(b"hello from nc\n")
        while True:
            line = await asyncio.wait_for(ws.recv(), 5)
            if line.endswith(": hello from nc"):
                break


async def case_shutdown():
    async with websockets.connect(url("web")) as ws:
        check((await ws.recv()).startswith("* welcome"), "no welcome")
        os.kill(int(ARGS["superd"]), signal.SIGTERM)
        lines = []
        try:
            while True:
                lines.append(await asyncio.wait_for(ws.recv(), 10))
        except ConnectionClosed as e:
            check(e.code == 1001, "closed with %r, not 1001" % e.code)
        check("* the server is stopping" in lines, "lines: %r" % lines)


async def case_max_duration():
    async with websockets.connect(url("short")) as ws:
        await ws.send("still here")
        check(await ws.recv() == "still here", "no echo")
        code = await closed_code(ws)
        check(code == 1001, "max_duration closed with %r" % code)


async def case_reload():
    async with websockets.connect(url("echo", "/echo"),
                                  origin="http://good.example") as ws:
        os.kill(int(ARGS["superd"]), signal.SIGHUP)
        time.sleep(0.5)
        await ws.send("after reload")
        check(await ws.recv() == "after reload", "no echo after reload")
    async with websockets.connect(url("echo", "/echo"),
                                  origin="http://good.example") as ws:
        await ws.send("new one")
        check(await ws.recv() == "new one", "no echo on a new connection")


async def case_max_connections():
    async with websockets.connect(url("one")) as ws:
        await ws.send("a")
        check(await ws.recv() == "a", "no echo")
        try:
            second = await websockets.connect(url("one"), open_timeout=3)
        except (OSError, asyncio.TimeoutError, ConnectionClosed,
                websockets.exceptions.InvalidMessage):
            return
        await second.close()
        raise AssertionError("a second connection over max_connections")


def main():
    case = globals().get("case_" + sys.argv[1])
    if case is None:
        print("no case %s" % sys.argv[1], file=sys.stderr)
        return 2
    try:
        asyncio.run(case())
    except Exception as e:  # the reason, for the C test's message
        print("%s: %s: %s" % (sys.argv[1], type(e).__name__, e),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
