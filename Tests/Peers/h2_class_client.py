"""A small HTTP/2 client for the classroom's tests and its bench (Python h2 over TLS, asyncio): one
connection, requests as coroutines, a cookie jar of one. The certificate is not checked (the
class's self-signed one on loopback)."""
import asyncio
import json
import ssl

import h2.config
import h2.connection
import h2.events


class Client:
    def __init__(self, host, port):
        self.host, self.port = host, int(port)
        self.server_ms = None
        self.server_cpu_ms = None

    async def open(self):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_alpn_protocols(["h2"])
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, ssl=context)
        if self.writer.get_extra_info("ssl_object").selected_alpn_protocol() != "h2":
            raise SystemExit("the class did not choose h2 by ALPN")
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.conn.increment_flow_control_window(2 ** 24)
        self.writer.write(self.conn.data_to_send())
        self.streams = {}
        self.cookies = {}
        self.on_data = {}
        self.task = asyncio.create_task(self.pump())

    async def pump(self):
        while True:
            data = await self.reader.read(65536)
            if not data:
                break
            for event in self.conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    s = self.streams.get(event.stream_id)
                    if s is not None:
                        s["headers"] = event.headers
                        if event.stream_id in self.on_data:
                            s["future"].set_result(s)
                elif isinstance(event, h2.events.DataReceived):
                    self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    if event.stream_id in self.on_data:
                        self.on_data[event.stream_id](event.data)
                    elif event.stream_id in self.streams:
                        self.streams[event.stream_id]["body"] += event.data
                elif isinstance(event, h2.events.StreamEnded):
                    s = self.streams.get(event.stream_id)
                    if s is not None and not s["future"].done():
                        s["future"].set_result(s)
                elif isinstance(event, h2.events.StreamReset):
                    s = self.streams.get(event.stream_id)
                    if s is not None and not s["future"].done():
                        s["future"].set_exception(RuntimeError("stream %d reset" % event.stream_id))
            self.writer.write(self.conn.data_to_send())

    async def request(self, method, path, body=None, headers=(), stream=None, timeout=60):
        """The status and body; with `stream`, a callback for each DATA (an events stream)."""
        sid = self.conn.get_next_available_stream_id()
        future = asyncio.get_running_loop().create_future()
        self.streams[sid] = {"future": future, "body": b"", "headers": []}
        if stream:
            self.on_data[sid] = stream
        h = [(":method", method), (":scheme", "https"), (":authority", "%s:%s" % (self.host, self.port)), (":path", path)]
        if self.cookies:
            h.append(("cookie", "; ".join("%s=%s" % kv for kv in self.cookies.items())))
        h += list(headers)
        self.conn.send_headers(sid, h, end_stream=body is None)
        if body is not None:
            self.conn.send_data(sid, body, end_stream=True)
        self.writer.write(self.conn.data_to_send())
        s = await asyncio.wait_for(future, timeout)
        status = 0
        self.server_ms = self.server_cpu_ms = None
        for name, value in s["headers"]:
            if name == ":status":
                status = int(value)
            if name == "server-timing":  # "app;dur=1.234, cpu;dur=0.987"
                timings = {m.split(";")[0].strip(): float(m.split("dur=")[1]) for m in value.split(",") if "dur=" in m}
                self.server_ms = timings.get("app")
                self.server_cpu_ms = timings.get("cpu")
            if name == "set-cookie":
                k, v = value.split(";")[0].split("=", 1)
                self.cookies[k] = v
        return status, s["body"]

    async def post_json(self, path, obj, csrf=""):
        return await self.request("POST", path, json.dumps(obj).encode(),
                                  [("content-type", "application/json"), ("x-csrf-token", csrf)])

    async def login(self, password):
        """The teacher's login (the form's CSRF token, then POST); the session's CSRF token."""
        import re
        import urllib.parse
        _, page = await self.request("GET", "/login")
        token = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()
        form = urllib.parse.urlencode({"username": "admin", "password": password, "csrf": token}).encode()
        status, _ = await self.request("POST", "/login", form, [("content-type", "application/x-www-form-urlencoded")])
        if status != 303:
            raise SystemExit("teacher login: %d" % status)
        _, body = await self.request("GET", "/api/session")
        return json.loads(body)["csrf"]

    def close(self):
        self.conn.close_connection()
        self.writer.write(self.conn.data_to_send())
        self.writer.close()
        self.task.cancel()
