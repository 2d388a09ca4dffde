// The live status page: /status once, then server-sent events from /events. fetch() reads the
// event stream (EventSource cannot send the bearer token an off-loopback agent asks for).
'use strict';
window.loadedAt = Date.now(); // lets a test tell that updates arrived without a page reload
const services = new Map();

function headers() {
  const token = sessionStorage.getItem('lb-health-agent-token');
  return token ? { Authorization: 'Bearer ' + token } : {};
}

async function get(path) {
  let response = await fetch(path, { headers: headers(), cache: 'no-store' });
  if (response.status === 401) {
    const token = prompt('This agent needs its access token');
    if (token) sessionStorage.setItem('lb-health-agent-token', token.trim());
    response = await fetch(path, { headers: headers(), cache: 'no-store' });
  }
  return response;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function ago(iso) {
  if (!iso) return '';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? s + ' s ago' : s < 3600 ? Math.round(s / 60) + ' min ago' : Math.round(s / 3600) + ' h ago';
}

function nodeCell(service, node) {
  const cell = el('div', 'cell ' + node.health);
  cell.dataset.service = service;
  cell.dataset.node = node.name;
  cell.dataset.state = node.health;
  const title = el('div', 'node', node.name + ' ');
  if (node.state === 'ready') title.appendChild(el('span', 'rotation', '\u25CF'));
  if (node.state === 'drain') title.appendChild(el('span', 'draining', '\u25D0 draining'));
  if (node.damped) title.appendChild(el('span', 'damped', '\u223F flapping: held out'));
  cell.appendChild(title);
  cell.appendChild(el('div', 'detail', node.address));
  const probe = node.lastProbe;
  cell.appendChild(el('div', 'detail', probe
    ? (probe.healthy ? probe.latencyMs.toFixed(1) + ' ms' : probe.detail)
    : 'not probed yet'));
  cell.appendChild(el('div', 'detail', node.since ? node.health + ' since ' + ago(node.since) : ''));
  if (node.kubernetes) cell.appendChild(el('div', 'detail kubernetes', 'kubernetes: ' + node.kubernetes));
  return cell;
}

// Up to this many nodes a service shows one cell per node; beyond, a summary: counts, the nodes
// that are not up, and the full grid on demand (built only while it is open).
const GRID_MAX = 48;
const LIST_MAX = 50;
const expanded = new Set();

function grid(s) {
  const box = el('div', 'nodes');
  s.nodes.forEach(n => box.appendChild(nodeCell(s.name, n)));
  return box;
}

function summary(s) {
  const count = h => s.nodes.filter(n => n.health === h).length;
  const notUp = s.nodes.filter(n => n.health !== 'up');
  const box = el('div', 'summary');
  box.dataset.service = s.name;
  const counts = el('div', 'counts');
  counts.appendChild(el('span', 'count up', count('up') + ' up'));
  counts.appendChild(el('span', 'count down', count('down') + ' down'));
  if (count('unknown')) counts.appendChild(el('span', 'count unknown', count('unknown') + ' unknown'));
  counts.appendChild(el('span', 'meta', ' of ' + s.nodes.length + ' nodes'));
  box.appendChild(counts);
  if (notUp.length) {
    box.appendChild(el('div', 'not-up', 'not up: ' + notUp.slice(0, LIST_MAX).map(n => n.name).join(', ')
      + (notUp.length > LIST_MAX ? ' and ' + (notUp.length - LIST_MAX) + ' more' : '')));
  }
  const details = el('details');
  details.appendChild(el('summary', null, 'every node'));
  if (expanded.has(s.name)) {
    details.open = true;
    details.appendChild(grid(s));
  }
  details.addEventListener('toggle', () => {
    if (details.open) {
      expanded.add(s.name);
      if (!details.querySelector('.nodes')) details.appendChild(grid(s));
    } else {
      expanded.delete(s.name);
    }
  });
  box.appendChild(details);
  return box;
}

function row(s) {
  const tr = el('tr', 'service');
  tr.dataset.service = s.name;
  const name = el('td');
  name.appendChild(el('div', 'name', s.name));
  name.appendChild(el('div', 'meta', ':' + s.port + ' \u2192 ' + s.lb.kind + ' ' + s.lb.upstream + ' (' + s.probe + ' probe)'));
  if (s.discovery) name.appendChild(el('div', 'meta', 'nodes from ' + s.discovery.source));
  if (s.problem) name.appendChild(el('div', 'apply failed problem', s.problem));
  (s.warnings || []).forEach(w => name.appendChild(el('div', 'warning', w)));
  tr.appendChild(name);
  const nodes = el('td');
  if (s.nodes.length <= GRID_MAX) {
    nodes.appendChild(grid(s));
  } else {
    nodes.appendChild(summary(s));
  }
  tr.appendChild(nodes);
  const apply = el('td');
  if (s.lastApply) {
    apply.appendChild(el('div', 'apply ' + s.lastApply.outcome,
      s.lastApply.outcome + ' via ' + s.lastApply.method + ', ' + ago(s.lastApply.at)));
    if (s.serverSet) apply.appendChild(el('div', 'meta in-rotation', 'in rotation: ' + (s.serverSet.active.join(', ') || 'none')));
    if (s.serverSet && s.serverSet.draining.length) apply.appendChild(el('div', 'meta draining', 'draining: ' + s.serverSet.draining.join(', ')));
    if (s.lastApply.method === 'runtime-api') apply.appendChild(el('div', 'meta', 'live in ' + s.lastApply.durationMs.toFixed(1) + ' ms'));
    if (s.lastFileWrite && s.lastFileWrite.outcome === 'failed') apply.appendChild(el('div', 'apply failed', 'file not updated: ' + s.lastFileWrite.error));
    if (s.lastDrift) apply.appendChild(el('div', 'meta', 'LB differed ' + ago(s.lastDrift.at) + ': ' + s.lastDrift.differences.join('; ')
      + (s.lastDrift.corrected ? ' (corrected)' : ' (reported only)')));
    s.lastApply.errors.forEach(e => apply.appendChild(el('div', 'apply failed', e)));
  } else {
    apply.textContent = 'nothing applied yet';
  }
  tr.appendChild(apply);
  return tr;
}

// The agent's problems (it answers 503 on /healthz) and warnings, from the same lists as /healthz and STATUS=.
function alerts(agent) {
  const box = document.getElementById('alerts');
  box.replaceChildren(...agent.problems.map(p => el('div', 'alert problem', p)),
    ...agent.warnings.map(w => el('div', 'alert warning', w)));
}

function render() {
  const body = document.querySelector('#services tbody');
  body.replaceChildren(...[...services.values()].map(row));
}

async function load() {
  const response = await get('/status');
  if (!response.ok) return;
  const status = await response.json();
  document.getElementById('agent').textContent = 'version ' + status.agent.version + ', up since ' + ago(status.agent.startedAt);
  alerts(status.agent);
  services.clear();
  status.services.forEach(s => services.set(s.name, s));
  render();
}

function onEvent(type, data) {
  if (type === 'apply') {
    services.set(data.service.name, data.service);
  } else if (type === 'health') {
    const s = services.get(data.service);
    if (!s) return;
    s.nodes = s.nodes.map(n => n.name === data.node.name ? Object.assign({}, data.node, { inRotation: n.inRotation, state: n.state, kubernetes: data.node.kubernetes }) : n);
  }
  render();
}

async function follow() {
  const live = document.getElementById('live');
  for (;;) {
    try {
      const response = await get('/events');
      if (!response.ok || !response.body) throw new Error('HTTP ' + response.status);
      live.textContent = 'live'; live.className = 'live on';
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let type = 'message', data = '';
          block.split('\n').forEach(line => {
            if (line.startsWith('event: ')) type = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          });
          if (data) onEvent(type, JSON.parse(data));
        }
      }
    } catch (e) {
      // fall through: show it, wait, reconnect
    }
    live.textContent = 'reconnecting'; live.className = 'live off';
    await new Promise(r => setTimeout(r, 2000));
    await load().catch(() => {});
  }
}

load().then(follow);
setInterval(() => load().catch(() => {}), 5000); // latencies and "since" change without events
