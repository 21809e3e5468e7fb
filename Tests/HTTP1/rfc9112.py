"""RFC 9112 cases against a server's HTTP/1.1 fallback, over loopback (plain, or TLS with ALPN
http/1.1), each on a fresh connection. Prints one JSON object: for each case, the status code the
server answered (None if none), whether it closed the connection afterwards (a refusal closes; a
request answered stays open, RFC 9112 §9.3), and the body's start.
Also drives Python's http.client (a chunked POST and a Content-Length POST) and curl (`-T -`, which
sends chunked).

Usage: rfc9112.py PORT [--tls]
"""
import http.client
import json
import socket
import ssl
import subprocess
import sys
import time

HOST = b"Host: t\r\n"
CASES = {
    # framing (§6.3)
    "cl_ok": b"POST /echo HTTP/1.1\r\n" + HOST + b"Content-Length: 5\r\n\r\nhello",
    "cl_two_different": b"POST /echo HTTP/1.1\r\n" + HOST + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "cl_list_different": b"POST /echo HTTP/1.1\r\n" + HOST + b"Content-Length: 5, 6\r\n\r\nhello!",
    "cl_two_same": b"POST /echo HTTP/1.1\r\n" + HOST + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    "cl_negative": b"POST /echo HTTP/1.1\r\n" + HOST + b"Content-Length: -1\r\n\r\nhi",
    "cl_plus": b"POST /echo HTTP/1.1\r\n" + HOST + b"Content-Length: +5\r\n\r\nhello",
    "cl_huge": b"POST /echo HTTP/1.1\r\n" + HOST + b"Content-Length: 99999999999999999999999\r\n\r\nhello",
    "cl_over_limit": b"POST /echo HTTP/1.1\r\n" + HOST + b"Content-Length: 2000000\r\n\r\nhello",
    "te_gzip": b"POST /echo HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: gzip\r\n\r\nhello",
    "te_chunked_gzip": b"POST /echo HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
    "te_gzip_chunked": b"POST /echo HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "te_chunked_twice": b"POST /echo HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
    "te_and_cl": b"POST /echo HTTP/1.1\r\n" + HOST + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "te_http10": b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    # chunked (§7.1)
    "chunked_ok": b"POST /echo HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    "chunked_ext_trailers": b"POST /echo HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n"
                            b"5;name=value;flag\r\nhello\r\n6 ; q=\"x y\"\r\n world\r\n000;last\r\nx-checksum: abc\r\nx-more: 1\r\n\r\n",
    "chunked_upper_hex": b"POST /echo HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
    "chunked_bad_size": b"POST /echo HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "chunked_data_too_long": b"POST /echo HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
    "chunked_size_overflow": b"POST /echo HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
    "chunked_over_limit": b"POST /echo HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n200000\r\nhello",
    "chunk_ext_too_long": b"POST /echo HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n5;" + b"x" * 5000 + b"\r\nhello\r\n0\r\n\r\n",
    "trailer_bad": b"POST /echo HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n0\r\nno colon here\r\n\r\n",
    # Host (§3.2)
    "no_host": b"GET /json HTTP/1.1\r\n\r\n",
    "two_hosts": b"GET /json HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "bad_host": b"GET /json HTTP/1.1\r\nHost: a b\r\n\r\n",
    "http10_no_host": b"GET /json HTTP/1.0\r\n\r\n",
    # field syntax (§5)
    "obs_fold": b"GET /json HTTP/1.1\r\n" + HOST + b"X-A: one\r\n two\r\n\r\n",
    "space_before_colon": b"GET /json HTTP/1.1\r\n" + HOST + b"X-A : one\r\n\r\n",
    "no_colon": b"GET /json HTTP/1.1\r\n" + HOST + b"X-A one\r\n\r\n",
    "bare_cr": b"GET /json HTTP/1.1\r\n" + HOST + b"X-A: o\rne\r\n\r\n",
    "nul_in_value": b"GET /json HTTP/1.1\r\n" + HOST + b"X-A: o\x00ne\r\n\r\n",
    "lf_only": b"GET /json HTTP/1.1\nHost: t\n\n",
    "leading_crlf": b"\r\nGET /json HTTP/1.1\r\n" + HOST + b"\r\n",
    # request line (§3) and limits
    "bad_version": b"GET /json HTTP/1.1.1\r\n" + HOST + b"\r\n",
    "http2_version": b"GET /json HTTP/2.0\r\n" + HOST + b"\r\n",
    "two_spaces": b"GET  /json HTTP/1.1\r\n" + HOST + b"\r\n",
    "long_target": b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + HOST + b"\r\n",
    "long_header_section": b"GET /json HTTP/1.1\r\n" + HOST + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 1000) for i in range(70)) + b"\r\n",
    "endless_header_line": b"GET /json HTTP/1.1\r\n" + HOST + b"X-A: " + b"v" * 70000,
}


def connect(port, tls):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_alpn_protocols(["http/1.1"])
        sock = context.wrap_socket(sock, server_hostname="localhost")
    return sock


def complete(data):
    """Whether `data` holds a whole response whose length is known by its Content-Length."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return len(body) >= int(value.strip())
    return False


def probe(port, tls, raw):
    """The answer to `raw` and whether the server closed the connection after it: waits for the
    close up to 5 s, or 1 s once a whole response has come (a connection that persists, RFC 9112 §9.3)."""
    sock = connect(port, tls)
    try:
        sock.sendall(raw)
    except OSError:
        pass
    data, closed = b"", False
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if complete(data):
            deadline = min(deadline, time.monotonic() + 1)
        try:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except OSError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
    sock.close()
    status = None
    if data.startswith(b"HTTP/1.1 "):
        status = int(data[9:12])
    body = data.partition(b"\r\n\r\n")[2]
    return {"status": status, "closed": closed, "body": body[:200].decode("utf-8", "replace")}


def http_client(port, tls):
    """Python's http.client: a chunked POST (an iterable body) and a Content-Length one."""
    results = {}
    for name, body, headers in (("chunked", iter([b"hello ", b"from ", b"http.client"]), {"Transfer-Encoding": "chunked"}),
                                ("length", b"hello from http.client", {})):
        if tls:
            context = ssl._create_unverified_context()
            context.set_alpn_protocols(["http/1.1"])
            conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=5, context=context)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("POST", "/echo", body=body, headers=headers, encode_chunked=name == "chunked")
        response = conn.getresponse()
        results["http_client_" + name] = {"status": response.status, "body": response.read()[:200].decode("utf-8", "replace")}
        conn.close()
    return results


def curl_chunked(port, tls):
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/echo"
    done = subprocess.run(["curl", "-s", "-k", "--http1.1", "--max-time", "10", "-T", "-", "-X", "POST", "-w", "\n%{http_code}", url],
                          input=b"hello from curl, chunked", capture_output=True)
    out = done.stdout.decode("utf-8", "replace")
    body, _, code = out.rpartition("\n")
    return {"curl_chunked": {"status": int(code) if code.isdigit() else None, "body": body[:200]}}


if __name__ == "__main__":
    port, tls = int(sys.argv[1]), "--tls" in sys.argv
    result = {name: probe(port, tls, raw) for name, raw in CASES.items()}
    result.update(http_client(port, tls))
    result.update(curl_chunked(port, tls))
    print(json.dumps(result), flush=True)
