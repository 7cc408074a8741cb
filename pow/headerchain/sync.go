package headerchain

import (
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// locatorDense is how many of the newest headers a locator names one by
// one before its steps start doubling.
const locatorDense = 10

// BestHeader returns the tip of the most-work chain of valid headers,
// whether or not their bodies are there: where headers-first sync has
// got to. On equal work the lower hash wins, as for Best. Best is never
// ahead of it.
func (ix *Index) BestHeader() *Node {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.bestHeader
}

// Locator returns a block locator of the best header chain, as Bitcoin's
// getheaders carries one: the tip and the nine headers below it, then
// headers ever further back (each step twice the one before), and the
// genesis block last. It names about 10 + log2(height) headers.
func (ix *Index) Locator() []chainhash.Hash {
	return locator(ix.BestHeader())
}

func locator(tip *Node) []chainhash.Hash {
	out := make([]chainhash.Hash, 0, locatorDense+32)
	step := int32(1)
	for h := tip.height; ; h -= step {
		if h < 0 {
			h = 0
		}
		out = append(out, tip.Ancestor(h).hash)
		if h == 0 {
			return out
		}
		if len(out) >= locatorDense {
			step *= 2
		}
	}
}

// HeadersAfter answers a getheaders request as Bitcoin does: it finds the
// first hash of locator that is on the best header chain (the genesis
// block if none is) and returns the headers that follow it on that chain,
// lowest first, at most max of them, ending early with stop if it comes
// (a zero stop never does).
func (ix *Index) HeadersAfter(locator []chainhash.Hash, stop chainhash.Hash, max int) []wire.BlockHeader {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if max <= 0 {
		return nil
	}
	tip := ix.bestHeader
	start := tip.Ancestor(0)
	for _, hash := range locator {
		if n := ix.nodes[hash]; n != nil && tip.Ancestor(n.height) == n {
			start = n
			break
		}
	}
	end := tip.height
	if int64(end)-int64(start.height) > int64(max) {
		end = start.height + int32(max)
	}
	if end <= start.height {
		return nil
	}
	nodes := make([]*Node, end-start.height)
	for n := tip.Ancestor(end); n != start; n = n.parent {
		nodes[n.height-start.height-1] = n
	}
	out := make([]wire.BlockHeader, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, n.header)
		if n.hash == stop {
			break
		}
	}
	return out
}

// NeedBodies returns the hashes of up to max headers of the best header
// chain whose bodies the index lacks, lowest first: what a syncing node
// fetches next. Headers below the point where the best chain and the best
// header chain part have their bodies, so the search starts there.
func (ix *Index) NeedBodies(max int) []chainhash.Hash {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var out []chainhash.Hash
	tip := ix.bestHeader
	for h := forkPoint(ix.best, tip).height + 1; h <= tip.height && len(out) < max; h++ {
		if n := tip.Ancestor(h); n.block == nil {
			out = append(out, n.hash)
		}
	}
	return out
}

// forkPoint returns the last block that the chains ending at a and b
// share.
func forkPoint(a, b *Node) *Node {
	if a.height > b.height {
		a = a.Ancestor(b.height)
	} else {
		b = b.Ancestor(a.height)
	}
	for a != b {
		a, b = a.parent, b.parent
	}
	return a
}

// AncestorID returns the hash of the block at height on the branch that
// ends with the block prev (prev's own hash at its height): the index as
// powhash.Seeds, to key RandomX by a header's own branch. The verifier may
// call it while the index checks a header.
func (ix *Index) AncestorID(prev chainhash.Hash, height int32) (chainhash.Hash, error) {
	ix.mu.Lock()
	n := ix.nodes[prev]
	ix.mu.Unlock()
	if n == nil {
		return chainhash.Hash{}, fmt.Errorf("block %v is not in the index", prev)
	}
	a := n.Ancestor(height)
	if a == nil {
		return chainhash.Hash{}, fmt.Errorf("no block at height %d below %v at height %d",
			height, prev, n.height)
	}
	return a.hash, nil
}
