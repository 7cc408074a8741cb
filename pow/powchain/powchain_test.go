package powchain_test

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/miner"
	"github.com/mainstake/sidenode/pow/powchain"
	"github.com/mainstake/sidenode/pow/randomx"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// node is a pow chain over a store that a test drives with synthetic
// mainchain blocks, one batch each, as the node does.
type node struct {
	params *chainparams.Params
	t      testing.TB
	dir    string
	db     *store.DB
	pc     *powchain.Chain
	hashes []chainhash.Hash
	fork   int
	clock  time.Time
	mem    bool // the store is in memory (store.Options.InMemory)

	rx randomx.Schedule // powchain.Config.RandomXSchedule
}

func storeOptions(p *chainparams.Params) store.Options {
	return store.Options{
		Genesis:      *p.Main.GenesisHash,
		Network:      p.Name,
		Engine:       p.Engine.String(),
		EngineDigest: p.EngineDigest(),
		LocalPrefixes: append(sideblock.OwnClockLocalPrefixes(),
			[]byte{sideblock.StagingKeyByte}),
	}
}

func newNode(t testing.TB) *node {
	return newNodeOn(t, &chainparams.PowRegtest)
}

func newNodeOn(t testing.TB, p *chainparams.Params) *node {
	t.Helper()
	n := &node{params: p, t: t, dir: t.TempDir(), clock: time.Unix(p.Pow.GenesisTime, 0)}
	n.open()
	n.mainBlock()
	return n
}

func (n *node) open() {
	n.t.Helper()
	opts := storeOptions(n.params)
	if n.mem {
		opts.InMemory, opts.MemTableSize = true, 4<<20
	}
	db, err := store.Open(n.dir, opts)
	if err != nil {
		n.t.Fatal(err)
	}
	pc, err := powchain.New(powchain.Config{Params: n.params, DB: db,
		Now: func() time.Time { return n.clock }, RandomXSchedule: n.rx})
	if err != nil {
		n.t.Fatal(err)
	}
	if err := pc.Restore(); err != nil {
		n.t.Fatal(err)
	}
	pc.SetConnector(func() {
		if _, err := pc.Side().ConnectArrived(); err != nil {
			n.t.Errorf("connect arrived: %v", err)
		}
	})
	n.db, n.pc = db, pc
	n.t.Cleanup(func() { db.Close() })
}

func (n *node) close() {
	if err := n.db.Close(); err != nil {
		n.t.Fatal(err)
	}
}

func mainHash(h int32, fork int) chainhash.Hash {
	if h == 0 {
		return *chainparams.Regtest.Main.GenesisHash
	}
	return chainhash.DoubleHashH([]byte(fmt.Sprintf("main/%d/%d", h, fork)))
}

// mainBlock connects the next mainchain block.
func (n *node) mainBlock() {
	n.t.Helper()
	h := int32(len(n.hashes))
	hash := mainHash(h, n.fork)
	var prev chainhash.Hash
	if h > 0 {
		prev = n.hashes[h-1]
	}
	side := n.pc.Side()
	err := n.db.ConnectBlock(store.BlockID{Height: h, Hash: hash}, prev, func(w *store.Writer) error {
		_, err := side.ConnectMainBlock(w, h, nil)
		return err
	})
	if err != nil {
		n.t.Fatal(err)
	}
	if err := side.Committed(); err != nil {
		n.t.Fatal(err)
	}
	n.hashes = append(n.hashes, hash)
}

// undo disconnects the mainchain tip.
func (n *node) undo() {
	n.t.Helper()
	h := int32(len(n.hashes)) - 1
	if _, err := n.db.DisconnectBlock(store.BlockID{Height: h, Hash: n.hashes[h]}); err != nil {
		n.t.Fatal(err)
	}
	if err := n.pc.Side().DisconnectMainBlock(h); err != nil {
		n.t.Fatal(err)
	}
	n.hashes = n.hashes[:h]
	n.fork++
}

var payout = []byte{txscript.OP_TRUE}

// mine builds a template, solves it and returns the block (not accepted).
func (n *node) mine() *headerchain.Block {
	n.t.Helper()
	n.clock = n.clock.Add(2 * time.Second)
	tmpl, err := n.pc.BlockTemplate(payout)
	if err != nil {
		n.t.Fatal(err)
	}
	return solve(n.t, tmpl)
}

func solve(t testing.TB, tmpl *miner.Template) *headerchain.Block {
	t.Helper()
	cb := tmpl.Coinbase.Copy()
	b := &headerchain.Block{Header: tmpl.Header, Transactions: append([]*wire.MsgTx{cb}, tmpl.Transactions...)}
	b.Header.MerkleRoot = sideblock.CalcBlockMerkleRoot(b.Transactions)
	target := blockchain.CompactToBig(b.Header.Bits)
	for nonce := uint32(0); nonce < math.MaxUint32; nonce++ {
		b.Header.Nonce = nonce
		h := b.Header.BlockHash()
		if blockchain.HashToBig(&h).Cmp(target) <= 0 {
			return b
		}
	}
	t.Fatal("no nonce")
	return nil
}

func (n *node) accept(bs ...*headerchain.Block) {
	n.t.Helper()
	for _, b := range bs {
		if _, err := n.pc.AcceptBlock(b); err != nil {
			n.t.Fatalf("accept %v: %v", b.BlockHash(), err)
		}
	}
}

func (n *node) tip() (chainhash.Hash, int32) {
	h, height, _ := n.pc.Side().Tip()
	return h, height
}

func (n *node) stateHash() chainhash.Hash {
	n.t.Helper()
	_, h, err := n.db.StateHash(int32(len(n.hashes)) - 1)
	if err != nil {
		n.t.Fatal(err)
	}
	return h
}

// TestTwoNodes mines on one node and hands the blocks to another in
// reverse order: both hold the same tip and state hash; a mainchain reorg
// that removes the newest blocks' reference disconnects them on both; and
// a node restarted from its store agrees.
func TestTwoNodes(t *testing.T) {
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
		if i == 4 {
			a.mainBlock() // later blocks name mainchain block 3
			b.mainBlock()
		}
	}
	for i := len(blocks) - 1; i >= 0; i-- {
		b.accept(blocks[i])
	}
	ta, ha := a.tip()
	tb, hb := b.tip()
	if ta != tb || ha != 8 || hb != 8 {
		t.Fatalf("tips %v@%d and %v@%d, want the same at 8", ta, ha, tb, hb)
	}
	if a.stateHash() != b.stateHash() {
		t.Fatal("state hashes differ")
	}

	// The coinbase names the reference MainRefDepth below the tip.
	ref, err := sideblock.ExtractMainRef(blocks[7].Transactions[0])
	if err != nil || ref.Height != 3 || ref.Hash != mainHash(3, 0) {
		t.Fatalf("last block's reference %v (%v), want 3:%v", ref, err, mainHash(3, 0))
	}

	// Mainchain block 4 and 3 undone, replaced: blocks 6..8 (reference
	// 3) leave; blocks 1..5 (reference 2) stay.
	for _, n := range []*node{a, b} {
		n.undo()
		n.undo()
		n.mainBlock()
		n.mainBlock()
	}
	if _, h := a.tip(); h != 5 {
		t.Fatalf("after the mainchain reorg the tip is at %d, want 5", h)
	}
	if a.stateHash() != b.stateHash() {
		t.Fatal("state hashes differ after the reorg")
	}

	// A restart of b from its store.
	b.close()
	b.open()
	b.mainBlock()
	a.mainBlock()
	if a.stateHash() != b.stateHash() {
		t.Fatal("state hashes after the restart")
	}
	next := a.mine()
	a.accept(next)
	b.accept(next)
	if ta, _ := a.tip(); ta != next.BlockHash() {
		t.Fatalf("a's tip %v, want the new block", ta)
	}
	if tb, _ := b.tip(); tb != next.BlockHash() {
		t.Fatalf("b's tip after its restart %v, want the new block", tb)
	}
	if a.stateHash() != b.stateHash() {
		t.Fatal("state hashes differ after the restart")
	}
}

// TestTemplateChanged: a new tip changes the template at once; mempool
// growth changes it at once after a quiet mempoolSignalEvery, and
// otherwise once when that time is up, for every transaction that came
// meanwhile.
func TestTemplateChanged(t *testing.T) {
	n := newNode(t)
	ch := n.pc.TemplateChanged()
	n.pc.TipMoved()
	select {
	case <-ch:
	default:
		t.Fatal("a new tip did not change the template")
	}
	n.clock = n.clock.Add(time.Hour) // the clock the chain reads
	ch = n.pc.TemplateChanged()
	n.pc.MempoolGrew()
	select {
	case <-ch:
	default:
		t.Fatal("the first new transaction did not change the template")
	}
	ch = n.pc.TemplateChanged()
	n.pc.MempoolGrew() // within mempoolSignalEvery: later, once
	n.pc.MempoolGrew()
	select {
	case <-ch:
		t.Fatal("a second change within the second came at once")
	default:
	}
	<-ch // the trailing change comes (the test's deadline bounds it)
	select {
	case <-n.pc.TemplateChanged():
		t.Fatal("more than one trailing change")
	default:
	}
}

// TestTemplateAheadOfClock: blocks that came faster than their times
// advance leave the earliest time of the next one (one second past the
// median time past) more than the future-time limit past the clock; no
// template is given then (a block on it would be refused as too new, and
// the CPU miner would find and lose the same block over and over), until
// the clock catches up.
func TestTemplateAheadOfClock(t *testing.T) {
	n := newNode(t)
	n.mainBlock()
	n.mainBlock()
	for i := 0; i < 12; i++ {
		n.accept(n.mine())
	}
	// The clock goes back: the chain is now ahead of it.
	last, _ := n.tip()
	mtp := n.pc.Index().Lookup(last).MedianTimePast()
	maxFuture := n.params.Pow.MaxFutureBlockTime
	n.clock = mtp.Add(time.Second).Add(-maxFuture).Add(-time.Second)
	_, err := n.pc.BlockTemplate(payout)
	var ahead *powchain.AheadOfClockError
	if !errors.As(err, &ahead) {
		t.Fatalf("template %v ahead of the clock; want an AheadOfClockError", err)
	}
	if !ahead.MinTime.Equal(mtp.Add(time.Second)) || !ahead.Clock.Equal(n.clock) ||
		ahead.MaxFuture != maxFuture {
		t.Fatalf("error %+v", ahead)
	}
	// One second later the earliest time is within the limit, and the
	// block mined on the template is taken.
	n.clock = n.clock.Add(time.Second)
	tmpl, err := n.pc.BlockTemplate(payout)
	if err != nil {
		t.Fatal(err)
	}
	n.accept(solve(t, tmpl))
}
