"""Raw-frame probes of what a server does with field blocks it refuses, and with streams opened
before it has our SETTINGS ACK (RFC 9113 §4.3, §5.1.2), over loopback with Python's hpack as the
encoder (an implementation independent of ours). Prints one JSON object.

Usage: refused_blocks.py MODE PORT [COUNT]
  selfdep   HEADERS on stream 1 whose priority depends on stream 1 (§5.3.1, a stream error), its
            block inserting x-token into the dynamic table; then GET /json on stream 3, its block
            referring to that entry. The server must reset stream 1 and answer stream 3.
  trailers  POST on stream 1, trailers without END_STREAM (§8.1, a stream error) inserting x-token;
            then GET /json on stream 3 referring to it.
  flood     never sends the SETTINGS ACK; opens COUNT streams (default 2000) with 3 KB of fields and
            no END_STREAM; counts the RST_STREAM codes, and whether the connection was closed.
"""
import json
import os
import select
import socket
import struct
import sys
import time

from hpack import Decoder, Encoder

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x20
ERRORS = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR", 5: "STREAM_CLOSED",
          6: "FRAME_SIZE_ERROR", 7: "REFUSED_STREAM", 8: "CANCEL", 9: "COMPRESSION_ERROR", 11: "ENHANCE_YOUR_CALM"}


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""
        self.decoder = Decoder()
        self.decoder.max_allowed_table_size = 65536
        self.resets = {}
        self.statuses = {}
        self.goaway = None
        self.closed = False
        self.server_settings = False

    def send(self, data):
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            self.closed = True
            return False

    def read(self, seconds, until=None):
        deadline = time.monotonic() + seconds
        while not self.closed:
            if until is not None and until():
                return
            left = deadline - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                return
            try:
                chunk = self.sock.recv(1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self.closed = True
                return
            self.buffer += chunk
            self.parse()

    def parse(self):
        while len(self.buffer) >= 9:
            length = int.from_bytes(self.buffer[:3], "big")
            if len(self.buffer) < 9 + length:
                return
            kind, flags = self.buffer[3], self.buffer[4]
            stream = int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
            payload = self.buffer[9:9 + length]
            self.buffer = self.buffer[9 + length:]
            if kind == SETTINGS and not flags & ACK:
                self.server_settings = True
            elif kind == GOAWAY and self.goaway is None:
                last, code = struct.unpack(">II", payload[:8])
                self.goaway = {"code": ERRORS.get(code, code), "last_stream": last & 0x7FFFFFFF,
                               "debug": payload[8:].decode("utf-8", "replace")}
            elif kind == RST_STREAM:
                self.resets[stream] = ERRORS.get(struct.unpack(">I", payload)[0], "?")
            elif kind == HEADERS:
                # Our responses come whole (END_HEADERS), unpadded, without priority.
                for name, value in self.decoder.decode(payload):
                    if name in (b":status", ":status"):
                        self.statuses[stream] = value.decode() if isinstance(value, bytes) else value


def fields(path="/json", method="GET", extra=()):
    return [(":method", method), (":scheme", "http"), (":authority", "probe"), (":path", path)] + list(extra)


TOKEN = ("x-token", "inserted-by-a-refused-block")


def handshake(port, ack=True):
    c = Conn(port)
    c.send(PREFACE + frame(SETTINGS, 0, 0))
    c.read(5, until=lambda: c.server_settings)
    if ack:
        c.send(frame(SETTINGS, ACK, 0))
    return c


def then_get(c, encoder, refused_stream):
    """GET /json on stream 3 whose block refers to the refused block's entries."""
    block = encoder.encode(fields(extra=[TOKEN]))
    c.send(frame(HEADERS, END_HEADERS | END_STREAM, 3, block))
    c.read(5, until=lambda: 3 in c.statuses or c.goaway is not None)
    return {"refused_stream_reset": c.resets.get(refused_stream), "second_block_octets": len(block),
            "status_3": c.statuses.get(3), "goaway": c.goaway, "closed": c.closed}


def selfdep(port):
    c = handshake(port)
    encoder = Encoder()
    block = encoder.encode(fields(extra=[TOKEN]))
    c.send(frame(HEADERS, END_HEADERS | END_STREAM | PRIORITY_FLAG, 1, struct.pack(">I", 1) + bytes([15]) + block))
    return then_get(c, encoder, 1)


def trailers(port):
    c = handshake(port)
    encoder = Encoder()
    c.send(frame(HEADERS, END_HEADERS, 1, encoder.encode(fields(path="/echo", method="POST"))))
    c.send(frame(HEADERS, END_HEADERS, 1, encoder.encode([TOKEN])))  # trailers without END_STREAM
    return then_get(c, encoder, 1)


def flood(port, count):
    c = handshake(port, ack=False)
    encoder = Encoder()
    filler = [("x-fill-%d" % i, os.urandom(150).hex()[:300]) for i in range(14)]  # ~3 KB, mostly never indexed twice
    sent = 0
    batch = b""
    for i in range(count):
        stream = 2 * i + 1
        # Fresh values per stream so that the blocks stay ~3 KB (an index would make them tiny).
        extra = [(name, value[:200] + "%08d" % i) for name, value in filler]
        batch += frame(HEADERS, END_HEADERS, stream, encoder.encode(fields(path="/echo", method="POST", extra=extra)))
        if len(batch) > 64_000:
            if not c.send(batch):
                break
            batch = b""
            c.read(0.001)
        sent = i + 1
    if batch:
        c.send(batch)
    c.read(3)
    codes = {}
    for code in c.resets.values():
        codes[code] = codes.get(code, 0) + 1
    first_refused = min((s for s, code in c.resets.items() if code == "REFUSED_STREAM"), default=None)
    return {"sent": sent, "reset_codes": codes, "first_refused": first_refused, "goaway": c.goaway, "closed": c.closed}


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "selfdep":
        result = selfdep(port)
    elif mode == "trailers":
        result = trailers(port)
    elif mode == "flood":
        result = flood(port, int(sys.argv[3]) if len(sys.argv) > 3 else 2000)
    else:
        sys.exit("unknown mode " + mode)
    print(json.dumps(result))
