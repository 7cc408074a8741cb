package sideblock_test

import (
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// TestChainValidationHook: the hook hears of every body that fork choice
// validates and connects, and not of a block reconnected after a reorg.
func TestChainValidationHook(t *testing.T) {
	ms := newMainSim(t)
	k := newKit(t)
	var calls int
	ms.chain.SetValidationHook(func(d time.Duration) {
		if d < 0 {
			t.Errorf("negative duration %v", d)
		}
		calls++
	})
	want := func(n int) {
		t.Helper()
		if calls != n {
			t.Fatalf("hook called %d times, want %d", calls, n)
		}
	}

	b0 := k.block(chainhash.Hash{}, ms.height(), 0)
	ms.stageNext(b0)
	a1 := k.child(b0, ms.height(), 0)
	ms.stageNext(a1)
	ms.requireTip(a1, 1)
	want(2)

	// A longer branch: a1 leaves, c1 and c2 are validated.
	c1 := k.child(b0, ms.height(), 0)
	ms.stageNext(c1)
	c2 := k.child(c1, ms.height(), 0)
	ms.stageNext(c2)
	ms.requireTip(c2, 2)
	want(4)

	// Back to a: a1 is reconnected without a new validation.
	a2 := k.child(a1, ms.height(), 0)
	ms.stageNext(a2)
	a3 := k.child(a2, ms.height(), 0)
	res := ms.stageNext(a3)
	ms.requireTip(a3, 3)
	requireHashes(t, "connected", res.Connected, a1, a2, a3)
	want(6)

	ms.chain.SetValidationHook(nil)
	ms.stageNext(k.child(a3, ms.height(), 0))
	want(6)
}
