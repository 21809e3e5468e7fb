"""Python h2 through `h2lab proxy` (h2c): RFC 9218 PRIORITY_UPDATE frames (type 0x10, which h2 does
not send itself: written as raw frames between h2's own). Stream ids on the client leg skip ahead
(5, then 9) so that the proxy's server leg, which numbers its own streams 1, 3, must map them.
  1. HEADERS for stream 5 and a PRIORITY_UPDATE for it (u=0) in one write;
  2. once answered, another PRIORITY_UPDATE for stream 5 (u=1): nothing is left to reprioritize;
  3. a PRIORITY_UPDATE for idle stream 9 (u=2), then, a moment later, its HEADERS.
Usage: h2_priority_update_client.py PORT   (loopback; 20 s at most). Prints each response's stream and status."""
import socket
import struct
import sys
import time

import h2.config
import h2.connection
import h2.events

port = int(sys.argv[1])
sock = socket.create_connection(("127.0.0.1", port), timeout=20)
conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
conn.initiate_connection()
sock.sendall(conn.data_to_send())


def priority_update(stream, value):
    payload = struct.pack(">I", stream) + value.encode()
    return struct.pack(">I", len(payload))[1:] + bytes([0x10, 0]) + struct.pack(">I", 0) + payload


def request(stream):
    conn.send_headers(stream, [(":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1:%d" % port), (":path", "/json")],
                      end_stream=True)


def until_answered(stream):
    deadline = time.time() + 15
    while time.time() < deadline:
        data = sock.recv(65536)
        if not data:
            raise SystemExit("the proxy closed the connection")
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                print("stream %d: %s" % (event.stream_id, dict(event.headers)[":status"]))
            if isinstance(event, h2.events.DataReceived):
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            if isinstance(event, h2.events.StreamEnded) and event.stream_id == stream:
                sock.sendall(conn.data_to_send())
                return
        sock.sendall(conn.data_to_send())
    raise SystemExit("no answer on stream %d" % stream)


request(5)
sock.sendall(conn.data_to_send() + priority_update(5, "u=0"))
until_answered(5)
sock.sendall(priority_update(5, "u=1"))
sock.sendall(priority_update(9, "u=2"))
time.sleep(0.3)
request(9)
sock.sendall(conn.data_to_send())
until_answered(9)
conn.close_connection()
sock.sendall(conn.data_to_send())
sock.close()
print("ok")
