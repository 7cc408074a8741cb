package sideblock_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// TestChainLinear: bodies staged before their publication connect in the
// mainchain block that publishes them.
func TestChainLinear(t *testing.T) {
	ms := newMainSim(t)
	k := newKit(t)
	ms.requireTip(nil, -1)

	b0 := k.block(chainhash.Hash{}, 0, 0)
	res := ms.stageNext(b0)
	requireHashes(t, "connected", res.Connected, b0)
	if res.Published == nil || *res.Published != b0.BlockHash() ||
		res.Ignored != nil || res.NewTip != b0.BlockHash() || res.TipHeight != 0 {
		t.Fatalf("result %+v", res)
	}
	ms.requireTip(b0, 0)

	b1 := k.child(b0, 1, 0)
	b2 := k.child(b1, 2, 0)
	ms.stageNext(b1)
	res = ms.stageNext(b2)
	requireHashes(t, "connected", res.Connected, b2)
	ms.requireTip(b2, 2)

	info := ms.info(b1)
	want := sideblock.BlockInfo{
		Hash: b1.BlockHash(), PrevBlock: b0.BlockHash(),
		MerkleRoot: b1.Header.MerkleRoot, Height: 1, LotteryHeight: 1,
		PubHeight: 2, PubTxID: publication(2, b1).TxID,
		Status: sideblock.StatusValid, OnBestChain: true, Connectable: true,
	}
	if *info != want {
		t.Fatalf("info %+v, want %+v", *info, want)
	}
	if h, err := ms.chain.HashAt(1); err != nil || h != b1.BlockHash() {
		t.Fatalf("HashAt(1) = %v, %v", h, err)
	}
	if _, err := ms.chain.HashAt(3); !sideblock.IsErrorCode(err, sideblock.ErrBlockNotFound) {
		t.Fatalf("HashAt(3): %v", err)
	}
	blk, _, err := ms.chain.Block(b2.BlockHash())
	if err != nil || blk.BlockHash() != b2.BlockHash() || len(blk.Transactions) != 1 {
		t.Fatalf("Block(b2) = %v, %v", blk, err)
	}
	op := wire.OutPoint{Hash: b2.Transactions[0].TxHash()}
	u, ok, err := ms.chain.Utxo(op)
	if err != nil || !ok || u.Height != 2 || !u.IsCoinbase || u.Value != ms.params.SideSubsidy {
		t.Fatalf("coinbase output %+v %v %v", u, ok, err)
	}

	// A second Chain on the same store finds the same tip.
	again, err := sideblock.NewChain(ms.db, ms.params)
	if err != nil {
		t.Fatal(err)
	}
	if h, height, ok := again.Tip(); !ok || h != b2.BlockHash() || height != 2 {
		t.Fatalf("reloaded tip %v %d %v", h, height, ok)
	}
	_, _, err = ms.chain.Block(chainhash.Hash{1})
	requireCode(t, err, sideblock.ErrBlockNotFound)
}

// TestChainOrphanBody: a header published without its body stays an
// orphan, with its published child, until the body is staged; then both
// connect at the next mainchain block.
func TestChainOrphanBody(t *testing.T) {
	ms := newMainSim(t)
	k := newKit(t)
	b0 := k.block(chainhash.Hash{}, 0, 0)
	b1 := k.child(b0, 1, 0)

	res := ms.next(b0)
	if len(res.Connected) != 0 || res.Published == nil {
		t.Fatalf("result %+v", res)
	}
	ms.requireStatus(b0, sideblock.StatusBodyMissing, false)
	ms.requireMissing(b0)
	ms.requireTip(nil, -1)

	ms.stageNext(b1)
	ms.requireStatus(b1, sideblock.StatusBodyStaged, false)
	if ms.info(b1).Connectable {
		t.Fatal("b1 is connectable without its parent's body")
	}
	ms.requireTip(nil, -1)

	// Nothing changes while the body is missing.
	ms.next(nil)
	ms.requireTip(nil, -1)

	ms.stage(b0)
	requireCode(t, ms.chain.StageBody(b0), sideblock.ErrBodyKnown)
	res = ms.next(nil)
	requireHashes(t, "connected", res.Connected, b0, b1)
	ms.requireTip(b1, 1)
	ms.requireMissing()
	ms.requireStatus(b0, sideblock.StatusValid, true)
	requireCode(t, ms.chain.StageBody(b1), sideblock.ErrBodyKnown)
}

// TestChainReorgLonger: a longer branch wins; the reorg leaves exactly the
// state of a chain that only ever saw the winning branch.
func TestChainReorgLonger(t *testing.T) {
	f := newFixture(t)
	k := f.k

	// Branch A spends fan output 0 one way, branch B another way.
	inA := f.fan[:1]
	txA := k.spend(inA, 2000, 1)
	a1 := k.child(f.f1, 101, fee(inA, txA), txA)
	a2 := k.child(a1, 102, 0)
	txB := k.spend(inA, 3000, 2)
	b1 := k.child(f.f1, 103, fee(inA, txB), txB)
	b2 := k.child(b1, 104, 1000, k.spend(outputs(txB)[:1], 1000, 1))
	b3 := k.child(b2, 105, 0)

	ms := newMainSim(t)
	f.run(ms)
	ms.stageNext(a1) // main 102
	ms.stageNext(a2) // main 103
	ms.requireTip(a2, 3)

	// b1 is shorter, b2 as long as a2 but published later.
	ms.stage(b1, b2)
	ms.next(b1) // main 104
	res := ms.next(b2)
	if len(res.Connected)+len(res.Disconnected) != 0 {
		t.Fatalf("equal length, later publication: %+v", res)
	}
	ms.requireTip(a2, 3)
	ms.requireStatus(b2, sideblock.StatusBodyStaged, false)

	ms.stage(b3)
	res = ms.next(b3) // main 106
	requireHashes(t, "disconnected", res.Disconnected, a2, a1)
	requireHashes(t, "connected", res.Connected, b1, b2, b3)
	ms.requireTip(b3, 4)
	ms.requireStatus(a1, sideblock.StatusValid, false)
	ms.requireStatus(b2, sideblock.StatusValid, true)
	if _, ok, _ := ms.chain.Utxo(wire.OutPoint{Hash: txA.TxHash()}); ok {
		t.Fatal("branch A's output survived the reorg")
	}
	if _, ok, _ := ms.chain.Utxo(wire.OutPoint{Hash: txB.TxHash(), Index: 1}); !ok {
		t.Fatal("branch B's output is missing")
	}

	// A chain that only saw branch B.
	fresh := newMainSim(t)
	f.run(fresh)
	fresh.advanceTo(103)
	fresh.stageNext(b1)
	fresh.stageNext(b2)
	fresh.stageNext(b3)
	fresh.requireTip(b3, 4)
	if ms.stateHash() != fresh.stateHash() {
		t.Fatal("state after the reorg differs from the chain built on the winner")
	}

	// And back: A grows longer than B.
	a3 := k.child(a2, 106, 0)
	a4 := k.child(a3, 107, 0)
	ms.stageNext(a3)
	res = ms.stageNext(a4)
	requireHashes(t, "disconnected", res.Disconnected, b3, b2, b1)
	requireHashes(t, "connected", res.Connected, a1, a2, a3, a4)
	ms.requireTip(a4, 5)
}

// TestChainEqualLengthEarliestWins: at equal length the tip published
// first wins, even when its body arrives after the other's.
func TestChainEqualLengthEarliestWins(t *testing.T) {
	ms := newMainSim(t)
	k := newKit(t)
	c0 := k.block(chainhash.Hash{}, 0, 0)
	x1 := k.child(c0, 1, 0)
	y1 := k.child(c0, 2, 0)
	ms.stageNext(c0)
	ms.next(x1) // main 2, body missing
	ms.stageNext(y1)
	ms.requireTip(y1, 1)

	ms.stage(x1)
	res := ms.next(nil)
	requireHashes(t, "disconnected", res.Disconnected, y1)
	requireHashes(t, "connected", res.Connected, x1)
	ms.requireTip(x1, 1)

	// The engine's order says the same.
	e := sideblock.MainstakeEngine{}
	if !sideblock.Prefer(e, ms.info(x1), ms.info(y1)) ||
		sideblock.Prefer(e, ms.info(y1), ms.info(x1)) ||
		!sideblock.Prefer(e, ms.info(x1), ms.info(c0)) {
		t.Fatal("engine order")
	}
}

// TestChainInvalidBody: a body that breaks a rule the header commits to
// condemns the header and its descendants; the chain stays on the other
// branch, and their bodies are refused from then on.
func TestChainInvalidBody(t *testing.T) {
	ms := newMainSim(t)
	k := newKit(t)
	c0 := k.block(chainhash.Hash{}, 0, 0)
	x1 := k.child(c0, 1, 1) // the coinbase takes a fee nobody paid
	x2 := k.child(x1, 2, 0)
	x3 := k.child(x2, 4, 0)
	y1 := k.child(c0, 3, 0)

	ms.stageNext(c0)
	ms.next(x1) // body missing
	ms.stageNext(x2)
	ms.stageNext(y1)
	ms.requireTip(y1, 1)

	ms.stage(x1)
	res := ms.next(x3) // x3 published without a body, below x2
	requireHashes(t, "invalidated", res.Invalidated, x1, x2, x3)
	if len(res.Connected)+len(res.Disconnected) != 0 {
		t.Fatalf("result %+v", res)
	}
	ms.requireTip(y1, 1)
	ms.requireStatus(x1, sideblock.StatusInvalid, false)
	ms.requireStatus(x2, sideblock.StatusInvalidAncestor, false)
	ms.requireStatus(x3, sideblock.StatusInvalidAncestor, false)
	ms.requireMissing()
	requireCode(t, ms.chain.StageBody(x3), sideblock.ErrKnownInvalid)
	requireCode(t, ms.chain.StageBody(x1), sideblock.ErrKnownInvalid)

	// A header published later on an invalid one is invalid at once.
	x4 := k.child(x3, 5, 0)
	res = ms.next(x4)
	requireHashes(t, "invalidated", res.Invalidated, x4)
	ms.requireStatus(x4, sideblock.StatusInvalidAncestor, false)

	// The bodies of invalid headers are kept: invalidity can depend on
	// the publication, which a mainchain reorg can change.
	if blk, info, err := ms.chain.Block(x2.BlockHash()); err != nil || blk == nil || info == nil {
		t.Fatalf("body of x2: %v %v %v", blk, info, err)
	}
}

// TestChainInvalidSanityStaged: a body whose header is published and that
// fails a sanity rule the header commits to is refused, but kept so that the
// header is marked invalid at the next mainchain block.
func TestChainInvalidSanityStaged(t *testing.T) {
	ms := newMainSim(t)
	k := newKit(t)
	c0 := k.block(chainhash.Hash{}, 0, 0)
	ms.stageNext(c0)

	// Two coinbases: the header commits to it.
	cb := k.block(chainhash.Hash{}, 5, 0).Transactions[0]
	bad := k.child(c0, 1, 0, cb)
	requireCode(t, ms.chain.StageBody(bad), sideblock.ErrMultipleCoinbases)
	ms.next(bad)
	ms.requireStatus(bad, sideblock.StatusBodyMissing, false)
	requireCode(t, ms.chain.StageBody(bad), sideblock.ErrMultipleCoinbases)
	res := ms.next(nil)
	requireHashes(t, "invalidated", res.Invalidated, bad)
	ms.requireTip(c0, 0)
}

// TestChainBadCopy: a copy of a body with a wrong witness (which the
// header does not commit to) is dropped without condemning the header; the
// right copy connects later.
func TestChainBadCopy(t *testing.T) {
	f := newFixture(t)
	k := f.k
	tx := k.spend(f.fan[:1], 1000, 1)
	z1 := k.child(f.f1, 101, 1000, tx)
	z2 := k.child(z1, 102, 0)

	badTx := tx.Copy()
	badTx.TxIn[0].Witness[0][10] ^= 0x01
	bad := sideblock.NewBlock(z1.Header.PrevBlock,
		[]*wire.MsgTx{z1.Transactions[0], badTx})
	if bad.BlockHash() != z1.BlockHash() {
		t.Fatal("witness changed the block hash")
	}

	ms := newMainSim(t)
	f.run(ms)
	ms.stage(bad)
	res := ms.next(z1)
	requireHashes(t, "dropped", res.DroppedBodies, z1)
	if len(res.Invalidated) != 0 || len(res.Connected) != 0 {
		t.Fatalf("result %+v", res)
	}
	ms.requireStatus(z1, sideblock.StatusBodyMissing, false)
	ms.requireMissing(z1)
	if blk, _, _ := ms.chain.Block(z1.BlockHash()); blk != nil {
		t.Fatal("bad copy still staged")
	}
	requireCode(t, ms.chain.StageBody(bad), sideblock.ErrBodyKnownBad)

	ms.stageNext(z2)
	ms.requireTip(f.f1, 1)
	ms.stage(z1)
	res = ms.next(nil)
	requireHashes(t, "connected", res.Connected, z1, z2)
	ms.requireTip(z2, 3)
}

// TestChainBadCopyIsLocal: a node that was sent a bad copy of a body and a
// node that was not end with the same chain state, the staging keyspace
// (0x41, where the bad copy's digest is kept) aside: the bad copy is what
// one node was sent, not chain state, and stays out of the state hash.
func TestChainBadCopyIsLocal(t *testing.T) {
	f := newFixture(t)
	k := f.k
	tx := k.spend(f.fan[:1], 1000, 1)
	z1 := k.child(f.f1, 101, 1000, tx)
	badTx := tx.Copy()
	badTx.TxIn[0].Witness[0][10] ^= 0x01
	bad := sideblock.NewBlock(z1.Header.PrevBlock,
		[]*wire.MsgTx{z1.Transactions[0], badTx})

	sent, clean := newMainSim(t), newMainSim(t)
	f.run(sent)
	f.run(clean)
	sent.stage(bad)
	sent.next(z1)
	clean.next(z1) // no body yet
	// The node that was sent the bad copy knows it, from the local key.
	requireCode(t, sent.chain.StageBody(bad), sideblock.ErrBodyKnownBad)
	sent.stage(z1)
	clean.stage(z1)
	requireHashes(t, "connected", sent.next(nil).Connected, z1)
	requireHashes(t, "connected", clean.next(nil).Connected, z1)

	dump := func(ms *mainSim) map[string]string {
		m := map[string]string{}
		err := ms.db.View(func(r store.Reader) error {
			return r.Iterate(nil, func(k, v []byte) error {
				if k[0] != sideblock.StagingKeyByte {
					m[string(k)] = string(v)
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := dump(sent), dump(clean)
	if len(a) != len(b) {
		t.Fatalf("%d keys vs %d", len(a), len(b))
	}
	for key, v := range a {
		if b[key] != v {
			t.Fatalf("key %x differs: %x vs %x", key, v, b[key])
		}
	}
}

// TestChainBadCopyReplaced: a bad copy still staged is replaced by the
// next copy a peer sends.
func TestChainBadCopyReplaced(t *testing.T) {
	f := newFixture(t)
	k := f.k
	tx := k.spend(f.fan[:1], 1000, 1)
	z1 := k.child(f.f1, 101, 1000, tx)
	badTx := tx.Copy()
	badTx.TxIn[0].Witness[0][10] ^= 0x01
	bad := sideblock.NewBlock(z1.Header.PrevBlock,
		[]*wire.MsgTx{z1.Transactions[0], badTx})

	ms := newMainSim(t)
	f.run(ms)
	ms.stage(bad)
	// A second copy while the first is untested is refused.
	requireCode(t, ms.chain.StageBody(z1), sideblock.ErrBodyKnown)
	// Without Committed nothing prunes the bad copy; the good one
	// replaces it.
	ms.skipCommitted = true
	res := ms.next(z1)
	requireHashes(t, "dropped", res.DroppedBodies, z1)
	if blk, _, _ := ms.chain.Block(z1.BlockHash()); blk == nil {
		t.Fatal("bad copy pruned without Committed")
	}
	ms.stage(z1)
	res = ms.next(nil)
	requireHashes(t, "connected", res.Connected, z1)
	ms.requireTip(z1, 2)
}

// TestChainIgnoredPublications: a publication that extends an unknown
// header, or repeats a published one, is ignored with its code.
func TestChainIgnoredPublications(t *testing.T) {
	ms := newMainSim(t)
	k := newKit(t)
	c0 := k.block(chainhash.Hash{}, 0, 0)
	ms.stageNext(c0)

	orphan := k.block(chainhash.Hash{0xaa}, 1, 0)
	res := ms.next(orphan)
	requireCode(t, res.Ignored, sideblock.ErrUnknownParent)
	if res.Published != nil {
		t.Fatal("ignored publication recorded")
	}
	if _, _, err := ms.chain.Block(orphan.BlockHash()); !sideblock.IsErrorCode(err, sideblock.ErrBlockNotFound) {
		t.Fatalf("orphan: %v", err)
	}

	res = ms.next(c0)
	requireCode(t, res.Ignored, sideblock.ErrDuplicatePublication)
	if info := ms.info(c0); info.PubHeight != 1 {
		t.Fatalf("duplicate moved the publication to %d", info.PubHeight)
	}

	// A child of the orphan is unknown too.
	res = ms.next(k.child(orphan, 3, 0))
	requireCode(t, res.Ignored, sideblock.ErrUnknownParent)
}

// TestChainMainchainDisconnect: undoing a mainchain block undoes what it
// did to the sidechain exactly, reorgs included; connecting it again does
// the same again.
func TestChainMainchainDisconnect(t *testing.T) {
	f := newFixture(t)
	k := f.k
	inA := f.fan[:1]
	txA := k.spend(inA, 2000, 1)
	a1 := k.child(f.f1, 101, fee(inA, txA), txA)
	txB := k.spend(inA, 3000, 2)
	b1 := k.child(f.f1, 102, fee(inA, txB), txB)
	b2 := k.child(b1, 103, 0)

	ms := newMainSim(t)
	f.run(ms)
	ms.stageNext(a1)
	ms.next(b1) // body missing
	ms.stageNext(b2)
	ms.requireTip(a1, 2)

	beforeHash, beforeDump := ms.stateHash(), ms.dump()
	ms.stage(b1)
	res := ms.next(nil) // reorg to b2
	requireHashes(t, "connected", res.Connected, b1, b2)
	afterHash, afterDump := ms.stateHash(), ms.dump()

	ms.undo()
	if ms.stateHash() != beforeHash || ms.dump() != beforeDump {
		t.Fatal("undoing the mainchain block left sidechain changes behind")
	}
	ms.requireTip(a1, 2)
	ms.requireStatus(b1, sideblock.StatusBodyMissing, false)

	// The body is still staged: the next block connects b1 and b2 again
	// (the rescan after an undo finds it).
	ms.next(nil)
	ms.requireTip(b2, 3)
	if ms.stateHash() != afterHash || ms.dump() != afterDump {
		t.Fatal("connecting again gave another state")
	}

	// Undo back to before b2's publication: b2's record goes, and the
	// tip is a1 again.
	for ms.height() > 103 {
		ms.undo()
	}
	ms.requireTip(a1, 2)
	if _, info, _ := ms.chain.Block(b2.BlockHash()); info != nil {
		t.Fatal("b2 still published")
	}
	if _, ok, _ := ms.chain.Utxo(wire.OutPoint{Hash: txA.TxHash()}); !ok {
		t.Fatal("a1's output is missing")
	}
}

// TestChainBatchBudget: a long branch whose first body arrives late is
// connected a budget's worth per mainchain block.
func TestChainBatchBudget(t *testing.T) {
	restore := sideblock.SetBatchBudget(2, 1<<30)
	defer restore()

	ms := newMainSim(t)
	k := newKit(t)
	blocks := []*sideblock.Block{k.block(chainhash.Hash{}, 0, 0)}
	ms.next(blocks[0])
	for i := 1; i < 5; i++ {
		blocks = append(blocks, k.child(blocks[i-1], int32(i), 0))
		ms.stageNext(blocks[i])
	}
	ms.stage(blocks[0])
	res := ms.next(nil)
	if !res.Deferred {
		t.Fatal("not deferred")
	}
	requireHashes(t, "connected", res.Connected, blocks[0], blocks[1])
	res = ms.next(nil)
	requireHashes(t, "connected", res.Connected, blocks[2], blocks[3])
	res = ms.next(nil)
	requireHashes(t, "connected", res.Connected, blocks[4])
	if res.Deferred {
		t.Fatal("deferred with nothing left")
	}
	ms.requireTip(blocks[4], 4)
}

// TestStageBodyBounds checks what StageBody refuses, and the pruning of
// bodies that were never published.
func TestStageBodyBounds(t *testing.T) {
	ms := newMainSim(t)
	k := newKit(t)
	ms.advanceTo(10)

	requireCode(t, ms.chain.StageBody(k.block(chainhash.Hash{}, 12, 0)),
		sideblock.ErrBodyOutOfWindow)
	requireCode(t, ms.chain.StageBody(k.block(chainhash.Hash{}, 7, 0)),
		sideblock.ErrBodyOutOfWindow)
	early := k.block(chainhash.Hash{}, 8, 0)
	ms.stage(early, k.block(chainhash.Hash{}, 11, 0))
	if err := ms.chain.StageOwnBody(k.block(chainhash.Hash{}, 40, 0)); err != nil {
		t.Fatalf("own body: %v", err)
	}

	for i := 0; i < sideblock.MaxStagedPerHeight; i++ {
		ms.stage(k.block(chainhash.Hash{}, 10, 0))
	}
	requireCode(t, ms.chain.StageBody(k.block(chainhash.Hash{}, 10, 0)),
		sideblock.ErrTooManyStagedBodies)
	if err := ms.chain.StageOwnBody(k.block(chainhash.Hash{}, 10, 0)); err != nil {
		t.Fatalf("own body over the cap: %v", err)
	}

	corrupt := k.block(chainhash.Hash{}, 10, 0)
	corrupt.Header.MerkleRoot[0] ^= 1
	requireCode(t, ms.chain.StageBody(corrupt), sideblock.ErrBadMerkleRoot)

	// Unpublished bodies go StagedRetention blocks after their height.
	ms.advanceTo(8 + sideblock.StagedRetention - 1)
	if blk, _, _ := ms.chain.Block(early.BlockHash()); blk == nil {
		t.Fatal("pruned too early")
	}
	ms.next(nil)
	if _, _, err := ms.chain.Block(early.BlockHash()); !sideblock.IsErrorCode(err, sideblock.ErrBlockNotFound) {
		t.Fatalf("not pruned: %v", err)
	}
}

// TestChainMainHeightChecks: ConnectMainBlock refuses a height or a
// publication that is not the batch's block.
func TestChainMainHeightChecks(t *testing.T) {
	ms := newMainSim(t)
	k := newKit(t)
	b := k.block(chainhash.Hash{}, 0, 0)
	h := ms.height() + 1
	for _, c := range []struct {
		height int32
		pub    *mainstake.Publication
	}{
		{h + 1, nil},
		{h, &mainstake.Publication{Height: h + 1, Header: opreturn.Header{MerkleRoot: b.Header.MerkleRoot}}},
	} {
		id := store.BlockID{Height: h, Hash: chainhash.Hash{0xbb}}
		err := ms.db.ConnectBlock(id, ms.hashes[h-1], func(w *store.Writer) error {
			_, err := ms.chain.ConnectMainBlock(w, c.height, c.pub)
			return err
		})
		if err == nil {
			t.Fatalf("ConnectMainBlock(%d, %+v) passed", c.height, c.pub)
		}
		if err := ms.chain.DisconnectMainBlock(h); err != nil {
			t.Fatal(err)
		}
	}
	ms.next(nil)
}

// TestChainInvalidUndoneByMainReorg: a header published at the wrong
// mainchain height (its coinbase carries another lottery height) is
// invalid there; when a mainchain reorg publishes it at the right height,
// it connects, from the body still staged.
func TestChainInvalidUndoneByMainReorg(t *testing.T) {
	ms := newMainSim(t)
	k := newKit(t)
	c0 := k.block(chainhash.Hash{}, 0, 0)
	x1 := k.child(c0, 1, 0)
	ms.stageNext(c0)
	ms.stage(x1)
	ms.next(nil)
	res := ms.next(x1) // main 3: lottery height 2, coinbase says 1
	requireHashes(t, "invalidated", res.Invalidated, x1)
	ms.requireStatus(x1, sideblock.StatusInvalid, false)

	ms.undo()
	ms.undo()
	res = ms.next(x1) // main 2 on the new branch
	requireHashes(t, "connected", res.Connected, x1)
	ms.requireTip(x1, 1)
}

// TestChainFailedBatch: a batch that fails after ConnectMainBlock leaves
// nothing behind, in the store or in memory; the next block does the work.
func TestChainFailedBatch(t *testing.T) {
	ms := newMainSim(t)
	k := newKit(t)
	c0 := k.block(chainhash.Hash{}, 0, 0)
	ms.next(c0)
	ms.stage(c0)

	h := ms.height() + 1
	id := store.BlockID{Height: h, Hash: chainhash.Hash{0xcc}}
	boom := errors.New("boom")
	err := ms.db.ConnectBlock(id, ms.hashes[h-1], func(w *store.Writer) error {
		res, err := ms.chain.ConnectMainBlock(w, h, nil)
		if err != nil {
			return err
		}
		requireHashes(t, "connected in the failed batch", res.Connected, c0)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("batch: %v", err)
	}
	if err := ms.chain.DisconnectMainBlock(h); err != nil {
		t.Fatal(err)
	}
	ms.requireTip(nil, -1)
	ms.requireStatus(c0, sideblock.StatusBodyMissing, false)

	res := ms.next(nil)
	requireHashes(t, "connected", res.Connected, c0)
	ms.requireTip(c0, 0)
}

// TestChainConcurrentUse runs readers and StageBody against the batches,
// for the race detector.
func TestChainConcurrentUse(t *testing.T) {
	ms := newMainSim(t)
	k := newKit(t)
	blocks := []*sideblock.Block{k.block(chainhash.Hash{}, 0, 0)}
	for i := 1; i < 20; i++ {
		blocks = append(blocks, k.child(blocks[i-1], int32(i), 0))
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			ms.chain.Tip()
			if _, err := ms.chain.StateHash(); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	staged := make(chan int, len(blocks))
	go func() {
		defer wg.Done()
		for i := range staged {
			if err := ms.chain.StageBody(blocks[i]); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i, b := range blocks {
		ms.next(b)
		staged <- i
	}
	close(staged)
	ms.next(nil)
	close(done)
	wg.Wait()
	ms.next(nil)
	ms.requireTip(blocks[len(blocks)-1], int32(len(blocks)-1))
}
