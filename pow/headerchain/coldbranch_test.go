package headerchain_test

import (
	"errors"
	"fmt"
	"math/big"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	hc "github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/powhash"
)

// keyedVerifier models RandomX's keys: the key of height h is the block at
// keyHeight(h) on the header's own branch, found through the index as
// powhash.Front finds it, and the verifier keeps the caches of the last
// two keys it used. Hashing under another key builds its cache first. It
// is both the Verifier and the Readiness.
type keyedVerifier struct {
	ix *hc.Index

	mu     sync.Mutex
	cached []chainhash.Hash
	builds int
	hashes int
}

// keyHeight rotates the key every 4 blocks.
func keyHeight(h int32) int32 { return (h - 1) / 4 * 4 }

func (v *keyedVerifier) key(h *wire.BlockHeader, height int32) (chainhash.Hash, error) {
	return v.ix.AncestorID(h.PrevBlock, keyHeight(height))
}

func (v *keyedVerifier) Ready(h *wire.BlockHeader, height int32) (bool, error) {
	key, err := v.key(h, height)
	if err != nil {
		return false, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, k := range v.cached {
		if k == key {
			return true, nil
		}
	}
	return false, nil
}

func (v *keyedVerifier) CheckProofOfWork(h *wire.BlockHeader, hash *chainhash.Hash, height int32, target *big.Int) (bool, error) {
	ready, err := v.Ready(h, height)
	if err != nil {
		return false, err
	}
	key, _ := v.key(h, height)
	v.mu.Lock()
	if !ready {
		v.builds++
		v.cached = append(v.cached, key)
		if len(v.cached) > 2 {
			v.cached = v.cached[1:]
		}
	}
	v.hashes++
	v.mu.Unlock()
	return hc.SHA256d{}.CheckProofOfWork(h, hash, height, target)
}

func (v *keyedVerifier) counts() (builds, hashes int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	b, h := v.builds, v.hashes
	v.builds, v.hashes = 0, 0
	return b, h
}

// chainOf mines n blocks on parent, the first at height from.
func chainOf(t *testing.T, parent *hc.Block, from int32, n int, tag string) []*hc.Block {
	t.Helper()
	out := make([]*hc.Block, n)
	for i := range out {
		parent = child(t, parent, from+int32(i), fmt.Sprintf("%s%d", tag, i))
		out[i] = parent
	}
	return out
}

func headersOf(blocks []*hc.Block) []wire.BlockHeader {
	out := make([]wire.BlockHeader, len(blocks))
	for i, b := range blocks {
		out[i] = b.Header
	}
	return out
}

// TestColdBranch checks the bound on cache builds: a flood of headers
// forking below the oldest kept key costs no build and no hash, nor is
// remembered; a branch within the margin of the best header chain costs
// its build; and a ProcessHeaders batch vouches for its own branch.
func TestColdBranch(t *testing.T) {
	v := &keyedVerifier{}
	ix, g := newIndex(t, func(c *hc.Config) { c.Verifier = v })
	v.ix = ix
	main := chainOf(t, g, 1, 20, "m") // main[i] is at height i+1
	if n, err := ix.ProcessHeaders(headersOf(main)); err != nil || n != 20 {
		t.Fatalf("main chain: %d headers, %v", n, err)
	}
	if builds, _ := v.counts(); builds != 5 {
		t.Fatalf("%d builds for the main chain's 5 keys", builds)
	}

	// The flood: children of the block at height 2, keyed by the
	// genesis block, whose cache is long gone.
	m2 := main[1]
	for i := 0; i < 50; i++ {
		f := child(t, m2, 3, fmt.Sprintf("flood%d", i))
		_, err := ix.ProcessHeader(&f.Header)
		if !errors.Is(err, hc.ErrColdBranch) {
			t.Fatalf("flood header %d: %v", i, err)
		}
		if ix.Lookup(f.BlockHash()) != nil {
			t.Fatal("a cold header was stored")
		}
		if i == 0 {
			// A whole block is refused the same way.
			if _, err := ix.ProcessBlock(f); !errors.Is(err, hc.ErrColdBranch) {
				t.Fatalf("cold block: %v", err)
			}
		}
	}
	if builds, hashes := v.counts(); builds != 0 || hashes != 0 {
		t.Fatalf("the flood cost %d builds and %d hashes", builds, hashes)
	}

	// A branch forking at height 15: its block at 17 is keyed by its
	// own block at 16, which is not cached, but with it the branch has
	// 18 blocks' work, within 6 of the best header chain's 21.
	x := chainOf(t, main[14], 16, 2, "x")
	if n, err := ix.ProcessHeader(&x[0].Header); err != nil {
		t.Fatal(n, err)
	}
	if _, err := ix.ProcessHeader(&x[1].Header); err != nil {
		t.Fatalf("close branch: %v", err)
	}
	if builds, _ := v.counts(); builds != 1 {
		t.Fatalf("close branch: %d builds, want 1", builds)
	}

	// A heavier branch forking at height 2 is refused header by header,
	// not remembered, and taken in one batch that carries its work.
	y := chainOf(t, m2, 3, 25, "y")
	if _, err := ix.ProcessHeader(&y[0].Header); !errors.Is(err, hc.ErrColdBranch) {
		t.Fatalf("first header of the heavier branch alone: %v", err)
	}
	if n, err := ix.ProcessHeaders(headersOf(y[:10])); !errors.Is(err, hc.ErrColdBranch) || n != 0 {
		t.Fatalf("a batch short of the best chain's work: %d, %v", n, err)
	}
	if n, err := ix.ProcessHeaders(headersOf(y)); err != nil || n != len(y) {
		t.Fatalf("heavier branch in one batch: %d headers, %v", n, err)
	}
	if ix.BestHeader().Hash() != y[24].BlockHash() {
		t.Fatal("the heavier branch is not the best header chain")
	}
	v.counts()

	// A batch that claims work it lacks buys one build: its first
	// header fails its proof of work after it.
	z0 := child(t, m2, 3, "z")
	mine(&z0.Header, true)
	z := append([]*hc.Block{z0}, chainOf(t, z0, 4, 39, "z")...)
	n, err := ix.ProcessHeaders(headersOf(z))
	if !errors.Is(err, hc.ErrHighHash) || n != 0 {
		t.Fatalf("forged batch: %d, %v", n, err)
	}
	if builds, hashes := v.counts(); builds != 1 || hashes != 1 {
		t.Fatalf("forged batch: %d builds, %d hashes, want 1 and 1", builds, hashes)
	}
}

// TestColdBranchMargin checks Params.ColdBranchBlocks: a negative value
// leaves no margin, and Config.Readiness takes precedence over the
// verifier's.
func TestColdBranchMargin(t *testing.T) {
	v := &keyedVerifier{}
	never := readinessFunc(func(*wire.BlockHeader, int32) (bool, error) { return false, nil })
	ix, g := newIndex(t, func(c *hc.Config) {
		c.Verifier = v
		c.Readiness = never
		c.Params.ColdBranchBlocks = -1
	})
	v.ix = ix
	main := chainOf(t, g, 1, 3, "m")
	if _, err := ix.ProcessHeaders(headersOf(main)); err != nil {
		t.Fatal(err)
	}
	// A sibling of the tip has as much work as it: verified.
	sib := child(t, main[1], 3, "sib")
	if _, err := ix.ProcessHeader(&sib.Header); err != nil {
		t.Fatalf("sibling of the tip: %v", err)
	}
	// One block lower it lacks a block's work.
	low := child(t, main[0], 2, "low")
	if _, err := ix.ProcessHeader(&low.Header); !errors.Is(err, hc.ErrColdBranch) {
		t.Fatalf("one block short without margin: %v", err)
	}
}

type readinessFunc func(*wire.BlockHeader, int32) (bool, error)

func (f readinessFunc) Ready(h *wire.BlockHeader, height int32) (bool, error) {
	return f(h, height)
}

// powhash.Front is the Readiness the node gives the index.
var _ hc.Readiness = (*powhash.Front)(nil)
