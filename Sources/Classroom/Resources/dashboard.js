// H2Lab classroom, the teacher's dashboard: the roster live (server-sent events), the lesson,
// the pacing, a student's lab read only, the exports, removing a student, ending the class.
"use strict";
(function () {
  const V = window.LabView, $ = id => document.getElementById(id);
  let csrf = "", peeking = null, peekState = null, peekSelected = null;

  function say(text) { $("message").textContent = text || ""; }

  async function post(path, body) {
    const r = await V.api(path, body, csrf);
    if (r.status >= 400) say((r.data && r.data.error) || ("failed: " + r.status)); else say("");
    return r;
  }

  function idle(seconds, left) {
    if (left) return "left";
    if (seconds === null || seconds === undefined) return "offline";
    if (seconds < 60) return seconds + " s";
    return Math.floor(seconds / 60) + " min";
  }

  function render(roster) {
    $("count").textContent = roster.students.filter(s => s.online).length + " in the class" + (roster.ended ? " (ended)" : "");
    $("pacing").textContent = roster.open ? "held at section " + roster.open : "free pace";
    if (roster.lesson && $("lesson").value !== roster.lesson && document.activeElement !== $("lesson")) $("lesson").value = roster.lesson;
    $("empty").hidden = roster.students.length > 0;
    const rows = roster.students.map(s => {
      const tr = V.el("tr", { class: (s.online ? "" : "offline") + (s.idleSeconds > 180 ? " idle" : ""), "data-id": s.id });
      tr.appendChild(V.el("td", { class: "name" }, s.name + (s.via === "terminal" ? " ⌨" : "")));
      tr.appendChild(V.el("td", {}, s.lesson || "-"));
      const where = V.el("td", { class: "section" });
      if (s.sections) {
        const bar = V.el("span", { class: "progress", "aria-hidden": "true" });
        const fill = V.el("span");
        fill.style.width = Math.round(100 * (s.complete ? 1 : (s.section - 1) / s.sections)) + "%";
        bar.appendChild(fill);
        where.appendChild(bar);
        where.appendChild(document.createTextNode(s.complete ? "done" : s.section + " of " + s.sections));
      } else where.textContent = "-";
      tr.appendChild(where);
      tr.appendChild(V.el("td", { class: "num" }, s.exercisesOwn + " / " + s.exercisesHelped));
      tr.appendChild(V.el("td", { class: "num" }, s.predictionsRight + " of " + s.predictions));
      tr.appendChild(V.el("td", { class: "num score" }, s.score === null ? "-" : s.score + "%"));
      tr.appendChild(V.el("td", { class: "num idle" }, idle(s.idleSeconds, s.left)));
      const actions = V.el("td", { class: "actions" });
      if (s.online && s.via !== "terminal") {
        const view = V.el("button", { type: "button", class: "quiet", "aria-label": "view the lab of " + s.name }, "view");
        view.addEventListener("click", () => peek(s.id, s.name));
        const project = V.el("a", { class: "button quiet", href: "/projector#" + s.id, "aria-label": "show the lab of " + s.name + " on the projector" }, "project");
        actions.append(view, project);
      }
      if (s.online) {
        const remove = V.el("button", { type: "button", class: "danger", "aria-label": "remove " + s.name }, "remove");
        remove.addEventListener("click", async () => { if (confirm("Remove " + s.name + " from the class? Their results are kept.")) await fetchDelete(s.id); });
        actions.appendChild(remove);
      }
      tr.appendChild(actions);
      return tr;
    });
    $("students").replaceChildren(...rows);
  }

  async function fetchDelete(id) {
    const r = await fetch("/api/class/students/" + encodeURIComponent(id), { method: "DELETE", credentials: "same-origin", headers: { "x-csrf-token": csrf } });
    if (r.status >= 400) say("could not remove: " + r.status);
    if (peeking === id) closePeek();
  }

  async function peek(id, name) {
    peeking = id;
    $("peek").hidden = false;
    $("peek-title").textContent = name + "'s lab (read only)";
    peekState = null;
    await refreshPeek(true);
    $("peek-term").focus();
  }
  function closePeek() { peeking = null; $("peek").hidden = true; }

  async function refreshPeek(all) {
    if (!peeking) return;
    const id = encodeURIComponent(peeking);
    const out = await V.api("/api/class/students/" + id + "/output");
    if (out.status !== 200) { closePeek(); return; }
    $("peek-term").replaceChildren();
    V.appendLines($("peek-term"), out.data.lines.slice(-400));
    const st = await V.api("/api/class/students/" + id + "/state");
    if (st.status !== 200) return;
    const before = peekState;
    peekState = st.data;
    V.drawLadder($("peek-ladder"), peekState, before, (key, f) => { peekSelected = key; V.drawFrame($("peek-frame"), f); }, peekSelected);
    V.drawStreams($("peek-streams"), peekState, before);
  }

  async function start() {
    const who = await V.api("/api/session");
    if (who.status !== 200 || who.data.role !== "teacher") { location.href = "/login"; return; }
    csrf = who.data.csrf;
    $("code").textContent = who.data.code;
    const lessons = await V.api("/api/lessons");
    if (lessons.status === 200) {
      $("lesson").replaceChildren(...lessons.data.lessons.map(l => V.el("option", { value: l.name }, l.name + " · " + l.title.split(":")[0] + " (" + l.sections + " sections)")));
      if (lessons.data.current) $("lesson").value = lessons.data.current;
    }
    const roster = await V.api("/api/class/roster");
    if (roster.status === 200) render(roster.data);
    const events = new EventSource("/api/class/events");
    events.addEventListener("roster", e => { render(JSON.parse(e.data)); $("live").textContent = "live"; });
    events.onerror = () => { $("live").textContent = "reconnecting…"; };
    setInterval(() => refreshPeek(false), 3000);
  }

  $("start-lesson").addEventListener("click", async () => {
    const r = await post("/api/class/lesson", { name: $("lesson").value });
    if (r.status === 200) say("");
  });
  $("hold").addEventListener("click", () => post("/api/class/pace", { open: parseInt($("open").value, 10) || 1 }));
  $("free").addEventListener("click", () => post("/api/class/pace", { open: null }));
  $("end").addEventListener("click", async () => { if (confirm("End the class? Every student's lab closes; results are kept.")) await post("/api/class/end", {}); });
  $("peek-close").addEventListener("click", closePeek);
  $("logout").addEventListener("click", async () => { await post("/logout", {}); location.href = "/login"; });
  start();
})();
