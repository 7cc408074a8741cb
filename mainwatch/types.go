package mainwatch

import (
	"time"

	"context"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Cursor names a mainchain block by height and hash. A Chain that has
// applied nothing yet has the cursor {Height: -1}; the genesis block at height
// 0 is then the first block it is given.
type Cursor struct {
	Height int32
	Hash   chainhash.Hash
}

// String formats the cursor as height:hash.
func (c Cursor) String() string { return fmt.Sprintf("%d:%v", c.Height, c.Hash) }

// Tx is a transaction of a mainchain block: a candidate that the WatchList
// matched, or one that Deliver delivers.
type Tx struct {
	// Index is the transaction's position in its block.
	Index int
	MsgTx *wire.MsgTx
}

// Block is a connected mainchain block as a Chain receives it.
type Block struct {
	Height int32
	Hash   chainhash.Hash
	Header wire.BlockHeader

	// Txs are, from a Source, the block's candidates (WatchList.MatchTxs)
	// in block order. A Chain gives the protocol those that Deliver
	// picks from them.
	Txs []Tx

	// Seen holds the ids of transactions passed to Follower.Broadcast
	// that the block contains.
	Seen []chainhash.Hash

	// TxIDs are the ids of all the block's transactions, coinbase
	// first, when the source read the whole block (btcd); nil otherwise
	// (neutrino, a preview). The producer compares the fee rates the
	// block took with its header's (feeest.Seen).
	TxIDs []chainhash.Hash

	// Announced is when the source learned that this block was the
	// mainchain's new tip: btcd's notification, or the light client's
	// header sync. It is zero for a block met during catch-up, which no
	// announcement named. Latency of work done for a new block is
	// measured from it.
	Announced time.Time

	// Preview marks a block delivered ahead of itself, from its
	// announcement: Txs are the transactions the backend's own filter
	// reported with it, matched against the WatchList, and each Index is
	// a position among them (block order, but not the block's numbering).
	// Seen is empty. The block itself follows. Only a Chain that
	// implements Previewer is shown previews.
	Preview bool
}

// Previewer is a Chain that can act on a block before the block itself
// arrives, when the backend can say which transactions it matches sooner
// than it can deliver it: the btcd backend, from a block's announcement.
// A preview must leave the Chain's state as it was; the follower connects
// the block itself next, or goes on without it. An error means the Chain
// could not restore its state, and stops the follower like a failed
// ConnectBlock.
type Previewer interface {
	PreviewBlock(ctx context.Context, block *Block) error
}

// Cursor returns the block's cursor.
func (b *Block) Cursor() Cursor { return Cursor{Height: b.Height, Hash: b.Hash} }

// Chain is the consumer's applied view of the mainchain; it is the persisted
// cursor. A Follower is its only writer while it runs.
type Chain interface {
	// Tip returns the last applied block, or {Height: -1} if none.
	Tip() (Cursor, error)

	// HashAt returns the hash of the applied block at height, for any
	// height from 0 to the tip that a reorg could still reach.
	HashAt(height int32) (chainhash.Hash, error)

	// ConnectBlock applies block on top of the tip. It must be atomic and
	// durable: after it returns nil, Tip is the block, even across a
	// crash.
	ConnectBlock(ctx context.Context, block *Block) error

	// DisconnectBlock undoes the tip block, atomically and durably.
	DisconnectBlock(ctx context.Context, tip Cursor) error

	// UndoWindow says how deep a reorg the chain can undo. The follower
	// asks before it disconnects anything, and refuses a reorg whose
	// fork point lies below the window (see DeepReorgError).
	UndoWindow() (UndoWindow, error)
}

// UndoWindow is how far back a Chain can undo its blocks.
type UndoWindow struct {
	// Floor is the lowest height whose block DisconnectBlock can still
	// undo: a reorg can be followed when its fork point is at Floor-1
	// or above. It is the tip's height + 1 when nothing can be undone,
	// and 0 when everything can.
	Floor int32

	// Depth is the window's configured size in blocks, for messages; 0
	// when the chain sets no limit. Floor may be above Tip-Depth+1 for a
	// while after the depth was raised, as the older records are gone.
	Depth int32

	// Advice tells the operator what to do about a reorg deeper than the
	// window, in the terms of the consumer's configuration (the flag
	// that resyncs); it ends the DeepReorgError's message.
	Advice string
}

// Source is a mainchain backend. Best, HashAt and Blocks are called from
// one goroutine at a time, the follower's. SendTx, Status and TipChanged
// may be called from any goroutine at any time, also while Blocks runs
// (the conformance suite's SendDuringCatchUp checks SendTx). No method
// blocks past ctx.
type Source interface {
	// Name names the backend in logs: "btcd" or "neutrino".
	Name() string

	// Best returns the tip of the backend's best chain. For a light client
	// it is the highest block whose filter can be fetched.
	Best(ctx context.Context) (Cursor, error)

	// HashAt returns the hash of the block at height on the best chain.
	HashAt(ctx context.Context, height int32) (chainhash.Hash, error)

	// Blocks calls fn with the blocks of the best chain from height from
	// to to, in order, each with its candidates: the transactions that
	// watch.MatchTxs picks from the whole block. A block is matched only
	// after fn has returned for the one before it, since fn may change
	// watch. It stops at the first error fn returns, and returns it.
	Blocks(ctx context.Context, from, to int32, watch *WatchList,
		fn func(*Block) error) error

	// TipChanged is signalled, without blocking, whenever the backend's
	// tip may have changed.
	TipChanged() <-chan struct{}

	// SendTx hands a transaction to the mainchain network.
	SendTx(ctx context.Context, tx *wire.MsgTx) error

	// Status reports the backend's connection and sync state.
	Status() SourceStatus
}

// SourceStatus is a backend's own view of its sync state.
type SourceStatus struct {
	Backend   string
	Connected bool
	// Best is the backend's best block; for neutrino, Headers is the
	// header tip and Best the filter-header tip.
	Best    Cursor
	Headers int32
	Peers   int
	Err     string
}
