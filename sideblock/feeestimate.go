package sideblock

import (
	"bytes"
	"sort"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// FeeEstimate is the mempool's answer to the question: what fee rate gets
// a transaction sent now into the next sideblock? Rates are in satoshis
// per 1000 bytes, witnesses counted in full, as the mempool counts them.
type FeeEstimate struct {
	// FeeRate is the estimate: MinFeeRate while the pool's transactions
	// fit in one block, else one more than the fee rate of the last
	// transaction that still fits when the pool is taken by fee rate,
	// highest first.
	FeeRate int64

	// MinFeeRate is the lowest fee rate the mempool accepts.
	MinFeeRate int64

	// Count and Bytes are the pool's transactions and their total size;
	// Full reports whether they fill more than one block.
	Count int
	Bytes int
	Full  bool
}

// EstimateFee estimates the fee rate that gets a transaction into the next
// block, whose transactions take at most blockBytes (the node passes what
// it gives Select). It is a policy on the pool's current state only, with
// no history: the pool sorted by each transaction's own fee rate, as
// Select takes it (parents first is ignored, so a child that pays more
// than its parent counts as if it went first). A transaction that pays
// the estimate ranks above the last one that fits now; it may still miss
// the block if more arrive before it is built.
func (m *Mempool) EstimateFee(blockBytes int) FeeEstimate {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := FeeEstimate{
		FeeRate:    m.cfg.MinFeeRate,
		MinFeeRate: m.cfg.MinFeeRate,
		Count:      len(m.pool),
		Bytes:      m.bytes,
		Full:       m.bytes > blockBytes,
	}
	if !e.Full {
		return e
	}
	txs := make([]*poolTx, 0, len(m.pool))
	for _, p := range m.pool {
		txs = append(txs, p)
	}
	sort.Slice(txs, func(i, j int) bool {
		if txs[i].rate != txs[j].rate {
			return txs[i].rate > txs[j].rate
		}
		return txs[i].seq < txs[j].seq
	})
	total := 0
	for _, p := range txs {
		if total+p.size > blockBytes {
			break
		}
		total += p.size
		e.FeeRate = max(p.rate+1, m.cfg.MinFeeRate)
	}
	return e
}

// MinFeeRate returns the lowest fee rate the mempool accepts, in satoshis
// per 1000 bytes.
func (m *Mempool) MinFeeRate() int64 { return m.cfg.MinFeeRate }

// SpentBy returns the pool transaction that spends op, if any: a wallet
// must not spend op again until that transaction leaves the pool
// (ErrMempoolConflict).
func (m *Mempool) SpentBy(op wire.OutPoint) (chainhash.Hash, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	txid, ok := m.spends[op]
	return txid, ok
}

// Paying returns the pool transactions with an output that pays pkScript,
// oldest first. It reads every output of the pool: a wallet's balance
// asks it, not the block path.
func (m *Mempool) Paying(pkScript []byte) []*wire.MsgTx {
	m.mu.Lock()
	defer m.mu.Unlock()
	var found []*poolTx
	for _, p := range m.pool {
		for _, o := range p.tx.TxOut {
			if bytes.Equal(o.PkScript, pkScript) {
				found = append(found, p)
				break
			}
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].seq < found[j].seq })
	out := make([]*wire.MsgTx, len(found))
	for i, p := range found {
		out[i] = p.tx
	}
	return out
}
