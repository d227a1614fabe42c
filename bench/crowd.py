"""A crowd of clients in one process: idle signed-in WebSockets and slow-header
connections, on raw asyncio sockets (thousands of them, no thread each).

    python -m bench.crowd HOST PORT TOKENS_FILE SLOW

TOKENS_FILE holds a JSON list of bearer tokens, one socket each. SLOW clients
each send a request line and then one header line every SLOW_LINE_SECONDS, and
start again when the server drops them. The crowd prints one JSON line when
every socket is open and greeted by the server's `hello` frame, so idle
({"ready": ..., "greeted_s": seconds since the first handshake}), then reads
commands on stdin:
`report` prints what it heard so far; end of input closes everything.
Received notifications are kept by their data's `marker`, with arrival times.
"""
import asyncio
import base64
import json
import os
import resource
import struct
import sys
import time

SLOW_LINE_SECONDS = 5.0
GREETING_TIMEOUT = 60
PING_SECONDS = 50   # the server closes a socket that has sent nothing for 120 s


def raise_file_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def frame(text, opcode=0x1):
    data = text.encode() if isinstance(text, str) else text
    mask = os.urandom(4)
    head = bytes([0x80 | opcode])
    if len(data) < 126:
        head += bytes([0x80 | len(data)])
    elif len(data) < 65536:
        head += bytes([0x80 | 126]) + struct.pack('!H', len(data))
    else:
        head += bytes([0x80 | 127]) + struct.pack('!Q', len(data))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


class Crowd:
    def __init__(self, host, port, tokens, slow):
        self.host, self.port, self.tokens, self.slow = host, port, tokens, slow
        self.open = 0
        self.greeted = 0
        self.refused = {}
        self.closed = {}           # close code → how many
        self.heard = {}            # marker → [arrival times]
        self.slow_dropped = []     # seconds from connect to the server's close
        self.writers = []
        self.stopping = False

    async def socket(self, token):
        reader, writer = await asyncio.open_connection(self.host, self.port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f'GET /ws?token={token} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n'
                      f'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n'
                      'Sec-WebSocket-Version: 13\r\n\r\n').encode())
        head = await reader.readuntil(b'\r\n\r\n')
        status = int(head.split(b' ', 2)[1])
        if status != 101:
            self.refused[status] = self.refused.get(status, 0) + 1
            writer.close()
            return None
        self.open += 1
        self.writers.append(writer)
        return reader, writer

    async def listen(self, reader, writer):
        last_ping = time.monotonic()
        try:
            while True:
                try:
                    b0, b1 = await asyncio.wait_for(reader.readexactly(2), PING_SECONDS)
                except asyncio.TimeoutError:
                    writer.write(frame(json.dumps({'type': 'ping'})))
                    continue
                length = b1 & 0x7F
                if length == 126:
                    length = struct.unpack('!H', await reader.readexactly(2))[0]
                elif length == 127:
                    length = struct.unpack('!Q', await reader.readexactly(8))[0]
                data = await reader.readexactly(length)
                opcode = b0 & 0x0F
                if opcode == 0x9:
                    writer.write(frame(data, 0xA))
                elif opcode == 0x8:
                    code = struct.unpack('!H', data[:2])[0] if len(data) >= 2 else 1005
                    self.closed[code] = self.closed.get(code, 0) + 1
                    return
                elif opcode == 0x1:
                    self.message(json.loads(data))
                if time.monotonic() - last_ping > PING_SECONDS:
                    writer.write(frame(json.dumps({'type': 'ping'})))
                    last_ping = time.monotonic()
        except (asyncio.IncompleteReadError, ConnectionError):
            if not self.stopping:
                self.closed['eof'] = self.closed.get('eof', 0) + 1
        finally:
            self.open -= 1

    def message(self, message):
        if isinstance(message, dict) and message.get('type') == 'hello':
            self.greeted += 1
        # A notification event: {"type": "notification", "data": {..., "data": {"marker": ...}}}
        if not isinstance(message, dict) or message.get('type') != 'notification':
            return
        marker = ((message.get('data') or {}).get('data') or {}).get('marker')
        if marker is not None:
            self.heard.setdefault(str(marker), []).append(time.time())

    async def slow_client(self):
        while not self.stopping:
            started = time.monotonic()
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
                writer.write(b'GET /healthz HTTP/1.1\r\n')
                line = 0
                while not self.stopping:
                    try:
                        data = await asyncio.wait_for(reader.read(1024), SLOW_LINE_SECONDS)
                    except asyncio.TimeoutError:
                        line += 1
                        writer.write(f'X-Slow-{line}: {"x" * 20}\r\n'.encode())
                        await writer.drain()
                        continue
                    if not data:
                        self.slow_dropped.append(time.monotonic() - started)
                        break
                writer.close()
            except (ConnectionError, OSError):
                self.slow_dropped.append(time.monotonic() - started)
                await asyncio.sleep(0.5)

    def report(self):
        return {'open': self.open, 'refused': self.refused, 'closed': self.closed,
                'heard': self.heard, 'slow_dropped': self.slow_dropped}

    async def run(self):
        started = time.monotonic()
        opened = []
        for start in range(0, len(self.tokens), 100):   # a hundred handshakes at a time
            batch = await asyncio.gather(*(self.socket(t) for t in self.tokens[start:start + 100]),
                                         return_exceptions=True)
            opened += [pair for pair in batch if isinstance(pair, tuple)]
        listeners = [asyncio.ensure_future(self.listen(r, w)) for r, w in opened]
        slow = [asyncio.ensure_future(self.slow_client()) for _ in range(self.slow)]
        while self.greeted < len(opened) and time.monotonic() - started < GREETING_TIMEOUT:
            await asyncio.sleep(0.05)
        print(json.dumps({'ready': self.open, 'greeted': self.greeted,
                          'greeted_s': round(time.monotonic() - started, 2),
                          'refused': self.refused}), flush=True)
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            if line.strip() == 'report':
                print(json.dumps(self.report()), flush=True)
        self.stopping = True
        for writer in self.writers:
            writer.close()
        for task in listeners + slow:
            task.cancel()
        await asyncio.gather(*listeners, *slow, return_exceptions=True)


def main(argv):
    host, port, tokens_file, slow = argv
    raise_file_limit()
    with open(tokens_file) as handle:
        tokens = json.load(handle)
    asyncio.run(Crowd(host, int(port), tokens, int(slow)).run())


if __name__ == '__main__':
    main(sys.argv[1:])
