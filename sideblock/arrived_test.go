package sideblock_test

import (
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// storeStateHash returns the store's state hash (docs/protocol.md §1.5) at
// the mainchain tip, checked against a full scan.
func (ms *mainSim) storeStateHash() chainhash.Hash {
	ms.t.Helper()
	tip, err := ms.db.Tip()
	if err != nil {
		ms.t.Fatal(err)
	}
	_, sum, err := ms.db.StateHash(tip.Height)
	if err != nil {
		ms.t.Fatal(err)
	}
	if err := ms.db.VerifyStateHash(); err != nil {
		ms.t.Fatal(err)
	}
	return sum
}

// connectArrived runs ConnectArrived as the node does when a body comes.
func (ms *mainSim) connectArrived() *sideblock.Result {
	ms.t.Helper()
	res, err := ms.chain.ConnectArrived()
	if err != nil {
		ms.t.Fatal(err)
	}
	return res
}

// TestBodyConnectsOnArrival: bodies staged after the mainchain blocks that
// published them connect at once, without another mainchain block, and
// leave the state, and the state hash, of a node that had them when those
// blocks' batches ran; undoing the tip block undoes the connection.
func TestBodyConnectsOnArrival(t *testing.T) {
	k := newKit(t)
	b0 := k.block(chainhash.Hash{}, 0, 0)
	b1 := k.child(b0, 1, 0)
	b2 := k.child(b1, 2, 0)

	// The reference had every body in time.
	ref := newMainSim(t)
	ref.stageNext(b0)
	ref.stageNext(b1)
	ref.stageNext(b2)
	ref.requireTip(b2, 2)

	ms := newMainSim(t)
	ms.stageNext(b0)
	ms.connectArrived() // after the start: nothing to connect
	ms.next(b1)
	preB2 := ms.storeStateHash()
	ms.next(b2)
	ms.requireTip(b0, 0)
	ms.requireMissing(b1, b2)
	ms.requireAhead(b1, b2)
	if res := ms.connectArrived(); res != nil {
		t.Fatalf("nothing arrived, yet %+v", res)
	}

	// b2 first: its parent's body is missing, so nothing moves.
	ms.stage(b2)
	if res := ms.connectArrived(); len(res.Connected) != 0 {
		t.Fatalf("connected %v without b1", res.Connected)
	}
	ms.requireTip(b0, 0)
	ms.stage(b1)
	res := ms.connectArrived()
	requireHashes(t, "connected", res.Connected, b1, b2)
	ms.requireTip(b2, 2)
	ms.requireMissing()
	ms.requireAhead()
	if got, want := ms.storeStateHash(), ref.storeStateHash(); got != want {
		t.Fatalf("state hash %v, want the reference's %v\n%s\nwant\n%s",
			got, want, ms.dump(), ref.dump())
	}
	if ms.dump() != ref.dump() {
		t.Fatalf("state\n%s\nwant\n%s", ms.dump(), ref.dump())
	}
	if ms.stateHash() != ref.stateHash() {
		t.Fatal("UTXO set differs from the reference's")
	}

	// The next block goes on from there on both.
	ms.next(nil)
	ref.next(nil)
	if ms.storeStateHash() != ref.storeStateHash() {
		t.Fatal("state hash differs after the next block")
	}

	// Undoing b2's mainchain block undoes the connection of b1 and b2:
	// the state hash is that of the block before, where b1's body was
	// missing, and b1 connects again at the next batch.
	ms.undo()
	ms.undo()
	if got := ms.storeStateHash(); got != preB2 {
		t.Fatalf("after undoing the block %v, want %v", got, preB2)
	}
	ms.requireTip(b0, 0)
	ms.undo()
	ms.requireTip(b0, 0)
	ms.next(b1)
	ms.requireTip(b1, 1)
}

// requireAhead checks MissingAhead.
func (ms *mainSim) requireAhead(want ...*sideblock.Block) {
	ms.t.Helper()
	var got []chainhash.Hash
	err := ms.db.View(func(r storeReader) error {
		var err error
		got, err = ms.chain.MissingAhead(r)
		return err
	})
	if err != nil {
		ms.t.Fatal(err)
	}
	set := make(map[chainhash.Hash]bool)
	for _, h := range got {
		set[h] = true
	}
	if len(got) != len(want) {
		ms.t.Fatalf("%d bodies missing ahead, want %d", len(got), len(want))
	}
	for _, b := range want {
		if !set[b.BlockHash()] {
			ms.t.Fatalf("%v not missing ahead", b.BlockHash())
		}
	}
}

// TestMissingAheadOnlyBeatsTip: a missing body of a header that fork
// choice would not prefer to the tip (shorter, or as long and published
// later) is not ahead.
func TestMissingAheadOnlyBeatsTip(t *testing.T) {
	k := newKit(t)
	b0 := k.block(chainhash.Hash{}, 0, 0)
	b1 := k.child(b0, 1, 0)
	alt := k.child(b0, 2, 0) // as long as b1, published later
	ms := newMainSim(t)
	ms.stageNext(b0)
	ms.stageNext(b1)
	ms.next(alt)
	ms.requireTip(b1, 1)
	ms.requireMissing(alt)
	ms.requireAhead()
}

// TestOwnBodyStagedDuringBatch: the producer's own body (StageOwnBody,
// store.DB.UpdateLocal, which does not wait for batches) staged while an
// amendment's transaction is open is not visible to that amendment, which
// must leave its notice for the next one rather than take it.
func TestOwnBodyStagedDuringBatch(t *testing.T) {
	k := newKit(t)
	b0 := k.block(chainhash.Hash{}, 0, 0)
	b1 := k.child(b0, 1, 0)

	ms := newMainSim(t)
	ms.stageNext(b0)
	ms.next(b1)
	ms.requireMissing(b1)

	tip, err := ms.db.Tip()
	if err != nil {
		t.Fatal(err)
	}
	// Staged inside apply, standing for another goroutine: after the
	// transaction began, before ConnectStaged takes the notices.
	err = ms.db.AmendTip(tip, func(w *store.Writer) error {
		if err := ms.chain.StageOwnBody(b1); err != nil {
			return err
		}
		_, err := ms.chain.ConnectStaged(w)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := ms.chain.Committed(); err != nil {
		t.Fatal(err)
	}
	ms.requireTip(b0, 0)
	if !ms.chain.Arrived() {
		t.Fatal("the notice of b1 was taken by a batch that could not see its body")
	}
	res := ms.connectArrived()
	requireHashes(t, "connected", res.Connected, b1)
	ms.requireTip(b1, 1)
}
