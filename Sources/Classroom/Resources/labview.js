// H2Lab classroom: the lab's pictures, drawn from GET /api/lab/state (the same values the
// terminal's views read). Shared by the student page, the dashboard's peek and the projector.
// Everything is built with DOM calls and textContent: no markup from the server is ever parsed.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // RFC sections in text become links to the RFC's text: "§5.1.1" (RFC 9113 unless the line names
  // another, e.g. "RFC 7541 §4.4"), "RFC 9110 §15".
  const RFC_DEFAULT = "9113";
  function linkify(parent, text) {
    const re = /(RFC ?(\d{4})\s*)?§\s?(\d+(?:\.\d+)*)|RFC ?(\d{4})/g;
    let last = 0, m, rfc = RFC_DEFAULT;
    const named = /RFC ?(\d{4})/.exec(text);
    if (named) rfc = named[1];
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      const number = m[2] || m[4] || rfc;
      const href = "https://www.rfc-editor.org/rfc/rfc" + number + (m[3] ? ".html#section-" + m[3] : ".html");
      const a = el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, m[0]);
      parent.appendChild(a);
      last = re.lastIndex;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // One line of terminal output, classed by what it is (as the terminal's colours would).
  function lineClass(line) {
    if (/^(lab|exercise|answer \(a-[a-z]\)|lesson \d+\/\d+)> /.test(line)) return "cmd";
    if (/^(══|──)/.test(line)) return "rule";
    if (/^\s*✓/.test(line)) return "good";
    if (/^\s*(✗|error:)/.test(line) || /^error:/.test(line)) return "bad";
    if (/^\s*(\(|the teacher|  ── end of section)/.test(line)) return "dim";
    if (/^\S/.test(line)) return "narr";
    return "";
  }
  // Narration the terminal wrapped at 100 columns reads as one paragraph here (the words are the
  // same); a rule of ═ or ─ stays one line, cut at the edge rather than wrapped.
  function appendLines(pre, lines) {
    const frag = document.createDocumentFragment();
    let paragraph = null, previousLine = "";
    for (const line of lines) {
      const kind = lineClass(line);
      const continues = !/[.:!?)]$/.test(previousLine);
      previousLine = line;
      if (kind === "narr" && paragraph && continues) {
        paragraph.appendChild(document.createTextNode(" "));
        linkify(paragraph, line);
        continue;
      }
      paragraph = null;
      // Narration and rules are blocks of their own; other lines end with their newline.
      const span = el(kind === "rule" || kind === "narr" ? "div" : "span", { class: kind });
      linkify(span, line);
      frag.appendChild(span);
      if (kind === "narr") { paragraph = span; continue; }
      if (kind !== "rule") frag.appendChild(document.createTextNode("\n"));
    }
    pre.appendChild(frag);
    pre.scrollTop = pre.scrollHeight;
  }

  // The ladder: client on the left, server on the right, the newest frame at the bottom; frames
  // still on the wire dashed and stopping half way. Each frame is a focusable button.
  function drawLadder(box, state, previous, onSelect, selected, compact) {
    // `compact`: a narrower drawing, so that its text is larger where the box is (the projector).
    const width = compact ? 470 : 620, left = compact ? 40 : 80, right = compact ? 430 : 540, row = compact ? 38 : 34, top = 40;
    const frames = state.frames || [], wire = state.wire || [];
    const lastSeen = previous ? Math.max(0, ...(previous.frames || []).map(f => f.seq || 0)) : Infinity;
    const height = top + (frames.length + wire.length) * row + 20 + (state.wireOmitted ? row : 0);
    const s = svg("svg", { class: "ladder", viewBox: `0 0 ${width} ${height}`, role: "list",
                           "aria-label": "ladder diagram of the frames, newest at the bottom" });
    s.appendChild(svg("text", { x: left, y: 22, "text-anchor": "middle", class: "end client" }, "client"));
    s.appendChild(svg("text", { x: right, y: 22, "text-anchor": "middle", class: "end server" }, "server"));
    s.appendChild(svg("line", { x1: left, y1: 30, x2: left, y2: height, class: "lifeline" }));
    s.appendChild(svg("line", { x1: right, y1: 30, x2: right, y2: height, class: "lifeline" }));
    if (state.framesOmitted) {
      s.appendChild(svg("text", { x: width / 2, y: 34, "text-anchor": "middle", class: "end" }, `(${state.framesOmitted} earlier frames not drawn)`));
    }
    const all = frames.map(f => ({ f, wire: false })).concat(wire.map((f, i) => ({ f, wire: true, i })));
    all.forEach((item, index) => {
      const f = item.f, y = top + index * row + 8;
      const fromClient = f.from === "client";
      const x1 = fromClient ? left : right;
      let x2 = fromClient ? right : left;
      if (item.wire) x2 = (left + right) / 2;
      const key = item.wire ? "w" + item.i : "f" + f.seq;
      const classes = ["frame", f.from];
      if (item.wire) classes.push("wire");
      if (f.error) classes.push("error");
      if (!item.wire && f.seq > lastSeen) classes.push("new");
      if (selected === key) classes.push("selected");
      const g = svg("g", { class: classes.join(" "), tabindex: "0", role: "listitem button",
                           "aria-label": (item.wire ? "on the wire: " : "#" + f.seq + " ") + f.from + " to " + f.to + ": " + f.summary });
      g.appendChild(svg("rect", { x: 4, y: y - 18, width: width - 8, height: row - 2, rx: 4, class: "hit" }));
      const y2 = item.wire ? y + 8 : y + 14;
      g.appendChild(svg("line", { x1: x1, y1: y, x2: x2, y2: y2 }));
      const dir = x2 > x1 ? 1 : -1;
      g.appendChild(svg("polygon", { points: `${x2},${y2} ${x2 - 10 * dir},${y2 - 6} ${x2 - 10 * dir},${y2 + 3}` }));
      let label = (item.wire ? "⋯ " : "#" + f.seq + " ") + f.summary;
      if (f.flags && f.flags.length && f.type !== "SETTINGS" && f.type !== "PING") label += " [" + f.flags.join(" ") + "]";
      if (f.dropped) label += " dropped";
      if (f.error) label += " ✗";
      g.appendChild(svg("text", { x: (left + right) / 2, y: y - 4, "text-anchor": "middle" }, label));
      const choose = () => onSelect && onSelect(key, f);
      g.addEventListener("click", choose);
      g.addEventListener("keydown", e => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); choose(); } });
      s.appendChild(g);
    });
    if (state.wireOmitted) {
      s.appendChild(svg("text", { x: width / 2, y: top + all.length * row + 8, "text-anchor": "middle", class: "end" },
                        `(${state.wireOmitted} more frames on the wire not drawn)`));
    }
    box.replaceChildren(s);
    box.scrollTop = box.scrollHeight;
  }

  // A frame's fields by offset, its octets, and what the terminal printed for it.
  function drawFrame(box, f) {
    box.replaceChildren();
    if (!f) return;
    box.appendChild(el("h3", {}, (f.seq ? "#" + f.seq + " " : "on the wire: ") + f.from + " → " + f.to + ": " + f.summary + ", " + f.length + " octets"));
    if (f.fields && f.fields.length) {
      const t = el("table", { class: "octets" });
      const head = el("tr");
      for (const h of ["offset", "octets", "field", "meaning"]) head.appendChild(el("th", {}, h));
      t.appendChild(head);
      for (const field of f.fields) {
        const tr = el("tr");
        tr.appendChild(el("td", { class: "num" }, String(field.offset)));
        const hex = (f.hex || "").slice(field.offset * 2, Math.min(field.offset + Math.min(field.length, 8), f.length) * 2).replace(/(..)/g, "$1 ").trim();
        tr.appendChild(el("td", { class: "mono" }, hex + (field.length > 8 ? " …" : "")));
        tr.appendChild(el("td", {}, field.name));
        const meaning = el("td");
        linkify(meaning, field.meaning);
        tr.appendChild(meaning);
        t.appendChild(tr);
      }
      box.appendChild(t);
    }
    if (f.lines) box.appendChild(el("pre", {}, f.lines.join("\n")));
    box.appendChild(el("pre", { class: "mono" }, (f.hex || "").replace(/(..)/g, "$1 ").replace(/((?:.. ){16})/g, "$1\n").trim()));
  }

  function stateClass(s) { return s.startsWith("half") ? "half" : s === "open" ? "open" : s.startsWith("closed") ? "closed" : ""; }

  // Streams of both endpoints with their states (RFC 9113 §5.1); a changed row is highlighted.
  function drawStreams(box, state, previous) {
    const t = el("table");
    const head = el("tr");
    for (const h of ["side", "stream", "state", "send win", "recv win", "request", "status"]) head.appendChild(el("th", { class: /win/.test(h) ? "num" : "" }, h));
    t.appendChild(head);
    let rows = 0;
    for (const role of ["client", "server"]) {
      const before = previous ? (previous.endpoints[role].streams || []) : null;
      for (const s of state.endpoints[role].streams) {
        const old = before && before.find(x => x.id === s.id);
        const changed = before && (!old || old.state !== s.state || old.sendWindow !== s.sendWindow || old.receiveWindow !== s.receiveWindow);
        const tr = el("tr", { class: changed ? "changed" : "" });
        tr.appendChild(el("td", { class: "role-" + role }, role));
        tr.appendChild(el("td", { class: "num" }, String(s.id)));
        tr.appendChild(el("td", { class: "state " + stateClass(s.state) }, s.state + (s.closeReason && s.state === "closed" ? " (" + s.closeReason + ")" : "")));
        tr.appendChild(el("td", { class: "num" }, String(s.sendWindow)));
        tr.appendChild(el("td", { class: "num" }, String(s.receiveWindow)));
        tr.appendChild(el("td", {}, s.request));
        tr.appendChild(el("td", {}, s.status || "-"));
        t.appendChild(tr);
        rows++;
      }
    }
    box.replaceChildren(rows ? t : el("p", { class: "hint" }, "no streams yet: try request GET /html, then step"));
  }

  // Both endpoints' HPACK tables (RFC 7541 §2.3.2): the client's encoder beside the server's
  // decoder (they mirror each other), and the other way round.
  function drawTables(box, state, previous) {
    box.replaceChildren();
    const pairs = [["client", "encoder"], ["server", "decoder"], ["server", "encoder"], ["client", "decoder"]];
    for (const [role, which] of pairs) {
      const tbl = state.endpoints[role][which];
      const old = previous ? previous.endpoints[role][which] : null;
      const div = el("div");
      div.appendChild(el("h3", {}, `${role} ${which}: ${tbl.entries.length} entries, ${tbl.size}/${tbl.maxSize} octets`));
      if (tbl.entries.length) {
        const t = el("table");
        for (const e of tbl.entries) {
          const isNew = old && !old.entries.some(o => o.name === e.name && o.value === e.value);
          const tr = el("tr", { class: isNew ? "changed" : "" });
          tr.appendChild(el("td", { class: "num" }, String(e.index)));
          tr.appendChild(el("td", { class: "mono" }, e.name + ": " + (e.value.length > 40 ? e.value.slice(0, 39) + "…" : e.value)));
          tr.appendChild(el("td", { class: "num" }, String(e.size)));
          t.appendChild(tr);
        }
        div.appendChild(t);
      } else {
        div.appendChild(el("p", { class: "hint" }, "empty"));
      }
      box.appendChild(div);
    }
  }

  // Flow-control windows (RFC 9113 §5.2, §6.9): the connection's and each stream's.
  function drawWindows(box, state, previous) {
    const c = state.endpoints.client, s = state.endpoints.server;
    const pc = previous && previous.endpoints.client, ps = previous && previous.endpoints.server;
    const t = el("table");
    const head = el("tr");
    for (const h of ["", "client may send", "server may send"]) head.appendChild(el("th", { class: h ? "num" : "" }, h));
    t.appendChild(head);
    function row(name, a, b, oa, ob) {
      const tr = el("tr");
      tr.appendChild(el("td", {}, name));
      tr.appendChild(el("td", { class: "num" + (pc && a !== oa ? " changed" : "") }, a === undefined ? "-" : String(a)));
      tr.appendChild(el("td", { class: "num" + (ps && b !== ob ? " changed" : "") }, b === undefined ? "-" : String(b)));
      t.appendChild(tr);
    }
    row("connection", c.connectionSendWindow, s.connectionSendWindow, pc && pc.connectionSendWindow, ps && ps.connectionSendWindow);
    const ids = [...new Set(c.streams.map(x => x.id).concat(s.streams.map(x => x.id)))].sort((a, b) => a - b);
    for (const id of ids) {
      const cs = c.streams.find(x => x.id === id), ss = s.streams.find(x => x.id === id);
      const ocs = pc && pc.streams.find(x => x.id === id), oss = ps && ps.streams.find(x => x.id === id);
      row("stream " + id, cs && cs.sendWindow, ss && ss.sendWindow, ocs && ocs.sendWindow, oss && oss.sendWindow);
    }
    box.replaceChildren(t);
  }

  async function api(path, body, csrf) {
    const options = body === undefined ? { credentials: "same-origin" }
      : { method: "POST", credentials: "same-origin", headers: { "content-type": "application/json", "x-csrf-token": csrf || "" }, body: JSON.stringify(body) };
    const response = await fetch(path, options);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { status: response.status, data: data };
  }

  window.LabView = { el, linkify, appendLines, drawLadder, drawFrame, drawStreams, drawTables, drawWindows, api };
})();
