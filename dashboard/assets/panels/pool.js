// The pow engine's Pool page: the node's mining pool (--stratum). The
// pool's hashrate, connections and shares, the rejects by Stratum code,
// the workers, the blocks found with their status, the audit of the
// pool's accounts and the newest payouts (GET /v1/pool/stats,
// /v1/pool/workers, /v1/pool/blocks, /v1/pool/audit, /v1/pool/payouts;
// PoolService). A node without a pool answers
// FAILED_PRECONDITION, which the page shows in the node's words.
'use strict';

(() => {
  function hashrate(hps) {
    const units = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s', 'PH/s', 'EH/s'];
    let v = Number(hps) || 0, i = 0;
    while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
    return (i === 0 ? v.toFixed(0) : v.toFixed(2)) + ' ' + units[i];
  }

  function when(unix) {
    const t = Number(unix) || 0;
    if (t === 0) return 'never';
    return new Date(t * 1000).toISOString().replace('T', ' ').replace('.000Z', ' UTC');
  }

  // The Stratum codes of the rejects, in the order of the codes: the
  // label and the plot's shorter one.
  const rejectKinds = [
    ['20 other', 'other', '20 other'],
    ['20 bad ntime', 'bad_ntime', '20 ntime'],
    ['21 stale', 'stale', '21 stale'],
    ['22 duplicate', 'duplicate', '22 dup'],
    ['23 low difficulty', 'low_difficulty', '23 low'],
    ['24 unauthorized', 'unauthorized', '24 auth'],
    ['25 not subscribed', 'not_subscribed', '25 subs'],
  ];

  function rejectsText(r) {
    r = r || {};
    const parts = rejectKinds.filter(([, k]) => Number(r[k]) > 0).map(([label, k]) => label + ': ' + r[k]);
    return parts.length === 0 ? '0' : r.total + ' (' + parts.join(', ') + ')';
  }

  dash.register('pool', {
    title: 'Pool',
    async render(el, c) {
      el.append(c.el('h2', {}, 'Pool'));
      let st;
      try {
        st = await c.api('/v1/pool/stats');
      } catch (e) {
        if (e instanceof c.HTTPError && e.status === 400) {
          el.append(c.card('No pool', c.el('p', { 'data-k': 'pool-off' }, e.message)));
          return;
        }
        throw e;
      }
      const [workers, blocks, audit, payouts] = await Promise.all([
        c.api('/v1/pool/workers?limit=100'),
        c.api('/v1/pool/blocks?reversed=true&limit=50'),
        c.api('/v1/pool/audit?reversed=true&limit=50'),
        c.api('/v1/pool/payouts?reversed=true&limit=20'),
      ]);
      const rej = st.shares_rejected || {};
      el.append(c.el('div', { class: 'cards' },
        c.card('Pool', c.kv([
          ['hashrate', hashrate(st.hash_ps) + ' over ' + st.hashrate_window_seconds + ' s', 'pool-hashrate'],
          ['connections', st.connections, 'pool-connections'],
          ['workers', st.workers, 'pool-workers-count'],
          ['shares accepted', st.shares_accepted, 'pool-accepted'],
          ['shares rejected', rejectsText(rej), 'pool-rejected'],
          ['shares a second', (Number(st.shares_per_second) || 0).toFixed(2), 'pool-rate'],
          ['Stratum', (st.listen || []).join(', '), 'pool-listen'],
        ])),
        c.card('Accounts', c.kv([
          ['scheme', st.scheme + ', fee ' + ((Number(st.commission_ppm) || 0) / 10000).toFixed(2) + '%', 'pool-scheme'],
          ['owed', c.sat(st.owed_sat), 'pool-owed'],
          ['paid', c.sat(st.paid_sat), 'pool-paid'],
          ['blocks found', st.blocks_confirmed + ' confirmed, ' + st.blocks_pending + ' pending, ' +
            st.blocks_orphaned + ' orphaned', 'pool-blocks-count'],
          ['audit', c.el('span', { class: audit.ok ? 'good' : 'bad' }, audit.ok
            ? 'balances (' + audit.total + ' blocks)'
            : audit.blocks_failed + ' of ' + audit.total + ' blocks do not balance'), 'pool-audit'],
        ]))));
      el.append(c.el('div', { class: 'charts' },
        c.barChart('Rejected shares by Stratum code', rejectKinds.map(([, k, label]) => ({ label, value: Number(rej[k]) || 0 })),
          { key: 'plot-rejects' })));
      el.append(c.el('h3', {}, 'Workers'),
        c.table(['worker', 'payout address', 'hashrate', 'accepted #', 'rejected', 'difficulty #', 'mean share difficulty #', 'last share', 'connections #', 'owed', 'paid'],
          (workers.workers || []).map((w) => [w.name, w.payout_address ? c.link(w.payout_address) : '—', hashrate(w.hash_ps),
            w.shares_accepted, rejectsText(w.shares_rejected), w.difficulty, w.mean_share_difficulty, when(w.last_share_time), w.connections,
            c.sat(w.owed_sat), c.sat(w.paid_sat)]),
          { key: 'pool-workers', empty: 'no worker yet' }));
      el.append(c.el('h3', {}, 'Blocks found'),
        c.table(['height #', 'hash', 'status', 'confirmations #', 'reward', 'worker', 'found'],
          (blocks.blocks || []).map((b) => [b.height, c.link(b.hash), c.enumWord(b.status), b.confirmations,
            c.sat(b.reward_sat), b.worker, when(b.time)]),
          { key: 'pool-blocks', empty: 'no block found yet' }));
      el.append(c.el('h3', {}, 'Audit'),
        c.table(['height #', 'hash', 'status', 'earned', 'paid', 'owed', 'fee', 'balances'],
          (audit.blocks || []).map((b) => [b.height, c.link(b.hash), c.enumWord(b.status), c.sat(b.earned_sat),
            c.sat(b.paid_sat), c.sat(b.owed_sat), c.sat(b.fee_sat), b.ok ? 'yes' : 'NO']),
          { key: 'pool-audit-blocks', empty: 'no block found yet' }));
      el.append(c.el('h3', {}, 'Payouts'),
        c.table(['transaction', 'height #', 'outputs #', 'amount', 'fee', 'sent'],
          (payouts.payouts || []).map((p) => [c.link(p.txid), Number(p.height) < 0 ? 'mempool' : p.height,
            (p.outputs || []).length, c.sat(p.amount_sat), c.sat(p.fee_sat), when(p.time)]),
          { key: 'pool-payouts', empty: 'no payout yet' }));
    },
  });
})();
