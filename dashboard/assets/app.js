// The dashboard's frame and its own pages (Overview, Explorer, Performance).
// Engines add pages with dash.register (see dashboard/doc.go). Every value
// from the node is written with textContent, never as HTML.
'use strict';

const dash = (() => {
  const pages = new Map(); // id -> {title, render}
  const panelOrder = []; // the engines' pages, from /dashboard/data/panels
  const tips = { mainchain: null, sidechain: null };
  let rendering = false;
  let dirty = false;
  let alarmsSeen = false; // an alarm event came since the page was opened

  // ---- helpers for pages ----

  // el builds an element: attrs are attributes (class, href, ...), and
  // children are nodes or strings (as text).
  function el(tag, attrs, ...children) {
    const e = tag.startsWith('svg:')
      ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
      : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null && v !== false) e.setAttribute(k, String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  // kv is a definition list of [label, value, key] rows; key becomes the
  // value's data-k attribute, which the browser tests read.
  function kv(rows) {
    return el('dl', {}, rows.map(([label, value, key]) => [
      el('dt', {}, label),
      el('dd', { 'data-k': key }, value instanceof Node ? value : (value === undefined || value === null || value === '' ? '—' : String(value))),
    ]));
  }

  function card(title, body, cls) {
    return el('div', { class: 'card' + (cls ? ' ' + cls : '') }, el('h3', {}, title), body);
  }

  // table builds a table of rows (arrays of cells); a header ending in
  // ' #' is right-aligned as a number.
  function table(headers, rows, opts) {
    opts = opts || {};
    const num = headers.map((h) => h.endsWith(' #'));
    return el('table', { 'data-k': opts.key },
      el('thead', {}, el('tr', {}, headers.map((h, i) => el('th', { class: num[i] ? 'num' : null }, num[i] ? h.slice(0, -2) : h)))),
      el('tbody', {}, rows.length === 0
        ? el('tr', {}, el('td', { colspan: headers.length, class: 'muted' }, opts.empty || 'none'))
        : rows.map((r) => el('tr', {}, r.map((c, i) => el('td', { class: num[i] ? 'num' : null }, c instanceof Node ? c : (c === undefined || c === null ? '—' : String(c))))))));
  }

  function hash(h, n) {
    if (!h) return '—';
    n = n || 16;
    return el('span', { class: 'hash', title: h }, h.length > n ? h.slice(0, n) + '…' : h);
  }

  // link is a link to the Explorer for a hash, height, txid or address.
  function link(q, text) {
    return el('a', { href: '#explorer?q=' + encodeURIComponent(q), class: 'hash', title: q }, text === undefined ? (q.length > 16 ? q.slice(0, 16) + '…' : q) : text);
  }

  function sat(v) {
    if (v === undefined || v === null || v === '') return '—';
    const n = BigInt(v);
    const neg = n < 0n;
    const a = neg ? -n : n;
    const whole = a / 100000000n;
    const frac = (a % 100000000n).toString().padStart(8, '0');
    return (neg ? '-' : '') + whole.toString() + '.' + frac + ' BTC';
  }

  function bytes(n) {
    if (n === undefined || n === null) return '—';
    const units = ['B', 'KiB', 'MiB', 'GiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
  }

  function enumWord(v) {
    if (typeof v !== 'string') return v;
    return v.replace(/^(DEPOSIT_STATUS|WITHDRAWAL_STAGE|SIDECHAIN_BLOCK_STATUS|BAN_KIND|ALARM_SEVERITY|ALARM_REASON|CONFIRMATIONS_KIND|POOL_BLOCK_STATUS)_/, '').toLowerCase();
  }

  class HTTPError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function get(url) {
    const r = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (r.status === 401) {
      location.assign('/dashboard/login');
      throw new HTTPError(401, 'logged out');
    }
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    if (!r.ok) throw new HTTPError(r.status, (body && (body.message || body.error)) || ('HTTP ' + r.status));
    return body;
  }

  // api reads the node's REST API (/v1/...) with the read-only credential.
  const api = (path) => get('/dashboard/api' + path);
  // data reads the dashboard's own answers (/dashboard/data/...).
  const data = (path) => get('/dashboard/data' + path);

  // ---- charts (inline SVG) ----

  const colors = ['#58a6ff', '#3fb950', '#d29922', '#f778ba', '#a371f7', '#ff7b72', '#79c0ff'];

  // lineChart draws series [{name, points: [[x, y], ...]}] as lines.
  function lineChart(title, series, opts) {
    opts = opts || {};
    const W = 640, H = 240, L = 64, R = 12, T = 24, B = 28;
    const all = series.flatMap((s) => s.points);
    const svg = el('svg:svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title, 'data-k': opts.key });
    svg.append(el('svg:text', { x: L, y: 15 }, title));
    if (all.length === 0) {
      svg.append(el('svg:text', { x: W / 2 - 40, y: H / 2 }, 'no data yet'));
      return svg;
    }
    const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
    const x0 = Math.min(...xs), x1 = Math.max(...xs);
    const y0 = opts.yMin !== undefined ? opts.yMin : Math.min(...ys);
    let y1 = opts.yMax !== undefined ? opts.yMax : Math.max(...ys);
    if (y1 === y0) y1 = y0 + 1;
    const sx = (x) => L + (x1 === x0 ? (W - L - R) / 2 : (x - x0) / (x1 - x0) * (W - L - R));
    const sy = (y) => H - B - (y - y0) / (y1 - y0) * (H - T - B);
    svg.append(el('svg:line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }));
    svg.append(el('svg:line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }));
    const fmtY = opts.fmtY || ((v) => String(Math.round(v * 100) / 100));
    svg.append(el('svg:text', { x: 2, y: T + 4 }, fmtY(y1)));
    svg.append(el('svg:text', { x: 2, y: H - B }, fmtY(y0)));
    svg.append(el('svg:text', { x: L, y: H - 8 }, String(x0)));
    svg.append(el('svg:text', { x: W - R - 40, y: H - 8 }, String(x1)));
    series.forEach((s, i) => {
      const pts = s.points.map((p) => sx(p[0]).toFixed(1) + ',' + sy(p[1]).toFixed(1)).join(' ');
      svg.append(el('svg:polyline', { points: pts, fill: 'none', stroke: colors[i % colors.length], 'stroke-width': 2 }));
    });
    return el('div', {}, svg, series.length > 1 || opts.legend
      ? el('div', { class: 'legend' }, series.map((s, i) => el('span', { style: null }, el('svg:svg', { width: 10, height: 10 }, el('svg:rect', { width: 10, height: 10, fill: colors[i % colors.length] })), ' ' + s.name)))
      : null);
  }

  // barChart draws [{label, value}] as bars.
  function barChart(title, bars, opts) {
    opts = opts || {};
    const W = 640, H = 220, L = 40, R = 12, T = 24, B = 40;
    const svg = el('svg:svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title, 'data-k': opts.key });
    svg.append(el('svg:text', { x: L, y: 15 }, title));
    const max = Math.max(1, ...bars.map((b) => b.value));
    const bw = (W - L - R) / Math.max(1, bars.length);
    svg.append(el('svg:line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }));
    svg.append(el('svg:text', { x: 2, y: T + 4 }, String(max)));
    bars.forEach((b, i) => {
      const h = b.value / max * (H - T - B);
      svg.append(el('svg:rect', { x: (L + i * bw + 2).toFixed(1), y: (H - B - h).toFixed(1), width: Math.max(1, bw - 4).toFixed(1), height: h.toFixed(1), fill: colors[0] },
        el('svg:title', {}, b.label + ': ' + b.value)));
      // Every other label when they would overlap.
      if (bw >= 48 || i % 2 === 0) svg.append(el('svg:text', { x: (L + i * bw + 2).toFixed(1), y: H - B + 14 + (bw < 48 ? 0 : 0) }, b.label));
    });
    return svg;
  }

  // ---- frame ----

  function register(id, page) {
    if (pages.has(id)) throw new Error('page ' + id + ' registered twice');
    pages.set(id, page);
    drawNav();
  }

  function current() {
    const h = location.hash.replace(/^#/, '');
    const id = h.split('?')[0] || 'overview';
    const params = new URLSearchParams(h.includes('?') ? h.slice(h.indexOf('?') + 1) : '');
    return { id: pages.has(id) ? id : 'overview', params };
  }

  function drawNav() {
    const nav = document.getElementById('nav');
    if (!nav) return;
    const cur = current().id;
    const order = ['overview', ...panelOrder, 'explorer', 'performance'];
    nav.replaceChildren(...order.filter((id) => pages.has(id)).map((id) =>
      el('a', { href: '#' + id, class: id === cur ? 'active' : null, 'data-page': id }, pages.get(id).title)));
  }

  const ctx = { el, kv, card, table, hash, link, sat, bytes, enumWord, api, data, lineChart, barChart, tips, HTTPError };

  // keepTyped carries what the user typed into the old page's inputs over
  // to the new one, when the new one redraws the same view (a new tip
  // redraws the page while the user types a search): an input whose value
  // differs from what was drawn keeps it, and its focus and cursor.
  function keepTyped(main, box, view) {
    for (const inp of box.querySelectorAll('input[id]')) inp.dataset.drawn = inp.value;
    if (main.dataset.view !== view) return;
    for (const old of main.querySelectorAll('input[id]')) {
      const fresh = box.querySelector('#' + CSS.escape(old.id));
      if (!fresh || old.value === old.dataset.drawn) continue;
      fresh.value = old.value;
      if (document.activeElement === old) {
        const [start, end] = [old.selectionStart, old.selectionEnd];
        queueMicrotask(() => { fresh.focus(); try { fresh.setSelectionRange(start, end); } catch (e) { /* not a text input */ } });
      }
    }
  }

  // render draws the current page into a new container and swaps it in
  // when done; an event that arrives meanwhile renders again after.
  async function render() {
    if (rendering) { dirty = true; return; }
    rendering = true;
    const view = location.hash;
    const { id, params } = current();
    drawNav();
    const page = pages.get(id);
    const box = el('div', { 'data-page': id });
    try {
      await page.render(box, Object.assign({ params }, ctx));
    } catch (e) {
      box.append(el('p', { class: 'error' }, 'Could not read the node: ' + e.message));
    }
    const main = document.getElementById('page');
    if (current().id === id) {
      keepTyped(main, box, view);
      main.replaceChildren(box);
      main.dataset.view = view;
      main.dataset.rendered = String(Number(main.dataset.rendered || 0) + 1);
      main.dataset.page = id;
      main.dataset.renderedAt = String(Math.round(performance.now()));
    }
    rendering = false;
    if (dirty) { dirty = false; render(); }
  }

  function drawStatus() {
    const m = tips.mainchain, s = tips.sidechain;
    document.getElementById('status').textContent =
      'mainchain ' + (m ? m.height : '?') + ' · sidechain ' + (s ? s.height : '?');
  }

  // follow listens to the node's events: each new tip redraws the page.
  function follow() {
    const live = document.getElementById('live');
    const es = new EventSource('/dashboard/events');
    // A page the browser hides (another page, the back-forward cache)
    // gives its stream back to the node, and follows again when shown.
    window.addEventListener('pagehide', () => es.close(), { once: true });
    window.addEventListener('pageshow', (e) => { if (e.persisted) follow(); }, { once: true });
    es.addEventListener('open', () => { live.textContent = 'live'; live.classList.add('on'); });
    es.addEventListener('error', () => { live.textContent = 'reconnecting…'; live.classList.remove('on'); });
    es.addEventListener('tip', (m) => {
      const ev = JSON.parse(m.data);
      const prev = tips[ev.chain];
      tips[ev.chain] = ev;
      live.dataset[ev.chain] = String(ev.height);
      drawStatus();
      // Open dashboards redraw at a random moment within half a second,
      // so that their reads do not reach the node all at once.
      if (!prev || prev.hash !== ev.hash) setTimeout(render, prev ? Math.random() * 500 : 0);
    });
    // An alarm raised or cleared redraws the page (the Overview lists
    // them); the state sent when the stream opens only when it differs
    // from what the page was drawn with.
    es.addEventListener('alarm', (m) => {
      const ev = JSON.parse(m.data);
      live.dataset.alarmEvents = String(Number(live.dataset.alarmEvents || 0) + 1);
      if (ev.kind !== 'state' || alarmsSeen) setTimeout(render, Math.random() * 500);
      alarmsSeen = true;
    });
  }

  async function loadPanels() {
    const panels = await data('/panels');
    for (const p of panels) {
      panelOrder.push(p.id);
      await new Promise((resolve) => {
        const s = el('script', { src: '/dashboard/panel/' + encodeURIComponent(p.id) + '.js' });
        s.addEventListener('load', resolve);
        s.addEventListener('error', resolve);
        document.head.append(s);
      });
      if (pages.has(p.id)) pages.get(p.id).title = p.title;
    }
  }

  async function start() {
    await loadPanels();
    drawNav();
    window.addEventListener('hashchange', render);
    follow();
    render();
  }

  return { register, start, ctx };
})();
window.dash = dash;

// ---- Overview ----

dash.register('overview', {
  title: 'Overview',
  async render(el, c) {
    // One request: the API's info and peers, the metrics and the alarms.
    const o = await c.data('/overview');
    for (const part of ['info', 'peers', 'metrics', 'alarms']) {
      if (o[part] && o[part].error) throw new Error(part + ': ' + o[part].error);
    }
    const { info, peers, metrics: perf, alarms } = o;
    const m = info.mainchain || {}, s = info.sidechain || {};
    const v = perf.values || {};
    el.append(c.el('h2', {}, 'Overview'));
    el.append(c.el('div', { class: 'cards' },
      c.card('Mainchain', c.kv([
        ['tip height', m.tip_height, 'main-tip-height'],
        ['tip hash', c.hash(m.tip_hash, 24), 'main-tip-hash'],
        ['backend', m.backend + (m.connected ? ' (connected)' : ' (disconnected)'), 'main-backend'],
        ['backend height', m.backend_height, 'main-backend-height'],
        ['sync', m.synced ? 'synced' : ((m.progress * 100).toFixed(1) + '%'), 'main-sync'],
        ['last error', m.last_error, 'main-error'],
      ]), m.connected ? '' : 'bad'),
      c.card('Sidechain', c.kv([
        ['tip height', s.height, 'side-tip-height'],
        ['tip hash', s.tip_hash ? c.link(s.tip_hash) : '—', 'side-tip-hash'],
        ['state hash', c.hash(info.state_hash, 24), 'state-hash'],
        ['sidechain id', info.sidechain_id, 'sidechain-id'],
      ])),
      c.card('Node', c.kv([
        ['version', info.version, 'version'],
        ['network', info.network, 'network'],
        ['sidechain peers', info.sidechain_peers, 'peer-count'],
        ['mempool', perf.available ? (v.sidenode_mempool_transactions + ' txs, ' + c.bytes(v.sidenode_mempool_bytes)) : 'metrics off (--prometheus.listen)', 'mempool'],
      ])),
      c.card('Lottery', c.kv([
        ['tickets', info.num_tickets, 'num-tickets'],
        ['own tickets', info.own_ticket_count, 'own-tickets'],
        ['wins', info.wins, 'wins'],
        ['publications', info.publications, 'publications'],
        ['missed slots', info.misses, 'misses'],
      ])),
      notarizationCard(c, info.notarization),
    ));

    // The alarms that hold: the API's GET /v1/alarms (NodeService.ListAlarms),
    // in its order; the page redraws at each alarm raised or cleared.
    el.append(c.el('h2', {}, 'Active alarms'));
    const alarmBox = c.el('div', { 'data-k': 'alarms' });
    const list = alarms.alarms || [];
    if (list.length === 0) {
      alarmBox.append(c.el('p', { class: 'good', 'data-k': 'alarms-none' }, 'No active alarm.'));
    } else {
      alarmBox.append(c.table(['alarm', 'severity', 'raised at mainchain #', 'raised', 'details'], list.map((a) => [
        c.el('span', { class: c.enumWord(a.severity) === 'critical' ? 'bad' : 'warn' }, a.code),
        c.enumWord(a.severity), a.raised_height,
        a.raised_unix ? new Date(Number(a.raised_unix) * 1000).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '—',
        a.message,
      ]), { key: 'alarm-table' }));
    }
    el.append(alarmBox);

    el.append(c.el('h2', {}, 'Sidechain peers'));
    el.append(c.table(['address', 'direction', 'user agent', 'best height #', 'ban score #'],
      (peers.peers || []).map((p) => [p.address, p.inbound ? 'inbound' : 'outbound', p.user_agent, p.best_block_height, p.ban_score]),
      { key: 'peers', empty: 'no peer connected' }));
  },
});

// notarizationCard draws the health of dPoW notarization from GetInfo's
// notarization (NodeService.GetInfo): the last notarized block, its
// Bitcoin transaction and confirmations, who signed, the lag in sideblocks
// and time, and the health against the network's ages. Nothing on a
// network without notaries.
function notarizationCard(c, n) {
  if (!n) return null;
  const age = (sec) => {
    sec = Number(sec || 0);
    if (sec < 120) return sec + ' s';
    if (sec < 7200) return Math.floor(sec / 60) + ' min';
    return (sec / 3600).toFixed(1) + ' h';
  };
  const health = n.health || 'none';
  const cls = health === 'regular' ? 'good' : (health === 'inactive' ? 'bad' : 'warn');
  const rows = [
    ['health', c.el('span', { class: cls }, health), 'not-health'],
    ['notarized block', n.notarized ? c.link(n.notarized_block) : 'none yet', 'not-block'],
    ['notarized height', n.notarized ? n.notarized_height : '—', 'not-height'],
    ['Bitcoin tx', n.notarized ? c.link(n.txid) : '—', 'not-txid'],
    ['Bitcoin confirmations', n.notarized ? n.confirmations + ' (block ' + n.main_height + ')' : '—', 'not-confirmations'],
    ['lag', (n.lag_blocks || 0) + ' sideblocks' + (n.notarized ? ', ' + age(n.age_seconds) : ''), 'not-lag'],
    ['signed by', n.notarized ? (n.signers || []).map((s, i) => 'notary ' + s + ' (' + ((n.signer_pubkeys || [])[i] || '').slice(0, 16) + '…)').join(', ') : '—', 'not-signers'],
    ['next height', n.next_height + ' (every ' + n.interval + ')', 'not-next'],
    ['alarm ages', 'irregular ' + age(n.irregular_seconds) + ', inactive ' + age(n.inactive_seconds), 'not-ages'],
    ['confirmations', n.dpow_counting ? 'dPoW (1 until notarized)' : 'raw (--nodpowconfs)', 'not-counting'],
  ];
  return c.card('Notarization', c.kv(rows), health === 'regular' || health === 'none' ? '' : 'bad');
}

// ---- Explorer ----

dash.register('explorer', {
  title: 'Explorer',
  async render(el, c) {
    const q = (c.params.get('q') || '').trim();
    const input = c.el('input', { name: 'q', id: 'search', placeholder: 'sideblock hash or height, txid (either chain), sidechain address', maxlength: 200, autocomplete: 'off', spellcheck: 'false' });
    input.value = q;
    const form = c.el('form', { class: 'search', role: 'search' }, input, c.el('button', { type: 'submit' }, 'Search'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      location.hash = '#explorer?q=' + encodeURIComponent(input.value.trim());
    });
    el.append(c.el('h2', {}, 'Explorer'), form);
    const out = c.el('div', { id: 'result' });
    el.append(out);
    if (!q) {
      await recentBlocks(out, c);
      return;
    }
    // The node reads at most 128 characters: a longer search is not
    // found, and is not sent whole.
    const found = await c.data('/search?q=' + encodeURIComponent(q.slice(0, 129)));
    if (!found.kind) {
      out.append(c.el('p', { class: 'error', 'data-k': 'not-found' }, 'Not found: ', c.el('code', {}, q.length > 80 ? q.slice(0, 80) + '…' : q)));
      return;
    }
    const show = { sideblock: showBlock, sidetx: showTx, deposit: showDeposit, refused_deposit: showDeposit, payout: showPayout, maintx: showMainTx, address: showAddress }[found.kind];
    await show(out, c, found.id);
  },
});

async function recentBlocks(out, c) {
  const info = await c.api('/v1/info');
  const tip = info.sidechain.height;
  const rows = [];
  for (let h = tip; h >= 0 && h > tip - 10; h--) {
    const b = await c.api('/v1/sideblocks/height/' + h + '?limit=1');
    rows.push([c.link(String(h), String(h)), c.link(b.hash), b.tx_count, b.publication_height, c.enumWord(b.status)]);
  }
  out.append(c.el('h2', {}, 'Latest sideblocks'),
    c.table(['height #', 'hash', 'txs #', 'published at mainchain #', 'status'], rows, { key: 'latest-blocks', empty: 'no sideblock yet' }));
}

// confirmationsStatus draws the confirmations status of a sidechain
// transaction or block (the API's GET /v1/confirmations/{id},
// SidechainService.GetConfirmations): the one `confirmations` figure to act
// on, with the raw figures beside it. On a network with notaries the figure
// counts dPoW-style (1 until a notarization covers the block) and the card
// shows the notarization that covers it; elsewhere the card says there is
// none under this engine.
async function confirmationsStatus(c, id) {
  const s = await c.api('/v1/confirmations/' + encodeURIComponent(id));
  const a = s.anchor;
  const n = s.notarization;
  let notarized = c.el('span', { class: 'muted' }, 'not available under this engine');
  if (n) {
    notarized = c.el('span', { class: 'good' }, 'yes: sidechain height ' + n.notarized_height + ' by mainchain tx ',
      c.link(n.txid), ' at ' + n.height + ' (' + n.confirmations + ' Bitcoin confirmations)');
  } else if (s.dpow_counting) {
    notarized = c.el('span', { class: 'warn' }, 'not yet: confirmations count 1 until a notarization covers the block');
  }
  const rows = [
    ['confirmations', c.el('strong', {}, String(s.confirmations)), 'conf-confirmations'],
    ['raw confirmations', s.raw_confirmations === undefined ? s.confirmations : s.raw_confirmations, 'conf-raw'],
    ['counting', s.dpow_counting ? 'dPoW (1 until notarized)' : 'raw', 'conf-counting'],
    ['sidechain confirmations', s.side_confirmations, 'conf-side'],
    ['on best sidechain', s.block_hash ? (s.on_best_chain ? 'yes' : 'no') : (s.in_mempool ? 'in the mempool' : '—'), 'conf-best'],
    ['anchored', s.anchored ? 'yes' : 'no', 'conf-anchored'],
    ['anchor tx', a ? c.link(a.txid) : '—', 'conf-anchor-txid'],
    ['anchor block', a ? a.height : '—', 'conf-anchor-height'],
    ['anchor Bitcoin confirmations', a ? a.confirmations : '—', 'conf-anchor-confirmations'],
    ['notarized', notarized, 'conf-notarized'],
    ['read at tips', 'mainchain ' + s.main_tip_height + ' · sidechain ' + s.side_tip_height, 'conf-tips'],
  ];
  const box = c.el('div', {}, c.kv(rows));
  if ((s.withdrawals || []).length > 0) {
    box.append(c.el('h3', {}, 'Withdrawals'), c.table(['outpoint', 'stage', 'proven', 'paid', 'payout tx', 'payout confirmations #'],
      s.withdrawals.map((w) => [c.hash(w.outpoint, 24), c.enumWord(w.stage), w.proven ? 'yes' : 'no', w.paid ? 'yes' : 'no',
        w.paid ? c.link(w.payout_txid) : '—', w.paid ? w.payout_confirmations : '—']), { key: 'conf-withdrawals' }));
  }
  return c.card('Confirmations', box, 'confirmations');
}

async function showBlock(out, c, hashId) {
  const b = await c.api('/v1/sideblocks/' + hashId + '?limit=1000');
  out.append(c.el('h2', {}, 'Sideblock ' + b.block_height),
    c.el('div', { class: 'cards' },
      c.card('Block', c.kv([
        ['hash', c.hash(b.hash, 64), 'block-hash'],
        ['height', b.block_height, 'block-height'],
        ['previous', b.prev_block ? c.link(b.prev_block) : '—', 'block-prev'],
        ['merkle root', c.hash(b.merkle_root, 24), 'block-merkle'],
        ['status', c.enumWord(b.status), 'block-status'],
        ['on best chain', b.on_best_chain ? 'yes' : 'no', 'block-best'],
        ['size', b.size + ' bytes', 'block-size'],
        ['transactions', b.tx_count, 'block-txs'],
      ])),
      c.card('Publication', c.kv([
        ['drawn at mainchain', b.lottery_height, 'block-lottery-height'],
        ['published at mainchain', b.published ? b.publication_height : 'not published', 'block-publication-height'],
        ['header tx', b.publication_txid ? c.hash(b.publication_txid, 24) : '—', 'block-publication-txid'],
      ])),
      await confirmationsStatus(c, b.hash)),
    c.el('h2', {}, 'Transactions'),
    c.table(['#', 'txid'], (b.txids || []).map((t, i) => [i, c.link(t, t)]), { key: 'block-txids' }));
}

async function showTx(out, c, txid) {
  const d = await c.data('/tx/' + txid);
  const t = d.tx;
  out.append(c.el('h2', {}, 'Sidechain transaction'),
    c.el('div', { class: 'cards' },
      c.card('Transaction', c.kv([
        ['txid', c.hash(t.txid, 64), 'tx-id'],
        ['state', t.confirmed ? 'confirmed' : (t.in_mempool ? 'in the mempool' : 'unknown'), 'tx-state'],
        ['block', t.block_hash ? c.link(t.block_hash) : '—', 'tx-block'],
        ['block height', t.confirmed ? t.height : '—', 'tx-height'],
        ['size', d.size + ' bytes', 'tx-size'],
        ['version', d.version, 'tx-version'],
        ['lock time', d.lock_time, 'tx-locktime'],
      ])),
      await confirmationsStatus(c, t.txid)),
    c.el('h2', {}, 'Inputs'),
    c.table(['previous output', 'sequence #', 'witness items #'], d.inputs.map((i) => [c.hash(i.prev_outpoint, 70), i.sequence, i.witness_items]), { key: 'tx-inputs' }),
    c.el('h2', {}, 'Outputs'),
    c.table(['#', 'value', 'type', 'address or script'], d.outputs.map((o, i) => [i, c.sat(o.value_sat), o.type, o.address ? c.link(o.address, o.address) : c.hash(o.script, 40)]), { key: 'tx-outputs' }));
}

async function showMainTx(out, c, txid) {
  const d = await c.data('/maintx/' + txid);
  const t = d.tx;
  out.append(c.el('h2', {}, 'Mainchain transaction'),
    c.el('div', { class: 'cards' },
      c.card('Transaction', c.kv([
        ['txid', c.hash(t.txid, 64), 'maintx-id'],
        ['state', t.block_hash ? 'confirmed' : 'in the mempool', 'maintx-state'],
        ['block', t.block_hash ? c.hash(t.block_hash, 64) : '—', 'maintx-block'],
        ['confirmations', t.num_confirmations || 0, 'maintx-confirmations'],
        ['found in', t.source, 'maintx-source'],
        ['size', d.size + ' bytes', 'maintx-size'],
        ['version', d.version, 'maintx-version'],
        ['lock time', d.lock_time, 'maintx-locktime'],
      ]))),
    c.el('h2', {}, 'Inputs'),
    c.table(['previous output', 'sequence #', 'witness items #'], d.inputs.map((i) => [c.hash(i.prev_outpoint, 70), i.sequence, i.witness_items]), { key: 'maintx-inputs' }),
    c.el('h2', {}, 'Outputs'),
    c.table(['#', 'value', 'type', 'address or script'], d.outputs.map((o, i) => [i, c.sat(o.value_sat), o.type, o.address || c.hash(o.script, 40)]), { key: 'maintx-outputs' }));
}

async function showDeposit(out, c, txid) {
  const d = await c.api('/v1/peg/deposits/' + txid);
  if (d.refused) {
    const r = d.refused;
    out.append(c.el('h2', {}, 'Refused deposit (mainchain)'), c.card('Refused', c.kv([
      ['txid', c.hash(r.txid, 64), 'deposit-txid'], ['value', c.sat(r.value_sat), 'deposit-value'],
      ['height', r.height, 'deposit-height'], ['confirmations', r.confirmations, 'deposit-confirmations'],
      ['reason', r.reason, 'deposit-reason'], ['message', r.message, 'deposit-message'],
    ]), 'bad'));
    return;
  }
  const a = d.accepted;
  out.append(c.el('h2', {}, 'Deposit (mainchain)'), c.card('Deposit', c.kv([
    ['outpoint', c.hash(a.outpoint, 70), 'deposit-outpoint'], ['value', c.sat(a.value_sat), 'deposit-value'],
    ['to', a.side_address ? c.link(a.side_address, a.side_address) : '—', 'deposit-to'],
    ['status', c.enumWord(a.status), 'deposit-status'], ['confirmations', a.confirmations, 'deposit-confirmations'],
    ['matures at', a.mature_height, 'deposit-mature'],
    ['minted by', a.minted_by && a.minted_by.hash ? c.link(a.minted_by.hash) : '—', 'deposit-minted'],
  ])));
}

async function showPayout(out, c, txid) {
  const p = await c.api('/v1/peg/payouts/' + txid);
  out.append(c.el('h2', {}, 'Payout (mainchain)'), c.card('Payout', c.kv([
    ['txid', c.hash(p.txid, 64), 'payout-txid'], ['valid', p.valid ? 'yes' : 'no: ' + p.reason, 'payout-valid'],
    ['height', p.payout_height, 'payout-height'], ['confirmations', p.payout_confirmations, 'payout-confirmations'],
    ['sideblock', p.sideblock_hash ? c.link(p.sideblock_hash) : '—', 'payout-sideblock'],
  ]), p.valid ? '' : 'bad'),
  c.el('h2', {}, 'Withdrawals paid'),
  c.table(['outpoint', 'amount', 'to'], (p.withdrawals || []).map((w) => [c.hash(w.outpoint, 70), c.sat(w.amount_sat), w.destination_address])));
}

async function showAddress(out, c, addr) {
  const base = '/v1/sideaddresses/' + encodeURIComponent(addr);
  const [bal, utxos, hist] = await Promise.all([
    c.api(base + '/balance'),
    c.api(base + '/utxos?limit=100&reversed=true'),
    c.api(base + '/history?limit=100&reversed=true'),
  ]);
  const txs = hist.transactions || [];
  out.append(c.el('h2', {}, 'Sidechain address'), c.card('Balance', c.kv([
    ['address', c.hash(bal.address, 100), 'addr'], ['total', c.sat(bal.total_sat), 'addr-total'],
    ['spendable', c.sat(bal.spendable_sat), 'addr-spendable'], ['immature', c.sat(bal.immature_sat), 'addr-immature'],
    ['outputs', bal.utxo_count, 'addr-utxos'],
  ])),
  c.el('h2', {}, 'History, newest first'),
  c.el('p', { class: 'muted', 'data-k': 'addr-history-window' }, 'Transactions that pay the address or spend its outputs in sideblocks ' +
    (hist.from_height || 0) + ' to ' + (hist.to_height || 0) + ': ' + (hist.total || 0) + ' found' +
    (txs.length < Number(hist.total || 0) ? ', the newest ' + txs.length + ' shown' : '') + '.'),
  c.table(['txid', 'height #', 'confirmations #', 'received', 'sent', 'net'], txs.map((t) => [
    c.link(t.txid), t.height || 0, t.confirmations, c.sat(t.received_sat || 0), c.sat(t.sent_sat || 0), c.sat(t.net_sat || 0),
  ]), { key: 'addr-history-table' }),
  c.el('h2', {}, 'Unspent outputs, newest first'),
  c.table(['outpoint', 'value', 'drawn at mainchain #', 'kind'], (utxos.utxos || []).map((u) => [
    c.link(u.outpoint.split(':')[0], u.outpoint.slice(0, 16) + '…:' + u.outpoint.split(':')[1]), c.sat(u.value_sat), u.lottery_height, u.coinbase ? 'coinbase' : (u.spendable ? 'spendable' : 'immature'),
  ]), { key: 'addr-utxo-table' }));
}

// ---- Performance ----

const perfSamples = []; // [{t, main, side, cpu}] since the page was opened

dash.register('performance', {
  title: 'Performance',
  async render(el, c) {
    const [perf, info] = await Promise.all([c.data('/metrics'), c.api('/v1/info')]);
    el.append(c.el('h2', {}, 'Performance'));
    if (!perf.available) {
      el.append(c.el('p', { class: 'placeholder' }, 'The node keeps no metrics: start it with --prometheus.listen to see them here.'));
    }
    const v = perf.values;
    const now = Date.now() / 1000;
    perfSamples.push({ t: now, main: info.mainchain.tip_height, side: info.sidechain.height, cpu: v.process_cpu_seconds_total });
    while (perfSamples.length > 120) perfSamples.shift();
    const first = perfSamples[0], last = perfSamples[perfSamples.length - 1];
    const span = last.t - first.t;
    // Rates need a few samples: the page measures them over the events it
    // has seen since it was opened (at least 10 s).
    const measured = span >= 10;
    const rate = (a, b) => measured ? ((b - a) / span * 60).toFixed(2) + ' /min' : 'measuring…';
    el.append(c.el('div', { class: 'cards' },
      c.card('Sync', c.kv([
        ['mainchain', info.mainchain.tip_height + ' of ' + info.mainchain.backend_height + (info.mainchain.synced ? ' (synced)' : ''), 'perf-main'],
        ['progress', (info.mainchain.progress * 100).toFixed(1) + '%', 'perf-progress'],
        ['mainchain blocks', rate(first.main, last.main), 'perf-main-rate'],
        ['sideblocks', rate(first.side, last.side), 'perf-side-rate'],
        ['measured over', Math.round(span) + ' s', 'perf-span'],
      ])),
      c.card('Resources', c.kv([
        ['resident memory', c.bytes(v.process_resident_memory_bytes), 'perf-rss'],
        ['Go heap', c.bytes(v.go_memstats_heap_alloc_bytes), 'perf-heap'],
        ['goroutines', v.go_goroutines, 'perf-goroutines'],
        ['open files', v.process_open_fds, 'perf-fds'],
        ['CPU', measured && first.cpu !== undefined ? ((last.cpu - first.cpu) / span * 100).toFixed(1) + '% of a core' : (v.process_cpu_seconds_total !== undefined ? v.process_cpu_seconds_total.toFixed(1) + ' s since start' : '—'), 'perf-cpu'],
      ])),
      c.card('Production', c.kv([
        ['draws won', v.sidenode_draws_won_total, 'perf-won'],
        ['headers published', v.sidenode_headers_published_total, 'perf-published'],
        ['publications included', v.sidenode_publications_included_total, 'perf-included'],
      ]))));
    const charts = c.el('div', { class: 'charts' });
    for (const [name, title] of [
      ['sidenode_publication_latency_seconds', 'Publication latency (s): announcement to header tx accepted'],
      ['sidenode_sideblock_validation_seconds', 'Sideblock validation (s): check and connect one body'],
    ]) {
      const h = perf.histograms[name];
      if (!h) continue;
      let prev = 0;
      const bars = h.buckets.map((b) => {
        const n = b.count - prev;
        prev = b.count;
        return { label: b.le < 0 ? '+Inf' : '≤' + b.le, value: n };
      });
      charts.append(c.el('div', {},
        c.barChart(title, bars, { key: name }),
        c.el('p', { class: 'muted', 'data-k': name + '_count' }, h.count + ' observed' + (h.count ? ', mean ' + (h.sum / h.count * 1000).toFixed(2) + ' ms' : ''))));
    }
    el.append(c.el('h2', {}, 'Histograms'), charts);
  },
});

dash.start();
