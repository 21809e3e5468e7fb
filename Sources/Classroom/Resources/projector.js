// H2Lab classroom, the projector: the teacher's own lab (driven from here), or a student's
// (/projector#ID, read only), in large type with the ladder.
"use strict";
(function () {
  const V = window.LabView, $ = id => document.getElementById(id);
  let csrf = "", student = location.hash.slice(1), previous = null, current = null, selected = null, shown = -1;

  async function refresh() {
    const base = student ? "/api/class/students/" + encodeURIComponent(student) : "/api/lab";
    const out = await V.api(base + "/output");
    if (out.status !== 200) { $("whose").textContent = "that student has left"; return; }
    const s = out.data;
    $("title").textContent = s.title || s.lesson || "H2Lab lab";
    $("where").textContent = s.sections ? (s.complete ? "lesson complete" : `section ${s.section} of ${s.sections}`) : "lab";
    $("whose").textContent = student ? s.name + "'s lab" : "the teacher's lab";
    $("prompt").textContent = s.prompt;
    const total = s.total;
    if (total !== shown) {
      $("term").replaceChildren();
      V.appendLines($("term"), s.lines.slice(-300));
      shown = total;
      const st = await V.api(base + "/state");
      if (st.status === 200) {
        previous = current;
        current = st.data;
        V.drawLadder($("ladder"), current, previous, select, selected, true);
        V.drawStreams($("streams"), current, previous);
      }
    }
  }

  function select(key, frame) {
    selected = key;
    V.drawLadder($("ladder"), current, previous, select, selected, true);
    V.drawFrame($("frame"), frame);
  }

  async function start() {
    const who = await V.api("/api/session");
    if (who.status !== 200 || who.data.role !== "teacher") { location.href = "/login"; return; }
    csrf = who.data.csrf;
    $("cmd").hidden = !!student;
    await refresh();
    if (!student) $("line").focus();
    setInterval(refresh, 1500);
  }

  $("cmd").addEventListener("submit", async e => {
    e.preventDefault();
    const line = $("line").value;
    $("line").value = "";
    await V.api("/api/lab/command", { line: line }, csrf);
    await refresh();
    $("line").focus();
  });
  window.addEventListener("hashchange", () => { student = location.hash.slice(1); shown = -1; start(); });
  start();
})();
