package pegbox

import (
	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// Unpaid is the oldest sideblock of the best sidechain whose withdrawals
// have no payout.
type Unpaid struct {
	SideBlock  chainhash.Hash
	SideHeight int32

	// Payable tells whether the payout rules' depths let the federation
	// pay it now: the sideblock SideWithdrawalDepth deep on the best
	// sidechain and its publication WithdrawalConfirmations deep on the
	// mainchain. PayableSince is the mainchain height at which both first
	// held: the later of the block that gave the publication its
	// confirmations and the one that published the sideblock that made
	// it deep enough. The rate limit is not counted: a payout it holds
	// back is overdue all the same.
	Payable      bool
	PayableSince int32
}

// OldestUnpaid returns the oldest unpaid sideblock with withdrawals among
// the first scan of the best chain's blocks with withdrawals (paid ones
// included), as r shows the chains; false when all of those are paid.
// Payouts go in sideblock order, so the oldest unpaid one is the one the
// federation pays next.
func OldestUnpaid(r store.Reader, p *chainparams.Params, scan int) (Unpaid, bool, error) {
	var u Unpaid
	tip, err := r.Tip()
	if err != nil {
		return u, false, err
	}
	side, err := sideblock.ChainTipAt(r)
	if err != nil {
		return u, false, err
	}
	blocks, err := sideblock.WithdrawalBlocks(r, 0, scan)
	if err != nil {
		return u, false, err
	}
	for _, wb := range blocks {
		if _, paid, err := PayoutOf(r, wb.Hash); err != nil || paid {
			if err != nil {
				return u, false, err
			}
			continue
		}
		info, ok, err := sideblock.BlockInfoAt(r, wb.Hash)
		if err != nil || !ok {
			return u, false, err
		}
		u.SideBlock, u.SideHeight = wb.Hash, wb.Height
		deep := wb.Height + p.SideWithdrawalDepth - 1
		if side.Height < deep {
			return u, true, nil
		}
		dh, ok, err := sideblock.BestHashAt(r, deep)
		if err != nil || !ok {
			return u, true, err
		}
		dinfo, ok, err := sideblock.BlockInfoAt(r, dh)
		if err != nil || !ok {
			return u, true, err
		}
		u.PayableSince = max(info.PubHeight+p.WithdrawalConfirmations-1, dinfo.PubHeight)
		u.Payable = tip.Height >= u.PayableSince
		return u, true, nil
	}
	return u, false, nil
}
