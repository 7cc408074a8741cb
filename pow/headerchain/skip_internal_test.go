package headerchain

import (
	"math/rand"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// naiveAncestor walks parent pointers one by one.
func naiveAncestor(n *Node, h int32) *Node {
	if h < 0 || h > n.height {
		return nil
	}
	for n.height > h {
		n = n.parent
	}
	return n
}

// testNode makes a child of parent (nil: a genesis) without any check.
func testNode(parent *Node, seq int) *Node {
	h := wire.BlockHeader{
		Version:   int32(seq),
		Timestamp: time.Unix(1_700_000_000+int64(seq)*2, 0),
		Bits:      0x207fffff,
	}
	if parent != nil {
		h.PrevBlock = parent.hash
	}
	return newNode(&h, h.BlockHash(), parent)
}

// testChain returns the tip of a chain of n blocks above a genesis.
func testChain(n int) *Node {
	tip := testNode(nil, 0)
	for i := 1; i <= n; i++ {
		tip = testNode(tip, i)
	}
	return tip
}

// TestAncestorRandomTrees grows random trees, each node on a random
// earlier one, and checks Ancestor against the parent walk for every
// node at random heights, out of range included.
func TestAncestorRandomTrees(t *testing.T) {
	rng := rand.New(rand.NewSource(15))
	for tree := 0; tree < 20; tree++ {
		nodes := []*Node{testNode(nil, 0)}
		size := 200 + rng.Intn(2000)
		for i := 1; i < size; i++ {
			// Lean towards recent nodes so that trees grow tall.
			j := len(nodes) - 1 - rng.Intn(min(len(nodes), 1+rng.Intn(50)))
			nodes = append(nodes, testNode(nodes[j], i))
		}
		for _, n := range nodes {
			for k := 0; k < 8; k++ {
				h := int32(rng.Intn(int(n.height)+3)) - 1
				if got, want := n.Ancestor(h), naiveAncestor(n, h); got != want {
					t.Fatalf("tree %d: Ancestor(%d) of height %d: %v, want %v",
						tree, h, n.height, got, want)
				}
			}
		}
	}
}

// TestAncestorHops checks that Ancestor on a long chain takes a
// logarithmic number of hops, where the parent walk takes up to the
// height.
func TestAncestorHops(t *testing.T) {
	tip := testChain(100_000)
	worst, total, count := 0, 0, 0
	for h := int32(0); h <= tip.height; h += 997 {
		hops := 0
		if tip.ancestor(h, &hops) != naiveAncestor(tip, h) {
			t.Fatalf("wrong ancestor at %d", h)
		}
		worst = max(worst, hops)
		total += hops
		count++
	}
	t.Logf("chain of 100,000: at most %d hops, %.1f on average", worst,
		float64(total)/float64(count))
	// log2(100,000) is about 17; the skip list takes a small multiple.
	if worst > 6*17 {
		t.Fatalf("%d hops to an ancestor on a chain of 100,000", worst)
	}
}

// BenchmarkAncestor looks up ancestors at random heights of the tip of a
// 100,000-block chain, through the skip pointers and by the parent walk,
// in the same run.
func BenchmarkAncestor(b *testing.B) {
	tip := testChain(100_000)
	heights := make([]int32, 4096)
	rng := rand.New(rand.NewSource(1))
	for i := range heights {
		heights[i] = int32(rng.Intn(int(tip.height) + 1))
	}
	var sink *Node
	b.Run("skip", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink = tip.Ancestor(heights[i%len(heights)])
		}
	})
	b.Run("naive", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink = naiveAncestor(tip, heights[i%len(heights)])
		}
	})
	_ = sink
}

// BenchmarkLocator builds the locator of a 100,000-block chain's tip.
func BenchmarkLocator(b *testing.B) {
	tip := testChain(100_000)
	var sink []chainhash.Hash
	for i := 0; i < b.N; i++ {
		sink = locator(tip)
	}
	_ = sink
}
