package sideblock_test

import (
	"testing"

	"github.com/mainstake/sidenode/notarize"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// fixedNotarization is a last notarization that does not depend on the
// store: the guard's input, set by the test.
type fixedNotarization struct{ last *notarize.Notarization }

func (f *fixedNotarization) LastNotarizationIn(store.Reader) (*notarize.Notarization, error) {
	return f.last, nil
}

// requireRefused checks that res refused exactly one switch, to tip, with
// code.
func requireRefused(t *testing.T, res *sideblock.Result, tip *sideblock.Block, code notarize.ErrorCode) {
	t.Helper()
	if len(res.Refused) != 1 {
		t.Fatalf("refused %d switches, want 1: %+v", len(res.Refused), res.Refused)
	}
	r := res.Refused[0]
	if r.Tip != tip.BlockHash() || !notarize.IsErrorCode(r.Err, code) {
		t.Fatalf("refused %v (%v), want %v (%v)", r.Tip, r.Err, tip.BlockHash(), code)
	}
}

// TestReorgGuardTree runs the reorg guard in fork choice over a named block
// tree (heights in brackets; a1 is notarized):
//
//	c0[0] - f1[1] - a1[2] - a2[3] - a3[4]          the best chain
//	             \        \- c1[3] - c2[4] - c3[5]  forks at the notarized block
//	              \- b1[2] - b2[3] - b3[4] - b4[5]  forks below it, longer
//
// The longer private fork b, forking below the notarized height, is refused
// at every length (b4, then b5 on it); the fork c, which keeps a1, wins as
// soon as it is longer. Without the notarization b would win.
func TestReorgGuardTree(t *testing.T) {
	f := newFixture(t)
	k := f.k
	a1 := k.child(f.f1, 101, 0)
	a2 := k.child(a1, 102, 0)
	a3 := k.child(a2, 103, 0)
	b1 := k.child(f.f1, 104, 0)
	b2 := k.child(b1, 105, 0)
	b3 := k.child(b2, 106, 0)
	b4 := k.child(b3, 107, 0)
	b5 := k.child(b4, 108, 0)
	c1 := k.child(a1, 109, 0)
	c2 := k.child(c1, 110, 0)
	c3 := k.child(c2, 111, 0)

	run := func(guard bool) *mainSim {
		ms := newMainSim(t)
		n := &fixedNotarization{}
		if guard {
			n.last = &notarize.Notarization{Height: 2, Block: a1.BlockHash()}
		}
		ms.chain.SetNotarizations(n)
		f.run(ms)
		ms.stageNext(a1) // main 102
		ms.stageNext(a2) // main 103
		ms.stageNext(a3) // main 104
		ms.requireTip(a3, 4)
		ms.stageNext(b1)
		ms.stageNext(b2)
		ms.stageNext(b3)
		res := ms.stageNext(b4) // main 108: b4 is longer than a3
		if !guard {
			requireHashes(t, "connected", res.Connected, b1, b2, b3, b4)
			return ms
		}
		requireRefused(t, res, b4, notarize.ErrReorgBelowNotarized)
		ms.requireTip(a3, 4)
		res = ms.stageNext(b5) // main 109
		requireRefused(t, res, b5, notarize.ErrReorgBelowNotarized)
		ms.requireTip(a3, 4)
		ms.requireStatus(b5, sideblock.StatusBodyStaged, false)

		ms.stageNext(c1)
		ms.stageNext(c2)
		res = ms.stageNext(c3) // main 112: c3 is longer than a3
		if len(res.Refused) != 0 {
			t.Fatalf("a fork above the notarized block refused: %+v", res.Refused)
		}
		requireHashes(t, "connected", res.Connected, c1, c2, c3)
		ms.requireTip(c3, 5)
		// The refused branch stays out in later batches.
		res = ms.next(nil)
		if len(res.Refused)+len(res.Connected) != 0 {
			t.Fatalf("the refused branch came back: %+v", res)
		}
		return ms
	}
	run(false).requireTip(b4, 5)
	run(true)
}

// TestReorgGuardConflict: after a mainchain reorg took the sidechain below
// the notarized height (the notarized block's publication left the
// mainchain), a chain with another block at that height is refused
// (ErrReorgConflictsNotarized), one whose blocks stay below it is not, and
// the notarized block, published again, is taken.
//
//	c0[0] - f1[1] - a1[2]    a1 notarized, its publication undone
//	             \- b1[2] - b2[3]
func TestReorgGuardConflict(t *testing.T) {
	f := newFixture(t)
	k := f.k
	a1 := k.child(f.f1, 101, 0)
	b1 := k.child(f.f1, 102, 0)
	b2 := k.child(b1, 103, 0)

	ms := newMainSim(t)
	ms.chain.SetNotarizations(&fixedNotarization{
		last: &notarize.Notarization{Height: 2, Block: a1.BlockHash()}})
	f.run(ms)
	ms.stageNext(a1) // main 102
	ms.requireTip(a1, 2)
	ms.undo()
	ms.requireTip(f.f1, 1)

	ms.next(nil)            // main 102 again, without a1
	res := ms.stageNext(b1) // main 103
	requireRefused(t, res, b1, notarize.ErrReorgConflictsNotarized)
	ms.requireTip(f.f1, 1)
	res = ms.stageNext(b2) // main 104
	requireRefused(t, res, b2, notarize.ErrReorgConflictsNotarized)
	ms.requireTip(f.f1, 1)

	// The mainchain goes back to a1's publication.
	ms.undo()
	ms.undo()
	ms.undo()
	res = ms.next(a1) // main 102
	if len(res.Refused) != 0 {
		t.Fatalf("the notarized block refused: %+v", res.Refused)
	}
	ms.requireTip(a1, 2)
}

// TestReorgGuardBudget: the candidates a refusal takes out count against
// the batch budget, so a long refused branch spreads over batches (the
// batch says it deferred) and the chain ends where it would have.
func TestReorgGuardBudget(t *testing.T) {
	defer sideblock.SetBatchBudget(2, 1<<30)()
	f := newFixture(t)
	k := f.k
	a1 := k.child(f.f1, 101, 0)
	a2 := k.child(a1, 102, 0)
	b1 := k.child(f.f1, 103, 0)
	b2 := k.child(b1, 104, 0)
	b3 := k.child(b2, 105, 0)

	ms := newMainSim(t)
	ms.chain.SetNotarizations(&fixedNotarization{
		last: &notarize.Notarization{Height: 2, Block: a1.BlockHash()}})
	f.run(ms)
	ms.stageNext(a1) // main 102
	ms.stageNext(a2) // main 103
	// b3 (longer than a2) is refused with b1..b3 as candidates, two
	// taken out per batch.
	ms.stageNext(b1)
	ms.stageNext(b2)
	res := ms.stageNext(b3) // main 106
	requireRefused(t, res, b3, notarize.ErrReorgBelowNotarized)
	if !res.Deferred {
		t.Fatalf("a refusal of three candidates within a budget of two: %+v", res)
	}
	ms.requireTip(a2, 3)
	res = ms.next(nil)
	if len(res.Refused)+len(res.Connected)+len(res.Disconnected) != 0 || res.Deferred {
		t.Fatalf("the rest of the refused branch: %+v", res)
	}
	ms.requireTip(a2, 3)
}
