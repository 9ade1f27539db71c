import socket, struct, threading, time, sys
s = socket.create_connection(("127.0.0.1", 7960))
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
head = b""
while b"\r\n\r\n" not in head: head += s.recv(1)
payload = b"y" * 60000
frame = struct.pack("!BBH", 0x81, 0x80 | 127, 0)[:2] + struct.pack("!Q", len(payload)) + b"\0\0\0\0" + payload
done = []
def sender():
    for i in range(100):
        s.sendall(frame)
    done.append(1)
t = threading.Thread(target=sender, daemon=True); t.start()
t.join(10)
print("sent all without reading:", bool(done))
# now read everything
s.settimeout(10)
total = 0
try:
    while total < 100 * 60000:
        d = s.recv(1 << 20)
        if not d: break
        total += len(d)
except Exception as e:
    print("read error", e)
print("read", total)
