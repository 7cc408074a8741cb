package powchain_test

import (
	"testing"

	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/store"
)

// mainBlockDuring connects the next mainchain block as mainBlock does,
// and accepts blocks while its batch's transaction is open, before the
// chain state looks at what was staged: as a peer's reader does while the
// mainchain watcher catches up. The bodies are committed outside the
// batch, which cannot see them. The connector (an amendment of the tip)
// would wait for this batch, so it is off meanwhile; the node's connector
// then finds a batch in flight and leaves the bodies to the next batch.
func (n *node) mainBlockDuring(bs ...*headerchain.Block) {
	n.t.Helper()
	h := int32(len(n.hashes))
	hash := mainHash(h, n.fork)
	prev := n.hashes[h-1]
	side := n.pc.Side()
	n.pc.SetConnector(nil)
	err := n.db.ConnectBlock(store.BlockID{Height: h, Hash: hash}, prev, func(w *store.Writer) error {
		for _, b := range bs {
			if _, err := n.pc.AcceptBlock(b); err != nil {
				return err
			}
		}
		_, err := side.ConnectMainBlock(w, h, nil)
		return err
	})
	if err != nil {
		n.t.Fatal(err)
	}
	if err := side.Committed(); err != nil {
		n.t.Fatal(err)
	}
	n.pc.SetConnector(func() {
		if _, err := side.ConnectArrived(); err != nil {
			n.t.Errorf("connect arrived: %v", err)
		}
	})
	n.hashes = append(n.hashes, hash)
}

// TestRestartBehindMainchain: a node restarted behind the mainchain
// takes its peer's blocks, whose main references it has not reached yet,
// while its mainchain view catches up, some of them while a mainchain
// block's batch runs; once its view reaches the references it holds the
// peer's tip and state hash, with no restart and nothing asked of the peer
// again. Before batches left the notices of bodies they could not see, a
// body stored during a batch was never admitted, nor any block above it,
// until a restart looked at every stored block again.
func TestRestartBehindMainchain(t *testing.T) {
	a, b := newNode(t), newNode(t)
	for i := 0; i < 3; i++ {
		a.mainBlock()
		b.mainBlock()
	}
	var blocks []*headerchain.Block
	for i := 0; i < 8; i++ {
		blk := a.mine()
		a.accept(blk)
		blocks = append(blocks, blk)
		a.mainBlock()
	}
	b.close()
	b.open()
	// The first blocks arrive before any batch, the next during the
	// catch-up's batches (one at a time, then two), the last between.
	b.accept(blocks[:2]...)
	b.mainBlockDuring(blocks[2])
	b.mainBlockDuring(blocks[3], blocks[4])
	b.accept(blocks[5])
	b.mainBlockDuring(blocks[6])
	b.mainBlockDuring()
	b.accept(blocks[7])
	want := blocks[len(blocks)-1].BlockHash()
	for len(b.hashes) < len(a.hashes) {
		b.mainBlock()
	}
	ta, ha := a.tip()
	tb, hb := b.tip()
	if ta != want || tb != want {
		t.Fatalf("tips %v@%d and %v@%d, want both %v", ta, ha, tb, hb, want)
	}
	if a.stateHash() != b.stateHash() {
		t.Fatal("state hashes differ")
	}
}
