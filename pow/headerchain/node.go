package headerchain

import (
	"math/big"
	"slices"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Node is a header in the index. Its hash, header, height, parent, work and
// median time never change once the index hands it out, so they may be read
// without the index's lock; everything else is read through the Index.
type Node struct {
	hash    chainhash.Hash
	header  wire.BlockHeader
	height  int32
	parent  *Node
	skip    *Node // the ancestor at skipHeight(height); nil for genesis
	workSum *big.Int
	mtp     int64 // MedianTimePast, in Unix seconds

	// Guarded by the index's lock.
	children []*Node
	block    *Block
	invalid  bool // this header or an ancestor is invalid
	linked   bool // valid, has its body, and so has every ancestor
}

func newNode(h *wire.BlockHeader, hash chainhash.Hash, parent *Node) *Node {
	n := &Node{hash: hash, header: *h}
	work := blockchain.CalcWork(h.Bits)
	if parent == nil {
		n.workSum = work
		n.mtp = h.Timestamp.Unix()
		return n
	}
	n.parent = parent
	n.height = parent.height + 1
	n.workSum = work.Add(work, parent.workSum)
	n.skip = parent.Ancestor(skipHeight(n.height))
	n.mtp = medianTime(n)
	return n
}

// clearLowestBit returns h with its lowest set bit cleared.
func clearLowestBit(h int32) int32 { return h & (h - 1) }

// skipHeight is the height of the ancestor a node at height h keeps a
// second pointer to, as Bitcoin Core's skip list does. Even heights clear
// their lowest set bit; odd heights, whose lowest bit is 1, would only
// step back one, so they take the skip height of the height below with
// one more bit cleared, plus one. Those pointers reach far back from most
// nodes and from any node a few hops reach any height, so that Ancestor
// costs O(log n) hops.
func skipHeight(h int32) int32 {
	if h < 2 {
		return 0
	}
	if h&1 == 1 {
		return clearLowestBit(clearLowestBit(h-1)) + 1
	}
	return clearLowestBit(h)
}

// Hash returns the block hash (SHA256d of the header).
func (n *Node) Hash() chainhash.Hash { return n.hash }

// Header returns a copy of the header.
func (n *Node) Header() wire.BlockHeader { return n.header }

// Height returns the height: the genesis block's is 0.
func (n *Node) Height() int32 { return n.height }

// Timestamp returns the header's time.
func (n *Node) Timestamp() time.Time { return n.header.Timestamp }

// Bits returns the header's compact target.
func (n *Node) Bits() uint32 { return n.header.Bits }

// Parent returns the parent, or nil for the genesis block.
func (n *Node) Parent() *Node { return n.parent }

// WorkSum returns the cumulative work of the chain ending here, the
// genesis block included: the sum of blockchain.CalcWork of every header.
func (n *Node) WorkSum() *big.Int { return new(big.Int).Set(n.workSum) }

// Ancestor returns the ancestor at height h (n itself for n's height), or
// nil if h is out of range. It takes O(log n) hops through the skip
// pointers.
func (n *Node) Ancestor(h int32) *Node {
	return n.ancestor(h, nil)
}

// ancestor is Ancestor, counting its hops in *hops if hops is not nil.
func (n *Node) ancestor(h int32, hops *int) *Node {
	if h < 0 || h > n.height {
		return nil
	}
	a := n
	for a.height > h {
		// Take the skip pointer unless it overshoots, or unless the
		// parent's skip would land closer to h: then the parent is
		// the better hop (its skip lies between h and ours).
		to, viaParent := skipHeight(a.height), skipHeight(a.height-1)
		if a.skip != nil && (to == h || (to > h &&
			!(viaParent < to-2 && viaParent >= h))) {
			a = a.skip
		} else {
			a = a.parent
		}
		if hops != nil {
			*hops++
		}
	}
	return a
}

// MedianTimePast returns the median of the timestamps of this block and its
// ancestors, up to MedianTimeBlocks of them (fewer near genesis); with an
// even count, the later of the two middle ones. A child's timestamp must be
// after it.
//
// It is computed once, when the node is made.
func (n *Node) MedianTimePast() time.Time {
	return time.Unix(n.mtp, 0)
}

// medianTime computes MedianTimePast: at most MedianTimeBlocks parent
// hops, no allocation.
func medianTime(n *Node) int64 {
	var buf [MedianTimeBlocks]int64
	times := buf[:0]
	for a := n; a != nil && len(times) < MedianTimeBlocks; a = a.parent {
		times = append(times, a.header.Timestamp.Unix())
	}
	slices.Sort(times)
	return times[len(times)/2]
}

// better reports whether a chain ending at a is preferred to one ending at
// b: more cumulative work, and on equal work the lower block hash, read as
// a 256-bit little-endian number as proof-of-work hashes are. The choice
// depends on the two chains alone, never on arrival order, so every node
// that holds both picks the same one.
func better(a, b *Node) bool {
	if c := a.workSum.Cmp(b.workSum); c != 0 {
		return c > 0
	}
	return blockchain.HashToBig(&a.hash).Cmp(blockchain.HashToBig(&b.hash)) < 0
}
