package notarize

import (
	"encoding/binary"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// tree is a random block tree: block 0 is the genesis block, every other
// block has a parent of a lower index.
type tree struct {
	parent []int
	height []int32
}

// randomTree returns a tree of n blocks; each block's parent is one of the
// last few blocks, so that branches grow long enough to fork deep.
func randomTree(r *rand.Rand, n int) *tree {
	t := &tree{parent: []int{-1}, height: []int32{0}}
	for i := 1; i < n; i++ {
		lo := i - 6
		if lo < 0 {
			lo = 0
		}
		p := lo + r.Intn(i-lo)
		t.parent = append(t.parent, p)
		t.height = append(t.height, t.height[p]+1)
	}
	return t
}

func nodeHash(i int) chainhash.Hash {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(i))
	return chainhash.HashH(b[:])
}

// chain returns the chain from the genesis block to tip.
func (t *tree) chain(tip int) sliceChain {
	c := make(sliceChain, t.height[tip]+1)
	for b := tip; b >= 0; b = t.parent[b] {
		c[t.height[b]] = nodeHash(b)
	}
	return c
}

// holds reports whether the chain to tip holds block b.
func (t *tree) holds(tip, b int) bool {
	for ; tip >= 0 && t.height[tip] >= t.height[b]; tip = t.parent[tip] {
		if tip == b {
			return true
		}
	}
	return false
}

// forkHeight is the height of the last block the chains to a and b share.
func (t *tree) forkHeight(a, b int) int32 {
	for a != b {
		if t.height[a] >= t.height[b] {
			a = t.parent[a]
		} else {
			b = t.parent[b]
		}
	}
	return t.height[a]
}

// TestCheckReorgProperty checks, on random trees, that from a chain that
// holds the notarized block a switch is refused exactly when the new chain
// does not hold it (the switch would replace the notarized block or an
// ancestor); and that from a chain below the notarized height a switch is
// refused exactly when the new chain reaches that height without the
// notarized block.
func TestCheckReorgProperty(t *testing.T) {
	r := rand.New(rand.NewSource(17))
	checked := [2][2]int{}
	for trial := 0; trial < 300; trial++ {
		tr := randomTree(r, 2+r.Intn(60))
		n := len(tr.parent)
		for k := 0; k < 40; k++ {
			nb, old, tip := r.Intn(n), r.Intn(n), r.Intn(n)
			h := tr.height[nb]
			last := &Notarization{Height: h, Block: nodeHash(nb)}
			oldHolds := tr.holds(old, nb)
			if !oldHolds && tr.height[old] >= h {
				continue // no chain the guard let through
			}
			err := CheckReorg(tr.forkHeight(old, tip), tr.height[old],
				tr.chain(tip), last)
			var want bool
			if oldHolds {
				want = !tr.holds(tip, nb)
			} else {
				want = tr.height[tip] >= h && !tr.holds(tip, nb)
			}
			refused := err != nil
			if refused != want {
				t.Fatalf("trial %d: notarized %d (h %d), old %d (h %d, "+
					"holds %v), new %d (h %d): err %v, want refused %v",
					trial, nb, h, old, tr.height[old], oldHolds, tip,
					tr.height[tip], err, want)
			}
			if refused && !IsErrorCode(err, ErrReorgBelowNotarized) &&
				!IsErrorCode(err, ErrReorgConflictsNotarized) {
				t.Fatalf("code of %v", err)
			}
			b2i := map[bool]int{false: 0, true: 1}
			checked[b2i[oldHolds]][b2i[refused]]++
		}
	}
	for i, row := range checked {
		for j, v := range row {
			if v == 0 {
				t.Errorf("no trial with old chain holding %v, refused %v", i == 1, j == 1)
			}
		}
	}
}

// TestCheckReorgKeepsNotarized walks a node through random switches that
// the guard decides, and checks that once it reaches the notarized height
// its chain always holds the notarized block, however the branches grow.
func TestCheckReorgKeepsNotarized(t *testing.T) {
	r := rand.New(rand.NewSource(18))
	for trial := 0; trial < 200; trial++ {
		tr := randomTree(r, 80)
		n := len(tr.parent)
		nb := r.Intn(n)
		last := &Notarization{Height: tr.height[nb], Block: nodeHash(nb)}
		cur := nb
		for step := 0; step < 60; step++ {
			next := r.Intn(n)
			err := CheckReorg(tr.forkHeight(cur, next), tr.height[cur],
				tr.chain(next), last)
			if err == nil {
				cur = next
			}
			if tr.height[cur] >= last.Height && !tr.holds(cur, nb) {
				t.Fatalf("trial %d: the chain to %d lost notarized %d",
					trial, cur, nb)
			}
		}
	}
}

// guardCases are named switches on a fixed chain: the current chain is
// branch 0 up to height 30, notarized at height 20.
var guardCases = []struct {
	name     string
	fork     int32
	oldTip   int32
	newChain sliceChain
	last     bool
	code     ErrorCode
	accept   bool
}{
	{name: "no notarization yet: any switch", fork: 3, oldTip: 30,
		newChain: branch(3, 40), last: false, accept: true},
	{name: "extension of the notarized chain", fork: 30, oldTip: 30,
		newChain: testChain(31), last: true, accept: true},
	{name: "reorg above the notarized height", fork: 21, oldTip: 30,
		newChain: branch(21, 35), last: true, accept: true},
	{name: "reorg at the notarized block", fork: 20, oldTip: 30,
		newChain: branch(20, 200), last: true, accept: true},
	{name: "reorg from just below the notarized height", fork: 19, oldTip: 30,
		newChain: branch(19, 1000), last: true, code: ErrReorgBelowNotarized},
	{name: "reorg from genesis", fork: 0, oldTip: 30,
		newChain: branch(0, 5000), last: true, code: ErrReorgBelowNotarized},
	{name: "rewind below the notarized height", fork: 15, oldTip: 30,
		newChain: testChain(15), last: true, code: ErrReorgBelowNotarized},
	{name: "chain below the notarized height grows into another block", fork: 18, oldTip: 18,
		newChain: branch(18, 25), last: true, code: ErrReorgConflictsNotarized},
	{name: "chain below the notarized height grows into the notarized block", fork: 18, oldTip: 18,
		newChain: testChain(25), last: true, accept: true},
	{name: "reorg below the notarized height while below it", fork: 10, oldTip: 18,
		newChain: branch(10, 19), last: true, accept: true},
}

// branch returns a chain that follows branch 0 up to fork and branch 1
// above it, up to tip.
func branch(fork, tip int32) sliceChain {
	c := testChain(tip)
	for h := fork + 1; h <= tip; h++ {
		c[h] = blockHash(1, h)
	}
	return c
}

// TestCheckReorg runs guardCases.
func TestCheckReorg(t *testing.T) {
	for _, tc := range guardCases {
		var last *Notarization
		if tc.last {
			last = &Notarization{Height: 20, Block: blockHash(0, 20)}
		}
		err := CheckReorg(tc.fork, tc.oldTip, tc.newChain, last)
		if tc.accept && err != nil {
			t.Errorf("%s: refused: %v", tc.name, err)
		}
		if !tc.accept && !IsErrorCode(err, tc.code) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.code)
		}
	}
}
