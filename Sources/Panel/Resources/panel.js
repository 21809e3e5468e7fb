// The H2Lab control panel: talks to the panel's JSON API on the same HTTP/2 connection.
// No framework, no inline script (the Content-Security-Policy forbids it); untrusted text
// (header fields, log lines) only ever goes into textContent.
'use strict';

const state = { csrf: '', selected: null, feed: null, ladderConnection: null, connections: [], drawn: null, picked: null };
const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (key === 'class') node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function showError(message) { $('error').textContent = message || ''; }

async function api(method, path, body) {
  const headers = { 'Accept': 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = state.csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) { window.location.assign('/login'); throw new Error('logged out'); }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || (response.status + ' ' + response.statusText));
  return data;
}

function duration(seconds) {
  if (seconds < 60) return seconds + ' s';
  if (seconds < 3600) return Math.floor(seconds / 60) + ' min ' + (seconds % 60) + ' s';
  return Math.floor(seconds / 3600) + ' h ' + Math.floor((seconds % 3600) / 60) + ' min';
}

// ---- servers ----

async function refreshServers() {
  let data;
  try { data = await api('GET', '/api/servers'); } catch (error) { showError(error.message); return; }
  const body = $('servers').tBodies[0];
  body.replaceChildren();
  for (const server of data.servers) {
    const row = el('tr', { 'data-server': server.id, class: server.id === state.selected ? 'selected' : '' },
      el('td', {}, server.id),
      el('td', {}, el('a', { href: server.url + 'html', target: '_blank', rel: 'noopener' }, server.url)),
      el('td', {}, el('span', { class: server.tls ? 'tag tls' : 'tag' }, server.tls ? 'h2 (TLS)' : 'h2c'),
        server.trace ? ' traced' : ''),
      el('td', {}, duration(server.uptime)),
      el('td', { class: 'num' }, server.open + ' open / ' + server.connections),
      el('td', { class: 'num' }, server.requests),
      el('td', { class: 'actions' }));
    const actions = row.lastChild;
    const watch = el('button', { class: 'quiet', 'data-action': 'watch' }, 'Log & connections');
    watch.addEventListener('click', () => select(server.id));
    const stop = el('button', { class: 'danger', 'data-action': 'stop' }, 'Stop');
    stop.addEventListener('click', () => stopServer(server.id));
    actions.append(watch, stop);
    body.append(row);
  }
  $('no-servers').hidden = data.servers.length > 0;
  if (state.selected !== null && !data.servers.some((s) => s.id === state.selected)) select(null);
}

async function startServer(event) {
  event.preventDefault();
  showError('');
  try {
    const server = await api('POST', '/api/servers', {
      port: Number($('port').value), tls: $('tls').checked, trace: $('trace').checked,
    });
    $('port').value = Number($('port').value) + 1;
    await refreshServers();
    select(server.id);
  } catch (error) { showError(error.message); }
}

async function stopServer(id) {
  showError('');
  try { await api('DELETE', '/api/servers/' + id); } catch (error) { showError(error.message); }
  await refreshServers();
}

// ---- one server: live log and connections ----

function select(id) {
  state.selected = id;
  if (state.feed) { state.feed.close(); state.feed = null; }
  for (const row of $('servers').tBodies[0].rows) row.classList.toggle('selected', Number(row.dataset.server) === id);
  $('log-card').hidden = id === null;
  $('connections-card').hidden = id === null;
  $('ladder-card').hidden = true;
  state.ladderConnection = null;
  if (id === null) return;
  refreshServers();
  $('log-server').textContent = '#' + id;
  $('connections-server').textContent = '#' + id;
  $('download').href = '/api/servers/' + id + '/log';
  $('log').textContent = '';
  // Server-sent events over the panel's own HTTP/2 connection.
  const feed = new EventSource('/api/servers/' + id + '/log');
  feed.onmessage = (message) => {
    const log = $('log');
    const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.append(message.data + '\n');
    if (atEnd) log.scrollTop = log.scrollHeight;
  };
  feed.addEventListener('end', () => { feed.close(); refreshServers(); });
  state.feed = feed;
  refreshConnections();
}

function settingsTable(title, settings) {
  const table = el('table', {}, el('tr', {}, el('th', { colspan: 2 }, title)));
  for (const [name, value] of Object.entries(settings || {})) {
    table.append(el('tr', {}, el('td', {}, name.replace('SETTINGS_', '')), el('td', { class: 'num' }, value)));
  }
  return table;
}

function hpackTable(title, size, entries) {
  const table = el('table', {}, el('tr', {}, el('th', { colspan: 3 }, title + ' (' + size + ' octets)')));
  entries.forEach(([name, value], i) => {
    table.append(el('tr', {}, el('td', { class: 'num' }, 62 + i), el('td', {}, name), el('td', {}, value)));
  });
  if (entries.length === 0) table.append(el('tr', {}, el('td', { colspan: 3, class: 'hint' }, 'empty')));
  return table;
}

function renderConnection(connection) {
  const s = connection.state;
  const head = el('div', { class: 'conn-head' },
    el('strong', {}, 'connection c' + connection.id),
    el('span', {}, 'from ' + connection.peer),
    el('span', { class: 'tag' + (connection.tls ? ' tls' : '') }, connection.alpn || '…'),
    el('span', { class: 'hint' }, connection.tls || 'plain TCP'));
  const ladder = el('button', { class: 'quiet', 'data-action': 'ladder' }, 'Ladder diagram');
  ladder.addEventListener('click', () => {
    state.ladderConnection = connection.id;
    state.drawn = null;
    state.picked = null;
    $('frame-detail').hidden = true;
    renderLadder();
    $('ladder-card').scrollIntoView({ behavior: 'smooth' });
  });
  head.append(ladder);
  const box = el('div', { class: 'conn', 'data-connection': connection.id }, head);
  if (!s) { box.append(el('p', { class: 'hint' }, 'handshake in progress')); return box; }
  const streams = el('table', {}, el('tr', {}, el('th', {}, 'stream'), el('th', {}, 'state'),
    el('th', { class: 'num' }, 'recv window'), el('th', { class: 'num' }, 'send window'), el('th', { class: 'num' }, 'in / out')));
  for (const [id, stream] of Object.entries(s.streams)) {
    streams.append(el('tr', {}, el('td', {}, id), el('td', {}, stream.state), el('td', { class: 'num' }, stream.flowIn),
      el('td', { class: 'num' }, stream.flowOut), el('td', { class: 'num' }, stream.dataIn + ' / ' + stream.dataOut)));
  }
  const windows = el('table', {}, el('tr', {}, el('th', { colspan: 2 }, 'connection windows')),
    el('tr', {}, el('td', {}, 'the client may send'), el('td', { class: 'num' }, s.connFlowIn)),
    el('tr', {}, el('td', {}, 'the server may send'), el('td', { class: 'num' }, s.connFlowOut)));
  box.append(el('div', { class: 'grid' },
    settingsTable('server settings', s.settings), settingsTable('client settings', s.peerSettings), windows));
  box.append(el('h3', {}, 'streams'), streams);
  box.append(el('div', { class: 'grid' },
    hpackTable('decoder table (client → server)', s.hpack.inboundTableSize, s.hpack.inboundDynamicHeaderTable),
    hpackTable('encoder table (server → client)', s.hpack.outboundTableSize, s.hpack.outboundDynamicHeaderTable)));
  return box;
}

async function refreshConnections() {
  if (state.selected === null) return;
  let data;
  try { data = await api('GET', '/api/servers/' + state.selected + '/connections'); } catch (error) { return; }
  if (data.server !== state.selected) return;
  state.connections = data.connections;
  $('connections').replaceChildren(...data.connections.map(renderConnection));
  $('no-connections').hidden = data.connections.length > 0;
  if (state.ladderConnection !== null) renderLadder();
}

// ---- the ladder diagram: the same picture as the REPL's `history` ----

function renderLadder() {
  const connection = state.connections.find((c) => c.id === state.ladderConnection);
  const picture = $('ladder');
  if (!connection) { $('ladder-card').hidden = true; return; }
  $('ladder-card').hidden = false;
  // Redraw only when frames were added, so a picked frame stays picked.
  const key = connection.id + '/' + connection.frames.length;
  if (state.drawn === key) return;
  state.drawn = key;
  $('ladder-connection').textContent = 'c' + connection.id;
  const left = 150, right = 650, top = 40, step = 30;
  const height = top + connection.frames.length * step + 30;
  picture.setAttribute('width', 800);
  picture.setAttribute('height', height);
  picture.setAttribute('viewBox', '0 0 800 ' + height);
  picture.replaceChildren(
    svg('text', { x: left, y: 20, 'text-anchor': 'middle', class: 'end' }, 'client ' + connection.peer),
    svg('text', { x: right, y: 20, 'text-anchor': 'middle', class: 'end' }, 'h2lab server'),
    svg('line', { x1: left, y1: 28, x2: left, y2: height - 10, class: 'axis' }),
    svg('line', { x1: right, y1: 28, x2: right, y2: height - 10, class: 'axis' }));
  connection.frames.forEach((frame, i) => {
    const y = top + i * step;
    const [from, to] = frame.out ? [right, left] : [left, right];
    const group = svg('g', { class: 'frame ' + (frame.out ? 'out' : 'in'), 'data-index': i, tabindex: 0 });
    const tip = to + (frame.out ? 10 : -10);
    group.append(
      svg('line', { x1: from, y1: y, x2: tip, y2: y + 12 }),
      svg('polygon', { points: frame.out
        ? `${to},${y + 12} ${to + 12},${y + 6} ${to + 12},${y + 17}`
        : `${to},${y + 12} ${to - 12},${y + 6} ${to - 12},${y + 17}` }),
      svg('text', { x: (left + right) / 2, y: y + 2, 'text-anchor': 'middle' },
        frame.type + (frame.stream ? ' stream ' + frame.stream : '') + (frame.flags.length ? ' [' + frame.flags.join(' ') + ']' : '')),
      svg('text', { x: 12, y: y + 10 }, '#' + (i + 1)));
    group.addEventListener('click', () => showFrame(frame, i, group));
    if (state.picked === i) group.classList.add('picked');
    picture.append(group);
  });
}

function showFrame(frame, index, group) {
  for (const node of $('ladder').querySelectorAll('.frame.picked')) node.classList.remove('picked');
  group.classList.add('picked');
  state.picked = index;
  $('frame-detail').hidden = false;
  $('frame-title').textContent = '#' + (index + 1) + ' ' + (frame.out ? 'server → client ' : 'client → server ')
    + frame.type + ', ' + frame.length + ' octets of payload';
  $('frame-summary').textContent = frame.summary + (frame.fields.length ? '\n\n' + frame.fields.join('\n') : '');
  $('frame-hex').textContent = frame.hex
    ? frame.hex.replace(/(..)/g, '$1 ').trim()
    : '(octets not shown: they carry this panel\'s session cookie, which the browser also sends to servers on the same host)';
}

// ---- session ----

async function logout() {
  try { await api('POST', '/logout'); } catch (error) { /* already out */ }
  window.location.assign('/login');
}

async function changePassword(event) {
  event.preventDefault();
  showError('');
  try {
    await api('POST', '/api/password', { current: $('current').value, new: $('new').value });
    $('current').value = ''; $('new').value = '';
    showError('Password changed.');
  } catch (error) { showError(error.message); }
}

async function start() {
  const session = await api('GET', '/api/session');
  state.csrf = session.csrf;
  $('user').textContent = session.user;
  $('start').addEventListener('submit', startServer);
  $('logout').addEventListener('click', logout);
  $('password-form').addEventListener('submit', changePassword);
  await refreshServers();
  setInterval(refreshServers, 2000);
  setInterval(refreshConnections, 1000);
}

document.addEventListener('DOMContentLoaded', () => { start().catch((error) => showError(error.message)); });
