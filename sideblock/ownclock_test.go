package sideblock_test

import (
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/sideblock/blocktests"
	"github.com/mainstake/sidenode/store"
)

// heightEngine orders an own-clock chain by height, then by hash: enough
// to test the chain state, which does not care how the engine weighs
// blocks.
type heightEngine struct{ sideblock.MainstakeEngine }

func (heightEngine) Name() string { return "test-own-clock" }

func (heightEngine) ForkChoiceKey(info *sideblock.BlockInfo) []byte {
	return binary.BigEndian.AppendUint32(nil, ^uint32(info.Height))
}

// ownSim is mainSim for an own-clock chain.
type ownSim struct {
	*mainSim
	genesis *sideblock.Block
}

func ownGenesis() *sideblock.Block {
	script, _ := txscript.NewScriptBuilder().AddInt64(0).AddData([]byte("test genesis")).Script()
	burn, _ := txscript.NullDataScript(nil)
	cb := wire.NewMsgTx(wire.TxVersion)
	cb.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex},
		SignatureScript: script, Sequence: wire.MaxTxInSequenceNum})
	cb.AddTxOut(wire.NewTxOut(0, burn))
	return powBlock(sideblock.NewBlock(chainhash.Hash{}, []*wire.MsgTx{cb}), 0)
}

// powBlock gives a block an 80-byte header; nonce tells twins apart.
func powBlock(b *sideblock.Block, nonce uint32) *sideblock.Block {
	b.Header.Pow = &sideblock.PowSeal{Version: 1,
		Timestamp: time.Unix(1_700_000_000, 0), Bits: 0x207fffff, Nonce: nonce}
	return b
}

func newOwnSim(t testing.TB) *ownSim {
	t.Helper()
	db, err := store.Open("", store.Options{
		InMemory: true,
		Genesis:  *chaincfg.RegressionNetParams.GenesisHash,
		Network:  "regtest",
		LocalPrefixes: append(sideblock.OwnClockLocalPrefixes(),
			[]byte{sideblock.StagingKeyByte}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	params := blocktests.Params()
	g := ownGenesis()
	chain, err := sideblock.NewOwnClockChain(db, params, heightEngine{}, g)
	if err != nil {
		t.Fatal(err)
	}
	ms := &mainSim{t: t, db: db, chain: chain, params: params}
	ms.next(nil)
	return &ownSim{mainSim: ms, genesis: g}
}

// ref returns the main reference of mainchain height h under fork f (the
// hashes mainSim gives).
func mainRef(h int32, fork int) sideblock.MainRef {
	hash := *chaincfg.RegressionNetParams.GenesisHash
	if h > 0 {
		hash = chainhash.DoubleHashH([]byte(fmt.Sprintf("main/%d/%d", h, fork)))
	}
	return sideblock.MainRef{Height: h, Hash: hash}
}

// child builds a block on parent at height with main reference ref.
func (s *ownSim) child(parent *sideblock.Block, height int32, ref sideblock.MainRef, nonce uint32) *sideblock.Block {
	s.t.Helper()
	script, err := sideblock.OwnClockCoinbaseScript(height, ref, []byte{byte(nonce)})
	if err != nil {
		s.t.Fatal(err)
	}
	cb := wire.NewMsgTx(wire.TxVersion)
	cb.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex},
		SignatureScript: script, Sequence: wire.MaxTxInSequenceNum})
	cb.AddTxOut(wire.NewTxOut(s.params.SideSubsidy, []byte{txscript.OP_TRUE}))
	return powBlock(sideblock.NewBlock(parent.BlockHash(), []*wire.MsgTx{cb}), nonce)
}

// arrive stages blocks as the node does and connects them in an amendment
// of the mainchain tip.
func (s *ownSim) arrive(blocks ...*sideblock.Block) *sideblock.Result {
	s.t.Helper()
	for _, b := range blocks {
		if err := s.chain.StageOwnBody(b); err != nil {
			s.t.Fatalf("stage %v: %v", b.BlockHash(), err)
		}
	}
	res, err := s.chain.ConnectArrived()
	if err != nil {
		s.t.Fatal(err)
	}
	return res
}

func (s *ownSim) wantTip(name string, b *sideblock.Block) {
	s.t.Helper()
	tip, _, ok := s.chain.Tip()
	if !ok || tip != b.BlockHash() {
		s.t.Fatalf("%s: tip %v, want %v", name, tip, b.BlockHash())
	}
}

func (s *ownSim) status(b *sideblock.Block) sideblock.BlockStatus {
	s.t.Helper()
	_, info, err := s.chain.Block(b.BlockHash())
	if err != nil {
		s.t.Fatalf("block %v: %v", b.BlockHash(), err)
	}
	return info.Status
}

func (s *ownSim) mainStateHash() chainhash.Hash {
	s.t.Helper()
	_, h, err := s.db.StateHash(s.height())
	if err != nil {
		s.t.Fatal(err)
	}
	return h
}

// TestOwnClock runs a named tree of own-clock blocks through the chain
// state: admission waits for the main reference, sidechain reorgs happen
// between mainchain blocks, bad references are invalid, and a mainchain
// reorg that removes a reference disconnects the blocks on it.
func TestOwnClock(t *testing.T) {
	s := newOwnSim(t)
	g := s.genesis
	s.wantTip("genesis connects in the first batch", g)

	// b1 names mainchain block 1, which does not exist yet: it waits.
	b1 := s.child(g, 1, mainRef(1, 0), 1)
	s.arrive(b1)
	s.wantTip("b1 waits for its reference", g)
	s.next(nil)
	s.wantTip("b1 admitted with mainchain block 1", b1)

	// b2 connects between mainchain blocks.
	b2 := s.child(b1, 2, mainRef(1, 0), 2)
	s.arrive(b2)
	s.wantTip("b2 connects on arrival", b2)

	// c2 names a reference below its parent's: invalid, and so is c3.
	c2 := s.child(b1, 2, mainRef(0, 0), 3)
	c3 := s.child(c2, 3, mainRef(1, 0), 4)
	c4 := s.child(c3, 4, mainRef(1, 0), 5)
	s.arrive(c2, c3, c4)
	s.wantTip("a longer branch with a bad reference loses", b2)
	if st := s.status(c2); st != sideblock.StatusInvalid {
		t.Fatalf("c2 is %v, want invalid", st)
	}
	if st := s.status(c4); st != sideblock.StatusInvalidAncestor {
		t.Fatalf("c4 is %v, want invalid ancestor", st)
	}
	if _, err := sideblock.CheckMainRef(c2, 1); !sideblock.IsErrorCode(err, sideblock.ErrBadMainRef) {
		t.Fatalf("CheckMainRef(c2) = %v, want ErrBadMainRef", err)
	}

	// A longer branch reorganizes the sidechain without a mainchain
	// block.
	d2 := s.child(b1, 2, mainRef(1, 0), 6)
	d3 := s.child(d2, 3, mainRef(1, 0), 7)
	s.arrive(d3, d2) // out of order: d3 waits for d2 in the same batch
	s.wantTip("longer branch wins between mainchain blocks", d3)

	s.next(nil) // mainchain block 2
	e4 := s.child(d3, 4, mainRef(2, 0), 8)
	s.arrive(e4)
	s.wantTip("e4 on reference 2", e4)
	before := s.mainStateHash()

	// A mainchain reorg replaces block 2: e4's reference is gone and e4
	// is disconnected; d3 (reference 1) stays.
	s.undo()
	s.next(nil) // block 2 of fork 1
	s.wantTip("mainchain reorg disconnects e4", d3)
	if h := s.mainStateHash(); h == before {
		t.Fatal("state hash unchanged after e4 was disconnected")
	}

	// A second node sees the same blocks in another order, and the
	// mainchain only in its final form: the same state.
	o := newOwnSim(t)
	o.next(nil)
	o.fork = 1
	o.arrive(e4, c4, c3, d3)
	o.next(nil)
	o.arrive(c2, d2, b2, b1)
	o.wantTip("second node", d3)
	if a, b := s.mainStateHash(), o.mainStateHash(); a != b {
		t.Fatalf("state hashes differ: %v and %v", a, b)
	}
	if a, b := s.coveredOwnDump(), o.coveredOwnDump(); a != b {
		t.Fatalf("covered state differs:\n%s\nvs\n%s", a, b)
	}
}

// coveredOwnDump is the covered state of an own-clock chain: 0x40 keys
// but the index.
func (s *ownSim) coveredOwnDump() string {
	s.t.Helper()
	out := ""
	for _, p := range [][]byte{{0x40, 'h'}, {0x40, 'T'}, {0x40, 'u'}, {0x40, 'r'}, {0x40, 'w'}, {0x40, 'x'}, {0x40, 'y'}} {
		out += s.dumpPrefixes(p)
	}
	return out
}

// TestOwnClockDeferred: fork choice that the batch budget cuts short on
// an own-clock chain says there is more to do (Arrived), and the next
// amendments finish it without a mainchain block.
func TestOwnClockDeferred(t *testing.T) {
	restore := sideblock.SetBatchBudget(2, 1<<20)
	defer restore()
	s := newOwnSim(t)
	s.next(nil)
	var chain []*sideblock.Block
	parent := s.genesis
	for h := int32(1); h <= 7; h++ {
		b := s.child(parent, h, mainRef(1, 0), uint32(h))
		chain = append(chain, b)
		parent = b
	}
	res := s.arrive(chain...)
	if res == nil || !res.Deferred {
		t.Fatalf("first amendment: %+v, want deferred", res)
	}
	for i := 0; i < 10 && s.chain.Arrived(); i++ {
		if _, err := s.chain.ConnectArrived(); err != nil {
			t.Fatal(err)
		}
	}
	if s.chain.Arrived() {
		t.Fatal("still work to do after 10 amendments")
	}
	s.wantTip("deferred work finished between mainchain blocks", chain[6])
}

// refDeposits has one deposit, due from mainchain height 2 on.
type refDeposits struct{}

func (refDeposits) MaturedBy(_ store.Reader, h int32) (uint64, error) {
	if h >= 2 {
		return 1, nil
	}
	return 0, nil
}

func (refDeposits) DepositAt(store.Reader, uint64) (sideblock.Deposit, error) {
	return sideblock.Deposit{Value: 50_000, PkScript: []byte{txscript.OP_TRUE}}, nil
}

// TestOwnClockMintsAtReference: an own-clock block mints the deposits due
// at its main reference's height, not at its own height.
func TestOwnClockMintsAtReference(t *testing.T) {
	s := newOwnSim(t)
	s.chain.SetDeposits(refDeposits{})
	s.next(nil)
	s.next(nil) // mainchain height 2: the deposit is due there

	// Heights 1 to 3 name mainchain block 1: nothing is due, though
	// their own heights pass 2.
	b1 := s.child(s.genesis, 1, mainRef(1, 0), 1)
	b2 := s.child(b1, 2, mainRef(1, 0), 2)
	b3 := s.child(b2, 3, mainRef(1, 0), 3)
	s.arrive(b1, b2, b3)
	s.wantTip("no mint before the reference reaches height 2", b3)

	// b4 names block 2 and does not mint: invalid.
	bad := s.child(b3, 4, mainRef(2, 0), 4)
	s.arrive(bad)
	s.wantTip("a block that leaves a due deposit unminted", b3)
	if err := s.chain.InvalidReason(bad.BlockHash()); !sideblock.IsErrorCode(err, sideblock.ErrBadMint) {
		t.Fatalf("the unminted deposit: %v, want ErrBadMint", err)
	}

	// b4' names block 2 and mints it.
	good := s.child(b3, 4, mainRef(2, 0), 5)
	mint, err := sideblock.NewMintTx([]sideblock.Deposit{{Seq: 0, Value: 50_000,
		PkScript: []byte{txscript.OP_TRUE}}})
	if err != nil {
		t.Fatal(err)
	}
	good.Transactions = append(good.Transactions, mint)
	good.Header.MerkleRoot = sideblock.CalcBlockMerkleRoot(good.Transactions)
	s.arrive(good)
	s.wantTip("the block that mints at its reference", good)
}

// TestOwnClockStagedDuringBatch stages a body while a batch's transaction
// is open, as a peer's reader does (StageOwnBody, store.DB.UpdateLocal,
// does not wait for batches) while a mainchain block's batch or another
// amendment runs: the batch cannot see the body, but the notice is there
// when it looks. The notice must outlive that batch, or the block is
// never admitted, nor any block above it: a pow follower stalled so at
// height 3 with every later block staged.
func TestOwnClockStagedDuringBatch(t *testing.T) {
	s := newOwnSim(t)
	g := s.genesis
	s.next(nil) // mainchain block 1
	b1 := s.child(g, 1, mainRef(1, 0), 1)
	b2 := s.child(b1, 2, mainRef(1, 0), 2)

	tip, err := s.db.Tip()
	if err != nil {
		t.Fatal(err)
	}
	// The body is committed after the amendment's transaction began
	// (inside apply, standing for another goroutine), and noticed before
	// ConnectStaged takes the notices.
	err = s.db.AmendTip(tip, func(w *store.Writer) error {
		if err := s.chain.StageOwnBody(b1); err != nil {
			return err
		}
		_, err := s.chain.ConnectStaged(w)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.chain.Committed(); err != nil {
		t.Fatal(err)
	}
	s.wantTip("b1 is not visible to the batch that ran", g)
	if !s.chain.Arrived() {
		t.Fatal("the notice of b1 was taken by a batch that could not see its body")
	}
	s.arrive(b2)
	s.wantTip("b1 and b2 admitted by the next amendment", b2)
}

// TestOwnClockStagingRacesBatches stages a branch as a peer's reader
// does, each body followed by ConnectArrived, while mainchain blocks'
// batches run in another goroutine (serialized with the amendments, as the
// node does): the whole branch is connected in the end. Before batches
// left unseen notices alone, a body staged while a batch's transaction
// was open stalled the chain below it, within a few rounds mostly
// (TestOwnClockStagedDuringBatch is the deterministic case).
func TestOwnClockStagingRacesBatches(t *testing.T) {
	for round := 0; round < 30; round++ {
		s := newOwnSim(t)
		s.next(nil)
		blocks := []*sideblock.Block{s.genesis}
		for i := 1; i <= 40; i++ {
			blocks = append(blocks, s.child(blocks[i-1], int32(i), mainRef(1, 0), uint32(i)))
		}
		var mu sync.Mutex // the node's serialization of batches
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 30 {
				mu.Lock()
				s.next(nil)
				mu.Unlock()
			}
		}()
		for _, b := range blocks[1:] {
			if err := s.chain.StageOwnBody(b); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			_, err := s.chain.ConnectArrived()
			mu.Unlock()
			if err != nil {
				t.Fatal(err)
			}
		}
		<-done
		if _, err := s.chain.ConnectArrived(); err != nil {
			t.Fatal(err)
		}
		if tip, h, _ := s.chain.Tip(); tip != blocks[40].BlockHash() {
			t.Fatalf("round %d: the chain stopped at height %d of 40", round, h)
		}
	}
}
