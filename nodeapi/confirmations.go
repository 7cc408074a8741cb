package nodeapi

import (
	"context"
	"errors"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// Confirmations implements api.ConfirmationsBackend: a transaction of the
// best sidechain or of the mempool first, then a block the node knows, by
// hash or best-chain height. The depths are read in one snapshot.
func (b *Adapter) Confirmations(ctx context.Context, q api.ConfirmationsQuery) (*api.Confirmations, error) {
	if b.sidechain == nil {
		return nil, api.Errorf(api.ErrUnimplemented, "the node follows no sidechain")
	}
	c := &api.Confirmations{}
	var (
		tx    *wire.MsgTx
		block chainhash.Hash
		known bool // block names a block the node knows
	)
	switch {
	case q.ByHeight:
		h, err := b.sidechain.HashAt(q.Height)
		if err != nil {
			if sideblock.IsErrorCode(err, sideblock.ErrBlockNotFound) {
				_, tip, ok := b.sidechain.Tip()
				if !ok {
					tip = -1
				}
				return nil, api.Errorf(api.ErrNotFound, "the best sidechain has no "+
					"block at height %d: its tip is at height %d", q.Height, tip)
			}
			return nil, err
		}
		c.IsBlock, block, known = true, h, true
	default:
		t, ct, err := b.sideTx(q.ID)
		switch {
		case err == nil:
			tx, c.TxID = t, q.ID
			if ct != nil {
				block, known = ct.Block.Hash, true
			}
			if b.pool != nil {
				_, c.InMempool = b.pool.Get(q.ID)
			}
		case errors.Is(err, api.ErrNotFound):
			blk, info, err := b.sidechain.Block(q.ID)
			if err != nil && !sideblock.IsErrorCode(err, sideblock.ErrBlockNotFound) {
				return nil, err
			}
			if blk == nil && info == nil {
				return nil, b.notSidechain(q.ID)
			}
			c.IsBlock, block, known = true, q.ID, true
		default:
			return nil, err
		}
	}

	err := b.db.View(func(r store.Reader) error {
		t, err := r.Tip()
		if err != nil {
			return err
		}
		c.MainTip = t.Height
		side, err := sideblock.ChainTipAt(r)
		if err != nil {
			return err
		}
		c.SideTip = side.Height
		if !known {
			return nil
		}
		info, ok, err := sideblock.BlockInfoAt(r, block)
		if err != nil {
			return err
		}
		c.InBlock, c.BlockHash = true, block
		if !ok {
			return nil // staged, not published
		}
		c.BlockHeight, c.OnBestChain = info.Height, info.OnBestChain
		if info.OnBestChain && side.Height >= info.Height {
			c.SideConfirmations = side.Height - info.Height + 1
		}
		a := &api.Anchor{TxID: info.PubTxID, Height: info.PubHeight,
			Confirmations: max(t.Height-info.PubHeight+1, 0)}
		// The hash is kept for the heights a reorg could reach; older
		// anchors go without it.
		if h, err := r.HashAt(info.PubHeight); err == nil {
			a.BlockHash = h
		} else if !store.IsErrorCode(err, store.ErrNotFound) {
			return err
		}
		c.Anchor = a
		return b.notarized(r, c)
	})
	if err != nil {
		return nil, err
	}
	if tx != nil {
		if c.Withdrawals, err = b.withdrawalConfirmations(ctx, tx); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// withdrawalConfirmations reports each withdrawal output of tx as
// GetWithdrawal follows it.
func (b *Adapter) withdrawalConfirmations(ctx context.Context, tx *wire.MsgTx) ([]api.WithdrawalConfirmation, error) {
	var out []api.WithdrawalConfirmation
	txid := tx.TxHash()
	for vout, o := range tx.TxOut {
		if _, _, ok, err := sideblock.ParseWithdrawalScript(o.PkScript); !ok || err != nil {
			continue
		}
		op := wire.OutPoint{Hash: txid, Index: uint32(vout)}
		st, err := b.Withdrawal(ctx, api.WithdrawalQuery{TxID: txid, OutPoint: op, ByOutPoint: true})
		if err != nil {
			return nil, err
		}
		w := api.WithdrawalConfirmation{OutPoint: op, Stage: st.Stage,
			Proven: st.Stage >= api.WithdrawalIncluded, Paid: st.Stage == api.WithdrawalPaid}
		if w.Paid {
			w.PayoutTxID, w.PayoutHeight = st.PayoutTxID, st.PayoutHeight
			w.PayoutConfirmations = st.PayoutConfirmations
		}
		out = append(out, w)
	}
	return out, nil
}

// notSidechain is the NotFound of an id that names no sidechain
// transaction or block: it says so, and names the mainchain record the
// node holds under that id, if any (a deposit, a payout, a wallet
// transaction), so that a user who pasted a mainchain txid knows where to
// look.
func (b *Adapter) notSidechain(id chainhash.Hash) error {
	var what string
	err := b.db.View(func(r store.Reader) error {
		if b.pegbox != nil {
			if _, _, ok, err := pegbox.DepositByTx(r, id); err != nil {
				return err
			} else if ok {
				what = "a deposit to the pegbox (sidecli peg deposit)"
				return nil
			}
			if _, ok, err := pegbox.PayoutByTx(r, id); err != nil {
				return err
			} else if ok {
				what = "a payout of the federation (sidecli peg verify)"
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if what == "" && b.wallet != nil {
		if _, err := b.wallet.Transaction(id); err == nil {
			what = "a transaction of the node's wallet (sidecli tx)"
		} else if !errors.Is(err, wallet.ErrNotOwnTx) {
			return err
		}
	}
	if what != "" {
		return api.Errorf(api.ErrNotFound, "%v is a mainchain transaction, %s, "+
			"not a sidechain transaction or block: its confirmations are the "+
			"mainchain's", id, what)
	}
	return api.Errorf(api.ErrNotFound, "no sidechain transaction or block %v: it is "+
		"in neither the best sidechain, the mempool nor the published headers", id)
}

// notarized sets c's notarization: the last notarization that counts, as
// r shows it, covers c's block when the block is confirmed on the best
// chain at or below the notarized height, and the best chain holds the
// notarized block (the reorg guard keeps it there; a mainchain reorg under
// mainstake may take the chain below it for a while).
func (b *Adapter) notarized(r store.Reader, c *api.Confirmations) error {
	if b.notary == nil {
		return nil
	}
	c.Dpow = b.dpowConfs
	if !c.OnBestChain || c.RawValue() <= 0 {
		return nil
	}
	ok, err := b.covers(r, c.BlockHeight)
	if err != nil || !ok {
		return err
	}
	rec, err := b.notary.LastIn(r)
	if err != nil || rec == nil {
		return err
	}
	c.Notarized = true
	c.Notarization = b.notarization(rec, c.MainTip)
	return nil
}
