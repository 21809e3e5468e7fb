// H2Lab classroom, the student's page: join, then type at the class-mode prompt exactly as in a
// terminal (POST /api/lab/command takes the line as typed), with the lab drawn beside it.
"use strict";
(function () {
  const V = window.LabView, $ = id => document.getElementById(id);
  let csrf = "", shown = 0, previous = null, current = null, selected = null, busy = false;
  const history = JSON.parse(sessionStorage.getItem("h2lab-history") || "[]");
  let historyAt = history.length, lastPredictions = 0;

  async function start() {
    const who = await V.api("/api/session");
    if (who.status !== 200) { $("join-main").hidden = false; $("code").focus(); return; }
    if (who.data.role === "teacher") { location.href = "/"; return; }
    csrf = who.data.csrf;
    $("me").textContent = who.data.name;
    $("join-main").hidden = true;
    $("lab-main").hidden = false;
    await sync(true);
    $("line").focus();
    setInterval(() => { if (!busy) sync(false); }, 2000);
  }

  $("join").addEventListener("submit", async e => {
    e.preventDefault();
    $("join-message").textContent = "";
    const r = await V.api("/api/join", { code: $("code").value, name: $("name").value });
    if (r.status !== 200) { $("join-message").textContent = (r.data && r.data.error) || "could not join (" + r.status + ")"; return; }
    start();
  });

  // The output since the page last looked (a reload shows the whole kept output).
  async function sync(all) {
    // A poll asks only for the lines the page does not have yet.
    const r = await V.api(all ? "/api/lab/output" : "/api/lab/output?since=" + shown);
    if (r.status === 401) { location.reload(); return; }
    if (r.status !== 200) return;
    const total = r.data.total;
    if (all) {
      $("term").replaceChildren();
      if (r.data.dropped) V.appendLines($("term"), [`(${r.data.dropped} older lines are no longer kept: the classroom keeps the last ${r.data.lines.length})`]);
      V.appendLines($("term"), r.data.lines);
    } else if (total > shown) {
      V.appendLines($("term"), r.data.lines.slice(Math.max(0, r.data.lines.length - (total - shown))));
    }
    const changed = total !== shown;
    shown = total;
    status(r.data);
    if (changed || all) await draw();
  }

  function status(s) {
    $("prompt").textContent = s.prompt;
    $("lesson").textContent = s.title || s.lesson || "the lab (the teacher has not chosen a lesson yet)";
    $("where").hidden = !s.sections;
    if (s.sections) $("where").textContent = s.complete ? "lesson complete" : `section ${s.section} of ${s.sections}`;
    $("score").hidden = s.score === null || s.score === undefined;
    if (!$("score").hidden) $("score").textContent = (s.complete ? "score " : "score so far ") + s.score + "%";
    $("held").hidden = s.open === null || s.open === undefined || !s.sections || s.complete;
    if (!$("held").hidden) $("held").textContent = `opened through section ${s.open}`;
    // Exercise: the goals turn ✓ as they hold.
    $("exercise").hidden = !s.goals;
    if (s.goals) {
      $("goals").replaceChildren(...s.goals.map(g => V.el("li", { class: g.holds ? "holds" : "" }, (g.holds ? "✓ " : "○ ") + "expect " + g.text)));
    }
    // Prediction: the options as buttons; after the reveal, the answer beside the engine's.
    const answered = (s.predictionsDone || 0) > lastPredictions && s.lastPrediction;
    if (s.options) {
      $("prediction").hidden = false;
      $("prediction-title").textContent = "Predict: choose an answer (or type its letter)";
      $("options").replaceChildren(...s.options.map((text, i) => {
        const letter = String.fromCharCode(97 + i);
        const b = V.el("button", { type: "button", "data-line": letter }, letter + ") " + text);
        b.addEventListener("click", () => run(letter));
        return b;
      }));
    } else if (answered) {
      for (const b of $("options").querySelectorAll("button")) {
        const letter = b.getAttribute("data-line");
        b.disabled = true;
        if (letter === s.lastPrediction.key) { b.classList.add("right"); b.textContent += "   ← the engine's answer"; }
        else if (letter === s.lastPrediction.answer) { b.classList.add("wrong"); b.textContent += "   ← yours"; }
        if (letter === s.lastPrediction.answer && s.lastPrediction.right) b.textContent = b.textContent.replace("the engine's answer", "yours, and the engine's");
      }
      $("prediction-title").textContent = s.lastPrediction.right ? "Predicted right ✓" : "Not quite: the engine's answer is marked";
    } else {
      $("prediction").hidden = true;
    }
    lastPredictions = s.predictionsDone || 0;
  }

  async function draw() {
    const r = await V.api("/api/lab/state");
    if (r.status !== 200) return;
    previous = current;
    current = r.data;
    V.drawLadder($("ladder"), current, previous, select, selected);
    V.drawStreams($("streams"), current, previous);
    V.drawWindows($("windows"), current, previous);
    V.drawTables($("tables"), current, previous);
  }

  function select(key, frame) {
    selected = key;
    V.drawLadder($("ladder"), current, previous, select, selected);
    V.drawFrame($("frame"), frame);
  }

  // Commands run one after another, in the order typed (none is lost while one runs).
  let queue = Promise.resolve();
  function run(line) { queue = queue.then(() => send(line)); return queue; }

  async function send(line) {
    busy = true;
    try {
      const r = await V.api("/api/lab/command", { line: line }, csrf);
      if (r.status === 429) { V.appendLines($("term"), ["(slow down: " + ((r.data && r.data.error) || "too many commands") + ")"]); return; }
      if (r.status !== 200) { V.appendLines($("term"), ["error: " + ((r.data && r.data.error) || r.status)]); if (r.status === 401) location.reload(); return; }
      const lines = r.data.output === "" ? [] : r.data.output.split("\n");
      V.appendLines($("term"), [$("prompt").textContent + line].concat(lines));
      shown += 1 + lines.length;
      status(r.data);
      await draw();
    } finally {
      busy = false;
      $("line").focus();
    }
  }

  $("cmd").addEventListener("submit", e => {
    e.preventDefault();
    const line = $("line").value;
    if (line.trim()) { history.push(line); sessionStorage.setItem("h2lab-history", JSON.stringify(history.slice(-200))); }
    historyAt = history.length;
    $("line").value = "";
    $("completions").textContent = "";
    run(line);
  });

  $("line").addEventListener("keydown", async e => {
    if (e.key === "ArrowUp" && historyAt > 0) { e.preventDefault(); $("line").value = history[--historyAt]; }
    else if (e.key === "ArrowDown") { e.preventDefault(); historyAt = Math.min(history.length, historyAt + 1); $("line").value = history[historyAt] || ""; }
    else if (e.key === "Tab" && !e.shiftKey) {
      e.preventDefault();
      const text = $("line").value, cut = text.lastIndexOf(" ") + 1;
      const before = text.slice(0, cut), word = text.slice(cut).toLowerCase();
      const r = await V.api("/api/lab/complete", { before: before }, csrf);
      if (r.status !== 200) return;
      const matches = r.data.candidates.filter(c => c.toLowerCase().startsWith(word));
      if (matches.length === 1) {
        $("line").value = before + matches[0] + (/[=:]$/.test(matches[0]) ? "" : " ");
        $("completions").textContent = "";
      } else {
        let common = matches[0] || "";
        for (const m of matches) while (!m.toLowerCase().startsWith(common.toLowerCase())) common = common.slice(0, -1);
        if (common.length > word.length) $("line").value = before + common;
        $("completions").textContent = matches.length ? matches.join("  ") : "(nothing to complete here)";
      }
    }
  });

  for (const b of document.querySelectorAll("button[data-line]")) b.addEventListener("click", () => run(b.getAttribute("data-line")));
  start();
})();
