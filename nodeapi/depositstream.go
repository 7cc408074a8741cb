package nodeapi

import (
	"context"
	"errors"
	"sort"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/store"
)

// DepositsIn implements api.DepositStreamBackend: the accepted deposits
// confirmed in a mainchain block, found by a binary search of the
// deposits in mint order (which is mainchain order), in one snapshot.
func (b *Adapter) DepositsIn(_ context.Context, block api.MainRef) ([]api.Deposit, bool, error) {
	x, err := b.pegIndex()
	if err != nil {
		return nil, false, err
	}
	minted, err := b.minted()
	if err != nil {
		return nil, false, err
	}
	var (
		out     []api.Deposit
		onChain bool
	)
	err = b.db.View(func(r store.Reader) error {
		hash, err := r.HashAt(block.Height)
		if errors.Is(err, store.ErrNotFound) || (err == nil && hash != block.Hash) {
			return nil
		}
		if err != nil {
			return err
		}
		onChain = true
		tip, err := r.Tip()
		if err != nil {
			return err
		}
		matured, err := x.MaturedBy(r, tip.Height)
		if err != nil {
			return err
		}
		n, err := pegbox.DepositCount(r)
		if err != nil {
			return err
		}
		var readErr error
		at := func(seq uint64) *pegbox.DepositRecord {
			rec, err := pegbox.DepositAt(r, seq)
			if err != nil && readErr == nil {
				readErr = err
			}
			return rec
		}
		first := sort.Search(int(n), func(i int) bool {
			rec := at(uint64(i))
			return rec == nil || rec.Height >= block.Height
		})
		for seq := uint64(first); seq < n && readErr == nil; seq++ {
			rec := at(seq)
			if rec == nil || rec.Height != block.Height {
				break
			}
			out = append(out, b.apiDeposit(rec, tip.Height, matured, minted))
		}
		// minted_by stays unset here: each block would walk the
		// sidechain back from its tip, once per block of a replay.
		return readErr
	})
	return out, onChain, err
}
