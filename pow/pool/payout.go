package pool

import (
	"bytes"
	"sort"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/store"
)

// PayoutResult describes what one Payout call did.
type PayoutResult struct {
	// Resent counts recorded payouts whose transaction was sent again
	// after a restart; Recovered those the Payer already knew.
	Resent, Recovered int
	// Outputs and Amount describe the new payout (0 if none).
	Outputs int
	Amount  int64
	// TxID is the new payout's transaction, as a string ("" if none).
	TxID string
}

// MaybePay pays if Config.PayoutInterval has passed since the last
// payout (or there was none); the node calls it from a timer.
func (p *Pool) MaybePay() (PayoutResult, error) {
	p.mu.Lock()
	last := p.lastPay
	p.mu.Unlock()
	if last != 0 && p.cfg.Now().UnixNano()-last < int64(p.cfg.PayoutInterval) {
		return PayoutResult{}, nil
	}
	return p.Payout()
}

// Payout first finishes recorded payouts that may not have been sent (a
// crash between recording and sending): one whose transaction the Payer
// knows is marked sent, one it does not know is sent again, the same
// transaction. It then pays, in one transaction of at most
// Config.PayoutBatch outputs, every account whose owed balance from
// confirmed blocks is at least Config.MinPayout (the largest first,
// equal amounts by payout script). The payout is recorded, and the
// balances debited, before the transaction is sent.
func (p *Pool) Payout() (PayoutResult, error) {
	var res PayoutResult
	if p.payer == nil {
		return res, poolError(ErrPayout, "pool has no wallet to pay "+
			"from")
	}
	p.payMu.Lock()
	defer p.payMu.Unlock()
	if err := p.resume(&res); err != nil {
		return res, err
	}

	p.mu.Lock()
	outs := p.payableLocked()
	p.mu.Unlock()
	if len(outs) == 0 {
		return res, nil
	}
	txOuts := make([]*wire.TxOut, len(outs))
	for i, o := range outs {
		txOuts[i] = wire.NewTxOut(o.amount, o.payout)
		res.Amount += o.amount
	}
	tx, err := p.payer.BuildPayout(txOuts)
	if err != nil {
		return res, wrapError(ErrPayout, err, "building a payout of %d "+
			"outputs", len(outs))
	}
	if err := checkPays(tx, outs); err != nil {
		return res, err
	}
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		return res, wrapError(ErrPayout, err, "serializing the payout")
	}

	p.mu.Lock()
	po := &payoutRec{id: p.nextPay, state: payoutRecorded,
		time: p.cfg.Now().UnixNano(), outs: outs, tx: buf.Bytes(),
		txid: tx.TxHash()}
	changed, err := p.debitLocked(outs)
	if err == nil {
		err = p.db.UpdateLocal(func(w *store.PlainWriter) error {
			if err := p.crash("record"); err != nil {
				return err
			}
			if err := w.Set(seqKey(keyPayoutPrefix, po.id),
				po.encode()); err != nil {
				return err
			}
			for _, b := range changed {
				if err := w.Set(seqKey(keyBlockPrefix, b.seq),
					b.encode()); err != nil {
					return err
				}
			}
			return w.Set(keyPayoutMeta, payMeta(po.id+1, po.time))
		})
		if err != nil {
			err = wrapError(ErrStore, err, "recording payout %d", po.id)
		}
	}
	if err == nil {
		for _, b := range changed {
			*p.bySeq[b.seq] = *b
		}
		p.payouts = append(p.payouts, po)
		p.nextPay, p.lastPay = po.id+1, po.time
	}
	p.mu.Unlock()
	if err != nil {
		return res, err
	}
	res.Outputs, res.TxID = len(outs), po.txid.String()
	// The record and the debits reach the disk before the transaction
	// leaves: an OS crash must not forget a payout that was sent.
	if err := p.db.Sync(); err != nil {
		return res, wrapError(ErrStore, err, "syncing payout %d before "+
			"sending it; it is sent on the next payout", po.id)
	}
	log.Infof("Pool: payout %d recorded: %d outputs, %d satoshis, tx %v",
		po.id, len(outs), res.Amount, po.txid)
	if err := p.crash("recorded"); err != nil {
		return res, err
	}
	if err := p.payer.Send(tx); err != nil {
		return res, wrapError(ErrPayout, err, "sending payout %d (tx %v); "+
			"it is sent again on the next payout", po.id, po.txid)
	}
	if err := p.crash("sent"); err != nil {
		return res, err
	}
	return res, p.markSent(po)
}

// crash runs the test hook at a named point.
func (p *Pool) crash(point string) error {
	if h := p.hook.Load(); h != nil {
		return (*h)(point)
	}
	return nil
}

// resume finishes the recorded payouts not known to be sent.
func (p *Pool) resume(res *PayoutResult) error {
	p.mu.Lock()
	var todo []*payoutRec
	for _, po := range p.payouts {
		if po.state != payoutSent {
			todo = append(todo, po)
		}
	}
	p.mu.Unlock()
	if len(todo) > 0 {
		// A payout recorded by a Payout whose sync failed is sent only
		// once it is on the disk.
		if err := p.db.Sync(); err != nil {
			return wrapError(ErrStore, err, "syncing %d recorded payouts "+
				"before sending them", len(todo))
		}
	}
	for _, po := range todo {
		known, err := p.payer.Known(po.txid)
		if err != nil {
			return wrapError(ErrPayout, err, "looking up payout %d "+
				"(tx %v)", po.id, po.txid)
		}
		if known {
			res.Recovered++
		} else {
			tx := new(wire.MsgTx)
			if err := tx.Deserialize(bytes.NewReader(po.tx)); err != nil {
				return wrapError(ErrCorrupt, err, "payout %d "+
					"transaction", po.id)
			}
			if err := p.payer.Send(tx); err != nil {
				return wrapError(ErrPayout, err, "sending payout "+
					"%d (tx %v) again", po.id, po.txid)
			}
			res.Resent++
			log.Infof("Pool: payout %d (tx %v) sent again after a "+
				"restart", po.id, po.txid)
		}
		if err := p.markSent(po); err != nil {
			return err
		}
	}
	return nil
}

// markSent records that a payout's transaction was sent.
func (p *Pool) markSent(po *payoutRec) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	np := *po
	np.state = payoutSent
	err := p.db.UpdateLocal(func(w *store.PlainWriter) error {
		return w.Set(seqKey(keyPayoutPrefix, np.id), np.encode())
	})
	if err != nil {
		return wrapError(ErrStore, err, "recording payout %d sent", np.id)
	}
	*po = np
	return nil
}

func payMeta(next uint64, last int64) []byte {
	var e enc
	e.u(next)
	e.i(last)
	return e.b
}

// payableLocked returns the accounts to pay: owed from confirmed blocks
// at least MinPayout, largest first, at most PayoutBatch.
func (p *Pool) payableLocked() []alloc {
	owed := make(map[string]int64)
	for _, b := range p.blocks {
		if b.status != BlockConfirmed {
			continue
		}
		for _, a := range b.allocs {
			owed[string(a.payout)] += a.amount - a.paid
		}
	}
	var outs []alloc
	for k, v := range owed {
		if v >= p.cfg.MinPayout {
			outs = append(outs, alloc{payout: []byte(k), amount: v})
		}
	}
	sort.Slice(outs, func(i, j int) bool {
		if outs[i].amount != outs[j].amount {
			return outs[i].amount > outs[j].amount
		}
		return bytes.Compare(outs[i].payout, outs[j].payout) < 0
	})
	if len(outs) > p.cfg.PayoutBatch {
		outs = outs[:p.cfg.PayoutBatch]
	}
	return outs
}

// debitLocked marks outs paid on the confirmed blocks' allocations,
// oldest block first, and returns the changed blocks (copies).
func (p *Pool) debitLocked(outs []alloc) ([]*blockRec, error) {
	left := make(map[string]int64, len(outs))
	for _, o := range outs {
		left[string(o.payout)] += o.amount
	}
	var changed []*blockRec
	for _, b := range p.blocks {
		if b.status != BlockConfirmed {
			continue
		}
		var nb *blockRec
		for i, a := range b.allocs {
			l := left[string(a.payout)]
			if l == 0 || a.paid == a.amount {
				continue
			}
			if nb == nil {
				nb = &blockRec{}
				*nb = *b
				nb.allocs = append([]alloc(nil), b.allocs...)
				changed = append(changed, nb)
			}
			take := min(l, a.amount-a.paid)
			nb.allocs[i].paid += take
			left[string(a.payout)] = l - take
		}
	}
	for k, l := range left {
		if l != 0 {
			return nil, poolError(ErrAudit, "payout to %x exceeds "+
				"its owed balance by %d satoshis", k, l)
		}
	}
	return changed, nil
}

// checkPays checks that tx pays every output of outs, exactly.
func checkPays(tx *wire.MsgTx, outs []alloc) error {
	have := make(map[string]int)
	for _, o := range tx.TxOut {
		have[string(o.PkScript)+"\x00"+itoa(o.Value)]++
	}
	for _, o := range outs {
		k := string(o.payout) + "\x00" + itoa(o.amount)
		if have[k] == 0 {
			return poolError(ErrPayout, "the wallet's payout "+
				"transaction does not pay %d satoshis to %x",
				o.amount, o.payout)
		}
		have[k]--
	}
	return nil
}

func itoa(v int64) string {
	var e enc
	e.i(v)
	return string(e.b)
}

// PayoutOutput is what a recorded payout pays one account.
type PayoutOutput struct {
	Payout []byte
	Amount int64
}

// PayoutRecord is a payout as the books record it.
type PayoutRecord struct {
	// ID numbers the payouts 1, 2, … in the order recorded.
	ID uint64
	// Time is when it was recorded.
	Time time.Time
	// TxID is its transaction's, Tx the transaction, serialized.
	TxID chainhash.Hash
	Tx   []byte
	// Outputs are what the pool paid (the wallet's change is not one).
	Outputs []PayoutOutput
	// Sent is false while the transaction may not have been sent yet
	// (recorded, then a crash): the next Payout sends it.
	Sent bool
}

// Payouts returns a page of the recorded payouts, oldest first (from
// index from, at most n; the newest first when reversed, from counted
// from the newest), and how many there are in all. It reads memory only;
// the slices of a record are the books' own and must not be changed.
func (p *Pool) Payouts(from uint64, n int, reversed bool) ([]PayoutRecord, uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	total := uint64(len(p.payouts))
	if from >= total || n <= 0 {
		return nil, total
	}
	count := min(total-from, uint64(n))
	out := make([]PayoutRecord, 0, count)
	for i := uint64(0); i < count; i++ {
		j := from + i
		if reversed {
			j = total - 1 - j
		}
		po := p.payouts[j]
		r := PayoutRecord{ID: po.id, Time: time.Unix(0, po.time), TxID: po.txid,
			Tx: po.tx, Sent: po.state == payoutSent,
			Outputs: make([]PayoutOutput, len(po.outs))}
		for k, o := range po.outs {
			r.Outputs[k] = PayoutOutput{Payout: o.payout, Amount: o.amount}
		}
		out = append(out, r)
	}
	return out, total
}
