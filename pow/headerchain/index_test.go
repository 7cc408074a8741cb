package headerchain_test

import (
	"errors"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	hc "github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/headerchain/blocktests"
	"github.com/mainstake/sidenode/sideblock"
)

// countingVerifier counts proof-of-work hashes.
type countingVerifier struct {
	calls int
	err   error
}

func (v *countingVerifier) CheckProofOfWork(h *wire.BlockHeader, hash *chainhash.Hash, height int32, target *big.Int) (bool, error) {
	v.calls++
	if v.err != nil {
		return false, v.err
	}
	if *hash != h.BlockHash() {
		return false, errors.New("the index passed another block hash")
	}
	return hc.SHA256d{}.CheckProofOfWork(h, hash, height, target)
}

// child builds a mined block on parent with a tag in its coinbase.
func child(t *testing.T, parent *hc.Block, height int32, tag string) *hc.Block {
	t.Helper()
	cb, err := sideblock.NewCoinbaseTx(height, []byte(tag),
		wire.NewTxOut(0, []byte{txscript.OP_TRUE}))
	if err != nil {
		t.Fatal(err)
	}
	b := &hc.Block{
		Header: wire.BlockHeader{
			Version:   1,
			PrevBlock: parent.BlockHash(),
			Timestamp: parent.Header.Timestamp.Add(blocktests.Spacing),
			Bits:      blocktests.Bits,
		},
		Transactions: []*wire.MsgTx{cb},
	}
	b.Header.MerkleRoot = sideblock.CalcBlockMerkleRoot(b.Transactions)
	mine(&b.Header, false)
	return b
}

func mine(h *wire.BlockHeader, high bool) {
	target := blockchain.CompactToBig(h.Bits)
	for {
		hash := h.BlockHash()
		if (blockchain.HashToBig(&hash).Cmp(target) <= 0) != high {
			return
		}
		h.Nonce++
	}
}

func newIndex(t *testing.T, mod func(*hc.Config)) (*hc.Index, *hc.Block) {
	t.Helper()
	cfg := blocktests.Config()
	if mod != nil {
		mod(&cfg)
	}
	ix, err := hc.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ix, cfg.Genesis
}

func process(t *testing.T, ix *hc.Index, b *hc.Block) hc.Result {
	t.Helper()
	res, err := ix.ProcessBlock(b)
	if err != nil {
		t.Fatalf("block %v: %v", b.BlockHash(), err)
	}
	return res
}

func hashes(ns []*hc.Node) []chainhash.Hash {
	out := make([]chainhash.Hash, len(ns))
	for i, n := range ns {
		out[i] = n.Hash()
	}
	return out
}

func sameHashes(t *testing.T, what string, got []*hc.Node, want ...*hc.Block) {
	t.Helper()
	g := hashes(got)
	if len(g) != len(want) {
		t.Fatalf("%s: %d blocks, want %d", what, len(g), len(want))
	}
	for i := range want {
		if g[i] != want[i].BlockHash() {
			t.Fatalf("%s[%d]: %v, want %v", what, i, g[i], want[i].BlockHash())
		}
	}
}

// TestReorgResult checks the blocks a reorg detaches and attaches.
func TestReorgResult(t *testing.T) {
	ix, g := newIndex(t, nil)
	a1 := child(t, g, 1, "a1")
	a2 := child(t, a1, 2, "a2")
	b2 := child(t, a1, 2, "b2")
	b3 := child(t, b2, 3, "b3")
	process(t, ix, a1)
	res := process(t, ix, a2)
	sameHashes(t, "attach a2", res.Attach, a2)
	if len(res.Detach) != 0 {
		t.Fatal("extending the tip detached blocks")
	}
	process(t, ix, b2) // equal work: the tip depends on the hashes
	ix2, _ := newIndex(t, nil)
	process(t, ix2, a1)
	process(t, ix2, a2)
	process(t, ix2, b2)
	res = process(t, ix2, b3)
	sameHashes(t, "detach", res.Detach, a2)
	sameHashes(t, "attach", res.Attach, b2, b3)
	if ix2.Best().Hash() != b3.BlockHash() {
		t.Fatal("the chain with more work is not the tip")
	}
	want := new(big.Int).Mul(blockchain.CalcWork(blocktests.Bits), big.NewInt(4))
	if ix2.Best().WorkSum().Cmp(want) != 0 {
		t.Fatalf("work %v, want %v", ix2.Best().WorkSum(), want)
	}
}

// TestTieBreakOrderIndependent processes two blocks of equal work in both
// orders: both indexes choose the lower hash.
func TestTieBreakOrderIndependent(t *testing.T) {
	_, g := newIndex(t, nil)
	x := child(t, g, 1, "x")
	y := child(t, g, 1, "y")
	hx, hy := x.BlockHash(), y.BlockHash()
	lower := x
	if blockchain.HashToBig(&hy).Cmp(blockchain.HashToBig(&hx)) < 0 {
		lower = y
	}
	for _, order := range [][]*hc.Block{{x, y}, {y, x}} {
		ix, _ := newIndex(t, nil)
		for _, b := range order {
			process(t, ix, b)
		}
		if ix.Best().Hash() != lower.BlockHash() {
			t.Fatalf("order %v, %v: tip %v, want the lower hash %v",
				order[0].BlockHash(), order[1].BlockHash(),
				ix.Best().Hash(), lower.BlockHash())
		}
	}
}

// TestHeaderChecksCostOneHash checks that a header refused for its bits or
// time costs no proof-of-work hash, that any header costs at most one,
// and that refused headers are not stored.
func TestHeaderChecksCostOneHash(t *testing.T) {
	v := &countingVerifier{}
	ix, g := newIndex(t, func(c *hc.Config) { c.Verifier = v })
	good := child(t, g, 1, "good")

	bad := good.Header
	bad.Bits--
	if _, err := ix.ProcessHeader(&bad); !errors.Is(err, hc.ErrBadBits) {
		t.Fatalf("wrong bits: %v", err)
	}
	old := good.Header
	old.Timestamp = g.Header.Timestamp
	if _, err := ix.ProcessHeader(&old); !errors.Is(err, hc.ErrTimeTooOld) {
		t.Fatalf("old time: %v", err)
	}
	future := good.Header
	future.Timestamp = blocktests.Now.Add(3 * time.Hour)
	if _, err := ix.ProcessHeader(&future); !errors.Is(err, hc.ErrTimeTooNew) {
		t.Fatalf("future time: %v", err)
	}
	if v.calls != 0 {
		t.Fatalf("%d hashes for headers refused before proof of work", v.calls)
	}
	high := good.Header
	mine(&high, true)
	if _, err := ix.ProcessHeader(&high); !errors.Is(err, hc.ErrHighHash) {
		t.Fatalf("high hash: %v", err)
	}
	if v.calls != 1 {
		t.Fatalf("%d hashes for one header", v.calls)
	}
	for _, h := range []*wire.BlockHeader{&bad, &old, &future, &high} {
		if ix.Lookup(h.BlockHash()) != nil {
			t.Fatalf("refused header %v was stored", h.BlockHash())
		}
	}
}

// TestVerifierErrorIsNotARule checks that a verifier that cannot hash
// (an algorithm the build lacks) refuses the header without judging it.
func TestVerifierErrorIsNotARule(t *testing.T) {
	missing := errors.New("randomx: built without cgo")
	v := &countingVerifier{err: missing}
	ix, g := newIndex(t, func(c *hc.Config) { c.Verifier = v })
	b := child(t, g, 1, "b")
	_, err := ix.ProcessBlock(b)
	if !errors.Is(err, missing) {
		t.Fatalf("err %v, want the verifier's", err)
	}
	if _, isRule := hc.ErrorCodeOf(err); isRule {
		t.Fatal("a verifier failure is reported as a rule error")
	}
	if ix.Lookup(b.BlockHash()) != nil {
		t.Fatal("an unverified block was stored")
	}
	v.err = nil
	process(t, ix, b)
}

// TestHeadersFirst adds headers before bodies: the tip moves only when
// the bodies of the whole chain are there, and a header must connect.
func TestHeadersFirst(t *testing.T) {
	ix, g := newIndex(t, nil)
	b1 := child(t, g, 1, "b1")
	b2 := child(t, b1, 2, "b2")
	if _, err := ix.ProcessHeader(&b2.Header); !errors.Is(err, hc.ErrUnknownParent) {
		t.Fatalf("unconnected header: %v", err)
	}
	for _, b := range []*hc.Block{b1, b2} {
		if _, err := ix.ProcessHeader(&b.Header); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ix.ProcessHeader(&b1.Header); !errors.Is(err, hc.ErrDuplicateBlock) {
		t.Fatalf("header again: %v", err)
	}
	res := process(t, ix, b2)
	if res.TipMoved() || ix.Best().Height() != 0 {
		t.Fatal("the tip moved before its parent's body arrived")
	}
	res = process(t, ix, b1)
	sameHashes(t, "attach", res.Attach, b1, b2)
}

// TestTimeTooNewNotRemembered checks that a block refused for its time is
// accepted once the clock has caught up.
func TestTimeTooNewNotRemembered(t *testing.T) {
	now := blocktests.Now
	ix, g := newIndex(t, func(c *hc.Config) {
		c.Now = func() time.Time { return now }
	})
	b := child(t, g, 1, "b")
	b.Header.Timestamp = now.Add(hc.DefaultMaxFutureBlockTime + time.Second)
	mine(&b.Header, false)
	if _, err := ix.ProcessBlock(b); !errors.Is(err, hc.ErrTimeTooNew) {
		t.Fatalf("future block: %v", err)
	}
	now = now.Add(time.Second)
	process(t, ix, b)
}

// TestMedianTimePast checks the median over the last 11 blocks.
func TestMedianTimePast(t *testing.T) {
	ix, g := newIndex(t, nil)
	parent := g
	// Seconds after genesis, out of order but each after the median
	// time past of its parent.
	offsets := []int64{10, 20, 30, 21, 40, 31, 50, 41, 60, 51, 70, 61}
	var last *hc.Node
	for i, off := range offsets {
		b := child(t, parent, int32(i+1), "m")
		b.Header.Timestamp = blocktests.GenesisTime.Add(time.Duration(off) * time.Second)
		mine(&b.Header, false)
		process(t, ix, b)
		parent = b
		last = ix.Lookup(b.BlockHash())
	}
	// The last 11: offsets[1:], sorted: 20 21 30 31 40 41 50 51 60 61 70.
	want := blocktests.GenesisTime.Add(41 * time.Second)
	if got := last.MedianTimePast(); !got.Equal(want) {
		t.Fatalf("median time past %v, want %v", got, want)
	}
}

// TestOrphanPoolBounds fills the pool past its count and byte bounds: the
// oldest orphans leave first.
func TestOrphanPoolBounds(t *testing.T) {
	ix, g := newIndex(t, func(c *hc.Config) {
		c.Params.MaxOrphans = 3
	})
	unseen := child(t, g, 1, "unseen")
	var orphans []*hc.Block
	for i := 0; i < 5; i++ {
		o := child(t, unseen, 2, string(rune('a'+i)))
		orphans = append(orphans, o)
		if res := process(t, ix, o); !res.Orphan {
			t.Fatal("not an orphan")
		}
	}
	if n, _ := ix.OrphanStats(); n != 3 {
		t.Fatalf("%d orphans, want 3", n)
	}
	for i, o := range orphans {
		if ix.IsOrphan(o.BlockHash()) != (i >= 2) {
			t.Fatalf("orphan %d kept=%v", i, ix.IsOrphan(o.BlockHash()))
		}
	}

	// By bytes: room for two.
	size := int(hc.BaseSize(orphans[0]))
	ix, _ = newIndex(t, func(c *hc.Config) {
		c.Params.MaxOrphanBytes = 2*size + size/2
	})
	for _, o := range orphans[:3] {
		process(t, ix, o)
	}
	if n, b := ix.OrphanStats(); n != 2 || b != 2*size {
		t.Fatalf("%d orphans of %d bytes, want 2 of %d", n, b, 2*size)
	}
	if ix.IsOrphan(orphans[0].BlockHash()) {
		t.Fatal("the oldest orphan was kept")
	}

	// The parent arrives: the remaining orphans connect.
	res := process(t, ix, unseen)
	if len(res.Connected) != 2 {
		t.Fatalf("%d orphans connected, want 2", len(res.Connected))
	}
	if n, b := ix.OrphanStats(); n != 0 || b != 0 {
		t.Fatalf("pool holds %d orphans, %d bytes after they connected", n, b)
	}

	// One bigger than the whole pool is refused.
	ix, _ = newIndex(t, func(c *hc.Config) { c.Params.MaxOrphanBytes = size - 1 })
	if _, err := ix.ProcessBlock(orphans[0]); !errors.Is(err, hc.ErrOrphanTooBig) {
		t.Fatalf("oversized orphan: %v", err)
	}
}

// TestInvalidate moves the tip off a block the chain state cannot
// connect, to the best chain that remains.
func TestInvalidate(t *testing.T) {
	ix, g := newIndex(t, nil)
	a1 := child(t, g, 1, "a1")
	a2 := child(t, a1, 2, "a2")
	b1 := child(t, g, 1, "b1")
	for _, b := range []*hc.Block{a1, a2, b1} {
		process(t, ix, b)
	}
	res, err := ix.Invalidate(a1.BlockHash())
	if err != nil {
		t.Fatal(err)
	}
	sameHashes(t, "detach", res.Detach, a2, a1)
	sameHashes(t, "attach", res.Attach, b1)
	if _, err := ix.ProcessBlock(child(t, a2, 3, "a3")); !errors.Is(err, hc.ErrKnownInvalid) {
		t.Fatalf("child of an invalidated block: %v", err)
	}
	if _, err := ix.Invalidate(g.BlockHash()); err == nil {
		t.Fatal("the genesis block was invalidated")
	}
}

// TestBadBodyWrapsSideblockCode checks that sideblock's code is visible
// through ErrBadBody, and that a body-only failure does not condemn the
// header.
func TestBadBodyWrapsSideblockCode(t *testing.T) {
	ix, g := newIndex(t, nil)
	b := child(t, g, 1, "b")
	dup := *b
	dup.Transactions = []*wire.MsgTx{b.Transactions[0], b.Transactions[0]}
	// [cb, cb] has its own root; put it in the header and mine again.
	dup.Header.MerkleRoot = sideblock.CalcBlockMerkleRoot(dup.Transactions)
	mine(&dup.Header, false)
	_, err := ix.ProcessBlock(&dup)
	if !errors.Is(err, hc.ErrBadBody) || !errors.Is(err, sideblock.ErrDuplicateTx) {
		t.Fatalf("duplicate transactions: %v", err)
	}
	if ix.Lookup(dup.BlockHash()) != nil {
		t.Fatal("a body-only failure condemned the header")
	}
	process(t, ix, b)
}

// TestWeightSaturates checks that the weight formula cannot wrap.
func TestWeightSaturates(t *testing.T) {
	cases := []struct {
		size, sigs, want uint64
	}{
		{1_000_000, 0, 4_000_000},
		{999_904, 1, 4_000_000},
		{0, math.MaxUint64, math.MaxUint64},
		{math.MaxUint64, 0, math.MaxUint64},
		{math.MaxUint64 / 4, 1, math.MaxUint64},
		{math.MaxUint64/4 - 96, 1, (math.MaxUint64/4-96)*4 + 384},
		{math.MaxUint64 / 4, math.MaxUint64 / 384, math.MaxUint64},
	}
	for _, c := range cases {
		if got := hc.Weight(c.size, c.sigs); got != c.want {
			t.Errorf("Weight(%d, %d) = %d, want %d", c.size, c.sigs, got, c.want)
		}
	}
}

// TestErrorCodeStrings checks that every code has a name.
func TestErrorCodeStrings(t *testing.T) {
	for c := hc.ErrDuplicateBlock; c <= hc.ErrColdBranch; c++ {
		if s := c.String(); len(s) < 4 || s[:3] != "Err" {
			t.Errorf("code %d has no name: %q", int(c), s)
		}
	}
}
