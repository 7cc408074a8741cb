package sideblock_test

import (
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/sideblock"
)

// requireSameState checks that two nodes hold the same covered state: the
// same state hash at every mainchain height from `from` to the tip, and
// the same covered keys and values.
func requireSameState(t *testing.T, what string, x, y *mainSim, from int32) {
	t.Helper()
	x.storeStateHash() // checks x's commitment against a full scan
	y.storeStateHash()
	if x.height() != y.height() {
		t.Fatalf("%s: mainchain heights %d and %d", what, x.height(), y.height())
	}
	for h := from; h <= x.height(); h++ {
		_, hx, err := x.db.StateHash(h)
		if err != nil {
			t.Fatal(err)
		}
		_, hy, err := y.db.StateHash(h)
		if err != nil {
			t.Fatal(err)
		}
		if hx != hy {
			t.Fatalf("%s: state hash at mainchain height %d: %v and %v\n%s\nand\n%s",
				what, h, hx, hy, x.coveredDump(), y.coveredDump())
		}
	}
	if dx, dy := x.coveredDump(), y.coveredDump(); dx != dy {
		t.Fatalf("%s: covered state\n%s\nand\n%s", what, dx, dy)
	}
}

// TestLosingBranchValidatedIsLocal reproduces soak finding 1 (issue 11):
// node X connects branch B while the body of A, published earlier at the
// same height, is missing; A's body then arrives and A wins fork choice.
// Node Y had A's body in time and gets B's only later, so it never
// validates B. X keeps B "valid", Y "body staged": validation progress,
// which must not reach the state hash. Both nodes agree at every height
// from the block that published B, and after undoing and redoing blocks.
func TestLosingBranchValidatedIsLocal(t *testing.T) {
	k := newKit(t)
	c0 := k.block(chainhash.Hash{}, 0, 0)
	a1 := k.child(c0, 1, 0)
	b1 := k.child(c0, 2, 0) // as long as a1, published later
	a2 := k.child(a1, 4, 0)

	x, y := newMainSim(t), newMainSim(t)
	x.stageNext(c0)
	y.stageNext(c0)

	x.next(a1) // main 2: X misses a1's body
	y.stageNext(a1)
	x.stageNext(b1) // main 3: X connects b1
	y.next(b1)      // Y does not have b1's body yet
	x.requireTip(b1, 1)
	y.requireTip(a1, 1)

	// A's body reaches X and connects at once; B's reaches Y and stays
	// staged, not better than the tip.
	x.stage(a1)
	requireHashes(t, "connected", x.connectArrived().Connected, a1)
	y.stage(b1)
	if res := y.connectArrived(); res != nil && len(res.Connected) != 0 {
		t.Fatalf("Y connected %v", res.Connected)
	}
	x.requireTip(a1, 1)
	y.requireTip(a1, 1)
	x.requireStatus(b1, sideblock.StatusValid, false)
	y.requireStatus(b1, sideblock.StatusBodyStaged, false)
	requireSameState(t, "after the bodies arrived", x, y, 3)

	x.next(nil) // main 4
	y.next(nil)
	requireSameState(t, "next block", x, y, 3)

	// A restart of both reads the same.
	x.restart()
	y.restart()
	x.stage(a2)
	y.stage(a2)
	x.next(a2) // main 5
	y.next(a2)
	x.requireTip(a2, 2)
	y.requireTip(a2, 2)
	requireSameState(t, "after a restart", x, y, 3)

	// Undo down to the block that published B, then that one too (below
	// it X's state is from before a1's body arrived, as the store's
	// AmendTip documents), and do them again.
	for i := 0; i < 2; i++ {
		x.undo()
		y.undo()
	}
	requireSameState(t, "undone", x, y, 3)
	x.undo()
	y.undo()
	x.next(b1)
	y.next(b1)
	requireSameState(t, "redone", x, y, 3)
	x.next(nil)
	y.next(nil)
	x.next(a2)
	y.next(a2)
	x.requireTip(a2, 2)
	y.requireTip(a2, 2)
	requireSameState(t, "redone", x, y, 3)
}

// TestLosingBranchInvalidIsLocal: as TestLosingBranchValidatedIsLocal, with
// an invalid block on the losing branch. X finds B invalid because A's
// body was missing (and refuses B's child at once); Y never looks at B.
// The mark is X's own knowledge, out of the state hash.
func TestLosingBranchInvalidIsLocal(t *testing.T) {
	k := newKit(t)
	c0 := k.block(chainhash.Hash{}, 0, 0)
	a1 := k.child(c0, 1, 0)
	b1 := k.child(c0, 2, 1) // the coinbase takes a fee nobody paid
	b2 := k.child(b1, 4, 0)

	x, y := newMainSim(t), newMainSim(t)
	x.stageNext(c0)
	y.stageNext(c0)
	x.next(a1) // main 2: X misses a1's body
	y.stageNext(a1)
	res := x.stageNext(b1) // main 3: X tries b1, which is invalid
	requireHashes(t, "invalidated", res.Invalidated, b1)
	y.next(b1)
	x.requireTip(c0, 0)
	y.requireTip(a1, 1)

	x.stage(a1)
	requireHashes(t, "connected", x.connectArrived().Connected, a1)
	y.stage(b1)
	y.connectArrived()
	x.requireStatus(b1, sideblock.StatusInvalid, false)
	y.requireStatus(b1, sideblock.StatusBodyStaged, false)
	requireSameState(t, "after the bodies arrived", x, y, 3)

	// b2, body missing on both: X knows it invalid at once, Y asks for it.
	x.next(b2) // main 4
	y.next(b2)
	x.requireStatus(b2, sideblock.StatusInvalidAncestor, false)
	y.requireStatus(b2, sideblock.StatusBodyMissing, false)
	x.requireTip(a1, 1)
	y.requireTip(a1, 1)
	requireSameState(t, "child of the invalid block", x, y, 3)

	// Y gets b2's body: the branch is longer, Y tries it and finds b1
	// invalid too.
	y.stage(b2)
	y.connectArrived()
	y.requireStatus(b1, sideblock.StatusInvalid, false)
	y.requireTip(a1, 1)
	x.next(nil)
	y.next(nil)
	requireSameState(t, "Y found it too", x, y, 3)
}

// restart drops the chain's memory and opens it again on the same store,
// as a node restart does.
func (ms *mainSim) restart() {
	ms.t.Helper()
	chain, err := sideblock.NewChain(ms.db, ms.params)
	if err != nil {
		ms.t.Fatal(err)
	}
	ms.chain = chain
}
