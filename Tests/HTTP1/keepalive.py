"""Persistent HTTP/1.1 connections (RFC 9112 §9.3, §9.6) against a server's fallback, over loopback
(plain, or TLS with ALPN http/1.1). Prints one JSON object with what each case saw.

Usage: keepalive.py PORT [--tls] CASE...
  curl         curl --http1.1 -v with two URLs: both answered, the connection re-used
  pipelined    two requests in one write: two answers in order, the connection left open
  close        a request with "Connection: close": the answer says close, the server closes
  http10       an HTTP/1.0 request: answered, then closed
  limit        requests one after another until the server closes: how many, which said close
  idle         one request, then silence: seconds until the server closes
  big_close    /big (several MB) with "Connection: close" and octets after the request, read
               slowly: the whole body arrives before the close (a lingering close, no reset)
"""
import json
import socket
import ssl
import subprocess
import sys
import time


def connect(port, tls):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_alpn_protocols(["http/1.1"])
        sock = context.wrap_socket(sock, server_hostname="localhost")
    return sock


class Reader:
    """Reads responses framed by Content-Length off one connection."""

    def __init__(self, sock):
        self.sock, self.buffer, self.closed = sock, b"", False

    def fill(self, timeout):
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            return False
        except (ConnectionResetError, ssl.SSLError) as error:
            self.closed = "reset: %s" % error
            return False
        if not chunk:
            self.closed = True
            return False
        self.buffer += chunk
        return True

    def response(self, timeout=5):
        """(status, fields, body) of the next response, or None."""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buffer:
            if time.monotonic() > deadline or not self.fill(deadline - time.monotonic()):
                return None
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        length = int(fields.get("content-length", "0"))
        while len(rest) < length:
            if time.monotonic() > deadline or not self.fill(deadline - time.monotonic()):
                return None
            rest = self.buffer.partition(b"\r\n\r\n")[2]
        self.buffer = rest[length:]
        return int(lines[0].split(" ")[1]), fields, rest[:length]

    def closes_within(self, seconds):
        """Whether the server closes the connection within `seconds` (octets read meanwhile are kept)."""
        deadline = time.monotonic() + seconds
        while not self.closed and time.monotonic() < deadline:
            self.fill(max(0.01, deadline - time.monotonic()))
        return bool(self.closed)


def get(path, extra=b"", version=b"HTTP/1.1"):
    return b"GET " + path + b" " + version + b"\r\nHost: t\r\n" + extra + b"\r\n"


def curl(port, tls):
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    done = subprocess.run(["curl", "-s", "-v", "-k", "--http1.1", "--max-time", "10", "-o", "/dev/null", "-o", "/dev/null",
                           "-w", "%{http_code}\n", url + "/json", url + "/html"], capture_output=True)
    err = done.stderr.decode("utf-8", "replace")
    return {"codes": done.stdout.decode().split(), "reused": "Re-using existing connection" in err,
            "connects": err.count("Connected to ")}


def pipelined(port, tls):
    sock = connect(port, tls)
    sock.sendall(get(b"/json") + get(b"/html"))
    reader = Reader(sock)
    answers = [reader.response(), reader.response()]
    return {"statuses": [a and a[0] for a in answers],
            "types": [a and a[1].get("content-type") for a in answers],
            "closed": reader.closes_within(1)}


def close(port, tls):
    sock = connect(port, tls)
    sock.sendall(get(b"/json", b"Connection: close\r\n"))
    reader = Reader(sock)
    answer = reader.response()
    return {"status": answer and answer[0], "connection": answer and answer[1].get("connection"), "closed": reader.closes_within(3)}


def http10(port, tls):
    sock = connect(port, tls)
    sock.sendall(get(b"/json", version=b"HTTP/1.0"))
    reader = Reader(sock)
    answer = reader.response()
    return {"status": answer and answer[0], "connection": answer and answer[1].get("connection"), "closed": reader.closes_within(3)}


def limit(port, tls):
    sock = connect(port, tls)
    reader = Reader(sock)
    said_close = []
    for n in range(1, 20):
        try:
            sock.sendall(get(b"/json"))
        except OSError:
            break
        answer = reader.response()
        if answer is None:
            break
        if answer[1].get("connection") == "close":
            said_close.append(n)
        if reader.closes_within(0.3):
            return {"answered": n, "said_close": said_close, "closed": True}
    return {"answered": n, "said_close": said_close, "closed": False}


def idle(port, tls):
    sock = connect(port, tls)
    sock.sendall(get(b"/json"))
    reader = Reader(sock)
    answer = reader.response()
    start = time.monotonic()
    closed = reader.closes_within(10)
    return {"status": answer and answer[0], "closed": closed, "closed_after": round(time.monotonic() - start, 2)}


def big_close(port, tls):
    sock = connect(port, tls)
    # The request asks for the close; octets sent after it (a second request) are never read by the server.
    sock.sendall(get(b"/big", b"Connection: close\r\n") + get(b"/json") * 2000)
    time.sleep(1)
    reader = Reader(sock)
    answer = reader.response(timeout=30)
    closed = reader.closes_within(5)
    return {"status": answer and answer[0], "length": len(answer[2]) if answer else reader.buffer.count(b""),
            "declared": answer and int(answer[1].get("content-length", "-1")), "closed": closed}


if __name__ == "__main__":
    port, tls = int(sys.argv[1]), "--tls" in sys.argv
    cases = [a for a in sys.argv[2:] if not a.startswith("--")]
    result = {}
    for name in cases:
        try:
            result[name] = globals()[name](port, tls)
        except Exception as error:  # reported, not raised: the test shows which case broke
            result[name] = {"error": repr(error)}
    print(json.dumps(result), flush=True)
