package headerchain

import (
	"math/big"
	"sort"
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
	workSum *big.Int

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
		return n
	}
	n.parent = parent
	n.height = parent.height + 1
	n.workSum = work.Add(work, parent.workSum)
	return n
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
// nil if h is out of range.
func (n *Node) Ancestor(h int32) *Node {
	if h < 0 || h > n.height {
		return nil
	}
	a := n
	for a.height > h {
		a = a.parent
	}
	return a
}

// MedianTimePast returns the median of the timestamps of this block and its
// ancestors, up to MedianTimeBlocks of them (fewer near genesis); with an
// even count, the later of the two middle ones. A child's timestamp must be
// after it.
func (n *Node) MedianTimePast() time.Time {
	times := make([]int64, 0, MedianTimeBlocks)
	for a := n; a != nil && len(times) < MedianTimeBlocks; a = a.parent {
		times = append(times, a.header.Timestamp.Unix())
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return time.Unix(times[len(times)/2], 0)
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
