"""Asks for one path COUNT times at once on one HTTP/2 connection (Python h2, h2c with prior
knowledge or TLS with ALPN h2, the certificate not checked) and checks every body against a
SHA-256. Prints one line per stream that differs, then "N whole, M differ"; exit status 0 only
when every body arrived whole and the same.

usage: h2_many_get.py HOST PORT PATH COUNT SHA256 [--tls]"""
import hashlib
import socket
import ssl
import sys

import h2.config
import h2.connection
import h2.events


def unchecked_tls():
    """A client context offering h2 that takes any certificate (the server's own, on loopback)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    return context


def main():
    host, port, path, count, digest = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
    tls = "--tls" in sys.argv[6:]
    sock = socket.create_connection((host, port), timeout=30)
    if tls:
        sock = unchecked_tls().wrap_socket(sock, server_hostname="localhost")
        if sock.selected_alpn_protocol() != "h2":
            sys.exit("the server did not choose h2 by ALPN")
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    conn.increment_flow_control_window(2 ** 24)
    conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 2 ** 20})
    bodies, ended, statuses = {}, set(), {}
    scheme = "https" if tls else "http"
    for _ in range(count):
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, [(":method", "GET"), (":scheme", scheme), (":authority", "%s:%d" % (host, port)),
                                   (":path", path)], end_stream=True)
        bodies[stream] = bytearray()
    sock.sendall(conn.data_to_send())
    while len(ended) < count:
        data = sock.recv(65536)
        if not data:
            break
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                statuses[event.stream_id] = dict(event.headers).get(":status")
            elif isinstance(event, h2.events.DataReceived):
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                bodies[event.stream_id] += event.data
            elif isinstance(event, h2.events.StreamEnded):
                ended.add(event.stream_id)
            elif isinstance(event, (h2.events.StreamReset, h2.events.ConnectionTerminated)):
                sys.exit("the server reset or closed: %r" % event)
        sock.sendall(conn.data_to_send())
    differ = [s for s in bodies if s not in ended or statuses.get(s) != "200" or hashlib.sha256(bodies[s]).hexdigest() != digest]
    for s in differ:
        print("stream %d: status %s, %d octets, %s" % (s, statuses.get(s), len(bodies[s]), "ended" if s in ended else "not ended"))
    print("%d whole, %d differ" % (count - len(differ), len(differ)))
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
