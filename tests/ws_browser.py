#!/usr/bin/python3
"""The chat room in a real browser, for tests/integ_ws.c: headless Chromium
(Debian chromium) driven over its DevTools protocol (with Debian
python3-websockets) opens the page superd serves, sets a nickname and
sends a line that a raw TCP client (what nc is) on the [chat] service
receives; the raw client answers and the page must show it.  A screenshot
of the page is saved.

Usage: ws_browser.py CHROMIUM PAGE_URL CHAT_PORT SCREENSHOT.png
Exits 0 when all that holds, 1 with the reason on stderr, 77 when
chromium or python3-websockets is missing.
"""
import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

try:
    import websockets
except ImportError:
    sys.exit(77)

TIMEOUT = 30


class Browser:
    """One headless Chromium and a DevTools session on its page."""

    def __init__(self, chromium):
        self.profile = tempfile.mkdtemp(prefix="superd-chromium.")
        argv = [chromium, "--headless=new", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--remote-debugging-port=0",
                "--user-data-dir=" + self.profile, "--window-size=900,640",
                "about:blank"]
        # Chromium's sandbox refuses root, and needs user namespaces a CI
        # container may not give; the page is the test's own.
        argv.insert(1, "--no-sandbox")
        env = dict(os.environ, HOME=self.profile)
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env=env)
        self.ws = None
        self.next_id = 0

    def devtools_port(self):
        path = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            if os.path.exists(path):
                with open(path) as f:
                    first = f.readline().strip()
                if first:
                    return int(first)
            if self.proc.poll() is not None:
                raise AssertionError("chromium exited %d" % self.proc.returncode)
            time.sleep(0.1)
        raise AssertionError("chromium's DevTools port never appeared")

    async def attach(self):
        port = self.devtools_port()
        with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port,
                                    timeout=10) as r:
            targets = json.load(r)
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = await websockets.connect(page["webSocketDebuggerUrl"],
                                           max_size=None)

    async def call(self, method, **params):
        self.next_id += 1
        mine = self.next_id
        await self.ws.send(json.dumps({"id": mine, "method": method,
                                       "params": params}))
        while True:
            reply = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
            if reply.get("id") == mine:
                if "error" in reply:
                    raise AssertionError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})

    async def js(self, expr):
        r = await self.call("Runtime.evaluate", expression=expr,
                            returnByValue=True)
        return r.get("result", {}).get("value")

    async def until(self, expr, what):
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            if await self.js(expr):
                return
            await asyncio.sleep(0.1)
        log = await self.js("document.getElementById('log').innerText")
        raise AssertionError("%s never happened; page log: %r" % (what, log))

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def read_until(f, want):
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        line = f.readline()
        if not line:
            break
        if line.rstrip("\n") == want:
            return
    raise AssertionError("nc side never got %r" % want)


async def scenario(b, url, chat_port, shot):
    await b.attach()
    await b.call("Page.enable")
    await b.call("Page.navigate", url=url)
    await b.until("document.getElementById('status').textContent"
                  ".startsWith('connected')", "the page's socket opening")
    await b.until("document.getElementById('log').innerText"
                  ".includes('* welcome')", "the room's welcome")
    # The person on nc: a raw TCP client on [chat], the same room.
    raw = socket.create_connection(("127.0.0.1", chat_port), timeout=TIMEOUT)
    nc = raw.makefile("r")
    raw.sendall(b"/nick bob\n")
    # Its handler has joined the room once it answers: a line the page
    # sends before that would never reach it (a slow start under load).
    read_until(nc, "* you are now bob")
    await b.js("document.getElementById('nick').value = 'alice';"
               "document.getElementById('nickform').requestSubmit()")
    await b.until("document.getElementById('log').innerText"
                  ".includes('alice')", "the nick change")
    await b.js("document.getElementById('msg').value = "
               "'hello from the browser';"
               "document.getElementById('msgform').requestSubmit()")
    read_until(nc, "alice: hello from the browser")
    raw.sendall(b"hi alice, this is nc\n")
    await b.until("document.getElementById('log').innerText"
                  ".includes('bob: hi alice, this is nc')",
                  "the nc client's answer on the page")
    shot_png = await b.call("Page.captureScreenshot", format="png")
    with open(shot, "wb") as f:
        f.write(base64.b64decode(shot_png["data"]))
    raw.close()
    await b.ws.close()


def main():
    chromium, url, chat_port, shot = sys.argv[1:5]
    if shutil.which(chromium) is None:
        return 77
    b = Browser(chromium)
    try:
        asyncio.run(scenario(b, url, int(chat_port), shot))
    except Exception as e:  # the reason, for the C test's message
        print("browser: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1
    finally:
        b.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
