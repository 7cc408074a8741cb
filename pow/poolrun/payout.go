package poolrun

import (
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pow/pool"
)

// maxPayoutLog bounds the payouts payoutLog keeps, and maxBuiltPayouts
// those built and not sent yet.
const (
	maxPayoutLog    = 10_000
	maxBuiltPayouts = 64
)

// payoutLog is the pool's Payer: the node's wallet (nodeapi.SidePayer),
// keeping what each payout it sent since the node started paid, for
// PoolService.
type payoutLog struct {
	payer WalletPayer

	mu    sync.Mutex
	built map[chainhash.Hash]payoutEntry
	sent  []payoutEntry
}

// WalletPayer is the node's wallet as the pool pays through it
// (nodeapi.SidePayer): a pool.Payer that tells a transaction's fee.
type WalletPayer interface {
	pool.Payer
	Fee(tx *wire.MsgTx) (int64, bool)
}

// payoutEntry is one payout: its transaction, the outputs the pool asked
// for (without the wallet's change), its fee and when it was sent.
type payoutEntry struct {
	tx   *wire.MsgTx
	outs []*wire.TxOut
	fee  int64
	time time.Time
}

var _ pool.Payer = (*payoutLog)(nil)

// BuildPayout implements pool.Payer.
func (l *payoutLog) BuildPayout(outs []*wire.TxOut) (*wire.MsgTx, error) {
	tx, err := l.payer.BuildPayout(outs)
	if err != nil {
		return nil, err
	}
	fee, _ := l.payer.Fee(tx)
	e := payoutEntry{tx: tx, fee: fee}
	for _, o := range outs {
		e.outs = append(e.outs, wire.NewTxOut(o.Value, o.PkScript))
	}
	l.mu.Lock()
	if len(l.built) >= maxBuiltPayouts {
		l.built = make(map[chainhash.Hash]payoutEntry)
	}
	l.built[tx.TxHash()] = e
	l.mu.Unlock()
	return tx, nil
}

// Known implements pool.Payer.
func (l *payoutLog) Known(txid chainhash.Hash) (bool, error) { return l.payer.Known(txid) }

// Send implements pool.Payer, and logs the payout once.
func (l *payoutLog) Send(tx *wire.MsgTx) error {
	txid := tx.TxHash()
	l.mu.Lock()
	e, built := l.built[txid]
	l.mu.Unlock()
	if !built {
		// Sent again after a restart: every output counts, and the
		// fee is what the node's coins tell.
		e = payoutEntry{tx: tx, outs: tx.TxOut}
		e.fee, _ = l.payer.Fee(tx)
	}
	if err := l.payer.Send(tx); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.built, txid)
	for _, s := range l.sent {
		if s.tx.TxHash() == txid {
			return nil
		}
	}
	e.time = time.Now()
	l.sent = append(l.sent, e)
	if len(l.sent) > maxPayoutLog {
		l.sent = l.sent[len(l.sent)-maxPayoutLog:]
	}
	return nil
}

// list returns the payouts sent, oldest first.
func (l *payoutLog) list() []payoutEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]payoutEntry(nil), l.sent...)
}
