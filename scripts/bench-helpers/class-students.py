"""scripts/bench class: N simulated students (HTTP/2 over TLS with Python h2, each its own connection
and session) work through a lesson at once, a command every PERIOD seconds each, while a teacher
follows the roster's server-sent events. Prints the step latency (p50, p99), the delay from a
student's step to the roster event that shows it, and the server's memory per student (VmRSS).

Usage: class-students.py URL CODE PASSWORD LESSON N PERIOD SERVER_PID
Loopback only; bounded: one lesson per student, at most 400 commands each.
"""
import asyncio
import json
import re
import ssl
import sys
import time
import urllib.parse

import h2.config
import h2.connection
import h2.events

url, code, password, lesson, count, period, pid = sys.argv[1:8]
count, period = int(count), float(period)
host, port = re.match(r"https://([^:/]+):(\d+)", url).groups()


def rss_kib():
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Client:
    """One HTTP/2 connection: requests as coroutines, a cookie jar of one."""

    async def open(self):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_alpn_protocols(["h2"])
        self.reader, self.writer = await asyncio.open_connection(host, int(port), ssl=context)
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
            self.writer.write(self.conn.data_to_send())

    async def request(self, method, path, body=None, headers=(), stream=None):
        sid = self.conn.get_next_available_stream_id()
        future = asyncio.get_running_loop().create_future()
        self.streams[sid] = {"future": future, "body": b"", "headers": []}
        if stream:
            self.on_data[sid] = stream
        h = [(":method", method), (":scheme", "https"), (":authority", "%s:%s" % (host, port)), (":path", path)]
        if self.cookies:
            h.append(("cookie", "; ".join("%s=%s" % kv for kv in self.cookies.items())))
        h += list(headers)
        self.conn.send_headers(sid, h, end_stream=body is None)
        if body is not None:
            self.conn.send_data(sid, body, end_stream=True)
        self.writer.write(self.conn.data_to_send())
        s = await asyncio.wait_for(future, 60)
        status = 0
        self.server_ms = None
        for name, value in s["headers"]:
            if name == ":status":
                status = int(value)
            if name == "server-timing":
                self.server_ms = float(value.split("dur=")[1])
            if name == "set-cookie":
                k, v = value.split(";")[0].split("=", 1)
                self.cookies[k] = v
        return status, s["body"]

    async def post_json(self, path, obj, csrf=""):
        return await self.request("POST", path, json.dumps(obj).encode(),
                                  [("content-type", "application/json"), ("x-csrf-token", csrf)])


latencies = []
server_times = []
reached = {}        # (name, section or "done") -> time the student's answer said so
delays = []
seen = {}


events_buffer = [b""]


def on_roster(data):
    # An event may span DATA frames: only whole events (ending in a blank line) are read.
    now = time.monotonic()
    events_buffer[0] += data
    *whole, rest = events_buffer[0].split(b"\n\n")
    events_buffer[0] = rest
    for chunk in (w.decode() for w in whole):
        for line in chunk.split("\n"):
            if not line.startswith("data: "):
                continue
            roster = json.loads(line[6:])
            for s in roster["students"]:
                key = (s["name"], "done" if s["complete"] else s["section"])
                if key in reached and key not in seen:
                    seen[key] = True
                    delays.append(max(0.0, now - reached[key]))


async def student(i, start_at, gate):
    c = Client()
    async with gate:  # at most 16 TLS handshakes and joins at once
        await c.open()
        status, body = await c.post_json("/api/join", {"code": code, "name": "student %03d" % i})
    if status != 200:
        raise SystemExit("join %d: %d %s" % (i, status, body[:200]))
    csrf = json.loads(body)["csrf"]
    await start_at.wait()
    await asyncio.sleep(period * (i / count))  # spread the first commands over one period
    line = ""
    for _ in range(400):
        t0 = time.monotonic()
        status, body = await c.post_json("/api/lab/command", {"line": line}, csrf)
        t1 = time.monotonic()
        if status == 429:
            await asyncio.sleep(period)
            continue
        latencies.append(t1 - t0)
        if c.server_ms is not None:
            server_times.append(c.server_ms / 1000)
        reply = json.loads(body)
        name = "student %03d" % i
        key = (name, "done" if reply["complete"] else reply["section"])
        reached.setdefault(key, t1)
        if reply["complete"]:
            break
        prompt = reply["prompt"]
        line = "a" if prompt.startswith("answer") else "skip" if prompt.startswith("exercise") else ""
        await asyncio.sleep(max(0.0, period - (time.monotonic() - t0)))
    return c


async def main():
    teacher = Client()
    await teacher.open()
    status, page = await teacher.request("GET", "/login")
    token = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()
    form = urllib.parse.urlencode({"username": "admin", "password": password, "csrf": token}).encode()
    status, _ = await teacher.request("POST", "/login", form, [("content-type", "application/x-www-form-urlencoded")])
    if status != 303:
        raise SystemExit("teacher login: %d" % status)
    _, body = await teacher.request("GET", "/api/session")
    tcsrf = json.loads(body)["csrf"]
    asyncio.create_task(teacher.request("GET", "/api/class/events", headers=[("accept", "text/event-stream")], stream=on_roster))
    before = rss_kib()
    start_at = asyncio.Event()
    gate = asyncio.Semaphore(16)
    tasks = [asyncio.create_task(student(i, start_at, gate)) for i in range(count)]
    # Wait until everyone has joined (the roster says so), then start the lesson for all.
    for _ in range(600):
        _, body = await teacher.request("GET", "/api/class/roster")
        if len(json.loads(body)["students"]) >= count:
            break
        failed = [t for t in tasks if t.done() and t.exception()]
        if failed:
            raise SystemExit("a student failed to join: %r" % failed[0].exception())
        await asyncio.sleep(0.1)
    joined = rss_kib()
    status, body = await teacher.post_json("/api/class/lesson", {"name": lesson}, tcsrf)
    if status != 200:
        raise SystemExit("lesson: %d %s" % (status, body))
    t0 = time.monotonic()
    start_at.set()
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - t0
    await asyncio.sleep(1.5)
    after = rss_kib()
    latencies.sort()
    delays.sort()
    server_times.sort()

    def pct(xs, p):
        return xs[min(len(xs) - 1, int(len(xs) * p))] * 1000 if xs else float("nan")
    print("students: %d, lesson %s, a command every %.0f ms each; %d commands in %.1f s (%.0f/s)" %
          (count, lesson, period * 1000, len(latencies), elapsed, len(latencies) / elapsed))
    print("step latency seen by the clients (Python h2 on the same cores): p50 %.1f ms, p99 %.1f ms, max %.1f ms" %
          (pct(latencies, .5), pct(latencies, .99), latencies[-1] * 1000))
    print("step time in the server (Server-Timing): p50 %.2f ms, p99 %.2f ms, max %.2f ms" %
          (pct(server_times, .5), pct(server_times, .99), (server_times[-1] if server_times else 0) * 1000))
    print("roster event after a step: p50 %.0f ms, p99 %.0f ms, max %.0f ms (%d events measured)" %
          (pct(delays, .5), pct(delays, .99), (delays[-1] if delays else 0) * 1000, len(delays)))
    print("server memory (VmRSS): %.1f MiB before joins, %.1f MiB joined, %.1f MiB after the lesson: %.2f MiB per student" %
          (before / 1024, joined / 1024, after / 1024, (after - before) / 1024 / count))


asyncio.run(main())
