"""An h2c server on Python's h2 that says what it receives of RFC 9218: each PRIORITY_UPDATE frame
(type 0x10, which h2 hands over as an unknown frame) with its prioritized stream id and field value,
and each request's stream id and priority field, one line each, in order, on standard output.
Every request gets 200 and a short body. Usage: h2_priority_update_server.py PORT_FILE (loopback)."""
import socket
import struct
import sys
import threading

import h2.config
import h2.connection
import h2.events
import h2.exceptions


def say(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def serve(sock):
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    try:
        while True:
            data = sock.recv(65535)
            if not data:
                break
            try:
                events = conn.receive_data(data)
            except h2.exceptions.ProtocolError as e:
                say("protocol error: %s" % e)
                sock.sendall(conn.data_to_send())
                break
            for event in events:
                if isinstance(event, h2.events.UnknownFrameReceived) and event.frame.type == 0x10:
                    body = event.frame.body
                    say("PRIORITY_UPDATE prioritized stream %d: %s" % (struct.unpack(">I", body[:4])[0] & 0x7fffffff, body[4:].decode()))
                elif isinstance(event, h2.events.RequestReceived):
                    fields = dict(event.headers)
                    say("request on stream %d %s priority %s" % (event.stream_id, fields.get(":path"), fields.get("priority", "-")))
                    conn.send_headers(event.stream_id, [(":status", "200"), ("content-length", "3")])
                    conn.send_data(event.stream_id, b"ok\n", end_stream=True)
            sock.sendall(conn.data_to_send())
    except (OSError, h2.exceptions.StreamClosedError):
        pass
    finally:
        sock.close()


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(8)
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % listener.getsockname()[1])
while True:
    client, _ = listener.accept()
    threading.Thread(target=serve, args=(client,), daemon=True).start()
