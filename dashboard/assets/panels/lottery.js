// The mainstake engine's Lottery page: every draw with the numbers that
// prove it, missed slots, the ticket table, and plots of the total weight
// and of the winners' shares.
'use strict';

dash.register('lottery', {
  title: 'Lottery',
  async render(el, c) {
    const [info, drawsAns, pubs, missed, tickets] = await Promise.all([
      c.api('/v1/info'),
      c.data('/draws'),
      c.api('/v1/publications?reversed=true&limit=100'),
      c.api('/v1/missedslots?reversed=true&limit=100'),
      c.api('/v1/tickets?reversed=true&limit=500'),
    ]);
    const tip = info.mainchain.tip_height;
    const draws = drawsAns.draws || [];
    // The header published for the draw of block h is in block h + 1.
    const pubAt = new Map((pubs.publications || []).map((p) => [p.height, p]));

    el.append(c.el('h2', {}, 'Lottery'));
    el.append(c.el('div', { class: 'cards' }, c.card('Summary', c.kv([
      ['tickets', tickets.total, 'lottery-tickets'],
      ['total weight', draws.length ? draws[draws.length - 1].total_weight : '—', 'lottery-total-weight'],
      ['publications', pubs.total, 'lottery-publications'],
      ['missed slots', missed.total, 'lottery-missed'],
      ['own misses by reason', Object.entries(info.miss_reasons || {}).map(([k, v]) => k + ': ' + v).join(', ') || 'none', 'lottery-miss-reasons'],
    ]))));

    // Plots.
    const weight = draws.map((d) => [d.height, Number(d.total_weight)]);
    const wins = new Map();
    const share = new Map(); // ticket -> points of its cumulative share of the draws
    draws.forEach((d, i) => {
      wins.set(d.ticket_id, (wins.get(d.ticket_id) || 0) + 1);
      for (const [t, n] of wins) {
        if (!share.has(t)) share.set(t, []);
        share.get(t).push([d.height, n / (i + 1)]);
      }
    });
    const top = [...wins.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([t]) => t);
    el.append(c.el('div', { class: 'charts' },
      c.lineChart('Total lottery weight by mainchain height', [{ name: 'total weight', points: weight }], { key: 'plot-weight', fmtY: (v) => v.toExponential(2) }),
      c.lineChart("Winners' shares of the draws so far, by ticket", top.map((t) => ({ name: 'ticket ' + t, points: share.get(t) })), { key: 'plot-shares', yMin: 0, yMax: 1, legend: true })));

    // Draws, newest first, with the numbers that prove each: the winner's
    // range [start, end) of the ticket order holds r, which the seeding
    // block's hash gives, below the total weight.
    const rows = draws.slice(-50).reverse().map((d) => {
      let proof = '—';
      try {
        const r = BigInt(d.r), lo = BigInt(d.range_start), hi = BigInt(d.range_end), tw = BigInt(d.total_weight);
        proof = (lo <= r && r < hi && hi <= tw) ? c.el('span', { class: 'good' }, '✓ ' + d.range_start + ' ≤ r < ' + d.range_end)
          : c.el('span', { class: 'bad' }, 'r outside the range');
      } catch (e) { /* fields missing */ }
      const pub = pubAt.get(d.height + 1);
      return [d.height, c.hash(d.block_hash), d.ticket_id + (d.own_ticket ? ' (own)' : ''), d.total_weight, c.hash(d.r, 20), proof,
        pub ? c.hash(pub.txid) : (d.height + 1 > tip ? 'not yet' : 'none'),
        pub ? tip - pub.height + 1 : '—'];
    });
    el.append(c.el('h2', {}, 'Draws'),
      c.table(['seeding block #', 'block hash', 'winner ticket', 'total weight #', 'r', 'proof', 'header tx', 'confirmations #'], rows, { key: 'draws', empty: 'no draw yet' }));

    // Missed slots, with the API's miss_reason: why this node's own ticket
    // missed; empty for another's ticket, or a slot decided before the
    // node last started (the node keeps the reasons in memory).
    el.append(c.el('h2', {}, 'Missed slots'),
      c.table(['seeding block #', 'block hash', 'ticket', 'own', 'reason'], (missed.missed_slots || []).map((m) => [
        m.height, c.hash(m.block_hash), m.ticket_id, m.own_ticket ? 'yes' : 'no',
        m.miss_reason ? c.el('span', { class: 'warn', 'data-reason': m.miss_reason }, m.miss_reason)
          : c.el('span', { class: 'muted' }, m.own_ticket ? 'not recorded (before the node last started)' : 'another node\'s ticket'),
      ]), { key: 'missed', empty: 'no missed slot' }));

    // Tickets.
    const total = draws.length ? BigInt(draws[draws.length - 1].total_weight) : 0n;
    el.append(c.el('h2', {}, 'Tickets (newest first)'),
      c.table(['id #', 'value', 'confirmed at #', 'lock (blocks) #', 'weight #', 'share', 'expiry', 'liveness'], (tickets.tickets || []).map((t) => {
        let sh = '—';
        if (total > 0n && t.live) sh = (Number(BigInt(t.weight) * 100000n / total) / 1000).toFixed(3) + '%';
        const left = t.lock_height - tip;
        const expiry = 'height ' + t.lock_height + (left > 0 ? ' (in ' + left + ' blocks)' : ' (expired)');
        const live = t.state === 'ended' ? 'ended at ' + t.end_height : t.state;
        return [t.id, c.sat(t.value_sat), t.conf_height, t.lock_height - t.conf_height, t.weight, sh, expiry,
          c.el('span', { class: t.state === 'live' ? 'good' : 'muted' }, live)];
      }), { key: 'tickets' }));
  },
});
