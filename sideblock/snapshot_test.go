package sideblock_test

import (
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// TestSnapshotReads reads the best chain and the index from one store
// snapshot, on a branch that fork choice left and after the mainchain
// block that published a block was undone.
func TestSnapshotReads(t *testing.T) {
	ms := newMainSim(t)
	k := newKit(t)
	b0 := k.block(chainhash.Hash{}, 0, 0)
	ms.stageNext(b0)
	a1 := k.child(b0, 1, 0)
	ms.stageNext(a1)
	b1 := k.child(b0, 2, 0)
	b2 := k.child(b1, 3, 0)
	ms.stageNext(b1)
	ms.stageNext(b2) // the longer branch wins
	ms.requireTip(b2, 2)

	view := func(fn func(r store.Reader)) {
		t.Helper()
		if err := ms.db.View(func(r store.Reader) error { fn(r); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	view(func(r store.Reader) {
		for h, want := range []*sideblock.Block{b0, b1, b2} {
			got, ok, err := sideblock.BestHashAt(r, int32(h))
			if err != nil || !ok || got != want.BlockHash() {
				t.Fatalf("BestHashAt(%d) = %v %v %v, want %v", h, got, ok, err, want.BlockHash())
			}
		}
		for _, h := range []int32{-1, 3} {
			if _, ok, err := sideblock.BestHashAt(r, h); ok || err != nil {
				t.Fatalf("BestHashAt(%d): ok %v err %v", h, ok, err)
			}
		}
		// The side branch keeps its index entry.
		info, ok, err := sideblock.BlockInfoAt(r, a1.BlockHash())
		if err != nil || !ok || info.OnBestChain || info.Height != 1 ||
			info.PrevBlock != b0.BlockHash() {
			t.Fatalf("BlockInfoAt(a1) = %+v %v %v", info, ok, err)
		}
	})

	// Undoing the block that published b2 removes its entry.
	ms.undo()
	view(func(r store.Reader) {
		if _, ok, err := sideblock.BlockInfoAt(r, b2.BlockHash()); ok || err != nil {
			t.Fatalf("BlockInfoAt(b2) after the undo: ok %v err %v", ok, err)
		}
		if _, ok, _ := sideblock.BestHashAt(r, 2); ok {
			t.Fatal("the best chain still has a block at height 2")
		}
	})
}
