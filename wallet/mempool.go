package wallet

import (
	"context"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Bounds on the mempool transactions the wallet keeps in memory.
const (
	// MaxMempoolTxs is how many mempool transactions paying the wallet
	// it keeps; those that arrive while it holds as many are not counted.
	MaxMempoolTxs = 1000

	// MaxMempoolInputs bounds the inputs of all of them together, kept
	// to notice a transaction that replaces another.
	MaxMempoolInputs = 100_000
)

// mempoolTx is a transaction of the mainchain's mempool that pays the
// wallet: what it pays and what it spends, not the transaction itself.
type mempoolTx struct {
	spends []wire.OutPoint
	pays   []mempoolOut
}

// mempoolOut is an output of a mempool transaction that pays the wallet.
type mempoolOut struct {
	index uint32
	value int64
}

// MempoolSource is a mainchain backend that sees a mempool (btcd): it
// reports the transactions its mempool accepts that pay or spend what the
// watch list holds, and says which of a set of transactions are still in
// its mempool.
type MempoolSource interface {
	// MempoolTxs delivers the transactions the mempool accepts that
	// the watch list matches.
	MempoolTxs() <-chan *wire.MsgTx
	// InMempool reports, for each txid, whether the mempool holds it.
	InMempool(ctx context.Context, txids []chainhash.Hash) ([]bool, error)
}

// FollowMempool counts the transactions of src's mempool that pay the
// wallet as incoming (Balances.Incoming) until ctx ends. At each tick of
// checks it asks src which of them are still in its mempool and forgets
// the others (evicted, expired, replaced by a transaction that does not
// pay the wallet, or mined); a block that holds one forgets it too
// (ConnectBlock). Transactions that entered the mempool before the call,
// while src was not connected, or again when a reorg undid their block,
// are counted once mined.
func (w *Wallet) FollowMempool(ctx context.Context, src MempoolSource, checks <-chan time.Time) {
	w.mu.Lock()
	w.mempoolOn = true
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.mempoolOn = false
		w.mempool = nil
		w.mempoolInputs = 0
		w.mu.Unlock()
	}()
	txs := src.MempoolTxs()
	for {
		select {
		case <-ctx.Done():
			return
		case tx := <-txs:
			w.AddMempoolTx(tx)
		case <-checks:
			w.checkMempool(ctx, src)
		}
	}
}

// checkMempool forgets the mempool transactions src no longer holds.
func (w *Wallet) checkMempool(ctx context.Context, src MempoolSource) {
	w.mu.Lock()
	ids := make([]chainhash.Hash, 0, len(w.mempool))
	for id := range w.mempool {
		ids = append(ids, id)
	}
	w.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	in, err := src.InMempool(ctx, ids)
	if err != nil || len(in) != len(ids) {
		log.Debugf("Mempool check: %v", err)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, id := range ids {
		if !in[i] {
			w.dropMempoolLocked(id)
			log.Debugf("Mempool transaction %v left the mempool", id)
		}
	}
}

// AddMempoolTx records tx, a transaction of the mainchain's mempool, when
// it pays the wallet, and forgets the recorded transactions it replaces
// (those spending one of its inputs). It reports whether tx was recorded.
func (w *Wallet) AddMempoolTx(tx *wire.MsgTx) bool {
	txid := tx.TxHash()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.mempool == nil {
		w.mempool = make(map[chainhash.Hash]*mempoolTx)
	}
	if _, ok := w.mempool[txid]; ok {
		return true
	}
	// A transaction spending an input of a recorded one replaced it.
	if len(w.mempool) > 0 {
		ins := make(map[wire.OutPoint]struct{}, len(tx.TxIn))
		for _, in := range tx.TxIn {
			ins[in.PreviousOutPoint] = struct{}{}
		}
		for id, m := range w.mempool {
			for _, op := range m.spends {
				if _, ok := ins[op]; ok {
					w.dropMempoolLocked(id)
					log.Debugf("Mempool transaction %v replaced by %v", id, txid)
					break
				}
			}
		}
	}
	m := &mempoolTx{}
	for i, o := range tx.TxOut {
		if _, ok := w.scripts[string(o.PkScript)]; ok {
			m.pays = append(m.pays, mempoolOut{index: uint32(i), value: o.Value})
		}
	}
	if len(m.pays) == 0 {
		return false
	}
	if len(w.mempool) >= MaxMempoolTxs || w.mempoolInputs+len(tx.TxIn) > MaxMempoolInputs {
		log.Warnf("Mempool transaction %v pays the wallet but is not counted as incoming: "+
			"%d are already", txid, len(w.mempool))
		return false
	}
	for _, in := range tx.TxIn {
		m.spends = append(m.spends, in.PreviousOutPoint)
	}
	w.mempool[txid] = m
	w.mempoolInputs += len(m.spends)
	var sum int64
	for _, o := range m.pays {
		sum += o.value
	}
	log.Infof("Incoming %d sat in mainchain mempool transaction %v", sum, txid)
	return true
}

// dropMempoolLocked forgets a mempool transaction; w.mu is held.
func (w *Wallet) dropMempoolLocked(txid chainhash.Hash) {
	if m, ok := w.mempool[txid]; ok {
		w.mempoolInputs -= len(m.spends)
		delete(w.mempool, txid)
	}
}

// mempoolIncomingLocked sums what the recorded mempool transactions pay
// the wallet, leaving out the wallet's own (those of pending, or spending
// a coin of the wallet: their change is Unconfirmed) and outputs already
// coins of the wallet (mined since). w.mu is held.
func (w *Wallet) mempoolIncomingLocked(coins []*Coin, pending []*WalletTx) int64 {
	if len(w.mempool) == 0 {
		return 0
	}
	own := make(map[wire.OutPoint]struct{}, len(coins))
	for _, c := range coins {
		own[c.OutPoint] = struct{}{}
	}
	sent := make(map[chainhash.Hash]struct{}, len(pending))
	for _, t := range pending {
		sent[t.Tx.TxHash()] = struct{}{}
	}
	var sum int64
	for id, m := range w.mempool {
		if _, ok := sent[id]; ok {
			continue
		}
		mine := false
		for _, op := range m.spends {
			if _, ok := own[op]; ok {
				mine = true
				break
			}
		}
		if mine {
			continue
		}
		for _, o := range m.pays {
			if _, ok := own[wire.OutPoint{Hash: id, Index: o.index}]; !ok {
				sum += o.value
			}
		}
	}
	return sum
}
