package apitest

import (
	"context"
	"encoding/binary"
	"sort"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/api"
)

// chains is the fake backend's view of the two chains for the
// subscriptions: the best sidechain by height, the mainchain by height
// with its draws, the blocks that left either, and the change signal.
type chains struct {
	mu       sync.Mutex
	side     []api.SideEvent
	sideGone map[chainhash.Hash]api.SideEvent
	main     []api.Draw // Winner unset: the draws are in Backend.Winners
	mainGone map[chainhash.Hash]api.Draw
	changed  chan struct{}
	seq      uint32

	// sideReadTo is the highest sidechain height SideBlocksAfter has
	// returned, and sideReads the number of its calls.
	sideReadTo int32
	sideReads  int
}

// addChains sets up the chains of NewBackend: the sidechain of
// addSidechain, a mainchain of blocks 0 to 11 whose block 10 is the
// winner's hash(0xaa) and block 11 the tip hash(0x11), a proof for the
// draw at 10, and a missed slot at 8 (a draw won by ticket 3, and no
// publication in block 9).
func (b *Backend) addChains() {
	c := &b.chains
	c.sideGone = make(map[chainhash.Hash]api.SideEvent)
	c.mainGone = make(map[chainhash.Hash]api.Draw)
	c.changed = make(chan struct{})
	c.sideReadTo = -1
	for _, h := range b.SideBest {
		blk := b.SideBlocks[h]
		c.side = append(c.side, api.SideEvent{Hash: h, PrevBlock: blk.PrevBlock,
			MerkleRoot: blk.MerkleRoot, Height: int32(blk.Height),
			LotteryHeight: blk.LotteryHeight, PubHeight: blk.PubHeight,
			PubTxID: blk.PubTxID})
	}
	for h := int32(0); h <= 11; h++ {
		d := api.Draw{Height: h, BlockHash: c.newHash(0x0a)}
		switch h {
		case 10:
			d.BlockHash = hash(0xaa)
		case 11:
			d.BlockHash = hash(0x11)
		}
		if h > 0 {
			d.PrevBlock = c.main[h-1].BlockHash
		}
		c.main = append(c.main, d)
	}

	w := b.Winners[10]
	w.SidechainID = b.InfoValue.SidechainID
	w.R, w.Start, w.End = api.Weight{Hi: 1, Lo: 7}, api.Weight{Hi: 1}, api.Weight{Hi: 1, Lo: 9}
	w.HasProof, w.Own = true, b.owns(w.Ticket)
	b.Winners[10] = w
	b.Winners[8] = api.Winner{Height: 8, BlockHash: c.main[8].BlockHash, Ticket: 3,
		TotalWeight: api.Weight{Hi: 2, Lo: 5}, SidechainID: b.InfoValue.SidechainID,
		Own: b.owns(3)}

	mc := &b.InfoValue.Mainchain
	mc.BackendHash = hash(0x11)
	mc.FilterHeight, mc.HeaderHeight, mc.BackendPeers = 11, 12, 1
	mc.Progress = api.SyncProgress(mc.TipHeight, mc.BackendHeight)
	b.InfoValue.SidechainPeers = 2
}

// newHash returns a new hash, different from every other this fake makes.
func (c *chains) newHash(tag byte) chainhash.Hash {
	c.seq++
	var buf [5]byte
	buf[0] = tag
	binary.BigEndian.PutUint32(buf[1:], c.seq)
	return chainhash.DoubleHashH(buf[:])
}

// notify signals a change to the subscriptions; c.mu is held.
func (c *chains) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// owns reports whether ticket id is the wallet's.
func (b *Backend) owns(id uint64) bool {
	for _, i := range b.OwnTickets {
		if uint64(i) == id {
			return true
		}
	}
	return false
}

// ExtendSide adds n blocks to the best sidechain, signals the change, and
// returns them.
func (b *Backend) ExtendSide(n int) []api.SideEvent {
	c := &b.chains
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.extendSideLocked(n)
	c.notify()
	return out
}

func (c *chains) extendSideLocked(n int) []api.SideEvent {
	var out []api.SideEvent
	for i := 0; i < n; i++ {
		e := api.SideEvent{Hash: c.newHash(0x5b), Height: int32(len(c.side)),
			MerkleRoot: c.newHash(0x3e), PubTxID: c.newHash(0x7b)}
		if e.Height > 0 {
			e.PrevBlock = c.side[e.Height-1].Hash
		}
		e.LotteryHeight = 100 + e.Height
		e.PubHeight = e.LotteryHeight + 1
		c.side = append(c.side, e)
		out = append(out, e)
	}
	return out
}

// ReorgSide takes depth blocks off the best sidechain, adds n new ones,
// signals the change once, and returns the blocks taken off, tip first,
// and the new ones. When forget is set, the node forgets the blocks taken
// off, as when the mainchain block that published them is undone and no
// copy is left.
func (b *Backend) ReorgSide(depth, n int, forget bool) (gone, added []api.SideEvent) {
	c := &b.chains
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 0; i < depth && len(c.side) > 0; i++ {
		e := c.side[len(c.side)-1]
		c.side = c.side[:len(c.side)-1]
		if !forget {
			c.sideGone[e.Hash] = e
		}
		gone = append(gone, e)
	}
	added = c.extendSideLocked(n)
	c.notify()
	return gone, added
}

// SideChain returns the best sidechain, by height.
func (b *Backend) SideChain() []api.SideEvent {
	c := &b.chains
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]api.SideEvent(nil), c.side...)
}

// SideReads returns the highest sidechain height SideBlocksAfter has
// returned (−1: none), and the number of its calls.
func (b *Backend) SideReads() (int32, int) {
	c := &b.chains
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sideReadTo, c.sideReads
}

// ExtendMain connects n mainchain blocks, with a draw won by ticket 1 after
// each when withWinners, signals the change, and returns them.
func (b *Backend) ExtendMain(n int, withWinners bool) []api.Draw {
	c := &b.chains
	c.mu.Lock()
	defer c.mu.Unlock()
	out := b.extendMainLocked(n, withWinners)
	c.notify()
	return out
}

func (b *Backend) extendMainLocked(n int, withWinners bool) []api.Draw {
	c := &b.chains
	var out []api.Draw
	for i := 0; i < n; i++ {
		tip := c.main[len(c.main)-1]
		d := api.Draw{Height: tip.Height + 1, BlockHash: c.newHash(0x0b),
			PrevBlock: tip.BlockHash}
		c.main = append(c.main, d)
		b.mu.Lock()
		delete(b.Winners, d.Height)
		if withWinners {
			b.Winners[d.Height] = api.Winner{Height: d.Height, BlockHash: d.BlockHash,
				Ticket: 1, TotalWeight: api.Weight{Lo: 1000}, SidechainID: b.InfoValue.SidechainID,
				R: api.Weight{Lo: 10}, Start: api.Weight{Lo: 5}, End: api.Weight{Lo: 20},
				HasProof: true}
		}
		b.mu.Unlock()
		out = append(out, d)
	}
	return out
}

// ReorgMain undoes depth mainchain blocks, connects n new ones with
// winners, signals the change once, and returns the blocks undone, tip
// first, and the new ones.
func (b *Backend) ReorgMain(depth, n int) (undone, added []api.Draw) {
	c := &b.chains
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 0; i < depth && len(c.main) > 1; i++ {
		d := c.main[len(c.main)-1]
		c.main = c.main[:len(c.main)-1]
		c.mainGone[d.BlockHash] = d
		undone = append(undone, d)
	}
	added = b.extendMainLocked(n, true)
	c.notify()
	return undone, added
}

// MainChain returns the mainchain, by height.
func (b *Backend) MainChain() []api.Draw {
	c := &b.chains
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]api.Draw(nil), c.main...)
}

// Changed implements api.SubscriptionBackend.
func (b *Backend) Changed() <-chan struct{} {
	c := &b.chains
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// SideTip implements api.SubscriptionBackend.
func (b *Backend) SideTip(context.Context) (api.SideRef, error) {
	c := &b.chains
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.side) == 0 {
		return api.SideRef{Height: -1}, nil
	}
	return c.side[len(c.side)-1].Ref(), nil
}

// SideBlocksAfter implements api.SubscriptionBackend.
func (b *Backend) SideBlocksAfter(_ context.Context, cur api.SideRef, limit int) (*api.SideRead, error) {
	c := &b.chains
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sideReads++
	onChain := cur.Height == -1 && cur.Hash == chainhash.Hash{}
	if cur.Height >= 0 && int(cur.Height) < len(c.side) {
		onChain = c.side[cur.Height].Hash == cur.Hash
	}
	if !onChain {
		e, ok := c.sideGone[cur.Hash]
		if !ok {
			for _, s := range c.side {
				if s.Hash == cur.Hash {
					return nil, api.Errorf(api.ErrInvalidArgument, "cursor: "+
						"block %v is at height %d", s.Hash, s.Height)
				}
			}
			return nil, api.Errorf(api.ErrNotFound, "cursor: unknown block %v", cur.Hash)
		}
		if e.Height != cur.Height {
			return nil, api.Errorf(api.ErrInvalidArgument, "cursor: block %v "+
				"is at height %d", e.Hash, e.Height)
		}
		return &api.SideRead{Disconnected: &e}, nil
	}
	out := &api.SideRead{}
	for h := int(cur.Height) + 1; h < len(c.side) && len(out.Connected) < limit; h++ {
		out.Connected = append(out.Connected, c.side[h])
		c.sideReadTo = max(c.sideReadTo, int32(h))
	}
	return out, nil
}

// MainTip implements api.SubscriptionBackend.
func (b *Backend) MainTip(context.Context) (api.MainRef, error) {
	c := &b.chains
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.main[len(c.main)-1].Ref(), nil
}

// DrawsAfter implements api.SubscriptionBackend.
func (b *Backend) DrawsAfter(_ context.Context, cur api.MainRef, limit int) (*api.DrawRead, error) {
	c := &b.chains
	c.mu.Lock()
	defer c.mu.Unlock()
	if int(cur.Height) >= len(c.main) || c.main[cur.Height].BlockHash != cur.Hash {
		d, ok := c.mainGone[cur.Hash]
		switch {
		case !ok:
			return nil, api.Errorf(api.ErrNotFound, "cursor: unknown block %v", cur.Hash)
		case d.Height != cur.Height:
			return nil, api.Errorf(api.ErrInvalidArgument, "cursor: block %v "+
				"is at height %d", d.BlockHash, d.Height)
		}
		return &api.DrawRead{Disconnected: &d}, nil
	}
	out := &api.DrawRead{}
	b.mu.Lock()
	defer b.mu.Unlock()
	for h := int(cur.Height) + 1; h < len(c.main) && len(out.Connected) < limit; h++ {
		d := c.main[h]
		if w, ok := b.Winners[d.Height]; ok {
			w.Own = b.owns(w.Ticket)
			d.Winner = &w
		}
		out.Connected = append(out.Connected, d)
	}
	return out, nil
}

// ListPublications implements api.MainchainBackend: the publications of
// the Publications map, by height.
func (b *Backend) ListPublications(_ context.Context, p api.Page) ([]api.Publication, uint64, error) {
	var all []api.Publication
	for _, pub := range b.Publications {
		all = append(all, pub)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Height < all[j].Height })
	return api.Paginate(all, p), uint64(len(all)), nil
}

// ListMissedSlots implements api.MainchainBackend: the heights h of the
// Winners map whose block h+1 is on the mainchain and has no publication
// in the Publications map.
func (b *Backend) ListMissedSlots(_ context.Context, p api.Page) ([]api.MissedSlot, uint64, error) {
	b.chains.mu.Lock()
	tip := int32(len(b.chains.main) - 1)
	b.chains.mu.Unlock()
	b.mu.Lock()
	var all []api.MissedSlot
	for h, w := range b.Winners {
		if _, published := b.Publications[h+1]; h+1 <= tip && !published {
			own := b.owns(w.Ticket)
			all = append(all, api.MissedSlot{Height: h, BlockHash: w.BlockHash,
				Ticket: w.Ticket, Own: own})
			if own {
				all[len(all)-1].Reason = b.MissReasons[h]
			}
		}
	}
	b.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].Height < all[j].Height })
	return api.Paginate(all, p), uint64(len(all)), nil
}
