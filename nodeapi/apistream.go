package nodeapi

import (
	"context"
	"errors"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// The API's slot lists and subscriptions: reads of the store, each in one
// View, and the change signal of storeChain.

// apiWinner converts a stored draw; r is the snapshot it came from, for
// the ticket's key.
func (b *Adapter) apiWinner(r store.Reader, w *mainstake.Winner) (*api.Winner, error) {
	out := &api.Winner{
		Height:      w.Height,
		BlockHash:   w.BlockHash,
		Ticket:      uint64(w.Ticket),
		TotalWeight: api.Weight{Hi: w.TotalWeight.Hi, Lo: w.TotalWeight.Lo},
		SidechainID: b.params.SidechainID,
		HasProof:    w.HasProof,
		R:           api.Weight{Hi: w.R.Hi, Lo: w.R.Lo},
		Start:       api.Weight{Hi: w.Start.Hi, Lo: w.Start.Lo},
		End:         api.Weight{Hi: w.End.Hi, Lo: w.End.Lo},
	}
	if b.wallet != nil {
		t, err := mainstake.TicketByID(r, w.Ticket)
		if err != nil {
			return nil, err
		}
		out.Own = b.owns(t)
	}
	return out, nil
}

// slotIndexError turns a data dir without the slot indexes into
// FailedPrecondition.
func slotIndexError(err error) error {
	if errors.Is(err, mainstake.ErrNoSlotIndex) {
		return api.Errorf(api.ErrFailedPrecondition, "%v", err)
	}
	return err
}

func (b *Adapter) ListPublications(_ context.Context, p api.Page) ([]api.Publication, uint64, error) {
	var (
		pubs  []*mainstake.Publication
		total uint64
	)
	err := b.db.View(func(r store.Reader) error {
		var err error
		pubs, total, err = mainstake.Publications(r, p.Offset, p.Limit, p.Reversed)
		return err
	})
	if err != nil {
		return nil, 0, slotIndexError(err)
	}
	out := make([]api.Publication, len(pubs))
	for i, pub := range pubs {
		out[i] = apiPublication(pub)
	}
	return out, total, nil
}

func (b *Adapter) ListMissedSlots(_ context.Context, p api.Page) ([]api.MissedSlot, uint64, error) {
	var (
		out   []api.MissedSlot
		total uint64
	)
	err := b.db.View(func(r store.Reader) error {
		ws, n, err := mainstake.MissedSlots(r, p.Offset, p.Limit, p.Reversed)
		if err != nil {
			return err
		}
		total = n
		out = make([]api.MissedSlot, len(ws))
		for i, w := range ws {
			aw, err := b.apiWinner(r, w)
			if err != nil {
				return err
			}
			out[i] = api.MissedSlot{Height: w.Height, BlockHash: w.BlockHash,
				Ticket: uint64(w.Ticket), Own: aw.Own}
			if aw.Own && b.slots != nil {
				if reason, ok := b.slots.MissReason(w.Height); ok {
					out[i].Reason = reason.String()
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, slotIndexError(err)
	}
	return out, total, nil
}

// Changed implements api.SubscriptionBackend.
func (b *Adapter) Changed() <-chan struct{} {
	return b.events.changedChan()
}

func (b *Adapter) SideTip(context.Context) (api.SideRef, error) {
	var tip sideblock.ChainTip
	err := b.db.View(func(r store.Reader) error {
		var err error
		tip, err = sideblock.ChainTipAt(r)
		return err
	})
	if tip.Height < 0 {
		return api.SideRef{Height: -1}, err
	}
	return api.SideRef{Height: tip.Height, Hash: tip.Hash}, err
}

func sideEvent(info *sideblock.BlockInfo) api.SideEvent {
	return api.SideEvent{Hash: info.Hash, PrevBlock: info.PrevBlock,
		MerkleRoot: info.MerkleRoot, Height: info.Height,
		LotteryHeight: info.LotteryHeight, PubHeight: info.PubHeight,
		PubTxID: info.PubTxID}
}

// SideBlocksAfter implements api.SubscriptionBackend. A block off the best
// chain is found in the index, else among the sideblocks whose publication
// the node undid since it started, else among the staged bodies.
func (b *Adapter) SideBlocksAfter(_ context.Context, cur api.SideRef, limit int) (*api.SideRead, error) {
	out := &api.SideRead{}
	var (
		onChain bool
		known   *sideblock.BlockInfo
	)
	err := b.db.View(func(r store.Reader) error {
		if cur.Height >= 0 {
			h, ok, err := sideblock.BestHashAt(r, cur.Height)
			if err != nil {
				return err
			}
			onChain = ok && h == cur.Hash
		} else {
			onChain = cur.Hash == chainhash.Hash{}
		}
		if !onChain {
			info, ok, err := sideblock.BlockInfoAt(r, cur.Hash)
			if ok {
				known = info
			}
			return err
		}
		for h := cur.Height + 1; len(out.Connected) < limit; h++ {
			hash, ok, err := sideblock.BestHashAt(r, h)
			if err != nil || !ok {
				return err
			}
			info, ok, err := sideblock.BlockInfoAt(r, hash)
			if err == nil && !ok {
				err = errors.New("sideblock: a best-chain block has no index entry")
			}
			if err != nil {
				return err
			}
			out.Connected = append(out.Connected, sideEvent(info))
		}
		return nil
	})
	if err != nil || onChain {
		return out, err
	}

	// The cursor's block has left the best chain.
	var ev api.SideEvent
	switch link, undone := b.events.side.get(cur.Hash); {
	case known != nil:
		ev = sideEvent(known)
	case undone:
		ev = api.SideEvent{Hash: cur.Hash, PrevBlock: link.prev, Height: link.height, Partial: true}
	default:
		block, _, err := b.sidechain.Block(cur.Hash)
		if err != nil && !sideblock.IsErrorCode(err, sideblock.ErrBlockNotFound) {
			return nil, err
		}
		if block == nil {
			return nil, api.Errorf(api.ErrNotFound, "cursor: sidechain block %v "+
				"is neither on the best chain nor known to the node", cur.Hash)
		}
		// A staged body tells the parent, not the height: trust the
		// cursor's.
		ev = api.SideEvent{Hash: cur.Hash, PrevBlock: block.Header.PrevBlock,
			Height: cur.Height, Partial: true}
	}
	if ev.Height != cur.Height {
		return nil, api.Errorf(api.ErrInvalidArgument, "cursor: sidechain block "+
			"%v is at height %d, not %d", cur.Hash, ev.Height, cur.Height)
	}
	out.Disconnected = &ev
	return out, nil
}

func (b *Adapter) MainTip(context.Context) (api.MainRef, error) {
	tip, err := b.db.Tip()
	return api.MainRef{Height: tip.Height, Hash: tip.Hash}, err
}

// DrawsAfter implements api.SubscriptionBackend. A block off the best chain
// is found among those the node undid since it started.
func (b *Adapter) DrawsAfter(_ context.Context, cur api.MainRef, limit int) (*api.DrawRead, error) {
	out := &api.DrawRead{}
	onChain := false
	err := b.db.View(func(r store.Reader) error {
		tip, err := r.Tip()
		if err != nil {
			return err
		}
		switch {
		case cur.Height < 0:
			// The position before the first block, which MainTip
			// reports while the store has none.
			onChain = cur.Hash == (chainhash.Hash{})
		case cur.Height <= tip.Height:
			h, err := r.HashAt(cur.Height)
			if err != nil {
				return err
			}
			onChain = h == cur.Hash
		}
		if !onChain {
			return nil
		}
		prev := cur.Hash
		for h := cur.Height + 1; h <= tip.Height && len(out.Connected) < limit; h++ {
			hash, err := r.HashAt(h)
			if err != nil {
				return err
			}
			d := api.Draw{Height: h, BlockHash: hash, PrevBlock: prev}
			w, ok, err := mainstake.WinnerAt(r, h)
			if err != nil {
				return err
			}
			if ok {
				if d.Winner, err = b.apiWinner(r, w); err != nil {
					return err
				}
			}
			out.Connected = append(out.Connected, d)
			prev = hash
		}
		return nil
	})
	if err != nil || onChain {
		return out, err
	}
	link, ok := b.events.main.get(cur.Hash)
	switch {
	case !ok:
		return nil, api.Errorf(api.ErrNotFound, "cursor: mainchain block %v is "+
			"neither on the node's chain nor one it undid since it started", cur.Hash)
	case link.height != cur.Height:
		return nil, api.Errorf(api.ErrInvalidArgument, "cursor: mainchain block "+
			"%v is at height %d, not %d", cur.Hash, link.height, cur.Height)
	}
	out.Disconnected = &api.Draw{Height: cur.Height, BlockHash: cur.Hash, PrevBlock: link.prev}
	return out, nil
}
