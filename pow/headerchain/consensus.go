package headerchain

import (
	"math/big"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Block is a sidechain block under the pow engine: an 80-byte
// Bitcoin-format header whose MerkleRoot is the §6 commitment
// (sideblock.CalcBlockMerkleRoot of the transactions), and the body.
type Block struct {
	Header       wire.BlockHeader
	Transactions []*wire.MsgTx
}

// BlockHash returns the block's identifier: SHA256d of the 80-byte header,
// whatever algorithm its proof of work uses.
func (b *Block) BlockHash() chainhash.Hash {
	return b.Header.BlockHash()
}

// Difficulty says what bits a block must carry. The index consumes it; the
// network's difficulty algorithm (aserti3-2d, pow/asert) provides it.
type Difficulty interface {
	// NextBits returns the compact target that a child of parent must
	// carry. An error other than a RuleError means the difficulty cannot
	// be computed; the header is then refused without being judged.
	NextBits(parent *Node) (uint32, error)
}

// DifficultyFunc adapts a function to Difficulty.
type DifficultyFunc func(parent *Node) (uint32, error)

// NextBits calls f(parent).
func (f DifficultyFunc) NextBits(parent *Node) (uint32, error) {
	return f(parent)
}

// FixedBits is a Difficulty that always requires the same bits: a network
// without retargeting, such as a test network.
type FixedBits uint32

// NextBits returns b.
func (b FixedBits) NextBits(*Node) (uint32, error) {
	return uint32(b), nil
}

// Verifier checks proof of work. The index consumes it; the algorithms by
// height (SHA-256d, pow/randomx, pow/ethash) provide it.
type Verifier interface {
	// CheckProofOfWork reports whether the header's proof-of-work hash,
	// under the algorithm the network uses at height, is at most target.
	// blockHash is the header's SHA256d, already computed by the index:
	// an algorithm whose proof-of-work hash is the block hash uses it, so
	// that no check computes more than one hash. An error means the hash
	// could not be computed (an algorithm this build lacks); the header
	// is then refused without being judged.
	//
	// The index calls it without holding its lock, from as many
	// goroutines as call it, so it must be safe for concurrent use; it
	// may call back into the index (AncestorID, to find a RandomX key).
	CheckProofOfWork(header *wire.BlockHeader, blockHash *chainhash.Hash, height int32, target *big.Int) (bool, error)
}

// Readiness says, without hashing, whether checking a header's proof of
// work at a height would find what it hashes with already built: false
// when it would first build a RandomX key's cache or an Ethash epoch's
// (about a second each). powhash.Front's Ready has this form. An error
// means readiness could not be told (a seed block the index lacks); the
// header is then refused without being judged, as for a verifier error.
// Like the Verifier, it is called without the index's lock, concurrently,
// and may call back into the index.
type Readiness interface {
	Ready(header *wire.BlockHeader, height int32) (bool, error)
}

// SHA256d is the Verifier of a network that mines SHA-256d at every height:
// the proof-of-work hash is the block hash, as in Bitcoin.
type SHA256d struct{}

// CheckProofOfWork reports whether the block hash, read as a little-endian
// number as Bitcoin reads it, is at most target. It computes no hash.
func (SHA256d) CheckProofOfWork(_ *wire.BlockHeader, blockHash *chainhash.Hash, _ int32, target *big.Int) (bool, error) {
	return blockchain.HashToBig(blockHash).Cmp(target) <= 0, nil
}

// Defaults of the Params fields.
const (
	// DefaultMaxFutureBlockTime is how far past the node's clock a
	// timestamp may be, as Bitcoin's.
	DefaultMaxFutureBlockTime = 2 * time.Hour

	// MedianTimeBlocks is how many blocks the median time past is taken
	// over: the parent and its ten ancestors.
	MedianTimeBlocks = 11

	// DefaultMaxOrphans and DefaultMaxOrphanBytes bound the orphan pool.
	DefaultMaxOrphans     = 100
	DefaultMaxOrphanBytes = 8 * MaxBlockWeight / BaseSizeFactor

	// DefaultMaxOrphanAhead is how far above the best tip an orphan's
	// coinbase may claim to be.
	DefaultMaxOrphanAhead = 288

	// DefaultColdBranchBlocks is how many blocks' work a branch may lack
	// against the best header chain and still have a header verified
	// that needs a cache build: a reorg six blocks deep is already rare.
	DefaultColdBranchBlocks = 6
)

// Params are the consensus and resource parameters of an index.
type Params struct {
	// PowLimit is the easiest target; PowLimitBits is it in compact form.
	// No header may carry bits whose target is above PowLimit.
	PowLimit *big.Int

	// MaxFutureBlockTime is how far past the clock a timestamp may be;
	// zero means DefaultMaxFutureBlockTime.
	MaxFutureBlockTime time.Duration

	// MaxOrphans and MaxOrphanBytes bound the orphan pool by count and
	// by the blocks' base size; MaxOrphanAhead bounds the height an
	// orphan may claim above the best tip. Zero means the default.
	MaxOrphans     int
	MaxOrphanBytes int
	MaxOrphanAhead int32

	// ColdBranchBlocks bounds the cache builds a branch can cost. A
	// header whose proof-of-work check would first build a cache (the
	// Readiness says it is not ready) is verified only if the work of
	// its branch, up to and with it (or, in a ProcessHeaders batch, up
	// to the end of the batch's run of connected headers), plus the
	// work of ColdBranchBlocks blocks at its parent's bits, is at least
	// the work of the best header chain. Otherwise it is refused with
	// ErrColdBranch before any hash. Zero means
	// DefaultColdBranchBlocks; a negative value means no margin.
	ColdBranchBlocks int32
}

func (p *Params) maxFuture() time.Duration {
	if p.MaxFutureBlockTime == 0 {
		return DefaultMaxFutureBlockTime
	}
	return p.MaxFutureBlockTime
}

func (p *Params) maxOrphans() int {
	if p.MaxOrphans == 0 {
		return DefaultMaxOrphans
	}
	return p.MaxOrphans
}

func (p *Params) maxOrphanBytes() int {
	if p.MaxOrphanBytes == 0 {
		return DefaultMaxOrphanBytes
	}
	return p.MaxOrphanBytes
}

func (p *Params) maxOrphanAhead() int32 {
	if p.MaxOrphanAhead == 0 {
		return DefaultMaxOrphanAhead
	}
	return p.MaxOrphanAhead
}

func (p *Params) coldBranchBlocks() int64 {
	switch {
	case p.ColdBranchBlocks == 0:
		return DefaultColdBranchBlocks
	case p.ColdBranchBlocks < 0:
		return 0
	}
	return int64(p.ColdBranchBlocks)
}
