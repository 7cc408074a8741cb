package powparams_test

import (
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/asert"
	hc "github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/powparams"
	"github.com/mainstake/sidenode/sideblock"
)

// anyWork accepts every proof of work, so that the tests need not mine.
type anyWork struct{}

func (anyWork) CheckProofOfWork(*wire.BlockHeader, *chainhash.Hash, int32, *big.Int) (bool, error) {
	return true, nil
}

func newIndex(t testing.TB, p *chainparams.Params) (*hc.Index, *powparams.Difficulty, *hc.Block) {
	t.Helper()
	d, err := powparams.New(p.Pow)
	if err != nil {
		t.Fatal(err)
	}
	g, err := powparams.Genesis(p)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := hc.New(hc.Config{
		Params:     powparams.IndexParams(p.Pow),
		Chain:      p,
		Genesis:    g,
		Difficulty: d,
		Verifier:   anyWork{},
		Now:        func() time.Time { return time.Unix(1<<40, 0) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return ix, d, g
}

// expected computes the bits of the block at height h on a chain whose
// timestamps are times (times[i] is block i's), independently of the
// adapter: the era's initial bits at its first block, else asert from the
// era's anchor with the parent time read from the chain.
func expected(t testing.TB, p *chainparams.PowParams, times []int64, h int32) uint32 {
	t.Helper()
	era, _ := p.EraAt(h)
	if h == era.FromHeight {
		return era.Bits
	}
	pt := era.AnchorParentTime
	if pt == 0 {
		pt = times[era.FromHeight-1]
	}
	bits, err := asert.NextTarget(asert.Anchor{Height: uint64(era.FromHeight), ParentTime: pt, Bits: era.Bits},
		&asert.Params{HalfLife: era.HalfLife, IdealBlockTime: era.IdealBlockTime, PowLimit: era.PowLimit},
		uint64(h-1), times[h-1])
	if err != nil {
		t.Fatal(err)
	}
	return bits
}

// extend adds headers on top of tip up to height top, block i at times[i],
// each with the bits expected; it returns the new tip.
func extend(t testing.TB, ix *hc.Index, p *chainparams.PowParams, tip *hc.Node, times []int64, top int32, nonce uint32) *hc.Node {
	t.Helper()
	for h := tip.Height() + 1; h <= top; h++ {
		hdr := wire.BlockHeader{
			Version:   1,
			PrevBlock: tip.Hash(),
			Timestamp: time.Unix(times[h], 0),
			Bits:      expected(t, p, times, h),
			Nonce:     nonce,
		}
		n, err := ix.ProcessHeader(&hdr)
		if err != nil {
			t.Fatalf("height %d: %v", h, err)
		}
		tip = n
	}
	return tip
}

// TestDifficultyAcrossSwitches mines headers through powswitchtest's
// eras — SHA-256d re-anchored at 2, RandomX at 20, Ethash at 40 — ahead of
// schedule, so that each switch's initial bits differ from what the
// previous era's schedule would ask; and a fork whose block before the
// RandomX switch has another time, so that its anchor differs.
func TestDifficultyAcrossSwitches(t *testing.T) {
	p := &chainparams.PowSwitchtest
	ix, d, g := newIndex(t, p)
	times := make([]int64, 50)
	times[0] = g.Header.Timestamp.Unix()
	for i := 1; i < len(times); i++ {
		times[i] = times[i-1] + 1 // twice as fast as the 2 s ideal
	}
	genesis := ix.Best()
	tip := extend(t, ix, p.Pow, genesis, times, 45, 0)

	// The switches carry the initial bits, which the previous era's
	// schedule would not have required.
	node19 := tip.Ancestor(19)
	prevEra, _ := p.Pow.EraAt(19)
	cont, err := asert.NextTarget(asert.Anchor{Height: 2, ParentTime: times[1], Bits: prevEra.Bits},
		&asert.Params{HalfLife: prevEra.HalfLife, IdealBlockTime: prevEra.IdealBlockTime, PowLimit: prevEra.PowLimit},
		19, times[19])
	if err != nil {
		t.Fatal(err)
	}
	if got := tip.Ancestor(20).Bits(); got != 0x207fffff || cont == got {
		t.Fatalf("switch bits %08x, previous schedule %08x", got, cont)
	}
	if tip.Ancestor(21).Bits() == tip.Ancestor(20).Bits() {
		t.Fatal("schedule after the switch did not move")
	}

	// Wrong bits are ErrBadBits, from the index and from CheckBits, at a
	// switch and inside an era.
	for _, parent := range []*hc.Node{node19, tip.Ancestor(25), tip.Ancestor(39), tip.Ancestor(1)} {
		want, err := d.NextBits(parent)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.CheckBits(parent, want); err != nil {
			t.Fatalf("height %d: right bits refused: %v", parent.Height()+1, err)
		}
		bad := want - 1
		err = d.CheckBits(parent, bad)
		if code, ok := hc.ErrorCodeOf(err); !ok || code != hc.ErrBadBits {
			t.Fatalf("height %d: CheckBits %v", parent.Height()+1, err)
		}
		if era, _ := p.Pow.EraAt(parent.Height() + 1); era.FromHeight != parent.Height()+1 &&
			!errors.Is(err, asert.ErrBadDifficulty) {
			t.Fatalf("height %d: asert's code not wrapped: %v", parent.Height()+1, err)
		}
		hdr := wire.BlockHeader{Version: 1, PrevBlock: parent.Hash(),
			Timestamp: time.Unix(times[parent.Height()+1], 0), Bits: bad, Nonce: 7}
		if _, err := ix.ProcessHeader(&hdr); !errors.Is(err, hc.ErrBadBits) {
			t.Fatalf("height %d: index %v", parent.Height()+1, err)
		}
	}

	// A fork from 18 whose block 19 is 30 s later (the others keep their
	// times): the RandomX era's
	// anchor parent time on it is that block's, not the first chain's.
	fork := append([]int64(nil), times...)
	fork[19] += 30
	ftip := extend(t, ix, p.Pow, tip.Ancestor(18), fork, 30, 1)
	if ftip.Ancestor(25).Bits() == tip.Ancestor(25).Bits() {
		t.Fatal("fork has the same bits: its anchor was not its own")
	}
	// And the first chain still extends with its own anchor.
	extend(t, ix, p.Pow, tip, times, 49, 0)
}

// TestGenesis checks the genesis block against sideblock: its merkle root
// is the §6 commitment and its coinbase claims height 0.
func TestGenesis(t *testing.T) {
	for _, p := range []*chainparams.Params{&chainparams.PowRegtest, &chainparams.PowSwitchtest} {
		g, err := powparams.Genesis(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := sideblock.CalcBlockMerkleRoot(g.Transactions); got != g.Header.MerkleRoot {
			t.Fatalf("%s: merkle root %v, sideblock says %v", p.Name, g.Header.MerkleRoot, got)
		}
		if h, err := sideblock.ExtractCoinbaseHeight(g.Transactions[0]); err != nil || h != 0 {
			t.Fatalf("%s: coinbase height %d %v", p.Name, h, err)
		}
		id, err := p.GenesisID()
		if err != nil || id != g.BlockHash() {
			t.Fatalf("%s: genesis id %v, block %v", p.Name, id, g.BlockHash())
		}
	}
	if _, err := powparams.Genesis(&chainparams.Regtest); err == nil {
		t.Fatal("a mainstake network has a pow genesis")
	}
	if _, err := powparams.New(nil); err == nil {
		t.Fatal("New(nil)")
	}
}
