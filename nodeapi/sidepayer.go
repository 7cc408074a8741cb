package nodeapi

import (
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/sideblock"
)

// SidePayer pays from the node's sidechain coins, as SendSide does, to
// many outputs at once, in two steps: BuildPayout signs a transaction and
// Send adds it to the mempool and announces it. The mining pool pays its
// workers through it (the pool's Payer). Its Env needs DB, Params,
// Wallet, Mempool and Sidechain; Peers is optional.
type SidePayer struct {
	b *Adapter
}

// NewSidePayer returns the payer over env's components.
func NewSidePayer(env Env) *SidePayer {
	return &SidePayer{b: New(env)}
}

// BuildPayout returns a signed transaction that pays every output of
// outs, in order, from the node's mature sidechain coins that no mempool
// transaction spends, at the mempool's fee estimate, with the change back
// to the node's sidechain address. It does not add it to the mempool: the
// coins stay spendable by anything else until Send.
func (p *SidePayer) BuildPayout(outs []*wire.TxOut) (*wire.MsgTx, error) {
	b := p.b
	priv, _, own, err := b.sideKey()
	if err != nil {
		return nil, err
	}
	for i, o := range outs {
		if err := checkAmount("payout output", o.Value); err != nil {
			return nil, err
		}
		if len(o.PkScript) == 0 {
			return nil, api.Errorf(api.ErrInvalidArgument, "payout output %d has no script", i)
		}
	}
	feeRate := b.pool.EstimateFee(sideblock.TemplateTxBytes).FeeRate
	if min := b.pool.MinFeeRate(); feeRate < min {
		feeRate = min
	}
	sideSendMu.Lock()
	defer sideSendMu.Unlock()
	coins, spendHeight, err := b.sideCoins(own)
	if err != nil {
		return nil, err
	}
	return buildSideSpendTo(coins, spendHeight, func(op wire.OutPoint) bool {
		_, ok := b.pool.SpentBy(op)
		return ok
	}, priv, own, outs, feeRate)
}

// Known reports whether the transaction is in the mempool or on the best
// chain.
func (p *SidePayer) Known(txid chainhash.Hash) (bool, error) {
	if _, ok := p.b.pool.Get(txid); ok {
		return true, nil
	}
	if p.b.sidechain == nil {
		return false, nil
	}
	_, ok, err := p.b.sidechain.ConfirmedTx(txid)
	return ok, err
}

// Send adds the transaction to the mempool and announces it; one the
// mempool or the best chain already holds is not sent again.
func (p *SidePayer) Send(tx *wire.MsgTx) error {
	txid := tx.TxHash()
	if known, err := p.Known(txid); err != nil || known {
		return err
	}
	sideSendMu.Lock()
	err := p.b.pool.Add(tx)
	sideSendMu.Unlock()
	if err != nil {
		return mempoolError(err)
	}
	if p.b.peers != nil {
		p.b.peers.Announce(p2p.TxItem(txid))
	}
	log.Infof("Pool payout %v sent: %d outputs", txid, len(tx.TxOut))
	return nil
}
