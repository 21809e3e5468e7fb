"""A Python h2 client opens a WebSocket at /ws with extended CONNECT (RFC 8441) once the server offers
SETTINGS_ENABLE_CONNECT_PROTOCOL, sends a masked text frame and a close, and prints the status and
the octets that came back, in hex. Usage: h2_websocket_client.py PORT"""
import socket, sys, os, h2.connection, h2.events, h2.config, h2.settings
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
c.initiate_connection()
s.sendall(c.data_to_send())
enabled = False
while not enabled:
    for e in c.receive_data(s.recv(65536)):
        if isinstance(e, h2.events.RemoteSettingsChanged):
            enabled = any(int(k) == 8 and v.new_value == 1 for k, v in e.changed_settings.items())
            break
    s.sendall(c.data_to_send())
c.send_headers(1, [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"), (":path", "/ws"), (":authority", "lab"), ("sec-websocket-version", "13")])
s.sendall(c.data_to_send())
def frame(opcode, payload):
    mask = os.urandom(4)
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
status, got, ended = None, b"", False
while not ended:
    for e in c.receive_data(s.recv(65536)):
        if isinstance(e, h2.events.ResponseReceived):
            status = dict(e.headers)[b":status"].decode()
            c.send_data(1, frame(1, b"hello over h2") + frame(8, b"\x03\xe8"))
        if isinstance(e, h2.events.DataReceived):
            got += e.data
            c.acknowledge_received_data(e.flow_controlled_length, 1)
        if isinstance(e, h2.events.StreamEnded): ended = True
    s.sendall(c.data_to_send())
print(status, got.hex())
