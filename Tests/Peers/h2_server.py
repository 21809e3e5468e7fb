"""A plain h2c server on Python's h2 (hyper-h2), the way its documentation's examples serve:
one thread per connection, every request answered with a short body. For `h2lab check`.
Usage: h2_server.py PORT_FILE"""
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.events
import h2.exceptions


def serve(sock):
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    try:
        while True:
            data = sock.recv(65535)
            if not data:
                break
            try:
                events = conn.receive_data(data)
            except h2.exceptions.ProtocolError:
                sock.sendall(conn.data_to_send())
                break
            for event in events:
                if isinstance(event, h2.events.RequestReceived):
                    body = b"hello from python h2\n"
                    conn.send_headers(event.stream_id, [(":status", "200"), ("content-length", str(len(body)))])
                    conn.send_data(event.stream_id, body, end_stream=True)
            sock.sendall(conn.data_to_send())
    except (OSError, h2.exceptions.StreamClosedError):
        pass
    finally:
        sock.close()


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % listener.getsockname()[1])
while True:
    client, _ = listener.accept()
    threading.Thread(target=serve, args=(client,), daemon=True).start()
