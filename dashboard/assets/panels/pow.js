// The pow engine's Mining page: the hashrate estimate, the tip's and the
// next block's difficulty, how far the chain is ahead of or behind its
// ASERT schedule, the next algorithm, and the newest blocks with the time
// between them (GET /v1/mining/info, MiningService.GetMiningInfo).
'use strict';

(() => {
  // hashrate writes hashes a second with a unit prefix.
  function hashrate(hps) {
    const units = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s', 'PH/s', 'EH/s'];
    let v = Number(hps) || 0, i = 0;
    while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
    return (i === 0 ? v.toFixed(0) : v.toFixed(2)) + ' ' + units[i];
  }

  // schedule says in words how far the chain is behind (positive) or
  // ahead of (negative) its schedule, and in ideal blocks.
  function schedule(offset, ideal) {
    const s = Number(offset) || 0;
    const blocks = ideal > 0 ? ' (' + (Math.abs(s) / ideal).toFixed(1) + ' blocks)' : '';
    if (s === 0) return 'on schedule';
    return Math.abs(s) + ' s ' + (s > 0 ? 'behind' : 'ahead of') + ' schedule' + blocks;
  }

  function difficulty(d) {
    const v = Number(d) || 0;
    return v >= 1e6 ? v.toExponential(3) : v.toFixed(4);
  }

  dash.register('pow', {
    title: 'Mining',
    async render(el, c) {
      const mi = await c.api('/v1/mining/info?recent_blocks=120');
      const ideal = Number(mi.ideal_block_time_seconds) || 0;
      const blocks = mi.recent_blocks || [];
      el.append(c.el('h2', {}, 'Mining'));
      el.append(c.el('div', { class: 'cards' },
        c.card('Network', c.kv([
          ['hashrate', hashrate(mi.network_hash_ps) + ' over ' + mi.hashrate_blocks + ' blocks', 'pow-hashrate'],
          ['algorithm (next block)', mi.algorithm, 'pow-algorithm'],
          ['schedule', schedule(mi.schedule_offset_seconds, ideal), 'pow-schedule'],
          ['ideal block time', ideal + ' s, half-life ' + mi.half_life_seconds + ' s', 'pow-ideal'],
        ])),
        c.card('Tip', c.kv([
          ['height', mi.height, 'pow-height'],
          ['hash', c.link(mi.hash), 'pow-hash'],
          ['bits', mi.bits, 'pow-bits'],
          ['target', c.hash(mi.target, 24), 'pow-target'],
          ['difficulty', difficulty(mi.difficulty), 'pow-difficulty'],
        ])),
        c.card('Next block', c.kv([
          ['bits', mi.next_bits, 'pow-next-bits'],
          ['target', c.hash(mi.next_target, 24), 'pow-next-target'],
        ]))));
      // Seconds from each block's parent, oldest first, for the plot.
      const points = [];
      for (let i = blocks.length - 2; i >= 0; i--) {
        points.push([blocks[i].height, Number(blocks[i].time) - Number(blocks[i + 1].time)]);
      }
      el.append(c.el('div', { class: 'charts' },
        c.lineChart('Seconds between blocks, by height', [
          { name: 'block time', points },
          { name: 'ideal', points: points.map((p) => [p[0], ideal]) },
        ], { key: 'plot-blocktimes', legend: true, yMin: 0 })));
      el.append(c.el('h3', {}, 'Recent blocks'),
        c.table(['height #', 'hash', 'time', 'bits', 'algorithm', 'transactions #'],
          blocks.slice(0, 20).map((b) => [b.height, c.link(b.hash),
            new Date(Number(b.time) * 1000).toISOString().replace('T', ' ').replace('.000Z', ' UTC'),
            b.bits, b.algorithm, b.tx_count]),
          { key: 'pow-blocks', empty: 'no blocks yet' }));
    },
  });
})();
