// The mainstake engine's Peg page: the federation, the pegbox, deposits and
// withdrawals with their stage and what they wait for, refused deposits,
// and the supply audit (red when it does not match).
'use strict';

(() => {
  // blocks says how long n mainchain blocks take, at Bitcoin's 10 minutes
  // a block on the public networks.
  function blocks(n, network) {
    if (n <= 0) return 'now';
    const s = n + ' mainchain block' + (n === 1 ? '' : 's');
    return network === 'regtest' || network === 'simnet' ? s : s + ' (≈ ' + n * 10 + ' min)';
  }

  function depositNext(d, tip, network) {
    switch (d.status) {
      case 'DEPOSIT_STATUS_CONFIRMING': return 'matures in ' + blocks(d.mature_height - tip, network);
      case 'DEPOSIT_STATUS_MATURED': return 'minted by the next sideblock';
      case 'DEPOSIT_STATUS_MINTED': return 'done';
    }
    return '—';
  }

  function withdrawalNext(w, network) {
    switch (w.stage) {
      case 'WITHDRAWAL_STAGE_PENDING': return 'included by the next sideblock';
      case 'WITHDRAWAL_STAGE_INCLUDED': {
        const n = Math.max(w.required_side_depth - w.side_block_depth, w.required_confirmations - w.publication_confirmations);
        return 'payable in ' + blocks(n, network);
      }
      case 'WITHDRAWAL_STAGE_PAYABLE': return 'paid by the federation\'s next signing round';
      case 'WITHDRAWAL_STAGE_PAID': return 'done';
    }
    return '—';
  }

  dash.register('peg', {
    title: 'Peg',
    async render(el, c) {
      const [info, pegAns, deposits, refused, wds, coins] = await Promise.all([
        c.api('/v1/info'),
        c.data('/peg'),
        c.api('/v1/peg/deposits?reversed=true&limit=100'),
        c.api('/v1/peg/refused?reversed=true&limit=100'),
        c.data('/withdrawals'),
        c.api('/v1/peg/coins?reversed=true&limit=100').catch(() => null),
      ]);
      const tip = info.mainchain.tip_height, network = info.network;
      if (pegAns.unavailable) {
        el.append(c.el('h2', {}, 'Peg'), c.el('p', { class: 'placeholder', 'data-k': 'peg-unavailable' }, pegAns.unavailable));
        return;
      }
      const peg = pegAns.info;
      const f = peg.federation || {};
      const a = peg.audit || {};
      el.append(c.el('h2', {}, 'Peg'));
      el.append(c.el('div', { class: 'cards' },
        c.card('Federation', c.kv([
          ['epoch', peg.epoch, 'peg-epoch'],
          ['threshold', f.pubkeys ? f.threshold + ' of ' + f.pubkeys.length : 'none elected yet', 'peg-threshold'],
          ['since height', peg.epoch_start_height, 'peg-epoch-start'],
          ['next election', peg.next_epoch_height + ' (in ' + (peg.next_epoch_height - tip) + ' blocks)', 'peg-next-election'],
          ['pegbox address', f.address ? c.hash(f.address, 64) : '—', 'peg-address'],
          ['rotations', peg.rotation_count, 'peg-rotations'],
        ])),
        c.card('Pegbox', c.kv([
          ['balance', c.sat(peg.pegbox_balance_sat), 'peg-balance'],
          ['coins', peg.pegbox_coin_count, 'peg-coins'],
          ['current federation holds', c.sat(peg.current_pegbox_balance_sat), 'peg-current-balance'],
          ['deposits', peg.deposit_count + ' (' + peg.matured_deposit_count + ' matured)', 'peg-deposits'],
          ['confirmations a deposit needs', peg.deposit_confirmations, 'peg-deposit-confs'],
        ])),
        c.card('Supply audit', c.kv([
          ['matches', a.matches ? 'yes' : 'NO: the pegged supply and the pegbox disagree', 'audit-matches'],
          ['pegbox balance', c.sat(a.pegbox_balance_sat), 'audit-pegbox'],
          ['pegged supply', c.sat(a.pegged_supply_sat), 'audit-supply'],
          ['minted', c.sat(a.minted_sat), 'audit-minted'],
          ['burned', c.sat(a.burned_sat), 'audit-burned'],
          ['paid out', c.sat(a.paid_sat), 'audit-paid'],
          ['pending mint', c.sat(a.pending_mint_sat), 'audit-pending'],
          ['unpaid', c.sat(a.unpaid_sat), 'audit-unpaid'],
          ['unexplained spends', a.unexplained_count + ' (' + c.sat(a.unexplained_sat) + ')', 'audit-unexplained'],
        ]), a.matches && a.unexplained_count === '0' ? '' : 'bad')));

      el.append(c.el('h2', {}, 'Federation keys'),
        c.table(['#', 'public key'], (f.pubkeys || []).map((k, i) => [i, c.hash(k, 66)]), { key: 'peg-keys', empty: 'no federation yet' }));

      // The pegbox's coins (PegService.ListPegboxCoins), newest first; a
      // coin at another address waits for a rotation to the current one.
      if (coins) {
        const shown = (coins.coins || []).length;
        el.append(c.el('h2', {}, 'Pegbox coins (newest first' + (Number(coins.total) > shown ? ', ' + shown + ' of ' + coins.total : '') + ')'),
          c.table(['outpoint', 'value', 'address', 'confirmed at #', 'confirmations #'], (coins.coins || []).map((k) => [
            c.link(k.outpoint.split(':')[0], k.outpoint.slice(0, 16) + '…:' + k.outpoint.split(':')[1]), c.sat(k.value_sat),
            k.address === f.address ? c.el('span', { title: k.address }, 'current federation') : c.hash(k.address, 24),
            k.height, k.confirmations,
          ]), { key: 'peg-coin-table', empty: 'no coin in the pegbox' }));
      }

      el.append(c.el('h2', {}, 'Deposits (newest first)'),
        c.table(['outpoint', 'value', 'to', 'stage', 'depth #', 'next'], (deposits.deposits || []).map((d) => [
          c.link(d.txid, d.outpoint.slice(0, 16) + '…:' + d.vout), c.sat(d.value_sat), d.side_address ? c.link(d.side_address) : '—',
          c.enumWord(d.status), d.confirmations, depositNext(d, tip, network),
        ]), { key: 'deposits', empty: 'no deposit yet' }));

      // Each withdrawal's stage comes from the API; the hub lists the
      // recent ones from the withdrawal stream.
      const list = (wds.withdrawals || []).slice(0, 25);
      const details = await Promise.all(list.map((w) => c.api('/v1/peg/withdrawals/' + encodeURIComponent(w.outpoint)).catch(() => null)));
      el.append(c.el('h2', {}, 'Withdrawals (newest first)'),
        c.table(['outpoint', 'amount', 'to', 'stage', 'sidechain depth #', 'publication confirmations #', 'next', 'payout'], list.map((w, i) => {
          const d = details[i];
          if (!d) return [c.hash(w.outpoint, 20), w.amount_sat, w.destination_address, 'unknown', '—', '—', '—', '—'];
          return [c.hash(d.outpoint, 20), c.sat(d.amount_sat), d.destination_address, c.enumWord(d.stage),
            d.side_block_depth + ' / ' + d.required_side_depth, d.publication_confirmations + ' / ' + d.required_confirmations,
            withdrawalNext(d, network), d.payout_txid ? c.link(d.payout_txid) : '—'];
        }), { key: 'withdrawals', empty: 'no withdrawal yet' }));

      el.append(c.el('h2', {}, 'Refused deposits'),
        c.table(['txid', 'value', 'height #', 'reason', 'message'], (refused.refused || []).map((r) => [
          c.link(r.txid), c.sat(r.value_sat), r.height, r.reason, r.message,
        ]), { key: 'refused', empty: 'no refused deposit' }));
    },
  });
})();
