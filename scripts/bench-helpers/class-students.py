"""scripts/bench class: N simulated students (HTTP/2 over TLS with Python h2, each its own connection
and session) work through a lesson at once, a command every PERIOD seconds each, while a teacher
follows the roster's server-sent events. Prints the step latency (p50, p99), the delay from a
student's step to the roster event that shows it, and the server's memory per student (VmRSS).

Usage: class-students.py URL CODE PASSWORD LESSON N PERIOD SERVER_PID
Loopback only; bounded: one lesson per student, at most 400 commands each.
"""
import asyncio
import json
import os
import re
import sys
import time

# The HTTP/2 client the classroom's tests use (Python h2 over TLS).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "Peers"))
from h2_class_client import Client  # noqa: E402

url, code, password, lesson, count, period, pid = sys.argv[1:8]
count, period = int(count), float(period)
host, port = re.match(r"https://([^:/]+):(\d+)", url).groups()


def rss_kib():
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


latencies = []
server_times = []
server_cpu = []         # the server thread's CPU time per step: the same under any load
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
    c = Client(host, port)
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
        if c.server_cpu_ms is not None:
            server_cpu.append(c.server_cpu_ms / 1000)
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
    teacher = Client(host, port)
    await teacher.open()
    tcsrf = await teacher.login(password)
    asyncio.create_task(teacher.request("GET", "/api/class/events", headers=[("accept", "text/event-stream")],
                                        stream=on_roster, timeout=3600))
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
    server_cpu.sort()

    def pct(xs, p):
        return xs[min(len(xs) - 1, int(len(xs) * p))] * 1000 if xs else float("nan")
    print("students: %d, lesson %s, a command every %.0f ms each; %d commands in %.1f s (%.0f/s)" %
          (count, lesson, period * 1000, len(latencies), elapsed, len(latencies) / elapsed))
    print("step latency seen by the clients (Python h2 on the same cores): p50 %.1f ms, p99 %.1f ms, max %.1f ms" %
          (pct(latencies, .5), pct(latencies, .99), latencies[-1] * 1000))
    print("step time in the server (Server-Timing): p50 %.2f ms, p99 %.2f ms, max %.2f ms" %
          (pct(server_times, .5), pct(server_times, .99), (server_times[-1] if server_times else 0) * 1000))
    print("step CPU time in the server (Server-Timing cpu, the thread's own): p50 %.2f ms, p99 %.2f ms, max %.2f ms" %
          (pct(server_cpu, .5), pct(server_cpu, .99), (server_cpu[-1] if server_cpu else 0) * 1000))
    print("machine load (1-minute average) at the end: %s" % open("/proc/loadavg").read().split()[0])
    print("roster event after a step: p50 %.0f ms, p99 %.0f ms, max %.0f ms (%d events measured)" %
          (pct(delays, .5), pct(delays, .99), (delays[-1] if delays else 0) * 1000, len(delays)))
    print("server memory (VmRSS): %.1f MiB before joins, %.1f MiB joined, %.1f MiB after the lesson: %.2f MiB per student" %
          (before / 1024, joined / 1024, after / 1024, (after - before) / 1024 / count))


asyncio.run(main())
