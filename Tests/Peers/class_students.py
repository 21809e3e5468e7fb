"""30 students (or N) in a running `h2lab class`, each a Python h2 client with one HTTP/2
connection and one session of its own, at once; the teacher on another connection follows the
roster's server-sent events. Checks that every student joins, the class is then full (503), the
teacher's lesson reaches every lab, each student's answer gives the score it should, and every
student's score arrives on the roster: live (an event) and asked for (GET), and in the CSV and JSON.

Usage: class_students.py URL CODE PASSWORD N      (loopback; bounded: 120 s in all)
Prints "ok N students" and exits 0, or says what failed and exits 1.
"""
import asyncio
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h2_class_client import Client  # noqa: E402

url, code, password, count = sys.argv[1:5]
count = int(count)
host, port = re.match(r"https://([^:/]+):(\d+)", url).groups()
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)


rosters = []           # (time, roster) from the events stream
buffer = [b""]


def on_events(data):
    buffer[0] += data
    *whole, rest = buffer[0].split(b"\n\n")
    buffer[0] = rest
    for chunk in whole:
        for line in chunk.decode().split("\n"):
            if line.startswith("data: "):
                rosters.append((time.monotonic(), json.loads(line[6:])))


def expected_score(i):
    # Lesson 03's first prediction: c is right (the response's END_STREAM closes the stream), b wrong.
    return 100 if i % 2 == 0 else 0


async def student(i):
    c = Client(host, port)
    await c.open()
    status, body = await c.post_json("/api/join", {"code": code, "name": "student %02d" % i})
    check(status == 200, "join %d: %d %s" % (i, status, body[:200]))
    check("__Host-h2lab-class" in c.cookies, "student %d has no session cookie" % i)
    return c, json.loads(body).get("csrf", "")


async def main():
    teacher = Client(host, port)
    await teacher.open()
    tcsrf = await teacher.login(password)
    asyncio.ensure_future(teacher.request("GET", "/api/class/events", headers=[("accept", "text/event-stream")],
                                          stream=on_events, timeout=300))
    students = await asyncio.gather(*(student(i) for i in range(count)))
    connections = {id(c.writer.get_extra_info("socket")) for c, _ in students}
    check(len(connections) == count, "each student has a connection of their own")
    extra = Client(host, port)
    await extra.open()
    status, body = await extra.post_json("/api/join", {"code": code, "name": "one too many"})
    check(status == 503 and b"full" in body, "the %dth student: %d %s" % (count + 1, status, body[:100]))
    status, body = await teacher.post_json("/api/class/lesson", {"name": "03-get-request"}, tcsrf)
    check(status == 200 and json.loads(body).get("students") == count, "the lesson for all: %d %s" % (status, body[:200]))

    async def work(i, c, csrf):
        status, body = await c.post_json("/api/lab/command", {"line": ""}, csrf)
        reply = json.loads(body)
        check(status == 200 and reply.get("section") == 2 and reply.get("prompt") == "answer (a-c)> ",
              "student %d goes on: %d %s" % (i, status, body[:200]))
        status, body = await c.post_json("/api/lab/command", {"line": "c" if i % 2 == 0 else "b"}, csrf)
        reply = json.loads(body)
        check(status == 200 and reply.get("score") == expected_score(i), "student %d answers: %s" % (i, body[:300]))
        # Their own session, nobody else's.
        status, body = await c.request("GET", "/api/session")
        check(json.loads(body).get("name") == "student %02d" % i, "student %d's session: %s" % (i, body[:100]))
        return time.monotonic()

    answered = await asyncio.gather(*(work(i, c, csrf) for i, (c, csrf) in enumerate(students)))
    last_answer = max(answered)

    def all_scored(roster):
        rows = {s["name"]: s for s in roster["students"]}
        return all(rows.get("student %02d" % i, {}).get("score") == expected_score(i) for i in range(count))

    # Live: an event shows every student's score within 5 s of the last answer.
    for _ in range(50):
        if any(all_scored(r) for _, r in rosters):
            break
        await asyncio.sleep(0.1)
    live = [t for t, r in rosters if all_scored(r)]
    check(bool(live), "no roster event showed every student's score (%d events)" % len(rosters))
    if live:
        print("the roster event with every score came %.0f ms after the last answer" % (max(0, live[0] - last_answer) * 1000))
    status, body = await teacher.request("GET", "/api/class/roster")
    roster = json.loads(body)
    check(len(roster["students"]) == count and all_scored(roster), "the roster: %s" % body[:300])
    check(all(s["lesson"] == "03-get-request" and s["section"] == 2 and s["online"] for s in roster["students"]),
          "every student in lesson 03, section 2, online")
    status, body = await teacher.request("GET", "/api/class/scores.csv")
    rows = [r for r in body.decode().split("\r\n") if r]
    check(status == 200 and len(rows) == count + 1, "the CSV has a header and %d rows: %d" % (count, len(rows)))
    check(sum(",1,1,100,browser," in r for r in rows) == (count + 1) // 2 and sum(",0,1,0,browser," in r for r in rows) == count // 2,
          "the CSV's scores: %s" % rows[:3])
    status, body = await teacher.request("GET", "/api/class/scores.json")
    results = json.loads(body)["results"]
    check(len(results) == count and sum(r["score"] == 100 for r in results) == (count + 1) // 2, "the JSON's scores")
    check(all(r["items"] and r["items"][0].startswith("prediction@") for r in results), "each JSON row lists its items")
    for c, _ in students:
        c.close()
    extra.close()
    teacher.close()


try:
    asyncio.run(asyncio.wait_for(main(), 120))
except Exception as e:  # a timeout or a broken connection is a failure too, said plainly
    failures.append("%s: %s" % (type(e).__name__, e))
if failures:
    print("FAILED:\n" + "\n".join(failures[:20]))
    sys.exit(1)
print("ok %d students" % count)
