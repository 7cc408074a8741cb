package poolrun

import (
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pow/pool"
)

// maxFees bounds the payout fees payoutLog remembers, and
// maxBuiltPayouts the payouts built and not sent yet.
const (
	maxFees         = 10_000
	maxBuiltPayouts = 64
)

// payoutLog is the pool's Payer: the node's wallet (nodeapi.SidePayer),
// remembering each payout's fee as the wallet told it when the payout was
// built, for PoolService (the books keep the payouts themselves).
type payoutLog struct {
	payer WalletPayer

	mu    sync.Mutex
	built map[chainhash.Hash]int64 // fee of a payout built, not yet sent
	fees  map[chainhash.Hash]int64
}

// WalletPayer is the node's wallet as the pool pays through it
// (nodeapi.SidePayer): a pool.Payer that tells a transaction's fee.
type WalletPayer interface {
	pool.Payer
	Fee(tx *wire.MsgTx) (int64, bool)
}

var _ pool.Payer = (*payoutLog)(nil)

// BuildPayout implements pool.Payer.
func (l *payoutLog) BuildPayout(outs []*wire.TxOut) (*wire.MsgTx, error) {
	tx, err := l.payer.BuildPayout(outs)
	if err != nil {
		return nil, err
	}
	if fee, ok := l.payer.Fee(tx); ok {
		l.mu.Lock()
		if len(l.built) >= maxBuiltPayouts {
			l.built = make(map[chainhash.Hash]int64)
		}
		l.built[tx.TxHash()] = fee
		l.mu.Unlock()
	}
	return tx, nil
}

// Known implements pool.Payer.
func (l *payoutLog) Known(txid chainhash.Hash) (bool, error) { return l.payer.Known(txid) }

// Send implements pool.Payer, and remembers the payout's fee.
func (l *payoutLog) Send(tx *wire.MsgTx) error {
	txid := tx.TxHash()
	l.mu.Lock()
	fee, built := l.built[txid]
	l.mu.Unlock()
	if !built {
		// Sent again after a restart: the fee is what the node's coins
		// tell.
		fee, built = l.payer.Fee(tx)
	}
	if err := l.payer.Send(tx); err != nil {
		return err
	}
	l.mu.Lock()
	delete(l.built, txid)
	l.mu.Unlock()
	if built {
		l.rememberFee(txid, fee)
	}
	return nil
}

// rememberFee keeps a payout's fee.
func (l *payoutLog) rememberFee(txid chainhash.Hash, fee int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fees == nil || len(l.fees) >= maxFees {
		l.fees = make(map[chainhash.Hash]int64)
	}
	l.fees[txid] = fee
}

// feeOf returns a payout's fee if it is remembered.
func (l *payoutLog) feeOf(txid chainhash.Hash) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fee, ok := l.fees[txid]
	return fee, ok
}
